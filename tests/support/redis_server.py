"""A real redis-server (Debian's package) on a free loopback port, for the tests of the shared
company store. Without the program the tests that need it skip and say so."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support.processes import free_port

MISSING = "redis-server is not installed (Debian package redis-server; .ci/run installs it)"


def redis_server_program() -> str | None:
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """One redis-server without persistence: a restart starts empty, as a cache pod's would."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        program = redis_server_program()
        if program is None:
            raise RuntimeError(MISSING)
        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                program,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
                "--daemonize", "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout
        while not _answers_ping(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)
        return self

    def wait_up_for(self, seconds: float, timeout: float = 60.0) -> None:
        """Until this Redis has been up `seconds` (its own uptime_in_seconds): the Redis company
        store hands out no lock before it has been up COMPANY_LOCK_TTL_SECONDS."""
        import redis

        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + timeout
        try:
            while int(client.info("server")["uptime_in_seconds"]) < seconds:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server on port {self.port} did not stay up")
                time.sleep(0.1)
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: what a crashed or evicted Redis looks like to its clients."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def redis_or_skip(directory: Path) -> Iterator[RedisServer]:
    """Start a redis-server for a fixture, or skip the test naming what is missing."""
    if redis_server_program() is None:
        pytest.skip(MISSING)
    server = RedisServer(directory).start()
    try:
        yield server
    finally:
        server.stop()
