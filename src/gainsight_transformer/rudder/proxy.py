"""Delivery proxy: make the call a transformed request describes and classify the answer
(docs/wire-protocol.md#delivery-proxy)."""

from __future__ import annotations

import gzip
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from ..jsvalues import json_text, text
from .destination import Destination
from .egress import EgressPolicy, EgressRefused
from .errors import ConfigurationError, RequestError, network_error_type
from .jsonio import dumps
from .outbound import Answer, CallLabels, send

USER_AGENT = "RudderLabs"
UNKNOWN_ID = "Non-determininable"  # sic: the original's spelling
_BODY_FORMATS = ("JSON", "JSON_ARRAY", "XML", "FORM", "GZIP")
_METHOD = re.compile(r"[A-Za-z]{1,20}")


def _is_empty(value: Any) -> bool:
    """lodash `isEmpty`: only a non-empty object, array or string counts
    (docs/wire-protocol.md#delivery-proxy)."""
    return not value if isinstance(value, (dict, list, str)) else True


def _form_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ",".join(text(item) for item in value) + "]"
    if isinstance(value, dict):
        return json_text(value)
    return text(value)


def request_body(body: Any) -> tuple[bytes | None, dict[str, str]]:
    """The last non-empty entry of `body` decides the format; all empty → no body."""
    chosen: tuple[str, Any] | None = None
    if isinstance(body, dict):
        for name, value in body.items():
            if name in _BODY_FORMATS and not _is_empty(value):
                chosen = (name, value)
    if chosen is None:
        return None, {}
    name, value = chosen
    if name == "JSON":
        return dumps(value), {}
    if name == "FORM":
        pairs = value.items() if isinstance(value, dict) else []
        return urlencode([(key, _form_value(item)) for key, item in pairs]).encode(), {}
    member = "batch" if name == "JSON_ARRAY" else "payload"
    payload = value.get(member) if isinstance(value, dict) else value
    if payload is None:  # no `batch` / `payload` member: axios is given no data, sends no body
        return None, {}
    raw = payload if isinstance(payload, str) else dumps(payload).decode()
    if name == "GZIP":
        return gzip.compress(_utf8(raw)), {"Content-Encoding": "gzip"}
    return _utf8(raw), {}


def _utf8(text: str) -> bytes:
    """UTF-8 of a JS string: a lone surrogate becomes U+FFFD, as Node's Buffer.from does."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode()


def outgoing_headers(headers: Any, extra: dict[str, str]) -> dict[str, str]:
    result = {
        str(name): text(value)
        for name, value in (headers.items() if isinstance(headers, dict) else ())
        if str(name).lower() != "user-agent"
    }
    result.update(extra)
    result["User-Agent"] = USER_AGENT
    return result


def _param_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json_text(value) if isinstance(value, dict) else text(value)


def _params(params: Any) -> dict[str, str] | None:
    if not isinstance(params, dict) or not params:
        return None
    return {str(key): _param_text(value) for key, value in params.items()}


def stat_tags(error_type: str, category: str, dest_type: str, metadata: Any) -> dict[str, str]:
    first = metadata[0] if isinstance(metadata, list) and metadata else metadata
    first = first if isinstance(first, dict) else {}
    return {
        "errorCategory": category,
        "errorType": error_type,
        "destType": dest_type.upper(),
        "module": "destination",
        "implementation": "native",
        "feature": "dataDelivery",
        "destinationId": text(first.get("destinationId") or UNKNOWN_ID),
        "workspaceId": text(first.get("workspaceId") or UNKNOWN_ID),
    }


async def deliver(
    body: Any, handler: Destination, http: httpx.AsyncClient, egress: EgressPolicy
) -> Answer | ConfigurationError:
    """Send the described request; a target the SSRF guard refuses never leaves the process."""
    if not isinstance(body, dict):
        raise RequestError("proxy request body must be an object")
    endpoint = body.get("endpoint")
    method = body.get("method") or "GET"
    try:
        egress.check_url(endpoint, handler.delivery_paths)
        assert isinstance(endpoint, str)  # check_url refuses anything else
        if not isinstance(method, str) or not _METHOD.fullmatch(method):
            # Per job, like a refused target: a whole-request 400 has no `output`, which
            # rudder-server would retry as a 500.
            shown = method if isinstance(method, str) else json_text(method)
            return ConfigurationError(f"method must be an HTTP method name, got {shown[:40]}")
        content, extra_headers = request_body(body.get("body"))
        headers = outgoing_headers(body.get("headers"), extra_headers)
        labels = CallLabels(
            feature="proxy", endpoint_path=urlsplit(endpoint).path, dest_type=handler.definition_name
        )
        paths = handler.delivery_paths
        return await send(
            http,
            method.upper(),
            endpoint,
            headers,
            content,
            _params(body.get("params")),
            labels=labels,
            check_hop=lambda hop: egress.check_url(hop, paths),
        )
    except EgressRefused as exc:
        return ConfigurationError(exc.message)


def _messages(dest_type: str, status: int) -> str:
    if 200 <= status <= 299:
        return f"[Generic Response Handler] Request for destination: {dest_type} Processed Successfully"
    return f"[Generic Response Handler] Request failed for destination {dest_type} with status: {status}"


def v0_answer(
    result: Answer | ConfigurationError, dest_type: str, metadata: Any
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): the status is the destination's (2xx → 200, 404 → 400)."""
    if isinstance(result, ConfigurationError):
        status = result.status
        output: dict[str, Any] = {
            "status": status,
            "message": result.message,
            "destinationResponse": {"response": result.message, "status": status},
            "statTags": stat_tags("configuration", "dataValidation", dest_type, metadata),
        }
        return status, {"output": output}
    output = {
        "status": result.status,
        "message": _messages(dest_type, result.status),
        "destinationResponse": result.destination_response(),
    }
    if result.ok:
        return 200, {"output": output}
    output["statTags"] = stat_tags(network_error_type(result.status), "network", dest_type, metadata)
    return (400 if result.status == 404 else result.status), {"output": output}


def v1_answer(result: Answer | ConfigurationError, dest_type: str, metadata: list[Any]) -> dict[str, Any]:
    """Always HTTP 200; one response entry per job, matched by rudder-server through jobId."""
    if isinstance(result, ConfigurationError):
        status, error, message = result.status, json_text(result.message), result.message
        tags: dict[str, str] | None = stat_tags("configuration", "dataValidation", dest_type, metadata)
    else:
        status, error, message = result.status, json_text(result.body), _messages(dest_type, result.status)
        tags = None if result.ok else stat_tags(network_error_type(status), "network", dest_type, metadata)
    output: dict[str, Any] = {
        "response": [{"error": error, "statusCode": status, "metadata": item} for item in metadata],
        "status": status,
        "message": message,
    }
    if tags is not None:
        output["statTags"] = tags
    return {"output": output}
