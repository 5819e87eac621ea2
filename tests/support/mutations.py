"""Seeded mutations of the example bodies (examples/bodies): structural (values swapped for odd
JSON, keys renamed or dotted, nesting, duplication) and as bytes (flips, cuts, splices, bytes that
are not UTF-8). Used by the fuzzer (tests/fuzz/mutation.py) and the large-body differential tests."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

from .builders import DOMAIN

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "bodies"

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
