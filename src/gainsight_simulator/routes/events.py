"""``POST /v1.0/api/eventManager/event``: validate the Events framework headers and store the event."""

from __future__ import annotations

from gainsight_simulator.envelope import MISSING_EVENT_HEADER, UNAUTHORIZED, RequestError, ok
from gainsight_simulator.http_types import Request, Response
from gainsight_simulator.routes.common import json_body
from gainsight_simulator.state import GainsightState
from gainsight_simulator.values import is_blank

EVENTS_PATH = "/v1.0/api/eventManager/event"
REQUIRED_HEADERS = ("sharedSecret", "topicName", "tenantId", "eventName", "eventVersion")


def publish_event(state: GainsightState, request: Request) -> Response:
    for name in REQUIRED_HEADERS:
        if is_blank(request.header(name)):
            raise RequestError(400, MISSING_EVENT_HEADER, f"Missing required header: {name}")
    secrets = state.options.shared_secrets
    if secrets and request.header("sharedSecret") not in secrets:
        raise RequestError(401, *UNAUTHORIZED)
    body = json_body(request)
    state.events.append({"headers": dict(request.headers), "body": body})
    return ok(None)
