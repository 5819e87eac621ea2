"""Real processes for the tests: the service, the Gainsight simulator and the recording upstream,
each on a free loopback port."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from gainsight_simulator.runner import READY_PREFIX


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(base_url: str, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"service exited early with code {process.returncode}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("service did not become healthy in time")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_service(
    log_file: Path | None = None, command: list[str] | None = None, **env: str
) -> tuple[str, subprocess.Popen]:
    """The service on a free port; its stderr (the JSON logs) goes to `log_file` when given.
    `command` runs another installation of it (default: this interpreter's)."""
    port = free_port()
    # One process unless a test asks for more: WORKERS defaults to the CPUs this machine has.
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "warning",
        "WORKERS": "1",
        **env,
    }
    command = command or [sys.executable, "-m", "gainsight_transformer"]
    if log_file is None:
        process = subprocess.Popen(command, env=env)
    else:
        with log_file.open("wb") as log:
            process = subprocess.Popen(command, env=env, stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process, timeout=60.0)
    except BaseException:
        stop(process)
        raise
    return base_url, process


@dataclass
class Simulator:
    url: str
    domain: str
    ca_file: Path

    def admin(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        verify = ssl.create_default_context(cafile=str(self.ca_file))
        response = httpx.request(method, f"{self.url}/__admin/{path}", verify=verify, **kwargs)
        response.raise_for_status()
        return response

    def state(self) -> dict:
        return self.admin("GET", "state").json()

    def fault(self, **fault: object) -> None:
        self.admin("POST", "faults", json=fault)


def start_simulator(tls_dir: Path, *options: str) -> tuple[Simulator, subprocess.Popen]:
    """The Gainsight simulator over HTTPS on a free loopback port, as its own process."""
    command = [
        sys.executable,
        "-m",
        "gainsight_simulator",
        "--port",
        "0",
        "--tls-dir",
        str(tls_dir),
        *options,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, "SIM_LOG_LEVEL": "WARNING"}
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # the ready line, printed once it listens
    if not line.startswith(READY_PREFIX):
        stop(process)
        raise RuntimeError(f"simulator did not start: {line!r}")
    url = line[len(READY_PREFIX) :].strip()
    return Simulator(url=url, domain=url.removeprefix("https://"), ca_file=tls_dir / "ca.pem"), process


RECORDING_UPSTREAM = Path(__file__).resolve().parent.parent / "support" / "recording_upstream.py"


@dataclass
class RecordingUpstream:
    """tests/support/recording_upstream.py as its own process: a stand-in rudder-transformer."""

    url: str
    process: subprocess.Popen

    def recorded(self) -> list[dict]:
        return httpx.get(f"{self.url}/__recorded").json()

    def control(self, **settings: object) -> None:
        httpx.post(f"{self.url}/__control", json=settings).raise_for_status()

    def reset(self) -> None:
        httpx.post(f"{self.url}/__reset").raise_for_status()


def start_recording_upstream(port: int = 0) -> RecordingUpstream:
    process = subprocess.Popen(
        [sys.executable, str(RECORDING_UPSTREAM), "--port", str(port)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("READY "):
        stop(process)
        raise RuntimeError(f"recording upstream did not start: {line!r}")
    return RecordingUpstream(url=f"http://127.0.0.1:{line.split()[1]}", process=process)
