"""The "JSON floor": parse + build + serialise the same bodies with a trivial transformation.

`floor_transform(raw) -> bytes` touches every event (copies its traits/properties into a REST request
shaped like the service's, echoes metadata, and for the router the destination too) so the service's
figures can be read as ratios of the unavoidable JSON work. run.py times it with no server
(`python bench/floor.py BODY --seconds 3`, pinned to the server's CPU, prints `FLOORJSON {...}`; the
best of 5 slices counts) and, with `--http-floor`, serves it from floor_app.py (FastAPI + uvicorn,
driven exactly like the service).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import orjson


def floor_request(event: dict[str, Any]) -> dict[str, Any]:
    """A trivial stand-in for the mapping: copies the event's traits/properties into a REST request."""
    message = event["message"]
    fields = dict(message.get("traits") or message.get("properties") or {})
    fields["Email"] = ((message.get("context") or {}).get("traits") or {}).get("email")
    config = event["destination"]["Config"]
    return {
        "version": "1",
        "type": "REST",
        "method": "PUT",
        "endpoint": "https://" + str(config.get("domain")) + "/v1.0/api/people",
        "headers": {"Accesskey": config.get("accessKey"), "Content-Type": "application/json"},
        "params": {},
        "body": {"JSON": fields, "JSON_ARRAY": {}, "XML": {}, "FORM": {}},
        "files": {},
    }


def floor_transform(raw: bytes) -> bytes:
    body = orjson.loads(raw)
    if isinstance(body, dict):  # router
        output = [
            {
                "batchedRequest": floor_request(event),
                "metadata": [event["metadata"]],
                "batched": False,
                "statusCode": 200,
                "destination": event["destination"],
            }
            for event in body["input"]
        ]
        return orjson.dumps({"output": output})
    return orjson.dumps(
        [{"output": floor_request(event), "metadata": event["metadata"], "statusCode": 200} for event in body]
    )


def time_floor(raw: bytes, events: int, seconds: float, chunks: int = 5) -> dict[str, Any]:
    """Loops floor_transform for `seconds` in `chunks` slices; the best slice is the floor."""
    floor_transform(raw)  # warm
    rates = []
    for _ in range(chunks):
        iterations, started = 0, time.perf_counter()
        while True:
            floor_transform(raw)
            iterations += 1
            elapsed = time.perf_counter() - started
            if elapsed >= seconds / chunks and iterations >= 2:
                break
        rates.append(iterations / elapsed)
    best = max(rates)
    return {
        "req_s": best,
        "events_s": best * events,
        "slices_req_s": rates,
        "seconds": seconds,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="time the JSON floor on one body (no server)")
    parser.add_argument("body", type=Path)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    raw = args.body.read_bytes()
    body = orjson.loads(raw)
    events = len(body["input"]) if isinstance(body, dict) else len(body)
    print("FLOORJSON " + orjson.dumps(time_floor(raw, events, args.seconds)).decode(), flush=True)


if __name__ == "__main__":
    main()
