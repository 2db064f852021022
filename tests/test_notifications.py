"""The body parser: every contract type parses into its generated model; everything else is a
`NotificationError` -- never another exception (property tests with hypothesis)."""

from __future__ import annotations

import contextlib
import json
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.contract import Contract
from support.notifications import (
    GLOBAL_MODEL_ID,
    MODEL_TYPES,
    ROUND_TYPES,
    TRAINING_ID,
    RecordingDispatcher,
    encode,
    notification,
)

from fl_client import NotificationError, NotificationReceiver, parse_notification
from fl_client.participant.notifications import (
    ClientRemovedNotification,
    ModelTestRoundNotification,
    SwagRoundStartNotification,
    TrainingFinishedNotification,
    TrainingStartNotification,
    UnknownNotification,
    UpdateRoundStartNotification,
)

CLASSES = {
    "TRAINING_START": TrainingStartNotification,
    "UPDATE_ROUND_START": UpdateRoundStartNotification,
    "MODEL_TEST_ROUND": ModelTestRoundNotification,
    "SWAG_ROUND_START": SwagRoundStartNotification,
    "TRAINING_FINISHED": TrainingFinishedNotification,
    "CLIENT_REMOVED": ClientRemovedNotification,
}


@pytest.mark.parametrize("kind", [*ROUND_TYPES, *MODEL_TYPES])
def test_every_contract_type_parses_into_its_generated_model(kind: str, contract: Contract) -> None:
    body = notification(kind, round=3)
    contract.validate_notification(body)
    parsed = parse_notification(encode(body))
    assert type(parsed) is CLASSES[kind]
    assert parsed.notification_type == kind
    assert parsed.training_uuid == UUID(TRAINING_ID)
    assert parsed.body.global_model_uuid == UUID(GLOBAL_MODEL_ID)
    if kind in ROUND_TYPES:
        assert isinstance(
            parsed, UpdateRoundStartNotification | ModelTestRoundNotification | SwagRoundStartNotification
        )
        assert parsed.body.round_ == 3


def test_extra_keys_are_tolerated(contract: Contract) -> None:
    body = notification("UPDATE_ROUND_START", round=1)
    body["extra"] = {"x": 1}
    body["body"]["daisy_chain"] = True
    contract.validate_notification(body)
    parsed = parse_notification(encode(body))
    assert isinstance(parsed, UpdateRoundStartNotification)
    assert parsed.additional_properties == {"extra": {"x": 1}}


def test_an_unknown_type_is_returned_for_unknown_message() -> None:
    parsed = parse_notification(
        encode({"notification_type": "NEW_THING", "body": [1], "training_uuid": TRAINING_ID})
    )
    assert parsed == UnknownNotification("NEW_THING", UUID(TRAINING_ID), [1])


def _with(path: str, value: Any) -> dict[str, Any]:
    body = notification("UPDATE_ROUND_START", round=2)
    target = body
    *parents, key = path.split(".")
    for parent in parents:
        target = target[parent]
    if value is _DELETE:
        del target[key]
    else:
        target[key] = value
    return body


_DELETE = object()

BAD_BODIES: list[tuple[str, bytes, str]] = [
    ("empty", b"", "not valid JSON"),
    ("not json", b"{notification", "not valid JSON"),
    ("not utf-8", b'{"a": "\xff\xfe"}', "not valid JSON"),
    ("deeply nested", b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    ("array", b"[1, 2]", "must be a JSON object, not an array"),
    ("string", b'"TRAINING_START"', "must be a JSON object, not a string"),
    ("null", b"null", "not null"),
    ("no type", encode(_with("notification_type", _DELETE)), "missing field 'notification_type'"),
    ("type not a string", encode(_with("notification_type", 3)), "'notification_type' must be a string"),
    ("no training", encode(_with("training_uuid", _DELETE)), "missing field 'training_uuid'"),
    ("training not a uuid", encode(_with("training_uuid", "600355d0")), "'training_uuid' is not a UUID"),
    ("training uuid in braces", encode(_with("training_uuid", "{" + TRAINING_ID + "}")), "not a UUID"),
    ("training uuid a number", encode(_with("training_uuid", 12)), "must be a string, not a number"),
    ("no body", encode(_with("body", _DELETE)), "missing field 'body'"),
    ("body not an object", encode(_with("body", [])), "'body' must be an object"),
    ("no round", encode(_with("body.round", _DELETE)), "missing field 'body.round'"),
    ("round a string", encode(_with("body.round", "2")), "'body.round' must be an integer, not a string"),
    ("round a float", encode(_with("body.round", 2.5)), "'body.round' must be an integer, not a number"),
    ("round a boolean", encode(_with("body.round", True)), "not a boolean"),
    ("round negative", encode(_with("body.round", -1)), "non-negative"),
    ("no model", encode(_with("body.global_model_uuid", _DELETE)), "missing field 'body.global_model_uuid'"),
    ("model not a uuid", encode(_with("body.global_model_uuid", "x" * 500)), "is not a UUID"),
    ("model null", encode(_with("body.global_model_uuid", None)), "not null"),
]


@pytest.mark.parametrize(
    ("raw", "message"), [(raw, msg) for _, raw, msg in BAD_BODIES], ids=[c[0] for c in BAD_BODIES]
)
def test_bad_bodies_raise_notification_error_naming_the_problem(raw: bytes, message: str) -> None:
    with pytest.raises(NotificationError) as caught:
        parse_notification(raw)
    assert message in str(caught.value)
    assert len(str(caught.value)) < 200  # a huge value is never echoed whole


def test_a_training_start_body_needs_no_round() -> None:
    body = notification("TRAINING_START")
    body["body"]["round"] = "ignored"  # extra key of an unrelated type: tolerated
    assert isinstance(parse_notification(encode(body)), TrainingStartNotification)


# ---------------------------------------------------------------------------------------------
# Properties: nothing but NotificationError ever leaves the parser, and the handler always answers.

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
field_values = st.one_of(
    json_values,
    st.uuids().map(str),
    st.sampled_from([*CLASSES, "UNKNOWN", ""]),
    st.integers(min_value=-5, max_value=10**30),
)


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """Server-like bodies with any field replaced, dropped or added."""
    kind = draw(st.sampled_from([*CLASSES, "UNKNOWN"]))
    body = notification(kind if kind in CLASSES else "TRAINING_START", round=draw(st.integers(0, 50)))
    body["notification_type"] = kind
    for target in (body, body["body"]):
        for key in draw(st.lists(st.sampled_from(sorted(target)), max_size=2, unique=True)):
            if draw(st.booleans()):
                del target[key]
            else:
                target[key] = draw(field_values)
    return body


def _answers_always(raw: bytes, receiver: NotificationReceiver) -> None:
    answer = receiver.handle_notification(raw)
    assert answer.status in {200, 202, 400}
    assert ("status" in answer.body) == (answer.status < 300)
    json.dumps(answer.body)  # always serialisable


@pytest.fixture(scope="module")
def offline_receiver() -> Any:
    dispatcher = RecordingDispatcher()
    yield NotificationReceiver(dispatcher=dispatcher)
    dispatcher.shutdown(grace_period=5)


_PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_PROPERTY
@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(raw: bytes, offline_receiver: NotificationReceiver) -> None:
    with contextlib.suppress(NotificationError):
        parse_notification(raw)
    _answers_always(raw, offline_receiver)


@_PROPERTY
@given(value=json_values)
def test_arbitrary_json_never_raises(value: Any, offline_receiver: NotificationReceiver) -> None:
    raw = encode(value)
    with pytest.raises(NotificationError):
        parse_notification(raw)  # no arbitrary value is a full envelope
    _answers_always(raw, offline_receiver)


@_PROPERTY
@given(body=envelopes())
def test_mutated_envelopes_parse_or_fail_cleanly(
    body: dict[str, Any], offline_receiver: NotificationReceiver, contract: Contract
) -> None:
    raw = encode(body)
    try:
        parsed = parse_notification(raw)
    except NotificationError:
        parsed = None
    if parsed is not None and not isinstance(parsed, UnknownNotification):
        contract.validate_notification(body)  # what parses is exactly what the contract allows
    _answers_always(raw, offline_receiver)
