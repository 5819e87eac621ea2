"""Processor and router envelopes, statTags, headers, ordering, grouping and the small routes."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from gainsight_transformer.app import create_app
from gainsight_transformer.settings import Settings
from support.wire import (
    COMPACTED,
    CONFIGURATION,
    DOMAIN,
    EVENTS_URL,
    INSTRUMENTATION,
    PROCESSOR,
    ROUTER,
    TRACK_CONFIG,
    context_tags,
    destination,
    element,
    error_tags,
    identify,
    metadata,
    person_output,
    post_processor,
    post_router,
    track,
)

GOOD = identify()
GOOD_BODY = {"Email": "a@b.c", "Name": ""}
BAD = {"type": "page"}
BAD_ERROR = "message type page not supported"


# --------------------------------------------------------------------------------------------
# Envelopes
# --------------------------------------------------------------------------------------------


def test_processor_success_element_has_the_exact_wire_shape(client):
    sent = element(GOOD, 1)
    response = post_processor(client, [sent])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == [
        {
            "output": person_output(GOOD_BODY, with_user_id=True),
            "metadata": sent["metadata"],
            "statusCode": 200,
        }
    ]


def test_processor_failure_element_has_the_exact_wire_shape(client):
    sent = element(BAD, 1)
    assert post_processor(client, [sent]).json() == [
        {
            "metadata": sent["metadata"],
            "statusCode": 400,
            "error": BAD_ERROR,
            "statTags": {
                "errorCategory": "dataValidation",
                "errorType": "instrumentation",
                "destType": "GAINSIGHT",
                "module": "destination",
                "implementation": "native",
                "feature": "processor",
                "destinationId": "dest-1",
                "workspaceId": "ws-1",
            },
        }
    ]


def test_router_success_element_has_the_exact_wire_shape(client):
    sent = element(GOOD, 1)
    response = post_router(client, [sent])
    assert response.status_code == 200
    assert response.json() == {
        "output": [
            {
                "batchedRequest": person_output(GOOD_BODY, with_user_id=False),
                "metadata": [sent["metadata"]],
                "batched": False,
                "statusCode": 200,
                "destination": sent["destination"],
            }
        ]
    }


def test_router_failure_element_has_the_exact_wire_shape(client):
    sent = element(BAD, 1)
    assert post_router(client, [sent]).json() == {
        "output": [
            {
                "metadata": [sent["metadata"]],
                "batched": False,
                "statusCode": 400,
                "error": BAD_ERROR,
                "statTags": {
                    "errorCategory": "dataValidation",
                    "errorType": "instrumentation",
                    "destType": "GAINSIGHT",
                    "module": "destination",
                    "implementation": "native",
                    "feature": "router",
                    "destinationId": "dest-1",
                    "workspaceId": "ws-1",
                },
                "destination": sent["destination"],
            }
        ]
    }


@pytest.mark.parametrize("message", [GOOD, BAD], ids=["success", "failure"])
def test_processor_omits_metadata_when_the_input_had_none(client, message):
    sent = element(message, 1)
    del sent["metadata"]
    [answer] = post_processor(client, [sent]).json()
    assert "metadata" not in answer
    if message is BAD:
        # No metadata, so no destinationId/workspaceId context tags.
        assert answer["statTags"] == error_tags("processor", None, *INSTRUMENTATION)


def test_router_gives_an_input_without_metadata_one_empty_metadata_entry(client):
    sent = element(GOOD, 1)
    del sent["metadata"]
    [output] = post_router(client, [sent]).json()["output"]
    assert output["metadata"] == [{}]
    assert output["statusCode"] == 200


def test_user_id_is_an_empty_string_on_the_processor_route_only(client):
    [answer] = post_processor(client, [element({**GOOD, "userId": "u-1"}, 1)]).json()
    assert answer["output"]["userId"] == ""
    [output] = post_router(client, [element({**GOOD, "userId": "u-1"}, 1)]).json()["output"]
    assert "userId" not in output["batchedRequest"]


ODD_METADATA = [
    pytest.param(None, id="null"),
    pytest.param("just text", id="string"),
    pytest.param([1, "two", None], id="array"),
    pytest.param(0, id="zero"),
    pytest.param(
        {
            "jobId": 9007199254740993,
            "u64": 18446744073709551615,
            "float": 1.5,
            "neg": -0.0001,
            "nullish": None,
            "nested": {"list": [{}, [], ""], "bool": False},
            "secret": {"token": "t"},
            "destinationId": 7,
            "workspaceId": None,
            "empty": "",
        },
        id="object with odd values",
    ),
]


@pytest.mark.parametrize("meta", ODD_METADATA)
@pytest.mark.parametrize("message", [GOOD, BAD], ids=["success", "failure"])
def test_metadata_is_echoed_verbatim(client, meta, message):
    sent = {**element(message, 1), "metadata": meta}
    [answer] = post_processor(client, [copy.deepcopy(sent)]).json()
    assert answer["metadata"] == meta
    [output] = post_router(client, [copy.deepcopy(sent)]).json()["output"]
    assert output["metadata"] == [meta]


@pytest.mark.parametrize("route", ["processor", "router"])
def test_stat_tag_values_are_always_strings(client, route):
    meta = {"jobId": 1, "destinationId": 7, "workspaceId": True}
    sent = {**element(BAD, 1), "metadata": meta}
    response = post_processor(client, [sent]) if route == "processor" else post_router(client, [sent])
    answer = response.json()[0] if route == "processor" else response.json()["output"][0]
    assert answer["statTags"]["destinationId"] == "7"
    assert answer["statTags"]["workspaceId"] == "true"
    assert all(isinstance(v, str) for v in answer["statTags"].values())


def test_processor_faults_carry_only_their_category(client):
    [answer] = post_processor(client, [element({**GOOD, "type": 5}, 1)]).json()
    assert answer["statusCode"] == 500
    assert answer["statTags"] == {"errorCategory": "transformation"}


def test_router_faults_carry_the_context_tags(client):
    [output] = post_router(client, [element({**GOOD, "type": 5}, 1)]).json()["output"]
    assert output["statusCode"] == 500
    assert output["statTags"] == {
        "errorCategory": "transformation",
        **context_tags("router", metadata(1)),
    }


@pytest.mark.parametrize(
    ("message", "config", "status", "error", "kind"),
    [
        pytest.param(
            {"type": "identify", "traits": {}},
            {},
            400,
            "email is required for identify",
            INSTRUMENTATION,
            id="instrumentation",
        ),
        pytest.param(
            GOOD,
            {"accessKey": ""},
            400,
            "accessKey is required for identify",
            CONFIGURATION,
            id="configuration",
        ),
        pytest.param(
            track(),
            {**TRACK_CONFIG, "tenantId": None},
            400,
            "tenantId is required for track",
            CONFIGURATION,
            id="track configuration",
        ),
    ],
)
def test_processor_errors_get_context_tags_after_their_own(client, message, config, status, error, kind):
    [answer] = post_processor(client, [element(message, 1, dest=destination(**config))]).json()
    assert answer["statusCode"] == status
    assert answer["error"] == error
    assert answer["statTags"] == error_tags("processor", metadata(1), *kind)
    assert list(answer["statTags"])[:2] == ["errorCategory", "errorType"]


def test_router_context_tags_come_from_the_first_event_of_the_group(client):
    first = element(GOOD, 1)
    first["metadata"]["workspaceId"] = "ws-first"
    second = element(BAD, 2)
    second["metadata"]["workspaceId"] = "ws-second"
    second["metadata"]["destinationId"] = "other-id-in-metadata"
    outputs = post_router(client, [first, second]).json()["output"]
    failure = next(o for o in outputs if o["statusCode"] != 200)
    assert failure["statTags"]["workspaceId"] == "ws-first"
    assert failure["statTags"]["destinationId"] == "dest-1"


@pytest.mark.parametrize(
    ("path_name", "dest_type"),
    [
        ("gainsight", "GAINSIGHT"),
        ("Gainsight", "GAINSIGHT"),
        ("GAINSIGHT", "GAINSIGHT"),
    ],
)
def test_dest_type_tag_is_the_upper_cased_name_as_given(client, path_name, dest_type):
    [answer] = client.post(f"/v0/destinations/{path_name}", json=[element(BAD, 1)]).json()
    assert answer["statTags"]["destType"] == dest_type
    [output] = post_router(client, [element(BAD, 1)], dest_type=path_name).json()["output"]
    assert output["statTags"]["destType"] == dest_type


# --------------------------------------------------------------------------------------------
# apiVersion header
# --------------------------------------------------------------------------------------------


def _compacted_body(router: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "input": [{"message": GOOD, "metadata": metadata(1)}],
        "destinations": {"dest-1": destination()},
        "connections": {},
    }
    if router:
        body["destType"] = "gainsight"
    return body


API_VERSION_ANSWERS = [
    pytest.param(PROCESSOR, [element(GOOD, 1)], {}, id="processor success"),
    pytest.param(PROCESSOR, [element(BAD, 1)], {}, id="processor failure"),
    pytest.param(PROCESSOR, [None], {}, id="processor bad element"),
    pytest.param(
        ROUTER,
        {"input": [element(GOOD, 1)], "destType": "gainsight"},
        {},
        id="router success",
    ),
    pytest.param(
        ROUTER,
        {"input": [element(BAD, 1)], "destType": "gainsight"},
        {},
        id="router failure",
    ),
    pytest.param(
        ROUTER,
        {"input": [], "destType": "gainsight"},
        {},
        id="router invalid event array",
    ),
    pytest.param(PROCESSOR, _compacted_body(False), COMPACTED, id="processor compacted"),
    pytest.param(ROUTER, _compacted_body(True), COMPACTED, id="router compacted"),
]


@pytest.mark.parametrize(("path", "body", "headers"), API_VERSION_ANSWERS)
def test_every_200_transform_answer_carries_api_version_2(client, path, body, headers):
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 200
    assert response.headers["apiVersion"] == "2"


REQUEST_ERRORS = [
    pytest.param(PROCESSOR, b"{", 400, id="processor bad json"),
    pytest.param(PROCESSOR, b"[]", 400, id="processor empty array"),
    pytest.param("/v0/destinations/hubspot", b"[{}]", 404, id="processor unknown destination"),
    pytest.param(ROUTER, b'{"input": []}', 400, id="router no destType"),
    pytest.param(
        ROUTER,
        b'{"input": [], "destType": "hubspot"}',
        404,
        id="router unknown destination",
    ),
    pytest.param(
        ROUTER,
        b'{"input": 5, "destType": "gainsight"}',
        400,
        id="router input not a list",
    ),
]


@pytest.mark.parametrize(("path", "body", "status"), REQUEST_ERRORS)
def test_request_level_errors_do_not_carry_api_version(client, path, body, status):
    response = client.post(path, content=body)
    assert response.status_code == status
    assert "apiversion" not in response.headers
    assert set(response.json()) == {"error"}


# --------------------------------------------------------------------------------------------
# Ordering and the router job-set rule
# --------------------------------------------------------------------------------------------

GROUP = {
    "type": "group",
    "traits": {"name": "Acme"},
    "context": {"traits": {"email": "g@b.c"}},
}


def _gainsight_company_mock(mock: respx.MockRouter) -> None:
    mock.post(f"https://{DOMAIN}/v1/data/objects/query/Company").mock(
        return_value=httpx.Response(200, json={"result": True, "data": {"records": []}})
    )
    mock.post(f"https://{DOMAIN}/v1/data/objects/Company").mock(
        return_value=httpx.Response(200, json={"result": True, "data": {"records": [{"Gsid": "gsid-1"}]}})
    )


def test_processor_output_order_is_input_order_across_event_kinds(client):
    track_dest = destination(**TRACK_CONFIG)
    events = [
        element(GROUP, 1),
        element(BAD, 2),
        element(track(), 3, dest=track_dest),
        None,
        element(identify("i@b.c"), 5),
        element(GROUP, 6),
        element({**GOOD, "type": 5}, 7),
        element(identify("j@b.c"), 8),
    ]
    with respx.mock(assert_all_called=True) as mock:
        _gainsight_company_mock(mock)
        answers = post_processor(client, events).json()
    assert [a.get("metadata", {}).get("jobId") for a in answers] == [
        1,
        2,
        3,
        None,
        5,
        6,
        7,
        8,
    ]
    assert [a["statusCode"] for a in answers] == [
        200,
        400,
        200,
        400,
        200,
        200,
        500,
        200,
    ]
    assert answers[0]["output"]["body"]["JSON"] == {
        "Email": "g@b.c",
        "companies": [{"Company_ID": "gsid-1"}],
    }
    assert answers[2]["output"]["endpoint"] == EVENTS_URL
    assert answers[4]["output"]["body"]["JSON"]["Email"] == "i@b.c"
    assert answers[7]["output"]["body"]["JSON"]["Email"] == "j@b.c"


def _job_ids(outputs: list[dict[str, Any]]) -> list[Any]:
    return [entry.get("jobId") for output in outputs for entry in output["metadata"]]


def test_router_job_set_rule_every_input_job_in_exactly_one_output(client):
    other_config = destination(personMap=[{"from": "x", "to": "x__gc"}])
    events = [
        element(GOOD, 11),
        element(BAD, 12),
        element(GROUP, 13),
        element(GOOD, 14, dest=other_config),
        element({**GOOD, "statusCode": 200}, 15),
        {"message": GOOD, "metadata": metadata(16)},  # no destination
        element({**GOOD, "type": 5}, 17),
        element(track(), 18, dest=destination(**TRACK_CONFIG)),
        element(GOOD, 19, dest=destination("dest-2")),
        element(GOOD, 20),
    ]
    with respx.mock(assert_all_called=True) as mock:
        _gainsight_company_mock(mock)
        outputs = post_router(client, events).json()["output"]
    ids = _job_ids(outputs)
    assert sorted(ids) == list(range(11, 21))
    assert len(ids) == len(set(ids))
    assert all(len(o["metadata"]) == 1 for o in outputs)
    assert all(o["batched"] is False and "destination" in o for o in outputs)


def test_router_groups_interleaved_configs_in_order_of_first_appearance(client):
    config_a = destination()
    config_b = destination(personMap=[{"from": "car", "to": "car__gc"}])
    events = [
        element(GOOD, 1, dest=config_a),
        element(GOOD, 2, dest=config_b),
        element(GOOD, 3, dest=config_a),
        element(BAD, 4, dest=config_b),
        element(GOOD, 5, dest=config_a),
    ]
    outputs = post_router(client, events).json()["output"]
    assert _job_ids(outputs) == [1, 3, 5, 2, 4]
    assert [o["destination"]["Config"] for o in outputs] == [config_a["Config"]] * 3 + [
        config_b["Config"]
    ] * 2


def test_router_groups_by_key_order_insensitive_config(client):
    config_a = destination(personMap=[{"from": "car", "to": "car__gc"}])
    config_b = {**config_a, "Config": dict(reversed(list(config_a["Config"].items())))}
    events = [
        element(GOOD, 1, dest=config_a),
        element(GOOD, 2, dest=destination("dest-2")),
        element(GOOD, 3, dest=config_b),
    ]
    assert _job_ids(post_router(client, events).json()["output"]) == [1, 3, 2]


def test_router_groups_by_destination_id(client):
    events = [
        element(GOOD, 1),
        element(GOOD, 2, dest=destination("dest-2")),
        element(GOOD, 3),
    ]
    assert _job_ids(post_router(client, events).json()["output"]) == [1, 3, 2]


def test_router_groups_by_the_elements_own_sources_job_id_not_the_messages(client):
    def with_job(job_id: int, run: str | None, in_message: str | None = None) -> dict[str, Any]:
        event = element(copy.deepcopy(GOOD), job_id)
        if run is not None:
            event["context"] = {"sources": {"job_id": run}}
        if in_message is not None:
            event["message"]["context"] = {"sources": {"job_id": in_message}}
        return event

    events = [
        with_job(1, None, in_message="run-b"),
        with_job(2, "run-b"),
        with_job(3, None),
        with_job(4, "run-a"),
        with_job(5, "run-b"),
    ]
    # Groups: default [1, 3], run-b [2, 5], run-a [4]; reading message.context would join 1 and 2.
    assert _job_ids(post_router(client, events).json()["output"]) == [1, 3, 2, 5, 4]


def test_router_ignores_config_when_grouping_if_has_dynamic_config_is_false(client):
    config_a = {**destination(), "hasDynamicConfig": False}
    config_b = {
        **destination(personMap=[{"from": "car", "to": "car__gc"}]),
        "hasDynamicConfig": False,
    }
    events = [
        element(GOOD, 1, dest=config_a),
        element(GOOD, 2, dest=config_b),
        element(GOOD, 3, dest=config_a),
    ]
    assert _job_ids(post_router(client, events).json()["output"]) == [1, 2, 3]


# --------------------------------------------------------------------------------------------
# Router pass-through and oauth-secret
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "batched"),
    [
        pytest.param(
            {"type": "page", "statusCode": 200, "anything": [1]},
            {"type": "page", "statusCode": 200, "anything": [1]},
            id="message returned as is",
        ),
        pytest.param(
            {"statusCode": "yes", "userId": 42},
            {"statusCode": "yes", "userId": "42"},
            id="truthy non-string userId becomes text",
        ),
        pytest.param(
            {"statusCode": 1, "userId": 0},
            {"statusCode": 1, "userId": 0},
            id="falsy userId kept",
        ),
    ],
)
def test_router_passes_through_a_message_with_a_truthy_status_code(client, message, batched):
    sent = element(message, 1)
    [output] = post_router(client, [sent]).json()["output"]
    assert output == {
        "batchedRequest": batched,
        "metadata": [sent["metadata"]],
        "batched": False,
        "statusCode": 200,
        "destination": sent["destination"],
    }


@pytest.mark.parametrize("status", [0, None, "", False])
def test_router_transforms_a_message_whose_status_code_is_falsy(client, status):
    [output] = post_router(client, [element({**GOOD, "statusCode": status}, 1)]).json()["output"]
    assert output["batchedRequest"] == person_output(GOOD_BODY, with_user_id=False)


def test_processor_gives_message_status_code_no_meaning(client):
    [answer] = post_processor(client, [element({**BAD, "statusCode": 200}, 1)]).json()
    assert answer["statusCode"] == 400
    assert answer["error"] == BAD_ERROR


def test_oauth_secret_header_is_stored_as_metadata_secret_on_every_event(client):
    events = [element(GOOD, 1), element(BAD, 2)]
    response = post_router(client, events, headers={"oauth-secret": '{"token": "t", "n": 1}'})
    outputs = response.json()["output"]
    for output, sent in zip(sorted(outputs, key=lambda o: o["metadata"][0]["jobId"]), events, strict=True):
        assert output["metadata"] == [{**sent["metadata"], "secret": {"token": "t", "n": 1}}]


def test_empty_oauth_secret_header_is_ignored(client):
    sent = element(GOOD, 1)
    [output] = post_router(client, [sent], headers={"oauth-secret": ""}).json()["output"]
    assert output["metadata"] == [sent["metadata"]]


def test_invalid_oauth_secret_header_is_a_400(client):
    response = post_router(client, [element(GOOD, 1)], headers={"oauth-secret": "{not json"})
    assert response.status_code == 400
    assert response.json() == {"error": "oauth-secret header is not valid JSON"}


# --------------------------------------------------------------------------------------------
# Destination names, routes, /features, /health
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gainsight", "GAINSIGHT", "Gainsight", "%20Gainsight%20", "gainSIGHT"])
def test_processor_accepts_names_that_normalise_to_gainsight(client, name):
    response = client.post(f"/v0/destinations/{name}", json=[element(GOOD, 1)])
    assert response.status_code == 200
    assert response.json()[0]["statusCode"] == 200


@pytest.mark.parametrize("name", ["gainsight", "GAINSIGHT", " Gainsight "])
def test_router_accepts_dest_types_that_normalise_to_gainsight(client, name):
    response = post_router(client, [element(GOOD, 1)], dest_type=name)
    assert response.status_code == 200
    assert response.json()["output"][0]["statusCode"] == 200


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        (
            "/v0/destinations/hubspot",
            [element(GOOD, 1)],
            "Unknown destination: hubspot",
        ),
        (
            "/v0/destinations/gain_sight",
            [element(GOOD, 1)],
            "Unknown destination: gain_sight",
        ),
        (
            ROUTER,
            {"input": [element(GOOD, 1)], "destType": "hubspot"},
            "Unknown destination: hubspot",
        ),
        (
            ROUTER,
            {"input": [element(GOOD, 1)], "destType": None},
            "Unknown destination: null",
        ),
        (
            ROUTER,
            {"input": [element(GOOD, 1)], "destType": 5},
            "Unknown destination: 5",
        ),
        (ROUTER, {"input": [], "destType": "HubSpot"}, "Unknown destination: HubSpot"),
        (
            ROUTER,
            {"input": "not-a-list", "destType": "hubspot"},
            "Unknown destination: hubspot",
        ),
    ],
)
def test_unknown_destination_names_answer_404(client, path, body, error):
    response = client.post(path, json=body)
    assert response.status_code == 404
    assert response.json() == {"error": error}


def test_body_parsing_comes_before_the_destination_name_check(client):
    response = client.post("/v0/destinations/hubspot", content=b"{broken")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v0/destinations/gainsight/"),
        ("POST", "/routerTransform/"),
        ("GET", "/features/"),
        ("GET", "/health"),
    ],
)
def test_one_trailing_slash_is_tolerated(client, method, path):
    if method == "POST":
        body = (
            [element(GOOD, 1)]
            if "destinations" in path
            else {"input": [element(GOOD, 1)], "destType": "gainsight"}
        )
        response = client.post(path, json=body)
    else:
        response = client.get(path)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/nothing/here"),
        ("POST", "/v0/destinations"),
        ("POST", "/v0/destinations/gainsight/extra"),
        ("POST", "/v1/destinations/gainsight"),
        ("GET", "/v0/destinations/gainsight"),
        ("PUT", "/v0/destinations/gainsight"),
        ("GET", "/routerTransform"),
        ("DELETE", "/routerTransform"),
        ("POST", "/features"),
        ("POST", "/health"),
    ],
)
def test_unknown_routes_and_wrong_methods_answer_404_not_found(client, method, path):
    response = client.request(method, path, content=b"[]")
    assert response.status_code == 404
    assert response.text == "Not Found"
    assert response.headers["content-type"].startswith("text/plain")


def test_features_document_has_exactly_the_issues_keys(client):
    response = client.get("/features")
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "routerTransform": {"GAINSIGHT": True},
        "regulations": [],
        "supportSourceTransformV1": True,
        "upgradedToSourceTransformV2": True,
        "supportTransformerProxyV1": True,  # issue 3: the proxy routes exist
        "supportDestTransformCompactedPayloadV1": True,
    }


def test_health_reports_up_and_the_service_version(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["service"] == "UP"
    assert isinstance(body["version"], str) and body["version"]
    assert "gitCommitSha" not in body


def test_health_reports_build_version_and_commit_from_settings():
    settings = Settings(transformer_build_version="1.2.3-build", git_commit_sha="abc123")
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").json() == {
            "service": "UP",
            "version": "1.2.3-build",
            "gitCommitSha": "abc123",
            "companyStore": {"kind": "process", "state": "up"},
        }
