"""Which requests this service answers itself when an upstream transformer serves the rest."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Container
from typing import Any

import msgspec

from ...jsvalues import js_trim
from ..jsonio import strip_bom

OWN_PATHS = frozenset(
    {"/health", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/features"}
)
OWN_PREFIXES = ("/docs-assets/",)  # the doc pages' scripts and styles (doc_pages.py)
ROUTER_PATHS = frozenset({"/routerTransform", "/routerTransform/"})
# Every route under a destination of ours (processor, proxies, and the 404s around them) stays here.
_DESTINATION_PATH = re.compile(r"/v\d+/destinations/(?P<name>[^/]+)(?:/.*)?", re.DOTALL)


class Route(enum.Enum):
    LOCAL = "local"
    FORWARD = "forward"
    BY_DEST_TYPE = "by destType"
    """A router transform: whose it is depends on the body's `destType`."""


def local_name(name: Any, local: Container[str]) -> bool:
    """Whether a path segment or `destType` names one of our destinations (any case, trimmed)."""
    return isinstance(name, str) and js_trim(name).lower() in local


def route_of(method: str, path: str, local: Container[str]) -> Route:
    if path in OWN_PATHS or (path.endswith("/") and path[:-1] in OWN_PATHS) or path.startswith(OWN_PREFIXES):
        return Route.LOCAL
    if path in ROUTER_PATHS:
        return Route.BY_DEST_TYPE if method == "POST" else Route.FORWARD
    match = _DESTINATION_PATH.fullmatch(path)
    if match is not None and local_name(match["name"], local):
        return Route.LOCAL
    return Route.FORWARD


_KEY = b'"destType"'
_STRING_VALUE = re.compile(rb'[ \t\r\n]*:[ \t\r\n]*"([^"\\]*)"')


class _DestTypeOnly(msgspec.Struct):
    destType: Any = None  # noqa: N815 - the wire name


_DEST_TYPE_ONLY = msgspec.json.Decoder(_DestTypeOnly)


def _escaped(raw: bytes, quote: int) -> bool:
    """Whether the quote at `quote` is escaped (inside a string): an odd run of backslashes before it."""
    start = quote
    while start > 0 and raw[start - 1] == 0x5C:
        start -= 1
    return (quote - start) % 2 == 1


def peek_dest_type(raw: bytes) -> Any:
    """The top-level `destType` of a router body, without decoding its `input`.

    A router body names `destType` once, so when the key occurs exactly once and holds a plain
    string, that is it: one scan of the bytes (from the end, where rudder-server writes it, then
    the rest for a second occurrence). Otherwise (the key also inside events, escapes) msgspec
    decodes the body into a struct with that field only: every event is scanned but none is
    built. None when the body has no readable `destType`.
    """
    at = raw.rfind(_KEY)
    if at >= 0 and raw.find(_KEY, 0, at) < 0:
        if not _escaped(raw, at):
            match = _STRING_VALUE.match(raw, at + len(_KEY))
            if match is not None:
                try:
                    return match[1].decode()
                except UnicodeDecodeError:
                    pass
    try:
        return _DEST_TYPE_ONLY.decode(strip_bom(raw)).destType
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None


_FORWARDED_TEMPLATES = (
    (re.compile(r"/v(\d)/destinations/[^/]+/?"), r"/v\1/destinations/{destination}"),
    (re.compile(r"/v(\d)/destinations/[^/]+/(proxy|proxyTest)/?"), r"/v\1/destinations/{destination}/\2"),
    (re.compile(r"/v(\d)/sources/[^/]+/?"), r"/v\1/sources/{source}"),
)
_FORWARDED_PATHS = frozenset(
    {
        "/routerTransform",
        "/batch",
        "/customTransform",
        "/v0/validate",
        "/transformerBuildVersion",
        "/buildVersion",
        "/deleteUsers",
    }
)


@functools.lru_cache(maxsize=1024)
def forwarded_route(path: str) -> str:
    """A bounded label for a forwarded path: the upstream's route template, or "other"."""
    plain = path[:-1] if len(path) > 1 and path.endswith("/") else path
    if plain in _FORWARDED_PATHS:
        return plain
    for pattern, template in _FORWARDED_TEMPLATES:
        match = pattern.fullmatch(path)
        if match is not None:
            return match.expand(template)
    return "other"
