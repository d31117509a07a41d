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
)
