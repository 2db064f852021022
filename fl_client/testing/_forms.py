"""Request bodies as the server's views read them: form fields (repeatable), files, raw JSON.

The cgi module is gone from recent Pythons and the email parser is slow on large binary parts,
so multipart bodies are split here directly (RFC 7578: parts delimited by CRLF ``--boundary``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["Body", "parse_body"]


@dataclass
class Body:
    """A parsed request body. ``form`` and ``files`` keep repeated fields in order."""

    content_type: str
    raw: bytes
    form: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[bytes]] = field(default_factory=dict)
    is_json: bool = False

    def values(self, name: str) -> list[str]:
        return self.form.get(name, [])

    def first_file(self, name: str) -> bytes | None:
        found = self.files.get(name)
        return found[0] if found else None

    def raw_json(self) -> Any:
        """The body parsed as JSON whatever the content type (as the training views do).

        Raises ValueError for invalid JSON."""
        return json.loads(self.raw.decode("utf-8") or "null")


def _media_type(content_type: str) -> tuple[str, Message]:
    message = Message()
    message["Content-Type"] = content_type or "application/octet-stream"
    return message.get_content_type(), message


def parse_body(content_type: str, raw: bytes) -> Body:
    """Parse by content type. JSON is parsed on demand (`Body.raw_json`), because some views read
    the raw body whatever the content type and others do not read it at all."""
    media, message = _media_type(content_type)
    body = Body(content_type=media, raw=raw)
    if media == "application/x-www-form-urlencoded":
        for key, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
            body.form.setdefault(key, []).append(value)
    elif media == "multipart/form-data":
        boundary = message.get_param("boundary")
        if isinstance(boundary, str) and boundary:
            _parse_multipart(body, raw, boundary.encode("latin-1"))
    elif media == "application/json":
        body.is_json = True
    return body


def _parse_multipart(body: Body, raw: bytes, boundary: bytes) -> None:
    delimiter = b"\r\n--" + boundary
    chunks = (b"\r\n" + raw).split(delimiter)
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        head, separator, content = chunk.partition(b"\r\n\r\n")
        if not separator:
            continue
        headers = Message()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            header, colon, value = line.partition(":")
            if colon:
                headers[header.strip()] = value.strip()
        field_name = headers.get_param("name", header="content-disposition")
        if not isinstance(field_name, str):
            continue
        filename = headers.get_param("filename", header="content-disposition")
        if filename is not None:
            body.files.setdefault(field_name, []).append(content)
        else:
            charset = headers.get_content_charset() or "utf-8"
            body.form.setdefault(field_name, []).append(content.decode(charset, "replace"))
