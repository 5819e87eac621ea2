#!/usr/bin/env bash
# Delivery proxy v0: the service upserts the person at GAINSIGHT_DOMAIN (the simulator) and answers
# with Gainsight's status; --fail-with-body makes a failed delivery a non-zero exit.
set -euo pipefail
BASE_URL="${BASE_URL:-http://localhost:9090}"
GAINSIGHT_DOMAIN="${GAINSIGHT_DOMAIN:-localhost:9443}"
bodies="$(dirname "$0")/../bodies"

sed "s/{{gainsightDomain}}/$GAINSIGHT_DOMAIN/g" "$bodies/proxy_v0.json" |
  curl -sS --fail-with-body -X POST "$BASE_URL/v0/destinations/gainsight/proxy" \
    -H 'Content-Type: application/json' --data-binary @-
echo
