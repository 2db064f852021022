"""FedAvg as the server computes it: sum(n_i * w_i) / sum(n_i) over every state_dict entry."""

from __future__ import annotations

import io

import pytest
import torch
from support.models import script_bytes, small_model, torch_bytes

from fl_client.testing.aggregation import (
    INVALID_MODEL_FILE,
    NOT_A_MODULE,
    AggregationError,
    ModelFileError,
    aggregate,
    fedavg,
    load_module,
)


def test_weighted_mean_of_each_entry() -> None:
    a = {"w": torch.tensor([1.0, 2.0]), "b": torch.tensor(0.0)}
    b = {"w": torch.tensor([3.0, 6.0]), "b": torch.tensor(4.0)}
    result = fedavg([a, b], [1, 3])
    assert torch.equal(result["w"], torch.tensor([2.5, 5.0]))
    assert torch.equal(result["b"], torch.tensor(3.0))
    assert result["w"].dtype == torch.float32


def test_integer_buffers_are_rounded_and_keep_their_dtype() -> None:
    result = fedavg([{"n": torch.tensor(1)}, {"n": torch.tensor(2)}], [1, 1])
    assert result["n"].dtype == torch.int64
    assert int(result["n"]) == 2  # 1.5 rounds half to even


def test_mismatched_keys_and_bad_sizes_fail_clearly() -> None:
    with pytest.raises(AggregationError, match="state_dict keys"):
        fedavg([{"a": torch.zeros(1)}, {"b": torch.zeros(1)}], [1, 1])
    with pytest.raises(AggregationError, match="positive total"):
        fedavg([{"a": torch.zeros(1)}], [0])
    with pytest.raises(AggregationError, match="cannot be averaged"):
        fedavg([{"a": torch.zeros(2)}, {"a": torch.zeros(3)}], [1, 1])


def test_aggregate_keeps_the_first_uploads_format() -> None:
    scripted = aggregate([script_bytes(small_model()), script_bytes(small_model())], [1, 1])
    assert isinstance(torch.jit.load(io.BytesIO(scripted)), torch.jit.ScriptModule)
    pickled = aggregate([torch_bytes(small_model()), script_bytes(small_model())], [1, 1])
    assert isinstance(load_module(pickled), torch.nn.Sequential)


def test_load_module_reasons_are_the_servers() -> None:
    with pytest.raises(ModelFileError) as junk:
        load_module(b"junk")
    assert junk.value.reason == INVALID_MODEL_FILE
    with pytest.raises(ModelFileError) as state:
        load_module(torch_bytes(small_model().state_dict()))
    assert state.value.reason == NOT_A_MODULE
