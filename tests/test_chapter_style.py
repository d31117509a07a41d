"""The conventions every chapter keeps (CONTRIBUTING.md), checked on the MyST sources.

Visible code reads like the mathematics (no visible cell over 25 lines unless tagged
``point-of-section``); every content chapter opens with its objectives, prerequisites and
time, and ends with a summary; no chapter names the book's source material (the errata
appendix is the one place that does); helpers live in ``mlmath``, not in copies.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(p for p in (ROOT / "chapters").rglob("*.md") if "kernelspec:" in p.read_text(encoding="utf-8")[:600])
CONTENT = [p for p in CHAPTERS if p.parent.name != "appendices" and p.name not in ("index.md", "map.md")]
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```\s*$", re.S | re.M)
HIDDEN_TAGS = ("hide-input", "hide-cell", "remove-input", "remove-cell", "point-of-section")
MAX_VISIBLE_LINES = 25


def _cells(path):
    for m in CELL.finditer(path.read_text(encoding="utf-8")):
        body = m.group(1)
        header, code = "", body
        if body.startswith("---\n"):
            header, _, code = body[4:].partition("\n---\n")
        else:
            options = re.match(r"((?:^:[\w-]+:.*\n)*)", body, re.M).group(1)
            header, code = options, body[len(options) :]
        line = path.read_text(encoding="utf-8")[: m.start()].count("\n") + 1
        yield line, header, code


def _rel(path):
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=_rel)
def test_no_visible_code_cell_is_longer_than_the_limit(chapter):
    long_cells = []
    for line, header, code in _cells(chapter):
        if any(tag in header for tag in HIDDEN_TAGS):
            continue
        n = len(code.rstrip("\n").split("\n"))
        if n > MAX_VISIBLE_LINES:
            long_cells.append(f"line {line}: {n} lines")
    assert not long_cells, long_cells


@pytest.mark.parametrize("chapter", CONTENT, ids=_rel)
def test_a_chapter_opens_with_objectives_prerequisites_and_time_and_ends_with_a_summary(chapter):
    text = chapter.read_text(encoding="utf-8")
    head = text[: text.find("```{code-cell}")]
    assert re.search(r":class: objectives", head), (
        "no objectives box (admonition with :class: objectives) before the first code cell"
    )
    assert "**Prerequisites:**" in head and re.search(r"\*\*Time:\*\*", head)
    assert re.search(r"^## Summary", text, re.M)


@pytest.mark.parametrize("chapter", [p for p in CHAPTERS if p.name != "errata.md"], ids=_rel)
def test_no_chapter_names_the_source_material(chapter):
    text = re.sub(
        r"errata-[\w-]+", "", chapter.read_text(encoding="utf-8")
    )  # labels of errata entries may say where they come from
    found = [
        m.group(0)
        for m in re.finditer(
            r"cheat[ -]?sheet|homework|lecture slides|\bslides?\b|formula collection|write-?up|\bPA5\b", text, re.I
        )
    ]
    assert not found, f"{len(found)} mentions of the source material, e.g. {found[:3]}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=_rel)
def test_chapters_use_the_library_helpers_instead_of_copies(chapter):
    text = chapter.read_text(encoding="utf-8")
    copies = [
        pattern
        for pattern in (r"plt\.rcParams\.update\(", r"^def best_time\(", r"^def rosenbrock", r"^def heavy_ball_matrix")
        if re.search(pattern, text, re.M)
    ]
    assert not copies, copies
