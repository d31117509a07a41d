"""Small fixes to the rendered site, kept in one place.

* sphinx-thebe registers its inline configuration script again each time the
  environment is read, so a page can declare ``const THEBE_JS_URL`` twice and
  throw a SyntaxError in the browser. We drop exact duplicate script entries
  from each page.
"""

from __future__ import annotations


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = (getattr(script, "filename", None) or "", tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    scripts[:] = unique


def setup(app):
    # html-page-context stops at the first handler that returns a value (the
    # themes do), so this one must run early.
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
