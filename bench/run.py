#!/usr/bin/env python3
"""Benchmark runner for the Gainsight transformer (method: bench/README.md).

For each scenario it measures the JSON floor in-process, starts the service (pinned with
`taskset -c 0` when there are >= 2 CPUs), probes it once (every event must answer 200), warms it up,
then drives it N times with Debian `wrk` and post.lua (pinned to the last CPU) or, without wrk, with
the built-in asyncio + httpx load generator (bench/loadgen.py) of the same shape. Group scenario d runs
against the Gainsight simulator (`--rate-limit 0`), whose call log gives the Company calls per event.

    .venv/bin/python bench/run.py                                  # a,b,c,d,e; 3 x 20 s after 10 s
    .venv/bin/python bench/run.py --scenarios a,c --quick          # 1 x 1 s, for CI
    .venv/bin/python bench/run.py --bodies generated --workers 2 --json out.json

Prints a Markdown table on stdout (progress on stderr); `--json` writes every figure and run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
REFERENCE = BENCH / "reference"
sys.path.insert(0, str(BENCH))
import gen_payloads  # noqa: E402

SCENARIOS = gen_payloads.SCENARIOS
ROUTES = {"processor": "/v0/destinations/gainsight", "router": "/routerTransform"}
DESCRIPTIONS = {
    "a": "a: processor, 1 identify",
    "b": "b: processor, 100 identify+track",
    "c": "c: router, the same 100",
    "d": "d: processor, 20 group (simulator)",
    "e": "e: router, {n} identify+track",
}
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
MIB = 1024 * 1024


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# /proc helpers (Linux; every reader returns None/0 elsewhere)


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (uvicorn --workers forks children)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, ()))
    return tree


def status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            pass
    return total / CLK_TCK


def socket_inodes(pids: list[int]) -> set[str]:
    inodes = set()
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        try:
            names = os.listdir(fd_dir)
        except OSError:
            continue
        for name in names:
            try:
                target = os.readlink(fd_dir / name)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def established_to_port(pid: int, inodes: set[str], port: int) -> int:
    """ESTABLISHED TCP sockets owned by the process tree whose remote port is `port`."""
    count = 0
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 9 and parts[3] == "01" and int(parts[2].rsplit(":", 1)[1], 16) == port:
                count += parts[9] in inodes
    return count


class Monitor(threading.Thread):
    """Polls the server's process tree: summed VmRSS (max), and open connections to `port`."""

    def __init__(self, pid: int, outbound_port: int | None = None, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.outbound_port, self.interval = pid, outbound_port, interval
        self.stop_event = threading.Event()
        self.max_rss_kib = 0
        self.max_outbound = 0
        self.samples = 0

    def run(self) -> None:
        tree = process_tree(self.pid)
        next_tree_refresh = time.monotonic() + 1.0
        while not self.stop_event.is_set():
            if time.monotonic() > next_tree_refresh:
                tree, next_tree_refresh = process_tree(self.pid), time.monotonic() + 1.0
            self.max_rss_kib = max(self.max_rss_kib, sum(status_kib(p, "VmRSS") for p in tree))
            if self.outbound_port:
                inodes = socket_inodes(tree)
                self.max_outbound = max(
                    self.max_outbound, established_to_port(self.pid, inodes, self.outbound_port)
                )
            self.samples += 1
            self.stop_event.wait(self.interval)

    def stop(self) -> None:
        self.stop_event.set()
        self.join(5)


# --------------------------------------------------------------------------------------------------
# processes


def wait_idle(pid: int, timeout: float = 60.0) -> None:
    """Until the process tree uses < 5 % of a CPU over 0.25 s (in-flight requests done)."""
    deadline = time.monotonic() + timeout
    tree = process_tree(pid)
    before = cpu_seconds(tree)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = cpu_seconds(tree)
        if now - before < 0.0125:
            return
        before = now


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pin(cpus: str | None) -> list[str]:
    return ["taskset", "-c", cpus] if cpus else []


class Managed:
    """A child process in its own session; stopped by its own process-group id only."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name, self.log_path = name, log_path
        self.log_file = open(log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log_file.close()


def wait_until(check, timeout: float, what: str, proc: Managed) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited ({proc.proc.returncode})\n{proc.tail()}")
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what}: not ready after {timeout:.0f} s\n{proc.tail()}")


class Simulator:
    def __init__(self, workdir: Path, cpus: str | None, env: dict[str, str]) -> None:
        self.port = free_port()
        self.tls_dir = workdir / "sim-tls"
        cmd = pin(cpus) + [
            sys.executable,
            "-m",
            "gainsight_simulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--tls-dir",
            str(self.tls_dir),
            "--rate-limit",
            "0",
            "--log-level",
            "WARNING",
        ]
        self.proc = Managed("simulator", cmd, env, workdir / "simulator.log")
        wait_until(
            lambda: "listening on https://" in self.proc.log_path.read_text(), 30, "simulator", self.proc
        )
        self.ca = self.tls_dir / "ca.pem"
        self.base = f"https://127.0.0.1:{self.port}"
        self.http = httpx.Client(verify=str(self.ca), timeout=120)

    def reset(self) -> None:
        self.http.post(self.base + "/__admin/reset").raise_for_status()

    def state(self) -> dict[str, Any]:
        answer = self.http.get(self.base + "/__admin/state")
        answer.raise_for_status()
        return answer.json()

    def stop(self) -> None:
        self.http.close()
        self.proc.stop()


def company_call_stats(state: dict[str, Any], first_call: int = 0) -> dict[str, Any]:
    """Company calls logged since `first_call`; companies (and duplicate names) in the whole state."""
    calls = [
        c
        for c in state.get("calls", [])[first_call:]
        if "/data/objects/" in c.get("path", "") and "Company" in c["path"]
    ]
    kinds = Counter(f"{c['method']} {c['path']}" for c in calls)
    statuses = Counter(str(c.get("status")) for c in calls)
    by_kind_status = Counter(f"{c['method']} {c['path']} -> {c.get('status')}" for c in calls)
    names = Counter(str(company.get("Name")) for company in state.get("companies", []))
    return {
        "company_calls": len(calls),
        "company_call_kinds": dict(kinds),
        "company_call_statuses": dict(statuses),
        "company_calls_by_kind_and_status": dict(by_kind_status),
        "all_calls": len(state.get("calls", [])) - first_call,
        "companies": len(state.get("companies", [])),
        "duplicate_companies": sum(n - 1 for n in names.values()),
    }


# --------------------------------------------------------------------------------------------------
# load generation


def parse_result_line(output: str, marker: str) -> dict[str, Any]:
    for line in output.splitlines():
        if line.startswith(marker + " "):
            return json.loads(line[len(marker) + 1 :])
    raise RuntimeError(f"no {marker} line in load generator output:\n{output[-2000:]}")


def drive(
    kind: str, url: str, body_file: Path, connections: int, duration: float, cpus: str | None, timeout: float
) -> dict[str, Any]:
    if kind == "wrk":
        seconds = max(1, round(duration))  # wrk takes whole seconds
        cmd = pin(cpus) + [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            f"{int(timeout)}s",
            "-s",
            str(REFERENCE / "post.lua"),
            url,
        ]
        env = dict(os.environ, BODY_FILE=str(body_file))
        marker = "WRKJSON"
    else:
        cmd = pin(cpus) + [
            sys.executable,
            str(BENCH / "loadgen.py"),
            url,
            "--body",
            str(body_file),
            "-c",
            str(connections),
            "-d",
            str(duration),
            "--timeout",
            str(timeout),
        ]
        env = dict(os.environ)
        marker = "LOADJSON"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + timeout + 60)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = parse_result_line(done.stdout, marker)
    if "non_2xx" not in result:  # wrk: "Non-2xx or 3xx responses: N" in its summary
        found = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", done.stdout)
        result["non_2xx"] = int(found.group(1)) if found else 0
    result["socket_errors"] = sum(result[k] for k in ("err_connect", "err_read", "err_write", "err_timeout"))
    return result


# --------------------------------------------------------------------------------------------------
# JSON floor: parse + build + serialise in-process, no server


def json_floor(body_file: Path, seconds: float, cpu: int | None) -> dict[str, Any]:
    """The JSON floor of one body in a fresh process (bench/floor.py) on the server's CPU, no server up."""
    cmd = pin(None if cpu is None else str(cpu)) + [
        sys.executable,
        str(BENCH / "floor.py"),
        str(body_file),
        "--seconds",
        str(seconds),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode != 0:
        raise RuntimeError(f"floor.py failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return parse_result_line(done.stdout, "FLOORJSON")


# --------------------------------------------------------------------------------------------------
# scenarios


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


def start_server(
    args, workdir: Path, name: str, env: dict[str, str], cpus: str | None, app: str = "service"
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
    elif args.workers > 1:
        cmd = uvicorn + ["--factory", "gainsight_transformer.app:create_app"]
    else:
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


def measure(
    args,
    name: str,
    app: str,
    raw: bytes,
    body_file: Path,
    events: int,
    path: str,
    workdir: Path,
    sim: Simulator | None,
    plan: dict,
    env: dict[str, str],
) -> dict[str, Any]:
    """Start `app`, probe it once, warm it up, drive it args.runs times; figures per run and summary."""
    result: dict[str, Any] = {"runs": []}
    server, base = start_server(args, workdir, name, env, plan["server_cpus"], app)
    tag = f"[{name}{' http-floor' if app == 'floor' else ''}]"
    try:
        time.sleep(0.5)
        if sim is not None:
            sim.reset()  # a fresh Gainsight for each scenario: the probe creates the companies
        tree = process_tree(server.pid)
        result["processes"] = len(tree)
        result["rss_rest_mib"] = sum(status_kib(p, "VmRSS") for p in tree) / 1024
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
            if sim is not None:
                # Requests cut off by the previous wrk still call the simulator: wait, then note where
                # this run's calls start. No reset between runs: the service may cache companies.
                wait_idle(server.pid)
                calls_before = len(sim.state()["calls"])
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
            hwm = max(status_kib(p, "VmHWM") for p in tree) if len(tree) == 1 else 0
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
                "peak_rss_mib": max(monitor.max_rss_kib, hwm) / 1024,
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
            result["runs"].append(run)
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
        result["rss_after_mib"] = sum(status_kib(p, "VmRSS") for p in process_tree(server.pid)) / 1024
    finally:
        server.stop()

    runs = result["runs"]
    result["summary"] = {
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
        )
        if any(r.get(key) is not None for r in runs)
    }
    result["rss_peak_mib"] = max((r["peak_rss_mib"] for r in runs), default=0.0)
    result["all_2xx"] = all(r["non_2xx"] == 0 and r["socket_errors"] == 0 for r in runs) and bool(runs)
    return result


def run_scenario(
    args, letter: str, body_file: Path, workdir: Path, sim: Simulator | None, plan: dict
) -> dict:
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
    result.update(measure(args, letter, "service", raw, body_file, events, path, workdir, sim, plan, env))
    if args.http_floor and sim is None:
        result["http_floor"] = measure(
            args, letter, "floor", raw, body_file, events, path, workdir, None, plan, dict(os.environ)
        )

    median_events = result["summary"].get("events_s", {}).get("median", 0.0)
    result["floor_ratio"] = (
        median_events / result["floor"]["events_s"] if result["floor"]["events_s"] else None
    )
    if "http_floor" in result:
        floor_median = result["http_floor"]["summary"].get("events_s", {}).get("median")
        result["http_floor_ratio"] = median_events / floor_median if floor_median else None
    return result


# --------------------------------------------------------------------------------------------------
# reporting


def fmt(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def mmm(summary: dict[str, float], digits: int = 0) -> str:
    if not summary:
        return "–"
    return " / ".join(fmt(summary[k], digits) for k in ("min", "median", "max"))


def markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    http_floor = any("http_floor" in r for r in report["scenarios"].values())
    lines = [
        f"Measured `{meta['commit']}` on {meta['date']}: {meta['cpus']} CPUs ({meta['cpu_model']}), "
        f"{meta['loadgen']}, {meta['connections']} connections, "
        f"{meta['runs']} × {meta['duration']:g} s after {meta['warmup']:g} s warm-up, "
        f"{meta['workers']} worker(s), server CPUs {meta['server_cpus'] or 'any'}, "
        f"load CPUs {meta['client_cpus'] or 'any'}, "
        f"bodies: {meta['bodies']}." + (f" Note: {meta['note']}" if meta.get("note") else ""),
        "",
        "| scenario | events/s min / med / max | req/s (med) | p50 ms (med) | p99 ms min / med / max "
        "| server CPU % (med) "
        "| RSS MiB rest / peak | JSON floor events/s (no server) | service ÷ floor "
        + ("| HTTP floor events/s (med) | service ÷ HTTP floor " if http_floor else "")
        + "| non-2xx |",
        "|---|---|---|---|---|---|---|---|---|" + ("---|---|" if http_floor else "") + "---|",
    ]
    for letter, result in report["scenarios"].items():
        s = result["summary"]
        name = DESCRIPTIONS[letter].format(n=result["events_per_request"])
        non_2xx = sum(r["non_2xx"] + r["socket_errors"] for r in result["runs"])
        extra = ""
        if http_floor:
            floor = result.get("http_floor", {}).get("summary", {}).get("events_s", {}).get("median")
            extra = f"| {fmt(floor)} | {fmt(result.get('http_floor_ratio'), 2)} "
        lines.append(
            f"| {name} | {mmm(s.get('events_s', {}))} | {fmt(s.get('req_s', {}).get('median'), 1)} "
            f"| {fmt(s.get('p50_ms', {}).get('median'), 2)} | {mmm(s.get('p99_ms', {}), 1)} "
            f"| {fmt(s.get('cpu_pct', {}).get('median'))} "
            f"| {fmt(result['rss_rest_mib'])} / {fmt(result['rss_peak_mib'])} "
            f"| {fmt(result['floor']['events_s'])} | {fmt(result['floor_ratio'], 2)} {extra}| {non_2xx} |"
        )
    group = report["scenarios"].get("d")
    if group and group["runs"]:
        s = group["summary"]
        last = group["runs"][-1]
        kinds = last["company_call_kinds"]
        lines += [
            "",
            "| d: group against the simulator | value |",
            "|---|---|",
            "| Company API calls per group event (min / med / max) "
            f"| {mmm(s.get('company_calls_per_event', {}), 2)} |",
            "| max open connections to the simulator (min / med / max) "
            f"| {mmm(s.get('max_outbound_connections', {}))} |",
            f"| Company calls by kind (last run) | {', '.join(f'{k}: {v}' for k, v in kinds.items())} |",
            "| Company calls by kind and answer status (last run; a query answered 400 is GSOBJ_1011, "
            "no match) | "
            + ", ".join(
                f"{k}: {v}" for k, v in sorted(last.get("company_calls_by_kind_and_status", {}).items())
            )
            + " |",
            f"| group events answered 200 by the probe before / after the runs "
            f"| {group['probe']['event_statuses'].get('200', 0)} / "
            f"{group['probe_after']['event_statuses'].get('200', 0) if 'probe_after' in group else '–'} "
            f"of {group['events_per_request']} |",
            "| companies in the simulator at the end / duplicate names among them "
            f"| {last['companies']} / {last['duplicate_companies']} |",
        ]
    return "\n".join(lines)


def git_label() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return commit + ("+uncommitted src/ changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def plan_cpus(args) -> dict[str, Any]:
    cpus = (
        sorted(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else list(range(os.cpu_count() or 1))
    )
    can_pin = not args.no_pin and shutil.which("taskset") is not None and len(cpus) >= 2
    if not can_pin:
        return {"server_cpus": None, "client_cpus": None, "floor_cpu": None, "cpus": len(cpus)}
    server = cpus[: args.workers]
    rest = [c for c in cpus if c not in server]
    return {
        "server_cpus": ",".join(map(str, server)),
        "client_cpus": ",".join(map(str, rest[-1:])) if rest else None,  # wrk: the last free CPU
        "floor_cpu": server[0],
        "cpus": len(cpus),
    }


def bodies_for(args, workdir: Path) -> dict[str, Path]:
    generated = BENCH / "payloads"
    gen_payloads.write_bodies(generated, seed=args.seed, e_events=args.e_events)
    chosen = {}
    for letter in args.scenarios:
        reference = REFERENCE / SCENARIOS[letter]["file"]
        if args.bodies == "reference" and reference.exists():
            chosen[letter] = reference
        else:
            chosen[letter] = generated / SCENARIOS[letter]["file"]
    return chosen


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--scenarios", default="a,b,c,d,e", help="comma-separated subset of a,b,c,d,e [all]")
    add("--duration", type=float, help="seconds per measured run [20; --quick 1]")
    add("--warmup", type=float, help="warm-up seconds before the runs, 0 = none [10; --quick 1]")
    add("--runs", type=int, help="measured runs per scenario [3; --quick 1]")
    add("--connections", type=int, default=8, help="concurrent keep-alive connections [8]")
    add("--workers", type=int, default=1, help="uvicorn worker processes, pinned to the first N CPUs [1]")
    add("--quick", action="store_true", help="1 run of 1 s after 1 s warm-up, 0.3 s floor (smoke test / CI)")
    add(
        "--bodies",
        choices=("reference", "generated"),
        default="reference",
        help="reference: bench/reference (the original's bodies; e is always generated); "
        "generated: bench/payloads from gen_payloads.py [reference]",
    )
    add(
        "--loadgen",
        choices=("auto", "wrk", "builtin"),
        default="auto",
        help="wrk when on PATH (auto), or the built-in asyncio+httpx generator [auto]",
    )
    add(
        "--http-floor",
        action="store_true",
        help="also serve the JSON floor from a trivial FastAPI+uvicorn app (bench/floor_app.py) and drive it "
        "the same way (a, b, c, e)",
    )
    add("--floor-seconds", type=float, help="seconds of JSON-floor loop per scenario [3; --quick 0.3]")
    add("--timeout", type=float, default=30.0, help="per-request timeout of the load generator, s [30]")
    add("--no-pin", action="store_true", help="do not use taskset")
    add("--src", help="run the service from this source tree (PYTHONPATH), e.g. a `git archive` export")
    add("--label", help="what was measured, for the table [git rev-parse --short HEAD]")
    add("--seed", type=int, default=gen_payloads.DEFAULT_SEED, help="generator seed")
    add("--e-events", type=int, default=500, help="events in scenario e's router batch [500]")
    add("--json", type=Path, help="write the full report (every run) here")
    add("--keep-logs", action="store_true", help="keep the server/simulator logs directory")
    add("--render", type=Path, metavar="REPORT.json", help="only print the table of a saved --json report")
    args = parser.parse_args(argv)
    quick = args.quick
    args.duration = args.duration if args.duration is not None else (1.0 if quick else 20.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if quick else 10.0)
    args.runs = args.runs if args.runs is not None else (1 if quick else 3)
    args.floor_seconds = args.floor_seconds if args.floor_seconds is not None else (0.3 if quick else 3.0)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {','.join(SCENARIOS)}")
    if args.runs < 1 or args.duration <= 0 or args.connections < 1 or args.workers < 1:
        parser.error("--runs, --duration, --connections and --workers must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        print(markdown(json.loads(args.render.read_text())))
        return 0
    plan = plan_cpus(args)
    if args.loadgen == "auto":
        plan["loadgen"] = "wrk" if shutil.which("wrk") else "builtin"
    else:
        plan["loadgen"] = args.loadgen
    if plan["loadgen"] == "wrk" and not shutil.which("wrk"):
        log("wrk is not on PATH (Debian: apt-get install -y wrk); use --loadgen builtin")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="gs-bench-"))
    bodies = bodies_for(args, workdir)
    report: dict[str, Any] = {
        "meta": {
            "commit": args.label or (f"source tree {args.src}" if args.src else git_label()),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "cpus": plan["cpus"],
            "cpu_model": cpu_model(),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "loadgen": "wrk -t1 + post.lua"
            if plan["loadgen"] == "wrk"
            else "built-in asyncio+httpx load generator",
            "connections": args.connections,
            "duration": args.duration,
            "warmup": args.warmup,
            "runs": args.runs,
            "workers": args.workers,
            "server_cpus": plan["server_cpus"],
            "client_cpus": plan["client_cpus"],
            "bodies": args.bodies,
            "floor_seconds": args.floor_seconds,
            "src": args.src,
            "http_floor": args.http_floor,
            "loadavg_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        },
        "scenarios": {},
    }
    sim = None
    try:
        if "d" in args.scenarios:
            env = dict(os.environ)
            if args.src:
                env["PYTHONPATH"] = str(Path(args.src).resolve())
            sim = Simulator(workdir, plan["client_cpus"], env)
            log(f"simulator on {sim.base} (rate limit off, CPUs {plan['client_cpus'] or 'any'})")
        for letter in args.scenarios:
            report["scenarios"][letter] = run_scenario(
                args, letter, bodies[letter], workdir, sim if letter == "d" else None, plan
            )
    finally:
        if sim is not None:
            sim.stop()
        if args.keep_logs:
            log(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report["meta"]["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    table = markdown(report)
    report["markdown"] = table
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
