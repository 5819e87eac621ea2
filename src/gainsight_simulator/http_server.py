"""HTTP/1.1 server on asyncio + h11 that runs SimulatorApp outcomes: answer, delay, or reset (RST)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import struct
from email.utils import formatdate
from http import HTTPStatus

import h11

from gainsight_simulator.app import SimulatorApp
from gainsight_simulator.envelope import INTERNAL_ERROR, error
from gainsight_simulator.http_types import Outcome, Request, Response

log = logging.getLogger("gainsight_simulator.http")
_READ_SIZE = 65536
_MAX_BODY = 64 * 1024 * 1024
_CONTINUE = h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")


class _ClientGone(Exception):
    """The peer closed the connection or broke the protocol; stop serving it."""


class SimulatorHttpServer:
    """Serve ``app`` on host:port (port 0 = pick a free one), HTTPS when ``ssl_context`` is given."""

    def __init__(
        self,
        app: SimulatorApp,
        host: str = "127.0.0.1",
        port: int = 9443,
        ssl_context: ssl.SSLContext | None = None,
        idle_timeout: float = 120.0,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.idle_timeout = idle_timeout
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context else "http"

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def open_connections(self) -> int:
        """Client connections currently open (keep-alive connections included)."""
        return len(self._connections)

    async def start(self) -> None:
        if self.ssl_context is not None:
            self._server = await asyncio.start_server(
                self._serve_connection, self.host, self.port, ssl=self.ssl_context, ssl_handshake_timeout=10.0
            )
        else:
            self._server = await asyncio.start_server(self._serve_connection, self.host, self.port)
        if self.port == 0:
            self.port = self._server.sockets[0].getsockname()[1]

    async def serve_forever(self) -> None:
        assert self._server is not None, "start() first"
        await self._server.serve_forever()

    async def stop(self) -> None:
        self._stopping = True
        if self._server is not None:
            self._server.close()
        for writer in list(self._connections):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    # -- one connection ------------------------------------------------------------------------

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._connections.add(writer)
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                request = await self._read_request(conn, reader, writer)
                if request is None:
                    break
                outcome = self._outcome(request)
                if outcome.reset or outcome.response is None:
                    _reset(writer)
                    return
                if outcome.delay_s > 0:
                    await asyncio.sleep(outcome.delay_s)
                await self._send(conn, writer, outcome.response, head=request.method == "HEAD")
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    break
                conn.start_next_cycle()
        except (_ClientGone, ConnectionError, ssl.SSLError, TimeoutError, OSError):
            pass
        except asyncio.CancelledError:
            # Cancelled by stop(): end quietly. (asyncio's stream callback asks a finished
            # connection task for its exception, and logs a traceback for a cancelled one.)
            if not self._stopping:
                raise
        except h11.LocalProtocolError as exc:  # pragma: no cover - would be a simulator bug
            log.warning("protocol error while answering: %s", exc)
        finally:
            self._connections.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            if not writer.transport.is_closing():
                writer.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(writer.wait_closed(), 2.0)

    def _outcome(self, request: Request) -> Outcome:
        try:
            return self.app.handle(request)
        except Exception:  # a simulator bug: still answer, like Gainsight's generic 500
            log.exception("app failed for %s %s", request.method, request.path)
            return Outcome(error(500, *INTERNAL_ERROR))

    async def _read_request(
        self, conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Request | None:
        head: h11.Request | None = None
        body = bytearray()
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                await self._send_protocol_error(conn, writer, exc)
                raise _ClientGone from exc
            if event is h11.NEED_DATA:
                if conn.they_are_waiting_for_100_continue:
                    writer.write(conn.send(_CONTINUE))
                data = await asyncio.wait_for(reader.read(_READ_SIZE), self.idle_timeout)
                conn.receive_data(data)
            elif isinstance(event, h11.Request):
                head = event
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > _MAX_BODY:
                    await self._send(conn, writer, Response.text(413, "request body too large"))
                    raise _ClientGone
            elif isinstance(event, h11.EndOfMessage):
                assert head is not None
                return Request.from_http(head.method, head.target, head.headers, bytes(body))
            else:  # ConnectionClosed or PAUSED
                return None

    async def _send_protocol_error(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, exc: h11.RemoteProtocolError
    ) -> None:
        if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        with contextlib.suppress(Exception):
            response = Response.text(exc.error_status_hint, f"bad request: {exc}")
            response.headers.append(("Connection", "close"))
            await self._send(conn, writer, response)

    async def _send(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, response: Response, head: bool = False
    ) -> None:
        headers = [("Server", "gainsight-simulator"), ("Date", formatdate(usegmt=True))]
        bodyless = head or response.status in (204, 304)
        if response.status not in (204, 304):
            headers.append(("Content-Length", str(len(response.body))))
        if response.content_type and not bodyless:
            headers.append(("Content-Type", response.content_type))
        headers.extend(response.headers)
        writer.write(
            conn.send(
                h11.Response(status_code=response.status, headers=headers, reason=_reason(response.status))
            )
        )
        if response.body and not bodyless:
            writer.write(conn.send(h11.Data(data=response.body)))
        writer.write(conn.send(h11.EndOfMessage()))
        await writer.drain()


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with SO_LINGER 0 so the peer gets a TCP RST instead of an answer or a clean FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
