"""Orientation histograms: magnitude-weighted histograms of gradient directions (SIFT's
orientation step), their dominant orientation and the circular shift between two of them."""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, check_int

__all__ = ["orientation_histogram", "dominant_orientation", "orientation_shift"]


# ---------------------------------------------------------------------------
# Gradient-orientation histograms
# ---------------------------------------------------------------------------


def orientation_histogram(gx, gy, n_bins=36, weights=None) -> np.ndarray:
    """Magnitude-weighted histogram of gradient orientations, with linear (soft) binning.

    ``gx``, ``gy`` (same shape) are the gradient components; each pixel has
    orientation ``phi = atan2(gy, gx)`` in ``[0, 2 pi)`` and votes
    ``|g| * weights`` (``weights`` default 1). Bin ``k`` is centred at
    ``k * 2 pi / n_bins``; a vote at ``phi = (k + f) 2 pi / n_bins``,
    ``0 <= f < 1``, goes ``(1 - f)`` to bin ``k`` and ``f`` to bin
    ``k + 1 mod n_bins``, so the histogram moves continuously with ``phi``
    and the bins sum to ``sum |g| * weights``. Returns ``(n_bins,)`` float64.
    Rotating the gradients by ``2 pi m / n_bins`` rolls the histogram by ``m``.
    """
    gx = as_float_array(gx, "gx")
    gy = as_float_array(gy, "gy")
    if gx.shape != gy.shape:
        raise ValueError(f"gx and gy must have the same shape, got {gx.shape} and {gy.shape}")
    n_bins = check_int(n_bins, "n_bins", minimum=1)
    mag = np.hypot(gx, gy).astype(np.float64)
    if weights is not None:
        weights = as_float_array(weights, "weights")
        if weights.shape != gx.shape:
            raise ValueError(f"weights must have the shape of gx {gx.shape}, got {weights.shape}")
        mag = mag * weights
    phi = np.mod(np.arctan2(gy, gx).astype(np.float64), 2 * np.pi)
    t = phi * (n_bins / (2 * np.pi))
    k = np.floor(t)
    f = (t - k).ravel()
    k = k.astype(np.int64).ravel() % n_bins
    mag = mag.ravel()
    return np.bincount(k, mag * (1 - f), minlength=n_bins) + np.bincount((k + 1) % n_bins, mag * f, minlength=n_bins)


def _check_hist(hist, name: str) -> np.ndarray:
    hist = as_float_array(hist, name, ndim=1).astype(np.float64)
    if hist.size < 3:
        raise ValueError(f"{name} must have at least 3 bins, got {hist.size}")
    return hist


def _parabolic_peak(values: np.ndarray) -> float:
    """Position of the maximum of a circular sequence, refined by the parabola through it and its neighbours."""
    n = values.size
    k = int(np.argmax(values))
    left, mid, right = values[(k - 1) % n], values[k], values[(k + 1) % n]
    curvature = left - 2 * mid + right
    offset = 0.5 * (left - right) / curvature if curvature < 0 else 0.0
    return k + offset


def dominant_orientation(hist) -> float:
    """Dominant orientation (radians in ``[0, 2 pi)``) of an orientation histogram ``(n_bins,)``.

    The highest bin ``k`` (bin centres at ``k * 2 pi / n_bins``, as in
    :func:`orientation_histogram`), refined by the vertex of the parabola
    through it and its two circular neighbours (Lowe, 2004):
    ``k + (h[k-1] - h[k+1]) / (2 (h[k-1] - 2 h[k] + h[k+1]))``.
    """
    hist = _check_hist(hist, "hist")
    return float(np.mod(_parabolic_peak(hist) * 2 * np.pi / hist.size, 2 * np.pi))


def orientation_shift(hist_ref, hist) -> float:
    """The rotation (radians in ``[-pi, pi)``) that best aligns ``hist_ref`` to ``hist``.

    Maximises the circular cross-correlation
    ``c[m] = sum_k hist_ref[k] hist[(k + m) mod n]`` over shifts ``m``
    (computed by FFT), refined by a parabola through the peak and its
    neighbours; returns ``m * 2 pi / n``. If ``hist`` is ``hist_ref`` rolled by
    ``m`` bins (``np.roll(hist_ref, m)``), the result is ``2 pi m / n``.
    """
    hist_ref = _check_hist(hist_ref, "hist_ref")
    hist = _check_hist(hist, "hist")
    if hist.shape != hist_ref.shape:
        raise ValueError(f"hist_ref and hist must have the same number of bins, got {hist_ref.size} and {hist.size}")
    n = hist.size
    corr = np.fft.irfft(np.conj(np.fft.rfft(hist_ref)) * np.fft.rfft(hist), n=n)
    m = _parabolic_peak(corr)
    return float(np.mod(m * 2 * np.pi / n + np.pi, 2 * np.pi) - np.pi)
