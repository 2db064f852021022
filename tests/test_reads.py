"""Larger socket reads only on fl_client's own connections: nothing process-wide changes."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest
from support.contract_server import ContractServer
from support.models import same_parameters, small_model, torch_bytes
from support.values import CLIENT_ID, MODEL_ID, SECRET, TOKEN, TRAINING_ID

from fl_client import Communication
from fl_client.defaults import HTTP_READ_BYTES


def test_larger_reads_are_scoped_to_fl_clients_own_transfers(
    api: ContractServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from httpcore._backends.sync import SyncStream
    from httpcore._sync.http11 import HTTP11Connection

    asked: list[int] = []
    real_read = SyncStream.read

    def read(self: SyncStream, max_bytes: int, timeout: float | None = None) -> bytes:
        asked.append(max_bytes)
        return real_read(self, max_bytes, timeout)

    monkeypatch.setattr(SyncStream, "read", read)
    default = HTTP11Connection.READ_NUM_BYTES
    model = small_model()
    api.expect("GET", f"/api/models/{MODEL_ID}/", status=200, body=torch_bytes(model),
               content_type="application/octet-stream", times=2)  # fmt: skip
    with Communication.from_user_password(
        UUID(CLIENT_ID), UUID(TRAINING_ID), 0, UUID(MODEL_ID), "alice", SECRET, base_url=api.url
    ) as comm:
        assert same_parameters(comm.download_model(), model)
    assert asked and set(asked) == {HTTP_READ_BYTES}  # fl_client's connection read large chunks
    assert default == HTTP11Connection.READ_NUM_BYTES  # and httpcore itself is untouched
    asked.clear()
    with httpx.Client() as other:  # an application's own client in the same process
        answer = other.get(f"{api.url}/api/models/{MODEL_ID}/", headers={"Authorization": f"Token {TOKEN}"})
        assert answer.status_code == 200
    assert asked and set(asked) == {default}
