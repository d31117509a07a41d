"""Tests for ``mlmath.layers.activations``: ReLU, sigmoid, tanh, GELU and softplus, forward against
torch (float64), backward against torch autograd and central differences (``mlmath.gradcheck``),
stability at the extremes, float32 in float32 out, and the ``ValueError`` contract."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _layer_oracles import TIGHT, leaf, torch_grads
from conftest import GRADCHECK_TOL
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from mlmath.gradcheck import check_gradient
from mlmath.layers.activations import (
    gelu_backward,
    gelu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softplus_backward,
    softplus_forward,
    tanh_backward,
    tanh_forward,
)

ACTIVATIONS = {
    "relu": (relu_forward, relu_backward, torch.relu),
    "sigmoid": (sigmoid_forward, sigmoid_backward, torch.sigmoid),
    "tanh": (tanh_forward, tanh_backward, torch.tanh),
    "gelu": (gelu_forward, gelu_backward, lambda t: TF.gelu(t, approximate="none")),
}


def _activation_input():
    x = np.random.default_rng(10).standard_normal((4, 7)) * 3
    x[0, :3] = 0.0  # the kink of ReLU
    x[1, :2] = [40.0, -40.0]  # saturation
    return x


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_forward_matches_torch(name):
    forward, _, torch_fn = ACTIVATIONS[name]
    x = _activation_input()
    y, _ = forward(x)
    assert_allclose(y, torch_fn(torch.tensor(x)).numpy(), **TIGHT)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_backward_matches_torch_autograd(name):
    forward, backward, torch_fn = ACTIVATIONS[name]
    x = _activation_input()
    dy = np.random.default_rng(11).standard_normal(x.shape)
    _, cache = forward(x)
    xt = leaf(x)
    (dx_t,) = torch_grads(torch_fn(xt), [xt], dy)
    assert_allclose(backward(dy, cache), dx_t, **TIGHT)


def test_relu_subgradient_at_zero_is_zero():
    _, cache = relu_forward(np.array([-1.0, 0.0, 2.0]))
    assert_array_equal(relu_backward(np.ones(3), cache), [0.0, 0.0, 1.0])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu"])
def test_smooth_activation_backward_matches_finite_differences(name):
    forward, backward, _ = ACTIVATIONS[name]
    x = np.random.default_rng(12).standard_normal((3, 4))
    r = np.random.default_rng(13).standard_normal((3, 4))
    err = check_gradient(lambda a: np.sum(forward(a)[0] * r), lambda a: backward(r, forward(a)[1]), x)
    assert err < GRADCHECK_TOL


def test_sigmoid_does_not_overflow_for_large_inputs():
    x = np.array([-800.0, -40.0, 0.0, 40.0, 800.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y, _ = sigmoid_forward(x)
    assert_allclose(y, torch.sigmoid(torch.tensor(x)).numpy(), **TIGHT)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_keeps_float32(name):
    forward, backward, _ = ACTIVATIONS[name]
    x = np.linspace(-3, 3, 12, dtype=np.float32)
    y, cache = forward(x)
    assert y.dtype == np.float32
    assert backward(np.ones_like(x), cache).dtype == np.float32


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_rejects_nonfinite_x_and_wrong_dy_shape(name):
    forward, backward, _ = ACTIVATIONS[name]
    with pytest.raises(ValueError, match="x must be finite"):
        forward(np.array([1.0, np.nan]))
    _, cache = forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="dy"):
        backward(np.zeros((3, 2)), cache)


# --------------------------------------------------------------------------------------
# softplus
# --------------------------------------------------------------------------------------

# torch switches softplus to the identity above `threshold`; at 50 the switch is
# below float64 resolution (exp(-50) ~ 2e-22), so torch is an exact oracle.
TORCH_THRESHOLD = 50.0


finite_arrays = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
    elements=st.floats(-700, 700, allow_nan=False, allow_infinity=False),
)


@given(finite_arrays)
def test_softplus_forward_and_backward_match_torch_autograd(x):
    y, cache = softplus_forward(x)
    xt = torch.tensor(x, requires_grad=True)
    yt = TF.softplus(xt, beta=1.0, threshold=TORCH_THRESHOLD)
    # stricter than TIGHT (the float64 entry of tests/conftest.py), and softplus meets it
    assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    dy = np.random.default_rng(x.size).standard_normal(x.shape)
    (dx_t,) = torch.autograd.grad(yt, xt, torch.tensor(dy))
    assert_allclose(softplus_backward(dy, cache), dx_t.numpy(), rtol=1e-12, atol=1e-14)


def test_softplus_backward_matches_finite_differences():
    x = np.random.default_rng(1).standard_normal((3, 4)) * 3
    r = np.random.default_rng(2).standard_normal((3, 4))
    err = check_gradient(lambda a: np.sum(softplus_forward(a)[0] * r), lambda a: softplus_backward(r, softplus_forward(a)[1]), x)
    assert err < GRADCHECK_TOL


def test_softplus_derivative_is_sigmoid_and_softplus_bounds_relu():
    x = np.linspace(-30, 30, 121)
    y, cache = softplus_forward(x)
    assert_array_equal(softplus_backward(np.ones_like(x), cache), sigmoid_forward(x)[0])
    # max(x, 0) < softplus(x) <= max(x, 0) + log 2, equality at x = 0
    assert np.all(y > np.maximum(x, 0)) and np.all(y <= np.maximum(x, 0) + np.log(2) + 1e-15)
    assert_allclose(softplus_forward(0.0)[0], np.log(2), rtol=1e-15)
    # softplus(x) - softplus(-x) = x
    assert_allclose(y - softplus_forward(-x)[0], x, rtol=0, atol=1e-13)


def test_softplus_is_stable_and_accurate_at_the_extremes():
    x = np.array([-800.0, -40.0, 40.0, 800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            y, cache = softplus_forward(x)
            dx = softplus_backward(np.ones(4), cache)
    # For x -> -inf, softplus(x) = exp(x) (1 - exp(x)/2 + ...): relative accuracy, no log(1 + tiny) = 0.
    assert_allclose(y[1], np.exp(-40.0), rtol=1e-15)
    assert y[0] == 0.0 and y[3] == 800.0 and y[2] == 40.0
    assert_allclose(dx, [0.0, np.exp(-40.0) / (1 + np.exp(-40.0)), 1.0, 1.0], rtol=1e-15, atol=0)


def test_softplus_keeps_float32():
    x = np.linspace(-5, 5, 11, dtype=np.float32)
    y, cache = softplus_forward(x)
    assert y.dtype == np.float32
    assert softplus_backward(np.ones_like(x), cache).dtype == np.float32


def test_softplus_rejects_nonfinite_x_and_wrong_dy_shape():
    with pytest.raises(ValueError, match="x must be finite"):
        softplus_forward(np.array([0.0, np.inf]))
    with pytest.raises(ValueError, match="x must hold numbers"):
        softplus_forward(np.array(["a"]))
    _, cache = softplus_forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="dy"):
        softplus_backward(np.zeros((3, 2)), cache)
