"""The README's "Try it with curl" commands, run word for word (only the port is the test's) against
the real service: each answers what the README says it does."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from support.processes import start_service, stop

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


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
