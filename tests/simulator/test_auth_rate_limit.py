"""Accesskey auth, routing errors, and fixed-window rate limits (with an injected clock)."""

from __future__ import annotations

import pytest

from gainsight_simulator import GainsightState, SimulatorApp, SimulatorOptions
from gainsight_simulator.rate_limit import FixedWindowRateLimiter
from support.fakes import FakeClock
from support.simulator_calls import assert_error, call, event_headers, name_query, ok_data

GAINSIGHT_CALLS = [
    ("PUT", "/v1.0/api/people", {"Email": "a@x.io"}),
    ("POST", "/v1/data/objects/query/Company", name_query("A")),
    ("POST", "/v1/data/objects/Company", {"records": [{"Name": "A"}]}),
    ("PUT", "/v1/data/objects/Company?keys=Name", {"records": [{"Name": "A"}]}),
]


def make_app(clock: FakeClock, **options) -> SimulatorApp:
    return SimulatorApp(GainsightState(SimulatorOptions(**options), clock=clock))


def insert_company(app, key="k"):
    return call(app, "POST", "/v1/data/objects/Company", json={"records": [{"Name": "A"}]}, key=key)


# -- auth ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "target", "body"), GAINSIGHT_CALLS)
@pytest.mark.parametrize("key", [None, "", "   "])
def test_missing_accesskey_is_401(app, state, method, target, body, key):
    assert_error(call(app, method, target, json=body, key=key), 401, "GS_APIG_2401", "Unauthorized")
    assert state.persons == {} and state.companies == []


def test_header_name_is_case_insensitive(app):
    response = call(app, "POST", "/v1/data/objects/Company", json={"records": [{"Name": "A"}]}, key=None,
                    headers={"ACCESSKEY": "k"})  # fmt: skip
    ok_data(response)


def test_restricted_keys(clock):
    app = make_app(clock, access_keys=frozenset({"good", "other"}))
    assert_error(insert_company(app, key="bad"), 401, "GS_APIG_2401")
    ok_data(insert_company(app, key="good"))
    ok_data(insert_company(app, key="other"))
    assert len(app.state.companies) == 2


def test_unknown_path_and_wrong_method(app):
    assert_error(call(app, "GET", "/v1/nope"), 404, "GS_APIG_2404")
    response = call(app, "GET", "/v1/data/objects/Company")
    assert_error(response, 405, "GS_APIG_2405")
    assert ("Allow", "POST, PUT") in response.headers


# -- rate limit ------------------------------------------------------------------------------------


def test_limit_per_window_then_429_without_state_change(clock):
    app = make_app(clock, rate_limit=3)
    for _ in range(3):
        ok_data(insert_company(app))
    body = assert_error(insert_company(app), 429, "GU_2400", "Too many request")
    assert body["data"] is None
    assert len(app.state.companies) == 3
    assert [c["status"] for c in app.state.calls] == [200, 200, 200, 429]


def test_windows_are_fixed_and_aligned(clock):
    app = make_app(clock, rate_limit=2, rate_window=60)
    clock.now = 6058.5  # last seconds of the window 6000..6059
    ok_data(insert_company(app))
    ok_data(insert_company(app))
    assert_error(insert_company(app), 429, "GU_2400")
    clock.now = 6060.0  # a new window starts on the boundary, 1.5 s later
    ok_data(insert_company(app))
    ok_data(insert_company(app))
    assert_error(insert_company(app), 429, "GU_2400")
    clock.now = 6119.999
    assert_error(insert_company(app), 429, "GU_2400")


def test_keys_have_separate_budgets(clock):
    app = make_app(clock, rate_limit=1)
    ok_data(insert_company(app, key="a"))
    ok_data(insert_company(app, key="b"))
    assert_error(insert_company(app, key="a"), 429, "GU_2400")


def test_rate_limit_counts_before_routing_and_auth(clock):
    app = make_app(clock, rate_limit=1)
    assert_error(call(app, "GET", "/v1/nope", key="k"), 404, "GS_APIG_2404")
    assert_error(insert_company(app, key="k"), 429, "GU_2400")
    assert_error(call(app, "GET", "/v1/nope", key=None), 404, "GS_APIG_2404")
    assert_error(insert_company(app, key=None), 429, "GU_2400")


def test_events_count_per_shared_secret(clock):
    app = make_app(clock, rate_limit=1)
    events = "/v1.0/api/eventManager/event"
    assert call(app, "POST", events, json={}, key="k", headers=event_headers(sharedSecret="s1")).status == 200
    assert call(app, "POST", events, json={}, key="k", headers=event_headers(sharedSecret="s2")).status == 200
    response = call(
        app, "POST", events, json={}, key="k", headers=event_headers(sharedSecret="s1", tenantId="t9")
    )
    assert_error(response, 429, "GU_2400")
    ok_data(insert_company(app, key="k"))  # the Accesskey budget is separate
    assert len(app.state.events) == 2


def test_rate_limit_zero_is_unlimited(clock):
    app = make_app(clock, rate_limit=0)
    for _ in range(150):
        ok_data(insert_company(app))


def test_default_is_100_per_minute(app):
    for _ in range(100):
        ok_data(insert_company(app))
    assert_error(insert_company(app), 429, "GU_2400")


def test_limiter_unit():
    clock = FakeClock(119.0)
    limiter = FixedWindowRateLimiter(2, 60, clock)
    assert limiter.hit("a") and limiter.hit("a") and not limiter.hit("a")
    assert limiter.usage() == {"a": 2}
    assert limiter.seconds_to_next_window() == pytest.approx(1.0)
    clock.advance(1.0)
    assert limiter.usage() == {} and limiter.hit("a")
    limiter.reset()
    assert limiter.usage() == {}
    with pytest.raises(ValueError):
        FixedWindowRateLimiter(1, 0)
