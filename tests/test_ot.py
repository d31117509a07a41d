"""Tests for mlmath.ot against POT (ot.sinkhorn, ot.emd, ot.sinkhorn2), torch autograd and finite differences."""

import warnings

import numpy as np
import ot
import pytest
import scipy.stats
import torch

from mlmath.exercises.ot import _w1_line_reference
from mlmath.gradcheck import numerical_gradient, relative_error
from mlmath.ot import entropic_objective, sinkhorn, sinkhorn_cost, sinkhorn_log, sinkhorn_naive, squared_distances


def _problem(seed, n=7, m=5, zero=False):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.1, 1.0, n)
    b = rng.uniform(0.1, 1.0, m)
    if zero:
        a[1] = 0.0
        b[-1] = 0.0
    a, b = a / a.sum(), b / b.sum()
    C = squared_distances(rng.normal(size=(n, 2)), rng.normal(size=(m, 2)) + 0.5)
    return a, b, C / C.max()


def _pot_sinkhorn(a, b, C, reg, method="sinkhorn"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ot.sinkhorn(a, b, C, reg, method=method, numItermax=200_000, stopThr=1e-13)


@pytest.mark.parametrize("reg", [2.0, 0.5, 0.1, 0.03])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sinkhorn_equals_pot_sinkhorn(seed, reg):
    a, b, C = _problem(seed)
    P = sinkhorn(a, b, C, reg, tol=1e-13)
    assert relative_error(P, _pot_sinkhorn(a, b, C, reg)) < 1e-9


@pytest.mark.parametrize("reg", [3e-3, 1e-3])
def test_sinkhorn_small_reg_equals_pot_log_solver_where_naive_scaling_fails(reg):
    a, b, C = _problem(3, n=12, m=10)
    C = C + 3.0  # the same plan; but C / reg >= 1000, so exp(-C / reg) underflows to 0
    P = sinkhorn(a, b, C, reg, tol=1e-12, n_iter=100_000)
    assert np.all(np.isfinite(P))
    assert relative_error(P, _pot_sinkhorn(a, b, C, reg, method="sinkhorn_log")) < 1e-7
    naive = sinkhorn_naive(a, b, C, reg)
    assert np.any(~np.isfinite(naive)) or np.any(naive.sum(axis=1) == 0)


def test_sinkhorn_naive_equals_log_domain_for_moderate_reg():
    a, b, C = _problem(4)
    assert relative_error(sinkhorn_naive(a, b, C, 0.2, tol=1e-14), sinkhorn(a, b, C, 0.2, tol=1e-14)) < 1e-10


def test_sinkhorn_plan_has_the_marginals_and_gibbs_form():
    a, b, C = _problem(5)
    reg = 0.05
    P, f, g, errors = sinkhorn_log(a, b, C, reg, tol=1e-12)
    np.testing.assert_allclose(P.sum(axis=1), a, atol=1e-12)
    np.testing.assert_allclose(P.sum(axis=0), b, atol=1e-14)
    np.testing.assert_allclose(P, np.exp((f[:, None] + g[None, :] - C) / reg), rtol=1e-12)
    assert errors[-1] <= 1e-12 and len(errors) > 1


def test_sinkhorn_is_the_minimiser_among_feasible_perturbations():
    a, b, C = _problem(6)
    reg = 0.1
    P = sinkhorn(a, b, C, reg, tol=1e-14)
    base = entropic_objective(P, C, reg)
    rng = np.random.default_rng(6)
    for _ in range(200):
        D = rng.normal(size=C.shape)
        D -= D.mean(axis=1, keepdims=True)
        D -= D.mean(axis=0, keepdims=True)  # zero row and column sums
        t = 0.5 * P.min() / np.abs(D).max()
        assert entropic_objective(P + t * D, C, reg) > base


def test_zero_mass_entries_give_zero_rows_and_columns_and_pot_on_the_support():
    a, b, C = _problem(7, zero=True)  # a[1] = 0, b[-1] = 0 (POT's scaling divides by a: it needs the support)
    P = sinkhorn(a, b, C, 0.1, tol=1e-13)
    assert np.all(P[1] == 0) and np.all(P[:, -1] == 0)
    rows, cols = a > 0, b > 0
    pot = _pot_sinkhorn(a[rows], b[cols], C[np.ix_(rows, cols)], 0.1)
    assert relative_error(P[np.ix_(rows, cols)], pot) < 1e-9


def test_unnormalised_equal_masses_are_allowed():
    a, b, C = _problem(8)
    np.testing.assert_allclose(sinkhorn(3 * a, 3 * b, C, 0.3, tol=1e-13), 3 * sinkhorn(a, b, C, 0.3, tol=1e-13), rtol=1e-9)


def test_transport_cost_equals_pot_sinkhorn2():
    a, b, C = _problem(9)
    P = sinkhorn(a, b, C, 0.05, tol=1e-13)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pot = ot.sinkhorn2(a, b, C, 0.05, numItermax=200_000, stopThr=1e-13)
    assert abs(np.sum(P * C) - float(pot)) < 1e-11


def test_regularised_value_matches_the_objective_of_pots_plan():
    a, b, C = _problem(10)
    value = sinkhorn_cost(a, b, C, 0.1, tol=1e-13)[0]
    assert abs(value - entropic_objective(_pot_sinkhorn(a, b, C, 0.1), C, 0.1)) < 1e-11


@pytest.mark.parametrize("seed", [11, 12])
def test_small_reg_approaches_pot_emd_within_the_entropy_bound(seed):
    a, b, C = _problem(seed, n=10, m=8)
    exact = ot.emd2(a, b, C)
    min_entropy = min(scipy.stats.entropy(a), scipy.stats.entropy(b))
    for reg in [0.1, 0.03, 0.01, 0.003]:
        gap = np.sum(sinkhorn(a, b, C, reg, tol=1e-12, n_iter=100_000) * C) - exact
        assert -1e-12 <= gap <= reg * min_entropy + 1e-12


def test_small_reg_plan_tends_to_the_unique_pot_emd_plan():
    # on the line with a strictly convex cost the monotone plan is the unique LP solution
    rng = np.random.default_rng(21)
    x, y = np.sort(rng.uniform(0, 1, 6)), np.sort(rng.uniform(0, 1, 5))
    a, b = rng.uniform(0.2, 1, 6), rng.uniform(0.2, 1, 5)
    a, b = a / a.sum(), b / b.sum()
    C = (x[:, None] - y[None, :]) ** 2
    exact = ot.emd(a, b, C)
    distances = [np.abs(sinkhorn(a, b, C, reg, n_iter=200_000, tol=1e-13) - exact).sum() for reg in (1e-2, 1e-3, 3e-4)]
    assert distances[0] > 0.1 and distances[1] < 1e-3 and distances[2] < 1e-10


def test_transport_cost_and_entropy_increase_with_reg():
    a, b, C = _problem(20, n=8, m=9)
    regs = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
    plans = [sinkhorn(a, b, C, reg, tol=1e-13, n_iter=200_000) for reg in regs]
    costs = [np.sum(P * C) for P in plans]
    entropies = [scipy.stats.entropy(P.ravel()) for P in plans]
    assert np.all(np.diff(costs) > 0) and np.all(np.diff(entropies) > 0)


def _torch_unrolled_cost(a, b, C, reg, n_iter):
    f, g = torch.zeros_like(a), torch.zeros_like(b)
    for _ in range(n_iter):
        f = reg * (torch.log(a) - torch.logsumexp((g[None, :] - C) / reg, 1))
        g = reg * (torch.log(b) - torch.logsumexp((f[:, None] - C) / reg, 0))
    P = torch.exp((f[:, None] + g[None, :] - C) / reg)
    return (P * C).sum() + reg * (P * (torch.log(P) - 1)).sum()


def _project(da, db):
    shift = (da.sum() - db.sum()) / (da.size + db.size)
    return da - shift, db + shift


@pytest.mark.parametrize("reg", [0.5, 0.1])
def test_envelope_gradients_equal_autograd_of_unrolled_sinkhorn(reg):
    a, b, C = _problem(13, n=6, m=5)
    value, dC, da, db = sinkhorn_cost(a, b, C, reg, tol=1e-14)
    at, bt, Ct = (torch.tensor(x, requires_grad=True) for x in (a, b, C))
    v = _torch_unrolled_cost(at, bt, Ct, reg, 1500)
    v.backward()
    assert abs(value - v.item()) < 1e-12
    assert relative_error(dC, Ct.grad.numpy()) < 1e-10
    ga, gb = _project(at.grad.numpy(), bt.grad.numpy())
    assert relative_error(np.concatenate([da, db]), np.concatenate([ga, gb])) < 1e-10


def test_cost_gradient_equals_finite_differences():
    a, b, C = _problem(14, n=4, m=3)
    reg = 0.2
    dC = sinkhorn_cost(a, b, C, reg, tol=1e-15)[1]
    numeric = numerical_gradient(lambda c: sinkhorn_cost(a, b, c, reg, tol=1e-15)[0], C)
    assert relative_error(dC, numeric) < 1e-7


def test_marginal_gradient_equals_directional_finite_differences():
    a, b, C = _problem(15, n=5, m=4)
    reg = 0.1
    _, _, da, db = sinkhorn_cost(a, b, C, reg, tol=1e-15)
    assert abs(da.sum() - db.sum()) < 1e-12  # the documented convention
    rng = np.random.default_rng(15)
    h = 1e-6
    for _ in range(5):
        ua, ub = rng.normal(size=5), rng.normal(size=4)
        ub += (ua.sum() - ub.sum()) / 4  # equal change of mass
        fd = (
            sinkhorn_cost(a + h * ua, b + h * ub, C, reg, tol=1e-15)[0]
            - sinkhorn_cost(a - h * ua, b - h * ub, C, reg, tol=1e-15)[0]
        ) / (2 * h)
        assert abs(fd - (da @ ua + db @ ub)) < 1e-7 * max(1.0, abs(fd))


def test_w1_line_reference_equals_scipy_and_pot_emd():
    rng = np.random.default_rng(16)
    x, y = rng.normal(size=6), rng.normal(size=9) + 0.3
    a, b = rng.uniform(0.1, 1, 6), rng.uniform(0.1, 1, 9)
    a, b = a / a.sum(), b / b.sum()
    w = _w1_line_reference(x, a, y, b)
    assert abs(w - scipy.stats.wasserstein_distance(x, y, a, b)) < 1e-12
    assert abs(w - ot.emd2(a, b, np.abs(x[:, None] - y[None, :]))) < 1e-12


def test_float32_inputs_keep_their_dtype():
    a, b, C = _problem(17)
    assert sinkhorn(a.astype(np.float32), b.astype(np.float32), C.astype(np.float32), 0.1).dtype == np.float32


def test_nonconvergence_warns():
    a, b, C = _problem(18)
    with pytest.warns(RuntimeWarning, match="did not reach"):
        sinkhorn(a, b, C, 1e-3, n_iter=3)


@pytest.mark.parametrize(
    "args, name",
    [
        ((np.ones(3) / 3, np.ones(2) / 2, np.zeros((2, 3)), 0.1), "C"),
        ((np.ones(3) / 3, np.ones(2) / 2, np.zeros(6), 0.1), "C"),
        ((np.ones(3) / 3, np.ones(2), np.zeros((3, 2)), 0.1), "equal mass"),
        ((np.array([0.5, 0.7, -0.2]), np.ones(2) / 2, np.zeros((3, 2)), 0.1), "a"),
        ((np.ones(3) / 3, np.array([1.5, -0.5]), np.zeros((3, 2)), 0.1), "b"),
        ((np.ones(3) / 3, np.ones(2) / 2, np.zeros((3, 2)), 0.0), "reg"),
        ((np.ones(3) / 3, np.ones(2) / 2, np.zeros((3, 2)), -1.0), "reg"),
        ((np.ones((3, 1)) / 3, np.ones(2) / 2, np.zeros((3, 2)), 0.1), "a"),
        ((np.ones(3) / 3, np.ones(2) / 2, np.full((3, 2), np.nan), 0.1), "C"),
    ],
)
def test_bad_input_names_the_argument(args, name):
    with pytest.raises(ValueError, match=name):
        sinkhorn(*args)


def test_bad_iteration_arguments_are_named():
    a, b, C = _problem(19)
    with pytest.raises(ValueError, match="n_iter"):
        sinkhorn(a, b, C, 0.1, n_iter=0)
    with pytest.raises(ValueError, match="tol"):
        sinkhorn(a, b, C, 0.1, tol=-1.0)
    with pytest.raises(ValueError, match="a must be strictly positive"):
        sinkhorn_cost(np.array([0.0, 1.0]), np.array([0.5, 0.5]), np.zeros((2, 2)), 0.1)


def test_entropic_plan_from_a_histogram_to_itself_is_not_the_identity():
    a, _, _ = _problem(22, n=6, m=6)
    pts = np.random.default_rng(22).normal(size=(6, 2))
    C = squared_distances(pts, pts)
    P = sinkhorn(a, a, C, 1.0, tol=1e-11, n_iter=100_000)
    assert np.sum(P * C) > 1e-3 and abs(ot.emd2(a, a, C)) < 1e-12
    assert np.abs(P - np.diag(a)).sum() > 1e-2
