"""Regression tests for the errata found in the convolution and pooling sources
(seeds 001, sections 4-5, and 003, parts A1-A2). Each test pins the corrected
statement to an oracle (torch autograd in float64, or SciPy) and shows that the
source's claim, taken literally, fails on a small counterexample. The entries
are written up in notes/errata_layers2.md and discussed in
chapters/layers/conv_layers.md and chapters/layers/pooling.md."""

from __future__ import annotations

import numpy as np
import scipy.signal
import torch
import torch.nn.functional as TF

from mlmath.layers import conv2d_backward, conv2d_forward, maxpool2d_backward, maxpool2d_forward


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
