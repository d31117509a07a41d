"""The PDF edition (`make pdf`): it exists, has a book's length, and its text reads as a book.

Checked on the text pdftotext extracts: the parts' and chapters' headings are there, numbered
theorems and figures too, and no raw TeX or MyST syntax leaked into the pages.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PDF = ROOT / "_build" / "latex" / "mlmath-book.pdf"


@pytest.fixture(scope="module")
def pages():
    if not PDF.exists():
        pytest.fail(f"no PDF at {PDF}: run `make pdf`")
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext missing: scripts/ensure_latex.sh installs poppler-utils")
    text = subprocess.run(["pdftotext", "-layout", str(PDF), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")


def test_the_pdf_has_a_books_length(pages):
    assert 300 <= len(pages) <= 3000, len(pages)


def test_the_chapters_are_there(pages):
    text = "\n".join(pages)
    for heading in [
        "Notation and the layout convention",
        "Linear algebra",
        "Discrete convolution",
        "Fully connected layers",
        "Optimal transport",
        "Errata",
        "Verification ledger",
        "Bibliography",
    ]:
        assert heading.lower() in text.lower(), heading


def test_theorems_figures_and_exercises_are_numbered(pages):
    text = "\n".join(pages)
    # LaTeX names figures "Fig. <chapter>.<n>"
    assert re.search(r"Theorem \d+", text) and re.search(r"Fig\. \d+\.\d+", text) and re.search(r"Exercise \d+", text)


def test_no_raw_tex_or_myst_in_the_text(pages):
    # the API reference quotes MyST syntax on purpose (mlmath.book's docstrings): its chapter is exempt
    start = next(i for i, page in enumerate(pages) if i > 10 and "API reference: mlmath" in page)
    end = next((i for i, page in enumerate(pages) if i > start and "Bibliography" in page), len(pages))
    text = "\n".join(pages[:start] + pages[end:])
    leaks = [
        pattern
        for pattern in (r"\{glue:", r"\{prf:", r"\{doc\}", r"\{ref\}", r"```", r"\\begin\{", r"\\frac\{", r"\$\$", r":label:")
        if re.search(pattern, text)
    ]
    assert not leaks, leaks
