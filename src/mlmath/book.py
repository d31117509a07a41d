"""Helpers for the book's pages: numbers formatted for people, glued into the
prose, and the verification of every claim.

A chapter computes a value, calls ``glue("name", value)`` and writes
``{glue:text}`name``` in the text. Every labelled claim (theorem,
proposition, lemma, corollary, labelled equation) is checked by a call to
:func:`verify` in a collapsed cell (``:tags: [hide-cell]``) right after it::

    verify("fc-thm-backward", "autograd", error=err, tol=1e-12, glue="fc-autograd-err")

``verify`` asserts ``error <= tol`` (a failed check fails the build), glues
the error for the prose when asked, and displays a one-line record whose
data the book's Sphinx extension (``_ext/verification.py``) turns into the
"checked" badge on the claim and a row of the verification ledger. A claim
that cannot be checked numerically is recorded with :func:`argued`, which
says why. Outside a Jupyter Book build (Colab, a plain notebook) ``glue``
does nothing and the records are plain output, so chapters run anywhere.
"""

from __future__ import annotations

import html
import json
import math
import numbers

import numpy as np

__all__ = [
    "fmt",
    "fmt_sci",
    "fmt_list",
    "as_text",
    "glue",
    "verify",
    "argued",
    "VerificationError",
    "METHODS",
    "UNITS",
    "use_style",
    "best_time",
    "STYLE",
]

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt_sci(x: float, digits: int = 2) -> str:
    """``x`` in scientific notation for reading: ``fmt_sci(3.1e-16) == '3.1 × 10⁻¹⁶'``.

    ``digits`` (at least 1) significant figures; works down to the smallest subnormal float.
    """
    if int(digits) < 1:
        raise ValueError(f"digits must be at least 1, got {digits!r}")
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return fmt(x)
    mantissa, exponent = f"{x:.{int(digits) - 1}e}".split("e")  # Python rounds the mantissa into [1, 10)
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def fmt(x, digits: int = 3) -> str:
    """One number for the prose: integers with thousands separators, floats with
    ``digits`` significant figures, tiny or huge floats in scientific notation."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, numbers.Integral):
        return f"{int(x):,}"
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    if x == round(x) and abs(x) < 1e15:
        return f"{round(x):,}"
    if abs(x) < 1e-3 or abs(x) >= 1e6:
        return fmt_sci(x, digits)
    return f"{x:,.{digits}g}" if abs(x) >= 1 else f"{x:.{digits}g}"


def fmt_list(values, digits: int = 3) -> str:
    """A sequence as ``'9, 9, 11, 5, 2'`` (each entry through :func:`fmt`)."""
    return ", ".join(fmt(v, digits) for v in np.asarray(values).ravel().tolist())


def as_text(value, digits: int = 3) -> str:
    """What :func:`glue` prints for ``value``: strings as they are, numbers
    through :func:`fmt`, arrays and sequences through :func:`fmt_list`."""
    if isinstance(value, str):
        return value
    if np.ndim(value) == 0:
        return fmt(value.item() if hasattr(value, "item") else value, digits)
    return fmt_list(value, digits)


def glue(name: str, value, digits: int = 3) -> None:
    """Glue ``as_text(value, digits)`` under ``name`` for ``{glue:text}`name```.

    The text is stored as a Python string; MyST-NB strips its quotes when it
    pastes it. Outside a Jupyter Book build this does nothing.
    """
    text = as_text(value, digits)
    try:
        from myst_nb import glue as _myst_glue
    except ImportError:  # not inside a Jupyter Book build: nothing to glue into
        return
    _myst_glue(name, text, display=False)


# --- verification ----------------------------------------------------------------------------

#: How a claim can be checked: method key -> the words the badge and the ledger use.
METHODS = {
    "autograd": "autograd",
    "finite-differences": "finite differences",
    "sympy": "SymPy",
    "monte-carlo": "Monte Carlo",
    "peer": "peer library",  # name it: verify(..., peer="SciPy")
    "numeric": "numerical evaluation",  # an identity evaluated numerically on (seeded) inputs
    "enumeration": "exhaustive enumeration",
    "counterexample": "counterexample",
}
#: What ``error`` measures: unit key -> (short words before the number, words after it).
UNITS = {
    "rel": ("rel. err", ""),
    "abs": ("abs. err", ""),
    "sd": ("", "sd"),  # Monte Carlo: |estimate - truth| / standard error
    "count": ("failures", ""),  # cases where the claim failed (tol is normally 0)
}
VERIFY_MIME_CLASS = "verify-record"  # the HTML class of a record; _ext/verification.py looks for it


class VerificationError(AssertionError):
    """A claim's check failed: its error exceeded its tolerance (or was not a number)."""


def _record_text(method: str, error: float, tol: float, unit: str, details: dict) -> str:
    """The badge's words: ``'autograd, rel. err 3.1 × 10⁻¹⁶'``, ``'SymPy, exact'``, ...

    For Monte Carlo the sample count is named and the error is in standard deviations.
    """
    name = str(details.get("peer")) if method == "peer" else METHODS[method]
    parts = [name]
    if method == "monte-carlo" and details.get("samples") is not None:
        parts.append(f"{fmt(details['samples'])} samples")
    if details.get("quantity"):  # a measured comparison, not an error: name what was measured
        parts.append(f"{details['quantity']}: {fmt(error, 2)} (bound {fmt(tol, 2)})")
    elif tol == 0 and error == 0:
        parts.append("exact")
    else:
        before, after = UNITS[unit]
        number = fmt(error, 2) if unit in ("sd", "count") else (fmt_sci(error, 1) if error else "0")
        if unit == "sd":
            parts.append(f"within {fmt(tol, 2)} sd ({number} sd)")
        else:
            parts.append(" ".join(w for w in (before, number, after) if w))
    return ", ".join(parts)


def _display_record(record: dict) -> None:
    """Show a record as a line of output; its JSON rides along in the HTML for the build."""
    mark = "✓" if record["method"] != "argued" else "≈"
    plain = f"{mark} {record['label']}: {record['text']}"
    if record["method"] != "argued":
        plain += f"  (tolerance {record['tol_text']})"
    if record.get("refutes") is not None:
        plain += f"; the common mistake is off by {fmt_sci(record['refutes'], 2)}"
    payload = html.escape(json.dumps(record, ensure_ascii=False), quote=True)
    markup = (
        f'<div class="{VERIFY_MIME_CLASS}" id="check-{html.escape(record["label"])}-{record["index"]}" '
        f'data-verify="{payload}"><code>{html.escape(plain)}</code></div>'
    )
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: print the line
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(plain)
        return
    display({"text/plain": plain, "text/html": markup}, raw=True)


_COUNTS: dict[str, int] = {}


def _check_label(label) -> str:
    if not isinstance(label, str) or not label or any(c.isspace() for c in label):
        raise ValueError(f"label must be the claim's label (a non-empty string without spaces), got {label!r}")
    return label


def verify(
    label: str, method: str, error, tol, *, unit: str = "rel", glue: str | None = None, digits: int = 2, refutes=None, **details
) -> None:
    """Check one labelled claim: assert ``error <= tol`` and record how it was checked.

    - ``label``: the claim's label (``{prf:theorem}``'s ``:label:``, an equation label, or a
      ``(label)=`` target in front of the paragraph that states the claim).
    - ``method``: a key of :data:`METHODS` (``"autograd"``, ``"sympy"``, ``"monte-carlo"``, ...);
      ``"peer"`` with ``peer="SciPy"`` names the library.
    - ``error``: the measured discrepancy, in ``unit`` (:data:`UNITS`: ``"rel"`` relative error,
      ``"abs"``, ``"sd"`` standard errors of a Monte Carlo estimate, ``"count"`` failures);
      ``tol`` its tolerance; ``error = tol = 0`` reads "exact" (SymPy).
    - ``glue``: if given, glue ``error`` under this name (for ``{glue:text}`` in the prose).
    - ``refutes``: optionally, how far a common wrong version misses; it must exceed ``tol``,
      so that the check can tell the two apart.
    - ``details``: shown in the badge and the ledger: ``seed=``, ``samples=``, ``peer=``, sizes;
      ``quantity="FFT time / direct time"`` names what ``error`` measures when it is a measured
      comparison rather than an error (the badge then shows it with its bound).

    A failed check raises :class:`VerificationError` naming the label, the error and the
    tolerance, so the chapter (and the book's build) fails. The same label may be checked by
    several calls.
    """
    label = _check_label(label)
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {sorted(UNITS)}, got {unit!r}")
    if method == "peer" and not details.get("peer"):
        raise ValueError("method='peer' needs peer=<the library's name>, e.g. peer='SciPy'")
    try:
        error, tol = float(error), float(tol)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"error and tol must be numbers, got {error!r} and {tol!r}") from exc
    if not math.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    if not (math.isfinite(error) and 0 <= error <= tol):
        raise VerificationError(
            f"verify({label!r}): the {METHODS[method]} check failed: error {error!r} ({unit}) exceeds the tolerance {tol!r}"
        )
    if refutes is not None and not float(refutes) > tol:
        raise VerificationError(
            f"verify({label!r}): the wrong version is off by only {float(refutes)!r}, within the "
            f"tolerance {tol!r}: this check cannot tell it from the right one"
        )
    _COUNTS[label] = _COUNTS.get(label, 0) + 1
    details = {k: (v.item() if hasattr(v, "item") else v) for k, v in details.items()}
    record = {
        "label": label,
        "index": _COUNTS[label],
        "method": method,
        "error": error,
        "tol": tol,
        "unit": unit,
        "text": _record_text(method, error, tol, unit, details),
        "tol_text": "exact"
        if tol == 0
        else (f"{fmt(tol, 2)} {UNITS[unit][1] or ''}".strip() if unit in ("sd", "count") else fmt_sci(tol, 1)),
        "refutes": None if refutes is None else float(refutes),
        "details": {k: as_text(v) if not isinstance(v, (str, int, float, bool)) else v for k, v in details.items()},
    }
    _display_record(record)
    if glue is not None:
        globals()["glue"](glue, error, digits)


def argued(label: str, reason: str) -> None:
    """Record that a claim is argued, not computed, and say why in the record.

    For the rare statement no computation can check (an existence statement about every
    function, a definition-like convention). The ledger lists it as "argued, not computed".
    """
    label = _check_label(label)
    if not isinstance(reason, str) or len(reason.split()) < 4:
        raise ValueError(f"reason must say in words why the claim cannot be computed, got {reason!r}")
    _COUNTS[label] = _COUNTS.get(label, 0) + 1
    record = {
        "label": label,
        "index": _COUNTS[label],
        "method": "argued",
        "error": None,
        "tol": None,
        "unit": None,
        "text": "argued, not computed: " + reason,
        "tol_text": "",
        "refutes": None,
        "details": {},
    }
    _display_record(record)


# --- figures and timings ----------------------------------------------------------------------

#: The book's matplotlib style: one place instead of a line in every chapter.
STYLE = {"figure.dpi": 110, "axes.spines.top": False, "axes.spines.right": False}


def use_style() -> None:
    """Apply :data:`STYLE` to matplotlib (imported here, so ``mlmath`` itself never needs it)."""
    import matplotlib.pyplot as plt

    plt.style.use(STYLE)


def best_time(fn, repeat: int = 7, number: int = 1) -> float:
    """The best of ``repeat`` wall-clock timings of ``number`` calls of ``fn()``, per call, in seconds.

    The minimum is the timing least disturbed by the rest of the machine (as ``timeit`` recommends).
    """
    import time

    if repeat < 1 or number < 1:
        raise ValueError(f"repeat and number must be at least 1, got repeat={repeat!r}, number={number!r}")
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best
