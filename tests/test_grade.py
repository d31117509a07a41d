"""mlmath-grade on a class of eleven generated submissions: right, partly right, stubbed, crashing,
looping, tampered, deleting files, killing its kernel, a cell over time, a notebook over time, and
a notebook that is not from the book."""

from __future__ import annotations

import csv
import subprocess
import sys
import time

import nbformat
import pytest

from mlmath.grade import edits_outside_solutions

CHAPTER = "chapters/foundations/notation"
EXERCISES = {  # id -> (function name, right body, wrong body)
    "notation-ex-linear-map": (
        "linear_map_derivative(W)",
        "return np.asarray(W, dtype=float).T",
        "return np.asarray(W, dtype=float)",
    ),
    "notation-ex-chain": (
        "chain_derivative(A, B)",
        "return np.asarray(A, dtype=float).T @ np.asarray(B, dtype=float).T",
        "return np.asarray(B, dtype=float) @ np.asarray(A, dtype=float)",
    ),
    "notation-ex-trace": (
        "trace_grad(A, B)",
        "return np.asarray(A, dtype=float).T @ np.asarray(B, dtype=float).T",
        "return np.asarray(B, dtype=float) @ np.asarray(A, dtype=float)",
    ),
}
STUB = '    raise NotImplementedError("{id}: write your solution here")'


def notebook(
    bodies: dict[str, str], prelude: str = "import numpy as np\nfrom mlmath.exercises import check", extra_cell: str | None = None
):
    cells = [nbformat.v4.new_code_cell(prelude)]
    for ex_id, (signature, _, _) in EXERCISES.items():
        body = bodies.get(ex_id, STUB.format(id=ex_id).strip())
        body = "\n".join("    " + line for line in body.split("\n"))
        name = signature.split("(")[0]
        cells.append(nbformat.v4.new_code_cell(f"def {signature}:\n{body}\n\n\nprint(check({ex_id!r}, {name}))"))
    if extra_cell is not None:
        cells.append(nbformat.v4.new_code_cell(extra_cell))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["mlmath"] = {"chapter": CHAPTER, "edition": "student"}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


RIGHT = {ex: right for ex, (_, right, _) in EXERCISES.items()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    originals, submissions, out = root / "originals", root / "submissions", root / "grading"
    originals.mkdir()
    submissions.mkdir()
    nbformat.write(notebook({}), originals / "notation.ipynb")
    wrong_one = {**RIGHT, "notation-ex-chain": EXERCISES["notation-ex-chain"][2]}
    slow = notebook(RIGHT)
    slow.cells[1:1] = [
        nbformat.v4.new_code_cell("import time\ntime.sleep(6)") for _ in range(7)
    ]  # each cell in time, the notebook not
    class_ = {
        "ada": notebook(RIGHT),
        "ben": notebook(wrong_one),
        "cai": notebook({}),
        "dev": notebook({**RIGHT, "notation-ex-trace": "raise IndexError('oops')"}),
        "eve": notebook({**RIGHT, "notation-ex-linear-map": "while True:\n    pass"}),
        "fay": notebook(RIGHT, prelude="import numpy as np\nfrom mlmath.exercises import check\ncheck = lambda *a: 'correct'"),
        "gus": notebook(
            {
                **RIGHT,
                "notation-ex-linear-map": "import os, glob\nfor f in glob.glob('*'):\n    os.remove(f)\nreturn np.asarray(W, dtype=float).T",
            }
        ),
        "hal": notebook(RIGHT, extra_cell="import os\nos._exit(1)"),
        "ivy": notebook(RIGHT, extra_cell="import time\ntime.sleep(600)"),  # one cell past the cell limit: interrupted
        "kim": slow,
    }
    for name, nb in class_.items():
        nbformat.write(nb, submissions / f"{name}.ipynb")
    (submissions / "joe").mkdir()  # a student folder holding a notebook that is not from the book
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), submissions / "joe" / "scratch.ipynb")
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlmath.grade",
            str(submissions),
            "--originals",
            str(originals),
            "--out",
            str(out),
            "--cell-timeout",
            "8",
            "--notebook-timeout",
            "35",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    seconds = time.perf_counter() - start
    with open(out / "grades.csv", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    return result, rows, out, submissions, seconds


def test_the_run_finishes_and_reports_everyone(graded):
    result, rows, out, _, seconds = graded
    assert result.returncode == 0, result.stderr
    assert set(rows) == {"ada", "ben", "cai", "dev", "eve", "fay", "gus", "hal", "ivy", "joe", "kim"}
    assert all((out / "feedback" / f"{s}.txt").exists() for s in rows)
    print(f"graded {len(rows)} notebooks in {seconds:.0f} s:\n{result.stdout}")


@pytest.mark.parametrize(
    ("student", "total"),
    [("ada", 3), ("ben", 2), ("cai", 0), ("dev", 2), ("eve", 2), ("gus", 3), ("hal", 0), ("ivy", 3), ("joe", 0), ("kim", 0)],
)
def test_scores(graded, student, total):
    assert int(graded[1][student]["total"]) == total, graded[1][student]


def test_a_right_notebook_has_no_problems_and_a_wrong_answer_gets_feedback(graded):
    _, rows, out, _, _ = graded
    assert rows["ada"]["problems"] == ""
    feedback = (out / "feedback" / "ben.txt").read_text()
    assert "[ ] notation-ex-chain" in feedback and "wrong" in feedback.split("[ ] notation-ex-chain")[1].split("\n")[0]


def test_stubs_crashes_and_loops_are_reported_not_fatal(graded):
    _, rows, out, _, _ = graded
    assert "not implemented yet" in (out / "feedback" / "cai.txt").read_text()
    assert "raised IndexError" in (out / "feedback" / "dev.txt").read_text()
    assert (
        "interrupted after the cell time limit" in rows["eve"]["problems"]
        or "time limit" in (out / "feedback" / "eve.txt").read_text()
    )


def test_tampering_a_killed_kernel_and_a_slow_notebook_are_reported(graded):
    _, rows, _, submissions, _ = graded
    assert "edited outside the solution regions" in rows["fay"]["problems"]
    assert int(rows["fay"]["total"]) == 3  # graded by the grader's own check, not the tampered one
    assert rows["hal"]["problems"] and "cell 5 was interrupted after the cell time limit" in rows["ivy"]["problems"]
    assert "notebook time limit" in rows["kim"]["problems"]
    assert "not a student notebook" in rows["joe"]["problems"]
    assert (submissions / "gus.ipynb").exists()  # deleting files in the scratch copy leaves the submission alone


def test_edits_outside_solutions_allow_any_code_in_place_of_the_stub():
    original = notebook({})
    assert edits_outside_solutions(original, notebook({"notation-ex-chain": "x = 1\ny = 2\nreturn x"})) == []
    changed = notebook({}, prelude="import numpy as np")
    assert edits_outside_solutions(original, changed) == ["code cell 1 was changed, and it holds no solution stub"]
    added = notebook({}, extra_cell="print('extra')")
    assert "cells added or removed" in edits_outside_solutions(original, added)[0]
