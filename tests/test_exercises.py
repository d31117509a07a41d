"""mlmath.exercises: the checker accepts right answers and reports wrong, crashing,
NaN and mis-shaped ones in plain words, never raising."""

import sys
import time

import numpy as np
import pytest

from mlmath.exercises import EXERCISES, Exercise, check, list_exercises, solution_regions, stub_solution

FUNCTION_EXERCISES = [ex for ex in EXERCISES.values() if ex.cases is not None]
VALUE_EXERCISES = [ex for ex in EXERCISES.values() if ex.cases is None and not ex.symbols]
SYMBOLIC_EXERCISES = [ex for ex in EXERCISES.values() if ex.symbols]


def _elementwise(f, value):
    """``f`` applied to each element of a tuple answer ``(dx, dw, db)``, or to a single array."""
    return tuple(f(v) for v in value) if isinstance(value, tuple) else f(value)


def _reference(ex):
    """The reference function, fetched before an answer runs (while it runs, the checker hides it)."""
    return object.__getattribute__(ex, "reference")


def _first_case(ex):
    return min(ex.cases(np.random.default_rng(0)), key=lambda case: sum(int(np.size(a)) for a in case))


def test_list_exercises_names_every_exercise_and_its_chapter():
    listed = list_exercises()
    assert {e["id"] for e in listed} == set(EXERCISES)
    for entry in listed:
        assert entry["chapter"].startswith("chapters/") and entry["title"] and entry["name"]


@pytest.mark.parametrize("ex", FUNCTION_EXERCISES, ids=lambda ex: ex.id)
def test_reference_is_accepted(ex):
    result = check(ex.id, ex.reference)
    assert result.passed, result.message
    assert "correct" in result.message and result.tried >= 5


@pytest.mark.parametrize("ex", FUNCTION_EXERCISES, ids=lambda ex: ex.id)
def test_wrong_values_are_reported_with_the_smallest_failing_input(ex):
    wrong = lambda *args: _elementwise(lambda v: np.asarray(v, dtype=float) + 1.0, _reference(ex)(*args))
    result = check(ex.id, wrong)
    assert not result.passed
    assert "wrong values" in result.message and "expected" in result.message and "got" in result.message
    assert result.failing_case is not None
    smallest = _first_case(ex)
    assert sum(np.size(a) for a in result.failing_case) == sum(np.size(a) for a in smallest)


@pytest.mark.parametrize("ex", FUNCTION_EXERCISES, ids=lambda ex: ex.id)
def test_crashing_answer_is_reported_not_raised(ex):
    def crash(*args):
        raise IndexError("index 7 is out of bounds")

    result = check(ex.id, crash)
    assert not result.passed and "raised IndexError: index 7 is out of bounds" in result.message


@pytest.mark.parametrize("ex", FUNCTION_EXERCISES, ids=lambda ex: ex.id)
def test_nan_answer_is_reported(ex):
    nan = lambda *args: _elementwise(lambda v: np.full(np.shape(v), np.nan), _reference(ex)(*args))
    result = check(ex.id, nan)
    assert not result.passed and "NaN" in result.message


@pytest.mark.parametrize("ex", FUNCTION_EXERCISES, ids=lambda ex: ex.id)
def test_misshaped_answer_is_reported(ex):
    misshaped = lambda *args: _elementwise(lambda v: np.asarray(v)[..., None], _reference(ex)(*args))
    result = check(ex.id, misshaped)
    assert not result.passed and "wrong shape" in result.message


@pytest.mark.parametrize("ex", FUNCTION_EXERCISES, ids=lambda ex: ex.id)
def test_not_implemented_stub_is_reported(ex):
    def stub(*args):
        raise NotImplementedError

    result = check(ex.id, stub)
    assert not result.passed and "not implemented" in result.message


def test_student_code_cannot_change_the_reference_input():
    def vandal(x, h):
        expected = np.convolve(x, h, "valid")
        x[:] = 0.0
        return expected

    assert check("ex-conv-definition", vandal).passed


def test_non_callable_answer_to_function_exercise_is_reported():
    result = check("ex-conv-definition", 3)
    assert not result.passed and "expected a function" in result.message


@pytest.mark.parametrize("ex", VALUE_EXERCISES, ids=lambda ex: ex.id)
def test_value_exercise_accepts_right_and_reports_wrong(ex):
    right = ex.reference()
    assert check(ex.id, right).passed
    assert "wrong values" in check(ex.id, np.asarray(right) + 1).message
    assert "wrong shape" in check(ex.id, np.append(right, 0.0)).message
    assert "no answer" in check(ex.id, None).message


def test_unknown_exercise_id_raises_value_error_naming_it():
    with pytest.raises(ValueError, match="exercise_id"):
        check("ex-does-not-exist", lambda: None)


def test_stub_solution_replaces_only_the_marked_region():
    code = "def f(x):\n    y = 2\n    # BEGIN SOLUTION\n    return x * y\n    # END SOLUTION\n\nassert f(1) == 2"
    stub = stub_solution(code, "ex-f")
    assert stub == 'def f(x):\n    y = 2\n    raise NotImplementedError("ex-f: write your solution here")\n\nassert f(1) == 2'
    assert solution_regions(code) == ["return x * y\n"]
    top_level = stub_solution("# BEGIN SOLUTION\nanswer = 3\n# END SOLUTION\nprint(answer)", "ex-g")
    # a statement, not the expression `...`: Jupyter would display "Ellipsis" under the stubbed cell
    assert top_level.startswith("pass  # ex-g: write your solution here") and "answer = 3" not in top_level


@pytest.mark.parametrize(
    "code",
    ["# BEGIN SOLUTION\nx = 1\n", "# END SOLUTION\n", "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION"],
)
def test_unbalanced_markers_raise_value_error(code):
    with pytest.raises(ValueError, match="SOLUTION"):
        stub_solution(code)


def test_complex_answers_are_compared_in_real_and_imaginary_parts():
    ex = EXERCISES["fourier-ex-radix2"]
    assert check(ex.id, lambda x: np.fft.fft(x)).passed
    conjugate = check(ex.id, lambda x: np.conj(_reference(ex)(x)))  # same real parts, wrong imaginary parts
    assert not conjugate.passed and "wrong values" in conjugate.message
    real_part = check(ex.id, lambda x: _reference(ex)(x).real)
    assert not real_part.passed and "wrong values" in real_part.message
    nan = check(ex.id, lambda x: _reference(ex)(x) * complex(1.0, np.nan))
    assert not nan.passed and "NaN" in nan.message


def test_real_exercise_accepts_complex_answer_only_with_negligible_imaginary_part():
    via_fft = lambda x, h: np.fft.ifft(np.fft.fft(x) * np.fft.fft(h))  # complex, imaginary parts ~1e-16
    assert check("convthm-ex-circular", via_fft).passed
    result = check("convthm-ex-circular", lambda x, h: via_fft(x, h) + 1e-3j)
    assert not result.passed and "wrong values" in result.message


def test_tuple_answers_are_compared_element_by_element():
    ex = EXERCISES["norm-ex-layernorm-grad"]
    assert ex.outputs == ("dx", "dgamma", "dbeta")
    assert check(ex.id, ex.reference).passed
    assert check(ex.id, lambda *args: list(_reference(ex)(*args))).passed  # a list is as good as a tuple

    def answer(change):
        return lambda *args: change(*_reference(ex)(*args))

    only_dx = check(ex.id, answer(lambda dx, dgamma, dbeta: dx))
    assert not only_dx.passed and "returned ndarray, expected a tuple of 3 arrays (dx, dgamma, dbeta)" in only_dx.message
    too_short = check(ex.id, answer(lambda dx, dgamma, dbeta: (dx, dgamma)))
    assert (
        not too_short.passed
        and "wrong length: expected a tuple of 3 arrays" in too_short.message
        and "got 2 elements" in too_short.message
    )
    shape = check(ex.id, answer(lambda dx, dgamma, dbeta: (dx, dgamma[None], dbeta)))
    assert not shape.passed and "element 1 (dgamma): wrong shape" in shape.message
    values = check(ex.id, answer(lambda dx, dgamma, dbeta: (dx, dgamma, dbeta + 1e-3)))
    assert not values.passed and "element 2 (dbeta): wrong values" in values.message
    assert sum(np.size(a) for a in values.failing_case) == sum(np.size(a) for a in _first_case(ex))
    nan = check(ex.id, answer(lambda dx, dgamma, dbeta: (dx * np.nan, dgamma, dbeta)))
    assert not nan.passed and "element 0 (dx): returned NaN" in nan.message
    swapped = check(ex.id, answer(lambda dx, dgamma, dbeta: (dx, dbeta, dgamma)))  # same shapes, wrong order
    assert not swapped.passed and "element 1 (dgamma): wrong values" in swapped.message


# --- a checker students cannot break or fool -------------------------------------------------


LINEAR = "fc-ex-weight-grad"  # a function exercise with array inputs


def _right(exercise_id):
    return _reference(EXERCISES[exercise_id])


def test_an_endless_loop_is_stopped_and_reported():
    def loops(*args):
        while True:
            pass

    start = time.perf_counter()
    result = check(LINEAR, loops, time_limit=0.5)
    assert time.perf_counter() - start < 5
    assert not result.passed and "did not finish within the time limit of 0.5 s" in result.message


def test_a_string_answer_is_reported_in_words_not_raised():
    result = check(LINEAR, lambda *args: "the gradient")
    assert not result.passed and "returned a str ('the gradient'), not numbers" in result.message


def test_reading_the_expected_value_from_the_checkers_frame_does_not_pass():
    def cheat(*args):
        return sys._getframe(1).f_locals["expected"]

    result = check(LINEAR, cheat)
    assert not result.passed and "raised KeyError" in result.message


def test_the_reference_is_out_of_reach_while_an_answer_runs():
    def cheat(*args):
        return EXERCISES[LINEAR].reference(*args)

    result = check(LINEAR, cheat)
    assert not result.passed and "cannot be used while your answer is being checked" in result.message
    assert callable(EXERCISES[LINEAR].reference)  # and back afterwards


def test_exit_inside_an_answer_is_reported_not_escaping():
    result = check(LINEAR, lambda *args: sys.exit(3))
    assert not result.passed and "called exit() (SystemExit: 3)" in result.message


def test_a_float32_answer_is_compared_at_float32_precision():
    right = _right(LINEAR)
    result = check(LINEAR, lambda *args: np.asarray(right(*args), dtype=np.float32))
    assert result.passed and "float32" in result.message
    wrong = check(LINEAR, lambda *args: np.asarray(right(*args), dtype=np.float32) * np.float32(1.01))
    assert not wrong.passed and "compared at float32 precision" in wrong.message


def test_an_inf_answer_says_inf():
    right = _right(LINEAR)
    result = check(LINEAR, lambda *args: np.full(np.shape(right(*args)), np.inf))
    assert not result.passed and "returned inf" in result.message and "nan" not in result.message.lower()


def test_printed_output_is_captured_and_summarised(capsys):
    right = _right(LINEAR)

    def chatty(*args):
        print("debugging: shapes", [np.shape(a) for a in args])
        return right(*args) + 1.0

    result = check(LINEAR, chatty)
    assert capsys.readouterr().out == ""
    assert not result.passed and "your function printed" in result.message and "debugging: shapes" in result.message


@pytest.fixture
def symbolic_exercise(monkeypatch):
    import sympy as sp

    x, y = sp.symbols("x y", real=True)
    ex = Exercise(
        id="t-sym",
        chapter="chapters/test",
        title="Gradient of x^2 y",
        name="grad",
        reference=lambda: sp.Matrix([2 * x * y, x**2]),
        cases=None,
        symbols=("x", "y"),
    )
    monkeypatch.setitem(EXERCISES, ex.id, ex)
    return ex


def test_a_formula_equal_to_the_reference_passes_exactly(symbolic_exercise):
    import sympy as sp

    x, y = sp.symbols("x y")
    assert "SymPy simplifies the difference to 0" in check("t-sym", sp.Matrix([2 * x * y, x * x])).message
    assert check("t-sym", "Matrix([[2*x*y], [x**2]])").passed


def test_a_wrong_formula_is_answered_with_a_counterexample_point(symbolic_exercise):
    result = check("t-sym", "Matrix([[2*x*y], [2*x]])")
    assert not result.passed and "not the same formula: at x = " in result.message


def test_a_formula_in_unknown_symbols_or_unreadable_is_reported(symbolic_exercise):
    assert "uses z" in check("t-sym", "Matrix([[2*z], [x]])").message
    assert "SymPy cannot read" in check("t-sym", "Matrix([[2*x*y], [x**2]]").message


def test_in_the_books_build_a_failing_solution_fails_loudly(monkeypatch):
    right = _right(LINEAR)
    monkeypatch.setenv("MLMATH_CHECK_STRICT", "1")
    assert check(LINEAR, right).passed
    with pytest.raises(AssertionError, match="does not pass its own check"):
        check(LINEAR, lambda *args: right(*args) + 1.0)
    monkeypatch.delenv("MLMATH_CHECK_STRICT")
    assert not check(LINEAR, lambda *args: right(*args) + 1.0).passed  # a student's notebook goes on


def test_each_chapter_names_its_answers_distinctly():
    """The grader looks each exercise's answer up by name in the notebook: two exercises of one chapter
    must not share a name."""
    from collections import Counter

    names = Counter((ex.chapter, ex.name) for ex in EXERCISES.values())
    assert not [key for key, n in names.items() if n > 1]


@pytest.mark.parametrize("ex", SYMBOLIC_EXERCISES, ids=lambda ex: ex.id)
def test_a_symbolic_exercise_accepts_its_reference_and_refuses_a_changed_formula(ex):
    import sympy as sp

    right = _reference(ex)()
    assert check(ex.id, right).passed
    assert check(ex.id, str(right)).passed  # as a string
    wrong = right + sp.Symbol(ex.symbols[0], real=True) ** 3 if not hasattr(right, "shape") else right * 2 + sp.ones(*right.shape)
    assert not check(ex.id, wrong).passed
    assert not check(ex.id, None).passed


def test_a_formula_with_symbols_of_other_assumptions_is_matched_by_name(symbolic_exercise):
    import sympy as sp

    x, y = sp.symbols("x y", positive=True)
    assert check("t-sym", sp.Matrix([2 * x * y, x**2])).passed
