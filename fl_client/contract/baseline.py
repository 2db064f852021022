"""The contract baseline: data the fl_client team writes in ``openapi/contract-baseline.yaml``.

It is not a copy of the server's document. It records

* ``release``: the server release our document was written against (its schema may say another
  version: 1.0.1 publishes ``info.version`` 1.0.0);
* ``server``: the published schema's title, version, OpenAPI version and ``sha256``, a hash of the
  whole document (`document_sha256`), so the exact document recorded can be recognised again;
* ``fingerprints``: per operation of that release's published schema, a hash of its normalised
  facts (`fingerprint`), so a later release that changes an operation is noticed even where the
  change hides inside a known deviation;
* ``deviations``: where our document differs from the published schema on purpose, each with a
  one-line reason, the API reference section(s) it rests on, and the differences it explains.

A deviation's ``match`` entries are patterns over a difference's ``operation``, ``location``,
``change``, ``ours`` and ``theirs``: ``*`` stands for any text, everything else is literal (so
``array[object]`` means itself); a missing key matches anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..exceptions import ContractError
from .diff import Difference

__all__ = ["Baseline", "Deviation", "Matcher", "load_baseline", "write_fingerprints"]

_MATCH_KEYS = ("operation", "location", "change", "ours", "theirs")


@dataclass(frozen=True)
class Matcher:
    """Patterns for one family of differences; a missing key matches anything."""

    patterns: Mapping[str, str]

    def matches(self, difference: Difference) -> bool:
        for key, pattern in self.patterns.items():
            value = getattr(difference, key)
            if not _glob(pattern).fullmatch("" if value is None else str(value)):
                return False
        return True


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


@dataclass(frozen=True)
class Deviation:
    """A difference from the published schema we keep on purpose."""

    id: str
    reason: str
    matchers: tuple[Matcher, ...]
    section: str = ""  # where the API reference says what the server does, e.g. "§5.5, §11"

    def explains(self, difference: Difference) -> bool:
        return any(m.matches(difference) for m in self.matchers)


@dataclass(frozen=True)
class Baseline:
    server: Mapping[str, str]
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    deviations: Sequence[Deviation] = ()

    release: str | None = None

    @property
    def version(self) -> str:
        """The version the recorded schema states."""
        return str(self.server.get("version", "?"))

    @property
    def written_against(self) -> str:
        """The server release our document follows (``release``, else the schema's version)."""
        return self.release or self.version

    @property
    def sha256(self) -> str | None:
        """The recorded `document_sha256` of the server's document, if any."""
        return self.server.get("sha256")


def load_baseline(path: Path) -> Baseline:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContractError(f"cannot read the contract baseline {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, Mapping):
        raise ContractError(f"{path}: expected a mapping with server, fingerprints and deviations")
    return Baseline(
        server={str(k): str(v) for k, v in _mapping(data.get("server"), path, "server").items()},
        fingerprints={
            str(k): str(v) for k, v in _mapping(data.get("fingerprints"), path, "fingerprints").items()
        },
        deviations=tuple(_deviation(entry, path) for entry in data.get("deviations") or []),
        release=str(data["release"]) if data.get("release") is not None else None,
    )


def _mapping(value: Any, path: Path, what: str) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ContractError(f"{path}: '{what}' must be a mapping")
    return value


def _deviation(entry: Any, path: Path) -> Deviation:
    if not isinstance(entry, Mapping) or not entry.get("id") or not entry.get("reason"):
        raise ContractError(f"{path}: every deviation needs an 'id' and a one-line 'reason': {entry!r}")
    if not str(entry.get("section") or "").strip():
        raise ContractError(
            f"{path}: deviation {entry['id']} needs a 'section': the API reference section(s) "
            "that say what the server does"
        )
    matchers = []
    for raw in entry.get("match") or []:
        if not isinstance(raw, Mapping) or not raw or set(raw) - set(_MATCH_KEYS):
            raise ContractError(
                f"{path}: deviation {entry['id']}: a match entry uses only {', '.join(_MATCH_KEYS)}: {raw!r}"
            )
        matchers.append(Matcher({str(k): str(v) for k, v in raw.items()}))
    if not matchers:
        raise ContractError(f"{path}: deviation {entry['id']} has no 'match' entries")
    return Deviation(
        str(entry["id"]),
        " ".join(str(entry["reason"]).split()),
        tuple(matchers),
        section=" ".join(str(entry["section"]).split()),
    )


def write_fingerprints(path: Path, server: Mapping[str, str], fingerprints: Mapping[str, str]) -> None:
    """Replace the ``server`` and ``fingerprints`` sections, keeping everything else as written.

    The file is edited as text between its section markers so comments and the hand-written
    deviations stay exactly as they are; the new text replaces the file atomically.
    """
    text = path.read_text(encoding="utf-8")
    start, end = "# --- recorded: begin", "# --- recorded: end"
    if text.count(start) != 1 or text.count(end) != 1:
        raise ContractError(f"{path}: the '{start}' / '{end}' markers are missing")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    recorded = yaml.safe_dump(
        {"server": dict(server), "fingerprints": dict(sorted(fingerprints.items()))},
        sort_keys=False,
        default_flow_style=False,
        width=200,
    )
    note = " (written by `fl-client contract diff --record`)\n"
    partial = path.with_name(path.name + ".part")
    partial.write_text(head + start + note + recorded + end + tail, encoding="utf-8")
    partial.replace(path)
