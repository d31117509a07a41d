"""Coding exercises of the chapter *Gaussian processes*."""

from __future__ import annotations

import numpy as np

from ..gp import gp_log_marginal_likelihood, gp_posterior, rbf_kernel, squared_distances
from ._checker import Case, Exercise, register

CHAPTER = "chapters/more/gaussian_processes"

# The fixed training set of the posterior-mean exercise (stated in the exercise).
_X_TRAIN = np.linspace(-3.0, 3.0, 8)
_Y_TRAIN = np.sin(_X_TRAIN)
_LENGTHSCALE, _VARIANCE, _NOISE = 1.0, 1.0, 0.1


def _posterior_mean(xs):
    return gp_posterior(_X_TRAIN, _Y_TRAIN, np.asarray(xs, dtype=float), _LENGTHSCALE, _VARIANCE, _NOISE)[0]


def _posterior_mean_backward_reference(dm, xs):
    K = rbf_kernel(_X_TRAIN, _X_TRAIN, _LENGTHSCALE, _VARIANCE) + _NOISE * np.eye(len(_X_TRAIN))
    alpha = np.linalg.solve(K, _Y_TRAIN)
    Ks = rbf_kernel(_X_TRAIN, xs, _LENGTHSCALE, _VARIANCE)
    return dm * np.sum(alpha[:, None] * Ks * (_X_TRAIN[:, None] - xs[None, :]), axis=0) / _LENGTHSCALE**2


def _mean_grad_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([1.0]), np.array([0.0])),
        (np.array([1.0]), np.array([10.0])),  # far from the data: the gradient is tiny
        (np.array([2.0, -1.0]), np.array([-3.0, 3.0])),  # at training inputs
        (np.ones(4), np.array([-1.0, -0.5, 0.5, 1.0])),
    ]
    for m in (3, 6, 10):
        cases.append((rng.normal(size=m), rng.uniform(-4, 4, size=m)))
    return cases


def _kernel_grad_reference(X, lengthscale, variance):
    D = squared_distances(X, X)
    return rbf_kernel(X, X, lengthscale, variance) * D / lengthscale**2


def _kernel_grad_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[0.0]]), 1.0, 1.0),  # one point: zero
        (np.array([[0.0], [1.0]]), 1.0, 1.0),
        (np.array([[0.0], [1.0]]), 0.5, 2.0),
        (np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 0.0]]), 2.0, 0.7),
    ]
    for n, d in [(4, 1), (5, 3), (7, 2)]:
        cases.append((rng.normal(size=(n, d)), float(rng.uniform(0.3, 3.0)), float(rng.uniform(0.5, 2.0))))
    return cases


def _one_point_variance_reference(xs, lengthscale, variance, noise):
    """The posterior variance at ``xs`` after one noisy observation at ``x = 0`` (its value does not matter)."""
    xs = np.asarray(xs, dtype=float)
    return np.diag(gp_posterior(np.zeros(1), np.zeros(1), xs, lengthscale, variance, noise)[1]).copy()


def _one_point_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([0.0]), 1.0, 1.0, 1.0),  # at the observation: 1 - 1/2
        (np.array([30.0]), 1.0, 2.0, 0.1),  # far away: the prior variance
        (np.array([-1.0, 1.0]), 1.0, 1.0, 1e-12),  # almost no noise
        (np.array([0.0, 0.5, 1.0, 2.0]), 0.5, 3.0, 0.2),
        (np.linspace(-3.0, 3.0, 7), 2.0, 0.5, 5.0),  # noise larger than the signal
    ]
    for m in (3, 8):
        cases.append(
            (
                rng.uniform(-4, 4, size=m),
                float(rng.uniform(0.3, 3.0)),
                float(rng.uniform(0.2, 3.0)),
                float(rng.uniform(0.01, 1.0)),
            )
        )
    return cases


def _noise_grad_reference(X, y, lengthscale, variance, noise):
    return float(gp_log_marginal_likelihood(X, y, lengthscale, variance, noise)[1][2])


def _noise_grad_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([0.0]), np.array([1.0]), 1.0, 1.0, 1.0),
        (np.array([0.0]), np.array([0.0]), 1.0, 1.0, 0.5),  # y = 0: only the log-determinant term
        (np.array([0.0, 0.0]), np.array([1.0, -1.0]), 1.0, 1.0, 0.1),  # a repeated input: K alone is singular
        (np.array([-1.0, 0.0, 2.0]), np.array([0.5, 1.0, -0.3]), 0.7, 2.0, 1e-4),  # tiny noise
        (np.linspace(-2.0, 2.0, 5), np.linspace(-2.0, 2.0, 5) ** 2, 1.5, 1.0, 10.0),  # noise dominates
    ]
    for n in (6, 12, 20):
        X = rng.uniform(-3, 3, size=n)
        cases.append(
            (
                X,
                np.sin(X) + 0.3 * rng.normal(size=n),
                float(rng.uniform(0.3, 2.0)),
                float(rng.uniform(0.5, 2.0)),
                float(rng.uniform(0.01, 0.5)),
            )
        )
    return cases


register(
    Exercise(
        id="gp-ex-mean-grad",
        chapter=CHAPTER,
        title="The gradient of the posterior mean",
        name="posterior_mean_backward",
        signature=(
            "posterior_mean_backward(dm, xs) -> d sum(dm * m(xs)) / dxs for 1D test inputs xs (m,), "
            "training set X = linspace(-3, 3, 8), y = sin(X), lengthscale = variance = 1, noise = 0.1"
        ),
        reference=_posterior_mean_backward_reference,
        cases=_mean_grad_cases,
        forward=_posterior_mean,
        rtol=1e-7,
        atol=1e-10,
    ),
    Exercise(
        id="gp-ex-kernel-grad",
        chapter=CHAPTER,
        title="The lengthscale derivative of the kernel matrix",
        name="rbf_log_lengthscale_grad",
        signature="rbf_log_lengthscale_grad(X, lengthscale, variance) -> dK/d log(lengthscale) for X (n, d), shape (n, n)",
        reference=_kernel_grad_reference,
        cases=_kernel_grad_cases,
        rtol=1e-7,
        atol=1e-10,
    ),
    Exercise(
        id="gp-ex-one-point",
        chapter=CHAPTER,
        title="The posterior variance after one observation",
        name="one_point_variance",
        signature=(
            "one_point_variance(xs, lengthscale, variance, noise) -> posterior variances (m,) of f at 1D test inputs xs (m,) "
            "after one noisy observation at x = 0"
        ),
        reference=_one_point_variance_reference,
        cases=_one_point_cases,
        rtol=1e-8,
        atol=1e-11,
    ),
    Exercise(
        id="gp-ex-noise-grad",
        chapter=CHAPTER,
        title="The noise derivative of the evidence",
        name="evidence_noise_grad",
        signature=(
            "evidence_noise_grad(X, y, lengthscale, variance, noise) -> d log p(y | X) / d log(noise) for 1D inputs X (n,), "
            "a float"
        ),
        reference=_noise_grad_reference,
        cases=_noise_grad_cases,
        rtol=1e-7,
        atol=1e-10,
    ),
)
