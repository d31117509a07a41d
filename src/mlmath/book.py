"""Helpers for the book's pages: numbers formatted for people and glued into the prose.

A chapter computes a value, calls ``glue("name", value)`` and writes
``{glue:text}`name``` in the text; a hidden cell right after asserts the
claim. Outside a Jupyter Book build (Colab, a plain notebook) ``glue`` does
nothing, so chapters run anywhere.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["fmt", "fmt_sci", "fmt_list", "as_text", "glue"]

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt_sci(x: float, digits: int = 2) -> str:
    """``x`` in scientific notation for reading: ``fmt_sci(3.1e-16) == '3.1 × 10⁻¹⁶'``."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return fmt(x)
    exponent = math.floor(math.log10(abs(x)))
    mantissa = round(x / 10.0**exponent, digits - 1)
    if abs(mantissa) >= 10:
        mantissa /= 10
        exponent += 1
    text = f"{mantissa:.{digits - 1}f}" if digits > 1 else f"{mantissa:.0f}"
    return f"{text} × 10{str(exponent).translate(_SUPERSCRIPT)}"


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
        return f"{int(round(x)):,}"
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
