"""Coding exercises of the chapter *Probability and statistics*."""

from __future__ import annotations

import numpy as np

from ..prob import gaussian_condition, gaussian_logpdf
from ._checker import Case, Exercise, register

PROB = "chapters/foundations/probability"


def _posterior_reference(prior, likelihood):
    """Bayes' rule: ``P(h_k | D) = P(D | h_k) P(h_k) / sum_j P(D | h_j) P(h_j)``."""
    joint = np.asarray(likelihood, dtype=float) * np.asarray(prior, dtype=float)
    return joint / joint.sum()


def _posterior_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([0.01, 0.99]), np.array([0.95, 0.05])),  # the diagnostic test of the chapter
        (np.array([0.5, 0.5]), np.array([0.2, 0.2])),  # an uninformative observation
        (np.array([0.0, 0.3, 0.7]), np.array([0.9, 0.1, 0.4])),  # a hypothesis ruled out a priori
        (np.array([0.2, 0.3, 0.5]), np.array([0.0, 0.6, 0.1])),  # ruled out by the data
    ]
    for k in (2, 4, 7):
        cases.append((rng.dirichlet(np.ones(k)), rng.uniform(0.05, 1.0, size=k)))
    return cases


def _chol_logpdf_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([0.5]), np.array([0.0]), np.array([[4.0]])),
        (np.array([1.0, -1.0]), np.array([0.0, 0.0]), np.array([[2.0, 0.9], [0.9, 1.0]])),
    ]
    for d, n in ((2, 3), (3, 1), (4, 6), (6, 2)):
        A = rng.normal(size=(d, d))
        x = rng.normal(size=(n, d)) if n > 1 else rng.normal(size=d)
        cases.append((x, rng.normal(size=d), A @ A.T + 0.3 * np.eye(d)))
    return cases


def _condition_first_reference(mu, Sigma, v):
    return gaussian_condition(mu, Sigma, [0], [v])


def _condition_first_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([0.0, 0.0]), np.array([[1.0, 0.8], [0.8, 1.0]]), 1.0),
        (np.array([1.0, 2.0]), np.array([[4.0, 0.0], [0.0, 9.0]]), -3.0),  # independent: nothing changes
        (np.array([0.5, -1.0, 2.0]), np.array([[2.0, -1.5, 0.3], [-1.5, 2.0, 0.1], [0.3, 0.1, 1.0]]), 0.0),
    ]
    for d in (2, 4, 5):
        A = rng.normal(size=(d, d))
        cases.append((rng.normal(size=d), A @ A.T + 0.2 * np.eye(d), float(rng.normal() * 2)))
    return cases


def _score_reference(x, mu, sigma):
    """``(d/dmu, d/dsigma) log N(x; mu, sigma^2) = ((x - mu) / sigma^2, ((x - mu)^2 - sigma^2) / sigma^3)``."""
    r = np.asarray(x, dtype=float) - mu
    return np.stack([r / sigma**2, (r * r - sigma * sigma) / sigma**3])


def _score_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array(0.0), 0.0, 1.0),  # at the mean of a standard Gaussian: (0, -1)
        (np.array([1.0, -1.0]), 0.0, 1.0),  # one standard deviation away: the sigma-score is 0
        (np.array([2.0, 2.0, 2.0]), 2.0, 0.5),  # x = mu: (0, -1 / sigma)
        (np.array([0.0, 0.1]), 0.05, 0.01),  # a narrow Gaussian: large scores
    ]
    for shape in ((5,), (2, 3), (4, 4)):
        cases.append((rng.normal(size=shape) * 3, float(rng.normal()), float(rng.uniform(0.3, 3.0))))
    return cases


def _gamma_moments_reference():
    """Mean and variance of the gamma distribution with shape ``alpha`` and scale ``s``: ``(alpha s, alpha s^2)``."""
    import sympy as sp

    alpha, s = sp.symbols("alpha s", real=True)
    return sp.Matrix([alpha * s, alpha * s**2])


def _common_cause_reference() -> float:
    """``P(S2 = 1 | S1 = 1)`` with ``P(D = 1) = 0.1``, ``P(S = 1 | D = 1) = 0.8``, ``P(S = 1 | D = 0) = 0.1``."""
    both = 0.1 * 0.8**2 + 0.9 * 0.1**2  # S1, S2 independent given D
    first = 0.1 * 0.8 + 0.9 * 0.1
    return both / first


register(
    Exercise(
        id="prob-ex-posterior",
        chapter=PROB,
        title="Bayes' rule for K hypotheses",
        name="posterior",
        signature="posterior(prior, likelihood) -> P(h_k | D) for all k, shape (K,), from P(h_k) and P(D | h_k)",
        reference=_posterior_reference,
        cases=_posterior_cases,
    ),
    Exercise(
        id="prob-ex-logpdf",
        chapter=PROB,
        title="The Gaussian log density through a Cholesky factor",
        name="chol_logpdf",
        signature="chol_logpdf(x, mu, Sigma) -> log N(x; mu, Sigma), scalar for x (d,), shape (N,) for x (N, d)",
        reference=gaussian_logpdf,
        cases=_chol_logpdf_cases,
    ),
    Exercise(
        id="prob-ex-condition",
        chapter=PROB,
        title="Conditioning a Gaussian on its first coordinate",
        name="condition_on_first",
        signature="condition_on_first(mu, Sigma, v) -> (mean (d-1,), cov (d-1, d-1)) of x[1:] given x[0] = v",
        reference=_condition_first_reference,
        cases=_condition_first_cases,
        outputs=("mean", "cov"),
    ),
    Exercise(
        id="prob-ex-score-gauss",
        chapter=PROB,
        title="The score of a Gaussian",
        name="gaussian_score",
        signature="gaussian_score(x, mu, sigma) -> (d/dmu, d/dsigma) log N(x; mu, sigma^2), shape (2,) + x.shape",
        reference=_score_reference,
        cases=_score_cases,
    ),
    Exercise(
        id="prob-ex-gamma-moments",
        chapter=PROB,
        title="Moments from the MGF",
        name="gamma_moments",
        signature="gamma_moments: Matrix([mean, variance]) of the gamma distribution, a formula in alpha and s",
        reference=_gamma_moments_reference,
        cases=None,
        symbols=("alpha", "s"),
        domain=(0.2, 2.0),  # alpha, s > 0
    ),
    Exercise(
        id="prob-ex-common-cause",
        chapter=PROB,
        title="A common cause",
        name="p_s2_given_s1",
        signature="p_s2_given_s1: P(S2 = 1 | S1 = 1) for the disease and its two symptoms (a number)",
        reference=_common_cause_reference,
        cases=None,
    ),
)
