"""Batch normalization (training mode) and layer normalization.

Both standardise along one axis and then scale and shift per feature:
``xhat = (x - mu) / sqrt(var + eps)``, ``y = gamma * xhat + beta``, with the
*biased* variance ``var = mean((x - mu)^2)``. Batch norm takes the statistics
over the batch (axis 0 of ``x (N, D)``), layer norm over the features (the
last axis of ``x (..., D)``).

Backward along the normalised axis of length ``m``, with ``g = dy * gamma``
and ``inv = 1 / sqrt(var + eps)``::

    dbeta  = sum dy               dgamma = sum dy * xhat     (over the other axes)
    dx     = inv * (g - mean(g) - xhat * mean(g * xhat))

The last line is ``inv`` times the projection of ``g`` onto the vectors
orthogonal to both ``1`` and ``xhat``: moving ``x`` along ``1`` (a shift) or
along ``xhat`` (a rescaling) leaves ``xhat`` unchanged (up to ``eps``).
"""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, check_nonempty, check_scalar
from ._cache import BatchNormCache, LayerNormCache, expect_cache

__all__ = ["batchnorm_forward", "batchnorm_backward", "layernorm_forward", "layernorm_backward"]


def _affine_params(gamma, beta, d: int):
    gamma = as_float_array(gamma, "gamma", ndim=1)
    beta = as_float_array(beta, "beta", ndim=1)
    if gamma.shape != (d,):
        raise ValueError(f"gamma must have shape (D,) = ({d},) to match the last axis of x, got {gamma.shape}")
    if beta.shape != (d,):
        raise ValueError(f"beta must have shape (D,) = ({d},) to match the last axis of x, got {beta.shape}")
    return gamma, beta


def _normalize(x, gamma, beta, eps, axis, kind):
    """Standardise along ``axis``. The statistics are computed on ``x / 2^k`` (``2^k`` the power of
    two at the size of the largest entry), an exact rescaling, so that the variance of entries near
    1e160 does not overflow; ``xhat`` and ``inv`` are what they would be in exact arithmetic."""
    peak = np.max(np.abs(x), axis=axis, keepdims=True)
    scale = np.exp2(np.floor(np.log2(np.where(peak > 0, peak, 1.0)))).astype(x.dtype)
    xs = x / scale
    xc = xs - xs.mean(axis=axis, keepdims=True)
    var = np.mean(xc * xc, axis=axis, keepdims=True)
    root = np.sqrt(var + x.dtype.type(eps) / scale / scale)
    xhat = xc / root
    inv = 1 / (root * scale)  # 1 / sqrt(var(x) + eps)
    return gamma * xhat + beta, kind(xhat, inv, gamma)


def _backward(dy, cache, axis):
    xhat, inv, gamma = cache  # checked by the caller
    dy = as_float_array(dy, "dy")
    if dy.shape != xhat.shape:
        raise ValueError(f"dy must have the shape of the forward output {xhat.shape}, got {dy.shape}")
    other = tuple(range(xhat.ndim - 1))  # every axis but the feature axis
    dbeta = dy.sum(axis=other)
    dgamma = (dy * xhat).sum(axis=other)
    g = dy * gamma
    dx = inv * (g - g.mean(axis=axis, keepdims=True) - xhat * (g * xhat).mean(axis=axis, keepdims=True))
    return dx, dgamma, dbeta


def batchnorm_forward(x, gamma, beta, eps: float = 1e-5):
    """Training-mode batch norm of ``x (N, D)`` over the batch axis, ``gamma, beta (D,)``.

    ``y = gamma * (x - mean_0 x) / sqrt(var_0 x + eps) + beta`` with the biased
    variance; equals ``torch.nn.functional.batch_norm(x, None, None, gamma,
    beta, training=True, eps=eps)``. ``N >= 2`` is required (with one example
    every output would be ``beta``; PyTorch refuses it too).
    """
    x = as_float_array(x, "x", ndim=2)
    check_nonempty(x, "x")
    if x.shape[0] < 2:
        raise ValueError(f"x must hold at least 2 examples (N >= 2) for batch statistics, got shape {x.shape}")
    gamma, beta = _affine_params(gamma, beta, x.shape[1])
    eps = check_scalar(eps, "eps", low=0.0, low_open=True)
    return _normalize(x, gamma, beta, eps, axis=0, kind=BatchNormCache)


def batchnorm_backward(dy, cache):
    """``(dx, dgamma, dbeta)`` for :func:`batchnorm_forward`; see the module docstring for the formula."""
    return _backward(dy, expect_cache(cache, BatchNormCache, "batchnorm_forward"), axis=0)


def layernorm_forward(x, gamma, beta, eps: float = 1e-5):
    """Layer norm of ``x (..., D)`` over its last axis, ``gamma, beta (D,)``.

    Equals ``torch.nn.functional.layer_norm(x, (D,), gamma, beta, eps)``.
    """
    x = as_float_array(x, "x", min_ndim=1)
    check_nonempty(x, "x")
    gamma, beta = _affine_params(gamma, beta, x.shape[-1])
    eps = check_scalar(eps, "eps", low=0.0, low_open=True)
    return _normalize(x, gamma, beta, eps, axis=-1, kind=LayerNormCache)


def layernorm_backward(dy, cache):
    """``(dx, dgamma, dbeta)`` for :func:`layernorm_forward`; ``dgamma, dbeta`` sum over the leading axes."""
    return _backward(dy, expect_cache(cache, LayerNormCache, "layernorm_forward"), axis=-1)
