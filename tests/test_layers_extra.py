"""Tests for the functions added to ``mlmath.layers`` after ``tests/test_layers.py``:
``softplus_forward`` / ``softplus_backward`` (activations.py) and ``l1_prox``
(regularization.py), against torch (float64) and finite differences, with
hypothesis over shapes and values and the ``ValueError`` contract."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from mlmath.gradcheck import check_gradient
from mlmath.layers.activations import sigmoid_forward, softplus_backward, softplus_forward
from mlmath.layers.regularization import l1_penalty, l1_prox

TIGHT = dict(rtol=1e-12, atol=1e-14)
from conftest import GRADCHECK_TOL  # noqa: E402

PROPERTY = settings()  # the shared profile (tests/conftest.py)
# torch switches softplus to the identity above `threshold`; at 50 the switch is
# below float64 resolution (exp(-50) ~ 2e-22), so torch is an exact oracle.
TORCH_THRESHOLD = 50.0

finite_arrays = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
    elements=st.floats(-700, 700, allow_nan=False, allow_infinity=False),
)


# ------------------------------------------------------------------------------
# softplus
# ------------------------------------------------------------------------------


@PROPERTY
@given(finite_arrays)
def test_softplus_forward_and_backward_match_torch_autograd(x):
    y, cache = softplus_forward(x)
    xt = torch.tensor(x, requires_grad=True)
    yt = TF.softplus(xt, beta=1.0, threshold=TORCH_THRESHOLD)
    assert_allclose(y, yt.detach().numpy(), **TIGHT)
    dy = np.random.default_rng(x.size).standard_normal(x.shape)
    (dx_t,) = torch.autograd.grad(yt, xt, torch.tensor(dy))
    assert_allclose(softplus_backward(dy, cache), dx_t.numpy(), **TIGHT)


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


# ------------------------------------------------------------------------------
# l1_prox
# ------------------------------------------------------------------------------


@PROPERTY
@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6), elements=st.floats(-10, 10)),
    st.floats(0, 5),
)
def test_l1_prox_equals_torch_softshrink(W, t):
    assert_allclose(l1_prox(W, t), TF.softshrink(torch.tensor(W), t).numpy(), rtol=0, atol=0)


@PROPERTY
@given(
    hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-3, 3)),
    st.floats(0.01, 2),
)
def test_l1_prox_satisfies_the_optimality_condition(w, t):
    # V minimises (1/2)||V - W||^2 + t||V||_1  iff  W - V is in t * subdifferential of ||.||_1 at V:
    # W - V = t sign(V) where V != 0, and |W - V| <= t where V == 0.
    v = l1_prox(w, t)
    resid = w - v
    nz = v != 0
    assert_allclose(resid[nz], t * np.sign(v[nz]), rtol=1e-12, atol=1e-12)
    assert np.all(np.abs(resid[~nz]) <= t + 1e-12)


def test_l1_prox_is_the_minimiser_against_random_perturbations():
    rng = np.random.default_rng(3)
    w, t = rng.standard_normal(6) * 2, 0.7
    objective = lambda v: 0.5 * np.sum((v - w) ** 2) + l1_penalty(v, t)[0]
    v = l1_prox(w, t)
    best = objective(v)
    for _ in range(200):
        assert objective(v + 0.1 * rng.standard_normal(6)) >= best


def test_l1_prox_zero_threshold_is_identity_and_keeps_float32():
    W = np.random.default_rng(4).standard_normal((3, 3)).astype(np.float32)
    out = l1_prox(W, 0.0)
    assert out.dtype == np.float32
    assert_array_equal(out, W)


def test_l1_prox_rejects_bad_inputs():
    with pytest.raises(ValueError, match="t must be >= 0"):
        l1_prox(np.ones(3), -0.1)
    with pytest.raises(ValueError, match="t must be a finite real number"):
        l1_prox(np.ones(3), np.inf)
    with pytest.raises(ValueError, match="W must be finite"):
        l1_prox(np.array([1.0, np.nan]), 0.1)
