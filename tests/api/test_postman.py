"""The Postman collection (v2.1) and its environment: well-formed, every route, the tested bodies."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .routes_of import documented_routes, route_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
COLLECTION = json.loads((EXAMPLES / "postman/gainsight-transformer.postman_collection.json").read_text())
ENVIRONMENT = json.loads((EXAMPLES / "postman/localhost.postman_environment.json").read_text())
SCHEMA_V21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


def _requests(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every request item, folders walked."""
    for item in items:
        if "item" in item:
            yield from _requests(item["item"])
        else:
            yield item


REQUESTS = list(_requests(COLLECTION["item"]))


def test_collection_is_postman_v21() -> None:
    info = COLLECTION["info"]
    assert info["schema"] == SCHEMA_V21
    assert info["name"] and re.fullmatch(r"[0-9a-f-]{36}", info["_postman_id"])
    for item in REQUESTS:
        request = item["request"]
        assert item["name"] and request["method"] in METHODS
        url = request["url"]
        assert url["raw"] == "{{baseUrl}}/" + "/".join(url["path"]) and url["host"] == ["{{baseUrl}}"]
        assert all({"key", "value"} <= set(header) for header in request.get("header", []))
        if "body" in request:
            assert request["body"]["mode"] == "raw"
            json.loads(request["body"]["raw"])


def test_environment_points_at_localhost_9090_and_defines_every_variable() -> None:
    assert ENVIRONMENT["_postman_variable_scope"] == "environment" and ENVIRONMENT["name"]
    values = {entry["key"]: entry["value"] for entry in ENVIRONMENT["values"] if entry["enabled"]}
    assert values["baseUrl"] == "http://localhost:9090"
    used = set(re.findall(r"\{\{(\w+)\}\}", json.dumps(COLLECTION)))
    assert used <= set(values), f"variables without a value in the environment: {used - set(values)}"


def test_collection_covers_every_route_and_only_routes() -> None:
    served = {}
    for item in REQUESTS:
        request = item["request"]
        route = route_of(request["method"], "/" + "/".join(request["url"]["path"]))
        assert route is not None, f"{item['name']!r} targets no documented route"
        served[route] = item["name"]
    assert documented_routes() <= set(served), (
        f"routes without a request: {documented_routes() - set(served)}"
    )


def test_request_bodies_are_the_example_bodies_the_curl_tests_run() -> None:
    bodies = {path.read_text() for path in (EXAMPLES / "bodies").glob("*.json")}
    for item in REQUESTS:
        if "body" in item["request"]:
            assert item["request"]["body"]["raw"] in bodies, (
                f"{item['name']!r} sends no file of examples/bodies"
            )
