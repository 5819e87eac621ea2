#!/usr/bin/env bash
# Prometheus metrics of the service process (text exposition).
set -euo pipefail
BASE_URL="${BASE_URL:-http://localhost:9090}"

curl -sS --fail-with-body -X GET "$BASE_URL/metrics"
