"""``fl-client contract diff``: has the server's published API moved away from our document?

Reads the server's schema (``/api/schema/``, no credentials needed, or a saved file), compares
it with ``openapi/fl-demonstrator.yaml`` and sorts every difference against
``openapi/contract-baseline.yaml`` (see `fl_client.contract`). Exit codes follow diff(1):
0 only known deviations, 1 something new, 2 trouble (unreadable document, bad baseline).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..contract.source import DEFAULT_FETCH_TIMEOUT
from ..exceptions import ConfigurationError, ContractError
from ..exit_codes import ExitCode

__all__ = ["BASELINE", "DOCUMENT", "DiffOptions", "contract_group", "project_file", "run_contract_diff"]

DOCUMENT = Path("openapi") / "fl-demonstrator.yaml"
BASELINE = Path("openapi") / "contract-baseline.yaml"

_EPILOG = f"""\b
exit status: {ExitCode.OK.value} only known deviations, {ExitCode.ERROR.value} something new (see the report),
{ExitCode.USAGE.value} a document or the baseline could not be read.

When the server changes: read the report, edit openapi/fl-demonstrator.yaml (and the deviations
in openapi/contract-baseline.yaml), record the new release with --record, then `make generate`.
"""


@click.group("contract", short_help="compare the server's published OpenAPI schema with ours (maintainers)")
def contract_group() -> None:
    """Check our OpenAPI document against the schema a server publishes."""


@contract_group.command(
    "diff",
    short_help="what changed in the server's schema since the release our document was written against",
    epilog=_EPILOG,
)
@click.option("--schema", required=True, metavar="URL|FILE",
              help="the server's schema, e.g. http://server:8000/api/schema/?format=json, or a saved file")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON (for CI)")
@click.option("-v", "--verbose", is_flag=True, help="also list every difference a known deviation explains")
@click.option("--document", type=click.Path(dir_okay=False, path_type=Path),
              help=f"our OpenAPI document (default: {DOCUMENT} of this project)")  # fmt: skip
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path),
              help=f"the baseline (default: {BASELINE} of this project)")  # fmt: skip
@click.option("--record", is_flag=True,
              help="write the server's version and operation fingerprints into the baseline first "
              "(after our document follows the new release)")  # fmt: skip
@click.option("--timeout", type=float, default=DEFAULT_FETCH_TIMEOUT, show_default=True,
              help="seconds to wait for a schema URL")  # fmt: skip
def contract_diff_command(**options: Any) -> int:
    """Normalise the server's published schema and our document (operations, parameters, request
    fields and types, response codes and shapes), compare them, and report the differences the
    baseline's known deviations do not explain."""
    return run_contract_diff(DiffOptions(**options))


@dataclass(frozen=True, kw_only=True)
class DiffOptions:
    """``fl-client contract diff``'s options."""

    schema: str
    as_json: bool = False
    verbose: bool = False
    document: Path | None = None
    baseline: Path | None = None
    record: bool = False
    timeout: float = DEFAULT_FETCH_TIMEOUT


def project_file(relative: Path, given: Path | None, option: str) -> Path:
    """``given``, else ``relative`` (our document or the baseline) in the current folder or in the
    source checkout the package runs from; `ConfigurationError` naming ``option`` otherwise."""
    if given is not None:
        return given
    # the maintainer runs this in the project; an editable install also finds it next to the package
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (root / relative).is_file():
            return root / relative
    raise ConfigurationError(f"{relative} not found here: run in the project folder or give {option}")


def run_contract_diff(args: DiffOptions) -> int:
    """``fl-client contract diff``: the report on stdout, the exit status as documented."""
    from ..contract import build_report, load_baseline, load_document, write_fingerprints

    try:
        document = project_file(DOCUMENT, args.document, "--document")
        baseline_path = project_file(BASELINE, args.baseline, "--baseline")
        ours = load_document(document)
        theirs = load_document(args.schema, timeout=args.timeout)
        report = build_report(ours, theirs, load_baseline(baseline_path))
        if args.record:
            write_fingerprints(baseline_path, report.server, report.current_fingerprints)
            print(
                f"recorded {len(report.current_fingerprints)} operation fingerprints of "
                f"{report.server['title']} {report.server['version']} in {baseline_path}",
                file=sys.stderr,
            )
            report = build_report(ours, theirs, load_baseline(baseline_path))
    except (ContractError, ConfigurationError, OSError) as exc:
        print(f"fl-client contract diff: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    if args.as_json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report.render(verbose=args.verbose))
    # like diff(1): 1 for new differences, changed operations or resolved deviations
    return ExitCode.OK if report.ok else ExitCode.ERROR
