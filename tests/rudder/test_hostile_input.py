"""Inputs that made our own code answer 5xx (issue: hostile input): now each gets a clear answer."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from support.wire import ROUTER, destination

DESTINATION = json.dumps(destination()).encode()


def _event(metadata: bytes, traits: bytes = b'{"email": "a@b.c"}') -> bytes:
    return (
        b'{"message": {"type": "identify", "traits": ' + traits + b'}, "metadata": ' + metadata
        + b', "destination": ' + DESTINATION + b"}"
    )  # fmt: skip


@pytest.mark.parametrize(
    "bad", [b"\xff\xfe", b"\xc3", b"\xed\xa0\x80"], ids=["ff-fe", "cut-sequence", "surrogate"]
)
@pytest.mark.parametrize("route", ["processor", "router"])
def test_bytes_that_are_not_utf8_read_as_replacement_characters(
    client: TestClient, bad: bytes, route: str
) -> None:
    events = [
        _event(b'{"jobId": 1, "note": "x' + bad + b'y"}'),
        _event(b'{"jobId": 2}', b'{"email": "b' + bad + b'@c.d"}'),
    ]
    joined = b"[" + b",".join(events) + b"]"
    body = joined if route == "processor" else b'{"destType": "gainsight", "input": ' + joined + b"}"
    response = client.post("/v0/destinations/gainsight" if route == "processor" else ROUTER, content=body)
    assert response.status_code == 200
    answer = json.loads(response.content.decode("utf-8"))  # strict: the answer is UTF-8
    answers = answer if route == "processor" else answer["output"]
    assert all(a["statusCode"] == 200 for a in answers)
    metadata = [a["metadata"] if route == "processor" else a["metadata"][0] for a in answers]
    first = next(m for m in metadata if m["jobId"] == 1)
    assert first["note"].startswith("x\ufffd") and first["note"].endswith("y")


def _proxy(client: TestClient, version: str, **request: object) -> tuple[int, dict]:
    body = {
        "type": "REST",
        "method": "PUT",
        "endpoint": "https://demo.gainsightcloud.com/v1.0/api/people",
        "headers": {"Accesskey": "k"},
        "params": {},
        "body": {"JSON": {"Email": "a@b.c"}, "JSON_ARRAY": {}, "XML": {}, "FORM": {}},
        "files": {},
        "metadata": [{"jobId": 1}] if version == "v1" else {"jobId": 1},
        **request,
    }
    response = client.post(f"/{version}/destinations/gainsight/proxy", json=body)
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("request_fields", "text"),
    [
        ({"endpoint": "https://[::1x]/v1.0/api/people"}, "the endpoint is not a valid URL"),
        (
            {"endpoint": "https://demo.gainsightcloud.com:99999/v1.0/api/people"},
            "the endpoint is not a valid URL",
        ),
        ({"method": "PÜT"}, "method must be an HTTP method name, got PÜT"),
        ({"method": "GE T"}, "method must be an HTTP method name, got GE T"),
        ({"method": {"a": 1}}, "method must be an HTTP method name"),
    ],
)
def test_unusable_proxy_requests_are_aborted_per_job(
    client: TestClient, request_fields: dict, text: str
) -> None:
    status, v0 = _proxy(client, "v0", **request_fields)
    assert status == 400 and text in v0["output"]["message"]
    assert v0["output"]["statTags"]["errorType"] == "configuration"
    status, v1 = _proxy(client, "v1", **request_fields)
    assert status == 200
    [job] = v1["output"]["response"]
    assert job["statusCode"] == 400 and text in job["error"]


@pytest.fixture
def capped() -> TestClient:
    from gainsight_transformer.app import create_app
    from gainsight_transformer.settings import Settings

    with TestClient(create_app(Settings(max_events_per_request=3))) as client:
        yield client


def _bodies(count: int) -> dict[str, tuple[str, bytes, dict[str, str]]]:
    events = [_event(b'{"jobId": %d, "destinationId": "dest-1"}' % i) for i in range(count)]
    joined = b"[" + b",".join(events) + b"]"
    compacted_input = (
        b"["
        + b",".join(
            b'{"message": {"type": "identify"}, "metadata": {"jobId": %d, "destinationId": "dest-1"}}' % i
            for i in range(count)
        )
        + b"]"
    )
    compacted = (
        b'{"input": '
        + compacted_input
        + b', "destinations": {"dest-1": '
        + DESTINATION
        + b'}, "connections": {}, "destType": "gainsight"}'
    )
    header = {"X-Content-Format": "json+compactedv1"}
    return {
        "processor": ("/v0/destinations/gainsight", joined, {}),
        "router": (ROUTER, b'{"destType": "gainsight", "input": ' + joined + b"}", {}),
        "processor compacted": ("/v0/destinations/gainsight", compacted, header),
        "router compacted": (ROUTER, compacted, header),
        "processor, general path": (
            "/v0/destinations/gainsight",
            joined.replace(b'"jobId": 0', b'"jobId": 1e400'),
            {},
        ),
    }


@pytest.mark.parametrize("kind", list(_bodies(1)))
def test_more_events_than_the_cap_is_413_before_any_is_read(capped: TestClient, kind: str) -> None:
    path, body, headers = _bodies(4)[kind]
    response = capped.post(path, content=body, headers=headers)
    assert response.status_code == 413
    assert response.json() == {"error": "too many events in one request: 4 (MAX_EVENTS_PER_REQUEST is 3)"}
    path, body, headers = _bodies(3)[kind]
    assert capped.post(path, content=body, headers=headers).status_code == 200


def test_a_huge_batch_of_empty_elements_is_refused_whole(client: TestClient) -> None:
    body = b"[" + b",".join([b"{}"] * 200_000) + b"]"
    response = client.post("/v0/destinations/gainsight", content=body)
    assert response.status_code == 413
    assert "200000" in response.json()["error"]


def test_an_invalid_body_is_read_once(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from gainsight_transformer.rudder import jsonio

    calls = []
    monkeypatch.setattr(jsonio, "_parse_with_stdlib", lambda *args: calls.append(1))
    body = b"[" + b'{"message": {"type": "identify"}},' * 20_000 + b"{oops}]"
    response = client.post("/v0/destinations/gainsight", content=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith("invalid JSON: ")
    assert calls == []  # orjson's verdict stands: no second, slower parse


@pytest.mark.parametrize("path", ["/v0/destinations/gainsight", "/v1/destinations/gainsight/proxy"])
def test_a_fault_of_ours_says_the_connection_closes(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    from gainsight_transformer.app import create_app
    from gainsight_transformer.rudder import routes

    def broken(*_: object) -> None:
        raise RuntimeError("a fault of ours")

    monkeypatch.setattr(routes, "find_destination", broken)
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        body = b'{"endpoint": "https://a.example/", "metadata": []}' if path.endswith("proxy") else b"[{}]"
        response = client.post(path, content=body)
    assert response.status_code == 500
    assert response.json() == {"error": "internal error (RuntimeError)"}
    assert response.headers["connection"] == "close"


async def test_large_requests_beyond_the_bytes_in_flight_get_503_at_once() -> None:
    import asyncio

    from gainsight_transformer.app import create_app
    from gainsight_transformer.settings import Settings

    app = create_app(Settings(max_bytes_in_flight=3 * 1024 * 1024))
    size = 2 * 1024 * 1024
    body = b"[" + b" " * (size - 2) + b"]"
    release = asyncio.Event()

    def scope() -> dict:
        return {
            "type": "http", "method": "POST", "path": "/v0/destinations/gainsight", "raw_path": b"/v0/destinations/gainsight",
            "query_string": b"", "root_path": "", "headers": [(b"content-length", str(size).encode())],
            "http_version": "1.1", "scheme": "http", "server": ("t", 80), "client": ("t", 1),
        }  # fmt: skip

    async def slow_receive() -> dict:
        await release.wait()
        return {"type": "http.request", "body": body, "more_body": False}

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    statuses: list[int] = []

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async with app.router.lifespan_context(app):
        first = asyncio.create_task(app(scope(), slow_receive, send))
        await asyncio.sleep(0.05)
        await app(scope(), receive, send)  # does not fit while the first is served
        assert statuses == [503]
        release.set()
        await first
        await app(scope(), receive, send)  # fits again
    assert statuses[1:] == [400, 400]  # the bodies themselves are not valid batches
