"""The book's own Sphinx extension: notebooks for download and Colab, the
student edition, and small fixes to the rendered site.

* Notebooks: after each build, every executable chapter (a MyST markdown
  notebook) is written as an ``.ipynb`` with jupytext into
  ``<html>/_notebooks/<docname>.ipynb``; its first cell installs ``mlmath``
  when it is missing, so the notebook runs in Colab or Binder. Its markdown
  cells are plain Jupyter Markdown (``plain_markdown.py``): glued numbers
  written in, MyST roles and directives turned into links and headed
  quotations. The Colab launch button is pointed at these notebooks (Colab
  cannot open MyST markdown).
* Student edition (``book_student_edition = True``, see ``make student``):
  the notebooks replace each marked solution region by a stub
  (:func:`mlmath.exercises.stub_solution`) and drop the solutions' prose.
* Thebe: when ``_static/thebe/index.js`` was installed at set-up time
  (``scripts/fetch_thebe.sh``), pages load Thebe from the site itself.
* sphinx-thebe registers its inline configuration script again each time the
  environment is read, so a page can declare ``const THEBE_JS_URL`` twice and
  throw a SyntaxError in the browser: exact duplicate scripts are dropped.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
NOTEBOOK_DIR = "_notebooks"
SOLUTION_START = re.compile(r"^`{3,}\{solution-start\}\s*(\S+)", re.M)
SOLUTION_END = re.compile(r"^`{3,}\{solution-end\}", re.M)

INSTALL_CELL = """# Running this notebook outside the book (Colab, Binder, your laptop)?
# This cell installs the book's library, mlmath, when it is missing.
try:
    import mlmath
except ImportError:
    import subprocess
    import sys

    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "{spec}"])"""


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = (
            getattr(script, "filename", None) or "",
            tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items())),
        )
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    scripts[:] = unique


def _thebe_locally(app, pagename, templatename, context, doctree):
    """Point sphinx-thebe at the copy of Thebe served from ``_static/thebe``."""
    scripts = context.get("script_files")
    if not scripts or not _thebe_source(app):
        return
    from sphinx.builders.html._assets import _JavaScript

    local = context["pathto"]("_static/thebe/index.js", 1)
    for i, script in enumerate(scripts):
        body = getattr(script, "attributes", {}).get("body", "")
        if "THEBE_JS_URL" in body:
            new_body = re.sub(r'const THEBE_JS_URL = "[^"]*"', f'const THEBE_JS_URL = "{local}"', body)
            scripts[i] = _JavaScript(script.filename, priority=script.priority, **{**script.attributes, "body": new_body})


def _colab_to_notebooks(app, pagename, templatename, context, doctree):
    """Make the Colab button open ``_notebooks/<page>.ipynb`` on the published site's branch."""
    branch = app.config.book_notebooks_branch
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if isinstance(group, dict) else []:
            url = button.get("url", "")
            if button.get("text") == "Colab" and "/blob/" in url:
                head = url.split("/blob/")[0]
                button["url"] = f"{head}/blob/{branch}/{NOTEBOOK_DIR}/{pagename}.ipynb"


class RemoveSolutions(SphinxTransform):
    """Student edition: drop every solution from the pages.

    sphinx-exercise's own ``hide_solutions`` breaks on gated solutions
    (``solution-start`` / ``solution-end``: the end node is left without its
    start), so we let it merge the gated solutions first and then remove the
    merged nodes.
    """

    default_priority = 11  # right after sphinx-exercise's MergeGatedSolutions (10)

    def apply(self):
        if not self.config.book_student_edition and self.config.book_show_solutions:
            return
        from sphinx_exercise.nodes import solution_node

        for node in list(self.document.findall(solution_node)):
            node.parent.remove(node)


class OmitSolutionsInPdf(SphinxPostTransform):
    """The PDF edition prints the exercises without their solutions (they stay on the site).

    A post-transform runs per builder on the cached doctrees, so the HTML build keeps them.
    """

    default_priority = 5
    builders = ("latex",)

    def run(self, **kwargs):
        from sphinx_exercise.nodes import solution_node

        for node in list(self.document.findall(solution_node)):
            node.parent.remove(node)


PY_REF = re.compile(r"\{py:(?:func|class|meth|mod)\}`~?(mlmath(?:\.\w+)+)`")


def _index_library_uses(app):
    """Map each ``mlmath`` name to the chapters that reference it with a ``{py:...}`` role."""
    uses: dict[str, set[str]] = {}
    for path in sorted((Path(app.srcdir) / "chapters").rglob("*.md")):
        docname = str(path.relative_to(app.srcdir).with_suffix(""))
        for name in PY_REF.findall(path.read_text(encoding="utf-8")):
            uses.setdefault(name, set()).add(docname)
    app.env.book_library_uses = uses


def _add_used_in(app, what, name, obj, options, lines):
    """Append "Used in:" links to the chapters that use this function, class or module."""
    uses = getattr(app.env, "book_library_uses", {})
    if what == "module":
        docs = set().union(*[d for n, d in uses.items() if n.startswith(name + ".")] or [set()])
    else:
        docs = uses.get(name, set())
    docs = docs & set(app.env.found_docs)  # only chapters that are part of this build
    if docs:
        links = ", ".join(f":doc:`/{d}`" for d in sorted(docs))
        lines.extend(["", f"**Used in:** {links}", ""])


def _thebe_source(app) -> Path | None:
    folder = Path(app.srcdir) / app.config.book_thebe_dir
    return folder if (folder / "index.js").exists() else None


def _pip_spec(app) -> str:
    if app.config.book_mlmath_pip_spec:
        return app.config.book_mlmath_pip_spec
    repo = app.config.html_theme_options.get("repository_url", "").rstrip("/")
    return f"mlmath @ git+{repo}" if repo else "mlmath"


def _strip_solution_prose(text: str, label: str | None) -> tuple[str, str | None]:
    """Drop the lines of ``text`` that belong to a solution; ``label`` says whether we start inside one."""
    kept, skip_fence = [], False
    for line in text.split("\n"):
        if skip_fence:
            skip_fence = False
            if line.strip().startswith("```"):
                continue
        start = SOLUTION_START.match(line)
        if label is None and start:
            label = start.group(1)
            continue
        if label is not None:
            if SOLUTION_END.match(line):
                label, skip_fence = None, True
            continue
        kept.append(line)
    return "\n".join(kept).strip("\n"), label


def chapter_notebook(path: Path, pip_spec: str, student: bool, book=None):
    """The jupytext notebook of one MyST chapter, with an install cell first.

    With ``student``, solution prose is removed and the code of every solution
    has its ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` regions replaced by stubs.
    With ``book`` (a :class:`plain_markdown.Book`), markdown cells are rewritten
    as plain Jupyter Markdown: glued numbers, links to the published pages.
    """
    import jupytext
    from nbformat.v4 import new_code_cell
    from plain_markdown import to_plain_markdown

    from mlmath.exercises import BEGIN, stub_solution

    nb = jupytext.read(path)
    cells = [new_code_cell(INSTALL_CELL.format(spec=pip_spec))]
    label = None  # the exercise whose solution we are inside
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            if student:
                cell.source, label = _strip_solution_prose(cell.source, label)
                if not cell.source.strip():
                    continue
            if book is not None:
                cell.source = to_plain_markdown(cell.source, book)
        elif student and label is not None:
            if BEGIN in cell.source:
                cell.source = stub_solution(cell.source, label)
            else:
                cell.source = f"# {label}: write your solution here"
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    nb.cells = cells
    # mlmath-grade recognises a submission's chapter by this (src/mlmath/grade.py)
    parts = path.resolve().with_suffix("").parts
    chapter = "/".join(parts[parts.index("chapters") :]) if "chapters" in parts else path.stem
    nb.metadata["mlmath"] = {"chapter": chapter, "edition": "student" if student else "full"}
    return nb


def _site_url(app) -> str:
    """The published site: ``book_site_url``, or the GitHub Pages address of ``repository.url``."""
    if app.config.book_site_url:
        return app.config.book_site_url.rstrip("/") + "/"
    repo = app.config.html_theme_options.get("repository_url", "").rstrip("/")
    m = re.match(r"https://github\.com/([^/]+)/([^/]+)$", repo)
    return f"https://{m.group(1)}.github.io/{m.group(2)}/" if m else ""


def _book_for(app, docname: str):
    """What the plain-Markdown notebooks need to know: glued texts, page titles and addresses."""
    import ast
    import json

    from plain_markdown import Book

    site, env = _site_url(app), app.env
    glue = {}
    glue_file = Path(app.outdir).parent / "jupyter_execute" / f"{docname}.glue.json"
    if glue_file.exists():
        for key, output in json.loads(glue_file.read_text(encoding="utf-8")).items():
            plain = output.get("data", {}).get("text/plain", "")
            try:
                value = ast.literal_eval(plain)
            except (ValueError, SyntaxError):
                value = plain
            glue[key] = value if isinstance(value, str) else str(value)
    url = lambda doc, anchor="": f"{site}{doc}.html" + (f"#{anchor}" if anchor else "")
    labels = {}
    for label, (doc, anchor, text) in env.domaindata["std"]["labels"].items():
        labels[label] = (url(doc, anchor), text or label)
    for label, info in getattr(env, "proof_list", {}).items():
        labels[label] = (url(info["docname"], label), info.get("realtype", "statement").title())
    bibliography = next((d for d in env.found_docs if d.endswith("appendices/bibliography")), None)
    if bibliography:
        labels["bibliography"] = (url(bibliography), "Bibliography")
    api = next((d for d in env.found_docs if d.endswith("appendices/api")), None)
    return Book(
        glue=glue,
        doc_urls={d: url(d) for d in env.found_docs},
        doc_titles={d: t.astext() for d, t in env.titles.items()},
        labels=labels,
        docname=docname,
        api_url=url(api) if api else "",
    )


def _write_notebooks(app, exception):
    if exception is not None or app.builder.name != "html":
        return
    import jupytext

    target = Path(app.config.book_notebooks_dir) if app.config.book_notebooks_dir else Path(app.outdir) / NOTEBOOK_DIR
    if not target.is_absolute():
        target = Path(app.srcdir) / target
    written = 0
    for docname in sorted(app.env.found_docs):
        source = Path(app.env.doc2path(docname))
        if source.suffix != ".md" or "kernelspec:" not in source.read_text(encoding="utf-8")[:600]:
            continue
        out = target / f"{docname}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        notebook = chapter_notebook(source, _pip_spec(app), app.config.book_student_edition, _book_for(app, docname))
        jupytext.write(notebook, out, fmt="ipynb")
        written += 1
    LOGGER.info(f"[book_site] wrote {written} chapter notebooks to {target}")
    thebe = _thebe_source(app)
    if thebe:
        shutil.copytree(thebe, Path(app.outdir) / "_static" / "thebe", dirs_exist_ok=True)


def setup(app):
    app.setup_extension("verification")  # the badges and the verification ledger (_ext/verification.py)
    app.add_config_value("book_student_edition", False, "env")
    # Instructors who publish the book for a class can hide the solutions on the site (the
    # exercises stay): book_show_solutions: false under sphinx: config: in _config.yml.
    app.add_config_value("book_show_solutions", True, "env")
    app.add_config_value("book_notebooks_dir", "", "env")
    app.add_config_value("book_notebooks_branch", "gh-pages", "html")
    app.add_config_value("book_mlmath_pip_spec", "", "html")
    app.add_config_value("book_site_url", "", "html")  # default: GitHub Pages of repository.url
    app.add_config_value("book_thebe_dir", ".venv/thebe", "html")
    # html-page-context stops at the first handler that returns a value (the
    # themes do), so these must run early; the Colab fix runs right after
    # sphinx-book-theme builds its launch buttons (priority 501).
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    app.connect("html-page-context", _thebe_locally, priority=101)
    app.connect("html-page-context", _colab_to_notebooks, priority=501)
    app.connect("build-finished", _write_notebooks)
    app.add_transform(RemoveSolutions)
    app.add_post_transform(OmitSolutionsInPdf)
    app.connect("builder-inited", _index_library_uses)
    app.connect("autodoc-process-docstring", _add_used_in)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
