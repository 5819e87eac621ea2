"""The Postman collection (v2.1) and its environment: well-formed, every route, the tested bodies."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from support.newman import newman_binary

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


def test_the_collection_passes_its_tests_against_the_real_service(tmp_path: Path) -> None:
    import subprocess

    from support.processes import start_service, start_simulator, stop

    newman = newman_binary()
    simulator, simulator_process = start_simulator(tmp_path / "tls")
    service, service_process = start_service(
        SSL_CERT_FILE=str(simulator.ca_file), GAINSIGHT_HOST_ALLOWLIST=simulator.domain
    )
    report = tmp_path / "report.json"
    try:
        run = subprocess.run(
            [str(newman), "run", str(EXAMPLES / "postman/gainsight-transformer.postman_collection.json"),
             "--environment", str(EXAMPLES / "postman/localhost.postman_environment.json"),
             "--env-var", f"baseUrl={service}", "--env-var", f"gainsightDomain={simulator.domain}",
             "--reporters", "cli,json", "--reporter-json-export", str(report), "--color", "off"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        stop(service_process)
        stop(simulator_process)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    stats = json.loads(report.read_text())["run"]["stats"]
    assert stats["requests"] == {"total": len(REQUESTS), "pending": 0, "failed": 0}
    assert stats["assertions"]["failed"] == 0
    assert stats["assertions"]["total"] >= 4 * len(REQUESTS)


def test_every_request_asserts_more_than_its_status() -> None:
    for item in REQUESTS:
        lines = [
            line for event in item["event"] if event["listen"] == "test" for line in event["script"]["exec"]
        ]
        tests = [line for line in lines if line.lstrip().startswith("pm.test(")]
        assert len(tests) >= 3, f"{item['name']!r} has {len(tests)} tests"
