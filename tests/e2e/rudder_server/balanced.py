"""Several instances of this service behind a load balancer (Debian's haproxy), as one run's
transformer: what rudder-server is given is the balancer's URL, and each request goes to the next
instance in turn (`balance roundrobin`, HTTP mode, so per request, not per connection)."""

from __future__ import annotations

import csv
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from support.processes import free_port, start_service, stop

from .conftest import Stack
from .harness import eventually

HAPROXY_MISSING = (
    "haproxy is not installed (Debian package haproxy; tests/e2e/rudder_server/setup.sh installs it)"
)


def haproxy_program() -> str | None:
    return shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)


HAPROXY_CONFIG = """\
global
    maxconn 4096

defaults
    mode http
    timeout connect 5s
    # rudder-server waits up to 600 s for its transformer; the balancer must not give up first.
    timeout client 700s
    timeout server 700s

frontend transformer
    bind 127.0.0.1:{port}
    default_backend instances

backend instances
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
    default-server check inter 1s fall 2 rise 1
{servers}

frontend stats
    bind 127.0.0.1:{stats_port}
    stats enable
    stats uri /stats
"""


@dataclass
class HAProxy:
    """haproxy in the foreground (`-db`) with a config file of its own in `directory`."""

    process: subprocess.Popen[bytes]
    url: str
    stats_url: str
    log: Path

    @classmethod
    def start(cls, program: str, directory: Path, backends: list[str]) -> HAProxy:
        directory.mkdir(parents=True, exist_ok=True)
        port, stats_port = free_port(), free_port()
        servers = "\n".join(
            f"    server instance{number} {url.removeprefix('http://')}"
            for number, url in enumerate(backends, start=1)
        )
        config = directory / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(port=port, stats_port=stats_port, servers=servers))
        checked = subprocess.run([program, "-c", "-f", str(config)], capture_output=True, text=True)
        if checked.returncode != 0:
            raise RuntimeError(f"haproxy refused its config:\n{checked.stdout}{checked.stderr}")
        log = directory / "haproxy.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [program, "-db", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT
            )
        balancer = cls(
            process=process,
            url=f"http://127.0.0.1:{port}",
            stats_url=f"http://127.0.0.1:{stats_port}/stats;csv",
            log=log,
        )
        try:
            eventually(balancer._all_up, 20, "haproxy up with every instance passing its /health check")
        except BaseException:
            stop(process)
            raise
        return balancer

    def servers(self) -> dict[str, dict[str, str]]:
        """The backend's servers as haproxy's CSV statistics give them: name -> column -> value
        (`status`, `req_tot` requests sent to it, `hrsp_2xx` ...)."""
        text = httpx.get(self.stats_url, timeout=5).text.removeprefix("# ")
        rows = csv.DictReader(text.splitlines())
        return {
            row["svname"]: row
            for row in rows
            if row["pxname"] == "instances" and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def _all_up(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"haproxy exited ({self.process.returncode}):\n{self.log.read_text()}")
        try:
            servers = self.servers()
            through = httpx.get(f"{self.url}/health", timeout=2).status_code
        except httpx.HTTPError:
            return False
        return bool(servers) and all(s["status"] == "UP" for s in servers.values()) and through == 200


@dataclass
class BalancedStack(Stack):
    """A run whose transformer is `instances` copies of this service (same environment, each
    with its own log) behind haproxy; `service_url` is the balancer's."""

    instances: int = 2
    haproxy_program: str = "haproxy"
    balancer: HAProxy | None = None
    instance_urls: list[str] = field(default_factory=list)
    instance_logs: list[Path] = field(default_factory=list)

    def _start_transformer(self) -> None:
        env = self._instance_env()
        for number in range(1, self.instances + 1):
            log = self.root / f"service-{number}.log"
            url, process = start_service(log, **env)
            self._processes.append(process)
            self.instance_urls.append(url)
            self.instance_logs.append(log)
        self.balancer = HAProxy.start(self.haproxy_program, self.root / "haproxy", self.instance_urls)
        self._processes.append(self.balancer.process)
        self.service_url = self.balancer.url
