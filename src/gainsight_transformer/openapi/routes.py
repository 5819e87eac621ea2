"""The OpenAPI arguments of each route's decorator: summary, description, body and answers.

Documentation only. The transform and proxy routes read their raw bodies themselves (no model
validation on the hot path), so request bodies reach the schema through `openapi_extra`, never
through a body parameter.
"""

from __future__ import annotations

from typing import Any

from .examples import (
    FEATURES,
    HEALTH,
    HEALTH_WITH_REDIS_DOWN,
    HEALTH_WITH_UPSTREAM,
    MERGED_FEATURES,
    PROCESSOR_ANSWER,
    PROCESSOR_COMPACTED,
    PROCESSOR_COMPACTED_ANSWER,
    PROCESSOR_EVENTS,
    PROXY_V0_ANSWER,
    PROXY_V0_REFUSED,
    PROXY_V0_REFUSED_REQUEST,
    PROXY_V0_REQUEST,
    PROXY_V0_SERVER_ERROR,
    PROXY_V0_THROTTLED,
    PROXY_V1_ANSWER,
    PROXY_V1_FAILED,
    PROXY_V1_REQUEST,
    ROUTER_ANSWER,
    ROUTER_COMPACTED,
    ROUTER_COMPACTED_ANSWER,
    ROUTER_EVENTS,
)
from .schemas import (
    ERROR_SCHEMA,
    FEATURES_SCHEMA,
    HEALTH_SCHEMA,
    PROCESSOR_ANSWER_SCHEMA,
    PROCESSOR_REQUEST_SCHEMA,
    PROXY_V0_ANSWER_SCHEMA,
    PROXY_V0_REQUEST_SCHEMA,
    PROXY_V1_ANSWER_SCHEMA,
    PROXY_V1_REQUEST_SCHEMA,
    ROUTER_ANSWER_SCHEMA,
    ROUTER_REQUEST_SCHEMA,
    STRING,
)

# --- decorator arguments of the routes ----------------------------------------------------------


def _json(schema: dict[str, Any], examples: dict[str, tuple[str, Any]]) -> dict[str, Any]:
    named = {name: {"summary": summary, "value": value} for name, (summary, value) in examples.items()}
    return {"application/json": {"schema": schema, "examples": named}}


def _errors(description: str, *texts: str) -> dict[str, Any]:
    examples = {f"error{i}": (text, {"error": text}) for i, text in enumerate(texts, 1)}
    return {"description": description, "content": _json(ERROR_SCHEMA, examples)}


API_VERSION_HEADER = {
    "apiVersion": {
        "description": "Always `2`; rudder-server refuses a transform answer without it.",
        "schema": {"type": "string", "const": "2"},
    }
}
CONTENT_FORMAT_PARAMETER = {
    "name": "X-Content-Format",
    "in": "header",
    "required": False,
    "description": "Exactly `json+compactedv1` selects the compacted body (destinations sent once, "
    "not per event), which rudder-server uses once `/features` allows it.",
    "schema": {"type": "string", "enum": ["json+compactedv1"]},
}
NOT_JSON = "invalid JSON, only supports object and array"
UNKNOWN_DESTINATION = "Unknown destination: mailchimp"
TOO_LARGE = "request entity too large"
BAD_ENCODING = "unsupported Content-Encoding: br"
INTERNAL_ERROR = "internal error (RuntimeError)"
PROXY_NOT_OBJECT = "proxy request body must be an object describing the request"
V1_METADATA_NOT_ARRAY = "metadata must be an array of job metadata on the v1 proxy route"
REQUEST_ERRORS = {
    404: _errors("`{destination}` (or `destType`) is not `gainsight`.", UNKNOWN_DESTINATION),
    413: _errors(
        "The body, after gzip/deflate inflation, is larger than `MAX_BODY_BYTES` (proxy routes: "
        "`MAX_PROXY_BODY_BYTES`).",
        TOO_LARGE,
    ),
    415: _errors("`Content-Encoding` other than gzip, deflate or identity.", BAD_ENCODING),
    500: _errors("A fault of this service; rudder-server retries the request.", INTERNAL_ERROR),
}
# Without a 4XX entry FastAPI would advertise a 422 this service never sends.
OTHER_CLIENT_ERRORS = {"4XX": _errors("Every request-level 4xx answer is this envelope.", NOT_JSON)}


def _request_body(schema: dict[str, Any], examples: dict[str, tuple[str, Any]]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": _json(schema, examples)}}


Examples = dict[str, tuple[str, Any]]


def _answer(
    description: str, schema: dict[str, Any], examples: Examples, *, api_version: bool = False
) -> dict[str, Any]:
    """One documented answer; transform and delivery answers carry the `apiVersion` header."""
    answer: dict[str, Any] = {"description": description}
    if api_version:
        answer["headers"] = API_VERSION_HEADER
    answer["content"] = _json(schema, examples)
    return answer


def _route(
    summary: str,
    tag: str,
    description: str,
    responses: dict[Any, Any],
    request: tuple[dict[str, Any], Examples] | None = None,
    *,
    compacted: bool = False,
) -> dict[str, Any]:
    """A route decorator's OpenAPI arguments; `compacted` routes document the X-Content-Format header."""
    route: dict[str, Any] = {"summary": summary, "tags": [tag], "description": description}
    route["responses"] = responses
    if request is not None:
        body = _request_body(*request)
        route["openapi_extra"] = {"parameters": [CONTENT_FORMAT_PARAMETER], **body} if compacted else body
    return route


PROCESSOR_ROUTE = _route(
    "Processor transform",
    "transform",
    "rudder-server's processor path: each event becomes the Gainsight call that "
    "delivers it (identify → Person upsert, group → Company search and create or update, then a "
    "Person link, track → Events framework). `{destination}` must be `gainsight` (any case).\n\n"
    "Per-event problems are elements with their own `statusCode`, `error` and `statTags` inside a "
    '200 answer; only a malformed request as a whole gets an `{"error": ...}` answer.',
    {
        200: _answer(
            "One element per event, in input order.",
            PROCESSOR_ANSWER_SCHEMA,
            {
                "events": ("identify, group, track and an unsupported page event", PROCESSOR_ANSWER),
                "compacted": ("the answer to the compacted request", PROCESSOR_COMPACTED_ANSWER),
            },
            api_version=True,
        ),
        400: _errors(
            "Not JSON, not a non-empty array (or compacted object), or a `__proto__` key.", NOT_JSON
        ),
        **REQUEST_ERRORS,
        **OTHER_CLIENT_ERRORS,
    },
    (
        PROCESSOR_REQUEST_SCHEMA,
        {
            "events": ("identify, group, track and an unsupported page event", PROCESSOR_EVENTS),
            "compacted": ("compacted: send with X-Content-Format: json+compactedv1", PROCESSOR_COMPACTED),
        },
    ),
    compacted=True,
)

ROUTER_ROUTE = _route(
    "Router transform",
    "transform",
    "rudder-server's router path (the one `/features` selects for Gainsight): the "
    'same transformation as the processor route, answered as `{"output": [...]}` with the '
    "destination echoed and `metadata` as an array. An empty or missing `input` gives one "
    "`Invalid event array` element.",
    {
        200: _answer(
            "One output element per event; every input jobId appears exactly once.",
            ROUTER_ANSWER_SCHEMA,
            {
                "events": ("identify, track and a track without an event mapping", ROUTER_ANSWER),
                "compacted": ("the answer to the compacted group event", ROUTER_COMPACTED_ANSWER),
            },
            api_version=True,
        ),
        400: _errors("Not JSON, not an object, no `destType`, or a `__proto__` key.", "destType is required"),
        **REQUEST_ERRORS,
    },
    (
        ROUTER_REQUEST_SCHEMA,
        {
            "events": ("identify, track and a track without an event mapping", ROUTER_EVENTS),
            "compacted": (
                "compacted group event: send with X-Content-Format: json+compactedv1",
                ROUTER_COMPACTED,
            ),
        },
    ),
    compacted=True,
)

_PROXY_DESCRIPTION = (
    "Makes the HTTP call a transformed request describes (`method`, `endpoint`, `headers`, "
    "`params`, `body`) and reports Gainsight's answer. The endpoint must be https on an allowed "
    "host and one of the Gainsight API paths this service builds; a refused target never leaves "
    "the process and is a configuration error (400)."
)
_ANSWER_OR_ERROR = {"anyOf": [PROXY_V0_ANSWER_SCHEMA, ERROR_SCHEMA]}
PROXY_V0_ROUTE = _route(
    "Delivery proxy, one job",
    "delivery",
    _PROXY_DESCRIPTION + " The HTTP status is the destination's: 2xx → 200, 404 → 400, "
    "anything else as Gainsight answered it (or 500 for a transport failure).",
    {
        200: _answer(
            "Gainsight accepted the call.",
            PROXY_V0_ANSWER_SCHEMA,
            {"delivered": ("person upserted", PROXY_V0_ANSWER)},
            api_version=True,
        ),
        400: _answer(
            "A refused target, Gainsight answered 400 or 404, or a malformed request.",
            _ANSWER_OR_ERROR,
            {
                "refused": ("a target the SSRF guard refuses", PROXY_V0_REFUSED),
                "malformed": ("the body is not an object", {"error": PROXY_NOT_OBJECT}),
            },
        ),
        **REQUEST_ERRORS,
        500: _answer(
            "Gainsight answered 5xx or could not be reached (retryable), or a fault of this service.",
            _ANSWER_OR_ERROR,
            {
                "gainsight": ("Gainsight answered 500", PROXY_V0_SERVER_ERROR),
                "fault": ("a fault of this service", {"error": INTERNAL_ERROR}),
            },
        ),
        "default": _answer(
            "Gainsight's own failure status (429 throttled, 5xx retryable, other aborted).",
            PROXY_V0_ANSWER_SCHEMA,
            {"throttled": ("Gainsight answered 429", PROXY_V0_THROTTLED)},
            api_version=True,
        ),
    },
    (
        PROXY_V0_REQUEST_SCHEMA,
        {
            "person": ("the identify delivery of the processor example", PROXY_V0_REQUEST),
            "refused": ("a target outside Gainsight", PROXY_V0_REFUSED_REQUEST),
        },
    ),
)
PROXY_V1_ROUTE = _route(
    "Delivery proxy, several jobs",
    "delivery",
    _PROXY_DESCRIPTION + " Always 200: the outcome is per job, one `response` entry per `metadata` entry.",
    {
        200: _answer(
            "One response entry per job, matched by rudder-server through `jobId`.",
            PROXY_V1_ANSWER_SCHEMA,
            {
                "delivered": ("event published", PROXY_V1_ANSWER),
                "failed": ("Gainsight answered 500: retryable", PROXY_V1_FAILED),
            },
            api_version=True,
        ),
        400: _errors("The body is not an object or `metadata` is not an array.", V1_METADATA_NOT_ARRAY),
        **REQUEST_ERRORS,
        **OTHER_CLIENT_ERRORS,
    },
    (PROXY_V1_REQUEST_SCHEMA, {"event": ("the track delivery for two jobs", PROXY_V1_REQUEST)}),
)

FEATURES_ROUTE = _route(
    "Capabilities",
    "service",
    "Read by rudder-server at start-up and every 10 s: Gainsight transforms at the "
    "router, the v1 proxy and compacted payloads are supported. With UPSTREAM_TRANSFORMER_URL, the "
    "upstream's document merged with ours: our destinations added to `routerTransform`, each protocol "
    "flag true only where both support it, everything else the upstream's.",
    {
        200: _answer(
            "The capability document.",
            FEATURES_SCHEMA,
            {
                "features": ("what this service advertises alone", FEATURES),
                "merged": ("merged with an upstream transformer's document", MERGED_FEATURES),
            },
        ),
        503: _errors(
            "Only with UPSTREAM_TRANSFORMER_URL, until the upstream transformer has answered /features once.",
            "the upstream transformer http://rudder-transformer:9090 has not answered /features yet "
            "(cannot connect: Connect call failed ('10.96.0.12', 9090)); try again",
        ),
    },
)
#: For `/health`, declared in app.py: `@app.api_route("/health", methods=[...], **HEALTH_ROUTE)`.
HEALTH_ROUTE = _route(
    "Liveness",
    "service",
    "For container health checks; rudder-server does not call it.",
    {
        200: _answer(
            "`gitCommitSha` only when `GIT_COMMIT_SHA` is set.",
            HEALTH_SCHEMA,
            {
                "up": ("a build with GIT_COMMIT_SHA set", HEALTH),
                "upstream": ("with UPSTREAM_TRANSFORMER_URL set", HEALTH_WITH_UPSTREAM),
                "redisDown": ("with REDIS_URL set while Redis does not answer", HEALTH_WITH_REDIS_DOWN),
            },
        )
    },
)
METRICS_EXCERPT = "\n".join(
    [
        "# HELP gainsight_transformer_events_total Events transformed, by feature (processor/router), "
        "message type, statusCode and errorType.",
        "# TYPE gainsight_transformer_events_total counter",
        'gainsight_transformer_events_total{errorType="none",feature="router",messageType="identify",'
        'statusCode="200"} 12.0',
        'gainsight_transformer_events_total{errorType="configuration",feature="router",messageType="track",'
        'statusCode="400"} 1.0',
        "# HELP outgoing_request_count Calls to Gainsight (as the original's), by feature, endpoint "
        "path, method and answer status.",
        "# TYPE outgoing_request_count untyped",
        'outgoing_request_count{destType="GAINSIGHT",endpointPath="/v1.0/api/people",feature="proxy",'
        'requestMethod="PUT",statusCode="200",success="true"} 12.0',
        "",
    ]
)
#: For `/metrics`, declared in app.py: `@app.get("/metrics", response_class=..., **METRICS_ROUTE)`.
METRICS_ROUTE = _route(
    "Prometheus metrics",
    "service",
    "Prometheus text exposition of this process: HTTP requests, events, Gainsight "
    "calls, the company cache and process figures.",
    {
        200: {
            "description": "The exposition (an excerpt in the example).",
            "content": {
                "text/plain": {
                    "schema": STRING,
                    "examples": {"excerpt": {"summary": "two of the families", "value": METRICS_EXCERPT}},
                }
            },
        }
    },
)
