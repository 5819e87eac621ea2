"""The README's simulator walkthrough is a script (examples/simulator/walkthrough.sh); run against a
real simulator and a fresh service, every step does what the README says it does."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from support.processes import start_service, start_simulator, stop

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "simulator" / "walkthrough.sh"


def test_the_simulator_walkthrough_does_what_the_readme_says(tmp_path: Path) -> None:
    simulator, simulator_process = start_simulator(tmp_path / "tls")
    service, service_process = start_service(
        SSL_CERT_FILE=str(simulator.ca_file), GAINSIGHT_HOST_ALLOWLIST=simulator.domain
    )
    try:
        env = {"PATH": "/usr/bin:/bin", "BASE_URL": service, "SIMULATOR_URL": simulator.url,
               "CA_FILE": str(simulator.ca_file), "GAINSIGHT_DOMAIN": simulator.domain}  # fmt: skip
        result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
        state = simulator.state()
    finally:
        stop(service_process)
        stop(simulator_process)
    assert result.returncode == 0, result.stdout + result.stderr
    steps = [section.split("\n", 1)[1] for section in result.stdout.split("== ")[1:]]
    assert len(steps) == 5
    created, delivered, seen, throttled, retried = (json.loads(step) for step in steps)
    gsid = created["output"][0]["batchedRequest"]["body"]["JSON"]["companies"][0]["Company_ID"]
    assert {c["Name"]: c["Gsid"] for c in state["companies"]}["Acme"] == gsid
    assert delivered["output"]["response"][0]["statusCode"] == 200
    assert seen == {"companies": ["Acme"], "people": [{"Email": "ada@example.com", "companies": ["Acme"]}]}
    assert throttled["output"][0]["statTags"]["errorType"] == "throttled"
    assert retried["output"][0]["statusCode"] == 200
    assert sorted(c["Name"] for c in state["companies"]) == ["Acme", "Globex"]
    searches = [c for c in state["calls"] if c["path"] == "/v1/data/objects/query/Company"]
    assert [c["status"] for c in searches] == [400, 429, 400]  # Acme (none yet), Globex throttled, Globex
