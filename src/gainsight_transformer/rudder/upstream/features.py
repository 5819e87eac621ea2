"""`/features` when an upstream transformer serves the other destinations.

rudder-server applies these flags to every destination, so the merged document must be true for
both services: the upstream's document, plus our destinations in `routerTransform`, and each
protocol flag we implement too only where both of us support it (if the upstream cannot take
compacted bodies, nobody gets them). Source flags, `regulations` and unknown keys are the
upstream's. The last good document is kept and refreshed in the background, so an upstream blip
does not fail `/features`; before the first one, `/features` answers 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson

from .client import UpstreamError
from .forward import FEATURES_TIMEOUT, Upstream

log = logging.getLogger(__name__)

PROTOCOL_FLAGS = ("supportDestTransformCompactedPayloadV1", "supportTransformerProxyV1")
"""Flags that describe how rudder-server talks to the transformer, which we implement too."""


def merge(upstream: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    merged = dict(upstream)
    routers = upstream.get("routerTransform")
    merged["routerTransform"] = {**(routers if isinstance(routers, dict) else {}), **own["routerTransform"]}
    for flag in PROTOCOL_FLAGS:
        merged[flag] = upstream.get(flag) is True and own.get(flag) is True
    return merged


class UpstreamFeatures:
    def __init__(self, upstream: Upstream, own: dict[str, Any], refresh_seconds: float) -> None:
        self.upstream = upstream
        self.own = own
        self.refresh_seconds = refresh_seconds
        self.document: bytes | None = None
        """The merged document last built from a good upstream answer."""
        self.problem = "not asked yet"
        """Why the last refresh failed (for the 503 answer and the log)."""
        self._lock = asyncio.Lock()

    async def current(self) -> bytes | None:
        """The merged document; the first call asks the upstream (one request for all callers)."""
        if self.document is None:
            async with self._lock:
                if self.document is None:
                    await self.refresh()
        return self.document

    async def refresh(self) -> bool:
        try:
            status, content = await self.upstream.get("/features")
            if status != 200:
                raise ValueError(f"it answered HTTP {status}")
            document = orjson.loads(content)
            if not isinstance(document, dict):
                raise ValueError("its answer is not a JSON object")
        except TimeoutError:
            problem = f"no answer within {FEATURES_TIMEOUT:g} s"
        except (UpstreamError, ValueError) as exc:
            problem = str(exc)
        else:
            problem = ""
        if problem:
            if problem != self.problem or self.document is None:
                log.warning(
                    "could not read /features of the upstream transformer %s: %s", self.upstream.name, problem
                )
            self.problem = problem
            return False
        self.document = orjson.dumps(merge(document, self.own))
        self.problem = ""
        return True

    async def keep_fresh(self) -> None:
        """Refresh forever (a lifespan task, cancelled at shutdown)."""
        while True:
            await self.refresh()
            await asyncio.sleep(self.refresh_seconds)

    def unavailable(self) -> str:
        return (
            f"the upstream transformer {self.upstream.name} has not answered /features yet "
            f"({self.problem}); try again"
        )


@contextlib.asynccontextmanager
async def kept_fresh(features: UpstreamFeatures) -> AsyncIterator[None]:
    task = asyncio.create_task(features.keep_fresh(), name="upstream-features")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
