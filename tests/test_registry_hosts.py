"""No tracked file names a package registry's host: the Go module proxy and checksum database, PyPI,
npm, Debian's (and Ubuntu's) mirrors. What the code needs from a registry goes through the
registry's own client and its configuration (GOPROXY, pip's index, npm's registry, apt's sources);
a failed download is told by the error's shape (tests/e2e/rudder_server/harness.py).

The names are built from parts here, so that this file does not contain them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _host(*labels: str) -> str:
    return ".".join(labels)


FORBIDDEN = [
    _host("proxy", "golang", "org"),
    _host("sum", "golang", "org"),
    _host("index", "golang", "org"),
    _host("pypi", "org"),  # and its test instance, a subdomain
    _host("pypi", "python", "org"),
    _host("pythonhosted", "org"),  # where its files are
    _host("npmjs", "org"),  # the registry is a subdomain
    _host("registry", "npmjs", "com"),
    _host("registry", "yarnpkg", "com"),
    _host("deb", "debian", "org"),
    _host("security", "debian", "org"),
    _host("ftp", "debian", "org"),
    _host("snapshot", "debian", "org"),
    _host("httpredir", "debian", "org"),
    _host("http", "debian", "net"),
    _host("archive", "ubuntu", "com"),
    _host("security", "ubuntu", "com"),
]
# Debian's country mirrors (ftp, a country code, then Debian's domain); Ubuntu's are subdomains
# of its archive, covered above.
_COUNTRY_MIRROR = r"ftp\.[a-z]{2}\." + re.escape(_host("debian", "org"))
_ALTERNATIVES = "|".join([*map(re.escape, FORBIDDEN), _COUNTRY_MIRROR])
PATTERN = re.compile(r"(?<![a-z0-9-])(?:[a-z0-9-]+\.)*(?:" + _ALTERNATIVES + ")", re.IGNORECASE)


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    return [REPO / name for name in listed.split("\0") if name and (REPO / name).is_file()]


def test_no_tracked_file_names_a_package_registry_host() -> None:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: no list of tracked files")
    found = []
    for path in tracked_files():
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            for match in PATTERN.finditer(line):
                found.append(f"{path.relative_to(REPO)}:{number}: {match.group(0)}")
    assert not found, "package registry hosts named in tracked files:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "text",
    [
        "reading https://" + _host("proxy", "golang", "org") + "/x/@v/v1.zip: 403 Forbidden",
        "pip download from " + _host("files", "pythonhosted", "org").upper(),
        "https://" + _host("test", "pypi", "org") + "/simple/",
        "npm config set registry https://" + _host("registry", "npmjs", "org") + "/",
        "deb http://" + _host("deb", "debian", "org") + "/debian bookworm main",
        "deb http://" + _host("ftp", "fr", "debian", "org") + "/debian bookworm main",
    ],
)
def test_the_check_finds_each_kind_of_host(text: str) -> None:
    assert PATTERN.search(text)


@pytest.mark.parametrize(
    "text",
    [
        "the Go module proxy refused four modules (403)",
        "golang.org/x/net v0.41.0 h1:abc=",  # a module path, not a host the code reaches
        "installed from PyPI with pip, newman from npm",
        "Debian's packages, installed with apt-get",
        "www.debian.org/releases/bookworm",
    ],
)
def test_the_check_leaves_names_that_are_not_registry_hosts(text: str) -> None:
    assert not PATTERN.search(text)
