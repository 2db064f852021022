"""The exit-code tables in the README and the operators' guide are `ExitCode`, row by row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fl_client import ExitCode

ROOT = Path(__file__).resolve().parent.parent
HEADER = "| code | name | meaning |"
ROW = re.compile(r"^\| (\d+) \| `(\w+)` \| (.*) \|$")


def _tables(text: str) -> list[list[tuple[int, str, str]]]:
    """Every table in ``text`` whose header is `HEADER`, as (code, name, meaning) rows."""
    tables = []
    lines = text.splitlines()
    for start, line in enumerate(lines):
        if line.strip() != HEADER:
            continue
        rows = []
        for row in lines[start + 2 :]:
            if not row.startswith("|"):
                break
            match = ROW.match(row.strip())
            assert match, f"not a (code, `NAME`, meaning) row: {row!r}"
            rows.append((int(match[1]), match[2], match[3]))
        tables.append(rows)
    return tables


@pytest.mark.parametrize("document", ["README.md", "docs/guides/operators.md"])
def test_the_documented_table_is_the_enum(document: str) -> None:
    tables = _tables((ROOT / document).read_text())
    assert len(tables) == 1, f"{document}: one exit-code table"
    assert tables[0] == [(code.value, code.name, code.description) for code in ExitCode]


def test_the_table_reader_reads_every_row_up_to_the_table_end() -> None:
    text = f"{HEADER}\n| --- | --- | --- |\n| 0 | `OK` | done |\n| 4 | `SERVER` | server error |\n\nafter\n"
    assert _tables(text) == [[(0, "OK", "done"), (4, "SERVER", "server error")]]
