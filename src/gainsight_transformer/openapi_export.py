"""Write the app's OpenAPI document: `python -m gainsight_transformer.openapi_export [PATH]`.

The repository commits the result as `openapi.json`; tests/api fails when it drifts from the app.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .app import create_app

DEFAULT_PATH = "openapi.json"
REGENERATE = f"python -m gainsight_transformer.openapi_export {DEFAULT_PATH}"


def openapi_document() -> dict[str, Any]:
    return create_app().openapi()


def render(document: dict[str, Any]) -> str:
    """Sorted and indented, so a change to the app reads as a small diff."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path = Path(args[0] if args else DEFAULT_PATH)
    path.write_text(render(openapi_document()), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
