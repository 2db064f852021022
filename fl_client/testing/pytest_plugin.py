"""pytest plugin (registered through the ``pytest11`` entry point): fl_client's fixtures.

``fl_server``: a started `fl_client.testing.FLEmulator`, fresh for each test (starting one takes
milliseconds), stopped afterwards::

    def test_my_script_trains(fl_server):
        actor = fl_server.create_user("actor")
        alice = fl_server.create_user("alice", message_endpoint=my_receiver_url)
        model_id = fl_server.upload_model(actor, torch.jit.script(MyNet()))
        training_id = fl_server.create_training(actor, model_id, [alice], target_num_updates=2)
        fl_server.start_training(actor, training_id)
        fl_server.wait_for_state(training_id, "C")

Override ``fl_server_options`` in your ``conftest.py`` to pass `FLEmulator` arguments, e.g.
``{"trusted_classes": ["mypkg.nets.Net"]}`` when your tests upload pickled custom modules.

This module imports nothing heavy at collection time: pytest loads it in every session of
every project that has fl_client installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .emulator import FLEmulator

__all__ = ["fl_server", "fl_server_options"]


@pytest.fixture
def fl_server_options() -> dict[str, Any]:
    """Keyword arguments for the `FLEmulator` of ``fl_server``; override to customise."""
    return {}


@pytest.fixture
def fl_server(fl_server_options: dict[str, Any]) -> Iterator[FLEmulator]:
    """A running FL Demonstrator emulator on 127.0.0.1 and a free port; ``fl_server.url`` is its base URL."""
    from .emulator import FLEmulator

    with FLEmulator(**fl_server_options) as server:
        yield server
