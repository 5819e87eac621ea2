"""The Person upsert request that identify and group both end with
(docs/wire-protocol.md#output-envelope)."""

from __future__ import annotations

from typing import Any

from ..rudder.destination import DeliveryRequest
from .config import GainsightConfig
from .headers import JSON_CONTENT_TYPE, header_text

PEOPLE_PATH = "/v1.0/api/people"


def person_upsert(config: GainsightConfig, payload: dict[str, Any]) -> DeliveryRequest:
    target = config.person_target
    if target is None:
        # The same for every event of this config; the answer only reads the headers.
        headers = {"Accesskey": header_text(config.access_key), "Content-Type": JSON_CONTENT_TYPE}
        target = config.person_target = (config.base_url() + PEOPLE_PATH, headers)
    endpoint, headers = target
    return DeliveryRequest(method="PUT", endpoint=endpoint, headers=headers, json_body=payload)
