#!/usr/bin/env bash
# Federation interop: node-oidc-provider as an external issuer trusted by `zta idp serve`.
#  (a) its client_credentials JWT access token (aud = urn:zta:federation) is the client_assertion
#      of an agent registered with --federated-subject PEER=hotel-agent: zta issues a token that
#      npm jose verifies;
#  (b) refused (invalid_client) when the agent's subject does not match, when the issuer was added
#      without --allow-client-assertion, when the token's audience is wrong (a second peer that
#      mints for another RESOURCE), and when the issuer was never added;
#  (c) the same token as a token exchange's subject_token (RFC 8693, type ...:jwt) with the
#      agent's own zta token as actor_token gives a zta token whose sub is the local subject and
#      that carries zta_federated {iss, sub}; a token of an issuer not added is invalid_grant
#      with audit reason untrusted_issuer, and the booker's own workload identity (hotel-agent,
#      registered as its federated subject) is refused as a subject (subject_inactive).
# Usage: run.sh PATH/TO/zta CACHE_DIR PEERS_DIR
set -uo pipefail
zta=$(realpath "$1")
cache=$2
peers=$3
src=$(cd "$(dirname "$0")" && pwd)

for tool in node npm curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "interop: $tool is not installed (make deps installs it)" >&2
    exit 1
  fi
done

mkdir -p "$cache"
if [[ ! -d $cache/node_modules/oidc-provider ]] || ! cmp -s "$peers/package-lock.json" "$cache/.installed-lock"; then
  cp "$peers/package.json" "$peers/package-lock.json" "$cache/"
  (cd "$cache" && npm ci --no-audit --no-fund --loglevel=error) || exit 1
  cp "$peers/package-lock.json" "$cache/.installed-lock"
fi
# Node resolves imports from the script's folder, so the scripts run from the cache.
cp "$peers/oidc-provider-server.mjs" "$src/verify.mjs" "$cache/"

work=$(mktemp -d "${TMPDIR:-/tmp}/zta-federation-interop.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
skipped=0
ok() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; [[ -n ${2:-} ]] && echo "      $2"; return 0; }
skip() { skipped=$((skipped + 1)); echo "skip  $1"; [[ -n ${2:-} ]] && echo "      $2"; return 0; }

wait_url() {  # FILE: waits for "listening on URL" in FILE and prints URL
  for _ in $(seq 1 400); do
    local url
    url=$(sed -n 's/^listening on //p' "$1" 2>/dev/null | head -1)
    if [[ -n $url ]]; then echo "$url"; return 0; fi
    sleep 0.1
  done
  echo "interop: no 'listening on' in $1:" >&2
  cat "$1" >&2
  return 1
}
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
json_field() {  # FIELD: reads JSON on stdin, prints .FIELD ("" when absent)
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const v=JSON.parse(s)[process.argv[1]];console.log(v===undefined?"":typeof v==="string"?v:JSON.stringify(v))}catch{console.log("")}})' "$1"
}

FED_AUD=urn:zta:federation
API=https://hotel.example/api
export HOTEL_SECRET=secret-secret-secret-secret

start_peer() {  # NAME RESOURCE: starts node-oidc-provider minting for RESOURCE; prints its issuer
  local port
  port=$(free_port)
  PORT=$port RESOURCE=$2 node "$cache/oidc-provider-server.mjs" >"$work/$1.log" 2>&1 &
  pids+=($!)
  wait_url "$work/$1.log"
}
PEER=$(start_peer peer "$FED_AUD") || exit 1
OTHER=$(start_peer other https://wrong.example/api) || exit 1

peer_token() {  # ISSUER RESOURCE: a fresh client_credentials access token of hotel-agent
  curl -s -u "hotel-agent:$HOTEL_SECRET" -d grant_type=client_credentials -d "resource=$2" \
    -d scope=read_hotels "$1/token" | json_field access_token
}
person_token() {  # ISSUER RESOURCE: hotel-agent-post's token (client_secret_post): a subject
  # no zta agent is registered with, standing in for a person's token of that issuer
  curl -s -d client_id=hotel-agent-post -d "client_secret=$HOTEL_SECRET" \
    -d grant_type=client_credentials -d "resource=$2" -d scope=read_hotels "$1/token" |
    json_field access_token
}
t=$(peer_token "$PEER" "$FED_AUD")
[[ $t == ey*.*.* ]] && ok "peer issues a JWT access token for $FED_AUD" || fail "peer token" "$t"

# --- the zta idp: a resource, the peer as a federated issuer, agents ------------------------
data=$work/idp
idp() { "$zta" idp --data "$data" "$@"; }
idp resource add "$API" --scopes "read_hotels read_rooms create_bookings" >/dev/null || exit 1
idp federation add "$PEER" --audience "$FED_AUD" --allow-client-assertion --allow-subject-token \
  >/dev/null || exit 1
agent_id() { json_field client_id <"$1"; }
idp agent add booker --owner ops@example.com --resource "$API" --scopes read_hotels \
  --federated-subject "$PEER=hotel-agent" >"$work/booker.json" 2>/dev/null || exit 1
BOOKER=$(agent_id "$work/booker.json")
BOOKER_SECRET=$(json_field client_secret <"$work/booker.json")
idp agent add stranger --owner ops@example.com --resource "$API" --scopes read_hotels \
  --federated-subject "$PEER=someone-else" >"$work/stranger.json" 2>/dev/null || exit 1
STRANGER=$(agent_id "$work/stranger.json")

idp serve --listen 127.0.0.1:0 >"$work/idp.out" 2>"$work/idp.err" &
pids+=($!)
IDP=$(wait_url "$work/idp.out") || exit 1

JWT_BEARER=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
federated_login() {  # CLIENT_ID ASSERTION: POST /token client_credentials; sets code, body
  body=$(curl -s -o - -w '\n%{http_code}' -d grant_type=client_credentials -d "client_id=$1" \
    --data-urlencode "client_assertion_type=$JWT_BEARER" --data-urlencode "client_assertion=$2" \
    "$IDP/token")
  code=${body##*$'\n'}
  body=${body%$'\n'*}
}
last_deny_reason() {  # the reason of the newest deny event of token.* in the audit log
  "$zta" audit query --data "$data" --action 'token.*' --decision deny --json 2>/dev/null |
    tail -1 | json_field reason
}
expect_refused() {  # NAME CLIENT_ID ASSERTION REASON
  federated_login "$2" "$3"
  local reason
  reason=$(last_deny_reason)
  if [[ $code == 401 && $(json_field error <<<"$body") == invalid_client && $reason == "$4" ]]; then
    ok "$1 → 401 invalid_client ($reason)"
  else
    fail "$1 → expected 401 invalid_client, reason $4" "HTTP $code $body; audit reason $reason"
  fi
}

# (a) the peer's token authenticates the federated agent
federated_login "$BOOKER" "$(peer_token "$PEER" "$FED_AUD")"
OWN=$(json_field access_token <<<"$body")
if [[ $code == 200 && $OWN == ey*.*.* ]]; then
  ok "(a) peer token as client_assertion → zta client_credentials token"
  if claims=$(node "$cache/verify.mjs" "$IDP" "$API" "$OWN" 2>"$work/verify.err"); then
    sub=$(json_field claims <<<"$claims" | json_field sub)
    [[ $sub == "$BOOKER" ]] && ok "(a) npm jose verifies it; sub is the agent" ||
      fail "(a) sub of the zta token" "$claims"
  else
    fail "(a) npm jose verifies the zta token" "$(cat "$work/verify.err")"
  fi
else
  fail "(a) peer token as client_assertion" "HTTP $code $body"
fi

# (b) refusals
expect_refused "(b) subject not registered on that agent" "$STRANGER" \
  "$(peer_token "$PEER" "$FED_AUD")" federated_subject_mismatch
expect_refused "(b) issuer not added" "$BOOKER" "$(peer_token "$OTHER" https://wrong.example/api)" \
  untrusted_issuer
idp federation add "$OTHER" --audience "$FED_AUD" --allow-client-assertion >/dev/null
idp agent add other-booker --owner ops@example.com --resource "$API" --scopes read_hotels \
  --federated-subject "$OTHER=hotel-agent" >"$work/other.json" 2>/dev/null
sleep 1.2  # the server reloads registry changes within a second
expect_refused "(b) token audience is not the issuer's audience" "$(agent_id "$work/other.json")" \
  "$(peer_token "$OTHER" https://wrong.example/api)" bad_audience
idp federation add "$PEER" --audience "$FED_AUD" --allow-subject-token >/dev/null
sleep 1.2
expect_refused "(b) issuer added without --allow-client-assertion" "$BOOKER" \
  "$(peer_token "$PEER" "$FED_AUD")" untrusted_issuer
idp federation add "$PEER" --audience "$FED_AUD" --allow-client-assertion --allow-subject-token \
  >/dev/null
idp federation remove "$OTHER" >/dev/null
sleep 1.2

# (c) the peer's token as a token exchange's subject_token, the agent's own token as actor
EXCHANGE=urn:ietf:params:oauth:grant-type:token-exchange
exchange() {  # SUBJECT_TOKEN: sets code, body
  body=$(curl -s -o - -w '\n%{http_code}' -u "$BOOKER:$BOOKER_SECRET" \
    --data-urlencode "grant_type=$EXCHANGE" --data-urlencode "subject_token=$1" \
    --data-urlencode "subject_token_type=urn:ietf:params:oauth:token-type:jwt" \
    --data-urlencode "actor_token=$OWN" \
    --data-urlencode "actor_token_type=urn:ietf:params:oauth:token-type:access_token" \
    --data-urlencode "resource=$API" "$IDP/token")
  code=${body##*$'\n'}
  body=${body%$'\n'*}
}
exchange "$(person_token "$PEER" "$FED_AUD")"
exchanged=$(json_field access_token <<<"$body")
local_sub=$(node "$cache/verify.mjs" --local-subject "$PEER" hotel-agent-post)
if [[ $code == 200 ]] && claims=$(node "$cache/verify.mjs" "$IDP" "$API" "$exchanged" 2>"$work/verify.err"); then
  c=$(json_field claims <<<"$claims")
  fed=$(json_field zta_federated <<<"$c")
  act=$(json_field act <<<"$c")
  if [[ $(json_field sub <<<"$c") == "$local_sub" && $(json_field iss <<<"$fed") == "$PEER" &&
        $(json_field sub <<<"$fed") == hotel-agent-post && $(json_field sub <<<"$act") == "$BOOKER" ]]; then
    ok "(c) exchanged: sub $local_sub, act $BOOKER, zta_federated {iss, sub}, verified by npm jose"
  else
    fail "(c) exchanged token's sub, act and zta_federated" "$c"
  fi
else
  fail "(c) token exchange of the peer's token" "HTTP $code $body $(cat "$work/verify.err" 2>/dev/null)"
fi
exchange "$(peer_token "$PEER" "$FED_AUD")"
reason=$(last_deny_reason)
if [[ $code == 400 && $(json_field error <<<"$body") == invalid_grant && $reason == subject_inactive ]]; then
  ok "(c) an agent's own workload identity as subject → invalid_grant (subject_inactive)"
else
  fail "(c) an agent's own workload identity as subject" "HTTP $code $body; audit reason $reason"
fi
exchange "$(peer_token "$OTHER" https://wrong.example/api)"
reason=$(last_deny_reason)
if [[ $code == 400 && $(json_field error <<<"$body") == invalid_grant && $reason == untrusted_issuer ]]; then
  ok "(c) subject token of an issuer not added → invalid_grant (untrusted_issuer)"
else
  fail "(c) subject token of an issuer not added" "HTTP $code $body; audit reason $reason"
fi

echo "federation interop: $passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
