"""GitHub CI's workflow (.github/workflows/ci.yml) gives `.ci/run` what it needs from the runner: the
Go that tests/e2e/rudder_server/go asks for, set up before `.ci/run` builds rudder-server with it
(the harness runs go with GOTOOLCHAIN=local, so an older Go on the runner would fail the build), and
the built binary cached where the harness looks for it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = yaml.safe_load((REPO / ".github" / "workflows" / "ci.yml").read_text())
GO_MODULE = REPO / "tests" / "e2e" / "rudder_server" / "go"


def steps(job: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = WORKFLOW["jobs"][job]["steps"]
    return steps


def index_of(job: str, uses: str) -> int:
    [index] = [i for i, step in enumerate(steps(job)) if step.get("uses", "").startswith(uses + "@")]
    return index


def test_the_ci_job_sets_up_the_go_of_the_rudder_server_module_before_ci_run() -> None:
    [run] = [i for i, step in enumerate(steps("ci")) if step.get("run") == "bash .ci/run"]
    setup_go = index_of("ci", "actions/setup-go")
    assert setup_go < run
    settings = steps("ci")[setup_go]["with"]
    version_file = REPO / settings["go-version-file"]
    assert version_file == GO_MODULE / "go.mod"
    assert re.search(r"^go \d+\.\d+(\.\d+)?$", version_file.read_text(), re.MULTILINE)
    # setup-go's default cache is keyed on a go.sum at the repository's root, which there is not.
    assert settings.get("cache") is False or (REPO / settings["cache-dependency-path"]).is_file()


def test_the_ci_job_caches_the_built_rudder_server_per_state_of_its_go_module() -> None:
    cache = steps("ci")[index_of("ci", "actions/cache")]
    [run] = [i for i, step in enumerate(steps("ci")) if step.get("run") == "bash .ci/run"]
    assert index_of("ci", "actions/cache") < run
    # The harness's cache: $XDG_CACHE_HOME (unset on the runners) or ~/.cache, then this directory.
    assert cache["with"]["path"] == "~/.cache/gainsight-transformer"
    assert "hashFiles('tests/e2e/rudder_server/go/**')" in cache["with"]["key"]
