"""The map of the book: every prerequisite is a chapter, the graph has no cycle, the routes keep its order."""

import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import book_map  # noqa: E402


def test_the_books_prerequisites_name_chapters_and_form_no_cycle():
    assert book_map.problems(ROOT) == []


def test_every_content_chapter_states_its_prerequisites():
    missing = [
        doc
        for doc, part in book_map.toc_chapters(ROOT)
        if part != "Appendices"
        and not doc.endswith("/index")
        and doc != "chapters/map"
        and book_map.prerequisites(doc, ROOT) is None
    ]
    assert missing == []


def _book(tmp_path, chapters: dict[str, str]) -> Path:
    (tmp_path / "chapters").mkdir()
    toc = "format: jb-book\nroot: intro\nparts:\n  - caption: A\n    chapters:\n"
    for name, prereq in chapters.items():
        toc += f"      - file: chapters/{name}\n"
        (tmp_path / "chapters" / f"{name}.md").write_text(
            textwrap.dedent(f"""\
            # {name.title()}

            **Prerequisites:** {prereq}

            Text.
            """)
        )
    (tmp_path / "_toc.yml").write_text(toc)
    return tmp_path


def test_a_prerequisite_that_is_not_a_chapter_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(book_map, "PATHS", {})
    root = _book(tmp_path, {"a": "none", "b": "{doc}`a`, {doc}`missing`"})
    assert book_map.problems(root) == ["chapters/b: prerequisite 'chapters/missing' is not a chapter of the book"]


def test_a_cycle_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(book_map, "PATHS", {})
    root = _book(tmp_path, {"a": "{doc}`c`", "b": "{doc}`a`", "c": "{doc}`the third <b>`"})
    (problem,) = book_map.problems(root)
    assert problem.startswith("the prerequisites form a cycle") and "chapters/a" in problem


def test_a_route_that_breaks_the_order_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(book_map, "PATHS", {"backwards": ["chapters/b", "chapters/a"]})
    root = _book(tmp_path, {"a": "none", "b": "{doc}`a`"})
    assert book_map.problems(root) == ["route 'backwards': chapters/b comes before its prerequisite chapters/a"]
