"""Regression tests for the errata found in the Fourier, convolution-theorem and sampling material.

One test per erratum in notes/errata_signals.md (merged into the book's errata
page). Each asserts the correction against an independent oracle (NumPy,
SciPy, the definition written out) and, where the seed makes a checkable
claim, that the claim fails.
"""

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import scipy.signal

from mlmath.signals import circulant_matrix, circular_conv, dft_matrix


def _circular_by_definition(x, h):
    n = len(x)
    return np.array([sum(h[k] * x[(i - k) % n] for k in range(n)) for i in range(n)])


def test_cheatsheet_shift_invariant_operator_is_circulant_which_is_not_the_convolution_theorem():
    # Seed (cheat sheet 12.1) names "any linear translation-invariant T is a convolution" the Convolution Theorem.
    # That is the impulse-response representation; on C^N with cyclic shifts it says T is circulant.
    # The convolution theorem is the other statement: the DFT diagonalises it, F T F^-1 = diag(F h).
    rng = np.random.default_rng(1)
    N = 9
    taps = rng.normal(size=4)

    def operator(x):  # linear and shift-invariant, used as a black box
        return sum(t * np.roll(x, s) for s, t in zip((0, 1, 3, -2), taps))

    T = np.column_stack([operator(e) for e in np.eye(N)])
    S = np.roll(np.eye(N), 1, axis=0)
    np.testing.assert_allclose(T @ S, S @ T, atol=1e-14)
    np.testing.assert_allclose(T, scipy.linalg.circulant(T[:, 0]), atol=1e-14)  # representation theorem
    np.testing.assert_allclose(T, circulant_matrix(T[:, 0]), atol=1e-14)
    F = np.exp(-2j * np.pi * np.outer(np.arange(N), np.arange(N)) / N)
    np.testing.assert_allclose(F @ T @ np.linalg.inv(F), np.diag(np.fft.fft(T[:, 0])), atol=1e-12)  # convolution theorem
    x = rng.normal(size=N)
    np.testing.assert_allclose(operator(x), _circular_by_definition(x, T[:, 0]), atol=1e-12)
    # The space of matrices commuting with S has dimension exactly N: nothing but circulants.
    K = np.kron(S.T, np.eye(N)) - np.kron(np.eye(N), S)
    assert N * N - np.linalg.matrix_rank(K) == N


def test_slides_discrete_convolution_theorem_holds_for_circular_not_linear_convolution():
    # Seed (slides, "Discrete convolution theorem"): F[g * h] = G H for the linear sum, "same thing as continuous case".
    # With the DFT it holds for circular convolution, or for linear convolution after zero padding to N + M - 1.
    rng = np.random.default_rng(2)
    g, h = rng.normal(size=(5, 6)), rng.normal(size=(5, 6))
    product = np.fft.ifft2(np.fft.fft2(g) * np.fft.fft2(h)).real
    linear = scipy.signal.convolve2d(g, h)  # (9, 11)
    assert not np.allclose(product, linear[:5, :6])  # the slides' claim, read with the DFT, fails
    wrapped = np.zeros((5, 6))
    for i in range(linear.shape[0]):
        for j in range(linear.shape[1]):
            wrapped[i % 5, j % 6] += linear[i, j]
    np.testing.assert_allclose(product, wrapped, atol=1e-12)  # circular = aliased linear convolution
    shape = linear.shape
    np.testing.assert_allclose(np.fft.ifft2(np.fft.fft2(g, shape) * np.fft.fft2(h, shape)).real, linear, atol=1e-12)
    x, k = rng.normal(size=8), rng.normal(size=8)
    np.testing.assert_allclose(circular_conv(x, k), _circular_by_definition(x, k), atol=1e-12)


def test_slides_numpy_fft_calls_need_the_fft_submodule():
    # Seed (slides, DFT matrix): "np.fft(u), np.fftshift(np.fft(np.ifftshift(u)))", "np.fft(np.eye(10))".
    # np.fft is a module; the functions are np.fft.fft, np.fft.fftshift, np.fft.ifftshift.
    assert not callable(np.fft)
    with pytest.raises(TypeError):
        np.fft(np.eye(10))
    N = 10
    n = np.arange(N)
    F = np.exp(-2j * np.pi * np.outer(n, n) / N)
    np.testing.assert_allclose(np.fft.fft(np.eye(N)), F, atol=1e-12)
    np.testing.assert_allclose(dft_matrix(N), F, atol=1e-12)
    c = N // 2
    centred = np.exp(-2j * np.pi * np.outer(n - c, n - c) / N)
    np.testing.assert_allclose(np.fft.fftshift(np.fft.fft(np.fft.ifftshift(np.eye(N)))), centred, atol=1e-12)
    # "Treats the middle entry as f_x = 0": for even N the zero frequency sits at index N // 2 (the 6th of 10).
    assert int(np.argmin(np.abs(np.fft.fftshift(np.fft.fftfreq(N))))) == 5
