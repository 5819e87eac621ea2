#!/usr/bin/env bash
# Capabilities rudder-server reads at start-up.
set -euo pipefail
BASE_URL="${BASE_URL:-http://localhost:9090}"

curl -sS --fail-with-body -X GET "$BASE_URL/features"
echo
