"""Tests for ``mlmath.layers.attention``: scaled dot-product attention against
``torch.nn.functional.scaled_dot_product_attention`` (float64) and torch autograd, with and without
boolean masks, central differences (``mlmath.gradcheck``), float32 in float32 out, and the
``ValueError`` contract."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _layer_oracles import TIGHT, leaf, torch_grads
from conftest import GRADCHECK_TOL
from numpy.testing import assert_allclose, assert_array_equal

from mlmath.gradcheck import check_gradient
from mlmath.layers.attention import attention_backward, attention_forward


def _assert_attention_matches_torch(q, k, v, mask=None, seed=0):
    out, cache = attention_forward(q, k, v, mask)
    qt, kt, vt = leaf(q), leaf(k), leaf(v)
    out_t = TF.scaled_dot_product_attention(qt, kt, vt, attn_mask=None if mask is None else torch.tensor(mask))
    assert_allclose(out, out_t.detach().numpy(), **TIGHT)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    for got, want in zip(attention_backward(dout, cache), torch_grads(out_t, [qt, kt, vt], dout)):
        assert got.shape == want.shape
        assert_allclose(got, want, **TIGHT)


def test_attention_matches_torch_without_mask():
    rng = np.random.default_rng(60)
    _assert_attention_matches_torch(
        rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((2, 3, 6, 7))
    )


def test_attention_matches_torch_with_causal_mask_broadcast_over_batch():
    rng = np.random.default_rng(61)
    q, k, v = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 3))
    causal = np.tril(np.ones((5, 5), dtype=bool))
    _assert_attention_matches_torch(q, k, v, causal)


def test_attention_matches_torch_with_random_full_shape_mask():
    rng = np.random.default_rng(62)
    q, k, v = rng.standard_normal((3, 4, 2)), rng.standard_normal((3, 6, 2)), rng.standard_normal((3, 6, 5))
    mask = rng.random((3, 4, 6)) < 0.6
    mask[..., 0] = True  # every query keeps at least one key
    _assert_attention_matches_torch(q, k, v, mask)


def test_attention_gives_no_weight_and_no_gradient_to_masked_keys():
    rng = np.random.default_rng(63)
    q, k, v = rng.standard_normal((3, 2)), rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    mask = np.array([True, True, False, False])
    out, cache = attention_forward(q, k, v, mask)
    out_first_two, _ = attention_forward(q, k[:2], v[:2])
    assert_allclose(out, out_first_two, **TIGHT)
    _, dk, dv = attention_backward(np.ones_like(out), cache)
    assert_array_equal(dk[2:], 0.0)
    assert_array_equal(dv[2:], 0.0)


def test_attention_backward_matches_finite_differences():
    rng = np.random.default_rng(64)
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 2))
    mask = np.tril(np.ones((3, 5), dtype=bool), k=1)
    r = rng.standard_normal((2, 3, 2))

    def loss(q_, k_, v_):
        return np.sum(attention_forward(q_, k_, v_, mask)[0] * r)

    def grads(q_, k_, v_):
        return attention_backward(r, attention_forward(q_, k_, v_, mask)[1])

    assert check_gradient(lambda a: loss(a, k, v), lambda a: grads(a, k, v)[0], q) < GRADCHECK_TOL
    assert check_gradient(lambda a: loss(q, a, v), lambda a: grads(q, a, v)[1], k) < GRADCHECK_TOL
    assert check_gradient(lambda a: loss(q, k, a), lambda a: grads(q, k, a)[2], v) < GRADCHECK_TOL


def test_attention_keeps_float32():
    rng = np.random.default_rng(65)
    q, k, v = (rng.standard_normal((3, 4)).astype(np.float32) for _ in range(3))
    out, cache = attention_forward(q, k, v, np.tril(np.ones((3, 3), dtype=bool)))
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in attention_backward(np.ones_like(out), cache))


def test_attention_rejects_bad_inputs():
    q, k, v = np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), np.zeros((2, 5, 6))
    with pytest.raises(ValueError, match="q must have at least 2 dimensions"):
        attention_forward(np.zeros(4), k, v)
    with pytest.raises(ValueError, match="same leading axes"):
        attention_forward(q, np.zeros((3, 5, 4)), v)
    with pytest.raises(ValueError, match="k must have the feature size"):
        attention_forward(q, np.zeros((2, 5, 3)), v)
    with pytest.raises(ValueError, match="v must have as many rows"):
        attention_forward(q, k, np.zeros((2, 4, 6)))
    with pytest.raises(ValueError, match="mask must be a boolean"):
        attention_forward(q, k, v, np.ones((3, 5)))
    with pytest.raises(ValueError, match="mask must be broadcastable"):
        attention_forward(q, k, v, np.ones((3, 4), dtype=bool))
    with pytest.raises(ValueError, match="mask must be broadcastable"):
        attention_forward(q, k, v, np.ones((1, 2, 3, 5), dtype=bool))
    _, cache = attention_forward(q, k, v)
    with pytest.raises(ValueError, match="dout"):
        attention_backward(np.zeros((2, 3, 4)), cache)


def test_attention_rejects_mask_row_without_allowed_key():
    q = k = v = np.zeros((3, 2))
    mask = np.ones((3, 3), dtype=bool)
    mask[1] = False
    with pytest.raises(ValueError, match="mask leaves 1 query row"):
        attention_forward(q, k, v, mask)
