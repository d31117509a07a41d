"""mlmath.book: numbers formatted for people, and glue that works outside a build."""

import numpy as np
import pytest

from mlmath.book import fmt, fmt_list, fmt_sci, glue


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


def test_glue_returns_formatted_text_outside_a_build():
    assert glue("x", np.float64(0.1234567)) == "0.123"
    assert glue("y", [1, 2, 3]) == "1, 2, 3"
    assert glue("z", "as is") == "as is"
