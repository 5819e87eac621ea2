"""examples/rudder-server/run.sh, the local RudderStack without Docker, as a user runs it: a real
process on the compose file's ports, the README's gateway curls word for word against it, the
Gainsight state the README promises, and after a signal nothing of what it started is left (no
process, no listening port, no file). Also: it reuses what already runs on its ports and leaves it
running, an interrupted build leaves nothing behind, and a port taken by something else stops it
before anything starts.

    python -m pytest tests/e2e/rudder_server -m rudder_server -k local_stack
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from support.processes import Simulator, stop, wait_until_healthy

from .conftest import MEASURED
from .harness import Gateway, Unavailable, eventually, postgres_bin

pytestmark = pytest.mark.rudder_server

REPO = Path(__file__).resolve().parents[3]
RUN_SH = REPO / "examples" / "rudder-server" / "run.sh"
README = (REPO / "README.md").read_text()
PORTS = {"rudder-server's gateway": 8080, "gainsight-transformer": 9090, "the Gainsight simulator": 9443}
POSTGRES_PORT = 5432
DEFAULT_TLS_DIR = Path("/tmp/gs-certs")
READY = re.compile(r"^\[stack\] ready in (\d+) s: ")
STOPPED = "[stack] stopped; nothing this started is left"


def readme_gateway_curls() -> str:
    """The README's block of gateway curls ("Try it with rudder-server"), the same for compose and
    run.sh."""
    section = README.split("## Try it with rudder-server\n", 1)[1].split("\n## ", 1)[0]
    [block] = [b for b in re.findall(r"```sh\n(.*?)```", section, re.DOTALL) if "/v1/identify" in b]
    return block


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def postgres_args() -> list[str]:
    """CI gives a PostgreSQL server (RUDDER_E2E_POSTGRES_URL, on 5432): the launcher uses it."""
    url = os.environ.get("RUDDER_E2E_POSTGRES_URL")
    return ["--postgres-url", url] if url else []


def require_free_ports(*names: str) -> None:
    ports = dict(PORTS)
    if not postgres_args():
        ports["PostgreSQL"] = POSTGRES_PORT
    busy = [f"{port} ({name})" for name, port in ports.items() if name not in names and listening(port)]
    if busy:
        pytest.skip(f"local stack: the README's ports must be free, and these are in use: {', '.join(busy)}")


def require_postgres() -> None:
    if postgres_args():
        return
    try:
        postgres_bin()
    except Unavailable as missing:
        pytest.skip(f"local stack: {missing}")


@pytest.fixture
def scratch() -> Iterator[Path]:
    """The launcher's temporary directory (TMPDIR): empty again once it has stopped. Readable by the
    `postgres` user, who runs PostgreSQL when the tests run as root."""
    root = Path(tempfile.mkdtemp(prefix="stack-test-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


class Launcher:
    """run.sh in a session of its own (as in a terminal: a Ctrl-C goes to its process group), its
    output read line by line as it comes."""

    def __init__(self, scratch: Path, *args: str, **env: str) -> None:
        environment = {**os.environ, "TMPDIR": str(scratch), "PYTHON": sys.executable, **env}
        self.process = subprocess.Popen(
            [str(RUN_SH), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.started: list[tuple[int, float]] = []  # (pid, start time) of everything it started

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise AssertionError(f"run.sh ended ({self.process.wait()}) before {pattern.pattern!r}")
            self.lines.append(line)
            print(line)  # shown when the test fails
            if match := pattern.search(line):
                return match
        raise AssertionError(f"no line matching {pattern.pattern!r} in {timeout:.0f} s")

    def finish(self, timeout: float = 90) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        while not self._queue.empty():
            line = self._queue.get_nowait()
            if line is not None:
                self.lines.append(line)
                print(line)
        return code

    def snapshot(self, scratch: Path) -> None:
        """Everything it started: its descendants, and PostgreSQL (pg_ctl detaches the server) by
        its data directory in `scratch`."""
        processes = psutil.Process(self.process.pid).children(recursive=True)
        for candidate in psutil.process_iter(["cmdline"]):
            if str(scratch) in " ".join(candidate.info["cmdline"] or []):
                processes += [candidate, *candidate.children(recursive=True)]
        self.started = [(p.pid, p.create_time()) for p in processes]

    def _alive(self) -> list[psutil.Process]:
        alive = []
        for pid, created in self.started:
            try:
                process = psutil.Process(pid)
                if process.create_time() == created and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(process)
            except psutil.NoSuchProcess:
                pass
        return alive

    def left_running(self) -> list[str]:
        return [f"{process.pid} {' '.join(process.cmdline())}" for process in self._alive()]

    def kill(self) -> None:
        """After a failed test: whatever is still running goes."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        for process in self._alive():
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass


def assert_nothing_left(launcher: Launcher, scratch: Path, *, tls_dir_existed: bool) -> None:
    assert launcher.lines[-1] == STOPPED
    assert launcher.started, "no process was recorded"
    assert launcher.left_running() == []
    ports = dict(PORTS, PostgreSQL=POSTGRES_PORT) if not postgres_args() else PORTS
    assert [name for name, port in ports.items() if listening(port)] == []
    assert list(scratch.iterdir()) == []  # its run directory, PostgreSQL's cluster, rudder-server's files
    assert DEFAULT_TLS_DIR.exists() == tls_dir_existed  # removed only if it made it


def promised_state(state: dict[str, Any]) -> bool:
    """What README "Try it with rudder-server" says the simulator shows after the curls."""
    persons = [p for p in state["persons"] if p.get("Email") == "ada@example.com"]
    companies = [c for c in state["companies"] if c.get("Name") == "Acme"]
    if len(persons) != 1 or len(companies) != 1 or len(state["events"]) != 1:
        return False
    person, acme, event = persons[0], companies[0], state["events"][0]
    return (
        (person.get("FirstName"), person.get("Plan__gc")) == ("Ada", "pro")
        and [link.get("Company_ID") for link in person.get("companies", [])] == [acme["Gsid"]]
        and acme.get("Region__gc") == "EMEA"
        and event["body"] == {"ticketId": "T-1"}
        and (event["headers"].get("eventname"), event["headers"].get("eventversion"))
        == ("Ticket Resolved Event", "1.0.0")
    )


def simulator_state() -> dict[str, Any]:
    state: dict[str, Any] = httpx.get("https://localhost:9443/__admin/state", verify=False).json()
    return state


def test_run_sh_serves_the_readme_curls_and_leaves_nothing_behind_on_ctrl_c(
    rudder_binary: Path, scratch: Path
) -> None:
    require_postgres()
    require_free_ports()
    tls_dir_existed = DEFAULT_TLS_DIR.exists()
    started = time.monotonic()
    launcher = Launcher(scratch, *postgres_args(), RUDDER_SERVER_BINARY=str(rudder_binary))
    try:
        ready = launcher.wait_for(READY, 180)
        to_ready = time.monotonic() - started
        launcher.snapshot(scratch)
        commands = " ".join(launcher.left_running())
        for program in ("rudder-server", "gainsight_transformer", "gainsight_simulator"):
            assert program in commands
        assert ("postgres -D" in commands) != bool(postgres_args())
        assert "write key LOCAL_WRITE_KEY" in launcher.lines[-1]
        assert "https://localhost:9443/__admin/state" in launcher.lines[-1]

        curls = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", readme_gateway_curls()],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert curls.returncode == 0, curls.stderr
        gateway_answers, state_text = curls.stdout.split("{", 1)
        assert gateway_answers.lower() == "ok" * 3  # rudder-server's answer to each event
        state = json.loads("{" + state_text)
        if not promised_state(state):  # the block's `sleep 5` was not enough: how much is?
            waited = time.monotonic()
            eventually(lambda: promised_state(simulator_state()), 60, "the README's Gainsight state")
            MEASURED["local stack, README curls"] = (
                f"state reached {time.monotonic() - waited + 5:.0f} s after the curls, not within 5"
            )

        os.killpg(launcher.process.pid, signal.SIGINT)  # Ctrl-C in its terminal
        stopping = time.monotonic()
        assert launcher.finish() == 0
        MEASURED["local stack (examples/rudder-server/run.sh)"] = (
            f"ready in {to_ready:.1f} s (it says {ready[1]} s), stopped in {time.monotonic() - stopping:.1f} s"
        )
        assert_nothing_left(launcher, scratch, tls_dir_existed=tls_dir_existed)
    finally:
        launcher.kill()


def test_run_sh_reuses_what_already_runs_on_its_ports_and_leaves_it_running(
    rudder_binary: Path, scratch: Path, tmp_path: Path
) -> None:
    """The simulator and the service started as in README "Try it against the Gainsight simulator"
    (on 9443 and 9090, trusting the same CA): run.sh adds PostgreSQL and rudder-server around them."""
    require_postgres()
    require_free_ports()
    tls_dir = tmp_path / "gs-certs"
    simulator_process = subprocess.Popen(
        [sys.executable, "-m", "gainsight_simulator", "--port", "9443", "--tls-dir", str(tls_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    service_env = {
        **os.environ,
        "SSL_CERT_FILE": str(tls_dir / "ca.pem"),
        "GAINSIGHT_HOST_ALLOWLIST": "localhost:9443",
        "WORKERS": "1",
        "LOG_LEVEL": "warning",
    }
    service_process = subprocess.Popen([sys.executable, "-m", "gainsight_transformer"], env=service_env)
    launcher = None
    try:
        wait_until_healthy("http://127.0.0.1:9090", service_process, timeout=60)
        simulator = Simulator("https://localhost:9443", "localhost:9443", tls_dir / "ca.pem")
        eventually(lambda: simulator_process.poll() is None and _answers(simulator), 30, "the simulator")
        launcher = Launcher(
            scratch, "--tls-dir", str(tls_dir), *postgres_args(), RUDDER_SERVER_BINARY=str(rudder_binary)
        )
        launcher.wait_for(READY, 180)
        launcher.snapshot(scratch)
        said = "\n".join(launcher.lines)
        assert "the Gainsight simulator: already running on port 9443, reused" in said
        assert "gainsight-transformer: already running on port 9090, reused" in said

        Gateway("http://127.0.0.1:8080", "LOCAL_WRITE_KEY").send(
            "identify", {"userId": "u9", "traits": {"email": "reuse@example.com", "firstName": "Re"}}
        )
        eventually(
            lambda: [p for p in simulator.state()["persons"] if p["Email"] == "reuse@example.com"],
            60,
            "the person, through the reused service, in the reused simulator",
        )

        launcher.process.send_signal(signal.SIGTERM)  # `kill`
        assert launcher.finish() == 0
        assert launcher.left_running() == []
        assert not listening(8080) and list(scratch.iterdir()) == []
        if not postgres_args():
            assert not listening(POSTGRES_PORT)
        assert simulator_process.poll() is None and service_process.poll() is None, "reused, so kept"
        assert httpx.get("http://127.0.0.1:9090/health").status_code == 200 and _answers(simulator)
        assert (tls_dir / "ca.pem").exists()
    finally:
        if launcher is not None:
            launcher.kill()
        stop(service_process)
        stop(simulator_process)


def _answers(simulator: Simulator) -> bool:
    try:
        simulator.admin("GET", "health")
        return True
    except httpx.HTTPError:
        return False


FAKE_GO = f"""#!{sys.executable}
# A stand-in for `go` whose work never ends (in a child process, as the real one's compilers are).
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print(f"child {{child.pid}}", file=sys.stderr, flush=True)
time.sleep(600)
"""


def test_a_ctrl_c_during_the_build_stops_it_and_leaves_nothing(scratch: Path, tmp_path: Path) -> None:
    """No binary in the cache: run.sh builds it first (minutes); a Ctrl-C then stops the build and
    its children, and nothing has been started yet. A stand-in `go` plays the long build."""
    require_free_ports()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "go").write_text(FAKE_GO)
    (bin_dir / "go").chmod(0o755)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "RUDDER_SERVER_BINARY": "",
    }
    tls_dir_existed = DEFAULT_TLS_DIR.exists()
    launcher = Launcher(scratch, *postgres_args(), **env)
    try:
        launcher.wait_for(re.compile(r"^\[stack\] building rudder-server v[\d.]+ into "), 60)
        eventually(
            lambda: len(psutil.Process(launcher.process.pid).children(recursive=True)) == 2,
            20,
            "the stand-in go and its child",
        )
        launcher.snapshot(scratch)
        assert len(launcher.started) == 2  # the stand-in go and its child
        os.killpg(launcher.process.pid, signal.SIGINT)
        assert launcher.finish(timeout=30) == 0
        assert "[stack] SIGINT: stopping" in launcher.lines
        assert_nothing_left(launcher, scratch, tls_dir_existed=tls_dir_existed)
        assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]  # no partial binary
    finally:
        launcher.kill()


def test_a_port_taken_by_something_else_stops_it_before_anything_starts(scratch: Path) -> None:
    require_free_ports()
    with socket.socket() as squatter:  # listens, never answers
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", PORTS["gainsight-transformer"]))
        squatter.listen()
        launcher = Launcher(scratch, *postgres_args())
        try:
            assert launcher.finish(timeout=60) == 1
        finally:
            launcher.kill()
    said = "\n".join(launcher.lines)
    assert "port 9090 is taken by something that is not gainsight-transformer" in said
    assert "starting" not in said and "building" not in said
    assert launcher.lines[-1] == STOPPED and list(scratch.iterdir()) == []
