"""The mutation fuzzer's quick run (the long run: `python tests/fuzz/mutation.py --bodies 20000`)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from .mutation import bodies, own_faults, run


def test_no_own_code_5xx_over_a_quick_fuzz_run() -> None:
    statuses, faults = run(1500, seed=11)
    assert faults == []
    assert statuses[200] > 300 and statuses[400] > 300  # the mutations reach both outcomes


def test_the_fuzzer_is_seeded() -> None:
    assert bodies(50, seed=3) == bodies(50, seed=3)
    assert bodies(50, seed=3) != bodies(50, seed=4)


def test_the_fuzzer_would_see_an_own_code_5xx() -> None:
    assert own_faults("processor", 500, b'{"error":"internal error (ValueError)"}')
    event = {"statusCode": 500, "error": "internal error while transforming the event (KeyError)"}
    assert own_faults("processor", 200, json.dumps([event]).encode())
    assert own_faults("router", 200, b'{"output": []}\xff')


def test_a_lone_surrogate_in_a_proxied_text_body_is_sent_as_u_fffd(client: TestClient) -> None:
    body = {
        "type": "REST",
        "method": "POST",
        "endpoint": "https://demo.gainsightcloud.com/v1.0/api/eventManager/event",
        "headers": {},
        "params": {},
        "body": {"JSON": {}, "JSON_ARRAY": {}, "XML": {"payload": "a\ud800b"}, "FORM": {}},
        "files": {},
        "metadata": [{"jobId": 1}],
    }
    import respx

    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(body["endpoint"]).respond(200, json={"result": True})
        response = client.post("/v1/destinations/gainsight/proxy", content=json.dumps(body))
    assert response.status_code == 200
    assert route.calls.last.request.content == "a\ufffdb".encode()
