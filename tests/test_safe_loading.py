"""Safe loading through the download path: no server pickle runs code; every stored format loads."""

from __future__ import annotations

import io
import os
import pickle
import warnings
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import torch
from support.contract_server import ContractServer
from support.values import BASIC, CLIENT_ID, MODEL_ID, MODEL_PATH, TRAINING_ID

from fl_client import Communication
from fl_client.exceptions import ModelDownloadException, ModelSerializationError, UnsafeModelError
from fl_client.serialization import load_model, pack_model, unpack_model


class TinyNet(torch.nn.Module):
    """A participant's own class: not torch's, so not allowed unless named."""

    def __init__(self) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class RunsShell:
    """Unpickling it calls os.system (what an attacker would store as a model)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


class CreatesFile:
    """Unpickling it calls open(marker, "w"): creates a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def _torch_bytes(obj: Any, **kwargs: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer, **kwargs)
    return buffer.getvalue()


def _script(module: torch.nn.Module) -> Any:
    with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript; servers still store it
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.script(module)


def _trace(module: torch.nn.Module, example: torch.Tensor) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.trace(module, example)


def _jit_bytes(module: torch.jit.ScriptModule) -> bytes:
    return pack_model(module)  # torch.jit.save


def _download(api: ContractServer, tmp_path: Path, body: bytes, **kwargs: Any) -> Any:
    api.expect("GET", MODEL_PATH, status=200, body=body, content_type="application/octet-stream")
    comm = Communication(
        UUID(CLIENT_ID),
        UUID(TRAINING_ID),
        1,
        UUID(MODEL_ID),
        BASIC,
        base_url=api.url,
        temp_dir=tmp_path,
        **kwargs,
    )
    with comm:
        try:
            return comm.download_model()
        finally:
            assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Nothing from the server runs code


CRAFTED: dict[str, Callable[[Path], bytes]] = {
    "os.system, torch.save": lambda marker: _torch_bytes(RunsShell(marker)),
    "open(), torch.save": lambda marker: _torch_bytes(CreatesFile(marker)),
    "os.system, legacy torch.save": lambda marker: _torch_bytes(
        RunsShell(marker), _use_new_zipfile_serialization=False
    ),
    "open(), legacy torch.save": lambda marker: _torch_bytes(
        CreatesFile(marker), _use_new_zipfile_serialization=False
    ),
    "os.system, bare pickle": lambda marker: pickle.dumps(RunsShell(marker), protocol=2),
}


@pytest.mark.parametrize("crafted", CRAFTED.values(), ids=CRAFTED.keys())
def test_a_crafted_pickle_runs_nothing(
    api: ContractServer,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    crafted: Callable[[Path], bytes],
) -> None:
    marker = tmp_path_factory.mktemp("marker") / "pwned"
    with pytest.raises(ModelDownloadException) as info:
        _download(api, tmp_path, crafted(marker))
    assert not marker.exists(), "the payload ran"
    assert isinstance(info.value, ModelSerializationError)


@pytest.mark.parametrize("crafted", [RunsShell, CreatesFile])
def test_the_refusal_names_the_class_and_the_switches(
    api: ContractServer, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, crafted: type
) -> None:
    marker = tmp_path_factory.mktemp("marker") / "pwned"
    with pytest.raises(UnsafeModelError) as info:
        _download(api, tmp_path, _torch_bytes(crafted(marker)))
    assert isinstance(info.value, ModelDownloadException)
    refused = info.value.refused  # type: ignore[attr-defined]
    assert refused in {"posix.system", "nt.system", "builtins.open", "io.open"}
    assert refused in str(info.value)
    assert "trust_remote_code" in str(info.value) and "FL_CLIENT_TRUST_REMOTE_CODE" in str(info.value)
    assert not marker.exists()


# ---------------------------------------------------------------------------------------------
# What the server stores loads


def _sequential() -> torch.nn.Module:
    torch.manual_seed(1)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Dropout(0.1), torch.nn.Linear(4 * 6 * 6, 3),
    )  # fmt: skip


def _aggregated(module: torch.nn.Module, script: bool) -> bytes:
    """What the server writes after a round: the first upload, parameters replaced by the mean."""
    other = _sequential()
    for parameter in other.parameters():
        parameter.data.add_(1.0)
    uploads = [_script(m) if script else m for m in (module, other)]
    blobs = [_jit_bytes(u) if script else _torch_bytes(u) for u in uploads]
    with warnings.catch_warnings():  # the server's torch.load dispatches TorchScript, with a warning
        warnings.simplefilter("ignore")
        loaded = [torch.load(io.BytesIO(b), weights_only=False) for b in blobs]  # the server trusts uploads
    states = [m.state_dict() for m in loaded]
    mean = {k: (states[0][k] * 600 + states[1][k] * 400) / 1000 if states[0][k].is_floating_point() else states[0][k]
            for k in states[0]}  # fmt: skip
    loaded[0].load_state_dict(mean)
    return _jit_bytes(loaded[0]) if script else _torch_bytes(loaded[0])


STORED: dict[str, Callable[[], tuple[bytes, Any]]] = {
    "pickled torch.nn module": lambda: (_torch_bytes(m := _sequential()), m),
    "state dict, legacy format": lambda: (_torch_bytes((m := _sequential()).state_dict(), _use_new_zipfile_serialization=False), m.state_dict()),
    "scripted module": lambda: (_jit_bytes(_script(m := _sequential().eval())), m),
    "traced module": lambda: (_jit_bytes(_trace(m := _sequential().eval(), torch.zeros(1, 1, 8, 8))), m),
    "state dict": lambda: (_torch_bytes(OrderedDict((m := _sequential()).state_dict())), m.state_dict()),
    "tensor": lambda: (_torch_bytes(t := torch.arange(12.0).reshape(3, 4)), t),
    "aggregated pickled module": lambda: (_aggregated(_sequential(), script=False), None),
    "aggregated TorchScript module": lambda: (_aggregated(_sequential(), script=True), None),
}  # fmt: skip


def _state(obj: Any) -> dict[str, torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        return {"": obj}
    return dict(obj.state_dict() if hasattr(obj, "state_dict") else obj)


@pytest.mark.parametrize("stored", STORED.values(), ids=STORED.keys())
def test_every_stored_format_downloads_and_loads(
    api: ContractServer, tmp_path: Path, stored: Callable[[], tuple[bytes, Any]]
) -> None:
    body, original = stored()
    loaded = _download(api, tmp_path, body)
    if original is None:  # aggregated: a module whose parameters are the weighted mean
        assert isinstance(loaded, torch.nn.Module)
        weight = dict(loaded.named_parameters())["5.weight"]
        expected = _sequential().state_dict()["5.weight"] + 0.4
        assert torch.allclose(weight, expected, atol=1e-6)
        return
    left, right = _state(loaded), _state(original)
    assert left.keys() == right.keys()
    assert all(torch.equal(left[k], right[k]) for k in left)
    if isinstance(original, torch.nn.Module):
        assert isinstance(loaded, torch.nn.Module)
        x = torch.randn(2, 1, 8, 8)
        assert torch.allclose(loaded.eval()(x), original.eval()(x))


def test_a_users_own_class_is_refused_by_default_with_the_way_out(
    api: ContractServer, tmp_path: Path
) -> None:
    with pytest.raises(UnsafeModelError) as info:
        _download(api, tmp_path, _torch_bytes(TinyNet()))
    assert isinstance(info.value, ModelDownloadException)
    message = str(info.value)
    assert f"{__name__}.TinyNet" in message
    assert "trusted_classes" in message and "FL_CLIENT_TRUSTED_CLASSES" in message
    assert "trust_remote_code" in message and "FL_CLIENT_TRUST_REMOTE_CODE" in message


@pytest.mark.parametrize(
    "kwargs",
    [
        {"trusted_classes": [f"{__name__}.TinyNet"]},
        {"trusted_classes": [TinyNet]},
        {"trust_remote_code": True},
    ],
    ids=["trusted by name", "trusted by class", "trust_remote_code"],
)
def test_a_users_own_class_loads_when_allowed(
    api: ContractServer, tmp_path: Path, kwargs: dict[str, Any]
) -> None:
    net = TinyNet()
    loaded = _download(api, tmp_path, _torch_bytes(net), **kwargs)
    assert isinstance(loaded, TinyNet)
    assert all(
        torch.equal(a, b)
        for a, b in zip(loaded.state_dict().values(), net.state_dict().values(), strict=True)
    )


def test_a_legacy_format_module_needs_trust_remote_code(api: ContractServer, tmp_path: Path) -> None:
    # pre-1.6 torch.save records each module class's source code: no safe loader accepts that
    body = _torch_bytes(module := _sequential(), _use_new_zipfile_serialization=False)
    with pytest.raises(UnsafeModelError, match=r"legacy .* trust_remote_code=True") as info:
        _download(api, tmp_path, body)
    assert isinstance(info.value, ModelDownloadException)
    with warnings.catch_warnings():  # torch warns that the class source differs: not our point here
        warnings.simplefilter("ignore")
        loaded = _download(api, tmp_path, body, trust_remote_code=True)
    assert all(
        torch.equal(a, b)
        for a, b in zip(loaded.state_dict().values(), module.state_dict().values(), strict=True)
    )


def test_the_trusted_classes_setting_works_too(
    api: ContractServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FL_CLIENT_TRUSTED_CLASSES", f"{__name__}.TinyNet")
    assert isinstance(_download(api, tmp_path, _torch_bytes(TinyNet())), TinyNet)


def test_bytes_pack_and_unpack_still_work() -> None:
    module = _sequential()
    again = unpack_model(pack_model(module))
    assert all(
        torch.equal(a, b)
        for a, b in zip(again.state_dict().values(), module.state_dict().values(), strict=True)
    )
    scripted = unpack_model(pack_model(_script(module.eval())))
    assert isinstance(scripted, torch.jit.ScriptModule)


def test_a_cut_off_archive_never_reaches_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "cut.pt"
    file.write_bytes(_torch_bytes(_sequential())[:-100])
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load ran"))
    with pytest.raises(ModelSerializationError, match="incomplete zip archive"):
        load_model(file, mmap=True)
