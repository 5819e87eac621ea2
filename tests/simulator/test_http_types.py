"""Request/Response objects and the app's last-resort 500."""

from __future__ import annotations

import pytest

from gainsight_simulator import Request, Response
from gainsight_simulator import app as app_module
from gainsight_simulator.app import Route
from gainsight_simulator.http_types import BodyError
from support.simulator_calls import assert_error, call


def test_request_from_http_parses_target_and_headers():
    request = Request.from_http(
        b"put",
        b"/v1/data/objects/Company?keys=Name%2CStage&x=",
        [(b"X-A", b"1"), (b"x-a", b"2"), (b"Accesskey", b"k")],
    )
    assert request.method == "PUT" and request.path == "/v1/data/objects/Company"
    assert request.query == {"keys": "Name,Stage", "x": ""}
    assert request.headers == {"x-a": "1, 2", "accesskey": "k"}
    assert request.header("ACCESSKEY") == "k" and request.header("missing") is None


def test_request_json_and_body_for_log():
    assert Request.make("POST", "/", body=b"").json() is None
    assert Request.make("POST", "/", body=b'\xef\xbb\xbf{"a": 1}').json() == {"a": 1}
    with pytest.raises(BodyError):
        Request.make("POST", "/", body=b"{").json()
    assert Request.make("POST", "/", body=b"plain").body_for_log() == "plain"


def test_response_helpers():
    assert Response.json(200, {"a": "é"}).body == '{"a":"é"}'.encode()
    assert Response.text(500, "").content_type is None
    assert Response.text(500, "x").content_type.startswith("text/plain")


def test_unexpected_handler_error_is_a_gainsight_500(app, monkeypatch):
    def boom(state, request):
        raise RuntimeError("bug")

    monkeypatch.setitem(app_module.ROUTES, "/v1/boom", {"GET": Route(boom)})
    assert_error(call(app, "GET", "/v1/boom"), 500, "GU_1101", "Oops, something went wrong.")
    assert app.state.calls[-1]["status"] == 500
