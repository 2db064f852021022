"""The emulator's API: status codes, error shapes and texts of the real server (API reference §2-§7).

Every answer here is validated against the contract by the ``emulator`` fixture.
"""

from __future__ import annotations

import base64
import functools
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from support.emulator import ContractChecker
from support.models import script_bytes, small_model, torch_bytes

from fl_client.testing import EmulatedUser, EmulatorError, FLEmulator

MISSING = str(uuid.uuid4())


@functools.cache
def model_file() -> bytes:
    return script_bytes(small_model())


@pytest.fixture
def http(emulator: FLEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, trust_env=False) as client:
        yield client


@dataclass
class Setup:
    actor: EmulatedUser
    alice: EmulatedUser
    bob: EmulatedUser
    model_id: str
    training_id: str


@pytest.fixture
def setup(emulator: FLEmulator) -> Setup:
    actor = emulator.create_user("actor", actor=True)
    alice = emulator.create_user("alice", client=True)
    bob = emulator.create_user("bob", client=True)
    model_id = emulator.upload_model(actor, model_file())
    training_id = emulator.create_training(actor, model_id, [alice, bob], target_num_updates=2)
    return Setup(actor, alice, bob, model_id, training_id)


def auth(user: EmulatedUser) -> dict[str, str]:
    return {"Authorization": user.authorization}


def upload(
    http: httpx.Client,
    user: EmulatedUser,
    model_id: str,
    *,
    round: Any = 0,
    sample_size: Any = 10,
    **extra: Any,
) -> httpx.Response:
    model = extra.pop("model_file", None)
    fields = {"round": round, "sample_size": sample_size, **extra}
    data = {k: str(v) for k, v in fields.items() if v is not None}
    files = {"model_file": ("model.pt", io.BytesIO(model or model_file()))}
    return http.post(f"/api/models/{model_id}/", headers=auth(user), data=data, files=files)


# ---------------------------------------------------------------------------------------------
# users and authentication


def test_create_user_answers_201_with_a_token_that_authenticates(http: httpx.Client) -> None:
    response = http.post(
        "/api/users/", json={"username": "jane", "password": "pw", "message_endpoint": "http://x/"}
    )
    assert response.status_code == 201
    user = response.json()
    assert len(user["token"]) == 40 and int(user["token"], 16) >= 0
    me = http.get("/api/users/myself/", headers={"Authorization": f"Token {user['token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == user["id"] and "token" not in me.json()
    assert me.json()["message_endpoint"] == "http://x/"


def test_token_only_in_own_user_lookup(http: httpx.Client, setup: Setup) -> None:
    own = http.get(f"/api/users/{setup.alice.id}/", headers=auth(setup.alice)).json()
    other = http.get(f"/api/users/{setup.bob.id}/", headers=auth(setup.alice)).json()
    assert own["token"] == setup.alice.token
    assert "token" not in other
    assert all("token" not in u for u in http.get("/api/users/", headers=auth(setup.alice)).json())


@pytest.mark.parametrize("user_id", [MISSING, "not-a-uuid"])
def test_unknown_user_is_400_not_found(http: httpx.Client, setup: Setup, user_id: str) -> None:
    response = http.get(f"/api/users/{user_id}/", headers=auth(setup.alice))
    assert response.status_code == 400
    assert response.json() == {"detail": f"User {user_id} not found."}


def test_duplicate_username_and_missing_password_are_500(http: httpx.Client, setup: Setup) -> None:
    duplicate = http.post("/api/users/", json={"username": "alice", "password": "x"})
    assert (duplicate.status_code, duplicate.json()) == (500, {"error": "Server Error (500)"})
    no_password = http.post("/api/users/", json={"username": "nopw"})
    assert no_password.status_code == 500
    # ... and yet the user was created, without a usable password (§5.2)
    users = http.get("/api/users/", headers=auth(setup.alice)).json()
    assert "nopw" in [u["username"] for u in users]
    login = http.get("/api/users/myself/", auth=("nopw", ""))
    assert login.json() == {"detail": "Invalid username/password."}


def test_user_columns_take_what_their_database_columns_take(http: httpx.Client) -> None:
    # found by tests/test_contract_fuzz.py: a form body's list-text "['true']" came back as the
    # string value of a boolean column; Django's BooleanField refuses it and the INSERT fails (500)
    form = http.post("/api/users/", data={"username": "formy", "password": "pw", "actor": "true"})
    assert (form.status_code, form.json()) == (500, {"error": "Server Error (500)"})
    text_only = http.post("/api/users/", data={"username": "texty", "password": "pw"})
    assert (text_only.status_code, text_only.json()["username"]) == (201, "['texty']")
    typed = http.post("/api/users/", json={"username": "typed", "password": "pw", "actor": "1", "email": 5})
    assert typed.status_code == 201
    assert (typed.json()["actor"], typed.json()["email"]) == (True, "5")
    wrong = http.post("/api/users/", json={"username": "wrong", "password": "pw", "client": "yes"})
    assert wrong.status_code == 500


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        (None, "Authentication credentials were not provided."),
        ("Bearer " + "a" * 40, "Authentication credentials were not provided."),
        ("Token " + "0" * 40, "Invalid token."),
        ("Token", "Invalid token header. No credentials provided."),
        ("Token a b", "Invalid token header. Token string should not contain spaces."),
        ("Basic " + base64.b64encode(b"alice:wrong").decode(), "Invalid username/password."),
        ("Basic " + base64.b64encode(b"nobody:pw").decode(), "Invalid username/password."),
        ("Basic " + base64.b64encode(b"0" * 40 + b":").decode(), "Invalid token."),
        ("Basic !!!", "Invalid basic header. Credentials not correctly base64 encoded."),
    ],
)
def test_bad_credentials_are_401_with_drf_texts(
    http: httpx.Client, setup: Setup, authorization: str | None, detail: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = http.get("/api/users/myself/", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": detail}


def test_every_accepted_credential_form(http: httpx.Client, setup: Setup) -> None:
    alice = setup.alice
    forms = [
        {"Authorization": alice.authorization},
        {"Authorization": alice.basic_authorization},
        {"Authorization": "Basic " + base64.b64encode(f"{alice.token}:".encode()).decode()},
    ]
    for headers in forms:
        response = http.get("/api/users/myself/", headers=headers)
        assert response.status_code == 200
        assert response.json()["username"] == "alice"


def test_authorization_is_ignored_when_creating_a_user(http: httpx.Client) -> None:
    response = http.post(
        "/api/users/", json={"username": "x", "password": "y"}, headers={"Authorization": "Token bad"}
    )
    assert response.status_code == 201


def test_routing_like_django(http: httpx.Client, setup: Setup, contract_checker: ContractChecker) -> None:
    unknown = http.get("/api/nothing/", headers=auth(setup.alice))
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("text/html")
    no_slash = http.get("/api/users/myself", headers=auth(setup.alice))
    assert (no_slash.status_code, no_slash.headers["location"]) == (301, "/api/users/myself/")
    wrong_method = http.post("/api/users/myself/", headers=auth(setup.alice))
    assert (wrong_method.status_code, wrong_method.json()) == (405, {"detail": 'Method "POST" not allowed.'})
    unauthenticated = http.post("/api/users/myself/")
    assert unauthenticated.status_code == 401  # DRF authenticates before it checks the method


# ---------------------------------------------------------------------------------------------
# models


def test_model_upload_and_download_round_trip(http: httpx.Client, setup: Setup) -> None:
    data = model_file()
    created = http.post(
        "/api/models/",
        headers=auth(setup.actor),
        data={"name": "m", "description": "d", "input_shape": ["None", "4"]},
        files={"model_file": ("m.pt", data)},
    )
    assert created.status_code == 201
    assert created.json()["detail"] == "Model Upload Accepted"
    model_id = created.json()["model_id"]
    download = http.get(f"/api/models/{model_id}/", headers=auth(setup.bob))
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"] == f'filename="model-{model_id}.pt"'
    assert int(download.headers["content-length"]) == len(data)
    meta = http.get(f"/api/models/{model_id}/metadata/", headers=auth(setup.bob)).json()
    assert meta["input_shape"] == [None, 4] and meta["stats"] is None and meta["round"] == 0


def test_pickled_module_upload_is_accepted(http: httpx.Client, setup: Setup) -> None:
    created = http.post(
        "/api/models/",
        headers=auth(setup.actor),
        data={"name": "m", "description": "d"},
        files={"model_file": ("m.pt", torch_bytes(small_model()))},
    )
    assert created.status_code == 201


@pytest.mark.parametrize(
    ("fields", "files", "body"),
    [
        ({"name": "m", "description": "d"}, None, {"detail": "No uploaded file 'model_file' found."}),
        ({"description": "d"}, b"model", ["Missing required field: name"]),
        ({"name": "m"}, b"model", ["Missing required field: description"]),
        (
            {"name": "m", "description": "d"},
            b"not a model",
            ["Invalid model file: Error loading torch object"],
        ),
        (
            {"name": "m", "description": "d"},
            "state_dict",
            ["Invalid model file: Loaded torch object is not of expected type."],
        ),
    ],
)
def test_model_upload_errors(
    http: httpx.Client, setup: Setup, fields: dict[str, str], files: Any, body: Any
) -> None:
    if files == "state_dict":
        files = torch_bytes(small_model().state_dict())
    elif files == b"model":
        files = model_file()
    response = http.post(
        "/api/models/",
        headers=auth(setup.actor),
        data=fields,
        files={"model_file": ("m.pt", files)} if files else None,
    )
    assert response.status_code == 400
    assert response.json() == body


@pytest.mark.parametrize("model_id", [MISSING, "garbage"])
def test_unknown_model_is_400_not_found(http: httpx.Client, setup: Setup, model_id: str) -> None:
    for response in (
        http.get(f"/api/models/{model_id}/", headers=auth(setup.alice)),
        http.get(f"/api/models/{model_id}/metrics/", headers=auth(setup.alice)),
        http.post(
            f"/api/models/{model_id}/metrics/",
            headers=auth(setup.alice),
            data={"metric_names": "a", "metric_values": "1"},
        ),
    ):
        assert response.status_code == 400
        assert response.json() == {"detail": f"Model {model_id} not found."}


# ---------------------------------------------------------------------------------------------
# trainings


def test_created_training_is_initial(http: httpx.Client, setup: Setup) -> None:
    training = http.get(f"/api/trainings/{setup.training_id}/", headers=auth(setup.alice)).json()
    assert training["state"] == "I"
    assert training["model"] == setup.model_id
    assert training["participants"] == [setup.alice.id, setup.bob.id]
    assert (training["local_models_arrived"], training["local_models_expected"]) == (0, 2)
    assert [t["id"] for t in http.get("/api/trainings/", headers=auth(setup.actor)).json()] == [
        setup.training_id
    ]
    assert http.get("/api/trainings/", headers=auth(setup.alice)).json() == []
    mine = http.get("/api/users/trainings/", headers=auth(setup.alice)).json()
    assert [t["id"] for t in mine] == [setup.training_id]


def _create(http: httpx.Client, user: EmulatedUser, **fields: Any) -> httpx.Response:
    return http.post("/api/trainings/", headers=auth(user), json=fields)


def test_training_creation_errors(http: httpx.Client, setup: Setup) -> None:
    base = {
        "model_id": setup.model_id,
        "target_num_updates": 1,
        "metric_names": ["a"],
        "aggregation_method": "FedAvg",
    }
    cases: list[tuple[dict[str, Any], int, Any]] = [
        ({**base, "aggregation_method": "Mean"}, 400, {"aggregation_method": ["Must be one of: FedAvg, FedDC, FedProx."]}),
        ({k: v for k, v in base.items() if k != "aggregation_method"}, 400, {"aggregation_method": ["Missing data for required field."]}),
        ({**base, "colour": "red"}, 400, {"colour": ["Unknown field."]}),
        ({**base, "options": []}, 400, {"options": ["Not a valid mapping type."]}),
        ({**base, "clients": ["nope"]}, 400, {"clients": {"0": ["Not a valid UUID."]}}),
        ({**base, "clients": [MISSING]}, 400, {"detail": "Not all provided users were found!"}),
        ({**base, "model_id": MISSING}, 400, {"detail": f"Model {MISSING} not found."}),
        ({k: v for k, v in base.items() if k != "model_id"}, 500, {"error": "Server Error (500)"}),
        ({k: v for k, v in base.items() if k != "metric_names"}, 500, {"error": "Server Error (500)"}),
    ]  # fmt: skip
    for fields, status, body in cases:
        response = _create(http, setup.actor, **fields)
        assert (response.status_code, response.json()) == (status, body), fields
    not_owner = _create(http, setup.alice, **base)
    assert not_owner.status_code == 403
    form = http.post("/api/trainings/", headers=auth(setup.actor), data={"model_id": setup.model_id})
    assert form.status_code == 500  # the body is parsed as JSON whatever the content type


def test_swag_and_daisy_chain_trainings_are_created(http: httpx.Client, setup: Setup) -> None:
    base = {
        "model_id": setup.model_id,
        "target_num_updates": 3,
        "metric_names": [],
        "aggregation_method": "FedDC",
    }
    swag = _create(http, setup.actor, **base, uncertainty_method="SWAG")
    assert swag.status_code == 201
    daisy = _create(http, setup.actor, **base, options={"daisy_chain_period": 2})
    assert daisy.status_code == 201
    stored = http.get(f"/api/trainings/{daisy.json()['training_id']}/", headers=auth(setup.actor)).json()
    assert stored["target_num_updates"] == 6


def test_model_in_use_is_copied_for_a_second_training(
    emulator: FLEmulator, http: httpx.Client, setup: Setup
) -> None:
    second = emulator.create_training(setup.actor, setup.model_id, [setup.alice])
    copy_id = http.get(f"/api/trainings/{second}/", headers=auth(setup.actor)).json()["model"]
    assert copy_id != setup.model_id
    assert emulator.model_bytes(copy_id) == emulator.model_bytes(setup.model_id)


def test_training_lookup_errors(http: httpx.Client, setup: Setup) -> None:
    stranger = http.post("/api/users/", json={"username": "eve", "password": "pw"}).json()
    eve = {"Authorization": f"Token {stranger['token']}"}
    forbidden = http.get(f"/api/trainings/{setup.training_id}/", headers=eve)
    assert forbidden.status_code == 403
    assert forbidden.json() == {"detail": "You do not have permission to perform this action."}
    unknown = http.get(f"/api/trainings/{MISSING}/", headers=auth(setup.actor))
    assert unknown.json() == {"detail": f"Training {MISSING} not found."}
    assert http.get("/api/trainings/not-a-uuid/", headers=auth(setup.actor)).status_code == 500
    assert http.post(f"/api/trainings/{MISSING}/start/", headers=auth(setup.actor)).status_code == 400
    assert http.post("/api/trainings/nope/start/", headers=auth(setup.actor)).status_code == 500


def test_register_and_remove_clients(http: httpx.Client, emulator: FLEmulator, setup: Setup) -> None:
    carol = emulator.create_user("carol")
    path = f"/api/trainings/{setup.training_id}/clients/"
    added = http.put(path, headers=auth(setup.alice), json={"clients": [carol.id]})  # a participant may
    assert (added.status_code, added.json()) == (202, {"detail": "Users registered as participants!"})
    assert emulator.training(setup.training_id)["participants"] == [setup.alice.id, setup.bob.id, carol.id]
    missing = http.put(path, headers=auth(setup.actor), json={})
    assert missing.json() == {"clients": ["Missing data for required field."]}
    unknown = http.put(path, headers=auth(setup.actor), json={"clients": [MISSING]})
    assert unknown.json() == {"detail": "Not all provided users were found!"}
    removed = http.request(
        "DELETE", path, headers=auth(setup.actor), json={"clients": [carol.id, setup.bob.id]}
    )
    assert removed.status_code == 200
    assert emulator.training(setup.training_id)["participants"] == [setup.alice.id]


def test_start_checks(http: httpx.Client, emulator: FLEmulator, setup: Setup) -> None:
    lonely = emulator.create_training(setup.actor, emulator.upload_model(setup.actor, model_file()), [])
    empty = http.post(f"/api/trainings/{lonely}/start/", headers=auth(setup.actor))
    assert empty.json() == {"detail": "At least one participant must be registered!"}
    started = http.post(f"/api/trainings/{setup.training_id}/start/", headers=auth(setup.bob))
    assert (started.status_code, started.json()) == (202, {"detail": "Training started!"})
    again = http.post(f"/api/trainings/{setup.training_id}/start/", headers=auth(setup.actor))
    assert again.json() == {"detail": f"Training {setup.training_id} is not in state INITIAL!"}
    assert emulator.training(setup.training_id)["state"] == "O"


def test_delete_training_actor_only(http: httpx.Client, emulator: FLEmulator, setup: Setup) -> None:
    denied = http.delete(f"/api/trainings/{setup.training_id}/", headers=auth(setup.alice))
    assert (denied.status_code, denied.json()) == (403, {"detail": "You are not the owner the training."})
    deleted = http.delete(f"/api/trainings/{setup.training_id}/", headers=auth(setup.actor))
    assert (deleted.status_code, deleted.json()) == (200, {"detail": "Training removed!"})
    assert (
        http.get(f"/api/models/{setup.model_id}/", headers=auth(setup.actor)).status_code == 200
    )  # model kept
    assert http.get(f"/api/trainings/{setup.training_id}/", headers=auth(setup.actor)).status_code == 400


def test_delete_global_model_cascades(http: httpx.Client, setup: Setup) -> None:
    denied = http.delete(f"/api/models/{setup.model_id}/", headers=auth(setup.alice))
    assert denied.status_code == 403
    deleted = http.delete(f"/api/models/{setup.model_id}/", headers=auth(setup.actor))
    assert deleted.json() == {"detail": "Model removed!"}
    assert http.get(f"/api/trainings/{setup.training_id}/", headers=auth(setup.actor)).status_code == 400


# ---------------------------------------------------------------------------------------------
# local model uploads (§7.1), in the server's order of checks


@pytest.fixture
def started(emulator: FLEmulator, setup: Setup) -> Setup:
    emulator.start_training(setup.actor, setup.training_id)
    return setup


def test_upload_before_start_is_refused_by_state(http: httpx.Client, setup: Setup) -> None:
    response = upload(http, setup.alice, setup.model_id)
    assert response.status_code == 400
    assert response.json() == [f"Training with ID {setup.training_id} is in state I"]


def test_upload_wrong_round(http: httpx.Client, started: Setup) -> None:
    response = upload(http, started.alice, started.model_id, round=1)
    assert response.status_code == 400
    assert response.json() == [f"Training with ID {started.training_id} is not currently in round 1"]


def test_upload_by_non_participant(http: httpx.Client, started: Setup) -> None:
    response = upload(http, started.actor, started.model_id)
    assert response.status_code == 403
    assert response.json() == {"detail": f"You are not a participant of training {started.training_id}!"}


def test_upload_to_unknown_or_local_model(http: httpx.Client, emulator: FLEmulator, started: Setup) -> None:
    unknown = upload(http, started.alice, MISSING)
    assert unknown.json() == {"detail": f"GlobalModel {MISSING} not found."}
    assert upload(http, started.alice, started.model_id).status_code == 201
    local_id = next(m.id for m in emulator.store.models.values() if not m.is_global)
    to_local = upload(http, started.bob, local_id)
    assert (to_local.status_code, to_local.json()) == (400, {"detail": f"GlobalModel {local_id} not found."})


def test_upload_to_model_without_training_is_404(
    http: httpx.Client, emulator: FLEmulator, started: Setup
) -> None:
    lone = emulator.upload_model(started.actor, model_file())
    response = upload(http, started.alice, lone)
    assert response.status_code == 404
    assert response.json() == {"detail": f"Model with ID {lone} does not have a training process running"}


def test_upload_field_errors(http: httpx.Client, started: Setup) -> None:
    no_round = upload(http, started.alice, started.model_id, round=None)
    assert (no_round.status_code, no_round.json()) == (400, {"detail": "'round'"})
    no_size = upload(http, started.alice, started.model_id, sample_size=None)
    assert no_size.json() == {"detail": "'sample_size'"}
    bad_round = upload(http, started.alice, started.model_id, round="zero")
    assert (bad_round.status_code, bad_round.json()) == (500, {"error": "Server Error (500)"})
    no_file = http.post(
        f"/api/models/{started.model_id}/",
        headers=auth(started.alice),
        data={"round": "0", "sample_size": "1"},
    )
    assert no_file.json() == {"detail": "No uploaded file 'model_file' found."}
    bad_file = upload(http, started.alice, started.model_id, model_file=b"junk")
    assert bad_file.json() == ["Invalid model file: Error loading torch object"]


def test_duplicate_upload_is_refused_with_a_clear_400(
    http: httpx.Client, emulator: FLEmulator, started: Setup
) -> None:
    assert upload(http, started.alice, started.model_id).status_code == 201
    duplicate = upload(http, started.alice, started.model_id)
    assert duplicate.status_code == 400
    [message] = duplicate.json()
    assert message.startswith(
        f"Duplicate upload: participant {started.alice.id} already uploaded a model for round 0"
    )
    training = http.get(f"/api/trainings/{started.training_id}/", headers=auth(started.actor)).json()
    assert training["local_models_arrived"] == 1  # the round was not corrupted


def test_upload_with_only_metric_names_still_counts(
    http: httpx.Client, emulator: FLEmulator, started: Setup
) -> None:
    response = upload(http, started.alice, started.model_id, metric_names="loss")
    assert response.json() == {"detail": "Metric names or values are missing"}
    assert emulator.training(started.training_id)["local_models_arrived"] == 1


def test_training_models_list(http: httpx.Client, emulator: FLEmulator, started: Setup) -> None:
    path = f"/api/trainings/{started.training_id}/models/"
    assert [m["id"] for m in http.get(path, headers=auth(started.actor)).json()] == [started.model_id]
    assert upload(http, started.alice, started.model_id).status_code == 201
    listed = http.get(path, headers=auth(started.actor)).json()
    assert [m.get("sample_size") for m in listed] == [None, 10]
    # the real server's known failure for the owner of a stored local model (§5.5), reproduced
    assert http.get(path, headers=auth(started.alice)).status_code == 500
    assert http.get(f"/api/trainings/{MISSING}/models/", headers=auth(started.actor)).json() == []


# ---------------------------------------------------------------------------------------------
# metrics


def test_metrics_urlencoded_and_multipart_with_repeated_fields(http: httpx.Client, started: Setup) -> None:
    path = f"/api/models/{started.model_id}/metrics/"
    encoded = http.post(
        path,
        headers=auth(started.alice),
        data={"metric_names": ["acc", "note"], "metric_values": ["0.5", "hello"]},
    )
    assert encoded.status_code == 201
    assert encoded.json() == {"detail": "Model Metrics Upload Accepted", "model_id": started.model_id}
    multipart = http.post(
        path,
        headers=auth(started.actor),
        data={"metric_names": ["loss"], "metric_values": ["1.25"]},
        files={"unused": ("", b"")},
    )
    assert multipart.status_code == 201
    metrics = http.get(path, headers=auth(started.bob)).json()
    assert [(m["key"], m["value_float"], m["value_binary"], m["step"]) for m in metrics] == [
        ("acc", 0.5, None, 0),
        ("note", None, base64.b64encode(b"hello").decode(), 0),
        ("loss", 1.25, None, 0),
    ]
    assert [m["reporter"] for m in metrics] == [started.alice.id, started.alice.id, started.actor.id]


def test_metrics_errors(http: httpx.Client, started: Setup) -> None:
    path = f"/api/models/{started.model_id}/metrics/"
    as_json = http.post(
        path, headers=auth(started.alice), json={"metric_names": ["a"], "metric_values": ["1"]}
    )
    assert (as_json.status_code, as_json.json()) == (400, {"detail": "Metric names or values are missing"})
    uneven = http.post(
        path, headers=auth(started.alice), data={"metric_names": ["a", "b"], "metric_values": ["1"]}
    )
    assert uneven.json() == {"detail": "Metric names and values must have the same length"}
    too_long = http.post(
        path, headers=auth(started.alice), data={"metric_names": "x" * 33, "metric_values": "1"}
    )
    assert too_long.status_code == 500


def test_nan_metric_breaks_the_listing_as_on_the_server(http: httpx.Client, started: Setup) -> None:
    path = f"/api/models/{started.model_id}/metrics/"
    assert (
        http.post(
            path, headers=auth(started.alice), data={"metric_names": "a", "metric_values": "nan"}
        ).status_code
        == 201
    )
    assert http.get(path, headers=auth(started.alice)).status_code == 500


def test_helpers_raise_emulator_error_with_the_answer(emulator: FLEmulator, setup: Setup) -> None:
    with pytest.raises(EmulatorError) as caught:
        emulator.start_training(setup.alice, MISSING)
    assert caught.value.status == 400
    assert caught.value.body == {"detail": f"Training {MISSING} not found."}
    assert setup.alice.token not in repr(setup.alice) and setup.alice.password not in repr(setup.alice)
