"""The machinery of :mod:`mlmath.exercises` (described there): the registry,
:func:`check`, and the stubs of the student edition."""

from __future__ import annotations

import re
import textwrap
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..gradcheck import numerical_gradient, relative_error


BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"

Case = tuple  # positional arguments of one call


@dataclass(frozen=True)
class Exercise:
    """One checkable coding exercise.

    ``reference(*case)`` gives the expected output for each input ``case``
    produced by ``cases(rng)``; ``name`` is the function the student defines.
    A *value* exercise has ``cases=None``: the answer is a number or an array,
    compared with ``reference()``.
    For a backward-pass exercise, ``forward`` is the layer's forward map: the
    cases are ``(dy, x)``, the answer returns ``dx``, and the report adds a
    gradient check of the answer against central differences of
    ``sum(dy * forward(x))``.
    A reference that returns a tuple of arrays (``(dx, dgamma, dbeta)``) is
    compared element by element; ``outputs`` names the elements in reports.
    """

    id: str
    chapter: str
    title: str
    name: str
    reference: Callable[..., Any]
    cases: Callable[[np.random.Generator], list[Case]] | None
    rtol: float = 1e-8
    atol: float = 1e-10
    signature: str = ""
    forward: Callable[[np.ndarray], np.ndarray] | None = None
    outputs: tuple[str, ...] = ()


@dataclass
class CheckResult:
    """What :func:`check` found; ``str(result)`` is the message for the student."""

    exercise_id: str
    passed: bool
    message: str
    tried: int = 0
    failing_case: Any = field(default=None, repr=False)

    def __str__(self) -> str:
        return self.message

    def _repr_markdown_(self) -> str:  # shown nicely in Jupyter
        return ("✅ " if self.passed else "❌ ") + self.message.replace("\n", "  \n")

    def __bool__(self) -> bool:
        return self.passed


EXERCISES: dict[str, Exercise] = {}


def register(*exercises: Exercise) -> None:
    """Add exercises to the registry (each part's module registers its own)."""
    for exercise in exercises:
        if exercise.id in EXERCISES:
            raise ValueError(f"exercise id {exercise.id!r} is already registered")
        EXERCISES[exercise.id] = exercise


def list_exercises() -> list[dict[str, str]]:
    """Every checkable exercise: ``id``, ``chapter``, ``title``, ``name`` and ``signature``."""
    return [
        {"id": ex.id, "chapter": ex.chapter, "title": ex.title, "name": ex.name, "signature": ex.signature}
        for ex in EXERCISES.values()
    ]


def _describe(value) -> str:
    if isinstance(value, tuple):  # a tuple answer (dx, dw, db) or a shape argument
        return "(" + ", ".join(_describe(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    try:
        arr = np.asarray(value)
    except ValueError:  # a ragged list
        return "[" + ", ".join(_describe(v) for v in value) + "]"
    if arr.dtype != object and arr.size <= 12:
        return np.array2string(arr, precision=4, separator=", ") if arr.ndim else f"{arr.item():.6g}"
    if arr.dtype != object:
        return f"array of shape {arr.shape}"
    return repr(value)


def _copy(arg):
    """A private copy of an array argument, so the student's code cannot change the reference's input."""
    return np.array(arg, copy=True) if isinstance(arg, np.ndarray) else arg


def _case_text(case: Case) -> str:
    return ", ".join(_describe(a) for a in case)


def _case_size(case: Case) -> int:
    return sum(int(np.size(a)) for a in case)


def _compare(expected, got, rtol: float, atol: float) -> str | None:
    """``None`` when ``got`` matches ``expected``; otherwise what is wrong, in words.

    When either is complex, the real and the imaginary parts are compared
    (a real answer to a complex exercise is wrong unless the imaginary parts
    are negligible, and vice versa).
    """

    def numbers(value) -> np.ndarray:
        arr = np.asarray(value)
        return arr.astype(complex) if np.iscomplexobj(arr) else np.asarray(value, dtype=float)

    try:
        got_arr = numbers(got)
    except (TypeError, ValueError):
        return f"returned {type(got).__name__}, which is not an array of numbers"
    exp_arr = numbers(expected)
    if got_arr.shape != exp_arr.shape:
        return f"wrong shape: expected {exp_arr.shape}, got {got_arr.shape}"
    if np.any(np.isnan(got_arr)) and not np.any(np.isnan(exp_arr)):
        return "returned NaN"
    if np.iscomplexobj(got_arr) or np.iscomplexobj(exp_arr):
        got_arr, exp_arr = np.stack([got_arr.real, got_arr.imag]), np.stack([exp_arr.real, exp_arr.imag])
    if not np.allclose(got_arr, exp_arr, rtol=rtol, atol=atol, equal_nan=True):
        return f"wrong values (largest relative difference {relative_error(got_arr, exp_arr):.2e})"
    return None


def _compare_answer(expected, got, rtol: float, atol: float, names: tuple[str, ...] = ()):
    """``(problem, expected part, got part)``: :func:`_compare`, element by element when ``expected`` is a tuple.

    ``problem`` is ``None`` when ``got`` matches; otherwise it says what is
    wrong, prefixed by ``element i (name)`` for a tuple, and the parts are
    the elements that differ (the whole values when the lengths differ).
    """
    if not isinstance(expected, tuple):
        return _compare(expected, got, rtol, atol), expected, got
    n = len(expected)
    what = f"a tuple of {n} arrays" + (f" ({', '.join(names)})" if len(names) == n else "")
    if not isinstance(got, (tuple, list)):
        return f"returned {type(got).__name__}, expected {what}", expected, got
    if len(got) != n:
        return f"wrong length: expected {what}, got {len(got)} element{'s' if len(got) != 1 else ''}", expected, tuple(got)
    for i, (exp_i, got_i) in enumerate(zip(expected, got)):
        problem = _compare(exp_i, got_i, rtol, atol)
        if problem:
            label = f"element {i}" + (f" ({names[i]})" if i < len(names) else "")
            return f"{label}: {problem}", exp_i, got_i
    return None, expected, got


def check(exercise_id: str, answer, seed: int = 0) -> CheckResult:
    """Check a student's ``answer`` (a function, or a value) for ``exercise_id``.

    Functions are called on copies of every test input, smallest first; the
    smallest input on which the answer is wrong, raises or returns NaN or a
    wrong shape is reported with the expected and the actual output.
    """
    if exercise_id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES))
        raise ValueError(f"exercise_id must be one of {known}; got {exercise_id!r}")
    ex = EXERCISES[exercise_id]
    if ex.cases is None:
        return _check_value(ex, answer)
    cases = sorted(ex.cases(np.random.default_rng(seed)), key=_case_size)
    if not callable(answer):
        return CheckResult(exercise_id, False, f"{ex.title}: expected a function `{ex.signature or ex.name}`, got {type(answer).__name__}")
    for number, case in enumerate(cases, start=1):
        expected = ex.reference(*[_copy(a) for a in case])
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                got = answer(*[_copy(a) for a in case])
        except NotImplementedError:
            return CheckResult(exercise_id, False, f"{ex.title}: not implemented yet (the function raises NotImplementedError)", number - 1, case)
        except Exception as exc:  # the student's code may fail in any way; report it, never crash
            where = traceback.format_exception_only(type(exc), exc)[-1].strip()
            return CheckResult(
                exercise_id,
                False,
                f"{ex.title}: your function raised {where}\n  on input: {_case_text(case)}\n  expected: {_describe(expected)}",
                number - 1,
                case,
            )
        problem, expected_part, got_part = _compare_answer(expected, got, ex.rtol, ex.atol, ex.outputs)
        if problem:
            message = f"{ex.title}: {problem}\n  on input: {_case_text(case)}\n  expected: {_describe(expected_part)}\n  got:      {_describe(got_part)}"
            if ex.forward is not None and problem.startswith("wrong values"):
                message += "\n  " + _gradient_check_message(ex.forward, answer, case)
            return CheckResult(exercise_id, False, message, number - 1, case)
    sizes = sorted({tuple(np.shape(a)) for case in cases for a in case})
    message = (
        f"{ex.title}: correct on all {len(cases)} inputs tried (shapes {', '.join(str(s) for s in sizes[:6])}"
        f"{', ...' if len(sizes) > 6 else ''}; seed {seed})"
    )
    if ex.forward is not None:
        message += "; " + _gradient_check_message(ex.forward, answer, cases[-1])
    return CheckResult(exercise_id, True, message, len(cases))


def _check_value(ex: Exercise, answer) -> CheckResult:
    expected = ex.reference()
    if answer is None or answer is Ellipsis:
        return CheckResult(ex.id, False, f"{ex.title}: no answer yet (got {answer!r})")
    problem, _, got_part = _compare_answer(expected, answer, ex.rtol, ex.atol, ex.outputs)
    if problem:
        return CheckResult(ex.id, False, f"{ex.title}: {problem}\n  got: {_describe(got_part)}", 1)
    return CheckResult(ex.id, True, f"{ex.title}: correct", 1)


def _gradient_check_message(forward, backward, case: Case) -> str:
    """A one-line gradient check of ``backward(dy, x)`` against central differences of ``sum(dy * forward(x))``."""
    dy, x = (np.asarray(a, dtype=float) for a in case)
    numeric = numerical_gradient(lambda v: float(np.sum(dy * forward(v))), x)
    try:
        err = relative_error(np.asarray(backward(dy.copy(), x.copy()), dtype=float), numeric)
    except Exception as exc:  # reported, never raised: this is the student's code
        return f"gradient check not possible: {type(exc).__name__}: {exc}"
    return f"gradient check: relative error {err:.1e} against central differences"


def stub_solution(code: str, exercise_id: str = "this exercise") -> str:
    """Replace every ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` region of ``code`` by a stub.

    Inside a function body (indented marker) the stub is
    ``raise NotImplementedError(...)``; at the top level it is ``...``. Lines
    outside the regions are kept byte for byte.
    """
    lines = code.split("\n")
    out: list[str] = []
    inside = False
    for lineno, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"code has a nested {BEGIN!r} at line {lineno}")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            if indent:
                out.append(f'{indent}raise NotImplementedError("{exercise_id}: write your solution here")')
            else:
                out.append(f"...  # {exercise_id}: write your solution here")
            continue
        if stripped == END:
            if not inside:
                raise ValueError(f"code has {END!r} without {BEGIN!r} at line {lineno}")
            inside = False
            continue
        if not inside:
            out.append(line)
    if inside:
        raise ValueError(f"code has {BEGIN!r} without a matching {END!r}")
    return "\n".join(out)


def solution_regions(code: str) -> list[str]:
    """The text of each marked solution region (without the marker lines)."""
    return [textwrap.dedent(m) for m in re.findall(rf"^[ \t]*{re.escape(BEGIN)}[ \t]*\n(.*?)^[ \t]*{re.escape(END)}[ \t]*$", code, flags=re.S | re.M)]
