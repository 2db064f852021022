"""Who the credentials belong to: the user id (and the user's own token) as the server sees them.

The server takes the uploader and the metrics reporter from the credentials, never from the
``client_id`` a caller passes (the reference client sends it as a form field the server ignores).
So whatever must be "ours" -- the lost-answer checks in `fl_client._core.verify` above all -- is
decided by the id the server returns for the credentials (``GET /api/users/myself/``), and a
participant needs no configured client id at all.
"""

from __future__ import annotations

from uuid import UUID

from fl_demonstrator_api.api.users import get_myself, get_user
from fl_demonstrator_api.client import Client

from ..exceptions import APIError
from .http import call
from .retry import RetryPolicy

__all__ = ["lookup_own_token", "lookup_user_id"]


def lookup_user_id(api: Client, *, policy: RetryPolicy | None = None) -> UUID:
    """The id of the user the client's credentials belong to (GET, retried as idempotent).

    Raises:
        APIError: no answer, an error status, or an answer without a user id.
    """
    try:
        response = call(
            lambda: get_myself.sync_detailed(client=api),
            operation="identity lookup",
            method="GET",
            path="/api/users/myself/",
            expected={200},
            policy=policy,
        )
        return UUID(str(getattr(response.parsed, "id", "")))
    except (ValueError, TypeError, KeyError):  # an answer that is not a user
        raise APIError("identity lookup failed: GET /api/users/myself/ answered no user id") from None


def lookup_own_token(api: Client, user_id: UUID, *, policy: RetryPolicy | None = None) -> str | None:
    """The user's own API token (``GET /api/users/{own id}/`` is the one place the server shows it).

    Returns None when the answer carries no token.

    Raises:
        APIError: no answer or an error status.
    """
    try:
        response = call(
            lambda: get_user.sync_detailed(str(user_id), client=api),
            operation="token lookup",
            method="GET",
            path=f"/api/users/{user_id}/",
            expected={200},
            policy=policy,
        )
    except (ValueError, TypeError, KeyError):  # an answer that is not a user
        raise APIError(f"token lookup failed: GET /api/users/{user_id}/ answered no user") from None
    token = getattr(response.parsed, "token", None)
    return token if isinstance(token, str) and token else None
