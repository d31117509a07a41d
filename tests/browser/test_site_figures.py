"""Every figure of the built site is numbered and captioned, and its alt text says what it shows."""

import re

import pytest
from bs4 import BeautifulSoup

from .conftest import SITE

PAGES = sorted(p for p in (SITE / "chapters").rglob("*.html"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(SITE)))
def test_every_output_figure_has_a_caption_and_alt_text(page):
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    problems = []
    for img in soup.select("div.cell_output img, figure img"):
        figure = img.find_parent("figure")
        if figure is None or figure.find("figcaption") is None:
            problems.append(f"uncaptioned figure {img.get('src')}")
            continue
        if not figure.find("figcaption").find(class_="caption-number"):
            problems.append(f"unnumbered figure {img.get('src')}")
        alt = (img.get("alt") or "").strip()
        if not alt or re.search(r"\.(png|jpe?g|svg)$", alt) or "_images/" in alt or alt.startswith(("../", "/")):
            problems.append(f"alt text {alt!r} of {img.get('src')} does not describe the figure")
    assert not problems, problems
