"""The benchmark harness behind bench/run.py (method: bench/README.md).

processes.py starts and watches processes (psutil), simulator.py runs the Gainsight simulator,
load.py drives a server with wrk or the built-in generator, scenario.py measures one scenario,
report.py renders the table, cli.py is the command line.
"""

from __future__ import annotations

from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
REPO = BENCH.parent
REFERENCE = BENCH / "reference"
