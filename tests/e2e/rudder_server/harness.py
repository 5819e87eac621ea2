"""The real rudder-server, built from the Go module proxy, and the PostgreSQL it needs, as processes
of the tests, and of the local stack without Docker (examples/rudder-server/stack.py imports this
module, the one import from tests/ outside them). `go/` is our own Go module: a `main.go` that calls rudder-server's `runner` package,
the `replace` lines of rudder-server's go.mod, and stand-ins for the modules the proxy here refuses
(go/stubs/README.md)."""

from __future__ import annotations

import base64
import glob
import hashlib
import json
import os
import pwd
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx

GO_MODULE = Path(__file__).resolve().parent / "go"
RUDDER_SERVER_VERSION = "v1.83.0"
BUILD_TIMEOUT = 40 * 60
PROGRESS_SECONDS = 30.0
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gainsight-transformer"
# A module download that failed, told by the error's shape (whatever GOPROXY names): the network
# failed, or the proxy refused (`reading <proxy>/<module>/@v/<version>.zip: 403 Forbidden`).
DOWNLOAD_FAILURE = re.compile(
    r"dial tcp|no such host|i/o timeout|connection refused|connection reset by peer|TLS handshake timeout"
    r"|403 Forbidden|410 Gone|reading \S+/@v/\S+: "
)


class Unavailable(Exception):
    """A component the harness needs cannot be had on this machine (the tests skip, saying why)."""


def _source_key() -> str:
    digest = hashlib.sha256()
    for path in sorted(GO_MODULE.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(GO_MODULE)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


@dataclass
class _Build:
    """The `go` commands of one build, run in `go/` with their output read as it comes: a progress
    line through `log` every PROGRESS_SECONDS; each in a process group of its own, killed with it
    when the build is interrupted or takes longer than BUILD_TIMEOUT."""

    go: str
    log: Callable[[str], None]
    started: float = field(default_factory=time.monotonic)
    downloaded: int = 0  # `go: downloading <module> <version>` lines
    compiled: int = 0  # package lines of `go build -v`
    total: int = 0  # packages `go list -deps` counts (all of them are compiled on a cold cache)
    errors: list[str] = field(default_factory=list)

    def progress(self) -> str:
        done = f"{_minutes(time.monotonic() - self.started)} so far, {self.downloaded} modules downloaded"
        if self.total:
            done += f", {self.compiled} of ~{self.total} packages compiled"
        return done

    def run(self, *args: str, compiling: bool = False) -> list[str]:
        """`go args...`; its stdout's lines. `compiling`: stderr's bare lines are packages built."""
        process = subprocess.Popen(
            [self.go, *args],
            cwd=GO_MODULE,
            env={**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            process_group=0,
        )
        lines: queue.Queue[tuple[str, str | None]] = queue.Queue()

        def pump(name: str, stream: IO[str]) -> None:
            for line in stream:
                lines.put((name, line.rstrip("\n")))
            lines.put((name, None))

        readers = [
            threading.Thread(target=pump, args=(name, stream), daemon=True)
            for name, stream in (("out", process.stdout), ("err", process.stderr))
        ]
        for reader in readers:
            reader.start()
        out: list[str] = []
        streams, next_progress = len(readers), time.monotonic() + PROGRESS_SECONDS
        try:
            while streams:
                now = time.monotonic()
                if now - self.started > BUILD_TIMEOUT:
                    raise RuntimeError(
                        f"the build of rudder-server took over {_minutes(BUILD_TIMEOUT)}: stopped"
                    )
                if now >= next_progress:
                    self.log(f"building rudder-server: {self.progress()}")
                    next_progress = now + PROGRESS_SECONDS
                try:
                    name, line = lines.get(timeout=min(1.0, PROGRESS_SECONDS))
                except queue.Empty:
                    continue
                if line is None:
                    streams -= 1
                elif name == "out":
                    out.append(line)
                elif line.startswith("go: downloading "):
                    self.downloaded += 1
                elif compiling and line and not line.startswith("#") and " " not in line and ":" not in line:
                    self.compiled += 1
                else:
                    self.errors.append(line)
            process.wait()
        except BaseException:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
            raise
        finally:
            for reader in readers:
                reader.join(timeout=5)
        if process.returncode != 0:
            tail = "\n".join(self.errors[-15:])
            if DOWNLOAD_FAILURE.search("\n".join(self.errors)):
                raise Unavailable(f"rudder-server's modules could not be downloaded:\n{tail}")
            raise RuntimeError(f"go {args[0]} of rudder-server failed:\n{tail}")
        return out


def rudder_server_binary(log: Callable[[str], None] = print) -> Path:
    """The rudder-server binary for `go/`, built once per source state and kept in ~/.cache;
    or RUDDER_SERVER_BINARY (CI takes it from the official image). A build says how far it has got
    through `log` every PROGRESS_SECONDS."""
    given = os.environ.get("RUDDER_SERVER_BINARY")
    if given:
        return Path(given)
    binary = CACHE / f"rudder-server-{RUDDER_SERVER_VERSION}-{_source_key()}" / "rudder-server"
    if binary.exists():
        return binary
    go = shutil.which("go")
    if go is None:
        raise Unavailable("Go is not installed (the `go` command builds rudder-server from the module proxy)")
    binary.parent.mkdir(parents=True, exist_ok=True)
    partial = binary.with_name(f"rudder-server.partial-{os.getpid()}")
    log(
        f"building rudder-server {RUDDER_SERVER_VERSION} into {binary.parent} (once: 5 to 12 min on 2 "
        "cores, plus a minute or two to download its modules the first time)"
    )
    build = _Build(go, log)
    try:
        build.total = len(build.run("list", "-deps", "."))  # downloads the modules it lacks
        log(f"building rudder-server: {build.progress()}; compiling")
        build.run("build", "-v", "-ldflags=-s -w", "-o", str(partial), ".", compiling=True)
        partial.rename(binary)
    finally:
        partial.unlink(missing_ok=True)
    log(f"built rudder-server in {_minutes(time.monotonic() - build.started)}: {binary}")
    return binary


def postgres_bin() -> Path:
    """The directory of PostgreSQL's server programs (initdb, pg_ctl, postgres)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
        return Path(candidate).parent
    raise Unavailable(
        "PostgreSQL server programs (initdb, pg_ctl) are not installed: apt-get install postgresql "
        "(tests/e2e/rudder_server/setup.sh does it)"
    )


@dataclass
class Postgres:
    """A throw-away cluster on a loopback port (trust authentication), or a server already running
    (RUDDER_E2E_POSTGRES_URL, CI's service container; or one the local stack reuses)."""

    port: int
    data: Path | None
    bin: Path | None
    user: str | None  # the OS user that runs it (postgres refuses to run as root)
    host: str = "127.0.0.1"
    superuser: str = "postgres"
    password: str = ""
    log: Path | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.data is not None:
            self.log = self.data.parent / "postgres.log"

    @classmethod
    def external(cls, url: str) -> Postgres:
        parts = urlsplit(url)
        return cls(
            port=parts.port or 5432,
            data=None,
            bin=None,
            user=None,
            host=parts.hostname or "127.0.0.1",
            superuser=parts.username or "postgres",
            password=parts.password or "",
        )

    def _as_owner(self, *command: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *command] if self.user else list(command)

    @classmethod
    def start(cls, port: int, prefix: str = "rudder-e2e-pg-") -> Postgres:
        """A new cluster in a new directory under the temporary directory (`prefix`...), listening
        on 127.0.0.1:`port`; as the `postgres` user when we are root. Nothing is left behind when
        it fails or is interrupted."""
        bin_dir = postgres_bin()
        user = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable(
                    "running as root and there is no `postgres` user to run PostgreSQL"
                ) from None
            user = "postgres"
        root = Path(tempfile.mkdtemp(prefix=prefix))
        root.chmod(0o755)
        data = root / "data"
        server = cls(port=port, data=data, bin=bin_dir, user=user)
        try:
            data.mkdir(mode=0o700)
            if user:
                shutil.chown(root, user)
                shutil.chown(data, user)
            server._run(
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-locale",
                "-E",
                "UTF8",
            )
            options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off"
            server._run(
                str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(server.log), "-o", options, "-w", "start"
            )
        except BaseException:
            server.stop()
            raise
        return server

    def _run(self, *command: str) -> None:
        done = subprocess.run(self._as_owner(*command), capture_output=True, text=True)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log and self.log.exists() else ""
            raise RuntimeError(
                f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr.strip()}\n{log[-2000:]}"
            )

    def stop(self) -> None:
        if self.data is None or self.bin is None:
            return  # not ours to stop
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                self._as_owner(
                    str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"
                ),
                capture_output=True,
            )
        shutil.rmtree(self.data.parent, ignore_errors=True)

    def sql(self, statement: str, database: str = "postgres") -> list[list[str]]:
        psql = shutil.which("psql") or str((self.bin or Path("/usr/bin")) / "psql")
        result = subprocess.run(
            [
                psql,
                "-w",  # never ask for a password on the terminal
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                self.superuser,
                "-d",
                database,
                "-AtF",
                "\t",
                "-c",
                statement,
            ],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PGPASSWORD": self.password, "PGCONNECT_TIMEOUT": "5"},
        )
        return [line.split("\t") for line in result.stdout.splitlines() if line]

    def new_database(self, name: str, *, exist_ok: bool = False) -> str:
        """Database `name` owned by the role rudder-server logs in as (rudder, password `password`,
        as in the compose file), both made when missing; an existing database is an error unless
        `exist_ok`."""
        self.sql(
            "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rudder') THEN CREATE ROLE rudder LOGIN PASSWORD 'password' SUPERUSER; END IF; END$$"
        )
        if not (exist_ok and self.sql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")):
            self.sql(f"CREATE DATABASE {name} OWNER rudder")
        return name


def rudder_server_env(
    *,
    postgres: Postgres,
    database: str,
    transformer_url: str,
    control_plane_url: str,
    workspace_file: Path,
    gateway_port: int,
    tmp_dir: Path,
    ca_file: Path,
    extra: dict[str, str],
) -> dict[str, str]:
    """rudder-server's environment: every variable set for a reason, nothing that phones home."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_dir),
        # Its one required service: the jobs database.
        "JOBS_DB_HOST": postgres.host,
        "JOBS_DB_PORT": str(postgres.port),
        "JOBS_DB_USER": "rudder",
        "JOBS_DB_PASSWORD": "password",
        "JOBS_DB_DB_NAME": database,
        "JOBS_DB_SSL_MODE": "disable",
        # Every transformer call goes to this service (which forwards what is not Gainsight's).
        "DEST_TRANSFORM_URL": transformer_url,
        # The workspace comes from a file: no workspace token, no control plane to fetch it from.
        "RSERVER_BACKEND_CONFIG_CONFIG_FROM_FILE": "true",
        "RSERVER_BACKEND_CONFIG_CONFIG_JSONPATH": str(workspace_file),
        # At start-up it POSTs its features to the control plane and cannot be told not to; this
        # stand-in answers 204 (else it logs an error for api.rudderstack.com every start).
        "CONFIG_BACKEND_URL": control_plane_url,
        "RSERVER_GATEWAY_WEB_PORT": str(gateway_port),
        "RUDDER_TMPDIR": str(tmp_dir),
        # A config file that does not exist: the built-in defaults, on purpose.
        "CONFIG_PATH": str(tmp_dir / "no-config.yaml"),
        # Off: the embedded warehouse service (not needed, and it would start more work).
        "RSERVER_WAREHOUSE_MODE": "off",
        # Off: the statsd/otel exporter.
        "RSERVER_ENABLE_STATS": "false",
        # Off: usage diagnostics sent to rudderstack-dataplane.rudderstack.com.
        "RSERVER_DIAGNOSTICS_ENABLE_DIAGNOSTICS": "false",
        # Off: the pprof listener on *:7777 (a fixed port, open on every interface).
        "RSERVER_PROFILER_ENABLED": "false",
        # Off: uploads of job archives and backups to object storage.
        "RSERVER_ARCHIVAL_ENABLED": "false",
        "RSERVER_JOBS_DB_BACKUP_ENABLED": "false",
        # Off: reporting, suppression and debugger uploads to the control plane.
        "RSERVER_REPORTING_SYNCER_ENABLED": "false",
        "RSERVER_GATEWAY_ENABLE_SUPPRESS_USER_FEATURE": "false",
        "RSERVER_DESTINATION_DEBUGGER_DISABLE_EVENT_DELIVERY_STATUS_UPLOADS": "true",
        "RSERVER_SOURCE_DEBUGGER_DISABLE_EVENT_UPLOADS": "true",
        "RSERVER_TRANSFORMATION_DEBUGGER_DISABLE_TRANSFORMATION_STATUS_UPLOADS": "true",
        # Deliveries to the Gainsight simulator go over HTTPS with its own CA.
        "SSL_CERT_FILE": str(ca_file),
        # Test pace: the router flushes a batch after 1 s (not 5) and retries after 1-2 s (not
        # 10-300 s), so a fault run ends in seconds.
        "RSERVER_ROUTER_JOBS_BATCH_TIMEOUT": "1s",
        "RSERVER_ROUTER_MIN_RETRY_BACKOFF": "1s",
        "RSERVER_ROUTER_MAX_RETRY_BACKOFF": "2s",
        "LOG_LEVEL": "INFO",
        **extra,
    }


def launch_rudder_server(
    binary: Path, env: dict[str, str], log_file: Path, cwd: Path, **popen: Any
) -> subprocess.Popen[bytes]:
    """rudder-server with `env` (rudder_server_env), its output in `log_file`; `popen`: more
    subprocess.Popen arguments. Wait for it with wait_for_gateway."""
    with log_file.open("wb") as log:
        return subprocess.Popen(
            [str(binary)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, **popen
        )


def wait_for_gateway(
    process: subprocess.Popen[Any], gateway: Gateway, log_file: Path, timeout: float = 120
) -> None:
    """Until the gateway's /health answers 200; RuntimeError with the log's last lines if
    rudder-server exits first, AssertionError if it takes longer than `timeout`."""

    def up() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"rudder-server exited ({process.returncode}):\n{log_tail(log_file)}")
        return gateway.health()

    eventually(up, timeout, "rudder-server's gateway /health")


def log_tail(path: Path | None, lines: int = 40) -> str:
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def workspace(write_key: str, destinations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "workspaceId": "ws-e2e",
        "sources": [
            {
                "id": "src-e2e",
                "name": "e2e http source",
                "writeKey": write_key,
                "enabled": True,
                "workspaceId": "ws-e2e",
                "sourceDefinition": {"id": "sd-http", "name": "HTTP", "category": "", "type": "cloud"},
                "destinations": destinations,
            }
        ],
    }


def destination(dest_id: str, definition: str, config: dict[str, Any], transform_at: str) -> dict[str, Any]:
    return {
        "id": dest_id,
        "name": f"e2e {definition.lower()}",
        "enabled": True,
        "workspaceId": "ws-e2e",
        "isProcessorEnabled": True,
        "transformations": [],
        "config": config,
        "destinationDefinition": {
            "id": f"dd-{definition.lower()}",
            "name": definition,
            "displayName": definition.title(),
            "config": {
                "transformAtV1": transform_at,
                "saveDestinationResponse": True,
                "supportedMessageTypes": ["group", "identify", "track"],
            },
        },
    }


@dataclass
class Gateway:
    url: str
    write_key: str

    def _auth(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.write_key}:".encode()).decode()
        return {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

    def send(self, kind: str, message: dict[str, Any]) -> None:
        """One event the way an SDK sends it: `POST /v1/<type>` or `/v1/batch`, write key as Basic auth."""
        response = httpx.post(
            f"{self.url}/v1/{kind}", content=json.dumps(message), headers=self._auth(), timeout=30
        )
        assert response.status_code == 200, (kind, response.status_code, response.text)

    def health(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


def batches(messages: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(messages), size):
        yield messages[start : start + size]


def job_states(postgres: Postgres, database: str, prefix: str) -> dict[str, int]:
    """Latest state of every job of a jobsdb (`rt` router, `proc_error` ...): state -> count;
    jobs without a status yet count as `unprocessed`."""
    tables = [
        row[0]
        for row in postgres.sql(
            f"SELECT tablename FROM pg_tables WHERE tablename ~ '^{prefix}_jobs_[0-9]+$'", database
        )
    ]
    states: dict[str, int] = {}
    for jobs in tables:
        status = jobs.replace("_jobs_", "_job_status_")
        rows = postgres.sql(
            f"SELECT coalesce(s.job_state, 'unprocessed'), count(*) FROM {jobs} j LEFT JOIN LATERAL "
            f"(SELECT job_state FROM {status} WHERE job_id = j.job_id ORDER BY id DESC LIMIT 1) s ON true "
            "GROUP BY 1",
            database,
        )
        for state, count in rows:
            states[state] = states.get(state, 0) + int(count)
    return states


def job_count(postgres: Postgres, database: str, prefix: str) -> int:
    tables = [
        row[0]
        for row in postgres.sql(
            f"SELECT tablename FROM pg_tables WHERE tablename ~ '^{prefix}_jobs_[0-9]+$'", database
        )
    ]
    return sum(int(postgres.sql(f"SELECT count(*) FROM {t}", database)[0][0]) for t in tables)


def eventually(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what}: not reached in {timeout:.0f} s (last: {last!r})")
