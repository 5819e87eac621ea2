"""`--redis`: Debian's redis-server on a free loopback port, no persistence, as the service's
company store (REDIS_URL); its command counts and CPU read back per run.

The Redis company store hands out no lock until its Redis has been up COMPANY_LOCK_TTL_SECONDS
(a Redis restarted without its data may have lost locks still in use), so `wait_ready` waits for
this Redis's own `uptime_in_seconds` to reach what the service will wait for: the
COMPANY_LOCK_TTL_SECONDS of the service's environment (the service's default, 30 s, when unset).
Set a shorter one together with a shorter GROUP_DEADLINE_SECONDS to wait less.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import time
from pathlib import Path
from typing import Any

import psutil

from .processes import Managed, cpu_seconds, free_port, log, pin, wait_until

MISSING = (
    "--redis needs Debian's redis-server, which is not on PATH "
    "(apt-get install -y redis-server, or run without --redis)"
)
#: The service's default COMPANY_LOCK_TTL_SECONDS (src/gainsight_transformer/settings.py).
DEFAULT_LOCK_TTL = 30.0


def redis_server_program() -> str | None:
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )


def setting(env: dict[str, str], name: str) -> str | None:
    """An environment variable as the service's settings read it (names are case-insensitive)."""
    for key, value in env.items():
        if key.upper() == name:
            return value
    return None


def lock_settle_seconds(env: dict[str, str]) -> int:
    """Seconds of uptime the service's Redis store waits for before its first lock (as
    redis_store.RedisStore computes it from COMPANY_LOCK_TTL_SECONDS)."""
    raw = setting(env, "COMPANY_LOCK_TTL_SECONDS")
    ttl = float(raw) if raw not in (None, "") else DEFAULT_LOCK_TTL
    return max(1, math.ceil(ttl))


class RedisServer:
    """One redis-server, in the run's work directory, pinned like the simulator."""

    def __init__(self, workdir: Path, cpus: str | None, env: dict[str, str]) -> None:
        import redis  # the service's own dependency, in the same venv

        program = redis_server_program()
        if program is None:
            raise RuntimeError(MISSING)
        self.port = free_port()
        self.directory = workdir / "redis"
        self.directory.mkdir(parents=True, exist_ok=True)
        cmd = pin(cpus) + [
            program,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.directory),
            "--daemonize", "no",
            "--protected-mode", "yes",
        ]  # fmt: skip
        self.proc = Managed("redis", cmd, env, workdir / "redis.log")
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5, decode_responses=True)
        wait_until(self.client.ping, 30, "redis-server", self.proc)
        self.version = str(self.client.info("server").get("redis_version"))
        self.waited_s = 0.0

    @property
    def pid(self) -> int:
        return self.proc.pid

    def uptime(self) -> int:
        return int(self.client.info("server")["uptime_in_seconds"])

    def wait_ready(self, env: dict[str, str]) -> None:
        """Until the Redis store of a service started with `env` would hand out locks."""
        settle = lock_settle_seconds(env)
        started = time.monotonic()
        if self.uptime() < settle:
            log(f"redis: waiting until it has been up {settle} s (COMPANY_LOCK_TTL_SECONDS)")
        deadline = started + settle + 30
        while self.uptime() < settle:
            if self.proc.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not stay up {settle} s\n{self.proc.tail()}")
            time.sleep(0.2)
        self.waited_s += time.monotonic() - started

    def flush(self) -> None:
        """Forget every company, lock and 429 window (the simulator was reset: a fresh Gainsight)."""
        self.client.flushall()

    def command_counts(self) -> dict[str, int]:
        """Commands served so far, by name (`INFO commandstats`; scripts count as `evalsha`)."""
        stats = self.client.info("commandstats")
        return {key.removeprefix("cmdstat_"): int(value["calls"]) for key, value in stats.items()}

    def cpu_seconds(self) -> float:
        with contextlib.suppress(psutil.Error):
            return cpu_seconds([psutil.Process(self.pid)])
        return 0.0

    def describe(self, env: dict[str, str]) -> dict[str, Any]:
        return {
            "version": self.version,
            "url": self.url,
            "options": "--save '' --appendonly no",
            "lock_ttl_s": lock_settle_seconds(env),
            "waited_for_uptime_s": round(self.waited_s, 1),
        }

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        self.proc.stop()


def command_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Commands served between two `command_counts` snapshots, less the one the harness sent (the
    first snapshot's INFO; a snapshot's own INFO is counted after it answers). Commands that
    scripts run count under their own names (a lock attempt: `evalsha` plus its INFO, GET, SET)."""
    delta = {name: calls - before.get(name, 0) for name, calls in after.items()}
    delta["info"] = delta.get("info", 0) - 1
    return {name: calls for name, calls in sorted(delta.items()) if calls}
