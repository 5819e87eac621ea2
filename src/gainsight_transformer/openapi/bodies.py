"""The request files of `examples/bodies/`, written from the OpenAPI examples' own values (the curl
scripts and the Postman collection send them; a test keeps them equal to what this writes).

    python -m gainsight_transformer.openapi.bodies examples/bodies
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .examples import (
    COMPACTED_TABLES_EXAMPLE,
    DOMAIN,
    GROUP,
    IDENTIFY,
    PROCESSOR_COMPACTED,
    PROXY_V0_REQUEST,
    PROXY_V1_REQUEST,
    TRACK,
    element,
    metadata,
)

REGENERATE = "python -m gainsight_transformer.openapi.bodies examples/bodies"
DOMAIN_VARIABLE = "{{gainsightDomain}}"
"""Stands for the Gainsight host in the files (the scripts and Postman fill it in)."""

# Only events every Gainsight answers 200 to: the files are for trying the service out.
BODIES: dict[str, Any] = {
    "processor": [element(IDENTIFY, 1), element(GROUP, 2), element(TRACK, 3)],
    "processor_compacted": PROCESSOR_COMPACTED,
    "router": {
        "input": [element(IDENTIFY, 11), element(GROUP, 12), element(TRACK, 13)],
        "destType": "gainsight",
    },
    "router_compacted": {
        "input": [{"message": GROUP, "metadata": metadata(31)}, {"message": TRACK, "metadata": metadata(32)}],
        **COMPACTED_TABLES_EXAMPLE,
        "destType": "gainsight",
    },
    "proxy_v0": PROXY_V0_REQUEST,
    "proxy_v1": PROXY_V1_REQUEST,
}


def render(name: str) -> str:
    return json.dumps(BODIES[name], indent=2, ensure_ascii=False).replace(DOMAIN, DOMAIN_VARIABLE) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(f"usage: {REGENERATE}", file=sys.stderr)
        return 2
    for name in BODIES:
        (Path(args[0]) / f"{name}.json").write_text(render(name), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
