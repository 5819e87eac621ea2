"""Every manifest validates against Kubernetes' own schemas (kubernetes-validate, offline, --strict)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .manifests import MANIFEST_DIR, all_manifest_files, load_yaml

#: The oldest Kubernetes the manifests target (the preStop `sleep` action is on by default from
#: 1.30) and the newest whose schemas the pinned kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.32.0", "1.37.0")


def validate(*args: str) -> subprocess.CompletedProcess[str]:
    versions = [arg for version in KUBERNETES_VERSIONS for arg in ("--kubernetes-version", version)]
    return subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", *versions, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def passed_lines(output: str) -> list[str]:
    """The validator's per-resource verdicts; anything but INFO … passed is a failure."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines, "kubernetes-validate printed nothing"
    assert all(line.startswith("INFO ") and " passed " in line for line in lines), output
    return lines


def test_every_manifest_passes_strict_validation() -> None:
    files = all_manifest_files()
    assert any(path.parent != MANIFEST_DIR for path in files)  # redis/ is validated too
    result = validate(*map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = passed_lines(result.stdout)
    objects = sum(len(load_yaml(path)) for path in files)
    assert len(lines) == objects * len(KUBERNETES_VERSIONS)
    for version in KUBERNETES_VERSIONS:
        short = version.rsplit(".", 1)[0]
        assert sum(line.endswith(f"against version {short}") for line in lines) == objects


def test_strict_validation_rejects_a_field_kubernetes_does_not_know(tmp_path: Path) -> None:
    text = (MANIFEST_DIR / "deployment.yaml").read_text()
    assert "          imagePullPolicy:" in text
    broken = tmp_path / "deployment.yaml"
    broken.write_text(text.replace("          imagePullPolicy:", "          imagePullPolcy:", 1))
    result = validate(str(broken))
    assert result.returncode != 0
    assert "imagePullPolcy" in result.stdout


def _kustomize_command() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build", str(MANIFEST_DIR)]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize", str(MANIFEST_DIR)]
    return None


def test_kustomize_build_output_passes_strict_validation(tmp_path: Path) -> None:
    command = _kustomize_command()
    if command is None:
        pytest.skip("neither kustomize nor kubectl is installed")
    built = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    rendered = tmp_path / "rendered.yaml"  # not stdin: the validator reads its input once per version
    rendered.write_text(built.stdout)
    result = validate(str(rendered))
    assert result.returncode == 0, result.stdout + result.stderr
    objects = sum(len(load_yaml(path)) for path in all_manifest_files())
    assert len(passed_lines(result.stdout)) == objects * len(KUBERNETES_VERSIONS)
