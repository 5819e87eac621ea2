"""Fixtures of the rudder-server end-to-end runs: PostgreSQL, the rudder-server binary, and a
`Stack` per run (recording upstream, Gainsight simulator, this service, rudder-server)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from support.live import live_line
from support.processes import (
    RecordingUpstream,
    Simulator,
    free_port,
    start_recording_upstream,
    start_service,
    start_simulator,
    stop,
)

from .harness import (
    Gateway,
    Postgres,
    Unavailable,
    destination,
    launch_rudder_server,
    log_tail,
    rudder_server_binary,
    rudder_server_env,
    wait_for_gateway,
    workspace,
)

WRITE_KEY = "e2e-write-key"
ACCESS_KEY = "e2e-access-key"
SUMMARY: dict[str, dict[str, int]] = {}
"""Per run: sent, delivered, lost, duplicated (printed at the end of the session)."""
MEASURED: dict[str, str] = {}
"""Findings a run reports rather than asserts (printed at the end too)."""


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for name, finding in MEASURED.items():
        terminalreporter.write_line(f"rudder-server e2e, measured: {name}: {finding}")
    if not SUMMARY:
        return
    totals = {
        key: sum(run[key] for run in SUMMARY.values()) for key in ("sent", "delivered", "lost", "duplicated")
    }
    terminalreporter.write_line(
        f"rudder-server e2e: {totals['sent']} sent, {totals['delivered']} delivered, {totals['lost']} lost, "
        f"{totals['duplicated']} duplicated ({', '.join(SUMMARY)})"
    )


@pytest.fixture(scope="session")
def rudder_binary(pytestconfig: pytest.Config) -> Path:
    try:  # the build's progress goes to the terminal live, past pytest's capture
        return rudder_server_binary(log=live_line(pytestconfig, "rudder-server e2e"))
    except Unavailable as missing:
        pytest.skip(f"rudder-server e2e: {missing}")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    external = os.environ.get("RUDDER_E2E_POSTGRES_URL")
    if external:
        yield Postgres.external(external)
        return
    try:
        server = Postgres.start(free_port())
    except Unavailable as missing:
        pytest.skip(f"rudder-server e2e: {missing}")
    try:
        yield server
    finally:
        server.stop()


def gainsight_config(domain: str) -> dict[str, Any]:
    return {
        "domain": domain,
        "accessKey": ACCESS_KEY,
        "sharedSecret": "e2e-shared-secret",
        "tenantId": "e2e-tenant",
        "topicName": "Support Tickets",
        "personMap": [{"from": "plan", "to": "Plan__gc"}],
        "companyMap": [{"from": "region", "to": "Region__gc"}],
        "eventNameMap": [{"from": "Ticket Resolved", "to": "Ticket Resolved Event"}],
        "eventVersionMap": [{"from": "Ticket Resolved", "to": "1.0.0"}],
    }


@dataclass
class Stack:
    """One run's processes; `start` brings them up in dependency order, `stop` takes them down."""

    name: str
    root: Path
    postgres: Postgres
    binary: Path
    transform_at: str = "router"
    compacted: bool = True
    service_env: dict[str, str] = field(default_factory=dict)
    upstream: RecordingUpstream | None = None
    simulator: Simulator | None = None
    service_url: str = ""
    service_log: Path | None = None
    rudder_log: Path | None = None
    database: str = ""
    gateway: Gateway | None = None
    _processes: list[subprocess.Popen] = field(default_factory=list)
    _scratch: list[Path] = field(default_factory=list)

    def start(self) -> Stack:
        self.upstream = start_recording_upstream()
        self._processes.append(self.upstream.process)
        features = {"supportDestTransformCompactedPayloadV1": self.compacted}
        self.upstream.control(transform=True, features={**_UPSTREAM_FEATURES, **features})
        self.simulator, process = start_simulator(self.root / "tls", "--rate-limit", "0")
        self._processes.append(process)
        self._start_transformer()
        self._start_rudder_server()
        return self

    def _instance_env(self) -> dict[str, str]:
        """The environment of this service (of each instance of it, in a balanced run)."""
        assert self.upstream is not None and self.simulator is not None
        return {
            "UPSTREAM_TRANSFORMER_URL": self.upstream.url,
            "SSL_CERT_FILE": str(self.simulator.ca_file),
            "GAINSIGHT_HOST_ALLOWLIST": self.simulator.domain,
            "LOG_LEVEL": "info",
            **self.service_env,
        }

    def _start_transformer(self) -> None:
        """This service, at `service_url`: the URL rudder-server is given."""
        self.service_log = self.root / "service.log"
        self.service_url, process = start_service(self.service_log, **self._instance_env())
        self._processes.append(process)

    def _start_rudder_server(self) -> None:
        assert self.upstream is not None and self.simulator is not None
        self.database = self.postgres.new_database(f"jobsdb_{self.name}")
        workspace_file = self.root / "workspaceConfig.json"
        destinations = [
            destination("gainsight-e2e", "GAINSIGHT", gainsight_config(self.simulator.domain), "router"),
            destination(
                "webhook-e2e",
                "WEBHOOK",
                {"webhookUrl": f"{self.upstream.url}/hook", "webhookMethod": "POST"},
                "processor",
            ),
        ]
        workspace_file.write_text(json.dumps(workspace(WRITE_KEY, destinations)))
        gateway_port = free_port()
        # Short: rudder-server puts its admin socket here, and socket paths are limited to 107 bytes.
        tmp_dir = Path(tempfile.mkdtemp(prefix="rs-"))
        self._scratch.append(tmp_dir)
        extra = {}
        if self.transform_at == "processor":
            # Gainsight's definition says "router"; this makes the processor call
            # /v0/destinations/gainsight instead (RUDDER_SERVER.md §6.1).
            extra["RSERVER_PROCESSOR_GAINSIGHT_TRANSFORM_AT"] = "processor"
        env = rudder_server_env(
            postgres=self.postgres,
            database=self.database,
            transformer_url=self.service_url,
            control_plane_url=self.upstream.url,
            workspace_file=workspace_file,
            gateway_port=gateway_port,
            tmp_dir=tmp_dir,
            ca_file=self.simulator.ca_file,
            extra=extra,
        )
        self.rudder_log = self.root / "rudder-server.log"
        process = launch_rudder_server(self.binary, env, self.rudder_log, cwd=tmp_dir)
        self._processes.append(process)
        self.gateway = Gateway(f"http://127.0.0.1:{gateway_port}", WRITE_KEY)
        wait_for_gateway(process, self.gateway, self.rudder_log)

    def rudder_tail(self, lines: int = 40) -> str:
        return log_tail(self.rudder_log, lines)

    def stop(self) -> None:
        for process in reversed(self._processes):
            stop(process)
        for path in self._scratch:
            shutil.rmtree(path, ignore_errors=True)


_UPSTREAM_FEATURES = {
    "routerTransform": {"MARKETO": True, "HS": True},
    "regulations": ["AM"],
    "supportSourceTransformV1": True,
    "upgradedToSourceTransformV2": True,
    "supportTransformerProxyV1": True,
    "supportDestTransformCompactedPayloadV1": True,
}


@pytest.fixture
def stack(tmp_path: Path, postgres: Postgres, rudder_binary: Path) -> Iterator[Any]:
    """`stack(name, kind=Stack, **options)` starts a run's processes (`kind`: a Stack subclass,
    such as balanced.BalancedStack); all stop when the test ends."""
    stacks: list[Stack] = []

    def start(name: str, kind: type[Stack] = Stack, **options: Any) -> Stack:
        root = tmp_path / name
        root.mkdir()
        run = kind(name=name, root=root, postgres=postgres, binary=rudder_binary, **options)
        stacks.append(run)
        return run.start()

    yield start
    for run in stacks:
        print(
            f"--- last lines of rudder-server's log ({run.name}) ---\n{run.rudder_tail(60)}"
        )  # shown on failure
        run.stop()
