#!/usr/bin/env bash
# The README's simulator walkthrough (README, "Try it against the Gainsight simulator"): run it with
# the simulator and the service started as shown there. Each step prints what it got; the script
# stops with an error if a step does not give what the README says it does.
set -euo pipefail
BASE_URL="${BASE_URL:-http://localhost:9090}"
SIMULATOR_URL="${SIMULATOR_URL:-https://localhost:9443}"
CA_FILE="${CA_FILE:-/tmp/gs-certs/ca.pem}"
GAINSIGHT_DOMAIN="${GAINSIGHT_DOMAIN:-localhost:9443}"

group_event() {  # a router transform body: one group event naming company $1
  cat <<JSON
{"destType": "gainsight", "input": [{
  "message": {"type": "group", "traits": {"name": "$1"}, "context": {"traits": {"email": "ada@example.com"}}},
  "metadata": {"jobId": 1},
  "destination": {"ID": "d1", "Config": {"domain": "$GAINSIGHT_DOMAIN", "accessKey": "K"}}}]}
JSON
}

transform() {
  curl -sS --fail-with-body -X POST "$BASE_URL/routerTransform" -H 'Content-Type: application/json' -d "$1"
}

status_of() {  # the statusCode of the router answer's only element
  python3 -c 'import json, sys; print(json.load(sys.stdin)["output"][0]["statusCode"])'
}

expect() {  # expect WHAT GOT WANTED
  if [[ "$2" != "$3" ]]; then echo "!! $1: got $2, expected $3" >&2; exit 1; fi
}

echo "== 1. a group event: the service searches the company Acme in the simulator and creates it"
answer="$(transform "$(group_event Acme)")"
echo "$answer"
expect "statusCode of the group event" "$(echo "$answer" | status_of)" 200

echo "== 2. the batchedRequest it answered, delivered through the v1 proxy: links Ada to Acme"
proxy_body="$(echo "$answer" | python3 -c '
import json, sys
element = json.load(sys.stdin)["output"][0]
print(json.dumps({**element["batchedRequest"], "metadata": element["metadata"]}))')"
delivered="$(curl -sS --fail-with-body -X POST "$BASE_URL/v1/destinations/gainsight/proxy" \
  -H 'Content-Type: application/json' -d "$proxy_body")"
echo "$delivered"
expect "delivery status" "$(echo "$delivered" | python3 -c \
  'import json, sys; print(json.load(sys.stdin)["output"]["response"][0]["statusCode"])')" 200

echo "== 3. the simulator's state: Ada's person record names Acme's Gsid"
curl -sS --fail-with-body --cacert "$CA_FILE" "$SIMULATOR_URL/__admin/state" | python3 -c '
import json, sys
state = json.load(sys.stdin)
companies = {c["Gsid"]: c["Name"] for c in state["companies"]}
people = [{"Email": p.get("Email"), "companies": [companies.get(link.get("Company_ID")) for link in p.get("companies", [])]}
          for p in state["persons"]]
print(json.dumps({"companies": sorted(companies.values()), "people": people}))
if {"Email": "ada@example.com", "companies": ["Acme"]} not in people:
    sys.exit("!! Ada is not linked to Acme")'

echo "== 4. the next Company search answers 429 (Retry-After: 1); a group event for Globex (not seen before, so it is searched)"
curl -sS --fail-with-body --cacert "$CA_FILE" -X POST "$SIMULATOR_URL/__admin/faults" -d \
  '{"kind": "status", "status": 429, "count": 1, "path": "/v1/data/objects/query/Company", "headers": {"Retry-After": "1"}}' \
  >/dev/null
answer="$(transform "$(group_event Globex)")"
echo "$answer"
expect "statusCode of the throttled group event" "$(echo "$answer" | status_of)" 429

echo "== 5. a second later (Retry-After has passed): the same event goes through"
sleep 1.2
answer="$(transform "$(group_event Globex)")"
echo "$answer"
expect "statusCode of the retried group event" "$(echo "$answer" | status_of)" 200
