"""Delivery proxy `POST /v0|v1/destinations/gainsight/proxy` (CONTRACT §1.7, §3.7; RUDDER_SERVER §5).

Everything goes over real loopback sockets: `GainsightStub` (HTTPS, certificate from a `trustme`
CA the service trusts through SSL_CERT_FILE) plays Gainsight, `RawServer` resets connections.
The stand-ins listen on loopback, which the SSRF guard refuses unless allowlisted: most tests
allowlist `127.0.0.1` (any port); the SSRF tests allowlist only the stand-in's `127.0.0.1:<port>`
and additionally record every socket connect the service attempts.
"""

from __future__ import annotations

import gzip
import json
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpcore
import pytest
import trustme
from fastapi.testclient import TestClient

from gainsight_transformer.app import create_app
from gainsight_transformer.rudder.egress import GuardedBackend
from gainsight_transformer.settings import Settings
from support.gainsight_stub import GainsightStub, Reply, closed_port, reset, server_context
from support.wire import TRACK_CONFIG

V0 = "/v0/destinations/gainsight/proxy"
V1 = "/v1/destinations/gainsight/proxy"
PEOPLE = "/v1.0/api/people"
EVENTS = "/v1.0/api/eventManager/event"
QUERY = "/v1/data/objects/query/Company"
COMPANY = "/v1/data/objects/Company"
SUCCESS = "[Generic Response Handler] Request for destination: gainsight Processed Successfully"
UNKNOWN = "Non-determininable"  # sic: the original's spelling
EMPTY_BODY = {"JSON": {}, "JSON_ARRAY": {}, "XML": {}, "FORM": {}}
PERSON_HEADERS = {"Accesskey": "the-key", "Content-Type": "application/json"}
DOMAIN_REASON = "the domain must be a host name with an optional port"
PATH_REASON = "the endpoint is not a Gainsight API path this service builds"


def failed(status: int) -> str:
    return f"[Generic Response Handler] Request failed for destination gainsight with status: {status}"


def js_json(value: Any) -> str:
    """JSON.stringify for the plain values used here (compact, non-ASCII kept)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def job(job_id: int, dest: str = "dest-1", workspace: str = "ws-1", **extra: Any) -> dict[str, Any]:
    return {
        "jobId": job_id,
        "attemptNum": 1,
        "userId": "",
        "sourceId": "src-1",
        "destinationId": dest,
        "workspaceId": workspace,
        "secret": None,
        "dontBatch": False,
        **extra,
    }


def proxy_request(
    endpoint: Any,
    *,
    method: Any = "PUT",
    headers: Any = None,
    params: Any = None,
    body: Any = None,
    metadata: Any = None,
) -> dict[str, Any]:
    """A delivery request as rudder-server posts it (RUDDER_SERVER §5)."""
    request: dict[str, Any] = {
        "version": "1",
        "type": "REST",
        "method": method,
        "endpoint": endpoint,
        "endpointPath": "",
        "userId": "",
        "headers": PERSON_HEADERS if headers is None else headers,
        "params": {} if params is None else params,
        "body": {**EMPTY_BODY, "JSON": {"Email": "a@b.c"}} if body is None else body,
        "files": {},
        "destinationConfig": {"accessKey": "the-key", "domain": "ignored.example"},
        "destinationVersion": 1,
    }
    if metadata is not None:
        request["metadata"] = metadata
    return request


def network_tags(error_type: str, dest: str = "dest-1", workspace: str = "ws-1") -> dict[str, str]:
    return {
        "errorCategory": "network",
        "errorType": error_type,
        "destType": "GAINSIGHT",
        "module": "destination",
        "implementation": "native",
        "feature": "dataDelivery",
        "destinationId": dest,
        "workspaceId": workspace,
    }


def configuration_tags(dest: str = "dest-1", workspace: str = "ws-1") -> dict[str, str]:
    return {
        **network_tags("configuration", dest, workspace),
        "errorCategory": "dataValidation",
    }


def post_v0(client: TestClient, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = client.post(V0, content=json.dumps(request))
    assert response.headers.get("apiVersion") == "2", response.headers
    return response.status_code, response.json()


def post_v1(client: TestClient, request: dict[str, Any]) -> dict[str, Any]:
    response = client.post(V1, content=json.dumps(request))
    assert response.headers.get("apiVersion") == "2", response.headers
    assert response.status_code == 200, response.text  # v1 is always 200 for a served request
    return response.json()


def v1_entries(metadata: list[dict[str, Any]], error: str, status: int) -> list[dict[str, Any]]:
    return [{"error": error, "statusCode": status, "metadata": m} for m in metadata]


def pop_headers(answer: dict[str, Any]) -> dict[str, str]:
    """Remove and return `destinationResponse.headers` of a v0 answer (they vary: Date)."""
    headers = answer["output"]["destinationResponse"].pop("headers")
    assert headers, "a real HTTP answer always carries headers"
    assert all(name == name.lower() for name in headers), headers
    assert all(isinstance(value, str) for value in headers.values()), headers
    return headers


# --------------------------------------------------------------------------------------------
# Fixtures: a trusted CA, the stand-in, apps with an allowlist, a connect recorder
# --------------------------------------------------------------------------------------------


@pytest.fixture
def gainsight(ca: trustme.CA) -> Iterator[GainsightStub]:
    stub = GainsightStub(server_context(ca, "127.0.0.1"))
    stub.script = lambda method, path, body: Reply(200, {"result": True})
    yield stub
    stub.stop()


AppFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(ca_file: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppFactory]:
    """The real app (lifespan-owned pooled client) trusting our CA, with a chosen allowlist."""
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    clients: list[TestClient] = []

    def make(allowlist: str, read_timeout: float = 5.0) -> TestClient:
        settings = Settings(
            gainsight_connect_timeout=5.0,
            gainsight_read_timeout=read_timeout,
            gainsight_host_allowlist=allowlist,
        )
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    """Loopback allowlisted on any port (the stand-ins' ports are random)."""
    return make_client("127.0.0.1")


class ConnectRecorder(httpcore.AsyncNetworkBackend):
    """Sits under the SSRF guard and records every TCP connect the service really makes."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self.inner = inner
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        return await self.inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None):
        self.connects.append((path, 0))
        return await self.inner.connect_unix_socket(path, timeout=timeout, socket_options=socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def record_connects(client: TestClient) -> ConnectRecorder:
    backend = client.app.state.http._transport._pool._network_backend
    assert isinstance(backend, GuardedBackend), "outbound calls must go through the SSRF guard"
    recorder = ConnectRecorder(backend._inner)
    backend._inner = recorder
    return recorder


@pytest.fixture
def strict(make_client: AppFactory, gainsight: GainsightStub) -> tuple[TestClient, ConnectRecorder]:
    """Only the stand-in's exact `127.0.0.1:<port>` is allowlisted; connects are recorded."""
    client = make_client(f"127.0.0.1:{gainsight.port}")
    return client, record_connects(client)


def url(stub: GainsightStub, path: str = PEOPLE) -> str:
    return f"https://{stub.domain}{path}"


# --------------------------------------------------------------------------------------------
# 1. The outgoing call: body selection, method, query, headers (what the stand-in received)
# --------------------------------------------------------------------------------------------


def deliver_body(client: TestClient, stub: GainsightStub, body: Any, **kwargs: Any):
    status, answer = post_v0(client, proxy_request(url(stub), body=body, metadata=job(1), **kwargs))
    assert status == 200, answer
    [seen] = stub.seen
    return seen


def test_json_body_is_the_object_serialised_as_compact_json(client, gainsight):
    body = {**EMPTY_BODY, "JSON": {"Email": "a@b.c", "n": 1, "u": "é", "nested": {"k": [1, None]}}}
    seen = deliver_body(client, gainsight, body)
    assert seen.raw == '{"Email":"a@b.c","n":1,"u":"é","nested":{"k":[1,null]}}'.encode()
    assert seen.headers["Content-Type"] == "application/json"  # the given header, passed through
    assert "Content-Encoding" not in seen.headers


def test_json_array_body_is_its_batch_string_sent_verbatim(client, gainsight):
    batch = '[{"a": 1},  {"b":2}]'  # spacing kept: not re-serialised
    seen = deliver_body(
        client, gainsight, {"JSON": {}, "JSON_ARRAY": {"batch": batch}, "XML": {}, "FORM": {}}
    )
    assert seen.raw == batch.encode()


def test_xml_body_is_its_payload_string(client, gainsight):
    payload = '<?xml version="1.0"?><person email="a@b.c"/>'
    seen = deliver_body(client, gainsight, {**EMPTY_BODY, "XML": {"payload": payload}})
    assert seen.raw == payload.encode()


def test_form_body_is_url_encoded_with_arrays_bracketed_and_objects_as_json(client, gainsight):
    form = {"a": "x y&z", "arr": [1, "b"], "obj": {"k": 1}, "n": 5, "t": True}
    seen = deliver_body(client, gainsight, {**EMPTY_BODY, "FORM": form})
    assert parse_qsl(seen.raw.decode(), keep_blank_values=True, strict_parsing=True) == [
        ("a", "x y&z"),
        ("arr", "[1,b]"),
        ("obj", '{"k":1}'),
        ("n", "5"),
        ("t", "true"),
    ]
    assert seen.raw == b"a=x+y%26z&arr=%5B1%2Cb%5D&obj=%7B%22k%22%3A1%7D&n=5&t=true"


def test_gzip_body_is_the_gzipped_payload_with_content_encoding(client, gainsight):
    payload = '{"Email":"a@b.c"}'
    seen = deliver_body(client, gainsight, {**EMPTY_BODY, "GZIP": {"payload": payload}})
    assert seen.headers["Content-Encoding"] == "gzip"
    assert seen.raw[:2] == b"\x1f\x8b"
    assert gzip.decompress(seen.raw) == payload.encode()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"JSON": {"a": 1}, "JSON_ARRAY": {}, "XML": {"payload": "<x/>"}, "FORM": {}},
            b"<x/>",
            id="XML after JSON wins",
        ),
        pytest.param(
            {"XML": {"payload": "<x/>"}, "JSON": {"a": 1}, "FORM": {}},
            b'{"a":1}',
            id="JSON after XML wins (request order, not a fixed priority)",
        ),
        pytest.param(
            {"JSON": {"a": 1}, "FORM": {"f": "v"}, "XML": {}, "JSON_ARRAY": {}},
            b"f=v",
            id="empty entries after the winner do not count",
        ),
        pytest.param(
            {"FORM": {"f": "v"}, "JSON_ARRAY": {"batch": "[1]"}, "JSON": {}},
            b"[1]",
            id="JSON_ARRAY after FORM wins",
        ),
        pytest.param(
            {"JSON": {"a": 1}, "XML": 5, "FORM": True, "JSON_ARRAY": 0, "GZIP": None},
            b'{"a":1}',
            id="numbers, booleans and null count as empty",
        ),
    ],
)
def test_the_last_non_empty_body_entry_decides_the_format(client, gainsight, body, expected):
    assert deliver_body(client, gainsight, body).raw == expected


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(EMPTY_BODY, id="all four empty objects"),
        pytest.param(
            {"JSON": {}, "JSON_ARRAY": [], "XML": "", "FORM": {}, "GZIP": {}}, id="empty of every kind"
        ),
        pytest.param(
            {"JSON": 0, "XML": True, "FORM": False, "JSON_ARRAY": 7, "GZIP": None}, id="scalars only"
        ),
        pytest.param({}, id="no entries"),
        pytest.param(None, id="body null"),
    ],
)
def test_all_empty_body_entries_send_no_body_at_all(client, gainsight, body):
    request = proxy_request(url(gainsight), method="PUT", metadata=job(1))
    request["body"] = body
    status, answer = post_v0(client, request)
    assert status == 200, answer
    [seen] = gainsight.seen
    assert seen.method == "PUT"
    assert seen.raw == b""
    assert seen.headers.get("Content-Length", "0") == "0"
    assert "Transfer-Encoding" not in seen.headers
    assert "Content-Encoding" not in seen.headers


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"JSON": {"a": 1}, "JSON_ARRAY": {"other": [1]}}, id="JSON_ARRAY without batch"),
        pytest.param({"JSON_ARRAY": {"batch": None}}, id="JSON_ARRAY with batch null"),
        pytest.param({"JSON": {"a": 1}, "XML": {"other": "<x/>"}}, id="XML without payload"),
        pytest.param({"GZIP": {"other": "x"}}, id="GZIP without payload"),
    ],
)
def test_chosen_entry_without_its_member_sends_no_body(client, gainsight, body):
    """JSON_ARRAY sends its `batch`, XML/GZIP their `payload`: a missing member is no data."""
    seen = deliver_body(client, gainsight, body)
    assert seen.raw == b""
    assert "Content-Encoding" not in seen.headers


def test_track_with_empty_properties_is_delivered_without_a_body(client, gainsight):
    """The processor's own output for a track without properties, posted to the proxy as is."""
    event = {
        "message": {"type": "track", "event": "Signed Up", "properties": {}},
        "metadata": job(7),
        "destination": {
            "ID": "dest-1",
            "Config": {"accessKey": "the-key", "domain": gainsight.domain, **TRACK_CONFIG},
        },
    }
    transformed = client.post("/v0/destinations/gainsight", json=[event])
    [answer] = transformed.json()
    assert answer["statusCode"] == 200, answer
    output = answer["output"]
    assert output["body"]["JSON"] == {}  # the case this test is about
    status, proxied = post_v0(client, {**output, "metadata": job(7)})
    assert status == 200, proxied
    [seen] = gainsight.seen
    assert (seen.method, seen.path) == ("POST", EVENTS)
    assert seen.raw == b""
    assert seen.headers["eventName"] == "signup"
    assert seen.headers["Accesskey"] == "the-key"


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        pytest.param(None, "GET", id="absent is GET"),
        pytest.param("", "GET", id="empty is GET"),
        pytest.param("POST", "POST", id="POST"),
        pytest.param("put", "PUT", id="lower-case put"),
        pytest.param("DELETE", "DELETE", id="DELETE"),
    ],
)
def test_method_is_taken_from_the_request_and_defaults_to_get(client, gainsight, method, expected):
    request = proxy_request(url(gainsight), body=EMPTY_BODY, metadata=job(1))
    if method is None:
        del request["method"]
    else:
        request["method"] = method
    status, answer = post_v0(client, request)
    assert status == 200, answer
    assert [seen.method for seen in gainsight.seen] == [expected]


def test_params_become_the_query_string(client, gainsight):
    params = {"keys": "Name", "n": 5, "flag": True, "text": "x y&z"}
    status, answer = post_v0(client, proxy_request(url(gainsight, COMPANY), params=params, metadata=job(1)))
    assert status == 200, answer
    [seen] = gainsight.seen
    parts = urlsplit(seen.path)
    assert parts.path == COMPANY
    assert parse_qsl(parts.query, strict_parsing=True) == [
        ("keys", "Name"),
        ("n", "5"),
        ("flag", "true"),
        ("text", "x y&z"),
    ]


def test_endpoint_query_is_kept(client, gainsight):
    status, answer = post_v0(client, proxy_request(url(gainsight, f"{COMPANY}?keys=Name"), metadata=job(1)))
    assert status == 200, answer
    assert [seen.path for seen in gainsight.seen] == [f"{COMPANY}?keys=Name"]


def test_headers_are_passed_through_plus_user_agent_rudderlabs(client, gainsight):
    headers = {"Accesskey": "the-key", "Content-Type": "application/json", "X-Custom": "v 1"}
    status, answer = post_v0(client, proxy_request(url(gainsight), headers=headers, metadata=job(1)))
    assert status == 200, answer
    [seen] = gainsight.seen
    assert seen.headers["Accesskey"] == "the-key"
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["X-Custom"] == "v 1"
    assert [value for name, value in seen.header_items if name.lower() == "user-agent"] == ["RudderLabs"]


@pytest.mark.parametrize("name", ["User-Agent", "user-agent", "USER-AGENT"])
def test_a_given_user_agent_is_replaced_by_rudderlabs(client, gainsight, name):
    headers = {**PERSON_HEADERS, name: "curl/8.0"}
    status, answer = post_v0(client, proxy_request(url(gainsight), headers=headers, metadata=job(1)))
    assert status == 200, answer
    [seen] = gainsight.seen
    assert [value for key, value in seen.header_items if key.lower() == "user-agent"] == ["RudderLabs"]


def test_header_values_that_are_not_strings_are_sent_as_their_js_text(client, gainsight):
    headers = {"X-Int": 5, "X-Float": 1.5, "X-True": True, "X-Obj": {"a": 1}}
    status, answer = post_v0(client, proxy_request(url(gainsight), headers=headers, metadata=job(1)))
    assert status == 200, answer
    [seen] = gainsight.seen
    assert {name: seen.headers[name] for name in headers} == {
        "X-Int": "5",
        "X-Float": "1.5",
        "X-True": "true",
        "X-Obj": "[object Object]",
    }


# --------------------------------------------------------------------------------------------
# 2. Classification and the v0 / v1 answers (whole answers)
# --------------------------------------------------------------------------------------------

RATE_LIMITED = {"result": False, "errorCode": "GU_2400", "errorDesc": "Too many request", "data": None}

SUCCESSES = [
    pytest.param(200, {"result": True, "data": {"Email": "a@b.c"}}, id="200 object"),
    pytest.param(201, {"result": True, "requestId": "r-1"}, id="201 object"),
    pytest.param(202, "accepted", id="202 text"),
    pytest.param(204, None, id="204 no content"),
]


def parsed_body(body: Any) -> Any:
    """What the service reads back: JSON parsed, text kept, an empty body is ""."""
    return "" if body is None else body


@pytest.mark.parametrize(("status", "body"), SUCCESSES)
def test_v0_2xx_is_http_200_processed_successfully(client, gainsight, status, body):
    gainsight.script = lambda method, path, raw: Reply(status, body, {"X-Request-Id": "r-1"})
    http_status, answer = post_v0(client, proxy_request(url(gainsight), metadata=job(1)))
    assert http_status == 200
    headers = pop_headers(answer)
    assert headers["x-request-id"] == "r-1"
    assert answer == {
        "output": {
            "status": status,
            "message": SUCCESS,
            "destinationResponse": {"response": parsed_body(body), "status": status},
        }
    }


@pytest.mark.parametrize(("status", "body"), SUCCESSES)
def test_v1_2xx_is_one_success_entry_per_job(client, gainsight, status, body):
    gainsight.script = lambda method, path, raw: Reply(status, body)
    jobs = [job(1), job(2), job(3, dontBatch=True)]
    answer = post_v1(client, proxy_request(url(gainsight), metadata=jobs))
    assert answer == {
        "output": {
            "response": v1_entries(jobs, js_json(parsed_body(body)), status),
            "status": status,
            "message": SUCCESS,
        }
    }
    assert len(gainsight.seen) == 1  # one call for all the jobs folded into the request


FAILURES = [
    # (destination status, body, errorType, v0 HTTP status)
    pytest.param(429, RATE_LIMITED, "throttled", 429, id="429 throttled"),
    pytest.param(500, {"error": "boom"}, "retryable", 500, id="500 retryable"),
    pytest.param(503, "down", "retryable", 503, id="503 text retryable"),
    pytest.param(502, None, "retryable", 502, id="502 empty body retryable"),
    pytest.param(400, {"errorCode": "GU_1000", "errorDesc": "bad"}, "aborted", 400, id="400 aborted"),
    pytest.param(401, {"errorDesc": "unauthorised"}, "aborted", 401, id="401 aborted"),
    pytest.param(404, "Not Found", "aborted", 400, id="404 aborted as HTTP 400"),
    pytest.param(302, None, "aborted", 302, id="302 without Location is not followed"),
]


@pytest.mark.parametrize(("status", "body", "error_type", "http_status"), FAILURES)
def test_v0_failure_has_the_destination_status_and_network_stat_tags(
    client, gainsight, status, body, error_type, http_status
):
    gainsight.script = lambda method, path, raw: Reply(status, body)
    got_status, answer = post_v0(client, proxy_request(url(gainsight), metadata=job(1)))
    assert got_status == http_status
    pop_headers(answer)
    assert answer == {
        "output": {
            "status": status,
            "message": failed(status),
            "destinationResponse": {"response": parsed_body(body), "status": status},
            "statTags": network_tags(error_type),
        }
    }


@pytest.mark.parametrize(("status", "body", "error_type", "http_status"), FAILURES)
def test_v1_failure_is_200_with_the_status_per_job(client, gainsight, status, body, error_type, http_status):
    gainsight.script = lambda method, path, raw: Reply(status, body)
    jobs = [job(1), job(2), job(3)]
    answer = post_v1(client, proxy_request(url(gainsight), metadata=jobs))
    assert answer == {
        "output": {
            "response": v1_entries(jobs, js_json(parsed_body(body)), status),
            "status": status,
            "message": failed(status),
            "statTags": network_tags(error_type),
        }
    }


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param("down", '"down"', id="text is a quoted JSON string"),
        pytest.param(None, '""', id="empty body is a quoted empty string"),
        pytest.param(b'{"b":1, "a": {"x": [1, 2]}}', '{"b":1,"a":{"x":[1,2]}}', id="object is compact JSON"),
        pytest.param(b'{"b":1,"2":2,"n":1.0}', '{"2":2,"b":1,"n":1}', id="JS key order and number text"),
        pytest.param(b"[1,2]", "[1,2]", id="array"),
        pytest.param(b'"quoted"', '"quoted"', id="JSON string body"),
    ],
)
def test_v1_error_is_the_json_text_of_the_destination_response(client, gainsight, body, error):
    gainsight.script = lambda method, path, raw: Reply(500, body, {"Content-Type": "application/json"})
    jobs = [job(1)]
    answer = post_v1(client, proxy_request(url(gainsight), metadata=jobs))
    assert answer["output"]["response"] == v1_entries(jobs, error, 500)


def test_v1_metadata_is_echoed_per_job_in_order(client, gainsight):
    gainsight.script = lambda method, path, raw: Reply(429, RATE_LIMITED)
    jobs = [
        job(11, secret={"token": "t"}, extra={"nested": [1, {"a": None}]}),
        job(12, dest="dest-2", workspace="ws-2", attemptNum=3),
        {"jobId": 13},
    ]
    answer = post_v1(client, proxy_request(url(gainsight), metadata=jobs))
    assert [entry["metadata"] for entry in answer["output"]["response"]] == jobs
    assert [entry["statusCode"] for entry in answer["output"]["response"]] == [429, 429, 429]
    # statTags name the first job's destination and workspace
    assert answer["output"]["statTags"] == network_tags("throttled")


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param(None, id="no metadata"),
        pytest.param({}, id="empty object"),
        pytest.param({"jobId": 1, "destinationId": "", "workspaceId": None}, id="empty and null ids"),
    ],
)
def test_v0_stat_tags_ids_are_non_determininable_without_metadata_ids(client, gainsight, metadata):
    gainsight.script = lambda method, path, raw: Reply(500, {"error": "boom"})
    request = proxy_request(url(gainsight))
    if metadata is not None:
        request["metadata"] = metadata
    status, answer = post_v0(client, request)
    assert status == 500
    assert answer["output"]["statTags"] == network_tags("retryable", UNKNOWN, UNKNOWN)


def test_v1_stat_tags_ids_are_non_determininable_without_metadata_ids(client, gainsight):
    gainsight.script = lambda method, path, raw: Reply(400, {"errorDesc": "bad"})
    jobs = [{"jobId": 1}, {"jobId": 2, "destinationId": "dest-2", "workspaceId": "ws-2"}]
    answer = post_v1(client, proxy_request(url(gainsight), metadata=jobs))
    assert answer["output"]["statTags"] == network_tags("aborted", UNKNOWN, UNKNOWN)


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param({"jobId": 1}, id="object"),
        pytest.param(None, id="null"),
        pytest.param("jobs", id="string"),
    ],
)
def test_v1_metadata_that_is_not_an_array_is_a_400_request_error(client, gainsight, metadata):
    request = proxy_request(url(gainsight))
    request["metadata"] = metadata
    response = client.post(V1, json=request)
    assert response.status_code == 400
    assert response.json() == {"error": "metadata must be an array of job metadata on the v1 proxy route"}
    assert gainsight.connections == 0  # nothing was delivered


def test_v1_metadata_missing_is_a_400_request_error(client, gainsight):
    response = client.post(V1, json=proxy_request(url(gainsight)))
    assert response.status_code == 400
    assert response.json() == {"error": "metadata must be an array of job metadata on the v1 proxy route"}
    assert gainsight.connections == 0


@pytest.mark.parametrize("route", [V0, V1])
def test_proxy_body_that_is_an_array_is_a_400_request_error(client, route):
    response = client.post(route, content=json.dumps([proxy_request("https://x.example/v1.0/api/people")]))
    assert response.status_code == 400
    assert response.json() == {"error": "proxy request body must be an object describing the request"}


@pytest.mark.parametrize("route", [V0, V1])
@pytest.mark.parametrize("body", ["text", 1, None], ids=["string", "number", "null"])
def test_proxy_body_that_is_a_json_scalar_is_a_400_request_error(client, route, body):
    # The shared body reader's rule (CONTRACT §1.1), before the proxy sees the body.
    response = client.post(route, content=json.dumps(body))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid JSON, only supports object and array"}


@pytest.mark.parametrize("route", [V0, V1])
def test_unknown_destination_is_a_404(client, gainsight, route):
    response = client.post(
        route.replace("gainsight", "nosuch"), json=proxy_request(url(gainsight), metadata=[])
    )
    assert response.status_code == 404
    assert response.json() == {"error": "Unknown destination: nosuch"}
    assert gainsight.connections == 0


# --------------------------------------------------------------------------------------------
# 3. Transport failures over real sockets (§3.7): no HTTP answer, no headers
# --------------------------------------------------------------------------------------------


def assert_v0_transport_failure(answer: dict[str, Any], status: int, text: str, error_type: str) -> None:
    assert answer == {
        "output": {
            "status": status,
            "message": failed(status),
            "destinationResponse": {"response": text, "status": status},
            "statTags": network_tags(error_type),
        }
    }


def assert_v1_transport_failure(
    answer: dict[str, Any], jobs: list[dict[str, Any]], status: int, text: str, error_type: str
) -> None:
    assert answer == {
        "output": {
            "response": v1_entries(jobs, js_json(text), status),
            "status": status,
            "message": failed(status),
            "statTags": network_tags(error_type),
        }
    }


REFUSED = "[ECONNREFUSED] :: Connection refused"
RESET = "[ECONNRESET] :: Connection reset by peer"
ABORTED = "[ECONNABORTED] :: Connection aborted"
NOT_FOUND = "[ENOTFOUND] :: DNS lookup failed"


def test_refused_port_is_a_retryable_500_econnrefused(client):
    endpoint = f"https://127.0.0.1:{closed_port()}{PEOPLE}"
    status, answer = post_v0(client, proxy_request(endpoint, metadata=job(1)))
    assert status == 500
    assert_v0_transport_failure(answer, 500, REFUSED, "retryable")
    jobs = [job(1), job(2)]
    assert_v1_transport_failure(
        post_v1(client, proxy_request(endpoint, metadata=jobs)), jobs, 500, REFUSED, "retryable"
    )


@pytest.mark.parametrize(
    "behaviour",
    [
        pytest.param(reset, id="RST on accept"),
        pytest.param(lambda conn: (conn.recv(1024), reset(conn)), id="RST after the TLS hello"),
    ],
)
def test_reset_connection_is_a_retryable_500_econnreset(client, raw_server, behaviour):
    server = raw_server(behaviour)
    endpoint = f"https://127.0.0.1:{server.port}{PEOPLE}"
    status, answer = post_v0(client, proxy_request(endpoint, metadata=job(1)))
    assert status == 500
    assert_v0_transport_failure(answer, 500, RESET, "retryable")
    jobs = [job(1), job(2)]
    assert_v1_transport_failure(
        post_v1(client, proxy_request(endpoint, metadata=jobs)), jobs, 500, RESET, "retryable"
    )


def test_connection_closed_after_the_request_is_a_retryable_500_econnreset(client, gainsight):
    gainsight.script = lambda method, path, raw: Reply(0, close=True)
    status, answer = post_v0(client, proxy_request(url(gainsight), metadata=job(1)))
    assert status == 500
    assert_v0_transport_failure(answer, 500, RESET, "retryable")
    assert len(gainsight.seen) == 1  # sent once, not retried by the service


def test_no_answer_within_the_read_timeout_is_a_retryable_500_econnaborted(make_client, gainsight):
    client = make_client("127.0.0.1", read_timeout=0.3)
    gainsight.script = lambda method, path, raw: Reply(0, hang=True)
    status, answer = post_v0(client, proxy_request(url(gainsight), metadata=job(1)))
    assert status == 500
    assert_v0_transport_failure(answer, 500, ABORTED, "retryable")
    jobs = [job(1), job(2), job(3)]
    answer = post_v1(client, proxy_request(url(gainsight), metadata=jobs))
    assert_v1_transport_failure(answer, jobs, 500, ABORTED, "retryable")
    assert len(gainsight.seen) == 2  # one call per proxy request, none repeated


def test_dns_failure_is_an_aborted_400_enotfound(client):
    try:
        socket.getaddrinfo("nonexistent.invalid", 443)
    except socket.gaierror as exc:
        if exc.errno != socket.EAI_NONAME:
            pytest.skip(f"this machine's resolver answers {exc!r}, not 'name not known'")
    else:
        pytest.skip("this machine's resolver resolves nonexistent.invalid")
    endpoint = f"https://nonexistent.invalid{PEOPLE}"
    status, answer = post_v0(client, proxy_request(endpoint, metadata=job(1)))
    assert status == 400
    assert_v0_transport_failure(answer, 400, NOT_FOUND, "aborted")
    jobs = [job(1)]
    assert_v1_transport_failure(
        post_v1(client, proxy_request(endpoint, metadata=jobs)), jobs, 400, NOT_FOUND, "aborted"
    )


# --------------------------------------------------------------------------------------------
# 4. SSRF guard through the proxy: refused targets are a 400 configuration error, never a call
# --------------------------------------------------------------------------------------------


def assert_v0_refused(
    status: int, answer: dict[str, Any], message: str, dest: str = "dest-1", ws: str = "ws-1"
):
    assert status == 400
    assert answer == {
        "output": {
            "status": 400,
            "message": message,
            "destinationResponse": {"response": message, "status": 400},
            "statTags": configuration_tags(dest, ws),
        }
    }


def assert_v1_refused(answer: dict[str, Any], jobs: list[dict[str, Any]], message: str) -> None:
    assert answer == {
        "output": {
            "response": v1_entries(jobs, js_json(message), 400),
            "status": 400,
            "message": message,
            "statTags": configuration_tags(),
        }
    }


def refused(target: str, reason: str) -> str:
    return f"refusing to connect to {target}: {reason}"


HTTPS_REASON = "only https endpoints are allowed"
QUERY_REASON = "the endpoint has an unexpected query string"
FRAGMENT_REASON = "the endpoint must not have a fragment"
PORT_REASON = "port {p} is not allowed (only 443, or a host:port listed in GAINSIGHT_HOST_ALLOWLIST)"

# (endpoint, what the refusal names, reason), filled in with the stand-in's domain `{d}` =
# `127.0.0.1:{p}`; `{e}` is the endpoint itself. Each probe aims at the stand-in wherever the
# form allows a port, so a guard that let it through would reach it.
STATIC_PROBES = [
    pytest.param("http://{d}/v1.0/api/people", "{e}", HTTPS_REASON, id="http"),
    pytest.param("ftp://{d}/v1.0/api/people", "{e}", HTTPS_REASON, id="ftp"),
    pytest.param("//{d}/v1.0/api/people", "{e}", HTTPS_REASON, id="no scheme"),
    pytest.param("https://user@{d}/v1.0/api/people", "***@{d}", DOMAIN_REASON, id="userinfo"),
    pytest.param("https://u:p@{d}/v1.0/api/people", "***@{d}", DOMAIN_REASON, id="user and password"),
    pytest.param("https://{d}/other/path", "{e}", PATH_REASON, id="other path"),
    pytest.param("https://{d}/", "{e}", PATH_REASON, id="root path"),
    pytest.param("https://{d}", "{e}", PATH_REASON, id="no path"),
    pytest.param("https://{d}/v1.0/api/people/extra", "{e}", PATH_REASON, id="path below people"),
    pytest.param("https://{d}/v1.0/api/%70eople", "{e}", PATH_REASON, id="percent-encoded path"),
    pytest.param("https://{d}/v1.0%2Fapi/people", "{e}", PATH_REASON, id="encoded slash in path"),
    pytest.param("https://{d}/v1.0/api/./people", "{e}", PATH_REASON, id="dot segment"),
    pytest.param("https://{d}/x/../v1.0/api/people", "{e}", PATH_REASON, id="dot-dot segment"),
    pytest.param("https://{d}/v1.0/api/people;x", "{e}", PATH_REASON, id="path parameter"),
    pytest.param("https://{d}/v1.0/api/people?url=http://169.254.169.254", "{e}", QUERY_REASON, id="other query"),
    pytest.param("https://{d}/v1/data/objects/Company?keys=Name&x=1", "{e}", QUERY_REASON, id="keys and more"),
    pytest.param("https://{d}/v1.0/api/people#frag", "{e}", FRAGMENT_REASON, id="fragment"),
    pytest.param("https://{d}/v1.0/api/people#", "{e}", FRAGMENT_REASON, id="empty fragment"),
    pytest.param("https://{d}%2F@evil.example/v1.0/api/people", "***@evil.example", DOMAIN_REASON, id="host%2F@evil"),
    pytest.param("https://{d}\\@evil.example/v1.0/api/people", "***@evil.example", DOMAIN_REASON, id="backslash before @"),
    pytest.param("https://127.0.0.1%3A{p}/v1.0/api/people", "127.0.0.1%3A{p}", DOMAIN_REASON, id="encoded colon"),
    pytest.param("https://%31{d}/v1.0/api/people", "%31{d}", DOMAIN_REASON, id="encoded host"),
    pytest.param("https://localhost:{p}/v1.0/api/people", "localhost:{p}", PORT_REASON, id="localhost on the stand-in port"),
    pytest.param("https://[::1]:{p}/v1.0/api/people", "[::1]:{p}", DOMAIN_REASON, id="[::1] on the stand-in port"),
    pytest.param("https://[::1]/v1.0/api/people", "[::1]", DOMAIN_REASON, id="[::1]"),
    pytest.param("https://[::ffff:127.0.0.1]/v1.0/api/people", "[::ffff:127.0.0.1]", DOMAIN_REASON, id="IPv4-mapped"),
    pytest.param("https://2130706433:{p}/v1.0/api/people", "2130706433:{p}", PORT_REASON, id="decimal IPv4 on the stand-in port"),
    pytest.param("https://0x7f000001:{p}/v1.0/api/people", "0x7f000001:{p}", PORT_REASON, id="hex IPv4 on the stand-in port"),
    pytest.param("https://example.com:22/v1.0/api/people", "example.com:22", PORT_REASON.replace("{p}", "22"), id="port 22"),
    pytest.param("https://127.0.0.1:22/v1.0/api/people", "127.0.0.1:22", PORT_REASON.replace("{p}", "22"), id="loopback 22"),
    pytest.param("https:///v1.0/api/people", "", DOMAIN_REASON, id="empty host"),
]  # fmt: skip


def probe(stub: GainsightStub, endpoint: str, target: str, reason: str) -> tuple[str, str]:
    """(endpoint, refusal text) for the stand-in."""
    d, p = stub.domain, stub.port
    endpoint = endpoint.format(d=d, p=p)
    return endpoint, refused(target.format(d=d, p=p, e=endpoint), reason.format(p=p))


@pytest.mark.parametrize(("endpoint", "target", "reason"), STATIC_PROBES)
def test_v0_refuses_endpoints_the_guard_does_not_allow_and_connects_nowhere(
    strict, gainsight, endpoint, target, reason
):
    client, recorder = strict
    endpoint, message = probe(gainsight, endpoint, target, reason)
    status, answer = post_v0(client, proxy_request(endpoint, metadata=job(1)))
    assert_v0_refused(status, answer, message)
    assert recorder.connects == []
    assert gainsight.connections == 0


@pytest.mark.parametrize(("endpoint", "target", "reason"), STATIC_PROBES)
def test_v1_refuses_endpoints_the_guard_does_not_allow_for_every_job(
    strict, gainsight, endpoint, target, reason
):
    client, recorder = strict
    endpoint, message = probe(gainsight, endpoint, target, reason)
    jobs = [job(1), job(2), job(3)]
    assert_v1_refused(post_v1(client, proxy_request(endpoint, metadata=jobs)), jobs, message)
    assert recorder.connects == []
    assert gainsight.connections == 0


CONTROL_PROBES = [
    pytest.param(lambda d: f"https://ho st{PEOPLE}", id="space in host"),
    pytest.param(lambda d: f"https://{d} {PEOPLE}", id="space after host"),
    pytest.param(lambda d: f"https:// {d}{PEOPLE}", id="space before host"),
    pytest.param(lambda d: f"https://{d}\t{PEOPLE}", id="tab after host"),
    pytest.param(lambda d: f"https://{d}{PEOPLE[:6]}\t{PEOPLE[6:]}", id="tab in path"),
    pytest.param(lambda d: f"https://{d}{PEOPLE}\n", id="newline at the end"),
    pytest.param(lambda d: f"https://{d}\r\n{PEOPLE}", id="CRLF after host"),
    pytest.param(lambda d: f" https://{d}{PEOPLE}", id="leading space"),
    pytest.param(lambda d: f"\x00https://{d}{PEOPLE}", id="leading NUL"),
    pytest.param(lambda d: f"https://{d}{PEOPLE} ", id="trailing space"),
]


@pytest.mark.parametrize("make_endpoint", CONTROL_PROBES)
def test_whitespace_or_control_characters_anywhere_in_the_endpoint_are_refused(
    strict, gainsight, make_endpoint
):
    """The guard must judge the URL that would be used: urlsplit silently drops tabs and
    newlines and strips leading whitespace, so those must be refused before parsing."""
    client, recorder = strict
    endpoint = make_endpoint(gainsight.domain)
    message = refused(endpoint, "the endpoint must not contain whitespace or control characters")
    status, answer = post_v0(client, proxy_request(endpoint, metadata=job(1)))
    assert_v0_refused(status, answer, message)
    jobs = [job(1), job(2)]
    assert_v1_refused(post_v1(client, proxy_request(endpoint, metadata=jobs)), jobs, message)
    assert recorder.connects == []
    assert gainsight.connections == 0


@pytest.mark.parametrize(
    ("endpoint", "shown"),
    [
        pytest.param(None, "null", id="null"),
        pytest.param(5, "5", id="number"),
        pytest.param({"url": "https://x"}, '{"url":"https://x"}', id="object"),
    ],
)
def test_endpoint_that_is_not_a_string_is_refused(strict, endpoint, shown):
    client, recorder = strict
    status, answer = post_v0(client, proxy_request(endpoint, metadata=job(1)))
    assert_v0_refused(status, answer, refused(shown, "the endpoint must be a string"))
    assert recorder.connects == []


# Hosts on the https port that pass the syntax check but whose address is not public: the
# refusal happens at connect time, on the address the socket would use.
CONNECT_TIME_PROBES = [
    pytest.param("127.0.0.1", id="loopback literal"),
    pytest.param("localhost", id="localhost"),
    pytest.param("169.254.169.254", id="cloud metadata"),
    pytest.param("2130706433", id="decimal 127.0.0.1"),
    pytest.param("0x7f000001", id="hex 127.0.0.1"),
    pytest.param("127.1", id="short 127.0.0.1"),
    pytest.param("0", id="0.0.0.0 short"),
    pytest.param("10.0.0.1", id="private"),
    pytest.param("127.0.0.1:443", id="explicit 443"),
]


@pytest.mark.parametrize("host", CONNECT_TIME_PROBES)
def test_hosts_resolving_to_non_public_addresses_are_refused_before_connecting(strict, gainsight, host):
    client, recorder = strict
    endpoint = f"https://{host}{PEOPLE}"
    name = host.split(":")[0]
    status, answer = post_v0(client, proxy_request(endpoint, metadata=job(1)))
    message = answer["output"]["message"]
    assert re.fullmatch(
        rf"refusing to connect to {re.escape(name)}: it resolves to a non-public address \([^)]+\)"
        " and is not in GAINSIGHT_HOST_ALLOWLIST",
        message,
    ), message
    assert_v0_refused(status, answer, message)
    jobs = [job(1), job(2)]
    assert_v1_refused(post_v1(client, proxy_request(endpoint, metadata=jobs)), jobs, message)
    assert recorder.connects == []
    assert gainsight.connections == 0


def test_refusal_stat_tags_are_non_determininable_without_metadata(strict):
    client, _ = strict
    status, answer = post_v0(client, proxy_request(f"http://example.com{PEOPLE}"))
    assert_v0_refused(
        status,
        answer,
        refused(f"http://example.com{PEOPLE}", "only https endpoints are allowed"),
        UNKNOWN,
        UNKNOWN,
    )


@pytest.mark.parametrize("path", [PEOPLE, EVENTS, QUERY, COMPANY, f"{COMPANY}?keys=Name"])
def test_allowlisted_stand_in_on_its_own_port_is_reached_on_every_gainsight_path(strict, gainsight, path):
    client, recorder = strict
    status, answer = post_v0(client, proxy_request(url(gainsight, path), metadata=job(1)))
    assert status == 200, answer
    assert [seen.path for seen in gainsight.seen] == [path]
    assert recorder.connects == [("127.0.0.1", gainsight.port)]


def test_allowlist_entry_with_a_port_does_not_cover_other_ports(strict, gainsight, raw_server):
    client, recorder = strict
    other = raw_server(lambda conn: conn.close())
    status, answer = post_v0(
        client, proxy_request(f"https://127.0.0.1:{other.port}{PEOPLE}", metadata=job(1))
    )
    assert_v0_refused(
        status,
        answer,
        refused(
            f"127.0.0.1:{other.port}",
            f"port {other.port} is not allowed (only 443, or a host:port listed in GAINSIGHT_HOST_ALLOWLIST)",
        ),
    )
    assert other.accepted == 0
    assert recorder.connects == []


# --------------------------------------------------------------------------------------------
# 5. Redirects: every hop is checked again; a refused hop is never connected to
# --------------------------------------------------------------------------------------------


def redirect_to(stub: GainsightStub, location: str, status: int = 302) -> None:
    def script(method: str, path: str, raw: bytes) -> Reply:
        if urlsplit(path).path == PEOPLE:
            return Reply(status, "", {"Location": location})
        return Reply(200, {"result": True, "followed": path})

    stub.script = script


@pytest.mark.parametrize(
    ("make_location", "make_message"),
    [
        pytest.param(
            lambda port: f"http://127.0.0.1:{port}{PEOPLE}",
            lambda port: refused(f"http://127.0.0.1:{port}{PEOPLE}", "only https endpoints are allowed"),
            id="plain http on loopback",
        ),
        pytest.param(
            lambda port: f"https://127.0.0.1:{port}{PEOPLE}",
            lambda port: refused(
                f"127.0.0.1:{port}",
                f"port {port} is not allowed (only 443, or a host:port listed in GAINSIGHT_HOST_ALLOWLIST)",
            ),
            id="https on another loopback port",
        ),
        pytest.param(
            lambda port: f"https://localhost:{port}{PEOPLE}",
            lambda port: refused(
                f"localhost:{port}",
                f"port {port} is not allowed (only 443, or a host:port listed in GAINSIGHT_HOST_ALLOWLIST)",
            ),
            id="localhost, not allowlisted",
        ),
        pytest.param(
            lambda port: f"https://user@127.0.0.1:{port}{PEOPLE}",
            lambda port: refused(f"***@127.0.0.1:{port}", DOMAIN_REASON),
            id="userinfo",
        ),
    ],
)
@pytest.mark.parametrize("redirect_status", [302, 307])
def test_redirect_to_a_refused_target_is_a_configuration_error_and_never_connected(
    strict, gainsight, raw_server, make_location, make_message, redirect_status
):
    client, recorder = strict
    target = raw_server(lambda conn: conn.close())
    redirect_to(gainsight, make_location(target.port), redirect_status)
    status, answer = post_v0(client, proxy_request(url(gainsight), metadata=job(1)))
    assert_v0_refused(status, answer, make_message(target.port))
    assert target.accepted == 0
    assert recorder.connects == [("127.0.0.1", gainsight.port)]
    assert [seen.path for seen in gainsight.seen] == [PEOPLE]


@pytest.mark.parametrize(
    "host",
    [pytest.param("localhost", id="localhost"), pytest.param("169.254.169.254", id="cloud metadata")],
)
def test_redirect_to_a_host_with_a_non_public_address_is_refused_at_connect_time(strict, gainsight, host):
    client, recorder = strict
    redirect_to(gainsight, f"https://{host}{PEOPLE}")
    status, answer = post_v0(client, proxy_request(url(gainsight), metadata=job(1)))
    message = answer["output"]["message"]
    assert message.startswith(f"refusing to connect to {host}: it resolves to a non-public address ("), (
        message
    )
    assert_v0_refused(status, answer, message)
    assert recorder.connects == [("127.0.0.1", gainsight.port)]


def test_v1_redirect_to_a_refused_target_is_400_for_every_job(strict, gainsight, raw_server):
    client, recorder = strict
    target = raw_server(lambda conn: conn.close())
    location = f"http://127.0.0.1:{target.port}{PEOPLE}"
    redirect_to(gainsight, location)
    jobs = [job(1), job(2)]
    answer = post_v1(client, proxy_request(url(gainsight), metadata=jobs))
    assert_v1_refused(answer, jobs, refused(location, "only https endpoints are allowed"))
    assert target.accepted == 0


def test_redirect_within_the_allowlisted_stand_in_is_followed(strict, gainsight):
    client, recorder = strict
    redirect_to(gainsight, f"https://{gainsight.domain}{EVENTS}", 307)
    status, answer = post_v0(client, proxy_request(url(gainsight), metadata=job(1)))
    assert status == 200, answer
    pop_headers(answer)
    assert answer["output"]["destinationResponse"]["response"] == {"result": True, "followed": EVENTS}
    assert [(seen.method, seen.path) for seen in gainsight.seen] == [("PUT", PEOPLE), ("PUT", EVENTS)]
    assert gainsight.seen[1].headers["Accesskey"] == PERSON_HEADERS["Accesskey"]  # same origin: kept
    assert set(recorder.connects) == {("127.0.0.1", gainsight.port)}


@pytest.mark.parametrize("path", ["/__admin/health", "/moved", f"{PEOPLE}/extra"])
def test_a_redirect_off_the_gainsight_paths_is_refused_and_never_requested(strict, gainsight, path):
    client, _ = strict
    location = f"https://{gainsight.domain}{path}"
    redirect_to(gainsight, location, 307)
    status, answer = post_v0(client, proxy_request(url(gainsight), metadata=job(1)))
    assert_v0_refused(
        status, answer, refused(location, "the endpoint is not a Gainsight API path this service builds")
    )
    assert [seen.path for seen in gainsight.seen] == [PEOPLE]


def test_credentials_do_not_follow_a_redirect_to_another_origin(client, gainsight, ca):
    other = GainsightStub(server_context(ca, "127.0.0.1"))
    other.script = lambda method, path, body: Reply(200, {"result": True})
    try:
        redirect_to(gainsight, f"https://{other.domain}{PEOPLE}", 307)
        request = proxy_request(url(gainsight), metadata=job(1))
        request["headers"] = {**request["headers"], "Authorization": "Basic eDp5", "X-Kept": "1"}
        status, _ = post_v0(client, request)
        assert status == 200
        [seen] = other.seen
        assert "Accesskey" not in seen.headers and "Authorization" not in seen.headers
        assert seen.headers["X-Kept"] == "1"
        assert gainsight.seen[0].headers["Accesskey"] == PERSON_HEADERS["Accesskey"]
    finally:
        other.stop()


def test_a_303_becomes_a_get_without_a_body(client, gainsight):
    redirect_to(gainsight, f"https://{gainsight.domain}{EVENTS}", 303)
    status, _ = post_v0(client, proxy_request(url(gainsight), metadata=job(1)))
    assert status == 200
    assert [(seen.method, seen.raw) for seen in gainsight.seen][1] == ("GET", b"")


def test_more_than_five_redirects_is_an_aborted_400(client, gainsight):
    gainsight.script = lambda method, path, raw: Reply(
        307, "", {"Location": f"https://{gainsight.domain}{PEOPLE}"}
    )
    status, answer = post_v0(client, proxy_request(url(gainsight), metadata=job(1)))
    assert status == 400
    assert_v0_transport_failure(answer, 400, "[ERR_FR_TOO_MANY_REDIRECTS]", "aborted")
    assert len(gainsight.seen) == 6  # the call and 5 followed redirects


@pytest.mark.parametrize("route", [V0, V1])
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_proxy_body_over_its_own_limit_is_413_before_it_is_parsed(
    gainsight: GainsightStub, ca_file: str, monkeypatch: pytest.MonkeyPatch, route: str, declared: bool
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    settings = Settings(max_proxy_body_bytes=64 * 1024, gainsight_host_allowlist="127.0.0.1")
    metadata = job(1) if route == V0 else [job(1)]
    request = proxy_request(f"https://127.0.0.1:{gainsight.port}{PEOPLE}", metadata=metadata)
    request["body"]["JSON"]["padding"] = "x" * (64 * 1024)  # one delivery request, too large
    content = json.dumps(request).encode()
    with TestClient(create_app(settings)) as client:
        if declared:
            response = client.post(route, content=content)
        else:
            response = client.post(route, content=iter([content[:1000], content[1000:]]))
        assert response.status_code == 413
        assert response.json() == {"error": "request entity too large"}
        del request["body"]["JSON"]["padding"]
        assert client.post(route, content=json.dumps(request)).status_code == 200
    assert len(gainsight.seen) == 1  # only the one within the limit was delivered
