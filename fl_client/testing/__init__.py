"""Test helpers for fl_client users and for this project's own tests.

`FLEmulator` is an in-process FL Demonstrator server: a training script, a receiver or a whole
federated training can be tested on one machine, without the Django/PostgreSQL/Redis/Celery
deployment. The pytest plugin (`fl_client.testing.pytest_plugin`, registered through the
``pytest11`` entry point) gives it to any test suite as the ``fl_server`` fixture.

Importing this package does not import torch; `fl_client.testing.aggregation` (FedAvg) does.

`free_port` and `wait_for` help tests that start receivers and other processes.
"""

from __future__ import annotations

from ._helpers import free_port, wait_for
from ._notifier import NotificationRecord
from ._server import Exchange
from .emulator import DEFAULT_PASSWORD, EmulatedUser, EmulatorError, FLEmulator

__all__ = [
    "DEFAULT_PASSWORD",
    "EmulatedUser",
    "EmulatorError",
    "Exchange",
    "FLEmulator",
    "NotificationRecord",
    "free_port",
    "wait_for",
]
