"""The ``multipart/form-data`` frame of a model upload: text fields, then one file part streamed.

The boundary is random (``secrets``), so no model byte sequence can be chosen to collide with it;
the length is computed up front, so the request carries Content-Length and no chunked encoding
(WSGI servers such as the platform's Django do not accept it). Subclasses supply the file part's
bytes (`MultipartBody._file_chunks`): from a staged file (``transfer.MultipartFileBody``) or from
``torch.save`` as it runs (``upload_stream.StreamedModelBody``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from fl_demonstrator_api.types import RequestFiles

from ..defaults import MODEL_FILE_NAME, MULTIPART_BOUNDARY_BYTES, TRANSFER_CHUNK_BYTES
from ..progress import ProgressCallback

__all__ = ["FieldValue", "FilePart", "MultipartBody", "split_parts"]


class FilePart(NamedTuple):
    """A small file part sent whole in the head (e.g. a preprocessing module next to the model)."""

    payload: bytes
    file_name: str
    content_type: str = "application/octet-stream"


FieldValue = str | bytes | FilePart
"""A part before the streamed file: a text value, or a small file."""


def _quote(value: str) -> str:
    """A Content-Disposition parameter value (the HTML5 form rules httpx and browsers use)."""
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def split_parts(parts: RequestFiles, file_field: str, kwargs: dict[str, Any]) -> list[tuple[str, FieldValue]]:
    """The other parts of a generated model's ``to_multipart()`` list, in order: text parts, and
    other files (those with a file name) as `FilePart`. The streamed file part's name goes to
    ``kwargs["file_name"]``; text parts get ``text/plain`` unless said otherwise."""
    fields: list[tuple[str, FieldValue]] = []
    for name, part in parts:
        filename, payload = part[0], part[1]
        if name == file_field:
            kwargs.setdefault("file_name", filename or MODEL_FILE_NAME)
            continue
        data = payload if isinstance(payload, str | bytes) else payload.read()
        if filename is not None:
            content_type = part[2] if len(part) > 2 and part[2] else "application/octet-stream"
            fields.append(
                (name, FilePart(data if isinstance(data, bytes) else data.encode(), filename, content_type))
            )
        else:
            fields.append((name, data))
    kwargs.setdefault("field_content_type", "text/plain")
    return fields


class MultipartBody:
    """Head (text fields and the file part's headers), ``file_size`` bytes of file, tail.

    Iterating yields the body; it can be iterated again (a retry re-sends it). ``progress`` sees
    the body bytes sent so far.
    """

    boundary: str
    file_size: int
    chunk_size: int
    progress: ProgressCallback | None
    head: bytes
    tail: bytes

    def _frame(
        self,
        fields: Sequence[tuple[str, FieldValue]],
        *,
        file_field: str,
        file_size: int,
        file_name: str = MODEL_FILE_NAME,
        file_content_type: str = "application/octet-stream",
        field_content_type: str | None = None,
        boundary: str | None = None,
        chunk_size: int = TRANSFER_CHUNK_BYTES,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.boundary = boundary or secrets.token_hex(MULTIPART_BOUNDARY_BYTES)
        self.file_size = file_size
        self.chunk_size = chunk_size
        self.progress = progress
        dash = b"--" + self.boundary.encode("ascii")
        head = bytearray()
        for name, field in fields:
            value = field.payload if isinstance(field, FilePart) else field
            value = value if isinstance(value, bytes) else value.encode()
            if dash in value:  # astronomically unlikely with a random boundary, but then wrong
                raise ValueError(f"multipart boundary occurs in the value of field {name!r}")
            head += dash + b'\r\nContent-Disposition: form-data; name="' + _quote(name).encode() + b'"'
            if isinstance(field, FilePart):
                head += f'; filename="{_quote(field.file_name)}"\r\nContent-Type: {field.content_type}\r\n'.encode()
            else:
                head += b"\r\n"
                if field_content_type:
                    head += b"Content-Type: " + field_content_type.encode() + b"\r\n"
            head += b"\r\n" + value + b"\r\n"
        head += (
            dash
            + f'\r\nContent-Disposition: form-data; name="{_quote(file_field)}"; '
            f'filename="{_quote(file_name)}"\r\nContent-Type: {file_content_type}\r\n\r\n'.encode()
        )
        self.head = bytes(head)
        self.tail = b"\r\n" + dash + b"--\r\n"

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def content_length(self) -> int:
        return len(self.head) + self.file_size + len(self.tail)

    @property
    def headers(self) -> dict[str, str]:
        """Content-Type and Content-Length of the request that sends this body."""
        return {"Content-Type": self.content_type, "Content-Length": str(self.content_length)}

    def _file_chunks(self) -> Iterator[bytes]:
        """Exactly ``file_size`` bytes of file, in chunks (a subclass's job)."""
        raise NotImplementedError

    def __iter__(self) -> Iterator[bytes]:
        total = self.content_length
        done = len(self.head)
        self._report(0, total)
        yield self.head
        self._report(done, total)
        for chunk in self._file_chunks():
            done += len(chunk)
            yield chunk
            self._report(done, total)
        yield self.tail
        self._report(total, total)

    def _report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)
