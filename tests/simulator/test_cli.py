"""Command line and SIM_* environment parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from gainsight_simulator.cli import parse_config


def test_defaults():
    config = parse_config([], {})
    assert (config.host, config.port) == ("127.0.0.1", 9443)
    assert config.hostnames == ("localhost", "127.0.0.1", "::1")
    assert config.tls_dir is None and config.certfile is None and not config.no_tls
    assert config.options.access_keys == frozenset() and config.options.rate_limit == 100
    assert config.options.rate_window == 60.0 and not config.options.no_data_as_empty
    assert config.log_level == "INFO"


def test_every_option_from_the_environment(tmp_path):
    env = {
        "SIM_HOST": "0.0.0.0",
        "SIM_PORT": "8443",
        "SIM_TLS_DIR": str(tmp_path),
        "SIM_HOSTNAMES": "gainsight-sim, localhost",
        "SIM_ACCESS_KEYS": "a,b",
        "SIM_SHARED_SECRETS": "s",
        "SIM_RATE_LIMIT": "5",
        "SIM_RATE_WINDOW": "2.5",
        "SIM_NO_DATA_AS_EMPTY": "true",
        "SIM_LOG_LEVEL": "warning",
    }
    config = parse_config([], env)
    assert (config.host, config.port, config.tls_dir) == ("0.0.0.0", 8443, tmp_path)
    assert config.hostnames == ("gainsight-sim", "localhost")
    assert config.options.access_keys == {"a", "b"} and config.options.shared_secrets == {"s"}
    assert (config.options.rate_limit, config.options.rate_window) == (5, 2.5)
    assert config.options.no_data_as_empty and config.log_level == "WARNING"
    assert parse_config([], {"SIM_NO_TLS": "1"}).no_tls
    files = parse_config([], {"SIM_CERTFILE": "c.pem", "SIM_KEYFILE": "k.pem"})
    assert (files.certfile, files.keyfile) == (Path("c.pem"), Path("k.pem"))


def test_cli_wins_over_environment(tmp_path):
    env = {"SIM_PORT": "1", "SIM_ACCESS_KEYS": "env", "SIM_NO_TLS": "1", "SIM_NO_DATA_AS_EMPTY": "0"}
    argv = ["--port", "0", "--access-key", "x", "--access-key", "y", "--tls-dir", str(tmp_path),
            "--hostname", "h1", "--no-data-as-empty", "--rate-limit", "0"]  # fmt: skip
    config = parse_config(argv, env)
    assert config.port == 0 and config.options.access_keys == {"x", "y"}
    assert config.tls_dir == tmp_path and not config.no_tls and config.hostnames == ("h1",)
    assert config.options.no_data_as_empty and config.options.rate_limit == 0


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["--no-tls", "--tls-dir", "x"], {}),
        (["--certfile", "c", "--no-tls"], {}),
        (["--keyfile", "k"], {}),
        ([], {"SIM_NO_TLS": "maybe"}),
        ([], {"SIM_PORT": "http"}),
        (["--port", "70000"], {}),
        (["--rate-limit", "-1"], {}),
        (["--rate-window", "0"], {}),
        ([], {"SIM_TLS_DIR": "x", "SIM_NO_TLS": "1"}),
    ],
)
def test_invalid_combinations_exit(argv, env):
    with pytest.raises(SystemExit):
        parse_config(argv, env)


def test_help_mentions_env_vars(capsys):
    with pytest.raises(SystemExit):
        parse_config(["--help"], {})
    out = capsys.readouterr().out
    for name in ("SIM_HOST", "SIM_PORT", "SIM_TLS_DIR", "SIM_HOSTNAMES", "SIM_CERTFILE", "SIM_KEYFILE",
                 "SIM_NO_TLS", "SIM_ACCESS_KEYS", "SIM_RATE_LIMIT", "SIM_RATE_WINDOW", "SIM_NO_DATA_AS_EMPTY"):  # fmt: skip
        assert name in out
