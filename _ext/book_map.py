"""The chapters of the book as a dependency graph, read from each chapter's "Prerequisites" line.

Part of the book's tooling in ``_ext/``. Used by the page *A map of the book* (``chapters/map.md``, which draws the
graph) and by ``tests/test_book_map.py`` (every prerequisite names a chapter
of the book; the graph has no cycle; each suggested path respects it).

A chapter's prerequisites are the ``{doc}`` links in the paragraph that
starts with ``**Prerequisites:**`` (up to the next blank line or the
``**Library:**`` line).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from plain_markdown import resolve_doc

ROOT = Path(__file__).resolve().parent.parent
DOC = re.compile(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`")

#: Suggested routes through the book, for readers with one goal. Each is a list of chapters in
#: reading order; the test checks that every chapter's prerequisites come before it on the route
#: (or are on no route the reader needs: foundations chapters are always assumed available).
PATHS = {
    "Deep-learning gradients in six weeks": [
        "chapters/foundations/notation",
        "chapters/foundations/matrix_calculus",
        "chapters/foundations/backprop_graphs",
        "chapters/layers/softmax",
        "chapters/layers/activations",
        "chapters/layers/linear",
        "chapters/signals/convolution",
        "chapters/layers/conv_layers",
        "chapters/layers/pooling",
        "chapters/layers/normalization",
        "chapters/layers/attention",
        "chapters/layers/regularization",
        "chapters/layers/cnn",
    ],
    "Imaging and inverse problems": [
        "chapters/foundations/notation",
        "chapters/foundations/linear_algebra",
        "chapters/signals/convolution",
        "chapters/signals/fourier",
        "chapters/signals/convolution_theorem",
        "chapters/signals/sampling",
        "chapters/optimization/convexity",
        "chapters/optimization/momentum",
        "chapters/signals/inverse_problems",
        "chapters/signals/homography",
        "chapters/signals/image_gradients",
    ],
    "Generative models": [
        "chapters/foundations/notation",
        "chapters/foundations/matrix_calculus",
        "chapters/foundations/probability",
        "chapters/foundations/information_theory",
        "chapters/layers/softmax",
        "chapters/optimization/sgd",
        "chapters/optimization/adaptive",
        "chapters/generative/vae",
        "chapters/generative/flows",
        "chapters/generative/gans",
        "chapters/generative/diffusion",
    ],
}


def toc_chapters(root: Path = ROOT) -> list[tuple[str, str]]:
    """``(docname, part caption)`` of every chapter in ``_toc.yml``, in reading order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    return [(entry["file"], part.get("caption", "")) for part in toc.get("parts", []) for entry in part.get("chapters", [])]


def prerequisites(docname: str, root: Path = ROOT) -> list[str] | None:
    """The chapters ``docname`` names as prerequisites (``None``: the chapter has no such line)."""
    text = (root / f"{docname}.md").read_text(encoding="utf-8")
    m = re.search(r"^\*\*Prerequisites:?\*\*:?(.*?)(?:\n\s*\n|\*\*Library)", text, flags=re.S | re.M)
    if m is None:
        return None
    return [resolve_doc(docname, target.strip()) for target in DOC.findall(m.group(1))]


def title(docname: str, root: Path = ROOT) -> str:
    for line in (root / f"{docname}.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return docname.rsplit("/", 1)[-1]


def graph(root: Path = ROOT) -> dict[str, list[str]]:
    """chapter -> its prerequisites, for every chapter of the table of contents that has a Prerequisites line."""
    return {doc: pre for doc, _ in toc_chapters(root) if (pre := prerequisites(doc, root)) is not None}


def cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """A cycle of the prerequisite graph, as a list of chapters, or ``None``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if state.get(nxt) is None and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in edges:
        if state.get(node) is None and (found := visit(node)):
            return found
    return None


def depth(edges: dict[str, list[str]]) -> dict[str, int]:
    """Longest chain of prerequisites below each chapter (0: needs nothing); the graph must be acyclic."""
    memo: dict[str, int] = {}

    def d(node: str) -> int:
        if node not in memo:
            memo[node] = 1 + max((d(p) for p in edges.get(node, []) if p in edges), default=-1)
        return memo[node]

    return {node: d(node) for node in edges}


def problems(root: Path = ROOT) -> list[str]:
    """What is wrong with the prerequisites: unknown chapters, a cycle, routes that break the order."""
    chapters = {doc for doc, _ in toc_chapters(root)}
    edges = graph(root)
    found = [
        f"{doc}: prerequisite {pre!r} is not a chapter of the book"
        for doc, pres in edges.items()
        for pre in pres
        if pre not in chapters
    ]
    loop = cycle(edges)
    if loop:
        found.append("the prerequisites form a cycle: " + " -> ".join(loop))
    for name, route in PATHS.items():
        missing = [doc for doc in route if doc not in chapters]
        found += [f"route {name!r}: {doc} is not a chapter of the book" for doc in missing]
        seen: set[str] = set()
        for doc in route:
            late = [p for p in edges.get(doc, []) if p in route and p not in seen]
            found += [f"route {name!r}: {doc} comes before its prerequisite {p}" for p in late]
            seen.add(doc)
    return found
