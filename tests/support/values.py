"""The identities and canned objects the tests share: one user, one training, its models."""

from __future__ import annotations

from typing import Any

__all__ = [
    "BASIC",
    "CLIENT_ID",
    "MODEL_ID",
    "MODEL_PATH",
    "OTHER_MODEL_ID",
    "SECRET",
    "TOKEN",
    "TRAINING",
    "TRAINING_ID",
]

BASIC = "Basic YWxpY2U6czNjcjN0LXBhc3N3b3Jk"  # alice:s3cr3t-password
SECRET = "s3cr3t-password"
TOKEN = "68d2d144d087e03784e102f5f9c5e6efcb20f64e"
CLIENT_ID = "1da54bb8-9d1f-4a3c-8d7e-0f6e2f2b9a11"
TRAINING_ID = "600355d0-f7b4-421f-9123-7a133d558bd8"
MODEL_ID = "35331953-e6bf-4a47-bba6-a821465254db"  # the training's global model
OTHER_MODEL_ID = "fe57e5c4-2c1e-4a5e-9a57-1b0a3c8d9e10"  # a local model, or a model of no training
MODEL_PATH = f"/api/models/{MODEL_ID}/"

# GET /api/trainings/{TRAINING_ID}/ as the server answers it: round 0 of 2, CLIENT_ID the only participant
TRAINING: dict[str, Any] = {
    "id": TRAINING_ID,
    "state": "O",
    "target_num_updates": 2,
    "last_update": "2026-11-27T21:46:14.261736+01:00",
    "uncertainty_method": "NONE",
    "aggregation_method": "FedAvg",
    "options": {},
    "locked": False,
    "model": MODEL_ID,
    "actor": "31f21af5-04b2-42fd-a054-2be63386d14a",
    "participants": [CLIENT_ID],
    "local_models_arrived": 0,
    "local_models_expected": 1,
}
