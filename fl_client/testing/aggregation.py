"""Model checks and FedAvg, as the server does them (API reference §6).

* An uploaded file must load as a ``torch.nn.Module`` (TorchScript or a pickled module).
* FedAvg (and FedProx/FedDC, identical on the server) is the sample-size-weighted mean of every
  ``state_dict`` entry, ``sum(n_i * w_i) / sum(n_i)``.
* The aggregated module is the round's FIRST local model with its parameters replaced by the
  averages, re-serialised in that model's format: ``torch.jit.save`` for TorchScript, else
  ``torch.save``.

Unlike the server, which unpickles uploads with ``weights_only=False``, the emulator loads them
with `fl_client.serialization.load_model`: TorchScript through ``torch.jit.load``, pickles with
torch.nn's classes (plus ``trusted_classes``) allowed. Pass ``trust_remote_code=True`` to the
emulator for uploads whose classes are your own and untrusted by name.

This module imports torch; ``import fl_client.testing`` does not import it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import torch

from ..exceptions import ModelSerializationError
from ..serialization import TrustedClass, load_model, pack_model

__all__ = [
    "INVALID_MODEL_FILE",
    "NOT_A_MODULE",
    "AggregationError",
    "ModelFileError",
    "aggregate",
    "fedavg",
    "load_module",
    "swag_average",
]

INVALID_MODEL_FILE = "Error loading torch object"
NOT_A_MODULE = "Loaded torch object is not of expected type."


class ModelFileError(ValueError):
    """An uploaded file is not a model; ``reason`` is the server's text for it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AggregationError(RuntimeError):
    """The round's local models cannot be averaged (the server's task fails; the training stalls)."""


def load_module(
    data: bytes, *, trusted_classes: Iterable[TrustedClass] = (), trust_remote_code: bool = False
) -> torch.nn.Module:
    """Load uploaded bytes as an ``nn.Module`` or raise `ModelFileError` with the server's reason."""
    try:
        loaded = load_model(
            io.BytesIO(data), trusted_classes=trusted_classes, trust_remote_code=trust_remote_code
        )
    except ModelSerializationError as exc:
        raise ModelFileError(INVALID_MODEL_FILE) from exc
    except Exception as exc:  # torch raises many kinds on junk bytes; the server catches them all
        raise ModelFileError(INVALID_MODEL_FILE) from exc
    if not isinstance(loaded, torch.nn.Module):
        raise ModelFileError(NOT_A_MODULE)
    return loaded


def fedavg(
    state_dicts: Sequence[Mapping[str, torch.Tensor]], sample_sizes: Sequence[int]
) -> dict[str, torch.Tensor]:
    """The sample-size-weighted mean of each entry, computed in float64 and cast back.

    Integer entries (e.g. BatchNorm's ``num_batches_tracked``) are rounded to the nearest integer.
    """
    if not state_dicts or len(state_dicts) != len(sample_sizes):
        raise AggregationError("need one sample size per local model, and at least one model")
    total = sum(sample_sizes)
    if total <= 0:
        raise AggregationError(f"the sample sizes add up to {total}; FedAvg needs a positive total")
    keys = list(state_dicts[0].keys())
    for index, state in enumerate(state_dicts[1:], start=1):
        if list(state.keys()) != keys:
            raise AggregationError(
                f"local model {index} has state_dict keys {sorted(state)} but model 0 has {sorted(keys)}"
            )
    averaged: dict[str, torch.Tensor] = {}
    for key in keys:
        first = state_dicts[0][key]
        try:
            acc = sum(
                (
                    state[key].detach().to(torch.float64) * size
                    for state, size in zip(state_dicts, sample_sizes, strict=True)
                ),
                torch.zeros_like(first, dtype=torch.float64),
            )
        except RuntimeError as exc:
            raise AggregationError(f"state_dict entry {key!r} cannot be averaged: {exc}") from exc
        mean = acc / total
        if not (first.is_floating_point() or first.is_complex()):
            mean = mean.round()
        averaged[key] = mean.to(first.dtype)
    return averaged


def aggregate(
    uploads: Sequence[bytes],
    sample_sizes: Sequence[int],
    *,
    trusted_classes: Iterable[TrustedClass] = (),
    trust_remote_code: bool = False,
) -> bytes:
    """FedAvg of the uploaded model files; returns the new global model file (see the module doc)."""
    trusted = tuple(trusted_classes)
    try:
        modules = [
            load_module(data, trusted_classes=trusted, trust_remote_code=trust_remote_code)
            for data in uploads
        ]
    except ModelFileError as exc:
        raise AggregationError(f"a local model no longer loads: {exc.reason}") from exc
    averaged = fedavg([module.state_dict() for module in modules], sample_sizes)
    target: Any = modules[0]
    with torch.no_grad():
        target.load_state_dict(averaged)
    return pack_model(target)


def swag_average(
    moments: Sequence[tuple[bytes, bytes]], sample_sizes: Sequence[float]
) -> tuple[torch.Tensor, torch.Tensor]:
    """The sample-size-weighted means of the participants' SWAG first and second moments (§7.3).

    Each file must ``torch.load`` (weights only) to a 1-D tensor, all of the same length; else
    `AggregationError` (the server's consistency check, which sets the training to state E).
    """
    if not moments or len(moments) != len(sample_sizes):
        raise AggregationError("need one sample size per participant's moments, and at least one")
    total = float(sum(sample_sizes))
    if total <= 0:
        raise AggregationError(f"the SWAG sample sizes add up to {total}; the mean needs a positive total")
    means: list[torch.Tensor] = []
    for which in (0, 1):
        tensors: list[torch.Tensor] = []
        for pair in moments:
            try:
                tensor = torch.load(io.BytesIO(pair[which]), weights_only=True)
            except Exception as exc:  # junk bytes raise many kinds
                raise AggregationError(f"a SWAG moment file does not load as a tensor: {exc}") from exc
            if not isinstance(tensor, torch.Tensor) or tensor.dim() != 1:
                raise AggregationError("a SWAG moment is not a 1-D tensor")
            tensors.append(tensor.to(torch.float64))
        if len({t.numel() for t in tensors}) != 1:
            raise AggregationError(
                f"SWAG moments of different lengths: {sorted({t.numel() for t in tensors})}"
            )
        weighted = sum(
            (t * size for t, size in zip(tensors, sample_sizes, strict=True)), torch.zeros_like(tensors[0])
        )
        means.append((weighted / total).to(torch.float32))
    return means[0], means[1]
