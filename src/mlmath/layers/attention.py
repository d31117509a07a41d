"""Scaled dot-product attention and its backward pass.

For ``q (..., Lq, d)``, ``k (..., Lk, d)``, ``v (..., Lk, dv)``::

    S = q k^T / sqrt(d)                 (..., Lq, Lk)   scores
    P = softmax(S) along the last axis  (..., Lq, Lk)   attention weights
    out = P v                           (..., Lq, dv)

A boolean ``mask`` (broadcastable to ``(..., Lq, Lk)``, ``True`` = "may
attend") sets the forbidden scores to ``-inf`` before the softmax, so their
weights are exactly 0. Backward, with ``dout = dL/dout``::

    dv = P^T dout
    dP = dout v^T
    dS = P * (dP - rowsum(dP * P))      (softmax backward, row by row)
    dq = dS k / sqrt(d)        dk = dS^T q / sqrt(d)

Masked entries have ``P = 0`` and therefore ``dS = 0``: no gradient flows
through a forbidden score.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, check_nonempty
from ._cache import AttentionCache, expect_cache

__all__ = ["attention_forward", "attention_backward"]


def _check_mask(mask, scores_shape) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise ValueError(f"mask must be a boolean array (True = may attend), got dtype {mask.dtype}")
    try:
        shape = np.broadcast_shapes(mask.shape, scores_shape)
    except ValueError:
        shape = None
    if shape != tuple(scores_shape):
        raise ValueError(f"mask must be broadcastable to the score shape (..., Lq, Lk) = {tuple(scores_shape)}, got {mask.shape}")
    empty = ~np.any(np.broadcast_to(mask, scores_shape), axis=-1)
    if np.any(empty):
        first = tuple(int(i) for i in np.argwhere(empty)[0])
        raise ValueError(
            f"mask leaves {int(empty.sum())} query row(s) with no key to attend to (first at index {first} of "
            f"(..., Lq)); every row of mask needs at least one True, otherwise the softmax is 0/0"
        )
    return mask


def attention_forward(q, k, v, mask=None):
    """``softmax(q k^T / sqrt(d) [masked]) v``; returns ``(out, cache)`` with ``out (..., Lq, dv)``.

    Equals ``torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)``
    for a boolean ``mask``. ``q``, ``k`` and ``v`` must share their leading
    (batch, head) axes exactly; only ``mask`` is broadcast. A mask row with
    no ``True`` raises ``ValueError`` (PyTorch would return NaNs or zeros there).
    """
    q = as_float_array(q, "q", min_ndim=2)
    k = as_float_array(k, "k", min_ndim=2)
    v = as_float_array(v, "v", min_ndim=2)
    for arr, name in ((q, "q"), (k, "k"), (v, "v")):
        check_nonempty(arr, name)
    if k.shape[:-2] != q.shape[:-2] or v.shape[:-2] != q.shape[:-2]:
        raise ValueError(f"q, k and v must have the same leading axes (...), got q {q.shape}, k {k.shape}, v {v.shape}")
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(f"k must have the feature size d = {q.shape[-1]} of q (last axis), got k shape {k.shape}")
    if v.shape[-2] != k.shape[-2]:
        raise ValueError(f"v must have as many rows Lk = {k.shape[-2]} as k, got v shape {v.shape}")
    scale = np.result_type(q, k, v).type(1 / np.sqrt(q.shape[-1]))
    scores = (q @ np.swapaxes(k, -1, -2)) * scale
    if mask is not None:
        mask = _check_mask(mask, scores.shape)
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))  # exp(-inf) = 0 for masked entries
    p = e / e.sum(axis=-1, keepdims=True)
    out = p @ v
    return out, AttentionCache(q, k, v, p, scale)


def attention_backward(dout, cache):
    """``(dq, dk, dv)`` for :func:`attention_forward`, each shaped like its input."""
    q, k, v, p, scale = expect_cache(cache, AttentionCache, "attention_forward")
    expected = p.shape[:-1] + (v.shape[-1],)
    dout = as_float_array(dout, "dout")
    if dout.shape != expected:
        raise ValueError(f"dout must have the shape of the forward output {expected}, got {dout.shape}")
    dv = np.swapaxes(p, -1, -2) @ dout
    dp = dout @ np.swapaxes(v, -1, -2)
    ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))
    dq = (ds @ k) * scale
    dk = (np.swapaxes(ds, -1, -2) @ q) * scale
    return dq, dk, dv
