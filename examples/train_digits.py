"""A participant's training script: copy this file and replace the data and the training loop.

`fl-client serve --script train_digits.py` runs it once per notification::

    python train_digits.py train --training-id T --round R --model-id M   # UPDATE_ROUND_START
    python train_digits.py test  --training-id T --round R --model-id M   # MODEL_TEST_ROUND
    python train_digits.py swag  --training-id T --round R --model-id M   # SWAG_ROUND_START

``train`` downloads the global model, trains it on this participant's data and uploads it
(in daisy-chain rounds the model to start from is another participant's local model; the upload
still goes to the training's global model); ``test`` downloads the aggregated model, evaluates
it and uploads the metrics (once per round); ``swag`` (SWAG trainings only) runs a few epochs of
SGD from the aggregated model and uploads the mean and the mean square of the parameters seen
after each epoch (SWAG's first and second moments).

The data: scikit-learn's bundled handwritten digits (1,797 8x8 images, shipped inside the
package, so nothing is downloaded). Participant ``FL_EXAMPLE_SHARD`` of ``FL_EXAMPLE_SHARDS``
uses its own disjoint slice, 80 % for training and 20 % for testing.

Every round starts this script anew, so its start-up time counts once per round and participant:
it reads scikit-learn's data file directly instead of importing scikit-learn (which costs
seconds); ``sklearn.datasets.load_digits()`` returns the same data.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import os
import sys
from pathlib import Path
from uuid import UUID

import numpy as np
import torch

from fl_client import Communication

EPOCHS = 5  # local epochs per round
BATCH_SIZE = 32
LEARNING_RATE = 0.1
TEST_FRACTION = 0.2


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """(64 pixel values 0..16, label) rows of scikit-learn's digits.csv.gz, without importing sklearn."""
    spec = importlib.util.find_spec("sklearn")  # finds the package without running it
    if spec is None or spec.origin is None:
        raise SystemExit("this example needs scikit-learn installed (pip install scikit-learn)")
    with gzip.open(Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz") as file:
        table = np.loadtxt(file, delimiter=",")
    return table[:, :-1], table[:, -1].astype(np.int64)


def load_shard() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """This participant's (train inputs, train labels, test inputs, test labels)."""
    shard, shards = (
        int(os.environ.get("FL_EXAMPLE_SHARD", "0")),
        int(os.environ.get("FL_EXAMPLE_SHARDS", "1")),
    )
    pixels, targets = load_digits()
    inputs = torch.tensor(pixels, dtype=torch.float32) / 16.0  # pixel values are 0..16
    labels = torch.tensor(targets, dtype=torch.long)
    generator = torch.Generator().manual_seed(0)  # the same shuffle in every participant
    order = torch.randperm(len(labels), generator=generator)
    mine = order[shard::shards]
    split = int(len(mine) * (1 - TEST_FRACTION))
    train, test = mine[:split], mine[split:]
    return inputs[train], labels[train], inputs[test], labels[test]


def evaluate(model: torch.nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """(accuracy, mean cross-entropy loss)."""
    model.eval()
    with torch.no_grad():
        outputs = model(inputs)
        loss = torch.nn.functional.cross_entropy(outputs, labels).item()
        accuracy = (outputs.argmax(dim=1) == labels).float().mean().item()
    return accuracy, loss


def train(comm: Communication) -> None:
    model = comm.download_model()
    x_train, y_train, _, _ = load_shard()
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    model.train()
    for _ in range(EPOCHS):
        for batch in torch.randperm(len(y_train)).split(BATCH_SIZE):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
    accuracy, loss_value = evaluate(model, x_train, y_train)
    # the sample size weights this update in the server's FedAvg
    comm.upload_model(model, {"train_loss": loss_value, "train_accuracy": accuracy}, sample_size=len(y_train))


def swag(comm: Communication) -> None:
    model = comm.download_model()
    x_train, y_train, _, _ = load_shard()
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    snapshots = []
    model.train()
    for _ in range(EPOCHS):
        for batch in torch.randperm(len(y_train)).split(BATCH_SIZE):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x_train[batch]), y_train[batch]).backward()
            optimizer.step()
        # one vector of every parameter, in parameters() order (what the server averages)
        snapshots.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    stacked = torch.stack(snapshots)
    comm.upload_swag(stacked.mean(dim=0), (stacked**2).mean(dim=0), sample_size=len(y_train))


def test(comm: Communication) -> None:
    model = comm.download_model()
    _, _, x_test, y_test = load_shard()
    accuracy, loss = evaluate(model, x_test, y_test)
    comm.upload_metrics({"accuracy": accuracy, "loss": loss})  # exactly once per test round


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["train", "test", "swag"])
    parser.add_argument("--training-id", type=UUID, required=True)
    parser.add_argument("--round", type=int, required=True)
    parser.add_argument("--model-id", type=UUID, required=True)
    args = parser.parse_args()
    torch.manual_seed(args.round)
    torch.set_num_threads(1)  # a tiny model: threads cost more than they bring, and participants share cores
    # the server, the credentials and this participant's id come from the environment that
    # `fl-client serve` gives each run; the round and the models from the arguments
    with Communication.from_env(
        training_id=args.training_id, round=args.round, model_id=args.model_id
    ) as comm:
        {"train": train, "test": test, "swag": swag}[args.action](comm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
