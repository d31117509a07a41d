"""Tests for ``mlmath.layers.linear``: the fully connected layer against ``torch.nn.functional.linear``
and torch autograd (float64), its weight gradient against central differences (``mlmath.gradcheck``),
and the ``ValueError`` contract; plus the fully connected errata of chapters/appendices/errata.md."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _layer_oracles import TIGHT, leaf, torch_grads
from conftest import GRADCHECK_TOL
from numpy.testing import assert_allclose

from mlmath.gradcheck import check_gradient
from mlmath.layers.linear import linear_backward, linear_forward


@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4), (4,)])
def test_linear_forward_and_backward_match_torch(x_shape):
    rng = np.random.default_rng(20)
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal((3, 4)), rng.standard_normal(3)
    y, cache = linear_forward(x, W, b)
    xt, Wt, bt = leaf(x), leaf(W), leaf(b)
    yt = TF.linear(xt, Wt, bt)
    assert_allclose(y, yt.detach().numpy(), **TIGHT)
    dy = rng.standard_normal(y.shape)
    for got, want in zip(linear_backward(dy, cache), torch_grads(yt, [xt, Wt, bt], dy)):
        assert got.shape == want.shape
        assert_allclose(got, want, **TIGHT)


def test_linear_backward_matches_finite_differences_in_W():
    rng = np.random.default_rng(21)
    x, W, b, r = rng.standard_normal((5, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3), rng.standard_normal((5, 3))
    err = check_gradient(
        lambda w: np.sum(linear_forward(x, w, b)[0] * r), lambda w: linear_backward(r, linear_forward(x, w, b)[1])[1], W
    )
    assert err < GRADCHECK_TOL


def test_linear_rejects_bad_shapes():
    x, W, b = np.zeros((5, 4)), np.zeros((3, 4)), np.zeros(3)
    with pytest.raises(ValueError, match="W must be 2-D"):
        linear_forward(x, np.zeros(4), b)
    with pytest.raises(ValueError, match="x must have last axis of length in"):
        linear_forward(np.zeros((5, 3)), W, b)
    with pytest.raises(ValueError, match="b must have shape"):
        linear_forward(x, W, np.zeros(4))
    with pytest.raises(ValueError, match="b must be 1-D"):
        linear_forward(x, W, np.zeros((1, 3)))
    _, cache = linear_forward(x, W, b)
    with pytest.raises(ValueError, match="dy"):
        linear_backward(np.zeros((5, 4)), cache)


# --------------------------------------------------------------------------------------
# Errata regression tests (chapters/appendices/errata.md)
# --------------------------------------------------------------------------------------
# Homework (001), section 3, and the PA5 write-up (003): the test pins the corrected statement to an
# oracle (torch autograd in float64) and shows that the source's claim, taken literally, fails on a
# small counterexample. Discussed in chapters/layers/linear.md and chapters/foundations/backprop_graphs.md.


def _torch_column_layer_grads(W, b, x, g):
    """(dL/dW, dL/db, dL/dx) for y = W x + b with upstream gradient g, by torch autograd."""
    Wt, bt, xt = (torch.tensor(a, requires_grad=True) for a in (W, b, x))
    (Wt @ xt + bt).backward(torch.tensor(g))
    return Wt.grad.numpy(), bt.grad.numpy(), xt.grad.numpy()


def test_homework_fc_weight_gradient_is_outer_product_not_dy_times_x():
    # Seed 001, section 3: "dL/dW = dL/dy . x" for y = W x + b.
    rng = np.random.default_rng(0)
    W, b, x, g = rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=4), rng.normal(size=3)
    dW, db, _ = _torch_column_layer_grads(W, b, x, g)
    np.testing.assert_allclose(dW, np.outer(g, x), rtol=1e-14)  # the correction: g x^T
    np.testing.assert_allclose(db, g, rtol=1e-14)  # dL/db = dL/dy is right
    # The claim, literally: a product of a length-3 and a length-4 vector does not exist...
    with pytest.raises(ValueError):
        np.dot(g, x)
    # ...and when the lengths agree it is a scalar (or, elementwise, a vector), never the 3 x 3 gradient.
    Wsq, xsq = rng.normal(size=(3, 3)), rng.normal(size=3)
    dWsq, _, _ = _torch_column_layer_grads(Wsq, b, xsq, g)
    assert np.ndim(np.dot(g, xsq)) == 0 and (g * xsq).shape == (3,) != dWsq.shape
    # Batch form: "dL/dY . X" as G @ X runs only when N == out, then has W's shape and wrong values.
    X = rng.normal(size=(3, 4))
    _, cache = linear_forward(X, W, b)
    G = rng.normal(size=(3, 3))
    right = linear_backward(G, cache)[1]
    Xt, Wt = torch.tensor(X), torch.tensor(W, requires_grad=True)
    TF.linear(Xt, Wt, torch.tensor(b)).backward(torch.tensor(G))
    np.testing.assert_allclose(right, Wt.grad.numpy(), rtol=1e-13)
    assert (G @ X).shape == W.shape and not np.allclose(G @ X, Wt.grad.numpy(), rtol=0.1)
