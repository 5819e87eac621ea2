"""The OpenAPI document: committed copy in sync, served, every route documented with examples that
are true — each example request, sent to the app, gets exactly the documented example answer."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import respx
from fastapi.testclient import TestClient

from gainsight_transformer.app import create_app
from gainsight_transformer.openapi import examples
from gainsight_transformer.openapi import routes as route_docs
from gainsight_transformer.openapi_export import REGENERATE, main, openapi_document, render
from gainsight_transformer.rudder import routes
from gainsight_transformer.settings import Settings
from support import fake_gainsight

from .routes_of import schema_routes

REPO = Path(__file__).resolve().parents[2]
DOCUMENT = openapi_document()
# Routes declared in app.py take their documentation from openapi/routes.py once app.py passes it on.


def _schema_routes() -> list[tuple[str, str]]:
    return sorted((method, route.path) for route in schema_routes() for method in route.methods)


def _media(operation: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, media type object) of the request body and of every response."""
    for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
        yield f"request {media_type}", media
    for status, response in operation["responses"].items():
        for media_type, media in response.get("content", {}).items():
            yield f"{status} {media_type}", media


def _example(operation: dict[str, Any], where: str, name: str) -> Any:
    media = dict(_media(operation))[where]
    return media["examples"][name]["value"]


def _differences(committed: dict[str, Any], current: dict[str, Any]) -> list[str]:
    paths = sorted(set(committed.get("paths", {})) | set(current.get("paths", {})))
    changed = [p for p in paths if committed.get("paths", {}).get(p) != current.get("paths", {}).get(p)]
    others = [
        k
        for k in sorted(set(committed) | set(current))
        if k != "paths" and committed.get(k) != current.get(k)
    ]
    return changed + others


def test_committed_openapi_json_is_the_apps() -> None:
    committed_text = (REPO / "openapi.json").read_text(encoding="utf-8")
    if committed_text == render(DOCUMENT):
        return
    committed = json.loads(committed_text)
    differences = _differences(committed, DOCUMENT) or ["formatting"]
    pytest.fail(
        f"openapi.json is out of date ({', '.join(differences)}); regenerate it from the repository "
        f"root with `{REGENERATE}` and commit it",
        pytrace=False,
    )


def test_export_writes_the_document_to_the_given_path(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    assert main([str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == DOCUMENT


def test_app_serves_the_document_and_the_docs_page(client: TestClient) -> None:
    assert client.get("/openapi.json").json() == DOCUMENT
    page = client.get("/docs")
    assert page.status_code == 200
    assert "swagger-ui" in page.text and "/openapi.json" in page.text


@pytest.mark.parametrize(("method", "path"), _schema_routes())
def test_every_route_is_documented_with_an_example(method: str, path: str) -> None:
    operation = DOCUMENT["paths"][path][method.lower()]
    examples = [name for _, media in _media(operation) for name in media.get("examples", {})]
    assert operation.get("summary") and operation.get("tags"), f"{method} {path} has no summary or tags"
    assert examples, f"{method} {path} has no example"


def test_every_example_fits_its_schema() -> None:
    checked = 0
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            for where, media in _media(operation):
                validator = jsonschema_rs.Draft202012Validator(media.get("schema", {}))
                for name, example in media.get("examples", {}).items():
                    errors = [e.message for e in validator.iter_errors(example["value"])]
                    assert not errors, f"{method} {path} {where} example {name!r}: {errors[:3]}"
                    checked += 1
    assert checked >= 20


# (operation path, request example, headers, Gainsight's answer, HTTP status, response key, example)
EXCHANGES = [
    ("/v0/destinations/{destination}", "events", {}, None, 200, "200", "events"),
    (
        "/v0/destinations/{destination}",
        "compacted",
        {"X-Content-Format": "json+compactedv1"},
        None,
        200,
        "200",
        "compacted",
    ),
    ("/routerTransform", "events", {}, None, 200, "200", "events"),
    (
        "/routerTransform",
        "compacted",
        {"X-Content-Format": "json+compactedv1"},
        None,
        200,
        "200",
        "compacted",
    ),
    ("/v0/destinations/{destination}/proxy", "person", {}, None, 200, "200", "delivered"),
    ("/v0/destinations/{destination}/proxy", "refused", {}, None, 400, "400", "refused"),
    (
        "/v0/destinations/{destination}/proxy",
        "person",
        {},
        (429, examples.THROTTLED),
        429,
        "default",
        "throttled",
    ),
    (
        "/v0/destinations/{destination}/proxy",
        "person",
        {},
        (500, examples.SERVER_ERROR),
        500,
        "500",
        "gainsight",
    ),
    ("/v1/destinations/{destination}/proxy", "event", {}, None, 200, "200", "delivered"),
    (
        "/v1/destinations/{destination}/proxy",
        "event",
        {},
        (500, examples.SERVER_ERROR),
        200,
        "200",
        "failed",
    ),
]


@pytest.mark.parametrize(
    ("path", "request_name", "headers", "gainsight", "status", "response_key", "answer_name"),
    EXCHANGES,
    ids=[f"{e[0]} {e[1]} -> {e[5]} {e[6]}" for e in EXCHANGES],
)
def test_example_request_gets_the_example_answer(
    client: TestClient,
    path: str,
    request_name: str,
    headers: dict[str, str],
    gainsight: tuple[int, Any] | None,
    status: int,
    response_key: str,
    answer_name: str,
) -> None:
    operation = DOCUMENT["paths"][path]["post"]
    body = _example(operation, "request application/json", request_name)
    expected = _example(operation, f"{response_key} application/json", answer_name)
    serve = fake_gainsight.failing_with(*gainsight) if gainsight else fake_gainsight.serve
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        mock.route().mock(side_effect=serve)
        response = client.post(path.replace("{destination}", "gainsight"), json=body, headers=headers)
    assert response.status_code == status
    assert response.json() == expected
    assert response.headers["apiVersion"] == "2"


def test_service_examples_are_the_answers(client: TestClient) -> None:
    features = DOCUMENT["paths"]["/features"]["get"]
    assert client.get("/features").json() == _example(features, "200 application/json", "features")
    health = DOCUMENT["paths"]["/health"]["get"]
    if any("examples" in media for _, media in _media(health)):
        documented = _example(health, "200 application/json", "up")
        assert set(client.get("/health").json()) | {"gitCommitSha"} == set(documented)


def _well_formed_body(path: str) -> bytes:
    if path == "/routerTransform":
        return b'{"destType": "gainsight", "input": [{}]}'
    return b"{}" if path.endswith("/proxy") else b"[{}]"


def _provoke(text: str, path: str) -> tuple[str, bytes, dict[str, str]]:
    """How to make a route answer a documented request-level error: (path, body, headers)."""
    if text == route_docs.UNKNOWN_DESTINATION:
        if path == "/routerTransform":
            return path, b'{"destType": "mailchimp", "input": []}', {}
        return path.replace("gainsight", "mailchimp"), _well_formed_body(path), {}
    provokers = {
        route_docs.NOT_JSON: b'"hello"',
        route_docs.TOO_LARGE: b"[" + b" " * 2048 + b"]",
        route_docs.BAD_ENCODING: b"[]",
        route_docs.INTERNAL_ERROR: _well_formed_body(path),
        "destType is required": b'{"input": []}',
        route_docs.PROXY_NOT_OBJECT: b"[]",
        route_docs.V1_METADATA_NOT_ARRAY: b'{"endpoint": "https://a.example/", "metadata": {}}',
    }
    assert text in provokers, f"no way to provoke the documented error {text!r}: add one here"
    headers = {"Content-Encoding": "br"} if text == route_docs.BAD_ENCODING else {}
    return path, provokers[text], headers


def _error_examples() -> Iterator[Any]:
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                media = response.get("content", {}).get("application/json", {})
                for name, example in media.get("examples", {}).items():
                    value = example["value"]
                    if isinstance(value, dict) and set(value) == {"error"}:
                        yield pytest.param(method, path, status, value, id=f"{path} {status} {name}")


@pytest.fixture
def small_body_client() -> Iterator[TestClient]:
    # A fault of ours is answered 500 and re-raised to the server, which TestClient would raise.
    app = create_app(Settings(max_body_bytes=1024, max_proxy_body_bytes=1024))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _features_without_upstream_answer(answer: dict[str, str]) -> None:
    """The 503 of /features before an unreachable upstream transformer has answered."""
    url = f"http://127.0.0.1:{_closed_port()}"
    with TestClient(create_app(Settings(upstream_transformer_url=url))) as upstream_client:
        response = upstream_client.get("/features")
    assert response.status_code == 503
    documented = re.escape(answer["error"].replace("http://rudder-transformer:9090", url))
    pattern = re.sub(r"\\\(.*\\\)", r"\\(cannot connect: .+\\)", documented)
    assert re.fullmatch(pattern, response.json()["error"]), (pattern, response.json())


@pytest.mark.parametrize(("method", "path", "status", "answer"), list(_error_examples()))
def test_documented_error_is_what_the_route_answers(
    small_body_client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    status: str,
    answer: dict[str, str],
) -> None:
    if path == "/features":
        _features_without_upstream_answer(answer)
        return
    if answer["error"] == route_docs.INTERNAL_ERROR:

        def broken(*_: Any) -> Any:
            raise RuntimeError("a fault of ours")

        monkeypatch.setattr(routes, "find_destination", broken)
    target, body, headers = _provoke(answer["error"], path.replace("{destination}", "gainsight"))
    response = small_body_client.request(method.upper(), target, content=body, headers=headers)
    assert response.json() == answer
    if status == "4XX":
        assert 400 <= response.status_code <= 499
    else:
        assert response.status_code == int(status)


def test_metrics_example_shows_families_the_service_exposes(client: TestClient) -> None:
    if "/metrics" not in DOCUMENT["paths"]:
        pytest.skip("this build has no /metrics route")
    declared = re.findall(r"^# TYPE (\S+) (\S+)$", route_docs.METRICS_EXCERPT, re.MULTILINE)
    assert declared
    exposed = set(re.findall(r"^# TYPE (\S+) (\S+)$", client.get("/metrics").text, re.MULTILINE))
    assert set(declared) <= exposed
