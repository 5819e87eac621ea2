"""Company resolution across the group events of a request: coalesced search, folded and batched
writes, the name → Gsid cache, single-flight, per-event errors and the 429 fast-fail.

Gainsight is the simulator app in-process (tests/gainsight/company_harness.py); where it matters the
result is compared with the original's way: each event on its own, one after the other.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from gainsight_simulator import Response
from gainsight_transformer.rudder.errors import TransformError
from support.fakes import FakeClock

from .company_harness import (
    COMPANY,
    QUERY,
    InProcessGainsight,
    Service,
    group_of,
    linked,
    original,
)

COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(6010.0)


@pytest.fixture
def gainsight(clock: FakeClock) -> InProcessGainsight:
    return InProcessGainsight(clock)


@pytest.fixture
def service(gainsight: InProcessGainsight, clock: FakeClock) -> Service:
    return Service(gainsight, clock)


def without_gsid(companies: dict[Any, dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {name: {k: v for k, v in c.items() if k != "Gsid"} for name, c in companies.items()}


# ---------------------------------------------------------------------------------------------
# Coalescing: one search per tenant, batched creates and updates
# ---------------------------------------------------------------------------------------------


async def test_twenty_events_naming_five_companies_make_one_search_and_two_writes(gainsight, service):
    existing = gainsight.seed("Acme", "Globex")
    messages = [group_of(COMPANIES[i % 5], f"u{i}@x.com", employees=i) for i in range(20)]
    results = await service.transform(messages)

    assert gainsight.searched() == [COMPANIES]  # one IN query, names in event order
    [created] = gainsight.written("POST")
    [updated] = gainsight.written("PUT")
    assert [r["Name"] for r in created] == ["Initech", "Umbrella", "Hooli"]
    assert [r["Name"] for r in updated] == ["Acme", "Globex"]
    assert len(gainsight.state.calls) == 3  # 0.15 Company calls per group event

    gsids = {name: c["Gsid"] for name, c in gainsight.companies().items()}
    assert len(gainsight.state.companies) == 5
    assert {k: gsids[k] for k in existing} == existing
    for i, result in enumerate(results):
        assert result.json_body["Email"] == f"u{i}@x.com"
        assert linked(result) == gsids[COMPANIES[i % 5]]


@pytest.mark.parametrize(("events", "writes"), [(20, 1), (120, 3)])
async def test_all_distinct_new_names_cost_one_search_and_a_create_per_fifty(
    gainsight, service, events, writes
):
    results = await service.transform([group_of(f"Company {i}", f"u{i}@x.com") for i in range(events)])
    assert len(gainsight.calls("POST", QUERY)) == 1
    assert sorted(len(batch) for batch in gainsight.written("POST")) == sorted(
        [50] * (writes - 1) + [events - 50 * (writes - 1)]
    )
    gsids = {name: c["Gsid"] for name, c in gainsight.companies().items()}
    assert [linked(r) for r in results] == [gsids[f"Company {i}"] for i in range(events)]


async def test_search_chunks_and_write_batches_follow_the_settings(gainsight, clock):
    service = Service(gainsight, clock, company_search_chunk_size=2, company_write_batch_size=2)
    await service.transform([group_of(name) for name in COMPANIES])
    # A chunk of one name is searched exactly as the original does (EQ).
    operators = [c["body"]["where"]["conditions"][0]["operator"] for c in gainsight.calls("POST", QUERY)]
    assert sorted(operators) == ["EQ", "IN", "IN"]
    assert sorted(len(batch) for batch in gainsight.written("POST")) == [1, 2, 2]


async def test_tenants_are_resolved_apart(gainsight, service):
    results = await asyncio.gather(
        service.transform([group_of("Acme")], accessKey="key-1"),
        service.transform([group_of("Acme")], accessKey="key-2"),
    )
    assert sorted(c["accessKey"] for c in gainsight.calls("POST", QUERY)) == ["key-1", "key-2"]
    # Same domain, so the same single-flight lock: the second search ran after the first create.
    assert len(gainsight.state.companies) == 1
    assert all(linked(r) for [r] in results)


# ---------------------------------------------------------------------------------------------
# Folding: several events writing one company become one record, later fields winning
# ---------------------------------------------------------------------------------------------

FOLDED_EVENTS = [
    group_of("Acme", "a@x.com", stage="Trial", employees="5", plan="gold"),
    group_of("Acme", "b@x.com", stage="Live"),
    group_of("Acme", "c@x.com", status="Active", employees=7, plan=None),
]
COMPANY_MAP = [{"from": "plan", "to": "Plan__gc"}]


async def test_updates_of_one_company_fold_into_one_record_in_event_order(gainsight, service, clock):
    gsid = gainsight.seed("Acme")["Acme"]
    results = await service.transform(FOLDED_EVENTS, companyMap=COMPANY_MAP)
    assert gainsight.written("PUT") == [
        [{"Name": "Acme", "Stage": "Live", "Employees": 7, "Plan__gc": "gold", "Status": "Active"}]
    ]
    assert [linked(r) for r in results] == [gsid] * 3

    # The same data as the original's three successive updates.
    reference = InProcessGainsight(clock)
    reference.seed("Acme")
    await original(reference, FOLDED_EVENTS, companyMap=COMPANY_MAP)
    assert without_gsid(gainsight.companies()) == without_gsid(reference.companies())


async def test_events_creating_one_new_company_create_it_once(gainsight, service, clock):
    results = await service.transform(FOLDED_EVENTS, companyMap=COMPANY_MAP)
    assert gainsight.written("POST") == [
        [{"Name": "Acme", "Stage": "Live", "Employees": 7, "Plan__gc": "gold", "Status": "Active"}]
    ]
    assert gainsight.written("PUT") == []
    [company] = gainsight.state.companies
    assert [linked(r) for r in results] == [company["Gsid"]] * 3

    reference = InProcessGainsight(clock)
    await original(reference, FOLDED_EVENTS, companyMap=COMPANY_MAP)  # create, then two updates
    assert without_gsid(gainsight.companies()) == without_gsid(reference.companies())


# ---------------------------------------------------------------------------------------------
# The name → Gsid cache
# ---------------------------------------------------------------------------------------------


async def test_a_cached_name_skips_the_search_but_still_writes_the_update(gainsight, service):
    [first] = await service.transform([group_of("Acme")])
    [second] = await service.transform([group_of("Acme", stage="Live")])
    assert len(gainsight.calls("POST", QUERY)) == 1
    assert gainsight.written("PUT") == [[{"Name": "Acme", "Stage": "Live"}]]
    assert linked(first) == linked(second) == gainsight.state.companies[0]["Gsid"]


async def test_a_found_name_is_cached_from_the_search(gainsight, service):
    gainsight.seed("Acme", "Globex")
    await service.transform([group_of("Acme"), group_of("Globex")])
    await service.transform([group_of("Acme"), group_of("Globex")])
    assert gainsight.searched() == [["Acme", "Globex"]]


async def test_cache_entries_expire_the_ttl_after_they_were_learnt(gainsight, clock):
    service = Service(gainsight, clock, company_cache_ttl_seconds=30)
    await service.transform([group_of("Acme")])
    clock.advance(29)
    await service.transform([group_of("Acme")])  # a hit; its update does not renew the entry
    assert len(gainsight.calls("POST", QUERY)) == 1
    clock.advance(1)
    await service.transform([group_of("Acme")])  # learnt 30 s ago: searched again, and learnt anew
    assert len(gainsight.calls("POST", QUERY)) == 2
    clock.advance(29)
    await service.transform([group_of("Acme")])
    assert len(gainsight.calls("POST", QUERY)) == 2
    assert len(gainsight.state.companies) == 1
    assert len(gainsight.calls("PUT", COMPANY)) == 3  # every event's company payload still written


@pytest.mark.parametrize("setting", ["company_cache_ttl_seconds", "company_cache_size"])
async def test_zero_disables_the_cache(gainsight, clock, setting):
    service = Service(gainsight, clock, **{setting: 0})
    await service.transform([group_of("Acme")])
    await service.transform([group_of("Acme")])
    assert len(gainsight.calls("POST", QUERY)) == 2
    assert len(service.resolver.store.cache) == 0


async def test_the_cache_is_bounded(gainsight, clock):
    service = Service(gainsight, clock, company_cache_size=3)
    await service.transform([group_of(name) for name in COMPANIES])
    assert len(service.resolver.store.cache) == 3


async def test_cache_entries_belong_to_one_access_key(gainsight, service):
    await service.transform([group_of("Acme")], accessKey="key-1")
    await service.transform([group_of("Acme")], accessKey="key-2")
    assert [c["accessKey"] for c in gainsight.calls("POST", QUERY)] == ["key-1", "key-2"]


async def test_a_stale_cache_entry_falls_back_to_the_originals_search(gainsight, service):
    await service.transform([group_of("Acme")])
    gainsight.state.companies.clear()  # deleted in Gainsight meanwhile
    gainsight.state.calls.clear()
    [result] = await service.transform([group_of("Acme", stage="Live")])
    assert [(c["method"], c["path"], c["status"]) for c in gainsight.state.calls] == [
        ("PUT", COMPANY, 400),  # the cached name's update: no such company any more
        ("POST", QUERY, 400),  # the original's search: GSOBJ_1011, no data
        ("POST", COMPANY, 200),  # the original's create
    ]
    [company] = gainsight.state.companies
    assert company["Stage"] == "Live" and linked(result) == company["Gsid"]


# ---------------------------------------------------------------------------------------------
# Single-flight: concurrent requests never create the same company twice
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cache_ttl", [300, 0], ids=["cache", "no-cache"])
async def test_concurrent_requests_for_one_new_company_create_it_once(gainsight, clock, cache_ttl):
    gainsight.latency = 0.002  # every call takes a while, so the requests overlap
    service = Service(gainsight, clock, company_cache_ttl_seconds=cache_ttl)
    batches = [[group_of("Initech", f"u{i}@x.com")] for i in range(50)]
    results = await asyncio.gather(*(service.transform(batch) for batch in batches))
    [company] = gainsight.state.companies
    assert [linked(r) for [r] in results] == [company["Gsid"]] * 50
    assert len(gainsight.calls("POST", COMPANY)) == 1
    assert len(gainsight.calls("PUT", COMPANY)) == 49
    assert len(gainsight.calls("POST", QUERY)) == (1 if cache_ttl else 50)
    assert len(service.resolver.store.local_locks) == 0  # no lock outlives its requests


# ---------------------------------------------------------------------------------------------
# Errors stay per event, each the error the original would give it
# ---------------------------------------------------------------------------------------------

BAD_DATE = {"originalContractDate": "someday"}


async def test_one_rejected_record_fails_only_its_own_event(gainsight, service, clock):
    messages = [group_of(name, f"u{i}@x.com", **(BAD_DATE if name == "Umbrella" else {}))
                for i, name in enumerate(COMPANIES)]  # fmt: skip
    results = await service.transform(messages)

    failed = results[3]
    assert isinstance(failed, TransformError)
    assert (failed.status, failed.tags) == (400, {"errorCategory": "network", "errorType": "aborted"})
    stored = gainsight.companies()
    assert sorted(stored) == ["Acme", "Globex", "Hooli", "Initech"]
    assert [linked(results[i]) for i in (0, 1, 2, 4)] == [
        stored[n]["Gsid"] for n in ("Acme", "Globex", "Initech", "Hooli")
    ]
    # Halving until the rejected record stands alone: 5, then 3 + 2, then 2 + 1, then 1 + 1.
    assert [len(batch) for batch in gainsight.written("POST")][:1] == [5]
    assert [{"Name": "Umbrella", "OriginalContractDate": "someday"}] in gainsight.written("POST")[-2:]

    # Exactly the error the original gives that event: the answer to its own create call.
    [reference] = await original(InProcessGainsight(clock), [messages[3]])
    assert failed.message == reference.message
    assert json.loads(failed.message)["message"].startswith("failed to create group ")


async def test_a_rejected_folded_record_is_replayed_event_by_event(gainsight, service, clock):
    messages = [group_of("Initech", "a@x.com", employees=5), group_of("Initech", "b@x.com", **BAD_DATE)]
    results = await service.transform(messages)
    reference = InProcessGainsight(clock)
    expected = await original(reference, messages)  # create, then an update Gainsight rejects

    assert linked(results[0]) == gainsight.state.companies[0]["Gsid"]
    assert isinstance(results[1], TransformError) and isinstance(expected[1], TransformError)
    assert results[1].message == expected[1].message
    assert json.loads(results[1].message)["message"].startswith("failed to update group ")
    assert without_gsid(gainsight.companies()) == without_gsid(reference.companies())


async def test_rejections_on_update_are_isolated_too(gainsight, service):
    gainsight.seed(*COMPANIES)
    messages = [group_of(name, **(BAD_DATE if name == "Globex" else {})) for name in COMPANIES]
    results = await service.transform(messages)
    assert [isinstance(r, TransformError) for r in results] == [False, True, False, False, False]
    assert json.loads(results[1].message)["message"].startswith("failed to update group ")


@pytest.mark.parametrize(("status", "error_type"), [(429, "throttled"), (503, "retryable"), (401, "aborted")])
async def test_a_batch_failing_for_other_reasons_fails_all_its_events_without_retry(
    gainsight, service, status, error_type
):
    gainsight.fault(kind="status", status=status, path=COMPANY, method="POST")
    results = await service.transform([group_of(name) for name in COMPANIES[:3]])
    assert len(gainsight.calls("POST", COMPANY)) == 1
    assert [(r.status, r.tags["errorType"]) for r in results] == [(status, error_type)] * 3
    assert {r.message for r in results} == {results[0].message}
    assert json.loads(results[0].message)["message"].startswith("failed to create group ")


async def test_a_failed_search_chunk_fails_the_events_of_that_chunk_only(gainsight, clock):
    service = Service(gainsight, clock, company_search_chunk_size=2)

    def fail_the_acme_chunk(request):
        if request.path == QUERY and "Acme" in request.json()["where"]["conditions"][0]["value"]:
            return Response.json(500, {"error": "boom"})
        return None

    gainsight.override = fail_the_acme_chunk
    messages = [group_of(name) for name in ["Acme", "Globex", "Initech", "Acme"]]
    results = await service.transform(messages)
    expected = {"message": 'failed to search group {"error":"boom"}',
                "destinationResponse": {"response": {"error": "boom"}, "status": 500}}  # fmt: skip
    outcomes = []
    for result in results:
        if isinstance(result, TransformError):
            parsed = json.loads(result.message)
            del parsed["destinationResponse"]["headers"]
            outcomes.append((result.status, parsed))
        else:
            outcomes.append(linked(result))
    assert outcomes == [
        (500, expected),
        (500, expected),
        gainsight.companies()["Initech"]["Gsid"],
        (500, expected),
    ]


async def test_a_name_that_cannot_be_listed_is_searched_alone_like_the_original(gainsight, service, clock):
    messages = [group_of({"odd": 1}), group_of("Acme"), group_of("Globex")]
    results = await service.transform(messages)
    [reference] = await original(InProcessGainsight(clock), messages[:1])
    assert results[0].message == reference.message  # the simulator refuses an object value: 400
    assert sorted(
        c["body"]["where"]["conditions"][0]["operator"] for c in gainsight.calls("POST", QUERY)
    ) == ["EQ", "IN"]
    assert sorted(gainsight.companies()) == ["Acme", "Globex"]


async def test_a_looser_match_is_settled_by_the_originals_own_search(gainsight, service):
    gsids = gainsight.seed("Acme", "123")
    results = await service.transform([group_of("acme"), group_of(123), group_of("Acme")])
    # 123 is the company Gainsight stores as "123"; "acme" only matches "Acme" loosely, so it is
    # searched again on its own.
    assert gainsight.searched() == [["acme", 123, "Acme"], ["acme"]]
    assert gainsight.written("POST") == [[{"Name": "acme"}]]  # the simulator is case-sensitive
    assert [linked(r) for r in results[1:]] == [gsids["123"], gsids["Acme"]]


async def test_a_payload_error_comes_after_the_search_as_in_the_original(gainsight, service):
    results = await service.transform([group_of("Acme"), group_of("Globex")], companyMap=[None])
    assert [r.message for r in results] == [
        "companyMap[0] is null; each row must be an object with 'from' and 'to'"
    ] * 2
    assert len(gainsight.calls("POST", QUERY)) == 1 and gainsight.written("POST") == []


# ---------------------------------------------------------------------------------------------
# Throttling: after a 429 the tenant's Company calls fail fast until the window ends
# ---------------------------------------------------------------------------------------------


async def test_a_429_fails_the_tenants_calls_fast_until_the_window_ends(gainsight, service, clock):
    gainsight.fault(kind="status", status=429, path=QUERY)
    [tripped] = await service.transform([group_of("Acme")])
    assert (tripped.status, tripped.tags["errorType"]) == (429, "throttled")
    assert json.loads(tripped.message)["message"].startswith(
        'failed to search group {"result":false,"errorCode":"GU_2400"'
    )

    for seconds in (0, 30, 19.5):  # 6010 → 6059.5: still the window of the 429
        clock.advance(seconds)
        results = await service.transform([group_of("Acme"), group_of("Globex")])
        assert len(gainsight.state.calls) == 1  # nothing more reached Gainsight
        assert [(r.status, r.tags, r.message) for r in results] == [(429, tripped.tags, tripped.message)] * 2

    other = await service.transform([group_of("Acme")], accessKey="another-key")
    assert linked(other[0])  # another tenant is not held back

    clock.advance(0.5)  # 6060: a new window
    [result] = await service.transform([group_of("Acme")])
    assert linked(result)


async def test_retry_after_sets_how_long_calls_fail_fast(gainsight, service, clock):
    gainsight.fault(kind="status", status=429, path=QUERY, headers={"Retry-After": "5"})
    await service.transform([group_of("Acme")])
    clock.advance(4.9)
    [held] = await service.transform([group_of("Acme")])
    assert held.status == 429 and len(gainsight.state.calls) == 1
    clock.advance(0.1)
    [result] = await service.transform([group_of("Acme")])
    assert linked(result)


async def test_a_429_on_a_write_trips_the_fast_fail_too(gainsight, service):
    gainsight.fault(kind="status", status=429, path=COMPANY)
    [tripped] = await service.transform([group_of("Acme")])
    [held] = await service.transform([group_of("Globex")])
    assert held.message == tripped.message and held.status == 429
    assert json.loads(held.message)["message"].startswith("failed to create group ")
    assert len(gainsight.state.calls) == 2  # the search and the create of the first request


async def test_the_fast_fail_can_be_switched_off(gainsight, clock):
    service = Service(gainsight, clock, company_throttle_window_seconds=0)
    gainsight.fault(kind="status", status=429, path=QUERY)
    await service.transform([group_of("Acme")])
    [result] = await service.transform([group_of("Acme")])
    assert linked(result)


async def test_the_simulators_own_rate_limit_is_met_once_per_window(clock):
    gainsight = InProcessGainsight(clock, rate_limit=2)
    service = Service(gainsight, clock, company_cache_ttl_seconds=0)
    for _ in range(5):
        await service.transform([group_of("Acme")])
    # search + create, then the third call is the 429; the other requests never reach Gainsight.
    assert [c["status"] for c in gainsight.state.calls] == [400, 200, 429]  # 400: GSOBJ_1011 no data


def test_one_tenant_however_its_domain_is_written(client) -> None:
    """`DEMO.gainsightcloud.com` and `demo.gainsightcloud.com:443` are the same tenant: one search,
    one create, one company for all."""
    import respx

    from support.gainsight_events import config, element, group_message, post_processor

    domains = [
        "demo.gainsightcloud.com",
        "DEMO.gainsightcloud.com",
        "demo.gainsightcloud.com:443",
        "Demo.GainsightCloud.com",
    ]
    elements = [
        element(group_message({"name": "Acme"}, f"u{i}@acme.com"), config(domain=d))
        for i, d in enumerate(domains)
    ]
    with respx.mock(assert_all_mocked=True) as mock:
        search = mock.route(method="POST", path="/v1/data/objects/query/Company").respond(
            200, json={"data": {"records": []}}
        )
        create = mock.route(method="POST", path="/v1/data/objects/Company").respond(
            200, json={"result": True, "data": {"records": [{"Gsid": "G-1"}]}}
        )
        answers = post_processor(client, elements)
    assert [a["statusCode"] for a in answers] == [200] * 4
    assert search.call_count == 1 and create.call_count == 1
    assert json.loads(create.calls.last.request.content) == {"records": [{"Name": "Acme"}]}


async def test_a_number_and_its_text_name_one_company(gainsight, service):
    """`name: 4242` and `name: "4242"` are one Gainsight company: created once, linked twice."""
    results = await service.transform([group_of(4242), group_of("4242")])
    assert gainsight.written("POST") == [[{"Name": "4242"}]]  # one record, folded in event order
    assert linked(results[0]) == linked(results[1]) == gainsight.companies()["4242"]["Gsid"]
