"""A raw-socket HTTP server that misbehaves on purpose, for fault-injection tests.

Each accepted connection takes the next behaviour from a queue (the last one repeats). A
behaviour reads the request (or part of it) and then answers, lies, stalls or hangs up.
Everything runs on 127.0.0.1 with a port the OS picks.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Behaviour = Callable[[socket.socket, "Request"], None]


@dataclass
class Request:
    method: str = ""
    path: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def _read_head(conn: socket.socket) -> tuple[Request, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = ([*lines[0].split(" "), "", "", ""])[:3]
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return Request(method, path, headers), rest


def read_request(conn: socket.socket, *, body_limit: int | None = None) -> Request:
    """Read the head and the body (at most ``body_limit`` bytes of it)."""
    request, body = _read_head(conn)
    length = int(request.headers.get("content-length", "0"))
    want = length if body_limit is None else min(length, body_limit)
    while len(body) < want:
        chunk = conn.recv(min(1 << 20, want - len(body)))
        if not chunk:
            break
        body += chunk
    request.body = body
    return request


def _send(
    conn: socket.socket, status: int, body: bytes, headers: dict[str, str], length: int | None = None
) -> None:
    head = [
        f"HTTP/1.1 {status} X",
        f"Content-Length: {len(body) if length is None else length}",
        "Connection: close",
    ]
    head += [f"{k}: {v}" for k, v in headers.items()]
    conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


def respond(status: int, body: Any = b"", headers: dict[str, str] | None = None) -> Behaviour:
    """Read the whole request, answer normally (a dict or list body is sent as JSON)."""

    def behaviour(conn: socket.socket, request: Request) -> None:
        data = body
        extra = dict(headers or {})
        if not isinstance(data, bytes):
            data = json.dumps(data).encode()
            extra.setdefault("Content-Type", "application/json")
        else:
            extra.setdefault("Content-Type", "application/octet-stream")
        _send(conn, status, data, extra)

    return behaviour


def close_before_answer() -> Behaviour:
    """Read the whole request, then hang up without a word."""
    return lambda conn, request: None


def close_mid_upload(after_bytes: int) -> Behaviour:
    """Read only ``after_bytes`` of the body, then hang up (marker for `FaultServer`)."""

    def behaviour(conn: socket.socket, request: Request) -> None:
        return None

    behaviour.body_limit = after_bytes  # type: ignore[attr-defined]
    return behaviour


def truncated(body: bytes, send: int, *, claim: int | None = None) -> Behaviour:
    """Announce ``claim`` (default len(body)) bytes, send only ``send`` of them, hang up."""

    def behaviour(conn: socket.socket, request: Request) -> None:
        _send(conn, 200, body[:send], {"Content-Type": "application/octet-stream"}, length=claim or len(body))

    return behaviour


def hang(release: threading.Event) -> Behaviour:
    """Read the request and never answer, until ``release`` is set."""
    return lambda conn, request: release.wait(30)


class FaultServer:
    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._queue: deque[Behaviour] = deque()
        self._last: Behaviour = respond(500, {"error": "Server Error (500)"})
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def push(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    def _next(self) -> Behaviour:
        with self._lock:
            if self._queue:
                self._last = self._queue.popleft()
            return self._last

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                behaviour = self._next()
                request = read_request(conn, body_limit=getattr(behaviour, "body_limit", None))
                with self._lock:
                    self.requests.append(request)
                behaviour(conn, request)
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def blackhole() -> tuple[socket.socket, list[socket.socket]]:
    """A listening socket whose accept queue is full: new connections never complete (connect timeout)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    return listener, fillers
