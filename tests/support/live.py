"""Lines a test shows on the terminal while it runs, without `-s`: through pytest's terminal writer,
with output capture suspended for the line (a fixture that works for minutes, such as the
rudder-server build, would otherwise be silent until it ends)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest


def live_line(config: pytest.Config, prefix: str) -> Callable[[str], None]:
    """A `log(line)` callable that writes `[prefix] line` to the terminal at once."""
    writer = config.get_terminal_writer()
    capture = config.pluginmanager.getplugin("capturemanager")

    def log(line: str) -> None:
        suspended = capture.global_and_fixture_disabled() if capture else contextlib.nullcontext()
        with suspended:
            writer.line(f"[{prefix}] {line}")
            writer.flush()

    return log
