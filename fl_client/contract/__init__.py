"""Contract drift: how the server's published OpenAPI document differs from ours, and whether
that is new since the server release ours was written against.

``fl-client contract diff --schema URL|FILE`` is the command; `build_report` is the API::

    report = build_report(load_document("openapi/fl-demonstrator.yaml"),
                          load_document("http://server:8000/api/schema/?format=json"),
                          load_baseline(Path("openapi/contract-baseline.yaml")))
    print(report.render()); sys.exit(0 if report.ok else 1)

Both documents are reduced to comparable facts (`normalise`), compared (`compare`), and each
difference is either explained by a known deviation of the baseline or reported as new.
"""

from __future__ import annotations

from .baseline import Baseline, Deviation, Matcher, load_baseline, write_fingerprints
from .diff import Difference, compare, fingerprint
from .normalise import NormalisedOperation, describe, normalise
from .report import FingerprintChange, KnownDeviation, Report, build_report
from .source import document_sha256, load_document, parse_document

__all__ = [
    "Baseline",
    "Deviation",
    "Difference",
    "FingerprintChange",
    "KnownDeviation",
    "Matcher",
    "NormalisedOperation",
    "Report",
    "build_report",
    "compare",
    "describe",
    "document_sha256",
    "fingerprint",
    "load_baseline",
    "load_document",
    "normalise",
    "parse_document",
    "write_fingerprints",
]
