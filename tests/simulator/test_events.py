"""POST /v1.0/api/eventManager/event: required headers, optional Accesskey, stored headers and body."""

from __future__ import annotations

import pytest

from gainsight_simulator import GainsightState, SimulatorApp, SimulatorOptions
from support.simulator_calls import assert_error, call, envelope_of, event_headers

EVENTS = "/v1.0/api/eventManager/event"


def test_event_is_stored_with_all_headers_lower_cased(app, state):
    headers = event_headers(contractId="c-1")
    response = call(app, "POST", EVENTS, json={"ticket": {"id": 1}}, key=None, headers=headers)
    assert response.status == 200 and envelope_of(response)["result"] is True
    (event,) = state.snapshot()["events"]
    assert event["body"] == {"ticket": {"id": 1}}
    assert event["headers"]["sharedsecret"] == "secret-1"
    assert event["headers"]["eventversion"] == "1.0"
    assert event["headers"]["contractid"] == "c-1"
    assert event["headers"]["content-type"] == "application/json"
    assert "accesskey" not in event["headers"]


def test_accesskey_is_kept_when_sent(app, state):
    call(app, "POST", EVENTS, json={}, key="k", headers=event_headers())
    assert state.events[0]["headers"]["accesskey"] == "k"


def test_empty_body_is_stored_as_null(app, state):
    assert call(app, "POST", EVENTS, body=b"", key=None, headers=event_headers()).status == 200
    assert state.events[0]["body"] is None


@pytest.mark.parametrize("missing", ["sharedSecret", "topicName", "tenantId", "eventName", "eventVersion"])
@pytest.mark.parametrize("value", [None, ""])
def test_missing_required_header_is_400_naming_it(app, state, missing, value):
    response = call(app, "POST", EVENTS, json={}, key=None, headers=event_headers(**{missing: value}))
    body = assert_error(response, 400, "GS_EVT_1001")
    assert missing in body["errorDesc"]
    assert state.events == []


def test_header_names_are_case_insensitive(app, state):
    headers = {k.upper(): v for k, v in event_headers().items()}
    assert call(app, "POST", EVENTS, json={}, key=None, headers=headers).status == 200


def test_malformed_body_is_400(app, state):
    assert_error(call(app, "POST", EVENTS, body=b"{", key=None, headers=event_headers()), 400, "GSOBJ_1002")
    assert state.events == []


def test_shared_secret_restriction(clock):
    app = SimulatorApp(GainsightState(SimulatorOptions(shared_secrets=frozenset({"good"})), clock=clock))
    bad = call(app, "POST", EVENTS, json={}, key=None, headers=event_headers(sharedSecret="bad"))
    assert_error(bad, 401, "GS_APIG_2401", "Unauthorized")
    assert (
        call(app, "POST", EVENTS, json={}, key=None, headers=event_headers(sharedSecret="good")).status == 200
    )
    assert len(app.state.events) == 1
