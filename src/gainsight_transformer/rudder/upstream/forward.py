"""The reverse proxy to the upstream transformer: same method, path, query, headers and body bytes
in; the upstream's status, headers and body bytes out, streamed both ways."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import orjson
from starlette.types import Message, Receive, Scope, Send

from ...telemetry import metrics
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
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


@dataclass(slots=True)
class Forwarded:
    """How one forwarded request went: the status our client saw and an outcome label."""

    status: int
    outcome: str  # answered, refused, timeout, too_large, client_gone, broken


class Upstream:
    """A stock rudder-transformer that answers every request this service does not serve.

    The address is the operator's, so it is not held to the Gainsight egress rules; it gets its
    own pooled client with its own limits, follows no redirects and adds no headers of its own.
    """

    def __init__(self, url: str, *, timeout: float, max_connections: int, max_body_bytes: int) -> None:
        self.url = httpx.URL(url)
        self.name = display_url(url)
        self.max_body_bytes = max_body_bytes
        self.reachable: bool | None = None
        """What the last exchange with the upstream showed (None before the first)."""
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, _CONNECT_TIMEOUT)),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=False,
        )
        # httpx would add Accept, Accept-Encoding, User-Agent... where the client sent none.
        for name in list(self.client.headers):
            del self.client.headers[name]
        self._base_path = self.url.raw_path.rstrip(b"/")

    async def aclose(self) -> None:
        await self.client.aclose()

    def target(self, scope: Scope) -> httpx.URL:
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string") or b""
        return self.url.copy_with(raw_path=self._base_path + raw_path + (b"?" + query if query else b""))

    async def get(self, path: str) -> httpx.Response:
        """A GET of our own (the features refresh), counted in `reachable`."""
        try:
            url = self.url.copy_with(raw_path=self._base_path + path.encode())
            response = await self.client.get(url, timeout=FEATURES_TIMEOUT)
        except httpx.TransportError:
            self.reachable = False
            raise
        self.reachable = True
        return response

    async def forward(
        self, scope: Scope, receive: Receive, send: Send, body: bytes | None = None
    ) -> Forwarded:
        """Pass the request on and stream the answer back. `body`: the request body when the caller
        has already read it (it then goes out as those bytes); otherwise it is streamed from `receive`."""
        started = time.perf_counter()
        headers = _passed_on(scope["headers"], b"host")
        declared = _content_length(headers)
        if declared is not None and declared > self.max_body_bytes:
            result = await _answer(send, 413, "request entity too large", "too_large")
        else:
            content = body if body is not None else self._request_body(scope, receive, headers)
            result = await self._exchange(scope, send, headers, content)
        route = forwarded_route(scope["path"])
        metrics.FORWARDED.inc((route, str(result.status), result.outcome))
        metrics.FORWARD_LATENCY.observe((route,), time.perf_counter() - started)
        return result

    def _request_body(
        self, scope: Scope, receive: Receive, headers: list[tuple[bytes, bytes]]
    ) -> AsyncIterator[bytes] | None:
        chunked = any(
            name.lower() == b"transfer-encoding" and b"chunked" in value.lower()
            for name, value in scope["headers"]
        )
        if _content_length(headers) is None and not chunked:
            return None
        return self._stream_body(receive)

    async def _stream_body(self, receive: Receive) -> AsyncIterator[bytes]:
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
                return

    async def _exchange(
        self,
        scope: Scope,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        content: bytes | AsyncIterator[bytes] | None,
    ) -> Forwarded:
        request = self.client.build_request(
            scope["method"], self.target(scope), headers=headers, content=content
        )
        try:
            response = await self.client.send(request, stream=True)
        except _BodyTooLarge:
            return await _answer(send, 413, "request entity too large", "too_large")
        except _ClientGone:
            return Forwarded(499, "client_gone")
        except httpx.TimeoutException as exc:
            self.reachable = not isinstance(exc, httpx.ConnectTimeout)
            return await _answer(send, 504, f"{self._failure(exc)} (no answer in time)", "timeout")
        except httpx.TransportError as exc:
            self.reachable = False
            return await _answer(send, 502, self._failure(exc), "refused")
        self.reachable = True
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    # uvicorn adds its own Date and Server: one of each is right.
                    "headers": _passed_on(response.headers.raw, b"date", b"server"),
                }
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except httpx.TransportError as exc:
            # Too late for an error answer: the status is out. Ending here without the final body
            # message makes the server close the connection, so the client sees a broken answer.
            log.warning("upstream transformer %s broke off its answer: %s", self.name, type(exc).__name__)
            return Forwarded(response.status_code, "broken")
        finally:
            await response.aclose()
        return Forwarded(response.status_code, "answered")

    def _failure(self, exc: httpx.TransportError) -> str:
        detail = str(exc) or type(exc).__name__
        return f"upstream transformer {self.name} failed: {type(exc).__name__}: {detail}"


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length" and value.strip().isdigit():
            return int(value)
    return None


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
