"""Regression tests for the errata found in the sources of the matrix-calculus,
backpropagation, fully connected and activation chapters (seeds 001 section 3,
002 section 11.4, 003 part B). Each test pins the corrected statement to an
oracle (torch autograd in float64) and shows that the source's claim, taken
literally, fails on a small counterexample. The entries are written up in
notes/errata_layers1.md and discussed in chapters/layers/linear.md and
chapters/foundations/backprop_graphs.md."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from mlmath.gradcheck import numerical_gradient
from mlmath.layers import linear_backward, linear_forward, softmax


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


def test_writeup_softmax_loss_inner_exponent_is_s_j():
    # Seed 003, part B: L = -sum_i t_i S_i + sum_i t_i log(sum_j e^{S_i}) (inner exponent S_i).
    rng = np.random.default_rng(2)
    K = 5
    s = rng.normal(size=K) * 2
    t = np.eye(K)[3]

    def seed_loss(v):
        return -np.sum(t * v) + np.sum(t * np.log(np.array([np.sum(np.exp(np.full(K, v[i]))) for i in range(K)])))

    def right_loss(v):
        return -np.sum(t * v) + np.sum(t) * np.log(np.sum(np.exp(v)))

    st = torch.tensor(s, requires_grad=True)
    loss_t = TF.cross_entropy(st[None], torch.tensor([3]))
    loss_t.backward()
    np.testing.assert_allclose(right_loss(s), loss_t.item(), rtol=1e-14)
    np.testing.assert_allclose(numerical_gradient(right_loss, s), st.grad.numpy(), atol=1e-8)
    np.testing.assert_allclose(st.grad.numpy(), softmax(s) - t, atol=1e-15)
    # The seed's loss is the constant log K: its gradient vanishes.
    np.testing.assert_allclose(seed_loss(s), np.log(K), rtol=1e-14)
    np.testing.assert_allclose(numerical_gradient(seed_loss, s), 0.0, atol=1e-8)
    assert np.abs(st.grad.numpy()).max() > 0.1
