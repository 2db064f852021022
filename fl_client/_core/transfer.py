"""Streaming model transfer: downloads land in a verified temporary file, uploads stream from one.

Why: participants move big models (a server stores up to just under 256 MiB; this code is built
for 1 GB). Holding the body in memory, then the loaded tensors, then a multipart copy (what the
reference client does) needs several times the model size and is slow.
Here a download streams to a temporary file, is checked against its Content-Length before any
torch code sees it, and is loaded from the file (memory-mapped where the format allows); an upload
streams ``torch.save``'s output straight into the ``model_file`` part of a multipart body with a
random boundary and a precomputed Content-Length (no chunked encoding, which WSGI servers such as
the platform's Django do not accept; see `fl_client._core.upload_stream`), or, for TorchScript and
caller-supplied ``save`` functions, serialises to a temporary file and streams that.

Every request goes through the generated client's httpx client (``client.get_httpx_client()``),
so authentication, base URL and timeouts are the same as for every other call.

One call is one attempt: each function returns, or raises a typed error after removing what it
wrote: `APIConnectionError` / `APITimeoutError` (no answer, or an incomplete one),
an `APIStatusError` subclass (unexpected status), `ModelSerializationError` (not a model). Retrying
(``fl_client._core.retry``) calls again: `download_to_file` restarts from byte 0, `upload_file` re-sends
the same body (a `MultipartFileBody` re-reads its file, a `StreamedModelBody` saves the model again). `download_model` and
`upload_model` take that policy as ``retry``: a function that runs one attempt, maybe again, and
returns its result; it wraps only the network step (an upload is serialised once, a retried
download writes a fresh file and removes the failed one).

This module does not import torch; loading and saving do, when they run.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from fl_demonstrator_api.types import RequestFiles

from ..defaults import (
    DEFAULT_MAX_MODEL_BYTES,
    MODEL_FILE_NAME,
    RAM_STAGING_DIR,
    RAM_STAGING_MARGIN_BYTES,
    TEMP_FILE_PREFIX,
    TRANSFER_CHUNK_BYTES,
)
from ..exceptions import APIConnectionError, ModelSerializationError
from ..progress import ProgressCallback
from .http import check_status, send, transport_error
from .limits import check_model_size
from .multipart import FieldValue, MultipartBody, split_parts
from .upload_stream import StreamedModelBody, counted_size

if TYPE_CHECKING:
    from ..serialization import TrustedClass

__all__ = [
    "MultipartFileBody",
    "download_model",
    "download_to_file",
    "send_upload",
    "staging_directory",
    "temporary_file",
    "upload_file",
    "upload_model",
]

_logger = logging.getLogger("fl.client.transfer")

PathLike = str | os.PathLike[str]
SaveFunction = Callable[[Any, Path], None]
Retry = Callable[[Callable[[], Any]], Any]
"""Runs an attempt (a function of no arguments), possibly several times, and returns its result."""


def _once(attempt: Callable[[], Any]) -> Any:
    return attempt()


# Ask for the body as stored: Content-Length then counts the bytes we write, and nothing inflates.
_DOWNLOAD_HEADERS = {"Accept-Encoding": "identity"}


def staging_directory(size: int | None, directory: PathLike | None = None) -> PathLike | None:
    """Where to stage a model file of about ``size`` bytes (None: Python's temporary directory).

    ``directory`` wins when given, and so does ``TMPDIR`` when set. Otherwise, on Linux,
    `RAM_STAGING_DIR` (tmpfs) when it and the machine's available memory have room for the model
    plus `RAM_STAGING_MARGIN_BYTES` (see _config for why).
    """
    if directory is not None:
        return directory
    if size is None or os.environ.get("TMPDIR") or sys.platform != "linux":
        return None
    try:
        stat = os.statvfs(RAM_STAGING_DIR)
    except OSError:
        return None
    need = size + RAM_STAGING_MARGIN_BYTES
    if stat.f_bavail * stat.f_frsize < need or _available_memory() < need:
        return None
    return RAM_STAGING_DIR if os.access(RAM_STAGING_DIR, os.W_OK) else None


def _available_memory() -> int:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _new_temporary_file(directory: PathLike | None) -> Path:
    handle, name = tempfile.mkstemp(prefix=TEMP_FILE_PREFIX, suffix=".pt", dir=directory)
    os.close(handle)
    return Path(name)


@contextmanager
def temporary_file(directory: PathLike | None = None) -> Iterator[Path]:
    """A new empty temporary model file, removed when the block ends, whatever happens in it.

    ``directory`` defaults to Python's temporary directory (``TMPDIR``).
    """
    path = _new_temporary_file(directory)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# Download


def download_to_file(
    client: httpx.Client,
    path: str,
    destination: PathLike | None = None,
    *,
    temp_dir: PathLike | None = None,
    progress: ProgressCallback | None = None,
    operation: str = "model download",
    timeout: Any = httpx.USE_CLIENT_DEFAULT,
) -> Path:
    """GET ``path`` and stream the body into a file; returns the file's path.

    The file is ``destination`` (truncated first) or, when None, a new temporary file in
    `staging_directory` (chosen from the Content-Length), which the caller removes after use.
    The body is complete when the bytes received equal the Content-Length; otherwise (the server
    closed early, the connection broke) `APIConnectionError` is raised, and a temporary file this
    call created is removed. A body without Content-Length is complete when it ended cleanly.
    """
    created: Path | None = None
    try:
        with client.stream("GET", path, headers=_DOWNLOAD_HEADERS, timeout=timeout) as response:
            check_status(response, operation=operation, expected={200})
            total = _content_length(response)
            if destination is None:
                destination = created = _new_temporary_file(staging_directory(total, temp_dir))
            # a server that encodes anyway: write decoded bytes, still check the raw count
            encoded = response.headers.get("content-encoding", "identity").lower() not in {"", "identity"}
            chunks = response.iter_bytes() if encoded else response.iter_raw()
            written = _write_chunks(chunks, destination, total, progress)
            received = response.num_bytes_downloaded
        if total is not None and received != total:
            raise APIConnectionError(
                f"{operation} failed: GET {path}: incomplete body: received {received} of {total} bytes"
            )
    except httpx.HTTPError as exc:
        if created is not None:
            created.unlink(missing_ok=True)
        raise transport_error(exc, operation=operation, method="GET", path=path) from exc
    except BaseException:
        if created is not None:
            created.unlink(missing_ok=True)
        raise
    _logger.debug("%s: %d bytes to %s", operation, written, destination)
    return Path(destination)


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _write_chunks(
    chunks: Iterable[bytes], destination: PathLike, total: int | None, progress: ProgressCallback | None
) -> int:
    done = 0
    if progress is not None:
        progress(0, total)
    # unbuffered: chunks are already large, a buffer would only add a copy
    with open(destination, "wb", buffering=0) as file:
        for chunk in chunks:
            file.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    return done


def download_model(
    client: httpx.Client,
    path: str,
    *,
    trusted_classes: Iterable[TrustedClass] = (),
    trust_remote_code: bool = False,
    map_location: Any = None,
    progress: ProgressCallback | None = None,
    temp_dir: PathLike | None = None,
    operation: str = "model download",
    retry: Retry = _once,
    timeout: Any = httpx.USE_CLIENT_DEFAULT,
) -> Any:
    """Download the model at ``path`` to a temporary file, verify it, and load it safely.

    Loading is `fl_client.serialization.load_model` with ``mmap=True``: a ``torch.save`` archive
    is mapped, not copied, so the tensors ARE the file's pages (the file is removed at once; on
    POSIX the mapping keeps its data). The mapping is shared: the file is private to this call, so
    writing the tensors (training) changes those pages in place instead of copying every page, and
    the model costs its size once. TorchScript and legacy files are read normally.
    """
    from ..serialization import load_model

    file: Path = retry(
        lambda: download_to_file(
            client, path, temp_dir=temp_dir, progress=progress, operation=operation, timeout=timeout
        )
    )
    try:
        if file.stat().st_size == 0:
            raise ModelSerializationError("the model data is empty")
        return load_model(
            file,
            trusted_classes=trusted_classes,
            trust_remote_code=trust_remote_code,
            map_location=map_location,
            mmap=os.name == "posix",  # elsewhere a mapped file cannot be removed while in use
            shared_mapping=True,  # the file is ours alone and removed next: training writes in place
        )
    finally:
        file.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# Upload


class MultipartFileBody(MultipartBody):
    """A ``multipart/form-data`` body of text fields and one file part streamed from a file.

    See `fl_client._core.multipart` for the frame (random boundary, exact Content-Length).
    Iterating reads the file in chunks of ``chunk_size``; it can be iterated again (a retry
    re-sends the same file).
    """

    def __init__(
        self,
        fields: Sequence[tuple[str, FieldValue]],
        *,
        file_field: str,
        file_path: PathLike,
        file_name: str = MODEL_FILE_NAME,
        file_content_type: str = "application/octet-stream",
        field_content_type: str | None = None,
        boundary: str | None = None,
        chunk_size: int = TRANSFER_CHUNK_BYTES,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.file_path = Path(file_path)
        self._frame(
            fields,
            file_field=file_field,
            file_size=self.file_path.stat().st_size,
            file_name=file_name,
            file_content_type=file_content_type,
            field_content_type=field_content_type,
            boundary=boundary,
            chunk_size=chunk_size,
            progress=progress,
        )

    @classmethod
    def from_parts(
        cls, parts: RequestFiles, *, file_field: str, file_path: PathLike, **kwargs: Any
    ) -> MultipartFileBody:
        """A body from a generated model's ``to_multipart()`` list: its text parts, in order, and
        ``file_path`` streamed in place of its ``file_field`` part (whose file name is kept)."""
        fields = split_parts(parts, file_field, kwargs)
        return cls(fields, file_field=file_field, file_path=file_path, **kwargs)

    def _file_chunks(self) -> Iterator[bytes]:
        left = self.file_size
        with open(self.file_path, "rb", buffering=0) as file:
            while left > 0:
                chunk = file.read(min(self.chunk_size, left))
                if not chunk:
                    raise ModelSerializationError(
                        f"the temporary model file {self.file_path.name} shrank while being uploaded"
                    )
                left -= len(chunk)
                yield chunk


def upload_file(
    client: httpx.Client,
    path: str,
    body: MultipartBody,
    *,
    operation: str = "model upload",
    expected: Collection[int] = frozenset({201}),
    timeout: Any = httpx.USE_CLIENT_DEFAULT,
) -> httpx.Response:
    """POST ``body`` to ``path``; returns the answer when its status is expected.

    Raises `APIConnectionError` / `APITimeoutError` when no answer came, an `APIStatusError`
    subclass for any other status.
    """
    return send(
        client,
        "POST",
        path,
        operation=operation,
        expected=expected,
        content=body,
        headers=body.headers,
        timeout=timeout,
    )


def upload_model(
    client: httpx.Client,
    path: str | Callable[[], str],
    model: Any,
    parts: RequestFiles,
    *,
    file_field: str = "model_file",
    save: SaveFunction | None = None,
    progress: ProgressCallback | None = None,
    temp_dir: PathLike | None = None,
    operation: str = "model upload",
    retry: Retry = _once,
    timeout: Any = httpx.USE_CLIENT_DEFAULT,
    max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES,
) -> httpx.Response | None:
    """Serialise ``model`` and upload it as ``file_field`` of the multipart ``parts`` (a generated
    model's ``to_multipart()``), through `send_upload` (a model over ``max_model_bytes`` is
    refused there, before any request).

    Without a ``save`` function, ``torch.save``'s output streams straight into the request body
    (`fl_client._core.upload_stream`: counted first, nothing the size of the model stored).
    TorchScript, and a ``save`` of the caller's, are staged in a temporary file (removed whatever
    happens) and streamed from it. ``path`` may be a function, called once the model's size is
    known: a model that cannot be saved then fails before any request is made.
    """
    size = counted_size(model) if save is None else None
    if size is not None:
        kwargs: dict[str, Any] = {}
        fields = split_parts(parts, file_field, kwargs)
        body: MultipartBody = StreamedModelBody(
            fields, file_field=file_field, model=model, model_size=size, progress=progress, **kwargs
        )
        return send_upload(client, path, body, operation=operation, retry=retry, timeout=timeout,
                           max_model_bytes=max_model_bytes)  # fmt: skip
    from ..serialization import estimated_size, save_model

    with temporary_file(staging_directory(estimated_size(model), temp_dir)) as file:
        (save or save_model)(model, file)
        body = MultipartFileBody.from_parts(parts, file_field=file_field, file_path=file, progress=progress)
        return send_upload(client, path, body, operation=operation, retry=retry, timeout=timeout,
                           max_model_bytes=max_model_bytes)  # fmt: skip


def send_upload(
    client: httpx.Client,
    path: str | Callable[[], str],
    body: MultipartBody,
    *,
    operation: str = "model upload",
    retry: Retry = _once,
    timeout: Any = httpx.USE_CLIENT_DEFAULT,
    max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES,
) -> httpx.Response | None:
    """POST a model's multipart ``body`` to ``path`` (a function: called once, to get it), each
    attempt through ``retry``: the one way every model upload is sent.

    First, before any request (``path`` included), the file part's size, known from the body's
    exact Content-Length, is checked against ``max_model_bytes`` (`check_model_size`, 0: no limit):
    a larger model raises `ModelTooLargeError` and nothing is sent.
    """
    check_model_size(body.file_size, max_model_bytes, operation=operation)
    _logger.debug(
        "%s: %d bytes (%s), boundary %s", operation, body.content_length, type(body).__name__, body.boundary
    )
    target = path() if callable(path) else path
    response: httpx.Response | None = retry(
        lambda: upload_file(client, target, body, operation=operation, timeout=timeout)
    )
    return response  # None: the answer was lost, but the server shows the upload stored
