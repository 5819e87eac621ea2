#!/usr/bin/env python3
"""Benchmark runner for the Gainsight transformer: `bench/harness/` does the work (its cli.py
says what is measured and how; the method is in bench/README.md).

    .venv/bin/python bench/run.py                                  # a,b,c,d,e; 3 x 20 s after 10 s
    .venv/bin/python bench/run.py --scenarios a,c --quick          # 1 x 1 s, for CI
    .venv/bin/python bench/run.py --bodies generated --workers 2 --json out.json
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
