"""OpenAPI documentation of the routes: JSON schemas, realistic examples, decorator arguments.

Documentation only. The transform and proxy routes read their raw bodies themselves (no model
validation on the hot path), so request bodies reach the schema through `openapi_extra`, never
through a body parameter. Examples are what the service answers to the example requests when
Gainsight answers as `GAINSIGHT_ANSWERS` says; tests/api holds them to that.
"""

from __future__ import annotations

from typing import Any

from ..jsvalues import json_text

# --- example values: a fictitious tenant, obviously fake secrets --------------------------------

DOMAIN = "acme.gainsightcloud.com"
ACCESS_KEY = "YOUR_ACCESS_KEY"
SHARED_SECRET = "YOUR_SHARED_SECRET"
DESTINATION_ID = "2fGainsightDestination01"
SOURCE_ID = "2fJavascriptSource00001"
WORKSPACE_ID = "2fWorkspace000000000001"
COMPANY_GSID = "1P0203VCESP7AUQMV9EXAMPLE0001"
REQUEST_ID = "8c1a7e2b-5d4f-4b6a-9e3c-2f1d0a9b8c7d"

# --- schemas ------------------------------------------------------------------------------------

STRING = {"type": "string"}
OBJECT = {"type": "object"}
ECHOED = {"description": "The input `metadata`, exactly as received."}
FIELD_MAP = {
    "type": "array",
    "items": {"type": "object", "properties": {"from": STRING, "to": STRING}},
}

CONFIG_SCHEMA = {
    "type": "object",
    "description": "The destination's Gainsight settings. String values may be dynamic templates "
    'such as `{{ event.traits.key || "default" }}`.',
    "properties": {
        "domain": {**STRING, "description": "Tenant host, optionally `:port`; no scheme, no path."},
        "accessKey": {**STRING, "description": "Gainsight access key; required by identify and group."},
        "sharedSecret": {**STRING, "description": "Events framework secret; required by track."},
        "topicName": {**STRING, "description": "Events topic; required by track."},
        "tenantId": {**STRING, "description": "Tenant id; required by track."},
        "contractId": {**STRING, "description": "Fallback `contractId` header of track events."},
        "personMap": {**FIELD_MAP, "description": "identify: custom trait → Person field."},
        "companyMap": {**FIELD_MAP, "description": "group: custom trait → Company field."},
        "eventNameMap": {**FIELD_MAP, "description": "track: event → `eventName` header."},
        "eventVersionMap": {**FIELD_MAP, "description": "track: event → `eventVersion` header."},
    },
}
DESTINATION_SCHEMA = {
    "type": "object",
    "description": "rudder-server's destination object (Go field names).",
    "required": ["Config"],
    "properties": {
        "ID": STRING,
        "Name": STRING,
        "Config": CONFIG_SCHEMA,
        "DestinationDefinition": {
            "type": "object",
            "properties": {"Name": {**STRING, "examples": ["GAINSIGHT"]}},
        },
        "hasDynamicConfig": {"type": "boolean", "description": "`false` skips template resolution."},
    },
}
MESSAGE_SCHEMA = {
    "type": "object",
    "description": "A RudderStack event. `identify`, `group` and `track` are transformed (any case); "
    "other types get a per-event 400.",
    "properties": {
        "type": {**STRING, "examples": ["identify", "group", "track"]},
        "event": {**STRING, "description": "track: the event name looked up in the event maps."},
        "traits": {**OBJECT, "description": "identify and group: Person or Company fields."},
        "properties": {**OBJECT, "description": "track: the event body sent to Gainsight."},
        "context": {
            "type": "object",
            "properties": {"traits": {**OBJECT, "description": "group: `email` names the Person."}},
        },
        "userId": STRING,
        "anonymousId": STRING,
        "messageId": STRING,
    },
}
METADATA_SCHEMA = {
    "type": "object",
    "description": "rudder-server's job metadata, echoed verbatim in the answer.",
    "properties": {
        "jobId": {"type": "integer"},
        "sourceId": STRING,
        "destinationId": STRING,
        "workspaceId": STRING,
        "attemptNum": {"type": "integer"},
    },
}
EVENT_SCHEMA = {
    "type": "object",
    "required": ["message", "metadata", "destination"],
    "properties": {
        "message": MESSAGE_SCHEMA,
        "metadata": METADATA_SCHEMA,
        "destination": DESTINATION_SCHEMA,
        "connection": {**OBJECT, "description": "Ignored by Gainsight."},
    },
}
COMPACTED_EVENT_SCHEMA = {
    "type": "object",
    "description": "An event without its destination: `metadata.destinationId` names it.",
    "required": ["message", "metadata"],
    "properties": {"message": MESSAGE_SCHEMA, "metadata": {**METADATA_SCHEMA, "required": ["destinationId"]}},
}
COMPACTED_TABLES = {
    "destinations": {"type": "object", "additionalProperties": DESTINATION_SCHEMA, "description": "By ID."},
    "connections": {**OBJECT, "description": "By `<sourceId>:<destinationId>`; ignored by Gainsight."},
}
DEST_TYPE_SCHEMA = {**STRING, "description": "`gainsight`, in any case.", "examples": ["gainsight"]}

PROCESSOR_REQUEST_SCHEMA = {
    "anyOf": [
        {"title": "Events", "type": "array", "minItems": 1, "items": EVENT_SCHEMA},
        {
            "title": "Compacted events (X-Content-Format: json+compactedv1)",
            "type": "object",
            "required": ["input", "destinations"],
            "properties": {"input": {"type": "array", "items": COMPACTED_EVENT_SCHEMA}, **COMPACTED_TABLES},
        },
    ]
}
ROUTER_REQUEST_SCHEMA = {
    "anyOf": [
        {
            "title": "Events",
            "type": "object",
            "required": ["input", "destType"],
            "properties": {"input": {"type": "array", "items": EVENT_SCHEMA}, "destType": DEST_TYPE_SCHEMA},
        },
        {
            "title": "Compacted events (X-Content-Format: json+compactedv1)",
            "type": "object",
            "required": ["input", "destinations", "destType"],
            "properties": {
                "input": {"type": "array", "items": COMPACTED_EVENT_SCHEMA},
                **COMPACTED_TABLES,
                "destType": DEST_TYPE_SCHEMA,
            },
        },
    ]
}

STAT_TAGS_SCHEMA = {
    "type": "object",
    "required": ["errorCategory"],
    "properties": {
        "errorCategory": {"enum": ["dataValidation", "network", "transformation"]},
        "errorType": {"enum": ["instrumentation", "configuration", "retryable", "throttled", "aborted"]},
        "destType": {**STRING, "examples": ["GAINSIGHT"]},
        "module": {"const": "destination"},
        "implementation": {"const": "native"},
        "feature": {"enum": ["processor", "router", "dataDelivery"]},
        "destinationId": STRING,
        "workspaceId": STRING,
    },
}
DELIVERY_SCHEMA = {
    "type": "object",
    "description": "The HTTP call rudder-server (or the proxy) makes to Gainsight.",
    "properties": {
        "version": {"const": "1"},
        "type": {"const": "REST"},
        "method": {**STRING, "examples": ["PUT", "POST"]},
        "endpoint": {**STRING, "examples": [f"https://{DOMAIN}/v1.0/api/people"]},
        "headers": {"type": "object", "additionalProperties": STRING},
        "params": OBJECT,
        "body": {
            "type": "object",
            "description": "The last non-empty entry decides the format; Gainsight uses `JSON`.",
            "properties": {"JSON": OBJECT, "JSON_ARRAY": OBJECT, "XML": OBJECT, "FORM": OBJECT},
        },
        "files": OBJECT,
        "userId": {**STRING, "description": "Processor route only, always empty."},
    },
}
PROCESSOR_ANSWER_SCHEMA = {
    "type": "array",
    "description": "One element per input event, in input order.",
    "items": {
        "oneOf": [
            {
                "title": "Transformed",
                "type": "object",
                "required": ["output", "statusCode"],
                "properties": {"output": DELIVERY_SCHEMA, "metadata": ECHOED, "statusCode": {"const": 200}},
            },
            {
                "title": "Failed",
                "type": "object",
                "required": ["statusCode", "error", "statTags"],
                "properties": {
                    "metadata": ECHOED,
                    "statusCode": {"type": "integer", "description": "400 bad event, 429/5xx retried."},
                    "error": STRING,
                    "statTags": STAT_TAGS_SCHEMA,
                },
            },
        ]
    },
}
ROUTER_ANSWER_SCHEMA = {
    "type": "object",
    "required": ["output"],
    "properties": {
        "output": {
            "type": "array",
            "description": "Every input jobId appears in exactly one element's `metadata`.",
            "items": {
                "type": "object",
                "required": ["metadata", "batched", "statusCode"],
                "properties": {
                    "batchedRequest": {
                        **DELIVERY_SCHEMA,
                        "description": "On success: the delivery (a message with a truthy "
                        "`statusCode` passes through unchanged).",
                    },
                    "metadata": {"type": "array", "items": ECHOED},
                    "batched": {"const": False},
                    "statusCode": {"type": "integer"},
                    "destination": {"description": "The input destination, templates resolved."},
                    "error": STRING,
                    "statTags": STAT_TAGS_SCHEMA,
                },
            },
        }
    },
}

PROXY_FIELDS = {
    "type": {"const": "REST"},
    "method": {**STRING, "examples": ["PUT", "POST"]},
    "endpoint": {
        **STRING,
        "description": "An https URL on the destination's domain, with one of the Gainsight API "
        "paths this service builds.",
    },
    "headers": {"type": "object", "additionalProperties": STRING},
    "params": OBJECT,
    "body": {
        "type": "object",
        "properties": {"JSON": OBJECT, "JSON_ARRAY": OBJECT, "XML": OBJECT, "FORM": OBJECT, "GZIP": OBJECT},
    },
    "files": OBJECT,
    "destinationConfig": OBJECT,
}
PROXY_V0_REQUEST_SCHEMA = {
    "type": "object",
    "required": ["endpoint"],
    "properties": {**PROXY_FIELDS, "metadata": METADATA_SCHEMA},
}
PROXY_V1_REQUEST_SCHEMA = {
    "type": "object",
    "required": ["endpoint", "metadata"],
    "properties": {
        **PROXY_FIELDS,
        "metadata": {"type": "array", "items": METADATA_SCHEMA, "description": "One entry per job."},
    },
}
DESTINATION_RESPONSE_SCHEMA = {
    "type": "object",
    "properties": {
        "response": {"description": "Gainsight's body (JSON, else text), or a transport failure's text."},
        "status": {"type": "integer"},
        "headers": {"type": "object", "additionalProperties": STRING},
    },
}
PROXY_V0_ANSWER_SCHEMA = {
    "type": "object",
    "required": ["output"],
    "properties": {
        "output": {
            "type": "object",
            "required": ["status", "message", "destinationResponse"],
            "properties": {
                "status": {"type": "integer"},
                "message": STRING,
                "destinationResponse": DESTINATION_RESPONSE_SCHEMA,
                "statTags": STAT_TAGS_SCHEMA,
            },
        }
    },
}
PROXY_V1_ANSWER_SCHEMA = {
    "type": "object",
    "required": ["output"],
    "properties": {
        "output": {
            "type": "object",
            "required": ["response", "status", "message"],
            "properties": {
                "response": {
                    "type": "array",
                    "description": "One entry per input metadata, in order.",
                    "items": {
                        "type": "object",
                        "required": ["error", "statusCode", "metadata"],
                        "properties": {
                            "error": {**STRING, "description": "Gainsight's body as JSON text."},
                            "statusCode": {"type": "integer"},
                            "metadata": ECHOED,
                        },
                    },
                },
                "status": {"type": "integer"},
                "message": STRING,
                "statTags": STAT_TAGS_SCHEMA,
            },
        }
    },
}
FEATURES_SCHEMA = {
    "type": "object",
    "required": ["routerTransform", "supportDestTransformCompactedPayloadV1"],
    "properties": {
        "routerTransform": {"type": "object", "additionalProperties": {"type": "boolean"}},
        "regulations": {"type": "array", "items": STRING},
        "supportSourceTransformV1": {"type": "boolean"},
        "upgradedToSourceTransformV2": {"type": "boolean"},
        "supportTransformerProxyV1": {"type": "boolean"},
        "supportDestTransformCompactedPayloadV1": {"type": "boolean"},
    },
}
HEALTH_SCHEMA = {
    "type": "object",
    "required": ["service", "version"],
    "properties": {
        "service": {"const": "UP"},
        "version": STRING,
        "gitCommitSha": STRING,
        "upstream": {
            "type": "object",
            "description": "Only with UPSTREAM_TRANSFORMER_URL: its address (no credentials) and whether "
            "the last exchange with it got an answer (null before the first).",
            "required": ["url", "reachable"],
            "properties": {"url": STRING, "reachable": {"type": ["boolean", "null"]}},
        },
    },
}
ERROR_SCHEMA = {"type": "object", "required": ["error"], "properties": {"error": STRING}}

# --- examples -----------------------------------------------------------------------------------

CONFIG = {
    "domain": DOMAIN,
    "accessKey": ACCESS_KEY,
    "sharedSecret": SHARED_SECRET,
    "topicName": "Support Tickets",
    "tenantId": "YOUR_TENANT_ID",
    "personMap": [{"from": "plan", "to": "Plan__gc"}],
    "companyMap": [{"from": "region", "to": "Region__gc"}],
    "eventNameMap": [{"from": "Ticket Resolved", "to": "Ticket Resolved Event"}],
    "eventVersionMap": [{"from": "Ticket Resolved", "to": "1.0.0"}],
}
DESTINATION = {
    "ID": DESTINATION_ID,
    "Name": "Gainsight CS",
    "DestinationDefinition": {"Name": "GAINSIGHT", "DisplayName": "Gainsight"},
    "Config": CONFIG,
    "Enabled": True,
    "WorkspaceID": WORKSPACE_ID,
}
CONNECTION = {"sourceId": SOURCE_ID, "destinationId": DESTINATION_ID, "enabled": True, "config": {}}
IDENTIFY = {
    "type": "identify",
    "messageId": "msg-identify-1",
    "userId": "user-ada",
    "traits": {
        "email": "ada@example.com",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "location": "London",
        "plan": "pro",
    },
    "context": {"library": {"name": "RudderLabs JavaScript SDK", "version": "3.0.0"}},
}
GROUP = {
    "type": "group",
    "messageId": "msg-group-1",
    "userId": "user-ada",
    "traits": {
        "name": "Analytical Engines Ltd",
        "employees": "42",
        "industry": "Computing",
        "region": "EMEA",
    },
    "context": {"traits": {"email": "ada@example.com"}},
}
TRACK: dict[str, Any] = {
    "type": "track",
    "messageId": "msg-track-1",
    "userId": "user-ada",
    "event": "Ticket Resolved",
    "properties": {"ticketId": "T-1042", "priority": "high", "resolutionMinutes": 42},
}
PAGE = {"type": "page", "messageId": "msg-page-1", "userId": "user-ada", "name": "Pricing"}
UNMAPPED_TRACK = {**TRACK, "messageId": "msg-track-2", "event": "Plan Upgraded"}


def metadata(job_id: int) -> dict[str, Any]:
    return {
        "jobId": job_id,
        "sourceId": SOURCE_ID,
        "destinationId": DESTINATION_ID,
        "workspaceId": WORKSPACE_ID,
        "attemptNum": 0,
    }


def _event(message: dict[str, Any], job_id: int) -> dict[str, Any]:
    return {"message": message, "metadata": metadata(job_id), "destination": DESTINATION}


def _delivery(method: str, path: str, headers: dict[str, str], payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "1",
        "type": "REST",
        "method": method,
        "endpoint": f"https://{DOMAIN}{path}",
        "headers": headers,
        "params": {},
        "body": {"JSON": payload, "JSON_ARRAY": {}, "XML": {}, "FORM": {}},
        "files": {},
    }


PERSON_HEADERS = {"Accesskey": ACCESS_KEY, "Content-Type": "application/json"}
PERSON = {
    "Email": "ada@example.com",
    "FirstName": "Ada",
    "LastName": "Lovelace",
    "Location": "London",
    "Plan__gc": "pro",
    "Name": "Ada Lovelace",
}
PERSON_UPSERT = _delivery("PUT", "/v1.0/api/people", PERSON_HEADERS, PERSON)
COMPANY_LINK = _delivery(
    "PUT",
    "/v1.0/api/people",
    PERSON_HEADERS,
    {"Email": "ada@example.com", "companies": [{"Company_ID": COMPANY_GSID}]},
)
EVENT_PUBLISH = _delivery(
    "POST",
    "/v1.0/api/eventManager/event",
    {
        "sharedSecret": SHARED_SECRET,
        "topicName": "Support Tickets",
        "tenantId": "YOUR_TENANT_ID",
        "Content-Type": "application/json",
        "eventName": "Ticket Resolved Event",
        "eventVersion": "1.0.0",
        "Accesskey": ACCESS_KEY,
    },
    TRACK["properties"],
)


def _tags(error_category: str, error_type: str, feature: str) -> dict[str, str]:
    return {
        "errorCategory": error_category,
        "errorType": error_type,
        "destType": "GAINSIGHT",
        "module": "destination",
        "implementation": "native",
        "feature": feature,
        "destinationId": DESTINATION_ID,
        "workspaceId": WORKSPACE_ID,
    }


def gainsight_answer(
    data: Any, result: bool = True, code: str | None = None, desc: str | None = None
) -> dict[str, Any]:
    """Gainsight's answer envelope, without its null members: FastAPI drops nulls from examples."""
    envelope = {"result": result, "errorCode": code, "errorDesc": desc, "requestId": REQUEST_ID, "data": data}
    return {key: value for key, value in envelope.items() if value is not None}


#: What the example Gainsight answers, by (method, path); the tests serve exactly these.
GAINSIGHT_ANSWERS: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {
    ("POST", "/v1/data/objects/query/Company"): (200, gainsight_answer({"records": []})),
    ("POST", "/v1/data/objects/Company"): (
        200,
        gainsight_answer({"count": 1, "errors": None, "records": [{"Gsid": COMPANY_GSID}]}),
    ),
    ("PUT", "/v1/data/objects/Company"): (
        200,
        gainsight_answer({"count": 1, "errors": None, "records": [{"Gsid": COMPANY_GSID}]}),
    ),
    ("PUT", "/v1.0/api/people"): (200, gainsight_answer({**PERSON, "Gsid": "1C01EXAMPLEPERSON0001"})),
    ("POST", "/v1.0/api/eventManager/event"): (200, gainsight_answer(None)),
}
THROTTLED = gainsight_answer(None, result=False, code="GU_2400", desc="Too many request")

JSON_HEADERS = {"content-type": "application/json"}
SERVER_ERROR = gainsight_answer(None, result=False, code="GU_1101", desc="Oops, something went wrong.")


def _processed(output: dict[str, Any], job_id: int) -> dict[str, Any]:
    return {"output": {**output, "userId": ""}, "metadata": metadata(job_id), "statusCode": 200}


def _routed(output: dict[str, Any], job_id: int) -> dict[str, Any]:
    return {
        "batchedRequest": output,
        "metadata": [metadata(job_id)],
        "batched": False,
        "statusCode": 200,
        "destination": DESTINATION,
    }


PROCESSOR_EVENTS = [_event(IDENTIFY, 1), _event(GROUP, 2), _event(TRACK, 3), _event(PAGE, 4)]
PROCESSOR_ANSWER = [
    _processed(PERSON_UPSERT, 1),
    _processed(COMPANY_LINK, 2),
    _processed(EVENT_PUBLISH, 3),
    {
        "metadata": metadata(4),
        "statusCode": 400,
        "error": "message type page not supported",
        "statTags": _tags("dataValidation", "instrumentation", "processor"),
    },
]
COMPACTED_TABLES_EXAMPLE = {
    "destinations": {DESTINATION_ID: DESTINATION},
    "connections": {f"{SOURCE_ID}:{DESTINATION_ID}": CONNECTION},
}
PROCESSOR_COMPACTED = {
    "input": [{"message": IDENTIFY, "metadata": metadata(21)}, {"message": TRACK, "metadata": metadata(22)}],
    **COMPACTED_TABLES_EXAMPLE,
}
PROCESSOR_COMPACTED_ANSWER = [_processed(PERSON_UPSERT, 21), _processed(EVENT_PUBLISH, 22)]

ROUTER_EVENTS = {
    "input": [_event(IDENTIFY, 11), _event(TRACK, 12), _event(UNMAPPED_TRACK, 13)],
    "destType": "gainsight",
}
ROUTER_ANSWER = {
    "output": [
        _routed(PERSON_UPSERT, 11),
        _routed(EVENT_PUBLISH, 12),
        {
            "metadata": [metadata(13)],
            "batched": False,
            "statusCode": 400,
            "error": "Event name mapping not provided for Plan Upgraded",
            "statTags": _tags("dataValidation", "configuration", "router"),
            "destination": DESTINATION,
        },
    ]
}
ROUTER_COMPACTED = {
    "input": [{"message": GROUP, "metadata": metadata(31)}],
    **COMPACTED_TABLES_EXAMPLE,
    "destType": "gainsight",
}
ROUTER_COMPACTED_ANSWER = {"output": [_routed(COMPANY_LINK, 31)]}

SUCCEEDED = "[Generic Response Handler] Request for destination: gainsight Processed Successfully"
PROXY_V0_REQUEST = {**PERSON_UPSERT, "userId": "", "metadata": metadata(1)}
PROXY_V0_ANSWER = {
    "output": {
        "status": 200,
        "message": SUCCEEDED,
        "destinationResponse": {
            "response": GAINSIGHT_ANSWERS["PUT", "/v1.0/api/people"][1],
            "status": 200,
            "headers": JSON_HEADERS,
        },
    }
}
PROXY_V0_THROTTLED = {
    "output": {
        "status": 429,
        "message": "[Generic Response Handler] Request failed for destination gainsight with status: 429",
        "destinationResponse": {"response": THROTTLED, "status": 429, "headers": JSON_HEADERS},
        "statTags": _tags("network", "throttled", "dataDelivery"),
    }
}
REFUSED_ENDPOINT = "https://169.254.169.254/latest/meta-data/"
REFUSED = (
    f"refusing to connect to {REFUSED_ENDPOINT}: the endpoint is not a Gainsight API path this service builds"
)
PROXY_V0_REFUSED_REQUEST = {**PROXY_V0_REQUEST, "endpoint": REFUSED_ENDPOINT}
PROXY_V0_REFUSED = {
    "output": {
        "status": 400,
        "message": REFUSED,
        "destinationResponse": {"response": REFUSED, "status": 400},
        "statTags": _tags("dataValidation", "configuration", "dataDelivery"),
    }
}
PROXY_V0_SERVER_ERROR = {
    "output": {
        "status": 500,
        "message": "[Generic Response Handler] Request failed for destination gainsight with status: 500",
        "destinationResponse": {"response": SERVER_ERROR, "status": 500, "headers": JSON_HEADERS},
        "statTags": _tags("network", "retryable", "dataDelivery"),
    }
}
PROXY_V1_REQUEST = {**EVENT_PUBLISH, "userId": "", "metadata": [metadata(3), metadata(5)]}


def _v1_answer(status: int, gainsight_body: dict[str, Any], message: str) -> dict[str, Any]:
    error = json_text(gainsight_body)
    output: dict[str, Any] = {
        "response": [
            {"error": error, "statusCode": status, "metadata": m} for m in PROXY_V1_REQUEST["metadata"]
        ],
        "status": status,
        "message": message,
    }
    if status >= 300:
        output["statTags"] = _tags("network", "retryable", "dataDelivery")
    return {"output": output}


PROXY_V1_ANSWER = _v1_answer(200, GAINSIGHT_ANSWERS["POST", "/v1.0/api/eventManager/event"][1], SUCCEEDED)
PROXY_V1_FAILED = _v1_answer(
    500, SERVER_ERROR, "[Generic Response Handler] Request failed for destination gainsight with status: 500"
)

FEATURES = {
    "routerTransform": {"GAINSIGHT": True},
    "regulations": [],
    "supportSourceTransformV1": True,
    "upgradedToSourceTransformV2": True,
    "supportTransformerProxyV1": True,
    "supportDestTransformCompactedPayloadV1": True,
}
MERGED_FEATURES = {
    "routerTransform": {"MARKETO": True, "HS": True, "GAINSIGHT": True},
    "regulations": ["AM", "BRAZE"],
    "supportSourceTransformV1": True,
    "upgradedToSourceTransformV2": True,
    "supportTransformerProxyV1": True,
    "supportDestTransformCompactedPayloadV1": False,
}
HEALTH = {"service": "UP", "version": "0.1.0", "gitCommitSha": "7cec6e9"}
HEALTH_WITH_UPSTREAM = {
    "service": "UP",
    "version": "0.1.0",
    "upstream": {"url": "http://rudder-transformer:9090", "reachable": True},
}

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
    413: _errors("The body, after gzip/deflate inflation, is larger than `MAX_BODY_BYTES`.", TOO_LARGE),
    415: _errors("`Content-Encoding` other than gzip, deflate or identity.", BAD_ENCODING),
    500: _errors("A fault of this service; rudder-server retries the request.", INTERNAL_ERROR),
}
# Without a 4XX entry FastAPI would advertise a 422 this service never sends.
OTHER_CLIENT_ERRORS = {"4XX": _errors("Every request-level 4xx answer is this envelope.", NOT_JSON)}


def _request_body(schema: dict[str, Any], examples: dict[str, tuple[str, Any]]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": _json(schema, examples)}}


PROCESSOR_ROUTE: dict[str, Any] = {
    "summary": "Processor transform",
    "tags": ["transform"],
    "description": "rudder-server's processor path: each event becomes the Gainsight call that "
    "delivers it (identify → Person upsert, group → Company search and create or update, then a "
    "Person link, track → Events framework). `{destination}` must be `gainsight` (any case).\n\n"
    "Per-event problems are elements with their own `statusCode`, `error` and `statTags` inside a "
    '200 answer; only a malformed request as a whole gets an `{"error": ...}` answer.',
    "responses": {
        200: {
            "description": "One element per event, in input order.",
            "headers": API_VERSION_HEADER,
            "content": _json(
                PROCESSOR_ANSWER_SCHEMA,
                {
                    "events": ("identify, group, track and an unsupported page event", PROCESSOR_ANSWER),
                    "compacted": ("the answer to the compacted request", PROCESSOR_COMPACTED_ANSWER),
                },
            ),
        },
        400: _errors(
            "Not JSON, not a non-empty array (or compacted object), or a `__proto__` key.", NOT_JSON
        ),
        **REQUEST_ERRORS,
        **OTHER_CLIENT_ERRORS,
    },
    "openapi_extra": {
        "parameters": [CONTENT_FORMAT_PARAMETER],
        **_request_body(
            PROCESSOR_REQUEST_SCHEMA,
            {
                "events": ("identify, group, track and an unsupported page event", PROCESSOR_EVENTS),
                "compacted": ("compacted: send with X-Content-Format: json+compactedv1", PROCESSOR_COMPACTED),
            },
        ),
    },
}

ROUTER_ROUTE: dict[str, Any] = {
    "summary": "Router transform",
    "tags": ["transform"],
    "description": "rudder-server's router path (the one `/features` selects for Gainsight): the "
    'same transformation as the processor route, answered as `{"output": [...]}` with the '
    "destination echoed and `metadata` as an array. An empty or missing `input` gives one "
    "`Invalid event array` element.",
    "responses": {
        200: {
            "description": "One output element per event; every input jobId appears exactly once.",
            "headers": API_VERSION_HEADER,
            "content": _json(
                ROUTER_ANSWER_SCHEMA,
                {
                    "events": ("identify, track and a track without an event mapping", ROUTER_ANSWER),
                    "compacted": ("the answer to the compacted group event", ROUTER_COMPACTED_ANSWER),
                },
            ),
        },
        400: _errors("Not JSON, not an object, no `destType`, or a `__proto__` key.", "destType is required"),
        **REQUEST_ERRORS,
    },
    "openapi_extra": {
        "parameters": [CONTENT_FORMAT_PARAMETER],
        **_request_body(
            ROUTER_REQUEST_SCHEMA,
            {
                "events": ("identify, track and a track without an event mapping", ROUTER_EVENTS),
                "compacted": (
                    "compacted group event: send with X-Content-Format: json+compactedv1",
                    ROUTER_COMPACTED,
                ),
            },
        ),
    },
}

_PROXY_DESCRIPTION = (
    "Makes the HTTP call a transformed request describes (`method`, `endpoint`, `headers`, "
    "`params`, `body`) and reports Gainsight's answer. The endpoint must be https on an allowed "
    "host and one of the Gainsight API paths this service builds; a refused target never leaves "
    "the process and is a configuration error (400)."
)
PROXY_V0_ROUTE: dict[str, Any] = {
    "summary": "Delivery proxy, one job",
    "tags": ["delivery"],
    "description": _PROXY_DESCRIPTION + " The HTTP status is the destination's: 2xx → 200, 404 → 400, "
    "anything else as Gainsight answered it (or 500 for a transport failure).",
    "responses": {
        200: {
            "description": "Gainsight accepted the call.",
            "headers": API_VERSION_HEADER,
            "content": _json(PROXY_V0_ANSWER_SCHEMA, {"delivered": ("person upserted", PROXY_V0_ANSWER)}),
        },
        400: {
            "description": "A refused target, Gainsight answered 400 or 404, or a malformed request.",
            "content": _json(
                {"anyOf": [PROXY_V0_ANSWER_SCHEMA, ERROR_SCHEMA]},
                {
                    "refused": ("a target the SSRF guard refuses", PROXY_V0_REFUSED),
                    "malformed": ("the body is not an object", {"error": PROXY_NOT_OBJECT}),
                },
            ),
        },
        **REQUEST_ERRORS,
        500: {
            "description": "Gainsight answered 5xx or could not be reached (retryable), or a fault of this "
            "service.",
            "content": _json(
                {"anyOf": [PROXY_V0_ANSWER_SCHEMA, ERROR_SCHEMA]},
                {
                    "gainsight": ("Gainsight answered 500", PROXY_V0_SERVER_ERROR),
                    "fault": ("a fault of this service", {"error": INTERNAL_ERROR}),
                },
            ),
        },
        "default": {
            "description": "Gainsight's own failure status (429 throttled, 5xx retryable, other aborted).",
            "headers": API_VERSION_HEADER,
            "content": _json(
                PROXY_V0_ANSWER_SCHEMA, {"throttled": ("Gainsight answered 429", PROXY_V0_THROTTLED)}
            ),
        },
    },
    "openapi_extra": _request_body(
        PROXY_V0_REQUEST_SCHEMA,
        {
            "person": ("the identify delivery of the processor example", PROXY_V0_REQUEST),
            "refused": ("a target outside Gainsight", PROXY_V0_REFUSED_REQUEST),
        },
    ),
}
PROXY_V1_ROUTE: dict[str, Any] = {
    "summary": "Delivery proxy, several jobs",
    "tags": ["delivery"],
    "description": _PROXY_DESCRIPTION + " Always 200: the outcome is per job, one `response` entry "
    "per `metadata` entry.",
    "responses": {
        200: {
            "description": "One response entry per job, matched by rudder-server through `jobId`.",
            "headers": API_VERSION_HEADER,
            "content": _json(
                PROXY_V1_ANSWER_SCHEMA,
                {
                    "delivered": ("event published", PROXY_V1_ANSWER),
                    "failed": ("Gainsight answered 500: retryable", PROXY_V1_FAILED),
                },
            ),
        },
        400: _errors("The body is not an object or `metadata` is not an array.", V1_METADATA_NOT_ARRAY),
        **REQUEST_ERRORS,
        **OTHER_CLIENT_ERRORS,
    },
    "openapi_extra": _request_body(
        PROXY_V1_REQUEST_SCHEMA, {"event": ("the track delivery for two jobs", PROXY_V1_REQUEST)}
    ),
}

FEATURES_ROUTE: dict[str, Any] = {
    "summary": "Capabilities",
    "tags": ["service"],
    "description": "Read by rudder-server at start-up and every 10 s: Gainsight transforms at the "
    "router, the v1 proxy and compacted payloads are supported. With UPSTREAM_TRANSFORMER_URL, the "
    "upstream's document merged with ours: our destinations added to `routerTransform`, each protocol "
    "flag true only where both support it, everything else the upstream's.",
    "responses": {
        200: {
            "description": "The capability document.",
            "content": _json(
                FEATURES_SCHEMA,
                {
                    "features": ("what this service advertises alone", FEATURES),
                    "merged": ("merged with an upstream transformer's document", MERGED_FEATURES),
                },
            ),
        },
        503: _errors(
            "Only with UPSTREAM_TRANSFORMER_URL, until the upstream transformer has answered /features once.",
            "the upstream transformer http://rudder-transformer:9090 has not answered /features yet "
            "(cannot connect: Connect call failed ('10.96.0.12', 9090)); try again",
        ),
    },
}
#: For `/health`, declared in app.py: `@app.api_route("/health", methods=[...], **HEALTH_ROUTE)`.
HEALTH_ROUTE: dict[str, Any] = {
    "summary": "Liveness",
    "tags": ["service"],
    "description": "For container health checks; rudder-server does not call it.",
    "responses": {
        200: {
            "description": "`gitCommitSha` only when `GIT_COMMIT_SHA` is set.",
            "content": _json(
                HEALTH_SCHEMA,
                {
                    "up": ("a build with GIT_COMMIT_SHA set", HEALTH),
                    "upstream": ("with UPSTREAM_TRANSFORMER_URL set", HEALTH_WITH_UPSTREAM),
                },
            ),
        }
    },
}
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
METRICS_ROUTE: dict[str, Any] = {
    "summary": "Prometheus metrics",
    "tags": ["service"],
    "description": "Prometheus text exposition of this process: HTTP requests, events, Gainsight "
    "calls, the company cache and process figures.",
    "responses": {
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
}
