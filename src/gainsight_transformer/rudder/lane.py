"""A direct lane for the two transform routes, which carry nearly all of rudder-server's traffic.

FastAPI's per-request machinery (route scan, dependency solving, exception middleware stack) costs
about as much as transforming a one-event batch. `TransformerApp` answers `POST` on the processor
and router routes by calling their endpoint functions itself, with the same arguments FastAPI's
dependencies would give and the same error answers as the app's exception handlers; every other
request, and these routes with a `root_path`, go through FastAPI as usual. The routes stay declared
on the FastAPI router, so OpenAPI and `/docs` describe them.

Being the outermost ASGI callable, it also wraps every HTTP request in a telemetry `Exchange`
(X-Request-ID, the request metric, the access-log line).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..telemetry.exchange import Exchange, route_template
from . import routes
from .errors import RequestError

log = logging.getLogger(__name__)

_PROCESSOR = re.compile(r"/v0/destinations/(?P<destination>[^/]+)/?")
_PROCESSOR_TEMPLATE = "/v0/destinations/{destination}"
_ROUTER = "/routerTransform"


def request_error_response(exc: RequestError) -> Response:
    return JSONResponse({"error": exc.message}, status_code=exc.status)


def unexpected_error_response(exc: Exception) -> Response:
    log.error("unexpected error while serving a request", exc_info=exc)
    return JSONResponse({"error": f"internal error ({type(exc).__name__})"}, status_code=500)


def _endpoint(path: str) -> tuple[Callable[..., Awaitable[Response]], dict[str, Any], str] | None:
    """(endpoint, path parameters, route template) of a path the lane serves."""
    if path == _ROUTER or path == _ROUTER + "/":
        return routes.router_transform, {}, _ROUTER
    match = _PROCESSOR.fullmatch(path)
    if match is not None:
        return routes.processor_transform, {"destination": match["destination"]}, _PROCESSOR_TEMPLATE
    return None


class TransformerApp(FastAPI):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)  # lifespan
            return
        exchange = Exchange(scope, send)
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
