#!/usr/bin/env bash
# Drives the zta CLI and checks its contract (DESIGN.md "The CLI"): exit 0 on success, 1 with
# "invalid: <reason_code>" for a token that fails, 2 with one "zta: ..." line for usage or
# configuration errors; private keys created 0600; decode marks its output UNVERIFIED.
# Usage: cli_test.sh PATH/TO/zta
set -uo pipefail
zta=$(realpath "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/zta-cli-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; [[ -n ${2:-} ]] && echo "      $2"; return 0; }

# run ARGS...: runs zta with stdin from $STDIN (default empty); sets code, out, err.
run() {
  "$zta" "$@" <<<"${STDIN:-}" >out.txt 2>err.txt
  code=$?
  out=$(cat out.txt)
  err=$(cat err.txt)
}

# expect_usage NAME ARGS...: exit 2, stdout empty, exactly one stderr line starting "zta: ".
expect_usage() {
  local name=$1; shift
  run "$@"
  if [[ $code -eq 2 && -z $out && $(wc -l <err.txt) -eq 1 && $err == "zta: "* ]]; then
    ok "$name → 2 ($err)"
  else
    fail "$name → expected exit 2 and one 'zta: ' line" "exit $code, stderr: $err"
  fi
}

# expect_invalid NAME CODE ARGS...: exit 1, stdout empty, stderr exactly "invalid: CODE".
expect_invalid() {
  local name=$1 reason=$2; shift 2
  run "$@"
  if [[ $code -eq 1 && -z $out && $err == "invalid: $reason" ]]; then
    ok "$name → invalid: $reason"
  else
    fail "$name → expected exit 1 'invalid: $reason'" "exit $code, stderr: $err"
  fi
}

# listening_url FILE SCHEME: waits (up to 5 s) for "listening on SCHEME://..." in FILE; prints it.
listening_url() {
  local url=""
  for _ in $(seq 1 100); do
    url=$(sed -n "s|^listening on \\($2://[^ ]*\\)\$|\\1|p" "$1")
    [[ -n $url ]] && break
    sleep 0.05
  done
  echo "$url"
}

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

ISS=https://idp.example
AUD=https://hotel.example/api

# --- usage errors ---------------------------------------------------------------------------
expect_usage "no command" 
expect_usage "unknown command" frobnicate
expect_usage "jwt without a subcommand" jwt
expect_usage "jwt verify without flags" jwt verify
expect_usage "jwt verify without --aud" jwt verify --jwks x.json --iss "$ISS" tok
expect_usage "jwk generate with alg none" jwk generate --alg none --out none.json
expect_usage "jwk generate without --out" jwk generate --alg ES256
expect_usage "jws verify without a key" jws verify tok
expect_usage "jws verify with --jwk and --jwks" jws verify --jwk a --jwks b tok
expect_usage "jwt verify with --alg none" jwt verify --jwks x --iss a --aud b --alg none tok
expect_usage "jwt verify with a missing key file" jwt verify --jwks missing.json --iss a --aud b tok
expect_usage "jwt verify with leeway over 300" jwt verify --jwks x --iss a --aud b --leeway 301 tok
expect_usage "jwt verify with an unreachable https JWKS URL" \
  jwt verify --jwks https://127.0.0.1:1/jwks --iss a --aud b tok
[[ $err == *"fetching https://127.0.0.1:1/jwks"* ]] && ok "unreachable URL message names the URL" \
  || fail "unreachable URL message" "$err"
expect_usage "jwt verify with a non-loopback http URL" \
  jwt verify --jwks http://192.0.2.1/jwks --iss a --aud b tok

# --- --help on every command ----------------------------------------------------------------
for cmd in "" "jwk" "jwk generate" "jws" "jws verify" "jwt" "jwt sign" "jwt verify" "jwt decode" \
  "demo" "chat" "hotel" "hotel serve" "hotel bookings" "jwt walkthrough"; do
  # shellcheck disable=SC2086
  run $cmd --help
  if [[ $code -eq 0 && $out == *"--help"* ]]; then ok "zta $cmd --help"; else
    fail "zta $cmd --help" "exit $code"; fi
done

# --- keys -----------------------------------------------------------------------------------
run jwk generate --alg ES256 --kid cli-key --out key.json --public-out key.pub.json
mode=$(stat -c %a key.json 2>/dev/null)
if [[ $code -eq 0 && $mode == 600 ]]; then ok "jwk generate: private key mode 0600"; else
  fail "jwk generate: private key mode 0600" "exit $code, mode $mode, stderr $err"; fi
grep -q '"d"' key.json && ! grep -q '"d"' key.pub.json && ok "jwk generate: d only in the private file" \
  || fail "jwk generate: d only in the private file"

before=$(sha256sum key.json)
expect_usage "jwk generate refuses to overwrite" jwk generate --alg ES256 --out key.json
[[ $(sha256sum key.json) == "$before" ]] && ok "the existing key is untouched" \
  || fail "the existing key is untouched"

# Even with a permissive umask the private key is never readable by others.
(umask 000 && "$zta" jwk generate --alg EdDSA --out open.json --public-out open.pub.json >/dev/null)
[[ $(stat -c %a open.json) == 600 ]] && ok "umask 000: private key still 0600" \
  || fail "umask 000: private key still 0600" "mode $(stat -c %a open.json)"
(umask 000 && "$zta" jwk generate --alg ES256 --out open.json --force >/dev/null)
[[ $(stat -c %a open.json) == 600 && $(grep -c '"crv": "P-256"' open.json) == 1 ]] \
  && ok "--force replaces the key, still 0600" || fail "--force replaces the key, still 0600"

run jwk generate --alg ES256 --kid other --out other.json --public-out other.pub.json
run jwk generate --alg HS256 --out hmac.json
[[ $code -eq 0 && $(stat -c %a hmac.json) == 600 ]] && ok "jwk generate HS256" \
  || fail "jwk generate HS256" "$err"
expect_usage "an HMAC key has no public half" \
  jwk generate --alg HS256 --out hmac2.json --public-out hmac2.pub.json

# --- sign and verify ------------------------------------------------------------------------
claims='{"iss":"'$ISS'","aud":"'$AUD'","sub":"agent-1","scope":"hotels:read"}'
run jwt sign --jwk key.json --claims "$claims" --typ at+jwt --ttl 300
token=$out
if [[ $code -eq 0 && $token =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]]; then
  ok "jwt sign prints a compact token"
else
  fail "jwt sign prints a compact token" "exit $code, stderr $err"
fi
expect_usage "jwt sign without exp or --ttl" jwt sign --jwk key.json --claims "$claims"
expect_usage "jwt sign with claims that are not an object" jwt sign --jwk key.json --claims '[1]' --ttl 5
expect_usage "jwt sign with a public key" jwt sign --jwk key.pub.json --claims "$claims" --ttl 5
expect_usage "jwt sign with an alg the key cannot make" \
  jwt sign --jwk key.json --claims "$claims" --ttl 5 --alg RS256

verify=(jwt verify --jwks key.pub.json --iss "$ISS" --aud "$AUD")
run "${verify[@]}" --typ at+jwt --scope hotels:read --max-lifetime 300 "$token"
if [[ $code -eq 0 && $out == *'"sub": "agent-1"'* && $out == *'"jti": '* && -z $err ]]; then
  ok "jwt verify: a valid token → 0 and its claims"
else
  fail "jwt verify: a valid token → 0 and its claims" "exit $code, stderr $err"
fi
STDIN=$token run "${verify[@]}" -
[[ $code -eq 0 ]] && ok "jwt verify reads the token from stdin" || fail "jwt verify from stdin" "$err"

echo "$claims" >claims.json
run jwt sign --jwk key.json --claims @claims.json --ttl 60
[[ $code -eq 0 ]] && ok "jwt sign --claims @FILE" || fail "jwt sign --claims @FILE" "$err"
other_token=$out

IFS=. read -r h1 p1 s1 <<<"$token"
IFS=. read -r h2 p2 s2 <<<"$other_token"
expect_invalid "payload of another token with this signature" bad_signature "${verify[@]}" "$h2.$p2.$s1"
expect_invalid "wrong audience" bad_audience jwt verify --jwks key.pub.json --iss "$ISS" \
  --aud https://other.example "$token"
expect_invalid "wrong issuer" bad_issuer jwt verify --jwks key.pub.json --iss https://evil.example \
  --aud "$AUD" "$token"
expect_invalid "verified an hour later" expired "${verify[@]}" --now $(($(date +%s) + 3600)) "$token"
expect_invalid "verified an hour earlier" issued_in_future "${verify[@]}" \
  --now $(($(date +%s) - 3600)) "$token"
expect_invalid "missing scope" insufficient_scope "${verify[@]}" --scope bookings:create "$token"
expect_invalid "wrong typ" bad_typ "${verify[@]}" --typ dpop+jwt "$other_token"
expect_invalid "lifetime over the maximum" lifetime_too_long "${verify[@]}" --max-lifetime 60 "$token"
expect_invalid "alg outside the allow-list" alg_not_allowed "${verify[@]}" --alg RS256,EdDSA "$token"
expect_invalid "a key set without the token's kid" unknown_kid jwt verify --jwks other.pub.json \
  --iss "$ISS" --aud "$AUD" "$token"
expect_invalid "not a token" malformed "${verify[@]}" not-a-token
none_header=$(printf '{"alg":"none","typ":"at+jwt"}' | b64url)
expect_invalid "alg none" alg_not_allowed "${verify[@]}" "$none_header.$p1."

expect_usage "a private key file used for verification" jwt verify --jwks key.json --iss "$ISS" \
  --aud "$AUD" "$token"

# HMAC: only when --alg names an HS algorithm.
run jwt sign --jwk hmac.json --claims "$claims" --ttl 60
hmac_token=$out
[[ $code -eq 0 ]] && ok "jwt sign with an HS256 key" || fail "jwt sign with an HS256 key" "$err"
expect_usage "an oct key without --alg HS256" jwt verify --jwks hmac.json --iss "$ISS" --aud "$AUD" \
  "$hmac_token"
run jwt verify --jwks hmac.json --iss "$ISS" --aud "$AUD" --alg HS256 "$hmac_token"
[[ $code -eq 0 ]] && ok "an oct key with --alg HS256" || fail "an oct key with --alg HS256" "$err"

# --- jws verify -----------------------------------------------------------------------------
run jws verify --jwk key.pub.json "$token"
payload=$(printf '%s' "$p1" | tr '_-' '/+' | base64 -d 2>/dev/null)
if [[ $code -eq 0 && $out == "$payload" && $out == *'"sub":"agent-1"'* ]]; then
  ok "jws verify prints the payload"
else
  fail "jws verify prints the payload" "exit $code, stderr $err"
fi
expect_invalid "jws verify: spliced signature" bad_signature jws verify --jwk key.pub.json "$h2.$p2.$s1"
expect_invalid "jws verify: HS256 without --alg" alg_not_allowed jws verify --jwk key.pub.json \
  "$hmac_token"

# --- jwt decode -----------------------------------------------------------------------------
run jwt decode "$token"
if [[ $code -eq 0 && $(head -n1 out.txt) == "UNVERIFIED"* && $out == *'"typ": "at+jwt"'* &&
  $out == *'"sub": "agent-1"'* ]]; then
  ok "jwt decode prints UNVERIFIED, header and claims"
else
  fail "jwt decode prints UNVERIFIED, header and claims" "exit $code: $(head -n1 out.txt)"
fi
run jwt decode "$h2.$p2.$s1"
[[ $code -eq 0 ]] && ok "jwt decode shows a token whose signature is wrong" || fail "jwt decode spliced"
expect_invalid "jwt decode of garbage" malformed jwt decode "abc.def"

# --- jwt walkthrough -----------------------------------------------------------------------------------
run jwt walkthrough
if [[ $code -eq 0 && $out == *valid* && $out == *bad_signature* && $out == *expired* &&
  $out == *bad_audience* && $out == *alg_not_allowed* ]]; then
  ok "zta jwt walkthrough → 0, shows each rejection"
else
  fail "zta jwt walkthrough → 0, shows each rejection" "exit $code, stderr $err"
fi
# The walkthrough must never print a whole token (three base64url parts).
if grep -Eq '[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}' out.txt; then
  fail "zta jwt walkthrough prints no full token"
else
  ok "zta jwt walkthrough prints no full token"
fi

# --- idp serve --config ----------------------------------------------------------------------
printf '[server]\nlisten = "127.0.0.1:0"\nthreads = 1\nlisn = "typo"\n' >bad.toml
expect_usage "idp serve --config with an unknown key" idp --data idpdata serve --config bad.toml
[[ $err == *"server.lisn is not a known setting"* ]] && ok "the unknown key is named" ||
  fail "the unknown key is named" "$err"
printf '[tokens]\nttl_seconds = "long"\n' >badtype.toml
expect_usage "idp serve --config with a wrong type" idp --data idpdata serve --config badtype.toml
expect_usage "idp serve --config missing file" idp --data idpdata serve --config nope.toml
printf '[server]\nlisten = "127.0.0.1:0"\ntls_certificate_file = "cert.pem"\n' >halftls.toml
expect_usage "idp serve with a certificate but no key" idp --data idpdata serve --config halftls.toml

# HTTPS from the config file: discovery over TLS names the https issuer.
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout key.pem -out cert.pem >/dev/null 2>&1; then
  printf '[server]\nlisten = "127.0.0.1:0"\ntls_certificate_file = "cert.pem"\n' >tls.toml
  printf 'tls_private_key_file = "key.pem"\n[tokens]\nttl_seconds = 120\n' >>tls.toml
  "$zta" idp --data idpdata serve --config tls.toml >serve.out 2>serve.err &
  serve_pid=$!
  url=$(listening_url serve.out https)
  meta=$(curl -sS --cacert cert.pem "$url/.well-known/oauth-authorization-server" 2>&1)
  if [[ -n $url && $meta == *"\"issuer\":\"$url\""* ]]; then
    ok "idp serve --config with TLS serves discovery over https"
  else
    fail "idp serve --config with TLS serves discovery over https" "url '$url': $meta $(cat serve.err)"
  fi
  kill "$serve_pid" 2>/dev/null
  wait "$serve_pid" 2>/dev/null
else
  fail "openssl could not make a test certificate"
fi

# --- options of a command group before or after its subcommand ----------------------------
# DESIGN "The CLI": `zta idp --data D serve` and `zta idp serve --data D` are the same command.
run idp --data before resource add https://before.example/api --scopes read
[[ $code -eq 0 ]] && ok "idp --data D resource add" || fail "idp --data D resource add" "$err"
run idp resource add https://after.example/api --scopes read --data after
[[ $code -eq 0 ]] && ok "idp resource add ... --data D" || fail "idp resource add ... --data D" "$err"
run idp resource list --data after
[[ $code -eq 0 && $out == *"https://after.example/api"* && $out != *"before.example"* ]] &&
  ok "idp resource list --data D reads that folder" || fail "idp resource list --data D" "$err"
run idp agent add booking-agent --owner ops@example.com --resource https://after.example/api \
  --scopes read --data after
[[ $code -eq 0 && $out == *"client_secret"* ]] && ok "idp agent add ... --data D" ||
  fail "idp agent add ... --data D" "exit $code: $err"
for position in after before; do
  if [[ $position == after ]]; then
    "$zta" idp serve --data after --listen 127.0.0.1:0 >serve.out 2>serve.err &
  else
    "$zta" idp --data after serve --listen 127.0.0.1:0 >serve.out 2>serve.err &
  fi
  serve_pid=$!
  url=$(listening_url serve.out http)
  if [[ -n $url ]] && curl -sf "$url/jwks" >/dev/null; then
    ok "idp serve with --data $position the subcommand serves"
  else
    fail "idp serve with --data $position the subcommand serves" "$(cat serve.err)"
  fi
  kill "$serve_pid" 2>/dev/null
  wait "$serve_pid" 2>/dev/null
done
expect_usage "an option no command level knows" idp resource list --data after --nonsense

# --- users, apps and resources' details types (issue 14) -----------------------------------
PW='Tr0ub4dor&3-unlikely-in-any-output'
STDIN=$PW run idp --data people user add alice --email alice@example.test \
  --display-name "Alice Example" --password-stdin
alice_id=$(sed -n 's/^  "id": "\(u-[A-Za-z0-9_-]*\)",\{0,1\}$/\1/p' out.txt)
[[ $code -eq 0 && -n $alice_id && $out == *'"username": "alice"'* ]] &&
  ok "idp user add NAME --password-stdin ($alice_id)" || fail "idp user add" "exit $code: $err"
all_output=$out$err
STDIN=other run idp user add alice --password-stdin --data people
[[ $code -eq 2 && $err == *"already exists"* ]] && ok "idp user add: a duplicate name → 2" ||
  fail "idp user add: a duplicate name → 2" "exit $code: $err"
expect_usage "idp user add without --password-stdin" idp user add bob --data people
STDIN= expect_usage "idp user add with an empty password" idp user add bob --password-stdin \
  --data people
run idp user list --data people
[[ $code -eq 0 && $out == *"$alice_id"* && $out != *bob* && $out != *argon2* ]] &&
  ok "idp user list (no hash shown)" || fail "idp user list" "exit $code: $out $err"
all_output+=$out$err
run idp user show alice --data people
[[ $code -eq 0 && $out == *"$alice_id"* ]] && ok "idp user show NAME" || fail "idp user show" "$err"
run idp user disable "$alice_id" --data people
[[ $code -eq 0 ]] && ok "idp user disable ID" || fail "idp user disable ID" "$err"
run idp user show "$alice_id" --data people
[[ $out == *'"status": "disabled"'* ]] && ok "a disabled user shows as disabled" ||
  fail "a disabled user shows as disabled" "$out"
run idp user enable alice --data people
[[ $code -eq 0 ]] && ok "idp user enable NAME" || fail "idp user enable NAME" "$err"
STDIN="$PW-2" run idp user passwd alice --password-stdin --data people
[[ $code -eq 0 ]] && ok "idp user passwd --password-stdin" || fail "idp user passwd" "$err"
all_output+=$out$err
run idp user show nobody --data people
[[ $code -eq 1 ]] && ok "idp user show of an unknown user → 1" || fail "unknown user → 1" "$code"
run idp user delete alice --data people
[[ $code -eq 0 ]] && ok "idp user delete NAME" || fail "idp user delete NAME" "$err"
run idp user show "$alice_id" --data people
[[ $code -eq 1 ]] && ok "a deleted user is gone" || fail "a deleted user is gone" "exit $code"
if [[ $all_output != *"$PW"* ]] && ! grep -rqaF "$PW" people; then
  ok "the password is in no output, audit log or database file"
else
  fail "the password leaked into output or the data folder"
fi

run idp --data people app add "Web chat" --redirect-uri https://chat.example.test/cb \
  --redirect-uri http://127.0.0.1/cb --post-logout-redirect-uri https://chat.example.test/ \
  --require-par
app_id=$(sed -n 's/^  "client_id": "\(app-[A-Za-z0-9_-]*\)",\{0,1\}$/\1/p' out.txt)
secret=$(sed -n 's/^  "client_secret": "\([A-Za-z0-9_-]*\)",\{0,1\}$/\1/p' out.txt)
[[ $code -eq 0 && -n $app_id && -n $secret && $err == *"shown once"* ]] &&
  ok "idp app add (confidential: secret once, warning on stderr)" ||
  fail "idp app add (confidential)" "exit $code: $out $err"
run idp app add cli-app --public --redirect-uri com.example.app:/cb --data people
[[ $code -eq 0 && $out != *client_secret* && $out == *'"client_type": "public"'* ]] &&
  ok "idp app add --public: no secret" || fail "idp app add --public" "exit $code: $err"
expect_usage "idp app add with an http redirect off loopback" idp app add bad \
  --redirect-uri http://chat.example.test/cb --data people
expect_usage "idp app add with a fragment in the redirect URI" idp app add bad \
  --redirect-uri 'https://chat.example.test/cb#x' --data people
expect_usage "idp app add without --redirect-uri" idp app add bad --data people
run idp app list --data people
[[ $code -eq 0 && $out == *"$app_id"* && $out == *cli-app* && $out != *"$secret"* ]] &&
  ok "idp app list (no secret)" || fail "idp app list" "exit $code: $err"
run idp app show "$app_id" --data people
[[ $code -eq 0 && $out == *'"require_pushed_authorization_requests": true'* ]] &&
  ok "idp app show ID" || fail "idp app show ID" "exit $code: $err"
run idp app delete "$app_id" --data people
[[ $code -eq 0 ]] && ok "idp app delete ID" || fail "idp app delete ID" "$err"
run idp app show "$app_id" --data people
[[ $code -eq 1 ]] && ok "a deleted app is gone" || fail "a deleted app is gone" "exit $code"
if ! grep -rqaF "$secret" people; then ok "the app secret is not in the data folder"
else fail "the app secret is in the data folder"; fi

cat >booking.schema.json <<'JSON'
{"type": "object", "required": ["hotel_id", "room_id"],
 "properties": {"type": {"const": "hotel_booking"}, "hotel_id": {"type": "string"},
                "room_id": {"type": "string"}, "max_total": {"type": "number"}}}
JSON
run idp resource add https://hotel.example/api --scopes "bookings:read bookings:create" \
  --scope-description "bookings:read=see your bookings" \
  --details-type hotel_booking --details-schema booking.schema.json \
  --details-text "book room {room_id} at {hotel_id}, up to {max_total}" --data people
[[ $code -eq 0 && $out == *'"hotel_booking"'* && $out == *"see your bookings"* ]] &&
  ok "idp resource add with scope descriptions and a details type" ||
  fail "idp resource add with details" "exit $code: $err"
echo '[1]' >array.json
expect_usage "idp resource add with a schema that is not an object" \
  idp resource add https://hotel.example/api --scopes read --details-type t \
  --details-schema array.json --details-text "x" --data people
expect_usage "idp resource add with a details type but no schema" \
  idp resource add https://hotel.example/api --scopes read --details-type t --data people
expect_usage "idp resource add describing an undeclared scope" \
  idp resource add https://hotel.example/api --scopes read --scope-description "write=x" \
  --data people

# --- token get --on-behalf-of: the config's [delegation] (docs/auth.md "Acting for users") ----
# Endpoints are given and PAR is off, so nothing is fetched before the consent step.
cat >obo.toml <<'EOF'
[auth]
issuer = "http://127.0.0.1:1"
token_endpoint = "http://127.0.0.1:1/token"
client_id = "hotel-agent"
client_secret_env = "ZTA_CLI_OBO_SECRET"
resource = "https://hotel.example/api"
[delegation]
app_client_id = "travel-app"
authorization_endpoint = "http://127.0.0.1:1/authorize"
token_endpoint = "http://127.0.0.1:1/token"
use_par = false
consent = "none"
EOF
export ZTA_CLI_OBO_SECRET=agent-secret
run token get --config obo.toml --on-behalf-of alice
[[ $code -eq 1 && -z $out && $err == *"consent_required"* ]] &&
  ok "token get --on-behalf-of with consent = none → 1 consent_required" ||
  fail "token get --on-behalf-of with consent = none" "exit $code: $err"
expect_usage "token get --on-behalf-of without --config" token get --issuer http://127.0.0.1:1 \
  --client-id a --client-secret-env ZTA_CLI_OBO_SECRET --resource https://hotel.example/api \
  --on-behalf-of alice
sed '/^\[delegation\]/,$d' obo.toml >obo_nodelegation.toml
expect_usage "token get --on-behalf-of with a config without [delegation]" \
  token get --config obo_nodelegation.toml --on-behalf-of alice
sed 's/^consent = "none"/consent = "browser"/' obo.toml >obo_bad.toml
expect_usage "token get --on-behalf-of with an unknown consent handler" \
  token get --config obo_bad.toml --on-behalf-of alice
printf 'app_client_secret_env = "ZTA_CLI_OBO_UNSET"\n' | cat obo.toml - >obo_nosecret.toml
unset ZTA_CLI_OBO_UNSET
expect_usage "token get --on-behalf-of with an unset app secret variable" \
  token get --config obo_nosecret.toml --on-behalf-of alice

# --- delegation rules (issue 15): agent delegate | delegations | undelegate ------------------
run idp --data chain resource add https://hotel.example/api --scopes "read_hotels create_bookings"
agent_id() { sed -n 's/^  "client_id": "\([A-Za-z0-9_-]*\)",\{0,1\}$/\1/p' out.txt; }
run idp --data chain agent add guest --owner ops@example.com --resource https://hotel.example/api \
  --scopes "read_hotels create_bookings"
guest_id=$(agent_id)
run idp --data chain agent add booking --owner ops@example.com \
  --resource https://hotel.example/api --scopes create_bookings
booking_id=$(agent_id)
run idp agent delegate "$guest_id" "$booking_id" --resource https://hotel.example/api \
  --scopes create_bookings --max-depth 2 --data chain
[[ $code -eq 0 && $out == *'"from": "'$guest_id'"'* && $out == *'"max_depth": 2'* ]] &&
  ok "idp agent delegate FROM TO --resource --scopes --max-depth" ||
  fail "idp agent delegate" "exit $code: $out $err"
run idp --data chain agent delegations "$booking_id"
[[ $code -eq 0 && $out == *"$guest_id"* && $out == *create_bookings* ]] &&
  ok "idp agent delegations ID lists the rule" || fail "idp agent delegations ID" "$out $err"
run idp --data chain agent delegate "$guest_id" "$booking_id" --resource https://hotel.example/api \
  --scopes nonsense
[[ $code -ne 0 && $err == *"scope nonsense is not defined"* ]] &&
  ok "idp agent delegate: a scope the resource does not define is refused" ||
  fail "idp agent delegate: an undefined scope" "exit $code: $err"
expect_usage "idp agent delegate to itself" idp --data chain agent delegate "$guest_id" "$guest_id"
run idp --data chain agent delegate "$guest_id" nobody
[[ $code -eq 1 && $err == *"no agent nobody"* ]] && ok "idp agent delegate to an unknown agent → 1" ||
  fail "idp agent delegate to an unknown agent" "exit $code: $err"
expect_usage "idp agent delegate with --max-depth 17" \
  idp --data chain agent delegate "$guest_id" "$booking_id" --max-depth 17
run idp --data chain agent undelegate "$guest_id" "$booking_id"
[[ $code -eq 0 ]] && ok "idp agent undelegate FROM TO" || fail "idp agent undelegate" "$err"
run idp --data chain agent delegations
[[ $code -eq 0 && $out == "[]" ]] && ok "no rule is left" || fail "no rule is left" "$out"
run idp --data chain agent undelegate "$guest_id" "$booking_id"
[[ $code -eq 1 && $err == *"no delegation rule"* ]] && ok "undelegate of a missing rule → 1" ||
  fail "undelegate of a missing rule" "exit $code: $err"

echo "cli: $passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
