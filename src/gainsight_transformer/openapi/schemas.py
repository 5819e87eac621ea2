"""JSON schemas of the request and answer bodies, for the OpenAPI document."""

from __future__ import annotations

from .examples import (
    DOMAIN,
)

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
        "companyStore": {
            "type": "object",
            "description": "Where group's company locks, cache and 429 windows live: `process` (one "
            "worker), `host` (the workers of one host) or `redis` (REDIS_URL, shown without "
            "credentials), and whether it answers now; /health stays 200 when it does not.",
            "required": ["kind", "state"],
            "properties": {
                "kind": {"enum": ["process", "host", "redis"]},
                "state": {"enum": ["up", "down"]},
                "url": STRING,
                "error": STRING,
            },
        },
    },
}
ERROR_SCHEMA = {"type": "object", "required": ["error"], "properties": {"error": STRING}}
