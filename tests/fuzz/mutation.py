"""A seeded mutation fuzzer over every transform and proxy route, in process (issue: hostile
input). Bodies start from examples/bodies and are mutated structurally (values swapped for odd
JSON, keys renamed or dotted, nesting, duplication) and as bytes (flips, cuts, splices, bytes that
are not UTF-8). Our own code must never answer 5xx: no request-level 500 and no event whose error
is an internal one. Gainsight is faked (respx), so no 5xx can come from it.

    .venv/bin/python tests/fuzz/mutation.py --bodies 20000 --seed 7     # the long run
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "bodies"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, also when run as a script
from support.builders import DOMAIN  # noqa: E402

ROUTES = {
    "processor": ("/v0/destinations/gainsight", {}),
    "processor_compacted": ("/v0/destinations/gainsight", {"X-Content-Format": "json+compactedv1"}),
    "router": ("/routerTransform", {}),
    "router_compacted": ("/routerTransform", {"X-Content-Format": "json+compactedv1"}),
    "proxy_v0": ("/v0/destinations/gainsight/proxy", {}),
    "proxy_v1": ("/v1/destinations/gainsight/proxy", {}),
}
ODD: list[Any] = [
    None, True, False, 0, -1, 2**53 + 1, 2**64, 1e308, -0.0, 1.5, "", " ", "\u0000", "\ud83d\ude00", "a.b.c",
    "0.1.2", "10000.10000", "__proto__", "constructor", "{{ event.traits.x }}", "x" * 5000, [], [None], [[]],
    {}, {"__proto__": 1}, {"a.b": 1, "a.0": 2}, {"toString": 1}, "https://[::1x]/", "PÜT",
]  # fmt: skip


def seeds() -> dict[str, Any]:
    return {
        name: json.loads((EXAMPLES / f"{name}.json").read_text().replace("{{gainsightDomain}}", DOMAIN))
        for name in ROUTES
    }


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _set(root: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    node = root
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return root


def _get(root: Any, path: tuple) -> Any:
    for part in path:
        root = root[part]
    return root


def mutate_value(body: Any, rng: random.Random) -> Any:
    body = copy.deepcopy(body)
    for _ in range(rng.randint(1, 4)):
        paths = _paths(body)
        path = rng.choice(paths)
        move = rng.randrange(6)
        target = _get(body, path)
        if move == 0:
            body = _set(body, path, copy.deepcopy(rng.choice(ODD)))
        elif move == 1 and isinstance(target, dict) and target:
            key = rng.choice(list(target))
            target[
                rng.choice(
                    ["", key.upper(), key + ".x", "9." + key, "__proto__", "a" * 300, ".".join("7" * 40)]
                )
            ] = target.pop(key)
        elif move == 2:
            nested: Any = target
            for _ in range(rng.choice([2, 50, 300])):
                nested = {"n": nested} if rng.random() < 0.5 else [nested]
            body = _set(body, path, nested)
        elif move == 3 and isinstance(target, list) and target:
            target.extend(copy.deepcopy(rng.choice(target)) for _ in range(rng.randint(1, 30)))
        elif move == 4 and isinstance(target, dict):
            target[rng.choice(["extra", "type", "statusCode", "destination", "Config", "metadata"])] = (
                copy.deepcopy(rng.choice(ODD))
            )
        else:
            body = _set(body, path, copy.deepcopy(rng.choice(ODD)))
    return body


def mutate_bytes(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 5)):
        move = rng.randrange(5)
        at = rng.randrange(len(data) + 1)
        if move == 0 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif move == 1:
            data[at:at] = rng.choice(
                [b"\xff", b"\xc3", b"\\ud800", b'"', b"}", b"]", b",", b"\x00", b"1e999"]
            )
        elif move == 2:
            del data[at : at + rng.randint(1, 50)]
        elif move == 3:
            start = rng.randrange(len(data) + 1)
            data[at:at] = data[start : start + rng.randint(1, 200)]
        else:
            data = data[: max(1, at)]
    return bytes(data)


def bodies(count: int, seed: int) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    base = seeds()
    out = []
    for _ in range(count):
        route = rng.choice(list(ROUTES))
        body = mutate_value(base[route], rng)
        raw = json.dumps(body, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
        if rng.random() < 0.35:
            raw = mutate_bytes(raw, rng)
        out.append((route, raw))
    return out


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
    from api import fake_gainsight
    from gainsight_transformer.app import create_app

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
