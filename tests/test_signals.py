"""mlmath.signals against NumPy/SciPy oracles, plus the properties that define convolution and the
regression tests of the signal-processing errata (chapters/appendices/errata.md)."""

import numpy as np
import pytest
import scipy.linalg
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmath.signals import (
    alias_frequency,
    circulant_matrix,
    circular_conv,
    conv1d,
    conv2d,
    conv_matrix,
    correlate2d,
    dft_matrix,
    fft_conv,
    sinc_interpolate,
)

MODES = ["full", "same", "valid"]
SETTINGS = settings()  # the shared profile (tests/conftest.py)
lengths = st.integers(min_value=1, max_value=12)
shapes2d = st.tuples(st.integers(1, 7), st.integers(1, 7))


def _arrays(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s) for s in shapes]


@SETTINGS
@given(n=lengths, m=lengths, mode=st.sampled_from(MODES), seed=st.integers(0, 2**16))
def test_conv1d_equals_numpy_convolve(n, m, mode, seed):
    x, h = _arrays(seed, n, m)
    np.testing.assert_allclose(conv1d(x, h, mode), np.convolve(x, h, mode), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(n=lengths, m=lengths, seed=st.integers(0, 2**16))
def test_conv1d_is_commutative_and_linear(n, m, seed):
    x, y, h = _arrays(seed, n, n, m)
    np.testing.assert_allclose(conv1d(x, h), conv1d(h, x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv1d(2 * x - 3 * y, h), 2 * conv1d(x, h) - 3 * conv1d(y, h), rtol=1e-10, atol=1e-10)


@SETTINGS
@given(xs=shapes2d, hs=shapes2d, mode=st.sampled_from(MODES), seed=st.integers(0, 2**16))
def test_conv2d_equals_scipy_convolve2d(xs, hs, mode, seed):
    x, h = _arrays(seed, xs, hs)
    try:
        expected = scipy.signal.convolve2d(x, h, mode)
    except ValueError:
        with pytest.raises(ValueError, match="valid"):
            conv2d(x, h, mode)
        return
    np.testing.assert_allclose(conv2d(x, h, mode), expected, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(xs=shapes2d, hs=shapes2d, mode=st.sampled_from(MODES), seed=st.integers(0, 2**16))
def test_correlate2d_equals_scipy_correlate2d(xs, hs, mode, seed):
    x, h = _arrays(seed, xs, hs)
    try:
        expected = scipy.signal.correlate2d(x, h, mode)
    except ValueError:
        with pytest.raises(ValueError, match="valid"):
            correlate2d(x, h, mode)
        return
    np.testing.assert_allclose(correlate2d(x, h, mode), expected, rtol=1e-12, atol=1e-12)


def test_correlate2d_valid_equals_torch_conv2d():
    torch = pytest.importorskip("torch")
    x, w = _arrays(3, (9, 7), (3, 4))
    out = torch.nn.functional.conv2d(torch.from_numpy(x)[None, None], torch.from_numpy(w)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(correlate2d(x, w, "valid"), out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv2d(x, w[::-1, ::-1], "valid"), out, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(n=lengths, m=lengths, mode=st.sampled_from(MODES), seed=st.integers(0, 2**16))
def test_conv_matrix_equals_conv1d(n, m, mode, seed):
    x, h = _arrays(seed, n, m)
    T = conv_matrix(h, n, mode)
    np.testing.assert_allclose(T @ x, conv1d(x, h, mode), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(n=lengths, m=lengths, seed=st.integers(0, 2**16))
def test_conv_matrix_is_toeplitz_and_its_transpose_correlates(n, m, seed):
    h, g = _arrays(seed, m, n + m - 1)
    T = conv_matrix(h, n)
    assert T.shape == (n + m - 1, n)
    for d in range(-(T.shape[0] - 1), n):  # constant along every diagonal
        diag = np.diagonal(T, offset=d)
        assert np.all(diag == diag[0])
    np.testing.assert_allclose(T.T @ g, np.correlate(g, h, "valid"), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 7, 16, 33])
def test_dft_matrix_equals_numpy_fft_of_identity(n):
    F = dft_matrix(n)
    np.testing.assert_allclose(F, np.fft.fft(np.eye(n), axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(F.conj().T @ F / n, np.eye(n), atol=1e-12)  # F / sqrt(n) is unitary


@SETTINGS
@given(n=st.integers(1, 40), m=st.integers(1, 40), seed=st.integers(0, 2**16))
def test_fft_conv_1d_equals_direct(n, m, seed):
    x, h = _arrays(seed, n, m)
    np.testing.assert_allclose(fft_conv(x, h), np.convolve(x, h), rtol=1e-10, atol=1e-10)


@SETTINGS
@given(xs=shapes2d, hs=shapes2d, seed=st.integers(0, 2**16))
def test_fft_conv_2d_equals_scipy_fftconvolve(xs, hs, seed):
    x, h = _arrays(seed, xs, hs)
    np.testing.assert_allclose(fft_conv(x, h), scipy.signal.fftconvolve(x, h), rtol=1e-10, atol=1e-10)
    assert fft_conv(x, h).dtype == np.float64


def test_fft_conv_keeps_float32():
    x, h = (a.astype(np.float32) for a in _arrays(4, 50, 7))
    out = fft_conv(x, h)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.convolve(x, h), rtol=1e-4, atol=1e-4)


def test_sinc_interpolate_reconstructs_bandlimited_signal_between_samples():
    dt, f = 0.1, 1.3  # Nyquist frequency 5 > 1.3
    n = np.arange(400)
    samples = np.sin(2 * np.pi * f * n * dt)
    t = np.linspace(15.0, 25.0, 97)  # far from both ends of the record
    np.testing.assert_allclose(sinc_interpolate(samples, dt, t), np.sin(2 * np.pi * f * t), atol=5e-3)
    np.testing.assert_allclose(sinc_interpolate(samples, dt, n[:50] * dt), samples[:50], atol=1e-12)


@pytest.mark.parametrize(
    ("f", "fs", "expected"),
    [(7.0, 10.0, 3.0), (12.0, 10.0, 2.0), (5.0, 10.0, 5.0), (3.0, 10.0, 3.0), (-3.0, 10.0, 3.0), (20.0, 10.0, 0.0)],
)
def test_alias_frequency_folds_into_nyquist_band(f, fs, expected):
    assert alias_frequency(f, fs) == pytest.approx(expected)


def test_alias_frequency_matches_sampled_sinusoid():
    fs, f = 10.0, 13.0
    n = np.arange(64)
    sampled = np.cos(2 * np.pi * f * n / fs)
    assert np.allclose(sampled, np.cos(2 * np.pi * alias_frequency(f, fs) * n / fs))


@SETTINGS
@given(n=st.integers(1, 20), m=st.integers(1, 20), seed=st.integers(0, 2**16))
def test_circular_conv_1d_equals_ifft_of_product_of_ffts(n, m, seed):
    m = min(m, n)
    x, h = _arrays(seed, n, m)
    expected = np.fft.ifft(np.fft.fft(x) * np.fft.fft(h, n)).real
    np.testing.assert_allclose(circular_conv(x, h), expected, rtol=1e-10, atol=1e-12)


@SETTINGS
@given(xs=shapes2d, hs=shapes2d, seed=st.integers(0, 2**16))
def test_circular_conv_2d_equals_ifft2_of_product_of_fft2s(xs, hs, seed):
    hs = tuple(min(a, b) for a, b in zip(xs, hs))
    x, h = _arrays(seed, xs, hs)
    expected = np.fft.ifft2(np.fft.fft2(x) * np.fft.fft2(h, xs)).real
    np.testing.assert_allclose(circular_conv(x, h), expected, rtol=1e-10, atol=1e-12)


@SETTINGS
@given(n=st.integers(1, 15), m=st.integers(1, 15), seed=st.integers(0, 2**16))
def test_circular_conv_of_zero_padded_signals_is_linear_convolution(n, m, seed):
    x, h = _arrays(seed, n, m)
    length = n + m - 1
    padded = np.concatenate([x, np.zeros(length - n)])
    np.testing.assert_allclose(circular_conv(padded, h), np.convolve(x, h), rtol=1e-12, atol=1e-12)


def test_circular_conv_commutes_with_cyclic_shift_and_keeps_float32():
    x, h = _arrays(8, 9, 4)
    np.testing.assert_allclose(circular_conv(np.roll(x, 3), h), np.roll(circular_conv(x, h), 3), rtol=1e-12, atol=1e-12)
    out = circular_conv(x.astype(np.float32), h.astype(np.float32))
    assert out.dtype == np.float32 and out.shape == (9,)


@SETTINGS
@given(m=st.integers(1, 12), extra=st.integers(0, 5), seed=st.integers(0, 2**16))
def test_circulant_matrix_equals_scipy_circulant_and_acts_as_circular_conv(m, extra, seed):
    n = m + extra
    h, x = _arrays(seed, m, n)
    C = circulant_matrix(h, n)
    np.testing.assert_array_equal(C, scipy.linalg.circulant(np.concatenate([h, np.zeros(extra)])))
    np.testing.assert_allclose(C @ x, circular_conv(x, h), rtol=1e-12, atol=1e-12)
    assert circulant_matrix(h).shape == (m, m)


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_dft_diagonalises_every_circulant_matrix(n):
    (h,) = _arrays(n, n)
    F = dft_matrix(n)
    D = F @ circulant_matrix(h) @ np.linalg.inv(F)
    np.testing.assert_allclose(D, np.diag(np.fft.fft(h)), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("n", [1, 3, 64, 255])
def test_dft_matrix_times_vector_equals_numpy_fft_and_parseval_holds(n):
    (x,) = _arrays(n + 11, n)
    X = dft_matrix(n) @ x
    np.testing.assert_allclose(X, np.fft.fft(x), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(np.sum(np.abs(X) ** 2) / n, np.sum(x**2), rtol=1e-12)


def test_dft_matrix_stays_accurate_for_large_n():
    n = 4099  # a prime, so k*j mod n takes every value
    (x,) = _arrays(17, n)
    np.testing.assert_allclose(dft_matrix(n) @ x, np.fft.fft(x), rtol=0, atol=1e-9 * np.sqrt(n))


@pytest.mark.parametrize(
    ("xs", "hs"), [((1,), (1,)), ((1,), (6,)), ((6,), (1,)), ((1, 1), (1, 1)), ((1, 5), (4, 1)), ((7, 1), (1, 3))]
)
def test_fft_conv_one_element_edge_cases(xs, hs):
    x, h = _arrays(21, xs, hs)
    expected = np.convolve(x, h) if len(xs) == 1 else scipy.signal.convolve2d(x, h)
    np.testing.assert_allclose(fft_conv(x, h), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("n", "m"), [(4096, 63), (1000, 1000), (997, 13)])
def test_fft_conv_large_1d_equals_scipy_fftconvolve(n, m):
    x, h = _arrays(n + m, n, m)
    np.testing.assert_allclose(fft_conv(x, h), scipy.signal.fftconvolve(x, h), rtol=1e-9, atol=1e-9)


def test_fft_conv_2d_image_with_large_kernel_equals_direct():
    x, h = _arrays(5, (64, 48), (21, 17))
    np.testing.assert_allclose(fft_conv(x, h), scipy.signal.convolve2d(x, h), rtol=1e-10, atol=1e-10)


def test_sinc_interpolate_equals_the_whittaker_shannon_sum_written_out():
    rng = np.random.default_rng(30)
    samples, t, dt = rng.normal(size=12), rng.uniform(-1, 3, size=(3, 5)), 0.25
    expected = np.array(
        [
            [sum(u * np.sin(np.pi * (tt / dt - n)) / (np.pi * (tt / dt - n)) for n, u in enumerate(samples)) for tt in row]
            for row in t
        ]
    )
    out = sinc_interpolate(samples, dt, t)
    assert out.shape == t.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(f=st.floats(-500, 500), fs=st.floats(0.5, 100))
def test_alias_frequency_lies_in_band_and_gives_identical_cosine_samples(f, fs):
    fa = alias_frequency(f, fs)
    assert 0.0 <= fa <= fs / 2 + 1e-9
    n = np.arange(16)
    np.testing.assert_allclose(np.cos(2 * np.pi * f * n / fs), np.cos(2 * np.pi * fa * n / fs), atol=1e-7 * (1 + abs(f) / fs))


def test_alias_frequency_works_elementwise_on_arrays():
    out = alias_frequency(np.array([1.0, 9.0, 11.0, 15.0]), 10.0)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, [1.0, 1.0, 1.0, 5.0])


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: conv1d([1, 2], [1], mode="circular"), "mode"),
        (lambda: conv1d([[1, 2]], [1]), "x"),
        (lambda: conv1d([1, 2], []), "h"),
        (lambda: conv1d([1, np.nan], [1]), "x"),
        (lambda: conv2d(np.ones(3), np.ones((2, 2))), "x"),
        (lambda: conv2d(np.ones((2, 5)), np.ones((3, 2)), "valid"), "valid"),
        (lambda: correlate2d(np.ones((2, 2)), np.ones(2)), "h"),
        (lambda: conv_matrix([1, 2], 0), "n"),
        (lambda: conv_matrix([1, 2], 2.5), "n"),
        (lambda: dft_matrix(-1), "n"),
        (lambda: fft_conv(np.ones(3), np.ones((2, 2))), "dimensions"),
        (lambda: fft_conv(np.ones((2, 2, 2)), np.ones((2, 2, 2))), "x"),
        (lambda: sinc_interpolate([1, 2], 0.0, [0.5]), "dt"),
        (lambda: alias_frequency(3.0, -1.0), "fs"),
        (lambda: conv1d(["a"], [1]), "x"),
        (lambda: circular_conv(np.ones(3), np.ones(4)), "h"),
        (lambda: circular_conv(np.ones(3), np.ones((1, 1))), "dimensions"),
        (lambda: circular_conv(np.ones((2, 2, 2)), np.ones(1)), "x"),
        (lambda: circular_conv(np.ones(3), []), "h"),
        (lambda: circulant_matrix([1, 2, 3], 2), "n"),
        (lambda: circulant_matrix([[1, 2]]), "h"),
        (lambda: sinc_interpolate([1, 2], 0.5, [np.inf]), "t"),
        (lambda: alias_frequency([np.nan], 2.0), "f"),
        (lambda: fft_conv([1j, 2], [1]), "x"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


# ----------------------------------------------------------------
# Errata regression tests (chapters/appendices/errata.md)
# The lecture slides (004) and the cheat sheet (002), 12.1-12.4: the Fourier, convolution-theorem and
# padding material. Each test asserts the correction against an independent oracle (NumPy, SciPy, the
# definition written out) and, where the source makes a checkable claim, that the claim fails.


def test_slides_worked_convolution_has_five_samples():
    # Oracle: the definition y[n] = sum_k x[k] h[n-k], written out independently.
    x, h = [3, 1, 2], [3, 2, 1]
    by_definition = [sum(x[k] * h[n - k] for k in range(3) if 0 <= n - k < 3) for n in range(6)]
    assert by_definition[5] == 0  # the slides' sixth entry is outside the support
    np.testing.assert_array_equal(conv1d(x, h), by_definition[:5])
    assert len(conv1d(x, h)) == 5


def _circular_by_definition(x, h):
    n = len(x)
    return np.array([sum(h[k] * x[(i - k) % n] for k in range(n)) for i in range(n)])


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


def test_same_mode_keeps_length_and_centres():
    x, h = np.arange(1.0, 6.0), np.array([1.0, 2.0, 3.0, 4.0])
    same = conv1d(x, h, "same")
    assert same.shape == x.shape
    np.testing.assert_allclose(same, np.convolve(x, h, "full")[1:6])
    np.testing.assert_allclose(conv_matrix(h, 5, "same") @ x, same)
