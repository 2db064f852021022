"""The terminal progress line: drawn only on a terminal, throttled, always finished."""

from __future__ import annotations

import io

from fl_client.progress import StderrProgress


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_nothing_is_drawn_when_the_stream_is_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = StderrProgress("download", stream=stream)
    assert progress.enabled is False
    progress(0, 100)
    progress(100, 100)
    assert stream.getvalue() == ""


def test_redraws_are_throttled_and_the_last_state_ends_the_line() -> None:
    stream, clock = io.StringIO(), FakeClock()
    progress = StderrProgress("upload", stream=stream, enabled=True, min_interval=0.1, clock=clock)
    total = 4 * 1024 * 1024
    progress(0, total)
    clock.now = 0.05
    progress(1024 * 1024, total)  # too soon after the first draw: skipped
    clock.now = 0.5
    progress(2 * 1024 * 1024, total)
    clock.now = 0.55
    progress(total, total)  # the end is always drawn
    progress(total, total)  # ... once
    lines = stream.getvalue().split("\r")[1:]
    assert lines == [
        "upload: 0.0/4.0 MiB (0%) 0.0 MiB/s",
        "upload: 2.0/4.0 MiB (50%) 4.0 MiB/s",
        "upload: 4.0/4.0 MiB (100%) 7.3 MiB/s\n",
    ]


def test_an_unknown_total_shows_the_bytes_so_far() -> None:
    progress = StderrProgress("download", stream=io.StringIO(), enabled=True)
    assert progress.render(3 * 1024 * 1024, None, 2.0) == "download: 3.0 MiB 1.5 MiB/s"
