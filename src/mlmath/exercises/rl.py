"""Coding exercises of the chapter *Policy gradients*."""

from __future__ import annotations

import numpy as np

from ..layers.softmax import softmax
from ..rl import bandit_gradient_variance, bandit_optimal_baseline, bandit_policy_gradient
from ._checker import Case, Exercise, register

PG = "chapters/more/policy_gradients"


def _bandit_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([0.0, 0.0]), np.array([1.0, 0.0])),
        (np.array([0.0, 0.0, 0.0]), np.array([1.0, 2.0, 3.0])),
        (np.array([1000.0, 0.0, -1000.0]), np.array([1.0, 2.0, 3.0])),  # needs a stable softmax
        (np.array([2.0, -1.0]), np.array([5.0, 5.0])),  # equal rewards: the gradient is 0
    ]
    for k in (2, 4, 7):
        cases.append((rng.normal(size=k) * 2, rng.normal(size=k)))
    return cases


def _baseline_cases(rng: np.random.Generator) -> list[Case]:
    # a deterministic policy has a zero score and no optimal baseline: keep the policies soft
    cases: list[Case] = [
        (np.array([0.0, 0.0]), np.array([1.0, 0.0])),
        (np.array([0.0, 0.0, 0.0]), np.array([1.0, 2.0, 3.0])),
        (np.array([5.0, 0.0, -5.0]), np.array([1.0, 2.0, 3.0])),
        (np.array([2.0, -1.0]), np.array([5.0, 5.0])),  # equal rewards: b* is that reward
    ]
    for k in (2, 4, 7):
        cases.append((rng.normal(size=k) * 2, rng.normal(size=k)))
    return cases


def _episode_gradient_reference(theta, states, actions, rewards, gamma):
    """``sum_t gamma^t G_t (e_{a_t} - pi(.|s_t))`` placed in row ``s_t``; a plain loop over the steps."""
    theta = np.asarray(theta, dtype=float)
    z = theta - theta.max(axis=1, keepdims=True)
    pi = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    grad = np.zeros_like(theta)
    T = len(states)
    for t in range(T):
        G = sum(gamma ** (k - t) * rewards[k] for k in range(t, T))
        score = -pi[states[t]].copy()
        score[actions[t]] += 1.0
        grad[states[t]] += gamma**t * G * score
    return grad


def _episode_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.zeros((1, 2)), np.array([0]), np.array([1]), np.array([1.0]), 1.0),
        (np.zeros((2, 2)), np.array([0, 1]), np.array([1, 0]), np.array([0.0, 1.0]), 0.5),
        (np.array([[0.0, 1.0], [2.0, -1.0]]), np.array([0, 0, 1]), np.array([1, 1, 0]), np.array([-1.0, 0.0, 2.0]), 0.9),
    ]
    for s, a, T in ((3, 2, 5), (4, 4, 8), (6, 3, 20)):
        cases.append(
            (
                rng.normal(size=(s, a)),
                rng.integers(s, size=T),
                rng.integers(a, size=T),
                rng.normal(size=T),
                float(rng.uniform(0.5, 1.0)),
            )
        )
    return cases


def _two_arm_variance_reference(p, r1, r2, b):
    """The total variance of ``(r_a - b)(e_a - pi)`` for ``pi = (p, 1 - p)``, from the general formula of the library."""
    return bandit_gradient_variance(np.log([p, 1.0 - p]), np.array([r1, r2]), baseline=b)


def _two_arm_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (0.5, 1.0, 0.0, 0.0),
        (0.5, 1.0, 1.0, 1.0),  # equal rewards, baseline equal to them: zero
        (0.2, 1.0, 0.0, 0.2),  # b = (1 - p) r1 + p r2 = 0.8 would give zero; b = J = 0.2 does not
        (0.2, 1.0, 0.0, 0.8),
        (0.99, -3.0, 2.0, 0.0),  # an almost deterministic policy
        (0.01, 5.0, 5.0, -1.0),
    ]
    for _ in range(3):
        cases.append((float(rng.uniform(0.05, 0.95)), float(rng.normal()), float(rng.normal()), float(rng.normal())))
    return cases


def _gaussian_policy_score_reference():
    """``(d/dmu, d/dlog sigma) log N(a; mu, sigma^2) = ((a - mu) / sigma^2, (a - mu)^2 / sigma^2 - 1)``."""
    import sympy as sp

    a, mu, sigma = sp.symbols("a mu sigma", real=True)
    return sp.Matrix([(a - mu) / sigma**2, (a - mu) ** 2 / sigma**2 - 1])


def _coordinate_baseline_variance_reference(theta, r, noise_var):
    """The total variance of REINFORCE on a softmax bandit with the best constant baseline ``b_i`` per coordinate.

    Coordinate by coordinate: ``Var_i(b) = E[(R - b)^2 g_i^2] - (grad J)_i^2`` is a parabola in ``b``
    whose minimum is ``E[R^2 g_i^2] - E[R g_i^2]^2 / E[g_i^2] - (grad J)_i^2``.
    """
    r = np.asarray(r, dtype=float)
    pi, grad = softmax(np.asarray(theta, dtype=float)), bandit_policy_gradient(theta, r)
    total = 0.0
    for i in range(r.size):
        g2 = np.array([((a == i) - pi[i]) ** 2 for a in range(r.size)])  # g_i(a)^2
        e_g2, e_rg2, e_r2g2 = pi @ g2, pi @ (r * g2), pi @ ((r**2 + noise_var) * g2)
        total += e_r2g2 - e_rg2**2 / e_g2 - grad[i] ** 2
    return float(total)


def _coordinate_baseline_cases(rng: np.random.Generator) -> list[Case]:
    return [(theta, r, noise_var) for (theta, r), noise_var in zip(_baseline_cases(rng), [0.0, 0.25, 1.0, 0.0, 0.5, 2.0, 0.1])]


register(
    Exercise(
        id="pg-ex-bandit-grad",
        chapter=PG,
        title="The exact gradient of a softmax bandit",
        name="bandit_grad",
        signature="bandit_grad(theta, r) -> dJ/dtheta for J = softmax(theta) . r, shape (K,)",
        reference=bandit_policy_gradient,
        cases=_bandit_cases,
    ),
    Exercise(
        id="pg-ex-optimal-baseline",
        chapter=PG,
        title="The variance-optimal constant baseline",
        name="optimal_baseline",
        signature="optimal_baseline(theta, r) -> b* = E[R ||g||^2] / E[||g||^2] for the softmax bandit (a number)",
        reference=bandit_optimal_baseline,
        cases=_baseline_cases,
    ),
    Exercise(
        id="pg-ex-episode-grad",
        chapter=PG,
        title="The REINFORCE gradient of one episode",
        name="episode_gradient",
        signature="episode_gradient(theta, states, actions, rewards, gamma) -> sum_t gamma^t G_t grad log pi(a_t|s_t), shape (S, A)",
        reference=_episode_gradient_reference,
        cases=_episode_cases,
    ),
    Exercise(
        id="pg-ex-two-arms",
        chapter=PG,
        title="The variance of REINFORCE on two arms",
        name="two_arm_variance",
        signature="two_arm_variance(p, r1, r2, b) -> E||g - grad J||^2 for g = (r_a - b)(e_a - pi), pi = (p, 1 - p), exact rewards (a float)",
        reference=_two_arm_variance_reference,
        cases=_two_arm_cases,
        atol=1e-12,
    ),
    Exercise(
        id="pg-ex-gaussian-score",
        chapter=PG,
        title="A Gaussian policy",
        name="gauss_policy_score",
        signature="gauss_policy_score: Matrix([d/dmu, d/dlog(sigma)]) of log N(a; mu, sigma^2), a formula in a, mu, sigma",
        reference=_gaussian_policy_score_reference,
        cases=None,
        symbols=("a", "mu", "sigma"),
        domain=(0.2, 2.0),  # sigma > 0
    ),
    Exercise(
        id="pg-ex-vector-baseline",
        chapter=PG,
        title="A baseline per coordinate",
        name="coordinate_baseline_variance",
        signature=(
            "coordinate_baseline_variance(theta, r, noise_var) -> E||g - grad J||^2 of REINFORCE on the softmax bandit"
            " with rewards r_a + N(0, noise_var) and the best constant baseline b_i for each coordinate (a float)"
        ),
        reference=_coordinate_baseline_variance_reference,
        cases=_coordinate_baseline_cases,
    ),
)
