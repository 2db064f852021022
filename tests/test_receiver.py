"""`NotificationReceiver` over real HTTP on 127.0.0.1: every type, every bad input, order, duplicates,
protection options, a burst from concurrent senders."""

from __future__ import annotations

import json
import logging
import random
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.contract import Contract
from support.notifications import (
    EXPECTED_STATUS,
    GLOBAL_MODEL_ID,
    LOCAL_MODEL_ID,
    MODEL_TYPES,
    ROUND_TYPES,
    TRAINING_ID,
    RecordingDispatcher,
    encode,
    notification,
    raw_exchange,
    read_answer,
    run_key,
    running,
    script_settings,
)

from fl_client import Communication, NotificationReceiver, ScriptDispatcher
from fl_client.participant.runs import RunState

T = UUID(TRAINING_ID)


def check_answer(contract: Contract, response: httpx.Response) -> None:
    """Every answer is JSON of the shape the contract documents."""
    assert response.headers["content-type"] == "application/json"
    name = "NotificationAnswer" if response.status_code < 300 else "ErrorDetail"
    contract.check_schema(response.json(), contract.component(name), f"answer {response.status_code}")


@pytest.fixture
def recording() -> Iterator[tuple[NotificationReceiver, RecordingDispatcher]]:
    dispatcher = RecordingDispatcher()
    with running(
        NotificationReceiver(dispatcher=dispatcher, host="127.0.0.1", port=0, body_timeout=0.5)
    ) as receiver:
        yield receiver, dispatcher


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as http:
        yield http


# ---------------------------------------------------------------------------------------------
# Every notification type, with the real record script


@pytest.fixture
def scripted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[NotificationReceiver, Path]]:
    records = tmp_path / "records"
    records.mkdir()
    monkeypatch.setenv("RECORD_DIR", str(records))
    dispatcher = ScriptDispatcher(
        settings=script_settings(tmp_path), log_dir=tmp_path / "logs", authorization="Token x"
    )
    with running(NotificationReceiver(dispatcher=dispatcher, host="127.0.0.1", port=0)) as receiver:
        yield receiver, records


@pytest.mark.slow
def test_every_type_is_answered_as_the_contract_says_and_rounds_run_the_script(
    scripted: tuple[NotificationReceiver, Path], client: httpx.Client, contract: Contract
) -> None:
    receiver, records = scripted
    for kind in ("TRAINING_START", *ROUND_TYPES, "TRAINING_FINISHED", "CLIENT_REMOVED"):
        body = notification(kind, round=1)
        contract.validate_notification(body)
        started = time.perf_counter()
        response = client.post(receiver.url, json=body)
        assert time.perf_counter() - started < 1.0  # the script runs in the background
        assert response.status_code == EXPECTED_STATUS[kind]
        assert response.status_code in contract.webhook_answer_statuses(kind)
        check_answer(contract, response)
    assert receiver.dispatcher.wait_idle(10)
    for action in ("train", "test", "swag"):
        record = json.loads((records / f"{action}-1.json").read_text())
        assert record["argv"][1:] == [
            action,
            "--training-id",
            TRAINING_ID,
            "--round",
            "1",
            "--model-id",
            GLOBAL_MODEL_ID,
        ]
        assert record["env"]["FL_CLIENT_GLOBAL_MODEL_ID"] == GLOBAL_MODEL_ID
    assert {run.state for run in receiver.dispatcher.runs()} == {RunState.SUCCEEDED}


@pytest.mark.slow
def test_round_start_before_training_start_works(
    scripted: tuple[NotificationReceiver, Path], client: httpx.Client
) -> None:
    """Order is not guaranteed (section 9.3); a daisy-chain round's model is a local one."""
    receiver, records = scripted
    assert (
        client.post(
            receiver.url, json=notification("UPDATE_ROUND_START", round=1, model=LOCAL_MODEL_ID)
        ).status_code
        == 202
    )
    assert receiver.dispatcher.wait_idle(10)
    assert client.post(receiver.url, json=notification("TRAINING_START")).status_code == 200
    assert (
        client.post(
            receiver.url, json=notification("UPDATE_ROUND_START", round=2, model=LOCAL_MODEL_ID)
        ).status_code
        == 202
    )
    assert receiver.dispatcher.wait_idle(10)
    early = json.loads((records / "train-1.json").read_text())["env"]
    later = json.loads((records / "train-2.json").read_text())["env"]
    assert early["FL_CLIENT_MODEL_ID"] == LOCAL_MODEL_ID and "FL_CLIENT_GLOBAL_MODEL_ID" not in early
    assert (
        later["FL_CLIENT_MODEL_ID"] == LOCAL_MODEL_ID
        and later["FL_CLIENT_GLOBAL_MODEL_ID"] == GLOBAL_MODEL_ID
    )


@pytest.mark.slow
def test_a_failing_script_does_not_change_the_answer_and_is_logged(
    scripted: tuple[NotificationReceiver, Path],
    client: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver, _ = scripted
    monkeypatch.setenv("RECORD_EXIT", "1")
    with caplog.at_level(logging.INFO, logger="fl.client"):
        assert client.post(receiver.url, json=notification("MODEL_TEST_ROUND", round=5)).status_code == 202
        assert receiver.dispatcher.wait_idle(10)
        assert client.post(receiver.url, json=notification("MODEL_TEST_ROUND", round=6)).status_code == 202
        assert receiver.dispatcher.wait_idle(10)
    assert [run.returncode for run in receiver.dispatcher.runs()] == [1, 1]
    assert any(
        "run failed: test" in r.getMessage() and "stderr line of test 5" in r.getMessage()
        for r in caplog.records
    )
    assert sum(r.getMessage().startswith("notification from 127.0.0.1 -> 202") for r in caplog.records) == 2


# ---------------------------------------------------------------------------------------------
# Duplicates and order


def test_duplicates_start_one_run_and_are_answered_2xx_again(
    recording: tuple[NotificationReceiver, RecordingDispatcher], client: httpx.Client, contract: Contract
) -> None:
    receiver, dispatcher = recording
    answers = [client.post(receiver.url, json=notification("UPDATE_ROUND_START", round=3)) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert "already submitted" in answers[2].json()["detail"]
    for answer in answers:
        check_answer(contract, answer)
    body = notification("MODEL_TEST_ROUND", round=3)
    with ThreadPoolExecutor(8) as pool:  # the same notification from concurrent senders
        statuses = list(pool.map(lambda _: client.post(receiver.url, json=body).status_code, range(16)))
    assert set(statuses) == {202}
    assert dispatcher.wait_idle(5)
    assert sorted(dispatcher.executed) == sorted(
        [run_key("UPDATE_ROUND_START", 3), run_key("MODEL_TEST_ROUND", 3)]
    )


# ---------------------------------------------------------------------------------------------
# Bad input: always a JSON answer, and the receiver keeps serving


BAD_JSON_BODIES = [
    b"not json",
    b"[]",
    encode({"notification_type": "UPDATE_ROUND_START", "training_uuid": TRAINING_ID}),
    encode({**notification("UPDATE_ROUND_START"), "training_uuid": "not-a-uuid"}),
    encode(
        {**notification("UPDATE_ROUND_START"), "body": {"round": "1", "global_model_uuid": GLOBAL_MODEL_ID}}
    ),
    encode({**notification("TRAINING_START"), "body": {"global_model_uuid": 5}}),
]


@pytest.mark.parametrize("raw", BAD_JSON_BODIES)
def test_malformed_bodies_get_400_with_a_reason(
    raw: bytes,
    recording: tuple[NotificationReceiver, RecordingDispatcher],
    client: httpx.Client,
    contract: Contract,
) -> None:
    receiver, dispatcher = recording
    response = client.post(receiver.url, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    check_answer(contract, response)
    assert response.json()["detail"]
    assert client.post(receiver.url, json=notification("TRAINING_START")).status_code == 200
    assert dispatcher.runs() == []


def test_an_unknown_type_goes_to_unknown_message_and_gets_400(
    recording: tuple[NotificationReceiver, RecordingDispatcher], client: httpx.Client, contract: Contract
) -> None:
    receiver, _ = recording
    response = client.post(
        receiver.url, json={"notification_type": "NEW", "body": {}, "training_uuid": TRAINING_ID}
    )
    assert response.status_code == 400
    check_answer(contract, response)
    assert "NEW" in response.json()["detail"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_get_405(
    method: str,
    recording: tuple[NotificationReceiver, RecordingDispatcher],
    client: httpx.Client,
    contract: Contract,
) -> None:
    receiver, _ = recording
    response = client.request(method, receiver.url)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    check_answer(contract, response)
    head = client.head(receiver.url)
    assert head.status_code == 405 and head.content == b""


def test_a_body_over_the_limit_gets_413_without_being_read(client: httpx.Client, contract: Contract) -> None:
    with running(
        NotificationReceiver(dispatcher=RecordingDispatcher(), host="127.0.0.1", port=0)
    ) as receiver:
        assert receiver.max_body_bytes == 1024 * 1024  # the default
        response = client.post(receiver.url, content=b" " * (1024 * 1024 + 1))
        assert response.status_code == 413
        check_answer(contract, response)
        # only the announced length matters: the server does not wait for a body it will not read
        status, _, _ = raw_exchange(
            receiver.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n"
        )
        assert status == 413
    small = NotificationReceiver(
        dispatcher=RecordingDispatcher(), host="127.0.0.1", port=0, max_body_bytes=100
    )
    with running(small):
        assert client.post(small.url, json=notification("TRAINING_START")).status_code == 413


def test_missing_or_chunked_length_gets_411(
    recording: tuple[NotificationReceiver, RecordingDispatcher],
) -> None:
    receiver, _ = recording
    status, _, body = raw_exchange(receiver.port, b"POST / HTTP/1.1\r\nHost: x\r\n\r\n{}")
    assert status == 411 and "Content-Length" in json.loads(body)["detail"]
    chunked = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    assert raw_exchange(receiver.port, chunked)[0] == 411
    assert raw_exchange(receiver.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")[0] == 400


def test_a_half_sent_body_times_out_with_408_and_frees_the_worker(
    recording: tuple[NotificationReceiver, RecordingDispatcher], client: httpx.Client
) -> None:
    receiver, _ = recording  # body_timeout=0.5
    started = time.monotonic()
    status, headers, body = raw_exchange(
        receiver.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"{" * 10
    )
    assert status == 408 and headers["connection"] == "close"
    assert "in time" in json.loads(body)["detail"]
    assert 0.4 < time.monotonic() - started < 3
    assert client.post(receiver.url, json=notification("TRAINING_START")).status_code == 200


def test_a_trickled_body_hits_one_overall_deadline(
    recording: tuple[NotificationReceiver, RecordingDispatcher],
) -> None:
    """One byte per 50 ms never trips a per-read timeout, but the whole body has 0.5 s."""
    receiver, _ = recording
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        sock.settimeout(0.05)
        while True:  # pace the bytes by waiting for the answer, which ends the loop
            try:
                peek = sock.recv(1, socket.MSG_PEEK)
            except TimeoutError:
                sock.sendall(b" ")
                continue
            assert peek
            break
        sock.settimeout(5)
        status, _, _ = read_answer(sock)
    assert status == 408
    assert time.monotonic() - started < 3


def test_a_client_that_disconnects_mid_body_does_not_hurt(
    recording: tuple[NotificationReceiver, RecordingDispatcher], client: httpx.Client
) -> None:
    receiver, _ = recording
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        sock.shutdown(socket.SHUT_WR)
        status, _, body = read_answer(sock)
    assert status == 400 and "ended after 1 of 100" in json.loads(body)["detail"]
    garbage = raw_exchange(receiver.port, b"\x00\x01 nonsense\r\n\r\n")
    assert garbage[0] == 400 and "detail" in json.loads(garbage[2])
    assert client.post(receiver.url, json=notification("TRAINING_START")).status_code == 200


_HTTP_PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_HTTP_PROPERTY
@given(raw=st.binary(max_size=200) | st.text(max_size=100).map(str.encode))
def test_arbitrary_bodies_over_http_always_get_a_json_answer(
    raw: bytes, recording: tuple[NotificationReceiver, RecordingDispatcher], client: httpx.Client
) -> None:
    receiver, _ = recording
    response = client.post(receiver.url, content=raw)
    assert response.status_code == 400
    assert "detail" in response.json()


# ---------------------------------------------------------------------------------------------
# The user's Communication subclass


class Recorder(Communication):
    calls: ClassVar[list[tuple[str, tuple[Any, ...]]]] = []
    unknown_status: ClassVar[Any] = 400

    @classmethod
    def init_training(cls, training_id: UUID, model_id: UUID) -> None:
        cls.calls.append(("init_training", (training_id, model_id)))

    @classmethod
    def start_training(cls, training_id: UUID, round: int, model_id: UUID) -> None:
        cls.calls.append(("start_training", (training_id, round, model_id)))
        super().start_training(training_id, round, model_id)

    @classmethod
    def start_testing(cls, training_id: UUID, round: int, model_id: UUID) -> None:
        raise RuntimeError("user code broke")

    @classmethod
    def end_training(cls, training_id: UUID, model_id: UUID) -> None:
        cls.calls.append(("end_training", (training_id, model_id)))

    @classmethod
    def client_removed(cls, training_id: UUID, model_id: UUID) -> None:
        cls.calls.append(("client_removed", (training_id, model_id)))

    @classmethod
    def unknown_message(cls, message_type: str, training_id: UUID, data: Any) -> int:
        cls.calls.append(("unknown_message", (message_type, training_id, data)))
        return int(cls.unknown_status) if isinstance(cls.unknown_status, int) else cls.unknown_status


def test_the_subclass_handlers_are_called_and_their_failures_answered_500(client: httpx.Client) -> None:
    Recorder.calls = []
    dispatcher = RecordingDispatcher(communication=Recorder)
    receiver = NotificationReceiver(communication=Recorder, dispatcher=dispatcher, host="127.0.0.1", port=0)
    g = UUID(GLOBAL_MODEL_ID)
    with running(receiver):
        statuses = [
            client.post(receiver.url, json=notification(k, round=2)).status_code
            for k in (*MODEL_TYPES, *ROUND_TYPES)
        ]
        Recorder.unknown_status = 202
        unknown = client.post(
            receiver.url, json={"notification_type": "X", "body": 1, "training_uuid": TRAINING_ID}
        )
        Recorder.unknown_status = "nonsense"
        nonsense = client.post(
            receiver.url, json={"notification_type": "Y", "body": 1, "training_uuid": TRAINING_ID}
        )
        assert dispatcher.wait_idle(5)
    # MODEL_TEST_ROUND's handler raised: 500 says so; everything else as usual
    assert statuses == [200, 200, 200, 202, 500, 202]
    assert (unknown.status_code, nonsense.status_code) == (202, 400)
    assert [name for name, _ in Recorder.calls] == [
        "init_training", "end_training", "client_removed", "start_training", "unknown_message", "unknown_message",
    ]  # fmt: skip
    assert Recorder.calls[3] == ("start_training", (T, 2, g))
    # start_swag is inherited and goes through the dispatcher too
    assert sorted(dispatcher.executed) == sorted(
        [run_key("UPDATE_ROUND_START", 2), run_key("SWAG_ROUND_START", 2)]
    )


# ---------------------------------------------------------------------------------------------
# Protection (off by default)


def test_allow_list_and_shared_secret(client: httpx.Client, contract: Contract) -> None:
    body = notification("TRAINING_START")
    elsewhere = NotificationReceiver(
        dispatcher=RecordingDispatcher(), host="127.0.0.1", port=0, allowed_sources=["10.0.0.0/8"]
    )
    with running(elsewhere):
        response = client.post(elsewhere.url, json=body)
        assert response.status_code == 403
        check_answer(contract, response)
    local = NotificationReceiver(
        dispatcher=RecordingDispatcher(),
        host="127.0.0.1",
        port=0,
        allowed_sources=["192.168.0.0/16", "127.0.0.1"],
        shared_secret="proxy-secret",
    )
    with running(local):
        assert client.post(local.url, json=body).status_code == 403
        assert client.post(local.url, json=body, headers={"X-FL-Client-Secret": "wrong"}).status_code == 403
        assert (
            client.post(local.url, json=body, headers={"x-fl-client-secret": "proxy-secret"}).status_code
            == 200
        )
        assert "proxy-secret" not in repr(local)


def test_stop_answers_nothing_more_and_late_runs_get_503() -> None:
    dispatcher = RecordingDispatcher()
    receiver = NotificationReceiver(dispatcher=dispatcher, host="127.0.0.1", port=0)
    with running(receiver):
        url = receiver.url
    with pytest.raises(httpx.ConnectError):
        httpx.post(url, json=notification("TRAINING_START"))
    answer = receiver.handle_notification(encode(notification("UPDATE_ROUND_START")))
    assert answer.status == 503 and answer.headers["Retry-After"] == "5"


# ---------------------------------------------------------------------------------------------
# A burst


@pytest.mark.slow
def test_a_burst_of_1000_notifications_from_concurrent_senders(capsys: pytest.CaptureFixture[str]) -> None:
    """Every valid notification is answered 2xx, every bad one 400, and each round runs once."""
    rng = random.Random(3)
    distinct = [("UPDATE_ROUND_START", r) for r in range(125)] + [
        ("MODEL_TEST_ROUND", r) for r in range(1, 126)
    ]
    valid = [notification(kind, round=r) for kind, r in distinct for _ in range(3)]  # 750, each key 3 times
    valid += [notification(rng.choice(["TRAINING_START", "TRAINING_FINISHED"])) for _ in range(50)]
    bad = [rng.choice(BAD_JSON_BODIES) for _ in range(200)]
    requests: list[tuple[bytes, bool]] = [(encode(b), True) for b in valid] + [(b, False) for b in bad]
    rng.shuffle(requests)
    assert len(requests) == 1000

    dispatcher = RecordingDispatcher(max_concurrent=4)
    receiver = NotificationReceiver(dispatcher=dispatcher, host="127.0.0.1", port=0)
    senders = 16
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def send(share: list[tuple[bytes, bool]]) -> None:
        with httpx.Client(timeout=10) as http:
            for raw, is_valid in share:
                started = time.perf_counter()
                status = http.post(
                    receiver.url, content=raw, headers={"Content-Type": "application/json"}
                ).status_code
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if (200 <= status < 300) != is_valid or (not is_valid and status != 400):
                        failures.append(f"{status} for {raw[:80]!r}")

    with running(receiver):
        started = time.perf_counter()
        with ThreadPoolExecutor(senders) as pool:
            list(pool.map(send, [requests[i::senders] for i in range(senders)]))
        total = time.perf_counter() - started
        assert dispatcher.wait_idle(10)
    assert failures == []
    assert len(latencies) == 1000
    executed = dispatcher.executed
    assert len(executed) == len(set(executed)) == len(distinct)
    assert set(executed) == {run_key(kind, r) for kind, r in distinct}
    p99 = statistics.quantiles(latencies, n=100)[98]
    with capsys.disabled():
        print(
            f"\nburst: 1000 notifications from {senders} senders in {total:.2f} s, p99 answer {p99 * 1000:.1f} ms"
        )
    assert p99 < 2.0


# ---------------------------------------------------------------------------------------------
# Slow peers hold bounded resources


def test_trickled_header_bytes_hit_one_overall_deadline(
    recording: tuple[NotificationReceiver, RecordingDispatcher],
) -> None:
    """One header byte per 50 ms never trips a per-read timeout, but the head has 0.5 s in all."""
    receiver, _ = recording
    started = time.monotonic()
    ended = False
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(0.05)
        while not ended and time.monotonic() - started < 5:
            try:
                sock.recv(1)  # EOF or an answer: the receiver ended the request
                ended = True
            except TimeoutError:
                try:
                    sock.sendall(b"X")
                except OSError:
                    ended = True
            except OSError:
                ended = True
    assert ended and time.monotonic() - started < 3


def test_200_slow_connections_do_not_delay_a_real_notification(
    recording: tuple[NotificationReceiver, RecordingDispatcher], client: httpx.Client
) -> None:
    receiver, _ = recording
    receiver.body_timeout = 30.0  # slow peers keep their threads for the whole test
    slow = []
    try:
        for _ in range(200):
            sock = socket.create_connection(("127.0.0.1", receiver.port), timeout=5)
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # never finished
            slow.append(sock)
        answer = client.post(receiver.url, json=notification("TRAINING_START"), timeout=5)
        assert answer.status_code == 200
    finally:
        for sock in slow:
            sock.close()


def test_connections_beyond_the_limit_get_503_without_a_thread() -> None:
    dispatcher = RecordingDispatcher()
    receiver = NotificationReceiver(
        dispatcher=dispatcher, host="127.0.0.1", port=0, body_timeout=30, max_connections=4
    )
    with running(receiver):
        held = [socket.create_connection(("127.0.0.1", receiver.port), timeout=5) for _ in range(4)]
        try:
            # connections are accepted in order: these four hold every slot
            status, headers, body = raw_exchange(receiver.port, b"POST / HTTP/1.1\r\n")
            assert status == 503 and headers["retry-after"] == "1"
            assert "too many connections" in json.loads(body)["detail"]
        finally:
            for sock in held:
                sock.close()
        # closed connections free their slots
        deadline = time.monotonic() + 5
        while True:
            answer = httpx.post(receiver.url, json=notification("TRAINING_START"), timeout=5)
            if answer.status_code == 200 or time.monotonic() > deadline:
                break
        assert answer.status_code == 200
