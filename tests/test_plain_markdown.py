"""_ext/plain_markdown.py: MyST-only syntax becomes CommonMark that Jupyter and Colab render."""

import sys
from pathlib import Path

from markdown_it import MarkdownIt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "_ext"))
from plain_markdown import Book, to_plain_markdown

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
    ")=",
]

BOOK = Book(
    glue={"fc-err": "3.1 × 10⁻¹⁶", "n-steps": "12"},
    doc_urls={"chapters/foundations/notation": "https://example.org/book/chapters/foundations/notation.html"},
    doc_titles={"chapters/foundations/notation": "Notation"},
    labels={
        "fc-thm-backward": ("https://example.org/book/chapters/layers/linear.html#fc-thm-backward", "Theorem (Backward pass)"),
        "bibliography": ("https://example.org/book/chapters/appendices/bibliography.html", "Bibliography"),
    },
    docname="chapters/layers/linear",
    api_url="https://example.org/book/chapters/appendices/api.html",
)
CHAPTER_CELL = """(fc-sec)=
## The layer

The error is {glue:text}`fc-err` after {glue:text}`n-steps` steps; see {doc}`../foundations/notation`,
{prf:ref}`fc-thm-backward`, {ref}`the theorem <fc-thm-backward>` and {cite}`goodfellow2016`.
The library's {py:func}`~mlmath.layers.linear_backward` does it.

```{prf:theorem} Backward pass of a fully connected layer
:label: fc-thm-backward

$$
\\frac{\\partial L}{\\partial W} = G^\\T X
$$ (fc-eq)

holds.
```

```{prf:proof}
By the chain rule.
```

````{exercise} The weight gradient
:label: fc-ex-weight

Write `linear_weight_grad`.
````

````{solution-start} fc-ex-weight
:class: dropdown
````

```{admonition} Common mistake
:class: warning

$dL/dW = g \\cdot x$ is a shape error.
```

```{literalinclude} ../../src/mlmath/layers/linear.py
:pyobject: linear_backward
```

```{code-block} python
x = 1
```
"""


def test_a_chapter_cell_becomes_plain_commonmark():
    text = to_plain_markdown(CHAPTER_CELL, BOOK)
    html = MarkdownIt("commonmark").render(text)
    for syntax in MYST_ONLY:
        assert syntax not in html, (syntax, text)
    assert "3.1 × 10⁻¹⁶" in html and "after 12 steps" in html
    assert '<a href="https://example.org/book/chapters/foundations/notation.html">Notation</a>' in html
    assert 'href="https://example.org/book/chapters/layers/linear.html#fc-thm-backward">the theorem</a>' in html
    assert "<blockquote>" in html and "<strong>Theorem</strong>" in html and "Backward pass of a fully connected layer" in html
    assert "<em>Proof.</em>" in html and "<strong>Exercise</strong>" in html and "<strong>Solution.</strong>" in html
    assert "<strong>Common mistake.</strong>" in html
    assert "<code>linear_backward</code>" in html and "x = 1" in html


def test_display_math_stays_dollar_math_without_its_label():
    text = to_plain_markdown(CHAPTER_CELL, BOOK)
    assert "$$ (fc-eq)" not in text and "\\frac{\\partial L}{\\partial W} = G^\\T X" in text


def test_unknown_glue_keys_and_labels_degrade_to_words_not_markup():
    text = to_plain_markdown("{glue:text}`missing` and {ref}`nowhere`", Book())
    assert text == "missing and nowhere"
