"""A download's shared memory mapping never reaches a user's own torch.load in another thread."""

from __future__ import annotations

import mmap
import threading
from pathlib import Path
from typing import Any

import pytest
import torch

from fl_client.serialization import load_model

_gate_entered = threading.Event()
_gate_release = threading.Event()


class Opened:
    """What a `Gate` unpickles to; building it holds our load until the other thread is done."""

    def __init__(self) -> None:
        _gate_entered.set()
        assert _gate_release.wait(30)


class Gate:
    def __reduce__(self) -> tuple[Any, ...]:
        return (Opened, ())


@pytest.mark.skipif(not hasattr(mmap, "MAP_SHARED") or torch.__version__ < "2", reason="POSIX mmap")
def test_a_users_mmap_load_in_another_thread_stays_private(tmp_path: Path) -> None:
    ours = tmp_path / "download.pt"
    torch.save({"w": torch.zeros(4), "gate": Gate()}, ours)
    theirs = tmp_path / "checkpoint.pt"
    torch.save({"w": torch.zeros(4)}, theirs)
    before = theirs.read_bytes()
    failure: list[BaseException] = []

    def download() -> None:
        try:
            load_model(ours, mmap=True, shared_mapping=True,
                       trusted_classes=[Opened])  # fmt: skip
        except BaseException as exc:
            failure.append(exc)
            _gate_entered.set()

    thread = threading.Thread(target=download)
    thread.start()
    try:
        assert _gate_entered.wait(30)
        # the user's own code, while our load is in progress
        state = torch.load(theirs, mmap=True, weights_only=True)
        state["w"] += 1.0  # training writes into the tensors
        del state
    finally:
        _gate_release.set()
        thread.join(30)
    assert not failure, failure
    assert theirs.read_bytes() == before  # their file is not written through a shared mapping
