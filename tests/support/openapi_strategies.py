"""Hypothesis strategies that build HTTP requests from the operations of our OpenAPI document.

For one operation: credentials (valid token, valid Basic, none, a wrong token), path parameters
(ids of objects that exist, random UUIDs, other strings), and a body in one of the documented
media types, either valid for its schema or broken (a required field left out, any JSON value).
Valid values prefer the ids and model files of the emulator's seeded world, so requests reach
the checks past "not found" too.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

_SEGMENT = string.ascii_letters + string.digits + "-_"  # no "/", "." or "%": routing, not the view
_JSON_LEAVES = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5)
_ANY_JSON = st.recursive(
    _JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner, max_size=2),
    max_leaves=4,
)
_BOUNDARY = "fuzz-boundary-7f3a"
_OTHER_MEDIA = ("application/json", "multipart/form-data", "application/x-www-form-urlencoded", "text/plain")


@dataclass(frozen=True)
class World:
    """What exists on the server before the requests: whose credentials, which ids, which files."""

    authorizations: Sequence[str]
    ids: Sequence[str]
    files: Sequence[bytes]
    ids_by_prefix: Mapping[str, Sequence[str]] = field(default_factory=dict)  # "/api/models/" -> model ids

    def ids_for(self, path: str) -> Sequence[str]:
        for prefix, ids in self.ids_by_prefix.items():
            if path.startswith(prefix):
                return ids
        return self.ids


@dataclass
class Operation:
    method: str
    path: str
    spec: Mapping[str, Any]
    operation: Mapping[str, Any]
    parameters: list[Mapping[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.operation["operationId"])

    @property
    def authenticated(self) -> bool:
        return self.operation.get("security", self.spec.get("security")) != []


@dataclass
class DrawnRequest:
    method: str
    path: str
    headers: dict[str, str]
    content: bytes | None = None


def operations(spec: Mapping[str, Any]) -> list[Operation]:
    found = []
    for path, item in spec["paths"].items():
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                op = Operation(method.upper(), path, spec, item[method])
                op.parameters = [
                    _resolve(spec, p)
                    for p in [*item.get("parameters", []), *item[method].get("parameters", [])]
                ]
                found.append(op)
    return found


def _resolve(spec: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


class _Values:
    """Values for JSON schemas: the subset our document uses (no recursion in it)."""

    def __init__(self, spec: Mapping[str, Any], world: World) -> None:
        self.spec = spec
        self.world = world

    def uuid(self) -> st.SearchStrategy[str]:
        return st.sampled_from(list(self.world.ids)) | st.uuids().map(str)

    def of(self, schema: Any) -> st.SearchStrategy[Any]:
        schema = _resolve(self.spec, schema)
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        branches = schema.get("anyOf") or schema.get("oneOf")
        if branches:
            return st.one_of([self.of(b) for b in branches])
        if "allOf" in schema:
            merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            for part in schema["allOf"]:
                part = _resolve(self.spec, part)
                merged["properties"].update(part.get("properties", {}))
                merged["required"] += part.get("required", [])
            return self.of(merged)
        declared = schema.get("type")
        if isinstance(declared, list):
            return st.one_of([self.of({**schema, "type": t}) for t in declared])
        if declared == "null":
            return st.none()
        if declared == "boolean":
            return st.booleans()
        if declared == "integer":
            return st.integers(min_value=schema.get("minimum", -2), max_value=5)
        if declared == "number":
            return st.floats(-10, 10, allow_nan=False, width=32)
        if declared == "string":
            fmt = schema.get("format")
            if fmt == "uuid":
                return self.uuid()
            if fmt == "binary":
                return st.sampled_from(list(self.world.files)) | st.binary(max_size=32)
            return st.text(max_size=min(schema.get("maxLength", 12), 12))
        if declared == "array":
            return st.lists(self.of(schema.get("items", {})), max_size=3)
        if declared == "object" or "properties" in schema:
            return self.object(schema)
        return _JSON_LEAVES

    def object(
        self, schema: Mapping[str, Any], *, drop: str | None = None
    ) -> st.SearchStrategy[dict[str, Any]]:
        properties = schema.get("properties", {})
        required = [n for n in schema.get("required", []) if n != drop and n in properties]
        optional = [n for n in properties if n not in required and n != drop]
        return st.fixed_dictionaries(
            {n: self.of(properties[n]) for n in required},
            optional={n: self.of(properties[n]) for n in optional},
        )


@st.composite
def requests(draw: st.DrawFn, op: Operation, world: World) -> DrawnRequest:
    values = _Values(op.spec, world)
    headers = {"Accept": "application/json, application/octet-stream"}
    if op.authenticated:
        # mostly valid credentials: the interesting answers come after authentication
        authorization = draw(st.sampled_from([*world.authorizations * 2, "", "Token " + "0" * 40]))
        if authorization:
            headers["Authorization"] = authorization
    path = op.path
    for param in op.parameters:
        if param["in"] != "path":
            continue
        schema = param.get("schema", {})
        if schema.get("type") == "integer":
            existing = [int(i) for i in world.ids_for(op.path) if i.isdigit()]  # e.g. a group we belong to
            numbers = st.integers(0, 1000)
            value = str(draw(st.one_of(st.sampled_from(existing), numbers) if existing else numbers))
        else:
            fitting = st.sampled_from(list(world.ids_for(op.path)))  # an object of the path's kind
            value = draw(
                st.one_of(fitting, fitting, values.uuid(), st.text(_SEGMENT, min_size=1, max_size=12))
            )
        path = path.replace("{" + param["name"] + "}", value)
    request = DrawnRequest(op.method, path, headers)
    body = op.operation.get("requestBody")
    if body is None:
        return request
    documented = sorted(body["content"])
    media = draw(st.sampled_from(documented))
    schema = _resolve(op.spec, body["content"][media]["schema"])
    # now and then the same body under another media type: the server reads some bodies whatever
    # the Content-Type says, rejects others (415, 400), and the answer must still be documented
    media = draw(st.sampled_from([media] * 4 + [m for m in _OTHER_MEDIA if m not in documented]))
    required = schema.get("required", [])
    broken = draw(st.sampled_from(["valid", "valid", "valid", "dropped", "any"]))
    if broken == "any":
        instance: Any = draw(_ANY_JSON)
    elif broken == "dropped" and required:
        instance = draw(values.object(schema, drop=draw(st.sampled_from(required))))
    else:
        instance = draw(values.of(schema))
    headers["Content-Type"] = media
    if media in {"application/json", "text/plain"}:
        request.content = json.dumps(instance, default=lambda b: b.decode("latin-1")).encode()
    elif not isinstance(instance, dict):
        request.content = json.dumps(instance).encode()  # not fields at all: a body of the wrong kind
    else:
        _encode_form(request, media, instance)
    return request


def _encode_form(request: DrawnRequest, media: str, instance: Mapping[str, Any]) -> None:
    """Repeated fields for arrays, file parts for bytes; the body is written here, byte for byte."""
    pairs: list[tuple[str, str | bytes]] = []
    for name, value in instance.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, item if isinstance(item, str | bytes) else json.dumps(item)))
    if media == "multipart/form-data":
        request.headers["Content-Type"] = f"multipart/form-data; boundary={_BOUNDARY}"
        parts = []
        for name, item in pairs:
            filename = b'; filename="file.bin"' if isinstance(item, bytes) else b""
            data = item if isinstance(item, bytes) else item.encode()
            parts.append(
                b'--%s\r\nContent-Disposition: form-data; name="%s"%s\r\n\r\n%s\r\n'
                % (_BOUNDARY.encode(), name.encode(), filename, data)
            )
        request.content = b"".join(parts) + b"--%s--\r\n" % _BOUNDARY.encode()
    else:
        text_pairs = [(k, v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in pairs]
        request.content = urlencode(text_pairs).encode()
