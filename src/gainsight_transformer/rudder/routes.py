"""HTTP routes of the RudderStack transformer protocol: processor, router, features."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..jsvalues import js_trim, text
from ..settings import Settings, get_settings
from . import pipeline
from .body import read_json
from .compacted import is_compacted
from .destination import Destination, TransformContext
from .errors import RequestError
from .jsonio import dumps

API_VERSION_HEADERS = {"apiVersion": "2"}
JSON_TYPE = "application/json; charset=utf-8"

router = APIRouter()


def get_http_client(request: Request) -> httpx.AsyncClient:
    return request.app.state.http


def get_destinations(request: Request) -> dict[str, Destination]:
    return request.app.state.destinations


SettingsDep = Annotated[Settings, Depends(get_settings)]
HttpDep = Annotated[httpx.AsyncClient, Depends(get_http_client)]
DestinationsDep = Annotated[dict[str, Destination], Depends(get_destinations)]


def find_destination(destinations: dict[str, Destination], name: Any) -> Destination:
    destination = destinations.get(js_trim(name).lower()) if isinstance(name, str) else None
    if destination is None:
        raise RequestError(f"Unknown destination: {text(name)}", 404)
    return destination


def transform_response(answer: Any) -> Response:
    return Response(dumps(answer), media_type=JSON_TYPE, headers=API_VERSION_HEADERS)


@router.post("/v0/destinations/{destination}")
@router.post("/v0/destinations/{destination}/", include_in_schema=False)
async def processor_transform(
    destination: str,
    request: Request,
    settings: SettingsDep,
    http: HttpDep,
    destinations: DestinationsDep,
) -> Response:
    """Processor transform: a JSON array of events in, one answer element per event out."""
    body = await read_json(request, settings.max_body_bytes)
    handler = find_destination(destinations, destination)
    ctx = TransformContext(http=http, settings=settings)
    answer = await pipeline.processor_transform(
        body, destination, handler, ctx, compacted=is_compacted(request.headers)
    )
    return transform_response(answer)


@router.post("/routerTransform")
@router.post("/routerTransform/", include_in_schema=False)
async def router_transform(
    request: Request,
    settings: SettingsDep,
    http: HttpDep,
    destinations: DestinationsDep,
) -> Response:
    """Router transform: `{"input": [...], "destType": "gainsight"}` in, `{"output": [...]}` out."""
    body = await read_json(request, settings.max_body_bytes)
    if not isinstance(body, dict):
        raise RequestError("request body must be an object with 'input' and 'destType'")
    if "destType" not in body:
        raise RequestError("destType is required")
    dest_type = body["destType"]
    handler = find_destination(destinations, dest_type)
    elements, errors = pipeline.router_input(body, is_compacted(request.headers))
    if not elements:
        return transform_response(pipeline.invalid_event_array(dest_type))
    secret = request.headers.get("oauth-secret")
    if secret:
        try:
            pipeline.apply_oauth_secret(elements, orjson.loads(secret))
        except orjson.JSONDecodeError:
            raise RequestError("oauth-secret header is not valid JSON") from None
    ctx = TransformContext(http=http, settings=settings)
    answer = await pipeline.router_transform(elements, errors, dest_type, handler, ctx)
    return transform_response(answer)


@router.get("/features")
@router.get("/features/", include_in_schema=False)
async def features(destinations: DestinationsDep) -> Response:
    """Capabilities rudder-server reads at start-up (CONTRACT §1.8, RUDDER_SERVER §6)."""
    document = {
        "routerTransform": {d.definition_name: True for d in destinations.values()},
        "regulations": [],
        "supportSourceTransformV1": True,
        "upgradedToSourceTransformV2": True,
        "supportDestTransformCompactedPayloadV1": True,
    }
    return Response(dumps(document), media_type=JSON_TYPE)
