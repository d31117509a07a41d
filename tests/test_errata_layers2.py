"""Regression tests for the errata found in the convolution and pooling sources
(seeds 001, sections 4-5, and 003, parts A1-A2). Each test pins the corrected
statement to an oracle (torch autograd in float64, or SciPy) and shows that the
source's claim, taken literally, fails on a small counterexample. The entries
are written up in notes/errata_layers2.md and discussed in
chapters/layers/conv_layers.md and chapters/layers/pooling.md."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as TF

from mlmath.layers import conv2d_backward, conv2d_forward, maxpool2d_backward, maxpool2d_forward

torch.set_default_dtype(torch.float64)


def _torch_conv_grads(x, w, b, dy, stride=1):
    """(y, dx, dw, db) of torch's conv2d on a single image x (C, H, W), w (F, C, KH, KW)."""
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = TF.conv2d(xt[None], wt, bt, stride=stride)[0]
    grads = torch.autograd.grad(yt, (xt, wt, bt), torch.tensor(dy))
    return (yt.detach().numpy(), *(g.numpy() for g in grads))


def _homework_case(seed=0, c=2, h=6, w=5, f=2, kh=3, kw=2, stride=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((c, h, w))
    wt = rng.standard_normal((f, c, kh, kw))
    b = rng.standard_normal(f)
    ho, wo = (h - kh) // stride + 1, (w - kw) // stride + 1
    dy = rng.standard_normal((f, ho, wo))
    return x, wt, b, dy, ho, wo


def test_homework_conv_forward_weight_needs_output_channel_index():
    # Seed 001 sec. 4: y(k,i,j) = sum_{t,m,n} x(t, is+m, js+n) W(t,m,n) + b_k -- W has no k.
    x, w, b, dy, ho, wo = _homework_case()
    y_torch = _torch_conv_grads(x, w, b, dy)[0]
    corrected = np.array(
        [[[np.sum(x[:, i : i + 3, j : j + 2] * w[k]) + b[k] for j in range(wo)] for i in range(ho)] for k in range(2)]
    )
    np.testing.assert_allclose(corrected, y_torch, rtol=1e-12, atol=1e-12)
    # The seed's W(t, m, n) is one kernel for every output channel k: the two output
    # maps then differ only by the bias, which torch's (and any useful layer's) do not.
    seed_claim = np.array(
        [[[np.sum(x[:, i : i + 3, j : j + 2] * w[0]) + b[k] for j in range(wo)] for i in range(ho)] for k in range(2)]
    )
    np.testing.assert_allclose(seed_claim[1] - seed_claim[0], b[1] - b[0], rtol=1e-12)
    assert not np.allclose(seed_claim, y_torch)


def test_homework_conv_bias_gradient_runs_over_output_positions_0_to_I_minus_1():
    # Seed: dL/db = sum_{i=0}^{I} sum_{j=0}^{J} dL/dy_kij. With I x J output positions
    # (the seed's own convention: sums to T-1, M-1, N-1 over T, M, N values) the last
    # index is I - 1; the literal range reads past the end of dL/dy.
    x, w, b, dy, ho, wo = _homework_case(seed=1)
    db_torch = _torch_conv_grads(x, w, b, dy)[3]
    corrected = np.array([sum(dy[k, i, j] for i in range(ho) for j in range(wo)) for k in range(2)])
    np.testing.assert_allclose(corrected, db_torch, rtol=1e-12)
    with pytest.raises(IndexError):
        [sum(dy[k, i, j] for i in range(ho + 1) for j in range(wo + 1)) for k in range(2)]


def test_homework_conv_weight_gradient_sums_over_output_positions_not_kernel_indices():
    # Seed: dL/dW = sum_{t,m,n} dL/dy * x(t, is+m, js+n): it sums over the kernel's own
    # indices (which must stay free) and leaves the output position (k, i, j) free.
    x, w, b, dy, ho, wo = _homework_case(seed=2)
    dw_torch = _torch_conv_grads(x, w, b, dy)[2]
    corrected = np.zeros_like(w)
    for k in range(2):
        for i in range(ho):
            for j in range(wo):
                corrected[k] += dy[k, i, j] * x[:, i : i + 3, j : j + 2]
    np.testing.assert_allclose(corrected, dw_torch, rtol=1e-12, atol=1e-12)
    seed_claim = np.array(
        [[[dy[k, i, j] * np.sum(x[:, i : i + 3, j : j + 2]) for j in range(wo)] for i in range(ho)] for k in range(2)]
    )
    assert seed_claim.shape == dy.shape != dw_torch.shape  # indexed like y, not like W


def test_homework_conv_input_gradient_sums_over_output_channels():
    # Seed: dL/dx = sum_i sum_j dL/dy * W(t, m' - is, n' - js): no sum over the output
    # channel k (and no k on W). Every output channel that saw x contributes.
    x, w, b, dy, ho, wo = _homework_case(seed=3)
    dx_torch = _torch_conv_grads(x, w, b, dy)[1]

    def input_grad(channels):
        dx = np.zeros_like(x)
        for k in channels:
            for i in range(ho):
                for j in range(wo):
                    dx[:, i : i + 3, j : j + 2] += dy[k, i, j] * w[k]
        return dx

    np.testing.assert_allclose(input_grad(range(2)), dx_torch, rtol=1e-12, atol=1e-12)
    assert not np.allclose(input_grad([0]), dx_torch) and not np.allclose(input_grad([1]), dx_torch)


def test_homework_conv_input_gradient_index_bounds_with_stride():
    # Seed: i runs from (m' - M + 1)/s to m'/s -- fractions when s > 1. The correct set is
    # max(0, ceil((m' - M + 1)/s)) <= i <= min(I - 1, floor(m'/s)).
    c, h, wd, f, kh, kw, s = 1, 7, 1, 1, 3, 1, 2
    x, w, b, dy, ho, _wo = _homework_case(seed=4, c=c, h=h, w=wd, f=f, kh=kh, kw=kw, stride=s)
    dx_torch = _torch_conv_grads(x, w, b, dy, stride=s)[1]

    def correct_rows(mp):
        return range(max(0, math.ceil((mp - kh + 1) / s)), min(ho - 1, math.floor(mp / s)) + 1)

    dx = np.array([[sum(dy[0, i, 0] * w[0, 0, mp - s * i, 0] for i in correct_rows(mp))] for mp in range(h)])
    np.testing.assert_allclose(dx[None], dx_torch, rtol=1e-12, atol=1e-12)
    # m' = 3: the seed's bounds are 0.5 and 1.5. Truncating them (the obvious reading in
    # code) admits i = 0, whose kernel row m = m' - s*i = 3 does not exist (M = 3).
    lo, hi = (3 - kh + 1) / s, 3 / s
    assert (lo, hi) == (0.5, 1.5)
    assert list(range(int(lo), int(hi) + 1)) == [0, 1] and list(correct_rows(3)) == [1]
    assert 3 - s * 0 > kh - 1
    # And at the bottom edge (m' = 6) the upper bound 3 exceeds the last output row I - 1 = 2.
    assert 6 // s > ho - 1


def test_homework_maxpool_gradient_accumulates_over_overlapping_windows():
    # Seed 001 sec. 5: dL/dx = dL/dy . [1] at the arg-max of the window. With overlapping
    # windows (stride < window) a pixel can be the maximum of several windows and must
    # receive the SUM of their gradients; writing per window keeps only the last one.
    x = np.array([[[[1.0, 2.0, 3.0], [4.0, 9.0, 5.0], [6.0, 7.0, 8.0]]]])
    dy = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    xt = torch.tensor(x, requires_grad=True)
    (dx_torch,) = torch.autograd.grad(TF.max_pool2d(xt, 2, 1), (xt,), torch.tensor(dy))
    _, cache = maxpool2d_forward(x, 2, 1)
    np.testing.assert_array_equal(maxpool2d_backward(dy, cache), dx_torch.numpy())
    assert dx_torch[0, 0, 1, 1] == dy.sum() == 10.0
    seed_claim = np.zeros_like(x)  # literal per-window assignment, windows in row-major order
    for i in range(2):
        for j in range(2):
            window = x[0, 0, i : i + 2, j : j + 2]
            a, e = np.unravel_index(np.argmax(window), window.shape)
            seed_claim[0, 0, i + a, j + e] = dy[0, 0, i, j]
    assert seed_claim[0, 0, 1, 1] == 4.0 != dx_torch[0, 0, 1, 1]
    # The seed's own example (one 3x3 window, a unique maximum) is right.
    ex = np.array([[[[1.0, 1, 1], [1, 5, 1], [1, 1, 1]]]])
    _, cache = maxpool2d_forward(ex, 3)
    np.testing.assert_array_equal(maxpool2d_backward(np.ones((1, 1, 1, 1)), cache)[0, 0], np.eye(3)[1][:, None] * np.eye(3)[1])


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
