"""One scenario measured: its body, the server that answers it, probes, warm-up and timed runs."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gen_payloads
import httpx
import orjson

from . import BENCH, REPO
from .load import drive, json_floor
from .processes import (
    Managed,
    Monitor,
    cpu_seconds,
    free_port,
    log,
    peak_rss_mib,
    pin,
    process_tree,
    rss_mib,
    wait_idle,
    wait_until,
)
from .redis_server import RedisServer, command_delta
from .report import fmt
from .simulator import Simulator, company_call_stats

SCENARIOS = gen_payloads.SCENARIOS
ROUTES = {"processor": "/v0/destinations/gainsight", "router": "/routerTransform"}


@dataclass
class Target:
    """What one measurement drives: an app answering one scenario's body."""

    name: str
    """The scenario's letter."""
    app: str
    """`service`, or `floor` (bench/floor_app.py, the HTTP floor)."""
    raw: bytes
    body_file: Path
    events: int
    path: str
    env: dict[str, str]
    sim: Simulator | None = None
    redis: RedisServer | None = None
    """--redis: the service's company store (REDIS_URL in `env`)."""


def count_events(raw: bytes) -> int:
    body = orjson.loads(raw)
    return len(body["input"]) if isinstance(body, dict) else len(body)


def event_statuses(answer: Any) -> Counter:
    items = answer.get("output", []) if isinstance(answer, dict) else answer
    return Counter(str(item.get("statusCode")) if isinstance(item, dict) else "?" for item in items)


def with_domain(raw: bytes, domain: str) -> bytes:
    """The same body with every destination's Config.domain set to `domain` (the simulator)."""
    body = orjson.loads(raw)
    for event in body["input"] if isinstance(body, dict) else body:
        event["destination"]["Config"]["domain"] = domain
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)} if values else {}


def summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    return {
        key: spread([r[key] for r in runs if r.get(key) is not None])
        for key in (
            "events_s",
            "req_s",
            "p50_ms",
            "p99_ms",
            "cpu_pct",
            "peak_rss_mib",
            "company_calls_per_event",
            "max_outbound_connections",
            "redis_commands_per_request",
            "redis_cpu_pct",
        )
        if any(r.get(key) is not None for r in runs)
    }


def start_server(
    args: Any, workdir: Path, name: str, env: dict[str, str], cpus: str | None, app: str = "service"
) -> tuple[Managed, str]:
    """The service (console script; uvicorn CLI for --workers > 1) or the HTTP floor app."""
    port = free_port()
    env = dict(env, HOST="127.0.0.1", PORT=str(port))
    uvicorn = [
        sys.executable,
        "-m",
        "uvicorn",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--workers",
        str(args.workers),
    ]
    if app == "floor":
        cmd = uvicorn + ["--app-dir", str(BENCH), "--factory", "floor_app:create_app"]
    else:  # WORKERS > 1: the service's own SO_REUSEPORT workers (src/gainsight_transformer/workers.py)
        env["WORKERS"] = str(args.workers)
        script = Path(sys.executable).with_name("gainsight-transformer")
        cmd = [str(script)] if script.exists() else [sys.executable, "-m", "gainsight_transformer"]
    server = Managed(app, pin(cpus) + cmd, env, workdir / f"{app}-{name}.log")
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: httpx.get(base + "/health", timeout=2).status_code == 200, 60, app, server)
    if args.workers > 1:  # /health answered by one worker; give the others time to come up
        deadline = time.monotonic() + 30
        while len(process_tree(server.pid)) < args.workers + 1 and time.monotonic() < deadline:
            time.sleep(0.1)
    return server, base


def measure(args: Any, target: Target, workdir: Path, plan: dict[str, Any]) -> dict[str, Any]:
    """Start the target's app, probe it once, warm it up, drive it args.runs times; figures per run
    and their summary."""
    steps = measure_steps(args, target, workdir, plan)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            result: dict[str, Any] = done.value
            return result


def measure_paired(
    args: Any, first: Target, second: Target, workdir: Path, plan: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`measure` of two targets with their runs alternating (first, second, first, ...), both apps
    up throughout, so that each pair of runs sees the same machine."""
    pair = [measure_steps(args, first, workdir, plan), measure_steps(args, second, workdir, plan)]
    results: list[dict[str, Any]] = [{}, {}]
    while any(step is not None for step in pair):
        for position, steps in enumerate(pair):
            if steps is None:
                continue
            try:
                next(steps)
            except StopIteration as done:
                results[position] = done.value
                pair[position] = None
    return results[0], results[1]


def measure_steps(
    args: Any, target: Target, workdir: Path, plan: dict[str, Any]
) -> Generator[None, None, dict[str, Any]]:
    """`measure`, pausing after each run (`measure_paired` runs another target meanwhile)."""
    name, app, raw, body_file, events, path, sim, redis = (
        target.name, target.app, target.raw, target.body_file, target.events, target.path, target.sim,
        target.redis,
    )  # fmt: skip
    result: dict[str, Any] = {"runs": []}
    server, base = start_server(args, workdir, name, target.env, plan["server_cpus"], app)
    tag = f"[{name}{' http-floor' if app == 'floor' else ''}]"
    try:
        time.sleep(0.5)
        if sim is not None:
            sim.reset()  # a fresh Gainsight for each scenario: the probe creates the companies
        if redis is not None:
            redis.flush()  # and no company cached from an earlier scenario's Gainsight
        if app == "service":  # which company store the service says it uses (process, host, redis)
            health = httpx.get(base + "/health", timeout=5).json()
            result["company_store"] = health.get("companyStore")
        result["processes"] = len(process_tree(server.pid))
        result["rss_rest_mib"] = rss_mib(server.pid)
        url = base + path

        probe = httpx.post(url, content=raw, headers={"Content-Type": "application/json"}, timeout=120)
        answer = (
            probe.json() if probe.headers.get("content-type", "").startswith("application/json") else None
        )
        result["probe"] = {
            "status": probe.status_code,
            "event_statuses": dict(event_statuses(answer)) if answer is not None else {},
            "answer_bytes": len(probe.content),
        }
        log(
            f"{tag} probe: HTTP {probe.status_code}, per-event statusCode {result['probe']['event_statuses']}"
        )
        if probe.status_code != 200 or set(result["probe"]["event_statuses"]) != {"200"}:
            log(f"{tag} WARNING: not every event answered 200: {probe.text[:600]}")

        if args.warmup > 0:
            log(f"{tag} warm-up {args.warmup:g} s")
            result["warmup"] = drive(
                plan["loadgen"],
                url,
                body_file,
                args.connections,
                args.warmup,
                plan["client_cpus"],
                args.timeout,
            )
        for number in range(1, args.runs + 1):
            if sim is not None or redis is not None:
                # Requests cut off by the previous wrk still call the simulator: wait, then note where
                # this run's calls start. No reset between runs: the service may cache companies.
                wait_idle(server.pid)
            if sim is not None:
                calls_before = len(sim.state()["calls"])
            if redis is not None:
                commands_before, redis_cpu_before = redis.command_counts(), redis.cpu_seconds()
            monitor = Monitor(server.pid, sim.port if sim is not None else None)
            tree = process_tree(server.pid)
            cpu_before, wall_before = cpu_seconds(tree), time.monotonic()
            monitor.start()
            try:
                load = drive(
                    plan["loadgen"],
                    url,
                    body_file,
                    args.connections,
                    args.duration,
                    plan["client_cpus"],
                    args.timeout,
                )
            except RuntimeError as exc:
                if server.proc.poll() is not None:
                    raise RuntimeError(
                        f"{app} exited ({server.proc.returncode}) during run {number}; "
                        f"its log ends:\n{server.tail()}"
                    ) from exc
                raise
            finally:
                monitor.stop()
            tree = process_tree(server.pid)
            wall = time.monotonic() - wall_before
            seconds = load["duration_us"] / 1e6
            hwm = peak_rss_mib(server.pid) if len(tree) == 1 else 0.0
            run = {
                "requests": load["requests"],
                "req_s": load["requests"] / seconds if seconds else 0.0,
                "events_s": load["requests"] * events / seconds if seconds else 0.0,
                "p50_ms": load["p50_us"] / 1000,
                "p99_ms": load["p99_us"] / 1000,
                "p999_ms": load["p999_us"] / 1000,
                "max_ms": load["lat_max_us"] / 1000,
                "non_2xx": load["non_2xx"],
                "socket_errors": load["socket_errors"],
                "status_counts": load.get("status_counts"),
                "cpu_pct": 100.0 * (cpu_seconds(tree) - cpu_before) / wall,
                "peak_rss_mib": max(monitor.max_rss_mib, hwm),
            }
            if sim is not None:
                wait_idle(server.pid)
                stats = company_call_stats(sim.state(), calls_before)
                # wrk abandons the request in flight on each connection at the deadline; the service
                # still completes it (and its Company calls), so it counts as started. The built-in
                # generator waits for its in-flight requests instead.
                started = load["requests"] + (args.connections if plan["loadgen"] == "wrk" else 0)
                group_events = started * events
                stats["group_events"] = group_events
                stats["company_calls_per_event"] = (
                    stats["company_calls"] / group_events if group_events else None
                )
                stats["max_outbound_connections"] = monitor.max_outbound
                run.update(stats)
            if redis is not None:
                if sim is None:
                    wait_idle(server.pid)
                redis_cpu = redis.cpu_seconds() - redis_cpu_before
                commands = command_delta(commands_before, redis.command_counts())
                # As for the Company calls: the requests wrk abandons at the deadline still ran.
                started = load["requests"] + (args.connections if plan["loadgen"] == "wrk" else 0)
                run["redis_commands"] = commands
                run["redis_commands_per_request"] = sum(commands.values()) / started if started else None
                run["redis_cpu_pct"] = 100.0 * redis_cpu / wall
            result["runs"].append(run)
            yield
            log(
                f"{tag} run {number}/{args.runs}: {run['events_s']:,.0f} events/s, "
                f"{run['req_s']:,.1f} req/s, "
                f"p50 {run['p50_ms']:.2f} ms, p99 {run['p99_ms']:.2f} ms, CPU {run['cpu_pct']:.0f} %, "
                f"peak RSS {run['peak_rss_mib']:.0f} MiB, non-2xx {run['non_2xx']}, "
                f"socket errors {run['socket_errors']}"
                + (
                    f", {fmt(run['company_calls_per_event'], 2)} Company calls/event, "
                    f"{run['max_outbound_connections']} conns"
                    if sim is not None
                    else ""
                )
                + (
                    f", {fmt(run['redis_commands_per_request'], 2)} Redis commands/request "
                    f"{run['redis_commands']}"
                    if redis is not None
                    else ""
                )
            )
        wait_idle(server.pid)
        after = httpx.post(url, content=raw, headers={"Content-Type": "application/json"}, timeout=120)
        result["probe_after"] = {
            "status": after.status_code,
            "event_statuses": dict(event_statuses(after.json())) if after.status_code == 200 else {},
        }
        log(
            f"{tag} probe after the runs: HTTP {after.status_code}, "
            f"per-event statusCode {result['probe_after']['event_statuses']}"
        )
        time.sleep(1.0)
        result["rss_after_mib"] = rss_mib(server.pid)
    finally:
        server.stop()

    runs = result["runs"]
    result["summary"] = summarise(runs)
    result["rss_peak_mib"] = max((r["peak_rss_mib"] for r in runs), default=0.0)
    result["all_2xx"] = all(r["non_2xx"] == 0 and r["socket_errors"] == 0 for r in runs) and bool(runs)
    return result


def run_scenario(
    args: Any,
    letter: str,
    body_file: Path,
    workdir: Path,
    sim: Simulator | None,
    plan: dict[str, Any],
    redis: RedisServer | None = None,
) -> dict[str, Any]:
    raw = body_file.read_bytes()
    events = count_events(raw)
    path = ROUTES[SCENARIOS[letter]["route"]]
    shown = body_file.relative_to(REPO) if body_file.is_relative_to(REPO) else body_file
    result: dict[str, Any] = {
        "scenario": letter,
        "body": str(shown),
        "body_bytes": len(raw),
        "events_per_request": events,
        "route": path,
    }
    if sim is not None:
        raw = with_domain(raw, f"127.0.0.1:{sim.port}")
        body_file = workdir / f"{letter}-simulator.json"
        body_file.write_bytes(raw)

    log(f"[{letter}] JSON floor, no server ({args.floor_seconds:g} s)")
    result["floor"] = json_floor(body_file, args.floor_seconds, plan["floor_cpu"])

    env = dict(os.environ)
    if args.src:
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(Path(args.src).resolve()), env.get("PYTHONPATH")])
        )
    if sim is not None:
        env.update(SSL_CERT_FILE=str(sim.ca), GAINSIGHT_HOST_ALLOWLIST=f"127.0.0.1:{sim.port}")
    if redis is not None:
        env["REDIS_URL"] = redis.url
        redis.wait_ready(env)  # no company lock before Redis has been up COMPANY_LOCK_TTL_SECONDS
    service = Target(letter, "service", raw, body_file, events, path, env, sim, redis)
    if args.http_floor and sim is None:
        floor = Target(letter, "floor", raw, body_file, events, path, dict(os.environ))
        measured, result["http_floor"] = measure_paired(args, service, floor, workdir, plan)
        result.update(measured)
        served, floored = result["runs"], result["http_floor"]["runs"]
        result["http_floor_ratios"] = [
            s["events_s"] / f["events_s"] for s, f in zip(served, floored, strict=True)
        ]
        result["http_floor_ratio_spread"] = spread(result["http_floor_ratios"])
        result["http_floor_ratio"] = result["http_floor_ratio_spread"]["median"]
    else:
        result.update(measure(args, service, workdir, plan))

    median_events = result["summary"].get("events_s", {}).get("median", 0.0)
    result["floor_ratio"] = (
        median_events / result["floor"]["events_s"] if result["floor"]["events_s"] else None
    )
    return result
