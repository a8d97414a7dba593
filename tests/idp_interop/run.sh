#!/usr/bin/env bash
# Runs the idp interop test (idp_interop.mjs) against a zta binary. The pinned npm packages
# (openid-client, jose: package-lock.json) are installed with `npm ci` into CACHE_DIR, in the
# build tree, only when missing or when the lock file changed.
# Usage: run.sh PATH/TO/zta CACHE_DIR
set -euo pipefail
zta=$(realpath "$1")
cache=$2
src=$(cd "$(dirname "$0")" && pwd)

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "idp-interop: $tool is not installed (make deps installs it)" >&2
    exit 1
  fi
done

mkdir -p "$cache"
if [[ ! -d $cache/node_modules/openid-client || ! -d $cache/node_modules/jose ]] ||
   ! cmp -s "$src/package-lock.json" "$cache/.installed-lock"; then
  cp "$src/package.json" "$src/package-lock.json" "$cache/"
  (cd "$cache" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$src/package-lock.json" "$cache/.installed-lock"
fi
# Node resolves `import 'openid-client'` from the script's own folder, so it runs from the cache.
cp "$src/idp_interop.mjs" "$cache/idp_interop.mjs"
exec node "$cache/idp_interop.mjs" "$zta"
