"""``fl-client contract diff``: has the server's published API moved away from our document?

Reads the server's schema (``/api/schema/``, no credentials needed, or a saved file), compares
it with ``openapi/fl-demonstrator.yaml`` and sorts every difference against
``openapi/contract-baseline.yaml`` (see `fl_client.contract`). Exit codes follow diff(1):
0 only known deviations, 1 something new, 2 trouble (unreadable document, bad baseline).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..contract.source import DEFAULT_FETCH_TIMEOUT
from ..exceptions import ConfigurationError, ContractError

__all__ = ["EXIT_DRIFT", "EXIT_TROUBLE", "add_contract", "run_contract_diff"]

EXIT_SAME = 0  # only known deviations
EXIT_DRIFT = 1  # new differences, changed operations or resolved deviations
EXIT_TROUBLE = 2  # a document or the baseline could not be read

DOCUMENT = Path("openapi") / "fl-demonstrator.yaml"
BASELINE = Path("openapi") / "contract-baseline.yaml"

_EPILOG = """\
exit status: 0 only known deviations, 1 something new (see the report), 2 a document or the
baseline could not be read.

When the server changes: read the report, edit openapi/fl-demonstrator.yaml (and the deviations
in openapi/contract-baseline.yaml), record the new release with --record, then `make generate`.
"""


def add_contract(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    contract = commands.add_parser(
        "contract",
        help="compare the server's published OpenAPI schema with ours (maintainers)",
        description="Check our OpenAPI document against the schema a server publishes.",
    )
    verbs = contract.add_subparsers(dest="contract_command", metavar="VERB", required=True)
    diff = verbs.add_parser(
        "diff",
        help="what changed in the server's schema since the release our document was written against",
        description=(
            "Normalise the server's published schema and our document (operations, parameters, "
            "request fields and types, response codes and shapes), compare them, and report the "
            "differences the baseline's known deviations do not explain."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = diff.add_argument
    add(
        "--schema",
        required=True,
        metavar="URL|FILE",
        help="the server's schema, e.g. http://server:8000/api/schema/?format=json, or a saved file",
    )
    add("--json", action="store_true", help="print the report as JSON (for CI)")
    add("-v", "--verbose", action="store_true", help="also list every difference a known deviation explains")
    add("--document", type=Path, help=f"our OpenAPI document (default: {DOCUMENT} of this project)")
    add("--baseline", type=Path, help=f"the baseline (default: {BASELINE} of this project)")
    add(
        "--record",
        action="store_true",
        help="write the server's version and operation fingerprints into the baseline first "
        "(after our document follows the new release)",
    )
    add(
        "--timeout",
        type=float,
        default=DEFAULT_FETCH_TIMEOUT,
        help=f"seconds to wait for a schema URL (default {DEFAULT_FETCH_TIMEOUT:g})",
    )
    diff.set_defaults(handler=run_contract_diff)


def _default(relative: Path, given: Path | None, option: str) -> Path:
    if given is not None:
        return given
    # the maintainer runs this in the project; an editable install also finds it next to the package
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (root / relative).is_file():
            return root / relative
    raise ConfigurationError(f"{relative} not found here: run in the project folder or give {option}")


def run_contract_diff(args: argparse.Namespace) -> int:
    """``fl-client contract diff``: the report on stdout, the exit status as documented."""
    from ..contract import build_report, load_baseline, load_document, write_fingerprints

    document = _default(DOCUMENT, args.document, "--document")
    baseline_path = _default(BASELINE, args.baseline, "--baseline")
    try:
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
    except (ContractError, OSError) as exc:
        print(f"fl-client contract diff: {exc}", file=sys.stderr)
        return EXIT_TROUBLE
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report.render(verbose=args.verbose))
    return EXIT_SAME if report.ok else EXIT_DRIFT
