#!/usr/bin/env python3
"""Does a large body stall other requests? (issue: hostile input and overload)

Starts the service on CPU 0, then for each body posts it once from a background thread while
the main thread asks `GET /health` every 10 ms, and reports /health's p50 / p99 / max during the
large request and that request's own status and time.

    .venv/bin/python bench/stall.py [--mib 60]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from harness.processes import peak_rss_mib  # noqa: E402
from harness.scenario import start_server  # noqa: E402


def bodies(mib: int) -> dict[str, tuple[str, bytes]]:
    """name → (path, body): the hostile bodies of the issue, and bodies of real events."""
    size = mib * 1024 * 1024
    event = b'{"message": {"type": "identify", "traits": {"email": "a@b.c"}}, "metadata": {"jobId": 1}},'
    count = size // len(event)
    valid_ish = b"[" + event * count + b'{"message": {}}]'
    reference = json.loads((BENCH / "reference" / "b_processor_mixed100.json").read_text())
    real = json.dumps(reference * 100).encode()
    router = json.loads((BENCH / "reference" / "c_router_mixed100.json").read_text())
    real_router = json.dumps({**router, "input": (router["input"] * 100)[:10_000]}).encode()
    per_event = size // 10_000
    filler = b"{}," * (per_event // 3 - 40)
    padded = b'{"message": {"type": "identify", "traits": {"x": [' + filler + b"{}]}}},"
    processor = "/v0/destinations/gainsight"
    return {
        f"{mib} MiB, invalid at the end": (processor, valid_ish[:-2] + b"oops]"),
        f"{mib} MiB of empty objects": (processor, b"[" + b"{}," * (size // 3) + b"{}]"),
        f"{mib} MiB, {count:,} events": (processor, valid_ish),
        f"{mib} MiB, 10,000 events full of empty objects": (
            processor,
            b"[" + padded * 9_999 + padded[:-1] + b"]",
        ),
        f"{len(real) >> 20} MiB, 10,000 real events": (processor, real),
        f"{len(real_router) >> 20} MiB router body, 10,000 real events": ("/routerTransform", real_router),
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
    print("| body | big request | /health p50 / p99 / max ms during it | peak RSS MiB |")
    print("|---|---|---|---|")
    for name, (path, body) in bodies(args.mib).items():
        # A fresh process per body: its peak RSS is this body's.
        service, base = start_server(argparse.Namespace(workers=1), workdir, "stall", env, cpus)
        try:
            result: dict = {}

            upload = workdir / "body.json"
            upload.write_bytes(body)

            # Sent by curl, another process: a client in this one would share the prober's GIL.
            curl = ("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary", f"@{upload}")

            def big(result: dict = result, command: tuple[str, ...] = (*curl, f"{base}{path}")) -> None:
                started = time.perf_counter()
                done = subprocess.run(command, capture_output=True, text=True, check=True)
                result["status"], result["seconds"] = done.stdout, time.perf_counter() - started

            thread = threading.Thread(target=big)
            thread.start()
            latencies, peak = [], 0
            with httpx.Client(timeout=300) as client:
                while thread.is_alive():
                    started = time.perf_counter()
                    client.get(f"{base}/health")
                    latencies.append(1000 * (time.perf_counter() - started))
                    peak = max(peak, int(peak_rss_mib(service.pid)))
                    time.sleep(0.01)
            thread.join()
            latencies.sort()
            p99 = latencies[int(0.99 * (len(latencies) - 1))]
            print(
                f"| {name} | {result['status']} in {result['seconds']:.1f} s | "
                f"{statistics.median(latencies):.1f} / {p99:.1f} / {latencies[-1]:.1f} | {peak} |",
                flush=True,
            )
        finally:
            service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
