"""Authentication as the server does it (API reference §2): Token header, Basic, token-as-Basic.

The texts are Django REST framework's, word for word, because clients show them to users and
tests compare them. Every failure is 401 with ``WWW-Authenticate: Token`` (the first
authenticator is the token one, so DRF answers 401, not 403).
"""

from __future__ import annotations

import base64
import binascii

from ._store import ApiFailure, Store, User

__all__ = [
    "INVALID_CREDENTIALS",
    "INVALID_TOKEN",
    "NOT_AUTHENTICATED",
    "TOKEN_LENGTH",
    "authenticate",
]

NOT_AUTHENTICATED = "Authentication credentials were not provided."
INVALID_CREDENTIALS = "Invalid username/password."
INVALID_TOKEN = "Invalid token."  # noqa: S105 - an error text, not a secret
USER_INACTIVE = "User inactive or deleted."
# A Basic user part of exactly this length with an empty password is looked up as a token.
TOKEN_LENGTH = 40


def _unauthorized(detail: str) -> ApiFailure:
    return ApiFailure(401, {"detail": detail}, headers={"WWW-Authenticate": "Token"})


def authenticate(store: Store, authorization: str | None) -> User:
    """The calling user, or raise the 401 the server would answer."""
    parts = (authorization or "").split()
    scheme = parts[0].lower() if parts else ""
    if scheme == "token":
        return _token_user(store, parts)
    if scheme == "basic":
        return _basic_user(store, parts)
    # no header, or a scheme no authenticator knows (e.g. "Bearer"): unauthenticated
    raise _unauthorized(NOT_AUTHENTICATED)


def _token_user(store: Store, parts: list[str]) -> User:
    if len(parts) == 1:
        raise _unauthorized("Invalid token header. No credentials provided.")
    if len(parts) > 2:
        raise _unauthorized("Invalid token header. Token string should not contain spaces.")
    return _lookup_token(store, parts[1])


def _lookup_token(store: Store, token: str) -> User:
    with store.lock:
        user = store.user_by_token(token)
    if user is None:
        raise _unauthorized(INVALID_TOKEN)
    if not user.is_active:
        raise _unauthorized(USER_INACTIVE)
    return user


def _basic_user(store: Store, parts: list[str]) -> User:
    if len(parts) == 1:
        raise _unauthorized("Invalid basic header. No credentials provided.")
    if len(parts) > 2:
        raise _unauthorized("Invalid basic header. Credentials string should not contain spaces.")
    try:
        decoded = base64.b64decode(parts[1], validate=True).decode("utf-8")
        username, password = decoded.split(":", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _unauthorized("Invalid basic header. Credentials not correctly base64 encoded.") from None
    if len(username) == TOKEN_LENGTH and password == "":
        return _lookup_token(store, username)
    with store.lock:
        user = store.user_by_username(username)
        valid = user is not None and user.check_password(password)
    if user is None or not valid:
        raise _unauthorized(INVALID_CREDENTIALS)
    if not user.is_active:
        raise _unauthorized(USER_INACTIVE)
    return user
