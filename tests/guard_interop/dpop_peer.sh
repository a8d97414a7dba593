#!/usr/bin/env bash
# DPoP (RFC 9449) with node-oidc-provider (../shared/peers, started with DPOP=1) on the other
# side: zta's AuthProvider (`zta token get`, [auth] dpop = true with a key file from `zta jwk
# generate`) gets a token bound to that key (cnf.jkt = its RFC 7638 thumbprint, computed by npm
# jose), and `zta gateway` (dpop = "required") accepts that token with a proof by the key
# (made by npm jose here), refuses it as Bearer, with a replayed proof, and with another key's.
# Usage: dpop_peer.sh PATH/TO/zta CACHE_DIR PEERS_DIR
set -uo pipefail
zta=$(realpath "$1")
cache=$2
peers=$3

for tool in node npm curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "dpop-peer: $tool is not installed (make deps installs it)" >&2
    exit 1
  fi
done
mkdir -p "$cache"
(
  flock 9
  if [[ ! -d $cache/node_modules/oidc-provider ]] || ! cmp -s "$peers/package-lock.json" "$cache/.installed-lock"; then
    cp "$peers/package.json" "$peers/package-lock.json" "$cache/"
    (cd "$cache" && npm ci --no-audit --no-fund --loglevel=error) || exit 1
    cp "$peers/package-lock.json" "$cache/.installed-lock"
  fi
) 9>"$cache/.lock" || exit 1
cp "$peers/oidc-provider-server.mjs" "$cache/"

work=$(mktemp -d "${TMPDIR:-/tmp}/zta-dpop-peer.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
source "$(dirname "$0")/checks.sh"
# js SCRIPT ARGS...: runs node with the peers' jose from the cache.
js() { (cd "$cache" && node --input-type=module -e "$@"); }

AUD=https://hotel.example/api
export HOTEL_SECRET=secret-secret-secret-secret
port=$(free_port)
PORT=$port DPOP=1 node "$cache/oidc-provider-server.mjs" >"$work/oidc.log" 2>&1 &
pids+=($!)
OIDC=$(wait_url "$work/oidc.log") || exit 1

"$zta" jwk generate --alg ES256 --out "$work/dpop.jwk" --public-out "$work/dpop.pub.jwk" \
  >/dev/null || exit 1
"$zta" jwk generate --alg ES256 --out "$work/other.jwk" --public-out "$work/other.pub.jwk" \
  >/dev/null || exit 1
cat >"$work/agent.toml" <<TOML
[auth]
issuer = "$OIDC"
client_id = "hotel-agent"
client_secret_env = "HOTEL_SECRET"
resource = "$AUD"
scopes = ["read_hotels"]
dpop = true
dpop_key_file = "$work/dpop.jwk"
TOML
TOKEN=$("$zta" token get --config "$work/agent.toml" 2>"$work/token.err")
if [[ $TOKEN == ey*.*.* ]]; then ok "zta token get with DPoP against node-oidc-provider"
else fail "zta token get with DPoP" "$(cat "$work/token.err")"; fi

bound=$(js '
import * as jose from "jose"; import { readFileSync } from "node:fs";
const [token, pub] = process.argv.slice(1);
const jkt = await jose.calculateJwkThumbprint(JSON.parse(readFileSync(pub, "utf8")));
console.log(jose.decodeJwt(token).cnf?.jkt === jkt ? "yes" : "no");' "$TOKEN" "$work/dpop.pub.jwk")
[[ $bound == yes ]] && ok "node-oidc-provider bound the token to zta's key (cnf.jkt)" ||
  fail "cnf.jkt is the key's thumbprint" "$bound"

cat >"$work/upstream.mjs" <<'JS'
import { createServer } from 'node:http';
const s = createServer((req, res) => {
  const leaked = req.headers.dpop !== undefined || req.headers.authorization !== undefined;
  res.writeHead(leaked ? 500 : 200, { 'content-type': 'text/plain' });
  res.end(req.headers['x-zta-dpop-jkt'] ?? '');
});
s.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${s.address().port}`));
JS
node "$work/upstream.mjs" >"$work/upstream.log" 2>&1 &
pids+=($!)
UP=$(wait_url "$work/upstream.log") || exit 1
cat >"$work/gateway.toml" <<TOML
listen = "127.0.0.1:0"
upstream = "$UP"
audience = "$AUD"

[[issuer]]
issuer = "$OIDC"
algorithms = ["ES256"]
dpop = "required"

[[route]]
method = "GET"
path = "/api/hotels*"
scopes = ["read_hotels"]
TOML
"$zta" gateway --config "$work/gateway.toml" >"$work/gw.out" 2>"$work/gw.err" &
pids+=($!)
GW=$(wait_url "$work/gw.out") || exit 1

# proof KEYFILE URL TOKEN: a DPoP proof made by npm jose.
proof() {
  js '
import * as jose from "jose"; import { readFileSync } from "node:fs"; import { randomUUID } from "node:crypto";
const [keyFile, url, token] = process.argv.slice(1);
const jwk = JSON.parse(readFileSync(keyFile, "utf8"));
const { d, ...pub } = jwk; delete pub.kid; delete pub.use; delete pub.alg;
const key = await jose.importJWK(jwk, "ES256");
const ath = jose.base64url.encode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))));
console.log(await new jose.SignJWT({ htm: "GET", htu: url, jti: randomUUID(), ath })
  .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: pub }).setIssuedAt().sign(key));' "$@"
}
call() {  # NAME WANT AUTHORIZATION [PROOF]
  local args=(-s -o "$work/body" -w '%{http_code}' -H "Authorization: $3")
  [[ -n ${4:-} ]] && args+=(-H "DPoP: $4")
  local got
  got=$(curl "${args[@]}" "$GW/api/hotels")
  [[ $got == "$2" ]] && ok "$1" || fail "$1" "status $got, want $2"
}
P=$(proof "$work/dpop.jwk" "$GW/api/hotels" "$TOKEN")
call "the gateway accepts node-oidc-provider's DPoP token with its proof" 200 "DPoP $TOKEN" "$P"
jkt=$(js 'import * as jose from "jose"; import { readFileSync } from "node:fs";
console.log(await jose.calculateJwkThumbprint(JSON.parse(readFileSync(process.argv[1], "utf8"))));' "$work/dpop.pub.jwk")
[[ $(cat "$work/body") == "$jkt" ]] && ok "the upstream got X-Zta-Dpop-Jkt and neither token nor proof" ||
  fail "upstream headers" "$(cat "$work/body")"
call "the same proof again is refused (replay)" 401 "DPoP $TOKEN" "$P"
call "the bound token as Bearer is refused" 401 "Bearer $TOKEN"
call "a proof by another key is refused" 401 "DPoP $TOKEN" "$(proof "$work/other.jwk" "$GW/api/hotels" "$TOKEN")"
call "a proof for another URL is refused" 401 "DPoP $TOKEN" "$(proof "$work/dpop.jwk" "$GW/api/other" "$TOKEN")"
if grep -rqF "$TOKEN" "$work/gw.out" "$work/gw.err"; then fail "the gateway never logs a token"
else ok "the gateway never logs a token"; fi

echo "dpop-peer: $passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
