"""The harness itself, without building rudder-server: how a failed build is told apart (modules that
could not be downloaded make the tests skip; anything else is an error), told by what Go prints, not
by the proxy's host; and the build's lines, which reach the terminal while pytest captures output.
A stand-in `go` (FAKE_GO) plays the build where the real one would take minutes."""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.processes import free_port

from . import harness

needs_go = pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed")

# What Go prints when a module cannot be had (the proxy's host is the test's own).
DOWNLOAD_FAILURES = [
    "go: github.com/acme/x@v1.2.3: reading https://modules.example/github.com/acme/x/@v/v1.2.3.zip: 403 Forbidden",
    "go: github.com/acme/x@v1.2.3: reading http://127.0.0.1:9/github.com/acme/x/@v/v1.2.3.mod: 404 Not Found",
    'go: github.com/acme/x@v1.2.3: Get "https://modules.example/github.com/acme/x/@v/v1.2.3.mod": '
    "dial tcp: lookup modules.example on 127.0.0.53:53: no such host",
    'go: x@v1: Get "https://modules.example/x/@v/list": dial tcp 192.0.2.1:443: i/o timeout',
    'go: x@v1: Get "http://127.0.0.1:9/x/@v/list": dial tcp 127.0.0.1:9: connect: connection refused',
    'go: x@v1: Get "https://modules.example/x/@v/list": net/http: TLS handshake timeout',
    'go: x@v1: Get "https://modules.example/x/@v/list": read tcp 10.0.0.2:51234->192.0.2.1:443: read: '
    "connection reset by peer",
]
OTHER_FAILURES = [
    "./main.go:12:2: undefined: runner.New",
    "go: updates to go.mod needed; to update it:\n\tgo mod tidy",
    "go: go.mod requires go >= 1.99 (running go 1.26.8; GOTOOLCHAIN=local)",
    "main.go:3:1: syntax error: non-declaration statement outside function body",
]

FAKE_GO = f"""#!{sys.executable}
# A stand-in for `go`: prints $FAKE_GO_STDERR and fails when it is set; otherwise `go build -o OUT`
# writes OUT and every other command succeeds, printing nothing.
import os, pathlib, sys
if os.environ.get("FAKE_GO_STDERR"):
    sys.exit(os.environ["FAKE_GO_STDERR"])
if "build" in sys.argv:
    pathlib.Path(sys.argv[sys.argv.index("-o") + 1]).write_text("#!/bin/sh\\n")
"""


@pytest.fixture
def fresh_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No cached binary and an empty module cache: a build has to download every module."""
    monkeypatch.delenv("RUDDER_SERVER_BINARY", raising=False)
    monkeypatch.setattr(harness, "CACHE", tmp_path / "cache")
    monkeypatch.setenv("GOMODCACHE", str(tmp_path / "modcache"))
    monkeypatch.setenv("GOFLAGS", "-modcacherw")  # so that the test's tmp_path can be removed
    return tmp_path


@pytest.fixture
def fake_go(fresh_build: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """FAKE_GO first on PATH; returns its directory."""
    bin_dir = fresh_build / "bin"
    bin_dir.mkdir()
    go = bin_dir / "go"
    go.write_text(FAKE_GO)
    go.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.delenv("FAKE_GO_STDERR", raising=False)
    return bin_dir


@pytest.mark.parametrize("stderr", DOWNLOAD_FAILURES)
def test_a_download_failure_is_told_by_the_errors_shape(
    fake_go: Path, monkeypatch: pytest.MonkeyPatch, stderr: str
) -> None:
    monkeypatch.setenv("FAKE_GO_STDERR", stderr)
    with pytest.raises(harness.Unavailable, match="could not be downloaded"):
        harness.rudder_server_binary(log=lambda line: None)


@pytest.mark.parametrize("stderr", OTHER_FAILURES)
def test_other_build_failures_are_errors(fake_go: Path, monkeypatch: pytest.MonkeyPatch, stderr: str) -> None:
    monkeypatch.setenv("FAKE_GO_STDERR", stderr)
    with pytest.raises(RuntimeError) as caught:
        harness.rudder_server_binary(log=lambda line: None)
    assert stderr.splitlines()[-1] in str(caught.value)


@pytest.fixture
def forbidding_proxy() -> Iterator[str]:
    """A module proxy that answers 403 to everything, as the one here does to some modules."""

    class Forbid(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(403)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forbid)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@needs_go
def test_a_module_proxy_that_cannot_be_reached_makes_the_tests_skip(
    fresh_build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOPROXY", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with pytest.raises(harness.Unavailable, match="could not be downloaded") as caught:
        harness.rudder_server_binary(log=lambda line: None)
    assert "connection refused" in str(caught.value)


@needs_go
def test_a_module_proxy_that_refuses_makes_the_tests_skip(
    fresh_build: Path, monkeypatch: pytest.MonkeyPatch, forbidding_proxy: str
) -> None:
    monkeypatch.setenv("GOPROXY", forbidding_proxy)
    with pytest.raises(harness.Unavailable, match="could not be downloaded") as caught:
        harness.rudder_server_binary(log=lambda line: None)
    assert "403 Forbidden" in str(caught.value)


@needs_go
def test_a_build_that_fails_for_another_reason_is_an_error(
    fresh_build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = fresh_build / "module"
    module.mkdir()
    (module / "go.mod").write_text("module broken\n\ngo 1.21\n")
    (module / "main.go").write_text("package main\n\nfunc main() { undefinedFunction() }\n")
    monkeypatch.setattr(harness, "GO_MODULE", module)
    with pytest.raises(RuntimeError, match="of rudder-server failed") as caught:
        harness.rudder_server_binary(log=lambda line: None)
    assert "undefined: undefinedFunction" in str(caught.value)


def test_the_rudder_binary_fixture_shows_the_build_on_the_terminal_past_capture(
    fake_go: Path, fresh_build: Path
) -> None:
    """A pytest run of its own, with this package's conftest as a plugin and capture on (no -s): the
    build's lines are on its terminal, the test's own print is not."""
    test_file = fresh_build / "test_uses_the_binary.py"
    test_file.write_text(
        "def test_it(rudder_binary):\n"
        "    print('a line pytest captures')\n"
        "    assert rudder_binary.name == 'rudder-server' and rudder_binary.is_file()\n"
    )
    tests_dir = Path(__file__).resolve().parents[2]
    env = {key: value for key, value in os.environ.items() if key != "RUDDER_SERVER_BINARY"}
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(tests_dir), env.get("PYTHONPATH")])),
        XDG_CACHE_HOME=str(fresh_build / "xdg-cache"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "e2e.rudder_server.conftest", "-p", "no:cacheprovider",
         "-q", str(test_file)],
        cwd=fresh_build, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"[rudder-server e2e] building rudder-server {harness.RUDDER_SERVER_VERSION}" in done.stdout
    built = "[rudder-server e2e] built rudder-server in "
    assert built in done.stdout
    assert str(fresh_build / "xdg-cache" / "gainsight-transformer") in done.stdout.split(built, 1)[1]
    assert "a line pytest captures" not in done.stdout
