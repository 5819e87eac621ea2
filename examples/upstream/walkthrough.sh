#!/usr/bin/env bash
# Gainsight served here, another destination forwarded: run with the service started with
# UPSTREAM_TRANSFORMER_URL pointing at UPSTREAM_URL (docs/upstream.md).
set -euo pipefail
BASE_URL="${BASE_URL:-http://localhost:9090}"
UPSTREAM_URL="${UPSTREAM_URL:-http://localhost:9091}"
here="$(dirname "$0")"

echo "== /features: the upstream's document with GAINSIGHT added"
curl -sS --fail-with-body "$BASE_URL/features"
echo

echo "== a Gainsight identify: transformed by this service"
curl -sS --fail-with-body -X POST "$BASE_URL/v0/destinations/gainsight" -H 'Content-Type: application/json' \
  -d '[{"message": {"type": "identify", "traits": {"email": "ada@example.com", "firstName": "Ada"}},
        "metadata": {"jobId": 1},
        "destination": {"ID": "d1", "Config": {"domain": "acme.gainsightcloud.com", "accessKey": "YOUR_ACCESS_KEY"}}}]'
echo

echo "== a webhook event: answered by the upstream"
curl -sS --fail-with-body -X POST "$BASE_URL/v0/destinations/webhook" -H 'Content-Type: application/json' \
  --data-binary @"$here/webhook_processor.json"
echo

echo "== what the upstream received (the tests' recording upstream only)"
curl -sS "$UPSTREAM_URL/__recorded" || echo "(not the recording upstream)"
echo
