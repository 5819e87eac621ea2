"""Success elements assembled from bytes are exactly `dumps` of their dict forms."""

from __future__ import annotations

import json
import random
from typing import Any

import orjson
import pytest

from gainsight_transformer.jsvalues import MISSING
from gainsight_transformer.rudder import envelope
from gainsight_transformer.rudder.destination import DeliveryRequest
from gainsight_transformer.rudder.jsonio import RawJSON, dumps

TEXTS = ["", "a", "Zoë", 'q"uote', "back\\slash", "line\nbreak", "\u2028", "😀", "\x00", "a\ud800b"]


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return rng.choice(TEXTS)
    if kind == 1:
        return rng.choice([0, -1, 2**53 + 1, 2**63, 1.5, -0.0, 1e300])
    if kind == 2:
        return rng.choice([True, False, None])
    if kind in (3, 4):
        return rng.choice(TEXTS) + str(rng.randrange(100))
    if kind in (5, 6):
        return {rng.choice(TEXTS) + str(n): _value(rng, depth + 1) for n in range(rng.randrange(4))}
    return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]


def _request(rng: random.Random) -> DeliveryRequest:
    headers = {rng.choice(["Accesskey", "eventName", "contractId", "x"]): rng.choice(TEXTS) for _ in range(3)}
    return DeliveryRequest(
        rng.choice(["PUT", "POST"]),
        "https://" + rng.choice(TEXTS) + ".example/v1.0/api/people",
        headers,
        _value(rng),
    )


def _metadata(rng: random.Random) -> Any:
    value = _value(rng)
    choice = rng.randrange(3)
    if choice == 0:
        return MISSING
    if choice == 1:
        return RawJSON(
            b' {"jobId": 1e2, "n": 12345678901234567890123} ' if rng.random() < 0.5 else dumps(value)
        )
    return value


def _assert_serialised(pieces: list[bytes], element: dict[str, Any]) -> None:
    """Byte for byte; where a lone surrogate makes `dumps` escape the whole element as ASCII,
    the pieces escape only their own part: then the same JSON value."""
    try:
        orjson.dumps(element, default=lambda raw: orjson.Fragment(raw.data))
    except orjson.JSONEncodeError:
        assert json.loads(b"".join(pieces)) == json.loads(dumps(element))
    else:
        assert b"".join(pieces) == dumps(element)


@pytest.mark.parametrize("seed", range(40))
def test_success_elements_are_their_dicts_serialised(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(25):
        request, metadata, destination = _request(rng), _metadata(rng), _metadata(rng)
        if destination is MISSING:
            destination = {"ID": "d1", "Config": {"accessKey": "k"}}
        pieces: list[bytes] = []
        envelope.processor_success_into(pieces, request, metadata)
        _assert_serialised(pieces, envelope.processor_success(request, metadata))
        pieces = []
        envelope.router_success_into(pieces, request, metadata, destination)
        _assert_serialised(pieces, envelope.router_success(request, metadata, destination))


def test_a_passed_through_message_is_its_dict_serialised() -> None:
    message = {"statusCode": 200, "userId": "7", "body": {"a": [1]}}
    pieces: list[bytes] = []
    envelope.router_success_into(pieces, message, RawJSON(b'{"jobId":3}'), RawJSON(b'{"ID":"d"}'))
    assert orjson.loads(b"".join(pieces)) == {
        "batchedRequest": message,
        "metadata": [{"jobId": 3}],
        "batched": False,
        "statusCode": 200,
        "destination": {"ID": "d"},
    }


def test_request_heads_are_kept_once_each_and_the_table_is_bounded(monkeypatch) -> None:
    monkeypatch.setattr(envelope, "_HEADS", {})
    monkeypatch.setattr(envelope, "_MAX_HEADS", 10)
    same = [
        DeliveryRequest("PUT", "https://x/v1.0/api/people", {"Accesskey": "k"}, {"n": n}) for n in range(5)
    ]
    for request in same:
        envelope.processor_success_into([], request, MISSING)
    assert len(envelope._HEADS) == 1
    for n in range(25):
        request = DeliveryRequest("POST", "https://x/e", {"contractId": f"c{n}"}, {})
        envelope.processor_success_into([], request, MISSING)
        assert len(envelope._HEADS) <= 10
    unhashable = DeliveryRequest("POST", "https://x/e", {"h": ["not", "a", "key"]}, {})
    pieces: list[bytes] = []
    envelope.processor_success_into(pieces, unhashable, MISSING)
    assert b"".join(pieces) == dumps(envelope.processor_success(unhashable, MISSING))
