#!/usr/bin/env bash
# `make demo`: two federating Signons instances on this machine, one database each.
#   alpha  http://localhost:8541  (an organization, its organizer and a petition)
#   beta   http://localhost:8551  (follows alpha: alpha's new petitions and news appear on beta)
# Emails go to data/demo/*/outbox/. Ctrl-C stops both instances.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=target/debug/signons
ROOT=data/demo
PASSWORD="demo password 1234"
cargo build --bin signons

rm -rf "$ROOT"
mkdir -p "$ROOT/alpha" "$ROOT/beta"

instance() { # name port -> runs signons with that instance's environment
  local name=$1 port=$2; shift 2
  env -u SIGNONS_CONFIG SIGNONS_BIND="127.0.0.1:$port" SIGNONS_PUBLIC_URL="http://localhost:$port" \
    SIGNONS_DATA_DIR="$ROOT/$name" SIGNONS_DATABASE_URL="$ROOT/$name/signons.db" \
    SIGNONS_INSTANCE_NAME="Signons ${name^}" SIGNONS_FEDERATION_ALLOW_LOCAL=true \
    SIGNONS_FEDERATION_RETRY_SECONDS=2 SIGNONS_FEDERATION_UPDATE_SECONDS=5 SIGNONS_SIGN_RATE_PER_IP_PER_HOUR=0 \
    "$BIN" "$@"
}
alpha() { instance alpha 8541 "$@"; }
beta() { instance beta 8551 "$@"; }

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

echo "$PASSWORD" | alpha admin create-organizer --email organizer@alpha.example --org friends-of-the-park \
  --org-name "Friends of the Park" >/dev/null
echo "$PASSWORD" | beta admin create-organizer --email admin@beta.example --org beta-admins >/dev/null
TOKEN=$(alpha admin create-token --email organizer@alpha.example)

alpha serve >"$ROOT/alpha.log" 2>&1 & pids+=($!)
beta serve >"$ROOT/beta.log" 2>&1 & pids+=($!)
for port in 8541 8551; do
  for _ in $(seq 100); do curl -sf "http://localhost:$port/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf "http://localhost:$port/healthz" >/dev/null || { echo "the instance on $port did not start: see $ROOT/*.log" >&2; exit 1; }
done

api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' "$@"; }
api http://localhost:8541/api/v1/petitions -o /dev/null -d '{"title": "Save the park", "target": "The city council",
  "description": "The park is **ours**: keep it green for the children of the neighbourhood.", "goal": 100, "publish": true}'

beta federation follow http://localhost:8541
for _ in $(seq 100); do beta federation status | grep -q "(accepted)" && break; sleep 0.2; done
beta federation status | grep "following"

api http://localhost:8541/api/v1/petitions -o /dev/null -d '{"title": "Bike lanes on Main Street", "target": "The mayor",
  "description": "Safe bike lanes on Main Street, from the station to the schools.", "goal": 1000, "publish": true}'
api http://localhost:8541/api/v1/petitions/bike-lanes-on-main-street/news -o /dev/null \
  -d '{"text": "We met the **mayor** today: she will answer at the next council."}'

cat <<INFO

Signons demo running:
  alpha  http://localhost:8541   organizer: organizer@alpha.example / $PASSWORD
  beta   http://localhost:8551   admin:     admin@beta.example / $PASSWORD
  beta follows alpha: http://localhost:8551/p/bike-lanes-on-main-street@localhost:8541
  fediverse handles: @save-the-park@localhost:8541, @friends-of-the-park@localhost:8541
  federation policy: http://localhost:8551/admin/federation (log in as beta's admin)
  API token (alpha): $TOKEN
  logs: $ROOT/alpha.log, $ROOT/beta.log; emails: $ROOT/*/outbox/
Ctrl-C stops both.
INFO
wait
