"""The canned participant's `Communication`: CLIENT_ID with Basic credentials, round 3 of TRAINING."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

from fl_client import Communication
from support.values import BASIC, CLIENT_ID, MODEL_ID, TRAINING_ID

__all__ = ["communication"]


def communication(url: str, tmp_path: Path, **kwargs: Any) -> Communication:
    """Staging its files in ``tmp_path``; ``kwargs`` go to `Communication`."""
    return Communication(
        UUID(CLIENT_ID),
        UUID(TRAINING_ID),
        3,
        UUID(MODEL_ID),
        BASIC,
        global_model_id=UUID(MODEL_ID),
        base_url=url,
        temp_dir=tmp_path,
        **kwargs,
    )
