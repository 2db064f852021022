"""Credentials: building Authorization values and keeping them out of logs and reprs."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Generator, Mapping

import httpx

from ..exceptions import ConfigurationError

__all__ = [
    "AuthorizationHeader",
    "HeadersAuth",
    "basic_authorization",
    "redact",
    "resolve_authorization",
    "token_authorization",
]

_TOKEN_RE = re.compile(r"^[0-9a-f]{40}$")


def basic_authorization(username: str, password: str) -> str:
    """``Basic base64(username:password)``, as the reference client builds it."""
    raw = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def token_authorization(token: str) -> str:
    """``Token <key>``, the server's token scheme (``Bearer`` is not accepted by it)."""
    token = token.strip()
    if token.lower().startswith("token "):
        token = token[6:].strip()
    if not _TOKEN_RE.match(token):
        raise ConfigurationError("a server token is 40 lower-case hex characters")
    return f"Token {token}"


def resolve_authorization(
    *,
    authorization: str | None = None,
    username: str | None = None,
    password: str | None = None,
    token: str | None = None,
) -> str:
    """One Authorization value from exactly one of: a ready value, a token, username + password."""
    given = [authorization is not None, token is not None, username is not None or password is not None]
    if sum(given) != 1:
        raise ConfigurationError(
            "give exactly one of: authorization=..., token=..., or username=... with password=..."
        )
    if authorization is not None:
        if not authorization.strip():
            raise ConfigurationError("the Authorization value is empty")
        return authorization
    if token is not None:
        return token_authorization(token)
    if username is None or password is None:
        raise ConfigurationError("username and password go together")
    return basic_authorization(username, password)


def redact(authorization: str | None) -> str:
    """A printable stand-in for a credential: its scheme only."""
    if not authorization:
        return "<none>"
    scheme = authorization.split(" ", 1)[0] if " " in authorization else "<value>"
    return f"{scheme} ***"


class AuthorizationHeader(httpx.Auth):
    """Sets the Authorization header on each request; its repr shows the scheme only.

    Passed to httpx as ``auth=`` so that the secret lives in no header dict that a repr of the
    generated client would print.
    """

    def __init__(self, value: str) -> None:
        self._value = value

    @property
    def value(self) -> str:
        return self._value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._value
        yield request

    def __repr__(self) -> str:
        return f"AuthorizationHeader({redact(self._value)})"


class HeadersAuth(httpx.Auth):
    """Sets the headers a function returns, asked anew for each request (`Communication.get_headers`).

    The function is the reference client's extension point: a subclass that adds a header or
    refreshes its credential is honoured on every request. The repr names the headers, not their values.
    """

    def __init__(self, headers: Callable[[], Mapping[str, str]]) -> None:
        self._headers = headers

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        for name, value in self._headers().items():
            request.headers[name] = value
        yield request

    def __repr__(self) -> str:
        return "HeadersAuth(<headers from get_headers()>)"
