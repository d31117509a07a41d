"""Automatic checks for the book's coding exercises.

``check(exercise_id, answer)`` runs a student's function (or compares a
value) against the reference implementation in ``mlmath`` on seeded random
inputs and hand-picked edge cases, and answers in plain words: ``correct``
with what was tried, or the smallest failing case (input, expected, got).
Exceptions, wrong shapes and NaNs in the student's code are reported, never
raised. ``list_exercises()`` names every checkable exercise and its chapter.

The exercises are registered by part: ``mlmath.exercises.signals``,
``mlmath.exercises.layers``, ... Solutions in the chapters mark the
student's part with ``# BEGIN SOLUTION`` / ``# END SOLUTION``;
:func:`stub_solution` replaces that region by a stub (the student edition).
"""

from . import (  # noqa: F401  (registers their exercises)  # noqa: E402,F401
    embeddings,
    foundations,
    generative,
    gp,
    graphs,
    imaging,
    info_theory,
    layers,
    linalg,
    matgrad,
    optim,
    ot,
    prob,
    rl,
    signals,
    sparse,
)
from ._checker import (
    BEGIN,
    END,
    EXERCISES,
    CheckResult,
    Exercise,
    check,
    list_exercises,
    register,
    solution_regions,
    stub_solution,
)

__all__ = [
    "BEGIN",
    "END",
    "EXERCISES",
    "CheckResult",
    "Exercise",
    "check",
    "list_exercises",
    "register",
    "solution_regions",
    "stub_solution",
]
