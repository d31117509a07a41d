"""The student edition: each chapter notebook differs from the full one only inside the
marked solution regions, and the checker rejects every stub and accepts every solution."""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))

from book_site import SOLUTION_END, SOLUTION_START, chapter_notebook  # noqa: E402

from mlmath.exercises import BEGIN, END, EXERCISES, check, stub_solution  # noqa: E402

CHAPTERS = sorted(p for p in (ROOT / "chapters").rglob("*.md") if "kernelspec:" in p.read_text()[:600])


def _solution_cells(nb):
    """(label, code cell) for every code cell inside a solution of ``nb``."""
    label, found = None, []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.split("\n"):
                start = SOLUTION_START.match(line)
                if start:
                    label = start.group(1)
                elif SOLUTION_END.match(line):
                    label = None
        elif label is not None:
            found.append((label, cell))
    return found


def _marked_lines(code: str) -> set[int]:
    inside, marked = False, set()
    for i, line in enumerate(code.split("\n")):
        if line.strip() in (BEGIN, END):
            marked.add(i)
            inside = line.strip() == BEGIN
        elif inside:
            marked.add(i)
    return marked


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_student_notebook_differs_only_in_marked_regions(chapter):
    full = chapter_notebook(chapter, "mlmath", student=False)
    student = chapter_notebook(chapter, "mlmath", student=True)
    assert "pip" in full.cells[0].source and "import mlmath" in full.cells[0].source
    solutions = {id(cell) for _, cell in _solution_cells(full)}
    full_code = [c for c in full.cells if c.cell_type == "code"]
    student_code = [c for c in student.cells if c.cell_type == "code"]
    assert len(full_code) == len(student_code)
    for original, stubbed in zip(full_code, student_code):
        if id(original) not in solutions:
            assert stubbed.source == original.source
            continue
        assert BEGIN in original.source, f"a solution cell in {chapter.name} has no {BEGIN!r} marker:\n{original.source[:200]}"
        marked = _marked_lines(original.source)
        matcher = difflib.SequenceMatcher(a=original.source.split("\n"), b=stubbed.source.split("\n"), autojunk=False)
        for tag, a0, a1, _, _ in matcher.get_opcodes():
            if tag != "equal":
                assert set(range(a0, a1)) <= marked, f"lines {a0}-{a1} changed outside the marked region"
    student_text = "\n".join(c.source for c in student.cells if c.cell_type == "markdown")
    assert "{solution-start}" not in student_text and "{solution-end}" not in student_text


def _is_check(line: str) -> bool:
    return line.startswith("check(")


def _answer(code: str) -> str:
    """The student's answer in a solution cell: ``code`` before its ``check(...)`` call, or, in a cell
    without one, up to and including its last ``# END SOLUTION`` line (all of it if it has none)."""
    lines = code.split("\n")
    checks = [i for i, line in enumerate(lines) if _is_check(line)]
    if checks:
        return "\n".join(lines[: checks[0]])
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    return "\n".join(lines[: ends[-1] + 1]) if ends else code


def _run(cells, namespace):
    for code in cells:
        exec(compile(code, "<chapter cell>", "exec"), namespace)


def _docname(path: Path) -> str:
    return str(path.relative_to(ROOT).with_suffix(""))


@pytest.mark.parametrize(
    "chapter", [c for c in CHAPTERS if _docname(c) in {ex.chapter for ex in EXERCISES.values()}], ids=lambda p: p.stem
)
def test_checker_accepts_solutions_and_rejects_stubs(chapter, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    full = chapter_notebook(chapter, "mlmath", student=False)
    imports = next(c.source for c in full.cells[1:] if c.cell_type == "code")
    solutions = _solution_cells(full)
    exercises = [ex for ex in EXERCISES.values() if ex.chapter == _docname(chapter)]
    assert exercises

    solved = {"__name__": "chapter"}
    ids = {ex.id for ex in exercises}
    # The student's answers: each registered exercise's solution code before its check(...) call,
    # which stands on the imports alone (what follows the check, in its cell or a later one, may use
    # the chapter's own variables; the book build runs it in full).
    answers, checked = [], set()
    for label, c in solutions:
        if label in ids and label not in checked:
            answers.append(_answer(c.source))
            if any(_is_check(line) for line in c.source.split("\n")):
                checked.add(label)
    _run([imports, "from mlmath.exercises import check"] + answers, solved)
    for ex in exercises:
        assert check(ex.id, solved[ex.name]).passed

    for ex in exercises:
        stubbed = {"__name__": "chapter"}
        _run([imports, "from mlmath.exercises import check"], stubbed)
        cells = [stub_solution(c.source, label) for label, c in solutions if label == ex.id]
        assert cells, f"no solution cell for {ex.id}"
        _run(cells, stubbed)  # a student's untouched notebook runs on: the check reports, it does not raise
        result = check(ex.id, stubbed.get(ex.name))
        assert not result.passed and ("not implemented yet" in result.message or "no answer yet" in result.message), (
            result.message
        )
