"""The Dockerfile and docker-compose.yml pass static checks (no Docker engine runs here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_dockerfile_and_compose_file_pass_static_checks() -> None:
    env = dict(os.environ)
    if sys.prefix != sys.base_prefix:  # install the checkers into the venv running the tests
        env["STATIC_CHECKS_VENV"] = sys.prefix
    result = subprocess.run(
        ["bash", str(REPO / ".ci" / "static-checks")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hadolint" in result.stdout


def test_compose_forwards_to_a_pinned_rudder_transformer() -> None:
    import yaml

    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    upstream = services["transformer"]["environment"]["UPSTREAM_TRANSFORMER_URL"]
    host, port = upstream.removeprefix("http://").split(":")
    assert host in services and port in services[host]["expose"]
    image, tag = services[host]["image"].split(":")
    assert image == "rudderstack/rudder-transformer"
    assert tag[0].isdigit(), "pin a release tag, not latest"
    assert services["transformer"]["depends_on"][host]["condition"] == "service_started"


def test_compose_rudder_profile_wires_rudder_server_to_this_service_and_the_simulator() -> None:
    import json

    import yaml

    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
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
