from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_detail import ErrorDetail
from ...models.field_errors import FieldErrors
from ...models.global_model import GlobalModel
from ...models.local_model import LocalModel
from ...models.mean_model import MeanModel
from ...models.server_error_body import ServerErrorBody
from ...models.swag_model import SwagModel
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/models/",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    ErrorDetail
    | FieldErrors
    | list[str]
    | ServerErrorBody
    | list[GlobalModel | LocalModel | MeanModel | SwagModel]
    | None
):
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:

            def _parse_response_200_item(
                data: object,
            ) -> GlobalModel | LocalModel | MeanModel | SwagModel:
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_any_model_type_0 = SwagModel.from_dict(data)

                    return componentsschemas_any_model_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_any_model_type_1 = MeanModel.from_dict(data)

                    return componentsschemas_any_model_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_any_model_type_2 = GlobalModel.from_dict(data)

                    return componentsschemas_any_model_type_2
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_any_model_type_3 = LocalModel.from_dict(data)

                return componentsschemas_any_model_type_3

            response_200_item = _parse_response_200_item(response_200_item_data)

            response_200.append(response_200_item)

        return response_200

    if response.status_code == 401:
        response_401 = ErrorDetail.from_dict(response.json())

        return response_401

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
) -> Response[
    ErrorDetail
    | FieldErrors
    | list[str]
    | ServerErrorBody
    | list[GlobalModel | LocalModel | MeanModel | SwagModel]
]:
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
) -> Response[
    ErrorDetail
    | FieldErrors
    | list[str]
    | ServerErrorBody
    | list[GlobalModel | LocalModel | MeanModel | SwagModel]
]:
    """Models the caller owns plus the global models of the caller's trainings.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorDetail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody | list[GlobalModel | LocalModel | MeanModel | SwagModel]]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
) -> (
    ErrorDetail
    | FieldErrors
    | list[str]
    | ServerErrorBody
    | list[GlobalModel | LocalModel | MeanModel | SwagModel]
    | None
):
    """Models the caller owns plus the global models of the caller's trainings.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorDetail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody | list[GlobalModel | LocalModel | MeanModel | SwagModel]
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[
    ErrorDetail
    | FieldErrors
    | list[str]
    | ServerErrorBody
    | list[GlobalModel | LocalModel | MeanModel | SwagModel]
]:
    """Models the caller owns plus the global models of the caller's trainings.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorDetail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody | list[GlobalModel | LocalModel | MeanModel | SwagModel]]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
) -> (
    ErrorDetail
    | FieldErrors
    | list[str]
    | ServerErrorBody
    | list[GlobalModel | LocalModel | MeanModel | SwagModel]
    | None
):
    """Models the caller owns plus the global models of the caller's trainings.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorDetail | ErrorDetail | FieldErrors | list[str] | ServerErrorBody | list[GlobalModel | LocalModel | MeanModel | SwagModel]
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
