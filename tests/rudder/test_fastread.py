"""The fast reader gives exactly the general path's answers, and steps aside when it cannot."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
import respx
from fastapi.testclient import TestClient

from gainsight_transformer.app import create_app
from gainsight_transformer.rudder import fastread
from gainsight_transformer.rudder.bounded_cache import BoundedCache
from gainsight_transformer.rudder.jsonio import RawJSON, dumps
from support.conformance_cases import CASES, serve_network

BENCH = Path(__file__).resolve().parents[2] / "bench" / "reference"
PROCESSOR = "/v0/destinations/gainsight"
ROUTER = "/routerTransform"

CONFIG = {
    "domain": "demo.gainsightcloud.com",
    "accessKey": "ak",
    "sharedSecret": "ss",
    "tenantId": "t",
    "topicName": "topic",
    "personMap": [{"from": "plan", "to": "Plan__gc"}],
    "eventNameMap": [{"from": "Signed Up", "to": "signed_up"}],
    "eventVersionMap": [{"from": "Signed Up", "to": "1.0"}],
}
DESTINATION = {"ID": "d1", "Config": CONFIG}


def element(message: Any, **extra: Any) -> dict[str, Any]:
    return {"message": message, "metadata": {"jobId": 1, "destinationId": "d1", "workspaceId": "w"},
            "destination": copy.deepcopy(DESTINATION), **extra}  # fmt: skip


IDENTIFY = {"type": "identify", "userId": "u1", "traits": {"email": "a@b.c", "plan": "pro", "name": "A"}}
TRACK = {
    "type": "track",
    "event": "Signed Up",
    "properties": {"a": 1},
    "context": {"traits": {"email": "a@b.c"}},
}

# Bodies the fast reader takes, with unusual but valid parts it must pass through unchanged.
FAST_BODIES = {
    "identify and track": [element(IDENTIFY), element(TRACK)],
    "bad events among good": [
        element(IDENTIFY), element("not an object"), element({"type": "alias"}), element(None),
        {"message": IDENTIFY, "metadata": {"jobId": 3}}, {"message": IDENTIFY, "destination": {"ID": "x"}},
        {"message": IDENTIFY, "destination": "text"}, element({"type": "identify", "traits": {}}),
    ],
    "metadata of every JSON type": [
        {**element(IDENTIFY), "metadata": value} for value in (None, 1.5, "m", [1, {"a": None}], {}, True)
    ] + [{"message": IDENTIFY, "destination": DESTINATION}],
    "router context job ids": [element(TRACK, context={"sources": {"job_id": "j1"}}), element(TRACK)],
    "pass-through message with statusCode": [element({"statusCode": 200, "userId": 7, "x": 1}), element(TRACK)],
    "two destinations": [element(IDENTIFY), {**element(IDENTIFY), "destination": {"ID": "d2", "Config": {**CONFIG, "accessKey": "k2"}}}],
    "unicode and escapes": [element({**IDENTIFY, "traits": {**IDENTIFY["traits"], "nom": "Zoë \u2028 \"q\" \\ \n"}})],
}  # fmt: skip

# Bodies it must leave to the general path (returns None), which owns their errors and quirks.
GENERAL_BODIES = {
    "prototype key": b'[{"message":{"__proto__":{}}}]',
    "escaped prototype key": b'[{"message":{"\\u005f_proto__":{}}}]',
    "object instead of array": b'{"message":{}}',
    "empty array": b"[]",
    "element not an object": b'[1, {"message":{}}]',
    "lone surrogate": b'[{"message":{"type":"identify","s":"\\ud800"}}]',
    "deep nesting": b'[{"message":' + b"[" * 1100 + b"]" * 1100 + b"}]",
    "dynamic config template": orjson.dumps(
        [{**element(IDENTIFY), "destination": {"Config": {**CONFIG, "accessKey": "{{ event.userId || \"k\" }}"}}}]
    ),
    "escaped template braces": orjson.dumps([element(IDENTIFY)]).replace(b'"ak"', b'"\\u007b{ event.userId || \\"k\\" }}"'),
    "invalid JSON": b'[{"message":}]',
    "NaN": b'[{"message":{"n":NaN}}]',
}  # fmt: skip


def _answer(
    body: bytes, path: str, *, fast: bool, monkeypatch: pytest.MonkeyPatch, headers=None
) -> tuple[int, Any]:
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(fastread, "processor_events", lambda raw, limit=None: None)
            patch.setattr(fastread, "router_events", lambda raw, limit=None: None)
        with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
            mock.route().mock(side_effect=serve_network)
            with TestClient(create_app()) as client:
                response = client.post(
                    path, content=body, headers={"content-type": "application/json", **(headers or {})}
                )
    return response.status_code, response.json()


def _both_ways(body: bytes, path: str, monkeypatch: pytest.MonkeyPatch, headers=None) -> None:
    taken = []
    for name in ("processor_events", "router_events"):
        real = getattr(fastread, name)

        def spy(raw: bytes, limit: int | None = None, real=real) -> Any:
            result = real(raw, limit)
            taken.append(result is not None)
            return result

        monkeypatch.setattr(fastread, name, spy)
    fast = _answer(body, path, fast=True, monkeypatch=monkeypatch, headers=headers)
    assert taken == [True], "the fast reader should have taken this body"
    general = _answer(body, path, fast=False, monkeypatch=monkeypatch, headers=headers)
    assert fast == general


@pytest.mark.parametrize("name", FAST_BODIES)
@pytest.mark.parametrize("path", [PROCESSOR, ROUTER])
def test_fast_reader_answers_like_the_general_path(name: str, path: str, monkeypatch) -> None:
    elements = FAST_BODIES[name]
    body = elements if path == PROCESSOR else {"input": elements, "destType": "gainsight"}
    _both_ways(orjson.dumps(body), path, monkeypatch)


@pytest.mark.parametrize("case", [c for c in CASES if c.values[0]["output"]["response"]["status"] == 200])
def test_conformance_cases_answer_the_same_both_ways(case, monkeypatch) -> None:
    body = case["input"]["request"]["body"]
    if case["feature"] == "router":
        path = ROUTER
    else:
        path = f"/{case['version']}/destinations/{case['name']}"
    if not body or (path == ROUTER and not body.get("input")):
        pytest.skip("empty batches are answered by the general path")
    _both_ways(json.dumps(body).encode(), path, monkeypatch)


@pytest.mark.parametrize(
    "name", ["a_processor_identify1.json", "b_processor_mixed100.json", "c_router_mixed100.json"]
)
def test_benchmark_bodies_answer_the_same_both_ways(name: str, monkeypatch) -> None:
    path = ROUTER if name.startswith("c_") else PROCESSOR
    _both_ways((BENCH / name).read_bytes(), path, monkeypatch)


@pytest.mark.parametrize("name", GENERAL_BODIES)
def test_unusual_bodies_are_left_to_the_general_path(name: str) -> None:
    raw = GENERAL_BODIES[name]
    assert fastread.processor_events(raw) is None
    wrapped = b'{"destType":"gainsight","input":' + raw + b"}" if raw.startswith(b"[") else raw
    assert fastread.router_events(wrapped) is None


def test_router_body_without_dest_type_is_left_to_the_general_path() -> None:
    assert fastread.router_events(b'{"input":[{"message":{}}]}') is None


def test_metadata_and_destination_are_echoed_as_received() -> None:
    metadata = b'{"jobId": 1e2, "n": 12345678901234567890123, "s": "\\u00e9"}'
    destination = orjson.dumps(DESTINATION)
    raw = b'{"destType":"gainsight","input":[{"message":{"type":"identify"},"metadata":' + metadata
    raw += b',"destination":' + destination + b"}]}"
    dest_type, (event,) = fastread.router_events(raw)
    assert dest_type == "gainsight"
    assert isinstance(event.metadata, RawJSON) and event.metadata.data == metadata
    assert event.destination_echo.data == destination
    assert event.destination == DESTINATION
    assert dumps([event.metadata]) == b"[" + metadata + b"]"
    # The rare paths that read metadata decode it as the general path would have.
    assert event.metadata.value() == {"jobId": 100.0, "n": 1.2345678901234568e22, "s": "é"}


def test_equal_destinations_are_decoded_once_across_requests() -> None:
    body = orjson.dumps([element(IDENTIFY), element(TRACK)])
    first, second = fastread.processor_events(body)
    [again] = fastread.processor_events(orjson.dumps([element(TRACK)]))
    assert first.destination is second.destination is again.destination
    assert first.config_key == again.config_key != b""


def test_the_destination_cache_is_bounded_and_remembers_templates(monkeypatch) -> None:
    monkeypatch.setattr(fastread, "_destinations", BoundedCache(256, 32 * 1024 * 1024))
    for n in range(256 + 10):
        dest = {"ID": f"d{n}", "Config": CONFIG}
        assert fastread.processor_events(orjson.dumps([{**element(IDENTIFY), "destination": dest}]))
    assert len(fastread._destinations) == 256
    template = {"Config": {**CONFIG, "accessKey": '{{ event.userId || "k" }}'}}
    body = orjson.dumps([{**element(IDENTIFY), "destination": template}])
    assert fastread.processor_events(body) is None
    assert fastread.processor_events(body) is None  # known now, still the general path's


def test_the_destination_cache_is_bounded_in_bytes(monkeypatch) -> None:
    """300 distinct 1 MiB Configs used to stay resident for good (837 MiB)."""
    monkeypatch.setattr(fastread, "_destinations", BoundedCache(256, 32 * 1024 * 1024))
    for n in range(300):
        dest = {"ID": f"d{n}", "Config": {**CONFIG, "filler": "x" * (1024 * 1024 if n % 2 else 600_000)}}
        [event] = fastread.processor_events(orjson.dumps([{**element(IDENTIFY), "destination": dest}]))
        assert event.destination["ID"] == f"d{n}"
    assert fastread._destinations.bytes <= 32 * 1024 * 1024
    assert 0 < len(fastread._destinations) < 30


def test_serialising_deeper_than_orjson_allows_still_embeds_raw_parts() -> None:
    deep: Any = "leaf"
    for _ in range(300):
        deep = [deep]
    assert json.loads(dumps({"m": RawJSON(b'{"a":[1]}'), "deep": deep}))["m"] == {"a": [1]}


def test_integers_beyond_64_bits_read_as_doubles_both_ways(monkeypatch) -> None:
    body = orjson.dumps([element({**IDENTIFY, "traits": {**IDENTIFY["traits"], "plan": 0}})])
    _both_ways(body.replace(b'"plan":0', b'"plan":123456789012345678901234567890'), PROCESSOR, monkeypatch)


def test_generated_bodies_answer_the_same_both_ways(monkeypatch) -> None:
    """The benchmark generator's realistic events (JS-SDK context, traits, externalIds, maps)."""
    import sys

    sys.path.insert(0, str(BENCH.parent))
    try:
        import gen_payloads
    finally:
        sys.path.remove(str(BENCH.parent))
    for seed in (1, 2, 3):
        built = gen_payloads.build_bodies(seed=seed, e_events=60)
        for letter in ("a", "b", "c", "e"):
            path = ROUTER if letter in "ce" else PROCESSOR
            _both_ways(gen_payloads.dump(built[letter]), path, monkeypatch)


def test_mutated_bodies_answer_the_same_both_ways(monkeypatch) -> None:
    """Fuzzed bodies (tests/support/mutations.py): wherever the fast reader takes one, the answer is
    the general path's (the same JSON value: metadata is echoed as the bytes received)."""
    from support.mutations import ROUTES, bodies

    taken = compared = 0
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        mock.route().respond(503)  # every Company call fails alike both ways: nothing is cached
        with TestClient(create_app()) as client:
            for route, raw in bodies(1200, seed=21):
                if route not in ("processor", "router"):
                    continue
                path = ROUTES[route][0]
                reader = fastread.processor_events if route == "processor" else fastread.router_events
                try:
                    took = reader(raw) is not None
                except Exception:  # an answer the route gives (e.g. too many events): compare below
                    took = True
                fast = client.post(path, content=raw)
                with monkeypatch.context() as patch:
                    patch.setattr(fastread, "processor_events", lambda raw, limit=None: None)
                    patch.setattr(fastread, "router_events", lambda raw, limit=None: None)
                    general = client.post(path, content=raw)
                assert fast.status_code == general.status_code, raw[:300]
                assert json.loads(fast.content) == json.loads(general.content), raw[:300]
                compared += 1
                taken += took
    assert compared > 200 and taken > 50, (compared, taken)
