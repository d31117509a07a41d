"""The machinery of :mod:`mlmath.exercises` (described there): the registry,
:func:`check`, and the stubs of the student edition."""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import textwrap
import threading
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    A *symbolic* exercise has ``symbols`` (names) and ``cases=None``:
    ``reference()`` returns a SymPy expression (or matrix) in those symbols,
    and the answer is a SymPy expression or a string SymPy parses.
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
    symbols: tuple[str, ...] = ()  # a symbolic exercise: the answer is a formula in these symbols
    domain: tuple[float, float] = (-2.0, 2.0)  # where a symbolic answer is sampled when SymPy cannot decide

    def __getattribute__(self, name: str):
        if name == "reference" and _ANSWER_RUNNING.active:
            raise RuntimeError("the reference solution cannot be used while your answer is being checked")
        return object.__getattribute__(self, name)


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
_ANSWER_RUNNING = threading.local()
_ANSWER_RUNNING.active = False


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
    if arr.dtype.kind not in "biufc":  # strings, objects, ...: say what it is
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "..."
    if arr.size <= 12:
        if arr.ndim:
            return np.array2string(arr, precision=4, separator=", ")
        return f"{arr.item():.6g}"
    return f"array of shape {arr.shape}" + (f" ({arr.dtype})" if arr.dtype != np.float64 else "")


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

    if got is None:
        return "returned None (did you forget `return`?)"
    if isinstance(got, (str, bytes)):
        return f"returned a {type(got).__name__} ({_describe(got)}), not numbers"
    try:
        got_arr = numbers(got)
    except (TypeError, ValueError):
        return f"returned {type(got).__name__}, which is not an array of numbers"
    exp_arr = numbers(expected)
    if got_arr.shape != exp_arr.shape:
        return f"wrong shape: expected {exp_arr.shape}, got {got_arr.shape}"
    if np.any(np.isnan(got_arr)) and not np.any(np.isnan(exp_arr)):
        return "returned NaN"
    if np.any(np.isinf(got_arr)) and not np.any(np.isinf(exp_arr)):
        return "returned inf (an overflow?)"
    precision = _precision_of(got)
    if precision is not None:  # a float32/float16 answer is compared to its own precision
        eps = float(np.finfo(precision).eps)
        rtol, atol = max(rtol, 100 * eps), max(atol, 100 * eps * float(np.max(np.abs(exp_arr), initial=0.0)))
    if np.iscomplexobj(got_arr) or np.iscomplexobj(exp_arr):
        got_arr, exp_arr = np.stack([got_arr.real, got_arr.imag]), np.stack([exp_arr.real, exp_arr.imag])
    if not np.allclose(got_arr, exp_arr, rtol=rtol, atol=atol, equal_nan=True):
        note = f", compared at {np.dtype(precision).name} precision" if precision is not None else ""
        return f"wrong values (largest relative difference {relative_error(got_arr, exp_arr):.2e}{note})"
    return None


def _precision_of(value):
    """The dtype of a reduced-precision float answer (float32, float16), else ``None``."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None and np.dtype(dtype).kind in "fc" and np.finfo(dtype).eps > np.finfo(np.float64).eps:
        return np.dtype(dtype)
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


class _TimeLimit(Exception):
    """Raised inside the student's code when it runs past the time limit."""


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Interrupt the block after ``seconds`` (SIGALRM; only in the main thread, elsewhere no limit)."""
    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def interrupt(signum, frame):
        raise _TimeLimit()

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class _Run:
    """What one call of the student's function did: its result, or how it failed, and what it printed."""

    value: Any = None
    failure: str | None = None  # words for the student
    not_implemented: bool = False
    printed: str = ""


def _call_answer(answer, args, time_limit: float | None) -> _Run:
    """Call ``answer(*args)`` where it cannot see any expected value, with a time limit, capturing output."""
    out = io.StringIO()
    run = _Run()
    _ANSWER_RUNNING.active = True
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(out),
            _time_limit(time_limit),
            warnings.catch_warnings(),
            np.errstate(all="ignore"),
        ):
            warnings.simplefilter("ignore")
            run.value = answer(*args)
    except NotImplementedError:
        run.not_implemented = True
    except _TimeLimit:
        run.failure = f"did not finish within the time limit of {time_limit:g} s (an endless loop?)"
    except SystemExit as exc:
        run.failure = f"called exit() (SystemExit: {exc.code!r}); return a value instead"
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the student's code may fail in any way; report it, never crash
        run.failure = "raised " + traceback.format_exception_only(type(exc), exc)[-1].strip()
    finally:
        _ANSWER_RUNNING.active = False
    run.printed = out.getvalue()
    return run


def _printed_note(printed: str) -> str:
    lines = [line for line in printed.splitlines() if line.strip()]
    if not lines:
        return ""
    first = lines[0] if len(lines[0]) <= 60 else lines[0][:57] + "..."
    return f"\n  (your function printed {len(lines)} line{'s' if len(lines) != 1 else ''}, the first: {first!r})"


STRICT_ENV = "MLMATH_CHECK_STRICT"  # set by the book's build: a failing check fails the chapter


def check(exercise_id: str, answer, seed: int = 0, time_limit: float | None = 10.0) -> CheckResult:
    """Check a student's ``answer`` (a function, a value, or a formula) for ``exercise_id``.

    Functions are called on copies of every test input, smallest first, each
    call limited to ``time_limit`` seconds (in the main thread), with its
    printed output captured, and before any expected value is computed: the
    answer cannot read the reference's results. Then the outputs are compared;
    the smallest input on which the answer is wrong, raises, exits, loops,
    returns NaN, inf, a string or a wrong shape is reported in words with the
    expected and the actual output. A float32 answer is compared at float32
    precision. Symbolic exercises accept a SymPy expression or a string.

    The book builds with ``MLMATH_CHECK_STRICT=1`` (the Makefile sets it), so that a wrong
    *solution* in a chapter fails the build; a student running the notebook sees the result,
    whatever it is, and the notebook goes on.
    """
    result = _check(exercise_id, answer, seed, time_limit)
    if os.environ.get(STRICT_ENV) == "1" and not result.passed:
        raise AssertionError(f"{exercise_id}: the chapter's solution does not pass its own check:\n{result.message}")
    return result


def _check(exercise_id: str, answer, seed: int = 0, time_limit: float | None = 10.0) -> CheckResult:
    """The checks of :func:`check` (which see), without the strict mode of the book's build."""
    if exercise_id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES))
        raise ValueError(f"exercise_id must be one of {known}; got {exercise_id!r}")
    ex = EXERCISES[exercise_id]
    if ex.symbols:
        return _check_symbolic(ex, answer, seed)
    if ex.cases is None:
        return _check_value(ex, answer)
    cases = sorted(ex.cases(np.random.default_rng(seed)), key=_case_size)
    if not callable(answer):
        return CheckResult(
            exercise_id, False, f"{ex.title}: expected a function `{ex.signature or ex.name}`, got {type(answer).__name__}"
        )
    runs: list[_Run] = []
    for case in cases:  # first the answer on every input, with no expected value anywhere in reach
        runs.append(_call_answer(answer, [_copy(a) for a in case], time_limit))
        if runs[-1].failure or runs[-1].not_implemented:
            break
    printed = "".join(run.printed for run in runs)
    for number, (case, run) in enumerate(zip(cases, runs), start=1):
        if run.not_implemented:
            return CheckResult(
                exercise_id, False, f"{ex.title}: not implemented yet (the function raises NotImplementedError)", number - 1, case
            )
        expected = ex.reference(*[_copy(a) for a in case])
        if run.failure:
            return CheckResult(
                exercise_id,
                False,
                f"{ex.title}: your function {run.failure}\n  on input: {_case_text(case)}\n  expected: {_describe(expected)}"
                + _printed_note(printed),
                number - 1,
                case,
            )
        problem, expected_part, got_part = _compare_answer(expected, run.value, ex.rtol, ex.atol, ex.outputs)
        if problem:
            message = f"{ex.title}: {problem}\n  on input: {_case_text(case)}\n  expected: {_describe(expected_part)}\n  got:      {_describe(got_part)}"
            if ex.forward is not None and problem.startswith("wrong values"):
                message += "\n  " + _gradient_check_message(ex.forward, answer, case)
            return CheckResult(exercise_id, False, message + _printed_note(printed), number - 1, case)
    sizes = sorted({tuple(np.shape(a)) for case in cases for a in case})
    message = (
        f"{ex.title}: correct on all {len(cases)} inputs tried (shapes {', '.join(str(s) for s in sizes[:6])}"
        f"{', ...' if len(sizes) > 6 else ''}; seed {seed})"
    )
    precision = _precision_of(runs[-1].value) if runs else None
    if precision is not None:
        message += f"; your answers are {precision.name}, compared at that precision"
    if ex.forward is not None:
        message += "; " + _gradient_check_message(ex.forward, answer, cases[-1])
    return CheckResult(exercise_id, True, message + _printed_note(printed), len(cases))


def _check_symbolic(ex: Exercise, answer, seed: int, points: int = 20, rtol: float = 1e-9) -> CheckResult:
    """A formula: equal to the reference exactly (SymPy simplifies the difference to 0), or else on
    ``points`` random points of ``ex.domain``; a point where they differ is the counterexample."""
    import sympy as sp

    if answer is None or answer is Ellipsis:
        return CheckResult(ex.id, False, f"{ex.title}: no answer yet (got {answer!r})")
    symbols = sp.symbols(ex.symbols, real=True)
    names = dict(zip(ex.symbols, symbols))
    try:
        got = sp.sympify(answer, locals=names) if isinstance(answer, str) else sp.sympify(answer)
        # the student's symbols may carry other assumptions (positive=True, ...): match them by name
        got = got.subs({sym: names[sym.name] for sym in getattr(got, "free_symbols", set()) if sym.name in names})
    except (sp.SympifyError, SyntaxError, TypeError) as exc:
        return CheckResult(ex.id, False, f"{ex.title}: SymPy cannot read your answer {answer!r} ({type(exc).__name__})")
    expected = sp.sympify(ex.reference()).subs({sp.Symbol(n): s for n, s in names.items()})
    strangers = sorted(str(s) for s in getattr(got, "free_symbols", set()) - set(symbols))
    if strangers:
        return CheckResult(
            ex.id,
            False,
            f"{ex.title}: your answer uses {', '.join(strangers)}; the exercise's symbols are {', '.join(ex.symbols)}",
        )
    if getattr(got, "shape", ()) != getattr(expected, "shape", ()):
        return CheckResult(
            ex.id,
            False,
            f"{ex.title}: wrong shape: expected {getattr(expected, 'shape', 'a scalar')}, got {getattr(got, 'shape', 'a scalar')}",
        )
    try:
        difference = sp.simplify(got - expected)
    except (TypeError, ValueError, sp.SympifyError) as exc:  # e.g. a matrix answer where a scalar is expected
        return CheckResult(
            ex.id, False, f"{ex.title}: your answer cannot be compared with the expected formula ({type(exc).__name__}: {exc})"
        )
    if difference.is_zero_matrix if hasattr(difference, "is_zero_matrix") else difference == 0:
        return CheckResult(ex.id, True, f"{ex.title}: correct (SymPy simplifies the difference to 0)", 1)
    f_got, f_exp = sp.lambdify(symbols, got, "numpy"), sp.lambdify(symbols, expected, "numpy")
    rng = np.random.default_rng(seed)
    low, high = ex.domain
    for k in range(points):
        point = rng.uniform(low, high, size=len(symbols))
        with np.errstate(all="ignore"):
            a, b = np.asarray(f_got(*point), dtype=complex), np.asarray(f_exp(*point), dtype=complex)
        if not np.allclose(a, b, rtol=rtol, atol=rtol, equal_nan=False):
            at = ", ".join(f"{n} = {v:.4g}" for n, v in zip(ex.symbols, point))
            return CheckResult(
                ex.id,
                False,
                f"{ex.title}: not the same formula: at {at} yours gives {_describe(a.real if not np.iscomplexobj(b) or not b.imag.any() else a)}, "
                f"the reference {_describe(b.real if not b.imag.any() else b)}",
                k + 1,
                tuple(point),
            )
    return CheckResult(
        ex.id,
        True,
        f"{ex.title}: correct (equal on {points} random points in [{low:g}, {high:g}]; SymPy could not simplify the difference)",
        points,
    )


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
    ``raise NotImplementedError(...)``; at the top level it is ``pass`` (a statement: the
    stubbed cell displays nothing). Lines
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
                out.append(f"pass  # {exercise_id}: write your solution here")
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
    return [
        textwrap.dedent(m)
        for m in re.findall(rf"^[ \t]*{re.escape(BEGIN)}[ \t]*\n(.*?)^[ \t]*{re.escape(END)}[ \t]*$", code, flags=re.S | re.M)
    ]
