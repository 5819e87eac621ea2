"""deploy/kubernetes/ holds together: ports, probes, security, scaling and shutdown timing."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from gainsight_transformer.app import create_app
from gainsight_transformer.settings import Settings

from .manifests import (
    KUSTOMIZATION,
    REDIS_DIR,
    cpu_cores,
    dockerfile_runtime,
    env_of,
    manifest_files,
    memory_bytes,
    objects_by_kind,
    pod_spec,
    port_number,
    the_container,
)

#: Highest peak RSS measured under the benchmark loads (bench/README.md).
MEASURED_PEAK_MEMORY = 130 * 2**20
#: Peak RSS above rest per byte of request body (4.2 measured on 25-100 MiB router bodies), rounded up.
MEMORY_PER_BODY_BYTE = 5
MEMORY_AT_REST = 64 * 2**20
PROBES = ("startupProbe", "readinessProbe", "livenessProbe")


@pytest.fixture(scope="module")
def objects() -> dict[str, dict[str, Any]]:
    return objects_by_kind()


@pytest.fixture(scope="module")
def deployment(objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return objects["Deployment"]


@pytest.fixture(scope="module")
def container(deployment: dict[str, Any]) -> dict[str, Any]:
    return the_container(deployment)


@pytest.fixture(scope="module")
def http_port(container: dict[str, Any]) -> int:
    [port] = container["ports"]
    return port["containerPort"]


def test_folder_holds_the_expected_objects(objects: dict[str, dict[str, Any]]) -> None:
    assert {kind: obj["apiVersion"] for kind, obj in objects.items()} == {
        "Deployment": "apps/v1",
        "Service": "v1",
        "HorizontalPodAutoscaler": "autoscaling/v2",
        "PodDisruptionBudget": "policy/v1",
        "NetworkPolicy": "networking.k8s.io/v1",
    }


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
    assert kustomization["kind"] == "Kustomization"
    files = [entry for entry in kustomization["resources"] if entry.endswith(".yaml")]
    folders = [entry for entry in kustomization["resources"] if not entry.endswith(".yaml")]
    assert sorted(files) == [path.name for path in manifest_files()]
    assert folders == [REDIS_DIR.name]  # the company store's Redis, a kustomization of its own
    redis = yaml.safe_load((REDIS_DIR / KUSTOMIZATION.name).read_text())
    assert redis["kind"] == "Kustomization"
    assert sorted(redis["resources"]) == [path.name for path in manifest_files(REDIS_DIR)]


def test_probes_get_health_on_the_container_port(container: dict[str, Any], http_port: int) -> None:
    assert {"readinessProbe", "livenessProbe"} <= container.keys()
    for name in PROBES:
        if name not in container:
            continue
        probe = container[name]["httpGet"]
        assert probe["path"] == "/health", name
        assert probe.get("scheme", "HTTP") == "HTTP", name
        assert port_number(container, probe["port"]) == http_port, name


def test_liveness_is_no_stricter_than_readiness(container: dict[str, Any]) -> None:
    def patience(probe: dict[str, Any]) -> int:
        return probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3)

    readiness, liveness = container["readinessProbe"], container["livenessProbe"]
    assert patience(liveness) >= patience(readiness)
    assert liveness.get("timeoutSeconds", 1) >= readiness.get("timeoutSeconds", 1)


def test_probe_and_scrape_paths_answer_on_the_app(
    container: dict[str, Any], deployment: dict[str, Any]
) -> None:
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    with TestClient(create_app(Settings())) as client:
        for name in PROBES:
            if name in container:
                answer = client.get(container[name]["httpGet"]["path"])
                assert answer.status_code == 200, name
                assert answer.json()["service"] == "UP", name
        scraped = client.get(annotations["prometheus.io/path"])
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")


def test_one_port_shared_by_service_dockerfile_env_and_scrape_annotation(
    objects: dict[str, dict[str, Any]], deployment: dict[str, Any], container: dict[str, Any], http_port: int
) -> None:
    [service_port] = objects["Service"]["spec"]["ports"]
    assert port_number(container, service_port["targetPort"]) == http_port
    assert int(dockerfile_runtime()["expose"]) == http_port
    assert int(env_of(container).get("PORT", Settings.model_fields["port"].default)) == http_port
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == http_port


def test_runs_as_the_images_non_root_user_on_a_read_only_root(
    deployment: dict[str, Any], container: dict[str, Any]
) -> None:
    pod_security = pod_spec(deployment).get("securityContext", {})
    security = {**pod_security, **container["securityContext"]}  # the container's own settings win
    image_user = dockerfile_runtime()
    assert security["runAsNonRoot"] is True
    assert str(security["runAsUser"]) == image_user["uid"] != "0"
    assert str(security["runAsGroup"]) == image_user["gid"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not container.get("securityContext", {}).get("privileged", False)


def test_tmp_is_a_writable_empty_dir(deployment: dict[str, Any], container: dict[str, Any]) -> None:
    volumes = {volume["name"]: volume for volume in pod_spec(deployment)["volumes"]}
    [tmp] = [mount for mount in container["volumeMounts"] if mount["mountPath"] == "/tmp"]
    assert "emptyDir" in volumes[tmp["name"]]
    assert not tmp.get("readOnly", False)


def test_hpa_scales_the_deployment_on_cpu_utilisation(
    objects: dict[str, dict[str, Any]], deployment: dict[str, Any], container: dict[str, Any]
) -> None:
    hpa = objects["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": deployment["apiVersion"],
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    [metric] = hpa["metrics"]
    assert metric["type"] == "Resource"
    assert metric["resource"]["name"] == "cpu"
    target = metric["resource"]["target"]
    assert target["type"] == "Utilization"
    assert 0 < target["averageUtilization"] < 100
    assert 2 <= hpa["minReplicas"] < hpa["maxReplicas"]
    # Utilisation is measured against the request, and the HPA, not the manifest, owns the count.
    assert "cpu" in container["resources"]["requests"]
    assert "replicas" not in deployment["spec"]


def test_selectors_match_the_pod_labels(
    objects: dict[str, dict[str, Any]], deployment: dict[str, Any]
) -> None:
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    selectors = {
        "Deployment": deployment["spec"]["selector"]["matchLabels"],
        "Service": objects["Service"]["spec"]["selector"],
        "PodDisruptionBudget": objects["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
        "NetworkPolicy": objects["NetworkPolicy"]["spec"]["podSelector"]["matchLabels"],
    }
    for kind, selector in selectors.items():
        assert selector, kind
        assert selector.items() <= labels.items(), kind


def test_pdb_lets_a_drain_proceed_at_the_minimum_replica_count(objects: dict[str, dict[str, Any]]) -> None:
    pdb = objects["PodDisruptionBudget"]["spec"]
    min_replicas = objects["HorizontalPodAutoscaler"]["spec"]["minReplicas"]
    if "maxUnavailable" in pdb:
        # One pod at a time, and at least one of the minimum left serving while it goes.
        assert 1 <= pdb["maxUnavailable"] < min_replicas
    else:
        assert 1 <= pdb["minAvailable"] < min_replicas


def test_pdb_never_lets_an_unready_pod_block_a_drain(objects: dict[str, dict[str, Any]]) -> None:
    # With the default policy a crash-looping pod counts against the budget and no healthy pod may
    # be evicted; an unready pod serves nothing, so evicting it is free.
    assert objects["PodDisruptionBudget"]["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


def test_rolling_update_starts_a_pod_before_it_stops_one(deployment: dict[str, Any]) -> None:
    strategy = deployment["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    rolling = strategy["rollingUpdate"]
    # Absent, both default to 25 %, which for two pods rounds maxUnavailable down to 0 but for four
    # lets one go first: say it.
    assert rolling["maxUnavailable"] in (0, "0%")
    surge = rolling["maxSurge"]
    assert (surge >= 1) if isinstance(surge, int) else (int(str(surge).rstrip("%")) > 0)


def test_grace_period_outlasts_prestop_sleep_plus_shutdown_timeout(
    deployment: dict[str, Any], container: dict[str, Any]
) -> None:
    settings = Settings(**env_of(container))
    sleep = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    # Long enough for the endpoint removal to reach kube-proxy on every node (usually 1-2 s), short
    # enough not to hold rollouts up.
    assert 3 <= sleep <= 15
    grace = pod_spec(deployment)["terminationGracePeriodSeconds"]
    assert grace > sleep + settings.shutdown_timeout_seconds
    # The requests still in flight at SIGTERM are cut by GROUP_DEADLINE_SECONDS at the latest,
    # inside the shutdown timeout (also checked by Settings at start-up).
    assert settings.group_deadline_seconds < settings.shutdown_timeout_seconds


def test_prestop_pause_needs_nothing_from_the_image(container: dict[str, Any]) -> None:
    # The kubelet's own sleep action, not an exec: the read-only image needs no shell or binary.
    pre_stop = container["lifecycle"]["preStop"]
    assert set(pre_stop) == {"sleep"}


def test_one_worker_per_pod_and_every_variable_is_a_setting(container: dict[str, Any]) -> None:
    env = env_of(container)
    assert {name.lower() for name in env} <= Settings.model_fields.keys()
    assert env["WORKERS"] == "1"
    assert Settings(**env).workers == 1


def test_resources_fit_one_process_per_pod(container: dict[str, Any]) -> None:
    requests, limits = container["resources"]["requests"], container["resources"]["limits"]
    # One event loop uses at most one core: asking for more would only strand capacity.
    assert 0 < cpu_cores(requests["cpu"]) <= cpu_cores(limits["cpu"]) <= 1
    assert MEASURED_PEAK_MEMORY <= memory_bytes(requests["memory"]) <= memory_bytes(limits["memory"])


def test_memory_limit_holds_the_largest_accepted_body(container: dict[str, Any]) -> None:
    max_body = Settings(**env_of(container)).max_body_bytes
    limit = memory_bytes(container["resources"]["limits"]["memory"])
    assert MEMORY_AT_REST + MEMORY_PER_BODY_BYTE * max_body <= limit
