"""The Markdown table of a report, and what it says about the machine and the commit."""

from __future__ import annotations

import contextlib
import platform
import subprocess
from pathlib import Path
from typing import Any

from . import REPO

DESCRIPTIONS = {
    "a": "a: processor, 1 identify",
    "b": "b: processor, 100 identify+track",
    "c": "c: router, the same 100",
    "d": "d: processor, 20 group (simulator)",
    "e": "e: router, {n} identify+track",
}


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
        f"{meta['runs']} × {meta['duration']:g} s after {meta['warmup']:g} s warm-up"
        + (
            ", HTTP-floor runs alternating with the service's (a ratio per pair)"
            if meta.get("http_floor")
            else ""
        )
        + f", {meta['workers']} worker(s), server CPUs {meta['server_cpus'] or 'any'}, "
        + (f"company store: {meta['company_store']}, " if meta.get("company_store") else "")
        + (
            f"redis-server {meta['redis']['version']} (COMPANY_LOCK_TTL_SECONDS "
            f"{meta['redis']['lock_ttl_s']}), "
            if meta.get("redis")
            else ""
        )
        + f"load CPUs {meta['client_cpus'] or 'any'}, "
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
            ratios = result.get("http_floor_ratio_spread")
            ratio = mmm(ratios, 2) if ratios and len(result["http_floor_ratios"]) > 1 else None
            extra = f"| {fmt(floor)} | {ratio or fmt(result.get('http_floor_ratio'), 2)} "
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
    if meta.get("redis"):
        lines += redis_lines(report)
    return "\n".join(lines)


def redis_lines(report: dict[str, Any]) -> list[str]:
    """Commands the service sent to its Redis during the runs (the harness's INFO left out)."""
    lines = [
        "",
        "| scenario | Redis commands per request (min / med / max) | by command (last run) "
        "| redis-server CPU % (med) |",
        "|---|---|---|---|",
    ]
    for letter, result in report["scenarios"].items():
        s = result["summary"]
        last = result["runs"][-1] if result["runs"] else {}
        commands = ", ".join(f"{k}: {v}" for k, v in (last.get("redis_commands") or {}).items()) or "none"
        lines.append(
            f"| {letter} | {mmm(s.get('redis_commands_per_request', {}), 2)} | {commands} "
            f"| {fmt(s.get('redis_cpu_pct', {}).get('median'), 1)} |"
        )
    return lines


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
