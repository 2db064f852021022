"""The exception tree, the one status mapping, error-body parsing and the httpx translation table."""

from __future__ import annotations

import inspect

import httpx
import pytest

from fl_client import exceptions
from fl_client._core.http import _TRANSPORT_ERRORS, transport_error
from fl_client.exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CommunicationException,
    FLClientError,
    InternalServerError,
    ModelDownloadException,
    ModelUploadException,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnexpectedStatusError,
    UnsafeModelError,
    operation_error,
    parse_server_message,
    status_error,
    status_error_class,
)


def test_every_exception_is_drawn_in_the_module_tree() -> None:
    doc = exceptions.__doc__ or ""
    classes = [
        obj for obj in vars(exceptions).values() if inspect.isclass(obj) and issubclass(obj, FLClientError)
    ]
    assert len(classes) >= 19
    for cls in classes:
        assert cls.__name__ in doc, cls.__name__
        assert cls.__doc__, cls.__name__
        assert cls.__name__ in exceptions.__all__


@pytest.mark.parametrize(
    ("status", "message", "cls"),
    [
        (400, "Training 6c6f not found.", NotFoundError),
        (400, "GlobalModel 1 not found.", NotFoundError),
        (404, "Model 'x' has no preprocessing model defined.", NotFoundError),
        (400, "Training with ID x is in state I", BadRequestError),
        (400, None, BadRequestError),
        (401, "Invalid token.", AuthenticationError),
        (403, "You do not have permission to perform this action.", PermissionDeniedError),
        (429, None, RateLimitError),
        (500, "Server Error (500)", InternalServerError),
        (503, None, InternalServerError),
        (405, 'Method "POST" not allowed.', UnexpectedStatusError),
        (415, None, UnexpectedStatusError),
        (200, None, UnexpectedStatusError),
        (301, None, UnexpectedStatusError),
    ],
)
def test_status_mapping(status: int, message: str | None, cls: type[APIStatusError]) -> None:
    assert status_error_class(status, message) is cls


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (b'{"detail": "Training 6c6f not found."}', "application/json", "Training 6c6f not found."),
        (b'["Invalid model file: Error loading torch object"]', "application/json",
         "Invalid model file: Error loading torch object"),
        (b'["a", "b"]', "application/json", "a; b"),
        (b'{"aggregation_method": ["Must be one of: FedAvg."]}', "application/json",
         "aggregation_method: Must be one of: FedAvg."),
        (b'{"clients": {"0": ["Not a valid UUID."]}}', "application/json", "clients.0: Not a valid UUID."),
        (b'{"error": "Server Error (500)"}', "application/json", "Server Error (500)"),
        (b"<html><body>Not Found</body></html>", "text/html", "HTML error page"),
        (b"upstream timed out", "text/plain", "upstream timed out"),
        (b"", "application/json", None),
    ],
)  # fmt: skip
def test_server_message_from_every_error_shape(
    content: bytes, content_type: str, expected: str | None
) -> None:
    assert parse_server_message(content, content_type) == expected


def test_status_error_message_names_method_path_status_and_text() -> None:
    request = httpx.Request("GET", "http://alice:pw@host/api/models/1/")
    response = httpx.Response(400, json={"detail": "Model 1 not found."}, request=request)
    error = status_error(response, operation="model download", attempts=3)
    assert isinstance(error, NotFoundError)
    assert (
        str(error)
        == "model download failed: GET /api/models/1/ answered 400: Model 1 not found. (after 3 attempts)"
    )
    assert error.attempts == 3 and "pw" not in str(error)


def test_operation_error_combines_operation_and_cause() -> None:
    cause = NotFoundError("x", status_code=400, server_message="Model 1 not found.")
    error = operation_error(ModelDownloadException, cause)
    assert isinstance(error, ModelDownloadException) and isinstance(error, NotFoundError)
    assert isinstance(error, CommunicationException)
    assert type(error).__name__ == "ModelDownloadNotFoundError"
    assert (error.status_code, error.server_message) == (400, "Model 1 not found.")
    assert type(operation_error(ModelDownloadException, NotFoundError("y"))) is type(error)  # cached
    timeout = operation_error(ModelUploadException, APITimeoutError("t"))
    assert isinstance(timeout, APIConnectionError) and isinstance(timeout, ModelUploadException)
    unsafe = operation_error(ModelDownloadException, UnsafeModelError("u", refused="os.system"))
    assert isinstance(unsafe, UnsafeModelError) and unsafe.refused == "os.system"  # type: ignore[attr-defined]
    already = operation_error(ModelDownloadException, error)
    assert already is error


def _httpx_error_classes() -> list[type[httpx.HTTPError]]:
    found = []
    for obj in vars(httpx).values():
        if inspect.isclass(obj) and issubclass(obj, httpx.HTTPError) and obj is not httpx.HTTPStatusError:
            found.append(obj)
    return found


@pytest.mark.parametrize("httpx_cls", _httpx_error_classes(), ids=lambda c: c.__name__)
def test_every_httpx_error_is_translated(httpx_cls: type[httpx.HTTPError]) -> None:
    exc = httpx_cls("boom")
    error = transport_error(exc, operation="model download", method="GET", path="/api/models/1/")
    assert isinstance(error, APIConnectionError)
    if issubclass(httpx_cls, httpx.TimeoutException):
        assert isinstance(error, APITimeoutError)
    else:
        assert not isinstance(error, APITimeoutError)
    assert error.message.startswith("model download failed: GET /api/models/1/: ")
    # the specific row wins over the generic one
    row = next(row for row in _TRANSPORT_ERRORS if isinstance(exc, row[0]))
    assert row[2] in error.message


# ----------------------------------------------------------------------------- pickling

_AUTH = "Basic YWxpY2U6czNjcjN0LXBhc3N3b3Jk"  # alice:s3cr3t-password


def _answered(status: int) -> httpx.Response:
    request = httpx.Request(
        "GET",
        "http://alice:pw@server:8000/api/models/1/",
        headers={"Authorization": _AUTH, "Cookie": "sessionid=abc"},
    )
    return httpx.Response(status, json={"detail": "Model 1 not found."}, request=request)


def _every_exception() -> list[FLClientError]:
    classes = [
        obj for obj in vars(exceptions).values() if inspect.isclass(obj) and issubclass(obj, FLClientError)
    ]
    errors: list[FLClientError] = [
        cls("boom", status_code=400, response=_answered(400), attempts=2) for cls in classes
    ]
    operations = [
        c for c in classes if issubclass(c, CommunicationException) and c is not CommunicationException
    ]
    causes = [c for c in classes if not issubclass(c, CommunicationException)]
    for operation in operations:
        for cause in causes:
            errors.append(operation_error(operation, cause("boom", status_code=400, response=_answered(400))))
    errors.append(operation_error(ModelDownloadException, UnsafeModelError("u", refused="os.system")))
    errors.append(status_error(_answered(400), operation="model download"))
    return errors


@pytest.mark.parametrize("error", _every_exception(), ids=lambda e: type(e).__name__)
def test_every_exception_pickles_without_credentials(error: FLClientError) -> None:
    import pickle

    data = pickle.dumps(error)
    assert b"YWxpY2U6czNjcjN0LXBhc3N3b3Jk" not in data and b"sessionid" not in data and b"pw@" not in data
    back = pickle.loads(data)
    assert type(back) is type(error)
    assert (str(back), back.status_code, back.server_message, back.attempts) == (
        str(error), error.status_code, error.server_message, error.attempts,
    )  # fmt: skip
    assert getattr(back, "refused", None) == getattr(error, "refused", None)
    if error.response is not None:
        assert back.response is not None
        assert (back.response.status_code, back.response.content) == (
            error.response.status_code, error.response.content,
        )  # fmt: skip
        assert back.response.request.url.path == "/api/models/1/"
        assert "authorization" not in back.response.request.headers
