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
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-groups-"))
    cpus = "0" if (os.cpu_count() or 1) > 1 else None
    sim = Simulator(workdir, "1" if cpus else None, dict(os.environ))
    domain = f"127.0.0.1:{sim.port}"
    connections = f"{args.group_connections} group + {args.identify_connections} identify connections"
    print(f"{connections}, {args.seconds:g} s, every Gainsight call +{args.delay_ms:g} ms")
    group_file, identify_file = workdir / "group.json", workdir / "identify.json"
    group = {"type": "group", "traits": {"name": "__NAME__"}, "context": {"traits": {"email": "u@b.c"}}}
    group_file.write_bytes(_body(domain, group))
    identify_file.write_bytes(_body(domain, {"type": "identify", "traits": {"email": "u@b.c"}}))
    group_connections, identify_connections = args.group_connections, args.identify_connections
    print("| GAINSIGHT_MAX_CONNECTIONS | requests | req/s | p50 ms | p99 ms | max ms | non-2xx / timeouts |")
    print("|---|---|---|---|---|---|---|")
    try:
        for pool in (int(p) for p in args.pools.split(",")):
            sim.reset()
            fault = {"kind": "delay", "ms": args.delay_ms, "count": 10**7}
            sim.http.post(sim.base + "/__admin/faults", json=fault).raise_for_status()
            env = dict(
                os.environ,
                LOG_LEVEL="warning",
                SSL_CERT_FILE=str(sim.ca),
                GAINSIGHT_HOST_ALLOWLIST=domain,
                GAINSIGHT_MAX_CONNECTIONS=str(pool),
            )
            service, base = start_server(argparse.Namespace(workers=1), workdir, f"pool{pool}", env, cpus)
            url = f"{base}/v0/destinations/gainsight"
            try:
                groups = _wrk(url, group_file, BENCH / "unique_names.lua", group_connections, args.seconds)
                identifies = identify_connections and _wrk(
                    url, identify_file, BENCH / "reference" / "post.lua", identify_connections, args.seconds
                )
                group_result = _summary(groups)
                identify_result = _summary(identifies) if identifies else None
            finally:
                service.stop()
            print(_row(pool, "group", group_connections, args.seconds, group_result))
            if identify_result is not None:
                print(_row(pool, "identify", identify_connections, args.seconds, identify_result))
            calls = company_call_stats(sim.state())["company_call_statuses"]
            print(f"| {pool} | Company calls by status: {calls} | | | | | |", flush=True)
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
