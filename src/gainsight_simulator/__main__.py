"""Entry point ``python -m gainsight_simulator``: a stateful fake of Gainsight's APIs over HTTPS.

Options (CLI value wins over the environment variable in brackets):

  --host HOST            address to bind [SIM_HOST, default 127.0.0.1]
  --port PORT            port, 0 = any free port [SIM_PORT, default 9443]
  --tls-dir DIR          a CA and a server certificate (trustme) in DIR: ca.pem (trust this, e.g.
                         SSL_CERT_FILE), ca-key.pem, server.pem, server-key.pem [SIM_TLS_DIR]; kept
                         across restarts, made anew only when missing, expiring or not naming --hostname
  --hostname NAME        certificate name/IP, repeatable [SIM_HOSTNAMES comma-separated,
                         default localhost,127.0.0.1,::1]
  --certfile F --keyfile K   serve this certificate instead [SIM_CERTFILE, SIM_KEYFILE]
  --no-tls               plain HTTP [SIM_NO_TLS=1]
                         (no TLS option at all: like --tls-dir with a new temporary directory, logged)
  --access-key KEY       valid Accesskey, repeatable; default any non-empty key
                         [SIM_ACCESS_KEYS comma-separated]
  --shared-secret S      valid Events sharedSecret, repeatable; default any [SIM_SHARED_SECRETS]
  --rate-limit N         calls per fixed window per Accesskey (Events: per sharedSecret, else tenantId);
                         0 = unlimited [SIM_RATE_LIMIT, default 100]
  --rate-window SECONDS  window length; windows align to multiples of it [SIM_RATE_WINDOW, default 60]
  --no-data-as-empty     Company query without matches -> 200 {"records": []} instead of
                         400 GSOBJ_1011 "No data found for given criteria" [SIM_NO_DATA_AS_EMPTY=1]
  --log-level LEVEL      stderr logging, one line per call at INFO [SIM_LOG_LEVEL, default INFO]

The routes, admin routes and fault kinds: ``python -m gainsight_simulator --help``
(gainsight_simulator/cli.py, ROUTES_HELP).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence

from gainsight_simulator.cli import parse_config
from gainsight_simulator.runner import serve


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_config(argv)
    logging.basicConfig(
        level=config.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        asyncio.run(serve(config))
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:  # e.g. the simulator extra is not installed
        print(f"gainsight-simulator: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
