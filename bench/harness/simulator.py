"""The Gainsight simulator as the benchmark's Gainsight (rate limit off), and its call log read back."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from .processes import Managed, free_port, pin, wait_until


class Simulator:
    def __init__(self, workdir: Path, cpus: str | None, env: dict[str, str]) -> None:
        self.port = free_port()
        self.tls_dir = workdir / "sim-tls"
        cmd = pin(cpus) + [
            sys.executable,
            "-m",
            "gainsight_simulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--tls-dir",
            str(self.tls_dir),
            "--rate-limit",
            "0",
            "--log-level",
            "WARNING",
        ]
        self.proc = Managed("simulator", cmd, env, workdir / "simulator.log")
        wait_until(
            lambda: "listening on https://" in self.proc.log_path.read_text(), 30, "simulator", self.proc
        )
        self.ca = self.tls_dir / "ca.pem"
        self.base = f"https://127.0.0.1:{self.port}"
        self.http = httpx.Client(verify=str(self.ca), timeout=120)

    def reset(self) -> None:
        self.http.post(self.base + "/__admin/reset").raise_for_status()

    def state(self) -> dict[str, Any]:
        answer = self.http.get(self.base + "/__admin/state")
        answer.raise_for_status()
        return answer.json()

    def stop(self) -> None:
        self.http.close()
        self.proc.stop()


def company_call_stats(state: dict[str, Any], first_call: int = 0) -> dict[str, Any]:
    """Company calls logged since `first_call`; companies (and duplicate names) in the whole state."""
    calls = [
        c
        for c in state.get("calls", [])[first_call:]
        if "/data/objects/" in c.get("path", "") and "Company" in c["path"]
    ]
    kinds = Counter(f"{c['method']} {c['path']}" for c in calls)
    statuses = Counter(str(c.get("status")) for c in calls)
    by_kind_status = Counter(f"{c['method']} {c['path']} -> {c.get('status')}" for c in calls)
    names = Counter(str(company.get("Name")) for company in state.get("companies", []))
    return {
        "company_calls": len(calls),
        "company_call_kinds": dict(kinds),
        "company_call_statuses": dict(statuses),
        "company_calls_by_kind_and_status": dict(by_kind_status),
        "all_calls": len(state.get("calls", [])) - first_call,
        "companies": len(state.get("companies", [])),
        "duplicate_companies": sum(n - 1 for n in names.values()),
    }
