"""Command line and SIM_* environment parsing into a ServerConfig (CLI values win over the environment)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gainsight_simulator.options import SimulatorOptions
from gainsight_simulator.tls import DEFAULT_HOSTNAMES

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 9443
    tls_dir: Path | None = None
    hostnames: tuple[str, ...] = DEFAULT_HOSTNAMES
    certfile: Path | None = None
    keyfile: Path | None = None
    no_tls: bool = False
    log_level: str = "INFO"
    options: SimulatorOptions = field(default_factory=SimulatorOptions)


ROUTES_HELP = """\
Once bound it prints exactly one stdout line: "gainsight-simulator listening on https://HOST:PORT".

Gainsight routes (answers use the envelope {result, errorCode, errorDesc, requestId, data, message}):

  PUT  /v1.0/api/people (also /v1/peoplemgmt/v1.0/people)   upsert Person by Email (+ company links)
  POST /v1/data/objects/query/Company                        query (EQ, NE, IN, CONTAINS, STARTS_WITH,
                                                             ENDS_WITH, IS_NULL, IS_NOT_NULL; AND/OR/())
  POST /v1/data/objects/Company                              insert 1..50 records
  PUT  /v1/data/objects/Company?keys=F1[,F2[,F3]]            update by key fields, 1..50 records
  POST /v1.0/api/eventManager/event                          publish (headers sharedSecret, topicName,
                                                             tenantId, eventName, eventVersion)

Order per call: injected fault -> rate limit (429 GU_2400) -> 404/405 -> Accesskey (401 GS_APIG_2401)
-> handler. Rejected calls change no data.

Admin routes (no auth, no rate limit, no faults, not in the call log):

  GET    /__admin/health   200 {"status": "ok"}
  GET    /__admin/state    {"persons", "companies", "events", "calls", "faults", "rateLimit"}, in arrival
                           order; each call: method, path, query (dict), status (null when reset),
                           accessKey, headers (lower-case), body, time, and fault/delayMs when injected
  POST   /__admin/reset    forget data, calls, rate-limit counters and faults
  POST   /__admin/faults   one fault or a list, queued in order; each applies to the next `count`
                           (default 1) non-admin calls whose path starts with `path` (optional) and
                           whose method equals `method` (optional):
                             {"kind": "status", "status": 500, "count": N, "body"?: <json>,
                              "text"?: "<raw body, may be empty>", "headers"?: {...}}
                               -> answer that status (Gainsight envelope unless body/text), no state change
                             {"kind": "delay", "ms": D, "count": N}  -> handled normally, answered after D ms
                             {"kind": "reset", "count": N}            -> TCP RST, no answer, nothing stored
  GET    /__admin/faults   pending faults;  DELETE /__admin/faults  drop them
  POST   /__admin/seed     {"companies": [...], "persons": [...]} stored directly (Gsid assigned unless given)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gainsight_simulator",
        description="Stateful fake of Gainsight's People, Company and Events APIs. "
        "Every option can also be set with the SIM_* environment variable shown.",
        epilog=ROUTES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--host", help="address to bind [SIM_HOST, default 127.0.0.1]")
    add("--port", type=int, help="port to bind, 0 = any free port [SIM_PORT, default 9443]")
    tls = parser.add_argument_group("TLS (choose one; default: --tls-dir in a new temporary directory)")
    tls.add_argument(
        "--tls-dir", type=Path, help="CA and certificate files here, kept across restarts [SIM_TLS_DIR]"
    )
    tls.add_argument(
        "--hostname",
        action="append",
        help="name/IP for the generated certificate, repeatable "
        "[SIM_HOSTNAMES comma-separated, default localhost,127.0.0.1,::1]",
    )
    tls.add_argument("--certfile", type=Path, help="serve this certificate (chain) [SIM_CERTFILE]")
    tls.add_argument("--keyfile", type=Path, help="private key for --certfile [SIM_KEYFILE]")
    tls.add_argument("--no-tls", action="store_true", default=None, help="serve plain HTTP [SIM_NO_TLS=1]")
    add(
        "--access-key",
        action="append",
        help="valid Accesskey, repeatable; default any non-empty key [SIM_ACCESS_KEYS comma-separated]",
    )
    add(
        "--shared-secret",
        action="append",
        help="valid Events sharedSecret, repeatable; default any [SIM_SHARED_SECRETS comma-separated]",
    )
    add(
        "--rate-limit", type=int, help="calls per window and key, 0 = unlimited [SIM_RATE_LIMIT, default 100]"
    )
    add("--rate-window", type=float, help="fixed window length in seconds [SIM_RATE_WINDOW, default 60]")
    add(
        "--no-data-as-empty",
        action="store_true",
        default=None,
        help="answer a Company query without matches 200 {records: []} instead of 400 GSOBJ_1011 "
        "[SIM_NO_DATA_AS_EMPTY=1]",
    )
    add("--log-level", help="logging level on stderr [SIM_LOG_LEVEL, default INFO]")
    return parser


def _env_bool(parser: argparse.ArgumentParser, env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    parser.error(f"{name} must be a boolean (1/0, true/false), got {value!r}")
    raise AssertionError  # unreachable


def _env_list(env: Mapping[str, str], name: str) -> list[str] | None:
    if name not in env:
        return None
    return [item.strip() for item in env[name].split(",") if item.strip()]


def _env_number(
    parser: argparse.ArgumentParser, env: Mapping[str, str], name: str, kind: type
) -> float | None:
    if not env.get(name, "").strip():
        return None
    try:
        value: float = kind(env[name])
        return value
    except ValueError:
        parser.error(f"{name} must be a number, got {env[name]!r}")
        raise AssertionError from None  # unreachable


def parse_config(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> ServerConfig:
    """Parse ``argv`` (default sys.argv[1:]) with ``environ`` (default os.environ) as fallback."""
    env = os.environ if environ is None else environ
    parser = build_parser()
    args = parser.parse_args(argv)

    def pick(cli_value: Any, env_value: Any, default: Any) -> Any:
        if cli_value is not None:
            return cli_value
        return default if env_value is None else env_value

    cli_chose_tls = args.tls_dir is not None or args.certfile is not None or args.no_tls
    if cli_chose_tls:
        tls_dir, certfile, keyfile, no_tls = args.tls_dir, args.certfile, args.keyfile, bool(args.no_tls)
    else:
        tls_dir = Path(env["SIM_TLS_DIR"]) if env.get("SIM_TLS_DIR") else None
        certfile = Path(env["SIM_CERTFILE"]) if env.get("SIM_CERTFILE") else None
        keyfile = args.keyfile or (Path(env["SIM_KEYFILE"]) if env.get("SIM_KEYFILE") else None)
        no_tls = _env_bool(parser, env, "SIM_NO_TLS")
    if sum((tls_dir is not None, certfile is not None, no_tls)) > 1:
        parser.error("choose only one of --tls-dir, --certfile/--keyfile, --no-tls")
    if keyfile is not None and certfile is None:
        parser.error("--keyfile needs --certfile")

    hostnames = tuple(pick(args.hostname, _env_list(env, "SIM_HOSTNAMES"), list(DEFAULT_HOSTNAMES)))
    if not hostnames:
        parser.error("at least one --hostname is needed")
    port = int(pick(args.port, _env_number(parser, env, "SIM_PORT", int), 9443))
    rate_limit = int(pick(args.rate_limit, _env_number(parser, env, "SIM_RATE_LIMIT", int), 100))
    rate_window = float(pick(args.rate_window, _env_number(parser, env, "SIM_RATE_WINDOW", float), 60.0))
    if not 0 <= port <= 65535:
        parser.error("--port must be 0..65535")
    if rate_limit < 0:
        parser.error("--rate-limit must be >= 0")
    if rate_window <= 0:
        parser.error("--rate-window must be > 0")
    no_data_as_empty = bool(
        pick(args.no_data_as_empty, _env_bool(parser, env, "SIM_NO_DATA_AS_EMPTY"), False)
    )

    options = SimulatorOptions(
        access_keys=frozenset(pick(args.access_key, _env_list(env, "SIM_ACCESS_KEYS"), [])),
        shared_secrets=frozenset(pick(args.shared_secret, _env_list(env, "SIM_SHARED_SECRETS"), [])),
        rate_limit=rate_limit,
        rate_window=rate_window,
        no_data_as_empty=no_data_as_empty,
    )
    return ServerConfig(
        host=pick(args.host, env.get("SIM_HOST") or None, "127.0.0.1"),
        port=port,
        tls_dir=tls_dir,
        hostnames=hostnames,
        certfile=certfile,
        keyfile=keyfile,
        no_tls=no_tls,
        log_level=str(pick(args.log_level, env.get("SIM_LOG_LEVEL") or None, "INFO")).upper(),
        options=options,
    )
