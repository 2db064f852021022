"""Typed exceptions of fl_client.

::

    FLClientError                      every error fl_client raises
    ├── APIError                       a request to the server failed
    │   ├── APIConnectionError         no answer: refused, reset, DNS, TLS, ...
    │   │   └── APITimeoutError        no answer in time
    │   ├── APIResponseValidationError an expected status, but a body that is not the documented one
    │   └── APIStatusError             the server answered with an unexpected status
    │       ├── BadRequestError        400
    │       ├── NotFoundError          400 "<Type> <id> not found." and 404
    │       ├── AuthenticationError    401
    │       ├── PermissionDeniedError  403
    │       ├── RateLimitError         429
    │       ├── InternalServerError    >= 500
    │       └── UnexpectedStatusError  any other status (3xx, 405, 415, a 2xx that was not expected, ...)
    ├── CommunicationException         a `Communication` operation failed (reference client's name)
    │   ├── ModelDownloadException
    │   ├── ModelUploadException
    │   ├── MetricsUploadException
    │   └── SwagUploadException         (SWAG statistics; not in the reference client)
    ├── ModelSerializationError        a model could not be packed or unpacked
    │   └── UnsafeModelError           unpacking needs a class outside the allow-list
    ├── ModelTooLargeError             a model is larger than the server can store (nothing sent)
    ├── ConfigurationError             a setting or argument is missing or invalid
    ├── ContractError                  an OpenAPI document or contract baseline cannot be read
    ├── TrainingWaitTimeout            `trainings.wait` gave up; says where the training was stuck
    ├── DispatcherStoppedError         a script run was submitted after shutdown began
    └── NotificationError              a notification body the receiver cannot accept (answered 400)

How the two families combine: a failed `Communication` call raises ONE exception that is an
instance of both its operation class and its cause class, e.g. a download answered with
``400 Model ... not found.`` raises a ``ModelDownloadNotFoundError``, which is both a
`ModelDownloadException` and a `NotFoundError`. Scripts written for the reference client keep
catching `ModelDownloadException`; new code can catch `NotFoundError`, `APIConnectionError`, ...
across all operations. `operation_error` builds (and caches) these combined classes.

Every exception carries ``status_code`` (None without an answer), ``server_message`` (the
server's text parsed from any of its error shapes), ``response`` (the httpx response, body
already read, or None) and ``attempts`` (how many requests were made). Messages and reprs never
contain credentials: they name the method, the path and the server's text only.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CommunicationException",
    "ConfigurationError",
    "ContractError",
    "DispatcherStoppedError",
    "FLClientError",
    "InternalServerError",
    "MetricsUploadException",
    "ModelDownloadException",
    "ModelSerializationError",
    "ModelTooLargeError",
    "ModelUploadException",
    "NotFoundError",
    "NotificationError",
    "PermissionDeniedError",
    "RateLimitError",
    "SwagUploadException",
    "TrainingWaitTimeout",
    "UnexpectedStatusError",
    "UnsafeModelError",
    "operation_error",
    "parse_server_message",
    "status_error",
    "status_error_class",
]

_MAX_MESSAGE_CHARS = 500


class FLClientError(Exception):
    """Base class of every error fl_client raises."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        server_message: str | None = None,
        response: httpx.Response | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.server_message = server_message
        self.response = response
        self.attempts = attempts

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status_code={self.status_code!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle support (multiprocessing, Celery, Ray): also for the combined classes of
        `operation_error`, and without credentials: the pickled response keeps its status, headers
        and body, but its request only the method and URL (no Authorization, no cookies)."""
        state = dict(self.__dict__)
        if isinstance(state.get("response"), httpx.Response):
            state["response"] = _without_credentials(state["response"])
        return (_restore, (_class_reference(type(self)), self.message), state)


class APIError(FLClientError):
    """A request to the server failed."""


class APIConnectionError(APIError):
    """The server could not be reached, or the connection broke before a full answer arrived."""


class APITimeoutError(APIConnectionError):
    """The server did not answer (connect, read or write) within the timeout."""


class APIResponseValidationError(APIError):
    """The server answered an expected status, but its body is not the documented content (an HTML
    page from a proxy, a wrong route, JSON of another shape); ``response`` holds what came."""


class APIStatusError(APIError):
    """The server answered with a status the operation does not expect."""


class BadRequestError(APIStatusError):
    """400: the server rejected the request (validation, wrong round, wrong state, ...)."""


class NotFoundError(APIStatusError):
    """The object does not exist: this server says 400 "<Type> <id> not found.", sometimes 404."""


class AuthenticationError(APIStatusError):
    """401: credentials missing or wrong."""


class PermissionDeniedError(APIStatusError):
    """403: authenticated, but not allowed (not a participant, not the owner, ...)."""


class RateLimitError(APIStatusError):
    """429: too many requests (from a proxy in front of the server)."""


class InternalServerError(APIStatusError):
    """5xx: the server (or a proxy) failed."""


class UnexpectedStatusError(APIStatusError):
    """Any other status, including a success status the operation does not expect."""


class CommunicationException(APIError):
    """A `Communication` operation failed (the reference client's base exception)."""


class ModelDownloadException(CommunicationException):
    """Downloading a model failed: no answer, an error status, or an incomplete body."""


class ModelUploadException(CommunicationException):
    """Uploading a local model failed."""


class MetricsUploadException(CommunicationException):
    """Uploading metrics failed."""


class SwagUploadException(CommunicationException):
    """Uploading SWAG statistics failed."""


class ModelSerializationError(FLClientError):
    """A model could not be serialised or deserialised."""


class UnsafeModelError(ModelSerializationError):
    """Unpacking the model needs a class that is not allowed; the message names it and how to allow it."""

    def __init__(self, message: str, *, refused: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.refused = refused


class ModelTooLargeError(FLClientError):
    """The model file is larger than the limit (by default the most the server can store, see
    `fl_client.check_model_size`); refused before a byte was sent. ``size`` and ``limit`` are
    in bytes."""

    def __init__(
        self, message: str, *, size: int | None = None, limit: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.size = size
        self.limit = limit


class ConfigurationError(FLClientError):
    """A setting or argument is missing or invalid."""


class ContractError(FLClientError):
    """An OpenAPI document or the contract baseline cannot be read or is not what it should be
    (``fl-client contract diff``)."""


class TrainingWaitTimeout(FLClientError, TimeoutError):
    """`trainings.wait` ran out of time. The message says where the training was: its state, round
    and local models arrived; ``training`` holds the last `TrainingWithRounds` read (or None)."""

    def __init__(self, message: str, *, training: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.training = training


class DispatcherStoppedError(FLClientError):
    """A script run was submitted after the dispatcher began shutting down (the receiver answers 503)."""


class NotificationError(FLClientError):
    """A notification body is malformed: not JSON, a field missing or mistyped, a bad UUID.

    The receiver answers it with 400 and the message; the message quotes at most a short excerpt
    of the offending value, so a huge or hostile body never ends up in a log line.
    """


# ---------------------------------------------------------------------------------------------
# Status -> class: the one place that decides.


def status_error_class(status_code: int, server_message: str | None = None) -> type[APIStatusError]:
    """The exception class for an unexpected status (and the server's parsed message)."""
    if status_code == 404 or (
        status_code == 400 and server_message is not None and server_message.endswith("not found.")
    ):
        return NotFoundError
    if status_code == 400:
        return BadRequestError
    if status_code == 401:
        return AuthenticationError
    if status_code == 403:
        return PermissionDeniedError
    if status_code == 429:
        return RateLimitError
    if status_code >= 500:
        return InternalServerError
    return UnexpectedStatusError


def parse_server_message(content: bytes, content_type: str | None = None) -> str | None:
    """The server's error text from any of its error shapes (see the API reference, section 3).

    ``{"detail": t}`` and ``{"error": t}`` give ``t``; ``["a", "b"]`` gives ``"a; b"``; a field
    map gives ``"field: a; clients.0: b"``; an HTML page or other text gives a short excerpt.
    """
    if not content:
        return None
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        if content_type and "html" in content_type:
            return "HTML error page"
        text = content[:_MAX_MESSAGE_CHARS].decode("utf-8", "replace").strip()
        return text or None
    text = _flatten(data)
    return text[:_MAX_MESSAGE_CHARS] if text else None


def _flatten(data: object, prefix: str = "") -> str:
    if isinstance(data, dict):
        for key in ("detail", "error"):
            if not prefix and isinstance(data.get(key), str) and len(data) == 1:
                return str(data[key])
        parts = [_flatten(value, f"{prefix}{key}.") for key, value in data.items()]
        return "; ".join(part for part in parts if part)
    if isinstance(data, list):
        parts = [_flatten(item, prefix) for item in data]
        return "; ".join(part for part in parts if part)
    if data is None:
        return ""
    label = prefix[:-1] + ": " if prefix else ""
    return f"{label}{data}"


def status_error(response: httpx.Response, *, operation: str, attempts: int = 1) -> APIStatusError:
    """Build the typed error for an unexpected answer. The response body must have been read."""
    server_message = parse_server_message(response.content, response.headers.get("content-type"))
    cls = status_error_class(response.status_code, server_message)
    request = response.request
    message = f"{operation} failed: {request.method} {request.url.path} answered {response.status_code}"
    if server_message:
        message += f": {server_message}"
    if attempts > 1:
        message += f" (after {attempts} attempts)"
    return cls(
        message,
        status_code=response.status_code,
        server_message=server_message,
        response=response,
        attempts=attempts,
    )


_COMBINED: dict[tuple[type[FLClientError], type[FLClientError]], type[FLClientError]] = {}


def _combined_class(operation: type[FLClientError], cause_cls: type[FLClientError]) -> type[FLClientError]:
    key = (operation, cause_cls)
    combined = _COMBINED.get(key)
    if combined is None:
        name = operation.__name__.removesuffix("Exception") + cause_cls.__name__
        combined = type(name, (operation, cause_cls), {"__module__": __name__, "__doc__": cause_cls.__doc__})
        _COMBINED[key] = combined
    return combined


def operation_error(operation: type[CommunicationException], cause: FLClientError) -> FLClientError:
    """An exception that is both ``operation`` and the class of ``cause``, with cause's details.

    ``ModelDownloadException`` + ``NotFoundError`` gives a ``ModelDownloadNotFoundError``.
    Raise it ``from cause``.
    """
    cause_cls = type(cause)
    if issubclass(cause_cls, operation):
        return cause
    combined = _combined_class(operation, cause_cls)
    error = combined(
        cause.message,
        status_code=cause.status_code,
        server_message=cause.server_message,
        response=cause.response,
        attempts=cause.attempts,
    )
    # what a cause class adds to FLClientError (UnsafeModelError.refused, ModelTooLargeError.size
    # and .limit, ...) comes along
    for name, value in vars(cause).items():
        if name not in _BASE_ATTRIBUTES:
            setattr(error, name, value)
    return error


# what FLClientError.__init__ sets (operation_error passes these on by name)
_BASE_ATTRIBUTES = frozenset({"message", "status_code", "server_message", "response", "attempts"})


def _class_reference(cls: type[FLClientError]) -> object:
    """What pickle stores for ``cls``: the class, or the two classes a combined class is made of."""
    for (operation, cause), combined in _COMBINED.items():
        if combined is cls:
            return (operation, cause)
    return cls


def _restore(reference: object, message: str) -> FLClientError:
    if isinstance(reference, tuple):
        operation, cause = reference
        cls = _combined_class(operation, cause)
    else:
        cls = reference  # type: ignore[assignment]
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    return error


def _without_credentials(response: httpx.Response) -> httpx.Response:
    """A copy of a response whose request carries no secrets (see `FLClientError.__reduce__`)."""
    try:
        original: httpx.Request | None = response.request
    except RuntimeError:  # a response built without a request
        original = None
    try:
        content = response.content
    except httpx.ResponseNotRead:
        content = b""
    request = None
    if original is not None:
        request = httpx.Request(original.method, original.url.copy_with(username=None, password=None))
    headers = [(k, v) for k, v in response.headers.raw if k.lower() != b"set-cookie"]
    return httpx.Response(response.status_code, headers=headers, content=content, request=request)
