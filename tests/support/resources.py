"""One line calls a resource method on `FLClient` or on `AsyncFLClient`: tests run in both modes."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import pytest

from fl_client import AsyncFLClient, FLClient

NOBODY = "0" * 40  # any well-formed token: creating users needs none


class Api:
    """``api("trainings.get", tid)`` runs ``client.trainings.get(tid)``, awaiting it in async mode."""

    def __init__(self, mode: str, *, client: FLClient | AsyncFLClient | None = None, **options: Any) -> None:
        self.mode = mode
        self.loop = asyncio.new_event_loop() if mode == "async" else None
        if client is None:
            client = AsyncFLClient(**options) if mode == "async" else FLClient(**options)
        assert isinstance(client, AsyncFLClient) == (mode == "async"), "a client of the other mode"
        self.client: FLClient | AsyncFLClient = client

    @property
    def client_class(self) -> type[FLClient] | type[AsyncFLClient]:
        return AsyncFLClient if self.mode == "async" else FLClient

    def step(self, iterator: Any) -> Any:
        """The next item of a generator (``watch``) in this mode; `StopIteration` at its end."""
        if self.loop is None:
            return next(iterator)
        try:
            return self.loop.run_until_complete(iterator.__anext__())
        except StopAsyncIteration:
            raise StopIteration from None

    def run(self, result: Any) -> Any:
        """``result`` itself in sync mode; awaited in async mode."""
        return result if self.loop is None else self.loop.run_until_complete(result)

    def __call__(self, method_path: str, /, *args: Any, **kwargs: Any) -> Any:
        resource, method = method_path.split(".")
        result = getattr(getattr(self.client, resource), method)(*args, **kwargs)
        if self.loop is not None:
            if inspect.isasyncgen(result):
                return self.loop.run_until_complete(_collect(result))
            assert inspect.iscoroutine(result), f"{method_path} is not a coroutine on the async client"
            return self.loop.run_until_complete(result)
        if inspect.isgenerator(result):
            return list(result)
        return result

    def close(self) -> None:
        """Close the client (and the event loop); a second call does nothing."""
        if getattr(self, "closed", False):
            return
        self.closed = True
        if isinstance(self.client, AsyncFLClient):
            assert self.loop is not None
            self.loop.run_until_complete(self.client.close())
            self.loop.close()
        else:
            self.client.close()


async def _collect(generator: Any) -> list[Any]:
    return [item async for item in generator]


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client_class(mode: str) -> type[FLClient] | type[AsyncFLClient]:
    """`FLClient` or `AsyncFLClient`, by this test's mode."""
    return AsyncFLClient if mode == "async" else FLClient


@pytest.fixture
def clients(mode: str) -> Iterator[Any]:
    """A factory of `Api` objects in this test's mode, closed after the test."""
    made: list[Api] = []

    def make(*, client: FLClient | AsyncFLClient | None = None, **options: Any) -> Api:
        api = Api(mode, client=client, **options)
        made.append(api)
        return api

    yield make
    for api in made:
        api.close()
