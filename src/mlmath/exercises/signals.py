"""Coding exercises of the part *Signals and imaging*."""

from __future__ import annotations

import numpy as np

from ..signals import conv1d, conv_matrix
from ._checker import Case, Exercise, register


def _vectors(rng: np.random.Generator, pairs) -> list[Case]:
    return [(rng.normal(size=n), rng.normal(size=m)) for n, m in pairs]


def _conv_valid_cases(rng: np.random.Generator) -> list[Case]:
    edge = [(np.array([2.0]), np.array([3.0])), (np.array([1.0, 2.0, 3.0]), np.array([1.0])), (np.array([1.0]), np.array([1.0, -1.0, 2.0]))]
    integers = [(np.array([3.0, 1.0, 2.0]), np.array([3.0, 2.0, 1.0]))]
    return edge + integers + _vectors(rng, [(5, 3), (3, 5), (6, 6), (9, 2), (2, 9), (12, 4)])


def _correlation_matrix_cases(rng: np.random.Generator) -> list[Case]:
    return [(np.array([1.0]), 1), (np.array([2.0, -1.0]), 1), (np.array([1.0, 2.0, 3.0]), 2)] + [
        (rng.normal(size=m), n) for m, n in [(3, 6), (5, 4), (1, 7), (6, 6)]
    ]


register(
    Exercise(
        id="ex-conv-definition",
        chapter="chapters/signals/convolution",
        title="Convolution from the definition",
        name="conv_valid",
        signature="conv_valid(x, h) -> 1D array, the valid part of x * h",
        reference=lambda x, h: conv1d(x, h, "valid"),
        cases=_conv_valid_cases,
    ),
    Exercise(
        id="ex-conv-by-hand",
        chapter="chapters/signals/convolution",
        title="A convolution by hand",
        name="y_ex",
        signature="y_ex: the array x * h for x = [1, 2, 0, -1], h = [1, -1]",
        reference=lambda: conv1d([1.0, 2.0, 0.0, -1.0], [1.0, -1.0]),
        cases=None,
    ),
    Exercise(
        id="ex-conv-correlation-matrix",
        chapter="chapters/signals/convolution",
        title="The matrix of a correlation",
        name="correlation_matrix",
        signature="correlation_matrix(h, n) -> (n, n + M - 1) matrix C with C @ g == np.correlate(g, h, 'valid')",
        reference=lambda h, n: conv_matrix(h, n).T,
        cases=_correlation_matrix_cases,
    ),
    Exercise(
        id="ex-conv-same-even",
        chapter="chapters/signals/convolution",
        title="Even kernels and 'same'",
        name="same_ex",
        signature="same_ex: conv1d([1, 2, 3], [1, 1], 'same') predicted by hand",
        reference=lambda: conv1d([1.0, 2.0, 3.0], [1.0, 1.0], "same"),
        cases=None,
    ),
)
