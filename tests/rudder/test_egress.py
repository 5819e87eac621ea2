"""SSRF guard: which domains and URLs pass, and where the socket may actually connect."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpcore
import pytest

from gainsight_transformer.rudder.egress import EgressPolicy, EgressRefused, GuardedBackend, is_public_address
from support.wire import PROCESSOR, metadata


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
        "0.0.0.0", "100.64.0.1", "224.0.0.1", "255.255.255.255", "240.0.0.1", "::1", "::",
        "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
        "2002:7f00:1::1", "fe80::1%eth0", "not-an-ip",
        "::ffff:8.8.8.8",  # IPv4-mapped forms are refused outright, even for public addresses
    ],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    "domain",
    ["acme.gainsightcloud.com", "acme.gainsightcloud.com:443", "a-b.example", "127.0.0.1", "2130706433"],
)
def test_plain_host_names_pass_the_syntax_check(domain: str) -> None:
    # Addresses in name form pass here; the connect-time check refuses them (see below).
    EgressPolicy().check_domain(domain)


@pytest.mark.parametrize(
    ("domain", "reason"),
    [
        ("host:22", "port 22 is not allowed (only 443, or a host:port listed in GAINSIGHT_HOST_ALLOWLIST)"),
        (
            "host:8443",
            "port 8443 is not allowed (only 443, or a host:port listed in GAINSIGHT_HOST_ALLOWLIST)",
        ),
        ("dns@host", "the domain must be a host name with an optional port"),
        ("host/path", "the domain must be a host name with an optional port"),
        ("host?x=1", "the domain must be a host name with an optional port"),
        ("host#frag", "the domain must be a host name with an optional port"),
        ("host%2F@evil", "the domain must be a host name with an optional port"),
        ("ho st", "the domain must be a host name with an optional port"),
        (" host", "the domain must be a host name with an optional port"),
        ("host\n", "the domain must be a host name with an optional port"),
        ("[::1]", "the domain must be a host name with an optional port"),
        ("-host.example", "the domain must be a host name with an optional port"),
        ("", "the domain must be a host name with an optional port"),
        ("exämple.com", "the domain must be a host name with an optional port"),
    ],
)
def test_domains_that_are_more_than_a_host_are_refused(domain: str, reason: str) -> None:
    with pytest.raises(EgressRefused) as refused:
        EgressPolicy().check_domain(domain)
    shown = domain.replace("dns@", "***@").replace("host%2F@", "***@")
    assert refused.value.message == f"refusing to connect to {shown}: {reason}"


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        ("user:hunter2@host", "***@host"),
        ("https://user:hunter2@host/v1.0/api/people", "https://***@host/v1.0/api/people"),
    ],
)
def test_refusal_text_never_repeats_user_info(target: str, shown: str) -> None:
    refused = EgressRefused(target, "reason")
    assert refused.message == f"refusing to connect to {shown}: reason"
    assert "hunter2" not in refused.message


def test_non_string_domain_is_refused_with_its_json_text() -> None:
    with pytest.raises(EgressRefused) as refused:
        EgressPolicy().check_domain(None)
    assert (
        refused.value.message
        == "refusing to connect to null: the domain must be a host name with an optional port"
    )


def test_allowlist_lets_a_listed_host_use_another_port() -> None:
    policy = EgressPolicy.from_setting(" sim.local:9443 , other.local ")
    policy.check_domain("sim.local:9443")
    policy.check_domain("other.local:1234")
    with pytest.raises(EgressRefused):
        policy.check_domain("sim.local:9444")


class RecordingBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []

    async def connect_tcp(self, host: str, port: int, **_: Any) -> Any:
        self.connected.append((host, port))
        return object()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _resolver(answers: dict[str, list[str]]):
    async def getaddrinfo(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in answers[host]]

    return getaddrinfo


async def test_backend_connects_to_the_address_it_checked_not_the_name(monkeypatch) -> None:
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "getaddrinfo", _resolver({"acme.example": ["93.184.216.34"]}))
    inner = RecordingBackend()
    await GuardedBackend(inner, EgressPolicy()).connect_tcp("acme.example", 443)
    # The socket goes to the vetted address: a second, different DNS answer is never asked for.
    assert inner.connected == [("93.184.216.34", 443)]


async def test_backend_refuses_a_name_that_resolves_to_a_private_address(monkeypatch) -> None:
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "getaddrinfo", _resolver({"rebind.example": ["127.0.0.1"]}))
    inner = RecordingBackend()
    with pytest.raises(EgressRefused) as refused:
        await GuardedBackend(inner, EgressPolicy()).connect_tcp("rebind.example", 443)
    assert refused.value.message == (
        "refusing to connect to rebind.example: it resolves to a non-public address (127.0.0.1)"
        " and is not in GAINSIGHT_HOST_ALLOWLIST"
    )
    assert inner.connected == []


async def test_backend_skips_private_answers_and_uses_a_public_one(monkeypatch) -> None:
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "getaddrinfo", _resolver({"mixed.example": ["10.0.0.5", "93.184.216.34"]}))
    inner = RecordingBackend()
    await GuardedBackend(inner, EgressPolicy()).connect_tcp("mixed.example", 443)
    assert inner.connected == [("93.184.216.34", 443)]


async def test_backend_lets_allowlisted_hosts_through_without_resolving(monkeypatch) -> None:
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "getaddrinfo", _resolver({}))
    inner = RecordingBackend()
    await GuardedBackend(inner, EgressPolicy(["sim.local:9443"])).connect_tcp("sim.local", 9443)
    assert inner.connected == [("sim.local", 9443)]


async def test_backend_reports_dns_failure_as_a_connect_error_with_the_cause(monkeypatch) -> None:
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "getaddrinfo", _resolver({}))
    with pytest.raises(httpcore.ConnectError) as failed:
        await GuardedBackend(RecordingBackend(), EgressPolicy()).connect_tcp("nowhere.example", 443)
    assert isinstance(failed.value.__cause__, socket.gaierror)


def _group(domain: str) -> dict[str, Any]:
    return {
        "message": {
            "type": "group",
            "traits": {"name": "Acme"},
            "context": {"traits": {"email": "a@acme.io"}},
        },
        "metadata": metadata(1),
        "destination": {"ID": "dest-1", "Config": {"accessKey": "SECRET-KEY", "domain": domain}},
    }


@pytest.mark.parametrize(
    ("domain", "reason"),
    [
        ("localhost", "it resolves to a non-public address"),
        (
            "127.0.0.1",
            "it resolves to a non-public address (127.0.0.1) and is not in GAINSIGHT_HOST_ALLOWLIST",
        ),
        (
            "2130706433",
            "it resolves to a non-public address (127.0.0.1) and is not in GAINSIGHT_HOST_ALLOWLIST",
        ),
        (
            "0x7f000001",
            "it resolves to a non-public address (127.0.0.1) and is not in GAINSIGHT_HOST_ALLOWLIST",
        ),
        ("127.1", "it resolves to a non-public address (127.0.0.1) and is not in GAINSIGHT_HOST_ALLOWLIST"),
        (
            "169.254.169.254",
            "it resolves to a non-public address (169.254.169.254) and is not in GAINSIGHT_HOST_ALLOWLIST",
        ),
        ("10.0.0.1", "it resolves to a non-public address (10.0.0.1) and is not in GAINSIGHT_HOST_ALLOWLIST"),
        ("0.0.0.0", "it resolves to a non-public address (0.0.0.0) and is not in GAINSIGHT_HOST_ALLOWLIST"),
        (
            "127.0.0.1:22",
            "port 22 is not allowed (only 443, or a host:port listed in GAINSIGHT_HOST_ALLOWLIST)",
        ),
    ],
)
def test_group_refuses_internal_targets_as_a_configuration_error(client, domain: str, reason: str) -> None:
    [answer] = client.post(PROCESSOR, json=[_group(domain)]).json()
    assert answer["statusCode"] == 400
    assert answer["statTags"]["errorCategory"] == "dataValidation"
    assert answer["statTags"]["errorType"] == "configuration"
    # Address refusals name the host the socket was for; syntax refusals the whole domain.
    target = domain.replace("user:pw@", "***@") if "resolves" not in reason else domain.split(":")[0]
    assert answer["error"].startswith(f"refusing to connect to {target}: {reason}")
    assert "SECRET-KEY" not in answer["error"]
