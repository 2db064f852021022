"""Read an OpenAPI document from a file or a URL (the server's ``/api/schema/`` needs no auth)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import yaml

from ..exceptions import ContractError

__all__ = ["DEFAULT_FETCH_TIMEOUT", "document_sha256", "load_document", "parse_document"]

DEFAULT_FETCH_TIMEOUT = 30.0


def load_document(source: str | Path, *, timeout: float = DEFAULT_FETCH_TIMEOUT) -> dict[str, Any]:
    """The document at a path or an ``http(s)://`` URL, parsed from YAML or JSON."""
    text = str(source)
    if text.startswith(("http://", "https://")):
        content, where = _fetch(text, timeout), text
    else:
        try:
            content, where = Path(text).read_bytes(), text
        except OSError as exc:
            raise ContractError(f"cannot read {text}: {exc.strerror}") from None
    return parse_document(content, where)


def parse_document(content: bytes, where: str) -> dict[str, Any]:
    try:
        stripped = content.lstrip()
        data = json.loads(content) if stripped.startswith(b"{") else yaml.safe_load(content)
    except (ValueError, yaml.YAMLError) as exc:
        raise ContractError(f"{where}: neither JSON nor YAML ({exc})") from None
    if not isinstance(data, Mapping) or not ("openapi" in data or "swagger" in data):
        raise ContractError(f"{where}: not an OpenAPI document (no 'openapi' version)")
    return dict(data)


def document_sha256(document: Mapping[str, Any]) -> str:
    """SHA-256 of a parsed document in a canonical JSON form (sorted keys, no spaces): the same
    for the server's JSON and YAML answers and for any formatting, different for any other
    content. The baseline records it for the document its fingerprints came from."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _fetch(url: str, timeout: float) -> bytes:
    # GET /api/schema/ (get_schema in openapi/fl-demonstrator.yaml; no credentials). JSON parses
    # faster and safer than YAML; drf-spectacular serves it for this Accept value
    headers = {"Accept": "application/vnd.oai.openapi+json, application/json;q=0.9, */*;q=0.1"}
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True) as client:
            response = client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        raise ContractError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None
    if response.status_code != httpx.codes.OK:
        raise ContractError(f"cannot fetch {url}: the server answered {response.status_code}")
    return response.content
