"""Find the numbers a chapter's prose states without computing them.

Usage: python scripts/prose_numbers.py [chapters/...md ...]   (default: every chapter)

Every number in the prose should be glued from the computation that
justifies it. This scan removes what is not prose (front matter, code cells
and code blocks, math, inline code, roles such as ``{glue:text}`` and
``{ref}``, directive options, labels, URLs) and reports each remaining number
that is not exact by construction, with file and line:

* every decimal, percentage or number in scientific notation;
* every integer from 10 up, except years and numbers that name a part of
  the book ("Figure 3", "Exercise 12", "E17").

Integers below 10 are counts, sizes and indices by construction. A reported
number that belongs in the prose (a parameter the chapter chose, a
convention) is listed in ``tests/prose_numbers_allow.txt`` as
``<file> <number>  # reason``. ``tests/test_prose_numbers.py`` fails on any
other.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOW = ROOT / "tests" / "prose_numbers_allow.txt"

FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")
NUMBER = re.compile(r"(?<![\w.\-−])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:[eE][-+]?\d+)?(%)?(?![\w])")
NAMED = re.compile(
    r"\b(?:Figure|Fig\.|Chapter|Section|Exercise|Table|Theorem|Equation|Part|Appendix|Step|page|pages|p\.)\s*$", re.I
)
INLINE_DROP = [
    re.compile(r"\{[\w:-]+\}`[^`]*`"),  # roles: {glue:text}`key`, {ref}`E1 <label>`, {doc}`...`
    re.compile(r"`[^`]*`"),  # inline code
    re.compile(r"\$\$.*?\$\$"),  # display math on one line
    re.compile(r"(?<!\\)\$[^$]*\$"),  # inline math
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"<!--.*?-->"),
    re.compile(r"https?://\S+"),
    re.compile(r"\[@?[\w:-]+\]"),  # citation keys
]


def prose_lines(text: str):
    """``(line number, prose text)`` of a MyST chapter, with everything that is not prose removed."""
    lines = text.split("\n")
    i, n = 0, len(lines)
    if lines and lines[0].strip() == "---":  # front matter
        i = next((k for k in range(1, n) if lines[k].strip() == "---"), 0) + 1
    stack: list[tuple[str, bool]] = []  # open fences: (marker, is prose directive)
    in_math = False
    for k in range(i, n):
        line = lines[k]
        stripped = line.strip()
        m = FENCE.match(stripped)
        if m:
            marker, info = m.group(1), m.group(2).strip()
            if stack and marker[0] == stack[-1][0][0] and len(marker) >= len(stack[-1][0]) and not info:
                stack.pop()
                continue
            prose = info.startswith("{") and not re.match(
                r"\{(code-cell|code-block|code|literalinclude|math|glue|raw|csv-table|list-table|nb-exec-table|verification-ledger)",
                info,
            )
            stack.append((marker, prose))
            if prose:  # the title of a directive is prose (an exercise's "· 20 min" label is not a claim)
                title = re.sub(r"^\{[\w:-]+\}\s*", "", info)
                title = re.sub(r"·\s*\d+\s*min\s*$", "", title)
                yield k + 1, title
            continue
        if stack and not stack[-1][1]:
            continue
        if stripped.startswith("$$"):
            if not (stripped.endswith("$$") and len(stripped) > 2 and stripped.count("$$") >= 2) or stripped == "$$":
                in_math = not in_math if stripped.count("$$") == 1 else in_math
            continue
        if in_math or "\\begin{" in stripped or "\\end{" in stripped:
            continue
        if re.match(r"^:[\w-]+:", stripped) or re.match(r"^\(.*\)=$", stripped) or re.match(r"^\|?\s*-{3,}", stripped):
            continue
        for pattern in INLINE_DROP:
            line = pattern.sub(" ", line)
        yield k + 1, line


def numbers_in(path: Path):
    """``(line, token)`` for each number of ``path``'s prose that is not exact by construction."""
    for lineno, line in prose_lines(path.read_text(encoding="utf-8")):
        for m in NUMBER.finditer(line):
            token = m.group(0)
            integer = m.group(2) is None and m.group(3) is None and "e" not in token.lower()
            if integer:
                value = int(m.group(1).replace(",", ""))
                if value < 10 or 1900 <= value <= 2099 or NAMED.search(line[: m.start()]):
                    continue
            yield lineno, token


def allowed() -> set[tuple[str, str]]:
    entries = set()
    if ALLOW.exists():
        for raw in ALLOW.read_text(encoding="utf-8").splitlines():
            body = raw.split("#", 1)
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            if len(body) < 2 or not body[1].strip():
                raise ValueError(f"{ALLOW.name}: every entry needs a reason after '#': {raw!r}")
            file, token = body[0].split()
            entries.add((file, token))
    return entries


def unglued(paths: list[Path]) -> list[str]:
    allow = allowed()
    report = []
    for path in paths:
        rel = str(path.resolve().relative_to(ROOT))
        for lineno, token in numbers_in(path):
            if (rel, token) not in allow:
                report.append(f"{rel}:{lineno}: {token}")
    return report


def chapters() -> list[Path]:
    return sorted((ROOT / "chapters").rglob("*.md")) + [ROOT / "intro.md"]


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]] or chapters()
    found = unglued(paths)
    print("\n".join(found) or "no unglued numbers")
    print(f"{len(found)} unglued numbers", file=sys.stderr)
    sys.exit(1 if found else 0)
