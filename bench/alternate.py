#!/usr/bin/env python3
"""Configurations measured in turn, one run each per round, so that each round sees the same machine
(a VM shared with other work drifts by more than what is compared), then each configuration's runs
merged into one report (`bench/run.py --render` prints it).

    .venv/bin/python bench/alternate.py --rounds 3 --out results/X \\
        --common "--src /tmp/gs-X/src --label 'X (git archive)' --duration 10 --warmup 3" \\
        --config 1worker-d="--scenarios d" --config 1worker-redis-d="--scenarios d --redis"

writes results/X-1worker-d.json and results/X-1worker-redis-d.json. Each round runs every
configuration once (`bench/run.py ... --runs 1`, a fresh service, warm-up included), the order
rotated by one from round to round.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from harness.report import markdown  # noqa: E402
from harness.scenario import spread, summarise  # noqa: E402


def merge(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One report of several one-run reports of one configuration: their runs in order."""
    meta = dict(reports[0]["meta"])
    meta.update(
        runs=sum(r["meta"]["runs"] for r in reports),
        date=f"{reports[0]['meta']['date']} to {reports[-1]['meta']['date']}",
        loadavg_end=reports[-1]["meta"].get("loadavg_end"),
        note=(
            f"{len(reports)} rounds alternating with other configurations (bench/alternate.py), each "
            "a fresh service with its own warm-up and probes."
        ),
        rounds=[
            {k: r["meta"].get(k) for k in ("date", "loadavg_start", "loadavg_end", "redis")} for r in reports
        ],
    )
    merged: dict[str, Any] = {"meta": meta, "scenarios": {}}
    for letter in reports[0]["scenarios"]:
        each = [r["scenarios"][letter] for r in reports]
        runs = [dict(run, round=number) for number, s in enumerate(each, 1) for run in s["runs"]]
        floors = [s["floor"]["events_s"] for s in each]
        result = dict(each[0])
        result.update(
            runs=runs,
            summary=summarise(runs),
            floor=dict(each[0]["floor"], events_s=statistics.median(floors), events_s_each=floors),
            rss_rest_mib=statistics.median(s["rss_rest_mib"] for s in each),
            rss_rest_mib_each=[s["rss_rest_mib"] for s in each],
            rss_peak_mib=max(s["rss_peak_mib"] for s in each),
            probe_each=[s["probe"] for s in each],
            probe_after=each[-1].get("probe_after", {}),
            probe_after_each=[s.get("probe_after") for s in each],
            all_2xx=all(s["all_2xx"] for s in each),
        )
        if all("http_floor" in s for s in each):  # --http-floor: every round's pairs, not the first's
            floor_runs = [
                dict(run, round=number) for number, s in enumerate(each, 1) for run in s["http_floor"]["runs"]
            ]
            ratios = [ratio for s in each for ratio in s["http_floor_ratios"]]
            result.update(
                http_floor=dict(each[0]["http_floor"], runs=floor_runs, summary=summarise(floor_runs)),
                http_floor_ratios=ratios,
                http_floor_ratio_spread=spread(ratios),
                http_floor_ratio=spread(ratios)["median"],
            )
        median_events = result["summary"].get("events_s", {}).get("median", 0.0)
        result["floor_ratio"] = (
            median_events / result["floor"]["events_s"] if result["floor"]["events_s"] else None
        )
        result["floor_ratio_spread"] = spread(
            [r["events_s"] / f for r, f in zip(runs, floors, strict=False) if f]
        )
        merged["scenarios"][letter] = result
    return merged


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", required=True, help="prefix of the merged reports: OUT-NAME.json")
    parser.add_argument("--common", default="", help="options given to every bench/run.py")
    parser.add_argument(
        "--config", action="append", required=True, metavar="NAME=OPTIONS", help="a configuration (repeat)"
    )
    args = parser.parse_args()
    configs = [tuple(c.split("=", 1)) for c in args.config]
    workdir = Path(tempfile.mkdtemp(prefix="gs-alternate-"))
    reports: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in configs}
    for number in range(args.rounds):
        order = configs[number % len(configs) :] + configs[: number % len(configs)]
        for name, options in order:
            out = workdir / f"{name}-{number}.json"
            command = [
                sys.executable,
                str(BENCH / "run.py"),
                *shlex.split(args.common),
                *shlex.split(options),
            ]
            command += ["--runs", "1", "--json", str(out)]
            started = time.monotonic()
            print(f"round {number + 1}/{args.rounds}: {name}", file=sys.stderr, flush=True)
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{name} failed ({done.returncode}):\n{done.stderr[-3000:]}", file=sys.stderr)
                return 1
            reports[name].append(json.loads(out.read_text()))
            lines = [line for line in done.stderr.splitlines() if " run 1/1: " in line]
            for line in lines:
                print(f"  {line}", file=sys.stderr)
            print(f"  ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
    for name, each in reports.items():
        report = merge(each)
        report["markdown"] = markdown(report)
        path = Path(f"{args.out}-{name}.json")
        path.write_text(json.dumps(report, indent=2))
        print(f"## {name} ({path})\n\n{report['markdown']}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
