"""track → Events framework POST (CONTRACT §3.1, §3.6, §4, §5 #11 and the decided divergences)."""

from __future__ import annotations

from typing import Any

import pytest

from gainsight_transformer.gainsight.config import GainsightConfig
from gainsight_transformer.gainsight.track import track
from gainsight_transformer.rudder.destination import DeliveryRequest
from gainsight_transformer.rudder.errors import (
    ConfigurationError,
    InstrumentationError,
)
from support.gainsight_events import (
    ACCESS_KEY,
    DROP,
    EVENTS_URL,
    config,
    process_one,
    rest_output,
    success,
    track_message,
)


def headers(**extra: Any) -> dict[str, Any]:
    """Track headers in the contract's order; `contractId` / `Accesskey` only when given."""
    base = {
        "sharedSecret": "shared-secret",
        "topicName": "Ticket Actions",
        "tenantId": "tenant-1",
        "Content-Type": "application/json",
        "eventName": "Ticket Resolved Event",
        "eventVersion": "1.0.0",
    }
    for key in ("contractId", "Accesskey"):
        if key in extra:
            base[key] = extra.pop(key)
    base.update(extra)
    return base


def events_post(body: Any = None, **header_overrides: Any) -> DeliveryRequest:
    return DeliveryRequest("POST", EVENTS_URL, headers(**header_overrides), {} if body is None else body)


def run(message: dict[str, Any], **cfg: Any) -> DeliveryRequest:
    return track(message, GainsightConfig(config(**cfg)))


def name_map(*pairs: tuple[Any, Any]) -> list[dict[str, Any]]:
    return [{"from": source, "to": target} for source, target in pairs]


def expect_error(message: dict[str, Any], error: type, text: str, **cfg: Any) -> None:
    with pytest.raises(error) as raised:
        run(message, **cfg)
    assert raised.value.message == text


# ---------------------------------------------------------------------------------------------
# Order of checks (CONTRACT §3.6 steps 1-4)
# ---------------------------------------------------------------------------------------------

NOTHING = {"sharedSecret": DROP, "topicName": DROP, "tenantId": DROP, "eventNameMap": DROP,
           "eventVersionMap": DROP}  # fmt: skip


@pytest.mark.parametrize(
    ("message", "cfg", "error", "text"),
    [
        pytest.param(track_message(event=DROP), NOTHING, InstrumentationError,
                     "event name is required for track", id="1-event"),
        pytest.param(track_message(), NOTHING, ConfigurationError,
                     "sharedSecret is required for track", id="2-shared-secret"),
        pytest.param(track_message(), {**NOTHING, "sharedSecret": "s"}, ConfigurationError,
                     "topicName is required for track", id="3-topic-name"),
        pytest.param(track_message(), {**NOTHING, "sharedSecret": "s", "topicName": "t"},
                     ConfigurationError, "tenantId is required for track", id="4-tenant-id"),
        pytest.param(track_message(), {**NOTHING, "sharedSecret": "s", "topicName": "t", "tenantId": "x"},
                     ConfigurationError, "Event name mapping not provided for Ticket Resolved",
                     id="5-name-map"),
        pytest.param(track_message(), {"eventVersionMap": DROP}, ConfigurationError,
                     "event version mapping not provided for Ticket Resolved", id="6-version-map"),
    ],
)  # fmt: skip
def test_track_checks_event_then_secret_topic_tenant_then_maps(message, cfg, error, text):
    expect_error(message, error, text, **cfg)


def test_track_checks_the_event_before_reading_config():
    message = track_message(event="")
    with pytest.raises(InstrumentationError, match="^event name is required for track$"):
        track(message, GainsightConfig({}))


@pytest.mark.parametrize("event", [DROP, None, "", 0, False], ids=repr)
def test_track_requires_a_truthy_event(event):
    expect_error(track_message(event=event), InstrumentationError, "event name is required for track")


@pytest.mark.parametrize("setting", ["sharedSecret", "topicName", "tenantId"])
@pytest.mark.parametrize("value", [DROP, None, "", 0, False], ids=repr)
def test_track_requires_truthy_secret_topic_and_tenant(setting, value):
    expect_error(track_message(), ConfigurationError, f"{setting} is required for track", **{setting: value})


def test_track_access_key_is_optional():
    assert run(track_message(), accessKey=DROP) == events_post()


# ---------------------------------------------------------------------------------------------
# Headers: set, order, contractId and Accesskey rules (CONTRACT §3.6, divergence: strings)
# ---------------------------------------------------------------------------------------------


def test_track_headers_come_in_contract_order():
    message = track_message(context={"externalId": [{"type": "gainsightEventContractId", "id": "c-1"}]})
    request = run(message)
    assert list(request.headers) == [
        "sharedSecret", "topicName", "tenantId", "Content-Type", "eventName", "eventVersion",
        "contractId", "Accesskey",
    ]  # fmt: skip
    assert request == events_post(contractId="c-1", Accesskey=ACCESS_KEY)


def ext(*items: Any) -> dict[str, Any]:
    return {"externalId": list(items)}


CID = "gainsightEventContractId"


@pytest.mark.parametrize(
    ("context", "config_contract", "header"),
    [
        pytest.param(ext({"type": CID, "id": "ext"}), "cfg", "ext", id="external-id-beats-config"),
        pytest.param(ext({"type": CID, "id": "first"}, {"type": CID, "id": "second"}), DROP, "first",
                     id="first-matching-element-wins"),
        pytest.param(ext({"type": "other", "id": "o"}, {"type": CID, "id": "m"}), DROP, "m",
                     id="other-types-skipped"),
        pytest.param(ext(None, "x", [], {"type": CID, "id": "m"}), DROP, "m", id="non-object-elements-skipped"),
        pytest.param(ext({"type": "GainsightEventContractId", "id": "x"}), "cfg", "cfg",
                     id="type-is-case-sensitive"),
        pytest.param(ext({"type": CID, "id": ""}, {"type": CID, "id": "later"}), "cfg", "cfg",
                     id="falsy-first-match-falls-back-to-config"),
        pytest.param(ext({"type": CID, "id": 0}), "cfg", "cfg", id="zero-id-falls-back"),
        pytest.param(ext({"type": CID, "id": None}), "cfg", "cfg", id="null-id-falls-back"),
        pytest.param(ext({"type": CID}), "cfg", "cfg", id="missing-id-falls-back"),
        pytest.param({"externalId": {"type": CID, "id": "obj"}}, "cfg", "cfg", id="non-array-ignored"),
        pytest.param({}, "cfg", "cfg", id="no-external-id"),
        pytest.param(ext({"type": CID, "id": 42}), DROP, "42", id="numeric-id-as-text"),
        pytest.param({}, 77, "77", id="numeric-config-contract-as-text"),
    ],
)  # fmt: skip
def test_track_contract_id_header_comes_from_first_matching_external_id_or_config(
    context, config_contract, header
):
    request = run(track_message(context=context), contractId=config_contract)
    assert request == events_post(contractId=header, Accesskey=ACCESS_KEY)


@pytest.mark.parametrize("config_contract", [DROP, "", 0, None, False], ids=repr)
def test_track_sends_no_contract_id_header_when_falsy(config_contract):
    message = track_message(context=ext({"type": CID, "id": ""}))
    assert run(message, contractId=config_contract) == events_post(Accesskey=ACCESS_KEY)


@pytest.mark.parametrize(
    ("access_key", "extra"),
    [
        pytest.param(DROP, {}, id="missing"),
        pytest.param("", {}, id="empty"),
        pytest.param(0, {}, id="zero"),
        pytest.param(None, {}, id="null"),
        pytest.param("k", {"Accesskey": "k"}, id="string"),
        pytest.param(7, {"Accesskey": "7"}, id="number-as-text"),
    ],
)
def test_track_sends_accesskey_header_only_when_truthy(access_key, extra):
    assert run(track_message(), accessKey=access_key) == events_post(**extra)


@pytest.mark.parametrize(
    ("cfg", "header_values"),
    [
        pytest.param({"eventVersionMap": name_map(("Ticket Resolved", 1))}, {"eventVersion": "1"},
                     id="numeric-version"),
        pytest.param({"eventVersionMap": name_map(("Ticket Resolved", 1.5))}, {"eventVersion": "1.5"},
                     id="float-version"),
        pytest.param({"eventNameMap": name_map(("Ticket Resolved", 5))}, {"eventName": "5"},
                     id="numeric-name"),
        pytest.param({"eventNameMap": name_map(("Ticket Resolved", True))}, {"eventName": "true"},
                     id="boolean-name"),
        pytest.param({"sharedSecret": 123, "topicName": 4.5, "tenantId": True},
                     {"sharedSecret": "123", "topicName": "4.5", "tenantId": "true"}, id="settings"),
    ],
)  # fmt: skip
def test_track_header_values_are_always_strings(cfg, header_values):
    request = run(track_message(), **cfg)
    assert request == events_post(Accesskey=ACCESS_KEY, **header_values)
    assert all(isinstance(value, str) for value in request.headers.values())


def test_track_processor_output_is_the_whole_events_post(client):
    message = track_message(
        properties={"ticketId": "t-1", "n": None, "nested": {"x": [1, None]}},
        context={"externalId": [{"type": CID, "id": "sample-contract-id"}]},
    )
    cfg = config(
        contractId="externalId-shall-get-precedence", eventVersionMap=name_map(("Ticket Resolved", 1))
    )
    answer = process_one(client, message, cfg)
    wire_headers = headers(eventVersion="1", contractId="sample-contract-id", Accesskey=ACCESS_KEY)
    body = {"ticketId": "t-1", "n": None, "nested": {"x": [1, None]}}
    assert answer == success(rest_output("POST", EVENTS_URL, wire_headers, body))


# ---------------------------------------------------------------------------------------------
# Event lookup (CONTRACT §3.6 "Event lookup", §5 #10, decided divergence §5 #11)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "source"),
    [
        pytest.param(5, "5", id="int-by-text"),
        pytest.param(5.0, "5", id="integral-float-by-text"),
        pytest.param(1.5, "1.5", id="float-by-text"),
        pytest.param(5, 5, id="numeric-from"),
        pytest.param("5", 5, id="string-event-numeric-from"),
        pytest.param("a.b", "a.b", id="literal-dotted-key"),
        pytest.param(" Ev ", " Ev ", id="untrimmed-exact"),
        pytest.param(True, "true", id="boolean-literal-key"),
        pytest.param(["a", "b"], "a,b", id="array-by-text"),
    ],
)
def test_track_looks_up_the_event_by_its_text(event, source):
    cfg = {"eventNameMap": name_map((source, "Mapped")), "eventVersionMap": name_map((source, "2"))}
    assert run(track_message(event=event), **cfg) == events_post(
        eventName="Mapped", eventVersion="2", Accesskey=ACCESS_KEY
    )


@pytest.mark.parametrize("event", ["ev", "EV", " Ev", "Ev ", "Ev\u00a0"])
def test_track_event_lookup_is_case_sensitive_and_untrimmed(event):
    cfg = {"eventNameMap": name_map(("Ev", "N")), "eventVersionMap": name_map(("Ev", "1"))}
    expect_error(
        track_message(event=event), ConfigurationError, f"Event name mapping not provided for {event}", **cfg
    )


@pytest.mark.parametrize(
    ("event", "text"),
    [
        pytest.param("constructor", "constructor", id="constructor"),
        pytest.param("toString", "toString", id="toString"),
        pytest.param("hasOwnProperty", "hasOwnProperty", id="hasOwnProperty"),
        pytest.param("valueOf", "valueOf", id="valueOf"),
        pytest.param("__proto__", "__proto__", id="proto"),
        pytest.param("__defineGetter__", "__defineGetter__", id="defineGetter"),
        pytest.param("a.b", "a.b", id="dotted-walk"),
        pytest.param("Ticket Resolved.length", "Ticket Resolved.length", id="dotted-into-string"),
        pytest.param(True, "true", id="boolean"),
        pytest.param({"a": 1}, "[object Object]", id="object"),
        pytest.param([], "", id="empty-array"),
    ],
)
def test_track_only_own_literal_map_keys_resolve_an_event(event, text):
    # The map has a nested `to` for "a" so a path walk of "a.b" would find something.
    cfg = {"eventNameMap": name_map(("Ticket Resolved", "T"), ("a", {"b": "walked"})),
           "eventVersionMap": name_map(("Ticket Resolved", "1"), ("a", {"b": "1"}))}  # fmt: skip
    expect_error(
        track_message(event=event), ConfigurationError, f"Event name mapping not provided for {text}", **cfg
    )


def test_track_version_lookup_is_also_by_own_literal_key():
    cfg = {"eventNameMap": name_map(("toString", "T")), "eventVersionMap": name_map(("other", "1"))}
    expect_error(track_message(event="toString"), ConfigurationError,
                 "event version mapping not provided for toString", **cfg)  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        pytest.param("Ticket Resolved", "Event name mapping not provided for Ticket Resolved", id="non-array"),
        pytest.param(name_map(("Ticket Resolved", "")), "Event name mapping not provided for Ticket Resolved",
                     id="empty-to"),
        pytest.param([{"from": "Ticket Resolved"}], "Event name mapping not provided for Ticket Resolved",
                     id="missing-to"),
        pytest.param(name_map(("Ticket Resolved", 0)), "Event name mapping not provided for Ticket Resolved",
                     id="zero-to"),
    ],
)  # fmt: skip
def test_track_falsy_or_missing_name_mapping_is_a_configuration_error(rows, error):
    expect_error(track_message(), ConfigurationError, error, eventNameMap=rows)


def test_track_later_map_row_wins():
    cfg = {"eventNameMap": name_map(("Ticket Resolved", "Old"), ("Ticket Resolved", "New"))}
    assert run(track_message(), **cfg) == events_post(eventName="New", Accesskey=ACCESS_KEY)


@pytest.mark.parametrize("map_name", ["eventNameMap", "eventVersionMap"])
def test_track_null_map_row_is_a_configuration_error_naming_the_map(map_name):
    rows = name_map(("Ticket Resolved", "x")) + [None]
    with pytest.raises(ConfigurationError, match=map_name):
        run(track_message(), **{map_name: rows})


# ---------------------------------------------------------------------------------------------
# Body = custom fields of `properties` (CONTRACT §3.1, §3.6 step 6)
# ---------------------------------------------------------------------------------------------

BODY_CASES = [
    pytest.param({"a": 1, "b": {"c": [1, {"d": None}]}, "n": None}, {"a": 1, "b": {"c": [1, {"d": None}]}, "n": None},
                 id="nested-values-and-nulls-kept"),
    pytest.param({"email": "e", "name": "n", "Gsid": "g"}, {"email": "e", "name": "n", "Gsid": "g"},
                 id="no-exclusions"),
    pytest.param({"a.b": 1}, {"a": {"b": 1}}, id="dotted-object"),
    pytest.param({"a.0": 3}, {"a": [3]}, id="dotted-index"),
    pytest.param({"x.1.y": 4}, {"x": [None, {"y": 4}]}, id="dotted-padded-array"),
    pytest.param({"a.-1": 1}, {"a": []}, id="negative-index-lost"),
    pytest.param({"k\\.j": 1}, {"k.j": 1}, id="backslash-escape"),
    pytest.param({"a/b.c": 1}, {"a/b.c": 1}, id="slash-never-split"),
    pytest.param({"a.": 1}, {"a": 1}, id="trailing-dot"),
    pytest.param({".a": 1}, {"": {"a": 1}}, id="leading-empty-segment"),
    pytest.param({"a..b": 1}, {"a": {"": {"b": 1}}}, id="inner-empty-segment"),
    pytest.param({"a.__proto__": 1, "a.prototype.b": 2}, {"a.__proto__": 1, "a.prototype.b": 2},
                 id="reserved-segment-literal"),
    pytest.param({"a": 1, "a.b": 2}, {"a": {"b": 2}}, id="write-through-non-object"),
    pytest.param({"a.b": 2, "a": 1}, {"a": 1}, id="later-plain-key-wins"),
    pytest.param({"constructor": 1, "prototype": 2, "ok": 3}, {"ok": 3}, id="reserved-keys-skipped"),
    pytest.param({"b": 1, "10": 2, "2": 3}, {"2": 3, "10": 2, "b": 1}, id="index-keys-first"),
    pytest.param([1, 2], {"0": 1, "1": 2}, id="array-index-keyed"),
    pytest.param([None, {"a": 1}], {"0": None, "1": {"a": 1}}, id="array-with-null"),
    pytest.param("abc", {"0": "abc", "1": "abc", "2": "abc"}, id="string-whole-per-index"),
    pytest.param("\U0001f600", {"0": "\U0001f600", "1": "\U0001f600"}, id="string-utf16-units"),
    pytest.param({}, {}, id="empty-object"),
    pytest.param([], {}, id="empty-array"),
    pytest.param(5, {}, id="number"),
    pytest.param(True, {}, id="true"),
    pytest.param(None, {}, id="null"),
    pytest.param("", {}, id="empty-string"),
    pytest.param(0, {}, id="zero"),
    pytest.param(False, {}, id="false"),
    pytest.param(DROP, {}, id="missing"),
]  # fmt: skip


@pytest.mark.parametrize(("properties", "body"), BODY_CASES)
def test_track_body_is_the_custom_fields_of_properties(properties, body):
    request = run(track_message(properties=properties))
    assert request == events_post(body, Accesskey=ACCESS_KEY)
    assert list(request.json_body) == list(body)  # JS key order (index keys first)


def test_track_skips_a_proto_key_in_properties():
    assert run(track_message(properties={"__proto__": {"x": 1}, "ok": 1})).json_body == {"ok": 1}


def test_track_accepts_a_string_properties_root_of_1000_utf16_units():
    value = "\U0001f600" * 500  # 500 code points, 1000 UTF-16 units
    assert run(track_message(properties=value)).json_body == {str(i): value for i in range(1000)}


@pytest.mark.parametrize("value", ["x" * 1001, "\U0001f600" * 501], ids=["ascii", "surrogate-pairs"])
def test_track_refuses_a_string_properties_root_longer_than_1000_utf16_units(value):
    with pytest.raises(InstrumentationError) as raised:
        run(track_message(properties=value))
    assert raised.value.status == 400
    assert "properties" in raised.value.message


def test_track_refused_string_root_is_a_400_instrumentation_element(client):
    answer = process_one(client, track_message(properties="y" * 5000))
    assert (answer["statusCode"], answer["statTags"]["errorCategory"], answer["statTags"]["errorType"]) == (
        400, "dataValidation", "instrumentation",
    )  # fmt: skip


def test_track_does_not_modify_the_input_properties():
    properties = {"a.b": 1, "c": {"d": 2}}
    request = run(track_message(properties=properties))
    assert properties == {"a.b": 1, "c": {"d": 2}}
    assert request.json_body == {"a": {"b": 1}, "c": {"d": 2}}


@pytest.mark.parametrize("kind", ["track", "TRACK", "Track"])
def test_track_dispatches_on_lower_cased_type(client, kind):
    message = {**track_message(properties={"a": 1}), "type": kind}
    answer = process_one(client, message)
    assert answer == success(rest_output("POST", EVENTS_URL, headers(Accesskey=ACCESS_KEY), {"a": 1}))
