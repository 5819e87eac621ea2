#!/usr/bin/env bash
# Router transform: {"input": [...], "destType": "gainsight"} in, {"output": [...]} out.
# The group event makes the service search or update the company at GAINSIGHT_DOMAIN (the simulator).
set -euo pipefail
BASE_URL="${BASE_URL:-http://localhost:9090}"
GAINSIGHT_DOMAIN="${GAINSIGHT_DOMAIN:-localhost:9443}"
bodies="$(dirname "$0")/../bodies"

sed "s/{{gainsightDomain}}/$GAINSIGHT_DOMAIN/g" "$bodies/router.json" |
  curl -sS --fail-with-body -X POST "$BASE_URL/routerTransform" \
    -H 'Content-Type: application/json' --data-binary @-
echo
