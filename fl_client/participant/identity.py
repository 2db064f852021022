"""`IdentityWatcher`: the receiver learns who its credentials belong to, however long the server is away.

``fl-client serve`` needs two things from the server that it cannot know offline: the user id
(``FL_CLIENT_CLIENT_ID`` for scripts) and the user's own token, which scripts get instead of the
password (the server shows a user's token only to that user, at ``GET /api/users/{id}/``; token
requests are also far cheaper for the server than Basic auth, which hashes the password each
time). A receiver is often started before the server, so the lookup runs in a background thread
and retries with a growing delay until it succeeds; runs started before then get what was
configured, and scripts look their id up themselves (`Communication.client_id`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from uuid import UUID

import httpx

from .._core.auth import token_authorization
from .._core.http import create_client
from .._core.identity import lookup_own_token, lookup_user_id
from .._core.retry import RetryPolicy
from ..defaults import DEFAULT_IDENTITY_MAX_DELAY, DEFAULT_IDENTITY_RETRY_DELAY
from ..exceptions import APIError, ConfigurationError

__all__ = ["IdentityWatcher"]

logger = logging.getLogger("fl.client.identity")

OnFound = Callable[[UUID, str | None], None]
"""Called once with the user id and ``Token <key>`` (None when the server showed no token)."""


class IdentityWatcher:
    """Looks up the credentials' user id and token in a background thread, retrying until found."""

    def __init__(
        self,
        *,
        base_url: str,
        authorization: str,
        on_found: OnFound,
        retry_delay: float = DEFAULT_IDENTITY_RETRY_DELAY,
        max_delay: float = DEFAULT_IDENTITY_MAX_DELAY,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self._authorization = authorization
        self._on_found = on_found
        self.retry_delay = retry_delay
        self.max_delay = max_delay
        self._transport = transport
        self._stop = threading.Event()
        self.found = threading.Event()
        """Set once the identity was found and handed to ``on_found``."""
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"IdentityWatcher(base_url={self.base_url!r}, found={self.found.is_set()})"

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="fl-client-identity", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def lookup(self) -> tuple[UUID, str | None]:
        """One attempt: the user id, and ``Token <key>`` for scripts (None if not shown).

        Raises:
            APIError: no answer or an error status.
        """
        once = RetryPolicy(max_retries=0)
        with create_client(
            base_url=self.base_url, authorization=self._authorization, transport=self._transport
        ) as api:
            user_id = lookup_user_id(api, policy=once)
            if self._authorization.startswith("Token "):
                return user_id, self._authorization
            token = lookup_own_token(api, user_id, policy=once)
        try:
            return user_id, token_authorization(token) if token else None
        except ConfigurationError:  # not a token this server issues: keep the configured credentials
            return user_id, None

    def _run(self) -> None:
        delay = self.retry_delay
        attempt = 0
        while not self._stop.is_set():
            attempt += 1
            try:
                user_id, token = self.lookup()
            except APIError as error:
                log = logger.warning if attempt == 1 or delay >= self.max_delay else logger.info
                log("who the credentials belong to is not known yet (%s); asking again in %.0f s",
                    error.message, delay)  # fmt: skip
                self._stop.wait(delay)
                delay = min(delay * 2, self.max_delay)
                continue
            logger.info(
                "credentials belong to user %s%s", user_id, "; scripts get its token" if token else ""
            )
            self._on_found(user_id, token)
            self.found.set()
            return
