#!/usr/bin/env bash
# Runs `zta demo` in a fresh folder and checks what it printed and left behind.
set -uo pipefail
zta="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1${2:+: $2}"; failures=$((failures + 1)); }

"$zta" demo --data "$work/d" >"$work/out.txt" 2>"$work/err.txt"
code=$?
cat "$work/out.txt"
[[ $code -eq 0 ]] && ok "zta demo exits 0" || fail "zta demo exits 0" "exit $code: $(tail -n3 "$work/err.txt")"
grep -q "every check held" "$work/out.txt" && ok "every check held" || fail "every check held"
# A whole token (three base64url parts) is never printed: claims are decoded, signatures cut.
if grep -Eq '[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}' "$work/out.txt"; then
  fail "the demo prints no whole token"
else
  ok "the demo prints no whole token"
fi
password="$(cat "$work/d/demo-user-password" 2>/dev/null)"
if [[ -n "$password" ]] && grep -qF -- "$password" "$work/out.txt" "$work/err.txt"; then
  fail "the demo never prints the guest's password"
else
  ok "the demo never prints the guest's password"
fi

"$zta" hotel bookings --data "$work/d/hotel" --json >"$work/bookings.json" 2>"$work/err.txt"
code=$?
[[ $code -eq 0 ]] && ok "zta hotel bookings --json exits 0" || fail "zta hotel bookings" "$(cat "$work/err.txt")"
booking="$(python3 - "$work/bookings.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
mine = [r for r in rows if r.get("guest", "").startswith("u-") and len(r.get("actor_chain") or []) == 2]
print(mine[0]["id"] if mine else "")
PY
)"
[[ -n "$booking" ]] && ok "the guest's booking carries the two-agent chain ($booking)" ||
  fail "the guest's booking carries the two-agent chain"
for d in idp hotel agents; do
  "$zta" audit verify --data "$work/d/$d" >/dev/null 2>&1 && ok "audit verify $d" || fail "audit verify $d"
done
if [[ -n "$booking" ]]; then
  "$zta" audit who --data "$work/d/idp" --data "$work/d/hotel" --data "$work/d/agents" \
    --booking "$booking" >"$work/who.txt" 2>&1
  code=$?
  cat "$work/who.txt"
  [[ $code -eq 0 ]] && grep -q "Booking Agent" "$work/who.txt" &&
    ok "zta audit who names the Booking Agent" || fail "zta audit who --booking" "exit $code"
fi
exit $((failures > 0))
