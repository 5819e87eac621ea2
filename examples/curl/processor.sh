#!/usr/bin/env bash
# Processor transform: identify, group and track events in, one answer element per event out.
# The group event makes the service search and create the company at GAINSIGHT_DOMAIN (the simulator).
set -euo pipefail
BASE_URL="${BASE_URL:-http://localhost:9090}"
GAINSIGHT_DOMAIN="${GAINSIGHT_DOMAIN:-localhost:9443}"
bodies="$(dirname "$0")/../bodies"

sed "s/{{gainsightDomain}}/$GAINSIGHT_DOMAIN/g" "$bodies/processor.json" |
  curl -sS --fail-with-body -X POST "$BASE_URL/v0/destinations/gainsight" \
    -H 'Content-Type: application/json' --data-binary @-
echo
