"""An authenticated generated client, and the one place where calls' outcomes become typed errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection
from http import HTTPStatus
from typing import Any, TypeVar

import httpx
from fl_demonstrator_api.client import Client
from fl_demonstrator_api.errors import UnexpectedContent
from fl_demonstrator_api.types import Response

from ..defaults import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_POOL_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_WRITE_TIMEOUT,
)
from ..exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    status_error,
)
from ..settings import Settings
from .auth import AuthorizationHeader, resolve_authorization
from .reads import large_read_transport
from .retry import Outcome, RetryPolicy, arun_with_retries, run_with_retries

__all__ = [
    "DEFAULT_TIMEOUT",
    "IDEMPOTENT_METHODS",
    "acall",
    "call",
    "check_status",
    "create_client",
    "parsed_as",
    "send",
    "transport_error",
]

_logger = logging.getLogger("fl.client.http")

DEFAULT_TIMEOUT = httpx.Timeout(
    connect=DEFAULT_CONNECT_TIMEOUT,
    read=DEFAULT_READ_TIMEOUT,
    write=DEFAULT_WRITE_TIMEOUT,
    pool=DEFAULT_POOL_TIMEOUT,
)

T = TypeVar("T")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods whose repetition changes nothing on this server (PUT/DELETE of training clients are set
operations; a repeated DELETE of a model or training answers 400 "not found" instead of 200)."""


def create_client(
    *,
    base_url: str | None = None,
    authorization: str | None = None,
    username: str | None = None,
    password: str | None = None,
    token: str | None = None,
    timeout: httpx.Timeout | float | None = None,
    settings: Settings | None = None,
    transport: httpx.BaseTransport | None = None,
    async_transport: httpx.AsyncBaseTransport | None = None,
) -> Client:
    """An authenticated client of the generated package, for ANY operation of the API.

    Give the credentials as exactly one of ``authorization`` (a ready ``Authorization`` value),
    ``token`` (the server's 40-character token) or ``username`` + ``password``. The base URL
    defaults to ``settings.base_url`` (``FL_DEMONSTRATOR_BASE_URL``, else http://localhost:8000),
    the timeout to `DEFAULT_TIMEOUT`. Use it with any ``fl_demonstrator_api.api.<tag>.<operation>``
    module, e.g.::

        from fl_demonstrator_api.api.trainings import get_training
        client = fl_client.create_client(token="...")
        response = get_training.sync_detailed("6c6f...", client=client)

    The credential travels as an httpx ``auth`` object, so no repr of the client shows it.
    ``transport`` replaces the sync httpx client's transport, ``async_transport`` the async one's.
    """
    resolved = resolve_authorization(
        authorization=authorization, username=username, password=password, token=token
    )
    url = base_url or (settings or Settings.from_env()).base_url
    httpx_timeout = timeout if isinstance(timeout, httpx.Timeout) else None
    if httpx_timeout is None:
        httpx_timeout = DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout)
    httpx_args: dict[str, object] = {"auth": AuthorizationHeader(resolved)}
    client = Client(
        base_url=url.rstrip("/"),
        timeout=httpx_timeout,
        headers={"Accept": "application/json"},
        httpx_args=httpx_args,
    )
    # each httpx client gets its own kind of transport (a sync one breaks an AsyncClient); the sync
    # one, which moves the models, reads large chunks (see fl_client._core.reads)
    client.set_httpx_client(
        _httpx_client(client, httpx.Client, transport if transport is not None else large_read_transport())
    )
    if async_transport is not None:
        client.set_async_httpx_client(_httpx_client(client, httpx.AsyncClient, async_transport))
    return client


def _httpx_client(client: Client, cls: Any, transport: object) -> Any:
    """An httpx client configured as the generated `Client` would build it, with ``transport``."""
    return cls(
        base_url=client._base_url,
        cookies=client._cookies,
        headers=client._headers,
        timeout=client._timeout,
        verify=client._verify_ssl,
        follow_redirects=client._follow_redirects,
        transport=transport,
        **client._httpx_args,
    )


# httpx exception -> fl_client exception. Order matters: the first matching row wins.
_TRANSPORT_ERRORS: tuple[tuple[type[httpx.HTTPError], type[APIConnectionError], str], ...] = (
    (httpx.ConnectTimeout, APITimeoutError, "timed out connecting"),
    (httpx.ReadTimeout, APITimeoutError, "timed out waiting for the answer"),
    (httpx.WriteTimeout, APITimeoutError, "timed out sending the request"),
    (httpx.PoolTimeout, APITimeoutError, "timed out waiting for a free connection"),
    (httpx.TimeoutException, APITimeoutError, "timed out"),
    (httpx.ConnectError, APIConnectionError, "could not connect"),
    (httpx.RemoteProtocolError, APIConnectionError, "the server broke the connection"),
    (httpx.ReadError, APIConnectionError, "the connection broke while reading"),
    (httpx.WriteError, APIConnectionError, "the connection broke while sending"),
    (httpx.NetworkError, APIConnectionError, "network error"),
    (httpx.TransportError, APIConnectionError, "transport error"),
    (httpx.HTTPError, APIConnectionError, "HTTP error"),
)


def transport_error(
    exc: httpx.HTTPError, *, operation: str, method: str, path: str, attempts: int = 1
) -> APIConnectionError:
    """The typed error for an httpx failure (no answer). The message holds no URL credentials."""
    cls, text = next((cls, text) for kind, cls, text in _TRANSPORT_ERRORS if isinstance(exc, kind))
    message = f"{operation} failed: {method} {path}: {text} ({type(exc).__name__})"
    if attempts > 1:
        message += f" (after {attempts} attempts)"
    return cls(message, attempts=attempts)


def check_status(
    response: httpx.Response, *, operation: str, expected: Collection[int], attempts: int = 1
) -> httpx.Response:
    """Return ``response`` when its status is expected, else raise the typed status error."""
    if response.status_code in expected:
        return response
    response.read()
    error = status_error(response, operation=operation, attempts=attempts)
    _logger.error("%s", error.message)
    raise error


def send(
    http: httpx.Client,
    method: str,
    path: str,
    *,
    operation: str,
    expected: Collection[int],
    **request: Any,
) -> httpx.Response:
    """One request straight through the generated client's httpx client (for bodies the generated
    code cannot stream or frames badly), mapped like `call`: the answer when its status is
    expected, else the typed status error; the typed connection error when no answer came."""
    try:
        response = http.request(method, path, **request)
    except httpx.HTTPError as exc:
        raise transport_error(exc, operation=operation, method=method, path=path) from exc
    return check_status(response, operation=operation, expected=expected)


def _raw_response(status: int, headers: Any, content: bytes, method: str, path: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, content=content, request=httpx.Request(method, path))


def _attempt_outcome(
    run: Callable[[], Response[T]],
    *,
    operation: str,
    method: str,
    path: str,
    expected: Collection[int],
    accept_unparsed: bool,
) -> Response[T]:
    """Run one generated call and map it (shared by `call` and `acall`, which pass the result in)."""
    try:
        response = run()
    except UnexpectedContent as exc:
        # the body is not the documented content: the status decides which typed error it is
        raw = _raw_response(
            exc.status_code, {"content-type": exc.content_type or ""}, exc.content, method, path
        )
        if exc.status_code not in expected:
            raise status_error(raw, operation=operation) from exc
        if accept_unparsed:
            return Response(HTTPStatus(exc.status_code), exc.content, raw.headers, None)
        raise _invalid_body(raw, operation=operation) from exc
    if response.status_code in expected:
        return response
    raw = _raw_response(int(response.status_code), response.headers, response.content, method, path)
    raise status_error(raw, operation=operation)


def _invalid_body(raw: httpx.Response, *, operation: str) -> APIResponseValidationError:
    kind = raw.headers.get("content-type") or "no Content-Type"
    return APIResponseValidationError(
        f"{operation} failed: {raw.request.method} {raw.request.url.path} answered {raw.status_code} "
        f"with a body that is not the documented content ({kind}, {len(raw.content)} bytes)",
        status_code=raw.status_code,
        response=raw,
    )


def parsed_as(response: Response[Any], cls: type[T], *, operation: str, method: str, path: str) -> T:
    """``response.parsed`` when it is a ``cls``; else `APIResponseValidationError`."""
    parsed = response.parsed
    if isinstance(parsed, cls):
        return parsed
    raw = _raw_response(int(response.status_code), response.headers, response.content, method, path)
    raise _invalid_body(raw, operation=operation)


def call(
    fn: Callable[[], Response[T]],
    *,
    operation: str,
    method: str,
    path: str,
    expected: Collection[int],
    policy: RetryPolicy | None = None,
    verify: Callable[[APIError], Outcome] | None = None,
    on_applied: Callable[[], Response[T]] | None = None,
    accept_unparsed: bool = False,
) -> Response[T]:
    """Run a generated ``sync_detailed`` call with retries, and map its outcome.

    Returns the generated `Response` when the status is expected; raises an `APIStatusError`
    subclass for any other status, an `APIConnectionError` subclass when no answer came, and
    `APIResponseValidationError` when an expected status came with a body that is not the
    documented content (unless ``accept_unparsed``: then ``parsed`` is None and the caller reads
    ``content``). GET, PUT and DELETE count as idempotent; see `fl_client._core.retry`.
    """

    def attempt() -> Response[T]:
        def run() -> Response[T]:
            try:
                return fn()
            except httpx.HTTPError as exc:
                raise transport_error(exc, operation=operation, method=method, path=path) from exc

        return _attempt_outcome(
            run,
            operation=operation,
            method=method,
            path=path,
            expected=expected,
            accept_unparsed=accept_unparsed,
        )

    try:
        return run_with_retries(
            attempt,
            operation=operation,
            policy=policy or RetryPolicy(),
            idempotent=method.upper() in IDEMPOTENT_METHODS,
            verify=verify,
            on_applied=on_applied,
        )
    except APIError as error:
        _logger.error("%s", error.message)
        raise


async def acall(
    fn: Callable[[], Awaitable[Response[T]]],
    *,
    operation: str,
    method: str,
    path: str,
    expected: Collection[int],
    policy: RetryPolicy | None = None,
    accept_unparsed: bool = False,
) -> Response[T]:
    """`call` for a generated ``asyncio_detailed`` call: the same mapping and retry decisions
    (a non-idempotent request is repeated only when it provably never reached the server)."""

    async def attempt() -> Response[T]:
        try:
            response = await fn()
        except httpx.HTTPError as exc:
            raise transport_error(exc, operation=operation, method=method, path=path) from exc
        except UnexpectedContent as exc:
            error = exc

            def reraise() -> Response[T]:
                raise error

            return _attempt_outcome(
                reraise, operation=operation, method=method, path=path, expected=expected,
                accept_unparsed=accept_unparsed,
            )  # fmt: skip
        return _attempt_outcome(
            lambda: response, operation=operation, method=method, path=path, expected=expected,
            accept_unparsed=accept_unparsed,
        )  # fmt: skip

    try:
        return await arun_with_retries(
            attempt,
            operation=operation,
            policy=policy or RetryPolicy(),
            idempotent=method.upper() in IDEMPOTENT_METHODS,
        )
    except APIError as error:
        _logger.error("%s", error.message)
        raise
