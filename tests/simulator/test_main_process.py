"""``python -m gainsight_simulator`` as a real process: ready line, HTTPS with the written CA, SIGTERM."""

from __future__ import annotations

import os
import queue
import ssl
import subprocess
import sys
import threading

import httpx

from gainsight_simulator.runner import READY_PREFIX
from support.processes import stop


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)


def test_module_runs_with_env_config(tmp_path):
    env = {**os.environ, "SIM_PORT": "0", "SIM_TLS_DIR": str(tmp_path), "SIM_ACCESS_KEYS": "only-key",
           "SIM_NO_DATA_AS_EMPTY": "1", "SIM_LOG_LEVEL": "WARNING"}  # fmt: skip
    with subprocess.Popen(
        [sys.executable, "-m", "gainsight_simulator"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        lines: queue.Queue = queue.Queue()
        reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True)
        reader.start()
        try:
            line = lines.get(timeout=30)
            assert line.startswith(READY_PREFIX + "https://127.0.0.1:"), line
            url = line[len(READY_PREFIX) :].strip()
            context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
            with httpx.Client(base_url=url, verify=context, timeout=10) as http:
                assert http.get("/__admin/health").json() == {"status": "ok"}
                query = {"select": ["Name"], "where": {"conditions": [
                    {"name": "Name", "alias": "A", "value": ["x"], "operator": "EQ"}], "expression": "A"}}  # fmt: skip
                denied = http.post(
                    "/v1/data/objects/query/Company", json=query, headers={"Accesskey": "other"}
                )
                assert denied.status_code == 401
                empty = http.post(
                    "/v1/data/objects/query/Company", json=query, headers={"Accesskey": "only-key"}
                )
                assert empty.status_code == 200 and empty.json()["data"] == {"records": []}
        finally:
            stop(process)
            reader.join(timeout=5)
        stderr = process.stderr.read()
    assert process.returncode == 0, stderr
    assert lines.empty()


def test_sigterm_with_an_idle_keep_alive_connection_stops_quietly(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "gainsight_simulator", "--port", "0", "--tls-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SIM_LOG_LEVEL": "INFO"},
    )
    try:
        url = process.stdout.readline()[len(READY_PREFIX) :].strip()
        context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        with httpx.Client(base_url=url, verify=context, timeout=10) as http:
            assert http.get("/__admin/health").status_code == 200  # the connection stays open, idle
            process.terminate()
            _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "Traceback" not in stderr and "CancelledError" not in stderr, stderr
    assert "gainsight-simulator stopped" in stderr


def test_help_texts_say_what_the_commands_do():
    simulator = subprocess.run(
        [sys.executable, "-m", "gainsight_simulator", "--help"], capture_output=True, text=True, timeout=30
    )
    assert simulator.returncode == 0
    for text in ("/__admin/faults", '"kind": "delay"', '"kind": "reset"', "/__admin/reset", "GSOBJ_1011"):
        assert text in simulator.stdout, text
    smoke = subprocess.run(
        [sys.executable, "-m", "gainsight_simulator.smoke", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert smoke.returncode == 0
    assert smoke.stdout.startswith("usage: python -m gainsight_simulator.smoke")
    assert "RESETS the simulator" in smoke.stdout
    assert "(default: http://localhost:9090)" in smoke.stdout and "--ca-file" in smoke.stdout
    assert "         --simulator" not in smoke.stdout  # the example keeps its line breaks
