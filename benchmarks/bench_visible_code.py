"""How much of each chapter a reader sees as code: the size figure of the reader's-book pass.

Usage: python benchmarks/bench_visible_code.py [--all]

Reads every executable chapter (MyST markdown) with jupytext and counts non-blank lines:

* prose: Markdown cells (text, equations, directives);
* visible code: code cells a reader sees opened, i.e. without ``hide-input``, ``hide-cell``,
  ``remove-input`` or ``remove-cell``; cells tagged ``point-of-section`` count as visible;
* hidden code: the rest (plots behind a toggle, checks, glue).

The share is visible code / (prose + visible code): the fraction of the lines on the page
that are code. Code inside an exercise's solution counts as visible (it is, once the reader
opens the solution); the second column without it is what a reader sees before opening one.
The script prints one row per chapter (the ten highest shares unless ``--all``), the median and
the maximum, and the number of visible cells with more than 25 non-blank lines.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parent.parent
HIDING_TAGS = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
LIMIT = 25


def _lines(source: str) -> int:
    return sum(1 for line in source.splitlines() if line.strip())


def chapter_counts(path: Path) -> dict[str, int]:
    """Non-blank line counts of one chapter: prose, visible code, solution code, hidden code."""
    nb = jupytext.read(path)
    counts = {"prose": 0, "visible": 0, "solution": 0, "hidden": 0, "long_cells": 0}
    in_solution = False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            counts["prose"] += _lines(cell.source)
            last_start, last_end = cell.source.rfind("{solution-start}"), cell.source.rfind("{solution-end}")
            if last_start != last_end:  # the later of the two fences decides (-1 when absent)
                in_solution = last_start > last_end
            continue
        if cell.cell_type != "code":
            continue
        tags = set(cell.metadata.get("tags", []))
        n = _lines(cell.source)
        if tags & HIDING_TAGS:
            counts["hidden"] += n
        else:
            counts["solution" if in_solution else "visible"] += n
            if n > LIMIT and "point-of-section" not in tags:
                counts["long_cells"] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--all", action="store_true", help="print every chapter, not the top ten")
    args = parser.parse_args()
    chapters = sorted(
        p
        for p in (ROOT / "chapters").rglob("*.md")
        if "kernelspec:" in p.read_text(encoding="utf-8")[:600] and p.parent.name != "appendices"
    )
    rows = []
    for path in chapters:
        c = chapter_counts(path)
        shown = c["visible"] + c["solution"]
        share = shown / max(1, c["prose"] + shown)
        share_closed = c["visible"] / max(1, c["prose"] + c["visible"])
        rows.append((share, share_closed, path.relative_to(ROOT / "chapters"), c))
    rows.sort(key=lambda r: r[0], reverse=True)
    print(f"{'chapter':40s} {'code share':>10s} {'w/o sol.':>9s} {'prose':>6s} {'code':>6s} {'hidden':>7s}")
    for share, share_closed, name, c in rows if args.all else rows[:10]:
        code = c["visible"] + c["solution"]
        print(f"{name!s:40s} {share:10.0%} {share_closed:9.0%} {c['prose']:6d} {code:6d} {c['hidden']:7d}")
    shares = [r[0] for r in rows]
    closed = [r[1] for r in rows]
    print(
        f"\n{len(rows)} chapters. Visible code share: median {statistics.median(shares):.0%}, "
        f"max {max(shares):.0%} (with solutions closed: median {statistics.median(closed):.0%}, "
        f"max {max(closed):.0%}). Visible cells over {LIMIT} lines: "
        f"{sum(r[3]['long_cells'] for r in rows)}."
    )


if __name__ == "__main__":
    main()
