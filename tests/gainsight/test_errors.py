"""The error catalogue of CONTRACT §3.5 (network rows excluded) through the HTTP routes (§1.3, §1.4)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import respx

from support.gainsight_events import (
    DROP,
    METADATA,
    PEOPLE_URL,
    PERSON_HEADERS,
    ROUTER_PATH,
    SEARCH_URL,
    config,
    context_tags,
    element,
    failure,
    fault,
    group_message,
    identify_message,
    post_processor,
    rest_output,
    success,
    track_message,
)

IDENTIFY = identify_message({"email": "a@b.c"})
GROUP = group_message({"name": "Acme"})
TRACK = track_message()

INSTRUMENTATION = ("dataValidation", "instrumentation")
CONFIGURATION = ("dataValidation", "configuration")


def with_type(value: Any) -> dict[str, Any]:
    message = {"userId": "u1", "traits": {"email": "a@b.c"}}
    if value is not DROP:
        message["type"] = value
    return message


# (message, config overrides, error text, statusCode, (errorCategory, errorType))
CATALOGUE = [
    # type missing / falsy
    *[
        pytest.param(with_type(value), {}, "Message Type is not present. Aborting message.", 400,
                     INSTRUMENTATION, id=f"type-missing-{label}")
        for label, value in [("absent", DROP), ("null", None), ("empty", ""), ("false", False), ("zero", 0)]
    ],
    # type unsupported (lower-cased, not trimmed)
    *[
        pytest.param(with_type(value), {}, f"message type {lowered} not supported", 400,
                     INSTRUMENTATION, id=f"type-unsupported-{value!r}")
        for value, lowered in [("page", "page"), ("Screen", "screen"), ("ALIAS", "alias"),
                               (" identify", " identify"), ("track ", "track ")]
    ],
    # identify
    *[
        pytest.param(IDENTIFY, {"accessKey": value}, "accessKey is required for identify", 400,
                     CONFIGURATION, id=f"identify-access-key-{value!r}")
        for value in [DROP, "", None, 0, False]
    ],
    pytest.param(identify_message({}), {}, "email is required for identify", 400, INSTRUMENTATION,
                 id="identify-email-missing"),
    pytest.param(identify_message({"email": ""}, {"email": None}), {}, "email is required for identify", 400,
                 INSTRUMENTATION, id="identify-email-empty"),
    pytest.param(identify_message({"email": False}, {"email": "ok@x.com"}), {}, "email is required for identify",
                 400, INSTRUMENTATION, id="identify-email-false-blocks-context"),
    # group
    *[
        pytest.param(GROUP, {"accessKey": value}, "accessKey is required for group", 400, CONFIGURATION,
                     id=f"group-access-key-{value!r}")
        for value in [DROP, "", None]
    ],
    pytest.param(group_message({}), {}, "company name is required for group", 400, INSTRUMENTATION,
                 id="group-name-missing"),
    pytest.param({"type": "group", "traits": {}, "context": {"traits": {"name": "Acme", "email": "u@x.com"}}},
                 {}, "company name is required for group", 400, INSTRUMENTATION, id="group-name-not-from-context"),
    pytest.param(group_message({"name": "Acme"}, email=""), {}, "user email is required for group", 400,
                 INSTRUMENTATION, id="group-email-empty"),
    pytest.param({"type": "group", "traits": {"name": "Acme", "email": "u@x.com"}}, {},
                 "user email is required for group", 400, INSTRUMENTATION, id="group-email-not-from-traits"),
    # track
    pytest.param(track_message(event=DROP), {}, "event name is required for track", 400, INSTRUMENTATION,
                 id="track-event-missing"),
    pytest.param(track_message(event=""), {}, "event name is required for track", 400, INSTRUMENTATION,
                 id="track-event-empty"),
    *[
        pytest.param(TRACK, {setting: DROP}, f"{setting} is required for track", 400, CONFIGURATION,
                     id=f"track-{setting}")
        for setting in ["sharedSecret", "topicName", "tenantId"]
    ],
    pytest.param(track_message(event="Unknown"), {}, "Event name mapping not provided for Unknown", 400,
                 CONFIGURATION, id="track-name-mapping"),
    pytest.param(track_message(event=5), {}, "Event name mapping not provided for 5", 400, CONFIGURATION,
                 id="track-name-mapping-numeric-event"),
    pytest.param(track_message(event="constructor"), {}, "Event name mapping not provided for constructor", 400,
                 CONFIGURATION, id="track-name-mapping-builtin-member"),
    pytest.param(TRACK, {"eventVersionMap": []}, "event version mapping not provided for Ticket Resolved", 400,
                 CONFIGURATION, id="track-version-mapping"),
]  # fmt: skip


@pytest.mark.parametrize(("message", "cfg", "error", "status", "tags"), CATALOGUE)
def test_processor_reports_each_catalogue_error_as_a_whole_failure_element(
    client, message, cfg, error, status, tags
):
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        answers = post_processor(client, [element(message, config(**cfg))])
        assert mock.calls.call_count == 0  # every check happens before any Gainsight call
    assert answers == [failure(status, error, *tags)]


@pytest.mark.parametrize(
    ("value", "kind"),
    [(5, "a number"), (1.5, "a number"), (True, "a boolean"), (["identify"], "an array"),
     ({"t": "identify"}, "an object")],
    ids=["int", "float", "true", "array", "object"],
)  # fmt: skip
def test_processor_non_string_type_is_a_transformation_fault(client, value, kind):
    answers = post_processor(client, [element(with_type(value))])
    assert answers == [fault(f"message.type must be a string, got {kind}")]


@pytest.mark.parametrize(
    ("message", "map_name"),
    [
        pytest.param(identify_message({"email": "a@b.c"}), "personMap", id="personMap"),
        pytest.param(group_message({"name": "Acme"}), "companyMap", id="companyMap"),
        pytest.param(track_message(), "eventNameMap", id="eventNameMap"),
        pytest.param(track_message(), "eventVersionMap", id="eventVersionMap"),
    ],
)
def test_processor_null_map_row_is_a_configuration_error_naming_the_map(client, message, map_name):
    rows = [{"from": "Ticket Resolved", "to": "x"}, None]
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        search = mock.post(SEARCH_URL).respond(200, json={"data": {"records": []}})
        (answer,) = post_processor(client, [element(message, config(**{map_name: rows}))])
        # group searches first (CONTRACT §3.4 step 4), then fails before creating anything
        assert mock.calls.call_count == search.call_count == (1 if map_name == "companyMap" else 0)
    assert answer == failure(400, answer["error"], "dataValidation", "configuration")
    assert map_name in answer["error"]


def test_processor_failure_tags_omit_ids_missing_from_metadata(client):
    metadata = {"jobId": 1}
    (answer,) = post_processor(client, [element(with_type("page"), metadata=metadata)])
    tags = {"errorCategory": "dataValidation", "errorType": "instrumentation", "destType": "GAINSIGHT",
            "module": "destination", "implementation": "native", "feature": "processor"}  # fmt: skip
    assert answer == {"metadata": metadata, "statusCode": 400, "error": "message type page not supported",
                      "statTags": tags}  # fmt: skip


def test_processor_dest_type_tag_is_the_upper_cased_path_name(client):
    (answer,) = post_processor(client, [element(with_type("page"))], path="/v0/destinations/Gainsight")
    assert answer == failure(400, "message type page not supported", *INSTRUMENTATION)


def test_processor_answers_each_event_independently_in_input_order(client):
    elements = [
        element(with_type("page"), metadata={**METADATA, "jobId": 1}),
        element(identify_message({"email": "a@b.c"}), metadata={**METADATA, "jobId": 2}),
        element(TRACK, config(sharedSecret=""), metadata={**METADATA, "jobId": 3}),
    ]
    answers = post_processor(client, elements)
    first = failure(400, "message type page not supported", *INSTRUMENTATION)
    third = failure(400, "sharedSecret is required for track", *CONFIGURATION)
    ok = success(rest_output("PUT", PEOPLE_URL, PERSON_HEADERS, {"Email": "a@b.c", "Name": ""}))
    assert answers == [
        {**first, "metadata": {**METADATA, "jobId": 1}},
        {**ok, "metadata": {**METADATA, "jobId": 2}},
        {**third, "metadata": {**METADATA, "jobId": 3}},
    ]


# ---------------------------------------------------------------------------------------------
# Router route (CONTRACT §1.4): feature "router", metadata list, destination echoed
# ---------------------------------------------------------------------------------------------


def router_failure(item: dict[str, Any], status: int, error: str, tags: dict[str, str]) -> dict[str, Any]:
    return {
        "metadata": [item["metadata"]],
        "batched": False,
        "statusCode": status,
        "error": error,
        "statTags": tags,
        "destination": item["destination"],
    }


ROUTER_ROWS = [
    pytest.param(with_type("page"), {}, "message type page not supported", 400,
                 {"errorCategory": "dataValidation", "errorType": "instrumentation"}, id="type-unsupported"),
    pytest.param(IDENTIFY, {"accessKey": ""}, "accessKey is required for identify", 400,
                 {"errorCategory": "dataValidation", "errorType": "configuration"}, id="identify-access-key"),
    pytest.param(group_message({"name": "Acme"}, email=None), {}, "user email is required for group", 400,
                 {"errorCategory": "dataValidation", "errorType": "instrumentation"}, id="group-email"),
    pytest.param(track_message(event="Nope"), {}, "Event name mapping not provided for Nope", 400,
                 {"errorCategory": "dataValidation", "errorType": "configuration"}, id="track-name-mapping"),
    pytest.param(with_type(7), {}, "message.type must be a string, got a number", 500,
                 {"errorCategory": "transformation"}, id="runtime-fault-gets-context-tags"),
]  # fmt: skip


@pytest.mark.parametrize(("message", "cfg", "error", "status", "own_tags"), ROUTER_ROWS)
def test_router_reports_catalogue_errors_with_router_tags_and_echoed_destination(
    client, message, cfg, error, status, own_tags
):
    item = element(message, config(**cfg))
    sent = copy.deepcopy(item)
    response = client.post(ROUTER_PATH, json={"input": [item], "destType": "gainsight"})
    assert response.status_code == 200
    assert response.headers["apiversion"] == "2"
    assert response.json() == {
        "output": [router_failure(sent, status, error, {**own_tags, **context_tags("router")})]
    }


def test_router_tags_take_ids_from_the_first_event_of_the_group(client):
    first = element(with_type("page"), metadata={**METADATA, "jobId": 1})
    second = element(
        with_type("screen"), metadata={"jobId": 2, "destinationId": "other", "workspaceId": "w9"}
    )
    response = client.post(ROUTER_PATH, json={"input": [first, second], "destType": "gainsight"})
    tags = {"errorCategory": "dataValidation", "errorType": "instrumentation", **context_tags("router")}
    assert response.json() == {
        "output": [
            router_failure(first, 400, "message type page not supported", tags),
            router_failure(second, 400, "message type screen not supported", tags),
        ]
    }
