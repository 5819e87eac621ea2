"""Helpers for the simulator tests: a fake clock, one-call shortcuts and request bodies."""

from __future__ import annotations

from typing import Any

from gainsight_simulator import Request, Response, SimulatorApp

KEY = "test-access-key"
_UNSET = object()
GSID_COMPANY = r"^1P02[A-Z0-9]{18}$"


def call(
    app: SimulatorApp,
    method: str,
    target: str,
    *,
    json: Any = _UNSET,
    body: bytes = b"",
    key: str | None = KEY,
    headers: dict[str, str] | None = None,
) -> Response:
    """Run one request through the app and return its response (asserting no reset/delay)."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if key is not None:
        all_headers["Accesskey"] = key
    if json is _UNSET:
        request = Request.make(method, target, headers=all_headers, body=body)
    else:
        request = Request.make(method, target, headers=all_headers, json=json)
    outcome = app.handle(request)
    assert outcome.response is not None and not outcome.reset
    return outcome.response


def envelope_of(response: Response) -> dict[str, Any]:
    body = response.json_body()
    assert set(body) == {"result", "errorCode", "errorDesc", "requestId", "data", "message"}
    assert body["message"] is None
    assert isinstance(body["requestId"], str) and body["requestId"]
    return body


def assert_error(response: Response, status: int, code: str, desc: str | None = None) -> dict[str, Any]:
    body = envelope_of(response)
    assert response.status == status, body
    assert body["result"] is False
    assert body["errorCode"] == code, body
    if desc is not None:
        assert body["errorDesc"] == desc
    return body


def ok_data(response: Response) -> Any:
    body = envelope_of(response)
    assert response.status == 200, body
    assert body["result"] is True and body["errorCode"] is None and body["errorDesc"] is None
    return body["data"]


def name_query(*names: Any, operator: str = "EQ", select: tuple[str, ...] = ("Name",), **extra: Any) -> dict:
    return {
        "select": list(select),
        "where": {
            "conditions": [{"name": "Name", "alias": "A", "value": list(names), "operator": operator}],
            "expression": "A",
        },
        **extra,
    }


def insert(app: SimulatorApp, *records: dict[str, Any], key: str = KEY) -> list[dict[str, Any]]:
    response = call(app, "POST", "/v1/data/objects/Company", json={"records": list(records)}, key=key)
    return ok_data(response)["records"]


def event_headers(**overrides: str | None) -> dict[str, str]:
    headers = {
        "sharedSecret": "secret-1",
        "topicName": "Topic",
        "tenantId": "tenant-1",
        "eventName": "ticket_resolved",
        "eventVersion": "1.0",
    }
    headers.update(overrides)
    return {k: v for k, v in headers.items() if v is not None}
