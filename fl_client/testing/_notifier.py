"""Notification delivery: POST the §9.2 JSON bodies to each user's ``message_endpoint``.

The server sends each notification from a Celery worker, asynchronously to the API call that
caused it. Here one worker thread per receiver URL keeps that asynchrony (an API answer never
waits for a receiver) while delivering each receiver's notifications in the order they were
queued, so tests can assert sequences. Retries follow §9.4 in shape (exceptions are retried,
non-2xx answers are not) with short, configurable delays instead of the server's 5-25 s.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = [
    "DEFAULT_NOTIFICATION_RETRIES",
    "DEFAULT_NOTIFICATION_RETRY_DELAY",
    "DEFAULT_NOTIFICATION_TIMEOUT",
    "NotificationRecord",
    "Notifier",
]

_logger = logging.getLogger("fl.client.testing.notifications")

# The server retries a failed POST 5 times; it sleeps 5 s x attempt, we sleep this x attempt.
DEFAULT_NOTIFICATION_RETRIES = 5
DEFAULT_NOTIFICATION_RETRY_DELAY = 0.1
# The server sets no timeout; a test server must not hang on a stuck receiver.
DEFAULT_NOTIFICATION_TIMEOUT = 30.0
_JOIN_TIMEOUT = 5.0


@dataclass(frozen=True)
class NotificationRecord:
    """One notification and what became of it (``status`` None: no answer after all attempts)."""

    user_id: str
    url: str
    payload: dict[str, Any]
    status: int | None
    error: str | None
    attempts: int

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def notification_type(self) -> str:
        return str(self.payload["notification_type"])

    @property
    def training_id(self) -> str:
        return str(self.payload["training_uuid"])

    @property
    def round(self) -> int | None:
        value = self.payload["body"].get("round")
        return int(value) if value is not None else None


_STOP = object()


class Notifier:
    """Queues notifications and delivers them from one thread per receiver URL."""

    def __init__(
        self,
        on_record: Callable[[NotificationRecord], None],
        *,
        retries: int = DEFAULT_NOTIFICATION_RETRIES,
        retry_delay: float = DEFAULT_NOTIFICATION_RETRY_DELAY,
        timeout: float = DEFAULT_NOTIFICATION_TIMEOUT,
    ) -> None:
        self._on_record = on_record
        self._retries = retries
        self._retry_delay = retry_delay
        self._timeout = timeout
        self._lock = threading.Lock()
        self._queues: dict[str, queue.Queue[Any]] = {}
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()

    def send(self, user_id: str, url: str, payload: dict[str, Any]) -> None:
        """Queue ``payload`` for ``url``; returns at once."""
        with self._lock:
            if self._stopped.is_set():
                return
            worker_queue = self._queues.get(url)
            if worker_queue is None:
                worker_queue = queue.Queue()
                self._queues[url] = worker_queue
                thread = threading.Thread(
                    target=self._work, args=(url, worker_queue), name="fl-emulator-notify", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        worker_queue.put((user_id, payload))

    def stop(self) -> None:
        """Stop the workers; notifications still queued are dropped."""
        with self._lock:
            self._stopped.set()
            for worker_queue in self._queues.values():
                worker_queue.put(_STOP)
            threads = list(self._threads)
            self._queues.clear()
            self._threads.clear()
        for thread in threads:
            thread.join(_JOIN_TIMEOUT)

    def _work(self, url: str, worker_queue: queue.Queue[Any]) -> None:
        with httpx.Client(timeout=self._timeout, trust_env=False, follow_redirects=True) as http:
            while True:
                item = worker_queue.get()
                if item is _STOP or self._stopped.is_set():
                    return
                user_id, payload = item
                self._on_record(self._deliver(http, user_id, url, payload))

    def _deliver(
        self, http: httpx.Client, user_id: str, url: str, payload: dict[str, Any]
    ) -> NotificationRecord:
        kind = payload["notification_type"]
        if not url:
            _logger.info("user %s has no message_endpoint: %s not delivered", user_id, kind)
            return NotificationRecord(user_id, url, payload, None, "no message_endpoint", 0)
        error = ""
        attempt = 0
        for attempt in range(1, self._retries + 2):
            try:
                response = http.post(url, json=payload)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
                _logger.info("%s to %s failed (attempt %d): %s", kind, url, attempt, error)
                if attempt <= self._retries and not self._stopped.wait(self._retry_delay * attempt):
                    continue
                break
            if not 200 <= response.status_code < 300:
                # not retried, and (as on the server, §9.5) nothing else happens
                _logger.warning("%s to %s answered %d", kind, url, response.status_code)
            else:
                _logger.debug("%s to %s answered %d", kind, url, response.status_code)
            return NotificationRecord(user_id, url, payload, response.status_code, None, attempt)
        _logger.warning("%s to %s not delivered: %s", kind, url, error)
        return NotificationRecord(user_id, url, payload, None, error, attempt)
