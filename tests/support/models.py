"""Small torch models and their bytes, as the server stores them."""

from __future__ import annotations

import io
from typing import Any

import torch

__all__ = ["CustomNet", "digits_mlp", "same_parameters", "script_bytes", "small_model", "torch_bytes"]


def small_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))


def digits_mlp() -> torch.jit.ScriptModule:
    """A 64-32-10 MLP for 8x8 digits as TorchScript: the actor's initial model in examples/actor.py
    (built here too, because tests run the examples and do not import them)."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    scripted: torch.jit.ScriptModule = torch.jit.script(net)
    return scripted


def torch_bytes(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def script_bytes(module: torch.nn.Module) -> bytes:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(module), buffer)
    return buffer.getvalue()


def same_parameters(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


class CustomNet(torch.nn.Module):
    """A module class of our own: pickled, it loads only where it is a trusted class."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)
