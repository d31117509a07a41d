"""Coding exercises of the part *Optimization* (convexity, SGD, momentum, adaptive methods, natural gradient).

Several exercises take a gradient function ``grad(x)``. In the cases it is a
:class:`_Gradient`: a callable whose ``repr`` states the function, so a
report names it (``grad: x -> A @ x - b (A = [[2.]], b = [1.])``) instead of
printing a memory address.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..optim import SGD, Adam, logistic_fisher, polyak_average, trajectory
from ._checker import Case, Exercise, register


class _Gradient:
    """A gradient function ``x -> grad f(x)`` (float64 out) with a readable ``repr``."""

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray], text: str) -> None:
        self._fn = fn
        self._text = text

    def __call__(self, x) -> np.ndarray:
        return np.asarray(self._fn(np.asarray(x, dtype=float)), dtype=float)

    def __repr__(self) -> str:
        return self._text


def _short(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), precision=4, separator=", ")


def _quadratic(A: np.ndarray, b: np.ndarray) -> _Gradient:
    """The gradient ``A x - b`` of ``f(x) = x^T A x / 2 - b^T x``."""
    A, b = np.array(A, dtype=float), np.array(b, dtype=float)
    if A.shape[0] <= 2:
        text = f"grad: x -> A @ x - b (A = {_short(A)}, b = {_short(b)})"
    else:
        lam = np.linalg.eigvalsh(A)
        text = f"grad: x -> A @ x - b (A a {A.shape[0]}x{A.shape[0]} SPD matrix with eigenvalues {lam[0]:.3g} to {lam[-1]:.3g}, b = {_short(b)})"
    return _Gradient(lambda x: A @ x - b, text)


def _diagonal(lams) -> _Gradient:
    """The gradient ``lams * x`` of ``f(x) = sum(lams x^2) / 2`` (diagonal Hessian)."""
    lams = np.array(lams, dtype=float)
    return _Gradient(lambda x: lams * x, f"grad: x -> lams * x (lams = {_short(lams)})")


def _rosenbrock_grad(p: np.ndarray) -> np.ndarray:
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


ROSENBROCK = _Gradient(_rosenbrock_grad, "grad of the Rosenbrock function f(x, y) = (1 - x)^2 + 100 (y - x^2)^2")


def _random_spd(rng: np.random.Generator, d: int, low: float = 0.5, high: float = 4.0) -> np.ndarray:
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    lam = np.sort(rng.uniform(low, high, size=d))
    lam[-1] = high  # the largest eigenvalue is L = high exactly, so lr = c / L is known
    return (Q * lam) @ Q.T


# --- convexity: gradient descent -------------------------------------------------------------


def _gd_reference(grad, x0, lr, steps):
    return trajectory(SGD(lr), grad, x0, steps)


def _gd_cases(rng: np.random.Generator) -> list[Case]:
    one = _quadratic([[2.0]], [1.0])
    cases: list[Case] = [
        (one, [0.0], 0.25, 0),  # steps = 0: just x0, shape (1, d)
        (one, [0.0], 0.25, 1),
        (_quadratic(np.diag([1.0, 4.0]), [1.0, -1.0]), [2.0, 3.0], 0.25, 50),  # lr = 1/L
    ]
    for d in range(1, 7):  # random SPD quadratics with L = 4, lr in (0, 2/L]
        A = _random_spd(rng, d)
        cases.append((_quadratic(A, rng.normal(size=d)), rng.normal(size=d), float(rng.uniform(0.05, 2.0) / 4.0), 50))
    A = _random_spd(rng, 3)
    cases.append((_quadratic(A, rng.normal(size=3)), rng.normal(size=3), 2.0 / 4.0, 50))  # lr = 2/L: the steep part oscillates
    A = _random_spd(rng, 4)
    cases.append((_quadratic(A, rng.normal(size=4)), rng.normal(size=4), 2.05 / 4.0, 50))  # just above 2/L: diverges slowly
    A = _random_spd(rng, 2)
    cases.append((_quadratic(A, [0.5, -0.5]), rng.normal(size=2).astype(np.float32), 1.0 / 4.0, 50))  # float32 x0
    A = _random_spd(rng, 5)
    cases.append((_quadratic(A, rng.normal(size=5)), [float(v) for v in rng.normal(size=5)], 1.0 / 4.0, 1))  # list x0
    return cases


# --- SGD: Polyak averaging -------------------------------------------------------------------


def _polyak_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array([3.0]),),  # T = 1
        ([[1, 2, 3]],),  # T = 1, an integer list of shape (1, 3)
        ([1, 2, 3, 4],),  # integers: the mean of [1, 2] is 1.5, not 1
        ([[1, 2], [3, 4], [5, 7]],),
        (np.full((5, 3), 2.5),),  # a constant sequence is its own running mean
        (np.full((4, 2, 2), -1.0),),
        (rng.normal(size=50),),
        (rng.normal(size=(100, 4)),),
        (rng.normal(size=(20, 2, 3)),),
        (5.0 + rng.normal(size=(300, 3)),),
    ]


# --- momentum: the heavy ball ----------------------------------------------------------------


def _heavy_ball_reference(grad, x0, lr, beta, steps):
    return trajectory(SGD(lr, momentum=beta), grad, x0, steps)


def _heavy_ball_cases(rng: np.random.Generator) -> list[Case]:
    one = _diagonal([2.0])
    cases: list[Case] = [
        (one, [1.0], 0.1, 0.5, 0),  # steps = 0
        (one, [1.0], 0.1, 0.5, 1),  # the first step has no momentum (theta_{-1} = theta_0)
        (one, [1.0], 0.1, 0.0, 20),  # beta = 0: gradient descent
        (_diagonal([1.0, 10.0]), [1.0, 1.0], 0.05, 0.9, 60),
        (ROSENBROCK, [-1.2, 1.0], 1e-3, 0.9, 0),
        (ROSENBROCK, [-1.2, 1.0], 1e-3, 0.9, 1),
        (ROSENBROCK, [-1.2, 1.0], 1e-3, 0.9, 50),
        (ROSENBROCK, np.array([0.5, -0.5]), 5e-4, 0.0, 30),
    ]
    for d, beta in [(3, 0.3), (4, 0.0), (5, 0.8), (6, 0.5)]:
        lams = np.sort(rng.uniform(0.5, 8.0, size=d))
        cases.append((_diagonal(lams), rng.normal(size=d), 0.1, beta, 40))
    A = _random_spd(rng, 4)
    cases.append((_quadratic(A, rng.normal(size=4)), rng.normal(size=4), 0.2, 0.7, 80))
    return cases


# --- adaptive methods: Adam ------------------------------------------------------------------


def _adam_reference(grad, x0, lr, betas, eps, steps):
    return trajectory(Adam(lr, betas, eps), grad, x0, steps)


def _adam_cases(rng: np.random.Generator) -> list[Case]:
    with_zero = _diagonal([1.0, 10.0, 0.0])  # the last coordinate's gradient is exactly 0 (eps > 0 keeps 0 / eps = 0)
    start = [1.0, -2.0, 3.0]
    cases: list[Case] = [
        (_diagonal([2.0]), [1.0], 0.1, (0.9, 0.999), 1e-8, 0),
        (_diagonal([2.0]), [1.0], 0.1, (0.9, 0.999), 1e-8, 1),  # the first step is lr * sign(g) (up to eps)
        (_diagonal([2.0]), [1.0], 0.0, (0.9, 0.999), 1e-8, 10),  # lr = 0: nothing moves
        (with_zero, start, 0.05, (0.9, 0.999), 1e-8, 100),  # the defaults
        (with_zero, start, 0.05, (0.0, 0.99), 1e-8, 100),  # beta1 = 0: no momentum
        (with_zero, start, 0.05, (0.0, 0.5), 1e-3, 60),
        (with_zero, start, 0.05, (0.5, 0.5), 1e-8, 100),
        (with_zero, start, 0.05, (0.9, 0.999), 0.1, 40),  # a large eps matters
        (ROSENBROCK, [-1.2, 1.0], 0.01, (0.9, 0.999), 1e-8, 100),
    ]
    for d in (2, 4, 5):
        A = _random_spd(rng, d)
        cases.append((_quadratic(A, rng.normal(size=d)), rng.normal(size=d), 0.05, (0.9, 0.999), 1e-8, 80))
    return cases


# --- natural gradient: the Fisher information of logistic regression -------------------------


def _fisher_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[1.0]]), np.array([0.0])),  # N = d = 1, w = 0: sigma (1 - sigma) = 1/4
        (np.array([[2.0]]), np.array([-0.5])),
        ([[1, 2], [3, -1], [0, 4]], [0.5, -0.25]),  # integer X as a list
        (np.array([[800.0, 1.0], [-800.0, 1.0], [0.0, 1.0]]), np.array([1.0, 0.0])),  # logits +-800: no overflow, no NaN
        (rng.normal(size=(10, 3)), np.zeros(3)),  # w = 0: F = X^T X / (4 N)
        (rng.integers(-3, 4, size=(20, 2)), rng.normal(size=2)),  # integer array
    ]
    for N, d in [(1, 4), (5, 1), (30, 5), (100, 3), (100, 5)]:
        cases.append((rng.normal(size=(N, d)) * rng.uniform(0.5, 3.0, size=d), rng.normal(size=d)))
    return cases


register(
    Exercise(
        id="convex-ex-gd",
        chapter="chapters/optimization/convexity",
        title="Gradient descent as a function",
        name="gd_iterates",
        signature="gd_iterates(grad, x0, lr, steps) -> (steps + 1, d) array of the iterates x_0, ..., x_steps",
        reference=_gd_reference,
        cases=_gd_cases,
        rtol=1e-6,  # one case starts from a float32 x0, whose trajectory the reference keeps in float32
        atol=1e-6,
    ),
    Exercise(
        id="sgd-ex-polyak",
        chapter="chapters/optimization/sgd",
        title="Polyak averaging, online",
        name="running_mean",
        signature="running_mean(iterates) -> array shaped like iterates (T, ...), row t the mean of rows 0..t",
        reference=polyak_average,
        cases=_polyak_cases,
    ),
    Exercise(
        id="momentum-ex-heavy-ball",
        chapter="chapters/optimization/momentum",
        title="The heavy ball in the sheet's form",
        name="heavy_ball",
        signature="heavy_ball(grad, x0, lr, beta, steps) -> (steps + 1, d) array of heavy-ball iterates (theta_{-1} = theta_0)",
        reference=_heavy_ball_reference,
        cases=_heavy_ball_cases,
    ),
    Exercise(
        id="adaptive-ex-adam",
        chapter="chapters/optimization/adaptive",
        title="Adam in a few lines",
        name="adam_iterates",
        signature="adam_iterates(grad, x0, lr, betas, eps, steps) -> (steps + 1, d) array of Adam iterates",
        reference=_adam_reference,
        cases=_adam_cases,
    ),
    Exercise(
        id="natgrad-ex-logistic-fisher",
        chapter="chapters/optimization/natural_gradient",
        title="The Fisher information of logistic regression",
        name="fisher_logistic",
        signature="fisher_logistic(X, w) -> (d, d) mean of sigma_n (1 - sigma_n) x_n x_n^T, X (N, d), w (d,)",
        reference=logistic_fisher,
        cases=_fisher_cases,
    ),
)
