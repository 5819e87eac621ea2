"""Load on a server: Debian wrk with reference/post.lua, or the built-in generator (loadgen.py) of
the same shape; and the JSON floor (floor.py) measured in a fresh process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import BENCH, REFERENCE
from .processes import pin


def parse_result_line(output: str, marker: str) -> dict[str, Any]:
    for line in output.splitlines():
        if line.startswith(marker + " "):
            return json.loads(line[len(marker) + 1 :])
    raise RuntimeError(f"no {marker} line in load generator output:\n{output[-2000:]}")


def drive(
    kind: str, url: str, body_file: Path, connections: int, duration: float, cpus: str | None, timeout: float
) -> dict[str, Any]:
    if kind == "wrk":
        seconds = max(1, round(duration))  # wrk takes whole seconds
        cmd = pin(cpus) + [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            f"{int(timeout)}s",
            "-s",
            str(REFERENCE / "post.lua"),
            url,
        ]
        env = dict(os.environ, BODY_FILE=str(body_file))
        marker = "WRKJSON"
    else:
        cmd = pin(cpus) + [
            sys.executable,
            str(BENCH / "loadgen.py"),
            url,
            "--body",
            str(body_file),
            "-c",
            str(connections),
            "-d",
            str(duration),
            "--timeout",
            str(timeout),
        ]
        env = dict(os.environ)
        marker = "LOADJSON"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + timeout + 60)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = parse_result_line(done.stdout, marker)
    if "non_2xx" not in result:  # wrk: "Non-2xx or 3xx responses: N" in its summary
        found = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", done.stdout)
        result["non_2xx"] = int(found.group(1)) if found else 0
    result["socket_errors"] = sum(result[k] for k in ("err_connect", "err_read", "err_write", "err_timeout"))
    return result


def json_floor(body_file: Path, seconds: float, cpu: int | None) -> dict[str, Any]:
    """The JSON floor of one body in a fresh process (bench/floor.py) on the server's CPU, no server up."""
    cmd = pin(None if cpu is None else str(cpu)) + [
        sys.executable,
        str(BENCH / "floor.py"),
        str(body_file),
        "--seconds",
        str(seconds),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode != 0:
        raise RuntimeError(f"floor.py failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return parse_result_line(done.stdout, "FLOORJSON")
