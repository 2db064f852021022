from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.get_schema_format import GetSchemaFormat
from ...models.open_api_document import OpenAPIDocument
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    format_: GetSchemaFormat | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_format_: str | Unset = UNSET
    if not isinstance(format_, Unset):
        json_format_ = format_.value

    params["format"] = json_format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/schema/",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> OpenAPIDocument | None:
    if response.status_code == 200:
        response_200 = OpenAPIDocument.from_dict(response.json())

        return response_200

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[OpenAPIDocument]:
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
    format_: GetSchemaFormat | Unset = UNSET,
) -> Response[OpenAPIDocument]:
    """The OpenAPI document the server publishes (what `fl-client contract diff --schema URL` reads).

     drf-spectacular's document (OpenAPI 3.0.3), generated from the server's annotations: it
    differs from what the server does in the places `openapi/contract-baseline.yaml` lists.
    No credentials needed. YAML by default; `format=json`, or an `Accept` of
    `application/vnd.oai.openapi+json`, gives JSON.

    Args:
        format_ (GetSchemaFormat | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OpenAPIDocument]
    """

    kwargs = _get_kwargs(
        format_=format_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    format_: GetSchemaFormat | Unset = UNSET,
) -> OpenAPIDocument | None:
    """The OpenAPI document the server publishes (what `fl-client contract diff --schema URL` reads).

     drf-spectacular's document (OpenAPI 3.0.3), generated from the server's annotations: it
    differs from what the server does in the places `openapi/contract-baseline.yaml` lists.
    No credentials needed. YAML by default; `format=json`, or an `Accept` of
    `application/vnd.oai.openapi+json`, gives JSON.

    Args:
        format_ (GetSchemaFormat | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OpenAPIDocument
    """

    return sync_detailed(
        client=client,
        format_=format_,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    format_: GetSchemaFormat | Unset = UNSET,
) -> Response[OpenAPIDocument]:
    """The OpenAPI document the server publishes (what `fl-client contract diff --schema URL` reads).

     drf-spectacular's document (OpenAPI 3.0.3), generated from the server's annotations: it
    differs from what the server does in the places `openapi/contract-baseline.yaml` lists.
    No credentials needed. YAML by default; `format=json`, or an `Accept` of
    `application/vnd.oai.openapi+json`, gives JSON.

    Args:
        format_ (GetSchemaFormat | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OpenAPIDocument]
    """

    kwargs = _get_kwargs(
        format_=format_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    format_: GetSchemaFormat | Unset = UNSET,
) -> OpenAPIDocument | None:
    """The OpenAPI document the server publishes (what `fl-client contract diff --schema URL` reads).

     drf-spectacular's document (OpenAPI 3.0.3), generated from the server's annotations: it
    differs from what the server does in the places `openapi/contract-baseline.yaml` lists.
    No credentials needed. YAML by default; `format=json`, or an `Accept` of
    `application/vnd.oai.openapi+json`, gives JSON.

    Args:
        format_ (GetSchemaFormat | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OpenAPIDocument
    """

    return (
        await asyncio_detailed(
            client=client,
            format_=format_,
        )
    ).parsed
