"""Unit tests of rudder/upstream: which requests stay here, the destType peek, the /features
merge, the settings check, and the reverse proxy's answers against raw socket upstreams (resets,
hangs, closes, non-HTTP answers)."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from gainsight_transformer.app import create_app
from gainsight_transformer.openapi import examples
from gainsight_transformer.rudder.upstream.features import PROTOCOL_FLAGS, merge
from gainsight_transformer.rudder.upstream.forward import display_url
from gainsight_transformer.rudder.upstream.routing import Route, forwarded_route, peek_dest_type, route_of
from gainsight_transformer.settings import Settings, describe_invalid
from support.gainsight_stub import RawServer, reset

LOCAL = {"gainsight"}


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [
        ("POST", "/v0/destinations/gainsight", Route.LOCAL),
        ("POST", "/v0/destinations/ GainSight ", Route.LOCAL),
        ("POST", "/v0/destinations/gainsight/", Route.LOCAL),
        ("POST", "/v0/destinations/gainsight/proxy", Route.LOCAL),
        ("POST", "/v1/destinations/GAINSIGHT/proxy/", Route.LOCAL),
        ("GET", "/v2/destinations/gainsight/anything", Route.LOCAL),
        ("GET", "/health", Route.LOCAL),
        ("HEAD", "/health/", Route.LOCAL),
        ("GET", "/metrics", Route.LOCAL),
        ("GET", "/docs", Route.LOCAL),
        ("GET", "/openapi.json", Route.LOCAL),
        ("GET", "/features", Route.LOCAL),
        ("POST", "/routerTransform", Route.BY_DEST_TYPE),
        ("POST", "/routerTransform/", Route.BY_DEST_TYPE),
        ("GET", "/routerTransform", Route.FORWARD),
        ("POST", "/v0/destinations/webhook", Route.FORWARD),
        ("POST", "/v0/destinations/gainsightx", Route.FORWARD),
        ("POST", "/v1/destinations/webhook/proxy", Route.FORWARD),
        ("POST", "/batch", Route.FORWARD),
        ("POST", "/customTransform", Route.FORWARD),
        ("POST", "/v0/validate", Route.FORWARD),
        ("POST", "/v2/sources/webhook", Route.FORWARD),
        ("GET", "/transformerBuildVersion", Route.FORWARD),
        ("GET", "/", Route.FORWARD),
        ("GET", "/healthz", Route.FORWARD),
    ],
)
def test_route_of(method: str, path: str, route: Route) -> None:
    assert route_of(method, path, LOCAL) is route


@pytest.mark.parametrize(
    ("body", "dest_type"),
    [
        (b'{"input": [], "destType": "gainsight"}', "gainsight"),
        (b'{"destType":"WEBHOOK","input":[{"message":{}}]}', "WEBHOOK"),
        (b'{"input": [] , "destType" :\n "am" }', "am"),
        # the key also inside events: decided by a real (struct-only) decode
        (b'{"input": [{"message": {"destType": "gainsight"}}], "destType": "webhook"}', "webhook"),
        (b'{"destType": "gainsight", "input": [{"message": {"destType": "webhook"}}]}', "gainsight"),
        # only inside a string value: escaped quotes are not a key
        (
            b'{"input": [{"message": {"text": "\\"destType\\": \\"gainsight\\""}}], "destType": "webhook"}',
            "webhook",
        ),
        (b'{"input": [{"message": {"text": "\\"destType\\":\\"gainsight\\""}}]}', None),
        (b'{"input": [], "destType": "gain\\u0073ight"}', "gainsight"),
        (b'{"input": [], "dest\\u0054ype": "gainsight"}', "gainsight"),
        (b'{"destType": "webhook", "input": [], "destType": "gainsight"}', "gainsight"),  # the last, as JS
        (b'\xef\xbb\xbf{"input": [{"message": {"destType": 1}}], "destType": "gainsight"}', "gainsight"),
        (b'{"input": [], "destType": 7}', 7),
        (b'{"input": []}', None),
        (b'[{"destType": "x"}, {"destType": "y"}]', None),
        (b'{"input": [', None),
        (b"", None),
    ],
)
def test_peek_dest_type(body: bytes, dest_type: object) -> None:
    assert peek_dest_type(body) == dest_type


def test_peek_reads_a_single_key_without_decoding_the_events() -> None:
    # Not JSON after the key: only the cheap scan can have answered.
    assert peek_dest_type(b'{"destType": "webhook", "input": [not json at all') == "webhook"


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/v0/destinations/webhook", "/v0/destinations/{destination}"),
        ("/v0/destinations/webhook/", "/v0/destinations/{destination}"),
        ("/v1/destinations/am/proxy", "/v1/destinations/{destination}/proxy"),
        ("/v0/destinations/am/proxyTest", "/v0/destinations/{destination}/proxyTest"),
        ("/v2/sources/shopify", "/v2/sources/{source}"),
        ("/routerTransform/", "/routerTransform"),
        ("/customTransform", "/customTransform"),
        ("/v0/validate", "/v0/validate"),
        ("/anything/else", "other"),
        ("/v10/destinations/x", "other"),
    ],
)
def test_forwarded_route_labels_are_bounded(path: str, label: str) -> None:
    assert forwarded_route(path) == label


OURS = examples.FEATURES  # what this service advertises alone


@pytest.mark.parametrize("flag", PROTOCOL_FLAGS)
@pytest.mark.parametrize("theirs", [True, False, None, "true"])
@pytest.mark.parametrize("ours", [True, False])
def test_protocol_flags_are_true_only_where_both_support_them(flag: str, theirs: object, ours: bool) -> None:
    upstream = {"routerTransform": {}} if theirs is None else {"routerTransform": {}, flag: theirs}
    assert merge(upstream, {**OURS, flag: ours})[flag] is (theirs is True and ours)


@pytest.mark.parametrize("value", [True, False])
def test_source_flags_regulations_and_unknown_keys_are_the_upstreams(value: bool) -> None:
    upstream = {
        "routerTransform": {"HS": value, "GAINSIGHT": False},
        "regulations": ["AM"] if value else [],
        "supportSourceTransformV1": value,
        "upgradedToSourceTransformV2": not value,
        "newFlag": {"nested": value},
    }
    merged = merge(upstream, OURS)
    assert merged["routerTransform"] == {"HS": value, "GAINSIGHT": True}
    for key in ("regulations", "supportSourceTransformV1", "upgradedToSourceTransformV2", "newFlag"):
        assert merged[key] == upstream[key]


def test_a_router_transform_map_that_is_not_an_object_is_replaced() -> None:
    assert merge({"routerTransform": ["HS"]}, OURS)["routerTransform"] == {"GAINSIGHT": True}


@pytest.mark.parametrize(
    "url",
    [
        "ftp://host",
        "host:9090",
        "http:///path",
        "http://host:99999",
        "http://host/?a=1",
        "http://host/#x",
        "unix:///x",
    ],
)
def test_invalid_upstream_urls_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(upstream_transformer_url=url)
    text = describe_invalid(caught.value)
    assert text.startswith("  UPSTREAM_TRANSFORMER_URL: ")
    assert url not in text


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("http://rudder-transformer:9090/", "http://rudder-transformer:9090"),
        (" https://t.example/base/ ", "https://t.example/base"),
        ("", None),
    ],
)
def test_valid_upstream_urls(url: str, kept: str | None) -> None:
    assert Settings(upstream_transformer_url=url).upstream_transformer_url == kept


def test_display_url_leaves_out_credentials() -> None:
    assert display_url("http://user:secret@[::1]:9090/base") == "http://[::1]:9090/base"


def _read_request(conn: socket.socket) -> bytes:
    """The request head and Content-Length body as received."""
    data = b""
    while b"\r\n\r\n" not in data:
        received = conn.recv(65536)
        if not received:
            raise ConnectionError("closed")
        data += received
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length: *(\d+)", head)
    while length and len(body) < int(length[1]):
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


FEATURES_BODY = b'{"routerTransform": {"HS": true}}'
FEATURES_ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(FEATURES_BODY), FEATURES_BODY)


def _server(raw_server: Callable[..., RawServer], answer: Callable[[socket.socket, bytes], None]) -> str:
    """An upstream whose /features is fine and whose other answers `answer` gives."""

    def serve(conn: socket.socket) -> None:
        while True:
            try:
                request = _read_request(conn)
            except OSError:  # the client closed it, or `answer` did
                return
            if request.startswith(b"GET /base/features "):
                conn.sendall(FEATURES_ANSWER)
                continue
            answer(conn, request)
            return

    return f"http://127.0.0.1:{raw_server(serve).port}/base"


def _client(url: str, **settings: Any) -> TestClient:
    return TestClient(
        create_app(Settings(upstream_transformer_url=url, upstream_features_refresh_seconds=3600, **settings))
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _hang(conn: socket.socket, _: bytes) -> None:
    time.sleep(3)


def _close(conn: socket.socket, _: bytes) -> None:
    conn.close()


def _garbage(conn: socket.socket, _: bytes) -> None:
    conn.sendall(b"SMTP ready\r\n\r\n")
    conn.close()


@pytest.mark.parametrize(
    ("answer", "status", "text"),
    [
        (lambda conn, _: reset(conn), 502, "the connection broke"),
        (_close, 502, "the upstream closed the connection without answering"),
        (_garbage, 502, "not an HTTP answer"),
        (_hang, 504, "no answer within 0.5 s"),
    ],
    ids=["reset", "closed", "not HTTP", "hangs"],
)
def test_upstream_failures_are_retryable_answers_naming_it(
    raw_server: Callable[..., RawServer],
    answer: Callable[[socket.socket, bytes], None],
    status: int,
    text: str,
) -> None:
    url = _server(raw_server, answer)
    with _client(url, upstream_timeout_seconds=0.5) as client:
        response = client.post("/v0/destinations/am", content=b"[]")
    assert response.status_code == status
    error = response.json()["error"]
    assert error.startswith(f"upstream transformer {url} failed: ")
    assert text in error


def test_a_closed_port_is_502_cannot_connect() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    with _client(url) as client:
        response = client.post("/v0/destinations/am", content=b"[]")
        health = client.get("/health").json()
    assert response.status_code == 502
    assert response.json()["error"].startswith(f"upstream transformer {url} failed: cannot connect: ")
    assert health["upstream"] == {"url": url, "reachable": False}


def test_path_query_and_body_go_under_the_upstreams_base_path(raw_server: Callable[..., RawServer]) -> None:
    seen: list[bytes] = []

    def answer(conn: socket.socket, request: bytes) -> None:
        seen.append(request)
        conn.sendall(b"HTTP/1.1 201 Created\r\nX-From: upstream\r\nContent-Length: 4\r\n\r\n\x00raw")

    with _client(_server(raw_server, answer)) as client:
        response = client.patch("/v1/sources/a%2Fb?x=%20y&x=2", content=b"\xff")
    assert response.status_code == 201
    assert response.content == b"\x00raw"
    assert response.headers["X-From"] == "upstream"
    head, _, body = seen[0].partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"PATCH /base/v1/sources/a%2Fb?x=%20y&x=2 HTTP/1.1"
    assert body == b"\xff"


def test_a_pooled_connection_closed_by_the_upstream_is_replaced(raw_server: Callable[..., RawServer]) -> None:
    """Node closes idle keep-alive connections; the next request must not fail for it."""
    served: list[int] = []

    def answer_once_then_close(conn: socket.socket, request: bytes) -> None:
        served.append(1)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        time.sleep(0.2)
        conn.close()  # keep-alive was implied; the close comes while the connection is idle

    with _client(_server(raw_server, answer_once_then_close)) as client:
        for _ in range(3):
            assert client.post("/v0/destinations/am", content=b"[]").content == b"ok"
            time.sleep(0.3)
    assert len(served) == 3


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\n\r\nok",  # until the connection closes
        b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nok",  # cut short
    ],
    ids=["connection close", "read until close", "cut short"],
)
def test_connections_the_upstream_closes_give_back_their_slot(
    raw_server: Callable[..., RawServer], answer: bytes
) -> None:
    def close_after_answering(conn: socket.socket, _: bytes) -> None:
        conn.sendall(answer)
        conn.close()

    with _client(_server(raw_server, close_after_answering), upstream_max_connections=2) as client:
        statuses = [client.post("/v0/destinations/am", content=b"[]").status_code for _ in range(6)]
    assert statuses == [200] * 6


def test_features_merge_through_the_app(raw_server: Callable[..., RawServer]) -> None:
    with _client(_server(raw_server, _close)) as client:
        document = client.get("/features").json()
        health = client.get("/health").json()
    assert document == {"routerTransform": {"HS": True, "GAINSIGHT": True}} | {
        flag: False for flag in PROTOCOL_FLAGS
    }
    assert health["upstream"]["reachable"] is True


@pytest.mark.parametrize(
    ("method", "body", "framing"),
    [("GET", None, None), ("POST", b"", b"content-length: 0"), ("POST", b"[]", b"content-length: 2")],
)
def test_requests_without_a_body_get_no_framing_header(
    raw_server: Callable[..., RawServer], method: str, body: bytes | None, framing: bytes | None
) -> None:
    seen: list[bytes] = []

    def answer(conn: socket.socket, request: bytes) -> None:
        seen.append(request)
        conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")

    with _client(_server(raw_server, answer)) as client:
        assert client.request(method, "/v0/validate", content=body).status_code == 204
    framings = re.findall(rb"(?im)^(content-length: *\d+|transfer-encoding: *\S+)", seen[0])
    assert framings == ([] if framing is None else [framing])
