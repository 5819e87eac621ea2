"""REDIS_URL: every process of every replica shares the company locks, cache and 429 windows.

Keys (docs/scaling.md#redis), `P` being REDIS_KEY_PREFIX, `{d}` a digest of the domain, `{t}` of
domain + access key, `n` of the company name key (base.py; no access key or name is written):
- `P:{d}:lock:n` — the owner's random token, PX COMPANY_LOCK_TTL_SECONDS; taken and released by
  scripts (only the owner releases), checked again right before a create.
- `P:{t}:gsid:n` — the Gsid of a company known to exist, PX COMPANY_CACHE_TTL_SECONDS.
- `P:{t}:throttle` — `[until, error text]` of a 429 window, expiring when the window ends.

A Redis that restarts without its data has lost the locks of requests still creating companies;
so until a Redis process has been up COMPANY_LOCK_TTL_SECONDS (its own `uptime_in_seconds`, read
inside the lock script) no lock is handed out and group events get a retryable error instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from ...settings import without_credentials
from ..throttle import Tenant
from .base import CompanyStore, Held, lock_scope, name_id, tenant_id

log = logging.getLogger(__name__)

# KEYS: the lock keys in order; ARGV: token, expiry (ms), seconds Redis must have been up.
# Returns {taken, seconds still to settle}: the keys are taken in order up to the first one another
# owner holds; keys this token holds already are kept and their expiry renewed.
TAKE = """
local info = redis.call('INFO', 'server')
local up = tonumber(string.match(info, 'uptime_in_seconds:(%d+)'))
if up < tonumber(ARGV[3]) then return {0, tonumber(ARGV[3]) - up} end
local taken = 0
for i, key in ipairs(KEYS) do
  local owner = redis.call('GET', key)
  if owner == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
  elseif owner or not redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) then
    break
  end
  taken = i
end
return {taken, 0}
"""
# KEYS: lock keys; ARGV: token. Deletes the keys this token holds; returns how many.
GIVE = """
local given = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('DEL', key)
    given = given + 1
  end
end
return given
"""
# KEYS: cache keys; ARGV: expiry (ms), then one value per key.
REMEMBER = """
for i, key in ipairs(KEYS) do redis.call('SET', key, ARGV[i + 1], 'PX', ARGV[1]) end
return #KEYS
"""
# KEYS: lock keys; ARGV: token, expiry (ms). 1 and renewed when every key is still this token's.
CONFIRM = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) ~= ARGV[1] then return 0 end
end
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ARGV[2]) end
return 1
"""


class _NotOpen:
    """Stands for the client before `open` and after `aclose`: every call is a RedisError, which
    the store turns into its usual retryable StoreError."""

    def __getattr__(self, name: str) -> Any:
        raise RedisError("the Redis client is not open (outside the app's lifespan)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RedisError("the Redis client is not open (outside the app's lifespan)")

    async def aclose(self) -> None:
        return None


_NOT_OPEN: Any = _NotOpen()


class RedisStore(CompanyStore):
    kind = "redis"

    def __init__(
        self,
        url: str,
        *,
        prefix: str,
        lock_wait: float,
        lock_ttl: float,
        cache_ttl: float,
        cache_enabled: bool,
        timeout: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(lock_wait)
        self.url = url
        self.prefix = prefix
        self.lock_ttl_ms = max(1, int(lock_ttl * 1000))
        self.settle = max(1, int(lock_ttl + 0.999))
        self.cache_ttl_ms = int(cache_ttl * 1000)
        self.cache_enabled = cache_enabled and self.cache_ttl_ms > 0
        self.timeout = timeout
        self.clock = clock
        self._blocked: dict[Tenant, tuple[float, str]] = {}  # windows already read from Redis
        self.redis: Redis = _NOT_OPEN
        self._take_script = self._give_script = self._confirm_script = self._remember_script = _NOT_OPEN

    def _connect(self) -> None:
        """The client and its pool, made by `open` (the app's lifespan), one per process."""
        self.redis = Redis.from_url(
            self.url,
            socket_timeout=self.timeout,
            socket_connect_timeout=self.timeout,
            # One more try on a fresh connection when a pooled one died with a Redis restart; none
            # after a timeout, so that a Redis that stopped answering costs one timeout, not several.
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
            health_check_interval=30,
            client_name="gainsight-transformer",
        )
        self._take_script = self.redis.register_script(TAKE)
        self._give_script = self.redis.register_script(GIVE)
        self._confirm_script = self.redis.register_script(CONFIRM)
        self._remember_script = self.redis.register_script(REMEMBER)

    # ----- keys -----
    def _lock_keys(self, tenant: Tenant, keys: list[str]) -> list[str]:
        scope = lock_scope(tenant)
        return sorted(f"{self.prefix}:{{{scope}}}:lock:{name_id(key)}" for key in keys)

    def _gsid_key(self, tenant_digest: str, key: str) -> str:
        return f"{self.prefix}:{{{tenant_digest}}}:gsid:{name_id(key)}"

    def _throttle_key(self, tenant: Tenant) -> str:
        return f"{self.prefix}:{{{tenant_id(tenant)}}}:throttle"

    # ----- locks -----
    async def _take(self, tenant: Tenant, keys: list[str], deadline: float) -> tuple[Any, bool]:
        lock_keys = self._lock_keys(tenant, keys)
        token = secrets.token_hex(16)
        waited, delay = False, 0.005
        try:
            while True:
                taken, settling = await self._take_script(
                    keys=lock_keys, args=[token, self.lock_ttl_ms, self.settle]
                )
                if taken == len(lock_keys):
                    return (lock_keys, token), waited
                waited = True
                if settling:
                    if time.monotonic() + settling >= deadline:
                        raise self._error(
                            "lock",
                            f"Redis has been up less than {self.settle} s (COMPANY_LOCK_TTL_SECONDS), and "
                            "until then locks taken before a restart may still be in use",
                        )
                    await asyncio.sleep(settling)
                    continue
                if time.monotonic() + delay >= deadline:
                    raise self._timeout(len(keys))
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.1)
        except RedisError as exc:
            await self._give_quietly(lock_keys, token)
            raise self._error("lock", exc) from None
        except BaseException:
            await self._give_quietly(lock_keys, token)
            raise

    async def _give(self, held: Held) -> None:
        lock_keys, token = held.shared
        await self._give_quietly(lock_keys, token)

    async def _give_quietly(self, lock_keys: list[str], token: str) -> None:
        """Release what this token holds; a failure only leaves keys to expire."""
        try:
            await self._give_script(keys=lock_keys, args=[token])
        except RedisError as exc:
            self._error("release", exc)
            log.warning(
                "company store: could not release %d lock(s) (%s); they expire by themselves",
                len(lock_keys),
                type(exc).__name__,
            )

    async def confirm(self, held: Held) -> None:
        if held.shared is None:
            return
        lock_keys, token = held.shared
        try:
            still = await self._confirm_script(keys=lock_keys, args=[token, self.lock_ttl_ms])
        except RedisError as exc:
            raise self._error("confirm", exc) from None
        if not still:
            raise self._error("confirm", "the lock was lost (Redis restarted or flushed?)")

    # ----- cache -----
    async def known(self, tenant: Tenant, keys: list[str]) -> set[str]:
        if not self.cache_enabled or not keys:
            return set()
        digest = tenant_id(tenant)
        try:
            values = await self.redis.mget([self._gsid_key(digest, key) for key in keys])
        except RedisError as exc:
            raise self._error("cache_read", exc) from None
        return {key for key, value in zip(keys, values, strict=True) if value is not None}

    async def remember(self, tenant: Tenant, gsids: dict[str, Any]) -> None:
        if not self.cache_enabled or not gsids:
            return
        digest = tenant_id(tenant)
        keys = [self._gsid_key(digest, key) for key in gsids]
        values = [json.dumps(gsid) for gsid in gsids.values()]
        try:
            await self._remember_script(keys=keys, args=[self.cache_ttl_ms, *values])
        except RedisError as exc:
            # Not fatal: the next request searches again, under the lock.
            self._error("cache_write", exc)

    async def forget(self, tenant: Tenant, keys: list[str]) -> None:
        if not self.cache_enabled or not keys:
            return
        digest = tenant_id(tenant)
        try:
            await self.redis.delete(*(self._gsid_key(digest, key) for key in keys))
        except RedisError as exc:
            raise self._error("cache_forget", exc) from None

    # ----- 429 windows -----
    async def blocked(self, tenant: Tenant) -> tuple[float, str] | None:
        entry = self._blocked.get(tenant)
        if entry is not None and self.clock() < entry[0]:
            return entry
        try:
            value = await self.redis.get(self._throttle_key(tenant))
        except RedisError as exc:
            self._error("window_read", exc)
            return None  # fail open: Gainsight answers 429 again if it still counts
        if value is None:
            return None
        try:
            until, message = json.loads(value)
            entry = (float(until), str(message))
        except (ValueError, TypeError):
            return None
        self._blocked[tenant] = entry
        return entry

    async def block(self, tenant: Tenant, until: float, message: str) -> None:
        now = self.clock()
        for over in [t for t, (u, _) in self._blocked.items() if u <= now]:
            del self._blocked[over]
        self._blocked[tenant] = (until, message)
        try:
            await self.redis.set(
                self._throttle_key(tenant), json.dumps([until, message]), pxat=int(until * 1000)
            )
        except RedisError as exc:
            self._error("window_write", exc)

    # ----- life -----
    async def open(self) -> None:
        self._connect()
        try:
            await self.redis.ping()
        except RedisError as exc:
            log.warning(
                "company store: Redis at %s does not answer (%s); the service runs, and group events "
                "get a retryable error until it does",
                without_credentials(self.url),
                type(exc).__name__,
            )
        else:
            log.info("company store: Redis at %s", without_credentials(self.url))

    async def aclose(self) -> None:
        await self.redis.aclose()
        self.redis = _NOT_OPEN

    async def health(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"kind": self.kind, "url": without_credentials(self.url)}
        try:
            async with asyncio.timeout(min(self.timeout, 0.5)):
                await self.redis.ping()
        except (RedisError, TimeoutError) as exc:
            answer.update(state="down", error=type(exc).__name__)
        else:
            answer["state"] = "up"
        return answer
