#!/usr/bin/env bash
# The hotel web chat in a real browser: starts `zta demo --keep-running` on a fresh data folder,
# waits for its "web chat:" line, reads the demo user's password file, and runs
# hotel_web_chat.mjs (npm playwright-core driving Debian chromium). The demo is killed by its PID
# when this script ends, however it ends.
# Usage: run.sh PATH/TO/zta ARTIFACT_DIR
set -euo pipefail
zta=$(realpath "$1")
artifacts=$2
src=$(cd "$(dirname "$0")" && pwd)

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "hotel-web: $tool is not installed (make deps installs it)" >&2
    exit 1
  fi
done
if [[ ! -x /usr/bin/chromium ]]; then
  echo "hotel-web: /usr/bin/chromium is not installed (make deps installs it)" >&2
  exit 1
fi
(
  flock 9
  if ! cmp -s "$src/package-lock.json" "$src/node_modules/.installed-lock"; then
    (cd "$src" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$src/package-lock.json" "$src/node_modules/.installed-lock"
  fi
) 9<"$src"

work=$(mktemp -d "${TMPDIR:-/tmp}/zta-hotel-web-XXXXXX")
demo_pid=""
cleanup() {
  if [[ -n $demo_pid ]] && kill -0 "$demo_pid" 2>/dev/null; then
    kill "$demo_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$demo_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$demo_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

"$zta" demo --keep-running --data "$work/demo" >"$work/demo.out" 2>"$work/demo.err" &
demo_pid=$!

chat_url=""
password_file=""
user=""
for _ in $(seq 600); do  # up to 60 s
  if ! kill -0 "$demo_pid" 2>/dev/null; then
    echo "hotel-web: zta demo exited before printing the web chat line" >&2
    tail -c 2000 "$work/demo.err" >&2 || true
    exit 1
  fi
  chat_url=$(sed -n 's/^web chat: *\(http:\/\/[^ ]*\)$/\1/p' "$work/demo.out" | head -1)
  login=$(sed -n 's/^demo login: *\([^ ]*\) (password in \(.*\))$/\1 \2/p' "$work/demo.out" | head -1)
  if [[ -n $chat_url && -n $login ]]; then
    user=${login%% *}
    password_file=${login#* }
    break
  fi
  sleep 0.1
done
if [[ -z $chat_url || -z $password_file ]]; then
  echo "hotel-web: no \"web chat:\" and \"demo login:\" lines within 60 s" >&2
  tail -c 2000 "$work/demo.out" >&2 || true
  exit 1
fi

status=0
ZTA_DEMO_LOG="$work/demo.err" node "$src/hotel_web_chat.mjs" "$chat_url" "$user" "$password_file" \
  "$artifacts" || status=$?
exit $status
