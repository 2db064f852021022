"""`NotificationReceiver`: the HTTP endpoint the server POSTs notifications to (``fl-client serve``).

The server does not retry a non-2xx answer, waits without a timeout, and its failure handling is
broken (API reference section 9.5): a wrong answer, a hung request or a crash here stalls the whole
training for every participant. So the receiver

* answers every request, with a JSON body, within milliseconds: the handler only parses the body,
  calls the `Communication` class method and queues a script run (`fl_client.participant.dispatch`);
* answers ``TRAINING_START`` 200, ``UPDATE_ROUND_START`` 202 (``train``), ``MODEL_TEST_ROUND`` 202
  (``test``), ``SWAG_ROUND_START`` 202 (``swag``), ``TRAINING_FINISHED`` and ``CLIENT_REMOVED`` 200,
  an unknown type what ``Communication.unknown_message`` returns (400);
* answers bad input without dying: malformed or mistyped bodies 400, other methods 405, a body
  over ``max_body_bytes`` 413 (before reading it), no Content-Length 411, and a body that does not
  arrive completely within ``body_timeout`` 408 -- a half-sent body costs one thread that long,
  never forever; the request head has one overall ``body_timeout`` deadline too (a peer that
  trickles header bytes is cut off), and at most ``max_connections`` connections are served at
  once (more get 503 straight away), so slow peers hold bounded resources;
* tolerates duplicates (one run per training, round and action) and any order (section 9.3);
* optionally accepts only some source addresses and/or requires a shared-secret header, for setups
  behind a proxy; both are off by default because the server itself sends no credentials.

It is the standard library's ``ThreadingHTTPServer``: one short-lived thread per connection is all
this traffic needs (a handful of notifications per round), and it adds no dependency.
"""

from __future__ import annotations

import hmac
import io
import ipaddress
import json
import logging
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from ..defaults import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_SERVER_HOST,
    DEFAULT_SERVER_PORT,
    DEFAULT_SHARED_SECRET_HEADER,
)
from ..exceptions import ConfigurationError, DispatcherStoppedError, NotificationError
from .communication import Communication
from .dispatch import ScriptDispatcher
from .notifications import (
    ClientRemovedNotification,
    ModelTestRoundNotification,
    Notification,
    SwagRoundStartNotification,
    TrainingFinishedNotification,
    TrainingStartNotification,
    UnknownNotification,
    UpdateRoundStartNotification,
    parse_notification,
)
from .scope import DispatchScope, dispatching_to

__all__ = ["Answer", "NotificationReceiver"]

logger = logging.getLogger("fl.client.receiver")

_IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_READ_CHUNK = 64 * 1024
_POLL_INTERVAL = 0.05  # how quickly stop() is noticed by serve_forever
_LISTEN_BACKLOG = 1024  # a burst of notifications must not overflow the accept queue


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status and JSON body (``{"status": ...}`` for 2xx, ``{"detail": ...}`` else)."""

    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)
    close: bool = False

    @classmethod
    def accepted(cls, status: int, detail: str) -> Answer:
        return cls(status, {"status": "accepted", "detail": detail})

    @classmethod
    def error(
        cls, status: int, detail: str, *, close: bool = False, headers: Mapping[str, str] | None = None
    ) -> Answer:
        return cls(status, {"detail": detail}, dict(headers or {}), close)


class NotificationReceiver:
    """Receives notifications over HTTP and hands them to a `Communication` class.

    ``start()`` binds and serves in a background thread (port 0 picks a free port: see ``port``);
    ``stop()`` stops accepting and shuts the dispatcher down (grace period, then kill). Also a
    context manager. ``handle_notification`` is the whole request logic without HTTP.
    """

    def __init__(
        self,
        *,
        communication: type[Communication] = Communication,
        dispatcher: ScriptDispatcher | None = None,
        host: str = DEFAULT_SERVER_HOST,
        port: int = DEFAULT_SERVER_PORT,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
        allowed_sources: Iterable[str] = (),
        shared_secret: str | None = None,
        shared_secret_header: str = DEFAULT_SHARED_SECRET_HEADER,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        """
        Args:
            communication: the class whose handlers are called (a subclass customises them).
            dispatcher: runs the scripts; default a `ScriptDispatcher` with settings from the environment.
            host, port: where to listen; port 0 picks a free one.
            max_body_bytes: larger bodies are answered 413 without being read.
            body_timeout: seconds a request's head, and then its body, may each take to arrive in
                all (and an idle connection may stay).
            allowed_sources: if given, only these addresses/networks (``10.0.0.0/8``, ``::1``) are served.
            shared_secret: if given, requests must carry it in ``shared_secret_header``.
            max_connections: connections served at once; more are answered 503 and closed.
        """
        if max_body_bytes < 1:
            raise ConfigurationError(f"max_body_bytes must be positive, not {max_body_bytes}")
        if max_connections < 1:
            raise ConfigurationError(f"max_connections must be positive, not {max_connections}")
        self.max_connections = max_connections
        self.communication = communication
        self.dispatcher = dispatcher or ScriptDispatcher(communication=communication)
        self.host = host
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout
        try:
            self.allowed_sources: tuple[_IPNetwork, ...] = tuple(
                ipaddress.ip_network(entry.strip(), strict=False) for entry in allowed_sources
            )
        except ValueError as exc:
            raise ConfigurationError(f"invalid allowed source: {exc}") from None
        self._shared_secret = shared_secret.encode() if shared_secret else None
        self.shared_secret_header = shared_secret_header
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        secret = "set" if self._shared_secret else "off"
        return (
            f"NotificationReceiver(url={self.url!r}, shared_secret={secret}, dispatcher={self.dispatcher!r})"
        )

    # -----------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The bound port (the real one after ``start()`` with port 0)."""
        if self._server is None:
            return self._requested_port
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/"

    def start(self) -> None:
        """Bind and serve in a background thread. Raises `ConfigurationError` if the port is taken."""
        if self._server is not None:
            return
        try:
            self._server = _Server(self, (self.host, self._requested_port))
        except OSError as exc:
            raise ConfigurationError(f"cannot listen on {self.host}:{self._requested_port}: {exc}") from None
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL},
            name="fl-client-receiver",
            daemon=True,
        )
        self._thread.start()
        logger.info("receiving notifications on %s", self.url)

    def stop(self, grace_period: float | None = None) -> None:
        """Stop accepting notifications, then shut the dispatcher down (see `ScriptDispatcher.shutdown`)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            logger.info("stopped receiving notifications")
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.dispatcher.shutdown(grace_period)

    def __enter__(self) -> NotificationReceiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -----------------------------------------------------------------------------------------
    def check_access(self, source: str, headers: Mapping[str, str]) -> Answer | None:
        """None if the request may proceed, else the 403 answer (allow-list, shared secret)."""
        if self.allowed_sources:
            try:
                address = ipaddress.ip_address(source)
            except ValueError:
                return Answer.error(403, "source address not allowed", close=True)
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
                address = address.ipv4_mapped
            if not any(address in network for network in self.allowed_sources):
                return Answer.error(403, "source address not allowed", close=True)
        if self._shared_secret is not None:
            wanted = self.shared_secret_header.lower()
            given = next((v for k, v in headers.items() if k.lower() == wanted), "").encode()
            if not hmac.compare_digest(given, self._shared_secret):
                return Answer.error(403, f"missing or wrong {self.shared_secret_header} header", close=True)
        return None

    def handle_notification(self, raw: bytes) -> Answer:
        """Parse a body and call the handler; never raises (every failure becomes an answer)."""
        try:
            notification = parse_notification(raw)
        except NotificationError as exc:
            return Answer.error(400, str(exc))
        try:
            with dispatching_to(self.dispatcher) as scope:
                return self._dispatch(notification, scope)
        except DispatcherStoppedError:
            return Answer.error(503, "the receiver is shutting down", headers={"Retry-After": "5"})
        except Exception as exc:  # the user's handler failed: say so, keep serving
            logger.exception("handler for %s failed", notification.notification_type)
            return Answer.error(500, f"the notification handler failed: {type(exc).__name__}")

    def _dispatch(self, notification: Notification | UnknownNotification, scope: DispatchScope) -> Answer:
        comm, dispatcher = self.communication, self.dispatcher
        training = notification.training_uuid
        if isinstance(notification, UnknownNotification):
            return self._unknown(notification)
        model = notification.body.global_model_uuid
        if isinstance(notification, TrainingStartNotification):
            dispatcher.note_global_model(training, model)
            comm.init_training(training, model)
            return Answer.accepted(200, "training initialised")
        if isinstance(notification, TrainingFinishedNotification):
            dispatcher.note_global_model(training, model)
            comm.end_training(training, model)
            return Answer.accepted(200, "training finished")
        if isinstance(notification, ClientRemovedNotification):
            comm.client_removed(training, model)
            return Answer.accepted(200, "client removed")
        round_ = int(notification.body.round_)
        if isinstance(notification, UpdateRoundStartNotification):
            if round_ == 0:  # round 0 is always broadcast with the global model (section 8.7)
                dispatcher.note_global_model(training, model)
            comm.start_training(training, round_, model)
        elif isinstance(notification, ModelTestRoundNotification):
            dispatcher.note_global_model(training, model)  # test rounds always use the global model
            comm.start_testing(training, round_, model)
        else:
            assert isinstance(notification, SwagRoundStartNotification)
            dispatcher.note_global_model(training, model)
            comm.start_swag(training, round_, model)
        detail = "; ".join(s.describe() for s in scope.submissions) or "handled"
        return Answer.accepted(202, detail)

    def _unknown(self, notification: UnknownNotification) -> Answer:
        kind = notification.notification_type
        status = self.communication.unknown_message(kind, notification.training_uuid, notification.body)
        if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
            logger.warning("unknown_message returned %r, not an HTTP status: answering 400", status)
            status = 400
        if status < 300:
            return Answer.accepted(status, f"notification type {kind[:60]!r} accepted")
        return Answer.error(status, f"unknown notification type {kind[:60]!r}")


# ---------------------------------------------------------------------------------------------
# HTTP


_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 46\r\n"
    b"Retry-After: 1\r\nConnection: close\r\n\r\n"
    b'{"detail": "too many connections, retry soon"}'
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = _LISTEN_BACKLOG

    def __init__(self, receiver: NotificationReceiver, address: tuple[str, int]) -> None:
        self.receiver = receiver
        self._active = 0
        self._active_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """One thread per connection, at most ``max_connections``: beyond, 503 without a thread."""
        with self._active_lock:
            busy = self._active >= self.receiver.max_connections
            if not busy:
                self._active += 1
        if not busy:
            try:
                super().process_request(request, client_address)
            except BaseException:
                self._release()
                raise
            return
        logger.warning("%d connections open: answering %s 503", self._active, client_address[0])
        try:
            request.setblocking(False)
            request.send(_BUSY)
        except OSError:
            pass
        self.shutdown_request(request)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release()

    def _release(self) -> None:
        with self._active_lock:
            self._active -= 1

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.exception("error while serving %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the server's `requests` session expects
    # headers and body leave in two writes: with Nagle's algorithm the body would wait for the
    # sender's delayed ACK (about 40 ms per answer)
    disable_nagle_algorithm = True
    # a request line without a version would make every answer a bare HTTP/0.9 body, no status
    default_request_version = "HTTP/1.0"
    server_version = "fl-client"
    sys_version = ""

    @property
    def receiver(self) -> NotificationReceiver:
        return cast(_Server, self.server).receiver

    def setup(self) -> None:
        super().setup()
        # bounds every socket read: a silent client, or an idle keep-alive connection, frees its
        # thread after this long; the reader adds one overall deadline per request head and body
        self.connection.settimeout(self.receiver.body_timeout)
        self._reader = _DeadlineReader(self.connection)
        self.rfile.close()  # the plain reader StreamRequestHandler made
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        """One request; its head (and any idle wait before it) has one overall deadline."""
        self._reader.deadline = time.monotonic() + self.receiver.body_timeout
        try:
            super().handle_one_request()
        finally:
            self._reader.deadline = None

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.client_address[0], format % args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, header limits, ...) as JSON too."""
        detail = message or self.responses.get(code, ("error",))[0]
        self._send(Answer.error(code, detail, close=True))

    def do_POST(self) -> None:
        started = time.perf_counter()
        source = str(self.client_address[0])
        answer = self.receiver.check_access(source, dict(self.headers.items())) or self._read_and_handle()
        self._send(answer)
        elapsed_ms = (time.perf_counter() - started) * 1000
        level = logging.INFO if answer.status < 400 else logging.WARNING
        detail = answer.body.get("detail", "")
        logger.log(
            level, "notification from %s -> %d %s (%.1f ms)", source, answer.status, detail, elapsed_ms
        )

    def _read_and_handle(self) -> Answer:
        if self.headers.get("Transfer-Encoding"):
            return Answer.error(411, "send the body with a Content-Length (no chunked encoding)", close=True)
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return Answer.error(411, "Content-Length required", close=True)
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError
        except ValueError:
            return Answer.error(400, "invalid Content-Length", close=True)
        limit = self.receiver.max_body_bytes
        if length > limit:
            return Answer.error(413, f"body of {length} bytes exceeds the limit of {limit} bytes", close=True)
        try:
            body = self._read_body(length)
        except TimeoutError:
            return Answer.error(408, "the body did not arrive in time", close=True)
        if len(body) < length:
            return Answer.error(400, f"body ended after {len(body)} of {length} bytes", close=True)
        return self.receiver.handle_notification(body)

    def _read_body(self, length: int) -> bytes:
        """Read exactly ``length`` bytes (fewer at EOF) within one overall deadline."""
        self._reader.deadline = time.monotonic() + self.receiver.body_timeout
        parts: list[bytes] = []
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read1(min(remaining, _READ_CHUNK))
            if not chunk:
                break
            parts.append(chunk)
            remaining -= len(chunk)
        return b"".join(parts)

    def _method_not_allowed(self) -> None:
        self._send(
            Answer.error(
                405, f"{self.command} not allowed: notifications are POSTed", headers={"Allow": "POST"}
            )
        )

    do_GET = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _method_not_allowed

    def do_HEAD(self) -> None:
        self._send(Answer.error(405, "HEAD not allowed", headers={"Allow": "POST"}), head=True)

    def _send(self, answer: Answer, *, head: bool = False) -> None:
        payload = json.dumps(answer.body).encode()
        if answer.close:
            self.close_connection = True
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            if answer.close:
                self.send_header("Connection", "close")
            self.end_headers()
            if not head:
                self.wfile.write(payload)
            self.wfile.flush()
        except OSError as exc:  # the sender went away; nothing left to tell it
            self.close_connection = True
            logger.debug("could not send the answer to %s: %s", self.client_address[0], exc)


class _DeadlineReader(io.RawIOBase):
    """Socket reads that share one deadline: each waits at most the time left until ``deadline``
    (or the socket's own timeout when none is set), so trickled bytes cannot stretch a request."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._timeout = sock.gettimeout()
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request did not arrive in time")
            self._sock.settimeout(min(left, self._timeout) if self._timeout else left)
        try:
            return self._sock.recv_into(buffer)
        finally:
            self._sock.settimeout(self._timeout)
