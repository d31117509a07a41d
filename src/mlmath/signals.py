"""Discrete signals: convolution, correlation, the DFT and sampling.

Conventions (the chapters *Discrete convolution*, *Fourier transforms*,
*The convolution theorem* and *Sampling* derive them):

* linear convolution ``(x * h)[n] = sum_k x[k] h[n - k]``; the *full* output
  of a length-``N`` and a length-``M`` signal has ``N + M - 1`` samples;
* ``mode`` picks a slice of the full output with the semantics of
  ``numpy.convolve`` (1D) and ``scipy.signal.convolve2d`` (2D, zero
  boundary): ``"full"``, ``"same"`` (centred, the size of the longer / first
  input) or ``"valid"`` (only complete overlaps);
* circular convolution of period ``N`` is ``y[n] = sum_k h[k] x[(n - k) mod N]``;
* the DFT is ``X[k] = sum_n x[n] exp(-2 pi i k n / N)``, as ``numpy.fft.fft``.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, check_choice, check_int, check_nonempty, check_scalar

__all__ = [
    "conv1d",
    "conv2d",
    "correlate2d",
    "conv_matrix",
    "circular_conv",
    "circulant_matrix",
    "dft_matrix",
    "fft_conv",
    "sinc_interpolate",
    "alias_frequency",
]

_MODES = ("full", "same", "valid")


def _signal(x, name: str, ndim: int) -> np.ndarray:
    arr = as_float_array(x, name, ndim=ndim)
    check_nonempty(arr, name)
    return arr


def _signal_pair(x, h) -> tuple[np.ndarray, np.ndarray]:
    """Two non-empty real signals that are both 1D or both 2D."""
    x = as_float_array(x, "x", ndim=(1, 2))
    h = as_float_array(h, "h", ndim=(1, 2))
    check_nonempty(x, "x")
    check_nonempty(h, "h")
    if x.ndim != h.ndim:
        raise ValueError(f"x and h must have the same number of dimensions, got shapes {x.shape} and {h.shape}")
    return x, h


def _full_conv1d(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """``y[n] = sum_k x[k] h[n-k]``, ``n = 0..N+M-2``: one shifted, scaled copy per tap of the shorter signal."""
    if h.size > x.size:
        x, h = h, x
    out = np.zeros(x.size + h.size - 1, dtype=np.result_type(x, h))
    for k, hk in enumerate(h):
        out[k : k + x.size] += hk * x
    return out


def _slice_1d(n: int, m: int, mode: str) -> slice:
    """The rows of the full output that ``numpy.convolve`` keeps for lengths ``n`` and ``m``."""
    long, short = max(n, m), min(n, m)
    if mode == "full":
        return slice(0, n + m - 1)
    if mode == "same":
        start = (short - 1) // 2
        return slice(start, start + long)
    return slice(short - 1, long)


def conv1d(x, h, mode: str = "full") -> np.ndarray:
    """Linear convolution of two 1D arrays, ``numpy.convolve(x, h, mode)``.

    Lengths of the result for ``len(x) = N``, ``len(h) = M``: ``N + M - 1``
    (full), ``max(N, M)`` (same), ``max(N, M) - min(N, M) + 1`` (valid).
    """
    x, h = _signal(x, "x", 1), _signal(h, "h", 1)
    mode = check_choice(mode, "mode", _MODES)
    return _full_conv1d(x, h)[_slice_1d(x.size, h.size, mode)]


def _full_conv2d(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Full 2D convolution, ``y[i, j] = sum_{p, q} x[p, q] h[i-p, j-q]``, one shifted copy of ``x`` per tap of ``h``."""
    if h.size > x.size:
        x, h = h, x
    (xr, xc), (hr, hc) = x.shape, h.shape
    out = np.zeros((xr + hr - 1, xc + hc - 1), dtype=np.result_type(x, h))
    for (i, j), hij in np.ndenumerate(h):
        if hij != 0:
            out[i : i + xr, j : j + xc] += hij * x
    return out


def _crop_2d(full: np.ndarray, x_shape, h_shape, mode: str, name_h: str) -> np.ndarray:
    """Keep the part of a full 2D result that ``scipy.signal.convolve2d`` keeps for ``mode``."""
    if mode == "full":
        return full
    if mode == "same":
        r0 = (h_shape[0] - 1) // 2
        c0 = (h_shape[1] - 1) // 2
        return full[r0 : r0 + x_shape[0], c0 : c0 + x_shape[1]]
    x_big = all(a >= b for a, b in zip(x_shape, h_shape))
    h_big = all(b >= a for a, b in zip(x_shape, h_shape))
    if not (x_big or h_big):
        raise ValueError(
            f"mode='valid' needs one input at least as large as the other in every dimension; "
            f"got x of shape {tuple(x_shape)} and {name_h} of shape {tuple(h_shape)}"
        )
    big, small = (x_shape, h_shape) if x_big else (h_shape, x_shape)
    return full[small[0] - 1 : big[0], small[1] - 1 : big[1]]


def conv2d(x, h, mode: str = "full") -> np.ndarray:
    """2D linear convolution with zero boundary, ``scipy.signal.convolve2d(x, h, mode)``.

    ``y[i, j] = sum_{p, q} x[p, q] h[i - p, j - q]``: the kernel is flipped
    (this is MATLAB's ``conv2``, not the deep-learning "convolution").
    """
    x, h = _signal(x, "x", 2), _signal(h, "h", 2)
    mode = check_choice(mode, "mode", _MODES)
    return _crop_2d(_full_conv2d(x, h), x.shape, h.shape, mode, "h")


def correlate2d(x, h, mode: str = "valid") -> np.ndarray:
    """2D cross-correlation with zero boundary, ``scipy.signal.correlate2d(x, h, mode)``.

    ``y[i, j] = sum_{p, q} x[i + p, j + q] h[p, q]`` (valid part): the kernel
    slides *without* flipping, which is what ``torch.nn.functional.conv2d``
    computes. Equal to ``conv2d(x, h[::-1, ::-1])`` up to the centring of
    ``"same"`` for even kernels.
    """
    x, h = _signal(x, "x", 2), _signal(h, "h", 2)
    mode = check_choice(mode, "mode", _MODES)
    full = _full_conv2d(x, h[::-1, ::-1])
    if mode == "same":
        # scipy centres the correlation on the kernel's flipped centre.
        r0 = h.shape[0] // 2
        c0 = h.shape[1] // 2
        return full[r0 : r0 + x.shape[0], c0 : c0 + x.shape[1]]
    kernel_larger = all(b >= a for a, b in zip(x.shape, h.shape)) and not all(a >= b for a, b in zip(x.shape, h.shape))
    if mode == "valid" and kernel_larger:
        # scipy swaps the inputs, which turns correlation into the reversed correlation.
        return correlate2d(h, x, "valid")[::-1, ::-1]
    return _crop_2d(full, x.shape, h.shape, mode, "h")


def conv_matrix(h, n: int, mode: str = "full") -> np.ndarray:
    """The Toeplitz (banded) matrix ``T`` with ``T @ x == conv1d(x, h, mode)`` for every ``x`` of length ``n``.

    Full mode: ``T[i, j] = h[i - j]`` (zero outside ``0 <= i - j < M``), shape
    ``(n + M - 1, n)``; each column is a copy of ``h`` shifted down by one.
    ``"same"`` and ``"valid"`` keep the rows ``conv1d`` keeps.
    """
    h = _signal(h, "h", 1)
    n = check_int(n, "n", minimum=1)
    mode = check_choice(mode, "mode", _MODES)
    m = h.size
    i = np.arange(n + m - 1)[:, None]
    j = np.arange(n)[None, :]
    k = i - j
    inside = (k >= 0) & (k < m)
    full = np.where(inside, h[np.clip(k, 0, m - 1)], 0).astype(h.dtype)
    return full[_slice_1d(n, m, mode)]


def circular_conv(x, h) -> np.ndarray:
    """Circular (cyclic) convolution of period ``x.shape``: ``y[n] = sum_k h[k] x[(n - k) mod N]``.

    ``x`` and ``h`` are both 1D or both 2D (then ``y[i, j] = sum_{p, q} h[p, q] x[(i-p) mod N1, (j-q) mod N2]``);
    ``h`` may be shorter than ``x`` along any axis and is then extended by
    zeros. The result has the shape of ``x``. By the convolution theorem its
    DFT is ``fft(x) * fft(h padded)``; computed here from the definition,
    one rolled copy of ``x`` per nonzero tap of ``h``.
    """
    x, h = _signal_pair(x, h)
    if any(b > a for a, b in zip(x.shape, h.shape)):
        raise ValueError(
            f"h must be no larger than x (the period) along every axis, got x of shape {x.shape} and h of shape {h.shape}"
        )
    out = np.zeros(x.shape, dtype=np.result_type(x, h))
    axes = tuple(range(x.ndim))
    for k, hk in np.ndenumerate(h):
        if hk != 0:
            out += hk * np.roll(x, k, axis=axes)
    return out


def circulant_matrix(h, n: int | None = None) -> np.ndarray:
    """The ``n x n`` circulant matrix ``C[i, j] = h[(i - j) mod n]``, so that ``C @ x == circular_conv(x, h)``.

    ``h`` (1D, length ``M <= n``) is extended by zeros to length ``n``
    (default ``n = M``). Column ``j`` is ``h`` rotated down by ``j``; every
    circulant matrix is diagonalised by the DFT: ``F C F^{-1} = diag(fft(h))``.
    """
    h = _signal(h, "h", 1)
    n = h.size if n is None else check_int(n, "n", minimum=1)
    if h.size > n:
        raise ValueError(f"n must be at least len(h) = {h.size}, got {n}")
    col = np.zeros(n, dtype=h.dtype)
    col[: h.size] = h
    i = np.arange(n)
    return col[(i[:, None] - i[None, :]) % n]


def dft_matrix(n: int) -> np.ndarray:
    """The ``n x n`` DFT matrix ``F[k, j] = exp(-2 pi i k j / n)``, so that ``F @ x == numpy.fft.fft(x)``.

    ``F / sqrt(n)`` is unitary; ``F^{-1} = conj(F) / n``.
    """
    n = check_int(n, "n", minimum=1)
    k = np.arange(n)
    # Only n distinct entries exist (the n-th roots of unity): compute them once and
    # index them with k*j mod n, which also keeps the angle small and accurate for large n.
    roots = np.exp(-2j * np.pi * k / n)
    return roots[np.outer(k, k) % n]


def _next_fast_len(n: int) -> int:
    """Smallest ``m >= n`` whose only prime factors are 2, 3 and 5 (sizes the FFT handles fastest)."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def fft_conv(x, h) -> np.ndarray:
    """Full linear convolution of two real 1D or two real 2D arrays through zero-padded FFTs.

    Zero padding each axis to at least ``N + M - 1`` turns the FFT's circular
    convolution into the linear one (convolution theorem); the result is real
    and equals ``conv1d(x, h)`` / ``conv2d(x, h)`` up to round-off.
    """
    x, h = _signal_pair(x, h)
    out_shape = tuple(a + b - 1 for a, b in zip(x.shape, h.shape))
    fast = tuple(_next_fast_len(s) for s in out_shape)
    axes = tuple(range(x.ndim))
    spectrum = np.fft.rfftn(x, fast, axes=axes) * np.fft.rfftn(h, fast, axes=axes)
    full = np.fft.irfftn(spectrum, fast, axes=axes)
    return full[tuple(slice(0, s) for s in out_shape)].astype(np.result_type(x, h), copy=False)


def sinc_interpolate(samples, dt: float, t) -> np.ndarray:
    """Whittaker-Shannon reconstruction ``u(t) = sum_n u[n] sinc((t - n dt) / dt)``.

    ``samples[n]`` was taken at time ``n * dt`` (``n = 0..N-1``); ``sinc`` is
    the normalised ``sin(pi s) / (pi s)``. Exact for a signal band-limited to
    ``|f| < 1 / (2 dt)`` when infinitely many samples are used; with finitely
    many, the error is largest near the ends. Returns an array shaped like ``t``.
    """
    u = _signal(samples, "samples", 1)
    dt = check_scalar(dt, "dt", low=0.0, low_open=True)
    t_arr = as_float_array(t, "t")
    n = np.arange(u.size)
    kernel = np.sinc(t_arr.reshape(-1, 1) / dt - n[None, :])
    return (kernel @ u).reshape(t_arr.shape)


def alias_frequency(f, fs):
    """The frequency in ``[0, fs / 2]`` at which a sinusoid of frequency ``f`` appears when sampled at rate ``fs``.

    Sampling cannot tell ``f`` from ``f + k fs`` (any integer ``k``) or from
    ``-f``, so the apparent frequency is ``|f - fs * round(f / fs)|``.
    Works elementwise on arrays of ``f``.
    """
    fs = check_scalar(fs, "fs", low=0.0, low_open=True)
    f_arr = as_float_array(f, "f")
    folded = np.abs(f_arr - fs * np.round(f_arr / fs))
    return float(folded) if folded.ndim == 0 else folded
