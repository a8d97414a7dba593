#!/usr/bin/env bash
# Builds the benchmarks (Release, build-bench/) and runs every build-bench/bench/*_bench binary,
# then prints each binary's summary lines, and a Node.js peer baseline when npm can fetch it.
#
# Summary mechanism: a *_bench binary may print lines "SUMMARY <text>" on stdout (after its
# benchmarks ran). This script collects them from every binary and prints <text> (prefix
# removed) at the very end, in the order the binaries ran, except that jose_verify_bench's lines
# come last of all. jose_verify_bench prints
#   verify_ratio <ALG> <full/raw>     (ES256, RS256, EdDSA: JWT verifications/s over raw
#                                      OpenSSL EVP_DigestVerify/s, in the same run)
#   cached_verify_per_s <N>           (JwtVerifier cache hits/s, ES256)
# password_bench prints
#   argon2_hash_ms <ms>               (median HashPassword wall time, default Argon2id parameters)
#   argon2_params m=<KiB>,t=<n>,p=<n> (those parameters, so the figure is never read without them)
#   argon2_verify_ms <ms>, argon2_hash_over_raw <ratio> (over raw libargon2, same run)
# Each binary also writes Google Benchmark JSON to build-bench/results/<name>.json; its console
# output goes to the terminal. A binary that exits non-zero (a verification failed, so the
# figures would be meaningless) fails the whole script.
#
# Environment: BENCH_MIN_TIME (seconds per benchmark, default 0.5), BENCH_FILTER (a
# --benchmark_filter regex), BENCH_SKIP_NODE=1 to skip the Node baseline, JOBS (default 1).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=build-bench
RESULTS_DIR="$BUILD_DIR/results"
MIN_TIME="${BENCH_MIN_TIME:-0.5}"
JOBS="${JOBS:-1}"

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZTA_BUILD_TESTS=OFF \
  -DZTA_BUILD_BENCH=ON -DZTA_BUILD_FUZZ=OFF -DZTA_SANITIZE=OFF >/dev/null
# Build only what bench/ defines (and what it links), not the CLI or the tests. bench/all is the
# Ninja generator's per-directory target, so targets bench/CMakeLists.txt adds conditionally
# (only when their module exists) need no list here.
cmake --build "$BUILD_DIR" -j "$JOBS" --target bench/all

mkdir -p "$RESULTS_DIR"
summary=()       # SUMMARY lines of every binary but jose_verify_bench, in run order
jose_summary=()  # jose_verify_bench's: printed last, the headline figures
shopt -s nullglob
binaries=("$BUILD_DIR"/bench/*_bench)
if ((${#binaries[@]} == 0)); then
  echo "bench.sh: no bench binaries in $BUILD_DIR/bench" >&2
  exit 2
fi
for bin in "${binaries[@]}"; do
  [[ -x "$bin" ]] || continue
  name=$(basename "$bin")
  echo "=== $name"
  log="$RESULTS_DIR/$name.log"
  args=(--benchmark_min_time="$MIN_TIME" --benchmark_out="$RESULTS_DIR/$name.json"
    --benchmark_out_format=json --benchmark_color=false)
  if [[ -n "${BENCH_FILTER:-}" ]]; then args+=(--benchmark_filter="$BENCH_FILTER"); fi
  set +e
  "$bin" "${args[@]}" | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  if ((rc != 0)); then
    echo "bench.sh: $name failed (exit $rc); its figures are not valid" >&2
    exit 1
  fi
  while IFS= read -r line; do
    if [[ "$name" == jose_verify_bench ]]; then jose_summary+=("$line"); else summary+=("$line"); fi
  done < <(sed 's/\x1b\[[0-9;]*m//g' "$log" | sed -n 's/^SUMMARY //p')  # ANSI colours off
done

# The Node.js peers (npm jose, fast-jwt) on this machine, for comparison. Optional: any failure
# here (no npm, no network) only prints a note.
node_lines=()
# Installs the pinned peers once per package-lock.json (a stamp keeps the lock's checksum).
peers_installed() {
  local dir=$1 sum
  sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [[ -d "$dir/node_modules" && "$(cat "$dir/.installed" 2>/dev/null)" == "$sum" ]]; then
    return 0
  fi
  (cd "$dir" && timeout 180 npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
    return 1
  echo "$sum" >"$dir/.installed"
}
if [[ "${BENCH_SKIP_NODE:-0}" != 1 ]]; then
  peers_src="$(pwd)/../shared/peers"
  peers_dir="${TMPDIR:-/tmp}/zta-bench-peers"
  if [[ -f "$peers_src/jwt-verify-bench.mjs" ]] && command -v npm >/dev/null &&
    command -v node >/dev/null; then
    echo "=== node peers (npm jose, fast-jwt)"
    mkdir -p "$peers_dir"
    cp "$peers_src"/package.json "$peers_src"/package-lock.json "$peers_src"/*.mjs "$peers_dir"/
    chmod -R u+w "$peers_dir"
    if peers_installed "$peers_dir"; then
      if out=$(cd "$peers_dir" && timeout 300 node jwt-verify-bench.mjs 2>&1); then
        echo "$out"
        while IFS= read -r line; do node_lines+=("node_peer $line"); done <<<"$out"
      else
        echo "bench.sh: node baseline failed (ignored): ${out##*$'\n'}"
      fi
    else
      echo "bench.sh: npm install of the peers failed (offline?); no Node baseline"
    fi
  else
    echo "bench.sh: npm/node or ../shared/peers not available; no Node baseline"
  fi
fi

echo
echo "=== summary"
if ((${#node_lines[@]} > 0)); then
  echo "# Node.js peer figures (same machine, not the same process):"
  printf '%s\n' "${node_lines[@]}"
fi
if ((${#summary[@]} > 0)); then printf '%s\n' "${summary[@]}"; fi
if ((${#jose_summary[@]} > 0)); then printf '%s\n' "${jose_summary[@]}"; fi
