"""Unit tests of rudder/upstream: which requests stay here, the destType peek, the /features
merge, the settings check, and the reverse proxy's error answers (upstream faked with respx)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from pydantic import ValidationError

from gainsight_transformer.app import create_app
from gainsight_transformer.rudder.upstream.features import PROTOCOL_FLAGS, merge
from gainsight_transformer.rudder.upstream.forward import display_url
from gainsight_transformer.rudder.upstream.routing import Route, forwarded_route, peek_dest_type, route_of
from gainsight_transformer.settings import Settings, describe_invalid

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


OURS = {
    "routerTransform": {"GAINSIGHT": True},
    "regulations": [],
    "supportSourceTransformV1": True,
    "upgradedToSourceTransformV2": True,
    "supportTransformerProxyV1": True,
    "supportDestTransformCompactedPayloadV1": True,
}


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


@pytest.fixture
def forwarding_client() -> Iterator[TestClient]:
    settings = Settings(
        upstream_transformer_url="http://upstream.test:9090/base", upstream_features_refresh_seconds=3600
    )
    with respx.mock(assert_all_called=False) as mock:
        mock.get("http://upstream.test:9090/base/features").respond(json={"routerTransform": {"HS": True}})
        with TestClient(create_app(settings)) as client:
            client.respx = mock  # type: ignore[attr-defined]
            yield client


@pytest.mark.parametrize(
    ("failure", "status", "text"),
    [
        (httpx.ConnectError("connection refused"), 502, "failed: ConnectError: connection refused"),
        (httpx.ReadError("reset by peer"), 502, "failed: ReadError: reset by peer"),
        (httpx.ReadTimeout("timed out"), 504, "failed: ReadTimeout: timed out (no answer in time)"),
        (httpx.ConnectTimeout("timed out"), 504, "failed: ConnectTimeout: timed out (no answer in time)"),
    ],
)
def test_upstream_failures_are_retryable_answers_naming_it(
    forwarding_client: TestClient, failure: Exception, status: int, text: str
) -> None:
    forwarding_client.respx.post("http://upstream.test:9090/base/v0/destinations/am").mock(
        side_effect=failure
    )  # type: ignore[attr-defined]
    response = forwarding_client.post("/v0/destinations/am", content=b"[]")
    assert response.status_code == status
    assert response.json() == {"error": f"upstream transformer http://upstream.test:9090/base {text}"}


def test_path_and_query_go_under_the_upstreams_base_path(forwarding_client: TestClient) -> None:
    route = forwarding_client.respx.route(method="PATCH")  # type: ignore[attr-defined]
    route.respond(201, content=b"\x00raw", headers={"X-From": "upstream"})
    response = forwarding_client.patch("/v1/sources/a%2Fb?x=%20y&x=2", content=b"\xff")
    assert response.status_code == 201
    assert response.content == b"\x00raw"
    assert response.headers["X-From"] == "upstream"
    request = route.calls.last.request
    assert request.url.raw_path == b"/base/v1/sources/a%2Fb?x=%20y&x=2"
    assert request.content == b"\xff"


def test_features_merge_through_the_app(forwarding_client: TestClient) -> None:
    document = forwarding_client.get("/features").json()
    assert document == {"routerTransform": {"HS": True, "GAINSIGHT": True}} | {
        flag: False for flag in PROTOCOL_FLAGS
    }
    assert json.loads(forwarding_client.get("/health").text)["upstream"] == {
        "url": "http://upstream.test:9090/base",
        "reachable": True,
    }
