"""Reads deploy/kubernetes/ (the transformer's objects, and its Redis in redis/) and the Dockerfile
for the deployment tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
MANIFEST_DIR = REPO / "deploy" / "kubernetes"
KUSTOMIZATION = MANIFEST_DIR / "kustomization.yaml"
#: The Redis of the company store: a kustomization of its own, listed by the transformer's.
REDIS_DIR = MANIFEST_DIR / "redis"

_CPU_UNITS = {"m": 0.001, "": 1.0}
_MEMORY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9, "": 1}


def manifest_files(directory: Path = MANIFEST_DIR) -> list[Path]:
    """The Kubernetes objects' files of a folder: every YAML file in it but kustomize's own."""
    return sorted(path for path in directory.glob("*.yaml") if path.name != KUSTOMIZATION.name)


def all_manifest_files() -> list[Path]:
    """What `kubectl apply -k deploy/kubernetes` applies: the transformer's objects and its Redis."""
    return manifest_files() + manifest_files(REDIS_DIR)


def load_yaml(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def objects_by_kind(directory: Path = MANIFEST_DIR) -> dict[str, dict[str, Any]]:
    """Every object of a folder's manifests by its kind; each folder holds one object of each kind."""
    objects: dict[str, dict[str, Any]] = {}
    for path in manifest_files(directory):
        for obj in load_yaml(path):
            assert obj["kind"] not in objects, f"two {obj['kind']} objects"
            objects[obj["kind"]] = obj
    return objects


def pod_spec(deployment: dict[str, Any]) -> dict[str, Any]:
    return deployment["spec"]["template"]["spec"]


def the_container(deployment: dict[str, Any]) -> dict[str, Any]:
    [container] = pod_spec(deployment)["containers"]
    return container


def port_number(container: dict[str, Any], port: int | str) -> int:
    """A probe's or Service's `port`/`targetPort` (a number or a container port's name) as a number."""
    if isinstance(port, int):
        return port
    named = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == port]
    assert named, f"no container port named {port!r}"
    return named[0]


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """Whether a `matchLabels` selector selects objects with these labels."""
    return selector.items() <= labels.items()


def env_of(container: dict[str, Any]) -> dict[str, str]:
    """The container's literal environment variables (no valueFrom or envFrom in these manifests)."""
    assert "envFrom" not in container
    env: dict[str, str] = {}
    for entry in container.get("env", []):
        assert "value" in entry, f"{entry['name']} is not a literal value"
        env[entry["name"]] = entry["value"]
    return env


def cpu_cores(quantity: str | int | float) -> float:
    match = re.fullmatch(r"([0-9.]+)(m?)", str(quantity))
    assert match, f"unexpected CPU quantity {quantity!r}"
    return float(match.group(1)) * _CPU_UNITS[match.group(2)]


def memory_bytes(quantity: str | int) -> float:
    match = re.fullmatch(r"([0-9.]+)([KMG]i?|k)?", str(quantity))
    assert match, f"unexpected memory quantity {quantity!r}"
    return float(match.group(1)) * _MEMORY_UNITS[match.group(2) or ""]


def _stage(text: str, name: str) -> str:
    """A stage's instructions, preceded by those of the stage it is built FROM (if one of ours)."""
    stages = {m.group(2): m for m in re.finditer(r"^FROM (\S+) AS (\S+)$", text, re.MULTILINE)}
    found = stages[name]
    end = min((m.start() for m in stages.values() if m.start() > found.start()), default=len(text))
    own = text[found.end() : end]
    parent = found.group(1)
    return (_stage(text, parent) if parent in stages else "") + own


def dockerfile_runtime() -> dict[str, str]:
    """The runtime stage's EXPOSE and USER (its own or its base stage's), ARG defaults substituted."""
    text = (REPO / "Dockerfile").read_text()
    runtime = _stage(text, "runtime")
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", runtime, re.MULTILINE))
    user = re.search(r"^USER (\S+)$", runtime, re.MULTILINE)
    expose = re.search(r"^EXPOSE (\d+)$", runtime, re.MULTILINE)
    assert user and expose, "the runtime stage has no USER or no EXPOSE"
    resolved_user = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], user.group(1))
    uid, _, gid = resolved_user.partition(":")
    return {"expose": expose.group(1), "uid": uid, "gid": gid}
