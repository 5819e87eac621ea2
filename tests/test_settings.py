"""Settings: every bad value stops the start with one line naming the variable and exit status 2;
the spellings of LOG_LEVEL that rudder-server and rudder-transformer use are accepted."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gainsight_transformer.settings import Settings
from support.processes import free_port


@pytest.mark.parametrize(
    ("given", "level"),
    [
        ("info", "info"),
        ("INFO", "info"),
        ("warn", "warning"),
        ("WARN", "warning"),
        ("Warning", "warning"),
        ("error", "error"),
        ("debug", "debug"),
        ("trace", "debug"),
        ("verbose", "debug"),
        ("fatal", "critical"),
        (" critical ", "critical"),
    ],
)
def test_log_level_spellings(given: str, level: str) -> None:
    assert Settings(log_level=given).log_level == level


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("localhost:9443", "localhost:9443"),
        (" sim , 127.0.0.1:8443,", "sim,127.0.0.1:8443"),
        ("[::1]:9443", "[::1]:9443"),
        ("", ""),
    ],
)
def test_allowlist_entries_that_are_hosts(given: str, kept: str) -> None:
    assert Settings(gainsight_host_allowlist=given).gainsight_host_allowlist == kept


def _start(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PORT": str(free_port()), "WORKERS": "1", **env}
    return subprocess.run(
        [sys.executable, "-m", "gainsight_transformer"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"LOG_LEVEL": "loud"},
            "  LOG_LEVEL: must be one of debug, info, warning (or warn), error, critical (or fatal), "
            "in any case; trace and verbose mean debug",
        ),
        (
            {"GAINSIGHT_HOST_ALLOWLIST": "http://localhost:9443"},
            "  GAINSIGHT_HOST_ALLOWLIST: 'http://localhost:9443' is not a host or host:port entry; "
            "write 'localhost:9443' (comma-separated, no scheme, no path)",
        ),
        (
            {"GAINSIGHT_HOST_ALLOWLIST": "sim,localhost:9443/"},
            "  GAINSIGHT_HOST_ALLOWLIST: 'localhost:9443/' is not a host or host:port entry; "
            "write 'localhost:9443' (comma-separated, no scheme, no path)",
        ),
        (
            {"GAINSIGHT_HOST_ALLOWLIST": "https://acme.example/v1"},
            "  GAINSIGHT_HOST_ALLOWLIST: 'https://acme.example/v1' is not a host or host:port entry; "
            "write 'acme.example' (comma-separated, no scheme, no path)",
        ),
        ({"WORKERS": "0"}, "  WORKERS: Input should be greater than or equal to 1"),
        ({"PORT": "http"}, "  PORT: Input should be a valid integer, unable to parse string as an integer"),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_status_2(env: dict[str, str], line: str) -> None:
    result = _start(**env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["gainsight-transformer: invalid settings in the environment:", line]
    assert "Traceback" not in result.stderr
