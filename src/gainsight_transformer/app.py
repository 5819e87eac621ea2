"""The FastAPI application: routes, lifespan-owned HTTP client, request-level error answers."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .doc_pages import add_doc_pages
from .gainsight import GainsightDestination
from .openapi import routes as route_docs
from .rudder.destination import TransformContext
from .rudder.egress import EgressPolicy, guarded_transport
from .rudder.errors import RequestError
from .rudder.inflight import BytesInFlight
from .rudder.lane import TransformerApp, request_error_response, unexpected_error_response
from .rudder.routes import features_document
from .rudder.routes import router as rudder_router
from .rudder.upstream.features import UpstreamFeatures, kept_fresh
from .rudder.upstream.forward import Upstream
from .settings import Settings, get_settings
from .telemetry import metrics
from .telemetry.logs import access_log

log = logging.getLogger(__name__)
GC_THRESHOLDS = (50_000, 20, 100)

SERVICE_VERSION = __version__

# orjson caps nesting at 1024 levels; our own walks over such values must not hit Python's limit.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))


def build_http_client(settings: Settings, egress: EgressPolicy) -> httpx.AsyncClient:
    """The one pooled client for every outbound call, guarded against SSRF."""
    timeout = httpx.Timeout(
        connect=settings.gainsight_connect_timeout,
        read=settings.gainsight_read_timeout,
        write=settings.gainsight_read_timeout,
        pool=settings.gainsight_connect_timeout,
    )
    limits = httpx.Limits(
        max_connections=settings.gainsight_max_connections,
        max_keepalive_connections=settings.gainsight_max_connections,
    )
    # Redirects (up to 5, as the original) are followed by rudder/outbound.py, which holds every
    # hop to the egress rules; the hook re-checks every request all the same.
    return httpx.AsyncClient(
        transport=guarded_transport(egress, limits),
        timeout=timeout,
        follow_redirects=False,
        event_hooks={"request": [egress.check_request]},
    )


def tune_garbage_collector() -> None:
    """Requests allocate many short-lived containers (parsed events) and form no cycles worth
    chasing often: move start-up objects out of the collector's view and collect less eagerly."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def create_app(settings: Settings | None = None, shared_dir: Path | None = None) -> FastAPI:
    """The app; `shared_dir` is the directory a worker shares with the other workers of its
    service (workers.py), None for a service of one process."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: TransformerApp) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            client = await stack.enter_async_context(build_http_client(settings, app.state.egress))
            app.state.http = client
            app.state.transform_context = TransformContext(
                http=client, egress=app.state.egress, settings=settings
            )
            for each in app.state.destinations.values():
                await stack.enter_async_context(each.running())
            if app.upstream is not None:
                stack.push_async_callback(app.upstream.aclose)
                await stack.enter_async_context(kept_fresh(app.state.upstream_features))
            tune_garbage_collector()
            yield
        access_log.flush()

    app = TransformerApp(
        title="gainsight-transformer",
        version=SERVICE_VERSION,
        summary="Drop-in RudderStack transformer for the Gainsight CS destination.",
        lifespan=lifespan,
        docs_url=None,  # served by doc_pages, from files shipped with the package
        redoc_url=None,
    )
    add_doc_pages(app)
    destination = GainsightDestination(settings, shared_dir)
    app.state.destinations = {destination.name: destination}
    app.state.egress = EgressPolicy.from_setting(settings.gainsight_host_allowlist)
    app.include_router(rudder_router)
    app.bytes_in_flight = BytesInFlight(settings.max_bytes_in_flight)
    app.state.upstream_features = None
    if settings.upstream_transformer_url:
        upstream = Upstream(
            settings.upstream_transformer_url,
            timeout=settings.upstream_timeout_seconds,
            max_connections=settings.upstream_max_connections,
            max_body_bytes=settings.max_body_bytes,
        )
        app.forward_to(upstream, app.state.destinations)
        app.state.upstream_features = UpstreamFeatures(
            upstream,
            features_document(app.state.destinations),
            settings.upstream_features_refresh_seconds,
        )

    @app.get("/health", **route_docs.HEALTH_ROUTE)
    @app.head("/health", include_in_schema=False)
    async def health() -> dict[str, Any]:
        answer: dict[str, Any] = {
            "service": "UP",
            "version": settings.transformer_build_version or SERVICE_VERSION,
        }
        if settings.git_commit_sha:
            answer["gitCommitSha"] = settings.git_commit_sha
        for each in app.state.destinations.values():  # informative: /health stays 200 whatever they say
            answer.update(await each.health())
        upstream = app.upstream
        if upstream is not None:  # informative only: Gainsight is served whatever the upstream does
            answer["upstream"] = {"url": upstream.name, "reachable": upstream.reachable}
        return answer

    @app.get("/metrics", response_class=PlainTextResponse, **route_docs.METRICS_ROUTE)
    async def prometheus_metrics() -> Response:
        """Prometheus text exposition: HTTP requests, events, Gainsight calls, company cache, process."""
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)

    @app.exception_handler(RequestError)
    async def request_error(_: Request, exc: RequestError) -> Response:
        return request_error_response(exc)

    @app.exception_handler(Exception)
    async def unexpected_error(_: Request, exc: Exception) -> Response:
        return unexpected_error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> PlainTextResponse:
        # Unknown routes and wrong methods answer like the original: 404 "Not Found".
        if exc.status_code in (404, 405):
            return PlainTextResponse("Not Found", status_code=404)
        return PlainTextResponse(str(exc.detail), status_code=exc.status_code)

    return app
