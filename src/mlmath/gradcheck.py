"""Finite-difference gradient checks.

The book's oracle for every hand-derived gradient: central differences in
float64, ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``, whose error is
``O(eps^2)`` in truncation plus ``O(macheps / eps)`` in round-off.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validate import as_float_array, check_scalar

__all__ = ["numerical_gradient", "relative_error", "check_gradient", "check_vjp"]


def numerical_gradient(f: Callable[[np.ndarray], float], x, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f`` at ``x``.

    Returns a float64 array shaped like ``x`` (denominator layout): entry
    ``i`` is ``(f(x + eps e_i) - f(x - eps e_i)) / (h_+ + h_-)``, where
    ``h_± = |(x_i ± eps) - x_i|`` are the steps float64 actually takes (``2 eps``
    unless ``x_i`` is large). A step too small to change ``x_i`` is refused with a
    ``ValueError`` instead of returning a zero derivative. ``f`` is called
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
        up, down = old + eps, old - eps
        if up == old or down == old:
            raise ValueError(
                f"eps = {eps!r} does not change x at index {i} (x = {old!r}): float64 cannot represent the step; "
                f"use eps of about 1e-6 * max(1, |x|)"
            )
        flat[i] = up
        f_plus = _scalar(f(x))
        flat[i] = down
        f_minus = _scalar(f(x))
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (up - down)
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


def check_vjp(
    forward: Callable[[np.ndarray], np.ndarray],
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x,
    dy=None,
    seed: int = 0,
    eps: float = 1e-6,
) -> float:
    """Check a backward pass along one seeded random direction, as JAX's ``check_grads`` does.

    For ``y = forward(x)`` with Jacobian ``J`` and an upstream gradient ``dy`` (random if not
    given), the backward pass ``backward(dy, x)`` should return ``J^T dy`` (shaped like ``x``).
    With a random direction ``v``, ``<dy, J v>`` (``J v`` by central differences of ``forward``
    along ``v``) must equal ``<J^T dy, v>``; returns their relative difference. Costs two calls of
    ``forward`` instead of ``2 * x.size``, so it scales to large layers.
    """
    if not callable(forward) or not callable(backward):
        raise ValueError("forward and backward must be callable")
    eps = check_scalar(eps, "eps", low=0.0, low_open=True)
    x = as_float_array(x, "x").astype(np.float64)
    rng = np.random.default_rng(seed)
    y = np.asarray(forward(x.copy()), dtype=np.float64)
    dy = rng.standard_normal(y.shape) if dy is None else as_float_array(dy, "dy").astype(np.float64)
    if dy.shape != y.shape:
        raise ValueError(f"dy must have the shape of forward(x) {y.shape}, got {dy.shape}")
    v = rng.standard_normal(x.shape)
    step = eps * max(1.0, float(np.max(np.abs(x), initial=0.0)))
    jv = (np.asarray(forward(x + step * v), dtype=np.float64) - np.asarray(forward(x - step * v), dtype=np.float64)) / (2 * step)
    vjp = np.asarray(backward(dy.copy(), x.copy()), dtype=np.float64)
    if vjp.shape != x.shape:
        raise ValueError(f"backward(dy, x) must have the shape of x {x.shape}, got {vjp.shape}")
    return relative_error(np.sum(dy * jv), np.sum(vjp * v))


def _scalar(value) -> float:
    if value is None:
        raise ValueError("f returned None; it must return a scalar (did you forget `return`?)")
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(f"f must return a scalar, got an array of shape {arr.shape}")
    return float(arr.reshape(()))
