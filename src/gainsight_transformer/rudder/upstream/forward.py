"""The reverse proxy to the upstream transformer: same method, path, query, headers and body bytes
in; the upstream's status, headers and body bytes out, streamed both ways."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.types import Message, Receive, Scope, Send

from ...settings import without_credentials
from ...telemetry import metrics
from ..body import content_length
from .client import UpstreamClient, UpstreamConnectTimeout, UpstreamError, UpstreamTimeout
from .routing import forwarded_route

log = logging.getLogger(__name__)

# RFC 9110 §7.6.1: meaningful for one connection only, never passed on; plus Host, which names us.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
_CONNECT_TIMEOUT = 10.0
FEATURES_TIMEOUT = 10.0
_READ_FIRST = 1024 * 1024


class _BodyTooLarge(Exception):
    pass


class _ClientGone(Exception):
    pass


def _passed_on(headers: list[tuple[bytes, bytes]], *drop: bytes) -> list[tuple[bytes, bytes]]:
    """Headers without hop-by-hop ones (including those the Connection header names) and `drop`."""
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.split(b",")
    }
    return [
        (name, value)
        for name, value in headers
        if (lower := name.lower()) not in HOP_BY_HOP and lower not in named and lower not in drop
    ]


def display_url(url: str) -> str:
    """The upstream's address for logs, errors and /health: never its user info."""
    return without_credentials(url)


@dataclass(slots=True)
class Forwarded:
    """How one forwarded request went: the status our client saw and an outcome label."""

    status: int
    outcome: str  # answered, refused, timeout, too_large, client_gone, broken


class Upstream:
    """A stock rudder-transformer that answers every request this service does not serve.

    The address is the operator's, so it is not held to the Gainsight egress rules; it gets its
    own pool of connections (client.py), follows no redirects and adds no headers of its own.
    """

    def __init__(self, url: str, *, timeout: float, max_connections: int, max_body_bytes: int) -> None:
        self.name = display_url(url)
        self.max_body_bytes = max_body_bytes
        self.reachable: bool | None = None
        """What the last exchange with the upstream showed (None before the first)."""
        self.client = UpstreamClient(
            url,
            timeout=timeout,
            connect_timeout=min(timeout, _CONNECT_TIMEOUT),
            max_connections=max_connections,
        )
        self._base_path = urlsplit(url).path.rstrip("/").encode()

    async def aclose(self) -> None:
        await self.client.aclose()

    def target(self, scope: Scope) -> bytes:
        """The request target at the upstream: its base path, then ours and the query, as received."""
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        query: bytes = scope.get("query_string") or b""
        return self._base_path + raw_path + (b"?" + query if query else b"")

    async def get(self, path: str) -> tuple[int, bytes]:
        """A GET of our own (the features refresh): status and body."""
        try:
            async with asyncio.timeout(FEATURES_TIMEOUT):
                response = await self.client.request("GET", self._base_path + path.encode(), [], None)
                try:
                    body = b"".join([chunk async for chunk in response.body()])
                finally:
                    response.close()
        except (UpstreamError, TimeoutError):
            self.reachable = False
            raise
        self.reachable = True
        return response.status, body

    async def forward(
        self, scope: Scope, receive: Receive, send: Send, body: bytes | None = None
    ) -> Forwarded:
        """Pass the request on and stream the answer back. `body`: the request body when the caller
        has already read it (it then goes out as those bytes); otherwise it comes from `receive`."""
        started = time.perf_counter()
        headers = _passed_on(scope["headers"], b"host", b"expect")
        declared = content_length(headers)
        body_read = asyncio.Event()
        try:
            if declared is not None and declared > self.max_body_bytes:
                raise _BodyTooLarge
            content: bytes | AsyncIterator[bytes] | None = b"" if body is None and declared == 0 else body
            if content is None and _has_body(declared, scope["headers"]):
                # Up to 1 MiB a body is read first, so that it can be sent again on a new connection
                # if a pooled one fails; larger or chunked ones are streamed as they arrive.
                content = self._stream_body(receive, body_read)
                if declared is not None and declared <= _READ_FIRST:
                    content = b"".join([chunk async for chunk in content])
            else:
                body_read.set()
            result = await _unless_client_leaves(
                self._exchange(scope, send, headers, content, declared), receive, body_read
            )
        except _BodyTooLarge:
            result = await _answer(send, 413, "request entity too large", "too_large")
        except _ClientGone:
            result = Forwarded(499, "client_gone")
        route = forwarded_route(scope["path"])
        metrics.FORWARDED.inc((route, str(result.status), result.outcome))
        metrics.FORWARD_LATENCY.observe((route,), time.perf_counter() - started)
        return result

    async def _stream_body(self, receive: Receive, body_read: asyncio.Event) -> AsyncIterator[bytes]:
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _BodyTooLarge
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                body_read.set()
                return

    async def _exchange(
        self,
        scope: Scope,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        content: bytes | AsyncIterator[bytes] | None,
        declared: int | None,
    ) -> Forwarded:
        try:
            response = await self.client.request(
                scope["method"], self.target(scope), headers, content, declared
            )
        except UpstreamTimeout as exc:
            self.reachable = not isinstance(exc, UpstreamConnectTimeout)
            return await _answer(send, 504, f"upstream transformer {self.name} failed: {exc}", "timeout")
        except UpstreamError as exc:
            self.reachable = False
            return await _answer(send, 502, f"upstream transformer {self.name} failed: {exc}", "refused")
        self.reachable = True
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status,
                    # uvicorn adds its own Date and Server: one of each is right.
                    "headers": _passed_on(response.headers, b"date", b"server"),
                }
            )
            async for chunk in response.body():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except UpstreamError as exc:
            # Too late for an error answer: the status is out. Ending here without the final body
            # message makes the server close the connection, so the client sees a broken answer.
            log.warning("upstream transformer %s broke off its answer: %s", self.name, exc)
            return Forwarded(response.status, "broken")
        finally:
            response.close()
        return Forwarded(response.status, "answered")


async def _unless_client_leaves(
    exchange: Coroutine[Any, Any, Forwarded], receive: Receive, body_read: asyncio.Event
) -> Forwarded:
    """The exchange's outcome, or `_ClientGone` as soon as the client disconnects once its body is
    read: the upstream connection is then closed and its slot freed at once, not when the upstream
    answers (rudder-server gives up on a transform after 600 s; a stuck upstream must not keep the
    slots of every client that gave up meanwhile)."""
    exchanging = asyncio.ensure_future(exchange)
    watching = asyncio.ensure_future(_disconnected(receive, body_read))
    try:
        done, _ = await asyncio.wait({exchanging, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watching.cancel()
    if exchanging in done:
        return exchanging.result()
    exchanging.cancel()
    await asyncio.gather(exchanging, return_exceptions=True)
    raise _ClientGone


async def _disconnected(receive: Receive, body_read: asyncio.Event) -> None:
    await body_read.wait()
    while (await receive())["type"] != "http.disconnect":
        pass


def _has_body(declared: int | None, headers: list[tuple[bytes, bytes]]) -> bool:
    if declared is not None:
        return declared > 0
    return any(
        name.lower() == b"transfer-encoding" and b"chunked" in value.lower() for name, value in headers
    )


async def _answer(send: Send, status: int, error: str, outcome: str) -> Forwarded:
    body = orjson.dumps({"error": error})
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})
    return Forwarded(status, outcome)
