"""Transfer progress: the callback type model transfers report to, and a progress line for terminals.

Moving a 1 GB model takes seconds to minutes; a participant watching ``fl-client`` (or a training
script) wants to see that it moves. Transfers call a `ProgressCallback` with the bytes done and
the total (None when the server did not say); `StderrProgress` is a ready callback that draws one
self-overwriting line on stderr, and draws nothing when stderr is not a terminal (logs stay clean).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from .defaults import PROGRESS_MIN_INTERVAL

__all__ = ["ProgressCallback", "StderrProgress"]

ProgressCallback = Callable[[int, int | None], None]
"""Called as ``progress(done, total)`` after each chunk; ``total`` is None when unknown."""

_MB = 1024 * 1024


class StderrProgress:
    """A `ProgressCallback` that draws ``label: 512.0/1024.0 MiB (50%) 180.3 MiB/s`` on a terminal.

    Redraws at most every ``min_interval`` seconds (a chunk arrives every few milliseconds; drawing
    each would cost more than the transfer) and always draws the final state, ending the line.
    ``enabled=None`` draws only when ``stream`` is a terminal.
    """

    def __init__(
        self,
        label: str = "transfer",
        *,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        min_interval: float = PROGRESS_MIN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.min_interval = min_interval
        self._clock = clock
        self._start: float | None = None
        self._last_draw = float("-inf")
        self._finished = False

    def __call__(self, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        now = self._clock()
        if self._start is None or done == 0:
            self._start, self._finished = now, False
        finished = total is not None and done >= total
        if self._finished or (not finished and now - self._last_draw < self.min_interval):
            return
        self._last_draw = now
        self._finished = finished
        self.stream.write("\r" + self.render(done, total, now - self._start) + ("\n" if finished else ""))
        self.stream.flush()

    def render(self, done: int, total: int | None, elapsed: float) -> str:
        """The line for ``done`` of ``total`` bytes after ``elapsed`` seconds."""
        rate = done / elapsed / _MB if elapsed > 0 else 0.0
        if total:
            return f"{self.label}: {done / _MB:.1f}/{total / _MB:.1f} MiB ({100 * done // total}%) {rate:.1f} MiB/s"
        return f"{self.label}: {done / _MB:.1f} MiB {rate:.1f} MiB/s"
