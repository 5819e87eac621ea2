"""Success and failure elements of the processor and router answers
(docs/wire-protocol.md#processor-transform, #router-transform).

The answers are built by the `*_into` functions, which append an element's JSON text in pieces.
A success element is assembled from bytes: its request's constant part (version, type, method,
endpoint, headers, params), serialised once per distinct (method, endpoint, headers), then the
body, the metadata as received and the fixed tail. `processor_success` and `router_success` are
the same elements as dicts: the readable definition of their shape, which tests hold the bytes
to (tests/rudder/test_envelope.py); the router still uses the dict form for a message it passes
through."""

from __future__ import annotations

from typing import Any

from ..jsvalues import MISSING, text
from .destination import DeliveryRequest
from .errors import TransformError
from .jsonio import RawJSON, dumps

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


_HEADS: dict[tuple[Any, ...], bytes] = {}
_MAX_HEADS = 4096
"""Distinct (method, endpoint, headers) kept; a track header may carry a per-user contract id,
so the table is emptied when full rather than allowed to grow."""
_BODY_TAIL = b',"JSON_ARRAY":{},"XML":{},"FORM":{}},"files":{}'
_PROCESSOR_TAIL = _BODY_TAIL + b',"userId":""}'
_ROUTER_MIDDLE = _BODY_TAIL + b'},"metadata":['
_ROUTER_TAIL = b'],"batched":false,"statusCode":200,"destination":'


def _request_head(request: DeliveryRequest) -> bytes:
    """`rest_request` serialised up to the body's JSON value."""
    try:
        key = (request.method, request.endpoint, *request.headers.items())
        head = _HEADS.get(key)
    except TypeError:  # a value that cannot be a key: serialise it every time
        key, head = None, None
    if head is None:
        head = (
            b'{"version":"1","type":"REST","method":' + dumps(request.method)
            + b',"endpoint":' + dumps(request.endpoint)
            + b',"headers":' + dumps(request.headers)
            + b',"params":{},"body":{"JSON":'
        )  # fmt: skip
        if key is not None:
            if len(_HEADS) >= _MAX_HEADS:
                _HEADS.clear()
            _HEADS[key] = head
    return head


def _text(value: Any) -> bytes:
    return value.data if isinstance(value, RawJSON) else dumps(value)


def processor_success_into(out: list[bytes], request: DeliveryRequest, metadata: Any) -> None:
    """Append the pieces of a processor success element to `out`."""
    out += (b'{"output":', _request_head(request), dumps(request.json_body), _PROCESSOR_TAIL)
    if metadata is not MISSING:
        out += (b',"metadata":', _text(metadata))
    out.append(b',"statusCode":200}')


def router_success_into(
    out: list[bytes], request: DeliveryRequest | dict[str, Any], metadata: Any, destination: Any
) -> None:
    """Append the pieces of a router success element to `out`."""
    if isinstance(request, dict):  # a message passed through
        out.append(dumps(router_success(request, metadata, destination)))
        return
    out += (
        b'{"batchedRequest":', _request_head(request), dumps(request.json_body), _ROUTER_MIDDLE,
        b"{}" if metadata is MISSING else _text(metadata), _ROUTER_TAIL, _text(destination), b"}",
    )  # fmt: skip
