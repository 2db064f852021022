"""Larger socket reads for fl_client's own connections, without touching anyone else's.

httpcore reads at most ``HTTP11Connection.READ_NUM_BYTES`` (64 KiB) per ``recv``, which caps a
streamed model download at a few hundred MB/s (see `HTTP_READ_BYTES`). The attribute belongs to
httpcore's class, so raising it would change every httpx client in the process. Instead, the
transports fl_client creates get a network backend whose streams read ``HTTP_READ_BYTES`` whenever
asked for less: only connections of fl_client's clients read more.
"""

from __future__ import annotations

import ssl
import typing

import httpcore
import httpx

from ..defaults import HTTP_READ_BYTES

__all__ = ["large_read_transport"]


class _LargeReadStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, read_bytes: int) -> None:
        self._stream = stream
        self._read_bytes = read_bytes

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max(max_bytes, self._read_bytes), timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _LargeReadStream(
            self._stream.start_tls(ssl_context, server_hostname, timeout), self._read_bytes
        )

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class _LargeReadBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend, read_bytes: int) -> None:
        self._backend = backend
        self._read_bytes = read_bytes

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _LargeReadStream(stream, self._read_bytes)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        return _LargeReadStream(
            self._backend.connect_unix_socket(path, timeout, socket_options), self._read_bytes
        )

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def large_read_transport(read_bytes: int = HTTP_READ_BYTES) -> httpx.HTTPTransport:
    """httpx's default transport, reading up to ``read_bytes`` per ``recv`` on its connections.

    httpx offers no network-backend option, so the backend of the transport's own pool is wrapped;
    should a future httpx lay its pool out differently, the transport keeps httpcore's reads.
    """
    transport = httpx.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.NetworkBackend):
        pool._network_backend = _LargeReadBackend(backend, read_bytes)  # type: ignore[union-attr]
    return transport
