"""SSRF guard for every outbound call: what a URL may name, and where a socket may connect.

The address check runs inside the connection pool's network backend, on the very address the
socket connects to, so a DNS answer that changes between a check and the connect (rebinding)
cannot slip through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from ..jsvalues import MISSING, json_text

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST_PORT = re.compile(rf"(?P<host>{_LABEL}(?:\.{_LABEL})*)(?::(?P<port>[0-9]{{1,5}}))?", re.ASCII)
_QUERY = re.compile(r"(?:keys=[A-Za-z0-9_,]+)?", re.ASCII)
# urlsplit drops tabs and newlines and strips leading whitespace, so it would judge another URL
# than the one httpx is given: such characters are refused before parsing.
_WHITESPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")
HTTPS_PORT = 443
# user:password@ in a refused target is never repeated in the error text.
_USERINFO = re.compile(r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?[^/?#@]*@")


class EgressRefused(Exception):
    """An outbound call this service will not make; the text names the target, never a secret."""

    def __init__(self, target: Any, reason: str) -> None:
        if isinstance(target, str):
            shown = _USERINFO.sub(r"\1***@", target)
        else:  # a missing domain reads as the original's URL would: https://undefined/...
            shown = "undefined" if target is MISSING else json_text(target)
        if len(shown) > 200:
            shown = shown[:200] + "…"
        super().__init__(f"refusing to connect to {shown}: {reason}")
        self.message = str(self)


def is_public_address(address: str) -> bool:
    """False for loopback, private, link-local, multicast, reserved and unspecified addresses."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


@dataclass(frozen=True, slots=True)
class ApiPaths:
    """The URL paths of one destination's API that this service calls or delivers to."""

    api: str
    """The API's name, as error texts say it (`Gainsight`)."""
    paths: frozenset[str]


class EgressPolicy:
    """Which hosts, ports and paths outbound calls may use.

    `allowlist` entries are `host` (any port) or `host:port`; listed targets skip the
    address check, so a simulator on a private address can be used in tests and compose.
    """

    def __init__(self, allowlist: Iterable[str] = ()) -> None:
        self.allowlist = frozenset(entry.strip().lower() for entry in allowlist if entry.strip())

    @classmethod
    def from_setting(cls, value: str) -> EgressPolicy:
        return cls(value.split(","))

    def is_allowlisted(self, host: str, port: int | None) -> bool:
        host = host.lower()
        return host in self.allowlist or f"{host}:{port or HTTPS_PORT}" in self.allowlist

    def check_domain(self, domain: Any) -> None:
        """`domain` must be a host name with an optional port, nothing else."""
        match = HOST_PORT.fullmatch(domain) if isinstance(domain, str) else None
        if match is None:
            raise EgressRefused(domain, "the domain must be a host name with an optional port")
        port = int(match["port"]) if match["port"] else None
        if port not in (None, HTTPS_PORT) and not self.is_allowlisted(match["host"], port):
            raise EgressRefused(
                domain,
                f"port {port} is not allowed (only {HTTPS_PORT}, or a host:port listed in "
                "GAINSIGHT_HOST_ALLOWLIST)",
            )

    def check_url(self, url: Any, allowed_paths: ApiPaths | None = None) -> None:
        """An https URL on an acceptable host; with `allowed_paths`, one of those paths."""
        if not isinstance(url, str):
            raise EgressRefused(url, "the endpoint must be a string")
        if _WHITESPACE_OR_CONTROL.search(url):
            raise EgressRefused(url, "the endpoint must not contain whitespace or control characters")
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises on a port that is not a number in range
        except ValueError:  # e.g. `https://[::1x]/`
            raise EgressRefused(url, "the endpoint is not a valid URL") from None
        if parts.scheme != "https":
            raise EgressRefused(url, "only https endpoints are allowed")
        self.check_domain(parts.netloc)
        if parts.fragment or "#" in url:
            raise EgressRefused(url, "the endpoint must not have a fragment")
        if allowed_paths is not None:
            if parts.path not in allowed_paths.paths:
                reason = f"the endpoint is not a {allowed_paths.api} API path this service builds"
                raise EgressRefused(url, reason)
            if not _QUERY.fullmatch(parts.query):
                raise EgressRefused(url, "the endpoint has an unexpected query string")

    async def check_request(self, request: httpx.Request) -> None:
        """httpx request hook: holds for redirects too."""
        self.check_url(str(request.url))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself and connects only to a public address it resolved."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, policy: EgressPolicy) -> None:
        self._inner = inner
        self._policy = policy

    async def _resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except OSError as exc:  # socket.gaierror: keep it as the cause for error mapping
            raise httpcore.ConnectError(str(exc)) from exc
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        def connect(address: str) -> Awaitable[httpcore.AsyncNetworkStream]:
            return self._inner.connect_tcp(
                address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
            )

        if self._policy.is_allowlisted(host, port):
            return await connect(host)
        addresses = await self._resolve(host, port, timeout)
        public = [address for address in addresses if is_public_address(address)]
        if not public:
            shown = ", ".join(addresses) or "nothing"
            raise EgressRefused(
                host,
                f"it resolves to a non-public address ({shown}) and is not in GAINSIGHT_HOST_ALLOWLIST",
            )
        failure: Exception | None = None
        for address in public:
            try:
                return await connect(address)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> Any:
        raise EgressRefused(path, "unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(policy: EgressPolicy, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=True)
    pool = transport._pool  # httpx exposes no public way to set httpcore's network backend
    pool._network_backend = GuardedBackend(pool._network_backend, policy)
    return transport
