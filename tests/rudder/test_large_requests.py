"""Requests with bodies over 1 MiB (issue: hostile input): counted and weighed before they are
decoded, read and answered in slices, with the same answers as small requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gainsight_transformer.app import create_app
from gainsight_transformer.rudder import routes
from gainsight_transformer.settings import Settings
from support.wire import COMPACTED, PROCESSOR, ROUTER, destination, identify, metadata, track

PADDING = "x" * 1500  # makes 700 events a body of over 1 MiB


def _elements(count: int) -> list[dict[str, Any]]:
    return [
        {
            "message": identify(f"p{i}@b.c", note=PADDING)
            if i % 2
            else track("Signed Up", {"n": i, "note": PADDING}),
            "metadata": metadata(i),
            "destination": destination(),
        }
        for i in range(count)
    ]


def _compacted(elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "input": [{"message": e["message"], "metadata": e["metadata"]} for e in elements],
        "destinations": {"dest-1": destination()},
        "connections": {},
    }


@pytest.fixture
def app_client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as client:
        yield client


def test_a_large_processor_batch_answers_as_its_small_batches(app_client: TestClient) -> None:
    elements = _elements(700)
    body = json.dumps(elements).encode()
    assert len(body) > routes.LARGE_BYTES
    large = app_client.post(PROCESSOR, content=body)
    assert large.status_code == 200
    small = [app_client.post(PROCESSOR, json=elements[i : i + 100]).json() for i in range(0, 700, 100)]
    assert large.json() == [answer for batch in small for answer in batch]
    assert app_client.app.bytes_in_flight.used == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("path", "shape", "headers"),
    [
        (ROUTER, lambda e: {"input": e, "destType": "gainsight"}, {}),
        (ROUTER, lambda e: {**_compacted(e), "destType": "gainsight"}, COMPACTED),
        (PROCESSOR, _compacted, COMPACTED),
    ],
    ids=["router", "router compacted", "processor compacted"],
)
def test_a_large_body_answers_as_when_read_whole(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch, path: str, shape: Any, headers: dict[str, str]
) -> None:
    body = json.dumps(shape(_elements(700))).encode()
    assert len(body) > routes.LARGE_BYTES
    sliced = app_client.post(path, content=body, headers=headers)
    assert sliced.status_code == 200
    monkeypatch.setattr(routes, "LARGE_BYTES", len(body))
    whole = app_client.post(path, content=body, headers=headers)
    assert sliced.json() == whole.json()
    answers = sliced.json()["output"] if path == ROUTER else sliced.json()
    assert len(answers) == 700  # over SLICE_EVENTS: transformed and serialised in slices too


def test_a_large_invalid_body_gets_the_whole_body_complaint(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps(_elements(700)).encode()[:-200] + b"oops}]"
    sliced = app_client.post(PROCESSOR, content=body)
    monkeypatch.setattr(routes, "LARGE_BYTES", len(body))
    whole = app_client.post(PROCESSOR, content=body)
    assert sliced.status_code == whole.status_code == 400
    assert sliced.json() == whole.json()
    assert sliced.json()["error"].startswith("invalid JSON: ")


def test_too_many_events_in_a_large_body_is_413_before_any_is_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gainsight_transformer.rudder import large_body

    decoded: list[bytes] = []
    monkeypatch.setattr(large_body, "decode", lambda raw, layout: decoded.append(raw))
    with TestClient(create_app(Settings(max_events_per_request=500))) as client:
        response = client.post(PROCESSOR, content=json.dumps(_elements(700)).encode())
    assert response.status_code == 413
    assert response.json() == {
        "error": "too many events in one request: more than 500 (MAX_EVENTS_PER_REQUEST is 500)"
    }
    assert decoded == []


def test_a_body_that_would_decode_beyond_the_budget_is_413() -> None:
    # 2 MiB of empty objects in one event: about 50 times its size once decoded.
    event = (
        b'{"message": {"type": "identify", "traits": {"x": [' + b"{}," * 700_000 + b'{}]}}, "metadata": {}}'
    )
    with TestClient(create_app(Settings(max_bytes_in_flight=64 * 1024 * 1024))) as client:
        response = client.post(PROCESSOR, content=b"[" + event + b"]")
        assert response.status_code == 413
        error = response.json()["error"]
        assert error.startswith("request body would take up to ")
        assert error.endswith("MiB once decoded, more than MAX_BYTES_IN_FLIGHT (64 MiB)")
        assert client.app.bytes_in_flight.used == 0  # type: ignore[attr-defined]


async def test_a_large_body_that_does_not_fit_beside_others_gets_503() -> None:
    app = create_app(Settings(max_bytes_in_flight=24 * 1024 * 1024))
    body = json.dumps(_elements(700)).encode()  # about 1.2 MiB, up to ~4 MiB decoded

    def scope() -> dict[str, Any]:
        return {
            "type": "http", "method": "POST", "path": PROCESSOR, "raw_path": PROCESSOR.encode(),
            "query_string": b"", "root_path": "", "headers": [(b"content-length", str(len(body)).encode())],
            "http_version": "1.1", "scheme": "http", "server": ("t", 80), "client": ("t", 1),
        }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    answers: list[tuple[int, dict[bytes, bytes]]] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answers.append((message["status"], dict(message["headers"])))

    async with app.router.lifespan_context(app):
        budget = app.bytes_in_flight  # type: ignore[attr-defined]
        budget.used = budget.limit - 2 * 1024 * 1024  # other large requests are being served
        await app(scope(), receive, send)  # its declared size fits, what it decodes to does not
        assert answers[-1][0] == 503
        assert answers[-1][1][b"retry-after"] == b"1"
        budget.used = 0
        await app(scope(), receive, send)
        assert answers[-1][0] == 200
        assert budget.used == 0
