"""Injected faults (status, delay, reset) and the /__admin routes, through the app layer."""

from __future__ import annotations

import json

import pytest

from gainsight_simulator import Request
from support.simulator_calls import KEY, assert_error, call, insert, name_query, ok_data

COMPANY = "/v1/data/objects/Company"
PEOPLE = "/v1.0/api/people"


def admin(app, method, path, body=None):
    request = (
        Request.make(method, f"/__admin{path}", json=body)
        if body is not None
        else Request.make(method, f"/__admin{path}")
    )
    outcome = app.handle(request)
    assert outcome.response is not None and outcome.delay_s == 0 and not outcome.reset
    return outcome.response


def add_fault(app, **spec):
    response = admin(app, "POST", "/faults", spec)
    assert response.status == 200, response.json_body()
    return response.json_body()


def insert_raw(app, name="A"):
    return app.handle(
        Request.make("POST", COMPANY, headers={"Accesskey": KEY}, json={"records": [{"Name": name}]})
    )


# -- status faults ---------------------------------------------------------------------------------


def test_status_fault_answers_envelope_without_state_change(app, state):
    add_fault(app, kind="status", status=500, count=2)
    for _ in range(2):
        assert_error(call(app, "POST", COMPANY, json={"records": [{"Name": "A"}]}), 500, "GU_1101")
    assert state.companies == []
    ok_data(call(app, "POST", COMPANY, json={"records": [{"Name": "A"}]}))
    assert len(state.companies) == 1
    assert [c.get("fault") for c in state.calls] == ["status", "status", None]


@pytest.mark.parametrize(
    ("status", "code"), [(429, "GU_2400"), (401, "GS_APIG_2401"), (400, "GSOBJ_1002"), (503, "GU_1101")]
)
def test_default_envelopes_per_status(app, status, code):
    add_fault(app, kind="status", status=status)
    assert_error(call(app, "PUT", PEOPLE, json={"Email": "a@x.io"}), status, code)
    assert app.state.persons == {}


def test_status_fault_with_body_text_and_headers(app):
    add_fault(app, kind="status", status=502, body={"custom": True}, headers={"Retry-After": "7"})
    add_fault(app, kind="status", status=200, text="")
    add_fault(app, kind="status", status=201)
    add_fault(app, kind="status", status=204)
    first = call(app, "PUT", PEOPLE, json={"Email": "a@x.io"})
    assert (
        first.status == 502
        and first.json_body() == {"custom": True}
        and ("Retry-After", "7") in first.headers
    )
    second = call(app, "PUT", PEOPLE, json={"Email": "a@x.io"})
    assert second.status == 200 and second.body == b""
    third = call(app, "PUT", PEOPLE, json={"Email": "a@x.io"})
    assert third.status == 201 and third.json_body()["result"] is True and third.json_body()["data"] is None
    fourth = call(app, "PUT", PEOPLE, json={"Email": "a@x.io"})
    assert fourth.status == 204 and fourth.body == b""
    assert app.state.persons == {}


def test_faults_queue_in_order(app):
    add_fault(app, kind="status", status=500)
    add_fault(app, kind="status", status=429)
    assert call(app, "PUT", PEOPLE, json={"Email": "a@x.io"}).status == 500
    assert call(app, "PUT", PEOPLE, json={"Email": "a@x.io"}).status == 429
    assert call(app, "PUT", PEOPLE, json={"Email": "a@x.io"}).status == 200


def test_path_and_method_filters(app, state):
    add_fault(app, kind="status", status=503, path="/v1/data/objects/query/")
    add_fault(app, kind="status", status=500, method="put")
    ok_data(call(app, "POST", COMPANY, json={"records": [{"Name": "A"}]}))
    assert call(app, "PUT", PEOPLE, json={"Email": "a@x.io"}).status == 500
    assert call(app, "POST", "/v1/data/objects/query/Company", json=name_query("A")).status == 503
    ok_data(call(app, "POST", "/v1/data/objects/query/Company", json=name_query("A")))
    assert admin(app, "GET", "/faults").json_body() == {"faults": []}


def test_faulted_calls_do_not_use_the_rate_budget(clock):
    from gainsight_simulator import GainsightState, SimulatorApp, SimulatorOptions

    app = SimulatorApp(GainsightState(SimulatorOptions(rate_limit=1), clock=clock))
    add_fault(app, kind="status", status=500, count=3)
    for _ in range(3):
        assert call(app, "PUT", PEOPLE, json={"Email": "a@x.io"}).status == 500
    ok_data(call(app, "PUT", PEOPLE, json={"Email": "a@x.io"}))


# -- delay and reset -------------------------------------------------------------------------------


def test_delay_fault_handles_normally_and_asks_for_a_delay(app, state):
    add_fault(app, kind="delay", ms=250)
    outcome = insert_raw(app)
    assert outcome.delay_s == pytest.approx(0.25) and not outcome.reset
    assert outcome.response.status == 200
    assert len(state.companies) == 1
    assert state.calls[-1]["fault"] == "delay" and state.calls[-1]["delayMs"] == 250
    assert insert_raw(app).delay_s == 0


def test_reset_fault_gives_no_answer_and_stores_nothing(app, state):
    add_fault(app, kind="reset", count=2)
    for _ in range(2):
        outcome = insert_raw(app)
        assert outcome.reset and outcome.response is None
    assert state.companies == []
    assert [(c["status"], c["fault"]) for c in state.calls] == [(None, "reset"), (None, "reset")]
    assert insert_raw(app).response.status == 200


# -- admin -----------------------------------------------------------------------------------------


def test_state_dump_lists_everything_in_arrival_order(app, clock):
    a, b = insert(app, {"Name": "A"}, {"Name": "B"})
    clock.advance(1)
    call(app, "PUT", f"{PEOPLE}?x=1", json={"Email": "z@x.io", "companies": [{"Company_ID": b["Gsid"]}]})
    call(app, "PUT", PEOPLE, json={"Email": "a@x.io"})
    dump = admin(app, "GET", "/state").json_body()
    assert [c["Name"] for c in dump["companies"]] == ["A", "B"]
    assert [p["Email"] for p in dump["persons"]] == ["z@x.io", "a@x.io"]
    assert dump["events"] == []
    first, second = dump["calls"][:2]
    assert first["method"] == "POST" and first["path"] == COMPANY and first["status"] == 200
    assert first["accessKey"] == KEY and first["query"] == {} and first["time"] == 6000.0
    assert first["body"] == {"records": [{"Name": "A"}, {"Name": "B"}]}
    assert first["headers"]["content-type"] == "application/json"
    assert second["query"] == {"x": "1"} and second["time"] == 6001.0
    assert dump["rateLimit"]["usage"] == {f"accesskey:{KEY}": 3}
    json.dumps(dump)


def test_admin_calls_bypass_faults_auth_limits_and_log(app, state):
    add_fault(app, kind="reset", count=5)
    assert admin(app, "GET", "/health").json_body() == {"status": "ok"}
    admin(app, "GET", "/state")
    assert state.calls == [] and len(state.faults) == 1


def test_reset_clears_state_counters_and_faults(clock):
    from gainsight_simulator import GainsightState, SimulatorApp, SimulatorOptions

    app = SimulatorApp(GainsightState(SimulatorOptions(rate_limit=1), clock=clock))
    insert(app, {"Name": "A"})
    add_fault(app, kind="status", status=500)
    assert admin(app, "POST", "/reset").status == 200
    dump = admin(app, "GET", "/state").json_body()
    assert (dump["companies"], dump["calls"], dump["faults"]) == ([], [], [])
    insert(app, {"Name": "A"})  # the window budget was reset too


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"kind": "explode"},
        {"kind": "status"},
        {"kind": "status", "status": 99},
        {"kind": "status", "status": "500"},
        {"kind": "status", "status": 500, "count": 0},
        {"kind": "status", "status": 500, "text": 5},
        {"kind": "status", "status": 500, "headers": {"a": 1}},
        {"kind": "delay"},
        {"kind": "delay", "ms": -1},
        {"kind": "reset", "path": 5},
        [{"kind": "reset"}, {"kind": "nope"}],
        "reset",
    ],
)
def test_invalid_fault_specs_are_rejected_atomically(app, state, spec):
    response = admin(app, "POST", "/faults", spec)
    assert response.status == 400 and "error" in response.json_body()
    assert len(state.faults) == 0


def test_fault_list_get_and_delete(app):
    body = admin(
        app, "POST", "/faults", [{"kind": "reset"}, {"kind": "delay", "ms": 5, "count": 2, "path": "/v1"}]
    )
    assert body.json_body()["faults"] == [
        {"kind": "reset", "count": 1},
        {"kind": "delay", "count": 2, "path": "/v1", "ms": 5.0},
    ]
    assert len(admin(app, "GET", "/faults").json_body()["faults"]) == 2
    assert admin(app, "DELETE", "/faults").json_body() == {"faults": []}
    assert insert_raw(app).response.status == 200


def test_seed_stores_directly(app, state):
    body = admin(app, "POST", "/seed", {"companies": [{"Name": "S"}, {"Name": "T", "Gsid": "1P02SEEDED"}],
                                        "persons": [{"Email": "p@x.io", "FirstName": "P"}]}).json_body()  # fmt: skip
    assert body["companies"][1]["Gsid"] == "1P02SEEDED"
    assert state.persons["p@x.io"]["FirstName"] == "P"
    assert (
        ok_data(call(app, "POST", "/v1/data/objects/query/Company", json=name_query("T")))["records"][0][
            "Gsid"
        ]
        == "1P02SEEDED"
    )
    assert admin(app, "POST", "/seed", {"persons": [{"FirstName": "x"}]}).status == 400
    assert state.calls[0]["path"] == "/v1/data/objects/query/Company"


def test_unknown_admin_route_and_method(app):
    assert admin(app, "GET", "/nope").status == 404
    assert admin(app, "GET", "/reset").status == 405
    assert admin(app, "POST", "/faults", None).status == 400
