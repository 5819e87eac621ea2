#!/usr/bin/env bash
# Delivery proxy v1: one event published at GAINSIGHT_DOMAIN (the simulator) for two jobs; always
# HTTP 200, with one response entry (and statusCode) per job.
set -euo pipefail
BASE_URL="${BASE_URL:-http://localhost:9090}"
GAINSIGHT_DOMAIN="${GAINSIGHT_DOMAIN:-localhost:9443}"
bodies="$(dirname "$0")/../bodies"

sed "s/{{gainsightDomain}}/$GAINSIGHT_DOMAIN/g" "$bodies/proxy_v1.json" |
  curl -sS --fail-with-body -X POST "$BASE_URL/v1/destinations/gainsight/proxy" \
    -H 'Content-Type: application/json' --data-binary @-
echo
