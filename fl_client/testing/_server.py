"""The HTTP layer: a threaded stdlib server that reads requests and writes `dispatch`'s replies.

HTTP/1.1 with keep-alive (httpx reuses connections) and chunked request bodies (streamed
uploads). Every exchange is reported to the observers, which the project's tests use to check
each answer against the OpenAPI document. Credentials never reach the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ._api import dispatch
from ._wire import Context, Reply, Request

__all__ = ["EmulatorHTTPServer", "Exchange", "Observer"]

_logger = logging.getLogger("fl.client.testing.http")

# An idle keep-alive connection is closed after this many seconds.
CONNECTION_IDLE_TIMEOUT = 30.0
_MAX_CHUNK_LINE = 1024


@dataclass(frozen=True)
class Exchange:
    """One request and the emulator's answer, as seen on the wire."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    content_type: str | None


Observer = Callable[[Exchange], None]


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that carries the emulator's context and observers."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], context: Context, observers: list[Observer]) -> None:
        super().__init__(address, _Handler)
        self.context = context
        self.observers = observers


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fl-client-emulator"
    sys_version = ""
    timeout = CONNECTION_IDLE_TIMEOUT
    # headers and body go out in separate writes: without this, Nagle + delayed ACK add 40 ms
    disable_nagle_algorithm = True
    server: EmulatorHTTPServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_OPTIONS(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        # the request line only (it holds no credentials); never headers
        _logger.debug("%s " + format, self.address_string(), *args)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size_line = self.rfile.readline(_MAX_CHUNK_LINE)
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(_MAX_CHUNK_LINE) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline(_MAX_CHUNK_LINE)

    def _handle(self) -> None:
        try:
            raw = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(Reply(400, b'{"detail": "Malformed request body."}'))
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        url = urlsplit(self.path)
        request = Request(self.command, url.path, headers, raw, query=parse_qs(url.query))
        reply = dispatch(self.server.context, request)
        sent_headers = self._send(reply)
        exchange = Exchange(
            method=self.command,
            url=f"http://{self.headers.get('Host') or 'localhost'}{self.path}",
            request_headers={name: value for name, value in self.headers.items()},
            request_body=raw,
            status=reply.status,
            response_headers=sent_headers,
            response_body=reply.body,
            content_type=reply.content_type,
        )
        for observer in list(self.server.observers):
            try:
                observer(exchange)
            except Exception:  # an observer must not break the server
                _logger.exception("emulator observer failed")

    def _send(self, reply: Reply) -> dict[str, str]:
        headers = dict(reply.headers)
        if reply.content_type:
            headers["Content-Type"] = reply.content_type
        headers["Content-Length"] = str(len(reply.body))
        headers.setdefault("Vary", "Accept")
        try:
            self.send_response(reply.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        return headers
