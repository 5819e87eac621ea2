"""A destination's Config read once: the keys Gainsight uses and its four maps
(docs/mapping.md#destination-settings)."""

from __future__ import annotations

from typing import Any

from ..jsvalues import MISSING, js_trim, text
from ..rudder.bounded_cache import BoundedCache
from ..rudder.errors import ConfigurationError


def build_map(config: dict[str, Any], name: str) -> dict[str, Any]:
    """`[{from, to}, ...]` → {from-text: to}; blank `from` rows are skipped, later rows win."""
    rows = config.get(name)
    if not isinstance(rows, list):
        return {}
    mapping: dict[str, Any] = {}
    for index, row in enumerate(rows):
        if row is None:
            # The original crashes here (`Cannot read properties of null (reading 'from')`, a 500);
            # it is the destination's configuration that is wrong, for good: a 400.
            raise ConfigurationError(
                f"{name}[{index}] is null; each row must be an object with 'from' and 'to'"
            )
        if not isinstance(row, dict):
            continue
        source = row.get("from")
        if source is None:
            continue
        key = text(source)
        if js_trim(key):
            mapping[key] = row.get("to", MISSING)
    return mapping


class GainsightConfig:
    """Typed view of `destination.Config`; maps are built on first use and then reused."""

    __slots__ = ("raw", "access_key", "domain", "shared_secret", "topic_name", "tenant_id",
                 "contract_id", "_maps", "person_target")  # fmt: skip

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.access_key = raw.get("accessKey", MISSING)
        self.domain = raw.get("domain", MISSING)
        self.shared_secret = raw.get("sharedSecret", MISSING)
        self.topic_name = raw.get("topicName", MISSING)
        self.tenant_id = raw.get("tenantId", MISSING)
        self.contract_id = raw.get("contractId", MISSING)
        self._maps: dict[str, dict[str, Any]] = {}
        self.person_target: tuple[str, dict[str, str]] | None = None
        """The Person upsert's endpoint and headers, set by people.py on first use."""

    def _map(self, name: str) -> dict[str, Any]:
        mapping = self._maps.get(name)
        if mapping is None:
            mapping = self._maps[name] = build_map(self.raw, name)
        return mapping

    @property
    def person_map(self) -> dict[str, Any]:
        return self._map("personMap")

    @property
    def company_map(self) -> dict[str, Any]:
        return self._map("companyMap")

    @property
    def event_name_map(self) -> dict[str, Any]:
        return self._map("eventNameMap")

    @property
    def event_version_map(self) -> dict[str, Any]:
        return self._map("eventVersionMap")

    def base_url(self) -> str:
        # Used as written, `https://undefined/...` when missing (docs/wire-protocol.md#output-envelope).
        domain = self.domain
        return "https://" + (text(domain))


_configs: BoundedCache[GainsightConfig] = BoundedCache(256, 32 * 1024 * 1024)


def config_for(key: bytes, raw: dict[str, Any]) -> GainsightConfig:
    """One parsed config per distinct Config, reused across events and requests.

    `key` is the Config's canonical JSON; entries leave in insertion order once the cache is full.
    """
    config = _configs.get(key)
    if config is None:
        config = GainsightConfig(raw)
        _configs.put(key, config)
    return config
