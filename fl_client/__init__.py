"""fl_client: a typed client for the FL Demonstrator federated-learning platform.

Applications use `FLClient` / `AsyncFLClient` (typed resources: users, groups, models, trainings,
inference); training scripts use `Communication` (the reference client's interface);
participants run ``fl-client serve`` (`NotificationReceiver` + `ScriptDispatcher`).
Importing this package does not import torch: only packing and unpacking models does.
"""

from __future__ import annotations

from ._core.auth import basic_authorization, token_authorization
from ._core.http import DEFAULT_TIMEOUT, create_client
from ._core.limits import DEFAULT_MAX_MODEL_BYTES, check_model_size
from .client import AsyncFLClient, FLClient
from .exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CommunicationException,
    ConfigurationError,
    DispatcherStoppedError,
    FLClientError,
    InternalServerError,
    MetricsUploadException,
    ModelDownloadException,
    ModelSerializationError,
    ModelTooLargeError,
    ModelUploadException,
    NotFoundError,
    NotificationError,
    PermissionDeniedError,
    RateLimitError,
    SwagUploadException,
    TrainingWaitTimeout,
    UnexpectedStatusError,
    UnsafeModelError,
)
from .exit_codes import ExitCode
from .participant.communication import Communication, is_torchscript_instance
from .participant.dispatch import ScriptDispatcher
from .participant.notifications import parse_notification
from .participant.receiver import NotificationReceiver
from .participant.script import SwagResult, TrainingScript, TrainResult
from .resources import (
    BinaryInference,
    LocalModelsArrived,
    MetricsReported,
    RoundAdvanced,
    StateChanged,
    TrainingConfig,
    TrainingEvent,
    UncertaintyConfig,
)
from .settings import Settings

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MAX_MODEL_BYTES",
    "DEFAULT_TIMEOUT",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncFLClient",
    "AuthenticationError",
    "BadRequestError",
    "BinaryInference",
    "Communication",
    "CommunicationException",
    "ConfigurationError",
    "DispatcherStoppedError",
    "ExitCode",
    "FLClient",
    "FLClientError",
    "InternalServerError",
    "LocalModelsArrived",
    "MetricsReported",
    "MetricsUploadException",
    "ModelDownloadException",
    "ModelSerializationError",
    "ModelTooLargeError",
    "ModelUploadException",
    "NotFoundError",
    "NotificationError",
    "NotificationReceiver",
    "PermissionDeniedError",
    "RateLimitError",
    "RoundAdvanced",
    "ScriptDispatcher",
    "Settings",
    "StateChanged",
    "SwagResult",
    "SwagUploadException",
    "TrainResult",
    "TrainingConfig",
    "TrainingEvent",
    "TrainingScript",
    "TrainingWaitTimeout",
    "UncertaintyConfig",
    "UnexpectedStatusError",
    "UnsafeModelError",
    "__version__",
    "basic_authorization",
    "check_model_size",
    "create_client",
    "is_torchscript_instance",
    "parse_notification",
    "token_authorization",
]
