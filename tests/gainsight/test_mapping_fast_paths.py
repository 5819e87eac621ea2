"""The mapping's fast paths agree with its general ones on many generated messages."""

from __future__ import annotations

import random
from typing import Any

import pytest

from gainsight_transformer.gainsight.fields import (
    COMPANY_FIELDS,
    COMPANY_ROOTS,
    GROUP_EXCLUSIONS,
    IDENTIFY_EXCLUSIONS,
    NO_EXCLUSIONS,
    PERSON_FIELDS,
    PERSON_ROOTS,
    TRACK_ROOTS,
)
from gainsight_transformer.gainsight.mapping import (
    add_custom_fields,
    apply_fields,
    custom_fields,
    rename,
    with_custom_fields_renamed,
    write_custom_fields,
)
from gainsight_transformer.jsvalues import MISSING
from gainsight_transformer.paths import MessageReader

KEYS = [
    "email", "name", "firstName", "first_name", "lastname", "middleName", "location", "plan", "Email",
    "Name", "employees", "tier", "a.b", "a.0", "0", "12", "1a", "", "constructor", "__proto__", "x/y.z",
    "comments", "masterAvatarTypeCode", "timezone", "emailOptOut", "Gsid", "companies", "arr",
]  # fmt: skip
VALUES = [None, "", "text", 0, 1, 2.5, float("nan"), False, True, [], [1, "a"], {}, {"k": "v"}, "  ", "0x10"]


def _object(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.08:
        return rng.choice([None, "", "ab", ["x", "y"], 0, 5])
    keys = rng.sample(KEYS, rng.randint(0, 10))
    return {key: rng.choice(VALUES) for key in keys}


def _message(rng: random.Random) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "identify"}
    for root in ("traits", "properties"):
        if rng.random() < 0.85:
            message[root] = _object(rng)
    if rng.random() < 0.8:
        message["context"] = {"traits": _object(rng)} if rng.random() < 0.9 else rng.choice([None, "c", []])
    return message


MESSAGES = [_message(random.Random(seed)) for seed in range(600)]
ROOTS = [
    (PERSON_ROOTS, IDENTIFY_EXCLUSIONS),
    (COMPANY_ROOTS, GROUP_EXCLUSIONS),
    (TRACK_ROOTS, NO_EXCLUSIONS),
]


def _same(a: Any, b: Any) -> bool:
    """Equality that treats NaN as equal to itself and keeps key order."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and a != a:
        return b != b
    return type(a) is type(b) and a == b


@pytest.mark.parametrize(("roots", "excluded"), ROOTS)
def test_merged_custom_fields_equal_the_root_by_root_writes(roots, excluded) -> None:
    fast_taken = 0
    for message in MESSAGES:
        start = {"Email": "mapped@x.y", "Name": "Mapped"}
        expected = dict(start)
        try:
            write_custom_fields(expected, custom_fields(message, roots, excluded))
        except Exception as exc:  # the general path refuses some inputs; the fast one must too
            with pytest.raises(type(exc)):
                add_custom_fields(dict(start), message, roots, excluded)
            continue
        actual = dict(start)
        add_custom_fields(actual, message, roots, excluded)
        assert _same(actual, expected), message
        fast_taken += all("." not in key and not key[:1].isdigit() for key in actual)
    assert fast_taken > 100  # the generated messages exercise the merge, not only the fallback


@pytest.mark.parametrize("table", [PERSON_FIELDS, COMPANY_FIELDS])
def test_precompiled_lookups_equal_path_by_path_lookups(table) -> None:
    for message in MESSAGES:
        fast = MessageReader(message)
        if not fast.plain:
            continue
        general = MessageReader(message)
        general.plain = False  # forces `lookup` and `Path.get` for every field
        assert _same(apply_fields(fast, table), apply_fields(general, table)), message


MAPS = [
    {},
    {"plan": "Plan__gc"},
    {"plan": "Email", "tier": "Tier__c", "email": "E2"},  # a target that is a mapped field's name
    {"Name": "N2", "employees": "Staff", "location": MISSING, "a": "A", "12": "twelve", "tier": "Plan__gc"},
    {key: f"{key}__m" for key in KEYS},
]


@pytest.mark.parametrize("roots, excluded", ROOTS[:2])
def test_custom_fields_renamed_in_one_pass_equal_add_then_rename(roots, excluded) -> None:
    table = PERSON_FIELDS if roots is PERSON_ROOTS else COMPANY_FIELDS
    for number, message in enumerate(MESSAGES):
        mapping = MAPS[number % len(MAPS)]
        payload = apply_fields(MessageReader(message), table)
        expected = dict(payload)
        add_custom_fields(expected, message, roots, excluded)
        expected = rename(expected, set(payload), mapping)
        got = with_custom_fields_renamed(dict(payload), message, roots, excluded, mapping)
        assert list(got.items()) == list(expected.items()), (message, mapping)
