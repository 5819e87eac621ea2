"""The JavaScript accidents of the original that this service does not copy (docs/divergences.md,
15), each with the answer it gives instead."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gainsight_transformer.app import create_app

CONFIG = {
    "domain": "demo.gainsightcloud.com", "accessKey": "k", "sharedSecret": "s", "topicName": "t",
    "tenantId": "tenant", "eventNameMap": [{"from": "E", "to": "E1"}], "eventVersionMap": [{"from": "E", "to": "1"}],
}  # fmt: skip


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def _payload(client: TestClient, message: dict[str, Any] | bytes, **config: Any) -> Any:
    body = (
        b'[{"message": ' + message + b', "metadata": {"jobId": 1}, "destination": {"Config": '
        + json.dumps({**CONFIG, **config}).encode() + b"}}]"
        if isinstance(message, bytes)
        else json.dumps([{"message": message, "metadata": {"jobId": 1}, "destination": {"Config": {**CONFIG, **config}}}])
    )  # fmt: skip
    [answer] = client.post("/v0/destinations/gainsight", content=body).json()
    assert answer["statusCode"] == 200, answer
    return answer["output"]["body"]["JSON"]


def _track(client: TestClient, properties: dict[str, Any]) -> Any:
    return _payload(client, {"type": "track", "event": "E", "properties": properties})


def _identify(client: TestClient, traits: dict[str, Any], rows: list[tuple[str, str]]) -> Any:
    person_map = [{"from": source, "to": target} for source, target in rows]
    return _payload(
        client, {"type": "identify", "traits": {"email": "a@b.c", **traits}}, personMap=person_map
    )


def test_integers_above_2_to_the_53_stay_exact(client: TestClient) -> None:
    payload = _payload(client, b'{"type": "track", "event": "E", "properties": {"n": 12345678901234567891}}')
    assert payload == {"n": 12345678901234567891}  # JS would send 12345678901234567000


def test_integer_like_custom_keys_are_kept_as_sent(client: TestClient) -> None:
    properties = {"007": 1, "1e2": 2, "0x1": 3, "+4": 4}
    assert _track(client, properties) == properties  # JS renames them to array indexes 7, 100, 1, 4


def test_a_key_ending_in_a_backslash_is_kept(client: TestClient) -> None:
    assert _track(client, {"k\\": 1}) == {"k\\": 1}  # JS writes "kundefined"


def test_a_dotted_key_next_to_an_integer_one_expands_into_an_object(client: TestClient) -> None:
    assert _track(client, {"a.b": 1, "a.0": 2}) == {"a": {"b": 1, "0": 2}}


def test_inherited_js_members_are_never_present_traits(client: TestClient) -> None:
    payload = _identify(client, {}, [("toString", "X"), ("valueOf", "Y"), ("length", "Z")])
    assert payload == {"Email": "a@b.c", "Name": ""}  # JS finds functions and numbers there


def test_proto_and_constructor_as_map_targets_are_written_literally(client: TestClient) -> None:
    payload = _identify(client, {"p": 1, "q": 2}, [("p", "__proto__"), ("q", "constructor")])
    assert payload == {"Email": "a@b.c", "__proto__": 1, "constructor": 2, "Name": ""}


def test_a_value_with_its_own_to_string_key_is_transformed(client: TestClient) -> None:
    payload = _identify(client, {"location": {"toString": 1, "city": "X"}}, [])
    assert payload["Location"] == '{"toString":1,"city":"X"}'  # JS calls the "method" and crashes


def test_empty_string_keys_are_kept(client: TestClient) -> None:
    assert _track(client, {"": 1, "a": 2}) == {"": 1, "a": 2}
