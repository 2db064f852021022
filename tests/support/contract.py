"""Validation of requests, responses and notifications against openapi/fl-demonstrator.yaml.

openapi-core validates everything, with two adaptations for what it cannot do itself:

* raw ``application/octet-stream`` bodies reach it as text (its OAS 3.1 validator checks
  ``type: string`` and would reject bytes);
* ``multipart/form-data`` bodies are parsed here and cast with the document's property types
  (openapi-core leaves every part a string or bytes, so ``round`` would never be an integer),
  then checked against the operation's schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.request.exceptions import InvalidRequestBody
from openapi_schema_validator import OAS31Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from werkzeug.datastructures import Headers, ImmutableMultiDict

from support.multipart import parse_multipart
from support.paths import REPOSITORY

SPEC_PATH = REPOSITORY / "openapi" / "fl-demonstrator.yaml"
_SPEC_URI = "urn:fl-demonstrator"


class ContractViolation(AssertionError):
    """A request, response or notification does not match the OpenAPI document."""


def _octet_stream(data: Any) -> Any:
    return data.decode("latin-1") if isinstance(data, bytes) else data


@dataclass
class Contract:
    """The OpenAPI document, ready to validate traffic."""

    path: Path = SPEC_PATH
    spec: dict[str, Any] = field(init=False)
    api: OpenAPI = field(init=False)

    def __post_init__(self) -> None:
        self.spec = yaml.safe_load(self.path.read_text())
        served = dict(self.spec, servers=[{"url": "/"}])  # match any host:port the tests use
        config = Config(
            extra_media_type_deserializers={
                "application/octet-stream": _octet_stream,
                # GET /api/schema/: the server's OpenAPI document as JSON or YAML
                "application/vnd.oai.openapi+json": json.loads,
                "application/vnd.oai.openapi": yaml.safe_load,
                "application/yaml": yaml.safe_load,
            }
        )
        self.api = OpenAPI.from_dict(served, config=config)
        registry = Registry().with_resource(_SPEC_URI, DRAFT202012.create_resource(self.spec))
        self._registry = registry

    # ---------------------------------------------------------------------------------------
    def schema_validator(self, schema: Mapping[str, Any]) -> OAS31Validator:
        resolved = _rebase_refs(schema)
        return OAS31Validator(resolved, registry=self._registry, format_checker=OAS31Validator.FORMAT_CHECKER)

    def check_schema(self, instance: Any, schema: Mapping[str, Any], what: str) -> None:
        errors = sorted(self.schema_validator(schema).iter_errors(instance), key=str)
        if errors:
            details = "; ".join(
                f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors
            )
            raise ContractViolation(f"{what}: {details}")

    def component(self, name: str) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{name}"}

    # ---------------------------------------------------------------------------------------
    def validate_request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        query: Mapping[str, Any] | None = None,
    ) -> None:
        """Raise `ContractViolation` unless the request matches an operation of the document."""
        request = self._mock_request(method, url, headers=headers, body=body, query=query)
        result = self.api.unmarshal_request(request)
        errors = list(result.errors)
        content_type = (headers.get("Content-Type") or headers.get("content-type") or "").lower()
        if content_type.startswith("multipart/form-data"):
            errors = [e for e in errors if not isinstance(e, InvalidRequestBody)]
            self._check_multipart(method, url, content_type, body or b"")
        if errors:
            raise ContractViolation(f"{method} {url}: " + "; ".join(_describe(e) for e in errors))

    def validate_response(
        self,
        method: str,
        url: str,
        *,
        request_headers: Mapping[str, str],
        status: int,
        content_type: str | None,
        body: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Raise `ContractViolation` unless the answer is one the document allows for the request."""
        request = self._mock_request(method, url, headers=request_headers, body=None)
        response = MockResponse(body, status_code=status, content_type=content_type or "", headers=headers)
        result = self.api.unmarshal_response(request, response)
        if result.errors:
            raise ContractViolation(
                f"{method} {url} -> {status}: " + "; ".join(_describe(e) for e in result.errors)
            )

    def validate_notification(self, body: Any) -> str:
        """Check a notification body against its webhook's schema; returns the webhook's schema name."""
        self.check_schema(body, self.component("Notification"), "notification")
        kind = body["notification_type"]
        return str(self.spec["components"]["schemas"]["Notification"]["discriminator"]["mapping"][kind])

    def webhook_answer_statuses(self, notification_type: str) -> set[int]:
        """The statuses the document allows the receiver to answer for a notification type."""
        name = _WEBHOOKS[notification_type]
        return {int(code) for code in self.spec["webhooks"][name]["post"]["responses"]}

    # ---------------------------------------------------------------------------------------
    def _mock_request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        query: Mapping[str, Any] | None = None,
    ) -> MockRequest:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}" if parts.netloc else "http://127.0.0.1"
        lowered = {k.lower(): v for k, v in headers.items()}
        return MockRequest(
            host,
            method.lower(),
            parts.path,
            args=dict(query or {}),
            headers=dict(headers),
            data=body,
            content_type=lowered.get("content-type", ""),
        )

    def _operation(self, method: str, path: str) -> dict[str, Any]:
        for template, item in self.spec["paths"].items():
            if _match(template, path) and method.lower() in item:
                return dict(item[method.lower()])
        raise ContractViolation(f"{method} {path}: no such operation in the document")

    def _check_multipart(self, method: str, url: str, content_type: str, body: bytes) -> None:
        from urllib.parse import urlsplit

        path = urlsplit(url).path
        operation = self._operation(method, path)
        content = operation.get("requestBody", {}).get("content", {})
        if "multipart/form-data" not in content:
            raise ContractViolation(f"{method} {path}: multipart/form-data is not a documented body")
        schema = self._resolve(content["multipart/form-data"]["schema"])
        if "boundary=" not in content_type:
            raise ContractViolation(f"{method} {path}: multipart body without boundary")
        form, files = parse_multipart(body, content_type)
        try:
            instance = self._cast_form(schema, form, files)
        finally:
            for upload in files.values():
                upload.close()
        self.check_schema(instance, schema, f"{method} {path} multipart body")

    def _cast_form(
        self, schema: dict[str, Any], form: ImmutableMultiDict[str, str], files: Any
    ) -> dict[str, Any]:
        properties = schema.get("properties", {})
        instance: dict[str, Any] = {}
        for name in set(form.keys()) | set(files.keys()):
            prop = self._resolve(properties.get(name, {}))
            values: list[Any] = list(form.getlist(name))
            for upload in files.getlist(name):
                if not upload.filename and prop.get("format") != "binary":
                    values.append(upload.read().decode("utf-8", "replace"))
                else:
                    values.append(upload.read().decode("latin-1"))
            if prop.get("type") == "array":
                item_type = self._resolve(prop.get("items", {})).get("type")
                instance[name] = [_cast(value, item_type) for value in values]
            elif len(values) == 1:
                instance[name] = _cast(values[0], prop.get("type"))
            else:
                instance[name] = values  # repeated single field: the schema rejects it
        return instance

    def _resolve(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            node: Any = self.spec
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return dict(schema)


_WEBHOOKS = {
    "TRAINING_START": "trainingStart",
    "UPDATE_ROUND_START": "updateRoundStart",
    "MODEL_TEST_ROUND": "modelTestRound",
    "SWAG_ROUND_START": "swagRoundStart",
    "TRAINING_FINISHED": "trainingFinished",
    "CLIENT_REMOVED": "clientRemoved",
}


def _cast(value: Any, type_: Any) -> Any:
    if type_ == "integer":
        try:
            return int(value)
        except (TypeError, ValueError):
            return value
    if type_ == "number":
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    return value


def _match(template: str, path: str) -> bool:
    t_parts, p_parts = template.strip("/").split("/"), path.strip("/").split("/")
    return len(t_parts) == len(p_parts) and all(
        t.startswith("{") or t == p for t, p in zip(t_parts, p_parts, strict=True)
    )


def _rebase_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (
                f"{_SPEC_URI}{v}"
                if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else _rebase_refs(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rebase_refs(v) for v in node]
    return node


def _describe(error: BaseException) -> str:
    cause = error.__cause__
    text = f"{type(error).__name__}: {error}"
    if cause is not None:
        text += f" ({cause})"
    return text


def headers_dict(headers: Headers | Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items()}


def json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


__all__ = ["SPEC_PATH", "Contract", "ContractViolation", "RequestParameters"]
