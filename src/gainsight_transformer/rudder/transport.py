"""Transport failures (no HTTP answer) as the original reports them
(docs/outbound-calls.md#calls-that-get-no-answer)."""

from __future__ import annotations

import errno
import socket
import ssl

import httpx

# Node error code → (status, text). Texts, typos included, are the original's.
_KNOWN_CODES: dict[str, tuple[int, str]] = {
    "ECONNREFUSED": (500, "[ECONNREFUSED] :: Connection refused"),
    "ECONNRESET": (500, "[ECONNRESET] :: Connection reset by peer"),
    "ETIMEDOUT": (500, "[ETIMEDOUT] :: Operation timed out"),
    "EAI_AGAIN": (500, "[EAI_AGAIN] :: Temporary failure in name resolution"),
    "ECONNABORTED": (500, "[ECONNABORTED] :: Connection aborted"),
    "ENOTFOUND": (400, "[ENOTFOUND] :: DNS lookup failed"),
    "EACCES": (400, "[EACCES] :: Permission denied"),
    "EADDRINUSE": (400, "[EADDRINUSE] :: Address already in use"),
    "EEXIST": (400, "[EEXIST] :: File exists"),
    "EISDIR": (400, "[EEXIST] :: Is a directory"),
    "EMFILE": (400, "[EMFILE] :: Too many open files in system"),
    "ENOENT": (400, "[ENOENT] :: No such file or directory"),
    "ENOTDIR": (400, "[ENOTDIR] :: Not a directory"),
    "ENOTEMPTY": (400, "[ENOTEMPTY] :: Directory not empty)"),
    "EPERM": (400, "[EPERM] :: Operation not permitted"),
    "EPIPE": (400, "[EPIPE] :: Broken pipe"),
}

# OpenSSL verify codes → the codes Node reports for them.
_CERT_CODES = {
    10: "CERT_HAS_EXPIRED",
    18: "DEPTH_ZERO_SELF_SIGNED_CERT",
    19: "SELF_SIGNED_CERT_IN_CHAIN",
    20: "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    21: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    62: "ERR_TLS_CERT_ALTNAME_INVALID",  # hostname mismatch
    64: "ERR_TLS_CERT_ALTNAME_INVALID",  # IP address mismatch: Node reports the same code
}

_DNS_TEMPORARY = {getattr(socket, "EAI_AGAIN", -3)}


def _code_of_cause(cause: BaseException) -> str | None:
    if isinstance(cause, ssl.SSLCertVerificationError):
        return _CERT_CODES.get(cause.verify_code, "CERT_VERIFICATION_FAILED")
    if isinstance(cause, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        # The peer closed the connection mid-handshake; Node reports ECONNRESET ("socket
        # disconnected before secure TLS connection was established"), a retryable 500.
        return "ECONNRESET"
    if isinstance(cause, ssl.SSLError):
        return "EPROTO"
    if isinstance(cause, socket.gaierror):
        return "EAI_AGAIN" if cause.errno in _DNS_TEMPORARY else "ENOTFOUND"
    if isinstance(cause, ConnectionRefusedError):
        return "ECONNREFUSED"
    if isinstance(cause, (ConnectionResetError, ConnectionAbortedError)):
        return "ECONNRESET"
    if isinstance(cause, BrokenPipeError):
        return "EPIPE"
    if isinstance(cause, TimeoutError):
        return "ECONNABORTED"
    if isinstance(cause, OSError) and cause.errno is not None and cause.errno in errno.errorcode:
        return errno.errorcode[cause.errno]
    return None


def _code_from_text(message: str) -> str | None:
    lowered = message.lower()
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "ENOTFOUND"
    if "temporary failure in name resolution" in lowered:
        return "EAI_AGAIN"
    if "connection refused" in lowered:
        return "ECONNREFUSED"
    if "certificate verify failed" in lowered:
        return "CERT_VERIFICATION_FAILED"
    return None


def node_error_code(exc: BaseException) -> str | None:
    """The Node error code the original would have seen for this httpx failure."""
    if isinstance(exc, httpx.TimeoutException):
        return "ECONNABORTED"  # axios reports an exceeded timeout as ECONNABORTED
    if isinstance(exc, httpx.TooManyRedirects):
        return "ERR_FR_TOO_MANY_REDIRECTS"
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and all(cause is not c for c in chain):
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    # The typed cause deep in the chain is more precise than the wrapper's text (which, e.g.,
    # says "certificate verify failed" without the verify code).
    for finder in (_code_of_cause, lambda c: _code_from_text(str(c))):
        for cause in chain:
            code = finder(cause)
            if code:
                return code
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return "ECONNRESET"  # the peer closed the connection without answering
    return None


def describe_transport_error(exc: BaseException) -> tuple[int, str]:
    """(status, response text) used in place of an HTTP answer."""
    code = node_error_code(exc)
    if code is None:
        return 500, ""
    return _KNOWN_CODES.get(code, (400, f"[{code}]"))
