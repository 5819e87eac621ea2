"""Fakes shared by the test packages."""

from __future__ import annotations


class FakeClock:
    """A settable clock (a callable returning seconds), for code that takes `clock=`.

    The default start is the first second of a 60 s-aligned window (Gainsight's rate-limit
    windows are aligned to the minute)."""

    def __init__(self, now: float = 6000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
