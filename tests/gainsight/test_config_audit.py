"""Every Config field, missing or of any JSON type, on every message type and both routes: the
destination's settings being wrong is the event's 400, never a 5xx that rudder-server would retry."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from support import fake_gainsight
from support.gainsight_events import config

_MISSING = object()
ODD_VALUES: list[Any] = [
    _MISSING, None, 0, 5, -1, 1.5, True, False, "", " ", "x", "https://demo.gainsightcloud.com",
    "{{ event.x }}", [], [None], [1], ["a"], [[1]], [{}], [{"from": None, "to": None}], [{"from": "E"}],
    [{"to": "x"}], {}, {"a": 1}, {"from": "E", "to": "x"},
]  # fmt: skip
FIELDS = [*config(), "unknownField"]
MESSAGES = [
    {"type": "identify", "traits": {"email": "a@b.c", "plan": "p"}},
    {"type": "group", "traits": {"name": "Acme", "region": "r"}, "context": {"traits": {"email": "a@b.c"}}},
    {"type": "track", "event": "Ticket Resolved", "properties": {"p": 1}},
]


@pytest.mark.parametrize("field", FIELDS)
def test_no_config_value_makes_a_5xx(client, field: str) -> None:
    failures = []
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        mock.route().mock(side_effect=fake_gainsight.serve)
        for value in ODD_VALUES:
            cfg = config()
            if value is _MISSING:
                cfg.pop(field, None)
            else:
                cfg[field] = value
            elements = [
                {"message": message, "metadata": {"jobId": job}, "destination": {"ID": "d", "Config": cfg}}
                for job, message in enumerate(MESSAGES)
            ]
            for route, body in (
                ("/v0/destinations/gainsight", elements),
                ("/routerTransform", {"input": elements, "destType": "gainsight"}),
            ):
                response = client.post(route, json=body)
                assert response.status_code == 200, (field, value, route, response.text)
                answers = response.json() if isinstance(body, list) else response.json()["output"]
                failures += [
                    (value, route, a["statusCode"], a.get("error")) for a in answers if a["statusCode"] >= 500
                ]
    assert failures == []


def test_a_group_event_without_a_domain_is_a_configuration_error(client) -> None:
    cfg = config()
    del cfg["domain"]
    element = {"message": MESSAGES[1], "metadata": {"jobId": 1}, "destination": {"ID": "d", "Config": cfg}}
    (answer,) = client.post("/v0/destinations/gainsight", json=[element]).json()
    assert answer["statusCode"] == 400
    assert answer["error"].startswith("domain is missing from the destination's Config")
    assert answer["statTags"]["errorType"] == "configuration"
