"""A budget of request-body bytes being worked on at once.

A body costs several times its size while it is parsed, transformed and answered; six 60 MiB
bodies at once took a process to a gigabyte. Large requests (over `SMALL`) take their declared
size from this budget for as long as they are served; one that does not fit is answered 503 with
`Retry-After` at once, before its body is read, and small requests never wait for it.
"""

from __future__ import annotations

SMALL = 1024 * 1024


class BytesInFlight:
    __slots__ = ("limit", "used")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, size: int) -> bool:
        if size <= SMALL:
            return True
        if self.used + size > self.limit and self.used > 0:
            return False
        self.used += size
        return True

    def give_back(self, size: int) -> None:
        if size > SMALL:
            self.used -= size
