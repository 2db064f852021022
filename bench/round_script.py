"""The training script of `make bench-rounds`: a `TrainingScript` that trains a small MLP briefly.

What a real round does, in miniature: download the global model, a few SGD steps, upload; the
test action reports one metric. The work is deliberately small, so the round time is the client's.
"""

from __future__ import annotations

from typing import Any

import torch

from fl_client import Communication, TrainingScript, TrainResult

script = TrainingScript()


@script.train
def train(model: Any, comm: Communication) -> TrainResult:
    generator = torch.Generator().manual_seed(comm.round)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(5):
        inputs = torch.randn(32, 64, generator=generator)
        labels = torch.randint(0, 10, (32,), generator=generator)
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs), labels).backward()
        optimizer.step()
    return TrainResult(model, {"loss": 0.5}, sample_size=32)


@script.test
def test(model: Any, comm: Communication) -> dict[str, float]:
    return {"accuracy": 0.5}


if __name__ == "__main__":
    raise SystemExit(script.run())
