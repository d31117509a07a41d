"""Open every page of the built site in headless Chromium and fail on anything a reader would notice.

Per page: console errors and uncaught exceptions, failed requests, HTTP errors,
any request to a host other than localhost (the site must work offline),
MathJax errors, math left unrendered, and images that did not load.
Screenshots of the pilot chapters go to _build/screenshots/.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from .conftest import SCREENSHOTS, SITE

PAGES = sorted(str(p.relative_to(SITE)) for p in SITE.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)
SCREENSHOT_PAGES = {
    "chapters/signals/convolution.html": "convolution.png",
    "chapters/layers/softmax.html": "softmax.png",
}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

# Visible text with code, scripts and rendered math removed; raw TeX delimiters left in it mean unrendered math.
_VISIBLE_TEXT_JS = """() => {
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, mjx-assistive-mml, .MathJax, textarea').forEach(e => e.remove());
  return clone.textContent;
}"""

_IMAGES_JS = """() => Array.from(document.images)
  .filter(img => !(img.complete && img.naturalWidth > 0))
  .map(img => img.getAttribute('src'))"""

_MATHJAX_JS = """async () => {
  if (typeof window.MathJax === 'undefined' || !window.MathJax.startup) return {present: false, errors: 0, rendered: 0};
  await window.MathJax.startup.promise;
  if (window.MathJax.typesetPromise) { await window.MathJax.typesetPromise(); }
  return {present: true,
          errors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
          rendered: document.querySelectorAll('mjx-container').length};
}"""


def test_site_has_the_expected_pages():
    for page in ["index.html", "search.html", "genindex.html", *SCREENSHOT_PAGES]:
        assert page in PAGES, f"{page} missing from the built site"


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_offline_without_errors(page, browser, site_url):
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()

    def route(route_):
        host = urlparse(route_.request.url).hostname
        if route_.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route_.continue_()
        else:
            problems.append(f"request to another host: {route_.request.url}")
            route_.abort()

    tab.route("**/*", route)
    tab.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: problems.append(f"uncaught exception: {exc}"))
    tab.on(
        "requestfailed",
        lambda req: (
            problems.append(f"request failed: {req.url} ({req.failure})") if urlparse(req.url).hostname in LOCAL_HOSTS else None
        ),
    )
    tab.on("response", lambda resp: problems.append(f"HTTP {resp.status}: {resp.url}") if resp.status >= 400 else None)

    # networkidle also lets a meta-refresh page (index.html) reach its target first.
    tab.goto(f"{site_url}/{page}", wait_until="networkidle")
    mathjax = tab.evaluate(_MATHJAX_JS)
    if mathjax["errors"]:
        problems.append(f"{mathjax['errors']} MathJax error(s)")
    text = tab.evaluate(_VISIBLE_TEXT_JS)
    for delimiter in ("\\(", "\\)", "\\[", "\\]", "$$"):
        if delimiter in text:
            at = text.index(delimiter)
            problems.append(f"unrendered math {delimiter!r} near: {text[max(0, at - 60) : at + 60]!r}")
    broken = tab.evaluate(_IMAGES_JS)
    if broken:
        problems.append(f"images that did not load: {broken}")
    if page in SCREENSHOT_PAGES:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / SCREENSHOT_PAGES[page]), full_page=True)
        assert mathjax["present"] and mathjax["rendered"] > 20, f"expected rendered math on {page}, got {mathjax}"
    context.close()
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


def test_live_code_loads_thebe_from_the_site(browser, site_url):
    """The "Live Code" button loads Thebe from _static/thebe on this host, not from a CDN.

    Thebe then asks Binder for a kernel; that request (to another host, on a
    reader's click) is the one allowed exception and is aborted here.
    """
    context = browser.new_context()
    tab = context.new_page()
    scripts, errors = [], []
    tab.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname in LOCAL_HOSTS else r.abort())
    tab.on(
        "response",
        lambda resp: scripts.append((resp.url, resp.status)) if "thebe" in resp.url and resp.url.endswith(".js") else None,
    )
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(f"{site_url}/chapters/layers/softmax.html", wait_until="networkidle")
    assert tab.locator("button.btn-launch-thebe").count() >= 1  # "Live Code" in the launch menu
    tab.evaluate("initThebeSBT()")  # what that button does
    tab.wait_for_function("typeof window.thebelab !== 'undefined'", timeout=20000)
    context.close()
    loaded = [url for url, status in scripts if url.endswith("_static/thebe/index.js") and status == 200]
    assert loaded and all(urlparse(url).hostname in LOCAL_HOSTS for url, _ in scripts)
    assert not [e for e in errors if "THEBE" in e or "thebe" in e]


def test_search_works_offline(browser, site_url):
    context = browser.new_context()
    tab = context.new_page()
    tab.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname in LOCAL_HOSTS else r.abort())
    tab.goto(f"{site_url}/search.html?q=Toeplitz", wait_until="networkidle")
    tab.wait_for_selector("#search-results ul.search li", timeout=20000)
    hits = tab.locator("#search-results ul.search li a").all_inner_texts()
    context.close()
    assert any("convolution" in hit.lower() for hit in hits), hits


BADGE_PAGES = ["chapters/layers/linear.html", "chapters/signals/fourier.html", "chapters/optimization/convexity.html"]

_CONTRAST_JS = """(el) => {
  function rgb(s) { return s.match(/[\\d.]+/g).slice(0, 3).map(Number); }
  function lum(c) { const v = c.map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
                    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; }
  const style = getComputedStyle(el);
  let bg = style.backgroundColor, node = el;
  while (bg === 'rgba(0, 0, 0, 0)' && node.parentElement) { node = node.parentElement; bg = getComputedStyle(node).backgroundColor; }
  const a = lum(rgb(style.color)), b = lum(rgb(bg));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.mark.parametrize("page", BADGE_PAGES)
def test_a_badge_opens_by_keyboard_to_the_checks_code_and_numbers(page, browser, site_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname in LOCAL_HOSTS else r.abort())
    tab.goto(f"{site_url}/{page}", wait_until="networkidle")
    badges = tab.locator("details.verified-badge")
    assert badges.count() >= 1, f"no verified badge on {page}"
    badge = badges.first
    summary = badge.locator("summary")
    assert "checked:" in summary.inner_text()
    box_before = tab.locator("h1").first.bounding_box()
    summary.focus()
    tab.keyboard.press("Enter")
    assert badge.evaluate("el => el.open"), "Enter on the badge did not open it"
    panel = badge.locator(".verified-panel")
    assert panel.is_visible()
    text = panel.inner_text()
    assert "tolerance" in text and "verify(" in text, text[:400]
    assert tab.locator("h1").first.bounding_box() == box_before  # opening it moves nothing above it
    for theme in ("light", "dark"):
        tab.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
        tab.wait_for_timeout(400)
        ratio = summary.locator(".verified-text").evaluate(_CONTRAST_JS)
        assert ratio >= 4.5, f"badge text contrast {ratio:.2f} in the {theme} theme"
    # the link in the panel leads to the collapsed check cell and opens it
    panel.locator("a.verified-goto").first.click()
    target = tab.evaluate("decodeURIComponent(location.hash.slice(1))")
    assert target.startswith("check-")
    assert tab.locator(f"[id='{target}']").is_visible()
    context.close()


def test_the_ledger_lists_checks_and_no_unchecked_claims(browser, site_url):
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(f"{site_url}/chapters/appendices/verification.html", wait_until="networkidle")
    text = tab.locator("main").inner_text()
    rows = tab.locator("table.verification-ledger tbody tr").count()
    context.close()
    assert "Unchecked claims: 0." in text and rows >= 95


AXE = Path(__file__).resolve().parents[2] / ".venv" / "node_modules" / "axe-core" / "axe.min.js"
_AXE_RUN = """async () => (await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}}))
  .violations.map(v => `${v.id} (${v.impact}): ${v.nodes.length} element(s), e.g. ${v.nodes[0].target.join(' ')}`)"""


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_wcag_a_or_aa_violation(page, browser, site_url):
    """axe-core (from the npm registry, installed by scripts/fetch_node_tools.sh) audits every page."""
    if not AXE.exists():
        pytest.fail(f"axe-core missing at {AXE}: run scripts/fetch_node_tools.sh (make does)")
    for theme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname in LOCAL_HOSTS else r.abort())
        tab.goto(f"{site_url}/{page}", wait_until="networkidle")
        tab.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
        tab.wait_for_timeout(400)  # let the theme's colour transitions finish before measuring contrast
        tab.add_script_tag(path=str(AXE))
        violations = tab.evaluate(_AXE_RUN)
        context.close()
        assert not violations, f"{page} ({theme} theme): " + "; ".join(violations)
