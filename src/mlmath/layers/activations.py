"""Elementwise activation functions and their backward passes.

Every activation acts entry by entry, so its Jacobian is diagonal and the
backward pass is a product: ``dx = dy * f'(x)``, shaped like ``x``.

=========  ==============================  ====================================
name       ``y = f(x)``                    ``f'(x)``
=========  ==============================  ====================================
ReLU       ``max(x, 0)``                   ``1`` if ``x > 0`` else ``0`` (also at 0)
sigmoid    ``1 / (1 + exp(-x))``           ``y (1 - y)``
tanh       ``tanh x``                      ``1 - y^2``
GELU       ``x Phi(x)``                    ``Phi(x) + x phi(x)``
softplus   ``log(1 + exp(x))``             ``sigmoid(x)``
=========  ==============================  ====================================

``Phi(x) = (1 + erf(x / sqrt 2)) / 2`` and ``phi(x) = exp(-x^2/2) / sqrt(2 pi)``
are the standard normal CDF and density (the exact GELU, not the tanh
approximation).
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from .._validate import as_float_array, check_same_shape
from ._cache import GeluCache, ReluCache, SigmoidCache, SoftplusCache, TanhCache, expect_cache

__all__ = [
    "relu_forward",
    "relu_backward",
    "sigmoid_forward",
    "sigmoid_backward",
    "tanh_forward",
    "tanh_backward",
    "gelu_forward",
    "gelu_backward",
    "softplus_forward",
    "softplus_backward",
]

_SQRT2 = np.sqrt(2.0)
_SQRT2PI = np.sqrt(2.0 * np.pi)


def _dy(dy, like: np.ndarray) -> np.ndarray:
    dy = as_float_array(dy, "dy")
    check_same_shape(dy, like, "dy", "the forward output")
    return dy


def relu_forward(x):
    """``y = max(x, 0)`` elementwise; returns ``(y, cache)`` with ``y`` shaped like ``x``."""
    x = as_float_array(x, "x")
    y = np.maximum(x, 0)
    return y, ReluCache(x > 0)


def relu_backward(dy, cache) -> np.ndarray:
    """``dx = dy * [x > 0]``: the subgradient at ``x = 0`` is taken to be 0, as in PyTorch."""
    (positive,) = expect_cache(cache, ReluCache, "relu_forward")
    dy = _dy(dy, positive)
    return dy * positive


def sigmoid_forward(x):
    """``y = 1 / (1 + exp(-x))`` elementwise, evaluated without overflow.

    With ``z = exp(-|x|) <= 1``: ``y = 1 / (1 + z)`` for ``x >= 0`` and
    ``y = z / (1 + z)`` for ``x < 0``.
    """
    x = as_float_array(x, "x")
    z = np.exp(-np.abs(x))
    y = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    return y, SigmoidCache(y)


def sigmoid_backward(dy, cache) -> np.ndarray:
    """``dx = dy * y (1 - y)`` with ``y = sigmoid(x)`` from the forward pass."""
    (y,) = expect_cache(cache, SigmoidCache, "sigmoid_forward")
    dy = _dy(dy, y)
    return dy * y * (1 - y)


def tanh_forward(x):
    """``y = tanh(x)`` elementwise; returns ``(y, cache)``."""
    x = as_float_array(x, "x")
    y = np.tanh(x)
    return y, TanhCache(y)


def tanh_backward(dy, cache) -> np.ndarray:
    """``dx = dy * (1 - y^2)`` with ``y = tanh(x)`` from the forward pass."""
    (y,) = expect_cache(cache, TanhCache, "tanh_forward")
    dy = _dy(dy, y)
    return dy * (1 - y * y)


def gelu_forward(x):
    """Exact GELU ``y = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2`` (PyTorch's ``approximate='none'``)."""
    x = as_float_array(x, "x")
    cdf = 0.5 * (1 + erf(x / x.dtype.type(_SQRT2)))
    return x * cdf, GeluCache(x, cdf)


def gelu_backward(dy, cache) -> np.ndarray:
    """``dx = dy * (Phi(x) + x phi(x))`` with ``phi(x) = exp(-x^2 / 2) / sqrt(2 pi)``."""
    x, cdf = expect_cache(cache, GeluCache, "gelu_forward")
    dy = _dy(dy, x)
    pdf = np.exp(-0.5 * x * x) / x.dtype.type(_SQRT2PI)
    return dy * (cdf + x * pdf)


def softplus_forward(x):
    """Softplus ``y = log(1 + exp(x))`` elementwise, a smooth ReLU; returns ``(y, cache)``.

    Evaluated as ``max(x, 0) + log1p(exp(-|x|))``, which never overflows and
    keeps full relative accuracy for large negative ``x`` (where ``y ~ exp(x)``).
    Equals ``torch.nn.functional.softplus(x)`` (``beta = 1``) up to torch's
    ``threshold`` switch, above which torch returns ``x`` itself (an error
    below ``exp(-threshold)``, i.e. ``2e-9`` for the default ``threshold = 20``).
    """
    x = as_float_array(x, "x")
    y = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
    return y, SoftplusCache(x)


def softplus_backward(dy, cache) -> np.ndarray:
    """``dx = dy * sigmoid(x)``: the derivative of softplus is the logistic sigmoid."""
    (x,) = expect_cache(cache, SoftplusCache, "softplus_forward")
    dy = _dy(dy, x)
    s, _ = sigmoid_forward(x)
    return dy * s
