"""uvicorn's httptools protocol with a deadline for reading each request, and a gentler shutdown.

uvicorn times out idle keep-alive connections but not a client that sends its request slowly:
500 such connections (slowloris) hold their file descriptors and tasks for good. Here every
request must arrive whole, head and body, within REQUEST_READ_TIMEOUT_SECONDS of its first
byte (or of the connection, for the first one); otherwise it gets 408 and the connection closes.

At shutdown (SIGTERM, or the old workers of a reload) uvicorn closes idle connections at once, so
a request a client is sending on one that moment, or on a connection just accepted, is lost. Here
an idle connection gets DRAIN_SECONDS more: a request arriving meanwhile is served with
`connection: close`, then the connection closes, and the client's next request goes to a worker
that is not stopping.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .settings import get_settings

_TIMEOUT_BODY = b'{"error":"the request was not received in time"}'
_TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(_TIMEOUT_BODY), _TIMEOUT_BODY)
)


log = logging.getLogger(__name__)

#: Seconds an idle connection stays open once its worker is stopping, for a request on its way.
DRAIN_SECONDS = 1.0


class ReadDeadlineProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_timeout = get_settings().request_read_timeout_seconds
        self._read_deadline: asyncio.TimerHandle | None = None
        self._draining = False
        self._idle_since = 0.0

    def shutdown(self) -> None:
        self._draining = True
        if self.cycle is None or self.cycle.response_complete:
            self.loop.call_later(DRAIN_SECONDS, self._close_if_idle)
        else:
            self.cycle.keep_alive = False

    def _close_if_idle(self) -> None:
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            self.transport.close()

    def on_headers_complete(self) -> None:
        limit = self.limit_concurrency
        bypass = False
        if limit is not None and not self._draining:
            excess = len(self.connections) - limit + 1
            # Idle connections must not lock requests out: the oldest make room, as many as it takes.
            if excess > 0 and self._close_idle(excess) >= excess and len(self.tasks) < limit:
                bypass = True  # the closed ones leave `connections` only on the next loop turn
            # /health answers while the process lives, whatever is in flight.
            bypass = bypass or self.url.split(b"?", 1)[0] == b"/health"
        if bypass:
            self.limit_concurrency = None
        try:
            super().on_headers_complete()
        finally:
            self.limit_concurrency = limit
        if self._draining and self.cycle is not None:
            self.cycle.keep_alive = False  # answered with `connection: close`, then closed

    def _idle(self) -> bool:
        return (self.cycle is None or self.cycle.response_complete) and not self.pipeline

    def _close_idle(self, count: int) -> int:
        """Close up to `count` idle connections of this worker, the longest idle first."""
        idle = [
            c for c in self.connections if c is not self and isinstance(c, ReadDeadlineProtocol) and c._idle()
        ]
        idle.sort(key=lambda c: c._idle_since)
        closed = 0
        for connection in idle[:count]:
            if not connection.transport.is_closing():
                connection.transport.close()
            closed += 1
        if closed:
            log.info("closed %d idle connection(s) to make room under LIMIT_CONCURRENCY", closed)
        return closed

    def _arm(self) -> None:
        self._disarm()
        self._read_deadline = self.loop.call_later(self._read_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _too_slow(self) -> None:
        self._read_deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_TIMEOUT_ANSWER)
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._idle_since = self.loop.time()
        self._arm()  # the first request's bytes must come in time too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._idle_since = self.loop.time()
        # Idle from here on: uvicorn's keep-alive timeout applies until the next request begins.
        if self.pipeline:
            return
        self._disarm()
