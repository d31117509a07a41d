"""Tests for ``mlmath.sparse``: soft thresholding, ISTA/FISTA and the LASSO solver
(against scikit-learn's coordinate-descent Lasso, with alpha = lam / m, and the
optimality conditions), and dictionary learning (monotone objective, atom norms, a
sanity comparison with scikit-learn's DictionaryLearning)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from sklearn.decomposition import DictionaryLearning
from sklearn.linear_model import Lasso

from mlmath.layers import l1_prox
from mlmath.sparse import (
    dictionary_learning,
    dictionary_update,
    fista,
    ista,
    lasso,
    lasso_lambda_max,
    lasso_objective,
    soft_threshold,
)

KKT_TOL = 1e-8


def _problem(seed, m=40, n=80, k=5, noise=0.01):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, n)) / np.sqrt(m)
    x = np.zeros(n)
    x[rng.choice(n, k, replace=False)] = rng.normal(size=k) * 2
    return A, A @ x + noise * rng.normal(size=m), x


def _kkt_violation(A, y, lam, x):
    """max violation of A^T (y - A x) in lam * subdifferential of ||x||_1."""
    g = A.T @ (y - A @ x)
    on = x != 0
    return max(np.abs(g[on] - lam * np.sign(x[on])).max(initial=0.0), np.maximum(np.abs(g[~on]) - lam, 0).max(initial=0.0))


def test_soft_threshold_is_l1_prox_and_torch_softshrink():
    x = np.random.default_rng(0).normal(size=(4, 5)) * 2
    assert np.array_equal(soft_threshold(x, 0.7), l1_prox(x, 0.7))
    assert np.allclose(soft_threshold(x, 0.7), TF.softshrink(torch.tensor(x), 0.7).numpy(), rtol=0, atol=1e-15)


def test_soft_threshold_minimises_the_prox_objective():
    rng = np.random.default_rng(1)
    v, t = rng.normal(size=20) * 2, 0.6
    s = soft_threshold(v, t)
    obj = lambda u: 0.5 * np.sum((u - v) ** 2) + t * np.sum(np.abs(u))
    for _ in range(200):
        assert obj(s) <= obj(s + 1e-3 * rng.normal(size=20)) + 1e-15


def test_soft_threshold_rejects_negative_threshold_and_names_x():
    with pytest.raises(ValueError, match="t must be >= 0"):
        soft_threshold(np.ones(3), -0.1)
    with pytest.raises(ValueError, match="x must be finite"):
        soft_threshold(np.array([1.0, np.nan]), 0.1)


@pytest.mark.parametrize("lam", [0.01, 0.05, 0.3])
def test_lasso_matches_sklearn_with_alpha_lam_over_m(lam):
    A, y, _ = _problem(seed=2)
    m = A.shape[0]
    x_sk = Lasso(alpha=lam / m, fit_intercept=False, tol=1e-14, max_iter=1_000_000).fit(A, y).coef_
    x = lasso(A, y, lam, tol=1e-13)
    assert np.abs(x - x_sk).max() < 1e-9
    assert np.array_equal(x != 0, x_sk != 0)


def test_lasso_satisfies_the_optimality_conditions():
    for seed in range(3):
        A, y, _ = _problem(seed=10 + seed)
        x = lasso(A, y, 0.05)
        assert _kkt_violation(A, y, 0.05, x) < KKT_TOL


def test_lasso_is_zero_exactly_from_lambda_max_on():
    A, y, _ = _problem(seed=3)
    lam_max = lasso_lambda_max(A, y)
    assert np.all(lasso(A, y, lam_max) == 0) and np.all(lasso(A, y, 2 * lam_max) == 0)
    assert np.any(lasso(A, y, 0.95 * lam_max) != 0)


def test_lasso_recovers_the_support_of_a_sparse_vector():
    A, y, x_true = _problem(seed=4, m=60, n=100, k=4, noise=0.001)
    x = lasso(A, y, 0.02)
    assert np.array_equal(x != 0, x_true != 0)
    assert np.array_equal(np.sign(x), np.sign(x_true))


def test_lasso_with_a_matrix_of_right_hand_sides_solves_each_column():
    A, y1, _ = _problem(seed=5)
    _, y2, _ = _problem(seed=6)
    X = lasso(A, np.stack([y1, y2], axis=1), 0.05, tol=1e-13)
    assert np.abs(X[:, 0] - lasso(A, y1, 0.05, tol=1e-13)).max() < 1e-10
    assert np.abs(X[:, 1] - lasso(A, y2, 0.05, tol=1e-13)).max() < 1e-10


def test_ista_and_fista_respect_their_worst_case_bounds():
    A, y, _ = _problem(seed=7)
    lam = 0.02
    x_star = lasso(A, y, lam, n_iter=100_000, tol=1e-14)
    F_star = lasso_objective(A, y, lam, x_star)
    L, R2 = np.linalg.norm(A, 2) ** 2, np.sum(x_star**2)  # x_0 = 0
    k = np.arange(1, 301)
    _, f_ista = ista(A, y, lam, 300)
    _, f_fista = fista(A, y, lam, 300)
    assert np.all(f_ista[1:] - F_star <= L * R2 / (2 * k) + 1e-12)
    assert np.all(f_fista[1:] - F_star <= 2 * L * R2 / (k + 1) ** 2 + 1e-12)
    assert np.all(np.diff(f_ista) <= 1e-14)  # ISTA is a descent method
    assert f_fista[-1] - F_star < f_ista[-1] - F_star


def test_fista_restart_converges_faster_on_a_strongly_convex_problem():
    A, y, _ = _problem(seed=8, m=120, n=40)
    x_star = lasso(A, y, 0.05, n_iter=100_000, tol=1e-14)
    F_star = lasso_objective(A, y, 0.05, x_star)
    _, plain = fista(A, y, 0.05, 150)
    _, restarted = fista(A, y, 0.05, 150, restart=True)
    assert restarted[-1] - F_star < 1e-3 * (plain[-1] - F_star) or restarted[-1] - F_star < 1e-13


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda A, y: lasso(A, y, -0.1), "lam must be >= 0"),
        (lambda A, y: lasso(A, y[:-1], 0.1), "y must have A.shape"),
        (lambda A, y: lasso(A[0], y, 0.1), "A must be 2-D"),
        (lambda A, y: lasso(A, y, 0.1, x0=np.zeros(3)), "x0 must have shape"),
        (lambda A, y: ista(A, y, 0.1, -1), "n_iter must be >= 0"),
        (lambda A, y: lasso(A, y, 0.1, tol=-1.0), "tol must be >= 0"),
    ],
)
def test_bad_input_is_rejected_with_the_argument_named(call, match):
    A, y, _ = _problem(seed=9)
    with pytest.raises(ValueError, match=match):
        call(A, y)


def _patches(seed, m=16, p=300):
    rng = np.random.default_rng(seed)
    D = rng.normal(size=(m, 8))
    D /= np.linalg.norm(D, axis=0)
    X = rng.normal(size=(8, p)) * (rng.random((8, p)) < 0.25)
    return D @ X + 0.01 * rng.normal(size=(m, p))


def test_dictionary_update_never_increases_the_objective_and_keeps_atoms_in_the_ball():
    rng = np.random.default_rng(12)
    Y = _patches(12)
    D = rng.normal(size=(16, 8))
    D /= np.linalg.norm(D, axis=0)
    X = lasso(D, Y, 0.1)
    before = lasso_objective(D, Y, 0.1, X)
    D_new = dictionary_update(Y, D, X)
    assert lasso_objective(D_new, Y, 0.1, X) <= before + 1e-12
    assert np.all(np.linalg.norm(D_new, axis=0) <= 1 + 1e-12)


def test_dictionary_learning_objective_is_monotone_and_close_to_sklearn():
    Y = _patches(13)
    lam = 0.1
    D, _X, history = dictionary_learning(Y, 8, lam, 30, np.random.default_rng(0), code_iter=100)
    assert np.all(np.diff(history) <= 1e-10)
    assert history[-1] < 0.5 * history[0]
    assert np.all(np.linalg.norm(D, axis=0) <= 1 + 1e-12)
    dl = DictionaryLearning(n_components=8, alpha=lam, max_iter=30, random_state=0).fit(Y.T)
    D_sk = dl.components_.T
    ours = lasso_objective(D, Y, lam, lasso(D, Y, lam))
    theirs = lasso_objective(D_sk, Y, lam, lasso(D_sk, Y, lam))
    assert ours < 1.5 * theirs  # a sanity comparison: non-convex, different starts


def test_dictionary_learning_rejects_bad_arguments():
    Y = _patches(14, p=5)
    with pytest.raises(ValueError, match="n_atoms must be at most"):
        dictionary_learning(Y, 6, 0.1, 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"rng must be a numpy\.random\.Generator"):
        dictionary_learning(Y, 2, 0.1, 1, 0)
    with pytest.raises(ValueError, match="lam must be >= 0"):
        dictionary_learning(Y, 2, -0.1, 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="Y \\(m, p\\), D \\(m, K\\), X \\(K, p\\) must agree"):
        dictionary_update(Y, np.ones((3, 2)), np.ones((2, 5)))
