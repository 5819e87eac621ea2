"""Smoke test of the benchmark harness: `bench/run.py --quick` runs and reports sane figures.

It checks that the harness works (numbers present, every response 200, zero non-2xx, the simulator's
call log read for group), never how fast the service is: no timed assertions, and none that a busy
machine can fail (a 0.5 s run may be given no CPU tick: its CPU figure may be 0, so it is checked to be
a well-formed figure, not a positive one; each connection of the load generator makes at least one
request, and the process monitor samples at least once, whatever the scheduling). The built-in load
generator is forced so CI needs no wrk. About 15 s, and about 10 s more for the `--redis` run of
group (skipped, saying so, where Debian's redis-server is missing).
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench"
sys.path.insert(0, str(BENCH))

import gen_payloads  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the runner reads /proc")

SCENARIOS = ("a", "c", "d")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "report.json"
    command = [
        sys.executable, str(BENCH / "run.py"), "--quick", "--scenarios", ",".join(SCENARIOS),
        "--loadgen", "builtin", "--bodies", "generated", "--warmup", "0.3", "--floor-seconds", "0.2",
        "--runs", "2", "--duration", "0.5", "--http-floor", "--json", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"run.py failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-4000:]}"
    result = json.loads(out.read_text())
    result["stdout"] = done.stdout
    return result


@pytest.mark.parametrize("letter", SCENARIOS)
def test_every_request_and_event_answered_200(report: dict[str, Any], letter: str) -> None:
    scenario = report["scenarios"][letter]
    events = scenario["events_per_request"]
    assert events == gen_payloads.SCENARIOS[letter]["events"]
    assert scenario["probe"] == {**scenario["probe"], "status": 200, "event_statuses": {"200": events}}
    assert len(scenario["runs"]) == 2
    for run in scenario["runs"]:
        assert run["requests"] > 0
        assert run["status_counts"] == {"200": run["requests"]}
        assert run["non_2xx"] == 0 and run["socket_errors"] == 0
    assert scenario["all_2xx"] is True


@pytest.mark.parametrize("letter", SCENARIOS)
def test_figures_are_present_and_consistent(report: dict[str, Any], letter: str) -> None:
    scenario = report["scenarios"][letter]
    run = scenario["runs"][0]
    assert run["req_s"] > 0
    assert run["events_s"] == pytest.approx(run["req_s"] * scenario["events_per_request"])
    assert 0 < run["p50_ms"] <= run["p99_ms"] <= run["max_ms"]
    # Tick-based CPU time over 0.5 s can be 0 on a loaded machine: present and well-formed, not positive.
    assert isinstance(run["cpu_pct"], float) and math.isfinite(run["cpu_pct"]) and run["cpu_pct"] >= 0
    assert scenario["summary"]["cpu_pct"]["min"] == min(r["cpu_pct"] for r in scenario["runs"])
    assert 0 < scenario["rss_rest_mib"] <= scenario["rss_peak_mib"]
    assert scenario["floor"]["events_s"] > 0 and scenario["floor_ratio"] > 0
    summary = scenario["summary"]["events_s"]
    rates = sorted(r["events_s"] for r in scenario["runs"])
    assert (summary["min"], summary["max"]) == (rates[0], rates[-1])


@pytest.mark.parametrize("letter", ["a", "c"])
def test_the_http_floor_alternates_with_the_service_and_gives_a_ratio_per_pair(
    report: dict[str, Any], letter: str
) -> None:
    scenario = report["scenarios"][letter]
    served, floored = scenario["runs"], scenario["http_floor"]["runs"]
    assert len(served) == len(floored) == 2
    pairs = zip(served, floored, strict=True)
    assert scenario["http_floor_ratios"] == [s["events_s"] / f["events_s"] for s, f in pairs]
    assert scenario["http_floor_ratio"] == pytest.approx(sum(scenario["http_floor_ratios"]) / 2)
    assert "d" not in report["scenarios"] or "http_floor" not in report["scenarios"]["d"]


def test_group_counts_company_calls_against_the_simulator(report: dict[str, Any]) -> None:
    run = report["scenarios"]["d"]["runs"][0]
    assert run["company_calls"] > 0
    assert run["company_calls_per_event"] > 0
    # Whether a pooled connection is still open when the monitor looks depends on timing: well-formed only
    # (test_the_monitor_counts_established_connections_to_a_port checks the counting itself).
    assert isinstance(run["max_outbound_connections"], int) and run["max_outbound_connections"] >= 0
    statuses = Counter(run["company_call_statuses"])
    assert all(int(status) < 429 for status in statuses), statuses  # no throttling, no server errors


def test_the_monitor_counts_established_connections_to_a_port() -> None:
    import psutil
    from harness.processes import Monitor

    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        monitor = Monitor(os.getpid(), outbound_port=port, interval=3600)
        with socket.create_connection(("127.0.0.1", port)), listener.accept()[0]:
            monitor.sample([psutil.Process()])
        assert monitor.max_outbound == 1 and monitor.samples == 1 and monitor.max_rss_mib > 0


def test_a_stopped_monitor_has_sampled_even_if_its_thread_never_ran() -> None:
    from harness.processes import Monitor

    monitor = Monitor(os.getpid(), interval=3600)
    monitor.stop_event.set()  # as if stop() came before the thread's first look
    monitor.start()
    monitor.stop()
    assert monitor.samples == 1 and monitor.max_rss_mib > 0


def test_the_load_generator_sends_one_request_per_connection_even_past_its_deadline() -> None:
    import asyncio

    import loadgen

    hits: list[bytes] = []

    async def serve_and_drive() -> dict[str, Any]:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(
                    line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
                ).split(b":")[1]
            )
            hits.append(await reader.readexactly(length))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n[]")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await loadgen.run(
                f"http://127.0.0.1:{port}/", b"[1]", connections=3, duration=0, timeout=10
            )

    result = asyncio.run(serve_and_drive())
    assert result["requests"] == 3 and result["status_counts"] == {"200": 3} and hits == [b"[1]"] * 3
    assert 0 < result["p50_us"] <= result["p99_us"] <= result["lat_max_us"]


def test_markdown_table_lists_each_scenario(report: dict[str, Any]) -> None:
    table = report["stdout"]
    assert "| scenario | events/s min / med / max |" in table
    for letter in SCENARIOS:
        assert f"| {letter}: " in table
    assert "Company API calls per group event" in table
    assert report["meta"]["loadgen"].startswith("built-in")


def test_generator_is_seeded_and_realistic(tmp_path: Path) -> None:
    first = gen_payloads.build_bodies(seed=7)
    assert gen_payloads.dump(first) == gen_payloads.dump(gen_payloads.build_bodies(seed=7))
    assert gen_payloads.dump(first) != gen_payloads.dump(gen_payloads.build_bodies(seed=8))
    assert first["c"]["input"] == first["b"]
    assert [e["message"]["type"] for e in first["b"][:4]] == ["identify", "track", "identify", "track"]
    assert len(first["e"]["input"]) == 500
    names = {e["message"]["traits"]["name"] for e in first["d"]}
    assert len(first["d"]) == 20 and len(names) == 5
    config = first["a"][0]["destination"]["Config"]
    for key in ("personMap", "companyMap", "eventNameMap", "eventVersionMap"):
        assert config[key]
    message_sizes = [len(gen_payloads.dump(e["message"])) for e in first["b"]]
    event_sizes = [len(gen_payloads.dump(e)) for e in first["b"]]
    assert 1_400 < sum(message_sizes) / 100 < 2_200
    assert 2_600 < sum(event_sizes) / 100 < 4_000
    assert all(e["message"]["context"]["externalId"] for e in first["b"])


def test_reference_bodies_are_present() -> None:
    for letter in "abcd":
        body = json.loads((BENCH / "reference" / gen_payloads.SCENARIOS[letter]["file"]).read_bytes())
        events = body["input"] if isinstance(body, dict) else body
        assert len(events) == gen_payloads.SCENARIOS[letter]["events"]
    assert "WRKJSON" in (BENCH / "reference" / "post.lua").read_text()


def test_the_instruction_count_script_serves_every_reference_scenario() -> None:
    for body in ("a_processor_identify1.json", "c_router_mixed100.json"):
        command = [
            sys.executable,
            str(BENCH / "instructions.py"),
            "--body",
            body,
            "--requests",
            "2",
            "--warm",
            "1",
        ]
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]


def _redis_server_missing() -> bool:
    from harness.redis_server import redis_server_program

    return redis_server_program() is None


@pytest.fixture(scope="module")
def redis_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if _redis_server_missing():
        pytest.skip("redis-server is not installed (Debian package redis-server): `--redis` needs it")
    out = tmp_path_factory.mktemp("bench-redis") / "report.json"
    command = [
        sys.executable, str(BENCH / "run.py"), "--quick", "--scenarios", "d", "--redis",
        "--loadgen", "builtin", "--bodies", "generated", "--warmup", "0.3", "--floor-seconds", "0.2",
        "--runs", "1", "--duration", "0.5", "--json", str(out),
    ]  # fmt: skip
    # The Redis store hands out no company lock before its Redis has been up COMPANY_LOCK_TTL_SECONDS:
    # a short one (with a shorter group deadline, as the service requires) keeps the wait short.
    env = dict(os.environ, COMPANY_LOCK_TTL_SECONDS="3", GROUP_DEADLINE_SECONDS="2")
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"run.py failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-4000:]}"
    result = json.loads(out.read_text())
    result["stdout"] = done.stdout
    return result


def test_group_with_redis_answers_200_and_counts_company_calls_and_redis_commands(
    redis_report: dict[str, Any],
) -> None:
    meta, scenario = redis_report["meta"], redis_report["scenarios"]["d"]
    assert meta["company_store"] == "redis" and meta["redis"]["lock_ttl_s"] == 3
    assert scenario["company_store"]["kind"] == "redis" and scenario["company_store"]["state"] == "up"
    assert scenario["probe"]["event_statuses"] == {"200": scenario["events_per_request"]}
    assert scenario["probe_after"]["event_statuses"] == {"200": scenario["events_per_request"]}
    run = scenario["runs"][0]
    assert run["requests"] > 0 and run["status_counts"] == {"200": run["requests"]}
    assert run["company_calls"] > 0 and run["company_calls_per_event"] > 0
    assert all(int(status) < 429 for status in run["company_call_statuses"])
    assert run["redis_commands"].get("mget", 0) > 0 and run["redis_commands_per_request"] > 0
    assert "Redis commands per request" in redis_report["stdout"]


def test_redis_option_without_redis_server_names_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness import cli

    monkeypatch.setattr(cli, "redis_server_program", lambda: None)
    assert cli.main(["--scenarios", "d", "--redis", "--loadgen", "builtin"]) == 2
    assert "redis-server" in capsys.readouterr().err
