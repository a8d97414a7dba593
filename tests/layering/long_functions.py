#!/usr/bin/env python3
"""Lists the functions in src/ and apps/ longer than a limit (default 80 lines).

A heuristic, not a parser: comments and string literals are blanked, then every top-level
or namespace/class-level brace block whose header looks like a function (ends in `)`, a
qualifier or an initializer list) is measured from its header line to its closing brace.
Lambdas count towards the function that holds them. A function whose header or the comment
line just above says `reads best whole` is listed with a mark but does not fail --check.

  python3 tests/layering/long_functions.py [ROOT] [--limit N] [--check]
"""
import pathlib
import re
import sys

EXTS = {".cc", ".h", ".cpp"}
NON_FUNCTION = re.compile(r"\b(namespace|class|struct|enum|union)\b[^;()]*$|=\s*$|\bextern\s+\"C\"")
WHOLE_MARK = "reads best whole"


def blank(text):
    """Replaces comments and string/char literals by spaces, keeping newlines."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            if not m:
                out.append(c); i += 1; continue
            end = text.find(")" + m.group(1) + '"', i)
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif c in "\"'":
            if c == "'" and i > 0 and (text[i - 1].isalnum()):  # digit separator 1'000
                out.append(" "); i += 1; continue
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        else:
            out.append(c); i += 1
    return "".join(out)


def functions(path):
    raw = path.read_text(errors="replace")
    text = blank(raw)
    raw_lines = raw.split("\n")
    results = []
    # stack of (is_container) for open braces; only braces opened at container level are
    # candidate function bodies.
    stack = []
    start = None
    last_stmt_end = 0
    i = 0
    for i, c in enumerate(text):
        if c in ";}" and (not stack or stack[-1][0]):
            last_stmt_end = i + 1
        if c == "{":
            in_container = not stack or stack[-1][0]
            if in_container:
                header = text[last_stmt_end:i]
                header = re.sub(r"^\s*(#.*\n)*", "", header).strip()
                flat = " ".join(header.split())
                if NON_FUNCTION.search(flat) or "(" not in flat or flat.startswith("#"):
                    stack.append((True, None))  # namespace/class/struct: a container
                else:
                    line = text.count("\n", 0, last_stmt_end + (len(text[last_stmt_end:i]) - len(text[last_stmt_end:i].lstrip()))) + 1
                    name = re.search(r"([~\w:<>=!+\-*/\[\]]+)\s*\(", flat)
                    stack.append((False, (line, name.group(1) if name else flat[:40])))
            else:
                stack.append((False, None))
            last_stmt_end = i + 1 if in_container else last_stmt_end
        elif c == "}":
            if not stack:
                continue
            is_container, info = stack.pop()
            if info is not None:
                first, name = info
                last = text.count("\n", 0, i) + 1
                context = "\n".join(raw_lines[max(0, first - 3):first + 1])
                results.append((name, first, last, WHOLE_MARK in context))
            if not stack or stack[-1][0]:
                last_stmt_end = i + 1
    return results


def main(argv):
    root = pathlib.Path(__file__).resolve().parents[2]
    limit, check = 80, False
    args = iter(argv)
    for a in args:
        if a == "--limit":
            limit = int(next(args))
        elif a == "--check":
            check = True
        else:
            root = pathlib.Path(a)
    rows = []
    for top in ("src", "apps"):
        for path in sorted((root / top).rglob("*")):
            if path.suffix in EXTS and path.is_file():
                for name, first, last, whole in functions(path):
                    length = last - first + 1
                    if length > limit:
                        rows.append((length, str(path.relative_to(root)), first, name, whole))
    rows.sort(reverse=True)
    failing = 0
    for length, rel, first, name, whole in rows:
        mark = "  (reads best whole)" if whole else ""
        failing += 0 if whole else 1
        print(f"{length:4d}  {rel}:{first}  {name}{mark}")
    print(f"{len(rows)} functions over {limit} lines ({failing} not marked as reading best whole)")
    return 1 if check and failing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
