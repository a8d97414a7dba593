#!/usr/bin/env python3
"""The rule of dependencies (DESIGN.md, "Modules and the rule of dependencies"), checked.

Reads every #include of include/zta/<module>/ and src/<module>/ and fails, naming file:line and
the rule, when
  - a module includes another module's headers it may not depend on (ALLOWED below);
  - anything in src/ or include/ includes apps/ or examples/ (the CLI and the hotel scenario
    sit on top of the libraries, never under them);
  - `core` or `jose` does I/O (files, sockets, HTTP, databases, the process environment).

Run by ctest as `layering` (tests/layering/CMakeLists.txt), so `make test` runs it; by hand:
  python3 tests/layering/check_layering.py [SOURCE_DIR]
Exit status 0 when the tree obeys the rule, 1 with one line per violation otherwise.
"""

import pathlib
import re
import sys

# DESIGN.md: each module and the modules it may include. A module always may include itself.
ALLOWED = {
    "core": set(),
    "jose": {"core"},
    "http": {"core"},
    "store": {"core"},
    "audit": {"core", "store", "jose"},
    # guard: federation validates external issuers' tokens with the same Validator resource
    # servers use (src/idp/federation.h), so both apply one set of rules.
    "idp": {"core", "jose", "http", "store", "audit", "guard"},
    "guard": {"core", "jose", "http"},
    "auth": {"core", "jose", "http"},
    "agent": {"core", "http", "auth"},  # never idp, never guard
    "watch": {"core", "audit"},
    # web/ (zta/web/files.h): the embedded files' table, built on http::EmbeddedFile. The
    # modules serving pages (idp) will add it to their own sets when they do.
    "web": {"core", "http"},
}

# Include paths that belong to code above the libraries (apps/zta, examples/hotel). zta::hotel's
# headers, if it grows public ones, are "zta/hotel/..." and count as examples/ too.
UPWARD = re.compile(r'^(\.\./)*(apps|examples)/|^zta/hotel/|/(apps|examples)/')

# `core` and `jose` never do I/O (DESIGN.md). Headers whose only purpose is I/O ...
IO_HEADERS = re.compile(
    r"^(fstream|iostream|filesystem|"
    r"unistd\.h|fcntl\.h|dirent\.h|sys/socket\.h|sys/stat\.h|sys/mman\.h|"
    r"sys/random\.h|netinet/.*|arpa/.*|netdb\.h|poll\.h|sys/epoll\.h|"
    r"curl/.*|boost/asio.*|boost/beast.*|sqlite3\.h|libpq-fe\.h)$"
)
# ... and calls that read or write the world outside the process. (RAND_bytes in core/random.cc
# is not I/O for this rule: OpenSSL's DRBG is the one source of randomness DESIGN gives core, and
# OpenSSL seeds it from the OS itself.)
IO_CALLS = re.compile(
    r"(?<![\w.>])(fopen|freopen|popen|open|openat|creat|socket|connect|getenv|secure_getenv|"
    r"getrandom|system|printf|fprintf|puts|fputs|fgets|fread|fwrite)\s*\("
    r"|::(open|read|write|close)\s*\("
    r"|std::(i|o)?fstream\b|std::filesystem::|std::(cout|cerr|clog)\b"
    r"|toml::parse_file\s*\(|BIO_new_file\s*\(|BIO_new_fp\s*\(|PEM_read_(?!bio)\w*\s*\("
    r"|\"/dev/u?random\"|\"/proc/"
)
NO_IO_MODULES = {"core", "jose"}

# Known I/O in a no-I/O module, each with why it is there. Keyed by (file, what matched); the
# check reports these as notes, never as failures, and fails if one no longer matches anything
# (so the list cannot outlive the code it excuses).
IO_EXCEPTIONS = {
    # ReadTextFile: the one helper every TOML loader (auth, guard, agent, apps/zta) uses to read
    # a configuration, secret or key file named in one. It belongs with an Env-style file
    # interface in a module that may do I/O; until that exists it stays here, listed.
    ("include/zta/core/toml_reader.h", "fstream"):
        "ReadTextFile reads configuration files for every TOML loader",
    ("include/zta/core/toml_reader.h", "std::ifstream"):
        "ReadTextFile reads configuration files for every TOML loader",
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')


def is_test_file(path: pathlib.Path) -> bool:
    # Unit tests and their helpers may read test vectors from files; the I/O rule is about the
    # library. (The dependency rule still applies to them: cross-module tests live in tests/.)
    name = path.name
    return name.endswith("_test.cc") or "test" in name or name.startswith("fake_")


def module_of(root: pathlib.Path, path: pathlib.Path):
    parts = path.relative_to(root).parts
    if parts[0] == "include" and len(parts) > 2 and parts[1] == "zta":
        return parts[2]
    if parts[0] == "src" and len(parts) > 1:
        return parts[1]
    return None


def strip_comments(lines):
    """Yields (line number, code) with // and /* */ comments removed and string literals
    emptied (except "/dev/..." and "/proc/..." paths, which IO_CALLS looks for)."""
    in_block = False
    for number, line in enumerate(lines, 1):
        code = ""
        i = 0
        while i < len(line):
            if in_block:
                end = line.find("*/", i)
                if end < 0:
                    break
                in_block = False
                i = end + 2
            elif line.startswith("/*", i):
                in_block = True
                i += 2
            elif line.startswith("//", i):
                break
            elif line[i] == '"' or (line[i] == "'" and not (i > 0 and line[i - 1].isalnum())):
                quote, j = line[i], i + 1
                while j < len(line) and line[j] != quote:
                    j += 2 if line[j] == "\\" else 1
                literal = line[i:j + 1]
                keep = quote == '"' and re.match(r'"/(dev|proc)/', literal)
                code += literal if keep else quote * 2
                i = j + 1
            else:
                code += line[i]
                i += 1
        yield number, code


def check(root: pathlib.Path):
    violations = []
    used_exceptions = set()
    notes = []
    files = []
    for top in (root / "include" / "zta", root / "src"):
        if top.is_dir():
            files += sorted(p for p in top.rglob("*") if p.suffix in (".h", ".hpp", ".cc", ".cpp"))
    if not files:
        return [f"{root}: no sources under include/zta/ or src/ (wrong SOURCE_DIR?)"], notes
    for path in files:
        rel = path.relative_to(root).as_posix()
        module = module_of(root, path)
        if module not in ALLOWED:
            violations.append(f"{rel}:1: module '{module}' is not in DESIGN.md's rule of "
                              f"dependencies; add it to ALLOWED in {pathlib.Path(__file__).name}")
            continue
        check_io = module in NO_IO_MODULES and not is_test_file(path)
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = m.group(2)
            where = f"{rel}:{number}"
            if UPWARD.search(target):
                violations.append(f"{where}: includes {target}: nothing in src/ or include/ "
                                  f"depends on apps/ or examples/")
                continue
            if m.group(1) == '"' and not target.startswith("zta/"):
                # A private header by relative path: the same rule for the module it lies in
                # (src/agent may use src/http/test_util.h, as it may use zta/http/).
                resolved = (path.parent / target).resolve()
                if root in resolved.parents and (root / "src") in resolved.parents:
                    dep = resolved.relative_to(root / "src").parts[0]
                    if dep != module and dep not in ALLOWED.get(module, set()):
                        allowed = ", ".join(sorted(ALLOWED[module])) or "nothing"
                        violations.append(f"{where}: includes {target} (private to {dep}): "
                                          f"{module} may depend on {allowed}, not {dep}")
                continue
            if target.startswith("zta/"):
                dep = target.split("/")[1] if "/" in target[4:] else None
                if dep is None or dep not in ALLOWED:
                    violations.append(f"{where}: includes {target}: not a module header "
                                      f"(zta/<module>/...)")
                elif dep != module and dep not in ALLOWED[module]:
                    allowed = ", ".join(sorted(ALLOWED[module])) or "nothing"
                    violations.append(f"{where}: includes {target}: {module} may depend on "
                                      f"{allowed}, not {dep}")
                continue
            if check_io and m.group(1) == "<" and IO_HEADERS.match(target):
                key = (rel, target)
                if key in IO_EXCEPTIONS:
                    used_exceptions.add(key)
                    notes.append(f"{where}: allowed I/O <{target}>: {IO_EXCEPTIONS[key]}")
                else:
                    violations.append(f"{where}: includes <{target}>: {module} does no I/O")
        if not check_io:
            continue
        for number, code in strip_comments(lines):
            if INCLUDE.match(code):
                continue
            for m in IO_CALLS.finditer(code):
                what = m.group(0).rstrip("( \t")
                key = (rel, what)
                where = f"{rel}:{number}"
                if key in IO_EXCEPTIONS:
                    used_exceptions.add(key)
                    notes.append(f"{where}: allowed I/O {what}: {IO_EXCEPTIONS[key]}")
                else:
                    violations.append(f"{where}: {what}: {module} does no I/O")
    for key in sorted(set(IO_EXCEPTIONS) - used_exceptions):
        violations.append(f"{key[0]}:1: the I/O exception for '{key[1]}' matches nothing any more; "
                          f"remove it from IO_EXCEPTIONS")
    return violations, notes


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else
                        pathlib.Path(__file__).resolve().parents[2]).resolve()
    violations, notes = check(root)
    for note in notes:
        print(f"note: {note}")
    if violations:
        for v in violations:
            print(f"layering: {v}", file=sys.stderr)
        print(f"layering: {len(violations)} violation(s) of the rule of dependencies "
              f"(DESIGN.md; docs/architecture.md)", file=sys.stderr)
        return 1
    print("layering: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
