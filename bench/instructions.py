"""Instructions per request, counted with valgrind: the app called in-process, no HTTP.

Wall-clock figures on a shared VM move by more than most changes; instruction counts do not.
This script calls the ASGI app directly with one reference body `--warm` times, then
`--requests` times. Run it under callgrind twice, with two request counts, and divide the
difference of the totals by the difference of the counts (start-up and warm-up cancel out):

    for n in 20 60; do PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=cg.$n \\
        .venv/bin/python bench/instructions.py --body b_processor_mixed100.json --requests $n; done
    # (totals: the "summary:" line of each cg.$n file) per request = (cg.60 - cg.20) / 40

`--src DIR` measures another tree (a `git archive` export); `--shared-metrics` counts metrics
as each worker of a multi-worker service does (`metrics.share`, into a temporary directory).
Counts taken with only 10 and 30 requests move by up to 3 % between runs of the same code
(garbage collections fall differently); use 20 and 60 for 100-event bodies, 100 and 400 for a
single event.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).resolve().parent / "reference"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--body", default="b_processor_mixed100.json", help="a file in bench/reference/")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--warm", type=int, default=20, help="requests before the counted ones")
    parser.add_argument("--src", help="import the service from this source tree")
    parser.add_argument(
        "--shared-metrics",
        action="store_true",
        help="count metrics into files of a shared directory, as each worker does with WORKERS > 1",
    )
    return parser.parse_args(argv)


async def serve(app: Any, body: bytes, path: str, count: int) -> set[int]:
    scope = {
        "type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        "root_path": "", "http_version": "1.1", "scheme": "http",
        "server": ("127.0.0.1", 9090), "client": ("127.0.0.1", 1),
    }  # fmt: skip
    statuses: set[int] = set()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    for _ in range(count):
        await app(dict(scope), receive, send)
    return statuses


async def main(args: argparse.Namespace) -> None:
    from gainsight_transformer.app import create_app
    from gainsight_transformer.settings import Settings

    body = (REFERENCE / args.body).read_bytes()
    path = "/routerTransform" if args.body.startswith("c_") else "/v0/destinations/gainsight"
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as shared:
        if args.shared_metrics:
            from gainsight_transformer.telemetry import metrics

            metrics.share(Path(shared))
        app = create_app(Settings(log_level="warning"))
        logging.getLogger("gainsight_transformer.access").setLevel(logging.WARNING)
        async with app.router.lifespan_context(app):
            statuses = await serve(app, body, path, args.warm)
            statuses |= await serve(app, body, path, args.requests)
    if statuses != {200}:
        raise SystemExit(f"expected only 200 answers, got {sorted(statuses)}")


if __name__ == "__main__":
    arguments = parse_args(None)
    if arguments.src:
        sys.path.insert(0, str(Path(arguments.src).resolve()))
    try:
        import uvloop  # the loop the service runs on
    except ImportError:
        asyncio.run(main(arguments))
    else:
        uvloop.run(main(arguments))
