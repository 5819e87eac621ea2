"""`gainsight-transformer transform`: the real console entry as a subprocess, compared with the routes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

import gainsight_transformer.__main__ as entry
from gainsight_simulator.smoke import destination as simulator_destination
from gainsight_transformer.settings import Settings
from support.conformance_cases import FIXTURES
from support.processes import Simulator
from support.wire import COMPACTED, PROCESSOR, ROUTER, TRACK_CONFIG, destination, identify, metadata, track

# The simulator over HTTPS and the service pointed at it, as the end-to-end tests start them.


def run_cli(*args: str, stdin: bytes | None = None, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "gainsight_transformer", "transform", *args],
        input=stdin,
        capture_output=True,
        env={**os.environ, **env},
        timeout=60,
    )


def _fixture_bodies(name: str) -> list[Any]:
    return [case["input"]["request"]["body"] for case in json.loads((FIXTURES / name).read_text())]


def _offline(element: dict[str, Any]) -> bool:
    # group events call Gainsight; the simulator test below covers them.
    return element["message"].get("type") != "group"


PROCESSOR_BODY = [
    element for body in _fixture_bodies("processor.json") for element in body if _offline(element)
]
[ROUTER_BODY] = _fixture_bodies("router.json")
COMPACTED_INPUTS = [
    {"message": identify("one@b.c"), "metadata": metadata(1, "d1")},
    {"message": track(), "metadata": metadata(2, "d2")},
]
COMPACTED_DESTINATIONS = {"d1": destination("d1"), "d2": destination("d2", **TRACK_CONFIG)}


def body_file(tmp_path: Path, body: Any) -> str:
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body))
    return str(path)


def statuses(answer: Any) -> list[int]:
    elements = answer["output"] if isinstance(answer, dict) else answer
    return [element["statusCode"] for element in elements]


def test_processor_file_prints_exactly_what_the_route_answers(client, tmp_path: Path) -> None:
    expected = client.post(PROCESSOR, content=json.dumps(PROCESSOR_BODY))
    assert expected.status_code == 200
    # The fixtures mix successes and per-event failures; both must come through.
    assert 200 in statuses(expected.json()) and 400 in statuses(expected.json())

    result = run_cli(body_file(tmp_path, PROCESSOR_BODY))

    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout == expected.content + b"\n"


def test_dash_reads_the_body_from_stdin(client) -> None:
    body = json.dumps(PROCESSOR_BODY).encode()
    expected = client.post(PROCESSOR, content=body)

    result = run_cli("-", stdin=body)

    assert result.returncode == 0
    assert result.stdout == expected.content + b"\n"


def test_router_flag_posts_to_router_transform(client, tmp_path: Path) -> None:
    expected = client.post(ROUTER, content=json.dumps(ROUTER_BODY))
    assert statuses(expected.json()) == [200, 200]

    result = run_cli("--router", body_file(tmp_path, ROUTER_BODY))

    assert result.returncode == 0
    assert result.stdout == expected.content + b"\n"


@pytest.mark.parametrize("route", ["processor", "router"])
def test_compacted_flag_sends_the_compacted_content_format(client, tmp_path: Path, route: str) -> None:
    body: dict[str, Any] = {"input": COMPACTED_INPUTS, "destinations": COMPACTED_DESTINATIONS}
    args = ["--compacted"]
    if route == "router":
        body["destType"] = "gainsight"
        args.append("--router")
    expected = client.post(PROCESSOR if route == "processor" else ROUTER, json=body, headers=COMPACTED)
    assert statuses(expected.json()) == [200, 200]

    result = run_cli(*args, body_file(tmp_path, body))

    assert result.returncode == 0
    assert result.stdout == expected.content + b"\n"


def test_compacted_body_without_the_flag_is_a_request_error(tmp_path: Path) -> None:
    body = {"input": COMPACTED_INPUTS, "destinations": COMPACTED_DESTINATIONS}

    result = run_cli(body_file(tmp_path, body))

    assert result.returncode == 1
    answer, hint = result.stderr.decode().splitlines()
    assert "error" in json.loads(answer)
    assert hint.endswith("(a compacted processor body), not a JSON array of events: add --compacted")


@pytest.mark.parametrize(
    ("body", "flags"),
    [
        pytest.param(ROUTER_BODY, ["--router"], id="router body"),
        pytest.param(
            {"input": COMPACTED_INPUTS, "destinations": COMPACTED_DESTINATIONS, "destType": "gainsight"},
            ["--router", "--compacted"],
            id="compacted router body",
        ),
        pytest.param(
            {"input": COMPACTED_INPUTS, "destinations": COMPACTED_DESTINATIONS},
            ["--compacted"],
            id="compacted",
        ),
    ],
)
def test_an_object_with_input_sent_as_a_processor_body_gets_a_hint_that_works(
    client, tmp_path: Path, body: dict[str, Any], flags: list[str]
) -> None:
    expected = client.post(PROCESSOR, content=json.dumps(body))
    assert expected.json() == {"error": "request body must be a JSON array of events"}
    file = body_file(tmp_path, body)

    result = run_cli(file)

    assert (result.returncode, result.stdout) == (1, b"")
    answer, hint = result.stderr.decode().splitlines()
    assert answer.encode() == expected.content  # the route's answer first, unchanged
    assert hint == (
        'gainsight-transformer transform: hint: FILE is an object with "input" '
        f"({_kind(flags)}), not a JSON array of events: add {' '.join(flags)}"
    )
    followed = run_cli(*hint.rsplit(": add ", 1)[1].split(), file)  # doing what it says works
    assert (followed.returncode, followed.stderr) == (0, b"")
    assert all(status == 200 for status in statuses(json.loads(followed.stdout)))


def _kind(flags: list[str]) -> str:
    return {
        ("--router",): "a router body",
        ("--router", "--compacted"): "a compacted router body",
        ("--compacted",): "a compacted processor body",
    }[tuple(flags)]


@pytest.mark.parametrize(
    ("args", "body"),
    [
        pytest.param([], {"events": []}, id="object without input"),
        pytest.param(["--router"], [], id="array sent to the router"),
    ],
)
def test_no_hint_where_no_flag_would_help(tmp_path: Path, args: list[str], body: Any) -> None:
    result = run_cli(*args, body_file(tmp_path, body))

    assert result.returncode == 1
    [answer] = result.stderr.decode().splitlines()
    assert "error" in json.loads(answer)


@pytest.mark.parametrize(
    ("args", "body", "path"),
    [
        pytest.param([], {}, PROCESSOR, id="processor body not an array"),
        pytest.param(["--router"], [], ROUTER, id="router body without input"),
        pytest.param(
            ["--destination", "nope"], PROCESSOR_BODY, "/v0/destinations/nope", id="unknown destination"
        ),
    ],
)
def test_request_level_error_exits_1_with_the_error_answer_on_stderr(
    client, tmp_path: Path, args: list[str], body: Any, path: str
) -> None:
    expected = client.post(path, content=json.dumps(body))
    assert expected.status_code in (400, 404)

    result = run_cli(*args, body_file(tmp_path, body))

    assert (result.returncode, result.stdout) == (1, b"")
    assert result.stderr == expected.content + b"\n"
    assert set(json.loads(result.stderr)) == {"error"}


def test_body_that_is_not_json_is_a_request_error_not_a_usage_error(client) -> None:
    expected = client.post(PROCESSOR, content=b"not json")

    result = run_cli("-", stdin=b"not json")

    assert result.returncode == 1
    assert result.stderr == expected.content + b"\n"


def test_missing_file_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    missing = tmp_path / "absent.json"

    result = run_cli(str(missing))

    assert (result.returncode, result.stdout) == (2, b"")
    assert (
        result.stderr.decode()
        == f"gainsight-transformer transform: cannot read {missing}: No such file or directory\n"
    )


def test_directory_as_input_exits_2(tmp_path: Path) -> None:
    result = run_cli(str(tmp_path))

    assert result.returncode == 2
    assert f"cannot read {tmp_path}" in result.stderr.decode()


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="no FILE"),
        pytest.param(["--router", "--destination", "gainsight", "x.json"], id="router and destination"),
        pytest.param(["--no-such-option", "x.json"], id="unknown option"),
    ],
)
def test_bad_arguments_exit_2(args: list[str]) -> None:
    result = run_cli(*args)

    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr.startswith(b"usage: gainsight-transformer")
    assert b"error: " in result.stderr


def test_invalid_settings_exit_2(tmp_path: Path) -> None:
    result = run_cli(body_file(tmp_path, PROCESSOR_BODY), COMPANY_WRITE_BATCH_SIZE="500")

    assert (result.returncode, result.stdout) == (2, b"")
    assert b"invalid settings" in result.stderr
    assert b"COMPANY_WRITE_BATCH_SIZE: Input should be less than or equal to 50" in result.stderr


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    # A body over MAX_BODY_BYTES is refused by the in-process app exactly as by the service.
    body = [PROCESSOR_BODY[0]] * 20

    result = run_cli(body_file(tmp_path, body), MAX_BODY_BYTES="1024")

    assert (result.returncode, result.stdout) == (1, b"")
    assert json.loads(result.stderr) == {"error": "request entity too large"}
    assert run_cli(body_file(tmp_path, body)).returncode == 0


def test_pretty_indents_the_same_answer(client, tmp_path: Path) -> None:
    expected = client.post(ROUTER, content=json.dumps(ROUTER_BODY))

    result = run_cli("--router", "--pretty", body_file(tmp_path, ROUTER_BODY))

    assert result.returncode == 0
    assert result.stdout.startswith(b'{\n  "output": [\n')
    assert json.loads(result.stdout) == expected.json()


def test_fail_on_event_errors_exits_3_only_when_an_event_failed(tmp_path: Path) -> None:
    mixed = body_file(tmp_path, PROCESSOR_BODY)
    failing = run_cli("--fail-on-event-errors", mixed)
    assert failing.returncode == 3
    assert 400 in statuses(json.loads(failing.stdout))  # the answer is still printed
    assert run_cli(mixed).returncode == 0

    assert run_cli("--fail-on-event-errors", "--router", body_file(tmp_path, ROUTER_BODY)).returncode == 0


def test_help_describes_commands_options_and_exit_codes() -> None:
    top = subprocess.run(
        [sys.executable, "-m", "gainsight_transformer", "--help"], capture_output=True, text=True
    )
    transform = run_cli("--help")

    assert top.returncode == 0 and "serve" in top.stdout and "transform" in top.stdout
    help_text = transform.stdout.decode()
    assert transform.returncode == 0
    for option in (
        "--router",
        "--compacted",
        "--destination",
        "--pretty",
        "--fail-on-event-errors",
        "exit codes",
    ):
        assert option in help_text


@pytest.mark.parametrize("argv", [[], ["serve"]], ids=["no arguments", "serve"])
def test_no_arguments_or_serve_runs_the_service(monkeypatch, argv: list[str]) -> None:
    served: list[Settings] = []

    def serve(settings: Settings) -> int:
        served.append(settings)
        return 0

    monkeypatch.setattr(entry, "serve", serve)

    assert entry.main(argv) == 0
    assert served == [entry.get_settings()]


def test_group_event_reaches_the_simulator_and_matches_the_service(
    fresh_simulator: Simulator, gainsight_service: str, tmp_path: Path
) -> None:
    message = {
        "type": "group",
        "traits": {"name": "Cli Corp", "employees": "3"},
        "context": {"traits": {"email": "cli@e2e.example"}},
    }
    body = [
        {
            "message": message,
            "metadata": {"jobId": 1, "destinationId": "smoke-dest", "workspaceId": "w"},
            "destination": simulator_destination(fresh_simulator.domain, "cli-access-key"),
        }
    ]
    env = {"SSL_CERT_FILE": str(fresh_simulator.ca_file), "GAINSIGHT_HOST_ALLOWLIST": fresh_simulator.domain}

    result = run_cli("--fail-on-event-errors", body_file(tmp_path, body), **env)

    assert result.returncode == 0, result.stderr
    [answer] = json.loads(result.stdout)
    assert answer["statusCode"] == 200
    [company] = fresh_simulator.state()["companies"]
    assert company["Name"] == "Cli Corp"
    assert answer["output"]["body"]["JSON"]["companies"] == [{"Company_ID": company["Gsid"]}]
    # The service finds the company the CLI created and answers the same bytes.
    served = httpx.post(
        f"{gainsight_service}/v0/destinations/gainsight", content=json.dumps(body), timeout=30
    )
    assert result.stdout == served.content + b"\n"
    assert len(fresh_simulator.state()["companies"]) == 1


def test_group_event_refused_without_the_allowlist(fresh_simulator: Simulator, tmp_path: Path) -> None:
    body = [
        {
            "message": {
                "type": "group",
                "traits": {"name": "Nope Corp"},
                "context": {"traits": {"email": "n@e.x"}},
            },
            "metadata": {"jobId": 1},
            "destination": simulator_destination(fresh_simulator.domain, "cli-refused-key"),
        }
    ]

    result = run_cli("--fail-on-event-errors", body_file(tmp_path, body), GAINSIGHT_HOST_ALLOWLIST="")

    assert result.returncode == 3
    [answer] = json.loads(result.stdout)
    assert answer["statusCode"] == 400
    assert "refusing to connect" in answer["error"]
    assert fresh_simulator.state()["companies"] == []


def test_version_prints_the_installed_version() -> None:
    from importlib.metadata import version

    done = subprocess.run(
        [sys.executable, "-m", "gainsight_transformer", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"gainsight-transformer {version('gainsight-transformer')}"


def test_the_license_the_metadata_names_is_in_the_repository() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    assert (root / "LICENSE").read_text().startswith("MIT License")
    # setuptools reads the SPDX string form of `license` from release 77 on.
    assert "setuptools>=77" in project["build-system"]["requires"]
    assert "LICENSE" in (root / "Dockerfile").read_text()  # the image builds the wheel from it
