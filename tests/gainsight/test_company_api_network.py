"""Classification of the group's Company calls (CONTRACT §3.4 envelopes E1/E2, §3.7 transport).

Everything here goes over real loopback sockets: a local HTTPS server (certificate from a
`trustme` CA that the service is told to trust through SSL_CERT_FILE) plays Gainsight, and raw
socket servers produce resets, hangs and untrusted certificates. No HTTP mocking.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import trustme
from fastapi.testclient import TestClient

from gainsight_transformer.app import create_app
from gainsight_transformer.settings import Settings
from support.gainsight_stub import (
    GainsightStub,
    Reply,
    Script,
    closed_port,
    reset,
    server_context,
)

PROCESSOR = "/v0/destinations/gainsight"
ROUTER = "/routerTransform"
QUERY = "/v1/data/objects/query/Company"
COMPANY = "/v1/data/objects/Company"
# The stand-in servers listen on loopback, which the SSRF guard refuses unless allowlisted.
LOOPBACK = "127.0.0.1,localhost"
NOT_FOUND_BODY = {
    "result": False,
    "errorCode": "GU_1101",
    "errorDesc": "not found",
    "data": None,
}

GROUP = {
    "type": "group",
    "traits": {"name": "Acme", "employees": "12", "industry": {"a": 1}},
    "context": {"traits": {"email": "user@acme.io"}},
}


@pytest.fixture
def gainsight(ca: trustme.CA) -> Iterator[GainsightStub]:
    stub = GainsightStub(server_context(ca, "127.0.0.1"))
    yield stub
    stub.stop()


@pytest.fixture
def client(ca_file: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The real app; its pooled client trusts our CA (httpx reads SSL_CERT_FILE at creation)."""
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    settings = Settings(
        gainsight_connect_timeout=5.0, gainsight_read_timeout=5.0, gainsight_host_allowlist=LOOPBACK
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def quick_client(ca_file: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    settings = Settings(
        gainsight_connect_timeout=0.5, gainsight_read_timeout=0.5, gainsight_host_allowlist=LOOPBACK
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def group_event(domain: str, job_id: int = 1, name: Any = "Acme", **config: Any) -> dict[str, Any]:
    message = json.loads(json.dumps(GROUP))
    message["traits"]["name"] = name
    return {
        "message": message,
        "metadata": {"jobId": job_id, "destinationId": "dest-1", "workspaceId": "ws-1"},
        "destination": {
            "ID": "dest-1",
            "Config": {"accessKey": "the-key", "domain": domain, **config},
        },
    }


def run_group(client: TestClient, domain: str, route: str = "processor") -> dict[str, Any]:
    event = group_event(domain)
    if route == "processor":
        response = client.post(PROCESSOR, json=[event])
        assert response.status_code == 200
        assert response.headers["apiVersion"] == "2"
        [answer] = response.json()
        return answer
    response = client.post(ROUTER, json={"input": [event], "destType": "gainsight"})
    assert response.status_code == 200
    [output] = response.json()["output"]
    return output


def network_tags(error_type: str, route: str = "processor") -> dict[str, str]:
    return {
        "errorCategory": "network",
        "errorType": error_type,
        "destType": "GAINSIGHT",
        "module": "destination",
        "implementation": "native",
        "feature": route,
        "destinationId": "dest-1",
        "workspaceId": "ws-1",
    }


def split_envelope(error: str) -> tuple[dict[str, Any], dict[str, str] | None]:
    """The parsed E1/E2 envelope without `destinationResponse.headers`, and those headers."""
    parsed = json.loads(error)
    headers = parsed["destinationResponse"].pop("headers", None)
    return parsed, headers


def assert_exact_envelope_text(error: str, message: str, response: Any, status: int) -> None:
    """The error text is the compact JSON of the envelope, key order and headers included."""
    _, headers = split_envelope(error)
    destination_response: dict[str, Any] = {"response": response, "status": status}
    if headers is not None:
        destination_response["headers"] = headers
    expected = json.dumps(
        {"message": message, "destinationResponse": destination_response},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert error == expected


def assert_lower_case_headers(error: str) -> None:
    _, headers = split_envelope(error)
    assert headers, "a real HTTP answer always has headers"
    assert all(name == name.lower() for name in headers)
    assert all(isinstance(value, str) for value in headers.values())


def search_then(search: Reply, save: Reply | None = None) -> Script:
    def script(method: str, path: str, body: bytes) -> Reply:
        if urlsplit(path).path == QUERY:
            return search
        if urlsplit(path).path == COMPANY and save is not None:
            return save
        return Reply(599, {"unexpected": f"{method} {path}"})

    return script


EMPTY_SEARCH = Reply(200, {"result": True, "data": {"records": []}})
FOUND_SEARCH = Reply(200, {"result": True, "data": {"records": [{"Name": "Acme"}]}})
SAVED = Reply(200, {"result": True, "data": {"records": [{"Gsid": "gsid-123", "Name": "Acme"}]}})


# --------------------------------------------------------------------------------------------
# Successful flows (the stub is reached over TLS; sanity for everything below)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["processor", "router"])
def test_no_company_found_creates_it_and_links_the_person(client, gainsight, route):
    gainsight.script = search_then(EMPTY_SEARCH, SAVED)
    answer = run_group(client, gainsight.domain, route)
    assert answer["statusCode"] == 200
    wire = answer["output"] if route == "processor" else answer["batchedRequest"]
    assert wire["method"] == "PUT"
    assert wire["endpoint"] == f"https://{gainsight.domain}/v1.0/api/people"
    assert wire["body"]["JSON"] == {
        "Email": "user@acme.io",
        "companies": [{"Company_ID": "gsid-123"}],
    }

    [search] = gainsight.requests_to(QUERY)
    assert search.method == "POST"
    assert search.body == {
        "select": ["Name"],
        "where": {
            "conditions": [{"name": "Name", "alias": "A", "value": ["Acme"], "operator": "EQ"}],
            "expression": "A",
        },
    }
    assert search.headers["Accesskey"] == "the-key"
    assert search.headers["Content-Type"] == "application/json"
    assert search.headers.get("User-Agent") != "RudderLabs"
    [create] = gainsight.requests_to(COMPANY)
    assert (create.method, create.path) == ("POST", COMPANY)
    assert create.body == {"records": [{"Name": "Acme", "Employees": 12, "Industry": '{"a":1}'}]}


def test_existing_company_is_updated_with_keys_name(client, gainsight):
    gainsight.script = search_then(FOUND_SEARCH, SAVED)
    answer = run_group(client, gainsight.domain)
    assert answer["statusCode"] == 200
    [update] = gainsight.requests_to(COMPANY)
    assert (update.method, update.path) == ("PUT", f"{COMPANY}?keys=Name")
    assert update.body == {"records": [{"Name": "Acme", "Employees": 12, "Industry": '{"a":1}'}]}


def test_redirects_are_followed(client, gainsight):
    def script(method: str, path: str, body: bytes) -> Reply:
        if path == f"{QUERY}?keys=Moved":
            return Reply(200, {"data": {"records": []}})
        if path == QUERY:
            return Reply(307, "", {"Location": f"https://{gainsight.domain}{QUERY}?keys=Moved"})
        return SAVED

    gainsight.script = script
    assert run_group(client, gainsight.domain)["statusCode"] == 200
    assert [s.path for s in gainsight.seen][:2] == [QUERY, f"{QUERY}?keys=Moved"]


def test_a_redirect_off_the_company_paths_is_a_configuration_error(client, gainsight):
    gainsight.script = lambda method, path, body: Reply(
        307, "", {"Location": f"https://{gainsight.domain}/__admin/state"}
    )
    answer = run_group(client, gainsight.domain)
    assert answer["statusCode"] == 400
    assert "the endpoint is not a Gainsight API path this service builds" in answer["error"]
    assert [s.path for s in gainsight.seen] == [QUERY]


# --------------------------------------------------------------------------------------------
# Non-2xx answers → E1 with Gainsight's status
# --------------------------------------------------------------------------------------------

RATE_LIMITED = {
    "result": False,
    "errorCode": "GU_2400",
    "errorDesc": "Too many request",
    "requestId": "request-2",
    "data": None,
    "message": None,
}

NON_2XX = [
    pytest.param(429, RATE_LIMITED, "throttled", id="429 throttled"),
    pytest.param(500, {"error": "boom"}, "retryable", id="500 retryable"),
    pytest.param(503, "Service Unavailable", "retryable", id="503 text retryable"),
    pytest.param(599, "", "retryable", id="599 empty retryable"),
    pytest.param(400, {"errorCode": "GU_1000", "errorDesc": "bad"}, "aborted", id="400 aborted"),
    pytest.param(401, {"errorDesc": "unauthorised"}, "aborted", id="401 aborted"),
    pytest.param(404, "Not Found", "aborted", id="404 aborted"),
    pytest.param(302, "", "aborted", id="302 without Location is not followed"),
    pytest.param(300, {"choices": []}, "aborted", id="300 aborted"),
    pytest.param(408, {"e": 1}, "aborted", id="408 aborted"),
]


def _json_text(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize(("status", "body", "error_type"), NON_2XX)
def test_search_answered_non_2xx_is_e1_with_that_status(client, gainsight, status, body, error_type):
    gainsight.script = search_then(Reply(status, body))
    answer = run_group(client, gainsight.domain)
    assert answer["statusCode"] == status
    assert answer["statTags"] == network_tags(error_type)
    parsed, _ = split_envelope(answer["error"])
    assert parsed == {
        "message": f"failed to search group {_json_text(body)}",
        "destinationResponse": {"response": body, "status": status},
    }
    assert_exact_envelope_text(answer["error"], f"failed to search group {_json_text(body)}", body, status)
    assert_lower_case_headers(answer["error"])
    assert gainsight.requests_to(COMPANY) == []


def test_rate_limit_text_matches_the_originals_fixture_apart_from_headers(client, gainsight):
    gainsight.script = search_then(Reply(429, RATE_LIMITED))
    answer = run_group(client, gainsight.domain)
    parsed, headers = split_envelope(answer["error"])
    assert json.dumps(parsed, separators=(",", ":")) == (
        '{"message":"failed to search group {\\"result\\":false,\\"errorCode\\":\\"GU_2400\\",'
        '\\"errorDesc\\":\\"Too many request\\",\\"requestId\\":\\"request-2\\",\\"data\\":null,'
        '\\"message\\":null}","destinationResponse":{"response":{"result":false,"errorCode":"GU_2400",'
        '"errorDesc":"Too many request","requestId":"request-2","data":null,"message":null},"status":429}}'
    )
    assert headers is not None and headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("search", "op"),
    [(EMPTY_SEARCH, "create"), (FOUND_SEARCH, "update")],
)
@pytest.mark.parametrize(
    ("status", "error_type"),
    [(429, "throttled"), (502, "retryable"), (422, "aborted")],
)
def test_create_and_update_non_2xx_are_e1_naming_the_operation(
    client, gainsight, search, op, status, error_type
):
    body = {"errorDesc": f"{op} failed"}
    gainsight.script = search_then(search, Reply(status, body))
    answer = run_group(client, gainsight.domain)
    assert answer["statusCode"] == status
    assert answer["statTags"] == network_tags(error_type)
    assert_exact_envelope_text(answer["error"], f"failed to {op} group {_json_text(body)}", body, status)


def test_router_network_errors_carry_router_context_tags(client, gainsight):
    gainsight.script = search_then(Reply(503, {"e": "down"}))
    output = run_group(client, gainsight.domain, route="router")
    assert output["statusCode"] == 503
    assert output["statTags"] == network_tags("retryable", route="router")
    assert output["destination"]["Config"]["domain"] == gainsight.domain


# --------------------------------------------------------------------------------------------
# 2xx that is not a plain 200 with a body → E2, retryable 500
# --------------------------------------------------------------------------------------------

E2_ANSWERS = [
    pytest.param(201, {"data": {"records": []}}, {"data": {"records": []}}, id="201 with body"),
    pytest.param(204, None, "", id="204 no content"),
    pytest.param(200, None, "", id="empty 200"),
    pytest.param(202, "accepted", "accepted", id="202 text"),
]


@pytest.mark.parametrize(("status", "body", "response"), E2_ANSWERS)
@pytest.mark.parametrize(
    ("search", "save", "op"),
    [
        (None, None, "search"),
        (EMPTY_SEARCH, "reply", "create"),
        (FOUND_SEARCH, "reply", "update"),
    ],
)
def test_unusable_2xx_is_e2_retryable_500(client, gainsight, status, body, response, search, save, op):
    reply = Reply(status, body)
    gainsight.script = search_then(reply) if search is None else search_then(search, reply)
    answer = run_group(client, gainsight.domain)
    assert answer["statusCode"] == 500
    assert answer["statTags"] == network_tags("retryable")
    assert_exact_envelope_text(answer["error"], f"failed to {op} group", response, status)
    assert_lower_case_headers(answer["error"])


# --------------------------------------------------------------------------------------------
# Decided divergences
# --------------------------------------------------------------------------------------------


def test_search_400_gsobj_1011_counts_as_no_company_and_creates_it(client, gainsight):
    no_data = {
        "result": False,
        "errorCode": "GSOBJ_1011",
        "errorDesc": "No data found",
        "data": None,
    }
    gainsight.script = search_then(Reply(400, no_data), SAVED)
    answer = run_group(client, gainsight.domain)
    assert answer["statusCode"] == 200
    assert answer["output"]["body"]["JSON"]["companies"] == [{"Company_ID": "gsid-123"}]
    [create] = gainsight.requests_to(COMPANY)
    assert create.method == "POST" and create.path == COMPANY


@pytest.mark.parametrize(
    ("status", "body"),
    [
        pytest.param(404, {"errorCode": "GSOBJ_1011"}, id="other status"),
        pytest.param(400, {"errorCode": "GSOBJ_1012"}, id="other code"),
        pytest.param(400, {"error": {"errorCode": "GSOBJ_1011"}}, id="nested code"),
    ],
)
def test_only_a_400_with_top_level_gsobj_1011_is_no_data(client, gainsight, status, body):
    gainsight.script = search_then(Reply(status, body), SAVED)
    answer = run_group(client, gainsight.domain)
    assert answer["statusCode"] == status
    assert answer["statTags"]["errorType"] == "aborted"
    assert gainsight.requests_to(COMPANY) == []


def test_gsobj_1011_on_create_is_not_treated_as_success(client, gainsight):
    body = {"errorCode": "GSOBJ_1011"}
    gainsight.script = search_then(EMPTY_SEARCH, Reply(400, body))
    answer = run_group(client, gainsight.domain)
    assert answer["statusCode"] == 400
    assert_exact_envelope_text(answer["error"], f"failed to create group {_json_text(body)}", body, 400)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"data": {"records": [{}]}}, id="record without Gsid"),
        pytest.param({"data": {"records": [{"Gsid": None}]}}, id="Gsid null"),
        pytest.param({"data": {"records": [{"Gsid": ""}]}}, id="Gsid empty"),
        pytest.param({"data": {"records": []}}, id="no records"),
        pytest.param({"data": {"records": None}}, id="records null"),
        pytest.param({"data": None}, id="data null"),
        pytest.param({"result": True}, id="no data"),
        pytest.param("OK", id="text body"),
    ],
)
@pytest.mark.parametrize(("search", "op"), [(EMPTY_SEARCH, "create"), (FOUND_SEARCH, "update")])
def test_200_save_without_a_usable_gsid_is_a_retryable_500_naming_gsid(client, gainsight, body, search, op):
    gainsight.script = search_then(search, Reply(200, body))
    answer = run_group(client, gainsight.domain)
    assert answer["statusCode"] == 500
    assert answer["statTags"] == network_tags("retryable")
    parsed, _ = split_envelope(answer["error"])
    assert parsed["message"].startswith(f"failed to {op} group")
    assert "Gsid" in parsed["message"]
    assert parsed["destinationResponse"] == {"response": body, "status": 200}


@pytest.mark.parametrize("gsid", [12345, "0"], ids=["numeric", "string zero"])
def test_usable_gsid_values_are_linked_as_given(client, gainsight, gsid):
    gainsight.script = search_then(EMPTY_SEARCH, Reply(200, {"data": {"records": [{"Gsid": gsid}]}}))
    answer = run_group(client, gainsight.domain)
    assert answer["output"]["body"]["JSON"]["companies"] == [{"Company_ID": gsid}]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"result": True}, id="no data"),
        pytest.param({"data": None}, id="data null"),
        pytest.param({"data": {"records": None}}, id="records null"),
        pytest.param({"data": {"records": {"0": {}}}}, id="records an object"),
        pytest.param("fine", id="text body"),
    ],
)
def test_200_search_without_a_records_array_is_a_transformation_500(client, gainsight, body):
    gainsight.script = search_then(Reply(200, body), SAVED)
    answer = run_group(client, gainsight.domain)
    assert answer["statusCode"] == 500
    assert answer["statTags"] == {"errorCategory": "transformation"}
    assert answer["error"] == "failed to search group: Gainsight answered 200 without a data.records array"
    assert gainsight.requests_to(COMPANY) == []


# --------------------------------------------------------------------------------------------
# Transport failures over real sockets (§3.7): no HTTP answer, no `headers` in the envelope
# --------------------------------------------------------------------------------------------


def assert_transport_failure(
    answer: dict[str, Any], status: int, text: str | re.Pattern[str], error_type: str
) -> None:
    assert answer["statusCode"] == status, answer
    assert answer["statTags"] == network_tags(error_type)
    parsed = json.loads(answer["error"])
    assert "headers" not in parsed["destinationResponse"]
    response = parsed["destinationResponse"]["response"]
    if isinstance(text, re.Pattern):
        assert text.fullmatch(response), response
    else:
        assert response == text
    assert parsed == {
        "message": f"failed to search group {_json_text(response)}",
        "destinationResponse": {"response": response, "status": status},
    }


def test_connection_refused(client):
    answer = run_group(client, f"127.0.0.1:{closed_port()}")
    assert_transport_failure(answer, 500, "[ECONNREFUSED] :: Connection refused", "retryable")


@pytest.mark.parametrize(
    "behaviour",
    [
        pytest.param(reset, id="RST on accept"),
        pytest.param(lambda conn: conn.close(), id="FIN on accept"),
        pytest.param(lambda conn: (conn.recv(1024), reset(conn)), id="RST after the TLS hello"),
        pytest.param(lambda conn: (conn.recv(1024), conn.close()), id="FIN after the TLS hello"),
    ],
)
def test_peer_dropping_the_connection_is_econnreset(client, raw_server, behaviour):
    server = raw_server(behaviour)
    answer = run_group(client, f"127.0.0.1:{server.port}")
    assert_transport_failure(answer, 500, "[ECONNRESET] :: Connection reset by peer", "retryable")


def test_connection_closed_after_the_request_without_an_answer_is_econnreset(client, gainsight):
    gainsight.script = search_then(Reply(0, close=True))
    answer = run_group(client, gainsight.domain)
    assert_transport_failure(answer, 500, "[ECONNRESET] :: Connection reset by peer", "retryable")


def test_server_that_never_completes_the_handshake_times_out_as_econnaborted(quick_client, raw_server):
    server = raw_server(lambda conn: conn.recv(1024))  # read the hello, say nothing
    answer = run_group(quick_client, f"127.0.0.1:{server.port}")
    assert_transport_failure(answer, 500, "[ECONNABORTED] :: Connection aborted", "retryable")


def test_server_that_never_answers_the_request_times_out_as_econnaborted(quick_client, gainsight):
    gainsight.script = search_then(Reply(0, hang=True))
    answer = run_group(quick_client, gainsight.domain)
    assert_transport_failure(answer, 500, "[ECONNABORTED] :: Connection aborted", "retryable")
    assert len(gainsight.requests_to(QUERY)) == 1


def test_dns_failure_is_enotfound(client):
    try:
        socket.getaddrinfo("nonexistent.invalid", 443)
    except socket.gaierror as exc:
        if exc.errno != socket.EAI_NONAME:
            pytest.skip(f"this machine's resolver answers {exc!r}, not 'name not known'")
    else:
        pytest.skip("this machine's resolver resolves nonexistent.invalid")
    answer = run_group(client, "nonexistent.invalid")
    assert_transport_failure(answer, 400, "[ENOTFOUND] :: DNS lookup failed", "aborted")


CODE_ONLY = re.compile(r"\[[A-Z][A-Z0-9_]+\]")


def test_certificate_from_an_untrusted_ca_is_a_400_code_text(client):
    stranger = GainsightStub(server_context(trustme.CA(), "127.0.0.1"))
    stranger.script = search_then(EMPTY_SEARCH, SAVED)
    try:
        answer = run_group(client, stranger.domain)
    finally:
        stranger.stop()
    assert_transport_failure(answer, 400, CODE_ONLY, "aborted")
    # The OpenSSL/Node names of an unknown issuer, not a generic "verification failed".
    assert json.loads(answer["error"])["destinationResponse"]["response"] in (
        "[UNABLE_TO_GET_ISSUER_CERT_LOCALLY]",
        "[UNABLE_TO_VERIFY_LEAF_SIGNATURE]",
    )
    assert stranger.seen == []  # nothing was sent over the untrusted connection


def test_certificate_for_another_host_is_err_tls_cert_altname_invalid(client, ca):
    wrong_name = GainsightStub(server_context(ca, "gainsight.example.com"))
    wrong_name.script = search_then(EMPTY_SEARCH, SAVED)
    try:
        answer = run_group(client, wrong_name.domain)
    finally:
        wrong_name.stop()
    assert_transport_failure(answer, 400, "[ERR_TLS_CERT_ALTNAME_INVALID]", "aborted")
    assert wrong_name.seen == []


def test_plain_http_server_on_the_https_port_is_a_400_protocol_error(client, raw_server):
    def speak_http(conn: socket.socket) -> None:
        conn.recv(1024)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        conn.close()

    server = raw_server(speak_http)
    answer = run_group(client, f"127.0.0.1:{server.port}")
    assert_transport_failure(answer, 400, "[EPROTO]", "aborted")


def test_too_many_redirects_is_a_400_code_text(client, gainsight):
    gainsight.script = lambda method, path, body: Reply(
        307, "", {"Location": f"https://{gainsight.domain}{QUERY}"}
    )
    answer = run_group(client, gainsight.domain)
    assert_transport_failure(answer, 400, "[ERR_FR_TOO_MANY_REDIRECTS]", "aborted")
    assert len(gainsight.seen) == 6  # the first call and 5 followed redirects


def test_transport_failure_of_one_group_leaves_the_other_events_intact(client, gainsight):
    gainsight.script = search_then(EMPTY_SEARCH, SAVED)
    events = [
        group_event(gainsight.domain, 1),
        group_event(f"127.0.0.1:{closed_port()}", 2),
        {
            "message": {"type": "identify", "traits": {"email": "a@b.c"}},
            "metadata": {"jobId": 3},
            "destination": {
                "ID": "dest-1",
                "Config": {"accessKey": "k", "domain": "x"},
            },
        },
    ]
    answers = client.post(PROCESSOR, json=events).json()
    assert [a["statusCode"] for a in answers] == [200, 500, 200]
    assert answers[0]["output"]["body"]["JSON"]["companies"] == [{"Company_ID": "gsid-123"}]


# --------------------------------------------------------------------------------------------
# Concurrency: group events of one batch are in flight together
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["processor", "router"])
def test_group_events_of_different_tenants_in_one_batch_run_concurrently(client, gainsight, route):
    # One tenant's names share one search (coalesced); different tenants' searches overlap.
    both_searching = threading.Barrier(2, timeout=4)

    def script(method: str, path: str, body: bytes) -> Reply:
        if urlsplit(path).path == QUERY:
            try:
                both_searching.wait()  # released only when the second search is in flight too
            except threading.BrokenBarrierError:
                return Reply(503, {"error": "searches were not concurrent"})
            return EMPTY_SEARCH
        return SAVED

    gainsight.script = script
    events = [
        group_event(gainsight.domain, 1, name="Acme", accessKey="key-a"),
        group_event(gainsight.domain, 2, name="Globex", accessKey="key-b"),
    ]
    if route == "processor":
        answers = client.post(PROCESSOR, json=events).json()
    else:
        answers = client.post(ROUTER, json={"input": events, "destType": "gainsight"}).json()["output"]
    assert [a["statusCode"] for a in answers] == [200, 200], answers
    assert gainsight.max_in_flight == 2
    searched = sorted(s.body["where"]["conditions"][0]["value"][0] for s in gainsight.requests_to(QUERY))
    assert searched == ["Acme", "Globex"]


# --------------------------------------------------------------------------------------------
# Requests that cannot even be sent: permanent (400, aborted), never a crash or a retry
# --------------------------------------------------------------------------------------------


def test_allowlisted_host_with_a_port_out_of_range_is_a_400_invalid_url(client):
    answer = run_group(client, "127.0.0.1:99999")
    assert_transport_failure(answer, 400, "[ERR_INVALID_URL]", "aborted")


@pytest.mark.parametrize(
    ("domain", "error"),
    [
        pytest.param(
            "127.0.0.1:port",
            "domain must be a host name with an optional port: e.g. 'acme.gainsightcloud.com', "
            "not '127.0.0.1:port'",
            id="port not a number",
        ),
        pytest.param(
            "",
            "domain must be your Gainsight host name, e.g. acme.gainsightcloud.com (got an empty text)",
            id="empty domain",
        ),
    ],
)
def test_domain_that_is_not_a_host_is_refused_as_configuration(client, gainsight, domain, error):
    answer = run_group(client, domain)
    assert answer["statusCode"] == 400
    assert answer["statTags"]["errorCategory"] == "dataValidation"
    assert answer["statTags"]["errorType"] == "configuration"
    assert answer["error"] == error


@pytest.mark.parametrize("access_key", ["ключ", "key\u2028"], ids=["cyrillic", "line separator"])
def test_access_key_http_cannot_carry_is_a_400_invalid_char(client, gainsight, access_key):
    gainsight.script = search_then(EMPTY_SEARCH, SAVED)
    event = group_event(gainsight.domain)
    event["destination"]["Config"]["accessKey"] = access_key
    [answer] = client.post(PROCESSOR, json=[event]).json()
    assert_transport_failure(answer, 400, "[ERR_INVALID_CHAR]", "aborted")
    assert gainsight.seen == []


def test_access_key_with_a_newline_is_never_sent(client, gainsight):
    gainsight.script = search_then(EMPTY_SEARCH, SAVED)
    event = group_event(gainsight.domain)
    event["destination"]["Config"]["accessKey"] = "key\r\nX-Injected: 1"
    [answer] = client.post(PROCESSOR, json=[event]).json()
    assert_transport_failure(answer, 400, "[ERR_INVALID_CHAR]", "aborted")
    assert gainsight.seen == []
