"""Zero-copy model upload: ``torch.save``'s output streamed straight into the request body.

Why: staging the serialised model in a temporary file costs 1x the model in RAM when the file is
on tmpfs (``/dev/shm``) and a disk write otherwise. The platform's Django needs a Content-Length
(no chunked encoding), so the size must be known before the first byte goes out. Two passes:

1. `counted_size` runs torch's zip writer into a sink that only adds up lengths, without CRC-32
   (which does not change any length): it pickles the object and touches no tensor byte, so it
   costs milliseconds even for a 1 GB model.
2. `StreamedModelBody` runs ``torch.save`` (the public function, CRC-32 as configured) in a
   producer thread; every ``write`` is cut into `TRANSFER_CHUNK_BYTES` pieces handed to the
   request through a queue of `STREAM_QUEUE_CHUNKS`. A piece is copied out of the tensor (torch may
   hand a temporary CPU copy of a GPU storage, freed when ``write`` returns), so the memory in
   flight is a few MiB, whatever the model's size.

The bytes are exactly those ``torch.save`` writes to a file: the archive loads with plain
``torch.load``. The second pass is checked against the first: more bytes than counted stop the
body before they go out, fewer end it short; either way the server sees an incomplete body and
stores nothing, and the call raises `ModelSerializationError`.

What the fast path does not take (`counted_size` returns None), ``upload_model`` stages in a
temporary file as before: TorchScript (``torch.jit.save`` to a stream builds the whole archive in
memory first) and a ``save`` function of the caller's (``Communication.pack_model`` overrides).
"""

from __future__ import annotations

import contextlib
import pickle
import queue
import threading
from collections.abc import Iterator, Sequence
from typing import IO, Any, cast

from ..defaults import MODEL_FILE_NAME, STREAM_QUEUE_CHUNKS, TRANSFER_CHUNK_BYTES
from ..exceptions import ModelSerializationError
from ..progress import ProgressCallback
from .multipart import FieldValue, MultipartBody

__all__ = ["StreamedModelBody", "counted_size"]

_POLL_SECONDS = 0.1  # how often a blocked producer looks whether the request was abandoned


class _CountingSink:
    """A binary "file" that keeps only the number of bytes written to it."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: Any) -> int:
        n = memoryview(data).nbytes
        self.size += n
        return n

    def flush(self) -> None:
        pass


def counted_size(model: Any) -> int | None:
    """The number of bytes ``torch.save(model, f)`` writes, or None when ``model`` is TorchScript.

    Raises `ModelSerializationError` when the model cannot be pickled (before any request).
    """
    import torch

    from ..serialization import is_torchscript_instance

    if is_torchscript_instance(model):
        return None
    sink = _CountingSink()
    try:
        writer_class = getattr(torch._C, "PyTorchFileWriter", None)
        save_records = getattr(torch.serialization, "_save", None)
        alignment = getattr(torch.serialization, "_get_storage_alignment", None)
        if writer_class is None or save_records is None or alignment is None:
            torch.save(model, sink)  # pragma: no cover - a torch without the writer: count with CRC
        else:
            # torch.save's own steps, without CRC-32: lengths are the same, the cost is near zero
            writer = writer_class(sink, False, alignment())
            save_records(model, writer, pickle, torch.serialization.DEFAULT_PROTOCOL, False)
            writer.write_end_of_file()
    except (pickle.PicklingError, TypeError, AttributeError, RuntimeError) as exc:
        raise ModelSerializationError(f"cannot serialise {type(model).__name__}: {exc}") from exc
    return sink.size


class _Abandoned(Exception):
    """The request stopped reading the body: the producer's ``torch.save`` must end."""


_DONE = object()


class _QueueSink:
    """The producer's "file": cuts writes into chunks and queues copies of them, at most ``limit`` bytes."""

    def __init__(self, chunks: queue.Queue[Any], stop: threading.Event, limit: int, chunk_size: int) -> None:
        self.chunks = chunks
        self.stop = stop
        self.limit = limit
        self.chunk_size = chunk_size
        self.written = 0
        self.pending = bytearray()

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        n = view.nbytes
        self.written += n
        if self.written > self.limit:
            raise ModelSerializationError(
                f"the model serialised to more bytes than counted ({self.written} > {self.limit}): "
                "it changed while being uploaded; nothing was stored"
            )
        offset = 0
        if self.pending:
            take = min(n, self.chunk_size - len(self.pending))
            self.pending += view[:take]
            offset = take
            if len(self.pending) < self.chunk_size:
                return n
            self.put(bytes(self.pending))
            self.pending.clear()
        while n - offset >= self.chunk_size:
            self.put(bytes(view[offset : offset + self.chunk_size]))  # copy: see the module docstring
            offset += self.chunk_size
        self.pending += view[offset:]
        return n

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if self.pending:
            self.put(bytes(self.pending))
            self.pending.clear()

    def put(self, item: Any) -> None:
        while True:
            if self.stop.is_set():
                raise _Abandoned
            try:
                self.chunks.put(item, timeout=_POLL_SECONDS)
                return
            except queue.Full:
                continue


class StreamedModelBody(MultipartBody):
    """A ``multipart/form-data`` body whose file part is ``torch.save(model)``, produced while it is sent.

    ``model_size`` is `counted_size` of ``model``. Each iteration saves the model anew (a retry
    re-sends the same bytes); nothing the size of the model is held anywhere.
    """

    def __init__(
        self,
        fields: Sequence[tuple[str, FieldValue]],
        *,
        file_field: str,
        model: Any,
        model_size: int,
        file_name: str = MODEL_FILE_NAME,
        file_content_type: str = "application/octet-stream",
        field_content_type: str | None = None,
        boundary: str | None = None,
        chunk_size: int = TRANSFER_CHUNK_BYTES,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.model = model
        self._frame(
            fields,
            file_field=file_field,
            file_size=model_size,
            file_name=file_name,
            file_content_type=file_content_type,
            field_content_type=field_content_type,
            boundary=boundary,
            chunk_size=chunk_size,
            progress=progress,
        )

    def _file_chunks(self) -> Iterator[bytes]:
        from ..serialization import save_model

        chunks: queue.Queue[Any] = queue.Queue(maxsize=STREAM_QUEUE_CHUNKS)
        stop = threading.Event()
        sink = _QueueSink(chunks, stop, self.file_size, self.chunk_size)

        def produce() -> None:
            outcome: object = _DONE
            try:
                save_model(self.model, cast(IO[bytes], sink))  # it only writes
                sink.close()
            except _Abandoned:
                return
            except BaseException as exc:  # handed to the request, which raises it
                outcome = exc
            with contextlib.suppress(_Abandoned):
                sink.put(outcome)

        producer = threading.Thread(target=produce, name="fl-client-upload-save", daemon=True)
        producer.start()
        try:
            sent = 0
            while True:
                item = chunks.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                sent += len(item)
                yield item
            if sent != self.file_size:
                raise ModelSerializationError(
                    f"the model serialised to fewer bytes than counted ({sent} < {self.file_size}): "
                    "it changed while being uploaded; nothing was stored"
                )
        finally:
            stop.set()  # the request ended, finished or not: the producer stops at its next write
            producer.join()
