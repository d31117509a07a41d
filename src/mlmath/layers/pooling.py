"""2D max and average pooling (no padding), PyTorch layout ``(N, C, H, W)``.

With window ``k``, stride ``s`` (default ``k``) and ``Ho = (H - k) // s + 1``::

    max: y[n, c, h, v] = max_{0 <= i, j < k} x[n, c, s*h + i, s*v + j]
    avg: y[n, c, h, v] = (1 / k^2) sum_{0 <= i, j < k} x[n, c, s*h + i, s*v + j]

Backward: max pooling sends ``dy[n, c, h, v]`` to the arg-max of its window
(on ties, to the first maximum in row-major window order, as PyTorch does);
average pooling spreads ``dy / k^2`` evenly over the window. When windows
overlap (``s < k``) a pixel collects the sum of the contributions of every
window it belongs to. Rows/columns that no window reaches get gradient 0.

Implementation: for a fixed window offset ``(i, j)`` the pixels
``x[:, :, s*h + i, s*v + j]`` of all windows form one strided slice of ``x``,
so every pass is a loop over the ``k*k`` offsets of whole-array operations
(no Python loop over pixels, and no copy of the ``k*k``-times larger array of
windows).
"""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, check_int, check_nonempty
from ._cache import AvgPoolCache, MaxPoolCache, expect_cache

__all__ = ["maxpool2d_forward", "maxpool2d_backward", "avgpool2d_forward", "avgpool2d_backward"]


def _setup(x, kernel_size, stride):
    x = as_float_array(x, "x", ndim=4)
    check_nonempty(x, "x")
    k = check_int(kernel_size, "kernel_size", minimum=1)
    s = k if stride is None else check_int(stride, "stride", minimum=1)
    h, w = x.shape[2:]
    if k > h or k > w:
        raise ValueError(f"kernel_size ({k}) must not exceed the input height and width (H, W) = ({h}, {w}) of x")
    return x, k, s, (h - k) // s + 1, (w - k) // s + 1


def _check_dy(dy, shape):
    dy = as_float_array(dy, "dy")
    if dy.shape != shape:
        raise ValueError(f"dy must have the shape of the forward output {shape}, got {dy.shape}")
    return dy


def _offset_slice(i: int, j: int, s: int, ho: int, wo: int):
    """Pixels ``(s*h + i, s*v + j)`` for all outputs ``(h, v)``: a strided slice of ``x``."""
    return np.s_[:, :, i : i + s * (ho - 1) + 1 : s, j : j + s * (wo - 1) + 1 : s]


def maxpool2d_forward(x, kernel_size: int, stride: int | None = None):
    """Max over ``kernel_size x kernel_size`` windows; equals ``torch.nn.functional.max_pool2d``.

    ``x (N, C, H, W)``; ``stride`` defaults to ``kernel_size``. Returns
    ``(y, cache)`` with ``y (N, C, Ho, Wo)``, ``Ho = (H - kernel_size) // stride + 1``.
    The cache stores, per output, the row-major index ``i*k + j`` of the
    (first) maximum in its window.
    """
    x, k, s, ho, wo = _setup(x, kernel_size, stride)
    code = np.int8 if k * k <= 127 else np.int32
    y = x[_offset_slice(0, 0, s, ho, wo)].copy()
    arg = np.zeros(y.shape, dtype=code)
    for idx in range(1, k * k):  # offsets in row-major order; strict '>' keeps the first maximum
        i, j = divmod(idx, k)
        candidate = x[_offset_slice(i, j, s, ho, wo)]
        better = candidate > y
        np.maximum(y, candidate, out=y)
        arg *= ~better  # arg = idx where better, unchanged elsewhere (branch-free)
        arg += better * code(idx)
    return y, MaxPoolCache(arg, x.shape, x.dtype, k, s)


def maxpool2d_backward(dy, cache) -> np.ndarray:
    """``dx``: each ``dy[n, c, h, v]`` added at the arg-max of window ``(h, v)``; shape of ``x``."""
    arg, x_shape, dtype, k, s = expect_cache(cache, MaxPoolCache, "maxpool2d_forward")
    dy = _check_dy(dy, arg.shape)
    ho, wo = arg.shape[2:]
    dx = np.zeros(x_shape, dtype=np.result_type(dtype, dy.dtype))
    for idx in range(k * k):  # loop over window offsets only
        i, j = divmod(idx, k)
        target = dx[_offset_slice(i, j, s, ho, wo)]
        if s >= k:  # windows are disjoint: each pixel is written by at most one offset
            np.multiply(dy, arg == idx, out=target)
        else:  # overlapping windows: a pixel collects the gradient of every window it wins
            target += dy * (arg == idx)
    return dx


def avgpool2d_forward(x, kernel_size: int, stride: int | None = None):
    """Mean over ``kernel_size x kernel_size`` windows; equals ``torch.nn.functional.avg_pool2d``.

    ``x (N, C, H, W)``; ``stride`` defaults to ``kernel_size``; no padding.
    Returns ``(y, cache)`` with ``y (N, C, Ho, Wo)``.
    """
    x, k, s, ho, wo = _setup(x, kernel_size, stride)
    y = x[_offset_slice(0, 0, s, ho, wo)].copy()
    for idx in range(1, k * k):
        i, j = divmod(idx, k)
        y += x[_offset_slice(i, j, s, ho, wo)]
    y /= k * k
    return y, AvgPoolCache(y.shape, x.shape, x.dtype, k, s)


def avgpool2d_backward(dy, cache) -> np.ndarray:
    """``dx``: every pixel of window ``(h, v)`` receives ``dy[n, c, h, v] / k^2``; shape of ``x``."""
    y_shape, x_shape, dtype, k, s = expect_cache(cache, AvgPoolCache, "avgpool2d_forward")
    dy = _check_dy(dy, y_shape)
    ho, wo = y_shape[2:]
    share = dy / (k * k)
    dx = np.zeros(x_shape, dtype=np.result_type(dtype, dy.dtype))
    for i in range(k):
        for j in range(k):
            dx[_offset_slice(i, j, s, ho, wo)] += share
    return dx
