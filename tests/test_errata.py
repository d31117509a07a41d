"""Mirrors the errata appendix, chapters/appendices/errata.md, which lists each mistake found in the
source material (lecture slides, homework, the PA5 write-up, the cheat sheet, the formula collection)
with its correction and the test that pins it.

An erratum whose correction is a property of the library is tested beside the module it exercises
(tests/test_<module>.py, under the comment "Errata regression tests"). This file holds the errata
tests for corrections that are statements of mathematics rather than of the library: tests that
check a correction with NumPy, torch or SymPy alone and never call mlmath. At present every errata
test calls a library function, so none lives here.

It also holds the guard that keeps the appendix's references valid: every "**Test:**" line of
errata.md must name a test function that exists in the file it names.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ERRATA_MD = "chapters/appendices/errata.md"
ERRATA = ROOT / ERRATA_MD

# A "**Test:**" paragraph runs to the next blank line (a reference may wrap onto the next line).
TEST_PARAGRAPH = re.compile(r"^\*\*Test:\*\*(.*?)(?=\n[ \t]*\n|\Z)", re.MULTILINE | re.DOTALL)
# `test_name` in `tests/test_file.py` (a paragraph may name several, joined by "and").
REFERENCE = re.compile(r"`(test_\w+)`\s+in\s+`(tests/[\w/]+\.py)`")
TEST_NAME = re.compile(r"`(test_\w+)`")


def _test_functions(path: Path) -> set[str]:
    """Names pytest would collect as test functions: module-level ``def``s and methods of classes."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return names


def errata_test_references(text: str) -> tuple[list[tuple[int, str, str]], list[str]]:
    """``(line, test name, file)`` for every test an errata "**Test:**" paragraph names, and the
    paragraphs that name a test without the file it is in. Paragraphs that name no test (the
    counterexample checked by ``verify``) have nothing to check."""
    references, unparsed = [], []
    for paragraph in TEST_PARAGRAPH.finditer(text):
        line = text.count("\n", 0, paragraph.start()) + 1
        body = paragraph.group(1)
        found = [(line, name, file) for name, file in REFERENCE.findall(body)]
        references += found
        missing_file = set(TEST_NAME.findall(body)) - {name for _, name, _ in found}
        unparsed += [f"{ERRATA_MD}:{line}: `{name}` is named without `in tests/<file>.py`" for name in sorted(missing_file)]
    return references, unparsed


def test_every_errata_test_reference_names_an_existing_test():
    references, broken = errata_test_references(ERRATA.read_text(encoding="utf-8"))
    assert references, f"no '**Test:** `test_...` in `tests/....py`' line found in {ERRATA_MD}"
    functions: dict[str, set[str]] = {}
    for line, name, file in references:
        path = ROOT / file
        if not path.is_file():
            broken.append(f"{ERRATA_MD}:{line}: `{name}` in `{file}`: the file does not exist")
            continue
        if file not in functions:
            functions[file] = _test_functions(path)
        if name not in functions[file]:
            broken.append(f"{ERRATA_MD}:{line}: `{name}` in `{file}`: the file defines no function of that name")
    assert not broken, (
        f"{len(broken)} broken test reference(s) in {ERRATA_MD} (update the **Test:** line "
        "when a test moves or is renamed):\n" + "\n".join(broken)
    )
