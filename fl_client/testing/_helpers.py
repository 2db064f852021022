"""Two small helpers for tests that start servers and processes: a free port, waiting on a condition."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

__all__ = ["free_port", "wait_for"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on now (bound, then released).

    For a server that must be told its port before it starts, such as a participant's
    ``fl-client serve --port`` whose URL the emulator's user needs as its ``message_endpoint``::

        port = free_port()
        alice = fl_server.create_user("alice", message_endpoint=f"http://127.0.0.1:{port}/")

    Another process could take the port before the server binds it; on a test machine's loopback
    interface that does not happen in practice.
    """
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for(
    condition: Callable[[], object],
    *,
    timeout: float = 10.0,
    interval: float = 0.01,
    what: str = "condition",
) -> None:
    """Check ``condition()`` every ``interval`` seconds until it is true.

    For what nothing signals, such as a file another process writes; the emulator's own state has
    `FLEmulator.wait_until` and friends, which wake on each change instead of polling.

    Raises:
        TimeoutError: ``condition()`` was still false after ``timeout`` seconds (``what`` names it).
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout:g} s")
        time.sleep(interval)
