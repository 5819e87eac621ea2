#!/usr/bin/env python3
"""Seeded generator of realistic RudderStack JS-SDK request bodies for the Gainsight benchmarks.

Writes one JSON file per scenario (compact, deterministic for a given seed and options):

    a_processor_identify1.json   POST /v0/destinations/gainsight   1 identify
    b_processor_mixed100.json    POST /v0/destinations/gainsight   100 events, identify + track alternating
    c_router_mixed100.json       POST /routerTransform             the same 100 events, router body
    d_processor_group20.json     POST /v0/destinations/gainsight   20 group events naming 5 companies
    e_router_mixed500.json       POST /routerTransform             500 events, identify + track alternating

Every event looks like what rudder-server sends for the JavaScript SDK v3: a ~1.75 KB message (context
with app, library, os, screen, page, campaign, traits and externalId; traits or properties) and, with
`metadata` and the destination (`Config` with non-empty personMap, companyMap, eventNameMap and
eventVersionMap), ~3 KB in all. Every event is valid: the service answers 200 for each of them.

Only the standard library is used, so CI can run it with any python3:

    python3 bench/gen_payloads.py                       # -> bench/payloads/
    python3 bench/gen_payloads.py --out DIR --seed 7 --domain 127.0.0.1:9443 --e-events 500
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DEFAULT_SEED = 20240601
DEFAULT_DOMAIN = "demo.gainsightcloud.com"
DEFAULT_OUT = Path(__file__).resolve().parent / "payloads"

# File name, route and event count of each scenario (run.py reads this table too).
SCENARIOS: dict[str, dict[str, Any]] = {
    "a": {"file": "a_processor_identify1.json", "route": "processor", "events": 1},
    "b": {"file": "b_processor_mixed100.json", "route": "processor", "events": 100},
    "c": {"file": "c_router_mixed100.json", "route": "router", "events": 100},
    "d": {"file": "d_processor_group20.json", "route": "processor", "events": 20},
    "e": {"file": "e_router_mixed500.json", "route": "router", "events": 500},
}

FIRST_NAMES = [
    "Ada",
    "Grace",
    "Alan",
    "Barbara",
    "Edsger",
    "Frances",
    "Ken",
    "Radia",
    "Tim",
    "Hedy",
    "Claude",
    "Katherine",
    "Niklaus",
    "Sophie",
    "Linus",
    "Shafi",
    "Donald",
    "Lynn",
]
LAST_NAMES = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Liskov",
    "Dijkstra",
    "Allen",
    "Thompson",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Shannon",
    "Johnson",
    "Wirth",
    "Wilson",
    "Torvalds",
    "Knuth",
]
CITIES = [
    ("Berlin", "DE", "Europe/Berlin"),
    ("Lyon", "FR", "Europe/Paris"),
    ("Austin", "US", "America/Chicago"),
    ("Toronto", "CA", "America/Toronto"),
    ("Bangalore", "IN", "Asia/Kolkata"),
    ("Sydney", "AU", "Australia/Sydney"),
    ("London", "GB", "Europe/London"),
]
PAGES = [
    ("/app/dashboard", "Dashboard"),
    ("/app/reports/usage", "Usage report"),
    ("/app/settings/billing", "Billing"),
    ("/app/projects", "Projects"),
    ("/pricing", "Pricing"),
    ("/app/integrations", "Integrations"),
]
BROWSERS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Safari/605.1.15",
]
PLANS = ["free", "starter", "growth", "enterprise"]
ROLES = ["admin", "member", "owner", "viewer", "billing"]
TRACK_EVENTS = ["Report Exported", "Feature Used", "Order Completed", "Seat Added", "Integration Connected"]
COMPANIES = ["Initech", "Globex Corporation", "Umbrella Analytics", "Hooli", "Stark Logistics"]
INDUSTRIES = ["Software", "Logistics", "Healthcare", "Retail", "Financial Services"]
SOURCES = [
    ("newsletter", "email", "june_digest"),
    ("google", "cpc", "brand_search"),
    ("linkedin", "social", "q2_launch"),
    ("partner", "referral", "reseller_push"),
]

WORKSPACE_ID = "2Hz7qWorkspaceBench0001"
SOURCE_ID = "2Hz7rJsSourceBench00001"
DESTINATION_ID = "2Hz7sGainsightBench0001"
DEFINITION_ID = "1Zt4GainsightDefinition"


class Faker:
    """All randomness comes from one seeded `random.Random`, so the output is reproducible."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.start = datetime(2024, 6, 3, 8, 0, 0, tzinfo=UTC)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def choice(self, items: list[Any]) -> Any:
        return self.rng.choice(items)

    def ksuid(self, prefix: str = "") -> str:
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(27 - len(prefix)))

    def timestamp(self, index: int) -> datetime:
        return self.start + timedelta(seconds=index * 7 + self.rng.random() * 5)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def destination(domain: str) -> dict[str, Any]:
    """The destination rudder-server attaches to each event (Config with all four maps non-empty)."""
    return {
        "ID": DESTINATION_ID,
        "Name": "Gainsight CS",
        "DestinationDefinition": {
            "ID": DEFINITION_ID,
            "Name": "GAINSIGHT",
            "DisplayName": "Gainsight",
            "Config": {"transformAt": "router"},
        },
        "Config": {
            "domain": domain,
            "accessKey": "ak-8c4f1e2a0d9b7a36",
            "sharedSecret": "ss-5e1c9d20b7",
            "tenantId": "tn-7a1d2b3c4e5f",
            "topicName": "Product Usage",
            "contractId": "contract-default-0001",
            "personMap": [
                {"from": "plan", "to": "Plan__gc"},
                {"from": "role", "to": "Role__gc"},
                {"from": "seats", "to": "Seats__gc"},
            ],
            "companyMap": [
                {"from": "region", "to": "Region__gc"},
                {"from": "tier", "to": "Tier__gc"},
            ],
            "eventNameMap": [{"from": name, "to": name.lower().replace(" ", "_")} for name in TRACK_EVENTS],
            "eventVersionMap": [{"from": name, "to": "1.0.0"} for name in TRACK_EVENTS],
        },
        "Enabled": True,
        "WorkspaceID": WORKSPACE_ID,
    }


class Person:
    def __init__(self, fake: Faker, index: int) -> None:
        self.first = fake.choice(FIRST_NAMES)
        self.last = fake.choice(LAST_NAMES)
        self.user_id = f"usr_{fake.ksuid()[:20]}"
        self.anonymous_id = fake.uuid()
        self.email = f"{self.first}.{self.last}.{index}@example.com".lower().replace("-", "")
        self.city, self.country, self.timezone = fake.choice(CITIES)
        self.plan = fake.choice(PLANS)
        self.role = fake.choice(ROLES)
        self.ip = f"198.51.100.{fake.rng.randint(1, 254)}"


def context(fake: Faker, person: Person, index: int, external_ids: list[dict[str, Any]]) -> dict[str, Any]:
    path, title = fake.choice(PAGES)
    source, medium, campaign = fake.choice(SOURCES)
    search = f"?utm_source={source}&utm_medium={medium}&utm_campaign={campaign}"
    return {
        "app": {
            "build": "1.0.0",
            "name": "RudderLabs JavaScript SDK",
            "namespace": "com.rudderlabs.javascript",
            "version": "3.7.6",
        },
        "library": {"name": "RudderLabs JavaScript SDK", "version": "3.7.6"},
        "userAgent": fake.choice(BROWSERS),
        "locale": "en-US",
        "screen": {"width": 1728, "height": 1117, "density": 2, "innerWidth": 1440, "innerHeight": 861},
        "page": {
            "path": path,
            "referrer": "https://www.google.com/",
            "search": search,
            "title": title,
            "url": f"https://app.example.com{path}{search}",
        },
        "campaign": {"name": campaign, "source": source, "medium": medium},
        "traits": {
            "email": person.email,
            "firstName": person.first,
            "lastName": person.last,
            "plan": person.plan,
        },
        "externalId": external_ids,
        "timezone": "GMT+0200",
        "sessionId": 1717400000000 + index * 1013,
    }


def envelope(fake: Faker, person: Person, index: int, kind: str, ctx: dict[str, Any]) -> dict[str, Any]:
    sent = fake.timestamp(index)
    received = sent + timedelta(milliseconds=fake.rng.randint(40, 400))
    return {
        "anonymousId": person.anonymous_id,
        "channel": "web",
        "context": ctx,
        "integrations": {"All": True},
        "messageId": fake.uuid(),
        "originalTimestamp": iso(sent),
        "receivedAt": iso(received),
        "request_ip": person.ip,
        "rudderId": fake.uuid(),
        "sentAt": iso(sent + timedelta(milliseconds=12)),
        "timestamp": iso(received - timedelta(milliseconds=12)),
        "type": kind,
        "userId": person.user_id,
    }


def identify_message(fake: Faker, person: Person, index: int) -> dict[str, Any]:
    ctx = context(fake, person, index, [{"type": "GAINSIGHT-person", "id": f"gsp-{index:06d}"}])
    message = envelope(fake, person, index, "identify", ctx)
    message["traits"] = {
        "email": person.email,
        "firstName": person.first,
        "lastName": person.last,
        "middleName": "J",
        "linkedinUrl": f"https://www.linkedin.com/in/{person.first.lower()}-{person.last.lower()}-{index}",
        "location": {"city": person.city, "country": person.country},
        "timezone": person.timezone,
        "emailOptOut": index % 5 == 0,
        "externalRecordId": {"system": "salesforce", "id": f"0035g00000{index:08d}"},
        "comments": "Imported at onboarding",
        "masterAvatarTypeCode": str(index % 3),
        "plan": person.plan,
        "role": person.role,
        "seats": fake.rng.randint(1, 250),
        "signupSource": ctx["campaign"]["source"],
        "createdAt": iso(fake.timestamp(index) - timedelta(days=fake.rng.randint(10, 900))),
    }
    return message


def track_message(fake: Faker, person: Person, index: int) -> dict[str, Any]:
    ctx = context(
        fake, person, index, [{"type": "gainsightEventContractId", "id": f"contract-{index % 4:04d}"}]
    )
    message = envelope(fake, person, index, "track", ctx)
    event = TRACK_EVENTS[(index // 2) % len(TRACK_EVENTS)]
    message["event"] = event
    items = [
        {
            "sku": f"SKU-{fake.rng.randint(1000, 9999)}",
            "name": f"Add-on {n}",
            "price": round(9.5 + n * 5, 2),
            "quantity": 1 + n % 3,
        }
        for n in range(1)
    ]
    message["properties"] = {
        "feature": fake.choice(["export", "alerts", "sso", "audit-log", "api"]),
        "rows": fake.rng.randint(10, 50_000),
        "durationMs": fake.rng.randint(40, 9_000),
        "success": fake.rng.random() > 0.1,
        "orderId": f"ord_{fake.ksuid()[:16]}",
        "revenue": round(sum(i["price"] * i["quantity"] for i in items), 2),
        "currency": "USD",
        "coupon": None,
        "items": items,
    }
    return message


def group_message(fake: Faker, person: Person, index: int, company: int) -> dict[str, Any]:
    ctx = context(fake, person, index, [{"type": "GAINSIGHT-company", "id": f"gsc-{company:04d}"}])
    message = envelope(fake, person, index, "group", ctx)
    message["groupId"] = f"grp_{company:05d}"
    message["traits"] = {
        "name": COMPANIES[company % len(COMPANIES)] + ("" if company < len(COMPANIES) else f" {company}"),
        "employees": str(50 * (company + 1) + index),
        "arr": 120_000 + 1_000 * index,
        "mrr": 10_000 + 100 * index,
        "industry": INDUSTRIES[company % len(INDUSTRIES)],
        "companyType": "Customer",
        "stage": fake.choice(["Onboarding", "Adoption", "Renewal"]),
        "status": "Active",
        "billingAddress": {
            "street": f"{company + 1} Market Street",
            "city": person.city,
            "country": person.country,
        },
        "tickerSymbol": f"BN{company}",
        "users": str(10 + index),
        "renewalDate": "2025-06-30",
        "region": fake.choice(["EMEA", "AMER", "APAC"]),
        "tier": fake.choice(["gold", "silver", "bronze"]),
        "website": f"https://www.company{company}.example.com",
    }
    return message


def metadata(fake: Faker, message: dict[str, Any], job_id: int) -> dict[str, Any]:
    """rudder-server's per-event metadata (the fields it sends for a JS source)."""
    return {
        "sourceId": SOURCE_ID,
        "workspaceId": WORKSPACE_ID,
        "sourceType": "Javascript",
        "destinationId": DESTINATION_ID,
        "jobId": job_id,
        "destinationType": "GAINSIGHT",
        "messageId": message["messageId"],
        "rudderId": message["rudderId"],
        "receivedAt": message["receivedAt"],
        "eventName": message.get("event", ""),
        "eventType": message["type"],
    }


def mixed_events(fake: Faker, count: int, domain: str, first_job: int) -> list[dict[str, Any]]:
    """identify, track, identify, track, ...; each pair is one person."""
    events = []
    dest = destination(domain)
    person = None
    for index in range(count):
        if index % 2 == 0:
            person = Person(fake, index)
            message = identify_message(fake, person, index)
        else:
            message = track_message(fake, person, index)
        events.append(
            {"message": message, "metadata": metadata(fake, message, first_job + index), "destination": dest}
        )
    return events


def group_events(fake: Faker, count: int, companies: int, domain: str) -> list[dict[str, Any]]:
    """`count` group events, company names cycling over `companies` distinct names."""
    dest = destination(domain)
    events = []
    for index in range(count):
        message = group_message(fake, Person(fake, index), index, index % companies)
        events.append(
            {"message": message, "metadata": metadata(fake, message, 5000 + index), "destination": dest}
        )
    return events


def router_body(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {"input": events, "destType": "gainsight"}


def build_bodies(
    seed: int = DEFAULT_SEED,
    domain: str = DEFAULT_DOMAIN,
    group_domain: str = "127.0.0.1:9443",
    group_companies: int = 5,
    e_events: int = 500,
) -> dict[str, Any]:
    """Scenario letter -> request body (JSON-able). Same arguments -> same bodies."""
    hundred = mixed_events(Faker(seed), 100, domain, first_job=1)
    return {
        "a": mixed_events(Faker(seed + 1), 1, domain, first_job=1),
        "b": hundred,
        "c": router_body(hundred),
        "d": group_events(Faker(seed + 2), 20, group_companies, group_domain),
        "e": router_body(mixed_events(Faker(seed + 3), e_events, domain, first_job=1000)),
    }


def dump(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def write_bodies(out: Path, **options: Any) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for letter, body in build_bodies(**options).items():
        path = out / SCENARIOS[letter]["file"]
        data = dump(body)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        written[letter] = path
    return written


def describe(path: Path) -> str:
    body = json.loads(path.read_bytes())
    events = body["input"] if isinstance(body, dict) else body
    messages = [len(dump(e["message"])) for e in events]
    whole = [len(dump(e)) for e in events]
    return (
        f"{path.name}: {path.stat().st_size:,} bytes, {len(events)} events, "
        f"message {sum(messages) / len(messages):,.0f} B, event {sum(whole) / len(whole):,.0f} B on average"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory [bench/payloads]")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--domain", default=DEFAULT_DOMAIN, help="Config.domain for a, b, c, e")
    parser.add_argument(
        "--group-domain",
        default="127.0.0.1:9443",
        help="Config.domain for d (the simulator's host:port) [127.0.0.1:9443]",
    )
    parser.add_argument("--group-companies", type=int, default=5, help="distinct company names in d [5]")
    parser.add_argument("--e-events", type=int, default=500, help="events in the e router batch [500]")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)
    written = write_bodies(
        args.out,
        seed=args.seed,
        domain=args.domain,
        group_domain=args.group_domain,
        group_companies=args.group_companies,
        e_events=args.e_events,
    )
    if not args.quiet:
        for path in written.values():
            print(describe(path))


if __name__ == "__main__":
    main()
