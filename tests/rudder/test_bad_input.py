"""Issue 2 "Bad input": every row answers a clear per-event or request-level error, never HTTP 500.

Request-level rows answer `{"error": <text>}` without `apiVersion`; element-level rows give the
bad event its own error while the other events of the same request are transformed normally.
"""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gainsight_transformer.app import create_app
from gainsight_transformer.settings import Settings
from support.wire import (
    CONFIGURATION,
    EVENTS_URL,
    FAULT,
    INSTRUMENTATION,
    PROCESSOR,
    ROUTER,
    ROUTES,
    TRACK_CONFIG,
    assert_error,
    delivery,
    destination,
    element,
    identify,
    metadata,
    person_output,
    track,
    transform,
)

GOOD = identify()
GOOD_BODY = {"Email": "a@b.c", "Name": ""}


def assert_request_error(response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"error": error}
    assert response.headers["content-type"].startswith("application/json")
    assert "apiversion" not in response.headers


# --------------------------------------------------------------------------------------------
# Request-level rows
# --------------------------------------------------------------------------------------------

NOT_OBJECT_OR_ARRAY = "invalid JSON, only supports object and array"
EMPTY_BODY = "request body is empty; expected a JSON array or object"
TOO_DEEP = "invalid JSON: nesting is deeper than 1024 levels"
PROTO = "Object contains forbidden prototype property"


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


PROCESSOR_REQUEST_ERRORS = [
    pytest.param(b"hello", NOT_OBJECT_OR_ARRAY, id="non-JSON text"),
    pytest.param(b"<xml/>", NOT_OBJECT_OR_ARRAY, id="non-JSON markup"),
    pytest.param(b"", EMPTY_BODY, id="empty body"),
    pytest.param(b" \r\n\t ", EMPTY_BODY, id="whitespace-only body"),
    pytest.param(b"5", NOT_OBJECT_OR_ARRAY, id="JSON number"),
    pytest.param(b'"text"', NOT_OBJECT_OR_ARRAY, id="JSON string"),
    pytest.param(b"true", NOT_OBJECT_OR_ARRAY, id="JSON boolean"),
    pytest.param(b"null", NOT_OBJECT_OR_ARRAY, id="JSON null"),
    pytest.param(b"  \n 7", NOT_OBJECT_OR_ARRAY, id="JSON scalar after whitespace"),
    pytest.param(b"[]", "request body must contain at least one event", id="empty array"),
    pytest.param(
        b" [ ] ",
        "request body must contain at least one event",
        id="empty array, spaced",
    ),
    pytest.param(b"{}", "request body must be a JSON array of events", id="object body"),
    pytest.param(nested(10_000), TOO_DEEP, id="nesting depth 10000"),
    pytest.param(b'[{"__proto__": {}}]', PROTO, id="__proto__ key"),
]


@pytest.mark.parametrize(("body", "error"), PROCESSOR_REQUEST_ERRORS)
def test_processor_request_level_errors_answer_400_with_their_text(client, body, error):
    response = client.post(PROCESSOR, content=body, headers={"Content-Type": "application/json"})
    assert_request_error(response, 400, error)


def test_malformed_json_answers_400_naming_invalid_json(client):
    for body in (b"[{", b'[{"message": }]', b"{'a': 1}", b"[1,]", b"[NaN]"):
        response = client.post(PROCESSOR, content=body)
        assert response.status_code == 400, body
        assert response.json()["error"].startswith("invalid JSON"), body
        assert "apiversion" not in response.headers


ROUTER_REQUEST_ERRORS = [
    pytest.param(b"hello", NOT_OBJECT_OR_ARRAY, id="non-JSON text"),
    pytest.param(b"", EMPTY_BODY, id="empty body"),
    pytest.param(b"5", NOT_OBJECT_OR_ARRAY, id="JSON scalar"),
    pytest.param(
        b"[]",
        "request body must be an object with 'input' and 'destType'",
        id="array body",
    ),
    pytest.param(
        b"[null]",
        "request body must be an object with 'input' and 'destType'",
        id="[null] body",
    ),
    pytest.param(b'{"input": []}', "destType is required", id="no destType key"),
    pytest.param(
        b'{"destType": "gainsight"}',
        "request body must be an object with an 'input' array of events",
        id="no input",
    ),
    pytest.param(
        b'{"destType": "gainsight", "input": {}}',
        "request body must be an object with an 'input' array of events",
        id="input not a list",
    ),
    pytest.param(
        b'{"destType": "gainsight", "input": null}',
        "request body must be an object with an 'input' array of events",
        id="input null",
    ),
    pytest.param(
        b'{"destType": "gainsight", "input": ' + nested(10_000) + b"}",
        TOO_DEEP,
        id="nesting 10000",
    ),
    pytest.param(
        b'{"destType": "gainsight", "input": [], "__proto__": 1}',
        PROTO,
        id="__proto__ key",
    ),
]


@pytest.mark.parametrize(("body", "error"), ROUTER_REQUEST_ERRORS)
def test_router_request_level_errors_answer_400_with_their_text(client, body, error):
    assert_request_error(client.post(ROUTER, content=body), 400, error)


def test_router_empty_input_is_the_originals_invalid_event_array(client):
    response = client.post(ROUTER, json={"input": [], "destType": "gainsight"})
    assert response.status_code == 200
    assert response.headers["apiVersion"] == "2"
    assert response.json() == {
        "output": [
            {
                "metadata": [{"destType": "gainsight"}],
                "batched": False,
                "statusCode": 400,
                "error": "Invalid event array",
            }
        ]
    }


@pytest.mark.parametrize(
    "where",
    ["message traits", "metadata", "destination Config", "deep inside an array"],
)
def test_proto_key_anywhere_rejects_the_request(client, where):
    events = [element(GOOD, 1), element(identify(), 2)]
    target = events[1]
    poison = json.loads('{"__proto__": {"polluted": true}}')
    if where == "message traits":
        target["message"]["traits"]["x"] = poison
    elif where == "metadata":
        target["metadata"]["odd"] = poison
    elif where == "destination Config":
        target["destination"]["Config"]["personMap"] = [poison]
    else:
        target["message"]["traits"]["list"] = [[1, [2, poison]]]
    assert_request_error(client.post(PROCESSOR, json=events), 400, PROTO)
    assert_request_error(client.post(ROUTER, json={"input": events, "destType": "gainsight"}), 400, PROTO)


def test_proto_as_a_string_value_is_fine(client):
    events = [element(identify(note="__proto__"), 1)]
    [answer] = client.post(PROCESSOR, json=events).json()
    assert answer["statusCode"] == 200


# --------------------------------------------------------------------------------------------
# Element-level rows: the bad event gets its own error, its neighbours are intact
# --------------------------------------------------------------------------------------------


def _without(key: str) -> dict[str, Any]:
    bad = element(GOOD, 2)
    del bad[key]
    return bad


def _with_destination(dest: Any) -> dict[str, Any]:
    return {"message": GOOD, "metadata": metadata(2), "destination": dest}


def _config(config: Any, drop: bool = False) -> dict[str, Any]:
    dest = destination()
    if drop:
        del dest["Config"]
    else:
        dest["Config"] = config
    return _with_destination(dest)


ABSENT = object()

# (id, bad element, status, error text, (category, type))
ELEMENT_ROWS = [
    ("null element", None, 400, "event must be an object, got null", INSTRUMENTATION),
    (
        "number element",
        1,
        400,
        "event must be an object, got a number",
        INSTRUMENTATION,
    ),
    (
        "string element",
        "x",
        400,
        "event must be an object, got a string",
        INSTRUMENTATION,
    ),
    (
        "array element",
        [GOOD],
        400,
        "event must be an object, got an array",
        INSTRUMENTATION,
    ),
    (
        "no message",
        _without("message"),
        400,
        "Message Type is not present. Aborting message.",
        INSTRUMENTATION,
    ),
    (
        "message null",
        element(None, 2),
        400,
        "Message Type is not present. Aborting message.",
        INSTRUMENTATION,
    ),
    (
        "message a string",
        element("identify", 2),
        400,
        "message must be an object, got a string",
        INSTRUMENTATION,
    ),
    (
        "message an array",
        element([GOOD], 2),
        400,
        "message must be an object, got an array",
        INSTRUMENTATION,
    ),
    (
        "no destination",
        _without("destination"),
        400,
        "destination is missing",
        INSTRUMENTATION,
    ),
    (
        "destination null",
        _with_destination(None),
        400,
        "destination is missing",
        INSTRUMENTATION,
    ),
    (
        "destination a string",
        _with_destination("d"),
        400,
        "destination must be an object, got a string",
        INSTRUMENTATION,
    ),
    (
        "no Config",
        _config(None, drop=True),
        400,
        "destination Config is missing",
        INSTRUMENTATION,
    ),
    (
        "Config null",
        _config(None),
        400,
        "destination Config is missing",
        INSTRUMENTATION,
    ),
    (
        "Config an array",
        _config([]),
        400,
        "destination Config must be an object, got an array",
        INSTRUMENTATION,
    ),
    (
        "Config a string",
        _config("{}"),
        400,
        "destination Config must be an object, got a string",
        INSTRUMENTATION,
    ),
    (
        "type 5",
        element({**GOOD, "type": 5}, 2),
        500,
        "message.type must be a string, got a number",
        FAULT,
    ),
    (
        "type true",
        element({**GOOD, "type": True}, 2),
        500,
        "message.type must be a string, got a boolean",
        FAULT,
    ),
    (
        "type an object",
        element({**GOOD, "type": {}}, 2),
        500,
        "message.type must be a string, got an object",
        FAULT,
    ),
    (
        "type null",
        element({**GOOD, "type": None}, 2),
        400,
        "Message Type is not present. Aborting message.",
        INSTRUMENTATION,
    ),
    (
        "type empty",
        element({**GOOD, "type": ""}, 2),
        400,
        "Message Type is not present. Aborting message.",
        INSTRUMENTATION,
    ),
    (
        "type missing",
        element({"traits": GOOD["traits"]}, 2),
        400,
        "Message Type is not present. Aborting message.",
        INSTRUMENTATION,
    ),
    (
        "type ' identify'",
        element({**GOOD, "type": " identify"}, 2),
        400,
        "message type  identify not supported",
        INSTRUMENTATION,
    ),
    (
        "type 'Page'",
        element({**GOOD, "type": "Page"}, 2),
        400,
        "message type page not supported",
        INSTRUMENTATION,
    ),
    (
        "group traits as a string",
        element(
            {
                "type": "group",
                "traits": "Acme",
                "context": {"traits": {"email": "a@b.c"}},
            },
            2,
        ),
        400,
        "company name is required for group",
        INSTRUMENTATION,
    ),
    (
        "personMap null row",
        element(GOOD, 2, dest=destination(personMap=[None])),
        400,
        "personMap[0] is null; each row must be an object with 'from' and 'to'",
        CONFIGURATION,
    ),
    (
        "track without eventNameMap list",
        element(
            track(),
            2,
            dest=destination(**{**TRACK_CONFIG, "eventNameMap": {"Signed Up": "x"}}),
        ),
        400,
        "Event name mapping not provided for Signed Up",
        CONFIGURATION,
    ),
    (
        "track event named constructor",
        element(track("constructor"), 2, dest=destination(**TRACK_CONFIG)),
        400,
        "Event name mapping not provided for constructor",
        CONFIGURATION,
    ),
]


def _expected_meta(bad: Any) -> Any:
    if isinstance(bad, dict) and "metadata" in bad:
        return bad["metadata"]
    return ABSENT


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("bad", "status", "error", "kind"),
    [pytest.param(*row[1:], id=row[0]) for row in ELEMENT_ROWS],
)
def test_bad_element_gets_its_own_error_and_neighbours_are_transformed(
    client, route, bad, status, error, kind
):
    first, last = element(GOOD, 1), element(identify("z@y.x"), 3)
    answers = transform(client, route, [first, bad, last])

    meta = _expected_meta(bad)
    if route == "processor":
        if meta is ABSENT:
            assert "metadata" not in answers[1]
        else:
            assert answers[1]["metadata"] == meta
    else:
        assert answers[1]["metadata"] == ({} if meta is ABSENT else meta)
    assert_error(answers[1], route, None if meta is ABSENT else meta, status, error, kind)

    assert answers[0]["metadata"] == first["metadata"]
    assert delivery(answers[0], route) == person_output(GOOD_BODY, with_user_id=route == "processor")
    assert answers[2]["metadata"] == last["metadata"]
    assert delivery(answers[2], route)["body"]["JSON"] == {"Email": "z@y.x", "Name": ""}


@pytest.mark.parametrize("route", ROUTES)
def test_only_null_elements_still_answer_200_per_event(client, route):
    answers = transform(client, route, [None, None] if route == "processor" else [None])
    for answer in answers:
        assert answer["statusCode"] == 400
        assert answer["error"] == "event must be an object, got null"


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(element("identify", 2), id="message a string"),
        pytest.param(element([GOOD], 2), id="message an array"),
        pytest.param(element({**GOOD, "type": 5}, 2), id="type a number"),
        pytest.param(_config(None, drop=True), id="no Config"),
        pytest.param(_config([]), id="Config an array"),
    ],
)
def test_router_echoes_the_input_destination_on_a_bad_element(client, bad):
    [answer] = transform(client, "router", [bad])
    assert answer["statusCode"] in (400, 500)
    assert answer["destination"] == bad["destination"]


def test_router_echoes_a_malformed_destination_as_an_empty_object(client):
    answers = transform(client, "router", [_with_destination("d")])
    # rudder-server decodes `destination` into a struct: a string there would fail the batch.
    assert answers[0]["destination"] == {}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("spelling", ["IDENTIFY", "Identify", "iDeNtIfY"])
def test_message_type_is_case_insensitive(client, route, spelling):
    [answer] = transform(client, route, [element({**GOOD, "type": spelling}, 1)])
    assert delivery(answer, route)["body"]["JSON"] == GOOD_BODY


@pytest.mark.parametrize("route", ROUTES)
def test_identify_traits_as_a_string_reads_context_traits_and_keys_by_character_index(client, route):
    message = {
        "type": "identify",
        "traits": "abc",
        "context": {"traits": {"email": "ctx@b.c"}},
    }
    dest = destination(personMap=[{"from": "1", "to": "second__gc"}])
    [answer] = transform(client, route, [element(message, 1, dest=dest)])
    # CONTRACT §3.1: a string root yields one key per character index, each with the whole string.
    assert delivery(answer, route)["body"]["JSON"] == {
        "Email": "ctx@b.c",
        "second__gc": "abc",
        "Name": "",
    }


@pytest.mark.parametrize("route", ROUTES)
def test_track_properties_as_a_list_become_index_keyed_fields(client, route):
    message = track(properties=[1, {"a": 2}, None])
    [answer] = transform(client, route, [element(message, 1, dest=destination(**TRACK_CONFIG))])
    output = delivery(answer, route)
    assert output["endpoint"] == EVENTS_URL
    assert output["body"]["JSON"] == {"0": 1, "1": {"a": 2}, "2": None}


PERSON_MAP_ROWS = [
    pytest.param([{"from": "car"}], {"undefined": "Batmobile"}, id="row without to"),
    pytest.param([{"to": "car__gc"}], {}, id="row without from"),
    pytest.param([{"from": "  ", "to": "car__gc"}], {}, id="blank from"),
    pytest.param([{"from": None, "to": "car__gc"}], {}, id="from null"),
    pytest.param(
        [5, "car", {"from": "car", "to": "car__gc"}],
        {"car__gc": "Batmobile"},
        id="non-object rows skipped",
    ),
    pytest.param("car", {}, id="not a list (string)"),
    pytest.param({"from": "car", "to": "car__gc"}, {}, id="not a list (object)"),
    pytest.param(None, {}, id="null"),
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("person_map", "custom"), PERSON_MAP_ROWS)
def test_malformed_person_map_rows_never_fail_the_event(client, route, person_map, custom):
    dest = destination(personMap=person_map)
    [answer] = transform(client, route, [element(identify(car="Batmobile"), 1, dest=dest)])
    assert delivery(answer, route)["body"]["JSON"] == {
        "Email": "a@b.c",
        **custom,
        "Name": "",
    }


# --------------------------------------------------------------------------------------------
# Size and depth
# --------------------------------------------------------------------------------------------


def test_ten_megabyte_body_of_valid_events_is_processed(client):
    filler = "x" * 5_000
    events = [element(identify(f"u{i}@b.c", note=filler), i) for i in range(1, 2_101)]
    body = json.dumps(events).encode()
    assert len(body) > 10 * 1024 * 1024
    response = client.post(PROCESSOR, content=body)
    assert response.status_code == 200
    answers = response.json()
    assert [a["metadata"]["jobId"] for a in answers] == list(range(1, 2_101))
    assert all(a["statusCode"] == 200 for a in answers)
    assert answers[-1]["output"]["body"]["JSON"]["Email"] == "u2100@b.c"


def test_ten_megabyte_router_body_is_processed(client):
    filler = "y" * 5_000
    events = [element(identify(f"u{i}@b.c", note=filler), i) for i in range(1, 2_101)]
    body = json.dumps({"input": events, "destType": "gainsight"}).encode()
    assert len(body) > 10 * 1024 * 1024
    response = client.post(ROUTER, content=body)
    assert response.status_code == 200
    outputs = response.json()["output"]
    assert sorted(o["metadata"][0]["jobId"] for o in outputs) == list(range(1, 2_101))
    assert all(o["statusCode"] == 200 for o in outputs)


@pytest.fixture
def small_client():
    with TestClient(create_app(Settings(max_body_bytes=4096))) as test_client:
        yield test_client


def _events_of_size(size: int) -> bytes:
    events = [element(identify(note="n" * size), 1)]
    return json.dumps(events).encode()


@pytest.mark.parametrize("path", [PROCESSOR, ROUTER])
def test_body_over_max_body_bytes_answers_413(small_client, path):
    raw = _events_of_size(5_000)
    if path == ROUTER:
        raw = b'{"destType": "gainsight", "input": ' + raw + b"}"
    assert len(raw) > 4096
    assert_request_error(small_client.post(path, content=raw), 413, "request entity too large")


def test_body_just_under_max_body_bytes_is_processed(small_client):
    raw = _events_of_size(3_000)
    assert len(raw) <= 4096
    response = small_client.post(PROCESSOR, content=raw)
    assert response.status_code == 200
    assert response.json()[0]["statusCode"] == 200


@pytest.mark.parametrize(("encoding", "compress"), [("gzip", gzip.compress), ("deflate", zlib.compress)])
def test_compressed_body_is_inflated_and_the_limit_applies_after_inflation(small_client, encoding, compress):
    small = compress(_events_of_size(1_000))
    response = small_client.post(PROCESSOR, content=small, headers={"Content-Encoding": encoding})
    assert response.status_code == 200
    assert response.json()[0]["output"]["body"]["JSON"]["Email"] == "a@b.c"

    bomb = compress(_events_of_size(50_000))
    assert len(bomb) < 4096  # small on the wire, too large once inflated
    response = small_client.post(PROCESSOR, content=bomb, headers={"Content-Encoding": encoding})
    assert_request_error(response, 413, "request entity too large")


def test_corrupt_gzip_body_answers_400(client):
    response = client.post(PROCESSOR, content=b"not gzip at all", headers={"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("invalid gzip body")


def _deep_value(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def _body_with_deep_trait(depth: int, big_int_first: bool) -> bytes:
    big = '"big": 123456789012345678901234567890, ' if big_int_first else ""
    deep = (
        '{"message": {"type": "identify", "traits": {BIG"email": "a@b.c", "location": DEEP}}, '
        '"metadata": {"jobId": 2}, "destination": DEST}'
    )
    deep = (
        deep.replace("BIG", big)
        .replace("DEEP", _deep_value(depth))
        .replace("DEST", json.dumps(destination()))
    )
    good = json.dumps(element(GOOD, 1))
    return f"[{good}, {deep}]".encode()


@pytest.mark.parametrize("big_int_first", [False, True], ids=["orjson parser", "stdlib fallback parser"])
@pytest.mark.parametrize("depth", [1_100, 3_000, 4_900, 10_000])
def test_nesting_deeper_than_1024_levels_is_a_400_whichever_parser_reads_it(client, depth, big_int_first):
    response = client.post(PROCESSOR, content=_body_with_deep_trait(depth, big_int_first))
    assert_request_error(response, 400, TOO_DEEP)


@pytest.mark.parametrize("big_int_first", [False, True], ids=["orjson parser", "stdlib fallback parser"])
def test_nesting_within_the_limit_is_transformed_including_deep_text_conversion(client, big_int_first):
    depth = 1_000
    response = client.post(PROCESSOR, content=_body_with_deep_trait(depth, big_int_first))
    assert response.status_code == 200
    first, deep = response.json()
    assert first["statusCode"] == 200
    assert deep["statusCode"] == 200
    # Location is jsonStringifyOnObject: the deep array becomes its compact JSON text.
    assert deep["output"]["body"]["JSON"]["Location"] == _deep_value(depth)


def test_deep_metadata_within_the_limit_is_echoed_verbatim(client):
    deep: Any = "bottom"
    for _ in range(1_000):
        deep = {"d": deep}
    events = [{**element(GOOD, 1), "metadata": {"jobId": 1, "deep": deep}}]
    response = client.post(PROCESSOR, content=json.dumps(events))
    assert response.status_code == 200
    assert response.json()[0]["metadata"] == {"jobId": 1, "deep": deep}


# --------------------------------------------------------------------------------------------
# Unicode, odd numbers and reserved keys
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
def test_unicode_and_emoji_everywhere_round_trip_intact(client, route):
    config = {
        "accessKey": "ключ-🔑",
        "domain": "xn--r8jz45g.jp",  # 例え.jp as DNS and Gainsight's hosts spell it
        "personMap": [
            {"from": "émoji🎉", "to": "emoji__gc"},
            {"from": "名前", "to": "名前__gc"},
        ],
        "note": "😀 \u2028 \u00a0 \ufeff",
    }
    dest = {"ID": "dést-🚀", "Config": config, "Name": "Gainsight 🧪"}
    meta = {
        "jobId": 1,
        "destinationId": "dést-🚀",
        "workspaceId": "wś-✨",
        "ключ": "значение 🦄",
        "🔥": ["🌶", {"ü": "ß"}],
    }
    message = {
        "type": "identify",
        "traits": {
            "email": "zoë@exämple.com",
            "firstName": "Zoë",
            "lastName": "李 🚀",
            "émoji🎉": "✓ 👍🏽",
            "名前": "太郎",
        },
        "context": {"traits": {"🙂": "ignored"}},
    }
    [answer] = transform(client, route, [{"message": message, "metadata": meta, "destination": dest}])
    assert answer["metadata"] == meta
    output = delivery(answer, route)
    assert output["endpoint"] == "https://xn--r8jz45g.jp/v1.0/api/people"
    assert output["headers"]["Accesskey"] == "ключ-🔑"
    assert output["body"]["JSON"] == {
        "Email": "zoë@exämple.com",
        "FirstName": "Zoë",
        "LastName": "李 🚀",
        "emoji__gc": "✓ 👍🏽",
        "名前__gc": "太郎",
        "Name": "Zoë 李 🚀",
    }
    if route == "router":
        assert answer["destination"] == dest


def test_unicode_failure_texts_and_tags_round_trip(client):
    meta = {"jobId": 1, "destinationId": "dést-🚀", "workspaceId": "wś-✨"}
    bad = {
        "message": {"type": "Päge 📄"},
        "metadata": meta,
        "destination": destination(),
    }
    [answer] = client.post(PROCESSOR, json=[bad]).json()
    assert answer["error"] == "message type päge 📄 not supported"
    assert answer["statTags"]["destinationId"] == "dést-🚀"
    assert answer["statTags"]["workspaceId"] == "wś-✨"


def test_lone_surrogates_and_huge_integers_are_accepted_and_echoed(client):
    raw = (
        '[{"message": {"type": "identify", "traits": {"email": "a@b.c", "odd": "\\ud800x"}},'
        ' "metadata": {"jobId": 1, "lone": "\\udfff", "huge": 123456789012345678901234567890,'
        ' "u64": 18446744073709551615},'
        ' "destination": DEST}]'
    ).replace("DEST", json.dumps(destination(personMap=[{"from": "odd", "to": "odd__gc"}])))
    response = client.post(PROCESSOR, content=raw.encode())
    assert response.status_code == 200
    [answer] = json.loads(response.content)
    assert answer["metadata"]["lone"] == "\udfff"
    assert answer["metadata"]["u64"] == 18446744073709551615
    assert answer["metadata"]["huge"] == pytest.approx(1.2345678901234568e29)
    assert answer["output"]["body"]["JSON"]["odd__gc"] == "\ud800x"


@pytest.mark.parametrize("route", ROUTES)
def test_constructor_and_prototype_keys_are_accepted_but_never_custom_fields(client, route):
    dest = destination(
        personMap=[
            {"from": "constructor", "to": "c__gc"},
            {"from": "prototype", "to": "p__gc"},
            {"from": "ok", "to": "ok__gc"},
        ]
    )
    meta = {**metadata(1), "constructor": {"prototype": 1}}
    message = identify(constructor="C", prototype="P", ok="fine")
    message["context"] = {"traits": {"constructor": {"x": 1}}}
    [answer] = transform(client, route, [{"message": message, "metadata": meta, "destination": dest}])
    assert answer["metadata"] == meta
    assert delivery(answer, route)["body"]["JSON"] == {
        "Email": "a@b.c",
        "ok__gc": "fine",
        "Name": "",
    }


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=utf-8",
    ],
)
def test_any_content_type_is_parsed_as_json(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(PROCESSOR, content=json.dumps([element(GOOD, 1)]), headers=headers)
    assert response.status_code == 200
    assert response.json()[0]["statusCode"] == 200


def test_no_row_of_a_mixed_bad_batch_turns_into_http_500(client):
    """All element-level rows in ONE request: one answer each, HTTP 200, neighbours intact."""
    bad = [row[1] for row in ELEMENT_ROWS]
    statuses = [row[2] for row in ELEMENT_ROWS]
    events = [element(GOOD, 1000), *bad, element(GOOD, 1001)]

    response = client.post(PROCESSOR, json=events)
    assert response.status_code == 200
    answers = response.json()
    assert [a["statusCode"] for a in answers] == [200, *statuses, 200]

    response = client.post(ROUTER, json={"input": events, "destType": "gainsight"})
    assert response.status_code == 200
    outputs = response.json()["output"]
    assert sorted(o["statusCode"] for o in outputs) == sorted([200, *statuses, 200])
    good = [o for o in outputs if o["metadata"][0].get("jobId") in (1000, 1001)]
    assert [o["statusCode"] for o in good] == [200, 200]


@pytest.mark.parametrize(
    "body",
    [
        b'{"destType": "gain\\ud800sight", "input": []}',
        b'{"destType": "\\udfff", "input": [{"message": {}}]}',
    ],
    ids=["inside", "alone"],
)
def test_a_lone_surrogate_in_dest_type_is_a_json_4xx_quoting_it_escaped(client, body: bytes) -> None:
    response = client.post("/routerTransform", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    error = json.loads(response.content)["error"]
    assert error.startswith("Unknown destination: ")
    assert ("\ud800" in error) or ("\udfff" in error)
    assert b"\\ud" in response.content  # escaped, as JSON.stringify writes it


def test_a_log_line_quoting_a_lone_surrogate_is_still_one_json_line() -> None:
    import logging

    from gainsight_transformer.telemetry.logs import JsonFormatter

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "unknown %s", ("gain\ud800sight",), None)
    record.fields = {"destType": "\udfff"}
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "unknown gain\ufffdsight" and entry["destType"] == "\ufffd"
