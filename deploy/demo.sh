#!/usr/bin/env bash
# `make demo`: three federating Signons instances on this machine, one database each.
#   alpha  http://localhost:8541  (an organization, its organizer and two petitions)
#   beta   http://localhost:8551  (follows alpha: alpha's petitions and news appear on beta)
#   gamma  http://localhost:8561  (follows alpha too)
# Citizens sign alpha's "Save the park" on all three; alpha counts them, by instance.
# Emails go to data/demo/*/outbox/. Ctrl-C stops the three instances.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=target/debug/signons
ROOT=data/demo
PASSWORD="demo password 1234"
cargo build --bin signons

rm -rf "$ROOT"
mkdir -p "$ROOT/alpha" "$ROOT/beta" "$ROOT/gamma"

# Whatever SIGNONS_* the shell exports (an SMTP relay, a config file) is not the demo's: its
# instances write their emails to their outbox, which this script reads.
SIGNONS_UNSET=$(env | sed -n 's/^\(SIGNONS_[A-Z0-9_]*\)=.*/-u \1/p' | tr '\n' ' ')

instance() { # name port -> runs signons with that instance's environment
  local name=$1 port=$2; shift 2
  # shellcheck disable=SC2086 # one word per -u option
  env $SIGNONS_UNSET SIGNONS_BIND="127.0.0.1:$port" SIGNONS_PUBLIC_URL="http://localhost:$port" \
    SIGNONS_DATA_DIR="$ROOT/$name" SIGNONS_DATABASE_URL="$ROOT/$name/signons.db" \
    SIGNONS_INSTANCE_NAME="Signons ${name^}" SIGNONS_FEDERATION_ALLOW_LOCAL=true \
    SIGNONS_FEDERATION_RETRY_SECONDS=2 SIGNONS_FEDERATION_UPDATE_SECONDS=5 SIGNONS_SIGN_RATE_PER_IP_PER_HOUR=0 \
    "$BIN" "$@"
}
alpha() { instance alpha 8541 "$@"; }
beta() { instance beta 8551 "$@"; }
gamma() { instance gamma 8561 "$@"; }

pids=()
stop() {
  # Each entry is the subshell that runs a server: the server first, then the subshell.
  for pid in "${pids[@]}"; do pkill -TERM -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

echo "$PASSWORD" | alpha admin create-organizer --email organizer@alpha.example --org friends-of-the-park \
  --org-name "Friends of the Park" >/dev/null
echo "$PASSWORD" | beta admin create-organizer --email admin@beta.example --org beta-admins >/dev/null
echo "$PASSWORD" | gamma admin create-organizer --email admin@gamma.example --org gamma-admins >/dev/null
TOKEN=$(alpha admin create-token --email organizer@alpha.example)

alpha serve >"$ROOT/alpha.log" 2>&1 & pids+=($!)
beta serve >"$ROOT/beta.log" 2>&1 & pids+=($!)
gamma serve >"$ROOT/gamma.log" 2>&1 & pids+=($!)
for port in 8541 8551 8561; do
  for _ in $(seq 100); do curl -sf "http://localhost:$port/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf "http://localhost:$port/healthz" >/dev/null || { echo "the instance on $port did not start: see $ROOT/*.log" >&2; exit 1; }
done

api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' "$@"; }
for follower in beta gamma; do
  $follower federation follow http://localhost:8541 >/dev/null
  # Not `grep -q`: it stops reading at the first match, and `signons` then panics on the
  # broken pipe (a backtrace in the middle of the demo's output).
  for _ in $(seq 100); do $follower federation status | grep "(accepted)" >/dev/null && break; sleep 0.2; done
  echo "$follower: $($follower federation status | grep "following")"
done

api http://localhost:8541/api/v1/petitions -o /dev/null -d '{"title": "Save the park", "target": "The city council",
  "description": "The park is **ours**: keep it green for the children of the neighbourhood.", "goal": 100, "publish": true}'

api http://localhost:8541/api/v1/petitions -o /dev/null -d '{"title": "Bike lanes on Main Street", "target": "The mayor",
  "description": "Safe bike lanes on Main Street, from the station to the schools.", "goal": 1000, "publish": true}'
api http://localhost:8541/api/v1/petitions/bike-lanes-on-main-street/news -o /dev/null \
  -d '{"text": "We met the **mayor** today: she will answer at the next council."}'

# sign NAME EMAIL PORT PATH: signs through the web form of the instance on PORT, then
# confirms with the link of the email it sent, as a citizen would.
sign() {
  local name=$1 email=$2 port=$3 path=$4 jar csrf link outbox
  jar=$(mktemp)
  csrf=$(curl -sf -c "$jar" "http://localhost:$port$path" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
  curl -sf -b "$jar" -c "$jar" -o /dev/null "http://localhost:$port$path/sign" \
    --data-urlencode "csrf=$csrf" --data-urlencode "name=$name" --data-urlencode "email=$email" -d public=on
  outbox="$ROOT/$(case $port in 8541) echo alpha;; 8551) echo beta;; *) echo gamma;; esac)/outbox"
  for _ in $(seq 100); do
    link=$(grep -l -s "$email" "$outbox"/*.eml | xargs -r cat | tr -d '\r' | sed -e ':a' -e '/=$/{N;s/=\n//;ba' -e '}' \
      | grep -o "http://localhost:$port/s/[A-Za-z0-9_-]*" | head -1) || true
    [ -n "$link" ] && break; sleep 0.1
  done
  [ -n "$link" ] || { echo "no confirmation email for $email in $outbox" >&2; exit 1; }
  csrf=$(curl -sf -b "$jar" -c "$jar" "$link" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
  curl -sf -b "$jar" -o /dev/null "$link" --data-urlencode "csrf=$csrf"
  rm -f "$jar"
}
PARK=save-the-park
for _ in $(seq 100); do curl -sf -o /dev/null "http://localhost:8561/p/$PARK@localhost:8541" && break; sleep 0.2; done
sign "Ada on alpha" ada@example.org 8541 "/p/$PARK"
sign "Ben on beta" ben@example.org 8551 "/p/$PARK@localhost:8541"
sign "Bea on beta" bea@example.org 8551 "/p/$PARK@localhost:8541"
sign "Gus on gamma" gus@example.org 8561 "/p/$PARK@localhost:8541"
for _ in $(seq 100); do
  count=$(curl -sf "http://localhost:8541/api/v1/petitions/$PARK" | grep -o '"total_signatures":[0-9]*' | cut -d: -f2)
  [ "$count" = 4 ] && break; sleep 0.2
done
echo "alpha counts $PARK: $(curl -sf "http://localhost:8541/api/v1/petitions/$PARK" | grep -o '"signatures_by_instance":{[^}]*}')"

cat <<INFO

Signons demo running:
  alpha  http://localhost:8541   organizer: organizer@alpha.example / $PASSWORD
  beta   http://localhost:8551   admin:     admin@beta.example / $PASSWORD
  gamma  http://localhost:8561   admin:     admin@gamma.example / $PASSWORD
  beta and gamma follow alpha: http://localhost:8551/p/bike-lanes-on-main-street@localhost:8541
  signed on three instances, counted on alpha: http://localhost:8541/p/save-the-park
    (sign it on gamma: http://localhost:8561/p/save-the-park@localhost:8541)
  fediverse handles: @save-the-park@localhost:8541, @friends-of-the-park@localhost:8541
  federation policy: http://localhost:8551/admin/federation (log in as beta's admin)
  API token (alpha): $TOKEN
  logs: $ROOT/alpha.log, $ROOT/beta.log, $ROOT/gamma.log; emails: $ROOT/*/outbox/
Ctrl-C stops the three.
INFO
wait
