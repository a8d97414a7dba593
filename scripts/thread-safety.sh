#!/usr/bin/env bash
# Clang's thread-safety analysis over every C++ source of the project that takes a lock
# (generated files and files naming no lock or annotation aside):
# a ZTA_GUARDED_BY member touched without its mutex, a ZTA_REQUIRES helper called without it, a
# lock not released, is an error. The annotations are in include/zta/core/mutex.h; the analysis
# is https://clang.llvm.org/docs/ThreadSafetyAnalysis.html. Syntax-only, so it costs a parse per
# file, not a build; each file's flags come from the (gcc) build's compile_commands.json.
#
# Usage: scripts/thread-safety.sh [BUILD_DIR] [PATH_SUBSTRING...]
#   BUILD_DIR defaults to build; PATH_SUBSTRINGs keep only the files whose path contains one.
#   JOBS (default 2) files at a time; CLANGXX (default clang++-14).
# Part of `make test` (ctest test `thread-safety`, label lint); alone: `make thread-safety`.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
shift || true
clang="${CLANGXX:-clang++-14}"

if ! command -v "$clang" >/dev/null 2>&1; then
  echo "thread-safety: $clang not found (scripts/install-deps.sh installs clang-14)" >&2
  exit 1
fi
if [[ ! -f "$build/compile_commands.json" ]]; then
  echo "thread-safety: no $build/compile_commands.json; configure the build first" >&2
  exit 1
fi

exec python3 - "$root" "$build/compile_commands.json" "$clang" "${JOBS:-2}" "$@" <<'PY'
import concurrent.futures, json, os, shlex, subprocess, sys, time

root, db, clang, jobs, *only = sys.argv[1:]

# Files clang 14 cannot compile at all, so they are not checked; each with its reason. A file
# that stops compiling under clang fails the check until it is fixed or listed here.
UNPARSABLE = {
    # A lambda capturing a structured binding (C++20, P1091) needs clang 16.
    "src/idp/authorization_server_test.cc",
    "src/idp/reasons_test.cc",
}

def command(entry):
    """The gcc command with compiler, output, optimization and warnings swapped for the analysis.

    -Wthread-safety is the stable set (analysis, attributes, precise, reference); -beta adds
    checks still maturing, which found nothing more here, so it stays out."""
    args = entry.get("arguments") or shlex.split(entry["command"])
    keep, skip = [], False
    for arg in args[1:]:
        if skip:
            skip = False
        elif arg in ("-o", "-c"):
            skip = arg == "-o"
        elif arg != entry["file"] and not arg.startswith(("-W", "-O", "-g")):
            keep.append(arg)
    return [clang, "-fsyntax-only", "-Wno-everything", "-Wthread-safety",
            "-Werror=thread-safety"] + keep + [entry["file"]]

def takes_locks(rel):
    """Whether the file, its own header or its public header names a lock or an annotation.

    A file that mentions neither cannot break an annotation (the annotated functions are the
    lock holders' own members), so parsing it would only cost time: about 1 s a file."""
    stem, _ = os.path.splitext(rel)
    candidates = [rel, stem + ".h"]
    parts = rel.split(os.sep)
    if len(parts) >= 3 and parts[0] == "src":
        candidates.append(os.path.join("include", "zta", parts[1], *parts[2:])[:-3] + ".h")
    for candidate in candidates:
        path = os.path.join(root, candidate)
        if os.path.exists(path):
            text = open(path, errors="replace").read()
            if "ZTA_" in text and ("Mutex" in text or "GUARDED_BY" in text or "REQUIRES" in text):
                return True
    return False

entries = []
for entry in json.load(open(db)):
    rel = os.path.relpath(entry["file"], root)
    if rel.startswith("..") or entry["file"].startswith(entry["directory"] + os.sep):
        continue  # outside the tree, or generated into the build folder
    if rel in UNPARSABLE or (only and not any(o in rel for o in only)) or not takes_locks(rel):
        continue
    entries.append((rel, entry))

def check(item):
    rel, entry = item
    start = time.monotonic()
    run = subprocess.run(command(entry), cwd=entry["directory"], capture_output=True, text=True)
    return rel, run.returncode, run.stderr, time.monotonic() - start

start = time.monotonic()
failed = []
with concurrent.futures.ThreadPoolExecutor(int(jobs)) as pool:
    for rel, code, stderr, seconds in pool.map(check, entries):
        if code != 0:
            failed.append(rel)
            sys.stderr.write(stderr)
            if "-Wthread-safety" not in stderr:
                sys.stderr.write("thread-safety: %s does not compile with %s\n" % (rel, clang))
if failed:
    sys.stderr.write("thread-safety: FAILED in %s\n" % " ".join(failed))
    sys.exit(1)
print("thread-safety: %d files clean in %.0fs" % (len(entries), time.monotonic() - start))
PY
