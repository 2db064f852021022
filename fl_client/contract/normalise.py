"""Reduce an OpenAPI document (3.0 or 3.1) to comparable facts, one small map per operation.

Two documents of the same API written by different tools differ in everything that does not
matter: operationIds, descriptions, component names, ``nullable: true`` against
``type: [..., "null"]``, where a parameter is declared. What is left after `normalise` is what a
client depends on, as ``location -> value`` strings::

    parameter path id                                  string, required
    request multipart/form-data                        object
    request multipart/form-data field round            integer, required
    response 201                                       documented
    response 201 application/json                      object
    response 201 application/json field model_id       string(uuid), required

Types are rendered by `describe`: ``integer``, ``string(uuid)``, ``string(binary)``,
``array[object]``, ``string{FedAvg,FedDC,FedProx}`` (an enum), ``object|null``... Only the
formats that change what goes over the wire (binary, uuid, date-time) are kept; lengths,
patterns and descriptions are not facts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..exceptions import ContractError

__all__ = ["HTTP_METHODS", "NormalisedOperation", "describe", "normalise", "path_key"]

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
KEPT_FORMATS = frozenset({"binary", "uuid", "date-time"})
_MAX_REF_DEPTH = 64
_PARAM = re.compile(r"\{[^}/]*\}")


@dataclass(frozen=True)
class NormalisedOperation:
    """One operation as facts. ``path`` is as written in its document."""

    method: str
    path: str
    facts: Mapping[str, str]

    @property
    def key(self) -> str:
        """What matches the same operation across documents: method and path, parameter names aside."""
        return f"{self.method} {path_key(self.path)}"

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def path_key(path: str) -> str:
    """``/api/models/{id}/`` -> ``/api/models/{}/``."""
    return _PARAM.sub("{}", path)


def normalise(document: Mapping[str, Any]) -> dict[str, NormalisedOperation]:
    """Every operation under ``paths`` (webhooks are not the server's API), by `NormalisedOperation.key`."""
    paths = document.get("paths")
    if not isinstance(paths, Mapping):
        raise ContractError("not an OpenAPI document: no 'paths' object")
    reader = _Reader(document)
    operations: dict[str, NormalisedOperation] = {}
    for path, raw_item in paths.items():
        item = reader.resolve(raw_item)
        if not isinstance(item, Mapping):
            raise ContractError(f"path {path!r}: not an object")
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            if method in item:
                op = NormalisedOperation(method.upper(), str(path), reader.operation(shared, item[method]))
                operations[op.key] = op
    return operations


def describe(schema: Any, document: Mapping[str, Any]) -> str:
    """A schema's type as one short string (see the module docstring)."""
    return _Reader(document).describe(schema)


class _Reader:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document

    # ------------------------------------------------------------------ references
    def resolve(self, node: Any) -> Any:
        for _ in range(_MAX_REF_DEPTH):
            if not (isinstance(node, Mapping) and isinstance(node.get("$ref"), str)):
                return node
            node = self._follow(node["$ref"])
        raise ContractError("$ref chain too long (a reference cycle?)")

    def _follow(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise ContractError(f"only local references are supported, not {ref!r}")
        node: Any = self.document
        for raw in ref[2:].split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                raise ContractError(f"unresolvable reference {ref!r}")
            node = node[part]
        return node

    # ------------------------------------------------------------------ operations
    def operation(self, shared: Any, operation: Any) -> dict[str, str]:
        operation = self.resolve(operation)
        if not isinstance(operation, Mapping):
            raise ContractError("an operation is not an object")
        facts: dict[str, str] = {}
        for raw in [*(shared or []), *(operation.get("parameters") or [])]:
            param = self.resolve(raw)
            where = param.get("in")
            if where in {"path", "query"}:  # headers and cookies are transport, not the API's shape
                required = bool(param.get("required")) or where == "path"
                facts[f"parameter {where} {param.get('name')}"] = _field(
                    self.describe(param.get("schema", {})), required
                )
        body = self.resolve(operation.get("requestBody"))
        if isinstance(body, Mapping):
            for media, content in (body.get("content") or {}).items():
                self._content(facts, f"request {media}", content, skip="readOnly")
        for code, raw_response in (operation.get("responses") or {}).items():
            response = self.resolve(raw_response)
            facts[f"response {code}"] = "documented"
            for media, content in (response.get("content") or {}).items():
                self._content(facts, f"response {code} {media}", content, skip="writeOnly")
        return facts

    def _content(self, facts: dict[str, str], where: str, content: Any, *, skip: str) -> None:
        schema = (content or {}).get("schema", {})
        facts[where] = self.describe(schema)
        resolved = self.resolve(schema)
        view = self._object_view(schema)
        if view is None and isinstance(resolved, Mapping) and resolved.get("type") == "array":
            view = self._object_view(resolved.get("items", {}))  # an array of objects: its items' fields
        if view is None:
            return
        properties, required = view
        for name, raw_prop in properties.items():
            prop = self.resolve(raw_prop)
            if isinstance(prop, Mapping) and prop.get(skip) is True:
                continue  # readOnly fields are not sent, writeOnly fields never come back
            facts[f"{where} field {name}"] = _field(self.describe(prop), name in required)

    # ------------------------------------------------------------------ schemas
    def _object_view(self, schema: Any) -> tuple[dict[str, Any], set[str]] | None:
        """Properties and required names of an object schema (allOf merged, anyOf/oneOf of objects
        united with the required names they share); None for anything else."""
        schema = self.resolve(schema)
        if not isinstance(schema, Mapping):
            return None
        properties: dict[str, Any] = {}
        required: set[str] = set()
        is_object = schema.get("type") == "object" or "properties" in schema
        if is_object:
            properties.update(schema.get("properties") or {})
            listed = schema.get("required")
            required.update(listed if isinstance(listed, list) else [])
        for part in schema.get("allOf") or []:
            view = self._object_view(part)
            if view is None:
                return None
            properties.update(view[0])
            required |= view[1]
            is_object = True
        branches = [*(schema.get("anyOf") or []), *(schema.get("oneOf") or [])]
        if branches:
            views = [self._object_view(b) for b in branches if not _is_null(self.resolve(b))]
            if not views or any(v is None for v in views):
                return None
            shared: set[str] | None = None
            for view in views:
                assert view is not None
                properties.update(view[0])
                shared = set(view[1]) if shared is None else shared & view[1]
            required |= shared or set()
            is_object = True
        return (properties, required) if is_object else None

    def describe(self, schema: Any, depth: int = 0) -> str:
        schema = self.resolve(schema)
        if not isinstance(schema, Mapping) or depth > _MAX_REF_DEPTH:
            return "any"
        parts: set[str] = set()
        branches = [*(schema.get("anyOf") or []), *(schema.get("oneOf") or [])]
        if branches:
            for branch in branches:
                parts.update(self.describe(branch, depth + 1).split("|"))
            if self._object_view(schema) is not None:
                parts = {p for p in parts if p != "object"} | {"object"}
        elif schema.get("allOf"):
            merged = self._object_view(schema)
            parts.add("object" if merged is not None else "any")
        else:
            parts.update(self._own_types(schema, depth))
        if schema.get("nullable") is True:
            parts.add("null")
        return "|".join(sorted(parts, key=lambda p: (p == "null", p)))

    def _own_types(self, schema: Mapping[str, Any], depth: int) -> list[str]:
        declared = schema.get("type")
        if declared is None:
            if "properties" in schema:
                declared = "object"
            elif "const" in schema or "enum" in schema:
                declared = "string"
            else:
                return ["any"]
        types = declared if isinstance(declared, list) else [declared]
        rendered = []
        for type_ in types:
            text = str(type_)
            if text == "array":
                text = f"array[{self.describe(schema.get('items', {}), depth + 1)}]"
            elif text not in {"object", "null"}:
                fmt = schema.get("format")
                if fmt in KEPT_FORMATS:
                    text += f"({fmt})"
                values = [schema["const"]] if "const" in schema else schema.get("enum")
                if isinstance(values, list):
                    text += "{" + ",".join(sorted(str(v) for v in values if v is not None)) + "}"
            rendered.append(text)
        return rendered


def _is_null(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get("type") == "null" and len(schema) == 1


def _field(type_: str, required: bool) -> str:
    return f"{type_}, {'required' if required else 'optional'}"
