"""Tests for ``mlmath.layers.normalization``: batch and layer normalization against
``torch.nn.functional`` (float64) and torch autograd, central differences (``mlmath.gradcheck``),
the invariances of the batchnorm input gradient, huge entries, and the ``ValueError`` contract."""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn.functional as TF
from _layer_oracles import TIGHT, leaf, torch_grads
from conftest import GRADCHECK_TOL
from numpy.testing import assert_allclose

from mlmath.gradcheck import check_gradient
from mlmath.layers.normalization import batchnorm_backward, batchnorm_forward, layernorm_backward, layernorm_forward


def _norm_case(rng, shape):
    d = shape[-1]
    return rng.standard_normal(shape) * 2 + 1, rng.standard_normal(d), rng.standard_normal(d)


def test_batchnorm_forward_and_backward_match_torch():
    rng = np.random.default_rng(50)
    x, gamma, beta = _norm_case(rng, (8, 5))
    y, cache = batchnorm_forward(x, gamma, beta, eps=1e-3)
    xt, gt, bt = leaf(x), leaf(gamma), leaf(beta)
    yt = TF.batch_norm(xt, None, None, gt, bt, training=True, eps=1e-3)
    assert_allclose(y, yt.detach().numpy(), **TIGHT)
    dy = rng.standard_normal(y.shape)
    for got, want in zip(batchnorm_backward(dy, cache), torch_grads(yt, [xt, gt, bt], dy)):
        assert_allclose(got, want, **TIGHT)


@pytest.mark.parametrize("shape", [(6,), (4, 6), (2, 3, 6)])
def test_layernorm_forward_and_backward_match_torch(shape):
    rng = np.random.default_rng(51)
    x, gamma, beta = _norm_case(rng, shape)
    y, cache = layernorm_forward(x, gamma, beta)
    xt, gt, bt = leaf(x), leaf(gamma), leaf(beta)
    yt = TF.layer_norm(xt, (shape[-1],), gt, bt, eps=1e-5)
    assert_allclose(y, yt.detach().numpy(), **TIGHT)
    dy = rng.standard_normal(y.shape)
    for got, want in zip(layernorm_backward(dy, cache), torch_grads(yt, [xt, gt, bt], dy)):
        assert got.shape == want.shape
        assert_allclose(got, want, **TIGHT)


NORMS = {
    "batchnorm": (batchnorm_forward, batchnorm_backward, (6, 4)),
    "layernorm": (layernorm_forward, layernorm_backward, (2, 3, 4)),
}


@pytest.mark.parametrize("name", sorted(NORMS))
def test_normalization_backward_matches_finite_differences(name):
    forward, backward, shape = NORMS[name]
    rng = np.random.default_rng(52)
    x, gamma, beta = _norm_case(rng, shape)
    r = rng.standard_normal(shape)

    def loss(x_, g_, b_):
        return np.sum(forward(x_, g_, b_)[0] * r)

    def grads(x_, g_, b_):
        return backward(r, forward(x_, g_, b_)[1])

    assert check_gradient(lambda a: loss(a, gamma, beta), lambda a: grads(a, gamma, beta)[0], x) < GRADCHECK_TOL
    assert check_gradient(lambda a: loss(x, a, beta), lambda a: grads(x, a, beta)[1], gamma) < GRADCHECK_TOL
    assert check_gradient(lambda a: loss(x, gamma, a), lambda a: grads(x, gamma, a)[2], beta) < GRADCHECK_TOL


def test_batchnorm_dx_is_orthogonal_to_shifts_and_rescalings():
    rng = np.random.default_rng(53)
    x, gamma, beta = _norm_case(rng, (10, 3))
    y, cache = batchnorm_forward(x, gamma, beta, eps=1e-12)
    dx, _, _ = batchnorm_backward(rng.standard_normal(y.shape), cache)
    xhat = (x - x.mean(0)) / x.std(0)
    assert_allclose(dx.sum(axis=0), 0.0, atol=1e-12)
    assert_allclose((dx * xhat).sum(axis=0), 0.0, atol=1e-10)


def test_batchnorm_rejects_bad_inputs():
    x, g, b = np.zeros((4, 3)), np.ones(3), np.zeros(3)
    with pytest.raises(ValueError, match="x must be 2-D"):
        batchnorm_forward(np.zeros((4, 3, 2)), g, b)
    with pytest.raises(ValueError, match="at least 2 examples"):
        batchnorm_forward(np.zeros((1, 3)), g, b)
    with pytest.raises(ValueError, match="gamma must have shape"):
        batchnorm_forward(x, np.ones(4), b)
    with pytest.raises(ValueError, match="beta must have shape"):
        batchnorm_forward(x, g, np.zeros(2))
    with pytest.raises(ValueError, match="eps must be > 0"):
        batchnorm_forward(x, g, b, eps=0.0)
    _, cache = batchnorm_forward(x, g, b)
    with pytest.raises(ValueError, match="dy"):
        batchnorm_backward(np.zeros((3, 4)), cache)


def test_layernorm_rejects_bad_inputs():
    x, g, b = np.zeros((4, 3)), np.ones(3), np.zeros(3)
    with pytest.raises(ValueError, match="x must have at least 1 dimensions"):
        layernorm_forward(1.0, g, b)
    with pytest.raises(ValueError, match="gamma must have shape"):
        layernorm_forward(x, np.ones(4), b)
    with pytest.raises(ValueError, match="beta must be 1-D"):
        layernorm_forward(x, g, np.zeros((1, 3)))
    with pytest.raises(ValueError, match="eps must be > 0"):
        layernorm_forward(x, g, b, eps=-1e-5)
    _, cache = layernorm_forward(x, g, b)
    with pytest.raises(ValueError, match="dy"):
        layernorm_backward(np.zeros(3), cache)


def test_layernorm_of_huge_entries_standardises_instead_of_returning_zeros():
    y, _ = layernorm_forward(np.array([[1e160, -1e160, 0.0]]), np.ones(3), np.zeros(3))
    np.testing.assert_allclose(y, [[np.sqrt(1.5), -np.sqrt(1.5), 0.0]], rtol=1e-12)
