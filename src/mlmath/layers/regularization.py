"""Dropout and weight penalties.

* Inverted dropout keeps each entry with probability ``1 - p`` and rescales
  the survivors by ``1 / (1 - p)``, so ``E[y] = x`` and nothing changes at
  test time: ``y = x * m / (1 - p)`` with ``m ~ Bernoulli(1 - p)``; the
  backward pass multiplies by the same ``m / (1 - p)``.
* L2 penalty, convention ``R(W) = (lam / 2) ||W||_F^2`` with gradient
  ``lam W``; this is the ``weight_decay = lam`` of ``torch.optim.SGD``, which
  adds ``lam W`` to the gradient. (Some texts write ``lam ||W||^2``, whose
  gradient is ``2 lam W``.)
* L1 penalty ``R(W) = lam sum |W_ij|`` with subgradient ``lam sign(W)``,
  taking ``0`` at ``W_ij = 0`` (the choice of PyTorch autograd).
* The proximal operator of ``t ||W||_1`` is soft thresholding,
  ``sign(W) max(|W| - t, 0)``: the step that sets weights exactly to zero.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, check_same_shape, check_scalar
from ._cache import DropoutCache, expect_cache

__all__ = ["dropout_forward", "dropout_backward", "l2_penalty", "l1_penalty", "l1_prox"]


def dropout_forward(x, p: float, rng):
    """Inverted dropout: ``y = x * m / (1 - p)``, ``m`` i.i.d. Bernoulli(``1 - p``) drawn from ``rng``.

    ``p`` in ``[0, 1]`` is the probability of *dropping* an entry (PyTorch's
    convention); ``p = 0`` is the identity and ``p = 1`` returns zeros.
    ``rng`` must be a ``numpy.random.Generator``. Returns ``(y, cache)``.
    """
    x = as_float_array(x, "x")
    p = check_scalar(p, "p", low=0.0, high=1.0)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}")
    keep = rng.random(x.shape) >= p  # P(keep) = 1 - p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    multiplier = keep * x.dtype.type(scale)
    return x * multiplier, DropoutCache(multiplier)


def dropout_backward(dy, cache) -> np.ndarray:
    """``dx = dy * m / (1 - p)`` with the mask ``m`` of the forward pass."""
    (multiplier,) = expect_cache(cache, DropoutCache, "dropout_forward")
    dy = as_float_array(dy, "dy")
    check_same_shape(dy, multiplier, "dy", "the forward output")
    return dy * multiplier


def l2_penalty(W, lam: float):
    """``(value, grad) = ((lam / 2) * sum W^2, lam * W)`` for ``lam >= 0``; ``grad`` is shaped like ``W``.

    The factor ``1/2`` makes the gradient ``lam W``, i.e. SGD's ``weight_decay = lam``.
    """
    W = as_float_array(W, "W")
    lam = check_scalar(lam, "lam", low=0.0)
    lam_t = W.dtype.type(lam)
    return lam_t / 2 * np.sum(W * W), lam_t * W


def l1_penalty(W, lam: float):
    """``(value, subgradient) = (lam * sum |W|, lam * sign(W))`` for ``lam >= 0``, with ``sign(0) = 0``."""
    W = as_float_array(W, "W")
    lam = check_scalar(lam, "lam", low=0.0)
    lam_t = W.dtype.type(lam)
    return lam_t * np.sum(np.abs(W)), lam_t * np.sign(W)


def l1_prox(W, t: float) -> np.ndarray:
    """Soft thresholding ``sign(W) * max(|W| - t, 0)`` for ``t >= 0``, shaped like ``W``.

    The proximal operator of ``t ||.||_1``: the unique minimiser over ``V`` of
    ``(1/2) ||V - W||_F^2 + t sum |V_ij|``. Entries with ``|W_ij| <= t`` become
    exactly 0. Equals ``torch.nn.functional.softshrink(W, t)``.
    """
    W = as_float_array(W, "W")
    t = check_scalar(t, "t", low=0.0)
    return np.sign(W) * np.maximum(np.abs(W) - W.dtype.type(t), 0)
