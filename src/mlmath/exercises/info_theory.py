"""Coding exercises of the chapter *Information theory*."""

from __future__ import annotations

import numpy as np

from ..info import entropy, mutual_information
from ._checker import Case, Exercise, register

INFO = "chapters/foundations/information_theory"


def _entropy_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([1.0]),),
        (np.array([0.5, 0.5]),),
        (np.array([1.0, 0.0, 0.0]),),  # 0 log 0 = 0
        (np.array([0.0, 0.25, 0.0, 0.75]),),
    ]
    for shape in ((5,), (3, 4), (2, 3, 6)):
        w = rng.exponential(size=shape)
        w[rng.random(shape) < 0.25] = 0.0
        w[..., 0] += 0.1
        cases.append((w / w.sum(axis=-1, keepdims=True),))
    return cases


def _mi_counts_reference(counts):
    counts = np.asarray(counts, dtype=float)
    return mutual_information(counts / counts.sum())


def _mi_counts_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[5, 0], [0, 5]]),),  # Y = X: I = H(X) = log 2
        (np.array([[2, 4], [3, 6]]),),  # a product table: I = 0
        (np.array([[1, 0, 3], [0, 2, 0]]),),  # zero cells
        (np.array([[7]]),),  # one outcome each: I = 0
    ]
    for shape in ((2, 3), (4, 4), (5, 2)):
        cases.append((rng.integers(0, 20, size=shape) + (np.arange(np.prod(shape)).reshape(shape) == 0),))
    return cases


def _kl_gauss_reference(mu1, Sigma1, mu2, Sigma2):
    """KL(N(mu1, Sigma1) || N(mu2, Sigma2)) = (tr(S2^-1 S1) + (mu2-mu1)^T S2^-1 (mu2-mu1) - d + log det S2 - log det S1) / 2."""
    d = mu1.shape[0]
    diff = mu2 - mu1
    trace = np.trace(np.linalg.solve(Sigma2, Sigma1))
    quad = diff @ np.linalg.solve(Sigma2, diff)
    logdet = np.linalg.slogdet(Sigma2)[1] - np.linalg.slogdet(Sigma1)[1]
    return 0.5 * (trace + quad - d + logdet)


def _spd(rng: np.random.Generator, d: int) -> np.ndarray:
    A = rng.normal(size=(d, d))
    return A @ A.T + 0.3 * np.eye(d)


def _kl_gauss_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([0.0]), np.array([[1.0]]), np.array([0.0]), np.array([[1.0]])),  # KL(p || p) = 0
        (np.array([1.0]), np.array([[1.0]]), np.array([0.0]), np.array([[1.0]])),  # mu^2 / 2
        (np.array([0.0]), np.array([[4.0]]), np.array([0.0]), np.array([[1.0]])),  # (4 - 1 - log 4) / 2
        (np.array([0.5, -1.0]), np.diag([2.0, 0.5]), np.array([1.0, 2.0]), np.array([[1.0, 0.3], [0.3, 2.0]])),
    ]
    for d in (2, 3, 5):
        cases.append((rng.normal(size=d), _spd(rng, d), rng.normal(size=d), _spd(rng, d)))
    return cases


register(
    Exercise(
        id="it-ex-entropy",
        chapter=INFO,
        title="Entropy in nats with 0 log 0 = 0",
        name="entropy_nats",
        signature="entropy_nats(p) -> -sum_k p_k log p_k along the last axis, shape p.shape[:-1]",
        reference=entropy,
        cases=_entropy_cases,
    ),
    Exercise(
        id="it-ex-mi-counts",
        chapter=INFO,
        title="Mutual information of a contingency table",
        name="mi_from_counts",
        signature="mi_from_counts(counts) -> I(X; Y) in nats of the empirical joint counts / counts.sum(), a float",
        reference=_mi_counts_reference,
        cases=_mi_counts_cases,
    ),
    Exercise(
        id="it-ex-kl-gauss",
        chapter=INFO,
        title="KL divergence between two Gaussians",
        name="kl_gauss",
        signature="kl_gauss(mu1, Sigma1, mu2, Sigma2) -> KL(N(mu1, Sigma1) || N(mu2, Sigma2)) in nats, a float",
        reference=_kl_gauss_reference,
        cases=_kl_gauss_cases,
    ),
)


def _kl_exp_reference(a, b):
    """``KL(Exp(a) || Exp(b)) = log(a / b) + b / a - 1`` for rates ``a, b > 0``, entry by entry."""
    t = np.asarray(b, dtype=float) / np.asarray(a, dtype=float)
    return t - 1 - np.log(t)


def _kl_exp_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (1.0, 1.0),  # p = q: 0
        (2.0, 1.0),  # log 2 - 1/2
        (1.0, 2.0),  # 1 - log 2: the divergence is not symmetric
        (3.0, 3.0 * np.e),  # b / a = e: e - 2
        (np.array([1.0, 0.5, 4.0]), np.array([1e-6, 50.0, 4.0])),  # far apart both ways, and equal
    ]
    for n in (4, 7):
        cases.append((rng.uniform(0.1, 5.0, size=n), rng.uniform(0.1, 5.0, size=n)))
    return cases


def _label_smoothing_reference() -> float:
    """The smallest cross-entropy ``H(t, q)`` over ``q``, ``H(t)``, for the smoothed target with ``K = 10``, ``eps = 0.1``."""
    K, eps = 10, 0.1
    target = np.full(K, eps / K)
    target[0] += 1 - eps
    return float(entropy(target))


register(
    Exercise(
        id="it-ex-kl-exp",
        chapter=INFO,
        title="The KL divergence between two exponential distributions",
        name="kl_exponential",
        signature="kl_exponential(a, b) -> KL(Exp(a) || Exp(b)) in nats, for rates a, b > 0 (floats or arrays, entry by entry)",
        reference=_kl_exp_reference,
        cases=_kl_exp_cases,
    ),
    Exercise(
        id="it-ex-label-smoothing",
        chapter=INFO,
        title="Label smoothing",
        name="ls_min_loss",
        signature="ls_min_loss: the smallest achievable H(t, q) for the smoothed target t, K = 10, eps = 0.1, in nats (a number)",
        reference=_label_smoothing_reference,
        cases=None,
        rtol=1e-6,
    ),
)
