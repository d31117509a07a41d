"""mlmath.book: numbers formatted for people, and glue that works outside a build."""

import numpy as np
import pytest

from mlmath.book import as_text, fmt, fmt_list, fmt_sci, glue


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (np.int64(9), "9"),
        (1234567, "1,234,567"),
        (3.14159, "3.14"),
        (0.012345, "0.0123"),
        (2.5e-17, "2.50 × 10⁻¹⁷"),
        (4.0, "4"),
        (float("inf"), "∞"),
        (np.float32(0.5), "0.5"),
        (True, "True"),
    ],
)
def test_fmt_formats_for_people(value, text):
    assert fmt(value) == text


def test_fmt_sci_rounds_mantissa_into_range():
    assert fmt_sci(9.99e-5) == "1.0 × 10⁻⁴"
    assert fmt_sci(-3.1e16) == "-3.1 × 10¹⁶"


def test_fmt_list_has_no_numpy_reprs():
    text = fmt_list(np.array([9, 9, 11, 5, 2]))
    assert text == "9, 9, 11, 5, 2"
    assert "np." not in fmt_list(np.array([0.5, 1e-9]))


def test_as_text_is_what_glue_pastes():
    assert as_text(np.float64(0.1234567)) == "0.123"
    assert as_text([1, 2, 3]) == "1, 2, 3"
    assert as_text("as is") == "as is"


def test_glued_text_survives_myst_nb_unquoting():
    # MyST-NB pastes literal_eval(text/plain) of the glued object; our strings must come back unchanged.
    from ast import literal_eval

    for text in ["9, 9, 11, 5, 2", "2.50 × 10⁻¹⁷", "it's \"quoted\""]:
        assert literal_eval(repr(text)) == text


def test_glue_outside_a_kernel_returns_nothing_and_does_not_fail():
    assert glue("x", 1.5) is None
