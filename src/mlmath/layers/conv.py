"""2D convolution layer (deep-learning convention: a cross-correlation).

Shapes follow PyTorch: ``x (N, C, H, W)``, ``w (F, C, KH, KW)``, ``b (F,)``,
``y (N, F, Ho, Wo)`` with ``Ho = (H + 2p - KH) // s + 1`` (same for ``Wo``),
where ``xp`` is ``x`` zero-padded by ``p`` on each side and ``s`` the stride::

    y[n, f, h, v] = b[f] + sum_{c, i, j} w[f, c, i, j] * xp[n, c, s*h + i, s*v + j]

Backward, with ``dy = dL/dy``:

* ``db[f] = sum_{n, h, v} dy[n, f, h, v]``;
* ``dw[f, c, i, j] = sum_{n, h, v} dy[n, f, h, v] * xp[n, c, s*h + i, s*v + j]``;
* ``dxp[n, c, a, e] = sum over (f, h, v, i, j) with s*h + i = a, s*v + j = e of
  dy[n, f, h, v] * w[f, c, i, j]``; ``dx`` is ``dxp`` with the padding cut off.

For ``s = 1`` the last line is a "full" convolution of ``dy`` with ``w``
(a correlation with the flipped kernel); for ``s > 1`` only the offsets with
``a - i`` divisible by ``s`` contribute (equivalently: dilate ``dy`` by ``s``).

Implementation: :func:`im2col` copies every receptive field into a column,
so the forward pass is one batched matrix product ``w_mat @ cols[n]``, and
``dw`` another. ``dx`` is computed as the last line reads: ``dy`` dilated by
the stride, padded by ``KH - 1 - p`` (``KW - 1 - p``), correlated with the
flipped kernel whose channel axes are swapped, which is again ``im2col`` and
one matrix product. :func:`col2im`, the adjoint of :func:`im2col`, gives the
same ``dx`` by scattering columns back (the conv-layers chapter shows both).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._validate import as_float_array, check_int, check_nonempty
from ._cache import Conv2dCache, ConvReluPoolCache, expect_cache
from .activations import relu_backward, relu_forward
from .pooling import maxpool2d_backward, maxpool2d_forward

__all__ = [
    "conv_output_size",
    "im2col",
    "col2im",
    "conv2d_forward",
    "conv2d_backward",
    "conv_relu_pool_forward",
    "conv_relu_pool_backward",
]


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """``(size + 2 padding - kernel) // stride + 1``: positions of a window sliding over a padded axis."""
    size = check_int(size, "size", minimum=1)
    kernel = check_int(kernel, "kernel", minimum=1)
    stride = check_int(stride, "stride", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    if kernel > size + 2 * padding:
        raise ValueError(f"kernel ({kernel}) must not exceed the padded size size + 2*padding = {size + 2 * padding}")
    return (size + 2 * padding - kernel) // stride + 1


def _check_geometry(x_shape, kh: int, kw: int, stride, padding):
    """Validate ``stride``/``padding`` and the kernel size; return ``(stride, padding, Ho, Wo)``."""
    stride = check_int(stride, "stride", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    h, w = x_shape[2], x_shape[3]
    hp, wp = h + 2 * padding, w + 2 * padding
    if kh > hp or kw > wp:
        raise ValueError(
            f"kernel size (KH, KW) = ({kh}, {kw}) must not exceed the padded input size "
            f"(H + 2*padding, W + 2*padding) = ({hp}, {wp}) of x with shape {tuple(x_shape)} and padding={padding}"
        )
    return stride, padding, (hp - kh) // stride + 1, (wp - kw) // stride + 1


def _pad(x: np.ndarray, padding: int) -> np.ndarray:
    if padding == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def im2col(x, kh: int, kw: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Receptive fields of ``x (N, C, H, W)`` as columns: an array ``(N, C*KH*KW, Ho*Wo)``.

    ``cols[n, (c*KH + i)*KW + j, h*Wo + v] = xp[n, c, s*h + i, s*v + j]``, so the
    convolution is ``y[n] = w.reshape(F, -1) @ cols[n]`` (shape ``(F, Ho*Wo)``).
    Built from :func:`numpy.lib.stride_tricks.sliding_window_view` (a view)
    followed by one copy.
    """
    x = as_float_array(x, "x", ndim=4)
    kh = check_int(kh, "kh", minimum=1)
    kw = check_int(kw, "kw", minimum=1)
    stride, padding, ho, wo = _check_geometry(x.shape, kh, kw, stride, padding)
    return _im2col(x, kh, kw, stride, padding, ho, wo)


def _im2col(x, kh, kw, stride, padding, ho, wo):
    n, c = x.shape[:2]
    windows = sliding_window_view(_pad(x, padding), (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    # (N, C, Ho, Wo, KH, KW) view -> (N, C, KH, KW, Ho, Wo) copy
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, ho * wo)


def col2im(cols, x_shape, kh: int, kw: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Adjoint of :func:`im2col`: add every column entry back to its pixel of ``x``.

    ``cols`` has shape ``(N, C*KH*KW, Ho*Wo)``; the result has shape
    ``x_shape = (N, C, H, W)``. Pixels covered by several windows receive the
    sum of their entries, so ``<im2col(x), cols> = <x, col2im(cols)>``.
    """
    if len(tuple(x_shape)) != 4:
        raise ValueError(f"x_shape must be (N, C, H, W), got {x_shape!r}")
    x_shape = tuple(check_int(d, "x_shape", minimum=1) for d in x_shape)
    kh = check_int(kh, "kh", minimum=1)
    kw = check_int(kw, "kw", minimum=1)
    stride, padding, ho, wo = _check_geometry(x_shape, kh, kw, stride, padding)
    cols = as_float_array(cols, "cols", ndim=3)
    n, c = x_shape[:2]
    expected = (n, c * kh * kw, ho * wo)
    if cols.shape != expected:
        raise ValueError(f"cols must have shape (N, C*KH*KW, Ho*Wo) = {expected} for x_shape {x_shape}, got {cols.shape}")
    return _col2im(cols, x_shape, kh, kw, stride, padding, ho, wo)


def _col2im(cols, x_shape, kh, kw, stride, padding, ho, wo):
    n, c, h, w = x_shape
    blocks = cols.reshape(n, c, kh, kw, ho, wo)
    xp = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=cols.dtype)
    for i in range(kh):  # loop over kernel offsets only; each slice hits distinct pixels
        for j in range(kw):
            xp[:, :, i : i + stride * (ho - 1) + 1 : stride, j : j + stride * (wo - 1) + 1 : stride] += blocks[:, :, i, j]
    if padding == 0:
        return xp
    return xp[:, :, padding : padding + h, padding : padding + w].copy()


def conv2d_forward(x, w, b, stride: int = 1, padding: int = 0):
    """Cross-correlation layer, equal to ``torch.nn.functional.conv2d(x, w, b, stride, padding)``.

    ``x (N, C, H, W)``, ``w (F, C, KH, KW)``, ``b (F,)``; integer ``stride >= 1``
    and zero ``padding >= 0`` on all four sides. Returns ``(y, cache)`` with
    ``y (N, F, Ho, Wo)``, ``Ho = (H + 2 padding - KH) // stride + 1``.
    """
    x = as_float_array(x, "x", ndim=4)
    w = as_float_array(w, "w", ndim=4)
    b = as_float_array(b, "b", ndim=1)
    check_nonempty(x, "x")
    check_nonempty(w, "w")
    f, c, kh, kw = w.shape
    if x.shape[1] != c:
        raise ValueError(
            f"x has C = {x.shape[1]} channels (shape {x.shape}) but w expects C = {c} "
            f"(w shape (F, C, KH, KW) = {w.shape}): the channel axes of x and w must match"
        )
    if b.shape != (f,):
        raise ValueError(f"b must have shape (F,) = ({f},) to match w {w.shape}, got {b.shape}")
    stride, padding, ho, wo = _check_geometry(x.shape, kh, kw, stride, padding)
    cols = _im2col(x, kh, kw, stride, padding, ho, wo)  # (N, C*KH*KW, Ho*Wo)
    y = (w.reshape(f, -1) @ cols).reshape(x.shape[0], f, ho, wo)
    y += b[:, None, None]
    return y, Conv2dCache(cols, w, x.shape, stride, padding)


def conv2d_backward(dy, cache):
    """Gradients ``(dx, dw, db)`` of a :func:`conv2d_forward` call.

    ``dy (N, F, Ho, Wo)``; ``db = dy.sum((0, 2, 3))``, ``dw = sum_n dy[n] cols[n]^T``
    and ``dx`` the full correlation of the dilated ``dy`` with the flipped kernel
    (equal to ``col2im(w_mat^T dy)``), each shaped like its forward argument (see
    the module docstring for the index form).
    """
    cols, w, x_shape, stride, padding = expect_cache(cache, Conv2dCache, "conv2d_forward")
    f, _c, kh, kw = w.shape
    n = x_shape[0]
    ho = (x_shape[2] + 2 * padding - kh) // stride + 1
    wo = (x_shape[3] + 2 * padding - kw) // stride + 1
    dy = as_float_array(dy, "dy")
    if dy.shape != (n, f, ho, wo):
        raise ValueError(f"dy must have the shape of the forward output (N, F, Ho, Wo) = {(n, f, ho, wo)}, got {dy.shape}")
    dy_mat = dy.reshape(n, f, ho * wo)
    db = dy.sum(axis=(0, 2, 3))
    dw = (dy_mat @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    dx = _input_gradient_by_full_convolution(dy, w, x_shape, stride, padding)
    return dx, dw, db


def _input_gradient_by_full_convolution(dy, w, x_shape, stride, padding):
    """``dx[n, c] = sum_f (D_s dy[n, f]) * w[f, c]``, the full convolution of the dilated ``dy``, cropped by ``p``.

    A full convolution is a correlation with the flipped kernel over the input padded by
    ``K - 1``; padding by ``K - 1 - p`` instead crops ``p`` from each side at once.
    """
    n, c, h, wd = x_shape
    f, _c, kh, kw = w.shape
    ho, wo = dy.shape[2:]
    if stride > 1:  # put the s - 1 zeros back between the outputs a strided window skipped
        dilated = np.zeros((n, f, stride * (ho - 1) + 1, stride * (wo - 1) + 1), dtype=dy.dtype)
        dilated[:, :, ::stride, ::stride] = dy
        dy = dilated
    # Rows of xp past the last window (when s does not divide H + 2p - KH) get no gradient: pad them too.
    extra_h = h + 2 * padding - (dy.shape[2] + kh - 1)
    extra_w = wd + 2 * padding - (dy.shape[3] + kw - 1)
    dy = _pad_or_crop(dy, kh - 1 - padding, kh - 1 - padding + extra_h, kw - 1 - padding, kw - 1 - padding + extra_w)
    w_flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C, F, KH, KW)
    cols = _im2col(dy, kh, kw, 1, 0, h, wd)  # (N, F*KH*KW, H*W)
    return (w_flipped.reshape(c, -1) @ cols).reshape(n, c, h, wd)


def _pad_or_crop(a, top, bottom, left, right):
    """Zero-pad the last two axes of ``a`` by the given amounts; a negative amount crops instead."""
    a = np.pad(a, ((0, 0), (0, 0), (max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))))
    h, w = a.shape[2:]
    return a[:, :, max(-top, 0) : h - max(-bottom, 0), max(-left, 0) : w - max(-right, 0)]


def conv_relu_pool_forward(x, w, b, stride: int = 1, padding: int = 0, pool_size: int = 2):
    """The block ``maxpool(relu(conv2d(x, w, b, stride, padding)), pool_size)`` of a small CNN.

    ``x (N, C, H, W)``, ``w (F, C, KH, KW)``, ``b (F,)``; the pooling windows are
    ``pool_size x pool_size`` with stride ``pool_size``. Returns ``(y, cache)``
    with ``y (N, F, Ho // pool_size, Wo // pool_size)``, ``Ho, Wo`` the
    convolution's output size.
    """
    pool_size = check_int(pool_size, "pool_size", minimum=1)
    z, conv_cache = conv2d_forward(x, w, b, stride=stride, padding=padding)
    if pool_size > min(z.shape[2:]):
        raise ValueError(f"pool_size ({pool_size}) must not exceed the convolution output size (Ho, Wo) = {z.shape[2:]}")
    a, relu_cache = relu_forward(z)
    y, pool_cache = maxpool2d_forward(a, pool_size)
    return y, ConvReluPoolCache(conv_cache, relu_cache, pool_cache)


def conv_relu_pool_backward(dy, cache):
    """``(dx, dw, db)`` for :func:`conv_relu_pool_forward`: the three backward passes in reverse order."""
    conv_cache, relu_cache, pool_cache = expect_cache(cache, ConvReluPoolCache, "conv_relu_pool_forward")
    da = maxpool2d_backward(dy, pool_cache)
    dz = relu_backward(da, relu_cache)
    return conv2d_backward(dz, conv_cache)
