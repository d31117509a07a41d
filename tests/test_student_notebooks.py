"""The student edition's notebooks run the way a student runs them: top to bottom, every stub
reported by the checker as not yet implemented, and no cell failing.

(The solved notebooks are the chapters themselves: the book's build executes them with
MLMATH_CHECK_STRICT=1, so every solution passes its own check there.)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
from book_map import toc_chapters  # noqa: E402
from book_site import chapter_notebook  # noqa: E402

from mlmath.exercises import EXERCISES  # noqa: E402

CHAPTERS = [doc for doc, _ in toc_chapters(ROOT) if any(ex.chapter == doc for ex in EXERCISES.values())]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_stubbed_notebook_runs_and_reports_every_exercise_as_not_yet_done(chapter, tmp_path):
    from nbclient import NotebookClient

    nb = chapter_notebook(ROOT / f"{chapter}.md", "mlmath", student=True)
    env = {k: v for k, v in os.environ.items() if k != "MLMATH_CHECK_STRICT"}  # a student's kernel
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(ROOT / Path(chapter).parent)}},
    )
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    errors = [
        (i, o.get("ename"), o.get("evalue", "")[:200])
        for i, c in enumerate(nb.cells)
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, f"cells that fail in the student's notebook: {errors[:3]}"
    text = "\n".join(
        o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) + str(o.get("data", {}).get("text/markdown", ""))
        for c in nb.cells
        for o in c.get("outputs", [])
    )
    stray = [i for i, c in enumerate(nb.cells) for o in c.get("outputs", []) if o.get("data", {}).get("text/plain") == "Ellipsis"]
    assert not stray, f"stubbed cells {stray} display 'Ellipsis': a stub must be a statement"
    for ex in EXERCISES.values():
        if ex.chapter == chapter:
            title = ex.title
            assert f"{title}: not implemented yet" in text or f"{title}: no answer yet" in text, (
                f"{ex.id} not reported as stubbed"
            )
