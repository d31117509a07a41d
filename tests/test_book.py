"""mlmath.book: numbers formatted for people, and glue that works outside a build."""

import html as _html
import json as _json

import numpy as np
import pytest

from mlmath.book import METHODS, VerificationError, argued, as_text, fmt, fmt_list, fmt_sci, verify


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


def _records(capsys):
    """verify() prints its record outside a kernel; the line is what the reader sees."""
    return capsys.readouterr().out.strip().splitlines()


def test_verify_passes_a_check_within_tolerance_and_says_how_it_was_checked(capsys):
    verify("t-pass", "autograd", error=3.1e-16, tol=1e-12)
    (line,) = _records(capsys)
    assert line.startswith("✓ t-pass: autograd, rel. err 3 × 10⁻¹⁶") and "tolerance 1 × 10⁻¹²" in line


def test_verify_fails_a_check_beyond_tolerance_naming_label_error_and_tolerance():
    with pytest.raises(VerificationError, match=r"verify\('t-fail'\).*error 0\.002.*tolerance 1e-06"):
        verify("t-fail", "numeric", error=2e-3, tol=1e-6)


@pytest.mark.parametrize("error", [float("nan"), float("inf"), -1.0])
def test_verify_refuses_an_error_that_is_not_a_measured_discrepancy(error):
    with pytest.raises(VerificationError):
        verify("t-bad", "numeric", error=error, tol=1.0)


def test_sympy_exact_checks_read_exact(capsys):
    verify("t-exact", "sympy", error=0, tol=0)
    assert "SymPy, exact" in _records(capsys)[0]


def test_monte_carlo_checks_report_samples_and_standard_errors(capsys):
    verify("t-mc", "monte-carlo", error=1.3, tol=3, unit="sd", samples=200_000, seed=4)
    assert "Monte Carlo, 200,000 samples, within 3 sd (1.3 sd)" in _records(capsys)[0]


def test_a_peer_check_names_the_library(capsys):
    verify("t-peer", "peer", error=2e-9, tol=1e-8, peer="SciPy")
    assert "SciPy, rel. err 2 × 10⁻⁹" in _records(capsys)[0]
    with pytest.raises(ValueError, match="peer="):
        verify("t-peer", "peer", error=0, tol=1)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"label": "two words"}, "label"),
        ({"method": "eyeballed"}, "method"),
        ({"unit": "furlongs"}, "unit"),
        ({"tol": -1}, "tol"),
        ({"error": "small"}, "error"),
    ],
)
def test_verify_rejects_bad_arguments_naming_them(kwargs, name):
    args = {"label": "t-args", "method": "numeric", "error": 0.0, "tol": 1.0, **kwargs}
    with pytest.raises(ValueError, match=name):
        verify(**args)


def test_refutes_must_tell_the_wrong_version_apart(capsys):
    verify("t-ref", "counterexample", error=1e-16, tol=1e-12, refutes=0.8)
    assert "off by 8.0 × 10⁻¹" in _records(capsys)[0]
    with pytest.raises(VerificationError, match="cannot tell"):
        verify("t-ref", "counterexample", error=1e-16, tol=1e-12, refutes=1e-13)


def test_argued_needs_a_reason_in_words(capsys):
    argued("t-argued", "holds for every continuous function, not a finite set")
    assert _records(capsys)[0].startswith("≈ t-argued: argued, not computed: holds")
    with pytest.raises(ValueError, match="reason"):
        argued("t-argued", "obvious")


def test_in_a_kernel_the_record_carries_its_data_for_the_build(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.get_ipython", lambda: object())
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: shown.append(bundle))
    verify("t-kernel", "finite-differences", error=2e-10, tol=1e-8, seed=7)
    (bundle,) = shown
    payload = _json.loads(_html.unescape(bundle["text/html"].split('data-verify="')[1].split('"')[0]))
    assert payload["label"] == "t-kernel" and payload["method"] == "finite-differences"
    assert payload["error"] == 2e-10 and payload["tol"] == 1e-8 and payload["details"] == {"seed": 7}
    assert payload["method"] in METHODS and "finite differences" in bundle["text/plain"]


def test_use_style_sets_the_books_matplotlib_style():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mlmath.book import STYLE, use_style

    with plt.rc_context():
        use_style()
        assert all(plt.rcParams[key] == value for key, value in STYLE.items())


def test_best_time_is_the_minimum_per_call():
    import time

    from mlmath.book import best_time

    calls = []
    t = best_time(lambda: (calls.append(1), time.sleep(0.002)), repeat=3, number=2)
    assert len(calls) == 6 and 0.002 <= t < 0.05
    with pytest.raises(ValueError, match="repeat"):
        best_time(lambda: None, repeat=0)


def test_fmt_handles_subnormals_and_refuses_zero_digits():
    assert fmt(5e-324) == "4.94 × 10⁻³²⁴"
    assert fmt_sci(1.5e308) == "1.5 × 10³⁰⁸"
    with pytest.raises(ValueError, match="digits"):
        fmt_sci(3.1e-16, 0)
