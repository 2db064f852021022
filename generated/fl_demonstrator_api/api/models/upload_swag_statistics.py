from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.detail import Detail
from ...models.error_detail import ErrorDetail
from ...models.field_errors import FieldErrors
from ...models.server_error_body import ServerErrorBody
from ...models.swag_upload import SwagUpload
from ...types import Response


def _get_kwargs(
    id: str,
    *,
    body: SwagUpload,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/models/{id}/swag/".format(
            id=quote(str(id), safe=""),
        ),
    }

    _kwargs["files"] = body.to_multipart()

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Detail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody | None:
    if response.status_code == 201:
        response_201 = Detail.from_dict(response.json())

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

    if response.status_code == 404:
        response_404 = ErrorDetail.from_dict(response.json())

        return response_404

    if response.status_code == 500:

        def _parse_response_500(
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

        response_500 = _parse_response_500(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Detail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody]:
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
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: SwagUpload,
) -> Response[Detail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody]:
    """Upload a participant's SWAG first and second moments for the current round.

     The training must be in state `S`. Most failures are 500 with a `detail` text.

    Args:
        id (str):
        body (SwagUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Detail | ErrorDetail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: SwagUpload,
) -> Detail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody | None:
    """Upload a participant's SWAG first and second moments for the current round.

     The training must be in state `S`. Most failures are 500 with a `detail` text.

    Args:
        id (str):
        body (SwagUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Detail | ErrorDetail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody
    """

    return sync_detailed(
        id=id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: SwagUpload,
) -> Response[Detail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody]:
    """Upload a participant's SWAG first and second moments for the current round.

     The training must be in state `S`. Most failures are 500 with a `detail` text.

    Args:
        id (str):
        body (SwagUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Detail | ErrorDetail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: SwagUpload,
) -> Detail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody | None:
    """Upload a participant's SWAG first and second moments for the current round.

     The training must be in state `S`. Most failures are 500 with a `detail` text.

    Args:
        id (str):
        body (SwagUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Detail | ErrorDetail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            body=body,
        )
    ).parsed
