"""The app's documented routes, and which of them a concrete example request hits."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import routing

from gainsight_transformer.app import create_app


@cache
def schema_routes() -> tuple[Any, ...]:
    """Routes in the OpenAPI document (each with `path`, `methods`, `path_regex`)."""
    routes = create_app().routes
    # FastAPI ≥ 0.16x keeps included routers whole and resolves their routes through contexts.
    contexts = getattr(routing, "iter_route_contexts", None)
    candidates = list(contexts(routes)) if contexts else routes
    return tuple(
        route
        for route in candidates
        if isinstance(getattr(route, "original_route", route), routing.APIRoute) and route.include_in_schema
    )


def documented_routes() -> set[tuple[str, str]]:
    """(method, path template) of every documented route, HEAD left out."""
    return {(m, r.path) for r in schema_routes() for m in r.methods if m != "HEAD"}


def route_of(method: str, path: str) -> tuple[str, str] | None:
    """The documented route serving `method` on the concrete `path`, if any."""
    for route in schema_routes():
        if method in route.methods and route.path_regex.fullmatch(path):
            return method, route.path
    return None
