#!/usr/bin/env python3
"""What forwarding to an upstream transformer costs (issue: coexist with rudder-transformer).

Starts a trivial upstream (this file with `--serve-upstream`: asyncio, answers every request with a
fixed 200 JSON after reading its body) pinned to the last CPU, and the service with
UPSTREAM_TRANSFORMER_URL pinned to CPU 0. Then, from one client thread on the last CPU with a
keep-alive connection, it sends the same requests N times straight to the upstream and N times
through the service, and reports per body: p50/p99 of both and the difference (the latency that
forwarding adds), and the service's CPU seconds per forwarded MB (request + answer bytes; read
from /proc while it forwarded the same requests from `--concurrency` threads).

    .venv/bin/python bench/forwarding.py [--requests 2000] [--concurrency 4] [--json out.json]

Bodies: bench/reference/c_router_mixed100.json with `destType` "webhook" (a 100-event router batch
of another destination, 300 KB) and bench/reference/a_processor_identify1.json posted to
/v0/destinations/webhook (one event, 3 KB).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from harness import REFERENCE  # noqa: E402
from harness.processes import Managed, cpu_seconds, free_port, log, pin, process_tree, wait_until  # noqa: E402
from harness.report import cpu_model, git_label  # noqa: E402
from harness.scenario import start_server  # noqa: E402

ANSWER = b'{"output":[]}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\napiversion: 2\r\ncontent-length: %d\r\n\r\n%s"
    % (len(ANSWER), ANSWER)
)


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve_upstream(port: int) -> None:
    server = await asyncio.start_server(_serve_connection, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def _bodies() -> dict[str, tuple[str, bytes]]:
    router = json.loads((REFERENCE / "c_router_mixed100.json").read_bytes())
    router["destType"] = "webhook"
    return {
        "router, 100 events (webhook)": ("/routerTransform", json.dumps(router).encode()),
        "processor, 1 event (webhook)": (
            "/v0/destinations/webhook",
            (REFERENCE / "a_processor_identify1.json").read_bytes(),
        ),
    }


def _latencies(base: str, path: str, body: bytes, count: int) -> list[float]:
    timings = []
    headers = {"Content-Type": "application/json"}
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(20):  # warm the connection and both processes
            client.post(path, content=body, headers=headers).raise_for_status()
        for _ in range(count):
            started = time.perf_counter()
            client.post(path, content=body, headers=headers).raise_for_status()
            timings.append(time.perf_counter() - started)
    return timings


def _cpu_per_mb(service: Managed, base: str, path: str, body: bytes, count: int, threads: int) -> dict:
    per_thread = max(1, count // threads)

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(per_thread):
                client.post(path, content=body).raise_for_status()

    pids = process_tree(service.pid)
    cpu_before, started = cpu_seconds(pids), time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(pids) - cpu_before
    megabytes = per_thread * threads * (len(body) + len(ANSWER)) / 1e6
    return {
        "requests": per_thread * threads,
        "seconds": round(elapsed, 2),
        "forwardedMB": round(megabytes, 1),
        "serviceCpuSeconds": round(cpu, 2),
        "cpuMsPerMB": round(1000 * cpu / megabytes, 2),
        "requestsPerSecond": round(per_thread * threads / elapsed),
    }


def _summary(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    return {
        "p50": round(1000 * statistics.median(ordered), 3),
        "p99": round(1000 * ordered[int(0.99 * (len(ordered) - 1))], 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--serve-upstream", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=2000, help="requests per body and target [2000]")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads of the CPU phase [4]")
    parser.add_argument("--no-pin", action="store_true", help="do not use taskset")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    if args.serve_upstream is not None:
        asyncio.run(_serve_upstream(args.serve_upstream))
        return 0

    cpus = os.cpu_count() or 1
    service_cpu = None if args.no_pin or cpus < 2 else "0"
    client_cpu = None if service_cpu is None else str(cpus - 1)
    if client_cpu is not None:
        os.sched_setaffinity(0, {int(client_cpu)})
    workdir = Path(tempfile.mkdtemp(prefix="bench-forwarding-"))
    upstream_port = free_port()
    upstream = Managed(
        "upstream",
        pin(client_cpu) + [sys.executable, __file__, "--serve-upstream", str(upstream_port)],
        dict(os.environ),
        workdir / "upstream.log",
    )
    upstream_url = f"http://127.0.0.1:{upstream_port}"
    service = None
    try:
        wait_until(lambda: httpx.post(upstream_url + "/x").status_code == 200, 20, "upstream", upstream)
        env = dict(os.environ, UPSTREAM_TRANSFORMER_URL=upstream_url, LOG_LEVEL="warning")
        service, base = start_server(argparse.Namespace(workers=1), workdir, "forwarding", env, service_cpu)
        report: dict = {
            "label": git_label(),
            "cpu": cpu_model(),
            "requests": args.requests,
            "bodies": {},
        }
        for name, (path, body) in _bodies().items():
            log(f"{name}: {len(body)} bytes")
            direct = _summary(_latencies(upstream_url, path, body, args.requests))
            forwarded = _summary(_latencies(base, path, body, args.requests))
            report["bodies"][name] = {
                "bytes": len(body),
                "directMs": direct,
                "forwardedMs": forwarded,
                "addedMs": {key: round(forwarded[key] - direct[key], 3) for key in direct},
                "cpu": _cpu_per_mb(service, base, path, body, args.requests, args.concurrency),
            }
    finally:
        if service is not None:
            service.stop()
        upstream.stop()
    print(
        f"Forwarding cost at {report['label']} ({report['cpu']}), {args.requests} sequential requests each\n"
    )
    print(
        "| body | direct p50 / p99 ms | forwarded p50 / p99 ms | added p50 / p99 ms | service CPU ms per MB |"
    )
    print("|---|---|---|---|---|")
    for name, figures in report["bodies"].items():
        d, f, a = figures["directMs"], figures["forwardedMs"], figures["addedMs"]
        print(
            f"| {name} | {d['p50']} / {d['p99']} | {f['p50']} / {f['p99']} | {a['p50']} / {a['p99']} "
            f"| {figures['cpu']['cpuMsPerMB']} |"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
