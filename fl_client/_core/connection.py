"""The client object both roles share: options, the generated client, and how one operation runs.

`Connection` holds the base URL, the credential, timeouts, the retry policy and the transfer
settings, and owns ONE generated ``fl_demonstrator_api.Client`` (with its sync and async httpx
clients). `Operation` describes one call of a generated operation (its ``sync_detailed`` and
``asyncio_detailed``, the statuses it expects, and how its answer becomes one concrete type);
`Connection.request` / `Connection.arequest` run it with retries and typed errors
(`fl_client._core.http.call` / `acall`).

The application client (`fl_client.FLClient`, `fl_client.AsyncFLClient`) and the participant's
`Communication` both sit on a `Connection`: one HTTP path, one retry policy, one error mapping.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx
from fl_demonstrator_api.client import Client
from fl_demonstrator_api.types import Response

from ..defaults import DEFAULT_MAX_MODEL_BYTES
from ..progress import ProgressCallback
from .auth import redact
from .http import DEFAULT_TIMEOUT, acall, call, create_client, parsed_as
from .retry import RetryPolicy, run_with_retries

if TYPE_CHECKING:
    from ..serialization import TrustedClass

__all__ = ["ClientOptions", "Connection", "Operation", "expect_list", "expect_one"]

T = TypeVar("T")
PathLike = str | os.PathLike[str]


@dataclass(frozen=True, kw_only=True)
class ClientOptions:
    """Everything that configures a client. ``authorization`` never appears in a repr."""

    base_url: str
    authorization: str = field(repr=False)
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    max_retries: int = RetryPolicy().max_retries
    progress: ProgressCallback | None = None
    temp_dir: PathLike | None = None
    trusted_classes: tuple[TrustedClass, ...] = ()
    trust_remote_code: bool = False
    map_location: Any = None
    max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES  # larger model uploads are refused unsent (0: no limit)

    def __repr__(self) -> str:
        return (
            f"ClientOptions(base_url={self.base_url!r}, authorization={redact(self.authorization)!r}, "
            f"max_retries={self.max_retries})"
        )


@dataclass(frozen=True)
class Operation(Generic[T]):
    """One call of a generated operation, ready to run sync or async.

    ``parse`` turns the generated `Response` into exactly one type (it raises
    `APIResponseValidationError` when the body is not that type).
    """

    name: str
    method: str
    path: str
    expected: frozenset[int]
    run: Callable[[Client], Response[Any]]
    arun: Callable[[Client], Awaitable[Response[Any]]]
    parse: Callable[[Response[Any], Operation[Any]], T]
    accept_unparsed: bool = False

    @classmethod
    def of(
        cls,
        module: Any,
        *args: Any,
        name: str,
        method: str,
        path: str,
        expected: Collection[int],
        parse: Callable[[Response[Any], Operation[Any]], T],
        accept_unparsed: bool = False,
        **kwargs: Any,
    ) -> Operation[T]:
        """The operation of generated module ``module`` (``fl_demonstrator_api.api.<tag>.<op>``)
        called with ``args`` and ``kwargs`` (besides ``client``)."""
        return cls(
            name,
            method,
            path,
            frozenset(expected),
            lambda client: module.sync_detailed(*args, client=client, **kwargs),
            lambda client: module.asyncio_detailed(*args, client=client, **kwargs),
            parse,
            accept_unparsed,
        )


def expect_one(cls: type[T]) -> Callable[[Response[Any], Operation[Any]], T]:
    """A parser that accepts only a ``cls``."""

    def parse(response: Response[Any], op: Operation[Any]) -> T:
        return parsed_as(response, cls, operation=op.name, method=op.method, path=op.path)

    return parse


def expect_list(*classes: type[Any]) -> Callable[[Response[Any], Operation[Any]], list[Any]]:
    """A parser that accepts a list whose items are all instances of ``classes``."""

    def parse(response: Response[Any], op: Operation[Any]) -> list[Any]:
        items = parsed_as(response, list, operation=op.name, method=op.method, path=op.path)
        if not all(isinstance(item, classes) for item in items):
            parsed_as(response, _Never, operation=op.name, method=op.method, path=op.path)
        return items

    return parse


class _Never:
    """Nothing is an instance of it: makes `parsed_as` raise its typed error."""


class Connection:
    """Options plus the generated client they configure; runs `Operation`\\ s with retries.

    Thread-safe for requests (httpx clients are). Close it (or use ``with``) to release the
    connection pools.
    """

    def __init__(
        self,
        options: ClientOptions,
        *,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.options = options
        self.policy = RetryPolicy(max_retries=options.max_retries)
        self._transport = transport
        self._async_transport = async_transport
        self.api: Client = create_client(
            base_url=options.base_url,
            authorization=options.authorization,
            timeout=options.timeout,
            transport=transport,
            async_transport=async_transport,
        )

    def __repr__(self) -> str:
        return f"Connection({self.options!r})"

    def copy(self, **changes: Any) -> Connection:
        """A new connection (own pools, same transports) with some options changed."""
        return Connection(
            replace(self.options, **changes), transport=self._transport, async_transport=self._async_transport
        )

    @property
    def http(self) -> httpx.Client:
        """The sync httpx client (streamed model transfers use it; same auth, URL, timeouts)."""
        return self.api.get_httpx_client()

    def request(self, op: Operation[T]) -> T:
        """Run ``op`` (retried as its method allows) and return its one parsed type."""
        response = call(
            lambda: op.run(self.api),
            operation=op.name,
            method=op.method,
            path=op.path,
            expected=op.expected,
            policy=self.policy,
            accept_unparsed=op.accept_unparsed,
        )
        return op.parse(response, op)

    async def arequest(self, op: Operation[T]) -> T:
        """`request` on the async httpx client."""
        response = await acall(
            lambda: op.arun(self.api),
            operation=op.name,
            method=op.method,
            path=op.path,
            expected=op.expected,
            policy=self.policy,
            accept_unparsed=op.accept_unparsed,
        )
        return op.parse(response, op)

    def retrying(self, operation: str, *, idempotent: bool) -> Callable[[Callable[[], Any]], Any]:
        """This connection's retry policy around one attempt (for streamed transfers)."""

        def retry(attempt: Callable[[], Any]) -> Any:
            return run_with_retries(attempt, operation=operation, policy=self.policy, idempotent=idempotent)

        return retry

    def trusted(self, extra: Iterable[TrustedClass] = ()) -> tuple[TrustedClass, ...]:
        return (*self.options.trusted_classes, *extra)

    def close(self) -> None:
        """Close the sync httpx client (the async one needs `aclose`)."""
        self.api.get_httpx_client().close()

    async def aclose(self) -> None:
        """Close both httpx clients."""
        await self.api.get_async_httpx_client().aclose()
        self.api.get_httpx_client().close()
