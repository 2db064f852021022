"""Put a comparison in front of the baseline: known deviations apart from what is new."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .baseline import Baseline, Deviation
from .diff import Difference, compare, fingerprint
from .normalise import normalise
from .source import document_sha256

__all__ = ["FingerprintChange", "KnownDeviation", "Report", "build_report"]

_SIGN = {"added": "+", "removed": "-", "changed": "~"}


@dataclass(frozen=True)
class KnownDeviation:
    deviation: Deviation
    differences: tuple[Difference, ...]


@dataclass(frozen=True)
class FingerprintChange:
    """A server operation that is not what it was in the baseline release."""

    operation: str
    change: str  # "changed", "added" (no fingerprint recorded) or "removed" (gone from the schema)
    recorded: str | None
    now: str | None


@dataclass(frozen=True)
class Report:
    server: Mapping[str, str]  # title, version, openapi and sha256 of the server's document
    baseline_version: str
    release: str = ""  # the server release our document follows
    recorded_sha256: str | None = None  # the document the baseline was recorded from
    new: tuple[Difference, ...] = ()
    known: tuple[KnownDeviation, ...] = ()
    resolved: tuple[Deviation, ...] = ()  # deviations that explain nothing any more
    changed_operations: tuple[FingerprintChange, ...] = ()
    fingerprints_recorded: bool = True
    current_fingerprints: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Only known deviations: nothing to do."""
        return not (self.new or self.resolved or self.changed_operations)

    @property
    def same_document(self) -> bool | None:
        """Whether the server's document is the very one the baseline was recorded from (None:
        no hash recorded). Informative only: a changed text or example changes the hash, not
        the facts, so it does not decide `ok`."""
        if self.recorded_sha256 is None:
            return None
        return self.recorded_sha256 == self.server.get("sha256")

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "server": dict(self.server),
            "baseline": {
                "version": self.baseline_version,
                "release": self.release or self.baseline_version,
                "fingerprints": self.fingerprints_recorded,
                "same_document": self.same_document,
            },
            "new": [d.to_json() for d in self.new],
            "changed_operations": [vars(c) for c in self.changed_operations],
            "resolved_deviations": [
                {"id": d.id, "reason": d.reason, "section": d.section} for d in self.resolved
            ],
            "known": [
                {
                    "id": k.deviation.id,
                    "reason": k.deviation.reason,
                    "section": k.deviation.section,
                    "differences": [d.to_json() for d in k.differences],
                }
                for k in self.known
            ],
        }

    def render(self, *, verbose: bool = False) -> str:
        server = self.server
        release = self.release or self.baseline_version
        against = f"server {release}"
        if release != self.baseline_version:
            against += f" (its schema says version {self.baseline_version})"
        lines = [
            f"Server schema: {server.get('title', '?')} {server.get('version', '?')}"
            f" (OpenAPI {server.get('openapi', '?')}), sha256 {str(server.get('sha256', '?'))[:16]}",
            f"Written against: {against}",
            _document_line(self.same_document),
            "",
            f"New differences: {len(self.new)}",
        ]
        lines += [f"  {_line(d)}" for d in self.new]
        if not self.fingerprints_recorded:
            lines.append("Server operations changed: unknown (no fingerprints recorded in the baseline)")
        else:
            lines.append(f"Server operations changed since {release}: {len(self.changed_operations)}")
            lines += [
                f"  {_SIGN.get(c.change, '~')} {c.operation}  ({c.recorded or '-'} -> {c.now or '-'})"
                for c in self.changed_operations
            ]
        if self.resolved:
            lines.append(
                f"Known deviations no longer seen (fixed on the server? update): {len(self.resolved)}"
            )
            lines += [f"  {d.id} [{d.section}]: {d.reason}" for d in self.resolved]
        count = sum(len(k.differences) for k in self.known)
        lines.append(f"Known deviations: {len(self.known)} ({count} differences)")
        for known in self.known:
            d = known.deviation
            lines.append(f"  {d.id} ({len(known.differences)}) [{d.section}]: {d.reason}")
            if verbose:
                lines += [f"      {_line(d)}" for d in known.differences]
        lines += ["", "OK: only known deviations." if self.ok else "CHANGED: see above."]
        return "\n".join(lines)


def _document_line(same: bool | None) -> str:
    if same is None:
        return "Server document: no hash recorded in the baseline"
    if same:
        return "Server document: the one the baseline was recorded from"
    return "Server document: not the one the baseline was recorded from (see the differences below)"


def _line(difference: Difference) -> str:
    where = f"  {difference.location}" if difference.location else ""
    return f"{_SIGN[difference.change]} {difference.operation}{where}: {difference.describe()}"


def build_report(ours: Mapping[str, Any], theirs: Mapping[str, Any], baseline: Baseline) -> Report:
    """Compare our document with the server's and sort every difference against the baseline."""
    mine, server = normalise(ours), normalise(theirs)
    differences = compare(mine, server)
    explained: dict[str, list[Difference]] = {d.id: [] for d in baseline.deviations}
    new: list[Difference] = []
    for difference in differences:
        deviation = next((d for d in baseline.deviations if d.explains(difference)), None)
        if deviation is None:
            new.append(difference)
        else:
            explained[deviation.id].append(difference)
    current = {op.name: fingerprint(op) for op in server.values()}
    changes: list[FingerprintChange] = []
    if baseline.fingerprints:
        for name in sorted(set(current) | set(baseline.fingerprints)):
            recorded, now = baseline.fingerprints.get(name), current.get(name)
            if recorded != now:
                change = "added" if recorded is None else "removed" if now is None else "changed"
                changes.append(FingerprintChange(name, change, recorded, now))
    info = theirs.get("info") or {}
    return Report(
        server={
            "title": str(info.get("title", "?")),
            "version": str(info.get("version", "?")),
            "openapi": str(theirs.get("openapi", "?")),
            "sha256": document_sha256(theirs),
        },
        baseline_version=baseline.version,
        release=baseline.written_against,
        recorded_sha256=baseline.sha256,
        new=tuple(new),
        known=tuple(
            KnownDeviation(d, tuple(explained[d.id])) for d in baseline.deviations if explained[d.id]
        ),
        resolved=tuple(d for d in baseline.deviations if not explained[d.id]),
        changed_operations=tuple(changes),
        fingerprints_recorded=bool(baseline.fingerprints),
        current_fingerprints=current,
    )
