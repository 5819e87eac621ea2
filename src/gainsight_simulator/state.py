"""GainsightState: everything the fake tenant holds (persons, companies, events, call log, faults, limits)."""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from typing import Any

from gainsight_simulator.faults import FaultQueue
from gainsight_simulator.gsid import COMPANY_PREFIX, PERSON_PREFIX, GsidFactory
from gainsight_simulator.options import SimulatorOptions
from gainsight_simulator.rate_limit import FixedWindowRateLimiter


class GainsightState:
    """In-memory tenant. Build one per test; ``clock`` drives rate-limit windows and call timestamps."""

    def __init__(
        self,
        options: SimulatorOptions | None = None,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.options = options or SimulatorOptions()
        self.clock = clock
        self.gsids = GsidFactory(rng)
        self.limiter = FixedWindowRateLimiter(self.options.rate_limit, self.options.rate_window, clock)
        self.faults = FaultQueue()
        self.persons: dict[str, dict[str, Any]] = {}  # lower-cased Email -> person, in creation order
        self.companies: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []

    def reset(self) -> None:
        """Forget all data, calls, rate-limit counters and pending faults (options are kept)."""
        self.gsids.clear()
        self.limiter.reset()
        self.faults.clear()
        self.persons.clear()
        self.companies.clear()
        self.events.clear()
        self.calls.clear()

    # -- companies -------------------------------------------------------------------------------

    def company_by_gsid(self, gsid: Any) -> dict[str, Any] | None:
        if not isinstance(gsid, str):
            return None
        return next((company for company in self.companies if company.get("Gsid") == gsid), None)

    def add_company(self, fields: dict[str, Any], gsid: str | None = None) -> dict[str, Any]:
        """Store a new company (duplicates allowed) and return it with its Gsid first."""
        if gsid is None:
            gsid = self.gsids.new(COMPANY_PREFIX)
        else:
            self.gsids.reserve(gsid)
        company = {"Gsid": gsid, **{k: v for k, v in fields.items() if k != "Gsid"}}
        self.companies.append(company)
        return company

    # -- persons ---------------------------------------------------------------------------------

    @staticmethod
    def person_key(email: str) -> str:
        return email.strip().lower()

    def person_by_email(self, email: str) -> dict[str, Any] | None:
        return self.persons.get(self.person_key(email))

    def new_person(self, email: str, gsid: str | None = None) -> dict[str, Any]:
        if gsid is None:
            gsid = self.gsids.new(PERSON_PREFIX)
        else:
            self.gsids.reserve(gsid)
        person: dict[str, Any] = {"Gsid": gsid, "Email": email}
        self.persons[self.person_key(email)] = person
        return person

    # -- observation -----------------------------------------------------------------------------

    def record_call(self, entry: dict[str, Any]) -> None:
        self.calls.append(entry)

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of everything, in order of arrival (what ``GET /__admin/state`` returns)."""
        return copy.deepcopy(
            {
                "persons": list(self.persons.values()),
                "companies": self.companies,
                "events": self.events,
                "calls": self.calls,
                "faults": self.faults.pending(),
                "rateLimit": {
                    "limit": self.options.rate_limit,
                    "windowSeconds": self.options.rate_window,
                    "usage": self.limiter.usage(),
                },
            }
        )
