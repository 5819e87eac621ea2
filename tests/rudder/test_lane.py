"""The direct lane answers exactly as FastAPI's routing of the same endpoints does."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from gainsight_transformer.app import create_app
from gainsight_transformer.rudder import lane, pipeline
from support.wire import element, identify

GOOD = [element(identify(), 1), element({"type": "alias"}, 2)]
REQUESTS = {
    "processor": ("/v0/destinations/gainsight", GOOD),
    "processor, trailing slash": ("/v0/destinations/gainsight/", GOOD),
    "processor, encoded name": ("/v0/destinations/%C2%A0GAINSIGHT", GOOD),
    "router": ("/routerTransform", {"input": GOOD, "destType": "gainsight"}),
    "router, trailing slash": ("/routerTransform/", {"input": GOOD, "destType": "gainsight"}),
    "unknown destination": ("/v0/destinations/nope", GOOD),
    "body not an array": ("/v0/destinations/gainsight", {"a": 1}),
    "router without destType": ("/routerTransform", {"input": GOOD}),
    "router, empty input": ("/routerTransform", {"input": [], "destType": "gainsight"}),
}


def _exchange(path: str, body: Any, *, direct: bool, monkeypatch: pytest.MonkeyPatch) -> tuple:
    with monkeypatch.context() as patch:
        if not direct:
            patch.setattr(lane, "_endpoint", lambda path: None)
        with TestClient(create_app(), raise_server_exceptions=False) as client:
            response = client.post(path, json=body)
    headers = {k: v for k, v in response.headers.items() if k not in ("date", "server", "x-request-id")}
    return response.status_code, headers, response.content


@pytest.mark.parametrize("name", REQUESTS)
def test_direct_lane_matches_fastapi_routing(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path, body = REQUESTS[name]
    calls = []
    real = lane._endpoint
    monkeypatch.setattr(lane, "_endpoint", lambda p: calls.append(p) or real(p))
    direct = _exchange(path, body, direct=True, monkeypatch=monkeypatch)
    assert calls, "the lane should have served this request"
    assert direct == _exchange(path, body, direct=False, monkeypatch=monkeypatch)


def test_unexpected_errors_answer_the_same_json_500(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "router_transform", broken)
    path, body = REQUESTS["router"]
    direct = _exchange(path, body, direct=True, monkeypatch=monkeypatch)
    assert direct[0] == 500 and direct[2] == b'{"error":"internal error (RuntimeError)"}'
    assert direct == _exchange(path, body, direct=False, monkeypatch=monkeypatch)


@pytest.mark.parametrize(
    "path",
    ["/v0/destinations/gainsight/proxy", "/v0/destinations", "/routerTransformX", "/v1/destinations/x"],
)
def test_other_paths_are_not_taken_by_the_lane(path: str) -> None:
    assert lane._endpoint(path) is None


def test_other_methods_and_root_path_go_through_fastapi() -> None:
    with TestClient(create_app()) as client:
        assert client.get("/v0/destinations/gainsight").text == "Not Found"
    with TestClient(create_app(), root_path="/prefix") as client:
        response = client.post("/prefix/v0/destinations/gainsight", json=GOOD)
    assert response.status_code == 200 and response.json()[0]["statusCode"] == 200
