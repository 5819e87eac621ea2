"""Fixed-window rate limiter keyed by access key (or Events sharedSecret/tenant), with an injectable clock."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class FixedWindowRateLimiter:
    """``limit`` calls per key in each window ``[k*window, (k+1)*window)`` of the clock; 0 = unlimited."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.time) -> None:
        if window <= 0:
            raise ValueError("rate window must be positive")
        self.limit = limit
        self.window = window
        self.clock = clock
        self._counts: dict[str, tuple[int, int]] = {}

    def _window_index(self) -> int:
        return math.floor(self.clock() / self.window)

    def hit(self, key: str) -> bool:
        """Count one call for ``key``; False (and nothing counted) when the window is exhausted."""
        if self.limit <= 0:
            return True
        index = self._window_index()
        current_index, count = self._counts.get(key, (index, 0))
        if current_index != index:
            count = 0
        if count >= self.limit:
            return False
        self._counts[key] = (index, count + 1)
        return True

    def seconds_to_next_window(self) -> float:
        return (self._window_index() + 1) * self.window - self.clock()

    def usage(self) -> dict[str, int]:
        """Calls counted per key in the current window."""
        index = self._window_index()
        return {key: count for key, (i, count) in self._counts.items() if i == index}

    def reset(self) -> None:
        self._counts.clear()
