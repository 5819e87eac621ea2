"""Example requests and answers of the OpenAPI document: a fictitious tenant, obviously fake secrets.

The examples are what the service answers to the example requests when Gainsight answers as
`GAINSIGHT_ANSWERS` says (tests/api holds them to that); `bodies.py` writes the request files of
`examples/bodies/` from the same values.
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


def element(message: dict[str, Any], job_id: int) -> dict[str, Any]:
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


PROCESSOR_EVENTS = [element(IDENTIFY, 1), element(GROUP, 2), element(TRACK, 3), element(PAGE, 4)]
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
    "input": [element(IDENTIFY, 11), element(TRACK, 12), element(UNMAPPED_TRACK, 13)],
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


FAILED = "[Generic Response Handler] Request failed for destination gainsight with status:"


def _v0_failed(status: int, gainsight_body: dict[str, Any], error_type: str) -> dict[str, Any]:
    """The v0 proxy's answer when Gainsight answered `status` with `gainsight_body`."""
    return {
        "output": {
            "status": status,
            "message": f"{FAILED} {status}",
            "destinationResponse": {"response": gainsight_body, "status": status, "headers": JSON_HEADERS},
            "statTags": _tags("network", error_type, "dataDelivery"),
        }
    }


PROXY_V0_THROTTLED = _v0_failed(429, THROTTLED, "throttled")
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
PROXY_V0_SERVER_ERROR = _v0_failed(500, SERVER_ERROR, "retryable")
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
HEALTH = {
    "service": "UP",
    "version": "0.1.0",
    "gitCommitSha": "7cec6e9",
    "companyStore": {"kind": "process", "state": "up"},
}
HEALTH_WITH_UPSTREAM = {
    "service": "UP",
    "version": "0.1.0",
    "upstream": {"url": "http://rudder-transformer:9090", "reachable": True},
    "companyStore": {"kind": "process", "state": "up"},
}
HEALTH_WITH_REDIS_DOWN = {
    "service": "UP",
    "version": "0.1.0",
    "companyStore": {
        "kind": "redis",
        "url": "redis://redis:6379/0",
        "state": "down",
        "error": "ConnectionError",
    },
}
