"""End-to-end over HTTPS: the service and the Gainsight simulator as real processes on loopback.

Fault runs inject a failure at the simulator, check the contract's classification, then retry as
rudder-server would and check that nothing was stored twice.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx

from gainsight_simulator.smoke import Smoke, destination

from .conftest import Simulator

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


def _element(simulator: Simulator, message: dict[str, Any], job_id: int = 1) -> dict[str, Any]:
    return {
        "message": message,
        "metadata": {"jobId": job_id, "destinationId": "smoke-dest", "workspaceId": "w"},
        "destination": destination(simulator.domain, ACCESS_KEY),
    }


def _router(service: str, simulator: Simulator, message: dict[str, Any]) -> dict[str, Any]:
    body = {"destType": "gainsight", "input": [_element(simulator, message)]}
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
    fresh_simulator.fault(kind="status", status=429, count=1, path=QUERY)
    failed = _router(gainsight_service, fresh_simulator, GROUP)
    assert failed["statusCode"] == 429
    assert failed["statTags"]["errorType"] == "throttled"
    assert json.loads(failed["error"])["destinationResponse"]["status"] == 429
    assert fresh_simulator.state()["companies"] == []

    retried = _router(gainsight_service, fresh_simulator, GROUP)
    assert retried["statusCode"] == 200
    companies = fresh_simulator.state()["companies"]
    assert [c["Name"] for c in companies] == ["Fault Corp"]
    assert retried["batchedRequest"]["body"]["JSON"]["companies"] == [{"Company_ID": companies[0]["Gsid"]}]


def test_create_timing_out_is_retryable_and_the_retry_updates_instead_of_duplicating(
    gainsight_service: str, fresh_simulator: Simulator
) -> None:
    # Gainsight finishes the create after our 1.5 s read timeout gave up on it.
    fresh_simulator.fault(kind="delay", ms=2500, count=1, path=COMPANY)
    failed = _router(gainsight_service, fresh_simulator, GROUP)
    assert failed["statusCode"] == 500
    assert failed["statTags"]["errorType"] == "retryable"
    assert json.loads(failed["error"])["destinationResponse"] == {
        "response": "[ECONNABORTED] :: Connection aborted",
        "status": 500,
    }

    retried = _router(gainsight_service, fresh_simulator, GROUP)
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
