"""Regression tests for the errata found in the imaging sources (formula collection 3.14 and 12.13,
homework 2 section 1). Each test asserts the correction against an oracle and that the seed's claim fails."""

import numpy as np
import pytest
import skimage.transform
from numpy.testing import assert_allclose

from mlmath.imaging import homography_apply, orientation_histogram, tikhonov_solve


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
