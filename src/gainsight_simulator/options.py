"""Behaviour options of the simulated Gainsight tenant (keys, rate limit, query quirks, batch sizes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SimulatorOptions:
    """How the fake tenant behaves; independent of the network server."""

    #: Valid ``Accesskey`` values; empty = any non-empty key is accepted.
    access_keys: frozenset[str] = frozenset()
    #: Valid Events ``sharedSecret`` values; empty = any non-empty secret is accepted.
    shared_secrets: frozenset[str] = frozenset()
    #: Calls allowed per fixed window and rate-limit key; 0 disables rate limiting.
    rate_limit: int = 100
    #: Window length in seconds; windows are aligned to multiples of it (10:00:00-10:00:59).
    rate_window: float = 60.0
    #: Answer a Company query without matches with 200 ``{"records": []}`` instead of 400 GSOBJ_1011.
    no_data_as_empty: bool = False
    #: Default and maximum ``limit`` of a Company query.
    query_max_limit: int = 5000
    #: Maximum records per Company insert/update call.
    max_records_per_write: int = 50
    #: Maximum fields in the ``keys`` query parameter of a Company update.
    max_update_keys: int = 3
