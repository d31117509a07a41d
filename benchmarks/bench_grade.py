"""Time mlmath-grade on a class of ten submissions of one real chapter's student notebook.

Usage: python benchmarks/bench_grade.py [--chapter chapters/layers/linear.md] [--keep]

The assignment is the chapter's student notebook (as `make student` writes it:
every solution region stubbed). The ten submissions are made from it and from
the solved chapter: three fully solved, two half solved (the first half of
the solution cells), two handed in untouched, one whose first answer crashes
(the checker reports it; the other answers count), one that loops forever in
its last solution cell (stopped by the cell time limit; the answers before it
count), and one that changed a cell outside the solution regions (graded,
and reported). The script runs
`mlmath-grade` once on the folder, checks every score against what the
submission should get, and prints the wall time per notebook.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
from book_site import chapter_notebook  # noqa: E402

from mlmath.exercises import BEGIN, EXERCISES  # noqa: E402

MARKER_BEGIN = re.compile(r"^([ \t]*)# BEGIN SOLUTION[ \t]*\n", re.M)
MARKER = re.compile(r"^[ \t]*# (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
CELL_TIMEOUT = 30  # seconds: the looping submission costs this much


def solution_cells(student, solved) -> list[int]:
    """Indices (in the notebook's cells) of the code cells whose solved source differs from the stub."""
    s_code = [i for i, c in enumerate(student.cells) if c.cell_type == "code"]
    f_code = [c for c in solved.cells if c.cell_type == "code"]
    if len(s_code) != len(f_code):
        raise SystemExit(f"student and solved notebooks differ in code cells: {len(s_code)} vs {len(f_code)}")
    return [i for i, f in zip(s_code, f_code) if BEGIN in f.source]


def submission(student, solved, solve: list[int], inject: dict[int, str] | None = None, edit=None):
    """The student notebook with the cells ``solve`` replaced by their solved source.

    ``inject`` maps a cell index to a line put first inside that cell's first solution
    region (the student's own code); ``edit(nb)`` changes the notebook afterwards.
    """
    nb = nbformat.from_dict(student)
    f_code = iter(c for c in solved.cells if c.cell_type == "code")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        source = next(f_code).source
        if i in solve:
            if inject and i in inject:
                source = MARKER_BEGIN.sub(lambda m: m.group(0) + m.group(1) + inject[i] + "\n", source, count=1)
            cell.source = MARKER.sub("", source)
    if edit is not None:
        edit(nb)
    return nb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", default="chapters/layers/linear.md")
    parser.add_argument("--keep", action="store_true", help="keep the class folder and print its path")
    args = parser.parse_args()
    path = ROOT / args.chapter
    docname = args.chapter.removesuffix(".md")
    checked = [ex.id for ex in EXERCISES.values() if ex.chapter == docname]
    student = chapter_notebook(path, "mlmath", student=True)
    solved = chapter_notebook(path, "mlmath", student=False)
    cells = solution_cells(student, solved)
    half = cells[: len(cells) // 2]

    def tamper(nb):
        first_other = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and i not in cells and i > 0)
        nb.cells[first_other].source += "\nx_tampered = 1"

    everything = len(checked)
    klass = {  # student -> (notebook, expected total: None for "fewer than all")
        "ada": (submission(student, solved, cells), everything),
        "ben": (submission(student, solved, cells), everything),
        "cai": (submission(student, solved, cells), everything),
        "dev": (submission(student, solved, half), None),
        "eve": (submission(student, solved, half), None),
        "fay": (submission(student, solved, []), 0),
        "gus": (submission(student, solved, []), 0),
        "hal": (submission(student, solved, cells, {cells[0]: 'raise RuntimeError("my solution crashed")'}), None),
        "ivy": (submission(student, solved, cells, {cells[-1]: "while True: pass"}), everything),
        "jo": (submission(student, solved, cells, edit=tamper), everything),
    }
    root = Path(tempfile.mkdtemp(prefix="bench-grade-"))
    originals, submissions, out = root / "originals", root / "submissions", root / "grading"
    originals.mkdir()
    submissions.mkdir()
    name = path.stem + ".ipynb"
    nbformat.write(student, originals / name)
    for who, (nb, _) in klass.items():
        (submissions / who).mkdir()
        nbformat.write(nb, submissions / who / name)

    command = [sys.executable, "-m", "mlmath.grade", str(submissions), "--originals", str(originals)]
    command += ["--out", str(out), "--cell-timeout", str(CELL_TIMEOUT)]
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT / Path(args.chapter).parent, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start

    with open(out / "grades.csv", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    failures = []
    for who, (_, expected) in klass.items():
        total = float(rows[who]["total"])
        if expected is None and not 0 <= total < everything:
            failures.append(f"{who}: total {total}, expected fewer than {everything}")
        elif expected is not None and total != expected:
            failures.append(f"{who}: total {total}, expected {expected}")
    if "outside the solution regions" not in rows["jo"]["problems"]:
        failures.append("jo: the edit outside the solution regions was not reported")
    if "time limit" not in rows["ivy"]["problems"]:
        failures.append("ivy: the endless loop was not reported")
    print(f"{args.chapter}: {len(checked)} auto-checked exercises, {len(cells)} solution cells")
    for who, row in rows.items():
        print(f"  {who:4s} total {row['total']:>4s}  {row['problems'][:90]}")
    print(f"graded {len(klass)} notebooks in {seconds:.1f} s: {seconds / len(klass):.1f} s per notebook")
    print(f"(the looping notebook alone waits the {CELL_TIMEOUT} s cell limit)")
    if args.keep:
        print(f"class folder: {root}")
    else:
        shutil.rmtree(root)
    if failures:
        print("UNEXPECTED:", *failures, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
