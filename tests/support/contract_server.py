"""A pytest-httpserver that checks every request and canned answer against the contract."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from support.contract import Contract, ContractViolation
from support.values import MODEL_ID, TRAINING, TRAINING_ID

__all__ = ["ContractServer", "expect_training"]


@dataclass
class ContractServer:
    """A pytest-httpserver whose every request and canned answer is checked against the contract.

    ``expect(...)`` registers one answer; requests that match no expectation fail the test, and so
    does any request or answer the OpenAPI document does not allow.
    """

    server: HTTPServer
    contract: Contract
    violations: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def expect(
        self,
        method: str,
        path: str,
        *,
        status: int,
        json_body: Any = None,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        times: int | None = 1,
    ) -> None:
        if json_body is not None:
            body = json.dumps(json_body).encode()
            content_type = content_type or "application/json"

        def handler(request: Request) -> Response:
            self.requests.append(request)
            self._check_request(request)
            response = Response(body or b"", status=status, content_type=content_type, headers=headers)
            self._check_response(request, response)
            return response

        if times is None:
            self.server.expect_request(path, method=method).respond_with_handler(handler)
        else:
            for _ in range(times):
                self.server.expect_ordered_request(path, method=method).respond_with_handler(handler)

    def _check_request(self, request: Request) -> None:
        try:
            self.contract.validate_request(
                request.method,
                request.url,
                headers=dict(request.headers),
                body=request.get_data(),
                query=request.args.to_dict(),
            )
        except ContractViolation as exc:
            self.violations.append(f"request: {exc}")

    def _check_response(self, request: Request, response: Response) -> None:
        try:
            self.contract.validate_response(
                request.method,
                request.url,
                request_headers=dict(request.headers),
                status=response.status_code,
                content_type=response.content_type,
                body=response.get_data(),
                headers=dict(response.headers),
            )
        except ContractViolation as exc:
            self.violations.append(f"canned response: {exc}")


def expect_training(api: ContractServer) -> None:
    """Each upload first reads the training (its global model and stored-upload count)."""
    api.expect("GET", f"/api/trainings/{TRAINING_ID}/", status=200, json_body={**TRAINING, "model": MODEL_ID})
