"""Forwarding to an upstream rudder-transformer, against real processes: this service started
with UPSTREAM_TRANSFORMER_URL, tests/support/recording_upstream.py as the upstream, and the
Gainsight simulator for the traffic served here."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.processes import (
    RecordingUpstream,
    Simulator,
    free_port,
    start_recording_upstream,
    start_service,
    stop,
)

MAX_BODY = 8 * 1024 * 1024


@pytest.fixture(scope="module")
def access_log_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("forwarding") / "service.log"


@pytest.fixture(scope="module")
def service(
    recording_upstream: RecordingUpstream, simulator: Simulator, access_log_file: Path
) -> Iterator[str]:
    base_url, process = start_service(
        access_log_file,
        UPSTREAM_TRANSFORMER_URL=recording_upstream.url,
        UPSTREAM_FEATURES_REFRESH_SECONDS="0.2",
        MAX_BODY_BYTES=str(MAX_BODY),
        SSL_CERT_FILE=str(simulator.ca_file),
        GAINSIGHT_HOST_ALLOWLIST=simulator.domain,
        LOG_LEVEL="info",
    )
    try:
        yield base_url
    finally:
        stop(process)


def _only_features_polls(upstream: RecordingUpstream) -> list[dict[str, Any]]:
    """What the upstream received apart from the background `GET /features`."""
    return [r for r in upstream.recorded() if (r["method"], r["target"]) != ("GET", "/features")]


def _sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _headers(recorded: dict[str, Any]) -> dict[str, str]:
    return dict(recorded["headers"])


ROUTER_WEBHOOK = json.dumps(
    {"input": [{"message": {"type": "track"}, "metadata": {"jobId": 1}}], "destType": "webhook"}
)
FORWARDED = [
    ("POST", "/v0/destinations/webhook", b'[{"message": {"type": "track"}, "metadata": {"jobId": 1}}]'),
    ("POST", "/v0/destinations/WEBHOOK/", b"[]"),
    ("POST", "/v0/destinations/webhook/proxy", b'{"endpoint": "https://hooks.example/x"}'),
    ("POST", "/v1/destinations/webhook/proxy", b'{"endpoint": "https://hooks.example/x", "metadata": []}'),
    ("POST", "/v0/destinations/gainsight-ish", b"[]"),
    ("POST", "/routerTransform", ROUTER_WEBHOOK.encode()),
    ("POST", "/batch", b'{"input": [], "destType": "am"}'),
    ("POST", "/customTransform", b'[{"message": {}, "metadata": {}, "destination": {}}]'),
    ("POST", "/v0/validate", b'[{"message": {}, "metadata": {}}]'),
    ("POST", "/v0/sources/shopify", b'[{"event": {}}]'),
    ("POST", "/v1/sources/webhook", b'[{"request": {"body": "{}"}}]'),
    ("POST", "/v2/sources/webhook?writeKey=WK&x=%2F", b'[{"request": {"body": "{}"}}]'),
    ("GET", "/transformerBuildVersion", b""),
    ("GET", "/routerTransform", b""),
    ("GET", "/no/such/path?a=1&a=2", b""),
    ("PUT", "/v0/destinations/webhook", b"{}"),
    ("DELETE", "/deleteUsers", b""),
]


@pytest.mark.parametrize(("method", "target", "body"), FORWARDED, ids=[f"{m} {t}" for m, t, _ in FORWARDED])
def test_other_requests_are_forwarded_unchanged(
    service: str, upstream: RecordingUpstream, method: str, target: str, body: bytes
) -> None:
    response = httpx.request(method, service + target, content=body or None, headers={"X-Custom": "kept"})
    assert response.status_code == 200
    assert response.headers["apiVersion"] == "2"  # the upstream's headers come back
    assert response.headers["X-Upstream"] == "recording"
    assert response.json()["echo"] == {
        "method": method,
        "target": target,
        "length": len(body),
        "sha256": _sha(body),
    }
    [seen] = _only_features_polls(upstream)
    assert (seen["method"], seen["target"], seen["sha256"]) == (method, target, _sha(body))
    assert _headers(seen)["x-custom"] == "kept"


def test_hop_by_hop_headers_and_host_are_not_passed_on(service: str, upstream: RecordingUpstream) -> None:
    sent = {
        "Connection": "keep-alive, X-Per-Hop",
        "X-Per-Hop": "1",
        "Keep-Alive": "timeout=5",
        "TE": "trailers",
        "Proxy-Authorization": "Basic eDp5",
        "Upgrade": "websocket",
        "Authorization": "Basic V0s6",
        "X-Feature-Gzip-Support": "?1",
        "X-Content-Format": "json+compactedv1",
        "User-Agent": "Go-http-client/1.1",
        "Content-Type": "application/json; charset=utf-8",
    }
    httpx.post(f"{service}/v0/destinations/webhook", content=b"[]", headers=sent).raise_for_status()
    [seen] = _only_features_polls(upstream)
    headers = _headers(seen)
    for gone in ("x-per-hop", "keep-alive", "te", "proxy-authorization", "upgrade"):
        assert gone not in headers
    assert headers["host"] == upstream.url.removeprefix("http://")
    for kept in ("Authorization", "X-Feature-Gzip-Support", "X-Content-Format", "User-Agent", "Content-Type"):
        assert headers[kept.lower()] == sent[kept]
    # Nothing added on the way: the rest is what httpx itself sent (Accept, Accept-Encoding, length).
    passed = {name.lower() for name in sent} - {
        "connection",
        "x-per-hop",
        "keep-alive",
        "te",
        "proxy-authorization",
        "upgrade",
    }
    assert set(headers) == passed | {"host", "accept", "accept-encoding", "content-length"}


BYTE_EXACT = {
    "compacted": (
        {"X-Content-Format": "json+compactedv1"},
        json.dumps(
            {
                "input": [{"message": {"type": "track"}, "metadata": {"destinationId": "d"}}],
                "destType": "webhook",
                "destinations": {"d": {"ID": "d", "Config": {}}},
                "connections": {},
            },
            separators=(",", ":"),
        ).encode(),
    ),
    "gzip": ({"Content-Encoding": "gzip"}, gzip.compress(ROUTER_WEBHOOK.encode())),
    "not UTF-8": ({}, b'{"input": [{"message": {"name": "\xff\xfe\xc3"}}], "destType": "webhook"}'),
    "not JSON": ({}, b'{"destType": "webhook", "input": [\x00\x01'),
    "odd spacing": ({}, b'{\n "input" : [ ] ,\n "destType"\t:\t"webhook" }\n\n'),
}


@pytest.mark.parametrize("kind", list(BYTE_EXACT))
def test_router_bodies_of_other_destinations_are_forwarded_byte_for_byte(
    service: str, upstream: RecordingUpstream, kind: str
) -> None:
    headers, body = BYTE_EXACT[kind]
    response = httpx.post(f"{service}/routerTransform", content=body, headers=headers)
    assert response.status_code == 200
    [seen] = _only_features_polls(upstream)
    assert (seen["sha256"], seen["length"]) == (_sha(body), len(body))
    for name, value in headers.items():
        assert _headers(seen)[name.lower()] == value


def test_chunked_uploads_are_streamed_through(service: str, upstream: RecordingUpstream) -> None:
    parts = [b'[{"message": {"i": %d}},' % i for i in range(1000)] + [b"{}]"]
    response = httpx.post(f"{service}/v0/destinations/webhook", content=iter(parts))
    assert response.status_code == 200
    [seen] = _only_features_polls(upstream)
    assert seen["sha256"] == _sha(b"".join(parts))


@pytest.mark.parametrize("path", ["/v0/destinations/webhook", "/routerTransform"])
def test_big_bodies_are_forwarded_whole(service: str, upstream: RecordingUpstream, path: str) -> None:
    event = (
        b'{"message": {"type": "track", "properties": {"text": "'
        + b"x" * 2000
        + b'"}}, "metadata": {"jobId": 1}}'
    )
    events = b"[" + b",".join([event] * 3500) + b"]"  # ~7 MB, under MAX_BODY
    body = events if path != "/routerTransform" else b'{"input": ' + events + b', "destType": "webhook"}'
    response = httpx.post(service + path, content=body, timeout=60)
    assert response.json()["echo"]["sha256"] == _sha(body)
    [seen] = _only_features_polls(upstream)
    assert seen["length"] == len(body)


@pytest.mark.parametrize("path", ["/v0/destinations/webhook", "/routerTransform", "/customTransform"])
def test_bodies_over_the_limit_get_413_and_are_not_forwarded(
    service: str, upstream: RecordingUpstream, path: str
) -> None:
    body = b" " * (MAX_BODY + 1)
    response = httpx.post(service + path, content=body, timeout=60)
    assert response.status_code == 413
    assert response.json() == {"error": "request entity too large"}
    chunked = httpx.post(service + path, content=iter([body[:MAX_BODY], b"  "]), timeout=60)
    assert chunked.status_code == 413
    assert all(r["length"] <= MAX_BODY for r in _only_features_polls(upstream))
    assert not [r for r in _only_features_polls(upstream) if r["length"] == len(body)]


def test_upstream_answers_come_back_unchanged(service: str, upstream: RecordingUpstream) -> None:
    with httpx.stream(
        "POST", f"{service}/v0/destinations/webhook", content=b"[]", headers={"X-Answer-Gzip": "1"}
    ) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(raw))["echo"]["target"] == "/v0/destinations/webhook"
    teapot = httpx.post(
        f"{service}/v0/destinations/webhook", content=b"[]", headers={"X-Answer-Status": "418"}
    )
    assert teapot.status_code == 418
    assert teapot.headers["apiVersion"] == "2"
    assert len(teapot.headers.get_list("date")) == 1


GAINSIGHT_DESTINATION = {"ID": "d1", "Config": {"accessKey": "K", "domain": "", "sharedSecret": "S"}}


def _gainsight_requests(domain: str) -> list[tuple[str, str, Any]]:
    destination = {**GAINSIGHT_DESTINATION, "Config": {**GAINSIGHT_DESTINATION["Config"], "domain": domain}}
    identify = {
        "message": {"type": "identify", "traits": {"email": "ada@example.com"}},
        "metadata": {"jobId": 1},
        "destination": destination,
    }
    nested = {**identify, "message": {**identify["message"], "properties": {"destType": "webhook"}}}
    delivery = {
        "type": "REST",
        "method": "PUT",
        "endpoint": f"https://{domain}/v1.0/api/people",
        "headers": {"Accesskey": "K", "Content-Type": "application/json"},
        "params": {},
        "body": {"JSON": {"Email": "ada@example.com"}, "JSON_ARRAY": {}, "XML": {}, "FORM": {}},
        "files": {},
    }
    return [
        ("POST", "/v0/destinations/gainsight", [identify]),
        ("POST", "/v0/destinations/%20GainSight%20", [identify]),
        ("POST", "/routerTransform", {"input": [identify], "destType": "gainsight"}),
        ("POST", "/routerTransform/", {"destType": "GAINSIGHT", "input": [identify]}),
        ("POST", "/routerTransform", {"input": [nested], "destType": "gainsight"}),
        (
            "POST",
            "/routerTransform",
            '{"input": [], "destType": "gain\\u0073ight"}',
        ),  # only a real parse reads it
        ("POST", "/v0/destinations/gainsight/proxy", {**delivery, "metadata": {"jobId": 1}}),
        ("POST", "/v1/destinations/gainsight/proxy", {**delivery, "metadata": [{"jobId": 1}]}),
        ("GET", "/v0/destinations/gainsight", None),
        ("POST", "/v1/destinations/gainsight", []),
        ("POST", "/v0/destinations/gainsight/proxyTest", {}),
        ("GET", "/health", None),
        ("HEAD", "/health", None),
        ("GET", "/metrics", None),
        ("GET", "/docs", None),
        ("GET", "/openapi.json", None),
        ("GET", "/features", None),
    ]


def test_gainsight_traffic_is_never_forwarded(
    service: str, upstream: RecordingUpstream, simulator: Simulator
) -> None:
    for method, path, body in _gainsight_requests(simulator.domain):
        raw = body if body is None or isinstance(body, str) else json.dumps(body)
        response = httpx.request(method, service + path, content=raw, timeout=30)
        assert "X-Upstream" not in response.headers, (method, path)
        assert response.status_code in (200, 404), (method, path, response.text)
    assert _only_features_polls(upstream) == []


def test_a_gainsight_batch_is_transformed_here(
    service: str, upstream: RecordingUpstream, simulator: Simulator
) -> None:
    identify = _gainsight_requests(simulator.domain)[2][2]
    answer = httpx.post(f"{service}/routerTransform", json=identify).json()
    [output] = answer["output"]
    assert output["statusCode"] == 200
    assert output["batchedRequest"]["endpoint"] == f"https://{simulator.domain}/v1.0/api/people"


def test_top_level_dest_type_decides_even_when_events_name_another(
    service: str, upstream: RecordingUpstream
) -> None:
    body = {
        "input": [{"message": {"properties": {"destType": "gainsight"}}, "metadata": {"jobId": 1}}],
        "destType": "webhook",
    }
    response = httpx.post(f"{service}/routerTransform", json=body)
    assert response.headers["X-Upstream"] == "recording"


def _eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_features_are_merged_and_follow_the_upstream(service: str, upstream: RecordingUpstream) -> None:
    features = {
        "routerTransform": {"HS": True, "WEBHOOK": True, "GAINSIGHT": False},
        "regulations": ["BRAZE"],
        "supportSourceTransformV1": False,
        "upgradedToSourceTransformV2": True,
        "supportTransformerProxyV1": True,
        "supportDestTransformCompactedPayloadV1": False,
        "someFutureFlag": {"x": 1},
    }
    upstream.control(features=features)
    expected = {
        **features,
        "routerTransform": {"HS": True, "WEBHOOK": True, "GAINSIGHT": True},
        "supportDestTransformCompactedPayloadV1": False,
    }
    _eventually(lambda: httpx.get(f"{service}/features").json() == expected)
    # An upstream failure keeps the last good document.
    upstream.control(featuresStatus=500, features={"routerTransform": {}})
    _eventually(lambda: len([r for r in upstream.recorded() if r["target"] == "/features"]) >= 3)
    assert httpx.get(f"{service}/features").json() == expected


def test_health_metrics_and_access_log_tell_forwarded_requests(
    service: str, upstream: RecordingUpstream, access_log_file: Path
) -> None:
    request_id = "forwarded-" + hashlib.md5(str(time.time()).encode()).hexdigest()
    httpx.post(f"{service}/v1/sources/webhook", content=b"[]", headers={"X-Request-ID": request_id})
    health = httpx.get(f"{service}/health").json()
    assert health["service"] == "UP"
    assert health["upstream"] == {"url": upstream.url, "reachable": True}
    metrics = httpx.get(f"{service}/metrics").text
    assert (
        'gainsight_transformer_forwarded_requests_total{outcome="answered",route="/v1/sources/{source}",status="200"}'
        in metrics
    )
    assert (
        'gainsight_transformer_forwarded_request_duration_seconds_count{route="/v1/sources/{source}"}'
        in metrics
    )

    def logged() -> list[dict[str, Any]]:
        return [json.loads(line) for line in access_log_file.read_text().splitlines() if request_id in line]

    _eventually(lambda: bool(logged()))
    [line] = logged()
    assert (line["route"], line["status"], line["forwarded"]) == ("/v1/sources/{source}", 200, True)
    local = [json.loads(x) for x in access_log_file.read_text().splitlines() if '"route":"/health"' in x]
    assert local and all("forwarded" not in x for x in local)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Services of one test, stopped at its end."""
    processes = []

    def starter(**env: str) -> str:
        base_url, process = start_service(tmp_path / f"service-{len(processes)}.log", **env)
        processes.append(process)
        return base_url

    yield starter
    for process in processes:
        stop(process)


def _closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def test_upstream_down_gives_502_and_gainsight_keeps_working(start: Callable[..., str]) -> None:
    closed = _closed_url()
    service = start(UPSTREAM_TRANSFORMER_URL=closed)
    response = httpx.post(f"{service}/v0/destinations/webhook", content=b"[]")
    assert response.status_code == 502
    assert response.json()["error"].startswith(f"upstream transformer {closed} failed: cannot connect: ")
    features = httpx.get(f"{service}/features")
    assert features.status_code == 503
    assert closed in features.json()["error"]
    identify = [
        {
            "message": {"type": "identify", "traits": {"email": "a@b.c"}},
            "metadata": {"jobId": 1},
            "destination": {"ID": "d", "Config": {"domain": "acme.gainsightcloud.com", "accessKey": "K"}},
        }
    ]
    served = httpx.post(f"{service}/v0/destinations/gainsight", json=identify)
    assert served.status_code == 200
    assert served.json()[0]["statusCode"] == 200
    assert httpx.get(f"{service}/health").json()["upstream"] == {"url": closed, "reachable": False}


def test_features_answer_503_until_the_upstream_first_answers_then_survive_its_loss(
    start: Callable[..., str],
) -> None:
    port = free_port()
    service = start(
        UPSTREAM_TRANSFORMER_URL=f"http://127.0.0.1:{port}", UPSTREAM_FEATURES_REFRESH_SECONDS="0.2"
    )
    assert httpx.get(f"{service}/features").status_code == 503
    late = start_recording_upstream(port)
    try:
        _eventually(lambda: httpx.get(f"{service}/features").status_code == 200)
    finally:
        stop(late.process)
    time.sleep(0.5)  # refreshes fail now
    document = httpx.get(f"{service}/features")
    assert document.status_code == 200
    assert document.json()["routerTransform"]["GAINSIGHT"] is True
    assert httpx.get(f"{service}/v0/destinations/webhook").status_code == 502


def test_a_slow_upstream_gives_504(start: Callable[..., str], upstream: RecordingUpstream) -> None:
    service = start(UPSTREAM_TRANSFORMER_URL=upstream.url, UPSTREAM_TIMEOUT_SECONDS="0.5")
    upstream.control(mode="slow", delay=2)
    started = time.monotonic()
    response = httpx.post(f"{service}/customTransform", content=b"[]", timeout=10)
    assert response.status_code == 504
    assert response.json()["error"].endswith("failed: no answer within 0.5 s")
    assert time.monotonic() - started < 2


def test_a_resetting_upstream_gives_502(service: str, upstream: RecordingUpstream) -> None:
    upstream.control(mode="reset")
    response = httpx.post(f"{service}/v0/destinations/webhook", content=b"[]")
    assert response.status_code == 502
    assert response.json()["error"].startswith(f"upstream transformer {upstream.url} failed:")


def test_an_answer_broken_off_by_the_upstream_is_broken_for_the_client(
    service: str, upstream: RecordingUpstream
) -> None:
    upstream.control(mode="broken")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{service}/v0/destinations/webhook", content=b"[]")
    upstream.control(mode="normal")
    assert httpx.post(f"{service}/v0/destinations/webhook", content=b"[]").status_code == 200


def test_an_invalid_upstream_url_stops_the_start_with_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gainsight_transformer"],
        env={"PATH": "/usr/bin:/bin", "UPSTREAM_TRANSFORMER_URL": "ftp://user:hunter2@example.com"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "UPSTREAM_TRANSFORMER_URL: must be an http:// or https:// URL" in result.stderr
    assert "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr


def test_the_readme_walkthrough_does_what_it_says(service: str, upstream: RecordingUpstream) -> None:
    script = Path(__file__).resolve().parents[2] / "examples" / "upstream" / "walkthrough.sh"
    result = subprocess.run(
        ["bash", str(script)],
        env={"PATH": "/usr/bin:/bin", "BASE_URL": service, "UPSTREAM_URL": upstream.url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    sections = result.stdout.split("== ")[1:]
    features, identify, webhook, recorded = (section.split("\n", 1)[1] for section in sections)
    assert json.loads(features)["routerTransform"] == {
        "MARKETO": True,
        "HS": True,
        "WEBHOOK": True,
        "GAINSIGHT": True,
    }
    [answer] = json.loads(identify)
    assert answer["statusCode"] == 200
    assert answer["output"]["endpoint"] == "https://acme.gainsightcloud.com/v1.0/api/people"
    assert json.loads(webhook)["echo"]["target"] == "/v0/destinations/webhook"
    targets = {(r["method"], r["target"]) for r in json.loads(recorded)}
    assert targets <= {("GET", "/features"), ("POST", "/v0/destinations/webhook")}
    assert ("POST", "/v0/destinations/webhook") in targets


def test_a_client_that_gives_up_frees_its_upstream_slot_at_once(
    tmp_path: Path, upstream: RecordingUpstream
) -> None:
    """Two upstream slots, both taken by requests whose clients gave up while a slow upstream was
    still working: the next request gets a slot at once instead of waiting for those answers."""
    base_url, process = start_service(
        tmp_path / "service.log",
        UPSTREAM_TRANSFORMER_URL=upstream.url,
        UPSTREAM_MAX_CONNECTIONS="2",
        UPSTREAM_TIMEOUT_SECONDS="600",
    )
    try:
        upstream.control(mode="slow", delay=30)
        for _ in range(4):
            with pytest.raises(httpx.ReadTimeout):
                httpx.post(f"{base_url}/v0/destinations/webhook", json=[{"message": {}}], timeout=0.5)
        upstream.control(mode="normal", delay=0)
        started = time.monotonic()
        answer = httpx.post(f"{base_url}/v0/destinations/webhook", json=[{"message": {}}], timeout=10)
        assert answer.status_code == 200
        assert time.monotonic() - started < 5  # not the 30 s the abandoned ones would have held
        metrics = httpx.get(f"{base_url}/metrics").text
        assert 'outcome="client_gone"' in metrics
    finally:
        upstream.control(mode="normal", delay=0)
        stop(process)
