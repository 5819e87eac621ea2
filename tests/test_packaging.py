"""What `pip install .` gives a user of the service (issue: a lean runtime): the service runs, the
simulator's dependencies are not installed, and the simulator extra brings them."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from importlib.metadata import requires
from pathlib import Path

import httpx
import pytest

from support.processes import start_service, stop

REPO = Path(__file__).resolve().parents[1]
SIMULATOR_ONLY = {"trustme", "h11", "cryptography"}


def test_the_service_imports_nothing_that_only_the_simulator_needs() -> None:
    for path in (REPO / "src" / "gainsight_transformer").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in SIMULATOR_ONLY | {"gainsight_simulator"}, f"{path}: imports {name}"


def test_the_simulator_dependencies_are_an_extra_the_tests_include() -> None:
    declared = requires("gainsight-transformer") or []
    plain = [r for r in declared if "extra ==" not in r]
    assert not any(r.split(">")[0].split("=")[0].strip() in SIMULATOR_ONLY for r in plain), plain
    simulator = [r for r in declared if 'extra == "simulator"' in r]
    assert {r.split(">")[0].strip() for r in simulator} == {"trustme", "h11"}
    assert any(r.startswith("gainsight-transformer[simulator]") and 'extra == "test"' in r for r in declared)


def test_pip_install_dot_runs_the_service_without_the_simulator_packages(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(REPO)],
        capture_output=True, text=True, timeout=900, env={**os.environ, "PIP_NO_INPUT": "1"},
    )  # fmt: skip
    if installed.returncode != 0 and "No matching distribution" in installed.stderr + installed.stdout:
        pytest.skip(f"pip could not reach a package index: {installed.stderr.strip()[-300:]}")
    assert installed.returncode == 0, installed.stderr
    for module in ("trustme", "cryptography"):  # h11 comes anyway, with uvicorn and httpcore
        found = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True, text=True)
        assert found.returncode != 0 and "ModuleNotFoundError" in found.stderr, module
    simulator = subprocess.run(
        [str(python), "-m", "gainsight_simulator", "--port", "0", "--tls-dir", str(tmp_path / "tls")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert simulator.returncode == 2, simulator.stderr
    assert "pip install 'gainsight-transformer[simulator]'" in simulator.stderr
    assert "Traceback" not in simulator.stderr
    base, service = start_service(command=[str(venv / "bin" / "gainsight-transformer")])
    try:
        health = httpx.get(f"{base}/health", timeout=5)
        assert health.status_code == 200 and health.json()["service"] == "UP"
        answer = httpx.post(
            f"{base}/v0/destinations/gainsight",
            json=[{"message": {"type": "identify", "traits": {"email": "a@b.c"}}, "metadata": {"jobId": 1},
                   "destination": {"Config": {"accessKey": "k", "domain": "demo.gainsightcloud.com"}}}],
            timeout=10,
        )  # fmt: skip
        assert answer.status_code == 200 and answer.json()[0]["statusCode"] == 200
    finally:
        stop(service)
