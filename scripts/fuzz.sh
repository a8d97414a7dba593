#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan + UBSan, build-fuzz/) and runs each for a bounded
# time on a temporary copy of its seed corpus (fuzz/corpus/<target>/). Exits non-zero when any
# target crashes, leaks, times out or trips UBSan; crashing inputs are kept in
# build-fuzz/artifacts/. Prints the number of executions per target.
#
# Environment: FUZZ_SECONDS (per target, default 60), FUZZ_TARGETS (space-separated subset,
# default every zta_fuzzer() in fuzz/CMakeLists.txt), JOBS (build parallelism, default 1).
# Reproduce a crash: build-fuzz/fuzz/<target> build-fuzz/artifacts/<target>-crash-<sha1>
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=build-fuzz
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
JOBS="${JOBS:-1}"
CLANG_CXX=clang++-14
CLANG_CC=clang-14

if ! command -v "$CLANG_CXX" >/dev/null; then
  echo "fuzz.sh: $CLANG_CXX not found (Debian packages clang-14 libclang-rt-14-dev)" >&2
  exit 2
fi
# A build dir configured with another compiler cannot be switched in place.
if [[ -f "$BUILD_DIR/CMakeCache.txt" ]] &&
  ! grep -q "^CMAKE_CXX_COMPILER:FILEPATH=.*$CLANG_CXX\$" "$BUILD_DIR/CMakeCache.txt"; then
  echo "fuzz.sh: $BUILD_DIR was configured with another compiler; reconfiguring"
  rm -rf "$BUILD_DIR/CMakeCache.txt" "$BUILD_DIR/CMakeFiles"
fi
CC="$CLANG_CC" CXX="$CLANG_CXX" cmake -S . -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZTA_BUILD_FUZZ=ON -DZTA_BUILD_TESTS=OFF \
  -DZTA_BUILD_BENCH=OFF -DZTA_SANITIZE=OFF >/dev/null

all_targets=$(sed -n 's/^ *zta_fuzzer( *\([A-Za-z0-9_]*\) *).*/\1/p' fuzz/CMakeLists.txt)
targets="${FUZZ_TARGETS:-$all_targets}"
if [[ -z "$targets" ]]; then
  echo "fuzz.sh: no fuzz targets" >&2
  exit 2
fi
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" -j "$JOBS" --target $targets

work=$(mktemp -d "${TMPDIR:-/tmp}/zta-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
artifacts="$(pwd)/$BUILD_DIR/artifacts"
mkdir -p "$artifacts"

# UBSan must stop at the first report (the build does not pass -fno-sanitize-recover).
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}"

failed=()
results=()
for t in $targets; do
  bin="$BUILD_DIR/fuzz/$t"
  corpus="$work/$t"
  mkdir -p "$corpus"
  if [[ -d "fuzz/corpus/$t" ]]; then cp -r "fuzz/corpus/$t/." "$corpus/"; fi
  args=(-max_total_time="$SECONDS_PER_TARGET" -max_len=20000 -rss_limit_mb=2048 -timeout=30
    -print_final_stats=1 -artifact_prefix="$artifacts/$t-")
  if [[ -f "fuzz/$t.dict" ]]; then args+=(-dict="fuzz/$t.dict"); fi
  echo "=== $t (${SECONDS_PER_TARGET}s, $(find "$corpus" -type f | wc -l) seeds)"
  log="$work/$t.log"
  set +e
  "$bin" "${args[@]}" "$corpus" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  execs="${execs:-?}"
  if ((rc != 0)); then
    failed+=("$t")
    results+=("$t executions $execs FAILED (exit $rc)")
    echo "--- $t failed (exit $rc); last lines of its log:"
    tail -n 60 "$log"
    cp "$log" "$artifacts/$t.log"
    echo "--- full log: $artifacts/$t.log; inputs: $artifacts/$t-*"
  else
    results+=("$t executions $execs corpus $(find "$corpus" -type f | wc -l)")
  fi
done

echo
echo "=== fuzz summary"
printf '%s\n' "${results[@]}"
if ((${#failed[@]} > 0)); then
  echo "fuzz.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
