"""Tests for ``mlmath.layers.softmax``: softmax, log-softmax, logsumexp, the softmax Jacobian and
the softmax cross-entropy against torch (float64) and central differences (``mlmath.gradcheck``),
stability for logits of order 1e4, float32 in float32 out, and the ``ValueError`` contract; plus the
softmax errata of chapters/appendices/errata.md."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _layer_oracles import TIGHT, leaf
from conftest import GRADCHECK_TOL
from numpy.testing import assert_allclose

from mlmath.gradcheck import check_gradient, numerical_gradient
from mlmath.layers.softmax import log_softmax, logsumexp, softmax, softmax_cross_entropy, softmax_jacobian


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_matches_torch_softmax(axis):
    z = np.random.default_rng(0).standard_normal((4, 5, 3)) * 3
    assert_allclose(softmax(z, axis=axis), torch.softmax(torch.tensor(z), dim=axis).numpy(), **TIGHT)


def test_log_softmax_and_logsumexp_match_torch():
    z = np.random.default_rng(1).standard_normal((6, 7)) * 5
    zt = torch.tensor(z)
    assert_allclose(log_softmax(z, axis=1), torch.log_softmax(zt, dim=1).numpy(), **TIGHT)
    assert_allclose(logsumexp(z, axis=0), torch.logsumexp(zt, dim=0).numpy(), **TIGHT)


def test_softmax_is_stable_for_logits_of_order_1e4():
    z = np.array([[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4 + 2.0, -1e4 - 3.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        p = softmax(z)
        lse = logsumexp(z)
    assert_allclose(p, torch.softmax(torch.tensor(z), dim=-1).numpy(), **TIGHT)
    assert_allclose(lse, torch.logsumexp(torch.tensor(z), dim=-1).numpy(), rtol=1e-14)
    assert np.all(np.isfinite(p))


def test_softmax_cross_entropy_matches_torch_value_and_autograd():
    rng = np.random.default_rng(2)
    logits = rng.standard_normal((8, 5)) * 2
    labels = rng.integers(0, 5, size=8)
    loss, dlogits = softmax_cross_entropy(logits, labels)
    zt = leaf(logits)
    loss_t = TF.cross_entropy(zt, torch.tensor(labels))
    (grad_t,) = torch.autograd.grad(loss_t, zt)
    assert_allclose(loss, loss_t.item(), **TIGHT)
    assert_allclose(dlogits, grad_t.numpy(), **TIGHT)


def test_softmax_cross_entropy_is_stable_for_logits_of_order_1e4():
    logits = np.array([[1e4, -1e4, 0.0], [3.0, 1e4 + 5.0, 1e4]])
    labels = np.array([1, 2])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss, dlogits = softmax_cross_entropy(logits, labels)
    zt = leaf(logits)
    loss_t = TF.cross_entropy(zt, torch.tensor(labels))
    (grad_t,) = torch.autograd.grad(loss_t, zt)
    assert_allclose(loss, loss_t.item(), rtol=1e-12)
    assert_allclose(dlogits, grad_t.numpy(), **TIGHT)


def test_softmax_cross_entropy_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    logits, labels = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    err = check_gradient(lambda z: softmax_cross_entropy(z, labels)[0], lambda z: softmax_cross_entropy(z, labels)[1], logits)
    assert err < GRADCHECK_TOL


def test_softmax_jacobian_matches_torch_autograd_jacobian():
    z = np.random.default_rng(4).standard_normal(6)
    jac_t = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, dim=0), torch.tensor(z)).numpy()
    # torch returns J_t[i, j] = dp_i / dz_j (numerator layout); ours is its transpose.
    assert_allclose(softmax_jacobian(z), jac_t.T, **TIGHT)


def test_softmax_keeps_float32():
    z = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    assert softmax(z).dtype == np.float32


def test_softmax_rejects_bad_axis():
    with pytest.raises(ValueError, match="axis"):
        softmax(np.zeros((2, 3)), axis=2)
    with pytest.raises(ValueError, match="axis"):
        softmax(np.zeros((2, 3)), axis=1.0)


def test_softmax_rejects_empty_and_scalar_z():
    with pytest.raises(ValueError, match="z"):
        softmax(np.zeros((2, 0)))
    with pytest.raises(ValueError, match="z"):
        softmax(1.0)


def test_softmax_jacobian_rejects_matrix_z():
    with pytest.raises(ValueError, match="z must be 1-D"):
        softmax_jacobian(np.zeros((2, 3)))


@pytest.mark.parametrize(
    "labels",
    [np.array([0, 3]), np.array([-1, 0]), np.array([0.5, 1.0]), np.array([0, 1, 2]), np.array([[0, 1]])],
    ids=["too_large", "negative", "fractional", "too_many", "2d"],
)
def test_softmax_cross_entropy_rejects_bad_labels(labels):
    with pytest.raises(ValueError, match="labels"):
        softmax_cross_entropy(np.zeros((2, 3)), labels)


def test_softmax_cross_entropy_rejects_bad_logits_shape():
    with pytest.raises(ValueError, match="logits must be 2-D"):
        softmax_cross_entropy(np.zeros(3), np.array([0]))


# --------------------------------------------------------------------------------------
# Errata regression tests (chapters/appendices/errata.md)
# --------------------------------------------------------------------------------------
# Homework (001), section 2, and the PA5 write-up (003), part B: each test pins the corrected
# statement to an oracle (torch autograd in float64) and shows that the source's claim, taken
# literally, fails on a small counterexample.


def test_homework_softmax_gradient_diagonal():
    z = np.array([2.0, 1.0, 0.1])
    zt = torch.tensor(z, requires_grad=True)
    torch.nn.functional.cross_entropy(zt[None], torch.tensor([0])).backward()
    p = softmax(z)
    np.testing.assert_allclose(zt.grad.numpy()[0], p[0] - 1, rtol=1e-14)  # p_gt - 1, not p_i - 1
    assert abs(zt.grad.numpy()[0] - (p[1] - 1)) > 0.1
    _, d = softmax_cross_entropy(z[None], [0])
    np.testing.assert_allclose(d[0], p - np.eye(3)[0], rtol=1e-14)
    jac = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, 0), torch.from_numpy(z)).numpy()
    np.testing.assert_allclose(jac[0, 0], p[0] * (1 - p[0]), rtol=1e-14)


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
