#!/usr/bin/env bash
# `zta token get` and `zta gateway` CLI contract without third-party peers: exit 2 with one
# "zta: ..." line for usage/configuration errors, exit 1 when the IdP cannot be reached, and a
# gateway that prints "listening on URL", refuses unauthenticated requests and stops on SIGTERM.
# Usage: cli_test.sh PATH/TO/zta
set -uo pipefail
zta=$(realpath "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/zta-guard-cli.XXXXXX")
gw_pid=""
trap '[[ -n $gw_pid ]] && kill $gw_pid 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; [[ -n ${2:-} ]] && echo "      $2"; return 0; }

expect_usage() {  # NAME ARGS...: exit 2, nothing on stdout, one "zta: " line on stderr
  local name=$1; shift
  "$zta" "$@" >out.txt 2>err.txt
  local code=$?
  if [[ $code -eq 2 && ! -s out.txt && $(wc -l <err.txt) -eq 1 && $(cat err.txt) == "zta: "* ]]; then
    ok "$name → 2"
  else
    fail "$name → expected exit 2 and one 'zta: ' line" "exit $code: $(cat err.txt)"
  fi
}

export SECRET=some-secret-value-some-secret
expect_usage "token get without a resource" token get --issuer http://127.0.0.1:1 \
  --client-id a --client-secret-env SECRET
expect_usage "token get with an unset secret variable" token get --issuer http://127.0.0.1:1 \
  --client-id a --client-secret-env ZTA_NOT_SET_ANYWHERE --resource https://r.example
expect_usage "token get with two credentials" token get --issuer http://127.0.0.1:1 \
  --client-id a --client-secret-env SECRET --client-secret-file /dev/null --resource r
expect_usage "token get with a missing config" token get --config missing.toml
expect_usage "gateway without issuer" gateway --audience a --upstream http://127.0.0.1:9 \
  --route "GET /x"
expect_usage "gateway without routes" gateway --issuer http://127.0.0.1:1 --audience a \
  --upstream http://127.0.0.1:9
expect_usage "gateway with a bad route" gateway --issuer http://127.0.0.1:1 --audience a \
  --upstream http://127.0.0.1:9 --route "GET"
printf 'upstreem = "http://x"\n' >typo.toml
expect_usage "gateway config with a typo" gateway --config typo.toml

"$zta" token get --issuer http://127.0.0.1:1 --client-id a --client-secret-env SECRET \
  --resource https://r.example >out.txt 2>err.txt
code=$?
if [[ $code -eq 1 && ! -s out.txt && $(cat err.txt) == "zta: idp_unavailable: "* ]]; then
  ok "token get, IdP unreachable → 1 idp_unavailable"
else
  fail "token get, IdP unreachable" "exit $code: $(cat err.txt)"
fi

"$zta" gateway --issuer http://127.0.0.1:1 --audience https://r.example \
  --upstream http://127.0.0.1:9 --route "GET /api* read" --listen 127.0.0.1:0 \
  >gw.out 2>gw.err &
gw_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^listening on //p' gw.out 2>/dev/null)
  [[ -n $url ]] && break
  sleep 0.1
done
if [[ $url == http://127.0.0.1:* ]]; then ok "gateway prints listening on"; else fail "gateway prints listening on" "$(cat gw.err)"; fi
status=$(curl -s -o /dev/null -w '%{http_code}' "$url/api/x")
[[ $status == 401 ]] && ok "gateway: no token → 401" || fail "gateway: no token → $status"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer a.b.c" "$url/api/x")
[[ $status == 401 ]] && ok "gateway: issuer unreachable → 401 (fail closed)" || fail "gateway: unreachable issuer → $status"
kill -TERM $gw_pid
wait $gw_pid
code=$?
gw_pid=""
[[ $code -eq 0 ]] && ok "gateway exits 0 on SIGTERM" || fail "gateway exit on SIGTERM: $code"

echo "guard cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
