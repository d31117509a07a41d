"""The verification ledger end to end: a tiny book built with the book's own extension.

A checked claim gets a badge that opens to its numbers and code and a row in
the ledger; the strict build fails, naming chapter and label, when a claim
has no check, when a check names a label the chapter does not have, and
when a check's error exceeds its tolerance.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""
CONF = f"""
import sys
sys.path.insert(0, {str(ROOT / "_ext")!r})
extensions = ["myst_nb", "sphinx_proof", "verification"]
import os
nb_execution_mode = "cache"  # as the book: the cache logs the traceback of a failing cell
nb_execution_cache_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "jupyter_cache")
nb_execution_raise_on_error = True
nb_execution_show_tb = True  # as the book: the traceback names the failing check
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
exclude_patterns = ["_build"]
"""
CHECKED = (
    HEADER
    + """
# Checked

```{code-cell} ipython3
from mlmath.book import verify
```

```{prf:theorem} Sum of the first integers
:label: t-thm-gauss

$\\sum_{k=1}^n k = n(n+1)/2$.
```

```{code-cell} ipython3
:tags: [hide-cell]
gap = max(abs(sum(range(1, n + 1)) - n * (n + 1) // 2) for n in range(50))
verify("t-thm-gauss", "enumeration", error=gap, tol=0, unit="count", cases=50)
```

```{prf:proof}
Steps of a proof are checked with their theorem:
$$ \\sum_{k=1}^{n+1} k = \\frac{n(n+1)}{2} + n + 1 $$ (t-step)
```

An amsmath environment (it gets a generated label) is not a claim:

\\begin{align}
a &= b
\\end{align}

```{prf:definition} A definition needs no check
:label: t-def-free
```

$$ e^{i\\pi} = -1 $$ (t-euler)

```{code-cell} ipython3
:tags: [hide-cell]
import cmath
verify("t-euler", "numeric", error=abs(cmath.exp(1j * cmath.pi) + 1), tol=1e-15, unit="abs")
```
"""
)
UNCHECKED = (
    HEADER
    + """
# Unchecked

```{code-cell} ipython3
from mlmath.book import verify
```

```{prf:proposition} Claimed, never checked
:label: t-prop-unchecked

Nothing checks this.
```

```{code-cell} ipython3
verify("t-typo", "numeric", error=0.0, tol=1e-12)
```
"""
)
FAILING = (
    HEADER
    + """
# Failing

```{code-cell} ipython3
from mlmath.book import verify
```

```{prf:lemma} A wrong lemma
:label: t-lem-wrong

$0.1 + 0.2 = 0.3$ exactly in floating point.
```

```{code-cell} ipython3
:tags: [hide-cell]
verify("t-lem-wrong", "numeric", error=abs(0.1 + 0.2 - 0.3), tol=0, unit="abs")
```
"""
)
LEDGER = "# Ledger\n\n```{verification-ledger}\n```\n"


def build(tmp_path: Path, chapters: dict[str, str]) -> tuple[int, str, Path]:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(CONF)
    (src / "index.md").write_text("# Book\n\n```{toctree}\n" + "\n".join([*chapters, "ledger"]) + "\n```\n")
    (src / "ledger.md").write_text(LEDGER)
    for name, text in chapters.items():
        (src / f"{name}.md").write_text(text)
    out = tmp_path / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-n", "-W", "--keep-going", str(src), str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    return result.returncode, result.stdout + result.stderr, out


@pytest.fixture(scope="module")
def checked_book(tmp_path_factory):
    return build(tmp_path_factory.mktemp("checked"), {"checked": CHECKED})


def test_a_fully_checked_book_builds_strictly(checked_book):
    code, log, _ = checked_book
    assert code == 0, log


def test_a_checked_claim_wears_a_badge_that_opens_to_its_numbers_and_code(checked_book):
    page = (checked_book[2] / "checked.html").read_text()
    badges = re.findall(r'<details class="verified-badge">.*?</details>', page, flags=re.S)
    assert len(badges) == 2  # the theorem and the labelled equation; not the definition
    theorem_badge = next(b for b in badges if "exhaustive enumeration" in b)
    assert "checked: exhaustive enumeration, exact" in theorem_badge
    code = re.sub(r"<[^>]+>", "", theorem_badge)
    assert "gap = max(" in code and "#check-t-thm-gauss-1" in theorem_badge
    assert 'id="check-t-thm-gauss-1"' in page  # the collapsed check cell the badge links to


def test_the_ledger_lists_every_check_and_no_unchecked_claim(checked_book):
    ledger = re.sub(r"<[^>]+>", " ", (checked_book[2] / "ledger.html").read_text())
    ledger = re.sub(r"\s+", " ", ledger)
    assert "Claims checked: 2 (2 checks in 1 chapters)" in ledger
    assert "Unchecked claims: 0." in ledger
    assert "Theorem: Sum of the first integers" in ledger and "Equation t-euler" in ledger
    assert "Largest error-to-tolerance ratio" in ledger


def test_an_unchecked_claim_and_a_stray_label_fail_the_strict_build(tmp_path):
    code, log, _ = build(tmp_path, {"unchecked": UNCHECKED})
    assert code != 0
    assert "unchecked claim: proposition 't-prop-unchecked'" in log and "unchecked.md" in log
    assert "verify() names 't-typo'" in log


def test_a_check_beyond_its_tolerance_fails_the_build_naming_label_error_and_tolerance(tmp_path):
    code, log, _ = build(tmp_path, {"failing": FAILING})
    assert code != 0
    assert "failing" in log and "VerificationError" in log
    assert "verify('t-lem-wrong')" in log and "5.55" in log and "tolerance 0.0" in log
