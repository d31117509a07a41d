"""Exercises an instructor can build problem sets from: at least eight per chapter, each labelled
with difficulty, kind and time, at least a third checked automatically, and every registered
checker attached to an exercise of its chapter."""

import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import exercise_index  # noqa: E402
from book_map import toc_chapters  # noqa: E402

from mlmath.exercises import EXERCISES  # noqa: E402

ENTRIES = exercise_index.exercises(ROOT)
CONTENT = [doc for doc, part in toc_chapters(ROOT) if part not in ("Appendices", "Start here") and not doc.endswith("/index")]


@pytest.mark.parametrize("chapter", CONTENT)
def test_every_chapter_has_eight_labelled_exercises_two_checked_automatically(chapter):
    mine = [e for e in ENTRIES if e.chapter == chapter]
    assert len(mine) >= 8, f"{len(mine)} exercises"
    unlabelled = [e.label or e.name for e in mine if not e.labelled]
    assert not unlabelled, f"titles without '★ · kind · N min': {unlabelled}"
    assert sum(e.auto_checked for e in mine) >= 2


def test_a_third_of_all_exercises_are_checked_automatically():
    assert sum(e.auto_checked for e in ENTRIES) >= len(ENTRIES) / 3


def test_labels_are_unique_and_every_checker_belongs_to_an_exercise_of_its_chapter():
    labels = Counter(e.label for e in ENTRIES)
    assert all(labels.values()) and not [label for label, n in labels.items() if n > 1 or not label]
    where = {e.label: e.chapter for e in ENTRIES}
    orphans = [ex.id for ex in EXERCISES.values() if where.get(ex.id) != ex.chapter]
    assert not orphans, f"registered checkers with no exercise of that label in their chapter: {orphans}"


def test_the_title_parser_reads_stars_kind_and_time():
    m = exercise_index.LABELS.match("The weight gradient ★★ · coding · 20 min")
    assert m and m["name"] == "The weight gradient" and m["stars"] == "★★" and m["kind"] == "coding" and m["minutes"] == "20"
