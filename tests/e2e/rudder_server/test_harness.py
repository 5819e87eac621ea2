"""The harness itself, without building rudder-server: how a failed `go build` is told apart (modules
that could not be downloaded make the tests skip; anything else is an error)."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.processes import free_port

from . import harness

needs_go = pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed")

# What `go build` prints when a module cannot be had (the proxy's host is the test's own).
DOWNLOAD_FAILURES = [
    "go: github.com/acme/x@v1.2.3: reading https://modules.example/github.com/acme/x/@v/v1.2.3.zip: 403 Forbidden",
    "go: github.com/acme/x@v1.2.3: reading http://127.0.0.1:9/github.com/acme/x/@v/v1.2.3.mod: 404 Not Found",
    'go: github.com/acme/x@v1.2.3: Get "https://modules.example/github.com/acme/x/@v/v1.2.3.mod": '
    "dial tcp: lookup modules.example on 127.0.0.53:53: no such host",
    'Get "https://modules.example/x/@v/list": dial tcp 192.0.2.1:443: i/o timeout',
    'Get "http://127.0.0.1:9/x/@v/list": dial tcp 127.0.0.1:9: connect: connection refused',
    'Get "https://modules.example/x/@v/list": net/http: TLS handshake timeout',
    'Get "https://modules.example/x/@v/list": read tcp 10.0.0.2:51234->192.0.2.1:443: read: connection reset by peer',
]
OTHER_FAILURES = [
    "./main.go:12:2: undefined: runner.New",
    "go: updates to go.mod needed; to update it:\n\tgo mod tidy",
    "go: go.mod requires go >= 1.99 (running go 1.26.8; GOTOOLCHAIN=local)",
    "main.go:3:1: syntax error: non-declaration statement outside function body",
]


@pytest.mark.parametrize("stderr", DOWNLOAD_FAILURES)
def test_a_download_failure_is_told_by_the_errors_shape(stderr: str) -> None:
    assert harness.DOWNLOAD_FAILURE.search(stderr)


@pytest.mark.parametrize("stderr", OTHER_FAILURES)
def test_other_build_failures_are_not_download_failures(stderr: str) -> None:
    assert not harness.DOWNLOAD_FAILURE.search(stderr)


@pytest.fixture
def fresh_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No cached binary and an empty module cache: a build has to download every module."""
    monkeypatch.delenv("RUDDER_SERVER_BINARY", raising=False)
    monkeypatch.setattr(harness, "CACHE", tmp_path / "cache")
    monkeypatch.setenv("GOMODCACHE", str(tmp_path / "modcache"))
    monkeypatch.setenv("GOFLAGS", "-modcacherw")  # so that the test's tmp_path can be removed
    return tmp_path


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
    with pytest.raises(RuntimeError, match="go build of rudder-server failed") as caught:
        harness.rudder_server_binary(log=lambda line: None)
    assert "undefined: undefinedFunction" in str(caught.value)
