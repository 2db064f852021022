"""The public surface: one sorted __all__, every name importable, and a torch-free import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import fl_client


def _isort_key(name: str) -> tuple[int, str]:
    # constants, then classes, then functions and the rest (ruff's RUF022 order)
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_complete() -> None:
    names = fl_client.__all__
    assert names == sorted(set(names), key=_isort_key)
    for name in names:
        assert hasattr(fl_client, name), name


@pytest.mark.slow
def test_import_does_not_import_torch() -> None:
    code = "import sys, fl_client, fl_client.exceptions; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "False"


def test_seed_names_exist() -> None:
    from fl_client import Communication
    from fl_client.exceptions import (  # noqa: F401
        CommunicationException,
        MetricsUploadException,
        ModelDownloadException,
        ModelUploadException,
    )

    for member in (
        "__init__", "from_user_password", "from_http_authorization", "get_headers", "download_model",
        "upload_model", "upload_metrics", "pack_model", "unpack_model", "start_training", "start_testing",
        "init_training", "end_training", "unknown_message",
    ):  # fmt: skip
        assert callable(getattr(Communication, member)), member
