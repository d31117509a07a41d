"""Execute one chapter as the build does, quickly, and report what the build would refuse.

Usage: .venv/bin/python scripts/run_chapter.py chapters/<part>/<name>.md [...]

For each chapter: executes it (jupytext + nbclient, in the chapter's folder,
as MyST-NB does), prints the time taken and every ``verify``/``argued``
record, then lists the labelled claims (theorem, proposition, lemma,
corollary, property, labelled equations) that no record checks, and the
records whose label is not in the chapter. Exits non-zero on a failing cell
or an unchecked claim. The authoritative check is the strict book build
(``_ext/verification.py``); this is the fast loop for authors.
"""

from __future__ import annotations

import html
import json
import re
import sys
import time
from pathlib import Path

CLAIM = re.compile(
    r"^`{3,}\{prf:(theorem|proposition|lemma|corollary|property)\}[^\n]*\n(?::[a-z]+:[^\n]*\n)*?:label:\s*(\S+)", re.M
)
EQ_LABEL = re.compile(r"^\$\$\s*\((\S+)\)\s*$|^`{3,}\{math\}[^\n]*\n(?::[a-z]+:[^\n]*\n)*?:label:\s*(\S+)", re.M)
RECORD = re.compile(r'data-verify="([^"]*)"')


def claims(source: str) -> list[str]:
    labels = [m.group(2) for m in CLAIM.finditer(source)]
    labels += [m.group(1) or m.group(2) for m in EQ_LABEL.finditer(source)]
    return labels


def run(path: Path) -> bool:
    import jupytext
    from nbclient import NotebookClient

    text = path.read_text(encoding="utf-8")
    if not text.startswith("---") or "jupytext:" not in text.split("\n---", 1)[0]:
        print(f"{path}: a plain Markdown page (no jupytext header): the build does not execute it")
        return True
    nb = jupytext.read(path)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    ok = True
    try:
        client.execute()
    except Exception as exc:  # report the failing cell, then carry on with the next chapter
        print(f"{path}: EXECUTION FAILED\n{exc}")
        ok = False
    elapsed = time.perf_counter() - start
    records = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            markup = out.get("data", {}).get("text/html", "")
            records += [json.loads(html.unescape(m)) for m in RECORD.findall(markup)]
    labels = claims(path.read_text(encoding="utf-8"))
    checked = {r["label"] for r in records}
    print(f"{path}: executed in {elapsed:.1f} s, {len(records)} checks")
    for r in records:
        print(f"   {r['label']}: {r['text']}")
    missing = [lab for lab in labels if lab not in checked]
    stray = sorted(checked - set(labels))
    if missing:
        print(f"   UNCHECKED CLAIMS: {', '.join(missing)}")
    if stray:
        print(f"   records whose label is not a claim here (fine for a (label)= target): {', '.join(stray)}")
    return ok and not missing


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    results = [run(Path(p)) for p in argv]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
