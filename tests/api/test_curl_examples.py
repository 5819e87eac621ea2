"""examples/curl: one script per route, each run against the real service next to the simulator."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.processes import Simulator

from .routes_of import documented_routes, route_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = sorted((EXAMPLES / "curl").glob("*.sh"))
CALL = re.compile(r'-X ([A-Z]+) "\$BASE_URL(/[^"]*)"')


def _body(name: str, simulator: Simulator) -> Any:
    text = (EXAMPLES / "bodies" / f"{name}.json").read_text()
    return json.loads(text.replace("{{gainsightDomain}}", simulator.domain))


def _job_ids(elements: list[dict[str, Any]]) -> list[int]:
    return [element["metadata"]["jobId"] for element in elements]


def _transformed(name: str) -> Callable[[str, Simulator], None]:
    def check(out: str, simulator: Simulator) -> None:
        answer, body = json.loads(out), _body(name, simulator)
        events = body if isinstance(body, list) else body["input"]
        assert [a["statusCode"] for a in answer] == [200] * len(events), answer
        assert _job_ids(answer) == _job_ids(events)

    return check


def _routed(name: str) -> Callable[[str, Simulator], None]:
    def check(out: str, simulator: Simulator) -> None:
        output, events = json.loads(out)["output"], _body(name, simulator)["input"]
        assert [o["statusCode"] for o in output] == [200] * len(events), output
        assert sorted(m["jobId"] for o in output for m in o["metadata"]) == sorted(_job_ids(events))

    return check


def _proxy_v0(out: str, simulator: Simulator) -> None:
    output = json.loads(out)["output"]
    assert (output["status"], output["destinationResponse"]["status"]) == (200, 200), output
    stored = {p["Email"]: p for p in simulator.state()["persons"]}
    assert stored["ada@example.com"]["Plan__gc"] == "pro"


def _proxy_v1(out: str, simulator: Simulator) -> None:
    output = json.loads(out)["output"]
    assert [r["statusCode"] for r in output["response"]] == [200, 200], output
    assert {"ticketId": "T-1042", "priority": "high", "resolutionMinutes": 42} in [
        event["body"] for event in simulator.state()["events"]
    ]


def _features(out: str, _: Simulator) -> None:
    features = json.loads(out)
    assert features["routerTransform"] == {"GAINSIGHT": True}
    assert features["supportDestTransformCompactedPayloadV1"] is True


def _health(out: str, _: Simulator) -> None:
    assert json.loads(out)["service"] == "UP"


def _metrics(out: str, _: Simulator) -> None:
    assert re.search(r"^# TYPE \S+ \S+$", out, re.MULTILINE), out[:200]


CHECKS: dict[str, Callable[[str, Simulator], None]] = {
    "processor.sh": _transformed("processor"),
    "processor_compacted.sh": _transformed("processor_compacted"),
    "router.sh": _routed("router"),
    "router_compacted.sh": _routed("router_compacted"),
    "proxy_v0.sh": _proxy_v0,
    "proxy_v1.sh": _proxy_v1,
    "features.sh": _features,
    "health.sh": _health,
    "metrics.sh": _metrics,
}


def test_there_is_a_script_for_every_route_and_a_check_for_every_script() -> None:
    called = set()
    for script in SCRIPTS:
        calls = CALL.findall(script.read_text())
        assert len(calls) == 1, f"{script.name}: expected one curl call to $BASE_URL"
        route = route_of(*calls[0])
        assert route is not None, f"{script.name} calls {calls[0]}, which is no documented route"
        called.add(route)
    assert documented_routes() <= called, f"routes without a script: {documented_routes() - called}"
    assert {s.name for s in SCRIPTS} == set(CHECKS)


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_script_succeeds_against_the_service_and_the_simulator(
    script: Path, gainsight_service: str, simulator: Simulator
) -> None:
    assert shutil.which("curl"), "the curl examples need curl"
    env = {**os.environ, "BASE_URL": gainsight_service, "GAINSIGHT_DOMAIN": simulator.domain}
    run = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"{script.name} exited {run.returncode}: {run.stderr}{run.stdout}"
    CHECKS[script.name](run.stdout, simulator)
