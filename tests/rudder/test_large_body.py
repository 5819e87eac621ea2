"""Bodies read a slice at a time give what the whole-body parse gives: the value, or the same error.

The slice size is made tiny here so that small generated bodies cross many slice boundaries.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import orjson
import pytest

from gainsight_transformer.rudder import large_body
from gainsight_transformer.rudder.errors import RequestError
from gainsight_transformer.rudder.jsonio import check_top_level, dumps, parse_json_body, strip_bom
from support.mutations import bodies, mutate_bytes


def whole(raw: bytes) -> tuple[Any, ...]:
    try:
        return ("value", dumps(parse_json_body(raw)))
    except RequestError as exc:
        return ("error", exc.status, exc.message)


def sliced(raw: bytes, limit: int | None = None) -> tuple[Any, ...]:
    try:
        raw = strip_bom(raw)
        check_top_level(raw)
        return ("value", dumps(asyncio.run(large_body.read(raw, limit, lambda cost: None))))
    except RequestError as exc:
        return ("error", exc.status, exc.message)


@pytest.fixture(autouse=True)
def tiny_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(large_body, "SLICE_BYTES", 48)


CASES = [
    b'[{"a":1},{"b":[1,2,{"c":"x]}"}]},3,"s",null]',
    b'  [ {"a" : 1} ,\n {"b":2}\t]  ',
    b"[1,]",
    b"[1,,2]",
    b"[,1]",
    b'[{"a":1}, {"b": }]',
    b'[{"a":1}, {"b": 2}',
    b'[{"a":1}, {"b": 2}}',
    b'[{"a":1}, {"b": 2]]',
    b'[{"a":1}] x',
    b'[{"a":1}]\n\n  ]',
    b'[{"a":"\xc3\xa9\xc3\xa9"}, {"b": x}]',
    b'[{"a":"\xff"}, {"b": 1}]',
    b'[{"a":"\xff"}, {"b": x}]',
    b'[{"a":"\\ud800"}, {"b": 1}]',
    b'[{"a":"\\ud800"}, {"b": x}, {"c": 1e999}]',
    b'[{"a":1e999}, {"b": 2}]',
    b'[{"a":123456789012345678901234567890}]',
    b'[{"__proto__":1}, {"b": x}]',
    b'[{"b": 1}, {"__proto__":1}]',
    b'[{"b": 1}, {"\\u005f_proto__":1}]',
    b'["abc\\"]", "x"]',
    b'["unterminated, {"a": 1}]',
    b"[" + b"[" * 1100 + b"]" * 1100 + b"]",
    b'[{"a":1}, ' + b"[" * 1100 + b"]" * 1100 + b"]",
    b"[" + b"[" * 1000 + b"]" * 1000 + b", 1]",
    b'{"input": [{"a":1},{"b":2}], "destType": "gainsight"}',
    b'{"destType": "gainsight", "input": [{"a":1},{"b":2}]}',
    b'{"\\u0069nput": [{"a":1},{"b":2}], "destType": "gainsight"}',
    b'{"input": [{"a":1}], "input": [{"b":2},{"c":3}]}',
    b'{"input": [{"a":1},{"b":2}], "destType": }',
    b'{"input": [{"a":1},{"b":2}], "destType": "x"',
    b'{"input": [{"a":1},{"b":2}], "destType": "x"} x',
    b'{"a" 1, "input": [{"a":1},{"b":2}]}',
    b'{"input": [{"a":1},{"b":2}, {"c": x}], "destType": }',
    b'{"input": [{"a":1},{"b":2}',
    b'{"input": [{"a":1},{"b":2}], "x": "\\ud800"}',
    b'{"input": [{"a":1},{"b":2}], "__proto__": 1}',
    b'{"input": [{"a":1},{"__proto__":2}], "destType": "x"}',
    b'{"input": {"a": 1}, "destType": "x"}',
    b'{"input": [], "destType": "x"}',
    b'{"destinations": {"d": {"Config": {}}}, "input": [{"a":1}], "connections": {}}',
    b"[   ]",
    b"[]",
    b'[{"a":1}]' + b" " * 100,
]


@pytest.mark.parametrize("raw", CASES, ids=range(len(CASES)))
def test_a_sliced_body_reads_as_the_whole_body(raw: bytes) -> None:
    assert sliced(raw) == whole(raw)


def test_generated_and_mutated_bodies_read_as_the_whole_body() -> None:
    rng = random.Random(5)
    checked = sliced_reads = 0
    for route, raw in bodies(1500, seed=5):
        for candidate in (raw, mutate_bytes(raw, rng), mutate_bytes(raw, rng)):
            if route.startswith("proxy") or candidate.lstrip()[:1] not in (b"[", b"{"):
                continue
            assert sliced(candidate) == whole(candidate), candidate
            checked += 1
            sliced_reads += large_body.scan(strip_bom(candidate), None) is not None
    assert checked > 2500 and sliced_reads > 2000  # most bodies really were read in slices


def test_more_events_than_the_limit_are_refused_before_any_is_read() -> None:
    raw = b"[" + b"{}," * 500 + b"{}]"
    with pytest.raises(RequestError) as refused:
        large_body.scan(raw, 100)
    assert refused.value.status == 413
    assert (
        refused.value.message
        == "too many events in one request: more than 100 (MAX_EVENTS_PER_REQUEST is 100)"
    )
    assert large_body.scan(raw, 501).events() == 501
    router = b'{"destType": "x", "input": [' + b"{}," * 20 + b"{}]}"
    assert large_body.scan(router, 21).events() == 21
    with pytest.raises(RequestError):
        large_body.scan(router, 20)


def test_the_decoded_cost_bounds_what_decoding_takes() -> None:
    import tracemalloc

    event = orjson.dumps(
        {"message": {"type": "identify", "traits": {"email": "a@b.c", "n": 1.5}}, "metadata": {}}
    )
    samples = {
        "events": b"[" + b",".join([event] * 2000) + b"]",
        "empty objects": b"[" + b"{}," * 50_000 + b"{}]",
        "empty arrays": b"[" + b"[]," * 50_000 + b"[]]",
        "short strings": b"[" + b'"ab",' * 50_000 + b'"ab"]',
        "floats": b"[" + b"1.5," * 50_000 + b"1.5]",
        "wide object": b"[{" + b",".join(b'"k%d":1' % i for i in range(50_000)) + b"}]",
        "small objects": b"[" + b'{"a":1},' * 50_000 + b"{}]",
    }
    for name, raw in samples.items():
        tracemalloc.start()
        try:
            value = orjson.loads(raw)
            used = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        del value
        assert used <= large_body.decoded_cost(raw) <= 3 * used, name


def test_other_tasks_run_between_slices() -> None:
    raw = b"[" + b",".join(b'{"n": %d, "pad": "%s"}' % (i, b"x" * 40) for i in range(200)) + b"]"
    layout = large_body.scan(raw, None)
    assert layout is not None

    async def race() -> tuple[list[Any], int]:
        turns = 0
        done = False

        async def other_request() -> None:
            nonlocal turns
            while not done:
                turns += 1
                await asyncio.sleep(0)

        other = asyncio.create_task(other_request())
        await asyncio.sleep(0)
        value = await large_body.decode(raw, layout)
        done = True
        await other
        return value, turns

    value, turns = asyncio.run(race())
    assert value == orjson.loads(raw)
    assert turns >= 100  # 48-byte slices of ~60-byte elements: one slice per element, a turn after each


def test_a_body_that_is_not_utf8_is_weighed_with_its_second_copy() -> None:
    valid = b'[{"a": "xy"}, {"b": "zz"}]'
    invalid = valid.replace(b"zz", b"z\xff")
    taken: list[int] = []
    asyncio.run(large_body.read(valid, None, taken.append))
    asyncio.run(large_body.read(invalid, None, taken.append))
    replaced = invalid.decode("utf-8", "replace").encode()
    assert taken == [large_body.decoded_cost(valid), large_body.decoded_cost(replaced) + len(invalid)]
