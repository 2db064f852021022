"""Where things are: the repository, the tests' fixture scripts and files."""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXAMPLES", "FIXTURES", "REPOSITORY"]

REPOSITORY = Path(__file__).resolve().parents[2]
FIXTURES = REPOSITORY / "tests" / "fixtures"
EXAMPLES = REPOSITORY / "examples"
