"""The Dockerfile and docker-compose.yml pass static checks (no Docker engine runs here)."""

from __future__ import annotations

import json
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
    assert "compose restarts: transformer restart=unless-stopped stop_grace_period=30s" in result.stdout
    assert "rudder-server waits out 62s > 40s" in result.stdout


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


# --- Restarts: a recreated or crashed transformer, and the rudder-server pointed at it ---------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_duration_seconds(text: str) -> float:
    """A Go duration as Compose and rudder-server read it ("1m30s", "100ms"), in seconds."""
    assert text and not _DURATION_PART.sub("", text), f"not a Go duration: {text!r}"
    return sum(float(number) * _DURATION_UNITS[unit] for number, unit in _DURATION_PART.findall(text))


def rudder_env_name(key: str) -> str:
    """The environment variable rudder-server reads for a config key: rudder-go-kit v0.78.1's
    config.ConfigKeyToEnv (config/config_env.go), with its RSERVER prefix."""
    if all(ch == "_" or ch.isupper() or ch.isdigit() for ch in key):
        return key
    out = ["RSERVER_"]
    for i, ch in enumerate(key):
        if ch.isupper() and i > 0 and (key[i - 1].islower() or key[i - 1].isdigit()):
            out.append("_")
        elif ch == ".":
            ch = "_"
        out.append(ch.upper())
    return "".join(out)


def test_rudder_env_name_matches_the_go_implementation() -> None:
    # Pairs printed by rudder-go-kit's ConfigKeyToEnv itself (go run, module cache, GOPROXY=off).
    assert rudder_env_name("Processor.maxRetry") == "RSERVER_PROCESSOR_MAX_RETRY"
    assert rudder_env_name("Processor.retrySleep") == "RSERVER_PROCESSOR_RETRY_SLEEP"
    assert rudder_env_name("Processor.retrySleepInMS") == "RSERVER_PROCESSOR_RETRY_SLEEP_IN_MS"
    assert (
        rudder_env_name("Processor.DestinationTransformer.maxRetry")
        == "RSERVER_PROCESSOR_DESTINATION_TRANSFORMER_MAX_RETRY"
    )
    assert rudder_env_name("DEST_TRANSFORM_URL") == "DEST_TRANSFORM_URL"


def test_docs_spell_rudder_servers_settings_as_it_reads_them() -> None:
    text = (REPO / "docs" / "upstream.md").read_text()
    rows = re.findall(r"^\| `([A-Za-z.]+)`[^|]*\| `(RSERVER_[A-Z_]+)` \| `([^`]+)` \|", text, re.MULTILINE)
    assert {key for key, _, _ in rows} == {"Processor.retrySleep", "Processor.maxRetry"}
    for key, env, _ in rows:
        assert rudder_env_name(key) == env
    defaults = {key: default for key, _, default in rows}
    # router/transformer/transformer.go:264 and :268 in rudder-server v1.83.0.
    assert defaults == {"Processor.retrySleep": "100ms", "Processor.maxRetry": "30"}
    readme = (REPO / "README.md").read_text()
    for _, env, _ in rows:
        assert env in readme


def _router_window_seconds(env: dict[str, str]) -> float:
    """How long rudder-server's router keeps trying a transformer it cannot connect to:
    Processor.maxRetry + 1 attempts after the first, Processor.retrySleep apart (a bare number is
    milliseconds), then it panics."""
    retries = int(env.get(rudder_env_name("Processor.maxRetry"), 30))
    pause = str(env.get(rudder_env_name("Processor.retrySleep"), "100"))
    seconds = float(pause) / 1000 if pause.replace(".", "", 1).isdigit() else go_duration_seconds(pause)
    return (retries + 1) * seconds


def _dockerfile_healthcheck() -> list[str]:
    text = (REPO / "Dockerfile").read_text()
    match = re.search(r"^HEALTHCHECK [^\n]*\\\n\s*CMD (\[.*\])$", text, re.MULTILINE)
    assert match, "no exec-form HEALTHCHECK in the Dockerfile"
    command: list[str] = json.loads(match.group(1))
    return command


def test_compose_transformer_comes_back_and_is_not_killed_mid_request() -> None:
    transformer = compose_services()["transformer"]
    assert transformer["restart"] == "unless-stopped"
    # The image's own probe, so `up --wait` and depends_on mean what the HEALTHCHECK means.
    kind, *command = transformer["healthcheck"]["test"]
    assert kind == "CMD" and command == _dockerfile_healthcheck()
    settings = Settings(**transformer["environment"])
    assert "SHUTDOWN_TIMEOUT_SECONDS" in transformer["environment"]
    grace = go_duration_seconds(transformer["stop_grace_period"])
    assert grace > settings.shutdown_timeout_seconds > settings.group_deadline_seconds


def test_compose_rudder_server_waits_out_a_transformer_recreate() -> None:
    services = compose_services()
    rudder, transformer = services["rudder-server"], services["transformer"]
    assert urlsplit(rudder["environment"]["DEST_TRANSFORM_URL"]).hostname == "transformer"
    # The most a recreate can take: the old container's stop, then the new one's start period.
    gap = go_duration_seconds(transformer["stop_grace_period"]) + go_duration_seconds(
        transformer["healthcheck"]["start_period"]
    )
    assert _router_window_seconds({}) < 3.5  # rudder-server's default: about 3.1 s
    assert _router_window_seconds(rudder["environment"]) > gap
    assert rudder["restart"] == "unless-stopped"  # back after a panic all the same


def test_static_checks_refuse_a_transformer_killed_before_its_shutdown_timeout(tmp_path: Path) -> None:
    document = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    del document["services"]["transformer"]["stop_grace_period"]  # Docker's 10 s
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(document))
    result = static_checks(STATIC_CHECKS_COMPOSE_FILE=str(broken))
    assert result.returncode != 0
    assert "transformer: stop_grace_period (10s) does not outlast SHUTDOWN_TIMEOUT_SECONDS" in result.stderr


def test_static_checks_refuse_a_rudder_server_that_gives_up_during_a_recreate(tmp_path: Path) -> None:
    document = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    del document["services"]["rudder-server"]["environment"]["RSERVER_PROCESSOR_RETRY_SLEEP"]
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(document))
    result = static_checks(STATIC_CHECKS_COMPOSE_FILE=str(broken))
    assert result.returncode != 0
    assert "rudder-server: gives up on transformer after about 3.1s" in result.stderr


def _started_with(services: dict[str, Any], names: list[str]) -> set[str]:
    """What `docker compose up NAMES` starts: the names and, transitively, their depends_on."""
    started: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in started:
            started.add(name)
            todo.extend(services[name].get("depends_on") or {})
    return started


def test_readme_docker_section_says_what_up_starts() -> None:
    services = compose_services()
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Docker\n", 1)[1].split("\n## ", 1)[0]
    [command] = re.findall(r"^docker compose up -d --build --wait (.+)$", section, re.MULTILINE)
    started = _started_with(services, command.split())
    assert started == {"transformer", "gainsight-sim", "redis", "rudder-transformer"}
    sentence = section.split("That `up` starts", 1)[1].split("\n\n", 1)[0]
    assert sentence.startswith(" four containers, not two") and len(started) == 4
    for name in started:
        assert f"`{name}`" in sentence, name
    assert f"`{services['rudder-transformer']['image']}`" in sentence
    for name, service in services.items():
        if name not in started:
            assert service.get("profiles"), f"{name} would start with a plain `up`"
            assert f"`{name}`" in sentence, name
