"""``GET /api/schema/`` on the emulator: no credentials, DRF's format negotiation, and a document
listing exactly the operations of ours (what `fl-client contract diff --schema URL` reads)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import yaml
from fl_demonstrator_api.api.schema import get_schema
from fl_demonstrator_api.client import Client
from fl_demonstrator_api.models import GetSchemaFormat, OpenAPIDocument
from support.contract_schemas import OURS

from fl_client.cli import main
from fl_client.contract.normalise import HTTP_METHODS
from fl_client.testing import FLEmulator


@pytest.fixture(scope="module")
def server() -> Iterator[FLEmulator]:
    with FLEmulator() as emulator:
        yield emulator


def _operations(document: dict[str, object]) -> set[tuple[str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {(method, path) for path, item in paths.items() for method in item if method in HTTP_METHODS}


@pytest.mark.parametrize(
    ("query", "accept", "content_type"),
    [
        ("", None, "application/vnd.oai.openapi"),  # YAML by default, as drf-spectacular
        ("?format=json", None, "application/vnd.oai.openapi+json"),
        ("?format=yaml", "application/json", "application/vnd.oai.openapi"),  # the format wins
        ("", "application/json", "application/json"),
        ("", "application/vnd.oai.openapi+json, */*;q=0.1", "application/vnd.oai.openapi+json"),
    ],
)
def test_negotiation_and_no_credentials(
    server: FLEmulator, query: str, accept: str | None, content_type: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    with httpx.Client(trust_env=False) as raw:
        answer = raw.get(f"{server.url}/api/schema/{query}", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == content_type
    document = json.loads(answer.content) if "json" in content_type else yaml.safe_load(answer.content)
    assert _operations(document) == _operations(OURS)  # every operation of our document, no other


def test_the_generated_operation_reads_it(server: FLEmulator) -> None:
    with Client(base_url=server.url) as client:  # no credentials
        response = get_schema.sync_detailed(client=client, format_=GetSchemaFormat.JSON)
    assert response.status_code == 200
    assert isinstance(response.parsed, OpenAPIDocument)
    assert response.parsed["openapi"] == "3.0.3"


def test_contract_diff_reads_a_schema_url(server: FLEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    # the emulator's document is not the server's: read and compared (exit 1), not unreadable (2)
    assert main(["contract", "diff", "--schema", f"{server.url}/api/schema/?format=json"]) == 1
    assert "Server schema: fl_client emulator 1.0.1 (OpenAPI 3.0.3)" in capsys.readouterr().out
