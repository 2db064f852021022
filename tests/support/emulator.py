"""Fixtures for the emulator's tests: an emulator whose every answer is checked against the
contract, a notification sink that records (and contract-checks) what the emulator sends, and
participants played in-process with `Communication` (closed after each test)."""

from __future__ import annotations

import functools
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from fl_client import Communication
from fl_client.testing import EmulatedUser, Exchange, FLEmulator, NotificationRecord
from support.contract import Contract, ContractViolation
from support.models import script_bytes, small_model

# Answers the document does not describe, by design: Django's HTML 404 for unknown routes, the 301
# to the slash form, and DRF's 405 for a wrong method on a known route (API reference §1).
_UNDOCUMENTED_STATUSES = {301, 404, 405}


@dataclass
class ContractChecker:
    """Observer of the emulator: validates every answer (and records request mismatches)."""

    contract: Contract
    response_violations: list[str] = field(default_factory=list)
    request_violations: list[str] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)
        if not self._documented(exchange):
            if exchange.status not in _UNDOCUMENTED_STATUSES | {401}:
                with self._lock:
                    self.response_violations.append(
                        f"{exchange.method} {exchange.url}: undocumented route answered {exchange.status}"
                    )
            return
        try:
            self.contract.validate_response(
                exchange.method,
                exchange.url,
                request_headers=exchange.request_headers,
                status=exchange.status,
                content_type=exchange.content_type,
                body=exchange.response_body,
                headers=exchange.response_headers,
            )
        except ContractViolation as exc:
            with self._lock:
                self.response_violations.append(str(exc))
        try:
            self.contract.validate_request(
                exchange.method, exchange.url, headers=exchange.request_headers, body=exchange.request_body
            )
        except ContractViolation as exc:
            with self._lock:
                self.request_violations.append(str(exc))

    def _documented(self, exchange: Exchange) -> bool:
        try:
            self.contract._operation(exchange.method, urlsplit(exchange.url).path)
        except ContractViolation:
            return False
        return exchange.status not in _UNDOCUMENTED_STATUSES

    @property
    def statuses(self) -> list[int]:
        return [e.status for e in self.exchanges]


@pytest.fixture
def contract_checker(contract: Contract) -> Iterator[ContractChecker]:
    checker = ContractChecker(contract)
    yield checker
    assert not checker.response_violations, "\n".join(checker.response_violations)


@pytest.fixture
def emulator(contract_checker: ContractChecker) -> Iterator[FLEmulator]:
    """An emulator whose every answer is validated against the contract at teardown."""
    with FLEmulator() as server:
        server.add_observer(contract_checker)
        yield server
    assert contract_checker.exchanges, "the test made no request to the emulator"


@dataclass
class NotificationSink:
    """A receiver that records every notification body and answers like the reference client."""

    contract: Contract
    received: list[dict[str, Any]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    status_for: dict[str, int] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def types(self) -> list[str]:
        return [n["notification_type"] for n in self.received]


def _sink_handler(sink: NotificationSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            try:
                sink.contract.validate_notification(body)
            except ContractViolation as exc:
                sink.violations.append(str(exc))
            sink.received.append(body)
            kind = body.get("notification_type")
            status = sink.status_for.get(
                kind, 202 if kind in {"UPDATE_ROUND_START", "MODEL_TEST_ROUND"} else 200
            )
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def sink(contract: Contract) -> Iterator[NotificationSink]:
    recorder = NotificationSink(contract)
    recorder.server = ThreadingHTTPServer(("127.0.0.1", 0), _sink_handler(recorder))
    thread = threading.Thread(
        target=recorder.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield recorder
    recorder.server.shutdown()
    recorder.server.server_close()
    assert not recorder.violations, "\n".join(recorder.violations)


# ---------------------------------------------------------------------------------------------
# Participants played in-process with `Communication`


@functools.cache
def model_file() -> bytes:
    """A small TorchScript model as the server stores it."""
    return script_bytes(small_model())


_OPEN: list[Communication] = []


def comm(
    server: FLEmulator, user: EmulatedUser, training_id: str, round: int, model_id: str
) -> Communication:
    """A participant's `Communication` for one round (closed after the test)."""
    communication = Communication.from_http_authorization(
        uuid.UUID(user.id),
        uuid.UUID(training_id),
        round,
        uuid.UUID(model_id),
        user.authorization,
        base_url=server.url,
        max_retries=0,
    )
    _OPEN.append(communication)
    return communication


@pytest.fixture(autouse=True)
def _close_communications() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def for_user(user: EmulatedUser, kind: str | None = None) -> Callable[[NotificationRecord], bool]:
    """Selects the notifications to ``user`` (of one ``kind``, when given)."""
    return lambda r: r.user_id == user.id and (kind is None or r.notification_type == kind)
