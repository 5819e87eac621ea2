"""newman (the Postman collection runner) from the npm registry, installed once into the user's
cache; the tests that run it skip, saying why, without npm or when the install fails."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

NEWMAN_VERSION = "6.2.2"


def newman_binary() -> Path:
    prefix = Path.home() / ".cache" / "gainsight-transformer" / f"newman-{NEWMAN_VERSION}"
    binary = prefix / "node_modules" / ".bin" / "newman"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is missing: the Postman collection cannot be run with newman")
    installed = subprocess.run(
        [npm, "install", "--prefix", str(prefix), f"newman@{NEWMAN_VERSION}", "--no-audit", "--no-fund",
         "--loglevel=error"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if installed.returncode != 0 or not binary.exists():
        pytest.skip(f"newman could not be installed from the npm registry: {installed.stderr.strip()[-500:]}")
    return binary
