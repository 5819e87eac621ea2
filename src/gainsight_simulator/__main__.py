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

Once bound it prints exactly one stdout line: ``gainsight-simulator listening on https://HOST:PORT``.

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
