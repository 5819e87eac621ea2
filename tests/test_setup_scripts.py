"""The setup scripts' Debian package helper (tests/support/debian_package.sh): apt-get waits for
another apt's locks instead of failing, with a stand-in apt-get that records its calls, and with
the real one where we are root."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HELPER = REPO / "tests" / "support" / "debian_package.sh"
SETUP_SCRIPTS = [
    REPO / "tests" / "e2e" / "rudder_server" / "setup.sh",
    REPO / "tests" / "support" / "setup_browser.sh",
]

# A stand-in apt-get: answers each call with the next of $FAKE_APT_OUTCOMES ("ok", "fail", "lock")
# and records its arguments in $FAKE_APT_CALLS.
FAKE_APT_GET = f"""#!{sys.executable}
import json, os, sys
calls = os.environ["FAKE_APT_CALLS"]
with open(calls, "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
made = sum(1 for _ in open(calls))
outcome = json.loads(os.environ["FAKE_APT_OUTCOMES"])[made - 1]
if outcome == "lock":
    sys.exit("E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)")
if outcome == "fail":
    sys.exit("E: Unable to locate package " + sys.argv[-1])
"""


def install(package: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = (
        f'set -euo pipefail; source "{HELPER}"; install_debian_package {package} "the tests that need it"'
    )
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def fake_apt(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment with the stand-in apt-get, and an `id` that says root, first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text(FAKE_APT_GET)
    (bin_dir / "id").write_text("#!/bin/sh\necho 0\n")
    for program in bin_dir.iterdir():
        program.chmod(0o755)
    yield {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "FAKE_APT_CALLS": str(tmp_path / "calls"),
        "APT_LOCK_RETRY_SECONDS": "0",
    }


def calls(env: dict[str, str]) -> list[list[str]]:
    return [json.loads(line) for line in Path(env["FAKE_APT_CALLS"]).read_text().splitlines()]


def test_every_apt_get_call_waits_for_the_dpkg_lock(fake_apt: dict[str, str]) -> None:
    env = {**fake_apt, "FAKE_APT_OUTCOMES": json.dumps(["fail", "ok", "ok"])}

    done = install("haproxy", env)

    assert done.returncode == 0, done.stderr
    made = calls(env)
    assert [call[2] for call in made] == ["install", "update", "install"]  # the index refreshed once
    assert all(call[:2] == ["-o", "DPkg::Lock::Timeout=600"] for call in made), made
    assert made[0][-1] == made[2][-1] == "haproxy"


def test_a_lock_apt_get_does_not_wait_for_is_tried_again(fake_apt: dict[str, str]) -> None:
    env = {**fake_apt, "FAKE_APT_OUTCOMES": json.dumps(["fail", "lock", "lock", "ok", "ok"])}

    done = install("redis-server", env)

    assert done.returncode == 0, done.stderr
    assert [call[2] for call in calls(env)] == ["install", "update", "update", "update", "install"]
    assert done.stderr.count("Could not get lock") == 2  # apt-get's own errors stay on stderr
    assert done.stderr.count("another apt holds a lock") == 2


def test_other_failures_are_not_tried_again(fake_apt: dict[str, str]) -> None:
    env = {**fake_apt, "FAKE_APT_OUTCOMES": json.dumps(["fail", "fail"])}

    done = install("no-such-package", env)

    assert done.returncode != 0
    assert [call[2] for call in calls(env)] == ["install", "update"]
    assert "Unable to locate package" in done.stderr and "another apt" not in done.stderr


def test_the_lock_timeout_is_a_setting(fake_apt: dict[str, str]) -> None:
    env = {**fake_apt, "FAKE_APT_OUTCOMES": json.dumps(["ok"]), "APT_LOCK_TIMEOUT": "42"}

    assert install("postgresql", env).returncode == 0
    assert calls(env)[0][:2] == ["-o", "DPkg::Lock::Timeout=42"]


def test_without_root_nothing_is_installed_and_the_skip_is_named(fake_apt: dict[str, str]) -> None:
    (Path(fake_apt["PATH"].split(os.pathsep)[0]) / "id").write_text("#!/bin/sh\necho 1000\n")
    env = {**fake_apt, "FAKE_APT_OUTCOMES": "[]"}

    done = install("chromium", env)

    assert done.returncode == 0
    assert "chromium is missing and cannot be installed here" in done.stdout
    assert "the tests that need it will skip" in done.stdout
    assert not Path(env["FAKE_APT_CALLS"]).exists()


@pytest.mark.parametrize("script", SETUP_SCRIPTS, ids=lambda path: path.name)
def test_the_setup_scripts_install_through_the_helper(script: Path) -> None:
    code = [line for line in script.read_text().splitlines() if not line.lstrip().startswith("#")]
    sourced = next(
        i for i, line in enumerate(code) if line.startswith("source ") and "debian_package.sh" in line
    )
    installs = [i for i, line in enumerate(code) if "install_debian_package " in line]
    assert installs and min(installs) > sourced
    assert not [line for line in code if "apt-get" in line]  # no apt-get of its own: the helper's


@pytest.fixture
def dpkg_and_lists_locked() -> Iterator[None]:
    """Holds the locks another apt-get install and apt-get update would hold."""
    handles = []
    try:
        for path in ("/var/lib/dpkg/lock-frontend", "/var/lib/apt/lists/lock"):
            handle = open(path, "a")  # closed below
            handles.append(handle)
            try:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                pytest.skip(f"{path} is held by a running apt")
        yield
    finally:
        for handle in handles:
            handle.close()


@pytest.mark.skipif(
    shutil.which("apt-get") is None or os.geteuid() != 0, reason="needs Debian's apt-get, as root"
)
def test_the_real_apt_get_waits_for_the_lock_another_apt_holds(
    dpkg_and_lists_locked: None, tmp_path: Path
) -> None:
    # bash is installed: nothing would change even if a lock were given up.
    env = {**os.environ, "APT_LOCK_TIMEOUT": "1", "APT_LOCK_RETRY_SECONDS": "0"}

    done = install("bash", env)

    assert done.returncode != 0  # the locks were never released
    # apt-get install waited for dpkg's lock (DPkg::Lock::Timeout), and said so once:
    assert (
        done.stderr.count("[setup] Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend")
        == 1
    )
    # apt-get update does not wait for the lists' lock: it was tried again until the deadline.
    assert "E: Could not get lock /var/lib/apt/lists/lock" in done.stderr
