"""A local RudderStack without Docker, in one command: PostgreSQL, the real rudder-server, the Gainsight
simulator and gainsight-transformer, on the ports and with the workspace of the compose `rudder`
profile (README, "Try it with rudder-server"), until Ctrl-C. Run it as examples/rudder-server/run.sh.

Each component already running on its port is reused (and left running at the end); the others are
started here and stopped on SIGINT, SIGTERM or SIGHUP (or when one of them exits), and this
script's files (workspace, logs, the PostgreSQL cluster) are removed. Should this script be killed
(SIGKILL), its children get SIGTERM from the kernel, except PostgreSQL (pg_ctl detaches it), which
the next run finds on its port and reuses.
"""

from __future__ import annotations

import argparse
import ctypes
import http.server
import importlib.util
import json
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
# The one import across examples/ and tests/: the rudder-server harness of the end-to-end tests
# (building or finding the binary of tests/e2e/rudder_server/go, starting PostgreSQL, rudder-server's
# environment and start) is shared with them, not copied, and it lives with its Go module.
sys.path.insert(0, str(REPO / "tests"))
from e2e.rudder_server import harness  # noqa: E402

WORKSPACE = REPO / "deploy" / "rudder-server" / "workspaceConfig.json"
# The compose file's published ports, so that the README's commands work against either.
GATEWAY_PORT = 8080
SERVICE_PORT = 9090
SIMULATOR_PORT = 9443
POSTGRES_PORT = 5432
DATABASE = "jobsdb"  # compose's rudder-db: user rudder, password `password`, database jobsdb
READY = "ready in"


def say(line: str) -> None:
    try:
        print(f"[stack] {line}", flush=True)
    except OSError:  # the terminal is gone (SIGHUP): carry on stopping
        pass


class StackError(Exception):
    """Something stops the stack from starting or running; the message says what and what to do."""


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived (raised once, from the signal handler)."""


class Signals:
    """The first SIGINT/SIGTERM/SIGHUP raises Interrupted wherever the launcher is (a build, a wait);
    later ones, and any during the shutdown, only say that it is under way."""

    def __init__(self) -> None:
        self.stopping = False
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            say(f"{signal.Signals(signum).name}: already stopping")
            return
        self.stopping = True
        raise Interrupted(signal.Signals(signum).name)


_prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)  # Linux
_PR_SET_PDEATHSIG = 1


def _child_setup() -> None:
    """In each child between fork and exec: SIGTERM when the launcher dies, even by SIGKILL
    (PR_SET_PDEATHSIG). Each child also gets a process group of its own (process_group=0), so a
    terminal's Ctrl-C reaches only the launcher, which stops the children in order."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _get_json(url: str, **options: Any) -> Any:
    try:
        response = httpx.get(url, timeout=3, **options)
        return response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


class ControlPlane(http.server.BaseHTTPRequestHandler):
    """rudder-server posts its features to the control plane at start-up and cannot be told not to:
    this answers 204 on a loopback port (compose sends it to a name that never resolves)."""

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.end_headers()

    do_GET = do_POST = do_PUT = do_PATCH = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Found:
    """What runs on a port: the component wanted (`note`: what to know about it) or, with a
    `problem`, something else."""

    problem: str | None = None
    note: str | None = None


@dataclass
class Child:
    name: str
    process: subprocess.Popen[Any]
    log: Path
    grace: float  # seconds between SIGTERM and SIGKILL


@dataclass
class Stack:
    tls_dir: Path
    postgres_url: str | None
    log_dir: Path | None
    run_dir: Path = field(init=False)
    children: list[Child] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    postgres: harness.Postgres | None = None  # ours to stop
    control_plane: http.server.ThreadingHTTPServer | None = None
    control_plane_thread: threading.Thread | None = None
    remove_tls_dir: bool = False

    # -- start ------------------------------------------------------------------------------------

    def start(self) -> None:
        started = time.monotonic()
        # Short: rudder-server puts its admin socket in it (socket paths are limited to 107 bytes).
        self.run_dir = Path(tempfile.mkdtemp(prefix="gainsight-stack-"))
        logs = self.log_dir or self.run_dir
        logs.mkdir(parents=True, exist_ok=True)
        gateway = self._look("rudder-server", GATEWAY_PORT, self._is_rudder_server)
        service = self._look("gainsight-transformer", SERVICE_PORT, self._is_service)
        simulator = self._look("the Gainsight simulator", SIMULATOR_PORT, self._is_simulator)
        # Everything that could stop it is checked before a build that may take minutes.
        database = None if gateway else self._find_postgres()
        if not gateway and database is None:
            self._available(harness.postgres_bin)
        self._check_python_packages(service=not service, simulator=not simulator)
        binary = None if gateway else self._available(lambda: harness.rudder_server_binary(log=say))
        if binary is not None:
            say(f"rudder-server: {binary}")
            database = database or self._start_postgres()
        if not simulator:
            self._start_simulator(logs / "simulator.log")
        if not service:
            self._start_service(logs / "gainsight-transformer.log")
        if binary is not None:
            assert database is not None
            self._start_rudder_server(binary, database, logs / "rudder-server.log")
        self._announce(time.monotonic() - started, logs)

    @staticmethod
    def _available(get: Callable[[], Path]) -> Path:
        try:
            return get()
        except (harness.Unavailable, RuntimeError) as missing:
            raise StackError(str(missing)) from None

    def _look(self, name: str, port: int, check: Callable[[], Found]) -> bool:
        """True: `name` already runs on `port` (reused); False: the port is free; StackError: the
        port is taken by something else."""
        if not listening(port):
            return False
        found = check()
        if found.problem:
            raise StackError(
                f"port {port} is taken by {found.problem}; stop it to let this start {name} there"
            )
        say(f"{name}: already running on port {port}, reused (left running at the end)")
        if found.note:
            say(f"  ({found.note})")
        self.reused.append(name)
        return True

    def _is_rudder_server(self) -> Found:
        health = _get_json(f"http://127.0.0.1:{GATEWAY_PORT}/health")
        if isinstance(health, dict) and "server" in health and "db" in health:
            return Found(
                note="its workspace and transformer are its own; the README's curls need the write key "
                "of deploy/rudder-server/workspaceConfig.json"
            )
        return Found(problem="something that is not rudder-server (GET /health is not rudder-server's)")

    def _is_service(self) -> Found:
        health = _get_json(f"http://127.0.0.1:{SERVICE_PORT}/health")
        if isinstance(health, dict) and health.get("service") == "UP":
            return Found(
                note=f"it must trust the simulator and may reach it: SSL_CERT_FILE={self.ca_file} "
                f"GAINSIGHT_HOST_ALLOWLIST=localhost:{SIMULATOR_PORT}"
            )
        return Found(problem="something that is not gainsight-transformer (GET /health does not say UP)")

    def _is_simulator(self) -> Found:
        url = f"https://localhost:{SIMULATOR_PORT}/__admin/health"
        if _get_json(url, verify=False) is None:
            return Found(problem="something that is not the Gainsight simulator (no GET /__admin/health)")
        if not self.ca_file.exists() or _get_json(url, verify=self._ca_context()) is None:
            return Found(
                problem=f"a Gainsight simulator whose certificate is not signed by {self.ca_file} "
                f"(rudder-server and the service must trust it): restart it with --tls-dir {self.tls_dir}, "
                "or give this script its --tls-dir"
            )
        return Found()

    @property
    def ca_file(self) -> Path:
        return self.tls_dir / "ca.pem"

    def _ca_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def _find_postgres(self) -> harness.Postgres | None:
        """A PostgreSQL to reuse (--postgres-url, or one on POSTGRES_PORT where rudder-server's user
        logs in), or None: one is to be started."""
        if self.postgres_url:
            server = harness.Postgres.external(self.postgres_url)
            where = f"{server.host}:{server.port} (--postgres-url)"
        elif listening(POSTGRES_PORT):
            server = harness.Postgres.external(f"postgres://rudder:password@127.0.0.1:{POSTGRES_PORT}")
            where = f"port {POSTGRES_PORT}"
        else:
            return None
        try:
            server.new_database(DATABASE, exist_ok=True)
        except (subprocess.CalledProcessError, FileNotFoundError) as failed:
            detail = getattr(failed, "stderr", "") or str(failed)
            raise StackError(
                f"PostgreSQL on {where} cannot be used as {server.superuser}: {detail.strip()}\n"
                "Give a user that may create a role and a database with --postgres-url "
                "postgres://USER:PASSWORD@HOST:PORT, or create rudder-server's there: CREATE ROLE rudder "
                f"LOGIN SUPERUSER PASSWORD 'password'; CREATE DATABASE {DATABASE} OWNER rudder; or stop it"
            ) from None
        say(f"PostgreSQL: already running on {where}, reused (database {DATABASE})")
        self.reused.append("PostgreSQL")
        return server

    def _check_python_packages(self, *, service: bool, simulator: bool) -> None:
        needed = (["gainsight_transformer"] if service else []) + (
            ["gainsight_simulator", "trustme", "h11"] if simulator else []
        )
        missing = [name for name in needed if importlib.util.find_spec(name) is None]
        if missing:
            raise StackError(
                f"{sys.executable} lacks {', '.join(missing)}: install the project with the simulator "
                "extra (.venv/bin/pip install -e '.[simulator]')"
            )

    def _spawn(self, name: str, command: list[str], log: Path, grace: float, **popen: Any) -> Child:
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                stdout=popen.pop("stdout", out),
                stderr=out,
                preexec_fn=_child_setup,
                process_group=0,
                **popen,
            )
        child = Child(name, process, log, grace)
        self.children.append(child)
        return child

    def _failed(self, child: Child, what: str) -> StackError:
        return StackError(
            f"{child.name} {what}; last lines of {child.log}:\n{harness.log_tail(child.log, 30)}"
        )

    def _start_postgres(self) -> harness.Postgres:
        say(f"PostgreSQL: starting a new cluster on 127.0.0.1:{POSTGRES_PORT}")
        try:
            self.postgres = harness.Postgres.start(POSTGRES_PORT, prefix="gainsight-stack-pg-")
            self.postgres.new_database(DATABASE)
        except harness.Unavailable as missing:
            raise StackError(str(missing)) from None
        except (RuntimeError, subprocess.CalledProcessError) as failed:
            raise StackError(f"PostgreSQL did not start: {getattr(failed, 'stderr', '') or failed}") from None
        say(f"PostgreSQL: up (database {DATABASE}, user rudder; data in {self.postgres.data})")
        return self.postgres

    def _start_simulator(self, log: Path) -> None:
        self.remove_tls_dir = not self.tls_dir.exists()
        say(
            f"Gainsight simulator: starting on https://localhost:{SIMULATOR_PORT} "
            f"(TLS files in {self.tls_dir})"
        )
        command = [sys.executable, "-m", "gainsight_simulator", "--port", str(SIMULATOR_PORT)]
        command += ["--tls-dir", str(self.tls_dir)]
        child = self._spawn("the Gainsight simulator", command, log, 10, stdout=subprocess.PIPE, text=True)
        stdout = child.process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], 30)  # its one stdout line, once it listens
        line = stdout.readline() if ready else ""
        if not line.startswith("gainsight-simulator listening on "):
            raise self._failed(child, f"did not start (said {line!r})")

    def _start_service(self, log: Path) -> None:
        say(f"gainsight-transformer: starting on http://localhost:{SERVICE_PORT}")
        env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(SERVICE_PORT),
            "SSL_CERT_FILE": str(self.ca_file),
            "GAINSIGHT_HOST_ALLOWLIST": f"localhost:{SIMULATOR_PORT}",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "info"),
        }
        child = self._spawn(
            "gainsight-transformer", [sys.executable, "-m", "gainsight_transformer"], log, 35, env=env
        )
        self._wait(child, f"http://127.0.0.1:{SERVICE_PORT}/health", 60)

    def _wait(self, child: Child, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise self._failed(child, f"exited ({child.process.returncode})")
            if _get_json(url) is not None:
                return
            time.sleep(0.2)
        raise self._failed(child, f"did not answer {url} in {timeout:.0f} s")

    def _workspace(self) -> Path:
        """deploy/rudder-server/workspaceConfig.json with the Gainsight destinations' domain set to
        the simulator as this host reaches it (compose names its container)."""
        workspace = json.loads(WORKSPACE.read_text())
        for source in workspace["sources"]:
            for destination in source["destinations"]:
                if destination["destinationDefinition"]["name"] == "GAINSIGHT":
                    destination["config"]["domain"] = f"localhost:{SIMULATOR_PORT}"
        path = self.run_dir / "workspaceConfig.json"
        path.write_text(json.dumps(workspace, indent=2))
        return path

    def _start_rudder_server(self, binary: Path, database: harness.Postgres, log: Path) -> None:
        say(f"rudder-server: starting, gateway on http://localhost:{GATEWAY_PORT}")
        self.control_plane = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ControlPlane)
        tmp_dir = self.run_dir / "rs"
        tmp_dir.mkdir()
        env = harness.rudder_server_env(
            postgres=database,
            database=DATABASE,
            transformer_url=f"http://127.0.0.1:{SERVICE_PORT}",
            control_plane_url=f"http://127.0.0.1:{self.control_plane.server_port}",
            workspace_file=self._workspace(),
            gateway_port=GATEWAY_PORT,
            tmp_dir=tmp_dir,
            ca_file=self.ca_file,
            # Yours win: RSERVER_* in this script's environment reach rudder-server.
            extra={key: value for key, value in os.environ.items() if key.startswith("RSERVER_")},
        )
        process = harness.launch_rudder_server(
            binary, env, log, cwd=tmp_dir, preexec_fn=_child_setup, process_group=0
        )
        child = Child("rudder-server", process, log, 30)
        self.children.append(child)
        # Started after the last fork (a thread running during a fork could hold a lock the child needs).
        self.control_plane_thread = threading.Thread(target=self.control_plane.serve_forever, daemon=True)
        self.control_plane_thread.start()
        gateway = harness.Gateway(f"http://127.0.0.1:{GATEWAY_PORT}", self.write_key)
        try:
            harness.wait_for_gateway(process, gateway, log)
        except RuntimeError:
            raise self._failed(child, f"exited ({process.returncode})") from None
        except AssertionError:
            raise self._failed(child, "did not answer /health in 120 s") from None

    @property
    def write_key(self) -> str:
        return str(json.loads(WORKSPACE.read_text())["sources"][0]["writeKey"])

    def _announce(self, seconds: float, logs: Path) -> None:
        started = [child.name for child in self.children] + (["PostgreSQL"] if self.postgres else [])
        say(
            f"{READY} {seconds:.0f} s: gateway http://localhost:{GATEWAY_PORT}, write key {self.write_key}, "
            f"Gainsight simulator https://localhost:{SIMULATOR_PORT}/__admin/state"
        )
        say(
            f"  send events: curl -sS -u {self.write_key}: -H 'Content-Type: application/json' "
            f'localhost:{GATEWAY_PORT}/v1/identify -d \'{{"userId": "u1", "traits": '
            f'{{"email": "ada@example.com"}}}}\''
        )
        say(
            f"  see Gainsight's state: curl -sS --cacert {self.ca_file} https://localhost:{SIMULATOR_PORT}/__admin/state"
        )
        say(f"  gainsight-transformer: http://localhost:{SERVICE_PORT} (/health, /metrics)")
        if self.children:
            kept = f"kept in {self.log_dir}" if self.log_dir else "removed at the end; --log-dir keeps them"
            say(f"  logs: {', '.join(str(c.log) for c in self.children)} ({kept})")
        if started:
            say(f"Ctrl-C stops what this started ({', '.join(started)}) and removes its files")
        else:
            say("everything was already running; Ctrl-C ends this script and stops nothing")

    # -- run and stop -----------------------------------------------------------------------------

    def watch(self) -> None:
        """Until a signal (Interrupted) or one of the children exits (StackError)."""
        while True:
            for child in self.children:
                if child.process.poll() is not None:
                    raise self._failed(child, f"exited on its own ({child.process.returncode})")
            time.sleep(1)

    def stop(self) -> None:
        for child in reversed(self.children):
            _stop(child)
        if self.control_plane is not None:
            if self.control_plane_thread is not None:
                self.control_plane.shutdown()
            self.control_plane.server_close()
        if self.postgres is not None:
            say("stopping PostgreSQL")
            self.postgres.stop()
        if self.remove_tls_dir:
            shutil.rmtree(self.tls_dir, ignore_errors=True)
        if getattr(self, "run_dir", None) is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)


def _stop(child: Child) -> None:
    """SIGTERM to the child (the service stops its own workers), SIGKILL to its process group after
    its grace period, and whatever of the group is left once it has exited."""
    process, started = child.process, time.monotonic()
    if process.poll() is None:
        say(f"stopping {child.name}")
        process.terminate()
        try:
            process.wait(timeout=child.grace)
        except subprocess.TimeoutExpired:
            say(f"{child.name} still running after {child.grace:.0f} s: SIGKILL")
    for _ in range(50):  # the leader has exited; its group may still have members
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()
    if process.stdout is not None:
        process.stdout.close()
    say(f"stopped {child.name} ({time.monotonic() - started:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="examples/rudder-server/run.sh",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--tls-dir",
        type=Path,
        default=Path("/tmp/gs-certs"),
        help="the simulator's CA and certificate (as in the README's simulator section; removed at the "
        "end if this script made it) (default: %(default)s)",
    )
    parser.add_argument(
        "--postgres-url",
        help="use this PostgreSQL (postgres://USER:PASSWORD@HOST:PORT; the user creates rudder-server's role "
        f"and database {DATABASE} when missing) instead of starting one on port {POSTGRES_PORT}",
    )
    parser.add_argument("--log-dir", type=Path, help="write the logs here and keep them (default: removed)")
    args = parser.parse_args(argv)
    signals = Signals()
    stack = Stack(tls_dir=args.tls_dir.resolve(), postgres_url=args.postgres_url, log_dir=args.log_dir)
    code = 0
    try:
        stack.start()
        stack.watch()
    except Interrupted as received:
        say(f"{received}: stopping")
    except StackError as error:
        say(f"error: {error}")
        code = 1
    finally:
        signals.stopping = True
        stack.stop()
    say("stopped; nothing this started is left")
    return code


if __name__ == "__main__":
    sys.exit(main())
