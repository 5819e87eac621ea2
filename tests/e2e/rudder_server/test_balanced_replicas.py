"""Issue 19 end to end: two instances of this service, two worker processes each, sharing one Redis
(REDIS_URL: the per-tenant company lock, the name -> Gsid cache and the 429 window), behind
haproxy, under the real rudder-server. A burst of group events from many users naming a handful
of new companies reaches four processes at once through rudder-server's concurrent router
workers; every company must be created exactly once and every event delivered exactly once.

    python -m pytest tests/e2e/rudder_server -m rudder_server -k balanced
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.redis_server import RedisServer

from .balanced import HAPROXY_MISSING, BalancedStack, haproxy_program
from .conftest import SUMMARY
from .harness import batches, eventually, job_states

pytestmark = pytest.mark.rudder_server

USERS = 150
COMPANIES = 5
TRACKED = 75
GROUP_DEADLINE_SECONDS = 4
COMPANY_LOCK_TTL_SECONDS = 5
DELIVERY_TIMEOUT = 150
PEOPLE_PATH = "/v1.0/api/people"
COMPANY_PATH = "/v1/data/objects/Company"
COMPANY_QUERY_PATH = "/v1/data/objects/query/Company"
EVENTS_PATH = "/v1.0/api/eventManager/event"


def email(user: int) -> str:
    return f"replica{user:03d}@e2e.example"


def company(user: int) -> str:
    return f"Replica Company {user % COMPANIES}"


def identify(user: int) -> dict[str, Any]:
    return {
        "type": "identify",
        "userId": f"r{user:03d}",
        "traits": {"email": email(user), "firstName": f"First{user}", "lastName": "Replica", "plan": "pro"},
    }


def group(user: int) -> dict[str, Any]:
    return {
        "type": "group",
        "userId": f"r{user:03d}",
        "groupId": f"rg{user % COMPANIES}",
        "traits": {"name": company(user), "region": "EMEA"},
        "context": {"traits": {"email": email(user)}},
    }


def track(user: int) -> dict[str, Any]:
    return {
        "type": "track",
        "userId": f"r{user:03d}",
        "event": "Ticket Resolved",
        "properties": {"ticketId": f"RT-{user}", "seq": user},
    }


@pytest.fixture
def haproxy() -> str:
    program = haproxy_program()
    if program is None:
        pytest.skip(f"rudder-server e2e: {HAPROXY_MISSING}")
    return program


def router_transforms(log: Path) -> list[dict[str, Any]]:
    """This instance's access lines of Gainsight's own router transforms (not forwarded ones)."""
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [
        line
        for line in lines
        if line.get("logger") == "gainsight_transformer.access"
        and line["route"] == "/routerTransform"
        and not line.get("forwarded")
    ]


def most_at_once(lines: list[dict[str, Any]]) -> int:
    """Most of these requests in flight at the same moment (from each line's end time and duration)."""
    edges = []
    for line in lines:
        end = datetime.fromisoformat(line["time"].replace("Z", "+00:00")).timestamp()
        edges += [(end - line["durationMs"] / 1000, 1), (end, -1)]
    peak = current = 0
    for _, step in sorted(edges):  # an end sorts before a start at the same instant
        current += step
        peak = max(peak, current)
    return peak


def retried_router_jobs(run: BalancedStack) -> int:
    """Router jobs rudder-server had to try again (a `failed` status before their success)."""
    tables = run.postgres.sql(
        "SELECT tablename FROM pg_tables WHERE tablename ~ '^rt_job_status_[0-9]+$'", run.database
    )
    query = "SELECT count(DISTINCT job_id) FROM {} WHERE job_state = 'failed'"
    return sum(int(run.postgres.sql(query.format(table), run.database)[0][0]) for (table,) in tables)


def test_two_balanced_instances_with_redis_create_each_company_once(
    haproxy: str, redis_server: RedisServer, stack: Any
) -> None:
    started = time.monotonic()
    run: BalancedStack = stack(
        "balanced_replicas",
        kind=BalancedStack,
        haproxy_program=haproxy,
        transform_at="router",
        compacted=True,
        service_env={
            "WORKERS": "2",
            "REDIS_URL": redis_server.url,
            "GROUP_DEADLINE_SECONDS": str(GROUP_DEADLINE_SECONDS),
            "COMPANY_LOCK_TTL_SECONDS": str(COMPANY_LOCK_TTL_SECONDS),
        },
    )
    assert run.gateway is not None and run.simulator is not None and run.balancer is not None
    for url in run.instance_urls:  # each instance (whichever worker answers) uses that Redis
        store = httpx.get(f"{url}/health", timeout=5).json()["companyStore"]
        assert (store["kind"], store["state"]) == ("redis", "up"), (url, store)
    for chunk in batches([identify(u) for u in range(USERS)], 50):
        run.gateway.send("batch", {"batch": chunk})
    # The service answers group events 500 until its Redis has been up COMPANY_LOCK_TTL_SECONDS
    # (locks a restarted Redis lost must have expired); the router would retry them, but the burst
    # is meant to meet a ready store (uptime_in_seconds is whole seconds: one more).
    redis_server.wait_up_for(COMPANY_LOCK_TTL_SECONDS + 1)
    # The burst: every user's group event, the companies interleaved, in a few gateway requests.
    for chunk in batches([group(u) for u in range(USERS)], 50):
        run.gateway.send("batch", {"batch": chunk})
    for chunk in batches([track(u) for u in range(TRACKED)], 50):
        run.gateway.send("batch", {"batch": chunk})
    sent = USERS + USERS + TRACKED

    def complete() -> dict[str, Any] | None:
        state = run.simulator.state()
        linked = [p for p in state["persons"] if p.get("companies")]
        done = len(state["persons"]) >= USERS and len(linked) >= USERS and len(state["events"]) >= TRACKED
        return state if done else None

    eventually(complete, DELIVERY_TIMEOUT, "every person, link and event in the simulator", interval=1)
    # rudder-server's own record: every job of both destinations succeeded, so nothing more is
    # on its way to the simulator (a late duplicate would show in the state read after this).
    eventually(
        lambda: (
            (states := job_states(run.postgres, run.database, "rt")) == {"succeeded": 2 * sent} and states
        ),
        60,
        f"router jobs all succeeded ({2 * sent})",
    )
    state = run.simulator.state()
    calls = state["calls"]

    # Every company exactly once: one record per name in the simulator, one create per name.
    names = {company(u) for u in range(USERS)}
    records = Counter(c["Name"] for c in state["companies"])
    assert records == Counter({name: 1 for name in names}), f"company records per name: {dict(records)}"
    # No fault was injected: every create and update succeeded; a search is answered 200, or 400
    # when nothing matches (Gainsight's "no data", GSOBJ_1011).
    writes = [c for c in calls if c["path"] == COMPANY_PATH]
    searches = [c for c in calls if c["path"] == COMPANY_QUERY_PATH]
    assert all(c["status"] == 200 for c in writes), Counter((c["method"], c["status"]) for c in writes)
    assert all(c["status"] in (200, 400) for c in searches), Counter(c["status"] for c in searches)
    creates = [c for c in writes if c["method"] == "POST"]
    created = Counter(record["Name"] for c in creates for record in c["body"]["records"])
    assert created == Counter({name: 1 for name in names}), f"records created per name: {dict(created)}"

    # Every event exactly once: one Person call per identify and per group, one Events call per track.
    people_calls = [c for c in calls if (c["method"], c["path"]) == ("PUT", PEOPLE_PATH)]
    assert all(c["status"] == 200 for c in people_calls), Counter(c["status"] for c in people_calls)
    people = Counter(
        (c["body"]["Email"], "group" if "companies" in c["body"] else "identify") for c in people_calls
    )
    expected_people = Counter({(email(u), kind): 1 for u in range(USERS) for kind in ("identify", "group")})
    assert people == expected_people, (
        f"Person calls sent twice or more: {dict(people - expected_people)}; "
        f"never sent: {sorted(expected_people - people)}"
    )
    persons = {p["Email"]: p for p in state["persons"]}
    assert len(state["persons"]) == USERS and set(persons) == {email(u) for u in range(USERS)}
    gsid = {c["Name"]: c["Gsid"] for c in state["companies"]}
    for user in range(USERS):
        person = persons[email(user)]
        assert (person["FirstName"], person["Plan__gc"]) == (f"First{user}", "pro"), person
        assert [link["Company_ID"] for link in person["companies"]] == [gsid[company(user)]], person
    for record in state["companies"]:
        assert record.get("Region__gc") == "EMEA", record
    event_calls = [c for c in calls if (c["method"], c["path"]) == ("POST", EVENTS_PATH)]
    assert all(c["status"] == 200 for c in event_calls), Counter(c["status"] for c in event_calls)
    seqs = Counter(event["body"]["seq"] for event in state["events"])
    assert seqs == Counter(range(TRACKED)) and len(event_calls) == TRACKED, (
        "a custom event lost or sent twice"
    )

    # Both instances did the work: haproxy spread the requests over them, and each instance's own
    # access log shows Gainsight router transforms it answered.
    servers = run.balancer.servers()
    sent_to = {name: int(server["req_tot"] or 0) for name, server in servers.items()}
    per_instance = [router_transforms(log) for log in run.instance_logs]
    served = [len(lines) for lines in per_instance]
    total = sum(served)
    assert len(sent_to) == 2 and min(sent_to.values()) > 0, sent_to
    assert all(count >= total / 4 for count in served), f"router transforms per instance: {served}"
    assert all(sum(line["events"] for line in lines) > 0 for lines in per_instance)
    concurrent = most_at_once([line for lines in per_instance for line in lines])
    assert concurrent >= 2, "rudder-server never had two router transforms in flight at once"

    retried = retried_router_jobs(run)
    duration = time.monotonic() - started
    SUMMARY["two balanced instances + redis"] = {
        "sent": sent,
        "delivered": sum(people.values()) + len(event_calls),
        "lost": sent - sum(people.values()) - len(event_calls),
        "duplicated": 0,  # asserted above
    }
    print(
        f"balanced replicas: {sent} events sent ({USERS} identify, {USERS} group naming {COMPANIES} "
        f"new companies, {TRACKED} track); delivered {sum(people.values())} Person and "
        f"{len(event_calls)} Events calls; {len(state['companies'])} companies from {len(creates)} "
        f"create calls ({sum(created.values())} records), {len(searches)} searches, "
        f"{len(writes) - len(creates)} updates; router transforms per instance {served} (haproxy "
        f"requests per server {sent_to}), at most {concurrent} in flight at once; {retried} router "
        f"jobs retried; {duration:.0f} s"
    )
