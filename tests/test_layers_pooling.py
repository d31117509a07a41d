"""Tests for ``mlmath.layers.pooling``: max and average pooling against ``torch.nn.functional``
(float64) and torch autograd, tie routing like torch, overlapping windows, central differences
(``mlmath.gradcheck``), hypothesis over shapes and strides, float32 in float32 out, and the
``ValueError`` contract; plus the pooling errata of chapters/appendices/errata.md."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _layer_oracles import TIGHT, leaf, torch_grads
from conftest import GRADCHECK_TOL
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from mlmath.gradcheck import check_gradient
from mlmath.layers.pooling import avgpool2d_backward, avgpool2d_forward, maxpool2d_backward, maxpool2d_forward

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
# Errata regression tests (chapters/appendices/errata.md)
# --------------------------------------------------------------------------------------
# Homework (001), section 5: the test pins the corrected statement to an oracle (torch autograd in
# float64) and shows that the source's claim, taken literally, fails on a small counterexample.
# Discussed in chapters/layers/pooling.md.


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
