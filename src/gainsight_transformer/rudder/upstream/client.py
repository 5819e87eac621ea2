"""A lean HTTP/1.1 client for the upstream transformer: pooled keep-alive connections, requests
written as received, answers parsed by httptools (llhttp) and handed on chunk by chunk.

Forwarding is a byte relay to one operator-chosen host, so none of a general client's work
(URL and header models, cookies, redirects, decoding, proxies) is wanted; httpx spends about
1.5 ms of CPU per small forwarded request on it, this client about a tenth of that
(bench/README.md, "Forwarding").
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httptools

_READ_SIZE = 256 * 1024
IDLE_SECONDS = 4.0
"""A pooled connection idle longer is closed, not reused: Node's HTTP server (rudder-transformer)
closes idle keep-alive connections after 5 s, and a request sent as it does is lost."""


class UpstreamError(Exception):
    """No answer from the upstream: refused, reset, closed, or not an HTTP answer."""


class UpstreamTimeout(UpstreamError):
    """The upstream took longer than the timeout to connect or to send the next bytes."""


class UpstreamConnectTimeout(UpstreamTimeout):
    """No connection within the connect timeout: the upstream is not reachable."""


class _Unanswered(UpstreamError):
    """The connection ended before any byte of an answer (a pooled one may have gone stale)."""


class _Answer:
    """httptools callbacks: the head, then body chunks as they are parsed."""

    __slots__ = ("parser", "headers", "chunks", "head_done", "keep_alive", "complete")

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.head_done = False
        self.keep_alive = False
        self.complete = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.head_done = True
        # Asked here: once the message is complete, llhttp has reset and says False.
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class Connection:
    __slots__ = ("reader", "writer", "idle_since")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def usable(self, now: float) -> bool:
        return (
            now - self.idle_since < IDLE_SECONDS and not self.reader.at_eof() and not self.writer.is_closing()
        )

    def close(self) -> None:
        self.writer.close()


class Response:
    """An answer whose head has arrived; `body()` yields the rest and releases the connection."""

    def __init__(
        self,
        client: UpstreamClient,
        connection: Connection,
        parser: httptools.HttpResponseParser,
        answer: _Answer,
    ) -> None:
        self.status: int = parser.get_status_code()
        self.headers = answer.headers
        self._client = client
        self._connection: Connection | None = connection
        self._parser = parser
        self._answer = answer
        self._until_close = not any(
            name.lower() in (b"content-length", b"transfer-encoding") for name, _ in answer.headers
        ) and not (self.status < 200 or self.status in (204, 304))

    async def body(self) -> AsyncIterator[bytes]:
        answer, connection = self._answer, self._connection
        assert connection is not None, "the body is read once"
        try:
            while True:
                if answer.chunks:
                    chunks, answer.chunks = answer.chunks, []
                    for chunk in chunks:
                        yield chunk
                if answer.complete:
                    break
                data = await self._client.read(connection)
                if not data:
                    if self._until_close:
                        break
                    raise UpstreamError("the upstream closed the connection in the middle of its answer")
                self._client.feed(self._parser, data)
        except BaseException:
            self.close()
            raise
        self._connection = None
        self._client.release(connection, reuse=answer.complete and answer.keep_alive)

    def close(self) -> None:
        """Give up on the rest of the answer (the connection cannot be reused)."""
        if self._connection is not None:
            self._client.release(self._connection, reuse=False)
            self._connection = None


class UpstreamClient:
    def __init__(self, url: str, *, timeout: float, connect_timeout: float, max_connections: int) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.netloc = (parts.netloc.rpartition("@")[2]).encode("idna")
        self.ssl = ssl.create_default_context() if parts.scheme == "https" else None
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[Connection] = []

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()

    async def request(
        self,
        method: str,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes | AsyncIterator[bytes] | None,
        length: int | None = None,
    ) -> Response:
        """Send a request; return once the answer's head has arrived.

        `body` bytes are sent with their Content-Length, an iterator as it yields (with `length`
        as Content-Length, else chunked). A request whose body can be sent again is retried once
        on a new connection when a pooled one is closed or reset before any byte of an answer
        (the upstream dropped it while idle), as Go's and browsers' clients do."""
        try:
            async with asyncio.timeout(self.timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise UpstreamTimeout(f"every pooled connection stayed busy for {self.timeout:g} s") from None
        try:
            # A streamed body cannot be sent twice: it never risks a pooled connection.
            replayable = not isinstance(body, AsyncIterator)
            connection = self._pooled() if replayable else None
            head = self._head(method, target, headers, body, length)
            while True:
                fresh = connection is None
                if connection is None:
                    connection = await self._connect()
                try:
                    return await self._exchange(connection, method, head, body)
                except _Unanswered:
                    connection.close()
                    if fresh:
                        raise
                    connection = None  # a stale pooled connection: once more on a new one
                except BaseException:
                    connection.close()
                    raise
        except BaseException:
            self._slots.release()
            raise

    def release(self, connection: Connection, *, reuse: bool) -> None:
        """The answer is over: pool the connection (or close it) and free its slot."""
        if reuse:
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        else:
            connection.close()
        self._slots.release()

    def _pooled(self) -> Connection | None:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if connection.usable(now):
                return connection
            connection.close()
        return None

    async def _connect(self) -> Connection:
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(
                    self.host, self.port, ssl=self.ssl, limit=_READ_SIZE
                )
        except TimeoutError:
            raise UpstreamConnectTimeout(f"no connection within {self.connect_timeout:g} s") from None
        except (OSError, ssl.SSLError) as exc:
            raise UpstreamError(f"cannot connect: {exc.strerror or exc}") from None
        return Connection(reader, writer)

    def _head(
        self,
        method: str,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes | AsyncIterator[bytes] | None,
        length: int | None,
    ) -> bytes:
        lines = [b"%s %s HTTP/1.1\r\nhost: %s\r\n" % (method.encode(), target, self.netloc)]
        lines.extend(
            b"%s: %s\r\n" % (name, value) for name, value in headers if name.lower() != b"content-length"
        )
        if isinstance(body, bytes):
            lines.append(b"content-length: %d\r\n" % len(body))
        elif body is not None:
            lines.append(
                b"content-length: %d\r\n" % length
                if length is not None
                else b"transfer-encoding: chunked\r\n"
            )
        lines.append(b"\r\n")
        return b"".join(lines)

    async def _exchange(
        self, connection: Connection, method: str, head: bytes, body: bytes | AsyncIterator[bytes] | None
    ) -> Response:
        writer = connection.writer
        try:
            writer.write(head)
            if isinstance(body, bytes):
                writer.write(body)
            elif body is not None:
                await self._stream(writer, body, chunked=b"transfer-encoding: chunked" in head)
            async with asyncio.timeout(self.timeout):
                await writer.drain()
        except TimeoutError:
            raise UpstreamTimeout(f"the request was not taken within {self.timeout:g} s") from None
        except (ConnectionError, ssl.SSLError) as exc:
            raise _Unanswered(f"the connection broke while sending: {exc}") from None
        answer = _Answer()
        parser = answer.parser
        while not answer.head_done:
            try:
                data = await self.read(connection)
            except UpstreamTimeout:
                raise
            except UpstreamError as exc:  # reset: possibly a pooled connection the upstream dropped
                raise _Unanswered(str(exc)) from None
            if not data:
                raise _Unanswered("the upstream closed the connection without answering")
            self.feed(parser, data)
        response = Response(self, connection, parser, answer)
        if method == "HEAD":  # no body follows, whatever the head says
            answer.chunks.clear()
            answer.complete = True
        return response

    async def _stream(
        self, writer: asyncio.StreamWriter, body: AsyncIterator[bytes], *, chunked: bool
    ) -> None:
        async for chunk in body:
            if chunked:
                writer.writelines((b"%x\r\n" % len(chunk), chunk, b"\r\n"))
            else:
                writer.write(chunk)
            async with asyncio.timeout(self.timeout):
                await writer.drain()
        if chunked:
            writer.write(b"0\r\n\r\n")

    async def read(self, connection: Connection) -> bytes:
        try:
            async with asyncio.timeout(self.timeout):
                return await connection.reader.read(_READ_SIZE)
        except TimeoutError:
            raise UpstreamTimeout(f"no answer within {self.timeout:g} s") from None
        except (ConnectionError, ssl.SSLError) as exc:
            raise UpstreamError(f"the connection broke: {exc}") from None

    @staticmethod
    def feed(parser: httptools.HttpResponseParser, data: bytes) -> None:
        try:
            parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise UpstreamError(f"not an HTTP answer: {exc}") from None
