"""track → Events framework POST (docs/mapping.md#track)."""

from __future__ import annotations

from typing import Any

from ..jsvalues import MISSING, is_truthy, text
from ..rudder.destination import DeliveryRequest
from ..rudder.errors import ConfigurationError, InstrumentationError
from .config import GainsightConfig
from .fields import NO_EXCLUSIONS, TRACK_ROOTS
from .headers import JSON_CONTENT_TYPE, header_text
from .mapping import add_custom_fields

EVENTS_PATH = "/v1.0/api/eventManager/event"
CONTRACT_ID_TYPE = "gainsightEventContractId"
REQUIRED_SETTINGS = (
    ("shared_secret", "sharedSecret"),
    ("topic_name", "topicName"),
    ("tenant_id", "tenantId"),
)


def contract_id(message: dict[str, Any], config: GainsightConfig) -> Any:
    """The first matching external id wins over Config.contractId."""
    context = message.get("context")
    external_ids = context.get("externalId") if isinstance(context, dict) else None
    if isinstance(external_ids, list):
        for external_id in external_ids:
            if isinstance(external_id, dict) and external_id.get("type") == CONTRACT_ID_TYPE:
                found = external_id.get("id", MISSING)
                if is_truthy(found):
                    return found
                break
    return config.contract_id


def track(message: dict[str, Any], config: GainsightConfig) -> DeliveryRequest:
    event = message.get("event", MISSING)
    if not is_truthy(event):
        raise InstrumentationError("event name is required for track")
    for attribute, key in REQUIRED_SETTINGS:
        if not is_truthy(getattr(config, attribute)):
            raise ConfigurationError(f"{key} is required for track")
    # docs/divergences.md (4): only the map's own keys, by the event's exact text.
    event_text = text(event)
    event_name = config.event_name_map.get(event_text, MISSING)
    if not is_truthy(event_name):
        raise ConfigurationError(f"Event name mapping not provided for {event_text}")
    event_version = config.event_version_map.get(event_text, MISSING)
    if not is_truthy(event_version):
        raise ConfigurationError(f"event version mapping not provided for {event_text}")

    headers = {
        "sharedSecret": header_text(config.shared_secret),
        "topicName": header_text(config.topic_name),
        "tenantId": header_text(config.tenant_id),
        "Content-Type": JSON_CONTENT_TYPE,
        "eventName": header_text(event_name),
        "eventVersion": header_text(event_version),
    }
    contract = contract_id(message, config)
    if is_truthy(contract):
        headers["contractId"] = header_text(contract)
    if is_truthy(config.access_key):
        headers["Accesskey"] = header_text(config.access_key)

    body: dict[str, Any] = {}
    add_custom_fields(body, message, TRACK_ROOTS, NO_EXCLUSIONS)
    return DeliveryRequest("POST", config.base_url() + EVENTS_PATH, headers, body)
