"""The chapter notebooks of the built site (Colab, download) read as plain Jupyter Markdown.

Rendered with a plain CommonMark renderer, no markdown cell shows MyST-only syntax, and
glued numbers are written in.
"""

import json

import pytest
from markdown_it import MarkdownIt

from .conftest import SITE

NOTEBOOKS = sorted((SITE / "_notebooks").rglob("*.ipynb"))
MYST_ONLY = [
    "{glue",
    "{prf:",
    "{doc}",
    "{ref}",
    "{cite}",
    "{numref}",
    "{py:",
    "{exercise}",
    "{solution",
    ":label:",
    "{admonition}",
    "{literalinclude}",
    "{code-cell}",
    "{math}",
    "{eq}",
]


def test_every_chapter_has_a_notebook():
    assert len(NOTEBOOKS) >= 30


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: str(p.relative_to(SITE / "_notebooks")))
def test_markdown_cells_render_as_commonmark_without_myst_syntax(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    renderer = MarkdownIt("commonmark")
    problems = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        html = renderer.render("".join(cell["source"]))
        problems += [f"cell {index}: {syntax}" for syntax in MYST_ONLY if syntax in html]
    assert not problems, problems[:10]
