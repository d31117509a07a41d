"""Tests for ``mlmath.layers``: every forward pass against ``torch.nn.functional``,
every backward pass against torch autograd (float64), the important ones also
against central differences (``mlmath.gradcheck``), plus shape/stride property
tests and the ``ValueError`` contract."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from mlmath.gradcheck import check_gradient
from mlmath.layers import (
    attention_backward,
    attention_forward,
    avgpool2d_backward,
    avgpool2d_forward,
    batchnorm_backward,
    batchnorm_forward,
    col2im,
    conv2d_backward,
    conv2d_forward,
    conv_output_size,
    conv_relu_pool_backward,
    conv_relu_pool_forward,
    dropout_backward,
    dropout_forward,
    gelu_backward,
    gelu_forward,
    im2col,
    l1_penalty,
    l2_penalty,
    layernorm_backward,
    layernorm_forward,
    linear_backward,
    linear_forward,
    log_softmax,
    logsumexp,
    maxpool2d_backward,
    maxpool2d_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax,
    softmax_cross_entropy,
    softmax_jacobian,
    tanh_backward,
    tanh_forward,
)

TIGHT = dict(rtol=1e-10, atol=1e-12)
SUMS = dict(rtol=1e-10, atol=1e-10)  # results that are sums of many O(1) products
from conftest import GRADCHECK_TOL  # noqa: E402

PROPERTY = settings()  # the shared profile (tests/conftest.py)


def leaf(a) -> torch.Tensor:
    """A float64 torch leaf tensor that records gradients."""
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def torch_grads(out: torch.Tensor, inputs, dout) -> list[np.ndarray]:
    """Vector-Jacobian product ``dout^T d out / d inputs`` by torch autograd."""
    grads = torch.autograd.grad(out, inputs, torch.as_tensor(dout))
    return [g.numpy() for g in grads]


# --------------------------------------------------------------------------------------
# softmax.py
# --------------------------------------------------------------------------------------


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
# activations.py
# --------------------------------------------------------------------------------------

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
# linear.py
# --------------------------------------------------------------------------------------


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
# conv.py
# --------------------------------------------------------------------------------------


def _conv_case(rng, n, c, h, w, f, kh, kw):
    return (
        rng.standard_normal((n, c, h, w)),
        rng.standard_normal((f, c, kh, kw)),
        rng.standard_normal(f),
    )


def _assert_conv_matches_torch(x, w, b, stride, padding, seed=0):
    y, cache = conv2d_forward(x, w, b, stride=stride, padding=padding)
    xt, wt, bt = leaf(x), leaf(w), leaf(b)
    yt = TF.conv2d(xt, wt, bt, stride=stride, padding=padding)
    assert y.shape == tuple(yt.shape)
    assert_allclose(y, yt.detach().numpy(), **SUMS)
    dy = np.random.default_rng(seed).standard_normal(y.shape)
    for got, want in zip(conv2d_backward(dy, cache), torch_grads(yt, [xt, wt, bt], dy)):
        assert got.shape == want.shape
        assert_allclose(got, want, **SUMS)


@pytest.mark.parametrize(
    "stride, padding, kh, kw",
    [(1, 0, 3, 3), (1, 1, 3, 3), (2, 1, 3, 3), (2, 0, 2, 2), (3, 2, 4, 2), (1, 2, 5, 1)],
)
def test_conv2d_forward_and_backward_match_torch(stride, padding, kh, kw):
    x, w, b = _conv_case(np.random.default_rng(30), 2, 3, 9, 7, 4, kh, kw)
    _assert_conv_matches_torch(x, w, b, stride, padding)


@PROPERTY
@given(
    n=st.integers(1, 2),
    c=st.integers(1, 3),
    f=st.integers(1, 3),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    h=st.integers(1, 8),
    w=st.integers(1, 8),
)
def test_conv2d_matches_torch_for_all_shapes_strides_paddings(n, c, f, kh, kw, stride, padding, h, w):
    assume(kh <= h + 2 * padding and kw <= w + 2 * padding)
    x, wt, b = _conv_case(np.random.default_rng(31), n, c, h, w, f, kh, kw)
    _assert_conv_matches_torch(x, wt, b, stride, padding, seed=32)


@pytest.mark.parametrize("stride, padding", [(1, 1), (2, 0)])
def test_conv2d_backward_matches_finite_differences(stride, padding):
    rng = np.random.default_rng(33)
    x, w, b = _conv_case(rng, 2, 2, 5, 4, 3, 3, 2)
    r = rng.standard_normal(conv2d_forward(x, w, b, stride, padding)[0].shape)

    def loss(x_, w_, b_):
        return np.sum(conv2d_forward(x_, w_, b_, stride, padding)[0] * r)

    def grads(x_, w_, b_):
        return conv2d_backward(r, conv2d_forward(x_, w_, b_, stride, padding)[1])

    assert check_gradient(lambda a: loss(a, w, b), lambda a: grads(a, w, b)[0], x) < GRADCHECK_TOL
    assert check_gradient(lambda a: loss(x, a, b), lambda a: grads(x, a, b)[1], w) < GRADCHECK_TOL
    assert check_gradient(lambda a: loss(x, w, a), lambda a: grads(x, w, a)[2], b) < GRADCHECK_TOL


@PROPERTY
@given(
    kh=st.integers(1, 3),
    kw=st.integers(1, 3),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    h=st.integers(3, 7),
    w=st.integers(3, 7),
)
def test_im2col_equals_torch_unfold_and_col2im_equals_torch_fold(kh, kw, stride, padding, h, w):
    rng = np.random.default_rng(34)
    x = rng.standard_normal((2, 3, h, w))
    cols = im2col(x, kh, kw, stride, padding)
    assert_allclose(cols, TF.unfold(torch.tensor(x), (kh, kw), padding=padding, stride=stride).numpy(), **TIGHT)
    c = rng.standard_normal(cols.shape)
    folded = TF.fold(torch.tensor(c), (h, w), (kh, kw), padding=padding, stride=stride).numpy()
    assert_allclose(col2im(c, x.shape, kh, kw, stride, padding), folded, **TIGHT)
    # adjointness <im2col(x), c> = <x, col2im(c)>
    assert_allclose(np.vdot(cols, c), np.vdot(x, col2im(c, x.shape, kh, kw, stride, padding)), rtol=1e-12)


def test_conv_output_size_matches_forward_shape():
    # (11 + 4 - 4) // 3 + 1 = 4 and (7 + 4 - 3) // 3 + 1 = 3
    x, w, b = _conv_case(np.random.default_rng(35), 1, 1, 11, 7, 1, 4, 3)
    y, _ = conv2d_forward(x, w, b, stride=3, padding=2)
    assert y.shape[2:] == (conv_output_size(11, 4, 3, 2), conv_output_size(7, 3, 3, 2)) == (4, 3)


def test_conv2d_keeps_float32_and_matches_torch_float32():
    x, w, b = (a.astype(np.float32) for a in _conv_case(np.random.default_rng(36), 2, 3, 6, 6, 2, 3, 3))
    y, cache = conv2d_forward(x, w, b, padding=1)
    assert y.dtype == np.float32
    assert_allclose(y, TF.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), padding=1).numpy(), rtol=1e-5, atol=1e-5)
    assert all(g.dtype == np.float32 for g in conv2d_backward(np.ones_like(y), cache))


def test_conv2d_rejects_bad_inputs():
    x, w, b = np.zeros((2, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(4)
    with pytest.raises(ValueError, match="x must be 4-D"):
        conv2d_forward(np.zeros((3, 5, 5)), w, b)
    with pytest.raises(ValueError, match="w must be 4-D"):
        conv2d_forward(x, np.zeros((4, 3, 3)), b)
    with pytest.raises(ValueError, match="channel"):
        conv2d_forward(x, np.zeros((4, 2, 3, 3)), b)
    with pytest.raises(ValueError, match="b must have shape"):
        conv2d_forward(x, w, np.zeros(3))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        conv2d_forward(x, w, b, stride=0)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        conv2d_forward(x, w, b, stride=-1)
    with pytest.raises(ValueError, match="stride must be an integer"):
        conv2d_forward(x, w, b, stride=1.5)
    with pytest.raises(ValueError, match="padding must be >= 0"):
        conv2d_forward(x, w, b, padding=-1)
    with pytest.raises(ValueError, match="kernel size"):
        conv2d_forward(x, np.zeros((4, 3, 6, 3)), b)
    with pytest.raises(ValueError, match="x must be finite"):
        conv2d_forward(np.full((2, 3, 5, 5), np.inf), w, b)
    _, cache = conv2d_forward(x, w, b)
    with pytest.raises(ValueError, match="dy"):
        conv2d_backward(np.zeros((2, 4, 5, 5)), cache)


def test_im2col_col2im_and_conv_output_size_reject_bad_inputs():
    with pytest.raises(ValueError, match="kernel size"):
        im2col(np.zeros((1, 1, 2, 2)), 3, 3)
    with pytest.raises(ValueError, match="kh must be >= 1"):
        im2col(np.zeros((1, 1, 2, 2)), 0, 1)
    with pytest.raises(ValueError, match="cols must have shape"):
        col2im(np.zeros((1, 4, 5)), (1, 1, 3, 3), 2, 2)
    with pytest.raises(ValueError, match="x_shape"):
        col2im(np.zeros((1, 4, 4)), (1, 3, 3), 2, 2)
    with pytest.raises(ValueError, match="kernel"):
        conv_output_size(3, 4)


@pytest.mark.parametrize("stride, padding, pool_size", [(1, 1, 2), (1, 0, 3), (2, 1, 2), (1, 1, 1)])
def test_conv_relu_pool_matches_torch_composition(stride, padding, pool_size):
    rng = np.random.default_rng(37)
    x, w, b = _conv_case(rng, 2, 3, 9, 8, 4, 3, 3)
    y, cache = conv_relu_pool_forward(x, w, b, stride, padding, pool_size)
    xt, wt, bt = leaf(x), leaf(w), leaf(b)
    yt = TF.max_pool2d(TF.relu(TF.conv2d(xt, wt, bt, stride=stride, padding=padding)), pool_size)
    assert_allclose(y, yt.detach().numpy(), **SUMS)
    dy = rng.standard_normal(y.shape)
    for got, want in zip(conv_relu_pool_backward(dy, cache), torch_grads(yt, [xt, wt, bt], dy)):
        assert_allclose(got, want, **SUMS)


def test_conv_relu_pool_rejects_bad_pool_size_and_dy():
    x, w, b = np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), np.zeros(1)
    with pytest.raises(ValueError, match="pool_size must be >= 1"):
        conv_relu_pool_forward(x, w, b, pool_size=0)
    with pytest.raises(ValueError, match="pool_size"):
        conv_relu_pool_forward(x, w, b, pool_size=3)  # the convolution output is 2 x 2
    with pytest.raises(ValueError, match="padding must be >= 0"):
        conv_relu_pool_forward(x, w, b, padding=-1)
    _, cache = conv_relu_pool_forward(x, w, b, pool_size=2)
    with pytest.raises(ValueError, match="dy"):
        conv_relu_pool_backward(np.ones((1, 1, 2, 2)), cache)


# --------------------------------------------------------------------------------------
# pooling.py
# --------------------------------------------------------------------------------------

POOLS = {
    "max": (maxpool2d_forward, maxpool2d_backward, TF.max_pool2d),
    "avg": (avgpool2d_forward, avgpool2d_backward, TF.avg_pool2d),
}


def _assert_pool_matches_torch(kind, x, k, stride, seed=0):
    forward, backward, torch_fn = POOLS[kind]
    y, cache = forward(x, k, stride)
    xt = leaf(x)
    yt = torch_fn(xt, k, stride)
    assert y.shape == tuple(yt.shape)
    assert_allclose(y, yt.detach().numpy(), **TIGHT)
    dy = np.random.default_rng(seed).standard_normal(y.shape)
    (dx_t,) = torch_grads(yt, [xt], dy)
    assert_allclose(backward(dy, cache), dx_t, **TIGHT)


@pytest.mark.parametrize("kind", sorted(POOLS))
@pytest.mark.parametrize("k, stride", [(2, None), (3, None), (3, 1), (3, 2), (2, 3)])
def test_pool2d_forward_and_backward_match_torch(kind, k, stride):
    x = np.random.default_rng(40).standard_normal((2, 3, 8, 7))
    _assert_pool_matches_torch(kind, x, k, stride)


@PROPERTY
@given(
    kind=st.sampled_from(sorted(POOLS)),
    k=st.integers(1, 4),
    stride=st.one_of(st.none(), st.integers(1, 3)),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    c=st.integers(1, 3),
)
def test_pool2d_matches_torch_for_all_shapes_and_strides(kind, k, stride, h, w, c):
    assume(k <= h and k <= w)
    x = np.random.default_rng(41).standard_normal((2, c, h, w))
    _assert_pool_matches_torch(kind, x, k, stride, seed=42)


@PROPERTY
@given(k=st.integers(2, 3), stride=st.one_of(st.none(), st.integers(1, 3)), seed=st.integers(0, 10_000))
def test_maxpool2d_backward_routes_ties_like_torch(k, stride, seed):
    # integer values in {0, 1, 2}: almost every window has tied maxima
    x = np.random.default_rng(seed).integers(0, 3, size=(2, 2, 7, 6)).astype(np.float64)
    _assert_pool_matches_torch("max", x, k, stride, seed=seed + 1)


def test_maxpool2d_backward_sends_tie_gradient_to_first_maximum():
    x = np.ones((1, 1, 2, 2))
    _y, cache = maxpool2d_forward(x, 2)
    dx = maxpool2d_backward(np.array([[[[5.0]]]]), cache)
    assert_array_equal(dx, [[[[5.0, 0.0], [0.0, 0.0]]]])


def test_maxpool2d_overlapping_windows_accumulate_gradient():
    # the centre 9 is the maximum of all four 2x2 windows at stride 1
    x = np.array([[[[1.0, 2.0, 3.0], [4.0, 9.0, 5.0], [6.0, 7.0, 8.0]]]])
    y, cache = maxpool2d_forward(x, 2, stride=1)
    assert_array_equal(y, np.full((1, 1, 2, 2), 9.0))
    dx = maxpool2d_backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), cache)
    assert dx[0, 0, 1, 1] == 10.0 and np.count_nonzero(dx) == 1


def test_maxpool2d_backward_matches_finite_differences():
    x = np.random.default_rng(43).permutation(2 * 2 * 6 * 5).reshape(2, 2, 6, 5) / 7.0  # distinct values, no ties
    r = np.random.default_rng(44).standard_normal((2, 2, 5, 4))
    err = check_gradient(
        lambda a: np.sum(maxpool2d_forward(a, 2, 1)[0] * r), lambda a: maxpool2d_backward(r, maxpool2d_forward(a, 2, 1)[1]), x
    )
    assert err < GRADCHECK_TOL


def test_maxpool2d_with_more_than_127_window_offsets_matches_torch():
    # k*k = 144 window offsets: the arg-max codes no longer fit in int8
    x = np.random.default_rng(45).standard_normal((2, 2, 13, 12))
    _assert_pool_matches_torch("max", x, 12, 1)


@pytest.mark.parametrize("kind", sorted(POOLS))
def test_pool2d_keeps_float32(kind):
    forward, backward, torch_fn = POOLS[kind]
    x = np.random.default_rng(46).standard_normal((2, 3, 6, 6)).astype(np.float32)
    y, cache = forward(x, 2)
    assert y.dtype == np.float32 and backward(np.ones_like(y), cache).dtype == np.float32
    assert_allclose(y, torch_fn(torch.tensor(x), 2).numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", sorted(POOLS))
def test_pool2d_rejects_bad_inputs(kind):
    forward, backward, _ = POOLS[kind]
    x = np.zeros((1, 2, 4, 5))
    with pytest.raises(ValueError, match="x must be 4-D"):
        forward(np.zeros((4, 5)), 2)
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        forward(x, 0)
    with pytest.raises(ValueError, match="kernel_size must be an integer"):
        forward(x, 2.0)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        forward(x, 2, 0)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        forward(x, 2, -2)
    with pytest.raises(ValueError, match="kernel_size"):
        forward(x, 5)
    _, cache = forward(x, 2)
    with pytest.raises(ValueError, match="dy"):
        backward(np.zeros((1, 2, 3, 3)), cache)


# --------------------------------------------------------------------------------------
# normalization.py
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# attention.py
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# regularization.py
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


def test_no_layer_emits_runtime_warnings():
    rng = np.random.default_rng(90)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        conv2d_backward(
            np.ones((1, 2, 3, 3)), conv2d_forward(rng.standard_normal((1, 1, 5, 5)), np.ones((2, 1, 3, 3)), np.zeros(2))[1]
        )
        attention_forward(
            rng.standard_normal((2, 2)), rng.standard_normal((2, 2)), rng.standard_normal((2, 2)), np.eye(2, dtype=bool)
        )
        gelu_forward(np.array([-40.0, 40.0]))


def test_layernorm_of_huge_entries_standardises_instead_of_returning_zeros():
    from mlmath.layers import layernorm_forward

    y, _ = layernorm_forward(np.array([[1e160, -1e160, 0.0]]), np.ones(3), np.zeros(3))
    np.testing.assert_allclose(y, [[np.sqrt(1.5), -np.sqrt(1.5), 0.0]], rtol=1e-12)


@pytest.mark.parametrize(
    ("backward", "wrong", "forward_name"),
    [
        ("relu_backward", lambda x: x, "relu_forward"),  # the input instead of the cache: silently dy * x before
        ("relu_backward", lambda x: None, "relu_forward"),
        ("sigmoid_backward", lambda x: x, "sigmoid_forward"),
        ("linear_backward", lambda x: (x, x), "linear_forward"),
        (
            "layernorm_backward",
            lambda x: __import__("mlmath").layers.batchnorm_forward(x, np.ones(4), np.zeros(4))[1],
            "layernorm_forward",
        ),
    ],
)
def test_a_backward_pass_refuses_anything_but_its_own_forward_cache(backward, wrong, forward_name):
    from mlmath import layers

    x = np.random.default_rng(0).normal(size=(3, 4))
    with pytest.raises(ValueError, match=f"cache must be the cache returned by {forward_name}"):
        getattr(layers, backward)(np.ones((3, 4)), wrong(x))
