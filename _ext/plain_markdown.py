"""MyST markdown to plain Jupyter Markdown, for the notebooks readers download or open in Colab.

Jupyter and Colab render CommonMark (plus dollar math), not MyST, so a
chapter's markdown cells would show ``{glue:text}`key``` roles, ``{prf:theorem}``
fences and ``{doc}`` roles as raw text. :func:`to_plain_markdown` rewrites
them:

* glued values become the text the build computed (the reader's run of the
  cells recomputes them);
* ``{doc}``, ``{ref}``, ``{prf:ref}``, ``{numref}``, ``{eq}`` become links to
  the published pages, ``{cite}`` a link to the bibliography, ``{py:func}``
  and friends inline code;
* theorem-like, exercise and admonition blocks become headed quotations,
  proofs and solutions a headed paragraph; ``literalinclude`` becomes a
  link to the library's source; targets ``(label)=`` become HTML anchors.

The function is pure: everything it needs to know about the book comes in
a :class:`Book` (glue texts, titles and addresses of pages and labels).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PROOF_KINDS = {
    "theorem",
    "proposition",
    "lemma",
    "corollary",
    "definition",
    "property",
    "example",
    "remark",
    "conjecture",
    "observation",
    "criterion",
    "axiom",
    "assumption",
    "notation",
    "algorithm",
}
ADMONITIONS = {"note", "warning", "tip", "important", "caution", "attention", "hint", "seealso", "danger", "error"}
ROLE = re.compile(r"\{([\w:-]+)\}`([^`]*)`")
OPEN_FENCE = re.compile(r"^(?P<indent>\s*)(?P<marker>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)$")
OPTION = re.compile(r"^\s*:([\w-]+):\s*(.*)$")


@dataclass
class Book:
    """What the conversion needs to know about the built book."""

    glue: dict[str, str] = field(default_factory=dict)  # key -> text the build pasted
    doc_urls: dict[str, str] = field(default_factory=dict)  # docname -> absolute address
    doc_titles: dict[str, str] = field(default_factory=dict)
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (address with #anchor, text)
    docname: str = ""  # the chapter being converted (relative {doc} paths start here)
    api_url: str = ""  # the API reference page

    def doc(self, target: str) -> tuple[str, str]:
        name = resolve_doc(self.docname, target)
        return self.doc_urls.get(name, target), self.doc_titles.get(name, target)


def resolve_doc(current: str, target: str) -> str:
    """The docname a ``{doc}`` target written in ``current`` points to (relative or ``/``-absolute)."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = current.split("/")[:-1]
    for piece in target.split("/"):
        if piece == "..":
            parts = parts[:-1]
        elif piece not in (".", ""):
            parts.append(piece)
    return "/".join(parts)


def _split_explicit(text: str) -> tuple[str | None, str]:
    """``'words <target>'`` -> ``('words', 'target')``; ``'target'`` -> ``(None, 'target')``."""
    m = re.fullmatch(r"\s*(.*?)\s*<([^<>]+)>\s*", text, flags=re.S)
    return (m.group(1), m.group(2)) if m else (None, text.strip())


def _role(book: Book, name: str, text: str) -> str:
    if name.startswith("glue"):
        key = text.split("::")[-1].strip()
        value = book.glue.get(key, key)
        return f"${value}$" if name == "glue:math" else value
    if name == "doc":
        words, target = _split_explicit(text)
        url, title = book.doc(target)
        return f"[{words or title}]({url})"
    if name in ("ref", "prf:ref", "numref", "eq", "term"):
        words, target = _split_explicit(text)
        url, default = book.labels.get(target, ("", target))
        words = (words or default).replace("{number}", "").replace("%s", "").strip() or default
        if name == "eq":
            words = f"({default})" if default != target else "the equation"
        return f"[{words}]({url})" if url else words
    if name == "cite":
        keys = [k.strip() for k in text.split(",")]
        url = book.labels.get("bibliography", ("", ""))[0]
        return "[" + "; ".join(keys) + "]" + (f"({url})" if url else "")
    if name == "math":
        return f"${text}$"
    if name.startswith("py:"):
        return f"`{text.lstrip('~').split('.')[-1] if text.startswith('~') else text}`"
    return text  # an unknown role: keep its text, drop the markup


def convert_roles(book: Book, line: str) -> str:
    return ROLE.sub(lambda m: _role(book, m.group(1), m.group(2)), line)


def _heading(name: str, arg: str, options: dict[str, str]) -> str:
    kind = name.split(":", 1)[-1]
    if name.startswith("prf:") and kind in PROOF_KINDS:
        return f"**{kind.title()}**" + (f" **({arg})**" if arg else "") + "."
    if name == "prf:proof":
        return "*Proof.*"
    if name == "exercise":
        return "**Exercise**" + (f" **({arg})**" if arg else "") + "."
    if name in ("solution", "solution-start"):
        return "**Solution.**"
    if name == "admonition":
        return f"**{arg}.**" if arg else ""
    if name in ADMONITIONS:
        return f"**{name.title()}.**" + (f" {arg}" if arg else "")
    return f"**{arg}**" if arg else ""


def to_plain_markdown(text: str, book: Book) -> str:
    """One markdown cell of a MyST chapter, as CommonMark with dollar math."""
    out: list[str] = []
    stack: list[dict] = []  # open directive blocks: marker, quote (prefix lines with '> ')
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        opened = OPEN_FENCE.match(line)
        if stack and stripped == stack[-1]["marker"]:  # a directive closes
            block = stack.pop()
            if block["kind"] == "code":
                out.append(_prefix(stack) + block.get("close", "```"))
            out.append(_prefix(stack) if stack else "")
            i += 1
            continue
        if stack and stack[-1]["kind"] == "code":  # inside a code or math block: verbatim
            out.append(_prefix(stack[:-1]) + line)
            i += 1
            continue
        if opened:
            name, arg, marker = opened.group("name"), opened.group("arg").strip(), opened.group("marker")
            options, j = {}, i + 1
            while j < len(lines) and OPTION.match(lines[j]):
                key, value = OPTION.match(lines[j]).groups()
                options[key] = value
                j += 1
            i = j
            if name in ("solution-end",):
                # the closing fence of a solution-end marker: skip it
                while i < len(lines) and lines[i].strip() != marker:
                    i += 1
                i += 1
                continue
            if name == "solution-start":
                while i < len(lines) and lines[i].strip() != marker:
                    i += 1
                i += 1
                out.append(_prefix(stack) + "**Solution.**")
                out.append(_prefix(stack))
                continue
            if name in ("code-block", "code", "math", "literalinclude"):
                if name == "literalinclude":
                    what = options.get("pyobject", arg.rsplit("/", 1)[-1])
                    link = f"[the API reference]({book.api_url})" if book.api_url else "the library"
                    out.append(_prefix(stack) + f"*The library's `{what}` (see {link}).*")
                    while i < len(lines) and lines[i].strip() != marker:
                        i += 1
                    i += 1
                    continue
                fence = "$$" if name == "math" else "```" + (arg or "")
                out.append(_prefix(stack) + fence)
                stack.append({"marker": marker, "kind": "code", "close": "$$" if name == "math" else "```"})
                continue
            quote = name not in ("prf:proof", "solution")
            heading = _heading(name, convert_roles(book, arg), options)
            anchor = f'<a id="{options["label"]}"></a>' if "label" in options else ""
            prefix = _prefix(stack)
            if quote:
                out.append(prefix + "> " + (anchor + heading).strip())
                out.append(prefix + ">")
            else:
                out.append(prefix + (anchor + heading).strip())
                out.append(prefix)
            stack.append({"marker": marker, "kind": "quote" if quote else "plain"})
            continue
        target = re.fullmatch(r"\(([^()\s]+)\)=", stripped)
        if target:
            out.append(_prefix(stack) + f'<a id="{target.group(1)}"></a>')
            i += 1
            continue
        line = re.sub(r"\$\$\s*\(([^()\s]+)\)\s*$", "$$", line)  # a labelled display equation
        out.append(_prefix(stack) + convert_roles(book, line))
        i += 1
    return "\n".join(out)


def _prefix(stack: list[dict]) -> str:
    return "".join("> " for block in stack if block["kind"] == "quote")
