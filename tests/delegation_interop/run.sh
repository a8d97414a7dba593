#!/usr/bin/env bash
# Runs one test script of this folder against a zta binary: node SCRIPT.mjs ZTA ARTIFACT_DIR ….
# The pinned npm packages (package-lock.json) are installed beside it by scripts/install-deps.sh;
# when they are missing or stale (ctest run without `make deps`), the same `npm ci` runs here,
# under a lock so that tests started in parallel install once.
# Usage: run.sh PATH/TO/zta SCRIPT.mjs ARTIFACT_DIR [MORE ARGUMENTS FOR THE SCRIPT]
set -euo pipefail
zta=$(realpath "$1")
script=$2
artifacts=$3
src=$(cd "$(dirname "$0")" && pwd)

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "delegation-interop: $tool is not installed (make deps installs it)" >&2
    exit 1
  fi
done
if [[ ! -x /usr/bin/chromium ]]; then
  echo "delegation-interop: /usr/bin/chromium is not installed (make deps installs it)" >&2
  exit 1
fi

(
  flock 9
  if ! cmp -s "$src/package-lock.json" "$src/node_modules/.installed-lock"; then
    (cd "$src" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$src/package-lock.json" "$src/node_modules/.installed-lock"
  fi
) 9<"$src"
exec node "$src/$script" "$zta" "$artifacts" "${@:4}"
