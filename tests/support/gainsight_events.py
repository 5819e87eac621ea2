"""Builders shared by the Gainsight unit tests: events, configs and whole expected elements."""

from __future__ import annotations

import copy
from typing import Any

from .builders import COMPANY_URL as COMPANY_URL  # re-exported for the Gainsight tests
from .builders import DOMAIN, PROCESSOR, ROUTER, gainsight_destination
from .builders import EVENTS_URL as EVENTS_URL
from .builders import PEOPLE_URL as PEOPLE_URL
from .builders import SEARCH_URL as SEARCH_URL

ACCESS_KEY = "access-key-1"
PROCESSOR_PATH = PROCESSOR
ROUTER_PATH = ROUTER
METADATA = {"jobId": 7, "destinationId": "dest-1", "workspaceId": "ws-1", "sourceId": "src-1"}
PERSON_HEADERS = {"Accesskey": ACCESS_KEY, "Content-Type": "application/json"}


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP = _Drop()
"""Override value that leaves the key out altogether."""


def config(**overrides: Any) -> dict[str, Any]:
    """A complete Gainsight Config; `key=DROP` removes a key."""
    base: dict[str, Any] = {
        "accessKey": ACCESS_KEY,
        "domain": DOMAIN,
        "sharedSecret": "shared-secret",
        "topicName": "Ticket Actions",
        "tenantId": "tenant-1",
        "personMap": [],
        "companyMap": [],
        "eventNameMap": [{"from": "Ticket Resolved", "to": "Ticket Resolved Event"}],
        "eventVersionMap": [{"from": "Ticket Resolved", "to": "1.0.0"}],
    }
    for key, value in overrides.items():
        if value is DROP:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def destination(cfg: dict[str, Any] | None = None) -> dict[str, Any]:
    return gainsight_destination(config() if cfg is None else cfg, display_name="Gainsight CS")


def element(
    message: dict[str, Any], cfg: dict[str, Any] | None = None, metadata: Any = DROP
) -> dict[str, Any]:
    item = {
        "message": message,
        "metadata": copy.deepcopy(METADATA) if metadata is DROP else metadata,
        "destination": destination(cfg),
    }
    return item


def identify_message(traits: dict[str, Any] | None = None, context_traits: Any = DROP) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "identify", "userId": "u1", "traits": traits or {}}
    if context_traits is not DROP:
        message["context"] = {"traits": context_traits}
    return message


def group_message(traits: Any, email: Any = "user@acme.com") -> dict[str, Any]:
    return {"type": "group", "userId": "u1", "traits": traits, "context": {"traits": {"email": email}}}


def track_message(event: Any = "Ticket Resolved", properties: Any = DROP, **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "track", "userId": "u1"}
    if event is not DROP:
        message["event"] = event
    if properties is not DROP:
        message["properties"] = properties
    message.update(extra)
    return message


def post_processor(
    client, elements: list[dict[str, Any]], path: str = PROCESSOR_PATH
) -> list[dict[str, Any]]:
    response = client.post(path, json=elements)
    assert response.status_code == 200, response.text
    assert response.headers["apiversion"] == "2"
    return response.json()


def process_one(client, message: dict[str, Any], cfg: dict[str, Any] | None = None) -> dict[str, Any]:
    (answer,) = post_processor(client, [element(message, cfg)])
    return answer


def rest_output(method: str, endpoint: str, headers: dict[str, Any], body: Any) -> dict[str, Any]:
    """The processor route's `output` (CONTRACT §2)."""
    return {
        "version": "1",
        "type": "REST",
        "method": method,
        "endpoint": endpoint,
        "headers": headers,
        "params": {},
        "body": {"JSON": body, "JSON_ARRAY": {}, "XML": {}, "FORM": {}},
        "files": {},
        "userId": "",
    }


def success(output: dict[str, Any], metadata: Any = DROP) -> dict[str, Any]:
    return {"output": output, "metadata": METADATA if metadata is DROP else metadata, "statusCode": 200}


def context_tags(feature: str = "processor") -> dict[str, str]:
    return {
        "destType": "GAINSIGHT",
        "module": "destination",
        "implementation": "native",
        "feature": feature,
        "destinationId": METADATA["destinationId"],
        "workspaceId": METADATA["workspaceId"],
    }


def failure(status: int, error: str, category: str, error_type: str | None) -> dict[str, Any]:
    """A processor failure element with the full statTags (CONTRACT §1.3)."""
    tags = {"errorCategory": category}
    if error_type is not None:
        tags["errorType"] = error_type
        tags.update(context_tags())
    return {"metadata": METADATA, "statusCode": status, "error": error, "statTags": tags}


def fault(error: str) -> dict[str, Any]:
    """A processor runtime fault: only {"errorCategory": "transformation"} (CONTRACT §1.3)."""
    return failure(500, error, "transformation", None)


def set_in(target: dict[str, Any], path: str, value: Any) -> None:
    """Write `value` at a dotted path of plain dicts (test-input builder)."""
    *parents, last = path.split(".")
    node = target
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


async def group_alone(message: dict[str, Any], config: Any, api: Any) -> Any:
    """One group event on its own, the original's way: checks, a search, a create or update, and
    the person update (the service resolves a request's group events together instead)."""
    from gainsight_transformer.gainsight.group import check_group, group_output, resolve_company

    name, email = check_group(message, config)
    return group_output(config, email, await resolve_company(message, config, api, name))
