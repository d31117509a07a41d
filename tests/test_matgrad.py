"""Tests for ``mlmath.matgrad``: backward passes of det, log det, Cholesky, eigh and the
thin SVD, against torch autograd through ``torch.linalg`` (float64), SymPy and central
differences along symmetric directions, with sign-invariant losses only."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch

from mlmath.gradcheck import numerical_gradient, relative_error
from mlmath.matgrad import cholesky_backward, det_grad, eigh_backward, logdet_grad, phi, svd_backward

AUTOGRAD_TOL = 1e-12
FD_TOL = 1e-7


def _spd(rng, n):
    B = rng.normal(size=(n, n))
    return B @ B.T + n * np.eye(n)


def _sym(rng, n):
    B = rng.normal(size=(n, n))
    return B + B.T


def _directional_fd(f, A, E, eps=1e-6):
    """(f(A + eps E) - f(A - eps E)) / (2 eps): the derivative along a symmetric direction E."""
    return (f(A + eps * E) - f(A - eps * E)) / (2 * eps)


# --- det and log det ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_det_grad_matches_torch_autograd(n):
    rng = np.random.default_rng(n)
    A = rng.normal(size=(n, n))
    At = torch.tensor(A, requires_grad=True)
    torch.linalg.det(At).backward()
    assert relative_error(det_grad(A), At.grad.numpy()) < AUTOGRAD_TOL


def test_det_grad_is_the_sympy_cofactor_matrix_also_for_singular_matrices():
    rng = np.random.default_rng(1)
    for rank in (3, 2, 1):
        A = rng.integers(-3, 4, size=(3, rank)) @ rng.integers(-3, 4, size=(rank, 3))
        cof = np.array(sp.Matrix(A.tolist()).adjugate().T, dtype=float)
        assert np.allclose(det_grad(A.astype(float)), cof, atol=1e-12), rank


def test_det_grad_of_singular_matrix_matches_finite_differences_and_is_nonzero():
    rng = np.random.default_rng(2)
    A = rng.normal(size=(4, 4))
    A[:, 3] = A[:, 0] - 2 * A[:, 1]  # rank 3: the cofactor matrix is rank one, not zero
    g = det_grad(A)
    assert np.abs(g).max() > 1e-2
    assert relative_error(g, numerical_gradient(np.linalg.det, A)) < FD_TOL


@pytest.mark.parametrize("n", [1, 3, 6])
def test_logdet_grad_matches_torch_slogdet(n):
    rng = np.random.default_rng(10 + n)
    A = _spd(rng, n) + rng.normal(size=(n, n))  # non-symmetric, positive determinant
    assert np.linalg.det(A) > 0
    At = torch.tensor(A, requires_grad=True)
    torch.linalg.slogdet(At)[1].backward()
    assert relative_error(logdet_grad(A), At.grad.numpy()) < AUTOGRAD_TOL


def test_logdet_grad_rejects_non_positive_determinant():
    with pytest.raises(ValueError, match="A must have a positive determinant"):
        logdet_grad(np.diag([1.0, -2.0]))


def test_det_grad_rejects_non_square_matrix():
    with pytest.raises(ValueError, match="A must be a square matrix"):
        det_grad(np.ones((2, 3)))


# --- Cholesky -------------------------------------------------------------------------------


def test_phi_keeps_lower_triangle_and_halves_diagonal():
    X = np.arange(1.0, 10.0).reshape(3, 3)
    assert np.array_equal(phi(X), np.array([[0.5, 0, 0], [4, 2.5, 0], [7, 8, 4.5]]))


@pytest.mark.parametrize("n", [1, 2, 4, 7])
def test_cholesky_backward_matches_torch_autograd(n):
    rng = np.random.default_rng(20 + n)
    A, C = _spd(rng, n), rng.normal(size=(n, n))
    At = torch.tensor(A, requires_grad=True)
    (torch.linalg.cholesky(At) * torch.tensor(C)).sum().backward()
    L = np.linalg.cholesky(A)
    assert relative_error(cholesky_backward(L, np.tril(C)), At.grad.numpy()) < AUTOGRAD_TOL


def test_cholesky_backward_ignores_upper_triangle_of_dL_and_is_symmetric():
    rng = np.random.default_rng(3)
    A, C = _spd(rng, 5), rng.normal(size=(5, 5))
    L = np.linalg.cholesky(A)
    G = cholesky_backward(L, C)
    assert np.allclose(G, cholesky_backward(L, np.tril(C)), rtol=1e-14, atol=1e-15)
    assert np.array_equal(G, G.T)


def test_cholesky_backward_matches_finite_differences_along_symmetric_directions():
    rng = np.random.default_rng(4)
    A, C = _spd(rng, 4), rng.normal(size=(4, 4))
    G = cholesky_backward(np.linalg.cholesky(A), C)
    f = lambda M: np.sum(C * np.linalg.cholesky(M))
    for _ in range(5):
        E = _sym(rng, 4)
        assert abs(np.sum(G * E) - _directional_fd(f, A, E)) < 1e-7 * np.abs(G).sum()


def test_cholesky_backward_of_logdet_is_the_inverse():
    # log det A = 2 sum log L_ii, so dL = diag(2 / L_ii) must give A^{-1}
    rng = np.random.default_rng(5)
    A = _spd(rng, 6)
    L = np.linalg.cholesky(A)
    assert relative_error(cholesky_backward(L, np.diag(2 / np.diag(L))), np.linalg.inv(A)) < 1e-12


@pytest.mark.parametrize(
    "L, dL, match",
    [
        (np.array([[1.0, 0.5], [0.2, 1.0]]), np.eye(2), "L must be lower triangular"),
        (np.array([[1.0, 0.0], [0.2, -1.0]]), np.eye(2), "L must have a positive diagonal"),
        (np.array([[1.0, 0.0], [0.2, 0.0]]), np.eye(2), "L must have a positive diagonal"),
        (np.eye(2), np.eye(3), "dL must have the shape of L"),
        (np.ones((2, 3)), np.ones((2, 3)), "L must be a square matrix"),
    ],
)
def test_cholesky_backward_rejects_bad_input(L, dL, match):
    with pytest.raises(ValueError, match=match):
        cholesky_backward(L, dL)


# --- eigh -----------------------------------------------------------------------------------


def _torch_eigh_grad(A, c, C):
    At = torch.tensor(A, requires_grad=True)
    w, V = torch.linalg.eigh(At)
    ((w * torch.tensor(c)).sum() + ((V * torch.tensor(C)) ** 2).sum()).backward()
    return w.detach().numpy(), V.detach().numpy(), At.grad.numpy()


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_eigh_backward_matches_torch_autograd_for_sign_invariant_loss(n):
    rng = np.random.default_rng(30 + n)
    A, c, C = _sym(rng, n), rng.normal(size=n), rng.normal(size=(n, n))
    w, V, expected = _torch_eigh_grad(A, c, C)
    assert relative_error(eigh_backward(w, V, c, 2 * C**2 * V), expected) < AUTOGRAD_TOL


def test_eigh_backward_matches_finite_differences_along_symmetric_directions():
    rng = np.random.default_rng(6)
    A, c, C = _sym(rng, 4), rng.normal(size=4), rng.normal(size=(4, 4))

    def f(M):
        w, V = np.linalg.eigh(M)
        return np.sum(c * w) + np.sum((V * C) ** 2)

    w, V = np.linalg.eigh(A)
    G = eigh_backward(w, V, c, 2 * C**2 * V)
    for _ in range(5):
        E = _sym(rng, 4)
        assert abs(np.sum(G * E) - _directional_fd(f, A, E)) < 1e-7 * np.abs(G).sum()


def test_eigh_backward_of_eigenvalues_alone_is_v_diag_v_and_allows_repeated_values():
    V, _ = np.linalg.qr(np.random.default_rng(7).normal(size=(3, 3)))
    w = np.array([1.0, 1.0, 2.0])
    dw = np.array([0.5, 0.5, -1.0])  # symmetric in the repeated pair: a well-defined gradient
    assert np.allclose(eigh_backward(w, V, dw, None), V @ np.diag(dw) @ V.T, atol=1e-15)


def test_eigh_backward_gradient_grows_like_one_over_the_gap():
    rng = np.random.default_rng(8)
    Q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    C = rng.normal(size=(3, 3))
    norms = []
    gaps = [1e-1, 1e-2, 1e-3]
    for gap in gaps:
        w = np.array([1.0, 1.0 + gap, 3.0])
        norms.append(np.linalg.norm(eigh_backward(w, Q, None, 2 * C**2 * Q)))
    slope = np.polyfit(np.log(gaps), np.log(norms), 1)[0]
    assert -1.05 < slope < -0.95


@pytest.mark.parametrize(
    "w, V, dV, match",
    [
        (np.array([2.0, 1.0]), np.eye(2), None, "w must be in ascending order"),
        (np.array([1.0, 1.0]), np.eye(2), np.ones((2, 2)), "w must have distinct eigenvalues"),
        (np.array([1.0, 2.0]), np.array([[1.0, 1.0], [0.0, 1.0]]), None, "V must have orthonormal columns"),
        (np.array([1.0, 2.0, 3.0]), np.eye(2), None, "V must have shape"),
        (np.array([1.0, 2.0]), np.eye(2), np.ones((3, 3)), "dV must have the shape of V"),
    ],
)
def test_eigh_backward_rejects_bad_input(w, V, dV, match):
    with pytest.raises(ValueError, match=match):
        eigh_backward(w, V, np.ones(len(w)), dV)


# --- SVD ------------------------------------------------------------------------------------


def _torch_svd_grad(A, c, C1, C2, use_u=True, use_v=True):
    At = torch.tensor(A, requires_grad=True)
    U, S, Vh = torch.linalg.svd(At, full_matrices=False)
    loss = (S * torch.tensor(c)).sum()
    if use_u:
        loss = loss + ((U * torch.tensor(C1)) ** 2).sum()
    if use_v:
        loss = loss + ((Vh * torch.tensor(C2)) ** 2).sum()
    loss.backward()
    return U.detach().numpy(), S.detach().numpy(), Vh.detach().numpy(), At.grad.numpy()


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (6, 3), (3, 6), (5, 1), (1, 4), (7, 5)])
@pytest.mark.parametrize("use_u, use_v", [(True, True), (True, False), (False, True)])
def test_svd_backward_matches_torch_autograd(shape, use_u, use_v):
    m, n = shape
    k = min(m, n)
    rng = np.random.default_rng(m * 10 + n)
    A, c, C1, C2 = rng.normal(size=shape), rng.normal(size=k), rng.normal(size=(m, k)), rng.normal(size=(k, n))
    U, S, Vh, expected = _torch_svd_grad(A, c, C1, C2, use_u, use_v)
    dU = 2 * C1**2 * U if use_u else None
    dVh = 2 * C2**2 * Vh if use_v else None
    assert relative_error(svd_backward(U, S, Vh, dU, c, dVh), expected) < AUTOGRAD_TOL


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4)])
def test_svd_backward_matches_finite_differences(shape):
    m, n = shape
    k = min(m, n)
    rng = np.random.default_rng(40 + m + n)
    A, c, C1, C2 = rng.normal(size=shape), rng.normal(size=k), rng.normal(size=(m, k)), rng.normal(size=(k, n))

    def f(M):
        U, S, Vh = np.linalg.svd(M, full_matrices=False)
        return np.sum(c * S) + np.sum((U * C1) ** 2) + np.sum((Vh * C2) ** 2)

    U, S, Vh = np.linalg.svd(A, full_matrices=False)
    G = svd_backward(U, S, Vh, 2 * C1**2 * U, c, 2 * C2**2 * Vh)
    assert relative_error(G, numerical_gradient(f, A)) < FD_TOL


def test_svd_backward_rectangular_terms_are_needed():
    # Without the (I - U U^T) dU S^{-1} V^T term the tall case is wrong.
    rng = np.random.default_rng(9)
    A, C1 = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    U, S, Vh, expected = _torch_svd_grad(A, np.zeros(3), C1, np.zeros((3, 3)), True, False)
    dU = 2 * C1**2 * U
    full = svd_backward(U, S, Vh, dU, None, None)
    square_only = full - ((dU - U @ (U.T @ dU)) / S) @ Vh
    assert relative_error(full, expected) < AUTOGRAD_TOL
    assert relative_error(square_only, expected) > 1e-2


def test_svd_backward_of_singular_values_alone_is_u_v_outer_products():
    rng = np.random.default_rng(11)
    A = rng.normal(size=(5, 3))
    U, S, Vh = np.linalg.svd(A, full_matrices=False)
    for i in range(3):
        e = np.eye(3)[i]
        assert np.allclose(svd_backward(U, S, Vh, None, e, None), np.outer(U[:, i], Vh[i]), atol=1e-15)
    # nuclear norm: gradient U V^T, also fine with repeated singular values
    Q1, _ = np.linalg.qr(rng.normal(size=(4, 3)))
    Q2, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    G = svd_backward(Q1, np.array([2.0, 2.0, 1.0]), Q2.T, None, np.ones(3), None)
    assert np.allclose(G, Q1 @ Q2.T, atol=1e-15)


def test_svd_backward_gradient_grows_like_one_over_the_gap():
    rng = np.random.default_rng(12)
    U, _ = np.linalg.qr(rng.normal(size=(5, 3)))
    V, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    C = rng.normal(size=(5, 3))
    gaps = [1e-1, 1e-2, 1e-3]
    norms = [np.linalg.norm(svd_backward(U, np.array([2.0, 1.0 + g, 1.0]), V.T, 2 * C**2 * U, None, None)) for g in gaps]
    slope = np.polyfit(np.log(gaps), np.log(norms), 1)[0]
    assert -1.05 < slope < -0.95


@pytest.mark.parametrize(
    "S, dU, match",
    [
        (np.array([1.0, 2.0]), None, "S must be non-negative and descending"),
        (np.array([2.0, -1.0]), None, "S must be non-negative and descending"),
        (np.array([2.0, 2.0]), np.ones((3, 2)), "S must hold distinct singular values"),
        (np.array([2.0, 0.0]), np.ones((3, 2)), "S must be positive for a rectangular A"),
        (np.array([2.0, 1.0]), np.ones((2, 2)), "dU must have the shape of U"),
    ],
)
def test_svd_backward_rejects_bad_input(S, dU, match):
    U = np.eye(3)[:, :2]
    with pytest.raises(ValueError, match=match):
        svd_backward(U, S, np.eye(2), dU, np.ones(2), None)


def test_svd_backward_rejects_non_orthonormal_factors_and_truncated_svd():
    with pytest.raises(ValueError, match="U must have orthonormal columns"):
        svd_backward(np.ones((3, 2)), np.array([2.0, 1.0]), np.eye(2), None, np.ones(2), None)
    with pytest.raises(ValueError, match="k = min"):
        svd_backward(np.eye(3)[:, :1], np.array([1.0]), np.eye(3)[:1], None, np.ones(1), None)
