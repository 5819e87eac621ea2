"""A seeded mutation fuzzer over every transform and proxy route, in process (issue: hostile
input). Bodies start from examples/bodies and are mutated structurally (values swapped for odd
JSON, keys renamed or dotted, nesting, duplication) and as bytes (flips, cuts, splices, bytes that
are not UTF-8). Our own code must never answer 5xx: no request-level 500 and no event whose error
is an internal one. Gainsight is faked (respx), so no 5xx can come from it.

    .venv/bin/python tests/fuzz/mutation.py --bodies 20000 --seed 7     # the long run
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, also when run as a script
from support.mutations import ROUTES, bodies  # noqa: E402


def own_faults(route: str, status: int, content: bytes) -> list[str]:
    """What in an answer is a 5xx of our own making."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return ["the answer is not UTF-8"]
    if status >= 500:
        return [f"HTTP {status}: {text[:200]}"]
    if status != 200 or route.startswith("proxy"):
        return []
    answer = json.loads(text)
    events = answer if isinstance(answer, list) else answer.get("output", [])
    return [
        f"event {e.get('statusCode')}: {e.get('error', '')[:200]}"
        for e in events
        if isinstance(e, dict)
        and e.get("statusCode", 0) >= 500
        and "internal error" in str(e.get("error", ""))
    ]


def run(count: int, seed: int) -> tuple[Counter, list[str]]:
    import respx
    from fastapi.testclient import TestClient

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from gainsight_transformer.app import create_app
    from support import fake_gainsight

    statuses: Counter = Counter()
    faults: list[str] = []
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        mock.route().mock(side_effect=fake_gainsight.serve)
        with TestClient(create_app(), raise_server_exceptions=False) as client:
            for route, raw in bodies(count, seed):
                path, headers = ROUTES[route]
                response = client.post(
                    path, content=raw, headers={"Content-Type": "application/json", **headers}
                )
                statuses[response.status_code] += 1
                faults += [
                    f"{route}: {fault}" for fault in own_faults(route, response.status_code, response.content)
                ]
    return statuses, faults


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bodies", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    statuses, faults = run(args.bodies, args.seed)
    print(
        f"{args.bodies} fuzzed bodies (seed {args.seed}): statuses {dict(sorted(statuses.items()))}, "
        f"{len(faults)} own-code 5xx"
    )
    for fault in faults[:20]:
        print("  " + fault)
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
