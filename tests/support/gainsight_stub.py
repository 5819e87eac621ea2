"""Real-socket stand-ins for Gainsight, shared by the network tests.

`GainsightStub` is an HTTPS server on 127.0.0.1 (certificate from a `trustme` CA that the
service is told to trust through SSL_CERT_FILE) whose answers a script decides; `RawServer`
accepts TCP connections and lets a test reset, close or ignore them. No HTTP mocking.
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import trustme


@dataclass
class Reply:
    status: int
    body: Any = None  # dict/list → JSON, str/bytes → as is, None → no body
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer (until the server stops)
    close: bool = False  # read the request, then close without answering


Script = Callable[[str, str, bytes], Reply]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON when the body is JSON, else the raw bytes; None when empty
    raw: bytes = b""  # the body bytes exactly as received
    header_items: list[tuple[str, str]] = field(default_factory=list)  # repeats kept


class GainsightStub:
    """HTTPS server on 127.0.0.1; `script(method, path, body)` decides each answer.

    `connections` counts accepted TCP connections (whether or not TLS or a request followed).
    """

    def __init__(self, context: ssl.SSLContext) -> None:
        self.script: Script = lambda method, path, body: Reply(500, {"unscripted": path})
        self.seen: list[Seen] = []
        self.connections = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    parsed = json.loads(raw) if raw else None
                except ValueError:
                    parsed = raw
                with stub._lock:
                    stub.seen.append(
                        Seen(
                            self.command,
                            self.path,
                            dict(self.headers),
                            parsed,
                            raw,
                            list(self.headers.items()),
                        )
                    )
                    stub.in_flight += 1
                    stub.max_in_flight = max(stub.max_in_flight, stub.in_flight)
                try:
                    reply = stub.script(self.command, self.path, raw)
                finally:
                    with stub._lock:
                        stub.in_flight -= 1
                if reply.hang:
                    stub._stop.wait(30)
                    self.close_connection = True
                    return
                if reply.close:
                    self.close_connection = True
                    return
                if reply.body is None:
                    payload = b""
                elif isinstance(reply.body, bytes):
                    payload = reply.body
                elif isinstance(reply.body, str):
                    payload = reply.body.encode()
                else:
                    payload = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if isinstance(reply.body, (dict, list)) and "Content-Type" not in reply.headers:
                    self.send_header("Content-Type", "application/json")
                if reply.status not in (204, 304):
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if reply.status not in (204, 304):
                    self.wfile.write(payload)

            do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = _serve

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def finish_request(self, request: Any, client_address: Any) -> None:
                with stub._lock:
                    stub.connections += 1
                try:
                    tls = context.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError):
                    return  # e.g. the client rejected our certificate
                super().finish_request(tls, client_address)

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.domain = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if urlsplit(s.path).path == path]

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RawServer:
    """Accepts TCP connections and treats each with `on_accept(conn)` in its own thread."""

    def __init__(self, on_accept: Callable[[socket.socket], None]) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.accepted = 0
        self._open: list[socket.socket] = []
        self._on_accept = on_accept
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._open.append(conn)
            threading.Thread(target=self._on_accept, args=(conn,), daemon=True).start()

    def close(self) -> None:
        self._sock.close()
        for conn in self._open:
            try:
                conn.close()
            except OSError:
                pass


def reset(conn: socket.socket) -> None:
    """Abort the connection with a TCP RST."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
