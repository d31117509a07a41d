"""Coding exercises of the part *Signals and imaging*."""

from __future__ import annotations

import numpy as np

from ..signals import alias_frequency, circular_conv, conv1d, conv_matrix, correlate2d, dft_matrix
from ._checker import Case, Exercise, register


def _rfft_cases(rng: np.random.Generator) -> list[Case]:
    # (rfft(x), N) for real x: odd and even N, and the smallest lengths (no conjugate half at all)
    cases: list[Case] = [(np.fft.rfft(x), len(x)) for x in (np.array([2.0]), np.array([1.0, -1.0]), np.arange(3.0))]
    for n in (9, 10, 16, 17):
        cases.append((np.fft.rfft(rng.normal(size=n)), n))
    return cases


def _vectors(rng: np.random.Generator, pairs) -> list[Case]:
    return [(rng.normal(size=n), rng.normal(size=m)) for n, m in pairs]


def _conv_valid_cases(rng: np.random.Generator) -> list[Case]:
    edge = [
        (np.array([2.0]), np.array([3.0])),
        (np.array([1.0, 2.0, 3.0]), np.array([1.0])),
        (np.array([1.0]), np.array([1.0, -1.0, 2.0])),
    ]
    integers = [(np.array([3.0, 1.0, 2.0]), np.array([3.0, 2.0, 1.0]))]
    return edge + integers + _vectors(rng, [(5, 3), (3, 5), (6, 6), (9, 2), (2, 9), (12, 4)])


def _correlation_matrix_cases(rng: np.random.Generator) -> list[Case]:
    return [(np.array([1.0]), 1), (np.array([2.0, -1.0]), 1), (np.array([1.0, 2.0, 3.0]), 2)] + [
        (rng.normal(size=m), n) for m, n in [(3, 6), (5, 4), (1, 7), (6, 6)]
    ]


def _dl_conv2d_cases(rng: np.random.Generator) -> list[Case]:
    """Kernels no larger than the image: 1 x 1, as large as the image, single rows and columns, integers, random."""
    cases: list[Case] = [
        (np.array([[2.0]]), np.array([[-3.0]])),
        (np.arange(9.0).reshape(3, 3), np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])),  # one output
        (np.array([[1.0, 2.0, 3.0, 4.0, 5.0]]), np.array([[1.0, -1.0]])),  # not flipped: x[j] - x[j + 1]
        (np.array([[1.0], [0.0], [2.0], [-1.0]]), np.array([[2.0], [1.0]])),
    ]
    for (H, W), (h, w) in [((6, 7), (3, 3)), ((5, 8), (2, 4)), ((9, 9), (1, 1)), ((8, 6), (5, 6)), ((4, 12), (4, 1))]:
        cases.append((rng.normal(size=(H, W)), rng.normal(size=(h, w))))
    return cases


def _valid_mults_reference():
    import sympy as sp

    N, M = sp.symbols("N M", real=True)
    return M * (N - M + 1)  # N - M + 1 outputs, M products each


register(
    Exercise(
        id="ex-conv-definition",
        chapter="chapters/signals/convolution",
        title="Convolution from the definition",
        name="conv_valid",
        signature="conv_valid(x, h) -> 1D array, the valid part of x * h",
        reference=lambda x, h: conv1d(x, h, "valid"),
        cases=_conv_valid_cases,
    ),
    Exercise(
        id="ex-conv-by-hand",
        chapter="chapters/signals/convolution",
        title="A convolution by hand",
        name="y_ex",
        signature="y_ex: the array x * h for x = [1, 2, 0, -1], h = [1, -1]",
        reference=lambda: conv1d([1.0, 2.0, 0.0, -1.0], [1.0, -1.0]),
        cases=None,
    ),
    Exercise(
        id="ex-conv-correlation-matrix",
        chapter="chapters/signals/convolution",
        title="The matrix of a correlation",
        name="correlation_matrix",
        signature="correlation_matrix(h, n) -> (n, n + M - 1) matrix C with C @ g == np.correlate(g, h, 'valid')",
        reference=lambda h, n: conv_matrix(h, n).T,
        cases=_correlation_matrix_cases,
    ),
    Exercise(
        id="ex-conv-same-even",
        chapter="chapters/signals/convolution",
        title="Even kernels and 'same'",
        name="same_ex",
        signature="same_ex: conv1d([1, 2, 3], [1, 1], 'same') predicted by hand",
        reference=lambda: conv1d([1.0, 2.0, 3.0], [1.0, 1.0], "same"),
        cases=None,
    ),
    Exercise(
        id="ex-conv-dl-layer",
        chapter="chapters/signals/convolution",
        title="A deep-learning convolution from scratch",
        name="dl_conv2d",
        signature="dl_conv2d(x, w) -> (H - h + 1, W - w + 1) array, y[i, j] = sum_{p,q} w[p, q] x[i + p, j + q]",
        reference=lambda x, w: correlate2d(x, w, "valid"),
        cases=_dl_conv2d_cases,
    ),
    Exercise(
        id="ex-conv-valid-cost",
        chapter="chapters/signals/convolution",
        title="The cost of a valid convolution",
        name="valid_mults",
        signature="valid_mults: the number of multiplications of conv1d(x, h, 'valid') from the definition, N >= M, in N and M",
        reference=_valid_mults_reference,
        cases=None,
        symbols=("N", "M"),
    ),
)


# --- the Fourier transform, the convolution theorem, sampling -------------------------------


def _radix2_cases(rng: np.random.Generator) -> list[Case]:
    """Powers of two from 1 to 256, real and complex, plus a few inputs with known transforms."""
    cases: list[Case] = [
        (np.array([3.0]),),
        (np.array([2.0 - 1.0j]),),
        (np.array([1.0, -1.0]),),
        (np.ones(4),),
        (np.array([0.0, 1.0j, 0.0, -1.0j]),),
        (np.eye(8)[1],),  # an impulse at n = 1: the transform is the twiddle factors themselves
    ]
    for p in range(9):
        n = 2**p
        cases.append((rng.normal(size=n),))
        cases.append((rng.normal(size=n) + 1j * rng.normal(size=n),))
    return cases


def _circular_cases(rng: np.random.Generator) -> list[Case]:
    """Same-length pairs, N = 1, 2, 5, 16, 33; integer lists (identity, a one-sample shift) and random arrays."""
    cases: list[Case] = [
        ([2], [3]),
        ([1, 2], [3, -4]),
        ([1, 2, 3, 4, 5], [1, 0, 0, 0, 0]),
        ([1, 2, 3, 4, 5], [0, 1, 0, 0, 0]),  # rotates x right by one: catches a correlation
        ([3, 0, -1, 2, 5], [1, 2, 0, 0, -1]),
    ]
    return cases + [(rng.normal(size=n), rng.normal(size=n)) for n in (1, 2, 5, 16, 33)]


def _alias_cases(rng: np.random.Generator) -> list[Case]:
    """Scalar and array frequencies: 0, negative, multiples of fs, odd multiples of fs / 2, 1e6 + 3; fs = 10 and 7.5."""
    scalars = [(7.0, 10.0), (0.0, 10.0), (-3.0, 10.0), (20.0, 10.0), (-30.0, 10.0), (5.0, 10.0), (15.0, 10.0), (-25.0, 10.0)]
    scalars += [(1e6 + 3, 7.5), (3.75, 7.5), (11.25, 7.5), (-22.5, 7.5), (7.5, 7.5)]
    f_test = np.array([0.0, 1.0, 4.9, 5.0, 7.0, 10.0, 15.0, 23.4, -3.0, -12.0, 1e6 + 3])
    arrays = [
        (f_test, 10.0),
        (f_test.copy(), 7.5),
        (np.arange(-4, 5) * 3.75, 7.5),  # every multiple of fs / 2 from -2 fs to 2 fs
        (rng.uniform(-100.0, 100.0, size=20), 7.5),
        (rng.uniform(-50.0, 50.0, size=(3, 4)), 10.0),
    ]
    return scalars + arrays


def _sigma_min_reference() -> float:
    """Smallest sigma with exp(-2 pi^2 sigma^2 f^2) <= 0.01 at f = 1 / (2D), for D = 2."""
    D = 2.0
    return float(D / np.pi * np.sqrt(2.0 * np.log(100.0)))


register(
    Exercise(
        id="fourier-ex-radix2",
        chapter="chapters/signals/fourier",
        title="A radix-2 FFT",
        name="fft_radix2",
        signature="fft_radix2(x) -> complex 1D array, the DFT of x (length a power of two)",
        reference=lambda x: dft_matrix(len(x)) @ x,
        cases=_radix2_cases,
        rtol=1e-9,
        atol=1e-9,
    ),
    Exercise(
        id="convthm-ex-circular",
        chapter="chapters/signals/convolution_theorem",
        title="Circular convolution from the definition",
        name="my_circular_conv",
        signature="my_circular_conv(x, h) -> 1D array of length N, y[n] = sum_k h[k] x[(n - k) mod N]",
        reference=circular_conv,
        cases=_circular_cases,
    ),
    Exercise(
        id="sampling-ex-alias",
        chapter="chapters/signals/sampling",
        title="Where does a frequency land?",
        name="my_alias_frequency",
        signature="my_alias_frequency(f, fs) -> apparent frequency in [0, fs/2], shaped like f (a float for scalar f)",
        reference=alias_frequency,
        cases=_alias_cases,
        rtol=1e-9,
        atol=1e-9,
    ),
    Exercise(
        id="sampling-ex-product",
        chapter="chapters/signals/sampling",
        title="The Nyquist rate of a product",
        name="nyquist_ex",
        signature="nyquist_ex: the Nyquist rate in Hz of cos(2 pi 3 t) cos(2 pi 5 t)",
        reference=lambda: 2.0 * (3.0 + 5.0),  # the product's highest frequency is 3 + 5 Hz
        cases=None,
    ),
    Exercise(
        id="sampling-ex-sigma",
        chapter="chapters/signals/sampling",
        title="How much blur before subsampling?",
        name="sigma_min",
        signature="sigma_min: the smallest Gaussian sigma with gain <= 1% at the new Nyquist frequency, for D = 2",
        reference=_sigma_min_reference,
        cases=None,
        rtol=1e-4,
        atol=0.0,
    ),
)


def _freq_axis_cases(rng: np.random.Generator) -> list[Case]:
    """Odd and even N from 1 up, spacings below and above 1."""
    return [(1, 1.0), (2, 1.0), (2, 0.5), (3, 0.25), (9, 0.3), (10, 1 / 32), (16, 2.0), (101, 0.01), (1024, 1 / 32)] + [
        (int(n), float(dx)) for n, dx in zip(rng.integers(1, 200, 4), rng.uniform(0.01, 5.0, 4))
    ]


def _gauss_width_reference():
    import sympy as sp

    sigma, f = sp.symbols("sigma f", real=True)
    return sp.sqrt(2 * sp.pi) * sigma * sp.exp(-2 * sp.pi**2 * sigma**2 * f**2)


def _linear_fft_cases(rng: np.random.Generator) -> list[Case]:
    """Pairs of any lengths (1 included, kernel longer than the signal), integer and random."""
    edge = [
        (np.array([2.0]), np.array([3.0])),
        (np.array([1.0, 2.0]), np.array([1.0])),
        (np.array([1.0]), np.array([1.0, 2.0, 3.0])),
    ]
    integers = [(np.array([3.0, 1.0, 2.0]), np.array([3.0, 2.0, 1.0])), (np.arange(1.0, 17.0), np.ones(9) / 9)]
    return edge + integers + _vectors(rng, [(5, 3), (3, 5), (8, 8), (31, 2), (2, 31), (100, 17)])


def _laplacian_reference():
    import sympy as sp

    k, N = sp.symbols("k N", real=True)
    return 2 - 2 * sp.cos(2 * sp.pi * k / N)  # the DFT of (2, -1, 0, ..., 0, -1) at bin k


def _decimate_cases(rng: np.random.Generator) -> list[Case]:
    """A spectrum U of length N and a factor P dividing N: P = 1, P = N, real and complex U."""
    cases: list[Case] = [
        (np.array([2.0 - 1.0j]), 1),
        (np.array([1.0, -1.0]), 2),
        (np.array([4.0, 0.0, 0.0, 0.0]), 2),  # a constant signal: its samples are constant too
        (np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), 3),
        (np.array([0.0, 1.0j, 0.0, 0.0, 0.0, -1.0j]), 1),
    ]
    for n, p in [(8, 8), (12, 4), (12, 3), (30, 5), (64, 16), (60, 2)]:
        cases.append((rng.normal(size=n) + 1j * rng.normal(size=n), p))
    return cases


register(
    Exercise(
        id="fourier-ex-freq-axis",
        chapter="chapters/signals/fourier",
        title="The frequency axis of a centred spectrum",
        name="centred_freqs",
        signature="centred_freqs(N, dx) -> (N,) array of the frequencies f_k = (k - N // 2) / (N dx), k = 0..N-1",
        reference=lambda N, dx: np.fft.fftshift(np.fft.fftfreq(N, dx)),
        cases=_freq_axis_cases,
        rtol=1e-12,
        atol=1e-12,
    ),
    Exercise(
        id="fourier-ex-gauss-width",
        chapter="chapters/signals/fourier",
        title="The transform of a Gaussian of any width",
        name="gauss_ft_ex",
        signature="gauss_ft_ex: the Fourier transform of exp(-x^2 / (2 sigma^2)), sigma > 0, a formula in sigma and f",
        reference=_gauss_width_reference,
        cases=None,
        symbols=("sigma", "f"),
        domain=(0.1, 2.0),  # sigma > 0
    ),
    Exercise(
        id="convthm-ex-linear-fft",
        chapter="chapters/signals/convolution_theorem",
        title="Linear convolution through the FFT",
        name="linear_conv_fft",
        signature="linear_conv_fft(x, h) -> the full linear convolution x * h (length N + M - 1) through zero-padded FFTs",
        reference=lambda x, h: conv1d(x, h),
        cases=_linear_fft_cases,
    ),
    Exercise(
        id="convthm-ex-laplacian",
        chapter="chapters/signals/convolution_theorem",
        title="The eigenvalues of the cyclic second difference",
        name="laplacian_eig",
        signature="laplacian_eig: the eigenvalue for the Fourier vector k of x -> 2 x[n] - x[n - 1] - x[n + 1] (indices mod N), in k and N",
        reference=_laplacian_reference,
        cases=None,
        symbols=("k", "N"),
    ),
    Exercise(
        id="sampling-ex-decimate",
        chapter="chapters/signals/sampling",
        title="The spectrum of every P-th sample",
        name="decimated_dft",
        signature="decimated_dft(U, P) -> (N // P,) complex array, the DFT of u[::P] computed from U = DFT(u) alone",
        reference=lambda U, P: np.fft.fft(np.fft.ifft(U)[::P]),
        cases=_decimate_cases,
        rtol=1e-9,
        atol=1e-12,
    ),
    Exercise(
        id="sampling-ex-factor",
        chapter="chapters/signals/sampling",
        title="The interpolation factor off the Nyquist rate",
        name="factor_ex",
        signature="factor_ex: 4 B_x B_y X Y for b = (3, 5) per mm, X = Y = 0.1 mm, B = (4, 5) per mm",
        reference=lambda: 4 * 4.0 * 5.0 * 0.1 * 0.1,
        cases=None,
    ),
)


# --- derivations checked as formulas and values: a two-tap blur, two shifts, the wagon wheel ---


def _two_tap_dft_reference():
    """The DFT of ``h = [1/2, 1/2]`` zero-padded to length ``N``, at bin ``k``."""
    import sympy as sp

    k, N = sp.symbols("k N", real=True)
    return (1 + sp.exp(-2 * sp.pi * sp.I * k / N)) / 2


def _double_shift_reference():
    """For odd ``N``: ``fftshift(fft(fftshift(u)))[k] / W[k] = exp(2 pi i (k - n0) / N)``, ``n0 = (N - 1) / 2``."""
    import sympy as sp

    k, N = sp.symbols("k N", real=True)
    return sp.exp(2 * sp.pi * sp.I * (k - (N - 1) / 2) / N)


register(
    Exercise(
        id="convthm-ex-deblur",
        chapter="chapters/signals/convolution_theorem",
        title="Undoing a circular blur",
        name="two_tap_dft",
        signature="two_tap_dft: H[k], the DFT of h = [1/2, 1/2] zero-padded to length N, a formula in k and N",
        reference=_two_tap_dft_reference,
        cases=None,
        symbols=("k", "N"),
        domain=(1.0, 9.0),
    ),
    Exercise(
        id="fourier-ex-hermitian",
        chapter="chapters/signals/fourier",
        title="Real signals and rfft",
        name="dft_from_rfft",
        signature="dft_from_rfft(half, N) -> the whole DFT X (N,) of a real signal from X[0], ..., X[N // 2] = rfft(x)",
        reference=lambda half, n: np.fft.fft(np.fft.irfft(half, n)),
        cases=_rfft_cases,
    ),
    Exercise(
        id="fourier-ex-double-shift",
        chapter="chapters/signals/fourier",
        title="Two shifts are not one",
        name="double_shift_factor",
        signature="double_shift_factor: fftshift(fft(fftshift(u)))[k] / W[k] for odd N, a formula in k and N",
        reference=_double_shift_reference,
        cases=None,
        symbols=("k", "N"),
        domain=(1.0, 9.0),
    ),
    Exercise(
        id="sampling-ex-wagon",
        chapter="chapters/signals/sampling",
        title="The wagon wheel",
        name="wheel_rev_per_s",
        signature="wheel_rev_per_s: the apparent speed (rev/s, negative backwards) of an 8-spoke wheel at 2.75 rev/s filmed at 24 fps",
        reference=lambda: (8 * 2.75 - 24.0) / 8,  # the pattern's 22 Hz lands at 22 - 24 = -2 Hz: -2 / 8 rev/s
        cases=None,
    ),
)
