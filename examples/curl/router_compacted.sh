#!/usr/bin/env bash
# Router transform, compacted: what rudder-server sends once /features allows it.
set -euo pipefail
BASE_URL="${BASE_URL:-http://localhost:9090}"
GAINSIGHT_DOMAIN="${GAINSIGHT_DOMAIN:-localhost:9443}"
bodies="$(dirname "$0")/../bodies"

sed "s/{{gainsightDomain}}/$GAINSIGHT_DOMAIN/g" "$bodies/router_compacted.json" |
  curl -sS --fail-with-body -X POST "$BASE_URL/routerTransform" \
    -H 'Content-Type: application/json' -H 'X-Content-Format: json+compactedv1' --data-binary @-
echo
