"""TLS for the simulator: a CA and server certificate made by trustme, kept across restarts."""

from __future__ import annotations

import ipaddress
import os
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography import x509

DEFAULT_HOSTNAMES = ("localhost", "127.0.0.1", "::1")
CA_FILE = "ca.pem"
CERT_FILE = "server.pem"
KEY_FILE = "server-key.pem"
CA_KEY_FILE = "ca-key.pem"


@dataclass(frozen=True)
class TlsFiles:
    ca: Path | None  # the CA clients must trust (None when certfile/keyfile were given)
    cert: Path
    key: Path | None


def generate_tls_files(
    directory: str | os.PathLike[str], hostnames: tuple[str, ...] = DEFAULT_HOSTNAMES
) -> TlsFiles:
    """``ca.pem``, ``server.pem`` (leaf + chain) and ``server-key.pem`` in ``directory``.

    What is already there is kept, so that a client that trusts ``ca.pem`` keeps trusting the
    simulator across restarts: the CA (with ``ca-key.pem``) while it is valid, the server
    certificate while it is valid, issued by that CA and names every host asked for. Only what
    is missing, expiring or not matching is made anew.
    """
    try:
        import trustme  # the simulator extra's
    except ImportError as exc:
        raise RuntimeError(
            "--tls-dir needs the simulator's extra (pip install 'gainsight-transformer[simulator]'); "
            "or use --certfile/--keyfile or --no-tls"
        ) from exc
    if not hostnames:
        raise ValueError("at least one hostname is needed for the server certificate")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    ca_file, key_file = out / CA_FILE, out / KEY_FILE
    files = TlsFiles(ca=ca_file, cert=out / CERT_FILE, key=key_file)
    ca_key = out / CA_KEY_FILE
    ca = _kept_ca(ca_file, ca_key)
    if ca is not None and _leaf_fits(files, hostnames):
        return files
    if ca is None:
        ca = trustme.CA(organization_name="gainsight-simulator")
        _write_private(ca_key, ca.private_key_pem.bytes())
        ca.cert_pem.write_to_path(str(ca_file))
    server_cert = ca.issue_cert(*hostnames)
    files.cert.write_bytes(b"".join(blob.bytes() for blob in server_cert.cert_chain_pems))
    _write_private(key_file, server_cert.private_key_pem.bytes())
    return files


def _write_private(path: Path, data: bytes) -> None:
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_bytes(data)


def _valid_for_a_day(cert: x509.Certificate) -> bool:
    now = datetime.now(UTC)
    return cert.not_valid_before_utc <= now and now + timedelta(days=1) < cert.not_valid_after_utc


def _kept_ca(cert_path: Path, key_path: Path) -> Any:
    """The CA stored in the directory, when both files are there and it is still valid."""
    import trustme
    from cryptography import x509

    try:
        cert_pem, key_pem = cert_path.read_bytes(), key_path.read_bytes()
        if not _valid_for_a_day(x509.load_pem_x509_certificate(cert_pem)):
            return None
        return trustme.CA.from_pem(cert_pem, key_pem)
    except (OSError, ValueError):
        return None


def _leaf_fits(files: TlsFiles, hostnames: tuple[str, ...]) -> bool:
    """Whether the stored server certificate is valid, issued by the stored CA, names every host
    in `hostnames`, and its key is there."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    try:
        chain = x509.load_pem_x509_certificates(files.cert.read_bytes())
        ca = x509.load_pem_x509_certificate(files.ca.read_bytes())  # type: ignore[union-attr]
        if not files.key or not files.key.read_bytes():
            return False
    except (OSError, ValueError):
        return False
    leaf = chain[0]
    if leaf.issuer != ca.subject or not _valid_for_a_day(leaf):
        return False
    try:
        leaf.verify_directly_issued_by(ca)
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return False
    present = {str(name) for name in names.get_values_for_type(x509.DNSName)}
    present |= {str(address) for address in names.get_values_for_type(x509.IPAddress)}
    wanted = {str(ipaddress.ip_address(host)) if _is_ip(host) else host.lower() for host in hostnames}
    return wanted <= {name.lower() for name in present}


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def server_ssl_context(
    certfile: str | os.PathLike[str], keyfile: str | os.PathLike[str] | None = None
) -> ssl.SSLContext:
    """A server-side context for HTTP/1.1 only (ALPN ``http/1.1``)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
    context.set_alpn_protocols(["http/1.1"])
    return context
