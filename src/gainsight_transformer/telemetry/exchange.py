"""One HTTP exchange observed: request ID in and out, status, duration, one access-log line."""

from __future__ import annotations

import re
import time
from random import getrandbits

from starlette.responses import Response
from starlette.types import Message, Scope, Send

from . import metrics
from .logs import REQUEST_ID, access_log

REQUEST_ID_HEADER = b"x-request-id"
_PRINTABLE_ID = re.compile(rb"[\x20-\x7e]{1,200}")  # echoed in a header and a log line
EVENT_COUNT_KEY = "gainsight.events"
"""Scope key where the transform routes note how many events a request carried."""


def _usable_id(value: bytes) -> bool:
    return _PRINTABLE_ID.fullmatch(value) is not None


def incoming_request_id(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            return value if _usable_id(value) else None
    return None


COMPACTED_KEY = "gainsight.compacted"
"""Scope key set when a transform route read a compacted (`json+compactedv1`) body."""


def note_events(scope: Scope, count: int, compacted: bool = False) -> None:
    scope[EVENT_COUNT_KEY] = count
    if compacted:
        scope[COMPACTED_KEY] = True


def route_template(scope: Scope) -> str:
    """The matched route's template (bounded label values), or "unmatched"."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class Exchange:
    """X-Request-ID in and out, the status, and at `finish` the request metric and access line.

    Either wraps `send` (requests FastAPI serves) or `tag`s the response object the direct lane
    is about to send, which spares a wrapper coroutine per message on the hot path.
    """

    __slots__ = ("scope", "request_id", "status", "started", "forwarded", "_send")

    def __init__(self, scope: Scope, send: Send) -> None:
        self.scope = scope
        # Unique, not secret: the Mersenne Twister (reseeded in forked workers) costs no syscall.
        self.request_id = incoming_request_id(scope) or b"%032x" % getrandbits(128)
        REQUEST_ID.set(self.request_id)  # each request runs in its own task: no reset needed
        self.status = 500  # if nothing is sent, the server answers 500
        self.started = time.perf_counter()
        self.forwarded = False
        """Answered by the upstream transformer (rudder/upstream)."""
        self._send = send

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            headers = message.get("headers", ())
            # An upstream's own request ID is its answer's, passed on unchanged.
            if not (self.forwarded and any(name.lower() == REQUEST_ID_HEADER for name, _ in headers)):
                message["headers"] = [*headers, (REQUEST_ID_HEADER, self.request_id)]
        await self._send(message)

    def tag(self, response: Response) -> None:
        response.raw_headers.append((REQUEST_ID_HEADER, self.request_id))
        self.status = response.status_code

    def finish(self, route: str) -> None:
        seconds = time.perf_counter() - self.started
        scope = self.scope
        method = scope["method"]
        status = self.status
        metrics.HTTP_REQUESTS.observe((method, route, _STATUS_TEXT.get(status) or str(status)), seconds)
        if access_log.enabled():
            access_log.write(
                self.request_id,
                method,
                route,
                status,
                seconds,
                scope.get(EVENT_COUNT_KEY),
                self.forwarded,
                COMPACTED_KEY in scope,
            )


_STATUS_TEXT = {status: str(status) for status in (200, 400, 404, 413, 415, 500, 502, 503, 504)}
