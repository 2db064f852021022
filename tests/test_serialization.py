"""Safe model loading: the allow-list, the trust switches, and the refusal message."""

from __future__ import annotations

import io
import sys

import pytest
import torch
from support.models import same_parameters, script_bytes, small_model, torch_bytes

from fl_client import ConfigurationError, ModelSerializationError, UnsafeModelError
from fl_client.serialization import (
    is_torchscript_archive,
    load_model,
    pack_model,
    torch_nn_classes,
    unpack_model,
)


class CustomNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 2)


CUSTOM = f"{__name__}.CustomNet"


def test_allow_list_holds_torch_nn_layers() -> None:
    names = {cls.__name__ for cls in torch_nn_classes()}
    assert {"Linear", "Conv2d", "Sequential", "ReLU", "BatchNorm1d", "LSTM", "Transformer"} <= names


def test_standard_layers_load_without_trust() -> None:
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.GELU(),
                                torch.nn.Flatten(), torch.nn.Linear(8, 4))  # fmt: skip
    assert same_parameters(unpack_model(torch_bytes(model)), model)


def test_tensors_and_state_dicts_load() -> None:
    state = small_model().state_dict()
    loaded = unpack_model(torch_bytes(state))
    assert all(torch.equal(loaded[k], state[k]) for k in state)
    assert torch.equal(unpack_model(torch_bytes(torch.arange(5))), torch.arange(5))


def test_torchscript_goes_through_jit_load() -> None:
    data = script_bytes(small_model())
    assert is_torchscript_archive(io.BytesIO(data))
    assert not is_torchscript_archive(io.BytesIO(torch_bytes(small_model())))
    assert isinstance(unpack_model(data), torch.jit.ScriptModule)


def test_user_class_is_refused_with_a_helpful_message() -> None:
    with pytest.raises(UnsafeModelError) as info:
        unpack_model(torch_bytes(CustomNet()))
    assert info.value.refused == CUSTOM
    message = str(info.value)
    assert CUSTOM in message and "trusted_classes" in message and "FL_CLIENT_TRUSTED_CLASSES" in message
    assert "trust_remote_code" in message


@pytest.mark.parametrize("trusted", [CUSTOM, CustomNet])
def test_user_class_loads_when_trusted(trusted: object) -> None:
    model = CustomNet()
    assert same_parameters(unpack_model(torch_bytes(model), trusted_classes=[trusted]), model)  # type: ignore[list-item]


def test_trust_remote_code_loads_anything() -> None:
    model = CustomNet()
    assert same_parameters(unpack_model(torch_bytes(model), trust_remote_code=True), model)


@pytest.mark.parametrize("name", ["NoDots", "no_such_module_xyz.Net", f"{__name__}.CUSTOM"])
def test_bad_trusted_class_names(name: str) -> None:
    with pytest.raises(ConfigurationError):
        unpack_model(torch_bytes(small_model()), trusted_classes=[name])


@pytest.mark.parametrize("blob", [b"", b"garbage", b"PK\x03\x04broken zip"])
def test_garbage_is_a_serialization_error(blob: bytes) -> None:
    with pytest.raises(ModelSerializationError):
        unpack_model(blob)


def test_pack_model_file_round_trip(tmp_path: object) -> None:
    model = small_model()
    path = tmp_path / "m.pt"  # type: ignore[operator]
    path.write_bytes(pack_model(model))
    assert same_parameters(load_model(path, mmap=True), model)


def test_module_attribute_lookup_uses_this_test_module() -> None:
    assert sys.modules[__name__].CustomNet is CustomNet
