"""Tests for mlmath.graphs against brute-force enumeration of every assignment."""

import itertools

import numpy as np
import pytest

from mlmath.graphs import grid_edges, ising_grid, loopy_bp, sum_product, tree_map, tree_marginals


def brute_force(unary, edges, pairwise):
    """Marginals, pair marginals, log Z, the most probable assignment and its log weight, by enumeration."""
    n, K = unary.shape
    X = np.array(list(itertools.product(range(K), repeat=n)))
    with np.errstate(divide="ignore"):
        logw = np.log(unary[np.arange(n), X]).sum(axis=1)
        for (i, j), t in zip(edges, pairwise):
            logw += np.log(np.asarray(t)[X[:, i], X[:, j]])
    top = logw.max()
    w = np.exp(logw - top)
    p = w / w.sum()
    marg = np.stack([np.bincount(X[:, i], weights=p, minlength=K) for i in range(n)])
    pair = [np.histogram2d(X[:, i], X[:, j], bins=[np.arange(K + 1)] * 2, weights=p)[0] for i, j in edges]
    return marg, pair, top + np.log(w.sum()), X[np.argmax(logw)], top


def random_tree(rng, n, K, *, zeros=False):
    """A random labelled tree (each node joins an earlier one, then the labels are shuffled) with random tables."""
    perm = rng.permutation(n)
    edges = []
    for v in range(1, n):
        u = int(rng.integers(0, v))
        e = (int(perm[u]), int(perm[v]))
        edges.append(e if rng.random() < 0.5 else e[::-1])
    unary = rng.uniform(0.05, 2.0, size=(n, K))
    pairwise = [rng.uniform(0.05, 2.0, size=(K, K)) for _ in edges]
    if zeros:
        unary[rng.random((n, K)) < 0.2] = 0.0
        unary[:, 0] = np.maximum(unary[:, 0], 0.1)
        for t in pairwise:
            t[rng.random((K, K)) < 0.2] = 0.0
            t[0, 0] = 1.0
    return unary, edges, pairwise


@pytest.mark.parametrize("seed", range(12))
def test_tree_marginals_equal_enumeration(seed):
    rng = np.random.default_rng(seed)
    n, K = int(rng.integers(1, 9)), int(rng.integers(2, 4))
    unary, edges, pairwise = random_tree(rng, n, K, zeros=seed % 3 == 0)
    marg, pair, logz, _, _ = brute_force(unary, edges, pairwise)
    np.testing.assert_allclose(tree_marginals(unary, edges, pairwise), marg, atol=1e-13)
    _m, em, log_z = sum_product(unary, edges, pairwise)
    for got, want in zip(em, pair):
        np.testing.assert_allclose(got, want, atol=1e-13)
    assert abs(log_z - logz) < 1e-12


@pytest.mark.parametrize("seed", range(12))
def test_tree_map_equals_enumeration(seed):
    rng = np.random.default_rng(100 + seed)
    n, K = int(rng.integers(1, 9)), int(rng.integers(2, 4))
    unary, edges, pairwise = random_tree(rng, n, K, zeros=seed % 3 == 0)
    _, _, _, x_best, top = brute_force(unary, edges, pairwise)
    x, log_weight = tree_map(unary, edges, pairwise)
    assert x.dtype.kind == "i" and x.shape == (n,)
    np.testing.assert_array_equal(x, x_best)
    assert abs(log_weight - top) < 1e-12


def test_marginals_do_not_depend_on_edge_order_or_orientation():
    rng = np.random.default_rng(7)
    unary, edges, pairwise = random_tree(rng, 7, 3)
    order = rng.permutation(len(edges))
    flipped_edges = [edges[k][::-1] for k in order]
    flipped_tables = [pairwise[k].T for k in order]
    np.testing.assert_allclose(
        tree_marginals(unary, flipped_edges, flipped_tables), tree_marginals(unary, edges, pairwise), atol=1e-14
    )


def test_long_chain_does_not_underflow():
    n = 400
    rng = np.random.default_rng(8)
    unary = rng.uniform(1e-3, 1e-2, size=(n, 2))  # Z is about 1e-800: only normalised messages survive
    edges = [(t, t + 1) for t in range(n - 1)]
    pairwise = [np.array([[1e-2, 1e-3], [1e-3, 1e-2]])] * (n - 1)
    m, _, log_z = sum_product(unary, edges, pairwise)
    assert np.all(np.isfinite(m)) and log_z < -1000
    np.testing.assert_allclose(m.sum(axis=1), 1.0, rtol=1e-14)


def test_loopy_bp_on_a_tree_is_exact_after_diameter_sweeps():
    rng = np.random.default_rng(9)
    # a path of 6 nodes has diameter 5
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    unary = rng.uniform(0.1, 2, size=(6, 3))
    pairwise = [rng.uniform(0.1, 2, size=(3, 3)) for _ in edges]
    marg, _converged, history = loopy_bp(unary, edges, pairwise, n_iter=50, tol=0.0)
    np.testing.assert_allclose(marg, brute_force(unary, edges, pairwise)[0], atol=1e-13)
    changes = np.abs(np.diff(history, axis=0)).max(axis=(1, 2))
    assert changes[4] > 1e-6 and np.all(changes[5:] < 1e-15)


def test_loopy_bp_on_a_grid_is_close_for_weak_coupling_and_not_exact_for_strong():
    rng = np.random.default_rng(10)
    field = 0.2 * rng.normal(size=9)
    errors = []
    for J in (0.1, 1.0):
        unary, edges, pairwise = ising_grid(3, 3, J, field)
        marg, converged, _ = loopy_bp(unary, edges, pairwise, n_iter=1000)
        assert converged
        errors.append(np.abs(marg - brute_force(unary, edges, pairwise)[0]).max())
    assert errors[0] < 1e-3 and errors[1] > 1e-2


def test_damping_changes_the_path_not_the_fixed_point():
    rng = np.random.default_rng(11)
    unary, edges, pairwise = ising_grid(3, 3, 0.3 * rng.normal(size=12), 0.3 * rng.normal(size=9))
    m0, c0, h0 = loopy_bp(unary, edges, pairwise, n_iter=2000, damping=0.0, tol=1e-13)
    m1, c1, h1 = loopy_bp(unary, edges, pairwise, n_iter=2000, damping=0.6, tol=1e-13)
    assert c0 and c1 and len(h1) > len(h0)
    np.testing.assert_allclose(m0, m1, atol=1e-10)


def test_loopy_bp_history_layout_and_init():
    unary, edges, pairwise = ising_grid(2, 2, 0.5, 0.1)
    init = np.random.default_rng(12).uniform(0.1, 1.0, size=(2 * len(edges), 2))
    _, _, history = loopy_bp(unary, edges, pairwise, n_iter=3, tol=0.0, init=init)
    assert history.shape == (4, 8, 2)
    np.testing.assert_allclose(history[0], init / init.sum(axis=1, keepdims=True))
    # message 0 is node 0 -> node 1 of edges[0] = (0, 1): from the initial messages into node 0 except from node 1
    _i, _j = edges[0]
    into_0 = [d for d in range(8) if (d % 2 == 0 and edges[d // 2][1] == 0) or (d % 2 == 1 and edges[d // 2][0] == 0)]
    h = unary[0].copy()
    for d in into_0:
        if d != 1:
            h *= history[0][d]
    expected = h @ pairwise[0]
    np.testing.assert_allclose(history[1][0], expected / expected.sum(), rtol=1e-14)


def test_ising_grid_is_the_ising_distribution():
    rng = np.random.default_rng(13)
    J, h = rng.normal(size=7), rng.normal(size=6)
    unary, edges, pairwise = ising_grid(2, 3, J, h)
    assert edges == grid_edges(2, 3) and len(edges) == 7
    X = np.array(list(itertools.product([0, 1], repeat=6)))
    S = 2 * X - 1
    energy = sum(J[k] * S[:, i] * S[:, j] for k, (i, j) in enumerate(edges)) + S @ h
    p = np.exp(energy) / np.exp(energy).sum()
    np.testing.assert_allclose(brute_force(unary, edges, pairwise)[0][:, 1], (p[:, None] * X).sum(axis=0), rtol=1e-12)


def test_chain_exercise_cases_have_a_unique_most_probable_assignment():
    from mlmath.exercises.graphs import _chain_cases

    for unary, pairwise in _chain_cases(np.random.default_rng(0)):
        n, K = unary.shape
        X = np.array(list(itertools.product(range(K), repeat=n)))
        with np.errstate(divide="ignore"):
            lw = np.log(unary[np.arange(n), X]).sum(axis=1) + sum(np.log(pairwise[t][X[:, t], X[:, t + 1]]) for t in range(n - 1))
        best, second = np.sort(lw)[::-1][:2]
        assert best - second > 1e-3


@pytest.mark.parametrize(
    "edges",
    [
        [(0, 1), (1, 2), (2, 0)],  # a cycle (and one edge too many)
        [(0, 1)],  # disconnected: too few edges
        [(0, 1), (1, 0)],  # a repeated edge
        [(0, 1), (0, 1)],
        [(0, 3), (1, 2)],  # a node out of range
        [(0, 0), (1, 2)],  # a self-loop
        "ab",
    ],
)
def test_not_a_tree_names_edges(edges):
    unary = np.ones((3, 2))
    pairwise = [np.ones((2, 2))] * len(edges)
    with pytest.raises(ValueError, match="edges"):
        tree_marginals(unary, edges, pairwise)


def test_cycle_with_right_edge_count_is_rejected():
    unary = np.ones((4, 2))
    edges = [(0, 1), (1, 2), (2, 0)]  # 3 edges on 4 nodes, but node 3 is cut off and 0-1-2 is a cycle
    with pytest.raises(ValueError, match=r"edges.*cycle"):
        tree_marginals(unary, edges, [np.ones((2, 2))] * 3)
    with pytest.raises(ValueError, match="edges"):
        tree_map(unary, edges, [np.ones((2, 2))] * 3)


@pytest.mark.parametrize(
    "unary, pairwise, name",
    [
        (np.array([[1.0, -0.5], [1.0, 1.0]]), [np.ones((2, 2))], "unary"),
        (np.ones((2, 2)), [np.array([[1.0, -1.0], [1.0, 1.0]])], "pairwise"),
        (np.ones((2, 2)), [np.ones((3, 3))], "pairwise"),
        (np.ones((2, 2)), [], "pairwise"),
        (np.ones(2), [np.ones((2, 2))], "unary"),
        (np.array([[1.0, np.inf], [1.0, 1.0]]), [np.ones((2, 2))], "unary"),
        (np.array([[1.0, 0.0], [0.0, 1.0]]), [np.eye(2)], "weight 0|zero"),
    ],
)
def test_bad_tables_are_named(unary, pairwise, name):
    for f in (tree_marginals, tree_map, loopy_bp):
        with pytest.raises(ValueError, match=name):
            f(unary, [(0, 1)], pairwise)


def test_float32_tables_give_float32_marginals():
    rng = np.random.default_rng(14)
    unary, edges, pairwise = random_tree(rng, 5, 2)
    m32 = tree_marginals(unary.astype(np.float32), edges, [t.astype(np.float32) for t in pairwise])
    assert m32.dtype == np.float32
    np.testing.assert_allclose(m32, tree_marginals(unary, edges, pairwise), rtol=1e-6)
    assert loopy_bp(unary.astype(np.float32), edges, [t.astype(np.float32) for t in pairwise])[0].dtype == np.float32


def test_bad_loopy_arguments_are_named():
    unary, edges, pairwise = ising_grid(2, 2, 0.5, 0.0)
    with pytest.raises(ValueError, match="damping"):
        loopy_bp(unary, edges, pairwise, damping=1.0)
    with pytest.raises(ValueError, match="n_iter"):
        loopy_bp(unary, edges, pairwise, n_iter=-1)
    with pytest.raises(ValueError, match="init"):
        loopy_bp(unary, edges, pairwise, init=np.ones((3, 2)))
    with pytest.raises(ValueError, match="coupling"):
        ising_grid(2, 2, np.ones(3), 0.0)
