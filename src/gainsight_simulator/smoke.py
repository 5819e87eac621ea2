"""End-to-end smoke run: transform batches, deliver them through the proxy, check the simulator.

It first RESETS the simulator (forgets its people, companies, events and calls), then sends
identify, group and track events for two users through the processor and router transforms,
delivers what they answer through the proxy routes, and checks what the simulator stored.
Prints one PASS line per check; exit code 0 when every check holds, 1 otherwise.

example:
  python -m gainsight_simulator.smoke --ca-file /tmp/gs-certs/ca.pem
  python -m gainsight_simulator.smoke --transformer http://transformer:9090 \
      --simulator https://gainsight-sim:9443 --domain gainsight-sim:9443 --ca-file /certs/ca.pem
"""

from __future__ import annotations

import argparse
import ssl
import sys
from typing import Any

import httpx

SECRET = "smoke-shared-secret"


def destination(domain: str, access_key: str) -> dict[str, Any]:
    config = {
        "domain": domain,
        "accessKey": access_key,
        "sharedSecret": SECRET,
        "topicName": "Smoke",
        "tenantId": "smoke-tenant",
        "personMap": [{"from": "plan", "to": "Plan__gc"}],
        "companyMap": [{"from": "region", "to": "Region__gc"}],
        "eventNameMap": [{"from": "Ticket Resolved", "to": "ticket_resolved"}],
        "eventVersionMap": [{"from": "Ticket Resolved", "to": "1.0"}],
    }
    return {"ID": "smoke-dest", "Config": config, "DestinationDefinition": {"Name": "GAINSIGHT"}}


def events_for(user: str, company: str) -> list[dict[str, Any]]:
    email = f"{user}@smoke.example"
    return [
        {"type": "identify", "traits": {"email": email, "firstName": user.title(), "plan": "pro"}},
        {
            "type": "group",
            "traits": {"name": company, "employees": "42", "region": "EMEA"},
            "context": {"traits": {"email": email}},
        },
        {"type": "track", "event": "Ticket Resolved", "properties": {"ticket": f"{user}-1"}},
    ]


def _check(condition: bool, description: str, detail: Any = "") -> str:
    if not condition:
        raise AssertionError(f"{description}: {detail}")
    return description


class Smoke:
    def __init__(self, transformer: str, simulator: str, domain: str, verify: Any) -> None:
        self.transformer = transformer.rstrip("/")
        self.simulator = simulator.rstrip("/")
        self.domain = domain
        self.http = httpx.Client(timeout=30.0, verify=verify)
        self.access_key = "smoke-access-key"
        self.passed: list[str] = []

    def elements(self, messages: list[dict[str, Any]], first_job: int) -> list[dict[str, Any]]:
        return [
            {
                "message": message,
                "metadata": {"jobId": first_job + i, "destinationId": "smoke-dest", "workspaceId": "w"},
                "destination": destination(self.domain, self.access_key),
            }
            for i, message in enumerate(messages)
        ]

    def transform_processor(self, messages: list[dict[str, Any]], first_job: int) -> list[dict[str, Any]]:
        body = self.elements(messages, first_job)
        response = self.http.post(f"{self.transformer}/v0/destinations/gainsight", json=body)
        self.passed.append(
            _check(response.headers.get("apiVersion") == "2", "processor answers apiVersion 2")
        )
        answers = response.json()
        self.passed.append(
            _check(all(a["statusCode"] == 200 for a in answers), "processor transforms every event", answers)
        )
        return [{**a["output"], "metadata": [a["metadata"]]} for a in answers]

    def transform_router(self, messages: list[dict[str, Any]], first_job: int) -> list[dict[str, Any]]:
        body = {"destType": "gainsight", "input": self.elements(messages, first_job)}
        response = self.http.post(f"{self.transformer}/routerTransform", json=body)
        output = response.json()["output"]
        self.passed.append(
            _check(all(o["statusCode"] == 200 for o in output), "router transforms every event", output)
        )
        return [{**o["batchedRequest"], "metadata": o["metadata"]} for o in output]

    def deliver(self, requests: list[dict[str, Any]], version: str) -> None:
        for request in requests:
            if version == "v0":
                request = {**request, "metadata": request["metadata"][0]}
            response = self.http.post(
                f"{self.transformer}/{version}/destinations/gainsight/proxy", json=request
            )
            output = response.json()["output"]
            status = output["response"][0]["statusCode"] if version == "v1" else response.status_code
            self.passed.append(
                _check(status == 200, f"{version} proxy delivers {request['endpoint']}", output)
            )

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.http.get(f"{self.simulator}/__admin/state").json()
        return state

    def run(self) -> list[str]:
        self.http.post(f"{self.simulator}/__admin/reset").raise_for_status()
        self.deliver(self.transform_processor(events_for("ada", "Smoke Corp A"), 1), "v1")
        self.deliver(self.transform_router(events_for("bob", "Smoke Corp B"), 10), "v0")
        state = self.state()
        names = sorted(c["Name"] for c in state["companies"])
        self.passed.append(_check(names == ["Smoke Corp A", "Smoke Corp B"], "one company per group", names))
        gsids = {c["Name"]: c["Gsid"] for c in state["companies"]}
        persons = {p["Email"]: p for p in state["persons"]}
        for user, company in (("ada", "Smoke Corp A"), ("bob", "Smoke Corp B")):
            person = persons.get(f"{user}@smoke.example", {})
            self.passed.append(
                _check(person.get("Plan__gc") == "pro", f"{user} stored with mapped fields", person)
            )
            linked = [link.get("Company_ID") for link in person.get("companies", [])]
            self.passed.append(_check(gsids[company] in linked, f"{user} linked to {company}", linked))
        events = state["events"]
        self.passed.append(_check(len(events) == 2, "both track events stored", events))
        for event in events:
            headers = event["headers"]
            expected = {"sharedsecret": SECRET, "eventname": "ticket_resolved", "eventversion": "1.0"}
            seen = {k: headers.get(k) for k in expected}
            self.passed.append(_check(seen == expected, "event stored with Gainsight headers", seen))
        return self.passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gainsight_simulator.smoke",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--transformer",
        default="http://localhost:9090",
        help="base URL of the gainsight-transformer service (default: %(default)s)",
    )
    parser.add_argument(
        "--simulator",
        default="https://localhost:9443",
        help="base URL of the simulator, as this command reaches it (default: %(default)s)",
    )
    parser.add_argument(
        "--domain",
        default="localhost:9443",
        help="the Gainsight domain in the destination config: how the service reaches the simulator, "
        "e.g. its compose service name (default: %(default)s)",
    )
    parser.add_argument(
        "--ca-file",
        default=None,
        help="CA to trust for the simulator's HTTPS, its --tls-dir/ca.pem (default: the system's CAs)",
    )
    args = parser.parse_args(argv)
    verify = ssl.create_default_context(cafile=args.ca_file) if args.ca_file else True
    smoke = Smoke(args.transformer, args.simulator, args.domain, verify)
    try:
        smoke.run()
    except (AssertionError, httpx.HTTPError, KeyError, ValueError) as exc:
        for line in smoke.passed:
            print(f"PASS {line}")
        print(f"FAIL {exc}", file=sys.stderr)
        return 1
    for line in smoke.passed:
        print(f"PASS {line}")
    print(f"smoke: {len(smoke.passed)} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
