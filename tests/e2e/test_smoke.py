"""End-to-end smoke: the real server process over HTTP on loopback."""

from __future__ import annotations

import httpx

CONFIG = {
    "domain": "acme.gainsightcloud.com",
    "accessKey": "ak-e2e",
    "sharedSecret": "ss-e2e",
    "topicName": "Ticket Actions",
    "tenantId": "tenant-1",
    "personMap": [{"from": "plan", "to": "Plan__gc"}],
    "companyMap": [],
    "eventNameMap": [{"from": "Ticket Resolved", "to": "Ticket Resolved Event"}],
    "eventVersionMap": [{"from": "Ticket Resolved", "to": "1.0.0"}],
}
DESTINATION = {"ID": "d1", "Config": CONFIG, "DestinationDefinition": {"Name": "GAINSIGHT"}}
IDENTIFY = {
    "type": "identify",
    "traits": {"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace", "plan": "pro"},
}
TRACK = {"type": "track", "event": "Ticket Resolved", "properties": {"ticketId": "t-1"}}

PERSON = {
    "version": "1",
    "type": "REST",
    "method": "PUT",
    "endpoint": "https://acme.gainsightcloud.com/v1.0/api/people",
    "headers": {"Accesskey": "ak-e2e", "Content-Type": "application/json"},
    "params": {},
    "body": {
        "JSON": {
            "Email": "ada@example.com",
            "FirstName": "Ada",
            "LastName": "Lovelace",
            "Name": "Ada Lovelace",
            "Plan__gc": "pro",
        },
        "JSON_ARRAY": {},
        "XML": {},
        "FORM": {},
    },
    "files": {},
}
EVENT = {
    "version": "1",
    "type": "REST",
    "method": "POST",
    "endpoint": "https://acme.gainsightcloud.com/v1.0/api/eventManager/event",
    "headers": {
        "sharedSecret": "ss-e2e",
        "topicName": "Ticket Actions",
        "tenantId": "tenant-1",
        "Content-Type": "application/json",
        "eventName": "Ticket Resolved Event",
        "eventVersion": "1.0.0",
        "Accesskey": "ak-e2e",
    },
    "params": {},
    "body": {"JSON": {"ticketId": "t-1"}, "JSON_ARRAY": {}, "XML": {}, "FORM": {}},
    "files": {},
}


def _metadata(job_id: int) -> dict:
    return {"jobId": job_id, "destinationId": "d1", "workspaceId": "w1", "messageId": f"m-{job_id}"}


def test_processor_batch_over_http(service_url: str) -> None:
    body = [
        {"message": IDENTIFY, "metadata": _metadata(1), "destination": DESTINATION},
        {"message": TRACK, "metadata": _metadata(2), "destination": DESTINATION},
    ]
    response = httpx.post(f"{service_url}/v0/destinations/gainsight", json=body)
    assert response.status_code == 200
    assert response.headers["apiVersion"] == "2"
    assert response.json() == [
        {"output": {**PERSON, "userId": ""}, "metadata": _metadata(1), "statusCode": 200},
        {"output": {**EVENT, "userId": ""}, "metadata": _metadata(2), "statusCode": 200},
    ]


def test_router_batch_over_http(service_url: str) -> None:
    body = {
        "input": [
            {"message": IDENTIFY, "metadata": _metadata(1), "destination": DESTINATION},
            {"message": TRACK, "metadata": _metadata(2), "destination": DESTINATION},
        ],
        "destType": "gainsight",
    }
    response = httpx.post(f"{service_url}/routerTransform", json=body)
    assert response.status_code == 200
    assert response.headers["apiVersion"] == "2"
    assert response.json() == {
        "output": [
            {
                "batchedRequest": PERSON,
                "metadata": [_metadata(1)],
                "batched": False,
                "statusCode": 200,
                "destination": DESTINATION,
            },
            {
                "batchedRequest": EVENT,
                "metadata": [_metadata(2)],
                "batched": False,
                "statusCode": 200,
                "destination": DESTINATION,
            },
        ]
    }


def test_features_and_health_over_http(service_url: str) -> None:
    features = httpx.get(f"{service_url}/features").json()
    assert features["routerTransform"] == {"GAINSIGHT": True}
    assert features["supportSourceTransformV1"] is True
    assert features["upgradedToSourceTransformV2"] is True
    health = httpx.get(f"{service_url}/health").json()
    assert health["service"] == "UP"
    assert health["version"]
