"""The verification ledger: a "checked" badge on every claim, and a build that refuses unchecked claims.

Data flows one way. A chapter checks a claim with :func:`mlmath.book.verify`
(or records :func:`mlmath.book.argued`) in a collapsed cell; the call
displays a record whose HTML carries its data (``data-verify``). When a
chapter has been read, this extension

* collects the records of the chapter, with the code of the cell that made
  each one;
* finds the chapter's claims: ``{prf:theorem}``, ``proposition``, ``lemma``,
  ``corollary``, ``property`` and labelled display equations (a labelled
  equation inside a ``{prf:definition}`` or with the class ``definition``
  is a definition and exempt);
* warns (so the strict build fails, naming the chapter and the label) for
  a claim without a label, a claim no record checks, and a record whose
  label is neither a claim nor a ``(label)=`` target of the chapter;
* attaches a badge to each checked claim: a ``<details>`` element whose
  summary says how the claim was checked and how closely, and which opens
  to the measured numbers and the code of the check;
* remembers the records, from which ``{verification-ledger}`` renders the
  appendix *Verification ledger*: totals, then one row per check.
"""

from __future__ import annotations

import functools
import html
import json
import re
import time
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
CLAIM_TYPES = ("theorem", "proposition", "lemma", "corollary", "property")
RECORD = re.compile(r'data-verify="([^"]*)"')
AUTO_LABEL = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
STATIC = Path(__file__).parent / "static"
SECONDS = [0.0]  # time spent in this extension's handlers during this build (see report())


def timed(handler):
    """Count the handler's time, so the build can say what the mechanism costs."""

    @functools.wraps(handler)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return handler(*args, **kwargs)
        finally:
            SECONDS[0] += time.perf_counter() - start

    return wrapper


class verified_badge(nodes.General, nodes.Element):
    """The badge of one claim: ``summary`` (text) and the panel (children)."""


class ledger_placeholder(nodes.General, nodes.Element):
    """Where ``{verification-ledger}`` puts the ledger once every chapter has been read."""


class LedgerDirective(Directive):
    has_content = False

    def run(self):
        return [ledger_placeholder()]


# --- reading a chapter --------------------------------------------------------------------


def _cell_of(node):
    while node is not None and not (isinstance(node, nodes.container) and node.get("nb_element") == "cell_code"):
        node = node.parent
    return node


def _cell_code(cell) -> str:
    for child in cell.findall(nodes.container):
        if child.get("nb_element") == "cell_code_source":
            return child.astext()
    return ""


def _records(doctree) -> list[dict]:
    records, seen = [], set()
    for raw in doctree.findall(nodes.raw):
        for payload in RECORD.findall(raw.astext()):
            record = json.loads(html.unescape(payload))
            key = (record["label"], record["index"])
            if key in seen:  # one display, one record (the mime bundle is read once per output)
                continue
            seen.add(key)
            cell = _cell_of(raw)
            record["code"] = _cell_code(cell) if cell is not None else ""
            record["anchor"] = f"check-{record['label']}-{record['index']}"
            record["line"] = raw.line or (cell.line if cell is not None else None)
            records.append(record)
    return records


def _inside(node, realtypes) -> bool:
    """Whether ``node`` sits in a ``{prf:...}`` box of one of ``realtypes`` (an equation in a definition
    defines; one in a proof is a step of the argument, checked with its theorem)."""
    from sphinx_proof.nodes import proof_node

    while node is not None:
        if isinstance(node, nodes.Element) and node.get("realtype") in realtypes:
            return True
        if "proof" in realtypes and isinstance(node, proof_node):  # {prf:proof} nodes carry no realtype
            return True
        node = node.parent
    return False


def _claims(doctree) -> list[tuple[nodes.Element, str, str, str]]:
    """``(node, kind, label, title)`` of every claim of a chapter, in reading order."""
    found = []
    for node in doctree.findall(nodes.Element):
        realtype = node.get("realtype")
        if realtype in CLAIM_TYPES and node.get("countertype") is not None:
            label = node.get("label", "")
            explicit = bool(label) and not re.fullmatch(rf"{realtype}-\d+", label)
            title = node.get("title", "").strip()
            if title.startswith("(") and title.endswith(")"):  # sphinx-proof's title format " (%t)"
                title = title[1:-1]
            found.append((node, realtype, label if explicit else "", title))
        elif isinstance(node, nodes.math_block) and node.get("label"):
            if AUTO_LABEL.match(node["label"]):  # amsmath environments get a generated label: not a claim
                continue
            if "definition" in node.get("classes", []) or _inside(node.parent, ("definition", "proof")):
                continue
            found.append((node, "equation", node["label"], ""))
    return found


def _targets(doctree) -> dict[str, nodes.Element]:
    """Elements that carry a ``(label)=`` target (by name), for claims made in the prose."""
    targets = {}
    for node in doctree.findall(nodes.Element):
        if isinstance(node, nodes.target):
            continue
        for name in node.get("names", []) + node.get("ids", []):
            targets.setdefault(name, node)
    return targets


def _summary(records: list[dict]) -> str:
    first = max(records, key=_ratio)
    if first["method"] == "argued":
        return first["text"]
    more = f" · {len(records) - 1} more" if len(records) > 1 else ""
    return f"checked: {first['text']}{more}"


def _ratio(record: dict) -> float:
    if record["method"] == "argued":
        return -1.0
    if record["tol"] == 0:
        return 0.0
    return record["error"] / record["tol"]


def _detail_text(record: dict) -> str:
    words = [record["text"]]
    if record["method"] != "argued":
        words.append(f"tolerance {record['tol_text']}")
    for key, value in record.get("details", {}).items():
        if key not in ("peer", "samples", "quantity"):
            words.append(f"{key} {value}")
    if record.get("refutes") is not None:
        words.append(f"the common mistake is off by {record['refutes']:.2g}")
    return " · ".join(words)


def _badge(records: list[dict]) -> verified_badge:
    badge = verified_badge(summary=_summary(records), argued=all(r["method"] == "argued" for r in records))
    panel = nodes.container(classes=["verified-panel"])
    items = nodes.bullet_list()
    for record in records:
        item = nodes.list_item()
        para = nodes.paragraph()
        para += nodes.Text(_detail_text(record) + " ")
        para += nodes.reference("", "(in the page)", refuri=f"#{record['anchor']}", classes=["verified-goto"])
        item += para
        items += item
    panel += items
    codes = []
    for record in records:
        if record["code"] and record["code"] not in codes:
            codes.append(record["code"])
    for code in codes:
        block = nodes.literal_block(code, code, language="ipython3", classes=["verified-code"])
        panel += block
    badge += panel
    return badge


@timed
def read_chapter(app, doctree):
    """Collect the chapter's records, refuse unchecked claims, attach the badges."""
    env, docname = app.env, app.env.docname
    records = _records(doctree)
    claims = _claims(doctree)
    by_label: dict[str, list[dict]] = {}
    for record in records:
        by_label.setdefault(record["label"], []).append(record)

    claim_rows, unchecked = [], []
    claim_labels = set()
    for node, kind, label, title in claims:
        if not label:
            LOGGER.warning(
                f"{kind} without a :label: cannot be verified: give it a label and a verify() check",
                location=node,
                type="mlmath",
                subtype="unchecked",
            )
            unchecked.append({"label": "", "kind": kind, "title": title})
            continue
        claim_labels.add(label)
        mine = by_label.get(label, [])
        if not mine:
            LOGGER.warning(
                f"unchecked claim: {kind} '{label}' has no verify() check in {docname} "
                "(add a hide-cell with mlmath.book.verify after it; see CONTRIBUTING.md)",
                location=node,
                type="mlmath",
                subtype="unchecked",
            )
            unchecked.append({"label": label, "kind": kind, "title": title})
            continue
        _attach(node, kind, _badge(mine))
        claim_rows.append({"label": label, "kind": kind, "title": title})

    targets = _targets(doctree)
    for label, mine in by_label.items():
        if label in claim_labels:
            continue
        node = targets.get(label)
        if node is None:
            LOGGER.warning(
                f"verify() names '{label}', which is neither a claim nor a (label)= target in {docname}",
                location=(docname, mine[0]["line"]),
                type="mlmath",
                subtype="stray",
            )
            continue
        _attach(node, "claim", _badge(mine))
        title = node[0].astext() if isinstance(node, nodes.section) and len(node) else node.astext()
        claim_rows.append({"label": label, "kind": "claim", "title": title.split("\n")[0][:90]})

    if not hasattr(env, "mlmath_verify"):
        env.mlmath_verify = {}
    env.mlmath_verify[docname] = {
        "claims": claim_rows,
        "records": [{k: v for k, v in r.items() if k != "code"} for r in records],
        "unchecked": unchecked,
    }


def _attach(node, kind, badge):
    """Inside a theorem-like box: at the end of its content. Elsewhere: right after the node."""
    if kind in CLAIM_TYPES:
        content = [c for c in node.children if isinstance(c, nodes.section)]
        (content[-1] if content else node).append(badge)
    elif isinstance(node, nodes.section):  # a (label)= target on a heading: at the end of the section
        node.append(badge)
    else:
        node.parent.insert(node.parent.index(node) + 1, badge)


# --- the environment across chapters ------------------------------------------------------


def purge(app, env, docname):
    getattr(env, "mlmath_verify", {}).pop(docname, None)


def merge(app, env, docnames, other):
    if not hasattr(env, "mlmath_verify"):
        env.mlmath_verify = {}
    env.mlmath_verify.update({d: v for d, v in getattr(other, "mlmath_verify", {}).items() if d in docnames})


def ledger_always_outdated(app, env, added, changed, removed):
    """The ledger summarises every chapter, so it is rebuilt whenever anything was read."""
    ledgers = [d for d, path in ((d, env.doc2path(d)) for d in env.found_docs) if d.endswith("appendices/verification")]
    return ledgers if (added or changed or removed) else []


# --- rendering ----------------------------------------------------------------------------


def visit_badge_html(self, node):
    mark = "≈" if node["argued"] else "✓"
    cls = "verified-badge argued" if node["argued"] else "verified-badge"
    self.body.append(
        f'<details class="{cls}"><summary><span class="verified-mark" aria-hidden="true">{mark}</span> '
        f'<span class="verified-text">{self.encode(node["summary"])}</span></summary>'
    )


def depart_badge_html(self, node):
    self.body.append("</details>")


def visit_badge_latex(self, node):
    self.body.append(r"\par{\raggedleft\footnotesize\emph{" + self.encode(node["summary"]) + r"}\par}")
    raise nodes.SkipNode


def visit_badge_skip(self, node):
    raise nodes.SkipNode


def _reading_order(env) -> list[str]:
    order, seen = [], set()

    def walk(doc):
        if doc in seen:
            return
        seen.add(doc)
        order.append(doc)
        for child in env.toctree_includes.get(doc, []):
            walk(child)

    walk(env.config.root_doc)
    return order + sorted(d for d in getattr(env, "mlmath_verify", {}) if d not in seen)


def _link(app, fromdoc, todoc, anchor, text):
    uri = app.builder.get_relative_uri(fromdoc, todoc) + (f"#{anchor}" if anchor else "")
    para = nodes.paragraph()
    para += nodes.reference("", text, refuri=uri, internal=True)
    return para


def _cell(content) -> nodes.entry:
    entry = nodes.entry()
    entry += content if isinstance(content, nodes.Node) else nodes.paragraph(text=str(content))
    return entry


def ledger_nodes(app, fromdoc) -> list[nodes.Node]:
    from mlmath.book import METHODS

    env = app.env
    data = getattr(env, "mlmath_verify", {})
    rows, per_method, worst, n_claims, unchecked = [], {}, None, 0, []
    for doc in _reading_order(env):
        if doc not in data:
            continue
        entry = data[doc]
        titles = {c["label"]: c for c in entry["claims"]}
        n_claims += len(entry["claims"])
        unchecked += [(doc, u) for u in entry["unchecked"]]
        for record in entry["records"]:
            claim = titles.get(record["label"])
            if claim is None:
                continue
            method = (
                "argued, not computed"
                if record["method"] == "argued"
                else (record["details"].get("peer") if record["method"] == "peer" else METHODS[record["method"]])
            )
            per_method[method] = per_method.get(method, 0) + 1
            if record["method"] != "argued" and (worst is None or _ratio(record) > _ratio(worst[1])):
                worst = (doc, record)
            rows.append((doc, claim, record, method))

    out: list[nodes.Node] = []
    totals = nodes.bullet_list()

    def total(text, *extra):
        item, para = nodes.list_item(), nodes.paragraph(text=text)
        for node in extra:
            para += node
        item += para
        totals.append(item)

    total(
        f"Claims checked: {n_claims - sum(1 for *_, m in rows if m == 'argued, not computed')} "
        f"({len(rows)} checks in {len({d for d, *_ in rows})} chapters)."
    )
    total("Checks per method: " + ", ".join(f"{m} {n}" for m, n in sorted(per_method.items(), key=lambda x: -x[1])) + ".")
    if worst is not None:
        doc, record = worst
        link = nodes.reference(
            "", record["label"], refuri=app.builder.get_relative_uri(fromdoc, doc) + f"#{record['anchor']}", internal=True
        )
        total(f"Largest error-to-tolerance ratio: {_ratio(record):.2g} (", link, nodes.Text(")."))
    total(f"Unchecked claims: {len(unchecked)}.")
    out.append(totals)

    table = nodes.table(classes=["verification-ledger"])
    group = nodes.tgroup(cols=7)
    table += group
    for width in (14, 24, 14, 12, 10, 8, 8):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    row = nodes.row()
    for name in ("Chapter", "Claim", "Method", "Measured", "Tolerance", "Seed", "Check"):
        row += _cell(name)
    head += row
    group += head
    body = nodes.tbody()
    for doc, claim, record, method in rows:
        row = nodes.row()
        row += _cell(_link(app, fromdoc, doc, "", env.titles[doc].astext() if doc in env.titles else doc))
        name = f"{claim['kind'].title()}: {claim['title']}" if claim["title"] else f"{claim['kind'].title()} {claim['label']}"
        row += _cell(_link(app, fromdoc, doc, claim["label"], name))
        row += _cell(method)
        measured = record["text"].split(", ", 1)[1] if ", " in record["text"] and record["method"] != "argued" else record["text"]
        row += _cell(measured)
        row += _cell(record["tol_text"] or "–")
        row += _cell(str(record["details"].get("seed", "–")))
        row += _cell(_link(app, fromdoc, doc, record["anchor"], "code"))
        body += row
    group += body
    out.append(table)
    for doc, claim in unchecked:
        out.append(nodes.paragraph(text=f"Unchecked: {claim['kind']} {claim['label'] or '(no label)'} in {doc}"))
    return out


@timed
def fill_ledger(app, doctree, docname):
    for node in list(doctree.findall(ledger_placeholder)):
        node.replace_self(ledger_nodes(app, docname))


def report(app, exception):
    """One line at the end of the build: claims, checks, unchecked claims, and the extension's time."""
    if exception is not None:
        return
    data = getattr(app.env, "mlmath_verify", {}).values()
    claims = sum(len(d["claims"]) for d in data)
    checks = sum(len(d["records"]) for d in data)
    unchecked = sum(len(d["unchecked"]) for d in data)
    LOGGER.info(
        f"[verification] {claims} claims, {checks} checks, {unchecked} unchecked; "
        f"{SECONDS[0]:.2f} s in the verification extension"
    )


def add_static(app, config):
    config.html_static_path.append(str(STATIC))


def setup(app):
    app.add_node(
        verified_badge,
        html=(visit_badge_html, depart_badge_html),
        latex=(visit_badge_latex, None),
        text=(visit_badge_skip, None),
        man=(visit_badge_skip, None),
        texinfo=(visit_badge_skip, None),
    )
    app.add_node(ledger_placeholder)
    app.add_directive("verification-ledger", LedgerDirective)
    app.connect("config-inited", add_static)
    app.connect("doctree-read", read_chapter)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-get-outdated", ledger_always_outdated)
    app.connect("doctree-resolved", fill_ledger)
    app.connect("build-finished", report)
    app.add_css_file("verification.css")
    app.add_js_file("verification.js", loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
