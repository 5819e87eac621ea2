"""The Dockerfile and docker-compose.yml pass static checks (no Docker engine runs here)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from gainsight_transformer.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def static_checks(**extra_env: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, **extra_env)
    if sys.prefix != sys.base_prefix:  # install the checkers into the venv running the tests
        env["STATIC_CHECKS_VENV"] = sys.prefix
    return subprocess.run(
        ["bash", str(REPO / ".ci" / "static-checks")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def compose_services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    return services


def test_dockerfile_and_compose_file_pass_static_checks() -> None:
    result = static_checks()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hadolint" in result.stdout
    assert "compose wiring: transformer -> redis:6379" in result.stdout


def test_compose_forwards_to_a_pinned_rudder_transformer() -> None:
    services = compose_services()
    upstream = services["transformer"]["environment"]["UPSTREAM_TRANSFORMER_URL"]
    host, port = upstream.removeprefix("http://").split(":")
    assert host in services and port in services[host]["expose"]
    image, tag = services[host]["image"].split(":")
    assert image == "rudderstack/rudder-transformer"
    assert tag[0].isdigit(), "pin a release tag, not latest"
    assert services["transformer"]["depends_on"][host]["condition"] == "service_started"


def test_compose_rudder_profile_wires_rudder_server_to_this_service_and_the_simulator() -> None:
    import json

    services = compose_services()
    rudder = services["rudder-server"]
    assert rudder["profiles"] == ["rudder"] and services["rudder-db"]["profiles"] == ["rudder"]
    env = rudder["environment"]
    assert env["DEST_TRANSFORM_URL"] == "http://transformer:9090"
    assert env["JOBS_DB_HOST"] == "rudder-db"
    assert (
        rudder["image"].split(":")[1][0].isdigit()
        and services["rudder-db"]["image"].split(":")[1][0].isdigit()
    )
    mount = next(v for v in rudder["volumes"] if v.endswith(":/etc/rudderstack/workspaceConfig.json:ro"))
    workspace = json.loads((REPO / mount.split(":")[0]).read_text())
    [source] = workspace["sources"]
    [gainsight] = source["destinations"]
    assert gainsight["destinationDefinition"]["name"] == "GAINSIGHT"
    assert gainsight["config"]["domain"] == services["transformer"]["environment"]["GAINSIGHT_HOST_ALLOWLIST"]
    assert env["SSL_CERT_FILE"] == services["transformer"]["environment"]["SSL_CERT_FILE"]


def test_compose_transformer_shares_its_company_store_through_a_healthy_redis() -> None:
    services = compose_services()
    transformer, redis = services["transformer"], services["redis"]
    env = transformer["environment"]
    settings = Settings(**env)  # what the service would start with (REDIS_URL and lock TTL checked)
    assert settings.redis_url == env["REDIS_URL"]
    url = urlsplit(env["REDIS_URL"])
    assert url.scheme == "redis" and url.hostname == "redis"
    assert str(url.port) in redis["expose"]
    assert transformer["depends_on"]["redis"]["condition"] == "service_healthy"
    # The official image, major version 7, nothing kept on disk (the locks are worthless after a
    # restart, and the cache refills).
    image, tag = redis["image"].split(":")
    assert image == "redis" and tag.split(".")[0] == "7"
    command = redis["command"]
    assert command[0] == "redis-server"
    assert command[command.index("--save") + 1] == ""
    assert command[command.index("--appendonly") + 1] == "no"
    # Healthy once it answers PING and has been up as long as the transformer's lock expiry: before,
    # the transformer hands out no lock, and the compose smoke run's group events would be retried.
    kind, test = redis["healthcheck"]["test"]
    assert kind == "CMD-SHELL" and "redis-cli ping | grep -q PONG" in test
    [uptime] = re.findall(r"up >= (\d+)", test)
    assert "uptime_in_seconds" in test and float(uptime) == settings.company_lock_ttl_seconds
    assert redis["restart"] == "unless-stopped"


def test_static_checks_refuse_a_redis_the_transformer_does_not_wait_for(tmp_path: Path) -> None:
    document = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    document["services"]["transformer"]["depends_on"]["redis"]["condition"] = "service_started"
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(document))
    result = static_checks(STATIC_CHECKS_COMPOSE_FILE=str(broken))
    assert result.returncode != 0
    assert "transformer: does not wait for redis" in result.stderr
