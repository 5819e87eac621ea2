"""A budget of memory for the large requests being worked on at once.

A body costs several times its size while it is parsed, transformed and answered: real events
about four times, empty objects over twenty. A large request (over `SMALL`) takes its declared
size from this budget before its body is read; once the body is scanned (rudder/large_body.py) it
takes what decoding it may cost. A request that does not fit while others are in flight is
answered 503 with `Retry-After` at once; one that could not fit even alone gets 413. What a
request took is given back when it has been answered. Small requests never wait for it.
"""

from __future__ import annotations

from starlette.types import Scope

from .errors import RequestError

SMALL = 1024 * 1024
_HELD = "gainsight_transformer.bytes_held"
_MIB = 1024 * 1024
BUSY = "too many large requests in progress (MAX_BYTES_IN_FLIGHT); retry"
RETRY_AFTER = {"Retry-After": "1"}


class BytesInFlight:
    __slots__ = ("limit", "used")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, scope: Scope, size: int) -> bool:
        """Take a request's declared body size; False: answer 503 now."""
        if size <= SMALL:
            return True
        if self.used + size > self.limit and self.used > 0:
            return False
        self.used += size
        scope[_HELD] = size
        return True

    def take_decoded(self, scope: Scope, cost: int) -> None:
        """Raise what this request holds to `cost`, the most its decoded body may take."""
        held = scope.get(_HELD, 0)
        if cost <= held:
            return
        if cost > self.limit:
            raise RequestError(
                f"request body would take up to {-(-cost // _MIB)} MiB once decoded, more than "
                f"MAX_BYTES_IN_FLIGHT ({self.limit // _MIB} MiB)",
                413,
            )
        if self.used - held + cost > self.limit:
            raise RequestError(BUSY, 503, RETRY_AFTER)
        self.used += cost - held
        scope[_HELD] = cost

    def give_back(self, scope: Scope) -> None:
        self.used -= scope.pop(_HELD, 0)
