"""A direct lane for the two transform routes, which carry nearly all of rudder-server's traffic.

FastAPI's per-request machinery (route scan, dependency solving, exception middleware stack) costs
about as much as transforming a one-event batch. `TransformerApp` answers `POST` on the processor
and router routes by calling their endpoint functions itself, with the same arguments FastAPI's
dependencies would give and the same error answers as the app's exception handlers; every other
request, and these routes with a `root_path`, go through FastAPI as usual. The routes stay declared
on the FastAPI router, so OpenAPI and `/docs` describe them.

Being the outermost ASGI callable, it also wraps every HTTP request in a telemetry `Exchange`
(X-Request-ID, the request metric, the access-log line), and, with an upstream transformer
configured, passes every request that is not ours to it before FastAPI sees it (rudder/upstream).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Container
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from ..jsvalues import json_text
from ..telemetry.exchange import Exchange, route_template
from . import routes
from .body import content_length, decode_content, read_raw
from .errors import RequestError
from .inflight import BUSY, RETRY_AFTER, BytesInFlight
from .upstream.forward import Upstream
from .upstream.routing import Route, forwarded_route, local_name, peek_dest_type, route_of

log = logging.getLogger(__name__)

_PROCESSOR = re.compile(r"/v0/destinations/(?P<destination>[^/]+)/?")
_PROCESSOR_TEMPLATE = "/v0/destinations/{destination}"
_ROUTER = "/routerTransform"


def request_error_response(exc: RequestError) -> Response:
    # As JSON.stringify writes it: a message quoting the request (a lone surrogate in `destType`,
    # say) becomes escapes, never an encoding error and a 500.
    body = json_text({"error": exc.message}).encode("utf-8", "surrogatepass")
    return Response(body, status_code=exc.status, headers=exc.headers, media_type="application/json")


def unexpected_error_response(exc: Exception) -> Response:
    log.error("unexpected error while serving a request", exc_info=exc)
    # Starlette re-raises the error to the server after this answer and uvicorn then drops the
    # connection: saying so lets a keep-alive client open a new one instead of failing its next call.
    return JSONResponse(
        {"error": f"internal error ({type(exc).__name__})"}, status_code=500, headers={"Connection": "close"}
    )


def _endpoint(path: str) -> tuple[Callable[..., Awaitable[Response]], dict[str, Any], str] | None:
    """(endpoint, path parameters, route template) of a path the lane serves."""
    if path == _ROUTER or path == _ROUTER + "/":
        return routes.router_transform, {}, _ROUTER
    match = _PROCESSOR.fullmatch(path)
    if match is not None:
        return routes.processor_transform, {"destination": match["destination"]}, _PROCESSOR_TEMPLATE
    return None


class TransformerApp(FastAPI):
    bytes_in_flight: BytesInFlight
    """Set by create_app from MAX_BYTES_IN_FLIGHT."""
    upstream: Upstream | None = None
    """The upstream transformer that answers what is not ours (None: unknown routes are 404)."""

    def forward_to(self, upstream: Upstream, local: Container[str]) -> None:
        self.upstream = upstream
        # Which requests are ours depends on the method and path only: decided once per pair.
        self._route_of = functools.lru_cache(maxsize=4096)(lambda method, path: route_of(method, path, local))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)  # lifespan
            return
        size = content_length(scope["headers"]) or 0
        if not self.bytes_in_flight.take(scope, size):
            await _busy(scope, receive, send)
            return
        try:
            await self._serve(scope, receive, send)
        finally:
            self.bytes_in_flight.give_back(scope)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = Exchange(scope, send)
        upstream = self.upstream
        if upstream is not None and not scope.get("root_path"):
            route = self._route_of(scope["method"], scope["path"])
            if route is Route.FORWARD:
                await self._forward(upstream, exchange, scope, receive)
                return
            if route is Route.BY_DEST_TYPE:
                replay = await self._forward_unless_ours(upstream, exchange, scope, receive, send)
                if replay is None:
                    return
                receive = replay
        found = None
        if scope["method"] == "POST" and not scope.get("root_path"):
            found = _endpoint(scope["path"])
        if found is None:
            try:
                await super().__call__(scope, receive, exchange.send)
            finally:
                exchange.finish(route_template(scope))
            return
        endpoint, params, template = found
        scope["app"] = self
        try:
            try:
                response = await endpoint(
                    request=Request(scope, receive),
                    ctx=self.state.transform_context,
                    destinations=self.state.destinations,
                    **params,
                )
            except RequestError as exc:
                response = request_error_response(exc)
            except Exception as exc:  # the app's last-resort handler answers the same
                response = unexpected_error_response(exc)
            exchange.tag(response)
            await response(scope, receive, send)
        finally:
            exchange.finish(template)

    async def _forward(
        self,
        upstream: Upstream,
        exchange: Exchange,
        scope: Scope,
        receive: Receive,
        body: bytes | None = None,
    ) -> None:
        exchange.forwarded = True
        try:
            await upstream.forward(scope, receive, exchange.send, body)
        finally:
            exchange.finish(forwarded_route(scope["path"]))

    async def _forward_unless_ours(
        self, upstream: Upstream, exchange: Exchange, scope: Scope, receive: Receive, send: Send
    ) -> Receive | None:
        """Read a router body and forward it unless its `destType` is ours. For ours: a `receive`
        that gives the body again; None when the request has been answered."""
        request = Request(scope, receive)
        max_bytes = self.state.transform_context.settings.max_body_bytes
        try:
            raw = await read_raw(request, max_bytes)
        except RequestError as exc:  # too large: answered before anything is forwarded
            await _answer(exchange, request_error_response(exc), scope, receive, send, _ROUTER)
            return None
        try:
            dest_type = peek_dest_type(decode_content(raw, request.headers, max_bytes))
        except RequestError:  # an encoding we cannot read: not ours to judge
            dest_type = None
        if not local_name(dest_type, self.state.destinations):
            await self._forward(upstream, exchange, scope, receive, raw)
            return None
        return _replay(raw, receive)


async def _answer(
    exchange: Exchange, response: Response, scope: Scope, receive: Receive, send: Send, route: str
) -> None:
    """Send an answer made here, before any route ran."""
    exchange.tag(response)
    try:
        await response(scope, receive, send)
    finally:
        exchange.finish(route)


async def _busy(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse({"error": BUSY}, status_code=503, headers=RETRY_AFTER)
    await _answer(Exchange(scope, send), response, scope, receive, send, "busy")


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` whose first message is the whole body already read; then the client's own."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
