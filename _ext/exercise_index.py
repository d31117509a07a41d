"""Every exercise of the book, with its difficulty, kind and time, read from the chapters.

An exercise's title ends with its labels, which the rendered book shows:
``The weight gradient ★★ · coding · 20 min``: one to three stars of
difficulty, the kind (derivation, proof, coding, experiment) and a time
estimate in minutes. An exercise is auto-checked when its label is
registered in :mod:`mlmath.exercises`. Used by the page
``chapters/appendices/exercises.md`` and by ``tests/test_exercise_index.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from book_map import ROOT, title, toc_chapters

KINDS = ("derivation", "proof", "coding", "experiment")
EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise\}\s*(?P<title>[^\n]*)\n(?P<options>(?::[\w-]+:[^\n]*\n)*)", re.M)
LABELS = re.compile(r"^(?P<name>.*?)\s+(?P<stars>★{1,3})\s+·\s+(?P<kind>[a-z]+)\s+·\s+(?P<minutes>\d+)\s+min\s*$")


@dataclass
class ExerciseEntry:
    chapter: str
    label: str
    name: str
    stars: int | None
    kind: str | None
    minutes: int | None
    auto_checked: bool

    @property
    def labelled(self) -> bool:
        return self.stars is not None and self.kind in KINDS and self.minutes is not None


def exercises(root: Path = ROOT) -> list[ExerciseEntry]:
    """Every ``{exercise}`` of every chapter in the table of contents, in reading order."""
    from mlmath.exercises import EXERCISES

    found = []
    for doc, _ in toc_chapters(root):
        text = (root / f"{doc}.md").read_text(encoding="utf-8")
        for m in EXERCISE.finditer(text):
            label = re.search(r":label:\s*(\S+)", m.group("options"))
            label = label.group(1) if label else ""
            parts = LABELS.match(m.group("title").strip())
            if parts:
                entry = ExerciseEntry(
                    doc, label, parts["name"], len(parts["stars"]), parts["kind"], int(parts["minutes"]), label in EXERCISES
                )
            else:
                entry = ExerciseEntry(doc, label, m.group("title").strip(), None, None, None, label in EXERCISES)
            found.append(entry)
    return found


def chapter_titles(root: Path = ROOT) -> dict[str, str]:
    return {doc: title(doc, root) for doc, _ in toc_chapters(root)}
