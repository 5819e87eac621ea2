"""A destination's Config read once: the keys Gainsight uses and its four maps
(docs/mapping.md#destination-settings)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from ..jsvalues import MISSING, js_trim, text
from ..rudder.bounded_cache import BoundedCache
from ..rudder.egress import HOST_PORT
from ..rudder.errors import ConfigurationError
from ..rudder.events import json_type_name


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
                 "contract_id", "_maps", "person_target", "_host")  # fmt: skip

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
        self._host: str | ConfigurationError | None = None

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

    @property
    def host(self) -> str:
        """`domain` as the host[:port] every call goes to; ConfigurationError (a 400 for each event
        of this Config) when it is not one (docs/divergences.md, 16). Checked once per Config."""
        host = self._host
        if host is None:
            try:
                host = self._host = checked_domain(self.domain)
            except ConfigurationError as error:
                host = self._host = error
        if isinstance(host, ConfigurationError):
            raise host
        return host

    def base_url(self) -> str:
        return "https://" + self.host


EXAMPLE_DOMAIN = "acme.gainsightcloud.com"


def checked_domain(domain: Any) -> str:
    """The Config's `domain` if it is a host name with an optional port; one trailing slash is
    dropped (`acme.gainsightcloud.com/` means the same host). Anything else: ConfigurationError
    naming the field and the form to write."""
    if domain is MISSING or domain is None:
        raise ConfigurationError(
            f"domain is missing from the destination's Config: set it to your Gainsight host name, "
            f"e.g. {EXAMPLE_DOMAIN}"
        )
    if not isinstance(domain, str) or not domain.strip():
        shown = "an empty text" if isinstance(domain, str) else f"{json_type_name(domain)}"
        raise ConfigurationError(
            f"domain must be your Gainsight host name, e.g. {EXAMPLE_DOMAIN} (got {shown})"
        )
    host = domain[:-1] if domain.endswith("/") and not domain.endswith("//") else domain
    if HOST_PORT.fullmatch(host):
        return host
    parts = urlsplit(domain if "//" in domain else f"//{domain}")
    try:
        port = f":{parts.port}" if parts.port else ""
        suggested: str | None = f"{parts.hostname}{port}" if parts.hostname else None
    except ValueError:
        suggested = None
    if suggested is not None and not HOST_PORT.fullmatch(suggested):
        suggested = None
    if "://" in domain:
        problem = "a host name without a scheme"
    elif "/" in domain:
        problem = "a host name without a path"
    elif "@" in domain:
        problem = "a host name without a user or password"
    else:
        problem = "a host name with an optional port"
    advice = f"write {suggested!r}" if suggested else f"e.g. {EXAMPLE_DOMAIN!r}"
    # A user:password@ part is never echoed back.
    shown = re.sub(r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?[^/@]*@", r"\1***@", domain)
    raise ConfigurationError(f"domain must be {problem}: {advice}, not {shown!r}")


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
