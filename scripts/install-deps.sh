#!/usr/bin/env bash
# Installs every Debian package zta needs to build, test, benchmark and fuzz, only when missing.
# Idempotent and quiet: prints one line when it installs something, nothing otherwise.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  ccache                # compiles shared across clones (cmake/ccache.cmake)
  libssl-dev            # OpenSSL 3: every signature, digest and random byte
  nlohmann-json3-dev    # JSON
  libboost-dev libcurl4-openssl-dev  # HTTP server (Beast/Asio, header-only) and client
  libcli11-dev          # command-line parsing
  libtomlplusplus-dev   # TOML config files (auth, gateway, idp, agents)
  libsqlite3-dev        # data folders (idp, audit)
  libargon2-dev         # Argon2id password hashing (zta idp user, the login page)
  libpq-dev postgresql  # the PostgreSQL store of scaled-out idp nodes; tests start their own cluster
  haproxy               # examples/scale and scripts/scale-up.sh: idp nodes behind a load balancer
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev  # libFuzzer and sanitizers
  nodejs                # interop tests against npm `jose`
  wrk                   # make bench-idp: HTTP load on the token endpoint
  openssl curl          # CLI tests: a test TLS certificate, HTTPS requests
  python3               # tests/layering: the rule of dependencies between modules
  chromium              # tests/delegation_interop: login and consent pages in a real browser
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The npm packages of tests/delegation_interop (playwright-core, openid-client, jose, pinned by its
# lock file), installed beside it only when missing or when the lock file changed.
npm_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/delegation_interop"
if [[ -f $npm_dir/package-lock.json ]] &&
   ! cmp -s "$npm_dir/package-lock.json" "$npm_dir/node_modules/.installed-lock"; then
  echo "install-deps: npm ci in tests/delegation_interop"
  (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$npm_dir/package-lock.json" "$npm_dir/node_modules/.installed-lock"
fi

# The npm package of tests/hotel_web (playwright-core, pinned by its lock file at the version
# tests/delegation_interop uses): the web chat's browser test.
web_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/hotel_web"
if [[ -f $web_dir/package-lock.json ]] &&
   ! cmp -s "$web_dir/package-lock.json" "$web_dir/node_modules/.installed-lock"; then
  echo "install-deps: npm ci in tests/hotel_web"
  (cd "$web_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$web_dir/package-lock.json" "$web_dir/node_modules/.installed-lock"
fi
