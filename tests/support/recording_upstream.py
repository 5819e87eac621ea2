"""A stand-in for a stock rudder-transformer, run as its own process by the tests.

    python tests/support/recording_upstream.py [--port 0]

prints `READY <port>` once it listens on 127.0.0.1. It records every request (method, target,
headers, body digest) and answers as rudder-transformer would: `GET /features` with a features
document, anything else 200 with header `apiVersion: 2` and a JSON echo of what it received.
Control routes (never recorded):

    GET  /__recorded     the requests seen so far (`body` base64, up to 1 MiB; `sha256`, `length`)
    POST /__reset        forget them and go back to normal answers
    POST /__control      {"mode": "normal" | "slow" | "reset" | "broken", "delay": seconds,
                          "features": {...}, "featuresStatus": 200, "transform": false}

With `"transform": true`, `POST /v0/destinations/<name>` answers as a destination transform: one
200 element per event (plain or compacted body) whose `output` POSTs the message to the
destination's `Config.webhookUrl`, metadata echoed. `POST /data-plane/...` (rudder-server's control
plane calls, CONFIG_BACKEND_URL) answers 204. `slow` waits `delay` seconds before answering, `reset` drops the connection (TCP RST) instead of
answering, `broken` sends a status line and half of a body, then closes. A request header
`X-Answer-Gzip: 1` gets a gzip-encoded answer (`Content-Encoding: gzip`), and `X-Answer-Status: N`
an answer with status N.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FEATURES = {
    "routerTransform": {"MARKETO": True, "HS": True, "WEBHOOK": True},
    "regulations": ["AM", "BRAZE"],
    "supportSourceTransformV1": True,
    "supportTransformerProxyV1": True,
    "upgradedToSourceTransformV2": True,
    "supportDestTransformCompactedPayloadV1": True,
}
_KEPT_BODY = 1024 * 1024


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.recorded: list[dict[str, Any]] = []
        self.mode = "normal"
        self.delay = 0.0
        self.features: Any = FEATURES
        self.features_status = 200
        self.transform = False


def _read_chunked(rfile: Any) -> bytes:
    parts = []
    while True:
        size = int(rfile.readline().split(b";")[0].strip(), 16)
        if size == 0:
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        parts.append(rfile.read(size))
        rfile.readline()


def _transformed(body: Any, compacted: bool) -> list[dict[str, Any]]:
    """A destination transform's answer: each message POSTed as JSON to `Config.webhookUrl`."""
    events = body["input"] if compacted else body
    answers = []
    for event in events:
        metadata = event.get("metadata") or {}
        destination = body["destinations"][metadata["destinationId"]] if compacted else event["destination"]
        output = {
            "version": "1",
            "type": "REST",
            "method": "POST",
            "endpoint": (destination.get("Config") or {}).get("webhookUrl", ""),
            "userId": "",
            "headers": {"Content-Type": "application/json"},
            "params": {},
            "body": {"JSON": event.get("message") or {}, "JSON_ARRAY": {}, "XML": {}, "FORM": {}},
            "files": {},
        }
        answers.append({"output": output, "metadata": metadata, "statusCode": 200})
    return answers


def make_handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return _read_chunked(self.rfile)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _control(self, body: bytes) -> None:
            with state.lock:
                if self.path == "/__recorded":
                    self._send(200, json.dumps(state.recorded).encode(), {"Content-Type": "application/json"})
                    return
                if self.path == "/__reset":
                    state.reset()
                elif self.path == "/__control":
                    control = json.loads(body)
                    state.mode = control.get("mode", state.mode)
                    state.delay = float(control.get("delay", state.delay))
                    state.features = control.get("features", state.features)
                    state.features_status = int(control.get("featuresStatus", state.features_status))
                    state.transform = bool(control.get("transform", state.transform))
            self._send(200, b"{}", {"Content-Type": "application/json"})

        def _serve(self) -> None:
            body = self._body()
            if self.path.startswith("/__"):
                self._control(body)
                return
            with state.lock:
                state.recorded.append(
                    {
                        "method": self.command,
                        "target": self.path,
                        "headers": [[name.lower(), value] for name, value in self.headers.items()],
                        "length": len(body),
                        "sha256": hashlib.sha256(body).hexdigest(),
                        "body": base64.b64encode(body[:_KEPT_BODY]).decode(),
                    }
                )
                mode, delay = state.mode, state.delay
                features, features_status = state.features, state.features_status
                transform = state.transform
            if mode == "slow":
                time.sleep(delay)
            if mode == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
            if mode == "broken":
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b"x" * 10)
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if self.path.startswith("/data-plane/") and self.command == "POST":
                self._send(204, b"", {})
                return
            if transform and self.command == "POST" and self.path.startswith("/v0/destinations/"):
                compacted = self.headers.get("X-Content-Format") == "json+compactedv1"
                answer = json.dumps(_transformed(json.loads(body), compacted)).encode()
                self._send(200, answer, {"Content-Type": "application/json", "apiVersion": "2"})
                return
            if self.path == "/features" and self.command == "GET":
                # rudder-transformer serves the document as text
                self._send(features_status, json.dumps(features).encode(), {"Content-Type": "text/plain"})
                return
            echo = {
                "method": self.command,
                "target": self.path,
                "length": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
            }
            answer = json.dumps({"echo": echo}).encode()
            headers = {"Content-Type": "application/json", "apiVersion": "2", "X-Upstream": "recording"}
            if self.headers.get("X-Answer-Gzip"):
                answer = gzip.compress(answer)
                headers["Content-Encoding"] = "gzip"
            self._send(int(self.headers.get("X-Answer-Status") or 200), answer, headers)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(State()))
    server.daemon_threads = True
    print(f"READY {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
