"""`GET /metrics`: what each request, event, Gainsight call and cache lookup adds."""

from __future__ import annotations

import httpx
import pytest
import respx
from prometheus_client.parser import text_string_to_metric_families

from gainsight_transformer.telemetry import metrics
from support.wire import element, identify, track

PROCESSOR = "/v0/destinations/gainsight"
ROUTE = "/v0/destinations/{destination}"
DOMAIN = "metrics.gainsightcloud.com"


def _scrape(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_template_and_status(client) -> None:
    before = _scrape(client)
    client.post(PROCESSOR, json=[element(identify(), 1)])
    client.post("/v0/destinations/nope", json=[element(identify(), 1)])
    client.get("/no/such/route")
    after = _scrape(client)
    name = "http_request_duration_count"
    for labels, added in (
        ({"method": "POST", "route": ROUTE, "code": "200"}, 1),
        ({"method": "POST", "route": ROUTE, "code": "404"}, 1),
        ({"method": "GET", "route": "unmatched", "code": "404"}, 1),
    ):
        assert _value(after, name, **labels) - _value(before, name, **labels) == added
    bucket = _value(after, "http_request_duration_bucket", method="POST", route=ROUTE, code="200", le="+Inf")
    assert bucket == _value(after, name, method="POST", route=ROUTE, code="200")


def test_events_are_counted_by_type_and_outcome(client) -> None:
    before = _scrape(client)
    body = [element(identify(), 1), element(identify(email=""), 2), element(track(), 3), element({}, 4)]
    client.post(PROCESSOR, json=body)
    client.post("/routerTransform", json={"destType": "gainsight", "input": [element(identify(), 5)]})
    after = _scrape(client)
    name = "gainsight_transformer_events_total"
    expected = [
        ({"feature": "processor", "messageType": "identify", "statusCode": "200", "errorType": "none"}, 1),
        ({"feature": "processor", "messageType": "identify", "statusCode": "400", "errorType": "instrumentation"}, 1),
        ({"feature": "processor", "messageType": "track", "statusCode": "400", "errorType": "configuration"}, 1),
        ({"feature": "processor", "messageType": "none", "statusCode": "400", "errorType": "instrumentation"}, 1),
        ({"feature": "router", "messageType": "identify", "statusCode": "200", "errorType": "none"}, 1),
    ]  # fmt: skip
    for labels, added in expected:
        assert _value(after, name, **labels) - _value(before, name, **labels) == added, labels


def test_unknown_message_types_share_one_label(client) -> None:
    before = _scrape(client)
    client.post(PROCESSOR, json=[element({"type": f"made-up-{n}"}, n) for n in range(3)])
    after = _scrape(client)
    labels = {
        "feature": "processor",
        "messageType": "other",
        "statusCode": "400",
        "errorType": "instrumentation",
    }
    assert (
        _value(after, "gainsight_transformer_events_total", **labels)
        - _value(before, "gainsight_transformer_events_total", **labels)
        == 3
    )


def _group(name: str, job_id: int) -> dict:
    message = {"type": "group", "traits": {"name": name}, "context": {"traits": {"email": "g@acme.com"}}}
    return element(
        message, job_id, dest={"ID": "d", "Config": {"domain": DOMAIN, "accessKey": "metrics-key"}}
    )


def test_gainsight_calls_and_company_cache_lookups(client) -> None:
    before = _scrape(client)
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"https://{DOMAIN}/v1/data/objects/query/Company").respond(
            json={"result": True, "data": {"records": [{"Gsid": "G1", "Name": "Acme"}]}}
        )
        mock.put(f"https://{DOMAIN}/v1/data/objects/Company").respond(
            json={"result": True, "data": {"records": [{"Gsid": "G1"}]}}
        )
        first = client.post(PROCESSOR, json=[_group("Acme", 1)]).json()
        second = client.post(PROCESSOR, json=[_group("Acme", 2)]).json()
    assert [first[0]["statusCode"], second[0]["statusCode"]] == [200, 200]
    after = _scrape(client)
    query = {"feature": "transformation", "destType": "GAINSIGHT", "requestMethod": "POST"}
    query["endpointPath"] = "/v1/data/objects/query/Company"
    ok = {"statusCode": "200", "success": "true"}
    # The original's name, without prometheus' `_total`: dashboards query it as is.
    assert (
        _value(after, "outgoing_request_count", **query, **ok)
        - _value(before, "outgoing_request_count", **query, **ok)
        == 1
    )
    assert (
        _value(after, "outgoing_request_latency_count", **query)
        - _value(before, "outgoing_request_latency_count", **query)
        == 1
    )
    for result, added in (("miss", 1), ("hit", 1)):
        name = "gainsight_company_cache_lookups_total"
        assert _value(after, name, result=result) - _value(before, name, result=result) == added


def test_a_search_that_finds_no_company_counts_as_a_success(client) -> None:
    before = _scrape(client)
    no_data = {"result": False, "errorCode": "GSOBJ_1011", "errorDesc": "No data found for given criteria"}
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"https://{DOMAIN}/v1/data/objects/query/Company").respond(400, json=no_data)
        mock.post(f"https://{DOMAIN}/v1/data/objects/Company").respond(
            json={"result": True, "data": {"records": [{"Gsid": "G9"}]}}
        )
        mock.put(f"https://{DOMAIN}/v1/data/objects/Company").respond(401, json={"errorCode": "GS_APIG_2401"})
        created = client.post(PROCESSOR, json=[_group("Nowhere Ltd", 1)]).json()
        refused = client.post(PROCESSOR, json=[_group("Nowhere Ltd", 2)]).json()  # cached: an update
    assert [created[0]["statusCode"], refused[0]["statusCode"]] == [200, 401]
    after = _scrape(client)

    def added(method: str, path: str, status: str, success: str) -> float:
        labels = {"feature": "transformation", "destType": "GAINSIGHT", "requestMethod": method,
                  "endpointPath": path, "statusCode": status, "success": success}  # fmt: skip
        return _value(after, "outgoing_request_count", **labels) - _value(
            before, "outgoing_request_count", **labels
        )

    assert added("POST", "/v1/data/objects/query/Company", "400", "true") == 1
    assert added("POST", "/v1/data/objects/query/Company", "400", "false") == 0
    assert added("PUT", "/v1/data/objects/Company", "401", "false") == 1  # other 4xx stay failures


def test_proxy_calls_are_counted_with_their_endpoint_path(client) -> None:
    url = "https://proxy.gainsightcloud.com/v1.0/api/people"
    before = _scrape(client)
    with respx.mock() as mock:
        mock.put(url).respond(503, json={"error": "down"})
        body = {"endpoint": url, "method": "PUT", "headers": {}, "body": {"JSON": {"Email": "a@b.c"}}}
        client.post("/v0/destinations/gainsight/proxy", json=body)
    after = _scrape(client)
    labels = {"feature": "proxy", "destType": "GAINSIGHT", "endpointPath": "/v1.0/api/people",
              "requestMethod": "PUT", "statusCode": "503", "success": "false"}  # fmt: skip
    assert (
        _value(after, "outgoing_request_count", **labels) - _value(before, "outgoing_request_count", **labels)
        == 1
    )


def test_transport_failures_are_counted_with_the_status_they_stand_for(client) -> None:
    url = "https://down.gainsightcloud.com/v1.0/api/people"
    with respx.mock() as mock:
        mock.put(url).mock(side_effect=httpx.ConnectError("refused"))
        body = {"endpoint": url, "method": "PUT", "headers": {}, "body": {"JSON": {}}}
        answer = client.post(
            "/v1/destinations/gainsight/proxy", json={**body, "metadata": [{"jobId": 1}]}
        ).json()
    status = str(answer["output"]["response"][0]["statusCode"])
    labels = {"feature": "proxy", "destType": "GAINSIGHT", "endpointPath": "/v1.0/api/people",
              "requestMethod": "PUT", "statusCode": status, "success": "false"}  # fmt: skip
    assert _value(_scrape(client), "outgoing_request_count", **labels) >= 1


def test_histogram_buckets_are_cumulative() -> None:
    timings = metrics.Timings("t", "doc", ("k",))
    for seconds in (0.0005, 0.001, 0.02, 100.0):
        timings.observe(("x",), seconds)
    [family] = [timings.family()]
    buckets = {s.labels["le"]: s.value for s in family.samples if s.name == "t_bucket"}
    assert buckets["0.001"] == 2 and buckets["0.025"] == 3 and buckets["60.0"] == 3 and buckets["+Inf"] == 4
    assert [s.value for s in family.samples if s.name == "t_sum"] == [pytest.approx(100.0215)]
