"""JSON log lines, redaction, the access log line and X-Request-ID."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import sys
import time

import pytest

from gainsight_transformer.telemetry.logs import (
    REDACTED,
    JsonFormatter,
    access_log,
    logging_config,
    redact,
    redact_text,
)
from support.wire import element, identify

ACCESS = "gainsight_transformer.access"


def _record(message: str, *args, fields=None, exc_info=None) -> logging.LogRecord:
    record = logging.LogRecord("x.y", logging.WARNING, __file__, 1, message, args, exc_info)
    if fields is not None:
        record.fields = fields
    return record


def test_a_line_is_one_json_object_with_time_level_logger_and_fields() -> None:
    line = JsonFormatter().format(_record("hello %s", "world", fields={"route": "/r", "status": 200}))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "hello world" and entry["level"] == "warning" and entry["logger"] == "x.y"
    assert entry["route"] == "/r" and entry["status"] == 200
    assert entry["time"].endswith("Z") and entry["time"][10] == "T"


def test_exceptions_are_one_field_and_redacted() -> None:
    try:
        raise ValueError("bad config {'accessKey': 'ak-123', 'domain': 'x'}")
    except ValueError:
        line = JsonFormatter().format(_record("failed", exc_info=sys.exc_info()))
    entry = json.loads(line)
    assert "ValueError" in entry["exception"] and "ak-123" not in line


@pytest.mark.parametrize(
    "text",
    [
        '{"accessKey":"s3cr3t","domain":"d"}',
        "Accesskey: s3cr3t",
        "sharedSecret=s3cr3t; next",
        "{'sharedSecret': 's3cr3t'}",
        "headers={'Accesskey': 's3cr3t', 'Content-Type': 'application/json'}",
        'oauth-secret: "s3cr3t"',
    ],
)
def test_secret_pairs_in_free_text_are_redacted(text: str) -> None:
    scrubbed = redact_text(text)
    assert "s3cr3t" not in scrubbed and REDACTED in scrubbed


def test_text_without_secrets_is_unchanged() -> None:
    text = '{"domain":"demo.gainsightcloud.com","Email":"a@b.c"}'
    assert redact_text(text) == text


def test_secret_named_keys_are_redacted_at_any_depth() -> None:
    value = {
        "Config": {"accessKey": "k", "sharedSecret": "s", "tenantId": "t"},
        "headers": [{"Accesskey": "k"}],
    }
    assert redact(value) == {
        "Config": {"accessKey": REDACTED, "sharedSecret": REDACTED, "tenantId": "t"},
        "headers": [{"Accesskey": REDACTED}],
    }


def test_logging_config_is_valid_for_dictconfig() -> None:
    config = logging_config("debug")
    assert config["root"]["level"] == "DEBUG"
    assert config["handlers"]["stderr"]["class"].endswith(".OrderedStderrHandler")
    logging.config.dictConfig({**config, "root": {"level": "WARNING", "handlers": []}, "loggers": {}})


@pytest.fixture
def access_lines(monkeypatch: pytest.MonkeyPatch):
    """The access lines the service writes, parsed."""
    stream = io.BytesIO()
    monkeypatch.setattr(access_log, "stream", stream)
    level = access_log.logger.level
    access_log.logger.setLevel(logging.INFO)

    def lines() -> list[dict]:
        access_log.flush()
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    access_log.logger.setLevel(level)


def test_each_request_logs_one_access_line(client, access_lines) -> None:
    response = client.post("/v0/destinations/gainsight", json=[element(identify(), 1), element({}, 2)])
    [line] = access_lines()
    assert line["logger"] == ACCESS and line["level"] == "info" and line["message"] == "request"
    assert line["route"] == "/v0/destinations/{destination}" and line["method"] == "POST"
    assert line["status"] == 200 and line["events"] == 2 and line["durationMs"] > 0
    assert line["requestId"] == response.headers["x-request-id"]
    assert line["time"].endswith("Z")


@pytest.mark.parametrize("route", ["/v0/destinations/gainsight", "/routerTransform"])
def test_compacted_bodies_are_marked_in_the_access_line(client, access_lines, route: str) -> None:
    destination = {"ID": "d1", "Config": {"domain": "x.gainsightcloud.com", "accessKey": "k"}}
    body = {
        "input": [{"message": identify(), "metadata": {"jobId": 1, "destinationId": "d1"}}],
        "destinations": {"d1": destination},
        "connections": {},
        "destType": "gainsight",
    }
    client.post(route, json=body, headers={"X-Content-Format": "json+compactedv1"})
    client.post(route, json=body if route == "/routerTransform" else [element(identify(), 1)])
    compacted, plain = access_lines()
    assert (compacted["events"], compacted["compacted"]) == (1, True)
    assert "compacted" not in plain and "forwarded" not in plain


def test_lines_are_flushed_shortly_after_a_request_without_another_one(client, access_lines) -> None:
    client.get("/health")
    assert access_log._flush_pending or access_lines()
    time.sleep(access_log.FLUSH_SECONDS * 3)
    assert access_log.stream.getvalue().count(b"\n") == 1


def test_a_request_id_carrying_a_secret_pair_is_scrubbed(client, access_lines) -> None:
    client.get("/health", headers={"X-Request-ID": "accessKey=s3cr3t"})
    [line] = access_lines()
    assert "s3cr3t" not in line["requestId"]


def test_request_id_is_echoed_when_given(client) -> None:
    response = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


@pytest.mark.parametrize("given", [None, "x" * 201, "tab\tinside"])
def test_request_id_is_generated_when_missing_or_unusable(client, given) -> None:
    headers = {} if given is None else {"X-Request-ID": given}
    generated = client.post("/routerTransform", json={}, headers=headers).headers["x-request-id"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    assert generated != client.get("/health").headers["x-request-id"]


def test_access_lines_can_be_silenced_with_the_level(client, access_lines) -> None:
    access_log.logger.setLevel(logging.WARNING)
    client.get("/health")
    assert access_lines() == []


@pytest.fixture
def all_lines(access_lines, monkeypatch: pytest.MonkeyPatch):
    """Every line the service writes (ours through the ordered handler, and the access lines)."""
    from gainsight_transformer.telemetry.logs import OrderedStderrHandler

    handler = OrderedStderrHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("gainsight_transformer")
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield access_lines
    root.removeHandler(handler)
    root.setLevel(level)


def test_other_lines_come_after_the_access_lines_of_earlier_requests(client, all_lines) -> None:
    client.get("/health")  # its access line is still pending (written in batches)
    logging.getLogger("gainsight_transformer.test").warning("after the request")
    lines = all_lines()
    assert [line["message"] for line in lines] == ["request", "after the request"]
    assert [line["logger"] for line in lines] == [ACCESS, "gainsight_transformer.test"]


def test_outbound_calls_log_a_line_with_the_request_id_that_caused_them(client, all_lines) -> None:
    import respx

    from gainsight_transformer.rudder.outbound import log as outbound_log

    assert outbound_log.name == "gainsight_transformer.rudder.outbound"
    domain = "demo.gainsightcloud.com"
    group = element(
        {"type": "group", "traits": {"name": "Acme"}, "context": {"traits": {"email": "a@b.c"}}}, 1
    )
    with respx.mock() as mock:
        mock.post(f"https://{domain}/v1/data/objects/query/Company").respond(
            json={"result": True, "data": {"records": []}}
        )
        mock.post(f"https://{domain}/v1/data/objects/Company").respond(
            json={"result": True, "data": {"records": [{"Gsid": "G1"}]}}
        )
        client.post("/v0/destinations/gainsight", json=[group], headers={"X-Request-ID": "req-42"})
    lines = all_lines()
    calls = [line for line in lines if line["message"] == "outbound call"]
    assert [(c["method"], c["url"], c["status"]) for c in calls] == [
        ("POST", f"https://{domain}/v1/data/objects/query/Company", 200),
        ("POST", f"https://{domain}/v1/data/objects/Company", 200),
    ]
    assert all(c["requestId"] == "req-42" and c["level"] == "debug" for c in calls)
    assert lines[-1]["logger"] == ACCESS and lines[-1]["requestId"] == "req-42"  # in time order
    assert "access-key" not in json.dumps(lines)


def test_logged_urls_carry_no_user_info_query_or_fragment() -> None:
    from gainsight_transformer.rudder.outbound import _without_query

    assert _without_query("https://u:p@h.example:8443/a/b?token=x#f") == "https://h.example:8443/a/b"
    assert _without_query("https://[::1x]/") == "(not a valid URL)"


def test_httpx_own_lines_are_off_at_every_level() -> None:
    for level in ("debug", "info"):
        assert logging_config(level)["loggers"]["httpx"]["level"] == "WARNING"
