"""A one-connection HTTP server on a raw socket, for answers no real server library will send.

pytest-httpserver (werkzeug) always frames bodies correctly; a body shorter or longer than its
Content-Length, or one that stalls half-way, needs bytes written by hand.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

__all__ = ["RawServer", "raw_server"]


@dataclass
class RawServer:
    """Answers each connection with ``head`` + ``body``, then closes (or holds it until released)."""

    head: bytes
    body: bytes
    hold: bool = False
    sock: socket.socket = field(init=False)
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[bytes] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{host}:{port}"

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed: the test is over
                return
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    data = conn.recv(65536)
                    if not data:
                        break
                    request += data
                self.requests.append(request)
                try:
                    conn.sendall(self.head + self.body)
                except OSError:
                    continue
                if self.hold:
                    self.release.wait(10)


@contextmanager
def raw_server(
    body: bytes, *, content_length: int | None = None, hold: bool = False, status: str = "200 OK"
) -> Iterator[RawServer]:
    """Serve ``body`` declaring ``content_length`` (default: its true length) on 127.0.0.1."""
    length = len(body) if content_length is None else content_length
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()
    server = RawServer(head, body, hold=hold)
    server.sock = socket.create_server(("127.0.0.1", 0))
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        with suppress(OSError):  # wakes the accept() blocked in the thread (close() alone does not)
            server.sock.shutdown(socket.SHUT_RDWR)
        server.sock.close()
        thread.join(5)
