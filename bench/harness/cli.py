"""Benchmark runner for the Gainsight transformer (method: bench/README.md).

For each scenario it measures the JSON floor in-process, starts the service (pinned with
`taskset -c 0` when there are >= 2 CPUs), probes it once (every event must answer 200), warms it up,
then drives it N times with Debian `wrk` and post.lua (pinned to the last CPU) or, without wrk, with
the built-in asyncio + httpx load generator (bench/loadgen.py) of the same shape. Group scenario d runs
against the Gainsight simulator (`--rate-limit 0`), whose call log gives the Company calls per event.

    .venv/bin/python bench/run.py                                  # a,b,c,d,e; 3 x 20 s after 10 s
    .venv/bin/python bench/run.py --scenarios a,c --quick          # 1 x 1 s, for CI
    .venv/bin/python bench/run.py --bodies generated --workers 2 --json out.json
    .venv/bin/python bench/run.py --scenarios d --redis           # company store in a redis-server

With `--redis` a redis-server (Debian's program) on a free loopback port is the service's company
store (REDIS_URL); the runner waits until it would hand out company locks (it has been up the
service's COMPANY_LOCK_TTL_SECONDS) and counts the commands it serves per run.

Prints a Markdown table on stdout (progress on stderr); `--json` writes every figure and run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import gen_payloads

from . import BENCH, REFERENCE
from .processes import log
from .redis_server import MISSING as REDIS_MISSING
from .redis_server import RedisServer, redis_server_program
from .report import cpu_model, git_label, markdown
from .scenario import SCENARIOS, run_scenario
from .simulator import Simulator


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
    add(
        "--redis",
        action="store_true",
        help="start a redis-server (Debian's, loopback, no persistence) and give the service its REDIS_URL: "
        "the Redis company store; waits until that Redis has been up the service's COMPANY_LOCK_TTL_SECONDS "
        "(30 s unless set in the environment, with a shorter GROUP_DEADLINE_SECONDS)",
    )
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
        "the same way, its runs alternating with the service's; a ratio per pair of runs (a, b, c, e)",
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
    if args.redis and redis_server_program() is None:
        log(REDIS_MISSING)
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
            "company_store": "redis" if args.redis else ("host" if args.workers > 1 else "process"),
            "redis": None,
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
    sim: Simulator | None = None
    redis: RedisServer | None = None
    try:
        if args.redis:  # first: its uptime runs while the simulator starts and the floors are measured
            redis = RedisServer(workdir, plan["client_cpus"], dict(os.environ))
            log(f"redis-server {redis.version} on {redis.url} (CPUs {plan['client_cpus'] or 'any'})")
        if "d" in args.scenarios:
            env = dict(os.environ)
            if args.src:
                env["PYTHONPATH"] = str(Path(args.src).resolve())
            sim = Simulator(workdir, plan["client_cpus"], env)
            log(f"simulator on {sim.base} (rate limit off, CPUs {plan['client_cpus'] or 'any'})")
        for letter in args.scenarios:
            report["scenarios"][letter] = run_scenario(
                args, letter, bodies[letter], workdir, sim if letter == "d" else None, plan, redis
            )
        if redis is not None:
            report["meta"]["redis"] = redis.describe(dict(os.environ))
        kinds = {(r.get("company_store") or {}).get("kind") for r in report["scenarios"].values()}
        if len(kinds) == 1 and None not in kinds:  # what the service's /health said it used
            report["meta"]["company_store"] = kinds.pop()
    finally:
        if sim is not None:
            sim.stop()
        if redis is not None:
            redis.stop()
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
