"""Builders and route helpers shared by the wire-protocol tests."""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi.testclient import TestClient

from support.builders import DOMAIN, PEOPLE_URL, PROCESSOR, ROUTER, gainsight_destination
from support.builders import EVENTS_URL as EVENTS_URL  # re-exported for the rudder tests

ROUTES = ("processor", "router")
COMPACTED = {"X-Content-Format": "json+compactedv1"}


BASE_CONFIG: dict[str, Any] = {"accessKey": "access-key", "domain": DOMAIN}
PERSON_HEADERS = {"Accesskey": "access-key", "Content-Type": "application/json"}


def destination(dest_id: str = "dest-1", **config: Any) -> dict[str, Any]:
    return gainsight_destination({**BASE_CONFIG, **config}, dest_id)


def metadata(job_id: int, dest_id: str = "dest-1", **extra: Any) -> dict[str, Any]:
    return {
        "jobId": job_id,
        "destinationId": dest_id,
        "workspaceId": "ws-1",
        "sourceId": "src-1",
        "messageId": f"msg-{job_id}",
        **extra,
    }


def identify(email: str = "a@b.c", **traits: Any) -> dict[str, Any]:
    return {"type": "identify", "traits": {"email": email, **traits}}


def track(event: str = "Signed Up", properties: Any = None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "track", "event": event}
    if properties is not None:
        message["properties"] = properties
    return message


TRACK_CONFIG: dict[str, Any] = {
    "sharedSecret": "secret",
    "topicName": "topic",
    "tenantId": "tenant",
    "eventNameMap": [{"from": "Signed Up", "to": "signup"}],
    "eventVersionMap": [{"from": "Signed Up", "to": "1.0"}],
}


def element(message: Any, job_id: int, dest: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "message": message,
        "metadata": metadata(job_id),
        "destination": destination() if dest is None else dest,
        **extra,
    }


def person_output(body: dict[str, Any], *, with_user_id: bool = True) -> dict[str, Any]:
    """The delivery object of an identify/group answer (CONTRACT §2)."""
    wire: dict[str, Any] = {
        "version": "1",
        "type": "REST",
        "method": "PUT",
        "endpoint": PEOPLE_URL,
        "headers": PERSON_HEADERS,
        "params": {},
        "body": {"JSON": body, "JSON_ARRAY": {}, "XML": {}, "FORM": {}},
        "files": {},
    }
    if with_user_id:
        wire["userId"] = ""
    return wire


def context_tags(route: str, meta: Any, dest_type: str = "GAINSIGHT") -> dict[str, str]:
    tags = {
        "destType": dest_type,
        "module": "destination",
        "implementation": "native",
        "feature": route,
    }
    if isinstance(meta, dict):
        for key in ("destinationId", "workspaceId"):
            # A null id is left out: statTags values must all be strings for rudder-server.
            if meta.get(key) is not None:
                value = meta[key]
                tags[key] = value if isinstance(value, str) else json.dumps(value)
    return tags


def error_tags(route: str, meta: Any, category: str, error_type: str | None) -> dict[str, str]:
    """CONTRACT §1.3/§1.4: processor faults carry only errorCategory; router faults add context."""
    own = {"errorCategory": category}
    if error_type is not None:
        own["errorType"] = error_type
    if route == "processor" and category == "transformation":
        return own
    return {**own, **context_tags(route, meta)}


INSTRUMENTATION = ("dataValidation", "instrumentation")
CONFIGURATION = ("dataValidation", "configuration")
FAULT = ("transformation", None)


def post_processor(client: TestClient, elements: Any, **kwargs: Any):
    return client.post(PROCESSOR, json=elements, **kwargs)


def post_router(client: TestClient, elements: Any, dest_type: Any = "gainsight", **kwargs: Any):
    return client.post(ROUTER, json={"input": elements, "destType": dest_type}, **kwargs)


def assert_transform_ok(response) -> None:
    assert response.status_code == 200, response.text
    assert response.headers.get("apiVersion") == "2"


def transform(client: TestClient, route: str, elements: list[Any]) -> list[dict[str, Any]]:
    """Per-event answers in input order, router outputs normalised to the processor shape.

    Router outputs are matched back to their inputs by metadata (each jobId once); the
    normalised element gets `metadata` = the single metadata entry and keeps `destination`.
    """
    sent = copy.deepcopy(elements)
    if route == "processor":
        response = post_processor(client, sent)
        assert_transform_ok(response)
        answer = response.json()
        assert isinstance(answer, list) and len(answer) == len(elements)
        return answer
    response = post_router(client, sent)
    assert_transform_ok(response)
    outputs = response.json()["output"]
    assert len(outputs) == len(elements)
    remaining = list(outputs)
    ordered = []
    for original in elements:
        wanted = original.get("metadata", {}) if isinstance(original, dict) else {}
        match = next(o for o in remaining if o["metadata"] == [wanted])
        remaining.remove(match)
        assert match["batched"] is False
        assert "destination" in match
        normalised = dict(match)
        normalised["metadata"] = match["metadata"][0]
        ordered.append(normalised)
    return ordered


def assert_error(
    answer: dict[str, Any],
    route: str,
    meta: Any,
    status: int,
    error: str,
    kind: tuple[str, str | None],
) -> None:
    assert answer["statusCode"] == status, answer
    assert answer["error"] == error
    assert answer["statTags"] == error_tags(route, meta, *kind)
    assert all(isinstance(v, str) for v in answer["statTags"].values())
    assert "output" not in answer and "batchedRequest" not in answer


def delivery(answer: dict[str, Any], route: str) -> dict[str, Any]:
    assert answer["statusCode"] == 200, answer
    return answer["output"] if route == "processor" else answer["batchedRequest"]
