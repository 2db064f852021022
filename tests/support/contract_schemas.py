"""Server schemas for the contract-diff tests: the live one (outside the project) and a synthetic one.

* `live_schema_path`: the document a real 1.0.1 server published at ``/api/schema/?format=json``.
  It is reference material kept OUTSIDE the project (never copied in): ``FL_SERVER_SCHEMA``, else
  ``<repo>/../shared/reference/server-schema-live.json``, else ``/work/shared/reference/...``.
  Tests that need it skip, naming where they looked, when it is absent.
* `synthetic_release`: a published schema made from OUR document the way a server's differs from
  it in one known place (start answers 200, not 202), so the diff logic is tested without the
  live document; `write_synthetic` also writes a baseline for it (one deviation, fingerprints
  recorded) into a temporary folder.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from fl_client.contract import load_document, write_fingerprints
from fl_client.contract.diff import fingerprint
from fl_client.contract.normalise import normalise
from fl_client.contract.source import document_sha256
from support.paths import REPOSITORY as ROOT

__all__ = [
    "BASELINE_PATH",
    "OURS",
    "OURS_PATH",
    "SYNTHETIC_BASELINE",
    "SYNTHETIC_TITLE",
    "live_schema_path",
    "require_live_schema",
    "synthetic_release",
    "write_synthetic",
]

OURS_PATH = ROOT / "openapi" / "fl-demonstrator.yaml"
BASELINE_PATH = ROOT / "openapi" / "contract-baseline.yaml"
OURS = load_document(OURS_PATH)
ENV_SERVER_SCHEMA = "FL_SERVER_SCHEMA"
LIVE_NAME = "server-schema-live.json"
SYNTHETIC_TITLE = "Synthetic Server API"

# The baseline of `synthetic_release`: the hand-written part; `write_synthetic` records the rest.
SYNTHETIC_BASELINE = """\
# A synthetic baseline (tests/support/contract_schemas.py)
release: 1.0.1

# --- recorded: begin
# --- recorded: end

deviations:
  - id: start-202
    section: §5.5
    reason: POST /trainings/{id}/start/ answers 202, not 200.
    match:
      - {operation: "POST /api/trainings/{id}/start/", location: response 202, change: removed}
      - {operation: "POST /api/trainings/{id}/start/", location: response 200, change: added}
"""


def live_schema_candidates() -> list[Path]:
    found = [Path(os.environ[ENV_SERVER_SCHEMA])] if os.environ.get(ENV_SERVER_SCHEMA) else []
    return [
        *found,
        ROOT.parent / "shared" / "reference" / LIVE_NAME,
        Path("/work/shared/reference") / LIVE_NAME,
    ]


def live_schema_path() -> Path | None:
    """The live server's published document, or None when none of the places has it."""
    return next((path for path in live_schema_candidates() if path.is_file()), None)


def require_live_schema() -> Path:
    """`live_schema_path`, or skip the test saying where it looked."""
    path = live_schema_path()
    if path is None:
        where = ", ".join(str(p) for p in live_schema_candidates())
        pytest.skip(
            f"the live server schema is not here (looked in {where}; set {ENV_SERVER_SCHEMA}): "
            "it stays outside the project"
        )
    return path


def synthetic_release() -> dict[str, Any]:
    """Our document as a server would publish it: OpenAPI 3.0.3, no webhooks, its own title,
    and POST /api/trainings/{id}/start/ documented as 200 (the real one answers 202)."""
    schema = copy.deepcopy(OURS)
    schema["openapi"] = "3.0.3"
    schema["info"] = {"title": SYNTHETIC_TITLE, "version": "1.0.0"}
    schema.pop("webhooks", None)
    responses = schema["paths"]["/api/trainings/{id}/start/"]["post"]["responses"]
    responses["200"] = responses.pop("202")
    return schema


def write_synthetic(folder: Path, schema: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """Write `synthetic_release` (or ``schema``) and its baseline, fingerprints recorded from the
    unchanged release; returns (schema path, baseline path)."""
    release = synthetic_release()
    schema_path = folder / "schema.yaml"
    schema_path.write_text(yaml.safe_dump(release if schema is None else schema))
    baseline_path = folder / "baseline.yaml"
    baseline_path.write_text(SYNTHETIC_BASELINE, encoding="utf-8")
    server = {
        "title": SYNTHETIC_TITLE,
        "version": "1.0.0",
        "openapi": "3.0.3",
        "sha256": document_sha256(release),
    }
    fingerprints = {op.name: fingerprint(op) for op in normalise(release).values()}
    write_fingerprints(baseline_path, server, fingerprints)
    return schema_path, baseline_path
