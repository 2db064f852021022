"""Groups, preprocessing modules and inference on the emulator, as the real server answers them
(API reference §5.3, §5.4, §5.6): through the public client (sync and async), and with raw
requests where the server's exact error bodies matter. Every exchange is checked against the
contract by the ``emulator`` fixture."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
import torch
from fl_demonstrator_api.models import Detail, Group, InferenceResult
from support.models import small_model, torch_bytes

from fl_client import (
    BadRequestError,
    BinaryInference,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    TrainingConfig,
    UncertaintyConfig,
)
from fl_client.testing import EmulatedUser, FLEmulator

INPUT = [[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, -1.0, 2.0]]


def _raw(emulator: FLEmulator, user: EmulatedUser, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": user.authorization, **kwargs.pop("headers", {})}
    return httpx.request(method, f"{emulator.url}{path}", headers=headers, trust_env=False, **kwargs)


# ---------------------------------------------------------------- groups


def test_groups_are_for_their_members_and_listing_them_all_for_superusers(
    emulator: FLEmulator, clients: Any
) -> None:
    alice = emulator.create_user("alice")
    root = emulator.create_user("root", is_superuser=True)
    client = clients(base_url=emulator.url, token=alice.token)
    created = client("groups.create", "team")
    assert isinstance(created, Group) and created.name == "team"
    with pytest.raises(PermissionDeniedError):  # the creator is not made a member
        client("groups.get", created.id)
    assert client("users.groups") == []

    emulator.add_group_member(created.id, alice)  # the server's Django admin does this
    assert client("groups.get", created.id) == created
    assert [g.name for g in client("users.groups")] == ["team"]
    assert client("groups.update", created.id, name="team-a").name == "team-a"
    assert client("groups.patch", created.id, name="team-b").name == "team-b"

    with pytest.raises(PermissionDeniedError):
        client("groups.list")
    assert [g.name for g in clients(base_url=emulator.url, token=root.token)("groups.list")] == ["team-b"]
    with pytest.raises(PermissionDeniedError):  # a superuser is no member either
        clients(base_url=emulator.url, token=root.token)("groups.get", created.id)

    assert client("groups.delete", created.id) is None
    with pytest.raises(NotFoundError, match=f"Group {created.id} not found"):  # 400, as the server says it
        client("groups.get", created.id)


def test_group_names_are_validated_as_the_servers_serializer_does(emulator: FLEmulator) -> None:
    alice = emulator.create_user("alice")
    first = _raw(emulator, alice, "POST", "/api/groups/", json={"name": "  team  "})
    assert first.status_code == 201 and first.json()["name"] == "team"  # trimmed
    group_id = first.json()["id"]
    emulator.add_group_member(group_id, alice)
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("POST", "/api/groups/", {"json": {}}, "This field is required."),
        ("POST", "/api/groups/", {"json": {"name": None}}, "This field may not be null."),
        ("POST", "/api/groups/", {"json": {"name": "   "}}, "This field may not be blank."),
        ("POST", "/api/groups/", {"json": {"name": ["x"]}}, "Not a valid string."),
        (
            "POST",
            "/api/groups/",
            {"json": {"name": "x" * 151}},
            "Ensure this field has no more than 150 characters.",
        ),
        ("POST", "/api/groups/", {"data": {"name": "team"}}, "group with this name already exists."),
        ("PUT", f"/api/groups/{group_id}/", {"json": {}}, "This field is required."),
    ]
    for method, path, body, message in cases:
        answer = _raw(emulator, alice, method, path, **body)
        assert (answer.status_code, answer.json()) == (400, {"name": [message]}), (method, body)
    broken = _raw(
        emulator, alice, "POST", "/api/groups/", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400 and broken.json()["detail"].startswith("JSON parse error - ")
    unchanged = _raw(emulator, alice, "PATCH", f"/api/groups/{group_id}/", json={})
    assert (unchanged.status_code, unchanged.json()) == (200, {"id": group_id, "name": "team"})
    form = _raw(emulator, alice, "POST", "/api/groups/", data={"name": "from-a-form"})
    assert form.status_code == 201 and form.json()["name"] == "from-a-form"
    route = _raw(emulator, alice, "GET", "/api/groups/abc/")  # <int:pk>: not a route at all
    assert route.status_code == 404 and route.headers["content-type"].startswith("text/html")
    unknown = _raw(emulator, alice, "DELETE", "/api/groups/999/")
    assert (unknown.status_code, unknown.json()) == (400, {"detail": "Group 999 not found."})
    deleted = _raw(emulator, alice, "DELETE", f"/api/groups/{group_id}/")
    assert (deleted.status_code, deleted.content) == (204, b"")


# ---------------------------------------------------------------- preprocessing modules


def test_a_preprocessing_module_is_set_by_the_owner_and_read_by_anyone(
    emulator: FLEmulator, clients: Any
) -> None:
    owner_user, other_user = emulator.create_user("owner"), emulator.create_user("other")
    owner = clients(base_url=emulator.url, token=owner_user.token)
    other = clients(base_url=emulator.url, token=other_user.token)
    model_id = owner("models.create", small_model(), name="net").model_id
    with pytest.raises(NotFoundError, match="has no preprocessing model defined"):  # the one JSON 404
        other("models.download_preprocessing", model_id)
    assert owner("models.metadata", model_id).has_preprocessing is False

    module = torch.nn.Sequential(torch.nn.Flatten())
    accepted = owner("models.upload_preprocessing", model_id, module)
    assert isinstance(accepted, Detail) and accepted.detail == "Proprocessing Model Upload Accepted"  # sic
    stored = other("models.download_preprocessing", model_id)
    assert isinstance(torch.load(io.BytesIO(stored), weights_only=False), torch.nn.Sequential)
    assert owner("models.metadata", model_id).has_preprocessing is True

    with pytest.raises(PermissionDeniedError, match="You are not the owner of model"):
        other("models.upload_preprocessing", model_id, module)
    with pytest.raises(BadRequestError, match="Invalid preprocessing file"):
        owner("models.upload_preprocessing", model_id, b"not a torch file")
    raw = _raw(emulator, owner_user, "GET", f"/api/models/{model_id}/preprocessing/")
    assert raw.headers["content-type"] == "application/octet-stream"
    assert raw.headers["content-disposition"] == f'filename="model-{model_id}-proprecessing.pt"'  # sic


# ---------------------------------------------------------------- inference


def _trained_model(
    emulator: FLEmulator, owner: Any, model: torch.nn.Module, *, uncertainty: str = "NONE", **create: Any
) -> str:
    """A global model in a training (inference needs one): its training's uncertainty method decides."""
    participant = emulator.create_user(f"p-{len(emulator.store.users)}")
    model_id = str(owner("models.create", model, name="net", **create).model_id)
    options = (
        TrainingConfig(uncertainty=UncertaintyConfig(n=7, softmax=True)) if uncertainty != "NONE" else None
    )
    owner("trainings.create", model_id, [participant.id], target_num_updates=1,
          uncertainty_method=uncertainty, options=options)  # fmt: skip
    return model_id


def test_inference_without_uncertainty_is_the_argmax_of_one_pass(emulator: FLEmulator, clients: Any) -> None:
    actor = clients(base_url=emulator.url, token=emulator.create_user("actor").token)
    net = small_model()
    model_id = _trained_model(emulator, actor, net, input_shape=[None, 4])
    expected = net(torch.tensor(INPUT)).argmax(dim=1)

    answered = actor("inference.predict", model_id, INPUT)  # JSON in, JSON out
    assert isinstance(answered, InferenceResult)
    assert answered.inference == expected.tolist() and answered.uncertainty.to_dict() == {}
    binary = actor(
        "inference.predict_binary", model_id, torch.tensor(INPUT)
    )  # a tensor file in, a pickle out
    assert isinstance(binary, BinaryInference) and torch.equal(binary.inference, expected)
    assert binary.uncertainty == {}


def test_mc_dropout_inference_reports_the_mean_and_its_uncertainty(
    emulator: FLEmulator, clients: Any
) -> None:
    actor = clients(base_url=emulator.url, token=emulator.create_user("actor").token)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Dropout(0.5), torch.nn.Linear(16, 3))
    model_id = _trained_model(emulator, actor, net, uncertainty="MC_DROPOUT")

    answered = actor("inference.predict_binary", model_id, INPUT)
    assert answered.inference.shape == (2, 3)
    assert torch.allclose(answered.inference.sum(dim=1), torch.ones(2))  # the mean of softmaxed passes
    assert set(answered.uncertainty) == {
        "variance",
        "std",
        "predictive_entropy",
        "expected_entropy",
        "mutual_info",
    }
    assert answered.uncertainty["variance"].shape == (2, 3) and answered.uncertainty["mutual_info"].shape == (
        2,
    )
    assert bool((answered.uncertainty["variance"] > 0).any())  # dropout stayed active across the 7 passes
    as_json = actor("inference.predict", model_id, INPUT)
    assert len(as_json.inference) == 2 and set(as_json.uncertainty.to_dict()) == set(answered.uncertainty)


def test_inference_applies_the_preprocessing_module_and_reads_images(
    emulator: FLEmulator, clients: Any
) -> None:
    actor = clients(base_url=emulator.url, token=emulator.create_user("actor").token)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 3))
    with_preprocessing = _trained_model(
        emulator, actor, net, preprocessing=torch.nn.Sequential(torch.nn.Flatten()), input_shape=[None, 6]
    )
    images = torch.arange(12.0).reshape(2, 2, 3)  # flattened to 2 x 6 by the model's own module
    answered = actor("inference.predict_binary", with_preprocessing, images)
    assert torch.equal(answered.inference, net(images.flatten(1)).argmax(dim=1))

    image_module = pytest.importorskip("PIL.Image")
    picture = image_module.new("L", (6, 2))
    picture.putdata([0, 51, 102, 153, 204, 255] * 2)
    png = io.BytesIO()
    picture.save(png, format="PNG")
    plain = _trained_model(emulator, actor, net)
    answered = actor("inference.predict_binary", plain, png.getvalue())  # 1 x 2 x 6 in [0, 1]
    pixels = torch.tensor([0, 51, 102, 153, 204, 255] * 2, dtype=torch.float32).reshape(1, 2, 6) / 255
    assert torch.equal(answered.inference, net(pixels).argmax(dim=1))


def test_inference_errors_are_the_servers(emulator: FLEmulator, clients: Any) -> None:
    actor_user = emulator.create_user("actor")
    actor = clients(base_url=emulator.url, token=actor_user.token)
    model_id = _trained_model(emulator, actor, small_model(), input_shape=[None, 4])
    lone = str(actor("models.create", small_model(), name="no-training").model_id)

    with pytest.raises(BadRequestError, match="Input shape does not match model input shape"):
        actor("inference.predict", model_id, [[1.0, 2.0, 3.0]])
    with pytest.raises(InternalServerError, match="Internal Server Error occurred during inference"):
        actor(
            "inference.predict", model_id, [[1, 2, 3, 4]]
        )  # integers: an int64 tensor a float model refuses
    with pytest.raises(InternalServerError, match="Internal Server Error occurred during inference"):
        actor("inference.predict", lone, INPUT)  # no training: no uncertainty method
    with pytest.raises(BadRequestError, match=r"could not be casted .* no preprecessing is defined"):
        actor("inference.predict", model_id, [[1.0, 2.0], [3.0]])  # ragged
    with pytest.raises(NotFoundError):
        actor("inference.predict", "8f7e3f3c-1d7a-4a53-9a44-2b4f1c0e8d11", INPUT)

    raw = [
        ({"json": {"model_input": INPUT}}, 400, ["No 'model_id' provided in request."]),
        ({"json": {"model_id": model_id, "model_input": INPUT, "return_format": "xml"}}, 400,
         ["Unknown return format 'xml'. Supported are binary and json."]),
        ({"json": {"model_id": model_id, "model_input": []}}, 400, ["No uploaded file 'model_input' found."]),
        ({"data": {"model_id": model_id}}, 415, None),  # form-encoded is not read by this view
    ]  # fmt: skip
    for body, status, answer in raw:
        response = _raw(emulator, actor_user, "POST", "/api/inference/", **body)
        assert response.status_code == status, body
        if answer is not None:
            assert response.json() == answer
    unsupported = _raw(emulator, actor_user, "POST", "/api/inference/", data={"model_id": model_id})
    assert unsupported.json()["detail"].startswith('Unsupported media type "Only Content-Type')
    multipart = _raw(emulator, actor_user, "POST", "/api/inference/", data={"model_id": model_id},
                     files={"model_input": ("x.pt", torch_bytes(torch.tensor(INPUT)), "application/octet-stream")})  # fmt: skip
    assert multipart.headers["content-type"] == "application/octet-stream"  # binary is multipart's default
