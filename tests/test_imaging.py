"""Tests for mlmath.imaging: Tikhonov, circular deconvolution, total variation, TV and CG solvers,
the Radon matrix, PSNR, homographies and registration, orientation histograms; plus the regression
tests of the imaging errata (chapters/appendices/errata.md)."""

import mpmath
import numpy as np
import pytest
import scipy.linalg
import scipy.ndimage
import scipy.optimize
import skimage.metrics
import skimage.transform
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose

from mlmath.gradcheck import check_gradient, numerical_gradient, relative_error
from mlmath.imaging import (
    bilinear_sample,
    circular_convolve,
    dominant_orientation,
    forward_difference,
    forward_difference_adjoint,
    homography_apply,
    homography_from_points,
    homography_jacobian,
    homography_point_jacobian,
    orientation_histogram,
    orientation_shift,
    psnr,
    radon_matrix,
    register_homography,
    tikhonov_cg,
    tikhonov_deconvolve_circular,
    tikhonov_solve,
    tv_smoothed,
    tv_solve,
    tv_value,
)

PROP = settings()  # the shared profile (tests/conftest.py)


def _difference_matrix(n):
    """First-difference matrix (n-1, n): (L x)_i = x_{i+1} - x_i."""
    return np.eye(n, k=1)[:-1] - np.eye(n)[:-1]


# ---------------------------------------------------------------------------
# tikhonov_solve
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("use_L", [False, True])
def test_tikhonov_solve_objective_gradient_vanishes_at_solution(use_L):
    rng = np.random.default_rng(0)
    m, n, lam = 9, 6, 0.3
    A, y = rng.standard_normal((m, n)), rng.standard_normal(m)
    L = _difference_matrix(n) if use_L else np.eye(n)
    x = tikhonov_solve(A, y, lam, L if use_L else None)
    grad = 2 * A.T @ (A @ x - y) + 2 * lam * L.T @ (L @ x)
    assert np.max(np.abs(grad)) < 1e-12 * (np.linalg.norm(A) ** 2 * np.linalg.norm(x) + np.linalg.norm(A) * np.linalg.norm(y))


@PROP
@given(m=st.integers(1, 8), n=st.integers(1, 6), p=st.integers(1, 6), lam=st.floats(1e-3, 1e2), seed=st.integers(0, 2**16))
def test_tikhonov_solve_equals_scipy_lstsq_of_stacked_system(m, n, p, lam, seed):
    rng = np.random.default_rng(seed)
    A, y = rng.standard_normal((m, n)), rng.standard_normal(m)
    L = rng.standard_normal((p, n))
    # the stacked matrix must have full column rank for a unique minimiser
    assume(np.linalg.matrix_rank(np.vstack([A, L])) == n)
    stacked = np.vstack([A, np.sqrt(lam) * L])
    expected = scipy.linalg.lstsq(stacked, np.concatenate([y, np.zeros(p)]))[0]
    assert_allclose(tikhonov_solve(A, y, lam, L), expected, rtol=1e-8, atol=1e-10)


@PROP
@given(m=st.integers(1, 8), n=st.integers(1, 6), lam=st.floats(1e-3, 1e2), seed=st.integers(0, 2**16))
def test_tikhonov_solve_default_L_equals_cholesky_normal_equations(m, n, lam, seed):
    rng = np.random.default_rng(seed)
    A, y = rng.standard_normal((m, n)), rng.standard_normal(m)
    expected = scipy.linalg.solve(A.T @ A + lam * np.eye(n), A.T @ y, assume_a="pos")
    assert_allclose(tikhonov_solve(A, y, lam), expected, rtol=1e-8, atol=1e-10)


def test_tikhonov_solve_lam_zero_full_rank_equals_lstsq():
    rng = np.random.default_rng(1)
    A, y = rng.standard_normal((10, 4)), rng.standard_normal(10)
    assert_allclose(tikhonov_solve(A, y, 0.0), scipy.linalg.lstsq(A, y)[0], rtol=1e-10, atol=1e-12)
    # square invertible A with lam = 0 is the plain solve
    B = rng.standard_normal((5, 5)) + 5 * np.eye(5)
    z = rng.standard_normal(5)
    assert_allclose(tikhonov_solve(B, z, 0), np.linalg.solve(B, z), rtol=1e-10, atol=1e-12)


def test_tikhonov_solve_rank_deficient_A_is_unique_for_positive_lam():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 5))  # rank 2 < n = 5
    y = rng.standard_normal(6)
    x = tikhonov_solve(A, y, 0.5)
    expected = scipy.linalg.solve(A.T @ A + 0.5 * np.eye(5), A.T @ y, assume_a="pos")
    assert_allclose(x, expected, rtol=1e-10, atol=1e-12)


def test_tikhonov_solve_stacked_solve_is_accurate_when_normal_equations_are_not():
    """Why the stacked least-squares solve: cond(A) = 1e7 squares to 1e14 in A^T A."""
    rng = np.random.default_rng(0)
    m, n, lam = 12, 6, 1e-16
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = (U * np.logspace(0, -7, n)) @ V.T
    y = rng.standard_normal(m)
    mpmath.mp.dps = 50
    Am, ym = mpmath.matrix(A.tolist()), mpmath.matrix(y.tolist())
    ref = np.array(mpmath.lu_solve(Am.T * Am + lam * mpmath.eye(n), Am.T * ym).tolist(), dtype=float).ravel()
    err = lambda x: np.linalg.norm(x - ref) / np.linalg.norm(ref)
    normal = scipy.linalg.solve(A.T @ A + lam * np.eye(n), A.T @ y, assume_a="pos")
    assert err(tikhonov_solve(A, y, lam)) < 1e-7
    assert err(normal) > 1e-5


def test_tikhonov_solve_keeps_float32_and_converts_lists():
    rng = np.random.default_rng(3)
    A, y = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal(5).astype(np.float32)
    x32 = tikhonov_solve(A, y, 0.1)
    assert x32.dtype == np.float32
    x64 = tikhonov_solve(A.astype(np.float64), y.astype(np.float64), 0.1)
    assert_allclose(x32, x64, rtol=1e-4, atol=1e-5)
    xl = tikhonov_solve([[1, 0], [0, 2], [1, 1]], [1, 2, 3], 1)
    assert xl.dtype == np.float64
    Ad = np.array([[1.0, 0], [0, 2], [1, 1]])
    assert_allclose(xl, np.linalg.solve(Ad.T @ Ad + np.eye(2), Ad.T @ [1.0, 2, 3]), rtol=1e-12)


def test_tikhonov_solve_singular_raises_naming_lam_and_A():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 4))
    y = rng.standard_normal(6)
    with pytest.raises(ValueError, match="lam") as info:
        tikhonov_solve(A, y, 0.0)
    assert "A" in str(info.value)
    # lam > 0 but A and L share a null vector: constants are in null(L) and in null(A)
    A2 = rng.standard_normal((5, 4))
    A2 -= A2.mean(axis=1, keepdims=True)  # A2 @ ones = 0
    with pytest.raises(ValueError, match="null vector"):
        tikhonov_solve(A2, rng.standard_normal(5), 1.0, _difference_matrix(4))


@pytest.mark.parametrize(
    "args, name",
    [
        ((np.ones(3), np.ones(3), 1.0), "A"),
        ((np.ones((3, 2)), np.ones(4), 1.0), "y"),
        ((np.ones((3, 2)), np.ones((3, 1)), 1.0), "y"),
        ((np.ones((3, 2)), np.ones(3), -1.0), "lam"),
        ((np.ones((3, 2)), np.ones(3), np.nan), "lam"),
        ((np.ones((3, 2)), np.ones(3), 1.0, np.ones((2, 3))), "L"),
        ((np.ones((3, 2)), np.ones(3), 1.0, np.ones(2)), "L"),
        ((np.ones((0, 2)), np.ones(0), 1.0), "A"),
        ((np.array([[1.0, np.inf]]), np.ones(1), 1.0), "A"),
    ],
)
def test_tikhonov_solve_bad_input_raises_naming_argument(args, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        tikhonov_solve(*args)


# ---------------------------------------------------------------------------
# circular convolution and FFT Tikhonov deconvolution
# ---------------------------------------------------------------------------


def _circulant_from_scipy(kernel, shape):
    """Dense matrix of x -> scipy.ndimage.convolve(x, kernel, mode='wrap') on flattened arrays."""
    n = int(np.prod(shape))
    cols = [scipy.ndimage.convolve(np.eye(n)[k].reshape(shape), kernel, mode="wrap").ravel() for k in range(n)]
    return np.stack(cols, axis=1)


@PROP
@given(
    shape=st.one_of(st.tuples(st.integers(1, 12)), st.tuples(st.integers(1, 7), st.integers(1, 7))),
    half=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    seed=st.integers(0, 2**16),
)
def test_circular_convolve_equals_scipy_ndimage_wrap(shape, half, seed):
    ksize = tuple(2 * h + 1 for h in half[: len(shape)])
    assume(all(k <= s for k, s in zip(ksize, shape)))
    rng = np.random.default_rng(seed)
    x, kernel = rng.standard_normal(shape), rng.standard_normal(ksize)
    expected = scipy.ndimage.convolve(x, kernel, mode="wrap")
    assert_allclose(circular_convolve(x, kernel), expected, rtol=1e-10, atol=1e-12)


def test_circular_convolve_with_centred_delta_is_identity_and_shifted_delta_shifts():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 6))
    delta = np.zeros((3, 3))
    delta[1, 1] = 1.0
    assert_allclose(circular_convolve(x, delta), x, atol=1e-14)
    right = np.zeros((1, 3))
    right[0, 2] = 1.0  # tap at offset j = +1: (k * x)[i, c] = x[i, c - 1]
    assert_allclose(circular_convolve(x, right), np.roll(x, 1, axis=1), atol=1e-14)


@pytest.mark.parametrize(
    "shape, ksize, lam", [((11,), (3,), 0.05), ((12,), (5,), 0.0), ((5, 6), (3, 3), 0.1), ((4, 7), (3, 5), 1e-3)]
)
def test_tikhonov_deconvolve_circular_equals_dense_tikhonov_solve(shape, ksize, lam):
    rng = np.random.default_rng(6)
    kernel = rng.random(ksize) + 0.1
    kernel[tuple(k // 2 for k in ksize)] += 2.0  # diagonally dominant, so invertible when lam = 0
    y = rng.standard_normal(shape)
    A = _circulant_from_scipy(kernel, shape)
    expected = tikhonov_solve(A, y.ravel(), lam).reshape(shape)
    assert_allclose(tikhonov_deconvolve_circular(y, kernel, lam), expected, rtol=1e-9, atol=1e-11)


def test_tikhonov_deconvolve_circular_lam_zero_inverts_blur():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((8, 9))
    kernel = np.array([[0.0, 0.1, 0.0], [0.1, 0.6, 0.1], [0.0, 0.1, 0.0]])  # |K| >= 0.2 everywhere
    assert_allclose(tikhonov_deconvolve_circular(circular_convolve(x, kernel), kernel, 0.0), x, rtol=1e-10, atol=1e-12)


def test_tikhonov_deconvolve_circular_keeps_float32():
    rng = np.random.default_rng(8)
    y = rng.standard_normal((6, 6)).astype(np.float32)
    out = tikhonov_deconvolve_circular(y, np.full((3, 3), 1 / 9, dtype=np.float32), 0.1)
    assert out.dtype == np.float32 and out.shape == (6, 6)
    assert_allclose(out, tikhonov_deconvolve_circular(y.astype(np.float64), np.full((3, 3), 1 / 9), 0.1), rtol=1e-4, atol=1e-5)


def test_tikhonov_deconvolve_circular_zero_in_spectrum_with_lam_zero_raises_naming_lam():
    # [1/4, 1/2, 1/4] has K = 0 at the Nyquist frequency of an even-length signal
    y = np.random.default_rng(9).standard_normal(8)
    with pytest.raises(ValueError, match="lam"):
        tikhonov_deconvolve_circular(y, [0.25, 0.5, 0.25], 0.0)
    # dense solver agrees that the problem is singular
    with pytest.raises(ValueError, match="lam"):
        tikhonov_solve(_circulant_from_scipy(np.array([0.25, 0.5, 0.25]), (8,)), y, 0.0)


@pytest.mark.parametrize(
    "fn, args, name",
    [
        (tikhonov_deconvolve_circular, (np.ones(5), np.ones(2), 0.1), "kernel"),
        (tikhonov_deconvolve_circular, (np.ones(3), np.ones(5), 0.1), "kernel"),
        (tikhonov_deconvolve_circular, (np.ones((4, 4)), np.ones(3), 0.1), "kernel"),
        (tikhonov_deconvolve_circular, (np.ones((2, 2, 2)), np.ones((1, 1, 1)), 0.1), "y"),
        (tikhonov_deconvolve_circular, (np.ones(5), np.ones(3), -0.1), "lam"),
        (tikhonov_deconvolve_circular, (np.ones(0), np.ones(1), 0.1), "y"),
        (circular_convolve, (np.ones((4, 4)), np.ones((3, 2))), "kernel"),
        (circular_convolve, (np.ones((2, 2, 2)), np.ones((1, 1, 1))), "x"),
        (circular_convolve, ([1.0, np.nan], [1.0]), "x"),
    ],
)
def test_circular_functions_bad_input_raise_naming_argument(fn, args, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        fn(*args)


# ---------------------------------------------------------------------------
# forward differences and total variation
# ---------------------------------------------------------------------------


def _torch_forward_difference(x):
    dx = torch.nn.functional.pad(torch.diff(x, dim=1), (0, 1))
    dy = torch.nn.functional.pad(torch.diff(x, dim=0), (0, 0, 0, 1))
    return dx, dy


def _torch_tv_smoothed(x, eps):
    dx, dy = _torch_forward_difference(x)
    return torch.sqrt(dx**2 + dy**2 + eps**2).sum()


def test_forward_difference_matches_torch_with_zero_last_row_and_column():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((4, 5))
    dx, dy = forward_difference(x)
    tdx, tdy = _torch_forward_difference(torch.from_numpy(x))
    assert_allclose(dx, tdx.numpy(), rtol=0, atol=0)
    assert_allclose(dy, tdy.numpy(), rtol=0, atol=0)
    assert np.all(dx[:, -1] == 0) and np.all(dy[-1, :] == 0)


@PROP
@given(h=st.integers(1, 6), w=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_forward_difference_adjoint_satisfies_inner_product_identity(h, w, seed):
    rng = np.random.default_rng(seed)
    x, px, py = rng.standard_normal((3, h, w))
    dx, dy = forward_difference(x)
    lhs = np.sum(dx * px) + np.sum(dy * py)
    rhs = np.sum(x * forward_difference_adjoint(px, py))
    assert_allclose(lhs, rhs, rtol=1e-12, atol=1e-12)


@PROP
@given(h=st.integers(1, 6), w=st.integers(1, 6), eps=st.floats(1e-2, 2.0), seed=st.integers(0, 2**16))
def test_tv_smoothed_value_and_gradient_match_torch_autograd(h, w, eps, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((h, w))
    value, grad = tv_smoothed(x, eps)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    vt = _torch_tv_smoothed(xt, eps)
    vt.backward()
    assert_allclose(value, vt.item(), rtol=1e-12, atol=1e-12)
    assert_allclose(grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_tv_smoothed_gradient_matches_finite_differences():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((5, 4))
    eps = 0.1
    f = lambda z: tv_smoothed(z, eps)[0]
    g = lambda z: tv_smoothed(z, eps)[1]
    assert check_gradient(f, g, x) < 1e-7
    assert relative_error(g(x), numerical_gradient(f, x)) < 1e-7


def test_tv_smoothed_gradient_is_continuous_at_flat_image():
    """sqrt(t^2 + eps^2) has no kink: the gradient at a constant image is 0 from every side."""
    rng = np.random.default_rng(12)
    x0 = np.full((4, 4), 0.7)
    d = rng.standard_normal((4, 4))
    eps = 1e-3
    _, g0 = tv_smoothed(x0, eps)
    assert_allclose(g0, 0.0, atol=0)
    for t in (1e-9, -1e-9):
        assert np.max(np.abs(tv_smoothed(x0 + t * d, eps)[1])) < 1e-4
    assert_allclose(numerical_gradient(lambda z: tv_smoothed(z, eps)[0], x0, eps=1e-7), 0.0, atol=1e-6)


def test_tv_value_matches_torch():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((6, 7))
    dx, dy = _torch_forward_difference(torch.from_numpy(x))
    assert_allclose(tv_value(x), torch.sqrt(dx**2 + dy**2).sum().item(), rtol=1e-12)
    assert tv_value(np.ones((3, 3))) == 0.0


def test_tv_smoothed_approaches_tv_as_eps_goes_to_zero():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((6, 5))
    tv = tv_value(x)
    gaps = []
    for eps in (1e-1, 1e-2, 1e-3, 1e-4, 1e-6):
        gap = tv_smoothed(x, eps)[0] - tv
        assert 0 <= gap <= x.size * eps  # |sqrt(a^2 + eps^2) - |a|| <= eps per pixel
        gaps.append(gap)
    assert np.all(np.diff(gaps) < 0)
    # (value - TV) / eps -> number of pixels whose forward gradient is 0: here only the
    # bottom-right corner, where both differences are zero by the Neumann boundary
    assert abs(gaps[-1] / 1e-6 - 1.0) < 1e-3


def test_tv_smoothed_keeps_float32():
    x = np.random.default_rng(15).standard_normal((3, 4)).astype(np.float32)
    value, grad = tv_smoothed(x, 0.1)
    assert grad.dtype == np.float32 and np.asarray(value).dtype == np.float32
    v64, g64 = tv_smoothed(x.astype(np.float64), 0.1)
    assert_allclose(value, v64, rtol=1e-5)
    assert_allclose(grad, g64, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "fn, args, name",
    [
        (tv_smoothed, (np.ones(4), 0.1), "x"),
        (tv_smoothed, (np.ones((2, 2, 2)), 0.1), "x"),
        (tv_smoothed, (np.ones((0, 3)), 0.1), "x"),
        (tv_smoothed, (np.ones((3, 3)), 0.0), "eps"),
        (tv_smoothed, (np.ones((3, 3)), -1.0), "eps"),
        (tv_smoothed, (np.ones((3, 3)), np.inf), "eps"),
        (tv_value, (np.ones(3),), "x"),
        (tv_value, (np.array([[1.0, np.nan]]),), "x"),
        (forward_difference, (np.ones(3),), "x"),
        (forward_difference_adjoint, (np.ones((2, 3)), np.ones((3, 2))), "px and py"),
        (forward_difference_adjoint, (np.ones(3), np.ones((3, 2))), "px"),
        (forward_difference_adjoint, (np.ones((3, 2)), np.ones(2)), "py"),
    ],
)
def test_tv_functions_bad_input_raise_naming_argument(fn, args, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        fn(*args)


# ---------------------------------------------------------------------------
# homographies
# ---------------------------------------------------------------------------

_H = hnp.arrays(np.float64, (3, 3), elements=st.floats(-1.0, 1.0))
_P = hnp.arrays(np.float64, (2,), elements=st.floats(-2.0, 2.0))


def _torch_project(h, p):
    u = h.reshape(3, 3) @ torch.cat([p, torch.ones(1)])
    return u[:2] / u[2]


def _well_defined(H, p):
    """H near the identity plus noise, and the point far enough from the line at infinity."""
    H = np.eye(3) + 0.5 * H
    w = H[2] @ np.append(p, 1.0)
    return H, abs(w) > 0.2


@PROP
@given(Hn=_H, p=_P)
def test_homography_jacobian_matches_torch_autograd(Hn, p):
    H, ok = _well_defined(Hn, p)
    assume(ok)
    pt = torch.from_numpy(p)
    expected = torch.autograd.functional.jacobian(lambda h: _torch_project(h, pt), torch.from_numpy(H.ravel().copy()))
    assert expected.shape == (2, 9)
    assert_allclose(homography_jacobian(H, p), expected.numpy(), rtol=1e-10, atol=1e-12)


@PROP
@given(Hn=_H, p=_P)
def test_homography_point_jacobian_matches_torch_autograd(Hn, p):
    H, ok = _well_defined(Hn, p)
    assume(ok)
    ht = torch.from_numpy(H.ravel().copy())
    expected = torch.autograd.functional.jacobian(lambda q: _torch_project(ht, q), torch.from_numpy(p.copy()))
    assert_allclose(homography_point_jacobian(H, p), expected.numpy(), rtol=1e-10, atol=1e-12)


@PROP
@given(Hn=_H, p=_P, c=st.floats(0.1, 10.0), sign=st.sampled_from([-1.0, 1.0]))
def test_homography_projection_is_scale_invariant(Hn, p, c, sign):
    H, ok = _well_defined(Hn, p)
    assume(ok)
    c = sign * c
    assert_allclose(homography_apply(c * H, p), homography_apply(H, p), rtol=1e-12, atol=1e-12)
    assert_allclose(homography_point_jacobian(c * H, p), homography_point_jacobian(H, p), rtol=1e-10, atol=1e-12)
    # p' is homogeneous of degree 0 in h, so d p'/d h scales by 1/c
    assert_allclose(homography_jacobian(c * H, p), homography_jacobian(H, p) / c, rtol=1e-10, atol=1e-12)


def test_homography_apply_matches_torch_and_batches():
    rng = np.random.default_rng(16)
    H = np.eye(3) + 0.2 * rng.standard_normal((3, 3))
    pts = rng.uniform(-1, 1, size=(7, 2))
    expected = np.stack([_torch_project(torch.from_numpy(H.ravel().copy()), torch.from_numpy(q)).numpy() for q in pts])
    assert_allclose(homography_apply(H, pts), expected, rtol=1e-12, atol=1e-14)
    assert_allclose(homography_jacobian(H, pts), np.stack([homography_jacobian(H, q) for q in pts]), rtol=1e-14)
    assert_allclose(homography_point_jacobian(H, pts), np.stack([homography_point_jacobian(H, q) for q in pts]), rtol=1e-14)
    assert homography_jacobian(H, pts).shape == (7, 2, 9)


def test_homography_jacobian_rows_of_affine_map_are_homogeneous_point():
    # for an affine H (last row 0, 0, 1) w = 1 and d x'/d h = (x, y, 1, 0, 0, 0, 0, 0, 0) - x'(0,...,x,y,1)
    H = np.array([[2.0, 0.5, 1.0], [-1.0, 3.0, 0.0], [0.0, 0.0, 1.0]])
    p = np.array([0.5, -2.0])
    xp, yp = H[:2] @ np.append(p, 1.0)
    expected = np.array(
        [[0.5, -2.0, 1.0, 0, 0, 0, -xp * 0.5, xp * 2.0, -xp], [0, 0, 0, 0.5, -2.0, 1.0, -yp * 0.5, yp * 2.0, -yp]]
    )
    assert_allclose(homography_jacobian(H, p), expected, rtol=1e-14)
    assert_allclose(homography_point_jacobian(H, p), H[:2, :2], rtol=1e-14)


def test_homography_point_at_infinity_raises_naming_p():
    H = np.array([[1.0, 0, 0], [0, 1.0, 0], [1.0, 0, 0]])  # w = x
    with pytest.raises(ValueError, match=r"^p\b"):
        homography_jacobian(H, [0.0, 3.0])
    with pytest.raises(ValueError, match=r"^p\b"):
        homography_point_jacobian(H, [0.0, 3.0])
    with pytest.raises(ValueError, match=r"^points\b"):
        homography_apply(H, [[1.0, 1.0], [0.0, 2.0]])


@pytest.mark.parametrize(
    "fn, args, name",
    [
        (homography_jacobian, (np.eye(2), [0.0, 0.0]), "H"),
        (homography_jacobian, (np.ones(9), [0.0, 0.0]), "H"),
        (homography_jacobian, (np.eye(3), [0.0, 0.0, 1.0]), "p"),
        (homography_jacobian, (np.eye(3), np.ones((2, 2, 2))), "p"),
        (homography_point_jacobian, (np.eye(4), [0.0, 0.0]), "H"),
        (homography_point_jacobian, (np.eye(3), [1.0]), "p"),
        (homography_apply, (np.eye(3), np.ones((4, 3))), "points"),
        (homography_apply, (np.full((3, 3), np.nan), np.ones((4, 2))), "H"),
    ],
)
def test_homography_bad_input_raises_naming_argument(fn, args, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        fn(*args)


# ---------------------------------------------------------------------------
# psnr
# ---------------------------------------------------------------------------


@PROP
@given(h=st.integers(1, 6), w=st.integers(1, 6), noise=st.floats(1e-3, 1.0), seed=st.integers(0, 2**16))
def test_psnr_matches_skimage(h, w, noise, seed):
    rng = np.random.default_rng(seed)
    ref = rng.uniform(0, 1, (h, w))
    x = ref + noise * rng.standard_normal((h, w))
    expected = skimage.metrics.peak_signal_noise_ratio(ref, x, data_range=1.0)
    assert_allclose(psnr(x, ref, data_range=1.0), expected, rtol=1e-12)
    if ref.max() > ref.min():
        expected_default = skimage.metrics.peak_signal_noise_ratio(ref, x, data_range=ref.max() - ref.min())
        assert_allclose(psnr(x, ref), expected_default, rtol=1e-12)


def test_psnr_of_exact_copy_is_infinite_and_tenfold_error_costs_20_db():
    ref = np.linspace(0, 1, 12).reshape(3, 4)
    assert psnr(ref, ref) == np.inf
    d = np.random.default_rng(20).standard_normal((3, 4))
    assert_allclose(psnr(ref + 0.01 * d, ref) - psnr(ref + 0.1 * d, ref), 20.0, rtol=1e-12)


@pytest.mark.parametrize(
    "args, kwargs, name",
    [
        ((np.ones((2, 2)), np.ones((2, 3))), {}, "x and reference"),
        ((np.ones((2, 2)), np.ones((2, 2))), {}, "data_range"),
        ((np.ones(3), np.arange(3.0)), {"data_range": -1.0}, "data_range"),
        ((np.ones(0), np.ones(0)), {}, "reference"),
        (([np.nan, 1.0], [0.0, 1.0]), {}, "x"),
    ],
)
def test_psnr_bad_input_raises_naming_argument(args, kwargs, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        psnr(*args, **kwargs)


# ---------------------------------------------------------------------------
# tikhonov_cg
# ---------------------------------------------------------------------------


@PROP
@given(m=st.integers(1, 9), n=st.integers(1, 7), lam=st.floats(1e-2, 1e2), use_L=st.booleans(), seed=st.integers(0, 2**16))
def test_tikhonov_cg_equals_dense_tikhonov_solve(m, n, lam, use_L, seed):
    rng = np.random.default_rng(seed)
    A, y = rng.standard_normal((m, n)), rng.standard_normal(m)
    if use_L and n > 1:
        L = _difference_matrix(n)
        assume(np.linalg.matrix_rank(np.vstack([A, L])) == n)
        x, res = tikhonov_cg(
            lambda v: A @ v, lambda r: A.T @ r, y, lam, np.zeros(n), lambda v: L @ v, lambda r: L.T @ r, tol=1e-13
        )
        expected = tikhonov_solve(A, y, lam, L)
    else:
        x, res = tikhonov_cg(lambda v: A @ v, lambda r: A.T @ r, y, lam, np.zeros(n), tol=1e-13)
        expected = tikhonov_solve(A, y, lam)
    assert_allclose(x, expected, rtol=1e-8, atol=1e-9)
    assert res[-1] <= 1e-13 or len(res) == 1001


def test_tikhonov_cg_on_images_equals_fft_deconvolution():
    rng = np.random.default_rng(21)
    y = rng.standard_normal((9, 12))
    kernel = np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16
    flipped = kernel[::-1, ::-1]
    x, res = tikhonov_cg(
        lambda v: circular_convolve(v, kernel), lambda r: circular_convolve(r, flipped), y, 0.05, np.zeros_like(y), tol=1e-12
    )
    assert_allclose(x, tikhonov_deconvolve_circular(y, kernel, 0.05), rtol=1e-9, atol=1e-10)
    assert res[0] == 1.0 and res[-1] <= 1e-12
    assert len(res) - 1 <= y.size  # CG ends in at most n steps (here far fewer)


def test_tikhonov_cg_stops_at_max_iter():
    rng = np.random.default_rng(22)
    A = rng.standard_normal((30, 30))
    _, res = tikhonov_cg(lambda v: A @ v, lambda r: A.T @ r, rng.standard_normal(30), 1e-3, np.zeros(30), max_iter=3)
    assert len(res) == 4 and res[-1] > 1e-10


@pytest.mark.parametrize(
    "args, kwargs, name",
    [
        ((None, lambda r: r, np.ones(3), 1.0, np.ones(3)), {}, "forward"),
        ((lambda v: v, "no", np.ones(3), 1.0, np.ones(3)), {}, "adjoint"),
        ((lambda v: v[:2], lambda r: r, np.ones(3), 1.0, np.ones(3)), {}, r"forward\(x0\)"),
        ((lambda v: v, lambda r: r[:2], np.ones(3), 1.0, np.ones(3)), {}, r"adjoint\(y\)"),
        ((lambda v: v, lambda r: r, np.ones(3), -1.0, np.ones(3)), {}, "lam"),
        ((lambda v: v, lambda r: r, np.ones(3), 1.0, np.ones(3)), {"max_iter": 0}, "max_iter"),
        ((lambda v: v, lambda r: r, np.ones(3), 1.0, np.ones(3)), {"tol": 0.0}, "tol"),
        ((lambda v: v, lambda r: r, np.ones(3), 1.0, np.ones(3)), {"L": lambda v: v}, "L and L_adjoint"),
        ((lambda v: v, lambda r: r, np.ones(3), 1.0, np.ones(0)), {}, "x0"),
    ],
)
def test_tikhonov_cg_bad_input_raises_naming_argument(args, kwargs, name):
    with pytest.raises(ValueError, match=name):
        tikhonov_cg(*args, **kwargs)


# ---------------------------------------------------------------------------
# tv_solve
# ---------------------------------------------------------------------------


def _tv_problem(seed, shape=(7, 8)):
    rng = np.random.default_rng(seed)
    truth = np.zeros(shape)
    truth[2:5, 3:7] = 1.0
    kernel = np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16
    y = circular_convolve(truth, kernel) + 0.05 * rng.standard_normal(shape)
    fwd = lambda v: circular_convolve(v, kernel)
    adj = lambda r: circular_convolve(r, kernel[::-1, ::-1])
    return y, fwd, adj


def _objective_and_grad(y, fwd, adj, lam, eps, shape):
    def f(v):
        x = v.reshape(shape)
        r = fwd(x) - y
        val, g = tv_smoothed(x, eps)
        return np.sum(r * r) + lam * val, (2 * adj(r) + lam * g).ravel()

    return f


@pytest.mark.parametrize("nonnegative", [False, True])
def test_tv_solve_reaches_the_minimum_found_by_lbfgs(nonnegative):
    lam, eps = 0.05, 0.05
    y, fwd, adj = _tv_problem(23)
    f = _objective_and_grad(y, fwd, adj, lam, eps, y.shape)
    bounds = [(0, None)] * y.size if nonnegative else None
    ref = scipy.optimize.minimize(
        f, np.zeros(y.size), jac=True, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 20000}
    )
    x, obj = tv_solve(fwd, adj, y, lam, eps, np.zeros_like(y), a_norm=1.0, n_iter=3000, nonnegative=nonnegative)
    assert_allclose(obj[-1], ref.fun, rtol=1e-9)
    assert_allclose(x.ravel(), ref.x, atol=1e-4)
    assert_allclose(obj[-1], f(x.ravel())[0], rtol=1e-13)  # history holds F(x_k)
    if nonnegative:
        assert x.min() >= 0


def test_tv_solve_obeys_the_fista_rate_bound():
    lam, eps = 0.05, 0.05
    y, fwd, adj = _tv_problem(24)
    x_star, obj_star = tv_solve(fwd, adj, y, lam, eps, np.zeros_like(y), a_norm=1.0, n_iter=4000)
    x0 = np.zeros_like(y)
    _, obj = tv_solve(fwd, adj, y, lam, eps, x0, a_norm=1.0, n_iter=200)
    lipschitz = 2 * 1.0 + 8 * lam / eps
    k = np.arange(len(obj))
    bound = 2 * lipschitz * np.sum((x0 - x_star) ** 2) / (k + 1) ** 2
    assert np.all(obj - obj_star[-1] <= bound + 1e-12)
    assert obj[-1] < obj[0]


def test_tv_solve_gradient_vanishes_at_result_for_denoising():
    rng = np.random.default_rng(25)
    y = rng.standard_normal((6, 6))
    lam, eps = 0.3, 0.1
    x, _ = tv_solve(lambda v: v, lambda r: r, y, lam, eps, y, a_norm=1.0, n_iter=2000)
    grad = 2 * (x - y) + lam * tv_smoothed(x, eps)[1]
    assert np.max(np.abs(grad)) < 1e-8


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"x0": np.zeros(4), "y": np.zeros(4)}, "x0"),
        ({"eps": 0.0}, "eps"),
        ({"a_norm": 0.0}, "a_norm"),
        ({"lam": -1.0}, "lam"),
        ({"n_iter": -1}, "n_iter"),
        ({"forward": 3}, "forward"),
        ({"y": np.zeros((3, 3))}, r"forward\(x0\)"),
    ],
)
def test_tv_solve_bad_input_raises_naming_argument(kwargs, name):
    args = {
        "forward": lambda v: v,
        "adjoint": lambda r: r,
        "y": np.zeros((4, 4)),
        "lam": 1.0,
        "eps": 0.1,
        "x0": np.zeros((4, 4)),
        "a_norm": 1.0,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        tv_solve(**args)


# ---------------------------------------------------------------------------
# radon_matrix
# ---------------------------------------------------------------------------


def _inside_circle(n):
    r, c = np.mgrid[:n, :n]
    return (r - n // 2) ** 2 + (c - n // 2) ** 2 <= (n // 2) ** 2


@PROP
@given(n=st.integers(2, 24), n_angles=st.integers(1, 8), seed=st.integers(0, 2**16))
def test_radon_matrix_equals_skimage_radon(n, n_angles, seed):
    rng = np.random.default_rng(seed)
    theta = np.sort(rng.uniform(0, 180, n_angles))
    image = rng.standard_normal((n, n)) * _inside_circle(n)
    R = radon_matrix(n, theta)
    assert R.shape == (n * n_angles, n * n) and R.nnz <= 4 * n * n * n_angles
    expected = skimage.transform.radon(image, theta, circle=True)
    assert_allclose((R @ image.ravel()).reshape(n, n_angles), expected, rtol=1e-12, atol=1e-12)


def test_radon_matrix_transpose_is_the_adjoint_and_zero_angle_sums_columns():
    n = 16
    R = radon_matrix(n, np.linspace(0, 180, 12, endpoint=False))
    rng = np.random.default_rng(26)
    x, s = rng.standard_normal(n * n), rng.standard_normal(R.shape[0])
    assert_allclose((R @ x) @ s, x @ (R.T @ s), rtol=1e-12)
    # the 0-degree projection of a unit pixel is a unit entry at the pixel's column
    R0 = radon_matrix(n, [0.0])
    e = np.zeros((n, n))
    e[5, 9] = 1.0
    assert_allclose((R0 @ e.ravel()), np.eye(n)[9], atol=1e-15)


@pytest.mark.parametrize(
    "args, name", [((0, [0.0]), "n"), ((4.5, [0.0]), "n"), ((4, [[0.0]]), "theta"), ((4, []), "theta"), ((4, [np.inf]), "theta")]
)
def test_radon_matrix_bad_input_raises_naming_argument(args, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        radon_matrix(*args)


# ---------------------------------------------------------------------------
# bilinear_sample
# ---------------------------------------------------------------------------


@PROP
@given(h=st.integers(1, 7), w=st.integers(1, 7), seed=st.integers(0, 2**16))
def test_bilinear_sample_equals_scipy_map_coordinates(h, w, seed):
    rng = np.random.default_rng(seed)
    image = rng.standard_normal((h, w))
    x = rng.uniform(-2, w + 1, (5, 3))
    y = rng.uniform(-2, h + 1, (5, 3))
    x[0, 0], y[0, 0] = w - 1, h - 1  # the last pixel exactly
    expected = scipy.ndimage.map_coordinates(image, [y.ravel(), x.ravel()], order=1, mode="nearest").reshape(x.shape)
    assert_allclose(bilinear_sample(image, x, y), expected, rtol=1e-12, atol=1e-12)


def test_bilinear_sample_interpolates_pixels_exactly_and_keeps_float32():
    image = np.arange(12, dtype=np.float32).reshape(3, 4)
    r, c = np.mgrid[:3, :4]
    out = bilinear_sample(image, c.astype(np.float32), r.astype(np.float32))
    assert out.dtype == np.float32 and np.array_equal(out, image)
    # linear functions are reproduced exactly anywhere inside
    assert_allclose(
        bilinear_sample(image.astype(np.float64), [1.25, 2.5], [0.5, 1.75]), [4 * 0.5 + 1.25, 4 * 1.75 + 2.5], rtol=1e-14
    )


@pytest.mark.parametrize(
    "args, name",
    [
        ((np.ones(3), [0.0], [0.0]), "image"),
        ((np.ones((2, 2)), [0.0, 1.0], [0.0]), "x and y"),
        ((np.ones((0, 2)), [0.0], [0.0]), "image"),
    ],
)
def test_bilinear_sample_bad_input_raises_naming_argument(args, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        bilinear_sample(*args)


# ---------------------------------------------------------------------------
# homography_from_points and register_homography
# ---------------------------------------------------------------------------


@PROP
@given(Hn=_H, n_points=st.integers(4, 12), seed=st.integers(0, 2**16))
def test_homography_from_points_recovers_exact_homography(Hn, n_points, seed):
    H = np.eye(3) + 0.3 * Hn
    rng = np.random.default_rng(seed)
    src = rng.uniform(-1, 1, (n_points, 2))
    w = np.c_[src, np.ones(n_points)] @ H[2]
    assume(np.all(np.abs(w) > 0.3) and abs(H[2, 2]) > 0.3)
    assume(np.linalg.svd(np.c_[src, np.ones(n_points)], compute_uv=False)[-1] > 0.05)
    dst = homography_apply(H, src)
    est = homography_from_points(src, dst)
    assert_allclose(est, H / H[2, 2], rtol=1e-7, atol=1e-8)
    if n_points == 4:  # skimage's estimator agrees for minimal, exact data
        tform = skimage.transform.ProjectiveTransform.from_estimate(src, dst)
        assert_allclose(est, tform.params / tform.params[2, 2], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "args, name",
    [
        ((np.zeros((3, 2)), np.zeros((3, 2))), "src"),
        ((np.zeros((4, 3)), np.zeros((4, 3))), "src"),
        ((np.zeros((4, 2)), np.zeros((5, 2))), "dst"),
        ((np.c_[np.arange(5.0), 2 * np.arange(5.0)], np.c_[np.arange(5.0), np.arange(5.0)]), "src"),  # collinear
    ],
)
def test_homography_from_points_bad_input_raises_naming_argument(args, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        homography_from_points(*args)


def _blobs(n, seed):
    """A smooth test image: a sum of Gaussian blobs (exact gradients everywhere)."""
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[:n, :n].astype(float)
    img = np.zeros((n, n))
    for _ in range(12):
        cy, cx = rng.uniform(0, n, 2)
        img += rng.uniform(0.3, 1) * np.exp(-((r - cy) ** 2 + (c - cx) ** 2) / (2 * rng.uniform(3, 7) ** 2))
    return img


def test_register_homography_recovers_skimage_warp():
    n = 64
    image = _blobs(n, 27)
    H_true = np.array([[1.03, -0.04, 1.5], [0.05, 0.98, -1.0], [2e-4, -1e-4, 1.0]])
    template = skimage.transform.warp(image, skimage.transform.ProjectiveTransform(matrix=H_true), order=1)
    r, c = np.mgrid[:n, :n]
    q = homography_apply(H_true, np.stack([c.ravel(), r.ravel()], axis=1)).reshape(n, n, 2)
    mask = (q[..., 0] >= 1) & (q[..., 0] <= n - 2) & (q[..., 1] >= 1) & (q[..., 1] <= n - 2)
    H, rms = register_homography(template, image, n_iter=60, mask=mask)
    assert_allclose(H, H_true, rtol=1e-6, atol=1e-7)
    assert rms[-1] < 1e-8 * rms[0]
    assert len(rms) < 61


def test_register_homography_from_the_truth_stays_there_and_n_iter_zero_returns_H0():
    n = 32
    image = _blobs(n, 28)
    H_true = np.array([[1.0, 0.02, 0.5], [-0.01, 1.0, 0.3], [0.0, 0.0, 1.0]])
    template = skimage.transform.warp(image, skimage.transform.ProjectiveTransform(matrix=H_true), order=1)
    mask = np.zeros((n, n), dtype=bool)
    mask[3:-3, 3:-3] = True
    H, rms = register_homography(template, image, H0=2 * H_true, n_iter=5, mask=mask)
    assert_allclose(H, H_true, atol=1e-12)
    assert rms[0] < 1e-12
    H0, rms0 = register_homography(template, image, H0=H_true, n_iter=0, mask=mask)
    assert_allclose(H0, H_true, atol=0) and len(rms0) == 1


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"template": np.ones(5)}, "template"),
        ({"image": np.ones((1, 5))}, "image"),
        ({"H0": np.ones((2, 2))}, "H"),
        ({"H0": np.zeros((3, 3))}, "H0"),
        ({"mask": np.ones((4, 4))}, "mask"),
        ({"mask": np.zeros((5, 5), dtype=bool)}, "mask"),
        ({"n_iter": -1}, "n_iter"),
        ({"tol": -1.0}, "tol"),
    ],
)
def test_register_homography_bad_input_raises_naming_argument(kwargs, name):
    args = {"template": np.ones((5, 5)), "image": np.ones((5, 5))}
    args.update(kwargs)
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        register_homography(**args)


# ---------------------------------------------------------------------------
# orientation histograms
# ---------------------------------------------------------------------------


def _loop_orientation_histogram(gx, gy, n_bins, weights):
    """Reference: one pixel at a time, with math.atan2 and explicit bin arithmetic."""
    import math

    hist = [0.0] * n_bins
    width = 2 * math.pi / n_bins
    for a, b, wt in zip(np.ravel(gx), np.ravel(gy), np.ravel(weights)):
        phi = math.atan2(b, a) % (2 * math.pi)
        k = int(phi // width)
        f = phi / width - k
        vote = math.hypot(a, b) * wt
        hist[k % n_bins] += vote * (1 - f)
        hist[(k + 1) % n_bins] += vote * f
    return np.array(hist)


@PROP
@given(h=st.integers(1, 6), w=st.integers(1, 6), n_bins=st.integers(1, 40), seed=st.integers(0, 2**16))
def test_orientation_histogram_equals_pixel_loop(h, w, n_bins, seed):
    rng = np.random.default_rng(seed)
    gx, gy, wt = rng.standard_normal((3, h, w))
    wt = np.abs(wt)
    hist = orientation_histogram(gx, gy, n_bins, wt)
    assert_allclose(hist, _loop_orientation_histogram(gx, gy, n_bins, wt), rtol=1e-12, atol=1e-12)
    assert_allclose(hist.sum(), np.sum(np.hypot(gx, gy) * wt), rtol=1e-12)


def test_orientation_histogram_bin_centres_equal_numpy_histogram_and_rotation_rolls():
    rng = np.random.default_rng(29)
    n_bins = 12
    k = rng.integers(0, n_bins, 50)
    mag = rng.uniform(0.5, 2, 50)
    phi = k * 2 * np.pi / n_bins
    gx, gy = mag * np.cos(phi), mag * np.sin(phi)
    expected = np.histogram(k, bins=np.arange(n_bins + 1), weights=mag)[0]
    assert_allclose(orientation_histogram(gx, gy, n_bins), expected, atol=1e-12)
    g = (rng.standard_normal(40) + 1j * rng.standard_normal(40)) * np.exp(1j * 2 * np.pi * 5 / n_bins)
    g0 = g * np.exp(-1j * 2 * np.pi * 5 / n_bins)
    assert_allclose(
        orientation_histogram(g.real, g.imag, n_bins), np.roll(orientation_histogram(g0.real, g0.imag, n_bins), 5), atol=1e-12
    )


@pytest.mark.parametrize("mu", [0.0, 0.3, 5.45, 11.8, 35.5])
def test_dominant_orientation_is_the_vertex_of_a_parabola(mu):
    n = 36
    k = np.arange(n)
    d = (k - mu + n / 2) % n - n / 2  # circular distance to mu
    hist = np.maximum(10.0 - d**2, 0.0)
    assert_allclose(dominant_orientation(hist), (mu * 2 * np.pi / n) % (2 * np.pi), atol=1e-12)


@PROP
@given(n=st.integers(3, 40), m=st.integers(-60, 60), seed=st.integers(0, 2**16))
def test_orientation_shift_of_a_rolled_histogram_is_the_roll(n, m, seed):
    rng = np.random.default_rng(seed)
    hist = rng.uniform(0, 1, n)
    hist[rng.integers(n)] += 3.0  # one clear peak of the autocorrelation
    expected = (2 * np.pi * m / n + np.pi) % (2 * np.pi) - np.pi
    got = orientation_shift(hist, np.roll(hist, m))
    assert abs((got - expected + np.pi) % (2 * np.pi) - np.pi) < 1e-12


def test_orientation_shift_measures_sub_bin_rotation_of_gradients():
    rng = np.random.default_rng(30)
    g = rng.standard_normal(4000) + 1j * rng.standard_normal(4000)
    g *= np.exp(1j * rng.vonmises(0.5, 2.0, 4000))  # a non-uniform orientation distribution
    g = np.abs(g) * np.exp(1j * rng.vonmises(1.0, 1.5, 4000))
    h0 = orientation_histogram(g.real, g.imag, 36)
    for delta in (0.03, -0.12, 1.0, 2.9):
        gr = g * np.exp(1j * delta)
        assert abs(orientation_shift(h0, orientation_histogram(gr.real, gr.imag, 36)) - delta) < 0.02


@pytest.mark.parametrize(
    "fn, args, name",
    [
        (orientation_histogram, (np.ones(3), np.ones(4)), "gx and gy"),
        (orientation_histogram, (np.ones(3), np.ones(3), 0), "n_bins"),
        (orientation_histogram, (np.ones(3), np.ones(3), 8, np.ones(2)), "weights"),
        (dominant_orientation, (np.ones(2),), "hist"),
        (dominant_orientation, (np.ones((3, 3)),), "hist"),
        (orientation_shift, (np.ones(5), np.ones(6)), "hist_ref and hist"),
        (orientation_shift, (np.ones(2), np.ones(2)), "hist_ref"),
    ],
)
def test_orientation_functions_bad_input_raise_naming_argument(fn, args, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        fn(*args)


def test_psnr_of_huge_images_is_finite_and_right():
    from mlmath.imaging import psnr

    ref = np.zeros((4, 4))
    ref[0, 0] = 1e200
    x = ref.copy()
    x[1, 1] = 1e199
    expected = 10 * np.log10(16) + 20 * np.log10(10.0)  # R = 1e200, MSE = 1e398 / 16
    assert abs(psnr(x, ref) - expected) < 1e-9


def test_tv_solve_refuses_a_step_that_underflows():
    from mlmath.imaging import tv_solve

    with pytest.raises(ValueError, match="a_norm"):
        tv_solve(lambda v: v, lambda v: v, np.zeros((3, 3)), 0.1, 1e-3, np.zeros((3, 3)), a_norm=1e200, n_iter=1)


def test_register_homography_reports_a_template_that_leaves_the_image():
    from mlmath.imaging import register_homography

    rng = np.random.default_rng(0)
    image = rng.random((20, 20))
    far = np.array([[1.0, 0, 500.0], [0, 1.0, 500.0], [0, 0, 1.0]])  # maps the template far outside
    with pytest.raises(ValueError, match="did not converge from H0"):
        register_homography(image[:8, :8], image, H0=far)


# ---------------------------------------------------------------------------
# Errata regression tests (chapters/appendices/errata.md)
# The homework (001), CV homework 2 section 1, and the formula collection, 3.14 and 12.13: each test
# asserts the correction against an oracle and that the source's claim fails.
# ---------------------------------------------------------------------------


def _periodic_gradient(image):
    return 0.5 * (np.roll(image, -1, 1) - np.roll(image, 1, 1)), -0.5 * (np.roll(image, -1, 0) - np.roll(image, 1, 0))


def test_sift_orientation_histogram_gives_orientation_not_location():
    """Homework: the histogram of gradient directions 'gives the high value point location, scale and
    orientation'. It is unchanged when the content moves, so it cannot give the location (SIFT takes
    location and scale from difference-of-Gaussian extrema); it does follow a rotation."""
    rng = np.random.default_rng(2)
    image = rng.standard_normal((64, 64))
    image = np.real(
        np.fft.ifft2(np.fft.fft2(image) * np.exp(-0.01 * np.add.outer(np.fft.fftfreq(64) ** 2, np.fft.fftfreq(64) ** 2) * 64**2))
    )
    h = orientation_histogram(*_periodic_gradient(image), 36)
    for shift in [(5, -9), (17, 30), (0, 1)]:
        h_moved = orientation_histogram(*_periodic_gradient(np.roll(image, shift, axis=(0, 1))), 36)
        assert_allclose(h_moved, h, rtol=1e-12, atol=1e-12)  # the seed's claim would need these to differ
    # what the histogram does encode: orientation. A quarter turn rolls it by 9 of 36 bins.
    h_rot = orientation_histogram(*_periodic_gradient(np.rot90(image)), 36)
    assert_allclose(h_rot, np.roll(h, 9), rtol=1e-12, atol=1e-12)
    assert np.max(np.abs(h_rot - h)) > 0.1 * h.max()


def test_homography_needs_homogeneous_point_with_a_one():
    """Seed: p~ = H p, p' = (p~_1 / p~_3, p~_2 / p~_3). p must be (x, y, 1): H p with p in R^2 is undefined,
    and padding with a 0 instead of a 1 drops the translation column of H."""
    rng = np.random.default_rng(0)
    H = np.array([[1.1, 0.2, 30.0], [-0.1, 0.9, -12.0], [1e-3, 2e-3, 1.0]])
    p = rng.uniform(0, 100, size=(5, 2))
    # the correction, against scikit-image's projective transform
    expected = skimage.transform.ProjectiveTransform(matrix=H)(p)
    assert_allclose(homography_apply(H, p), expected, rtol=1e-12)
    # the seed as written: a 3 x 3 matrix cannot multiply a 2-vector
    with pytest.raises(ValueError):
        H @ p[0]
    # the tempting repair, padding with 0, is a different map (translation lost)
    u0 = np.c_[p, np.zeros(5)] @ H.T
    wrong = u0[:, :2] / u0[:, 2:]
    assert np.max(np.abs(wrong - expected)) > 1.0


def test_tikhonov_closed_form_needs_trivial_common_null_space():
    """Seed: setting the gradient to zero yields x* = (A^T A + lam L^T L)^{-1} A^T y. This needs
    null(A) ∩ null(L) = {0}: with L the difference operator and A blind to constants, the matrix is
    singular and the minimiser is not unique."""
    rng = np.random.default_rng(1)
    n, lam = 6, 0.5
    A = rng.standard_normal((8, n))
    A -= A.mean(axis=1, keepdims=True)  # A @ ones = 0
    L = np.eye(n, k=1)[:-1] - np.eye(n)[:-1]  # L @ ones = 0
    y = rng.standard_normal(8)
    M = A.T @ A + lam * L.T @ L
    eig = np.linalg.eigvalsh(M)
    assert abs(eig[0]) < 1e-13 * eig[-1]  # singular: the "inverse" of the seed does not exist
    J = lambda x: np.sum((A @ x - y) ** 2) + lam * np.sum((L @ x) ** 2)
    x0 = np.linalg.lstsq(M, A.T @ y, rcond=None)[0]  # one minimiser (normal equations hold)
    assert_allclose(M @ x0, A.T @ y, atol=1e-12)
    for t in (-3.0, 1.0, 10.0):  # a whole line of minimisers
        assert_allclose(J(x0 + t * np.ones(n)), J(x0), rtol=1e-12)
    with pytest.raises(ValueError, match="null vector"):
        tikhonov_solve(A, y, lam, L)
    # with a trivial common null space (L = I) the closed form holds and is the unique minimiser
    assert_allclose(tikhonov_solve(A, y, lam), np.linalg.solve(A.T @ A + lam * np.eye(n), A.T @ y), rtol=1e-10)


@pytest.mark.parametrize("eps", [1e-3, 1e-2, 1e-1])
def test_tv_smoothing_by_adding_eps_keeps_the_kink(eps):
    step = 1e-9
    image = lambda t: np.array([[0.0, t]])
    right = (tv_value(image(step)) + eps - tv_value(image(0.0)) - eps) / step
    left = (tv_value(image(0.0)) + eps - tv_value(image(-step)) - eps) / step
    assert right == pytest.approx(1.0, abs=1e-6) and left == pytest.approx(-1.0, abs=1e-6)
    smooth_right = (tv_smoothed(image(step), eps)[0] - tv_smoothed(image(0.0), eps)[0]) / step
    assert abs(smooth_right) < 1e-4
    assert tv_smoothed(image(0.0), eps)[1][0, 1] == pytest.approx(0.0, abs=1e-15)
