"""Grade a class's notebooks in one command: ``mlmath-grade SUBMISSIONS`` (or ``python -m mlmath.grade``).

``SUBMISSIONS`` holds the student notebooks of the book's student edition
(``make student`` writes them to ``_build/student/notebooks``), filled in:
either one notebook per student (``alice.ipynb``) or one folder per student
(``alice/linear.ipynb``, ...). For each notebook the grader

1. compares it with the original student notebook (``--originals``): a code
   cell changed outside its solution stub, or a code cell added or removed,
   is reported as *edited outside the solution regions*;
2. executes it in a fresh kernel, in a subprocess of its own and a scratch
   copy of its folder, with a time limit per cell (a looping cell is
   interrupted and the run goes on) and one per notebook (past it, the
   notebook scores nothing and the report says so); a cell that raises is
   reported, and the run goes on;
3. runs :func:`mlmath.exercises.check` on every auto-checked exercise of the
   chapter, on the student's function or value of the exercise's name, in
   that kernel after the student's cells.

It writes ``grades.csv`` (one row per student, one column per exercise: 1
or 0, then the total and the problems found) and ``feedback/<student>.txt``
(the checker's message for each exercise, and the problems). A notebook
that crashes, hangs, deletes files or was tampered with is reported, never
stops the run. The scratch copy keeps the submissions themselves safe from
a notebook that deletes files; the grader does not sandbox the student's
code in any stronger way, so run it as a user who can lose nothing.

Needs ``nbclient`` and ``nbformat`` (installed with the book's dependencies).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

RESULT_TAG = "MLMATH-GRADE-RESULT "
__all__ = ["grade_notebook", "grade_folder", "edits_outside_solutions", "main"]


@dataclass
class NotebookGrade:
    """What grading one notebook found."""

    student: str
    chapter: str
    scores: dict[str, int] = field(default_factory=dict)  # exercise id -> 1 or 0
    messages: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _code_cells(nb) -> list[str]:
    return [
        cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
    ]


def edits_outside_solutions(original, submitted) -> list[str]:
    """Code edited outside the solution stubs: each difference in words (empty: none).

    A stub is the line ``raise NotImplementedError("<id>: write your solution here")``
    (or ``pass  # <id>: write your solution here``, or a cell that is only a comment
    ``# <id>: write your solution here``); the student may replace it by any code,
    but the lines before and after it must stay as they were.
    """
    before, after = _code_cells(original), _code_cells(submitted)
    if len(before) != len(after):
        return [f"the notebook has {len(after)} code cells; the assignment has {len(before)} (cells added or removed)"]
    problems = []
    for index, (old, new) in enumerate(zip(before, after), start=1):
        old_lines, new_lines = old.rstrip().split("\n"), new.rstrip().split("\n")
        stubs = [i for i, line in enumerate(old_lines) if "write your solution here" in line]
        if not stubs:
            if [l.rstrip() for l in old_lines] != [l.rstrip() for l in new_lines]:
                problems.append(f"code cell {index} was changed, and it holds no solution stub")
            continue
        head, tail = old_lines[: stubs[0]], old_lines[stubs[-1] + 1 :]
        same_head = [l.rstrip() for l in new_lines[: len(head)]] == [l.rstrip() for l in head]
        same_tail = not tail or [l.rstrip() for l in new_lines[len(new_lines) - len(tail) :]] == [l.rstrip() for l in tail]
        if not (same_head and same_tail and len(new_lines) >= len(head) + len(tail)):
            problems.append(f"code cell {index} was changed outside its solution region")
    return problems


def _grading_cell(exercises: list[tuple[str, str]], time_limit: float) -> str:
    """The cell appended to a notebook: check every exercise on the student's own names.

    Each call of the student's function may take ``time_limit`` seconds."""
    return (
        "import json as _json\n"
        "from mlmath.exercises import _checker as _checker\n"
        "_results = {}\n"
        f"for _id, _name in {exercises!r}:\n"
        "    if _name not in globals():\n"
        "        _results[_id] = [0, f'`{_name}` is not defined in the notebook']\n"
        "        continue\n"
        f"    _r = _checker.check(_id, globals()[_name], time_limit={time_limit!r})\n"
        "    _results[_id] = [int(bool(_r.passed)), str(_r.message)]\n"
        f"print({RESULT_TAG!r} + _json.dumps(_results))\n"
    )


def _run_one(notebook: Path, exercises: list[tuple[str, str]], cell_timeout: float) -> dict:
    """Execute ``notebook`` (already a scratch copy) with the grading cell; runs in its own process."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    grading = nbformat.v4.new_code_cell(_grading_cell(exercises, cell_timeout))
    nb.cells.append(grading)
    # the grading cell may use the cell time limit once per exercise (a looping answer is stopped by check)
    timeouts = lambda cell: cell_timeout * (len(exercises) + 1) if cell is grading else cell_timeout
    client = NotebookClient(
        nb,
        timeout=cell_timeout,
        timeout_func=timeouts,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    client.execute()
    errors, results = [], {}
    for index, cell in enumerate(nb.cells[:-1], start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                kind = output.get("ename", "Error")
                what = (
                    "was interrupted after the cell time limit"
                    if kind == "KeyboardInterrupt"
                    else f"raised {kind}: {output.get('evalue', '')[:120]}"
                )
                errors.append(f"cell {index} {what}")
    for output in nb.cells[-1].get("outputs", []):
        text = output.get("text", "")
        if RESULT_TAG in text:
            results = json.loads(text.split(RESULT_TAG, 1)[1])
    return {"errors": errors, "results": results}


def grade_notebook(
    path: Path, original: Path | None, *, student: str, cell_timeout: float = 60.0, notebook_timeout: float = 600.0
) -> NotebookGrade:
    """Grade one submitted notebook (see the module's docstring)."""
    from .exercises import EXERCISES

    start = time.perf_counter()
    submitted = json.loads(path.read_text(encoding="utf-8"))
    chapter = submitted.get("metadata", {}).get("mlmath", {}).get("chapter", "")
    grade = NotebookGrade(student=student, chapter=chapter)
    exercises = [(ex.id, ex.name) for ex in EXERCISES.values() if ex.chapter == chapter]
    if not chapter or not exercises:
        grade.problems.append(f"{path.name}: not a student notebook of a chapter with auto-checked exercises")
        return grade
    for ex_id, _ in exercises:
        grade.scores[ex_id], grade.messages[ex_id] = 0, "not graded"
    if original is not None and original.exists():
        grade.problems += [
            f"{path.name}: edited outside the solution regions: {p}"
            for p in edits_outside_solutions(json.loads(original.read_text(encoding="utf-8")), submitted)
        ]
    with tempfile.TemporaryDirectory(prefix="mlmath-grade-") as scratch:
        copy = Path(scratch) / path.name
        shutil.copy(path, copy)
        command = [
            sys.executable,
            "-m",
            "mlmath.grade",
            "--run-one",
            str(copy),
            "--cell-timeout",
            str(cell_timeout),
            "--exercises",
            json.dumps(exercises),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=notebook_timeout, cwd=scratch)
        except subprocess.TimeoutExpired:
            grade.problems.append(f"{path.name}: did not finish within the notebook time limit of {notebook_timeout:g} s")
            grade.seconds = time.perf_counter() - start
            return grade
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_TAG)]
    if done.returncode != 0 or not lines:
        grade.problems.append(
            f"{path.name}: could not be executed ({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'no output'})"
        )
    else:
        report = json.loads(lines[-1][len(RESULT_TAG) :])
        grade.problems += [f"{path.name}: {e}" for e in report["errors"]]
        if not report["results"]:
            grade.problems.append(f"{path.name}: the grading cell did not run (the kernel died?)")
        for ex_id, (score, message) in report["results"].items():
            grade.scores[ex_id], grade.messages[ex_id] = int(score), message
    grade.seconds = time.perf_counter() - start
    return grade


def _submissions(folder: Path) -> dict[str, list[Path]]:
    """student -> notebooks: ``folder/<student>.ipynb`` or ``folder/<student>/**/*.ipynb``."""
    students: dict[str, list[Path]] = {}
    for item in sorted(folder.iterdir()):
        if item.is_file() and item.suffix == ".ipynb":
            students.setdefault(item.stem, []).append(item)
        elif item.is_dir():
            notebooks = sorted(p for p in item.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            if notebooks:
                students[item.name] = notebooks
    return students


def _originals(folder: Path | None) -> dict[str, Path]:
    found = {}
    if folder is not None and folder.exists():
        for path in folder.rglob("*.ipynb"):
            chapter = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("mlmath", {}).get("chapter")
            if chapter:
                found[chapter] = path
    return found


def grade_folder(
    submissions: Path,
    out: Path,
    originals: Path | None = None,
    *,
    cell_timeout: float = 60.0,
    notebook_timeout: float = 600.0,
    log=print,
) -> list[NotebookGrade]:
    """Grade every student of ``submissions``; write ``out/grades.csv`` and ``out/feedback/``."""
    if not submissions.is_dir():
        raise ValueError(f"submissions must be a folder of notebooks, got {submissions}")
    originals_by_chapter = _originals(originals)
    grades: list[NotebookGrade] = []
    for student, notebooks in _submissions(submissions).items():
        for notebook in notebooks:
            chapter = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {}).get("mlmath", {}).get("chapter", "")
            grade = grade_notebook(
                notebook,
                originals_by_chapter.get(chapter),
                student=student,
                cell_timeout=cell_timeout,
                notebook_timeout=notebook_timeout,
            )
            log(
                f"{student}: {notebook.name}: {sum(grade.scores.values())}/{len(grade.scores)} in {grade.seconds:.1f} s"
                + (f", {len(grade.problems)} problem(s)" if grade.problems else "")
            )
            grades.append(grade)
    _write_reports(grades, out)
    return grades


def _write_reports(grades: list[NotebookGrade], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)
    columns = sorted({ex for g in grades for ex in g.scores})
    students = sorted({g.student for g in grades})
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *columns, "total", "problems"])
        for student in students:
            mine = [g for g in grades if g.student == student]
            scores = {ex: s for g in mine for ex, s in g.scores.items()}
            problems = [p for g in mine for p in g.problems]
            writer.writerow([student, *[scores.get(ex, 0) for ex in columns], sum(scores.values()), " | ".join(problems)])
    for student in students:
        mine = [g for g in grades if g.student == student]
        lines = [f"Feedback for {student}", ""]
        for g in mine:
            lines.append(f"{g.chapter}: {sum(g.scores.values())} of {len(g.scores)} exercises correct")
            lines += [f"  [{'x' if g.scores[ex] else ' '}] {ex}: {g.messages[ex]}" for ex in sorted(g.scores)]
            lines += [f"  problem: {p}" for p in g.problems]
            lines.append("")
        (out / "feedback" / f"{student}.txt").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlmath-grade", description="Grade a folder of filled-in student notebooks.")
    parser.add_argument("submissions", type=Path, nargs="?", help="folder of <student>.ipynb or <student>/ folders")
    parser.add_argument(
        "--originals",
        type=Path,
        default=Path("_build/student/notebooks"),
        help="the student notebooks as handed out (default: _build/student/notebooks)",
    )
    parser.add_argument("--out", type=Path, default=Path("grading"), help="where grades.csv and feedback/ go")
    parser.add_argument("--cell-timeout", type=float, default=60.0, help="seconds per cell (default 60)")
    parser.add_argument("--notebook-timeout", type=float, default=600.0, help="seconds per notebook (default 600)")
    parser.add_argument("--run-one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--exercises", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_one:  # the subprocess that executes one notebook
        report = _run_one(args.run_one, [tuple(e) for e in json.loads(args.exercises)], args.cell_timeout)
        print(RESULT_TAG + json.dumps(report))
        return 0
    if args.submissions is None:
        parser.error("the folder of submissions is required")
    grades = grade_folder(
        args.submissions, args.out, args.originals, cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout
    )
    print(f"graded {len(grades)} notebook(s) of {len({g.student for g in grades})} student(s): {args.out / 'grades.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
