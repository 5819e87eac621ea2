"""Request-level edges: byte-order marks, escaped prototype keys, HEAD /health, our own bugs."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from gainsight_transformer.app import create_app
from gainsight_transformer.rudder import pipeline
from support.wire import PROCESSOR, destination, identify, metadata


def _batch() -> list[dict]:
    return [{"message": identify(), "metadata": metadata(1), "destination": destination()}]


def test_utf8_byte_order_mark_before_the_body_is_ignored(client) -> None:
    response = client.post(PROCESSOR, content=b"\xef\xbb\xbf" + json.dumps(_batch()).encode())
    assert response.status_code == 200
    assert response.json()[0]["statusCode"] == 200


def test_proto_key_spelled_with_unicode_escapes_is_rejected(client) -> None:
    body = json.dumps(_batch()).replace('"email"', '"__pr\\u006fto__"', 1)
    response = client.post(PROCESSOR, content=body.encode())
    assert response.status_code == 400
    assert response.json() == {"error": "Object contains forbidden prototype property"}


def test_head_health_answers_like_get(client) -> None:
    assert client.head("/health").status_code == 200


def test_destination_name_is_trimmed_with_js_whitespace_only(client) -> None:
    assert client.post("/v0/destinations/%C2%A0gainsight", json=_batch()).status_code == 200
    unknown = client.post("/v0/destinations/%1Cgainsight", json=_batch())
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "Unknown destination: \x1cgainsight"}


def test_a_bug_outside_the_destination_answers_json_500(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "processor_transform", broken)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.post(PROCESSOR, json=_batch())
    assert response.status_code == 500
    assert response.json() == {"error": "internal error (RuntimeError)"}
