"""Tests for ``mlmath.layers.regularization``: inverted dropout, the L2 and L1 penalties and the L1
proximal operator (soft thresholding) against torch (float64: ``dropout``, autograd, ``SGD``'s weight
decay, ``softshrink``), central differences (``mlmath.gradcheck``), the optimality condition of the
prox, hypothesis over shapes and values, and the ``ValueError`` contract."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _layer_oracles import TIGHT, leaf
from conftest import GRADCHECK_TOL
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from mlmath.gradcheck import check_gradient
from mlmath.layers.regularization import dropout_backward, dropout_forward, l1_penalty, l1_prox, l2_penalty

# --------------------------------------------------------------------------------------
# dropout
# --------------------------------------------------------------------------------------


def test_dropout_keeps_entries_scaled_by_inverse_keep_probability():
    x = np.random.default_rng(70).standard_normal((200, 300)) + 3
    p = 0.3
    y, cache = dropout_forward(x, p, np.random.default_rng(71))
    kept = y != 0
    assert_allclose(y[kept], x[kept] / (1 - p), **TIGHT)
    # keep frequency 1 - p within 5 standard deviations of a Binomial(60000, 0.7) proportion
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / x.size)
    dy = np.random.default_rng(72).standard_normal(x.shape)
    assert_allclose(dropout_backward(dy, cache), np.where(kept, dy / (1 - p), 0.0), **TIGHT)


def test_dropout_is_reproducible_with_the_same_seed():
    x = np.ones((4, 5))
    assert_array_equal(dropout_forward(x, 0.5, np.random.default_rng(3))[0], dropout_forward(x, 0.5, np.random.default_rng(3))[0])


def test_dropout_with_p_zero_is_identity_and_p_one_gives_zeros_like_torch():
    x = np.random.default_rng(73).standard_normal((3, 4))
    assert_array_equal(dropout_forward(x, 0.0, np.random.default_rng(0))[0], x)
    y1, cache1 = dropout_forward(x, 1.0, np.random.default_rng(0))
    assert_array_equal(y1, TF.dropout(torch.tensor(x), p=1.0).numpy())
    assert_array_equal(dropout_backward(np.ones_like(x), cache1), 0.0)


def test_dropout_backward_matches_finite_differences():
    x = np.random.default_rng(74).standard_normal((4, 5))
    r = np.random.default_rng(75).standard_normal((4, 5))

    def run(a):  # a fresh generator with the same seed: the same mask each call
        return dropout_forward(a, 0.4, np.random.default_rng(76))

    err = check_gradient(lambda a: np.sum(run(a)[0] * r), lambda a: dropout_backward(r, run(a)[1]), x)
    assert err < GRADCHECK_TOL


def test_dropout_rejects_bad_inputs():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="p must be >= 0"):
        dropout_forward(x, -0.1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="p must be <= 1"):
        dropout_forward(x, 1.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"rng must be a numpy\.random\.Generator"):
        dropout_forward(x, 0.5, 0)
    _, cache = dropout_forward(x, 0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="dy"):
        dropout_backward(np.zeros((3, 2)), cache)


# --------------------------------------------------------------------------------------
# penalties
# --------------------------------------------------------------------------------------


def test_l2_penalty_matches_torch_autograd():
    W, lam = np.random.default_rng(80).standard_normal((4, 3)), 0.7
    value, grad = l2_penalty(W, lam)
    Wt = leaf(W)
    value_t = lam / 2 * (Wt**2).sum()
    (grad_t,) = torch.autograd.grad(value_t, Wt)
    assert_allclose(value, value_t.item(), **TIGHT)
    assert_allclose(grad, grad_t.numpy(), **TIGHT)


def test_l2_penalty_gradient_is_torch_sgd_weight_decay():
    W, lam, lr = np.random.default_rng(81).standard_normal((4, 3)), 0.05, 0.1
    Wt = torch.tensor(W, requires_grad=True)
    Wt.grad = torch.zeros_like(Wt)
    torch.optim.SGD([Wt], lr=lr, weight_decay=lam).step()
    assert_allclose(W - lr * l2_penalty(W, lam)[1], Wt.detach().numpy(), **TIGHT)


def test_l1_penalty_matches_torch_autograd_including_zeros():
    W = np.array([[-2.0, 0.0, 0.5], [0.0, 3.0, -0.1]])
    lam = 0.3
    value, subgrad = l1_penalty(W, lam)
    Wt = leaf(W)
    value_t = lam * Wt.abs().sum()
    (grad_t,) = torch.autograd.grad(value_t, Wt)
    assert_allclose(value, value_t.item(), **TIGHT)
    assert_allclose(subgrad, grad_t.numpy(), **TIGHT)
    assert_array_equal(subgrad[W == 0], 0.0)


@pytest.mark.parametrize("penalty", [l1_penalty, l2_penalty])
def test_penalties_reject_bad_inputs(penalty):
    with pytest.raises(ValueError, match="lam must be >= 0"):
        penalty(np.ones(3), -1.0)
    with pytest.raises(ValueError, match="lam must be a finite real number"):
        penalty(np.ones(3), np.nan)
    with pytest.raises(ValueError, match="W must be finite"):
        penalty(np.array([1.0, np.inf]), 0.1)


# --------------------------------------------------------------------------------------
# l1_prox
# --------------------------------------------------------------------------------------


@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6), elements=st.floats(-10, 10)),
    st.floats(0, 5),
)
def test_l1_prox_equals_torch_softshrink(W, t):
    assert_allclose(l1_prox(W, t), TF.softshrink(torch.tensor(W), t).numpy(), rtol=0, atol=0)


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
