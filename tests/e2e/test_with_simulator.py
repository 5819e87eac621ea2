"""End-to-end over HTTPS: the service and the Gainsight simulator as real processes on loopback.

Fault runs inject a failure at the simulator, check the contract's classification, then retry as
rudder-server would and check that nothing was stored twice.

The service process lives for the whole session and keeps per-tenant state across requests (the
company cache, the 429 fast-fail), so tests that group use an access key of their own.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from typing import Any

import httpx

from gainsight_simulator.smoke import Smoke, destination
from support.processes import Simulator

ACCESS_KEY = "e2e-access-key"
PEOPLE = "/v1.0/api/people"
EVENTS = "/v1.0/api/eventManager/event"
QUERY = "/v1/data/objects/query/Company"
COMPANY = "/v1/data/objects/Company"


def test_smoke_run_delivers_everything_through_both_proxies(
    gainsight_service: str, fresh_simulator: Simulator
) -> None:
    verify = ssl.create_default_context(cafile=str(fresh_simulator.ca_file))
    smoke = Smoke(gainsight_service, fresh_simulator.url, fresh_simulator.domain, verify)
    assert len(smoke.run()) == 17


def _element(
    simulator: Simulator, message: dict[str, Any], job_id: int = 1, access_key: str = ACCESS_KEY
) -> dict[str, Any]:
    return {
        "message": message,
        "metadata": {"jobId": job_id, "destinationId": "smoke-dest", "workspaceId": "w"},
        "destination": destination(simulator.domain, access_key),
    }


def _router(
    service: str, simulator: Simulator, message: dict[str, Any], access_key: str = ACCESS_KEY
) -> dict[str, Any]:
    body = {"destType": "gainsight", "input": [_element(simulator, message, access_key=access_key)]}
    [output] = httpx.post(f"{service}/routerTransform", json=body, timeout=30).json()["output"]
    return output


def _deliver_v1(service: str, output: dict[str, Any]) -> dict[str, Any]:
    request = {**output["batchedRequest"], "metadata": output["metadata"]}
    response = httpx.post(f"{service}/v1/destinations/gainsight/proxy", json=request, timeout=30)
    assert response.status_code == 200
    return response.json()["output"]


GROUP = {
    "type": "group",
    "traits": {"name": "Fault Corp", "employees": "7"},
    "context": {"traits": {"email": "fault@e2e.example"}},
}
IDENTIFY = {"type": "identify", "traits": {"email": "fault@e2e.example", "firstName": "Fay"}}
TRACK = {"type": "track", "event": "Ticket Resolved", "properties": {"ticket": "f-1"}}


def test_search_throttled_by_gainsight_is_a_429_and_the_retry_creates_one_company(
    gainsight_service: str, fresh_simulator: Simulator
) -> None:
    key = "e2e-throttled"
    fresh_simulator.fault(kind="status", status=429, count=1, path=QUERY, headers={"Retry-After": "2"})
    failed = _router(gainsight_service, fresh_simulator, GROUP, key)
    tripped_at = time.monotonic()
    assert failed["statusCode"] == 429
    assert failed["statTags"]["errorType"] == "throttled"
    assert json.loads(failed["error"])["destinationResponse"]["status"] == 429
    assert fresh_simulator.state()["companies"] == []

    # Until Retry-After (else the minute window) has passed, the tenant's Company calls fail fast
    # with the same error and spend none of its budget.
    held = _router(gainsight_service, fresh_simulator, GROUP, key)
    assert (held["statusCode"], held["statTags"], held["error"]) == (429, failed["statTags"], failed["error"])
    assert len(fresh_simulator.state()["calls"]) == 1

    time.sleep(max(0.0, tripped_at + 2.05 - time.monotonic()))
    retried = _router(gainsight_service, fresh_simulator, GROUP, key)
    assert retried["statusCode"] == 200
    companies = fresh_simulator.state()["companies"]
    assert [c["Name"] for c in companies] == ["Fault Corp"]
    assert retried["batchedRequest"]["body"]["JSON"]["companies"] == [{"Company_ID": companies[0]["Gsid"]}]


def test_create_timing_out_is_retryable_and_the_retry_updates_instead_of_duplicating(
    gainsight_service: str, fresh_simulator: Simulator
) -> None:
    # Gainsight finishes the create after our 1.5 s read timeout gave up on it.
    key = "e2e-timeout"
    fresh_simulator.fault(kind="delay", ms=2500, count=1, path=COMPANY)
    failed = _router(gainsight_service, fresh_simulator, GROUP, key)
    assert failed["statusCode"] == 500
    assert failed["statTags"]["errorType"] == "retryable"
    assert json.loads(failed["error"])["destinationResponse"] == {
        "response": "[ECONNABORTED] :: Connection aborted",
        "status": 500,
    }

    retried = _router(gainsight_service, fresh_simulator, GROUP, key)
    assert retried["statusCode"] == 200
    assert [c["Name"] for c in fresh_simulator.state()["companies"]] == ["Fault Corp"]


def test_person_delivery_answered_503_is_retryable_and_the_retry_stores_it_once(
    gainsight_service: str, fresh_simulator: Simulator
) -> None:
    output = _router(gainsight_service, fresh_simulator, IDENTIFY)
    fresh_simulator.fault(kind="status", status=503, count=1, path=PEOPLE)
    failed = _deliver_v1(gainsight_service, output)
    assert failed["response"][0]["statusCode"] == 503
    assert failed["statTags"]["errorType"] == "retryable"
    assert fresh_simulator.state()["persons"] == []

    assert _deliver_v1(gainsight_service, output)["response"][0]["statusCode"] == 200
    persons = fresh_simulator.state()["persons"]
    assert [(p["Email"], p["FirstName"]) for p in persons] == [("fault@e2e.example", "Fay")]


def test_event_delivery_reset_is_retryable_and_the_retry_stores_one_event(
    gainsight_service: str, fresh_simulator: Simulator
) -> None:
    output = _router(gainsight_service, fresh_simulator, TRACK)
    fresh_simulator.fault(kind="reset", count=1, path=EVENTS)
    failed = _deliver_v1(gainsight_service, output)
    assert failed["response"][0]["statusCode"] == 500
    assert failed["response"][0]["error"] == json.dumps("[ECONNRESET] :: Connection reset by peer")
    assert failed["statTags"]["errorType"] == "retryable"
    assert fresh_simulator.state()["events"] == []

    assert _deliver_v1(gainsight_service, output)["response"][0]["statusCode"] == 200
    events = fresh_simulator.state()["events"]
    assert [e["body"] for e in events] == [{"ticket": "f-1"}]


def test_rejected_delivery_is_aborted_on_v0_with_the_destination_status(
    gainsight_service: str, fresh_simulator: Simulator
) -> None:
    output = _router(gainsight_service, fresh_simulator, IDENTIFY)
    fresh_simulator.fault(kind="status", status=400, count=1, path=PEOPLE)
    request = {**output["batchedRequest"], "metadata": output["metadata"][0]}
    response = httpx.post(f"{gainsight_service}/v0/destinations/gainsight/proxy", json=request, timeout=30)
    assert response.status_code == 400
    assert response.headers["apiVersion"] == "2"
    assert response.json()["output"]["statTags"]["errorType"] == "aborted"
    assert fresh_simulator.state()["persons"] == []


def test_service_without_the_allowlist_refuses_the_simulator_on_loopback(
    service_url: str, fresh_simulator: Simulator
) -> None:
    [answer] = httpx.post(
        f"{service_url}/v0/destinations/gainsight", json=[_element(fresh_simulator, GROUP)], timeout=30
    ).json()
    assert answer["statusCode"] == 400
    assert answer["statTags"]["errorType"] == "configuration"
    assert answer["error"].startswith("refusing to connect to")
    assert fresh_simulator.state()["calls"] == []


# ---------------------------------------------------------------------------------------------
# Company resolution across events and requests (coalescing, single-flight, stale cache)
# ---------------------------------------------------------------------------------------------


def _group(name: str, email: str) -> dict[str, Any]:
    return {"type": "group", "traits": {"name": name}, "context": {"traits": {"email": email}}}


def _calls(simulator: Simulator) -> list[tuple[str, str, int]]:
    return [(c["method"], c["path"], c["status"]) for c in simulator.state()["calls"]]


def test_twenty_group_events_naming_five_companies_cost_three_company_calls(
    gainsight_service: str, fresh_simulator: Simulator
) -> None:
    key = "e2e-coalesce"
    names = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"]
    fresh_simulator.admin("POST", "seed", json={"companies": [{"Name": "Acme"}, {"Name": "Globex"}]})
    elements = [
        _element(fresh_simulator, _group(names[i % 5], f"u{i}@e2e.example"), i + 1, key) for i in range(20)
    ]
    body = {"destType": "gainsight", "input": elements}
    output = httpx.post(f"{gainsight_service}/routerTransform", json=body, timeout=30).json()["output"]

    assert [o["statusCode"] for o in output] == [200] * 20
    gsids = {c["Name"]: c["Gsid"] for c in fresh_simulator.state()["companies"]}
    assert sorted(gsids) == sorted(names)
    linked = {o["batchedRequest"]["body"]["JSON"]["Email"]: o["batchedRequest"]["body"]["JSON"]["companies"]
              for o in output}  # fmt: skip
    assert linked == {f"u{i}@e2e.example": [{"Company_ID": gsids[names[i % 5]]}] for i in range(20)}
    assert sorted(_calls(fresh_simulator)) == [
        ("POST", COMPANY, 200),  # one create of the three new companies
        ("POST", QUERY, 200),  # one IN search for the five names
        ("PUT", COMPANY, 200),  # one update of the two existing ones
    ]


def test_fifty_concurrent_requests_grouping_into_one_new_company_create_it_once(
    gainsight_service: str, fresh_simulator: Simulator
) -> None:
    key = "e2e-single-flight"

    async def send_all() -> list[dict[str, Any]]:
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:

            async def one(i: int) -> dict[str, Any]:
                element = _element(fresh_simulator, _group("Single Flight Corp", f"u{i}@e2e.example"), i, key)
                body = {"destType": "gainsight", "input": [element]}
                response = await client.post(f"{gainsight_service}/routerTransform", json=body)
                [output] = response.json()["output"]
                return output

            return await asyncio.gather(*(one(i) for i in range(50)))

    outputs = asyncio.run(send_all())
    [company] = fresh_simulator.state()["companies"]
    assert company["Name"] == "Single Flight Corp"
    assert [o["statusCode"] for o in outputs] == [200] * 50
    assert {json.dumps(o["batchedRequest"]["body"]["JSON"]["companies"]) for o in outputs} == {
        json.dumps([{"Company_ID": company["Gsid"]}])
    }
    calls = _calls(fresh_simulator)
    assert calls.count(("POST", COMPANY, 200)) == 1
    assert len(calls) <= 51  # one search, one create, then the cached name's updates


def test_a_company_deleted_behind_the_cache_is_created_again_like_the_original(
    gainsight_service: str, fresh_simulator: Simulator
) -> None:
    key = "e2e-stale"
    message = _group("Stale Corp", "stale@e2e.example")
    assert _router(gainsight_service, fresh_simulator, message, key)["statusCode"] == 200
    fresh_simulator.admin("POST", "reset")  # Gainsight forgets the company; the service's cache does not

    retried = _router(gainsight_service, fresh_simulator, message, key)
    assert retried["statusCode"] == 200
    [company] = fresh_simulator.state()["companies"]
    assert retried["batchedRequest"]["body"]["JSON"]["companies"] == [{"Company_ID": company["Gsid"]}]
    assert _calls(fresh_simulator) == [
        ("PUT", COMPANY, 400),  # the cached name's update finds no company
        ("POST", QUERY, 400),  # so the original's search (GSOBJ_1011: no data)
        ("POST", COMPANY, 200),  # and the original's create
    ]
