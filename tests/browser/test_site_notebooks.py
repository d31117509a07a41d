"""The chapter notebooks of the built site (Colab, download) read as plain Jupyter Markdown.

Rendered with a plain CommonMark renderer, no markdown cell shows MyST-only syntax, and
glued numbers are written in.
"""

import json
import re

import pytest
from markdown_it import MarkdownIt

from .conftest import SITE

NOTEBOOKS = sorted((SITE / "_notebooks").rglob("*.ipynb"))
# A MyST role renders as "{name}<code>...</code>" in CommonMark; a directive leaves its fence or its
# options in the text. (TeX such as h_{\\text{ref}} inside dollar math is not MyST.)
MYST_ONLY = re.compile(
    r"\{[\w:-]+\}<code>|<code class=\"language-\{|\{(exercise|solution-start|solution-end|prf:\w+|admonition|literalinclude|code-cell)\}"
    r"|^:(label|class|tags):",
    re.M,
)


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
        problems += [f"cell {index}: {m.group(0)}" for m in MYST_ONLY.finditer(html)]
    assert not problems, problems[:10]
