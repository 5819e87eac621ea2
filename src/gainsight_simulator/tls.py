"""TLS for the simulator: generate a throw-away CA + server certificate with trustme, build SSL contexts."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOSTNAMES = ("localhost", "127.0.0.1", "::1")
CA_FILE = "ca.pem"
CERT_FILE = "server.pem"
KEY_FILE = "server-key.pem"


@dataclass(frozen=True)
class TlsFiles:
    ca: Path | None  # the CA clients must trust (None when certfile/keyfile were given)
    cert: Path
    key: Path | None


def generate_tls_files(
    directory: str | os.PathLike[str], hostnames: tuple[str, ...] = DEFAULT_HOSTNAMES
) -> TlsFiles:
    """Write ``ca.pem``, ``server.pem`` (leaf + chain) and ``server-key.pem`` into ``directory``."""
    try:
        import trustme
    except ImportError as exc:  # pragma: no cover - trustme is a dependency
        raise RuntimeError(
            "--tls-dir needs the 'trustme' package; use --certfile/--keyfile or --no-tls"
        ) from exc
    if not hostnames:
        raise ValueError("at least one hostname is needed for the server certificate")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="gainsight-simulator")
    server_cert = ca.issue_cert(*hostnames)
    files = TlsFiles(ca=out / CA_FILE, cert=out / CERT_FILE, key=out / KEY_FILE)
    ca.cert_pem.write_to_path(str(files.ca))
    files.cert.write_bytes(b"".join(blob.bytes() for blob in server_cert.cert_chain_pems))
    files.key.touch(mode=0o600)
    files.key.chmod(0o600)
    server_cert.private_key_pem.write_to_path(str(files.key))
    return files


def server_ssl_context(
    certfile: str | os.PathLike[str], keyfile: str | os.PathLike[str] | None = None
) -> ssl.SSLContext:
    """A server-side context for HTTP/1.1 only (ALPN ``http/1.1``)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
    context.set_alpn_protocols(["http/1.1"])
    return context
