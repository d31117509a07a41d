"""Finite-difference gradient checks.

The book's oracle for every hand-derived gradient: central differences in
float64, ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``, whose error is
``O(eps^2)`` in truncation plus ``O(macheps / eps)`` in round-off.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._validate import as_float_array, check_scalar

__all__ = ["numerical_gradient", "relative_error", "check_gradient"]


def numerical_gradient(f: Callable[[np.ndarray], float], x, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f`` at ``x``.

    Returns a float64 array shaped like ``x`` (denominator layout): entry
    ``i`` is ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``. ``f`` is called
    ``2 * x.size`` times on float64 copies of ``x``.
    """
    if not callable(f):
        raise ValueError(f"f must be callable, got {type(f).__name__}")
    eps = check_scalar(eps, "eps", low=0.0, low_open=True)
    x = as_float_array(x, "x").astype(np.float64, copy=True)
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = _scalar(f(x))
        flat[i] = old - eps
        f_minus = _scalar(f(x))
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(a, b) -> float:
    """``max|a - b| / max(|a| + |b|)``, with a tiny floor so that ``0 vs 0`` is ``0``.

    ``a`` and ``b`` must have the same shape; the result is a Python float.
    """
    a = as_float_array(a, "a", finite=False).astype(np.float64)
    b = as_float_array(b, "b", finite=False).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    num = np.max(np.abs(a - b))
    den = max(np.max(np.abs(a) + np.abs(b)), np.finfo(np.float64).tiny)
    return float(num / den)


def check_gradient(f: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray], x, eps: float = 1e-6) -> float:
    """Relative error between the analytic ``grad(x)`` and ``numerical_gradient(f, x, eps)``.

    Values around ``1e-8`` or below mean the two agree to round-off in float64.
    """
    if not callable(grad):
        raise ValueError(f"grad must be callable, got {type(grad).__name__}")
    x = as_float_array(x, "x").astype(np.float64)
    analytic = np.asarray(grad(x.copy()), dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"grad(x) must have the shape of x {x.shape}, got {analytic.shape}")
    return relative_error(analytic, numerical_gradient(f, x, eps))


def _scalar(value) -> float:
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(f"f must return a scalar, got an array of shape {arr.shape}")
    return float(arr.reshape(()))
