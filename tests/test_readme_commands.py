"""The commands of the README (and examples/README.md), run as written from the repository root
against real processes (only ports, and the simulator's CA, are the test's): each does what the text
says. And no command there runs a bare `python`: the README's commands use the venv at `.venv`."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from support.newman import NEWMAN_VERSION, newman_binary
from support.processes import free_port, start_service, start_simulator, stop, wait_until_healthy

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
EXAMPLES_README = (REPO / "examples" / "README.md").read_text()
VENV = REPO / ".venv" / "bin"
needs_venv = pytest.mark.skipif(
    not (VENV / "python").exists() or not (VENV / "gainsight-transformer").exists(),
    reason="the README's commands run the venv at .venv (python3 -m venv .venv && .venv/bin/pip install ...)",
)


def _block(section: str) -> str:
    body = README.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```sh\n(.*?)```", body, re.DOTALL)
    return block


def test_the_curl_walkthrough_does_what_the_readme_says() -> None:
    url, process = start_service()
    try:
        script = _block("Try it with curl").replace("localhost:9090", url.removeprefix("http://"))
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60
        )
    finally:
        stop(process)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("HTTP/1.1 200") and "apiversion: 2" in out.lower()  # the -i of the first command
    rest, answers = out.split("\n\n", 1)[1], []  # after the headers (text mode reads \r\n as \n)
    decoder = json.JSONDecoder()
    while rest.strip():  # curl prints the answers one after the other, without newlines
        value, end = decoder.raw_decode(rest.lstrip())
        answers.append(value)
        rest = rest.lstrip()[end:]
    processor, router, compacted, features, health = answers
    assert processor[0]["statusCode"] == 200
    assert processor[0]["output"]["endpoint"] == "https://acme.gainsightcloud.com/v1.0/api/people"
    assert router["output"][0]["statusCode"] == 200
    assert router["output"][0]["batchedRequest"]["headers"]["eventName"] == "Ticket Resolved Event"
    assert compacted[0]["statusCode"] == 200 and compacted[0]["metadata"]["jobId"] == 1
    assert features["routerTransform"] == {"GAINSIGHT": True}
    assert health["service"] == "UP"


# --- The venv's python, never a bare one ---------------------------------------------------------

# Pages a person copies commands from. docs/mapping.md is left out: it is generated, and its header
# line (with the command that generates it) comes from src/gainsight_transformer/gainsight/mapping_page.py.
DOCUMENTS = ["README.md", "examples/README.md", "bench/README.md"] + [
    f"docs/{page.name}" for page in sorted((REPO / "docs").glob("*.md")) if page.name != "mapping.md"
]
BARE_PYTHON = re.compile(r"(?:^|[\s;&|(])python3?(?:\s+-m\s+(?!venv\b)|\s+[\w./-]+\.py\b)")


def commands_of(markdown: str) -> list[str]:
    """Every line of a code block and every inline code span."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", markdown, re.DOTALL)
    prose = re.sub(r"```[a-z]*\n.*?```", "", markdown, flags=re.DOTALL)
    spans = re.findall(r"`([^`\n]+(?:\n[^`\n]+)?)`", prose)
    return [line for block in blocks for line in block.splitlines()] + spans


@pytest.mark.parametrize("document", DOCUMENTS)
def test_commands_run_the_venvs_python_not_a_bare_one(document: str) -> None:
    bare = [command for command in commands_of((REPO / document).read_text()) if BARE_PYTHON.search(command)]
    assert not bare, f"{document}: use .venv/bin/python in {bare}"


def test_the_bare_python_check_finds_what_it_should() -> None:
    found = [c for c in commands_of(_SAMPLE) if BARE_PYTHON.search(c)]
    assert found == [
        "python -m pytest",
        "python3 bench/run.py --quick",
        "python -m gainsight_simulator --help",
    ]


_SAMPLE = """
```sh
python -m pytest
python3 -m venv .venv && .venv/bin/pip install .
.venv/bin/python -m pytest
python3 bench/run.py --quick
```
Run `python -m gainsight_simulator --help` or `.venv/bin/python -m gainsight_transformer`; Python 3.11+.
"""


# --- Running them ----------------------------------------------------------------------------------


def _span(text: str, pattern: str) -> str:
    """The one inline code span of `text` that matches `pattern` (a regular expression)."""
    prose = re.sub(r"```[a-z]*\n.*?```", "", text, flags=re.DOTALL)
    [span] = [s for s in re.findall(r"`([^`]+)`", prose) if re.fullmatch(pattern, s)]
    return span


def _serve(command: str, port: int) -> subprocess.Popen[bytes]:
    """`command` through bash from the repository root, in a session of its own, healthy on `port`."""
    env = {**os.environ, "HOST": "127.0.0.1", "WORKERS": "1", "LOG_LEVEL": "warning", "PORT": str(port)}
    process = subprocess.Popen(["bash", "-c", command], cwd=REPO, env=env, start_new_session=True)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process, timeout=60)
    except BaseException:
        _stop_session(process)
        raise
    return process


def _stop_session(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)  # bash and the service it started: this test's own
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@needs_venv
def test_the_service_moves_to_another_port_with_PORT_as_the_ports_table_says() -> None:
    row = next(line for line in README.splitlines() if line.startswith("| the service (9090) |"))
    command = _span(row.split("|")[2], r"PORT=\d+ \S+")
    port = free_port()
    process = _serve(command.replace(command.split()[0], f"PORT={port}"), port)
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()["service"] == "UP"
    finally:
        _stop_session(process)


@needs_venv
def test_python_dash_m_starts_the_service_as_the_quick_start_says() -> None:
    command = _span(README.split("## Try it with curl", 1)[0], r"\S+ -m gainsight_transformer")
    port = free_port()  # given as PORT, as the service's own setting
    process = _serve(command, port)
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/features", timeout=5).json()["routerTransform"][
            "GAINSIGHT"
        ]
    finally:
        _stop_session(process)


@needs_venv
def test_the_simulators_help_lists_what_the_readme_says() -> None:
    section = README.split("## Try it against the Gainsight simulator", 1)[1].split("\n## ", 1)[0]
    command = _span(section, r"\S+ -m gainsight_simulator --help")
    done = subprocess.run(["bash", "-c", command], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    paragraph = section[section.index(command) :].split("\n\n", 1)[0]
    named = re.findall(r"`(--[a-z-]+|/__admin/[a-z]+)`", paragraph)
    assert len(named) >= 6 and all(name in done.stdout for name in named), (named, done.stdout)


@needs_venv
def test_the_simulators_smoke_round_passes_as_the_readme_says(tmp_path: Path) -> None:
    section = README.split("## Try it against the Gainsight simulator", 1)[1].split("\n## ", 1)[0]
    command = _span(section, r"\S+ -m gainsight_simulator\.smoke --ca-file \S+")
    simulator, simulator_process = start_simulator(tmp_path / "tls")
    service, service_process = start_service(
        SSL_CERT_FILE=str(simulator.ca_file), GAINSIGHT_HOST_ALLOWLIST=simulator.domain
    )
    try:
        words = shlex.split(command)
        words[words.index("--ca-file") + 1] = str(simulator.ca_file)
        words += ["--transformer", service, "--simulator", simulator.url, "--domain", simulator.domain]
        done = subprocess.run(words, cwd=REPO, capture_output=True, text=True, timeout=120)
    finally:
        stop(service_process)
        stop(simulator_process)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS" in done.stdout and "FAIL" not in done.stdout


@needs_venv
@pytest.mark.parametrize(
    ("module", "check"),
    [
        ("gainsight_transformer.openapi_export", lambda out: json.loads(out.read_text())["openapi"]),
        ("gainsight_transformer.gainsight.mapping_page", lambda out: out.read_text().startswith("# ")),
        (
            "gainsight_transformer.openapi.bodies",
            lambda out: (
                {p.name for p in out.glob("*.json")}
                == {p.name for p in (REPO / "examples" / "bodies").glob("*.json")}
            ),
        ),
    ],
)
def test_the_generated_file_commands_run_as_written(tmp_path: Path, module: str, check) -> None:
    """Run in a scratch directory laid out as the repository (its .venv a link to ours), so that
    the files they write are not the repository's, which other work may be changing."""
    section = README.split("## Contributing", 1)[1].split("\n## ", 1)[0].replace("\n  ", " ")
    command = _span(section, r"\S+ -m " + re.escape(module) + r" \S+")
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    (tmp_path / "docs").mkdir()
    (tmp_path / "examples" / "bodies").mkdir(parents=True)
    done = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert check(tmp_path / command.split()[-1])


def _newman_command() -> str:
    [block] = [b for b in re.findall(r"```sh\n(.*?)```", EXAMPLES_README, re.DOTALL) if "newman" in b]
    [command] = block.strip().splitlines()
    return command


def test_the_newman_command_names_files_that_exist_from_the_repository_root() -> None:
    words = shlex.split(_newman_command())
    assert words[:3] == ["npx", f"newman@{NEWMAN_VERSION}", "run"]
    files = [words[3], words[words.index("-e") + 1]]
    assert all((REPO / name).is_file() for name in files), files


@pytest.mark.network
def test_the_newman_command_passes_from_the_repository_root(tmp_path: Path) -> None:
    """As written, but with the newman the tests install (npx would fetch it) and the test's ports."""
    newman = newman_binary()
    simulator, simulator_process = start_simulator(tmp_path / "tls")
    service, service_process = start_service(
        SSL_CERT_FILE=str(simulator.ca_file), GAINSIGHT_HOST_ALLOWLIST=simulator.domain
    )
    words = shlex.split(_newman_command())
    words[:2] = [str(newman)]
    words += [
        "--env-var",
        f"baseUrl={service}",
        "--env-var",
        f"gainsightDomain={simulator.domain}",
        "--color",
        "off",
    ]
    try:
        done = subprocess.run(words, cwd=REPO, capture_output=True, text=True, timeout=300)
    finally:
        stop(service_process)
        stop(simulator_process)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"│\s+assertions\s+│\s+\d+\s+│\s+0\s+│", done.stdout), done.stdout[-3000:]
