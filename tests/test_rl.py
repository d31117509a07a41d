"""Tests for ``mlmath.rl``: the exact policy gradients against torch autograd
(float64) and finite differences, the REINFORCE estimates against the exact
gradients by seeded Monte Carlo (z-scores with stated tolerances), the
optimal baseline against SciPy's scalar minimiser, and the ValueError contract."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
import torch

from mlmath.gradcheck import numerical_gradient, relative_error
from mlmath.rl import (
    DEFAULT_LAYOUT,
    bandit_gradient_variance,
    bandit_optimal_baseline,
    bandit_policy_gradient,
    expected_return,
    gridworld,
    policy_evaluation,
    policy_gradient,
    reinforce,
    reinforce_episodes,
    softmax_score,
    state_visitation,
    tabular_policy,
)

Z_TOL = 4.5  # max |z| over the components of a Monte Carlo mean (Bonferroni over <= 50 components)


def _torch_bandit_grad(theta, r):
    t = torch.tensor(theta, requires_grad=True)
    (torch.softmax(t, 0) @ torch.tensor(r)).backward()
    return t.grad.numpy()


def _max_z(samples, truth):
    """Largest |mean - truth| / standard error over the components with non-zero spread."""
    samples = samples.reshape(samples.shape[0], -1)
    truth = np.asarray(truth).reshape(-1)
    se = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    live = se > 0
    assert np.allclose(samples.mean(axis=0)[~live], truth[~live], atol=1e-12)
    return float(np.max(np.abs(samples.mean(axis=0)[live] - truth[live]) / se[live]))


# ------------------------------------------------------------------------------ bandit


@pytest.mark.parametrize("k", [1, 2, 5, 9])
def test_bandit_policy_gradient_matches_torch_autograd(k):
    rng = np.random.default_rng(k)
    theta, r = rng.normal(size=k) * 2, rng.normal(size=k)
    assert relative_error(bandit_policy_gradient(theta, r), _torch_bandit_grad(theta, r)) < 1e-13


def test_bandit_policy_gradient_matches_finite_differences_and_is_stable():
    rng = np.random.default_rng(0)
    theta, r = rng.normal(size=6), rng.normal(size=6)
    numeric = numerical_gradient(lambda t: float(np.exp(t - t.max()) @ r / np.exp(t - t.max()).sum()), theta)
    assert relative_error(bandit_policy_gradient(theta, r), numeric) < 1e-8
    big = np.array([1000.0, 999.0, -1000.0])
    g = bandit_policy_gradient(big, np.array([1.0, 2.0, 3.0]))
    assert np.all(np.isfinite(g)) and relative_error(g, _torch_bandit_grad(big, np.array([1.0, 2.0, 3.0]))) < 1e-13


def test_softmax_score_is_the_gradient_of_log_softmax():
    rng = np.random.default_rng(1)
    theta = rng.normal(size=5)
    actions = np.array([0, 3, 4, 3])
    score = softmax_score(theta, actions)
    for row, a in zip(score, actions):
        t = torch.tensor(theta, requires_grad=True)
        torch.log_softmax(t, 0)[int(a)].backward()
        assert relative_error(row, t.grad.numpy()) < 1e-14
    assert np.allclose(score.sum(axis=1), 0, atol=1e-15)


def test_reinforce_equals_its_formula_on_the_same_draws():
    theta, r = np.array([0.3, -0.2, 1.0]), np.array([1.0, -2.0, 0.5])
    grad, arms = reinforce(theta, lambda a: r[a], 50, np.random.default_rng(7), baseline=0.25)
    pi = np.exp(theta) / np.exp(theta).sum()
    manual = np.mean([(r[a] - 0.25) * (np.eye(3)[a] - pi) for a in arms], axis=0)
    assert relative_error(grad, manual) < 1e-14
    u = np.random.default_rng(7).random(50)  # inverse-CDF sampling: arm = #{cumulative probabilities <= u}
    assert np.array_equal(arms, np.searchsorted(np.cumsum(pi), u, side="right"))


def test_reinforce_calls_the_reward_once_per_arm_with_a_python_int():
    seen = []
    _, arms = reinforce(np.zeros(4), lambda a: seen.append(a) or 1.0, 30, np.random.default_rng(0))
    assert len(seen) == 30 and all(type(a) is int for a in seen) and seen == arms.tolist()


def test_reinforce_is_unbiased_with_and_without_baseline():
    rng = np.random.default_rng(2024)
    theta, r, noise = np.array([0.5, -0.3, 0.0, 1.0]), np.array([1.0, 0.2, -0.5, 0.4]), 0.3
    exact = bandit_policy_gradient(theta, r)
    reward = lambda a: r[a] + noise * rng.normal()
    for b in (None, 0.3, -2.0):
        draws = np.array([reinforce(theta, reward, 1, rng, baseline=b)[0] for _ in range(20_000)])
        assert _max_z(draws, exact) < Z_TOL


def test_bandit_gradient_variance_matches_monte_carlo():
    rng = np.random.default_rng(5)
    theta, r = np.array([0.5, -0.3, 0.0]), np.array([1.0, 0.2, -0.5])
    arms = rng.choice(3, size=200_000, p=np.exp(theta) / np.exp(theta).sum())
    rewards = r[arms] + 0.5 * rng.normal(size=arms.size)
    g = (rewards - 0.4)[:, None] * softmax_score(theta, arms)
    measured = np.sum(g.var(axis=0))
    exact = bandit_gradient_variance(theta, r, baseline=0.4, reward_var=0.25)
    assert abs(measured - exact) / exact < 0.02


def test_bandit_optimal_baseline_minimises_the_variance_and_differs_from_the_mean_reward():
    rng = np.random.default_rng(3)
    for _ in range(5):
        theta, r = rng.normal(size=4), rng.normal(size=4)
        b_star = bandit_optimal_baseline(theta, r)
        res = scipy.optimize.minimize_scalar(lambda b: bandit_gradient_variance(theta, r, baseline=b), bracket=(-5, 5), tol=1e-12)
        assert abs(b_star - res.x) < 1e-6
    theta, r = np.array([2.0, 0.0, -1.0]), np.array([1.0, 0.0, 3.0])
    mean_reward = float(np.exp(theta) @ r / np.exp(theta).sum())
    assert (
        bandit_gradient_variance(theta, r, bandit_optimal_baseline(theta, r))
        < bandit_gradient_variance(theta, r, mean_reward) - 1e-3
    )


# ------------------------------------------------------------------------------ gridworld


def _torch_return(mdp, theta):
    t = torch.tensor(theta, requires_grad=True)
    pi = torch.softmax(t, 1)
    P, R = torch.tensor(mdp.P), torch.tensor(mdp.R)
    A = torch.eye(mdp.n_states) - mdp.gamma * torch.einsum("sa,sat->st", pi, P)
    V = torch.linalg.solve(A, (pi * R).sum(1))
    (torch.tensor(mdp.mu0) @ V).backward()
    return t.grad.numpy()


def test_gridworld_transitions_are_distributions_except_at_terminal_states():
    mdp = gridworld()
    sums = mdp.P.sum(axis=2)
    assert np.allclose(sums[~mdp.terminal], 1.0) and np.all(sums[mdp.terminal] == 0)
    assert mdp.n_states == sum(c != "#" for row in DEFAULT_LAYOUT for c in row) and mdp.n_actions == 4
    assert mdp.mu0.sum() == 1.0


@pytest.mark.parametrize("gamma, slip", [(1.0, 0.2), (0.9, 0.0), (0.95, 0.5)])
def test_policy_gradient_theorem_matches_torch_autograd(gamma, slip):
    mdp = gridworld(gamma=gamma, slip=slip)
    theta = np.random.default_rng(11).normal(size=(mdp.n_states, 4))
    assert relative_error(policy_gradient(mdp, theta), _torch_return(mdp, theta)) < 1e-11


def test_policy_gradient_matches_finite_differences():
    mdp = gridworld(gamma=0.9)
    theta = np.random.default_rng(12).normal(size=(mdp.n_states, 4))
    numeric = numerical_gradient(lambda t: expected_return(mdp, t), theta)
    assert relative_error(policy_gradient(mdp, theta), numeric) < 1e-7


def test_policy_evaluation_agrees_with_value_iteration():
    mdp = gridworld(gamma=0.9)
    theta = np.random.default_rng(13).normal(size=(mdp.n_states, 4))
    V, Q = policy_evaluation(mdp, theta)
    pi = tabular_policy(mdp, theta)
    W = np.zeros(mdp.n_states)
    for _ in range(500):  # iterate the Bellman operator: a contraction with factor gamma
        W = np.sum(pi * (mdp.R + mdp.gamma * mdp.P @ W), axis=1)
    assert relative_error(V, W) < 1e-12 and np.allclose(np.sum(pi * Q, axis=1), V, atol=1e-12)
    assert np.all(V[mdp.terminal] == 0)


def test_state_visitation_is_the_discounted_sum_of_state_distributions():
    mdp = gridworld(gamma=0.9)
    theta = np.random.default_rng(14).normal(size=(mdp.n_states, 4))
    P_pi = np.einsum("sa,sat->st", tabular_policy(mdp, theta), mdp.P)
    dist, total = mdp.mu0.copy(), np.zeros(mdp.n_states)
    for t in range(400):
        total += mdp.gamma**t * dist
        dist = dist @ P_pi
    assert relative_error(state_visitation(mdp, theta), total) < 1e-12


def test_greedy_deterministic_policy_takes_the_shortest_path():
    mdp = gridworld(slip=0.0)
    theta = np.zeros((mdp.n_states, 4))
    for s, (i, j) in enumerate(mdp.cells):  # up column 0, right along row 0, elsewhere left or up
        theta[s, 0 if (j == 0 and i > 0) or (i, j) == (1, 2) else 1 if i == 0 else 3] = 50.0
    # five moves: four ordinary cells at -0.04 each, then the goal at +1
    assert abs(expected_return(mdp, theta) - (1.0 - 4 * 0.04)) < 1e-12


def test_expected_return_matches_simulated_returns():
    mdp = gridworld()
    theta = np.random.default_rng(15).normal(size=(mdp.n_states, 4)) * 0.5
    _, _, returns = reinforce_episodes(mdp, theta, 20_000, np.random.default_rng(16))
    z = abs(returns.mean() - expected_return(mdp, theta)) / (returns.std(ddof=1) / np.sqrt(returns.size))
    assert z < Z_TOL


@pytest.mark.parametrize("gamma, baseline", [(1.0, None), (0.9, "V"), (1.0, 0.5)])
def test_reinforce_episodes_is_unbiased(gamma, baseline):
    mdp = gridworld(gamma=gamma)
    theta = np.random.default_rng(17).normal(size=(mdp.n_states, 4)) * 0.5
    b = policy_evaluation(mdp, theta)[0] if baseline == "V" else baseline
    _, per_episode, _ = reinforce_episodes(mdp, theta, 20_000, np.random.default_rng(18), baseline=b)
    assert _max_z(per_episode, policy_gradient(mdp, theta)) < Z_TOL


def test_state_value_baseline_reduces_the_variance():
    mdp = gridworld()
    theta = np.random.default_rng(19).normal(size=(mdp.n_states, 4)) * 0.5
    V = policy_evaluation(mdp, theta)[0]
    var = {}
    for name, b in (("none", None), ("V", V)):
        _, g, _ = reinforce_episodes(mdp, theta, 5_000, np.random.default_rng(20), baseline=b)
        var[name] = np.sum(g.var(axis=0))
    assert var["V"] < 0.7 * var["none"]


def test_gridworld_respects_float_dtype_and_episode_count():
    mdp = gridworld()
    grad, per_episode, returns = reinforce_episodes(mdp, np.zeros((mdp.n_states, 4)), 7, np.random.default_rng(0))
    assert grad.shape == (mdp.n_states, 4) and per_episode.shape == (7, mdp.n_states, 4) and returns.shape == (7,)


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: bandit_policy_gradient(np.zeros((2, 2)), np.zeros(2)), "theta"),
        (lambda: bandit_policy_gradient(np.zeros(3), np.zeros(2)), "r"),
        (lambda: bandit_policy_gradient(np.array([0.0, np.nan]), np.zeros(2)), "theta"),
        (lambda: softmax_score(np.zeros(3), np.array([0, 3])), "actions"),
        (lambda: softmax_score(np.zeros(3), np.array([0.5])), "actions"),
        (lambda: reinforce(np.zeros(3), lambda a: 1.0, 0, np.random.default_rng(0)), "n"),
        (lambda: reinforce(np.zeros(3), lambda a: 1.0, 5, 0), "rng"),
        (lambda: reinforce(np.zeros(3), 1.0, 5, np.random.default_rng(0)), "sample_reward"),
        (lambda: reinforce(np.zeros(3), lambda a: 1.0, 5, np.random.default_rng(0), baseline=np.inf), "baseline"),
        (lambda: reinforce(np.zeros(3), lambda a: np.nan, 5, np.random.default_rng(0)), "sample_reward"),
        (lambda: reinforce(np.zeros(3), lambda a: [1.0, 2.0], 5, np.random.default_rng(0)), "sample_reward"),
        (lambda: bandit_optimal_baseline(np.zeros(1), np.zeros(1)), "theta"),
        (lambda: bandit_gradient_variance(np.zeros(2), np.zeros(2), reward_var=-1.0), "reward_var"),
        (lambda: gridworld(layout=("S.G", "..")), "layout"),
        (lambda: gridworld(layout=("S.X",)), "layout"),
        (lambda: gridworld(layout=("...",)), "layout"),
        (lambda: gridworld(layout=("S..",)), "layout"),
        (lambda: gridworld(layout=("S#G",)), "layout"),  # the start cannot reach the goal
        (lambda: gridworld(slip=1.5), "slip"),
        (lambda: gridworld(gamma=0.0), "gamma"),
        (lambda: policy_gradient(gridworld(), np.zeros((3, 4))), "theta"),
        (lambda: policy_gradient("grid", np.zeros((3, 4))), "mdp"),
        (
            lambda: reinforce_episodes(gridworld(), np.zeros((11, 4)), 3, np.random.default_rng(0), baseline=np.zeros(3)),
            "baseline",
        ),
        (lambda: reinforce_episodes(gridworld(), np.zeros((11, 4)), 3, np.random.default_rng(0), max_steps=1), "max_steps"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
