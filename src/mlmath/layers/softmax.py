"""Softmax and the softmax cross-entropy (negative log-likelihood) loss.

Derived in the chapter *Softmax and the negative log-likelihood gradient*:
for one example with logits ``z`` and label ``y``,
``L = -z_y + logsumexp(z)`` and ``dL/dz = softmax(z) - onehot(y)``.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, check_int, check_nonempty

__all__ = ["logsumexp", "softmax", "log_softmax", "softmax_jacobian", "softmax_cross_entropy"]


def _check_axis(z: np.ndarray, axis) -> int:
    axis = check_int(axis, "axis")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError(f"axis must be in [{-z.ndim}, {z.ndim - 1}] for an array of shape {z.shape}, got {axis}")
    return axis


def logsumexp(z, axis: int = -1) -> np.ndarray:
    """``log sum_k exp(z_k)`` along ``axis``, computed as ``m + log sum exp(z - m)`` with ``m = max z``."""
    z = as_float_array(z, "z", min_ndim=1)
    check_nonempty(z, "z")
    axis = _check_axis(z, axis)
    m = np.max(z, axis=axis, keepdims=True)
    return np.squeeze(m, axis) + np.log(np.sum(np.exp(z - m), axis=axis))


def softmax(z, axis: int = -1) -> np.ndarray:
    """``exp(z_k) / sum_j exp(z_j)`` along ``axis``; shape and float dtype of ``z``.

    Subtracting ``max z`` first changes nothing mathematically and keeps every
    exponent ``<= 0``, so large logits never overflow.
    """
    z = as_float_array(z, "z", min_ndim=1)
    check_nonempty(z, "z")
    axis = _check_axis(z, axis)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis: int = -1) -> np.ndarray:
    """``z - logsumexp(z)`` along ``axis``: the log-probabilities, without ever taking ``log 0``."""
    z = as_float_array(z, "z", min_ndim=1)
    check_nonempty(z, "z")
    axis = _check_axis(z, axis)
    # Shift first: (z - m) - log sum exp(z - m) avoids cancelling two large numbers.
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax_jacobian(z) -> np.ndarray:
    """Jacobian of ``p = softmax(z)`` for one vector ``z`` of length ``K``.

    ``J[i, j] = dp_j / dz_i = p_i (delta_ij - p_j)``, i.e. ``diag(p) - p p^T``.
    The matrix is symmetric, so denominator and numerator layout agree here.
    """
    z = as_float_array(z, "z", ndim=1)
    check_nonempty(z, "z")
    p = softmax(z)
    return np.diag(p) - np.outer(p, p)


def softmax_cross_entropy(logits, labels):
    """Mean negative log-likelihood of integer ``labels`` under ``softmax(logits)``.

    ``logits`` has shape ``(N, K)``, ``labels`` shape ``(N,)`` with entries in
    ``0..K-1``. Returns ``(loss, dlogits)`` where
    ``loss = mean_n [logsumexp(z_n) - z_n[y_n]]`` (equal to
    ``torch.nn.functional.cross_entropy``) and
    ``dlogits = (softmax(logits) - onehot(labels)) / N``, shaped like ``logits``.
    """
    z = as_float_array(logits, "logits", ndim=2)
    check_nonempty(z, "logits")
    n, k = z.shape
    y = np.asarray(labels)
    if y.shape != (n,):
        raise ValueError(f"labels must have shape (N,) = ({n},) to match logits {z.shape}, got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        if not (np.issubdtype(y.dtype, np.floating) and np.all(np.isfinite(y)) and np.all(y == np.round(y))):
            raise ValueError(f"labels must be integers, got dtype {y.dtype}")
        y = y.astype(np.int64)
    if np.any(y < 0) or np.any(y >= k):
        raise ValueError(f"labels must lie in 0..{k - 1} (K = {k} classes), got values from {y.min()} to {y.max()}")
    rows = np.arange(n)
    log_p = log_softmax(z, axis=1)
    loss = -np.mean(log_p[rows, y])
    dlogits = np.exp(log_p)
    dlogits[rows, y] -= 1.0
    dlogits /= n
    return z.dtype.type(loss), dlogits
