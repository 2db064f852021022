"""The retry policy: what is retried, how long it waits, what the final error says."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from fl_client import ConfigurationError
from fl_client._core.http import transport_error
from fl_client._core.retry import Outcome, RetryPolicy, retry_delay, run_with_retries, should_retry
from fl_client.exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
    status_error,
)

FAST = RetryPolicy(max_retries=2, initial_delay=0.5, max_delay=8.0)


def connect_error() -> APIConnectionError:
    cause = httpx.ConnectError("refused")
    error = transport_error(cause, operation="op", method="POST", path="/api/x/")
    error.__cause__ = cause
    return error


def read_timeout() -> APIConnectionError:
    cause = httpx.ReadTimeout("slow")
    error = transport_error(cause, operation="op", method="POST", path="/api/x/")
    error.__cause__ = cause
    return error


def status(code: int, headers: dict[str, str] | None = None) -> APIError:
    request = httpx.Request("GET", "http://h/api/x/")
    return status_error(
        httpx.Response(code, headers=headers, json={"detail": "busy"}, request=request), operation="op"
    )


class Script:
    """An attempt function that fails with the given errors, then returns "ok"."""

    def __init__(self, *errors: APIError) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_idempotent_request_retries_transient_failures(caplog: pytest.LogCaptureFixture) -> None:
    sleeps: list[float] = []
    attempt = Script(read_timeout(), status(503))
    with caplog.at_level(logging.WARNING, "fl.client.retry"):
        result = run_with_retries(attempt, operation="op", policy=FAST, idempotent=True, sleep=sleeps.append)
    assert result == "ok" and attempt.calls == 3 and len(sleeps) == 2
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.WARNING]
    assert "attempt 1 of 3 failed" in caplog.records[0].getMessage()


def test_final_error_carries_the_attempt_count() -> None:
    attempt = Script(status(429), status(429), status(429))
    with pytest.raises(RateLimitError) as info:
        run_with_retries(attempt, operation="op", policy=FAST, idempotent=True, sleep=lambda s: None)
    assert info.value.attempts == 3 and str(info.value).endswith("(after 3 attempts)")
    assert attempt.calls == 3


def test_max_retries_zero_disables_retries() -> None:
    attempt = Script(read_timeout())
    with pytest.raises(APITimeoutError) as info:
        run_with_retries(
            attempt, operation="op", policy=RetryPolicy(max_retries=0), idempotent=True, sleep=lambda s: None
        )
    assert attempt.calls == 1 and info.value.attempts == 1


@pytest.mark.parametrize("code", [400, 401, 403, 404, 405, 501])
def test_non_transient_statuses_are_not_retried(code: int) -> None:
    attempt = Script(status(code))
    with pytest.raises(APIError):
        run_with_retries(attempt, operation="op", policy=FAST, idempotent=True, sleep=lambda s: None)
    assert attempt.calls == 1


def test_transient_statuses() -> None:
    assert all(should_retry(status(code), idempotent=True) for code in (408, 429, 500, 502, 503, 504))
    assert not any(should_retry(status(code), idempotent=False) for code in (408, 429, 500, 502, 503, 504))


def test_non_idempotent_retries_only_a_request_that_never_left() -> None:
    assert should_retry(connect_error(), idempotent=False)
    assert not should_retry(read_timeout(), idempotent=False)
    assert not should_retry(status(503), idempotent=False)
    attempt = Script(connect_error())
    assert (
        run_with_retries(attempt, operation="op", policy=FAST, idempotent=False, sleep=lambda s: None) == "ok"
    )


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [(Outcome.NOT_APPLIED, "ok"), (Outcome.APPLIED, "applied"), (Outcome.UNKNOWN, None)],
)
def test_non_idempotent_asks_the_server_after_an_ambiguous_failure(
    outcome: Outcome, expected: str | None
) -> None:
    asked: list[APIError] = []

    def verify(error: APIError) -> Outcome:
        asked.append(error)
        return outcome

    attempt = Script(read_timeout())
    kwargs = {
        "operation": "upload",
        "policy": FAST,
        "idempotent": False,
        "verify": verify,
        "sleep": lambda s: None,
    }
    if expected is None:
        with pytest.raises(APITimeoutError, match="not retried"):
            run_with_retries(attempt, on_applied=lambda: "applied", **kwargs)  # type: ignore[arg-type]
        assert attempt.calls == 1
    else:
        assert run_with_retries(attempt, on_applied=lambda: "applied", **kwargs) == expected  # type: ignore[arg-type]
    assert len(asked) == 1


def test_without_verify_an_ambiguous_failure_is_raised() -> None:
    attempt = Script(status(502))
    with pytest.raises(InternalServerError, match="not retried"):
        run_with_retries(attempt, operation="op", policy=FAST, idempotent=False, sleep=lambda s: None)


def test_backoff_grows_is_capped_and_jittered() -> None:
    error = read_timeout()
    delays = [retry_delay(error, n, FAST) for n in range(1, 8)]
    assert 0.375 <= delays[0] <= 0.5 and 0.75 <= delays[1] <= 1.0
    assert all(d <= 8.0 for d in delays) and delays[-1] >= 6.0


def test_retry_after_seconds_and_date_are_honoured_and_capped() -> None:
    assert retry_delay(status(503, {"Retry-After": "3"}), 1, FAST) == 3.0
    assert retry_delay(status(503, {"Retry-After": "3600"}), 1, FAST) == FAST.max_retry_after
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    assert 3.0 <= retry_delay(status(429, {"Retry-After": when}), 1, FAST) <= 5.0
    assert retry_delay(status(503, {"Retry-After": "soon"}), 1, FAST) <= 0.5


def test_bad_policies_are_rejected() -> None:
    with pytest.raises(ConfigurationError):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ConfigurationError):
        RetryPolicy(initial_delay=-1)
