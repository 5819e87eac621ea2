"""deploy/kubernetes/redis/ holds together with the transformer's manifests: the address, the
labels, the network policies, and a Redis that keeps nothing and evicts no lock."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from gainsight_transformer.settings import Settings

from .manifests import (
    REDIS_DIR,
    cpu_cores,
    env_of,
    matches,
    memory_bytes,
    objects_by_kind,
    pod_spec,
    port_number,
    the_container,
)

REDIS_PORT = 6379


@pytest.fixture(scope="module")
def redis_objects() -> dict[str, dict[str, Any]]:
    return objects_by_kind(REDIS_DIR)


@pytest.fixture(scope="module")
def transformer_objects() -> dict[str, dict[str, Any]]:
    return objects_by_kind()


@pytest.fixture(scope="module")
def redis(redis_objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return the_container(redis_objects["Deployment"])


@pytest.fixture(scope="module")
def transformer_env(transformer_objects: dict[str, dict[str, Any]]) -> dict[str, str]:
    return env_of(the_container(transformer_objects["Deployment"]))


def pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = deployment["spec"]["template"]["metadata"]["labels"]
    return labels


def test_folder_holds_a_deployment_a_service_and_a_network_policy(
    redis_objects: dict[str, dict[str, Any]],
) -> None:
    assert {kind: obj["apiVersion"] for kind, obj in redis_objects.items()} == {
        "Deployment": "apps/v1",
        "Service": "v1",
        "NetworkPolicy": "networking.k8s.io/v1",
    }


def test_the_transformers_redis_url_is_this_service(
    redis_objects: dict[str, dict[str, Any]], redis: dict[str, Any], transformer_env: dict[str, str]
) -> None:
    settings = Settings(**transformer_env)  # a bad scheme, or a lock TTL too short, would raise here
    assert settings.redis_url is not None
    url = urlsplit(settings.redis_url)
    service = redis_objects["Service"]
    assert url.scheme == "redis"
    assert url.hostname == service["metadata"]["name"]  # same namespace: the short name resolves
    [port] = service["spec"]["ports"]
    assert url.port == port["port"]
    assert port_number(redis, port["targetPort"]) == REDIS_PORT
    assert matches(service["spec"]["selector"], pod_labels(redis_objects["Deployment"]))
    assert settings.company_lock_ttl_seconds > settings.group_deadline_seconds


def test_redis_pods_and_transformer_pods_never_select_each_other(
    redis_objects: dict[str, dict[str, Any]], transformer_objects: dict[str, dict[str, Any]]
) -> None:
    redis_deployment, transformer = redis_objects["Deployment"], transformer_objects["Deployment"]
    transformer_selectors = [
        transformer["spec"]["selector"]["matchLabels"],
        transformer_objects["Service"]["spec"]["selector"],
        transformer_objects["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
        transformer_objects["NetworkPolicy"]["spec"]["podSelector"]["matchLabels"],
        *(c["labelSelector"]["matchLabels"] for c in pod_spec(transformer)["topologySpreadConstraints"]),
    ]
    for selector in transformer_selectors:
        assert not matches(selector, pod_labels(redis_deployment)), selector
    redis_selectors = [
        redis_deployment["spec"]["selector"]["matchLabels"],
        redis_objects["Service"]["spec"]["selector"],
        redis_objects["NetworkPolicy"]["spec"]["podSelector"]["matchLabels"],
    ]
    for selector in redis_selectors:
        assert matches(selector, pod_labels(redis_deployment)), selector
        assert not matches(selector, pod_labels(transformer)), selector


def test_only_the_transformer_reaches_redis_and_redis_reaches_nothing(
    redis_objects: dict[str, dict[str, Any]], transformer_objects: dict[str, dict[str, Any]]
) -> None:
    redis_labels = pod_labels(redis_objects["Deployment"])
    transformer_labels = pod_labels(transformer_objects["Deployment"])
    egress = transformer_objects["NetworkPolicy"]["spec"]["egress"]
    to_redis = [
        rule
        for rule in egress
        if any(
            matches(peer.get("podSelector", {}).get("matchLabels", {}), redis_labels)
            for peer in rule.get("to", [])
        )
    ]
    assert [port for rule in to_redis for port in rule["ports"]] == [{"port": REDIS_PORT, "protocol": "TCP"}]
    policy = redis_objects["NetworkPolicy"]["spec"]
    assert sorted(policy["policyTypes"]) == ["Egress", "Ingress"]
    assert not policy.get("egress")  # Egress listed with no rule: nothing goes out
    [ingress] = policy["ingress"]
    [peer] = ingress["from"]
    assert peer.keys() == {"podSelector"}
    assert matches(peer["podSelector"]["matchLabels"], transformer_labels)
    assert ingress["ports"] == [{"port": REDIS_PORT, "protocol": "TCP"}]


def test_one_official_redis_at_a_time(
    redis_objects: dict[str, dict[str, Any]], redis: dict[str, Any]
) -> None:
    spec = redis_objects["Deployment"]["spec"]
    # Two Redis processes behind the Service would each hand out their own locks.
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    name, tag = redis["image"].split(":")
    assert name == "redis" and tag.split(".")[0] == "7"


def option(args: list[str], name: str) -> str:
    assert args.count(name) == 1, name
    return args[args.index(name) + 1]


def test_redis_keeps_nothing_and_evicts_no_lock(redis: dict[str, Any]) -> None:
    args = redis["args"]
    assert args[0] == "redis-server"
    assert option(args, "--save") == "" and option(args, "--appendonly") == "no"
    # Evicting a lock could let two requests create one company; refusing writes is a retryable error.
    assert option(args, "--maxmemory-policy") == "noeviction"
    maxmemory = memory_bytes(option(args, "--maxmemory").upper().removesuffix("B").replace("M", "Mi"))
    limit = memory_bytes(redis["resources"]["limits"]["memory"])
    # Fragmentation, client buffers and the process itself need the rest of the limit.
    assert 32 * 2**20 <= maxmemory <= limit * 2 / 3
    requests = redis["resources"]["requests"]
    assert 0 < cpu_cores(requests["cpu"]) <= cpu_cores(redis["resources"]["limits"]["cpu"])
    assert maxmemory <= memory_bytes(requests["memory"]) <= limit


def test_probes_ping_redis(redis: dict[str, Any]) -> None:
    for name in ("readinessProbe", "livenessProbe"):
        command = " ".join(redis[name]["exec"]["command"])
        assert "redis-cli ping" in command and "PONG" in command, name
    readiness, liveness = redis["readinessProbe"], redis["livenessProbe"]
    assert liveness["periodSeconds"] * liveness["failureThreshold"] >= (
        readiness["periodSeconds"] * readiness["failureThreshold"]
    )


def test_runs_as_the_images_redis_user_on_a_read_only_root(
    redis_objects: dict[str, dict[str, Any]], redis: dict[str, Any]
) -> None:
    pod = pod_spec(redis_objects["Deployment"])
    security = {**pod.get("securityContext", {}), **redis["securityContext"]}
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == security["runAsGroup"] == 999  # the official image's `redis`
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    [data] = [mount for mount in redis["volumeMounts"] if mount["mountPath"] == "/data"]
    assert "emptyDir" in volumes[data["name"]]  # the working directory; no persistent volume
    assert all("emptyDir" in volume for volume in volumes.values())
