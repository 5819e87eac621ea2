"""Custom keys built to blow up: deep dotted paths and huge array indexes stay one event's business
and keep every answer small (docs/divergences.md, 10)."""

from __future__ import annotations

import json
import random

import pytest

from gainsight_transformer.gainsight.mapping import MAX_ARRAY_INDEX, MAX_KEY_SEGMENTS, MAX_PADDING
from support.gainsight_events import element, identify_message, post_processor, track_message


def _track_body(client, properties: dict) -> tuple[list[dict], int]:
    elements = [element(track_message(properties={"ok": 1})), element(track_message(properties=properties))]
    size = len(json.dumps(elements))
    return post_processor(client, elements), size


@pytest.mark.parametrize("segments", [MAX_KEY_SEGMENTS + 1, 2_500, 6_000])
def test_a_key_with_too_many_parts_is_kept_as_it_is(client, segments: int) -> None:
    key = ".".join(["a"] * segments)
    (good, hostile), _ = _track_body(client, {key: 1, "b.c": 2})
    assert good["statusCode"] == 200
    assert hostile["statusCode"] == 200
    assert hostile["output"]["body"]["JSON"] == {key: 1, "b": {"c": 2}}


def test_a_key_at_the_limit_is_still_expanded(client) -> None:
    key = ".".join(["a"] * MAX_KEY_SEGMENTS)
    (_, answer), _ = _track_body(client, {key: 1})
    node = answer["output"]["body"]["JSON"]
    for _ in range(MAX_KEY_SEGMENTS - 1):
        node = node["a"]
    assert node == {"a": 1}


def test_large_indexes_make_object_keys_not_padded_arrays(client) -> None:
    (_, answer), _ = _track_body(client, {"10000.10000.10000": 1, "s.3": "x", f"t.{MAX_ARRAY_INDEX + 1}": 2})
    body = answer["output"]["body"]["JSON"]
    assert body["10000"] == {"10000": {"10000": 1}}
    assert body["s"] == [None, None, None, "x"]  # small indexes pad as the original does
    assert body["t"] == {str(MAX_ARRAY_INDEX + 1): 2}


def test_padding_per_event_is_bounded(client) -> None:
    keys = {f"k{i}.{MAX_ARRAY_INDEX}": i for i in range(30)}
    (_, answer), _ = _track_body(client, keys)
    body = answer["output"]["body"]["JSON"]
    padded = [body[f"k{i}"] for i in range(30)]
    filled = [array for array in padded if array]
    assert len(filled) == MAX_PADDING // MAX_ARRAY_INDEX  # the rest are left out
    assert sum(len(array) - 1 for array in filled) <= MAX_PADDING


@pytest.mark.parametrize("seed", range(5))
def test_no_answer_is_much_larger_than_its_event(client, seed: int) -> None:
    rng = random.Random(seed)
    keys = {
        ".".join(str(rng.choice([0, 1, 7, 99, 100, 10_000, 2**31])) for _ in range(rng.randint(2, 40))): i
        for i in range(200)
    }
    (_, answer), size = _track_body(client, keys)
    assert answer["statusCode"] == 200
    assert len(json.dumps(answer)) <= 10 * size + 10_000


def test_identify_with_deep_unmapped_traits_is_unharmed(client) -> None:
    traits = {"email": "a@b.c", ".".join(["x"] * 3000): 1, "9999.9999.9999.9999": 2}
    (answer,) = post_processor(client, [element(identify_message(traits))])
    assert answer["statusCode"] == 200
    assert answer["output"]["body"]["JSON"]["Email"] == "a@b.c"
