"""Success and failure elements of the processor and router answers
(docs/wire-protocol.md#processor-transform, #router-transform)."""

from __future__ import annotations

from typing import Any

from ..jsvalues import MISSING, text
from .destination import DeliveryRequest
from .errors import TransformError
from .jsonio import RawJSON

_EMPTY_BODIES = ("JSON_ARRAY", "XML", "FORM")


def rest_request(request: DeliveryRequest, *, with_user_id: bool) -> dict[str, Any]:
    body = {"JSON": request.json_body}
    for name in _EMPTY_BODIES:
        body[name] = {}
    wire = {
        "version": "1",
        "type": "REST",
        "method": request.method,
        "endpoint": request.endpoint,
        "headers": request.headers,
        "params": {},
        "body": body,
        "files": {},
    }
    if with_user_id:
        wire["userId"] = ""
    return wire


def context_tags(dest_type: str, feature: str, metadata: Any) -> dict[str, str]:
    tags = {
        "destType": dest_type.upper(),
        "module": "destination",
        "implementation": "native",
        "feature": feature,
    }
    if isinstance(metadata, RawJSON):
        metadata = metadata.value()
    if isinstance(metadata, dict):
        for key in ("destinationId", "workspaceId"):
            value = metadata.get(key)
            if value is not None:
                # rudder-server decodes statTags as map[string]string.
                tags[key] = text(value)
    return tags


def processor_success(request: DeliveryRequest, metadata: Any) -> dict[str, Any]:
    element: dict[str, Any] = {"output": rest_request(request, with_user_id=True)}
    if metadata is not MISSING:
        element["metadata"] = metadata
    element["statusCode"] = 200
    return element


def processor_failure(error: TransformError, metadata: Any, dest_type: str) -> dict[str, Any]:
    element: dict[str, Any] = {}
    if metadata is not MISSING:
        element["metadata"] = metadata
    element["statusCode"] = error.status
    element["error"] = error.message
    # docs/wire-protocol.md#processor-transform: processor faults carry only their own tags.
    tags = error.tags if error.is_fault else {**error.tags, **context_tags(dest_type, "processor", metadata)}
    element["statTags"] = tags
    return element


def router_metadata(metadata: Any) -> list[Any]:
    return [metadata if metadata is not MISSING else {}]


def router_success(
    request: DeliveryRequest | dict[str, Any], metadata: Any, destination: Any
) -> dict[str, Any]:
    batched = request if isinstance(request, dict) else rest_request(request, with_user_id=False)
    return {
        "batchedRequest": batched,
        "metadata": router_metadata(metadata),
        "batched": False,
        "statusCode": 200,
        "destination": destination,
    }


def router_failure(
    error: TransformError, metadata: Any, destination: Any, group_tags: dict[str, str]
) -> dict[str, Any]:
    return {
        "metadata": router_metadata(metadata),
        "batched": False,
        "statusCode": error.status,
        "error": error.message,
        "statTags": {**error.tags, **group_tags},
        "destination": destination,
    }
