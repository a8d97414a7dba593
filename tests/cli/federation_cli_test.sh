#!/usr/bin/env bash
# `zta idp federation add|list|remove` and `zta idp agent add --federated-subject`: records
# written and shown, every validation error a one-line "zta: ..." with exit 2 (exit 1 for a
# name not found), `--data` before or after the subcommand.
# Usage: federation_cli_test.sh PATH/TO/zta
set -uo pipefail
zta=$(realpath "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/zta-federation-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; [[ -n ${2:-} ]] && echo "      $2"; return 0; }

run() {
  "$zta" "$@" </dev/null >out.txt 2>err.txt
  code=$?
  out=$(cat out.txt)
  err=$(cat err.txt)
}
# expect_error NAME CODE TEXT ARGS...: exit CODE, stdout empty, one "zta: " line containing TEXT.
expect_error() {
  local name=$1 want=$2 text=$3; shift 3
  run "$@"
  if [[ $code -eq $want && -z $out && $(wc -l <err.txt) -eq 1 && $err == "zta: "*"$text"* ]]; then
    ok "$name → $want ($err)"
  else
    fail "$name → expected exit $want and 'zta: ...$text...'" "exit $code, stdout: $out, stderr: $err"
  fi
}

D=$work/data
ISS=https://login.example.com/tenant/v2.0
run idp --data "$D" resource add https://hotel.example/api --scopes "read write"
[[ $code -eq 0 ]] || fail "resource add" "$err"

run idp --data "$D" federation add "$ISS" --audience api://zta --subject-claim oid \
  --map-claim scp=scope --map-claim roles=scope --allow-subject-token --allow-client-assertion
if [[ $code -eq 0 && $out == *'"subject_claim": "oid"'* && $out == *'"roles": "scope"'* ]]; then
  ok "federation add (Entra-shaped) prints the record"
else
  fail "federation add" "exit $code: $out $err"
fi
run idp federation add http://127.0.0.1:9000 --audience urn:zta:federation --allow-subject-token \
  --data "$D"
[[ $code -eq 0 ]] && ok "federation add: http on loopback, --data after the subcommand" ||
  fail "federation add http loopback" "exit $code: $err"

expect_error "issuer not https" 2 "https" idp --data "$D" federation add http://login.example.com \
  --audience a --allow-subject-token
expect_error "issuer not a URL" 2 "https" idp --data "$D" federation add login.example.com \
  --audience a --allow-subject-token
expect_error "issuer with a query" 2 "query" idp --data "$D" federation add "$ISS?x=1" \
  --audience a --allow-subject-token
expect_error "no audience" 2 "--audience" idp --data "$D" federation add "$ISS" --allow-subject-token
expect_error "no --allow-*" 2 "--allow-" idp --data "$D" federation add "$ISS" --audience a
expect_error "map target not scope" 2 "only target is scope" idp --data "$D" federation add \
  "$ISS" --audience a --allow-subject-token --map-claim scp=roles
expect_error "map without =" 2 "CLAIM=scope" idp --data "$D" federation add "$ISS" --audience a \
  --allow-subject-token --map-claim scp
expect_error "subject claim" 2 "sub or oid" idp --data "$D" federation add "$ISS" --audience a \
  --allow-subject-token --subject-claim email
expect_error "jwks-uri not https" 2 "--jwks-uri" idp --data "$D" federation add "$ISS" \
  --audience a --allow-subject-token --jwks-uri http://keys.example/jwks

run idp --data "$D" federation list
if [[ $code -eq 0 && $(wc -l <out.txt) -eq 2 && $out == *"$ISS  audience=api://zta  allow=subject-token,client-assertion  subject=oid"* ]]; then
  ok "federation list: one line per issuer"
else
  fail "federation list" "exit $code: $out"
fi
run idp --data "$D" federation list --json
[[ $code -eq 0 && $out == "["*'"issuer": "http://127.0.0.1:9000"'* ]] && ok "federation list --json" ||
  fail "federation list --json" "$out"

run idp --data "$D" agent add booker --owner ops@example.com --resource https://hotel.example/api \
  --scopes read --federated-subject "$ISS=object-1" --federated-subject "$ISS=object-2"
if [[ $code -eq 0 && $out == *'"federated_subjects"'*'"subject": "object-2"'* ]]; then
  ok "agent add --federated-subject (twice)"
else
  fail "agent add --federated-subject" "exit $code: $out $err"
fi
agent=$(sed -n 's/.*"client_id": "\([^"]*\)".*/\1/p' out.txt | head -1)
run idp --data "$D" agent show "$agent"
[[ $code -eq 0 && $out == *'"issuer": "'"$ISS"'"'* ]] && ok "agent show lists federated subjects" ||
  fail "agent show" "$out"
run idp --data "$D" agent list
[[ $code -eq 0 && $out == *'"subject": "object-1"'* ]] && ok "agent list lists federated subjects" ||
  fail "agent list" "$out"
expect_error "federated subject of an unknown issuer" 1 "federation add" idp --data "$D" agent add \
  x --owner o --resource https://hotel.example/api --scopes read \
  --federated-subject "https://unknown.example=s"
expect_error "federated subject without =" 2 "ISSUER=SUBJECT" idp --data "$D" agent add x \
  --owner o --resource https://hotel.example/api --scopes read --federated-subject "$ISS"

run idp --data "$D" federation remove http://127.0.0.1:9000
[[ $code -eq 0 && $out == "removed http://127.0.0.1:9000" ]] && ok "federation remove" ||
  fail "federation remove" "exit $code: $out $err"
expect_error "remove an issuer not added" 1 "no federated issuer" idp --data "$D" federation \
  remove http://127.0.0.1:9000
run idp --data "$D" federation list
[[ $code -eq 0 && $(wc -l <out.txt) -eq 1 ]] && ok "federation list after remove" ||
  fail "federation list after remove" "$out"

echo "federation cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
