"""Expansion of `X-Content-Format: json+compactedv1` bodies (docs/wire-protocol.md#compacted-payloads)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..jsvalues import MISSING, text
from .errors import InstrumentationError, RequestError, TransformError

CONTENT_FORMAT_HEADER = "x-content-format"
COMPACTED_V1 = "json+compactedv1"


def is_compacted(headers: Mapping[str, str]) -> bool:
    return headers.get(CONTENT_FORMAT_HEADER) == COMPACTED_V1


def _lookup_table(body: dict[str, Any], key: str) -> dict[str, Any]:
    table = body.get(key)
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise RequestError(f"compacted payload: '{key}' must be an object")
    return table


def expand(body: Any) -> tuple[list[Any], dict[int, TransformError]]:
    """Elements with `destination` and `connection` filled in, and per-element errors.

    An element whose destination cannot be found gets its own error instead of failing the
    whole request as the original does; a missing connection is tolerated (Gainsight never
    reads it).
    """
    if not isinstance(body, dict) or not isinstance(body.get("input"), list):
        raise RequestError("compacted payload must be an object with an 'input' array")
    destinations = _lookup_table(body, "destinations")
    connections = _lookup_table(body, "connections")
    elements: list[Any] = []
    errors: dict[int, TransformError] = {}
    for index, element in enumerate(body["input"]):
        if not isinstance(element, dict):
            elements.append(element)
            continue
        metadata = element.get("metadata")
        if not isinstance(metadata, dict):
            errors[index] = InstrumentationError(
                "metadata with a destinationId is required in a compacted payload"
            )
            elements.append(element)
            continue
        destination_id = text(metadata.get("destinationId", MISSING))
        destination = destinations.get(destination_id)
        if destination is None:
            errors[index] = InstrumentationError(f"no destination found for id {destination_id}")
            elements.append(element)
            continue
        expanded = {**element, "destination": destination}
        connection_key = f"{text(metadata.get('sourceId', MISSING))}:{destination_id}"
        connection = connections.get(connection_key)
        if connection is not None:
            expanded["connection"] = connection
        elements.append(expanded)
    return elements, errors
