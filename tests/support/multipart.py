"""Multipart request bodies, parsed by werkzeug (as Django parses them, independently of fl_client)."""

from __future__ import annotations

import io
from typing import Any

from werkzeug.formparser import parse_form_data

__all__ = ["form_of", "parse_form", "parse_multipart"]


def parse_multipart(body: bytes, content_type: str) -> tuple[Any, Any]:
    """werkzeug's fields and files (MultiDicts; the caller closes the files) of a multipart body."""
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    _, fields, files = parse_form_data(environ)
    return fields, files


def parse_form(body: bytes, content_type: str) -> tuple[Any, dict[str, tuple[str | None, bytes]]]:
    """The fields (a werkzeug MultiDict) and files (name -> (file name, bytes)) of a multipart body."""
    fields, files = parse_multipart(body, content_type)
    contents = {}
    for name, upload in files.items():
        try:
            contents[name] = (upload.filename, upload.read())
        finally:
            upload.close()
    return fields, contents


def form_of(request: Any) -> tuple[dict[str, list[str]], dict[str, tuple[str | None, bytes]]]:
    """The fields (name -> values) and files of a werkzeug request's multipart body."""
    fields, files = parse_form(request.get_data(), request.headers["Content-Type"])
    return {key: fields.getlist(key) for key in fields}, files
