"""Fully connected (affine) layer ``y = x W^T + b``, PyTorch layout.

Shapes: ``x (..., in)`` (usually ``(N, in)``), ``W (out, in)``, ``b (out,)``,
``y (..., out)``. For one example ``y_j = sum_i W[j, i] x_i + b_j``, so

* ``dL/dx_i = sum_j dL/dy_j W[j, i]``, i.e. ``dx = dy W``         (shape of ``x``);
* ``dL/dW[j, i] = sum_n dy[n, j] x[n, i]``, i.e. ``dW = dy^T x``  (shape of ``W``);
* ``dL/db_j = sum_n dy[n, j]``                                    (shape of ``b``).

Sums run over every leading (batch) axis. In denominator layout
``dy/dx = W^T`` (an ``in x out`` matrix), and ``dx = (dy/dx) dy = W^T dy``
for one column vector; the row-per-example code above is its transpose.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, check_nonempty
from ._cache import LinearCache, expect_cache

__all__ = ["linear_forward", "linear_backward"]


def linear_forward(x, W, b):
    """``y = x @ W.T + b`` for ``x (..., in)``, ``W (out, in)``, ``b (out,)``; returns ``(y, cache)``.

    Equals ``torch.nn.functional.linear(x, W, b)``.
    """
    x = as_float_array(x, "x", min_ndim=1)
    W = as_float_array(W, "W", ndim=2)
    b = as_float_array(b, "b", ndim=1)
    check_nonempty(W, "W")
    n_out, n_in = W.shape
    if x.shape[-1] != n_in:
        raise ValueError(
            f"x must have last axis of length in = W.shape[1] = {n_in} (W has shape (out, in) = {W.shape}), got x shape {x.shape}"
        )
    if b.shape != (n_out,):
        raise ValueError(f"b must have shape (out,) = ({n_out},) to match W {W.shape}, got {b.shape}")
    y = x @ W.T + b
    return y, LinearCache(x, W)


def linear_backward(dy, cache):
    """Gradients ``(dx, dW, db) = (dy @ W, dy^T x, sum dy)`` summed over the batch axes.

    ``dy`` has the shape of the forward output ``(..., out)``; each gradient has
    the shape of the forward argument it belongs to.
    """
    x, W = expect_cache(cache, LinearCache, "linear_forward")
    expected = x.shape[:-1] + (W.shape[0],)
    dy = as_float_array(dy, "dy")
    if dy.shape != expected:
        raise ValueError(f"dy must have the shape of the forward output {expected}, got {dy.shape}")
    batch_axes = tuple(range(x.ndim - 1))
    dx = dy @ W
    dW = np.tensordot(dy, x, axes=(batch_axes, batch_axes))
    db = dy.sum(axis=batch_axes)
    return dx, dW, db
