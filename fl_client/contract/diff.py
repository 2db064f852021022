"""Compare two normalised documents: every fact that is only in one of them, or differs.

The comparison reads from our document to the server's, like ``diff ours theirs``:

* ``added``   the server's document has it, ours does not;
* ``removed`` ours has it, the server's does not;
* ``changed`` both have it, with different values.

A difference under one that is already added or removed (the fields of a response code ours
does not list, say) is left out: the parent says it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Literal

from .normalise import NormalisedOperation

__all__ = ["Change", "Difference", "compare", "fingerprint", "kind_of"]

Change = Literal["added", "removed", "changed"]
_FINGERPRINT_CHARS = 16


@dataclass(frozen=True)
class Difference:
    """One fact that differs. ``location`` is empty for a whole operation."""

    operation: str  # "POST /api/users/"
    location: str  # "response 201 application/json field token"
    change: Change
    ours: str | None
    theirs: str | None

    @property
    def kind(self) -> str:
        return kind_of(self.location)

    def to_json(self) -> dict[str, str | None]:
        return {**asdict(self), "kind": self.kind}

    def describe(self) -> str:
        if self.change == "changed":
            return f"ours: {self.ours}; server: {self.theirs}"
        return str(self.theirs if self.change == "added" else self.ours)


def kind_of(location: str) -> str:
    """operation, parameter, body (a content type or its shape), field or code."""
    words = location.split()
    if not words:
        return "operation"
    if words[0] == "parameter":
        return "parameter"
    if "field" in words:
        return "field"
    if words[0] == "response" and len(words) == 2:
        return "code"
    return "body"


def fingerprint(operation: NormalisedOperation) -> str:
    """A short stable hash of an operation's facts (names and descriptions do not count)."""
    data = json.dumps({"path": operation.key, "facts": dict(sorted(operation.facts.items()))})
    return hashlib.sha256(data.encode()).hexdigest()[:_FINGERPRINT_CHARS]


def compare(
    ours: Mapping[str, NormalisedOperation], theirs: Mapping[str, NormalisedOperation]
) -> list[Difference]:
    """Every difference between the two documents, sorted by operation and location."""
    found: list[Difference] = []
    for key in sorted(set(ours) | set(theirs)):
        mine, server = ours.get(key), theirs.get(key)
        if mine is None and server is not None:
            found.append(Difference(server.name, "", "added", None, "operation"))
        elif server is None and mine is not None:
            found.append(Difference(mine.name, "", "removed", "operation", None))
        elif mine is not None and server is not None:
            found.extend(_facts(mine.name, mine.facts, server.facts))
    return found


def _facts(name: str, ours: Mapping[str, str], theirs: Mapping[str, str]) -> Iterator[Difference]:
    gone: set[str] = set()  # locations only one side has: their children are not repeated
    for location in sorted(set(ours) | set(theirs)):
        if any(location.startswith(parent + " ") for parent in gone):
            continue
        mine, server = ours.get(location), theirs.get(location)
        if mine == server:
            continue
        if mine is None or server is None:
            gone.add(location)
            yield Difference(name, location, "added" if mine is None else "removed", mine, server)
        else:
            yield Difference(name, location, "changed", mine, server)
