"""Tests for ``mlmath.layers.conv``: ``conv2d``, ``im2col``/``col2im``, ``conv_output_size`` and the
fused conv-ReLU-pool block against torch (float64: ``conv2d``, ``unfold``/``fold``, autograd), the
important backward passes also against central differences (``mlmath.gradcheck``), hypothesis over
shapes, strides and paddings, float32 in float32 out, and the ``ValueError`` contract; plus the
convolution errata of chapters/appendices/errata.md."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as TF
from _layer_oracles import TIGHT, leaf, torch_grads
from conftest import GRADCHECK_TOL
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from mlmath.gradcheck import check_gradient
from mlmath.layers.conv import (
    col2im,
    conv2d_backward,
    conv2d_forward,
    conv_output_size,
    conv_relu_pool_backward,
    conv_relu_pool_forward,
    im2col,
)

SUMS = dict(rtol=1e-10, atol=1e-10)  # results that are sums of many O(1) products


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


@given(
    n=st.integers(1, 2),
    c=st.integers(1, 3),
    f=st.integers(1, 3),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 4),  # padding > K - 1 too: the input gradient then crops dy instead of padding it
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
# Errata regression tests (chapters/appendices/errata.md)
# --------------------------------------------------------------------------------------
# The PA5 write-up (003), parts A1 and A2: the test pins the corrected statement to an oracle (torch
# autograd in float64, and SciPy) and shows that the source's claim, taken literally, fails on a small
# counterexample. Discussed in chapters/layers/conv_layers.md.


def test_pa5_flipped_kernel_formulas_hold_for_true_convolution_not_for_dl_correlation():
    # Seed 003 A1/A2: dL/dx = dL/dy * flip(w) and dL/dw = dL/dy * flip(x), derived for a
    # forward pass y = x * w (a true convolution). Deep-learning layers compute the
    # cross-correlation y = x ⋆ w; then dL/dx = dL/dy * w (full, no flip) and
    # dL/dw = x ⋆ dL/dy = x * flip(dL/dy) (valid): the flips move.
    rng = np.random.default_rng(5)
    x, w, dy = rng.standard_normal((7, 6)), rng.standard_normal((3, 2)), rng.standard_normal((5, 5))
    flip = lambda a: a[::-1, ::-1]
    conv, corr = scipy.signal.convolve2d, scipy.signal.correlate2d

    def grads(forward_kernel):
        xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        y = TF.conv2d(xt[None, None], forward_kernel(wt)[None, None])[0, 0]
        return [g.numpy() for g in torch.autograd.grad(y, (xt, wt), torch.tensor(dy))]

    # y = x * w (true convolution) is torch's correlation with the flipped kernel.
    dx_c, dw_c = grads(lambda t: torch.flip(t, (0, 1)))
    np.testing.assert_allclose(dx_c, conv(dy, flip(w), "full"), rtol=1e-12, atol=1e-12)  # PA5 A1
    np.testing.assert_allclose(dw_c, conv(dy, flip(x), "valid"), rtol=1e-12, atol=1e-12)  # PA5 A2
    # y = x ⋆ w, torch's conv2d and mlmath's conv2d_forward.
    dx_k, dw_k = grads(lambda t: t)
    np.testing.assert_allclose(dx_k, conv(dy, w, "full"), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw_k, corr(x, dy, "valid"), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw_k, conv(x, flip(dy), "valid"), rtol=1e-12, atol=1e-12)
    assert not np.allclose(dx_k, conv(dy, flip(w), "full"))
    assert not np.allclose(dw_k, conv(dy, flip(x), "valid"))
    _, cache = conv2d_forward(x[None, None], w[None, None], np.zeros(1))
    dx_m, dw_m, _ = conv2d_backward(dy[None, None], cache)
    np.testing.assert_allclose(dx_m[0, 0], dx_k, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw_m[0, 0], dw_k, rtol=1e-12, atol=1e-12)
