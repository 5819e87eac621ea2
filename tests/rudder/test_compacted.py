"""`X-Content-Format: json+compactedv1` bodies (CONTRACT §1.5, with the issue's decisions)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from support.wire import (
    COMPACTED,
    INSTRUMENTATION,
    PROCESSOR,
    ROUTER,
    ROUTES,
    TRACK_CONFIG,
    destination,
    error_tags,
    identify,
    metadata,
    person_output,
    track,
)


def compacted(
    inputs: list[Any],
    destinations: dict[str, Any],
    connections: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"input": inputs, "destinations": destinations}
    if connections is not None:
        body["connections"] = connections
    return body


def post(client, route: str, body: dict[str, Any], headers: dict[str, str] | None = None):
    headers = COMPACTED if headers is None else headers
    if route == "router":
        return client.post(ROUTER, json={**body, "destType": "gainsight"}, headers=headers)
    return client.post(PROCESSOR, json=body, headers=headers)


def answers_of(route: str, response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["apiVersion"] == "2"
    return response.json() if route == "processor" else response.json()["output"]


DEST_1 = destination("d1")
DEST_2 = destination("d2", **TRACK_CONFIG)


def mixed_inputs() -> list[dict[str, Any]]:
    return [
        {"message": identify("one@b.c"), "metadata": metadata(1, "d1")},
        {"message": track(), "metadata": metadata(2, "d2")},
        {"message": identify("three@b.c"), "metadata": metadata(3, "d1")},
    ]


@pytest.mark.parametrize("route", ROUTES)
def test_compacted_answer_equals_the_uncompacted_answer(client, route):
    inputs = mixed_inputs()
    tables = {"d1": DEST_1, "d2": DEST_2}
    connections = {"src-1:d1": {"sourceId": "src-1", "destinationId": "d1"}}
    expanded = [{**item, "destination": tables[item["metadata"]["destinationId"]]} for item in inputs]

    packed = answers_of(
        route,
        post(client, route, compacted(copy.deepcopy(inputs), tables, connections)),
    )
    if route == "processor":
        plain = answers_of(route, client.post(PROCESSOR, json=expanded))
    else:
        plain = answers_of(
            route,
            client.post(ROUTER, json={"input": expanded, "destType": "gainsight"}),
        )
    assert packed == plain
    assert [a["statusCode"] for a in packed] == [200, 200, 200]


def test_router_echoes_the_destination_from_the_compacted_map(client):
    outputs = answers_of(
        "router",
        post(client, "router", compacted(mixed_inputs(), {"d1": DEST_1, "d2": DEST_2})),
    )
    by_job = {o["metadata"][0]["jobId"]: o for o in outputs}
    assert by_job[1]["destination"] == DEST_1
    assert by_job[2]["destination"] == DEST_2
    assert by_job[3]["destination"] == DEST_1


@pytest.mark.parametrize("header_name", ["X-Content-Format", "x-content-format", "X-CONTENT-FORMAT"])
def test_header_name_is_case_insensitive(client, header_name):
    response = post(
        client,
        "processor",
        compacted(mixed_inputs(), {"d1": DEST_1, "d2": DEST_2}),
        {header_name: "json+compactedv1"},
    )
    assert [a["statusCode"] for a in answers_of("processor", response)] == [
        200,
        200,
        200,
    ]


@pytest.mark.parametrize("value", ["JSON+compactedv1", "json+compactedv2", "json", " json+compactedv1x", ""])
def test_any_other_header_value_means_an_uncompacted_body(client, value):
    body = compacted(mixed_inputs(), {"d1": DEST_1, "d2": DEST_2})
    # Read as an uncompacted processor body, an object is not an array of events.
    response = post(client, "processor", body, {"X-Content-Format": value})
    assert response.status_code == 400
    assert response.json() == {"error": "request body must be a JSON array of events"}
    # The router reads `input` directly: elements without destination fail one by one.
    outputs = answers_of("router", post(client, "router", body, {"X-Content-Format": value}))
    assert {o["error"] for o in outputs} == {"destination is missing"}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("meta", "error"),
    [
        pytest.param(
            metadata(2, "d-unknown"),
            "no destination found for id d-unknown",
            id="unknown id",
        ),
        pytest.param(
            {"jobId": 2, "workspaceId": "ws-1"},
            "no destination found for id undefined",
            id="no destinationId",
        ),
        pytest.param(
            {"jobId": 2, "destinationId": None},
            "no destination found for id null",  # JS template text of null
            id="destinationId null",
        ),
        pytest.param(
            {"jobId": 2, "destinationId": ""},
            "no destination found for id ",
            id="destinationId empty",
        ),
    ],
)
def test_destination_not_found_fails_only_that_element(client, route, meta, error):
    inputs = [
        {"message": identify("one@b.c"), "metadata": metadata(1, "d1")},
        {"message": identify("two@b.c"), "metadata": meta},
        {"message": identify("three@b.c"), "metadata": metadata(3, "d1")},
    ]
    answers = answers_of(route, post(client, route, compacted(inputs, {"d1": DEST_1})))
    if route == "router":
        by_job = {o["metadata"][0]["jobId"]: o for o in answers}
        answers = [by_job[1], by_job[2], by_job[3]]
        assert answers[1]["metadata"] == [meta]
        assert answers[1]["destination"] == {}
    else:
        assert answers[1]["metadata"] == meta
    assert answers[1]["statusCode"] == 400
    assert answers[1]["error"] == error
    assert answers[1]["statTags"] == error_tags(route, meta, *INSTRUMENTATION)
    for answer, email in ((answers[0], "one@b.c"), (answers[2], "three@b.c")):
        assert answer["statusCode"] == 200
        wire = answer["output"] if route == "processor" else answer["batchedRequest"]
        assert wire == person_output({"Email": email, "Name": ""}, with_user_id=route == "processor")


@pytest.mark.parametrize("route", ROUTES)
def test_numeric_destination_id_is_looked_up_by_its_text(client, route):
    inputs = [{"message": identify(), "metadata": {"jobId": 1, "destinationId": 7}}]
    [answer] = answers_of(route, post(client, route, compacted(inputs, {"7": destination("7")})))
    assert answer["statusCode"] == 200


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "connections",
    [None, {}, {"other:d1": {"x": 1}}],
    ids=["no connections key", "empty connections", "connection missing"],
)
def test_missing_connection_is_tolerated(client, route, connections):
    inputs = [{"message": identify(), "metadata": metadata(1, "d1")}]
    [answer] = answers_of(route, post(client, route, compacted(inputs, {"d1": DEST_1}, connections)))
    assert answer["statusCode"] == 200


@pytest.mark.parametrize("route", ROUTES)
def test_element_without_metadata_gets_its_own_error(client, route):
    inputs = [
        {"message": identify()},
        {"message": identify(), "metadata": metadata(2, "d1")},
    ]
    answers = answers_of(route, post(client, route, compacted(inputs, {"d1": DEST_1})))
    failed = [a for a in answers if a["statusCode"] != 200]
    assert len(failed) == 1
    assert failed[0]["error"] == "metadata with a destinationId is required in a compacted payload"
    success = next(a for a in answers if a["statusCode"] == 200)
    assert success["metadata"] == (metadata(2, "d1") if route == "processor" else [metadata(2, "d1")])
    assert success["output" if route == "processor" else "batchedRequest"]["method"] == "PUT"


@pytest.mark.parametrize("route", ROUTES)
def test_non_object_element_in_a_compacted_body_gets_its_own_error(client, route):
    inputs = [None, {"message": identify(), "metadata": metadata(2, "d1")}]
    answers = answers_of(route, post(client, route, compacted(inputs, {"d1": DEST_1})))
    assert sorted(a["statusCode"] for a in answers) == [200, 400]
    assert "event must be an object, got null" in {a.get("error") for a in answers}


@pytest.mark.parametrize("route", ROUTES)
def test_destination_in_the_map_that_is_not_an_object_fails_that_element(client, route):
    inputs = [
        {"message": identify(), "metadata": metadata(1, "bad")},
        {"message": identify(), "metadata": metadata(2, "d1")},
    ]
    answers = answers_of(route, post(client, route, compacted(inputs, {"bad": "oops", "d1": DEST_1})))
    errors = {a.get("error") for a in answers}
    assert "destination must be an object, got a string" in errors
    assert sorted(a["statusCode"] for a in answers) == [200, 400]


MALFORMED = [
    pytest.param([], "compacted payload must be an object with an 'input' array", id="array body"),
    pytest.param(
        {"destinations": {}},
        "compacted payload must be an object with an 'input' array",
        id="no input",
    ),
    pytest.param(
        {"input": {}, "destinations": {}},
        "compacted payload must be an object with an 'input' array",
        id="input an object",
    ),
    pytest.param(
        {"input": [], "destinations": []},
        "compacted payload: 'destinations' must be an object",
        id="destinations a list",
    ),
    pytest.param(
        {"input": [], "destinations": {}, "connections": "x"},
        "compacted payload: 'connections' must be an object",
        id="connections a string",
    ),
]


@pytest.mark.parametrize(("body", "error"), MALFORMED)
def test_malformed_compacted_top_level_is_a_400_on_the_processor(client, body, error):
    response = client.post(PROCESSOR, json=body, headers=COMPACTED)
    assert response.status_code == 400
    assert response.json() == {"error": error}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            {"destType": "gainsight", "destinations": {}},
            "compacted payload must be an object with an 'input' array",
        ),
        (
            {"destType": "gainsight", "input": 5, "destinations": {}},
            "compacted payload must be an object with an 'input' array",
        ),
        (
            {"destType": "gainsight", "input": [], "destinations": 5},
            "compacted payload: 'destinations' must be an object",
        ),
    ],
)
def test_malformed_compacted_top_level_is_a_400_on_the_router(client, body, error):
    response = client.post(ROUTER, json=body, headers=COMPACTED)
    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_processor_compacted_empty_input_is_a_400(client):
    response = client.post(PROCESSOR, json={"input": [], "destinations": {}}, headers=COMPACTED)
    assert response.status_code == 400
    assert response.json() == {"error": "request body must contain at least one event"}


def test_router_compacted_empty_input_is_the_invalid_event_array(client):
    response = client.post(
        ROUTER,
        json={"input": [], "destinations": {}, "destType": "gainsight"},
        headers=COMPACTED,
    )
    outputs = answers_of("router", response)
    assert outputs == [
        {
            "metadata": [{"destType": "gainsight"}],
            "batched": False,
            "statusCode": 400,
            "error": "Invalid event array",
        }
    ]


def test_router_checks_the_destination_name_before_expanding(client):
    response = client.post(ROUTER, json={"destType": "hubspot", "input": 5}, headers=COMPACTED)
    assert response.status_code == 404
    assert response.json() == {"error": "Unknown destination: hubspot"}


def test_processor_checks_the_destination_name_before_expanding(client):
    response = client.post("/v0/destinations/hubspot", json={"input": 5}, headers=COMPACTED)
    assert response.status_code == 404


@pytest.mark.parametrize("route", ROUTES)
def test_shared_destination_entry_resolves_templates_per_event_and_is_not_mutated(client, route):
    shared = destination("d1", accessKey='{{ event.traits.key || "fallback" }}')
    before = copy.deepcopy(shared)
    inputs = [
        {"message": identify(key="k-one"), "metadata": metadata(1, "d1")},
        {"message": identify(), "metadata": metadata(2, "d1")},
        {"message": identify(key="k-three"), "metadata": metadata(3, "d1")},
    ]
    answers = answers_of(route, post(client, route, compacted(inputs, {"d1": shared})))
    if route == "router":
        by_job = {o["metadata"][0]["jobId"]: o for o in answers}
        answers = [by_job[1], by_job[2], by_job[3]]
        assert [a["destination"]["Config"]["accessKey"] for a in answers] == [
            "k-one",
            "fallback",
            "k-three",
        ]
    key = "output" if route == "processor" else "batchedRequest"
    assert [a[key]["headers"]["Accesskey"] for a in answers] == [
        "k-one",
        "fallback",
        "k-three",
    ]
    assert shared == before


def test_element_destination_is_replaced_by_the_map_entry(client):
    inputs = [
        {
            "message": identify(),
            "metadata": metadata(1, "d1"),
            "destination": {"ID": "stale", "Config": {}},
        }
    ]
    [answer] = answers_of("router", post(client, "router", compacted(inputs, {"d1": DEST_1})))
    assert answer["destination"] == DEST_1
    assert answer["statusCode"] == 200
