"""HTTP routes of the RudderStack transformer protocol: processor, router, features."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..jsvalues import js_trim, text
from ..openapi import routes as route_docs
from ..settings import Settings
from ..telemetry.exchange import note_events
from . import fastread, large_body, pipeline, proxy
from .body import read_body, read_json
from .compacted import is_compacted
from .destination import Destination, TransformContext
from .errors import RequestError
from .jsonio import check_top_level, dumps, parse_json_body, strip_bom
from .large_body import LARGE_BYTES
from .upstream.features import UpstreamFeatures

API_VERSION_HEADERS = {"apiVersion": "2"}
JSON_TYPE = "application/json; charset=utf-8"

router = APIRouter()


# Dependencies are `async def`: FastAPI would run plain functions in a thread pool per request.
async def get_destinations(request: Request) -> dict[str, Destination]:
    destinations: dict[str, Destination] = request.app.state.destinations
    return destinations


async def get_transform_context(request: Request) -> TransformContext:
    context: TransformContext = request.app.state.transform_context
    return context


ContextDep = Annotated[TransformContext, Depends(get_transform_context)]
DestinationsDep = Annotated[dict[str, Destination], Depends(get_destinations)]


def find_destination(destinations: dict[str, Destination], name: Any) -> Destination:
    destination = destinations.get(js_trim(name).lower()) if isinstance(name, str) else None
    if destination is None:
        raise RequestError(f"Unknown destination: {text(name)}", 404)
    return destination


async def body_value(request: Request, raw: bytes, limit: int) -> Any:
    """The body's JSON value as `parse_json_body` gives it. A body over LARGE_BYTES is counted,
    weighed against MAX_BYTES_IN_FLIGHT and decoded in slices (rudder/large_body.py)."""
    if len(raw) <= LARGE_BYTES:
        return parse_json_body(raw)
    raw = strip_bom(raw)
    check_top_level(raw)
    budget = request.app.bytes_in_flight
    return await large_body.read(raw, limit, lambda cost: budget.take_decoded(request.scope, cost))


def transform_response(answer: Any) -> Response:
    return transform_response_bytes(dumps(answer))


def pieces_response(pieces: list[bytes]) -> Response:
    """The answer whose JSON text is these pieces, joined."""
    return transform_response_bytes(b"".join(pieces))


def transform_response_bytes(content: bytes) -> Response:
    return Response(content, media_type=JSON_TYPE, headers=API_VERSION_HEADERS)


@router.post("/v0/destinations/{destination}", **route_docs.PROCESSOR_ROUTE)
@router.post("/v0/destinations/{destination}/", include_in_schema=False)
async def processor_transform(
    destination: str,
    request: Request,
    ctx: ContextDep,
    destinations: DestinationsDep,
) -> Response:
    """Processor transform: a JSON array of events in, one answer element per event out."""
    raw = await read_body(request, ctx.settings.max_body_bytes)
    compacted = is_compacted(request.headers)
    limit = ctx.settings.max_events_per_request
    large = len(raw) > LARGE_BYTES
    events = None if compacted or large else fastread.processor_events(raw, limit)
    body = None if events is not None else await body_value(request, raw, limit)
    handler = find_destination(destinations, destination)
    if events is None:
        events = await pipeline.processor_events(body, compacted=compacted, limit=limit)
    note_events(request.scope, len(events), compacted)
    answer = await pipeline.processor_transform(events, destination, handler, ctx)
    return pieces_response(answer)


@router.post("/routerTransform", **route_docs.ROUTER_ROUTE)
@router.post("/routerTransform/", include_in_schema=False)
async def router_transform(
    request: Request,
    ctx: ContextDep,
    destinations: DestinationsDep,
) -> Response:
    """Router transform: `{"input": [...], "destType": "gainsight"}` in, `{"output": [...]}` out."""
    raw = await read_body(request, ctx.settings.max_body_bytes)
    secret = request.headers.get("oauth-secret")
    compacted = is_compacted(request.headers)
    limit = ctx.settings.max_events_per_request
    large = len(raw) > LARGE_BYTES
    fast = None if compacted or secret or large else fastread.router_events(raw, limit)
    if fast is not None:
        dest_type, events = fast
        handler = find_destination(destinations, dest_type)
        note_events(request.scope, len(events))
        return pieces_response(await pipeline.router_transform(events, dest_type, handler, ctx))
    body = await body_value(request, raw, limit)
    if not isinstance(body, dict):
        raise RequestError("request body must be an object with 'input' and 'destType'")
    if "destType" not in body:
        raise RequestError("destType is required")
    dest_type = body["destType"]
    handler = find_destination(destinations, dest_type)
    elements, errors = pipeline.router_input(body, compacted, limit)
    if not elements:
        return transform_response(pipeline.invalid_event_array(dest_type))
    if secret:
        try:
            pipeline.apply_oauth_secret(elements, orjson.loads(secret))
        except orjson.JSONDecodeError:
            raise RequestError("oauth-secret header is not valid JSON") from None
    events = await pipeline.read_events_in_slices(elements, errors)
    note_events(request.scope, len(events), compacted)
    return pieces_response(await pipeline.router_transform(events, dest_type, handler, ctx))


async def _proxy_body(request: Request, settings: Settings) -> dict[str, Any]:
    body = await read_json(request, settings.max_proxy_body_bytes)
    if not isinstance(body, dict):
        raise RequestError("proxy request body must be an object describing the request")
    return body


@router.post("/v0/destinations/{destination}/proxy", **route_docs.PROXY_V0_ROUTE)
@router.post("/v0/destinations/{destination}/proxy/", include_in_schema=False)
async def proxy_v0(
    destination: str, request: Request, ctx: ContextDep, destinations: DestinationsDep
) -> Response:
    """Deliver one request; the HTTP status is the destination's (2xx → 200, 404 → 400)."""
    body = await _proxy_body(request, ctx.settings)
    handler = find_destination(destinations, destination)
    result = await proxy.deliver(body, handler, ctx.http, ctx.egress)
    status, answer = proxy.v0_answer(result, destination, body.get("metadata"))
    return Response(dumps(answer), status_code=status, media_type=JSON_TYPE, headers=API_VERSION_HEADERS)


@router.post("/v1/destinations/{destination}/proxy", **route_docs.PROXY_V1_ROUTE)
@router.post("/v1/destinations/{destination}/proxy/", include_in_schema=False)
async def proxy_v1(
    destination: str, request: Request, ctx: ContextDep, destinations: DestinationsDep
) -> Response:
    """Deliver one request for several jobs; always 200 with one response entry per job."""
    body = await _proxy_body(request, ctx.settings)
    handler = find_destination(destinations, destination)
    metadata = body.get("metadata")
    if not isinstance(metadata, list):
        raise RequestError("metadata must be an array of job metadata on the v1 proxy route")
    result = await proxy.deliver(body, handler, ctx.http, ctx.egress)
    return transform_response(proxy.v1_answer(result, destination, metadata))


def features_document(destinations: dict[str, Destination]) -> dict[str, Any]:
    """What this service alone supports (docs/wire-protocol.md#service-routes)."""
    return {
        "routerTransform": {d.definition_name: True for d in destinations.values()},
        "regulations": [],
        "supportSourceTransformV1": True,
        "upgradedToSourceTransformV2": True,
        "supportTransformerProxyV1": True,
        "supportDestTransformCompactedPayloadV1": True,
    }


@router.get("/features", **route_docs.FEATURES_ROUTE)
@router.get("/features/", include_in_schema=False)
async def features(request: Request, destinations: DestinationsDep) -> Response:
    """Capabilities rudder-server reads at start-up and then every 10 s; merged with the upstream
    transformer's when there is one (rudder/upstream/features.py)."""
    upstream: UpstreamFeatures | None = request.app.state.upstream_features
    if upstream is None:
        return Response(dumps(features_document(destinations)), media_type=JSON_TYPE)
    document = await upstream.current()
    if document is None:
        return Response(dumps({"error": upstream.unavailable()}), status_code=503, media_type=JSON_TYPE)
    return Response(document, media_type=JSON_TYPE)
