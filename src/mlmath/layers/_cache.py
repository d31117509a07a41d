"""Typed caches: what a forward pass hands to its backward pass.

Every ``NAME_forward`` returns ``(out, cache)`` and ``NAME_backward(dout, cache)``
needs that cache back. Each layer's cache is a small named tuple of its own
type, so a backward pass can tell its cache from anything else (the input
array, another layer's cache, ``None``) and say so in words instead of
computing nonsense. Named tuples still unpack like the tuples they replace.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class ReluCache(NamedTuple):
    positive: np.ndarray  # x > 0


class SigmoidCache(NamedTuple):
    y: np.ndarray


class TanhCache(NamedTuple):
    y: np.ndarray


class GeluCache(NamedTuple):
    x: np.ndarray
    cdf: np.ndarray  # Phi(x)


class SoftplusCache(NamedTuple):
    x: np.ndarray


class LinearCache(NamedTuple):
    x: np.ndarray
    W: np.ndarray


class Conv2dCache(NamedTuple):
    cols: np.ndarray  # im2col of the padded input
    w: np.ndarray
    x_shape: tuple
    stride: int
    padding: int


class ConvReluPoolCache(NamedTuple):
    conv: Conv2dCache
    relu: ReluCache
    pool: Any  # MaxPoolCache


class MaxPoolCache(NamedTuple):
    arg: np.ndarray  # flat index of each window's maximum
    x_shape: tuple
    dtype: np.dtype
    k: int
    s: int


class AvgPoolCache(NamedTuple):
    y_shape: tuple
    x_shape: tuple
    dtype: np.dtype
    k: int
    s: int


class BatchNormCache(NamedTuple):
    xhat: np.ndarray
    inv: np.ndarray  # 1 / sqrt(var + eps)
    gamma: np.ndarray


class LayerNormCache(NamedTuple):
    xhat: np.ndarray
    inv: np.ndarray
    gamma: np.ndarray


class AttentionCache(NamedTuple):
    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    p: np.ndarray  # the attention weights
    scale: float


class DropoutCache(NamedTuple):
    multiplier: np.ndarray  # mask / (1 - p)


def expect_cache(cache, kind: type, forward: str):
    """``cache`` if it is a ``kind``; otherwise a ``ValueError`` that names what was passed instead."""
    if isinstance(cache, kind):
        return cache
    got = (
        "None"
        if cache is None
        else (f"an array of shape {cache.shape}" if isinstance(cache, np.ndarray) else type(cache).__name__)
    )
    raise ValueError(
        f"cache must be the cache returned by {forward} (a {kind.__name__}), got {got}; "
        f"pass the second value of `out, cache = {forward}(...)`"
    )
