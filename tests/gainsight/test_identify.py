"""identify → Person upsert (CONTRACT §3.1, §3.3, §2, §6 and the decided divergences)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gainsight_transformer.gainsight.config import GainsightConfig
from gainsight_transformer.gainsight.identify import identify
from gainsight_transformer.jsvalues import is_truthy
from gainsight_transformer.rudder.errors import (
    ConfigurationError,
    InstrumentationError,
)
from support.gainsight_events import (
    DROP,
    PEOPLE_URL,
    PERSON_HEADERS,
    config,
    element,
    identify_message,
    post_processor,
    process_one,
    rest_output,
    set_in,
    success,
)

EMAIL = "jane@acme.com"


def person(message: dict[str, Any], **cfg: Any) -> dict[str, Any]:
    """The Person payload (body.JSON) identify builds for `message`."""
    request = identify(message, GainsightConfig(config(**cfg)))
    assert (request.method, request.endpoint, request.headers) == ("PUT", PEOPLE_URL, PERSON_HEADERS)
    return request.json_body


def traits_person(traits: dict[str, Any], context_traits: Any = DROP, **cfg: Any) -> dict[str, Any]:
    return person(identify_message({"email": EMAIL, **traits}, context_traits), **cfg)


def rows(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"from": source, "to": target} for source, target in pairs]


# ---------------------------------------------------------------------------------------------
# Person field table: every source path, in precedence order (CONTRACT §3.3)
# ---------------------------------------------------------------------------------------------

# The contract's table, duplicates removed (MiddleName lists middleName twice).
PERSON_TABLE: list[tuple[str, tuple[str, ...]]] = [
    ("Email", ("traits.email", "context.traits.email")),
    ("Name", ("traits.name", "context.traits.name")),
    ("FirstName", ("traits.firstName", "traits.firstname", "traits.first_name",
                   "context.traits.firstName", "context.traits.firstname", "context.traits.first_name")),
    ("LastName", ("traits.lastName", "traits.lastname", "traits.last_name",
                  "context.traits.lastName", "context.traits.lastname", "context.traits.last_name")),
    ("MiddleName", ("traits.middleName", "traits.middle_name",
                    "context.traits.middleName", "context.traits.middle_name")),
    ("LinkedinUrl", ("traits.linkedinUrl", "context.traits.linkedinUrl")),
    ("Location", ("traits.location", "context.traits.location")),
    ("ExternalRecordID__gc", ("traits.externalRecordId", "context.traits.externalRecordId")),
    ("EmailOptOut", ("traits.emailOptOut", "context.traits.emailOptOut")),
    ("DynamicResolutionKey", ("traits.dynamicResolutionKey", "context.traits.dynamicResolutionKey")),
    ("Timezone", ("traits.timezone", "context.traits.timezone")),
    ("Comments", ("traits.comments", "context.traits.comments")),
    ("MasterRecordID", ("traits.masterRecordID", "context.traits.masterRecordID")),
    ("MasterAvatarTypeCode", ("traits.masterAvatarTypeCode", "context.traits.masterAvatarTypeCode")),
]  # fmt: skip

NAME_PARTS = {"Name", "FirstName", "LastName", "MiddleName"}


def _sample(field: str, position: int) -> Any:
    if field == "Email":
        return f"p{position}@acme.com"
    if field == "MasterAvatarTypeCode":
        return 10 + position
    return f"{field}-{position}"


PRECEDENCE_CASES = [
    pytest.param(field, paths, position, id=f"{field}<-{path}")
    for field, paths in PERSON_TABLE
    for position, path in enumerate(paths)
]


@pytest.mark.parametrize(("field", "paths", "position"), PRECEDENCE_CASES)
def test_identify_reads_each_person_field_path_before_the_later_ones(field, paths, position):
    message: dict[str, Any] = {"type": "identify", "traits": {}, "context": {"traits": {}}}
    if field != "Email":
        message["traits"]["email"] = EMAIL
    for later, path in enumerate(paths[position:], start=position):
        set_in(message, path, _sample(field, later))
    value = _sample(field, position)
    expected = {"Email": value if field == "Email" else EMAIL, field: value}
    expected["Name"] = value if field in NAME_PARTS else ""
    assert person(message) == expected


@pytest.mark.parametrize(
    ("message", "email"),
    [
        pytest.param({"traits.email": "lit@x.com"}, "lit@x.com", id="whole-path-literal-at-root"),
        pytest.param({"context.traits.email": "lit@x.com"}, "lit@x.com", id="deep-whole-path-literal"),
        pytest.param({"context.traits": {"email": "lit@x.com"}}, "lit@x.com", id="dotted-key-at-root"),
        pytest.param({"context": {"traits.email": "lit@x.com"}}, "lit@x.com", id="dotted-key-nested"),
        pytest.param({"traits": {"email": "a@x.com"}, "traits.email": "lit@x.com"}, "lit@x.com",
                     id="whole-literal-beats-walk"),
    ],
)  # fmt: skip
def test_identify_path_lookup_accepts_keys_that_literally_contain_dots(message, email):
    assert person({"type": "identify", **message}) == {"Email": email, "Name": ""}


@pytest.mark.parametrize(
    "message",
    [
        pytest.param({"traits": "a@x.com"}, id="string-intermediate"),
        pytest.param({"traits": ["a@x.com"]}, id="array-intermediate"),
        pytest.param({"traits": None, "context": {"traits": 5}}, id="null-and-number-intermediates"),
    ],
)
def test_identify_path_lookup_ends_at_non_object_intermediates(message):
    with pytest.raises(InstrumentationError, match="^email is required for identify$"):
        identify({"type": "identify", **message}, GainsightConfig(config()))


@pytest.mark.parametrize("path", ["traits.middlename", "context.traits.middlename"])
def test_identify_has_no_all_lower_case_middlename_source(path):
    message = identify_message({"email": EMAIL, "firstName": "Ann"}, {})
    set_in(message, path, "Marie")
    # Also not a custom field: `middlename` is in the identify exclusion list.
    assert person(message, personMap=rows(("middlename", "middlename"))) == {
        "Email": EMAIL, "FirstName": "Ann", "Name": "Ann",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        pytest.param("", "Ctx", id="empty-string-skipped"),
        pytest.param(None, "Ctx", id="null-skipped"),
        pytest.param(False, False, id="false-kept"),
        pytest.param(0, 0, id="zero-kept"),
        pytest.param(" ", " ", id="blank-is-truthy"),
        pytest.param("0", "0", id="string-zero-is-truthy"),
    ],
)
def test_identify_list_lookup_uses_present_semantics(first, expected):
    message = identify_message({"email": EMAIL, "timezone": first}, {"timezone": "Ctx"})
    assert person(message) == {"Email": EMAIL, "Timezone": expected, "Name": ""}


def test_identify_keeps_false_and_zero_values():
    traits = {"emailOptOut": False, "masterRecordID": 0, "linkedinUrl": ""}
    assert traits_person(traits) == {
        "Email": EMAIL, "EmailOptOut": False, "MasterRecordID": 0, "Name": "",
    }  # fmt: skip


@pytest.mark.parametrize("blocking", [False, 0], ids=["false", "zero"])
def test_identify_traits_email_false_or_zero_blocks_the_context_fallback(blocking):
    message = identify_message({"email": blocking}, {"email": "ok@acme.com"})
    with pytest.raises(InstrumentationError, match="^email is required for identify$"):
        identify(message, GainsightConfig(config()))


@pytest.mark.parametrize("skipped", ["", None], ids=["empty", "null"])
def test_identify_falls_back_to_context_email_when_traits_email_is_empty(skipped):
    message = identify_message({"email": skipped}, {"email": "ctx@acme.com"})
    assert person(message) == {"Email": "ctx@acme.com", "Name": ""}


# ---------------------------------------------------------------------------------------------
# Conversions (CONTRACT §3.1)
# ---------------------------------------------------------------------------------------------

STRINGIFIED_FIELDS = [
    ("location", "Location"),
    ("externalRecordId", "ExternalRecordID__gc"),
    ("dynamicResolutionKey", "DynamicResolutionKey"),
    ("comments", "Comments"),
]

STRINGIFY_CASES = [
    pytest.param("Gotham", "Gotham", id="string-kept"),
    pytest.param(5, "5", id="int"),
    pytest.param(1.5, "1.5", id="float"),
    pytest.param(True, "true", id="true"),
    pytest.param(False, "false", id="false"),
    pytest.param(0, "0", id="zero"),
    pytest.param([1, "a"], '[1,"a"]', id="array"),
    pytest.param({"b": 1, "a": [1, {"c": None}]}, '{"b":1,"a":[1,{"c":null}]}', id="object"),
    pytest.param({"city": "X", "2": 1}, '{"2":1,"city":"X"}', id="index-keys-first"),
    pytest.param(1e21, "1e+21", id="js-number-text"),
    pytest.param(1e-7, "1e-7", id="js-small-number-text"),
    pytest.param({"s": "é\u2028/"}, '{"s":"é\u2028/"}', id="non-ascii-as-is"),
]


@pytest.mark.parametrize(("trait", "field"), STRINGIFIED_FIELDS)
@pytest.mark.parametrize(("value", "expected"), STRINGIFY_CASES)
def test_identify_stringifies_non_string_values_with_json_stringify_on_object(trait, field, value, expected):
    assert traits_person({trait: value}) == {"Email": EMAIL, field: expected, "Name": ""}


@pytest.mark.parametrize(("trait", "field"), STRINGIFIED_FIELDS)
def test_identify_omits_empty_stringified_fields(trait, field):
    assert traits_person({trait: ""}, {trait: None}) == {"Email": EMAIL, "Name": ""}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(10, 10, id="number"),
        pytest.param(3.7, 3.7, id="no-rounding"),
        pytest.param("12", 12, id="numeric-string"),
        pytest.param(" 42 ", 42, id="trimmed-string"),
        pytest.param(" ", 0, id="blank-string-is-zero"),
        pytest.param("0x10", 16, id="hex"),
        pytest.param(True, 1, id="true"),
        pytest.param(False, 0, id="false"),
        pytest.param(0, 0, id="zero"),
        pytest.param([5], 5, id="one-element-array"),
        pytest.param([], 0, id="empty-array"),
    ],
)
def test_identify_converts_master_avatar_type_code_with_to_number(value, expected):
    assert traits_person({"masterAvatarTypeCode": value}) == {
        "Email": EMAIL, "MasterAvatarTypeCode": expected, "Name": "",
    }  # fmt: skip


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty-string-never-reaches-to-number"),
        pytest.param("abc", id="nan-dropped"),
        pytest.param("12abc", id="partial-number-nan"),
        pytest.param([1, 2], id="array-nan"),
        pytest.param({"a": 1}, id="object-nan"),
        pytest.param(None, id="null"),
    ],
)
def test_identify_omits_master_avatar_type_code_without_a_number(value):
    assert traits_person({"masterAvatarTypeCode": value}) == {"Email": EMAIL, "Name": ""}


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "1e1000"])
def test_identify_writes_infinite_master_avatar_type_code_as_json_null(client, value):
    answer = process_one(client, identify_message({"email": EMAIL, "masterAvatarTypeCode": value}))
    assert answer["output"]["body"]["JSON"] == {"Email": EMAIL, "MasterAvatarTypeCode": None, "Name": ""}


# ---------------------------------------------------------------------------------------------
# Custom fields, exclusions and personMap renaming (CONTRACT §3.1, §3.3, §5 #7-#9)
# ---------------------------------------------------------------------------------------------

IDENTIFY_EXCLUDED = [
    "ModifiedDate", "CreatedDate", "CreatedBy", "ModifiedBy", "Gsid", "companies", "name",
    "firstName", "first_name", "firstname", "lastName", "last_name", "lastname", "middleName",
    "middle_name", "middlename", "email", "linkedinUrl", "location", "externalRecordId",
    "emailOptOut", "dynamicResolutionKey", "timezone", "comments", "masterRecordID",
    "masterAvatarTypeCode",
]  # fmt: skip


@pytest.mark.parametrize("key", IDENTIFY_EXCLUDED)
@pytest.mark.parametrize("root", ["traits", "context.traits"])
def test_identify_never_extracts_excluded_custom_keys(key, root):
    # "" keeps every mapped field away, so only a (wrongly) extracted custom field could show up.
    message = identify_message({"email": EMAIL}, {})
    if key != "email":
        set_in(message, f"{root}.{key}", "")
    assert person(message, personMap=rows((key, "out"))) == {"Email": EMAIL, "Name": ""}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        pytest.param("Email", {"Email": "v", "Name": ""}, id="Email-overwrites-mapped-field"),
        pytest.param("Name", {"Email": EMAIL, "out": "v", "Name": ""}, id="Name-not-a-written-field"),
        pytest.param("FirstName", {"Email": EMAIL, "out": "v", "Name": ""}, id="FirstName"),
        pytest.param("Timezone", {"Email": EMAIL, "out": "v", "Name": ""}, id="Timezone"),
        pytest.param("EMAIL", {"Email": EMAIL, "out": "v", "Name": ""}, id="EMAIL"),
        pytest.param("Companies", {"Email": EMAIL, "out": "v", "Name": ""}, id="Companies"),
        pytest.param("gsid", {"Email": EMAIL, "out": "v", "Name": ""}, id="gsid"),
    ],
)
def test_identify_exclusions_are_case_sensitive(key, expected):
    # Email/Name are not mapped fields of the payload when their source is missing, except
    # Email (always written) and Name (always synthesised after renaming).
    assert traits_person({key: "v"}, personMap=rows((key, "out"))) == expected


def test_identify_renames_custom_fields_listed_in_person_map():
    traits = {"car": "Batmobile", "pet": "Ace"}
    assert traits_person(traits, personMap=rows(("car", "car__gc"))) == {
        "Email": EMAIL, "car__gc": "Batmobile", "Name": "",
    }  # fmt: skip


@pytest.mark.parametrize("person_map", [[], None, {"from": "car", "to": "car__gc"}, "car", 5], ids=repr)
def test_identify_drops_every_custom_field_without_a_person_map_list(person_map):
    assert traits_person({"car": "Batmobile"}, personMap=person_map) == {"Email": EMAIL, "Name": ""}


def test_identify_drops_custom_fields_without_a_person_map():
    assert traits_person({"car": "Batmobile"}, personMap=DROP) == {"Email": EMAIL, "Name": ""}


def test_identify_takes_custom_fields_from_traits_then_context_traits_with_context_winning():
    message = identify_message(
        {"email": EMAIL, "plan": "traits-plan", "seat": "traits-seat"},
        {"plan": "context-plan", "team": "context-team"},
    )
    mapping = rows(("plan", "plan__gc"), ("seat", "seat__gc"), ("team", "team__gc"))
    assert person(message, personMap=mapping) == {
        "Email": EMAIL, "plan__gc": "context-plan", "seat__gc": "traits-seat",
        "team__gc": "context-team", "Name": "",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("traits", "context_traits", "expected"),
    [
        pytest.param({"a.b": 1, "a": 2}, {"a.b": 3}, {"a": {"b": 3}}, id="context-dotted-after-traits-plain"),
        pytest.param({"a": 2}, {"a.b": 3}, {"a": {"b": 3}}, id="context-dotted-writes-through"),
        pytest.param({"a.b": 1}, {"a": 5}, {"a": 5}, id="context-plain-replaces-nested"),
        pytest.param({"a": {"x": 1}}, {"a.y": 2}, {"a": {"x": 1, "y": 2}}, id="context-dotted-merges"),
    ],
)
def test_identify_context_traits_are_written_after_all_traits_fields(traits, context_traits, expected):
    # CONTRACT §3.1: "start from the first root's fields, then every field that exists in the
    # second root overwrites (the second root wins on conflicts)".
    message = identify_message({"email": EMAIL, **traits}, context_traits)
    assert person(message, personMap=rows(("a", "a"))) == {"Email": EMAIL, **expected, "Name": ""}


def test_identify_context_null_overwrites_traits_value_and_is_then_removed():
    message = identify_message({"email": EMAIL, "plan": "gold"}, {"plan": None})
    assert person(message, personMap=rows(("plan", "plan__gc"))) == {"Email": EMAIL, "Name": ""}


def test_identify_map_row_without_to_writes_key_undefined():
    mapping = [{"from": "car"}]
    assert traits_person({"car": "Batmobile"}, personMap=mapping) == {
        "Email": EMAIL, "undefined": "Batmobile", "Name": "",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("target", "key"),
    [(None, "null"), (5, "5"), (True, "true"), ("", "")],
    ids=["null", "number", "true", "empty"],
)
def test_identify_map_to_value_is_used_as_its_text(target, key):
    mapping = [{"from": "car", "to": target}]
    assert traits_person({"car": "Batmobile"}, personMap=mapping) == {
        "Email": EMAIL, key: "Batmobile", "Name": "",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("row", "traits"),
    [
        pytest.param({"from": "", "to": "out"}, {"": "v"}, id="empty"),
        pytest.param({"from": "   ", "to": "out"}, {"   ": "v"}, id="spaces"),
        pytest.param({"from": "\u00a0\ufeff", "to": "out"}, {"\u00a0\ufeff": "v"}, id="js-whitespace"),
        pytest.param({"from": None, "to": "out"}, {"null": "v"}, id="null"),
        pytest.param({"to": "out"}, {"undefined": "v"}, id="missing"),
        pytest.param({"from": [], "to": "out"}, {"": "v"}, id="empty-array-text"),
    ],
)
def test_identify_skips_map_rows_with_blank_from(row, traits):
    assert traits_person(traits, personMap=[row]) == {"Email": EMAIL, "Name": ""}


def test_identify_keeps_map_rows_whose_from_is_only_python_whitespace():
    # U+001C is whitespace to Python's str.strip() but not to JS trim().
    assert traits_person({"\x1c": "v"}, personMap=rows(("\x1c", "out"))) == {
        "Email": EMAIL, "out": "v", "Name": "",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("source", "trait_key"),
    [(5, "5"), (True, "true"), ({"a": 1}, "[object Object]")],
    ids=["number", "boolean", "object"],
)
def test_identify_map_from_is_matched_by_its_text(source, trait_key):
    assert traits_person({trait_key: "v"}, personMap=[{"from": source, "to": "out"}]) == {
        "Email": EMAIL, "out": "v", "Name": "",
    }  # fmt: skip


@pytest.mark.parametrize("source", ["Car", " car", "car ", "CAR"])
def test_identify_map_keys_are_case_sensitive_and_untrimmed(source):
    assert traits_person({"car": "Batmobile"}, personMap=rows((source, "out"))) == {
        "Email": EMAIL, "Name": "",
    }  # fmt: skip


def test_identify_later_map_row_with_same_from_wins():
    mapping = rows(("car", "first__gc"), ("car", "second__gc"))
    assert traits_person({"car": "Batmobile"}, personMap=mapping) == {
        "Email": EMAIL, "second__gc": "Batmobile", "Name": "",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("traits", "expected"),
    [({"a": 1, "b": 2}, 2), ({"b": 2, "a": 1}, 1)],
    ids=["b-visited-last", "a-visited-last"],
)
def test_identify_two_rows_with_same_to_keep_the_later_visited_key(traits, expected):
    mapping = rows(("a", "same"), ("b", "same"))
    assert traits_person(traits, personMap=mapping) == {"Email": EMAIL, "same": expected, "Name": ""}


@pytest.mark.parametrize(
    ("traits", "expected"),
    [
        pytest.param({"Email": "custom@x.com"}, {"Email": "custom@x.com", "Name": ""}, id="Email"),
        pytest.param({"name": "Real", "Name": "Custom"}, {"Email": EMAIL, "Name": "Custom"}, id="Name"),
        pytest.param(
            {"linkedinUrl": "https://li", "LinkedinUrl": {"x": 1}},
            {"Email": EMAIL, "LinkedinUrl": {"x": 1}, "Name": ""},
            id="LinkedinUrl",
        ),
        pytest.param(
            {"masterAvatarTypeCode": "5", "MasterAvatarTypeCode": "raw"},
            {"Email": EMAIL, "MasterAvatarTypeCode": "raw", "Name": ""},
            id="converted-field",
        ),
    ],
)
def test_identify_custom_key_equal_to_a_written_field_name_overwrites_it(traits, expected):
    assert traits_person(traits) == expected


def test_identify_mapped_field_in_person_map_keeps_its_own_name():
    mapping = rows(("Email", "OtherEmail"), ("LinkedinUrl", "Other"))
    assert traits_person({"linkedinUrl": "https://li"}, personMap=mapping) == {
        "Email": EMAIL, "LinkedinUrl": "https://li", "Name": "",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("traits", "target", "expected"),
    [
        pytest.param({"name": "Real"}, "Name", {"Email": EMAIL, "Name": "Override"}, id="Name"),
        pytest.param({}, "Email", {"Email": "Override", "Name": ""}, id="Email"),
        pytest.param(
            {"firstName": "Real"},
            "FirstName",
            {"Email": EMAIL, "FirstName": "Override", "Name": "Override"},
            id="FirstName",
        ),
    ],
)
def test_identify_map_row_targeting_a_field_name_overrides_that_field(traits, target, expected):
    assert traits_person({**traits, "nick": "Override"}, personMap=rows(("nick", target))) == expected


def test_identify_integer_like_custom_keys_are_visited_first_and_lose_to_the_field():
    mapping = rows(("7", "Email"), ("seven", "LinkedinUrl"))
    traits = {"7": "int-key@x.com", "linkedinUrl": "https://li", "seven": "https://override"}
    assert traits_person(traits, personMap=mapping) == {
        "Email": EMAIL, "LinkedinUrl": "https://override", "Name": "",
    }  # fmt: skip


def test_identify_keeps_nested_nulls_and_removes_top_level_nulls():
    traits = {"obj": {"x": None, "y": [None, 1]}, "gone": None, "kept": 0}
    mapping = rows(("obj", "obj__gc"), ("gone", "gone__gc"), ("kept", "kept__gc"))
    assert traits_person(traits, personMap=mapping) == {
        "Email": EMAIL, "obj__gc": {"x": None, "y": [None, 1]}, "kept__gc": 0, "Name": "",
    }  # fmt: skip


def test_identify_copies_custom_values_as_they_are():
    traits = {"list": [1, {"a": "b"}], "flag": False, "num": 1.25, "blank": ""}
    mapping = rows(("list", "list"), ("flag", "flag"), ("num", "num"), ("blank", "blank"))
    assert traits_person(traits, personMap=mapping) == {
        "Email": EMAIL, "list": [1, {"a": "b"}], "flag": False, "num": 1.25, "blank": "", "Name": "",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("root_value", "expected"),
    [
        pytest.param([10, 20], {"zero": 10, "one": 20}, id="array-root-index-keys"),
        pytest.param("ab", {"zero": "ab", "one": "ab"}, id="string-root-whole-string-per-index"),
        pytest.param(5, {}, id="number-root-no-keys"),
        pytest.param(True, {}, id="boolean-root-no-keys"),
    ],
)
def test_identify_context_traits_root_of_any_type_yields_its_own_keys(root_value, expected):
    message = identify_message({"email": EMAIL}, root_value)
    assert person(message, personMap=rows(("0", "zero"), ("1", "one"))) == {
        "Email": EMAIL, **expected, "Name": "",
    }  # fmt: skip


def test_identify_skips_reserved_custom_keys():
    traits = {"constructor": "c", "prototype": "p", "ok": "k"}
    mapping = rows(("constructor", "c__gc"), ("prototype", "p__gc"), ("ok", "ok__gc"))
    assert traits_person(traits, personMap=mapping) == {"Email": EMAIL, "ok__gc": "k", "Name": ""}


def test_identify_refuses_a_string_root_longer_than_1000_utf16_units():
    message = identify_message({"email": EMAIL}, "x" * 1001)
    with pytest.raises(InstrumentationError):
        identify(message, GainsightConfig(config()))


def test_identify_accepts_a_string_root_of_exactly_1000_utf16_units():
    message = identify_message({"email": EMAIL}, "x" * 1000)
    assert person(message, personMap=rows(("999", "last"))) == {
        "Email": EMAIL, "last": "x" * 1000, "Name": "",
    }  # fmt: skip


def test_identify_null_person_map_row_is_a_configuration_error_naming_the_map():
    message = identify_message({"email": EMAIL, "car": "x"})
    with pytest.raises(ConfigurationError, match="personMap"):
        identify(message, GainsightConfig(config(personMap=[{"from": "car", "to": "c"}, None])))


# ---------------------------------------------------------------------------------------------
# Dotted custom keys (CONTRACT §3.1 "Each kept key is written into the payload as a path")
# ---------------------------------------------------------------------------------------------

DOTTED_CASES = [
    pytest.param({"a.b": 1}, ["a"], {"a": {"b": 1}}, id="object-path"),
    pytest.param({"a.b.c": 1}, ["a"], {"a": {"b": {"c": 1}}}, id="deep-object-path"),
    pytest.param({"a.0": 3}, ["a"], {"a": [3]}, id="index-segment-array"),
    pytest.param({"x.1.y": 4}, ["x"], {"x": [None, {"y": 4}]}, id="padded-array-of-object"),
    pytest.param({"a.007": "v"}, ["a"], {"a": [None] * 7 + ["v"]}, id="leading-zero-index"),
    pytest.param({"a.0x1": "v"}, ["a"], {"a": [None, "v"]}, id="hex-index"),
    pytest.param({"a.-1": "v"}, ["a"], {"a": []}, id="negative-index-lost"),
    pytest.param({"a.0": 1, "a.1": 2}, ["a"], {"a": [1, 2]}, id="two-indexes-same-array"),
    pytest.param({"k\\.j": 1}, ["k.j"], {"k.j": 1}, id="backslash-escapes-dot"),
    pytest.param({"a/b.c": 1}, ["a/b.c"], {"a/b.c": 1}, id="slash-never-split"),
    pytest.param({"a.": 1}, ["a"], {"a": 1}, id="trailing-dot-dropped"),
    pytest.param({"a.__proto__": 1}, ["a.__proto__"], {"a.__proto__": 1}, id="reserved-proto-literal"),
    pytest.param({"a.constructor": 1}, ["a.constructor"], {"a.constructor": 1}, id="reserved-ctor-literal"),
    pytest.param({"a": 1, "a.b": 2}, ["a"], {"a": {"b": 2}}, id="write-through-non-object"),
    pytest.param({"a.b": 2, "a": 1}, ["a"], {"a": 1}, id="later-plain-key-overwrites"),
    pytest.param({"a": {"x": 1}, "a.b": 2}, ["a"], {"a": {"x": 1, "b": 2}}, id="merge-into-object"),
]


@pytest.mark.parametrize(("traits", "mapped", "expected"), DOTTED_CASES)
def test_identify_expands_dotted_custom_keys_into_nested_values(traits, mapped, expected):
    mapping = rows(*((key, key) for key in mapped))
    assert traits_person(traits, personMap=mapping) == {"Email": EMAIL, **expected, "Name": ""}


def test_identify_dotted_key_only_survives_renaming_by_its_top_level_key():
    assert traits_person({"a.b": 1}, personMap=rows(("a.b", "x"))) == {"Email": EMAIL, "Name": ""}


# ---------------------------------------------------------------------------------------------
# Name synthesis (CONTRACT §3.3, §5 #1, §6)
# ---------------------------------------------------------------------------------------------

NAME_CASES = [
    pytest.param({"firstName": "F", "middleName": "M", "lastName": "L"}, "F M L", id="first-middle-last"),
    pytest.param({"firstName": "F", "lastName": "L"}, "F L", id="first-last"),
    pytest.param({"middleName": "M"}, "M", id="only-middle"),
    pytest.param({"firstName": "F"}, "F", id="only-first"),
    pytest.param({"lastName": "L"}, "L", id="only-last"),
    pytest.param({}, "", id="no-parts-empty-name"),
    pytest.param({"firstName": 12, "lastName": {"a": 1}}, "12 [object Object]", id="number-and-object"),
    pytest.param({"firstName": ["a", None, "b"], "lastName": True}, "a,,b true", id="array-and-boolean"),
    pytest.param({"firstName": 1.5, "lastName": 1e21}, "1.5 1e+21", id="js-number-text"),
    pytest.param({"firstName": 0, "lastName": "L"}, "L", id="falsy-zero-part-is-empty"),
    pytest.param({"firstName": False, "middleName": "M"}, "M", id="falsy-false-part-is-empty"),
    pytest.param({"firstName": "\u00a0F\u3000", "lastName": "\ufeff"}, "F", id="js-whitespace-trimmed"),
    pytest.param({"firstName": "F\x1c"}, "F\x1c", id="python-only-whitespace-kept"),
    pytest.param(
        {"firstName": "F", "middleName": [], "lastName": "L"}, "F  L", id="truthy-middle-with-empty-text"
    ),
    pytest.param({"firstName": "  F ", "lastName": " L  "}, "F   L", id="inner-spaces-kept"),
]


@pytest.mark.parametrize(("parts", "name"), NAME_CASES)
def test_identify_builds_name_from_parts_when_name_missing(parts, name):
    payload = traits_person(parts)
    fields = {"firstName": "FirstName", "middleName": "MiddleName", "lastName": "LastName"}
    expected = {"Email": EMAIL, "Name": name}
    for key, value in parts.items():
        if is_truthy(value) or value is False or value == 0:  # "present" (CONTRACT §3.1)
            expected[fields[key]] = value
    assert payload == expected


@pytest.mark.parametrize("falsy_name", [0, False], ids=["zero", "false"])
def test_identify_synthesises_name_when_the_present_name_is_falsy(falsy_name):
    payload = traits_person({"name": falsy_name, "firstName": "F", "lastName": "L"})
    assert payload == {"Email": EMAIL, "FirstName": "F", "LastName": "L", "Name": "F L"}


def test_identify_keeps_given_name_over_parts():
    payload = traits_person({"name": "Given", "firstName": "F", "lastName": "L"})
    assert payload == {"Email": EMAIL, "Name": "Given", "FirstName": "F", "LastName": "L"}


def test_identify_synthesises_name_from_renamed_parts():
    payload = traits_person({"nick": "Nicky"}, personMap=rows(("nick", "FirstName")))
    assert payload == {"Email": EMAIL, "FirstName": "Nicky", "Name": "Nicky"}


def test_identify_fixture_test_8_payload():
    traits = {
        "name": "Bruce Wayne", "email": "ceo@waynefoundation.com", "car": "Batmobile",
        "comments": "I am Batman!", "lastName": "Wayne", "location": "Gotham Central",
        "firstName": "Bruce", "linkedinUrl": "https://www.linkedin.com/in/notyourBatman/",
    }  # fmt: skip
    assert person(identify_message(traits), personMap=rows(("car", "car__gc"))) == {
        "Name": "Bruce Wayne", "Email": "ceo@waynefoundation.com", "car__gc": "Batmobile",
        "Comments": "I am Batman!", "LastName": "Wayne", "Location": "Gotham Central",
        "FirstName": "Bruce", "LinkedinUrl": "https://www.linkedin.com/in/notyourBatman/",
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Endpoint, headers and the processor envelope (CONTRACT §2, divergence: headers are strings)
# ---------------------------------------------------------------------------------------------


def test_identify_processor_output_is_the_whole_person_put(client):
    message = identify_message({"email": EMAIL, "firstName": "Jane", "age": 10.0}, {"plan": None})
    answer = process_one(client, message, config(personMap=rows(("age", "age__gc"))))
    payload = {"Email": EMAIL, "FirstName": "Jane", "age__gc": 10, "Name": "Jane"}
    assert answer == success(rest_output("PUT", PEOPLE_URL, PERSON_HEADERS, payload))


@pytest.mark.parametrize(("access_key", "header"), [(12345, "12345"), (1.5, "1.5"), (True, "true")])
def test_identify_sends_a_non_string_access_key_as_its_text(client, access_key, header):
    answer = process_one(client, identify_message({"email": EMAIL}), config(accessKey=access_key))
    headers = {"Accesskey": header, "Content-Type": "application/json"}
    assert answer == success(rest_output("PUT", PEOPLE_URL, headers, {"Email": EMAIL, "Name": ""}))


@pytest.mark.parametrize("kind", ["identify", "IDENTIFY", "iDeNtIfY"])
def test_identify_dispatches_on_lower_cased_type(client, kind):
    message = {**identify_message({"email": EMAIL}), "type": kind}
    answer = process_one(client, message)
    assert answer == success(rest_output("PUT", PEOPLE_URL, PERSON_HEADERS, {"Email": EMAIL, "Name": ""}))


def test_identify_processor_element_has_no_metadata_key_without_input_metadata(client):
    item = element(identify_message({"email": EMAIL}))
    del item["metadata"]
    (answer,) = post_processor(client, [item])
    assert answer == {
        "output": rest_output("PUT", PEOPLE_URL, PERSON_HEADERS, {"Email": EMAIL, "Name": ""}),
        "statusCode": 200,
    }


def test_identify_does_not_modify_the_input_message():
    message = identify_message({"email": EMAIL, "a.b": 1, "car": "x"}, {"name": "N"})
    before = copy.deepcopy(message)
    person(message, personMap=rows(("a", "a"), ("car", "c")))
    assert message == before


@pytest.mark.parametrize("access_key", [DROP, "", None, 0, False], ids=repr)
def test_identify_checks_access_key_before_email(access_key):
    with pytest.raises(ConfigurationError, match="^accessKey is required for identify$"):
        identify(identify_message({}), GainsightConfig(config(accessKey=access_key)))
