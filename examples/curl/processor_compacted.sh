#!/usr/bin/env bash
# Processor transform, compacted: the destination is sent once and events name it by metadata.destinationId.
set -euo pipefail
BASE_URL="${BASE_URL:-http://localhost:9090}"
GAINSIGHT_DOMAIN="${GAINSIGHT_DOMAIN:-localhost:9443}"
bodies="$(dirname "$0")/../bodies"

sed "s/{{gainsightDomain}}/$GAINSIGHT_DOMAIN/g" "$bodies/processor_compacted.json" |
  curl -sS --fail-with-body -X POST "$BASE_URL/v0/destinations/gainsight" \
    -H 'Content-Type: application/json' -H 'X-Content-Format: json+compactedv1' --data-binary @-
echo
