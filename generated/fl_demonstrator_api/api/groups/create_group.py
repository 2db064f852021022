from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_detail import ErrorDetail
from ...models.field_errors import FieldErrors
from ...models.group import Group
from ...models.group_request import GroupRequest
from ...models.server_error_body import ServerErrorBody
from ...types import Response


def _get_kwargs(
    *,
    body: GroupRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/groups/",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorDetail | FieldErrors | list[str] | ServerErrorBody | Group | None:
    if response.status_code == 201:
        response_201 = Group.from_dict(response.json())

        return response_201

    if response.status_code == 400:

        def _parse_response_400(
            data: object,
        ) -> ErrorDetail | FieldErrors | list[str] | ServerErrorBody:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_body_type_0 = ErrorDetail.from_dict(data)

                return componentsschemas_error_body_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_body_type_1 = ServerErrorBody.from_dict(data)

                return componentsschemas_error_body_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, list):
                    raise TypeError()
                componentsschemas_error_body_type_2 = cast(list[str], data)

                return componentsschemas_error_body_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_error_body_type_3 = FieldErrors.from_dict(data)

            return componentsschemas_error_body_type_3

        response_400 = _parse_response_400(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorDetail.from_dict(response.json())

        return response_401

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorDetail | FieldErrors | list[str] | ServerErrorBody | Group]:
    try:
        parsed = _parse_response(client=client, response=response)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise errors.UnexpectedContent(
            response.status_code, response.content, response.headers.get("content-type")
        ) from exc
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=parsed,
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: GroupRequest,
) -> Response[ErrorDetail | FieldErrors | list[str] | ServerErrorBody | Group]:
    """Create a group. The creator is not made a member.

    Args:
        body (GroupRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorDetail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody | Group]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: GroupRequest,
) -> ErrorDetail | FieldErrors | list[str] | ServerErrorBody | Group | None:
    """Create a group. The creator is not made a member.

    Args:
        body (GroupRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorDetail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody | Group
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: GroupRequest,
) -> Response[ErrorDetail | FieldErrors | list[str] | ServerErrorBody | Group]:
    """Create a group. The creator is not made a member.

    Args:
        body (GroupRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorDetail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody | Group]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: GroupRequest,
) -> ErrorDetail | FieldErrors | list[str] | ServerErrorBody | Group | None:
    """Create a group. The creator is not made a member.

    Args:
        body (GroupRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorDetail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody | Group
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
