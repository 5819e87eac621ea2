#!/usr/bin/env python3
"""Group requests under saturation (issue: hostile input, item 11).

The service against the Gainsight simulator, every Gainsight call answered after `--delay-ms`
(a slow tenant), 200 keep-alive connections (two wrk processes) for `--seconds`: a tenth send one
group event each with a company name never seen before (a Company search and a create), the
others one identify event each.
Reports latency per kind of request and the Company calls made, for each pool size given with
`--pools` (GAINSIGHT_MAX_CONNECTIONS). If group latency falls as the pool grows while identify
latency does not move, group requests wait for a free Company connection, not for CPU.

    .venv/bin/python bench/group_saturation.py [--pools 20,80] [--delay-ms 100] [--seconds 15]
    .venv/bin/python bench/group_saturation.py --redis --pools 20 --delay-ms 0 --identify-connections 0

`--redis` makes a redis-server (Debian's, as bench/run.py --redis) the company store (REDIS_URL) and
counts the commands the service sent it per group request; `--json FILE` keeps every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from harness.processes import wait_idle  # noqa: E402
from harness.redis_server import MISSING as REDIS_MISSING  # noqa: E402
from harness.redis_server import RedisServer, command_delta, redis_server_program  # noqa: E402
from harness.scenario import start_server  # noqa: E402
from harness.simulator import Simulator, company_call_stats  # noqa: E402


def _body(domain: str, message: dict) -> bytes:
    config = {"accessKey": "bench-key", "domain": domain, "sharedSecret": "s", "eventNameMap": []}
    element = {
        "message": message,
        "metadata": {"jobId": 1, "destinationId": "d1"},
        "destination": {"ID": "d1", "Config": config, "DestinationDefinition": {"Name": "GAINSIGHT"}},
    }
    return json.dumps([element]).encode()


def _wrk(url: str, body_file: Path, script: Path, connections: int, seconds: float) -> subprocess.Popen:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "60s",
        "-s",
        str(script),
        url,
    ]
    env = dict(os.environ, BODY_FILE=str(body_file))
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)


def _summary(process: subprocess.Popen) -> dict:
    out, _ = process.communicate()
    line = next(line for line in out.splitlines() if line.startswith("WRKJSON "))
    return json.loads(line.removeprefix("WRKJSON "))


def _row(pool: int, kind: str, connections: int, seconds: float, result: dict) -> str:
    ms = {key: result[key] / 1000 for key in ("p50_us", "p99_us", "lat_max_us")}
    return (
        f"| {pool} | {kind} ({connections} connections) | {result['requests'] / seconds:.0f} | "
        f"{ms['p50_us']:.0f} | {ms['p99_us']:.0f} | {ms['lat_max_us']:.0f} | "
        f"{result['err_status']} / {result['err_timeout']} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pools", default="20,80", help="GAINSIGHT_MAX_CONNECTIONS values to compare")
    parser.add_argument("--delay-ms", type=float, default=100.0, help="added to every Gainsight call")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--group-connections", type=int, default=20)
    parser.add_argument("--identify-connections", type=int, default=180, help="0: group requests alone")
    parser.add_argument(
        "--redis", action="store_true", help="the company store in a redis-server (REDIS_URL)"
    )
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument(
        "--workers", type=int, default=1, help="WORKERS (> 1 without --redis: the host's shared store)"
    )
    args = parser.parse_args()
    if args.redis and redis_server_program() is None:
        print(REDIS_MISSING, file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="bench-groups-"))
    count = os.cpu_count() or 1
    # The service on the first CPUs (one per worker), the simulator and Redis on the last free one.
    cpus = ",".join(map(str, range(args.workers))) if count > args.workers else None
    rest = str(count - 1) if cpus else None
    redis = RedisServer(workdir, rest, dict(os.environ)) if args.redis else None
    sim = Simulator(workdir, rest, dict(os.environ))
    domain = f"127.0.0.1:{sim.port}"
    connections = f"{args.group_connections} group + {args.identify_connections} identify connections"
    store = "company store: " + (
        "redis-server" if redis else "the host's" if args.workers > 1 else "this process"
    )
    store += f", {args.workers} worker(s) on CPUs {cpus or 'any'}"
    print(f"{connections}, {args.seconds:g} s, every Gainsight call +{args.delay_ms:g} ms, {store}")
    group_file, identify_file = workdir / "group.json", workdir / "identify.json"
    group = {"type": "group", "traits": {"name": "__NAME__"}, "context": {"traits": {"email": "u@b.c"}}}
    group_file.write_bytes(_body(domain, group))
    identify_file.write_bytes(_body(domain, {"type": "identify", "traits": {"email": "u@b.c"}}))
    group_connections, identify_connections = args.group_connections, args.identify_connections
    print("| GAINSIGHT_MAX_CONNECTIONS | requests | req/s | p50 ms | p99 ms | max ms | non-2xx / timeouts |")
    print("|---|---|---|---|---|---|---|")
    report: dict = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}
    report["pools"] = []
    try:
        for pool in (int(p) for p in args.pools.split(",")):
            sim.reset()
            if redis is not None:
                redis.flush()
            fault = {"kind": "delay", "ms": args.delay_ms, "count": 10**7}
            sim.http.post(sim.base + "/__admin/faults", json=fault).raise_for_status()
            env = dict(
                os.environ,
                LOG_LEVEL="warning",
                SSL_CERT_FILE=str(sim.ca),
                GAINSIGHT_HOST_ALLOWLIST=domain,
                GAINSIGHT_MAX_CONNECTIONS=str(pool),
            )
            if redis is not None:
                env["REDIS_URL"] = redis.url
                redis.wait_ready(env)  # no company lock before it has been up COMPANY_LOCK_TTL_SECONDS
                commands_before = redis.command_counts()
            service, base = start_server(
                argparse.Namespace(workers=args.workers), workdir, f"pool{pool}", env, cpus
            )
            url = f"{base}/v0/destinations/gainsight"
            try:
                groups = _wrk(url, group_file, BENCH / "unique_names.lua", group_connections, args.seconds)
                identifies = identify_connections and _wrk(
                    url, identify_file, BENCH / "reference" / "post.lua", identify_connections, args.seconds
                )
                group_result = _summary(groups)
                identify_result = _summary(identifies) if identifies else None
                wait_idle(service.pid)  # the requests wrk abandoned at its deadline still finish
            finally:
                service.stop()
            print(_row(pool, "group", group_connections, args.seconds, group_result))
            if identify_result is not None:
                print(_row(pool, "identify", identify_connections, args.seconds, identify_result))
            stats = company_call_stats(sim.state())
            # wrk abandons one request per connection at its deadline; the service completes them.
            group_requests = group_result["requests"] + group_connections
            entry = {
                "pool": pool,
                "group": group_result,
                "identify": identify_result,
                "company": stats,
                "company_calls_per_group_event": stats["company_calls"] / group_requests,
            }
            print(
                f"| {pool} | Company calls by status: {stats['company_call_statuses']}; "
                f"{entry['company_calls_per_group_event']:.2f} per group event; {stats['companies']} "
                f"companies, {stats['duplicate_companies']} duplicate names | | | | | |",
                flush=True,
            )
            if redis is not None:
                commands = command_delta(commands_before, redis.command_counts())
                entry["redis_commands"] = commands
                entry["redis_commands_per_group_request"] = sum(commands.values()) / group_requests
                print(f"| {pool} | Redis commands: {commands} | | | | | |", flush=True)
            report["pools"].append(entry)
    finally:
        sim.stop()
        if redis is not None:
            report["redis"] = redis.describe(dict(os.environ))
            redis.stop()
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
