"""Retries of transient failures, without ever sending a non-idempotent request twice blindly.

One loop over attempts (`run_with_retries`) and three small decisions:

* `should_retry` — is this failure transient, and may this request be sent again?
  Transient: no answer (connection error, timeout) and the statuses in `RETRYABLE_STATUSES`
  (408, 429, 500, 502, 503, 504).
  Idempotent requests (GET, PUT, DELETE) are retried on any transient failure. Non-idempotent
  ones (POST: uploads, metrics, create, start) only when the request provably never reached the
  server (the connection was never established), or when a ``verify`` callback that checks the
  server's state says it was not applied.
* `retry_delay` — the server's ``Retry-After`` (seconds or HTTP date, capped), else capped
  exponential backoff with jitter.
* the sleep, injectable for tests.

Every retry is logged at WARNING (the error's message holds no credentials); the error raised
after the last attempt carries the attempt count.
"""

from __future__ import annotations

import asyncio
import email.utils
import enum
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import httpx

from ..defaults import (
    DEFAULT_INITIAL_RETRY_DELAY,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_MAX_RETRY_DELAY,
)
from ..exceptions import APIConnectionError, APIError, APIStatusError, ConfigurationError

__all__ = [
    "RETRYABLE_STATUSES",
    "Outcome",
    "RetryPolicy",
    "arun_with_retries",
    "never_reached_server",
    "retry_delay",
    "run_with_retries",
    "should_retry",
]

_logger = logging.getLogger("fl.client.retry")

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Statuses worth another try: timeouts and overload (mostly from proxies), and 500, which this
server answers to any unhandled exception, including passing ones (database restarts)."""

T = TypeVar("T")


class Outcome(enum.Enum):
    """What a check of the server's state says about a request whose answer was lost."""

    APPLIED = "applied"
    NOT_APPLIED = "not applied"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How often and how long to retry. ``max_retries=0`` disables retries."""

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_delay: float = DEFAULT_INITIAL_RETRY_DELAY
    max_delay: float = DEFAULT_MAX_RETRY_DELAY
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be >= 0, not {self.max_retries}")
        if self.initial_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ConfigurationError("retry delays must be >= 0")


def never_reached_server(error: APIError) -> bool:
    """True when the request was never sent: the connection could not be established."""
    cause = error.__cause__
    return isinstance(error, APIConnectionError) and isinstance(
        cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
    )


def _transient(error: APIError) -> bool:
    if isinstance(error, APIStatusError):
        return error.status_code in RETRYABLE_STATUSES
    return isinstance(error, APIConnectionError)


def should_retry(error: APIError, *, idempotent: bool) -> bool:
    """Whether to send the request again without asking the server (see the module docstring)."""
    if not _transient(error):
        return False
    return idempotent or never_reached_server(error)


def _retry_after(error: APIError) -> float | None:
    response = error.response
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def retry_delay(error: APIError, retry: int, policy: RetryPolicy) -> float:
    """Seconds to wait before retry number ``retry`` (1-based)."""
    after = _retry_after(error)
    if after is not None:
        return min(after, policy.max_retry_after)
    backoff = min(policy.max_delay, policy.initial_delay * 2.0 ** (retry - 1))
    return backoff * (1 - 0.25 * random.random())  # noqa: S311 - jitter, not cryptography


def _final(error: APIError, attempts: int) -> APIError:
    if attempts > 1:
        error.attempts = attempts
        error.message = f"{error.message} (after {attempts} attempts)"
        error.args = (error.message,)
    return error


def run_with_retries(
    attempt: Callable[[], T],
    *,
    operation: str,
    policy: RetryPolicy,
    idempotent: bool,
    verify: Callable[[APIError], Outcome] | None = None,
    on_applied: Callable[[], T] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``attempt`` until it returns, retrying transient failures as `RetryPolicy` allows.

    For a non-idempotent request, ``verify`` is asked after a transient failure that may have
    reached the server: `Outcome.NOT_APPLIED` retries, `Outcome.APPLIED` returns ``on_applied()``
    (the server has it; the answer was lost), `Outcome.UNKNOWN` raises the failure.
    """
    attempts = 0
    while True:
        attempts += 1
        try:
            return attempt()
        except APIError as error:
            if attempts > policy.max_retries or not _transient(error):
                raise _final(error, attempts) from error.__cause__
            if not should_retry(error, idempotent=idempotent):
                outcome = verify(error) if verify is not None else Outcome.UNKNOWN
                if outcome is Outcome.APPLIED and on_applied is not None:
                    _logger.warning("%s: the answer was lost, but the server applied the request", operation)
                    return on_applied()
                if outcome is not Outcome.NOT_APPLIED:
                    error.message += (
                        " (not retried: the server may have applied it, and a repeat is not safe)"
                    )
                    error.args = (error.message,)
                    raise _final(error, attempts) from error.__cause__
            delay = retry_delay(error, attempts, policy)
            _logger.warning(
                "%s: attempt %d of %d failed: %s; retrying in %.2f s",
                operation,
                attempts,
                policy.max_retries + 1,
                error.message,
                delay,
            )
            sleep(delay)


async def arun_with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    operation: str,
    policy: RetryPolicy,
    idempotent: bool,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """`run_with_retries` for coroutines: the same decisions, an ``await``ed sleep.

    There is no ``verify`` step: a non-idempotent request is repeated only when it provably never
    reached the server.
    """
    attempts = 0
    while True:
        attempts += 1
        try:
            return await attempt()
        except APIError as error:
            if attempts > policy.max_retries or not _transient(error):
                raise _final(error, attempts) from error.__cause__
            if not should_retry(error, idempotent=idempotent):
                error.message += " (not retried: the server may have applied it, and a repeat is not safe)"
                error.args = (error.message,)
                raise _final(error, attempts) from error.__cause__
            delay = retry_delay(error, attempts, policy)
            _logger.warning(
                "%s: attempt %d of %d failed: %s; retrying in %.2f s",
                operation,
                attempts,
                policy.max_retries + 1,
                error.message,
                delay,
            )
            await sleep(delay)
