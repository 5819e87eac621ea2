#!/usr/bin/env python3
"""Built-in HTTP load generator (asyncio + httpx) with the shape of `wrk -t1 -cC -dD -s post.lua`.

Used by run.py when Debian `wrk` is absent (or with `--loadgen builtin`). C connections, each one
keep-alive connection POSTing the same body back to back for D seconds; no request is started after
the deadline, except each connection's first (so a run on a busy machine still measures something).
Prints wrk-like lines and one `LOADJSON {...}` line with the same keys as post.lua's `WRKJSON`
(latencies in microseconds) plus the status-code counts:

    python bench/loadgen.py http://127.0.0.1:9090/v0/destinations/gainsight --body FILE -c 8 -d 20

It costs far more CPU per request than wrk: on a small machine it can be the bottleneck for small
requests (scenario a), so prefer wrk for figures and use this for smoke tests and portability.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from pathlib import Path

import httpx


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(pct / 100.0 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


async def connection_loop(
    url: str,
    body: bytes,
    deadline: float,
    timeout: float,
    latencies: list[float],
    statuses: Counter,
    errors: Counter,
    sizes: list[int],
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        first = True
        while first or time.perf_counter() < deadline:
            first = False
            started = time.perf_counter()
            try:
                response = await client.post(url, content=body, headers=headers)
            except httpx.TimeoutException:
                errors["timeout"] += 1
                continue
            except httpx.ConnectError:
                errors["connect"] += 1
                await asyncio.sleep(0.01)
                continue
            except httpx.HTTPError:
                errors["read"] += 1
                continue
            latencies.append((time.perf_counter() - started) * 1e6)
            statuses[response.status_code] += 1
            sizes.append(len(response.content))


async def run(url: str, body: bytes, connections: int, duration: float, timeout: float) -> dict:
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors: Counter = Counter()
    sizes: list[int] = []
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(
        *(
            connection_loop(url, body, deadline, timeout, latencies, statuses, errors, sizes)
            for _ in range(connections)
        )
    )
    elapsed = time.perf_counter() - started
    latencies.sort()
    requests = len(latencies)
    mean = sum(latencies) / requests if requests else 0.0
    stdev = (sum((x - mean) ** 2 for x in latencies) / requests) ** 0.5 if requests else 0.0
    non_2xx = sum(n for status, n in statuses.items() if not 200 <= status < 300)
    return {
        "duration_us": int(elapsed * 1e6),
        "requests": requests,
        "bytes": sum(sizes),
        "err_connect": errors["connect"],
        "err_read": errors["read"],
        "err_write": 0,
        "err_status": sum(n for status, n in statuses.items() if status > 399),
        "err_timeout": errors["timeout"],
        "lat_mean_us": round(mean, 1),
        "lat_stdev_us": round(stdev, 1),
        "lat_max_us": int(latencies[-1]) if latencies else 0,
        **{
            f"p{name}_us": int(percentile(latencies, pct))
            for name, pct in (("50", 50), ("75", 75), ("90", 90), ("99", 99), ("999", 99.9))
        },
        "non_2xx": non_2xx,
        "status_counts": {str(status): n for status, n in sorted(statuses.items())},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="asyncio + httpx POST load generator (wrk-like)")
    parser.add_argument("url")
    parser.add_argument("--body", type=Path, required=True, help="file POSTed as application/json")
    parser.add_argument("-c", "--connections", type=int, default=8)
    parser.add_argument("-d", "--duration", type=float, default=10.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, seconds")
    args = parser.parse_args(argv)
    try:
        import uvloop  # noqa: PLC0415

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(run(args.url, args.body.read_bytes(), args.connections, args.duration, args.timeout))
    seconds = result["duration_us"] / 1e6
    print(
        f"  {args.connections} connections, {seconds:.2f}s, {result['requests']} requests, "
        f"{result['requests'] / seconds if seconds else 0:.1f} req/s, p50 {result['p50_us'] / 1000:.2f} ms, "
        f"p99 {result['p99_us'] / 1000:.2f} ms, statuses {result['status_counts']}"
    )
    if result["non_2xx"]:
        print(f"  Non-2xx or 3xx responses: {result['non_2xx']}")
    print("LOADJSON " + json.dumps(result, separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
