"""Coding exercises of the chapter *LASSO and dictionary learning*."""

from __future__ import annotations

import numpy as np

from ..sparse import lasso_lambda_max, soft_threshold
from ._checker import Case, Exercise, register

CHAPTER = "chapters/more/sparse_coding"
_T = 0.5  # the fixed threshold of the soft-threshold backward exercise


def _soft_threshold_fixed(x):
    return soft_threshold(x, _T)


def _away_from_kinks(x: np.ndarray) -> np.ndarray:
    """Move entries within 1e-2 of +-t to 1.5 t (keeping the sign): the derivative is not defined at |x| = t."""
    near = np.abs(np.abs(x) - _T) < 1e-2
    return np.where(near, np.sign(x) * 1.5 * _T, x)


def _soft_threshold_backward_reference(dy, x):
    return dy * (np.abs(x) > _T)


def _soft_threshold_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([1.0]), np.array([2.0])),
        (np.array([1.0]), np.array([0.1])),  # inside the dead zone: zero
        (np.array([1.0, 2.0, 3.0]), np.array([-2.0, 0.0, 0.7])),
        (np.ones(4), np.array([-0.6, -0.4, 0.4, 0.6])),
    ]
    for shape in [(6,), (3, 4), (2, 3, 2)]:
        cases.append((rng.normal(size=shape), _away_from_kinks(rng.normal(size=shape))))
    return cases


def _lambda_max_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[2.0]]), np.array([3.0])),
        (np.array([[1.0, -1.0]]), np.array([-2.0])),  # the largest in absolute value is negative
        (np.eye(3), np.array([0.5, -4.0, 1.0])),
        (np.zeros((2, 3)), np.array([1.0, 1.0])),  # A = 0: every lambda >= 0 gives x = 0
    ]
    for m, n in [(5, 8), (10, 4), (20, 30)]:
        cases.append((rng.normal(size=(m, n)), rng.normal(size=m)))
    return cases


def _ista_step_reference(A, y, lam, x):
    L = np.linalg.norm(A, 2) ** 2
    return soft_threshold(x - A.T @ (A @ x - y) / L, lam / L)


def _ista_step_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[2.0]]), np.array([4.0]), 1.0, np.array([0.0])),  # 0 -> S_{1/4}(2) = 1.75
        (np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([1.0, 1.0]), 0.0, np.array([0.0, 0.0])),
        (np.array([[1.0, 1.0]]), np.array([0.1]), 5.0, np.array([1.0, -1.0])),  # a large lam: zero
    ]
    for m, n in [(4, 6), (8, 3), (10, 20)]:
        cases.append((rng.normal(size=(m, n)), rng.normal(size=m), float(rng.uniform(0.01, 1.0)), rng.normal(size=n)))
    return cases


def _orthonormal_reference(A, y, lam):
    return soft_threshold(A.T @ y, lam)


def _orthonormal_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[1.0]]), np.array([3.0]), 1.0),  # S_1(3) = 2
        (np.array([[-1.0]]), np.array([3.0]), 1.0),  # the sign of the column matters
        (np.array([[1.0]]), np.array([0.5]), 1.0),  # below the threshold: 0
        (np.eye(3), np.array([2.0, -0.2, -5.0]), 0.0),  # lam = 0: least squares
        (np.array([[0.6, 0.8], [0.8, -0.6]]), np.array([1.0, 2.0]), 0.3),
        (np.array([[1.0], [0.0], [0.0]]), np.array([1.0, 5.0, -5.0]), 0.5),  # tall: y is not in the range of A
    ]
    for m, n in [(5, 3), (8, 8), (20, 6)]:
        Q, _ = np.linalg.qr(rng.normal(size=(m, n)))
        cases.append((Q, rng.normal(size=m) * 2, float(rng.uniform(0.1, 1.0))))
    return cases


def _elastic_prox_reference(v, tau, lam2):
    """``argmin_u |u - v|^2 / 2 + tau |u|_1 + lam2 |u|^2 / 2 = S_tau(v) / (1 + lam2)``, entry by entry."""
    return soft_threshold(v, tau) / (1.0 + lam2)


def _elastic_prox_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([3.0]), 1.0, 0.0),  # lam2 = 0: the soft threshold, 2
        (np.array([3.0]), 0.0, 1.0),  # tau = 0: ridge shrinkage, 3 / 2
        (np.array([0.5]), 1.0, 1.0),  # inside the dead zone: 0
        (np.array([-3.0, 3.0]), 1.0, 1.0),  # odd in v: -1, 1
        (np.array([2.0, -0.2, -5.0, 0.0]), 0.3, 4.0),
    ]
    for shape in [(6,), (3, 4), (2, 3, 2)]:
        cases.append((rng.normal(size=shape) * 2, float(rng.uniform(0.0, 1.5)), float(rng.uniform(0.0, 3.0))))
    return cases


register(
    Exercise(
        id="sc-ex-soft-threshold-grad",
        chapter=CHAPTER,
        title="The backward pass of soft thresholding",
        name="soft_threshold_backward",
        signature="soft_threshold_backward(dy, x) -> d sum(dy * S_t(x)) / dx for t = 0.5, shaped like x",
        reference=_soft_threshold_backward_reference,
        cases=_soft_threshold_cases,
        forward=_soft_threshold_fixed,
    ),
    Exercise(
        id="sc-ex-lambda-max",
        chapter=CHAPTER,
        title="The smallest penalty with an all-zero solution",
        name="lambda_max",
        signature="lambda_max(A, y) -> the smallest lam for which x = 0 minimises ||Ax - y||^2 / 2 + lam ||x||_1 (a float)",
        reference=lasso_lambda_max,
        cases=_lambda_max_cases,
    ),
    Exercise(
        id="sc-ex-ista-step",
        chapter=CHAPTER,
        title="One ISTA step",
        name="ista_step",
        signature="ista_step(A, y, lam, x) -> S_{lam/L}(x - A^T (A x - y) / L) with L = ||A||_2^2, shape (n,)",
        reference=_ista_step_reference,
        cases=_ista_step_cases,
    ),
    Exercise(
        id="sc-ex-orthonormal",
        chapter=CHAPTER,
        title="The LASSO with orthonormal columns",
        name="lasso_orthonormal",
        signature="lasso_orthonormal(A, y, lam) -> the LASSO minimiser (n,) for A (m, n) with orthonormal columns (A^T A = I)",
        reference=_orthonormal_reference,
        cases=_orthonormal_cases,
    ),
    Exercise(
        id="sc-ex-elastic-net",
        chapter=CHAPTER,
        title="The elastic-net proximal operator",
        name="elastic_prox",
        signature="elastic_prox(v, tau, lam2) -> argmin over u of |u - v|^2 / 2 + tau |u|_1 + lam2 |u|^2 / 2, shaped like v",
        reference=_elastic_prox_reference,
        cases=_elastic_prox_cases,
    ),
)
