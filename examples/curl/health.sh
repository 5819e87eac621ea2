#!/usr/bin/env bash
# Liveness: {"service": "UP", "version": ...}.
set -euo pipefail
BASE_URL="${BASE_URL:-http://localhost:9090}"

curl -sS --fail-with-body -X GET "$BASE_URL/health"
echo
