#!/usr/bin/env python3
"""Does a large body stall other requests? (issue: hostile input and overload)

Starts the service on CPU 0, then for each body posts it once from a background thread while
the main thread asks `GET /health` every 10 ms, and reports /health's p50 / p99 / max during the
large request and that request's own status and time.

    .venv/bin/python bench/stall.py [--mib 60]
"""

from __future__ import annotations

import argparse
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
import run  # noqa: E402


def bodies(mib: int) -> dict[str, bytes]:
    event = b'{"message": {"type": "identify", "traits": {"email": "a@b.c"}}, "metadata": {"jobId": 1}},'
    count = mib * 1024 * 1024 // len(event)
    valid_ish = b"[" + event * count + b'{"message": {}}]'
    return {
        f"{mib} MiB, invalid at the end": valid_ish[:-2] + b"oops]",
        f"{mib} MiB of empty objects": b"[" + b"{}," * (mib * 1024 * 1024 // 3) + b"{}]",
        f"{mib} MiB, {count:,} events": valid_ish,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mib", type=int, default=60)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-stall-"))
    # The shipped settings, but for a body limit that lets the body in.
    env = dict(os.environ, LOG_LEVEL="warning", MAX_BODY_BYTES=str((args.mib + 8) * 1024 * 1024))
    cpus = "0" if (os.cpu_count() or 1) > 1 else None
    service, base = run.start_server(argparse.Namespace(workers=1), workdir, "stall", env, cpus)
    print("| body | big request | /health p50 / p99 / max ms during it | peak RSS MiB |")
    print("|---|---|---|---|")
    try:
        for name, body in bodies(args.mib).items():
            result: dict = {}

            def big(body: bytes = body, result: dict = result) -> None:
                started = time.perf_counter()
                response = httpx.post(f"{base}/v0/destinations/gainsight", content=body, timeout=300)
                result["status"], result["seconds"] = response.status_code, time.perf_counter() - started

            thread = threading.Thread(target=big)
            thread.start()
            latencies, peak = [], 0
            with httpx.Client(timeout=300) as client:
                while thread.is_alive():
                    started = time.perf_counter()
                    client.get(f"{base}/health")
                    latencies.append(1000 * (time.perf_counter() - started))
                    peak = max(peak, run.status_kib(service.pid, "VmHWM") // 1024)
                    time.sleep(0.01)
            thread.join()
            latencies.sort()
            p99 = latencies[int(0.99 * (len(latencies) - 1))]
            print(
                f"| {name} | {result['status']} in {result['seconds']:.1f} s | "
                f"{statistics.median(latencies):.1f} / {p99:.1f} / {latencies[-1]:.1f} | {peak} |"
            )
    finally:
        service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
