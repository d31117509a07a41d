"""mlmath.linalg against NumPy and SciPy: pseudo-inverse, minimum-norm least
squares, truncated SVD (Eckart-Young) and equality-constrained quadratic programs."""

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize

from mlmath.gradcheck import numerical_gradient
from mlmath.linalg import equality_qp, low_rank_approx, lstsq_min_norm, pinv

RTOL = 1e-10  # float64 results of well-conditioned problems of size <= 10


def _rank_deficient(rng, m, n, r):
    return rng.normal(size=(m, r)) @ rng.normal(size=(r, n))


def _with_singular_values(rng, m, n, s):
    U, _ = np.linalg.qr(rng.normal(size=(m, m)))
    V, _ = np.linalg.qr(rng.normal(size=(n, n)))
    S = np.zeros((m, n))
    S[: len(s), : len(s)] = np.diag(s)
    return U @ S @ V.T


# --- pinv ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (3, 5), (4, 4), (2, 6, 4), (3, 2, 4, 5)])
def test_pinv_equals_numpy_pinv(shape):
    rng = np.random.default_rng(1)
    A = rng.normal(size=shape)
    np.testing.assert_allclose(pinv(A), np.linalg.pinv(A), rtol=RTOL, atol=1e-13)
    assert pinv(A).shape == shape[:-2] + (shape[-1], shape[-2])


def test_pinv_equals_numpy_pinv_on_rank_deficient_matrices():
    rng = np.random.default_rng(2)
    for m, n, r in [(6, 4, 2), (4, 6, 1), (5, 5, 3)]:
        A = _rank_deficient(rng, m, n, r)
        np.testing.assert_allclose(pinv(A), np.linalg.pinv(A), rtol=1e-9, atol=1e-12)
        assert np.linalg.matrix_rank(pinv(A)) == r


@pytest.mark.parametrize("rcond", [0.0, 1e-15, 1e-6, 1e-2, 0.5])
def test_pinv_rcond_cuts_the_same_singular_values_as_numpy(rcond):
    rng = np.random.default_rng(3)
    A = _with_singular_values(rng, 5, 4, [1.0, 1e-1, 1e-4, 1e-9])
    np.testing.assert_allclose(pinv(A, rcond), np.linalg.pinv(A, rcond), rtol=1e-8, atol=1e-12)


def test_pinv_satisfies_the_four_penrose_conditions():
    rng = np.random.default_rng(4)
    A = _rank_deficient(rng, 7, 5, 3)
    P = pinv(A)
    np.testing.assert_allclose(A @ P @ A, A, atol=1e-12)
    np.testing.assert_allclose(P @ A @ P, P, atol=1e-12)
    np.testing.assert_allclose(A @ P, (A @ P).T, atol=1e-12)
    np.testing.assert_allclose(P @ A, (P @ A).T, atol=1e-12)


def test_pinv_of_full_column_rank_is_the_normal_equations_inverse():
    rng = np.random.default_rng(5)
    A = rng.normal(size=(8, 3))
    np.testing.assert_allclose(pinv(A), np.linalg.solve(A.T @ A, A.T), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(pinv(A) @ A, np.eye(3), atol=1e-13)


def test_pinv_of_an_invertible_matrix_is_its_inverse():
    rng = np.random.default_rng(6)
    A = rng.normal(size=(4, 4)) + 4 * np.eye(4)
    np.testing.assert_allclose(pinv(A), scipy.linalg.inv(A), rtol=1e-10, atol=1e-13)


def test_pinv_of_zero_and_empty_matrices():
    np.testing.assert_array_equal(pinv(np.zeros((3, 2))), np.zeros((2, 3)))
    assert pinv(np.zeros((0, 3))).shape == (3, 0)


def test_pinv_keeps_float32():
    A = np.random.default_rng(7).normal(size=(4, 3)).astype(np.float32)
    P = pinv(A)
    assert P.dtype == np.float32
    np.testing.assert_allclose(P, np.linalg.pinv(A.astype(np.float64)), rtol=1e-4, atol=1e-5)


# --- least squares ---------------------------------------------------------------------------


@pytest.mark.parametrize("m, n, r", [(8, 3, 3), (3, 8, 3), (6, 6, 4), (5, 7, 2)])
def test_lstsq_min_norm_equals_numpy_lstsq(m, n, r):
    rng = np.random.default_rng(10 + m + n + r)
    A = _rank_deficient(rng, m, n, r)
    b = rng.normal(size=m)
    B = rng.normal(size=(m, 3))
    np.testing.assert_allclose(lstsq_min_norm(A, b), np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-8, atol=1e-11)
    np.testing.assert_allclose(lstsq_min_norm(A, B), np.linalg.lstsq(A, B, rcond=None)[0], rtol=1e-8, atol=1e-11)


def test_lstsq_min_norm_is_the_shortest_exact_solution_of_an_underdetermined_system():
    rng = np.random.default_rng(11)
    A, b = rng.normal(size=(3, 7)), rng.normal(size=3)
    x = lstsq_min_norm(A, b)
    np.testing.assert_allclose(A @ x, b, atol=1e-12)
    np.testing.assert_allclose(x, A.T @ np.linalg.solve(A @ A.T, b), rtol=1e-10)
    N = scipy.linalg.null_space(A)
    for z in rng.normal(size=(50, N.shape[1])):
        other = x + N @ z
        np.testing.assert_allclose(A @ other, b, atol=1e-12)
        assert np.linalg.norm(other) > np.linalg.norm(x)
    np.testing.assert_allclose(N.T @ x, 0, atol=1e-12)  # x lies in the row space


def test_lstsq_min_norm_solves_the_normal_equations():
    rng = np.random.default_rng(12)
    A, b = rng.normal(size=(9, 4)), rng.normal(size=9)
    x = lstsq_min_norm(A, b)
    np.testing.assert_allclose(A.T @ (A @ x - b), 0, atol=1e-12)
    grad = numerical_gradient(lambda v: float(np.sum((A @ v - b) ** 2)), x)
    np.testing.assert_allclose(grad, 0, atol=1e-6)


# --- low-rank approximation ------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 1, 3, 5])
def test_low_rank_error_is_the_discarded_singular_values(k):
    rng = np.random.default_rng(20)
    A = rng.normal(size=(7, 5))
    s = scipy.linalg.svdvals(A)
    Ak = low_rank_approx(A, k)
    assert np.linalg.matrix_rank(Ak) == k
    np.testing.assert_allclose(np.linalg.norm(A - Ak, "fro"), np.sqrt(np.sum(s[k:] ** 2)), rtol=1e-12, atol=1e-13)
    spectral = s[k] if k < len(s) else 0.0
    np.testing.assert_allclose(np.linalg.norm(A - Ak, 2), spectral, rtol=1e-12, atol=1e-13)


def test_low_rank_approx_is_not_beaten_by_other_rank_k_matrices():
    rng = np.random.default_rng(21)
    A, k = rng.normal(size=(8, 6)), 2
    best = np.linalg.norm(A - low_rank_approx(A, k), "fro")
    U, _s, Vt = scipy.linalg.svd(A)
    for _ in range(200):
        B = rng.normal(size=(8, k)) @ rng.normal(size=(k, 6))
        assert np.linalg.norm(A - B, "fro") > best
        # the best approximation in the column space of a random B: projection A onto range(B)
        P = B @ np.linalg.pinv(B)
        assert np.linalg.norm(A - P @ A, "fro") >= best - 1e-12
    perturbed = low_rank_approx(A, k) + 1e-3 * (U[:, :k] @ rng.normal(size=(k, k)) @ Vt[:k])
    assert np.linalg.norm(A - perturbed, "fro") > best


def test_low_rank_approx_of_a_rank_k_matrix_is_exact():
    rng = np.random.default_rng(22)
    A = _rank_deficient(rng, 6, 9, 3)
    np.testing.assert_allclose(low_rank_approx(A, 3), A, atol=1e-12)
    np.testing.assert_allclose(low_rank_approx(A, 6), A, atol=1e-12)


# --- equality-constrained QP -----------------------------------------------------------------


def _qp(rng, n, m, definite=True):
    M = rng.normal(size=(n, n))
    Q = M @ M.T + 0.5 * np.eye(n) if definite else (M + M.T) / 2
    return Q, rng.normal(size=n), rng.normal(size=(m, n)), rng.normal(size=m)


@pytest.mark.parametrize("n, m", [(2, 1), (4, 2), (6, 3), (5, 4)])
def test_equality_qp_matches_scipy_minimize(n, m):
    rng = np.random.default_rng(30 + n + m)
    Q, c, A, b = _qp(rng, n, m)
    x, lam = equality_qp(Q, c, A, b)
    res = scipy.optimize.minimize(
        lambda v: 0.5 * v @ Q @ v + c @ v,
        np.zeros(n),
        jac=lambda v: Q @ v + c,
        constraints=[{"type": "eq", "fun": lambda v: A @ v - b, "jac": lambda v: A}],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 500},
    )
    assert res.success, res.message
    np.testing.assert_allclose(x, res.x, rtol=1e-6, atol=1e-7)
    # the multipliers: Q x + c + A^T lam = 0, solved independently by least squares
    lam_ls = np.linalg.lstsq(A.T, -(Q @ x + c), rcond=None)[0]
    np.testing.assert_allclose(lam, lam_ls, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(Q @ x + c + A.T @ lam, 0, atol=1e-10)
    np.testing.assert_allclose(A @ x, b, atol=1e-12)


def test_equality_qp_matches_the_null_space_method():
    rng = np.random.default_rng(31)
    Q, c, A, b = _qp(rng, 7, 3)
    x, _ = equality_qp(Q, c, A, b)
    x0 = np.linalg.lstsq(A, b, rcond=None)[0]
    Z = scipy.linalg.null_space(A)
    z = scipy.linalg.solve(Z.T @ Q @ Z, -Z.T @ (Q @ x0 + c), assume_a="pos")
    np.testing.assert_allclose(x, x0 + Z @ z, rtol=1e-10, atol=1e-12)


def test_equality_qp_multipliers_are_minus_the_sensitivity_of_the_optimal_value():
    rng = np.random.default_rng(32)
    Q, c, A, b = _qp(rng, 5, 2)
    _, lam = equality_qp(Q, c, A, b)

    def optimal_value(bb):
        x, _ = equality_qp(Q, c, A, bb)
        return 0.5 * x @ Q @ x + c @ x

    np.testing.assert_allclose(lam, -numerical_gradient(optimal_value, b), rtol=1e-7, atol=1e-9)


def test_equality_qp_with_indefinite_q_that_is_positive_on_the_constraint_set():
    # f = (x1^2 - x2^2)/2 is a saddle; on x2 = 1 it is x1^2/2 + const, minimised at x1 = 0
    x, lam = equality_qp(np.diag([1.0, -1.0]), np.zeros(2), [[0.0, 1.0]], [1.0])
    np.testing.assert_allclose(x, [0.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(lam, [1.0], atol=1e-15)  # Q x + A^T lam = (0, -1) + (0, lam) = 0


def test_equality_qp_without_constraints_is_the_newton_step():
    rng = np.random.default_rng(33)
    Q, c, _, _ = _qp(rng, 4, 0)
    x, lam = equality_qp(Q, c, np.zeros((0, 4)), np.zeros(0))
    np.testing.assert_allclose(x, -scipy.linalg.solve(Q, c, assume_a="pos"), rtol=1e-10)
    assert lam.shape == (0,)


def test_equality_qp_minimum_norm_problem_gives_the_pseudo_inverse_solution():
    rng = np.random.default_rng(34)
    A, b = rng.normal(size=(3, 6)), rng.normal(size=3)
    x, _ = equality_qp(np.eye(6), np.zeros(6), A, b)
    np.testing.assert_allclose(x, np.linalg.pinv(A) @ b, rtol=1e-10)


# --- bad input -------------------------------------------------------------------------------

GOOD = (np.eye(3), np.zeros(3), np.ones((1, 3)), np.ones(1))


@pytest.mark.parametrize(
    "args, name",
    [
        ((np.ones((3, 2)),) + GOOD[1:], "Q"),
        ((np.array([[1.0, 2.0, 0], [0, 1, 0], [0, 0, 1]]),) + GOOD[1:], "Q"),
        ((np.ones(3),) + GOOD[1:], "Q"),
        ((np.diag([1.0, np.nan, 1.0]),) + GOOD[1:], "Q"),
        ((GOOD[0], np.zeros(4)) + GOOD[2:], "c"),
        ((GOOD[0], np.array([0.0, np.inf, 0.0])) + GOOD[2:], "c"),
        (GOOD[:2] + (np.ones((1, 4)), GOOD[3]), "A"),
        (GOOD[:2] + (np.array([[1.0, np.nan, 0.0]]), GOOD[3]), "A"),
        (GOOD[:2] + (np.ones((2, 3)), np.ones(2)), "A"),  # rank 1 < 2 rows
        (GOOD[:3] + (np.ones(2),), "b"),
        (GOOD[:3] + (np.array([np.nan]),), "b"),
        ((np.diag([1.0, -1.0, 1.0]), np.zeros(3), np.array([[1.0, 0.0, 0.0]]), np.ones(1)), "Q"),  # unbounded below
    ],
)
def test_equality_qp_bad_input_names_the_argument(args, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        equality_qp(*args)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: pinv(np.ones(3)), "A"),
        (lambda: pinv(np.array([[1.0, np.nan]])), "A"),
        (lambda: pinv(np.eye(2), rcond=-1.0), "rcond"),
        (lambda: pinv(np.eye(2), rcond=np.nan), "rcond"),
        (lambda: lstsq_min_norm(np.eye(3), np.ones(2)), "b"),
        (lambda: lstsq_min_norm(np.eye(3), np.array([1.0, np.inf, 0.0])), "b"),
        (lambda: lstsq_min_norm(np.ones((2, 2, 2)), np.ones(2)), "A"),
        (lambda: low_rank_approx(np.eye(3), 4), "k"),
        (lambda: low_rank_approx(np.eye(3), -1), "k"),
        (lambda: low_rank_approx(np.eye(3), 1.5), "k"),
        (lambda: low_rank_approx(np.array([[np.inf]]), 1), "A"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


# --- errata ----------------------------------------------------------------------------------


def test_erratum_frobenius_trace_needs_the_conjugate_transpose():
    """||A||_F = sqrt(tr(A^H A)); with A^T the trace can be negative or complex for complex A."""
    A = np.array([[1j]])
    fro = np.sqrt(np.sum(np.abs(A) ** 2))
    assert np.isclose(np.sqrt(np.trace(A.conj().T @ A)), fro)
    assert np.trace(A.T @ A) == -1  # the wrong version: sqrt(-1) is not a norm
    rng = np.random.default_rng(40)
    B = rng.normal(size=(3, 4)) + 1j * rng.normal(size=(3, 4))
    np.testing.assert_allclose(np.trace(B.conj().T @ B), np.linalg.norm(B, "fro") ** 2, rtol=1e-12)
    assert abs(np.trace(B.T @ B) - np.linalg.norm(B, "fro") ** 2) > 1.0


def test_erratum_band_matrix_is_not_a_special_case_of_toeplitz():
    """A banded matrix need not be Toeplitz, a Toeplitz matrix need not be banded; convolution is both."""
    tridiagonal = np.diag([1.0, 2.0, 3.0, 4.0]) + np.diag([1.0, 1.0, 1.0], 1) + np.diag([1.0, 1.0, 1.0], -1)
    full_toeplitz = scipy.linalg.toeplitz(np.arange(1.0, 5.0), np.arange(1.0, 5.0))

    def is_toeplitz(M):
        return np.allclose(M[1:, 1:], M[:-1, :-1])

    def bandwidth(M):
        i, j = np.nonzero(M)
        return int(np.max(np.abs(i - j)))

    assert bandwidth(tridiagonal) == 1 and not is_toeplitz(tridiagonal)
    assert is_toeplitz(full_toeplitz) and bandwidth(full_toeplitz) == 3
