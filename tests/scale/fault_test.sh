#!/usr/bin/env bash
# Faults of a scaled-out idp (docs/scale.md, "When something fails"), on two nodes behind
# HAProxy started by scripts/scale-up.sh:
#  1. kill -9 of one node under wrk load: every token answer a client received as a success has
#     its token.issue event in PostgreSQL (each node's audit chain there), `zta audit verify
#     --store` passes for every chain, and the load goes on through the other node with no errors;
#  2. PostgreSQL stopped under load: the node reports unhealthy and refuses to issue (503, never
#     a token it could not check), does not crash, and issues again by itself once PostgreSQL is
#     back.
# Usage: fault_test.sh ZTA_BINARY
set -euo pipefail
zta=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
for tool in wrk haproxy curl; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (make deps)"; exit 1; }
done

work=$(mktemp -d /tmp/zta-scale-fault.XXXXXX)
scale_pid=""
cleanup() {
  if [[ -n $scale_pid ]]; then kill "$scale_pid" 2>/dev/null || true; wait "$scale_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/state/node*.err; do echo "--- $f" >&2; tail -5 "$f" >&2; done; exit 1; }
ok() { echo "ok: $*"; }

export ZTA_IDP_KEY_ENCRYPTION_KEY=fault-test-key-encryption-key
bash "$root/scripts/scale-up.sh" --nodes 2 --state "$work/state" --zta "$zta" >"$work/scale.out" 2>&1 &
scale_pid=$!
for _ in $(seq 1 600); do [[ -f $work/state/ready ]] && break; sleep 0.1; done
[[ -f $work/state/ready ]] || { cat "$work/scale.out"; fail "scale-up did not get ready"; }
issuer=$(cat "$work/state/issuer")
store=$(cat "$work/state/store_url")
read -r _ node1 pid1 < <(sed -n 1p "$work/state/nodes")
read -r _ node2 pid2 < <(sed -n 2p "$work/state/nodes")

admin=("$zta" idp --store "$store" --data "$work/state/admin" --node-id admin)
"${admin[@]}" resource add https://hotel.example/api --scopes "hotels:read" >/dev/null
agent=$("${admin[@]}" agent add loader --owner ops@example.com \
  --resource https://hotel.example/api --scopes hotels:read)
id=$(echo "$agent" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')
secret=$(echo "$agent" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
export ZTA_BASIC=$(printf '%s:%s' "$id" "$secret" | base64 -w0)
export ZTA_BODY="grant_type=client_credentials"
token_status() {  # URL → the HTTP status of one token request
  curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Basic $ZTA_BASIC" \
    -H 'Content-Type: application/x-www-form-urlencoded' --data "$ZTA_BODY" "$1/token"
}
field() { sed -n "s/.*\b$1 \([0-9.]*\).*/\1/p" <<<"$2"; }
allowed_events() {  # node id → token.issue allow events in its audit chain in PostgreSQL
  "$zta" audit query --store "$store" --action token.issue --decision allow --json |
    grep -c "\"chain_id\":\"$1\"" || true
}
[[ $(token_status "$issuer") == 200 ]] || fail "no token through HAProxy"

# --- 1. kill -9 of node1 under load -------------------------------------------------------
wrk -t2 -c8 -d4s -s "$here/token.lua" "$issuer/token" >"$work/wrk1.out" 2>&1 &
wrk_pid=$!
sleep 1.5
kill -9 "$pid1"
wait "$wrk_pid" || true
line=$(tail -n 1 "$work/wrk1.out")
echo "under the kill: $line"
succeeded=$(field ok "$line")
[[ -n $succeeded && $succeeded -gt 0 ]] || fail "no successful token answers under load ($line)"
events=$(( $(allowed_events node1) + $(allowed_events node2) ))
# A node may have committed an event and died before answering: events >= successes. Fewer
# events than successes would be an acknowledged answer without its record.
(( events >= succeeded )) || fail "$succeeded successes but only $events token.issue events"
ok "$succeeded successful answers, $events token.issue events in the nodes' chains in PostgreSQL"
"$zta" audit verify --store "$store" >"$work/verify1.out" || { cat "$work/verify1.out"; fail "zta audit verify --store"; }
grep -q "^ok: chain node1: " "$work/verify1.out" && grep -q "^ok: chain node2: " "$work/verify1.out" ||
  { cat "$work/verify1.out"; fail "verify did not check both nodes' chains"; }
ok "zta audit verify --store: every chain intact (node1's after kill -9): $(tail -n 1 "$work/verify1.out")"

sleep 1.5  # HAProxy's health check takes node1 out (fall 2 × inter 500 ms)
wrk -t2 -c8 -d2s -s "$here/token.lua" "$issuer/token" >"$work/wrk2.out" 2>&1
line=$(tail -n 1 "$work/wrk2.out")
echo "after the kill: $line"
[[ $(field non2xx "$line") == 0 && $(field errors "$line") == 0 && $(field ok "$line") -gt 0 ]] ||
  fail "the load did not go on cleanly through node2 ($line)"
ok "the load goes on through node2 with no errors"

# --- 2. PostgreSQL stopped under load -----------------------------------------------------
wrk -t1 -c4 -d4s -s "$here/token.lua" "$node2/token" >"$work/wrk3.out" 2>&1 &
wrk_pid=$!
sleep 1
bash "$root/scripts/pg-cluster.sh" halt "$work/state/pg"
unhealthy=0
for _ in $(seq 1 30); do
  if [[ $(curl -s -o /dev/null -w '%{http_code}' "$node2/healthz") == 503 ]]; then unhealthy=1; break; fi
  sleep 0.1
done
(( unhealthy )) || fail "node2 did not report unhealthy with PostgreSQL down"
status=$(token_status "$node2")
[[ $status == 503 ]] || fail "node2 answered $status to a token request with PostgreSQL down"
ok "PostgreSQL down: /healthz 503 and the token endpoint refuses with 503"
wait "$wrk_pid" || true
kill -0 "$pid2" || fail "node2 died while PostgreSQL was down"
bash "$root/scripts/pg-cluster.sh" start "$work/state/pg" >/dev/null
recovered=0
for _ in $(seq 1 100); do
  if [[ $(token_status "$node2") == 200 ]]; then recovered=1; break; fi
  sleep 0.1
done
(( recovered )) || fail "node2 did not recover after PostgreSQL came back"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$node2/healthz") == 200 ]] || fail "healthz not 200"
ok "PostgreSQL back: node2 healthy and issuing again by itself"
"$zta" audit verify --store "$store" >/dev/null || fail "the audit chains after the outage"
echo "every fault check held"
