"""Coding exercises of the part *Gradients of network layers*."""

from __future__ import annotations

import numpy as np

from ..layers import (
    attention_backward,
    attention_forward,
    avgpool2d_backward,
    avgpool2d_forward,
    batchnorm_backward,
    batchnorm_forward,
    conv2d_backward,
    conv2d_forward,
    conv_relu_pool_backward,
    conv_relu_pool_forward,
    l1_prox,
    layernorm_backward,
    layernorm_forward,
    linear_backward,
    linear_forward,
    log_softmax,
    maxpool2d_backward,
    maxpool2d_forward,
    relu_backward,
    relu_forward,
    sigmoid_forward,
    softmax,
    softmax_cross_entropy,
    softmax_jacobian,
    softplus_forward,
)
from ..optim import SGD, Adam
from ._checker import Case, Exercise, register


def _soft_target_cases(rng: np.random.Generator) -> list[Case]:
    cases = [(np.array([0.0]), np.array([1.0])), (np.array([1.0, 2.0]), np.array([0.5, 0.5]))]
    for k in (3, 5, 10):
        cases.append((rng.normal(size=k) * 3, softmax(rng.normal(size=k))))
    cases.append((np.array([1000.0, -1000.0, 0.0]), np.array([0.1, 0.1, 0.8])))
    return cases


def _hessian_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array([0.0]),),
        (np.array([1.0, -1.0]),),
        (rng.normal(size=4),),
        (rng.normal(size=7) * 5,),
        (np.array([500.0, 0.0, -500.0]),),
    ]


def _temperature_cases(rng: np.random.Generator) -> list[Case]:
    cases = [(np.array([0.0, 0.0]), 0, 1.0), (np.array([1.0, 2.0, 3.0]), 2, 0.5)]
    for k, t in [(4, 4.0), (6, 0.1), (3, 10.0)]:
        cases.append((rng.normal(size=k), int(rng.integers(0, k)), t))
    return cases


def _temperature_reference(z, y, t):
    return (softmax(z / t) - np.eye(len(z))[int(y)]) / t


def _log_softmax_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array([[0.0]]),),
        (np.array([[1.0, 2.0, 3.0]]),),
        (np.zeros((2, 4)),),
        (rng.normal(size=(3, 5)),),
        (rng.normal(size=(4, 6)) * 1e4,),
        (np.array([[1000.0, 999.0, -1000.0]]),),
        (rng.normal(size=(1, 10)) * 50,),
    ]


register(
    Exercise(
        id="ex-softmax-log-softmax",
        chapter="chapters/layers/softmax",
        title="A stable log-softmax",
        name="my_log_softmax",
        signature="my_log_softmax(z) -> array shaped like z (N, K), log-softmax of each row",
        reference=lambda z: log_softmax(z, axis=1),
        cases=_log_softmax_cases,
        rtol=1e-10,
        atol=1e-10,
    ),
    Exercise(
        id="ex-softmax-soft-targets",
        chapter="chapters/layers/softmax",
        title="Soft targets",
        name="soft_target_grad",
        signature="soft_target_grad(z, q) -> dL/dz for L = -sum_k q_k log softmax(z)_k, shape (K,)",
        reference=lambda z, q: softmax(z) - q,
        cases=_soft_target_cases,
    ),
    Exercise(
        id="ex-softmax-hessian",
        chapter="chapters/layers/softmax",
        title="The loss is convex in the logits",
        name="nll_hessian",
        signature="nll_hessian(z) -> (K, K) Hessian of -z_y + logsumexp(z)",
        reference=softmax_jacobian,
        cases=_hessian_cases,
    ),
    Exercise(
        id="ex-softmax-temperature",
        chapter="chapters/layers/softmax",
        title="Temperature",
        name="temperature_grad",
        signature="temperature_grad(z, y, T) -> dL/dz for L = -log softmax(z / T)_y, shape (K,)",
        reference=_temperature_reference,
        cases=_temperature_cases,
    ),
)


# --- activations -----------------------------------------------------------------------------


def _softplus_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array(0.0),),
        (np.array(-3.0),),
        (np.array([-800.0, -40.0, 0.0, 40.0, 800.0]),),
        (np.array([-1e-10, 1e-10, 35.0]),),
        (np.array([-40.0, -100.0, -745.0]),),  # softplus(x) ~ exp(x): log(1 + exp(x)) rounds these to 0
        (rng.normal(size=(3, 4)) * 10,),
        (np.linspace(-60.0, 60.0, 13),),
        (rng.normal(size=(2, 3, 4)) * 30,),
    ]


def _silu_grad_reference(x):
    """``SiLU'(x) = s (1 + x (1 - s))`` with ``s = sigmoid(x)``."""
    s, _ = sigmoid_forward(x)
    return s * (1 + np.asarray(x, dtype=float) * (1 - s))


def _silu_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array(1.0),),
        (np.zeros(3),),
        (np.array([-50.0, 50.0]),),
        (np.array([-800.0, -50.0, 50.0, 800.0]),),
        (np.linspace(-10.0, 10.0, 21),),
        (rng.normal(size=(4, 5)) * 4,),
        (rng.normal(size=(2, 3, 4)),),
    ]


def _gelu_second_derivative_reference(x):
    """``GELU''(x) = phi(x) (2 - x^2)`` with ``phi`` the standard normal density."""
    x = np.asarray(x, dtype=float)
    return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi) * (2 - x * x)


def _gelu_curvature_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array(0.0),),
        (np.array([-np.sqrt(2), np.sqrt(2)]),),
        (np.array([-40.0, 40.0]),),
        (np.array([-1.0, 0.5, 3.0]),),
        (np.linspace(-4.0, 4.0, 41),),
        (rng.normal(size=(3, 4)) * 2,),
        (rng.normal(size=(2, 2, 5)),),
    ]


# --- linear layers ---------------------------------------------------------------------------


def _weight_grad_reference(dy, x):
    """``dL/dW`` of ``y = x W^T + b`` from ``linear_backward`` (the forward only fixes the shapes)."""
    W = np.zeros((dy.shape[-1], x.shape[-1]))
    _, cache = linear_forward(x, W, np.zeros(W.shape[0]))
    return linear_backward(dy, cache)[1]


def _weight_grad_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [(np.array([2.0]), np.array([3.0]))]
    for lead, d_out, d_in in [((), 3, 4), ((1,), 3, 4), ((3,), 3, 4), ((5,), 2, 6), ((2, 5), 3, 4), ((2, 3, 4), 2, 3)]:
        cases.append((rng.normal(size=lead + (d_out,)), rng.normal(size=lead + (d_in,))))
    return cases


def _column_input_grad_reference(W, g):
    """``dL/dx = W^T g`` for ``y = W x + b``: ``linear_backward``'s ``dx`` for a single input."""
    _, cache = linear_forward(np.zeros(W.shape[1]), W, np.zeros(W.shape[0]))
    return linear_backward(g, cache)[0]


def _column_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[2.0]]), np.array([3.0])),
        (np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), np.array([1.0, -1.0])),
    ]
    for d_out, d_in in [(3, 5), (5, 3), (4, 4), (1, 6), (6, 1)]:
        cases.append((rng.normal(size=(d_out, d_in)), rng.normal(size=d_out)))
    return cases


def _augmented_reference(G, X):
    """``[dL/dW, dL/db]``: the weight gradient of the input ``[X, 1]``."""
    W = np.zeros((G.shape[1], X.shape[1]))
    _, cache = linear_forward(X, W, np.zeros(W.shape[0]))
    _, dW, db = linear_backward(G, cache)
    return np.column_stack([dW, db])


def _augmented_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [(np.array([[2.0]]), np.array([[3.0]]))]
    for n, d_out, d_in in [(1, 3, 2), (4, 2, 3), (6, 3, 4), (10, 5, 1), (3, 3, 3)]:
        cases.append((rng.normal(size=(n, d_out)), rng.normal(size=(n, d_in))))
    return cases


def _tied_reference(X, W, G):
    """``H^T G + W G^T X`` for ``H = X W^T``, ``Z = H W``: the two paths from ``W``, by ``linear_backward``."""
    H, cache_h = linear_forward(X, W, np.zeros(W.shape[0]))  # H = X W^T
    _, cache_z = linear_forward(H, W.T, np.zeros(W.shape[1]))  # Z = H W, a linear layer with weight W^T
    dH, dWT, _ = linear_backward(G, cache_z)
    _, dW, _ = linear_backward(dH, cache_h)
    return dWT.T + dW


def _tied_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [(np.array([[2.0]]), np.array([[0.5]]), np.array([[1.0]]))]
    for n, d, h in [(3, 4, 1), (1, 3, 2), (5, 3, 2), (7, 5, 2), (4, 6, 6), (10, 8, 3)]:
        cases.append((rng.normal(size=(n, d)), rng.normal(size=(h, d)), rng.normal(size=(n, d))))
    return cases


# --- regularization --------------------------------------------------------------------------


def _soft_threshold_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array([2.0]), 3.0),
        (np.array([-1.0, -0.5, 0.0, 0.5, 1.0]), 0.5),  # |w| = t gives exactly 0
        (np.array([-2.0, -0.25, 0.0, 0.25, 2.0]), 0.0),  # t = 0 is the identity
        (-np.abs(rng.normal(size=6)), 0.3),  # negative entries only
        (rng.normal(size=(3, 4)), 0.0),
        (rng.normal(size=(2, 3, 2)) * 3, 1.3),
        (rng.normal(size=(4, 5)), 10.0),  # everything is thresholded to 0
    ]


def _dropout_variance_reference(x, p):
    """``Var[y_i] = p / (1 - p) x_i^2`` for inverted dropout with drop probability ``p``."""
    return p / (1 - p) * np.asarray(x, dtype=float) ** 2


def _dropout_variance_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array([2.0]), 0.0),
        (np.array([0.5, -1.0, 2.0]), 0.5),
        (np.array([0.0, 1.0, -3.0]), 0.9),
        (rng.normal(size=(3, 4)), 0.9),
        (rng.normal(size=(2, 3)), 0.1),
        (rng.normal(size=(4, 5)), 0.25),
    ]


def _sgd_step_reference(W, grad, lr, lam):
    """One ``mlmath.optim.SGD(lr, weight_decay=lam)`` step on a copy of ``W``."""
    W_new = np.array(W, dtype=float, copy=True)
    SGD(lr, weight_decay=lam).step([W_new], [grad])
    return W_new


def _sgd_step_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [(np.array([1.0]), np.array([2.0]), 0.1, 0.5)]
    for shape, lr, lam in [
        ((3, 4), 0.1, 0.0),
        ((3, 4), 0.0, 0.05),
        ((3, 4), 0.1, 0.05),
        ((2, 3, 2), 0.01, 1.0),
        ((5,), 1.0, 0.2),
        ((4, 4), 0.5, 3.0),
    ]:
        cases.append((rng.normal(size=shape), rng.normal(size=shape), lr, lam))
    return cases


ACT = "chapters/layers/activations"
LIN = "chapters/layers/linear"
REG = "chapters/layers/regularization"

register(
    Exercise(
        id="act-ex-softplus",
        chapter=ACT,
        title="A stable softplus",
        name="stable_softplus",
        signature="stable_softplus(x) -> log(1 + exp(x)) entrywise, shaped like x, accurate for very negative x",
        reference=lambda x: softplus_forward(x)[0],
        cases=_softplus_cases,
        rtol=1e-12,
        atol=0.0,
    ),
    Exercise(
        id="act-ex-silu",
        chapter=ACT,
        title="The derivative of SiLU",
        name="silu_grad",
        signature="silu_grad(x) -> d/dx (x sigmoid(x)) entrywise, shaped like x",
        reference=_silu_grad_reference,
        cases=_silu_cases,
    ),
    Exercise(
        id="act-ex-gelu-curvature",
        chapter=ACT,
        title="Curvature of GELU",
        name="gelu_second_derivative",
        signature="gelu_second_derivative(x) -> GELU''(x) entrywise, shaped like x",
        reference=_gelu_second_derivative_reference,
        cases=_gelu_curvature_cases,
    ),
    Exercise(
        id="fc-ex-weight-grad",
        chapter=LIN,
        title="The weight gradient for any batch shape",
        name="linear_weight_grad",
        signature="linear_weight_grad(dy, x) -> dL/dW, shape (d_out, d_in), for x (..., d_in), dy (..., d_out)",
        reference=_weight_grad_reference,
        cases=_weight_grad_cases,
    ),
    Exercise(
        id="fc-ex-column",
        chapter=LIN,
        title="The column convention",
        name="column_input_grad",
        signature="column_input_grad(W, g) -> dL/dx for y = W x + b, g = dL/dy, shape (d_in,)",
        reference=_column_input_grad_reference,
        cases=_column_cases,
    ),
    Exercise(
        id="fc-ex-augmented",
        chapter=LIN,
        title="The bias as a weight",
        name="augmented_weight_grad",
        signature="augmented_weight_grad(G, X) -> dL/d[W, b], shape (d_out, d_in + 1), for Y = X W^T + b, G = dL/dY",
        reference=_augmented_reference,
        cases=_augmented_cases,
    ),
    Exercise(
        id="fc-ex-tied",
        chapter=LIN,
        title="Tied weights",
        name="tied_weight_grad",
        signature="tied_weight_grad(X, W, G) -> dL/dW, shape (h, d), for H = X W^T, Z = H W, G = dL/dZ",
        reference=_tied_reference,
        cases=_tied_cases,
    ),
    Exercise(
        id="reg-ex-soft-threshold",
        chapter=REG,
        title="Soft thresholding",
        name="soft_threshold",
        signature="soft_threshold(w, t) -> sign(w) max(|w| - t, 0) entrywise, shaped like w",
        reference=l1_prox,
        cases=_soft_threshold_cases,
        rtol=1e-12,
        atol=0.0,
    ),
    Exercise(
        id="reg-ex-dropout-variance",
        chapter=REG,
        title="The variance of dropout",
        name="dropout_variance",
        signature="dropout_variance(x, p) -> Var[y] entrywise for inverted dropout, shaped like x",
        reference=_dropout_variance_reference,
        cases=_dropout_variance_cases,
    ),
    Exercise(
        id="reg-ex-sgd-step",
        chapter=REG,
        title="One step of SGD with weight decay",
        name="sgd_weight_decay_step",
        signature="sgd_weight_decay_step(W, grad, lr, lam) -> the new weights, shaped like W",
        reference=_sgd_step_reference,
        cases=_sgd_step_cases,
    ),
)


# --- convolution layers, pooling, normalization, attention, a small CNN ----------------------


def _conv_input_grad_reference(dy, w, x_shape, stride, padding):
    """``dx`` of ``conv2d_backward``; the input only matters through its shape."""
    _, cache = conv2d_forward(np.zeros(x_shape), w, np.zeros(np.shape(w)[0]), stride=stride, padding=padding)
    return conv2d_backward(dy, cache)[0]


def _conv_input_grad_cases(rng: np.random.Generator) -> list[Case]:
    """Strides 1-3, paddings 0-2, rectangular and 1x1 kernels, C != F, N > 1, (H + 2p - K) % s != 0."""
    cases: list[Case] = []
    for x_shape, w_shape, s, p in [
        ((1, 1, 1, 1), (1, 1, 1, 1), 1, 0),
        ((1, 1, 3, 3), (1, 1, 2, 2), 1, 0),
        ((1, 1, 3, 4), (1, 1, 1, 1), 1, 2),  # a 1x1 kernel: the padded border gets no gradient
        ((2, 3, 5, 6), (4, 3, 3, 3), 1, 0),
        ((1, 2, 8, 7), (3, 2, 3, 2), 2, 1),  # rectangular kernel, 7 + 2 - 2 odd
        ((2, 3, 9, 8), (4, 3, 4, 4), 3, 2),
        ((1, 2, 6, 6), (2, 2, 3, 3), 2, 0),  # (6 - 3) % 2 = 1: the last row is never read
        ((1, 1, 7, 5), (2, 1, 1, 1), 3, 0),  # 1x1 kernel with gaps between the windows
        ((3, 1, 7, 7), (2, 1, 2, 3), 2, 1),
        ((1, 3, 5, 5), (1, 3, 3, 3), 1, 2),
    ]:
        w = rng.normal(size=w_shape)
        ho = (x_shape[2] + 2 * p - w_shape[2]) // s + 1
        wo = (x_shape[3] + 2 * p - w_shape[3]) // s + 1
        cases.append((rng.normal(size=(x_shape[0], w_shape[0], ho, wo)), w, x_shape, s, p))
    return cases


def _conv1x1_reference(g, x):
    """``dw`` of ``conv2d_backward`` for a 1x1 kernel bank, stride 1, no padding: shape ``(F, C, 1, 1)``."""
    _, cache = conv2d_forward(x, np.zeros((np.shape(g)[1], np.shape(x)[1], 1, 1)), np.zeros(np.shape(g)[1]))
    return conv2d_backward(g, cache)[1]


def _conv1x1_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [(np.array([[[[2.0]]]]), np.array([[[[3.0]]]]))]
    for n, c, f, h, w in [(1, 1, 2, 1, 1), (1, 3, 1, 2, 2), (2, 3, 4, 4, 5), (3, 2, 5, 3, 1), (1, 4, 4, 6, 6), (4, 1, 3, 2, 3)]:
        cases.append((rng.normal(size=(n, f, h, w)), rng.normal(size=(n, c, h, w))))
    return cases


def _maxpool_reference(dy, x, kernel_size, stride):
    return maxpool2d_backward(dy, maxpool2d_forward(x, kernel_size, stride)[1])


def _maxpool_cases(rng: np.random.Generator) -> list[Case]:
    """Ties (integer inputs), s < k, s > k, windows that do not tile, k = 1, stride None."""
    cases: list[Case] = []
    for shape, k, s, ties in [
        ((1, 1, 1, 1), 1, None, False),
        ((1, 1, 2, 2), 2, None, True),  # all four tied: the first pixel wins
        ((1, 1, 3, 4), 1, None, False),  # k = 1: the identity
        ((1, 1, 3, 3), 2, 1, True),
        ((2, 3, 6, 6), 2, None, False),
        ((1, 2, 7, 5), 3, 1, True),  # overlapping windows with ties: gradients add
        ((2, 2, 8, 9), 3, 2, False),
        ((1, 1, 8, 8), 2, 3, False),  # gaps between the windows
        ((1, 2, 7, 7), 2, None, True),  # the windows do not tile: the last row and column get nothing
        ((1, 1, 5, 6), 3, 2, True),
    ]:
        x = rng.integers(0, 3, size=shape).astype(float) if ties else rng.normal(size=shape)
        ho, wo = ((n - k) // (k if s is None else s) + 1 for n in shape[2:])
        cases.append((rng.normal(size=shape[:2] + (ho, wo)), x, k, s))
    return cases


def _global_avgpool_reference(g, x_shape):
    """``dx`` of a convolution with the channel-diagonal constant kernel ``1 / (HW)`` over the whole map."""
    _, c, h, w = x_shape
    kernel = np.eye(c)[:, :, None, None] * np.full((h, w), 1.0 / (h * w))
    return _conv_input_grad_reference(g, kernel, x_shape, 1, 0)


def _global_avgpool_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (rng.normal(size=x_shape[:2] + (1, 1)), x_shape)
        for x_shape in [(1, 1, 1, 1), (1, 1, 2, 2), (1, 2, 3, 1), (2, 3, 5, 5), (3, 2, 4, 7), (1, 4, 6, 3), (2, 1, 8, 8)]
    ]


def _layernorm_reference(dy, x, gamma, eps):
    _, cache = layernorm_forward(x, gamma, np.zeros_like(gamma), eps)
    return layernorm_backward(dy, cache)


def _layernorm_cases(rng: np.random.Generator) -> list[Case]:
    """1-D, 2-D, 3-D and 4-D x, D = 1 (where xhat = 0), a constant row, another eps."""
    cases: list[Case] = []
    for shape, eps in [
        ((1,), 1e-5),
        ((6,), 1e-5),
        ((5, 1), 1e-5),
        ((4, 6), 1e-5),
        ((2, 3, 6), 1e-5),
        ((3, 4), 1e-3),
        ((2, 2, 2, 3), 1e-5),
        ((3, 8), 1e-5),
    ]:
        x = rng.normal(size=shape) * (10.0 if shape == (3, 8) else 1.0)
        if shape == (4, 6):
            x[1] = 2.5  # a constant row: xhat = 0 there
        cases.append((rng.normal(size=shape), x, rng.normal(size=shape[-1]), eps))
    return cases


def _spatial_batchnorm_reference(x, gamma, beta, dy):
    """``(y, dx, dgamma, dbeta)`` of batch norm over ``(N, H, W)``: ``batchnorm_forward``/``_backward`` on an ``(NHW, C)`` matrix."""
    n, c, h, w = np.shape(x)
    to_mat = lambda a: np.transpose(a, (0, 2, 3, 1)).reshape(-1, c)
    from_mat = lambda a: a.reshape(n, h, w, c).transpose(0, 3, 1, 2)
    y, cache = batchnorm_forward(to_mat(x), gamma, beta)
    dx, dgamma, dbeta = batchnorm_backward(to_mat(dy), cache)
    return from_mat(y), from_mat(dx), dgamma, dbeta


def _spatial_batchnorm_cases(rng: np.random.Generator) -> list[Case]:
    """N = 1 with several pixels, one pixel with N > 1, C = 1, H != W."""
    cases: list[Case] = []
    for shape in [(1, 1, 1, 2), (2, 1, 1, 1), (1, 2, 2, 1), (2, 3, 4, 5), (3, 1, 2, 2), (4, 2, 3, 1), (2, 4, 3, 3)]:
        c = shape[1]
        cases.append((rng.normal(size=shape) * 3 + 1, rng.normal(size=c), rng.normal(size=c), rng.normal(size=shape)))
    return cases


def _attention_reference(dout, q, k, v, mask):
    return attention_backward(dout, attention_forward(q, k, v, mask)[1])


def _attention_cases(rng: np.random.Generator) -> list[Case]:
    """2-D and 4-D inputs, Lq != Lk, dv != d, a causal mask broadcast over (batch, head), random masks, one key per row."""

    def random_mask(shape):
        mask = rng.random(shape) < 0.5
        mask[..., rng.integers(0, shape[-1])] = True  # every row needs an allowed key
        return mask

    cases: list[Case] = []
    for qs, ks, vs, mask in [
        ((1, 1), (1, 1), (1, 1), None),
        ((2, 3), (2, 3), (2, 2), None),
        ((5, 4), (5, 4), (5, 4), None),
        ((3, 4), (7, 4), (7, 5), random_mask((3, 7))),
        ((4, 3), (4, 3), (4, 3), np.eye(4, dtype=bool)),  # a single allowed key per row
        ((3, 2), (5, 2), (5, 1), np.eye(3, 5, k=2, dtype=bool)),  # one key per row, Lq != Lk
        ((2, 3, 6, 4), (2, 3, 6, 4), (2, 3, 6, 2), np.tril(np.ones((6, 6), dtype=bool))),  # causal, broadcast
        ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3), random_mask((2, 1, 3, 5))),  # broadcast over the heads
        ((1, 2, 4, 8), (1, 2, 4, 8), (1, 2, 4, 8), None),
    ]:
        q, k, v = rng.normal(size=qs), rng.normal(size=ks), rng.normal(size=vs)
        cases.append((rng.normal(size=qs[:-1] + vs[-1:]), q, k, v, mask))
    return cases


def _self_attention_reference(G, X, Wq, Wk, Wv, mask):
    """``(dL/dX, dL/dW_Q)``: ``attention_backward`` through three bias-free ``linear_forward`` projections."""
    zeros = lambda W: np.zeros(np.shape(W)[0])
    (Q, cq), (K, ck), (V, cv) = (linear_forward(X, W, zeros(W)) for W in (Wq, Wk, Wv))
    dQ, dK, dV = attention_backward(G, attention_forward(Q, K, V, mask)[1])
    dX_q, dWq, _ = linear_backward(dQ, cq)
    dX_k = linear_backward(dK, ck)[0]
    dX_v = linear_backward(dV, cv)[0]
    return dX_q + dX_k + dX_v, dWq


def _self_attention_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    for L, m, d, dv, causal in [
        (1, 1, 1, 1, False),
        (2, 3, 2, 1, False),
        (3, 2, 4, 2, True),
        (6, 5, 4, 4, True),
        (5, 4, 3, 6, False),
        (8, 3, 2, 5, True),
    ]:
        Wq, Wk, Wv = rng.normal(size=(d, m)), rng.normal(size=(d, m)), rng.normal(size=(dv, m))
        mask = np.tril(np.ones((L, L), dtype=bool)) if causal else None
        cases.append((rng.normal(size=(L, dv)), rng.normal(size=(L, m)), Wq, Wk, Wv, mask))
    return cases


def _block_reference(dy, x, w, b, stride, padding, pool_size):
    return conv_relu_pool_backward(dy, conv_relu_pool_forward(x, w, b, stride, padding, pool_size)[1])


def _block_cases(rng: np.random.Generator) -> list[Case]:
    """pool_size 1-3, stride 1-2, padding 0-1, several channels, pooling that does not tile."""
    cases: list[Case] = []
    for x_shape, w_shape, s, p, k in [
        ((1, 1, 2, 2), (1, 1, 1, 1), 1, 0, 1),
        ((1, 1, 4, 5), (1, 1, 3, 3), 1, 1, 1),
        ((1, 1, 4, 4), (2, 1, 2, 2), 1, 0, 3),  # conv output 3x3: one pooling window
        ((2, 3, 8, 8), (4, 3, 3, 3), 1, 1, 2),
        ((1, 2, 9, 8), (4, 2, 3, 3), 1, 0, 3),  # conv output 7x6: the pooling does not tile
        ((2, 1, 9, 9), (4, 1, 3, 3), 2, 1, 2),  # conv output 5x5
        ((1, 3, 7, 6), (2, 3, 2, 3), 2, 0, 2),
        ((2, 2, 10, 10), (3, 2, 3, 3), 1, 1, 3),
    ]:
        x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])
        ho, wo = ((n + 2 * p - kk) // s + 1 for n, kk in zip(x_shape[2:], w_shape[2:]))
        cases.append((rng.normal(size=(x_shape[0], w_shape[0], ho // k, wo // k)), x, w, b, s, p, k))
    return cases


CONV = "chapters/layers/conv_layers"
POOL = "chapters/layers/pooling"
NORM = "chapters/layers/normalization"
ATTN = "chapters/layers/attention"
CNN = "chapters/layers/cnn"

register(
    Exercise(
        id="convlayer-ex-input-grad",
        chapter=CONV,
        title="The input gradient by dilation",
        name="conv2d_input_grad",
        signature="conv2d_input_grad(dy, w, x_shape, stride, padding) -> dL/dx, shape x_shape (N, C, H, W), for dy (N, F, Ho, Wo), w (F, C, KH, KW)",
        reference=_conv_input_grad_reference,
        cases=_conv_input_grad_cases,
    ),
    Exercise(
        id="convlayer-ex-1x1",
        chapter=CONV,
        title="A 1 x 1 convolution is a linear layer",
        name="conv1x1_weight_grad",
        signature="conv1x1_weight_grad(g, x) -> dL/dw, shape (F, C, 1, 1), for x (N, C, H, W), g = dL/dy (N, F, H, W)",
        reference=_conv1x1_reference,
        cases=_conv1x1_cases,
    ),
    Exercise(
        id="pool-ex-maxpool-grad",
        chapter=POOL,
        title="Max-pooling backward from the definition",
        name="maxpool_grad",
        signature="maxpool_grad(dy, x, kernel_size, stride=None) -> dL/dx, shaped like x (N, C, H, W); ties go to the first maximiser",
        reference=_maxpool_reference,
        cases=_maxpool_cases,
        rtol=1e-12,
        atol=1e-12,
    ),
    Exercise(
        id="pool-ex-global",
        chapter=POOL,
        title="Global average pooling",
        name="global_avgpool_grad",
        signature="global_avgpool_grad(g, x_shape) -> dL/dx, shape x_shape (N, C, H, W), for g = dL/dy (N, C, 1, 1)",
        reference=_global_avgpool_reference,
        cases=_global_avgpool_cases,
    ),
    Exercise(
        id="norm-ex-layernorm-grad",
        chapter=NORM,
        title="Layer-norm backward",
        name="layernorm_grad",
        signature="layernorm_grad(dy, x, gamma, eps=1e-5) -> (dx, dgamma, dbeta), dx shaped like x, dgamma and dbeta (D,)",
        reference=_layernorm_reference,
        cases=_layernorm_cases,
        outputs=("dx", "dgamma", "dbeta"),
    ),
    Exercise(
        id="norm-ex-spatial",
        chapter=NORM,
        title="Batch norm for images",
        name="spatial_batchnorm",
        signature="spatial_batchnorm(x, gamma, beta, dy) -> (y, dx, dgamma, dbeta) of batch norm over (N, H, W) per channel; x, dy (N, C, H, W), gamma, beta (C,)",
        reference=_spatial_batchnorm_reference,
        cases=_spatial_batchnorm_cases,
        outputs=("y", "dx", "dgamma", "dbeta"),
    ),
    Exercise(
        id="attn-ex-backward",
        chapter=ATTN,
        title="Attention backward",
        name="attention_grads",
        signature="attention_grads(dout, q, k, v, mask=None) -> (dq, dk, dv), shaped like q, k, v (..., L, d)",
        reference=_attention_reference,
        cases=_attention_cases,
        outputs=("dq", "dk", "dv"),
    ),
    Exercise(
        id="attn-ex-self",
        chapter=ATTN,
        title="Self-attention with projections",
        name="self_attention_grads",
        signature="self_attention_grads(G, X, Wq, Wk, Wv, mask=None) -> (dL/dX (L, m), dL/dW_Q (d, m)) for out = attention(X Wq^T, X Wk^T, X Wv^T, mask)",
        reference=_self_attention_reference,
        cases=_self_attention_cases,
        outputs=("dX", "dWq"),
    ),
    Exercise(
        id="cnn-ex-block",
        chapter=CNN,
        title="The convolution block as one layer",
        name="conv_relu_pool_grads",
        signature="conv_relu_pool_grads(dy, x, w, b, stride=1, padding=0, pool_size=2) -> (dx, dw, db) of maxpool(relu(conv2d(x, w, b)))",
        reference=_block_reference,
        cases=_block_cases,
        outputs=("dx", "dw", "db"),
    ),
)


# --- further exercises of the part, chapter by chapter ---------------------------------------


def _binary_margin_reference(m):
    """``dL/dm = -sigmoid(-m)`` for the two-class loss ``L(m) = log(1 + exp(-m))`` of the margin ``m``."""
    return -sigmoid_forward(-np.asarray(m, dtype=float))[0]


def _binary_margin_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array(0.0),),
        (np.array([-800.0, 800.0]),),
        (np.array([1e-12, -1e-12, 40.0, -40.0]),),
        (np.linspace(-30.0, 30.0, 13),),
        (rng.normal(size=(3, 4)) * 5,),
        (rng.normal(size=(2, 3, 2)) * 50,),
    ]


def _smoothing_margin_reference(alpha, K):
    """``log(q_y / q_k) = log(1 + K (1 - alpha) / alpha)`` for the smoothed target ``(1 - alpha) e_y + alpha / K``."""
    alpha = np.asarray(alpha, dtype=float)
    return np.log1p(K * (1 - alpha) / alpha)


def _smoothing_margin_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (1.0, 2),  # the uniform target: margin 0
        (0.1, 10),
        (0.5, 3),
        (1e-6, 1000),  # almost no smoothing: a large margin
        (np.array([0.05, 0.1, 0.2, 0.5, 0.9]), 10),
        (np.sort(rng.uniform(0.01, 0.99, size=9)), 100),
    ]


def _batch_nll_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[0.0]]), np.array([0])),  # one class: loss 0, gradient 0
        (np.array([[1.0, 2.0, 3.0]]), np.array([2])),
        (np.zeros((3, 4)), np.array([0, 1, 3])),  # uniform: loss log 4
        (np.array([[1000.0, -1000.0], [0.0, 1e4]]), np.array([1, 1])),  # overflow if exponentiated literally
    ]
    for n, k, scale in [(4, 5, 1.0), (6, 3, 1e3), (10, 10, 5.0)]:
        cases.append((rng.normal(size=(n, k)) * scale, rng.integers(0, k, size=n)))
    return cases


def _elu(x):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


def _elu_grad_reference(dy, x):
    """``dy * ELU'(x)``: 1 for ``x > 0``, ``exp(x) = ELU(x) + 1`` otherwise (alpha = 1)."""
    x = np.asarray(x, dtype=float)
    return np.asarray(dy, dtype=float) * np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0)))


def _elu_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array(1.0), np.array(0.0)),
        (np.ones(3), np.array([-1.0, 0.0, 1.0])),
        (rng.normal(size=5), np.array([-800.0, -40.0, 0.0, 40.0, 800.0])),
        (rng.normal(size=20), np.linspace(-5.0, 5.0, 20)),
        (rng.normal(size=(3, 4)), rng.normal(size=(3, 4)) * 3),
        (rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))),
    ]


def _gelu_tanh_grad_reference(x):
    """Derivative of ``x (1 + tanh(c (x + a x^3))) / 2`` with ``c = sqrt(2 / pi)``, ``a = 0.044715``."""
    x = np.asarray(x, dtype=float)
    c, a = np.sqrt(2 / np.pi), 0.044715
    t = np.tanh(c * (x + a * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * a * x * x)


def _gelu_tanh_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array(0.0),),
        (np.array([-1.0, 1.0]),),
        (np.array([-40.0, 40.0]),),
        (np.linspace(-5.0, 5.0, 41),),
        (rng.normal(size=(3, 4)) * 2,),
        (rng.normal(size=(2, 2, 5)),),
    ]


def _least_squares_reference(X, W, b, T):
    """``(dL/dW, dL/db)`` of ``L = ||X W^T + b - T||_F^2 / (2N)``: ``linear_backward`` of ``G = (Y - T) / N``."""
    Y, cache = linear_forward(X, W, b)
    _, dW, db = linear_backward((Y - T) / X.shape[0], cache)
    return dW, db


def _least_squares_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [(np.array([[2.0]]), np.array([[1.0]]), np.array([0.5]), np.array([[3.0]]))]
    for n, d_in, d_out in [(1, 3, 2), (4, 2, 3), (5, 1, 1), (8, 4, 2), (20, 3, 3)]:
        cases.append(
            (rng.normal(size=(n, d_in)), rng.normal(size=(d_out, d_in)), rng.normal(size=d_out), rng.normal(size=(n, d_out)))
        )
    return cases


def _weight_jacobian_reference(X, d_out):
    """``J[n, j, k, i] = dY[n, j] / dW[k, i] = delta_jk X[n, i]`` for ``Y = X W^T + b``."""
    return np.einsum("jk,ni->njki", np.eye(int(d_out)), np.asarray(X, dtype=float))


def _weight_jacobian_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [(np.array([[2.0]]), 1)]
    for n, d_in, d_out in [(1, 3, 2), (2, 2, 3), (4, 3, 2), (3, 5, 1), (5, 4, 4)]:
        cases.append((rng.normal(size=(n, d_in)), d_out))
    return cases


register(
    Exercise(
        id="ex-softmax-binary",
        chapter="chapters/layers/softmax",
        title="Two classes: the sigmoid",
        name="binary_margin_grad",
        signature="binary_margin_grad(m) -> dL/dm entrywise for L(m) = -log p_y, m = z_y - z_other the margin, shaped like m",
        reference=_binary_margin_reference,
        cases=_binary_margin_cases,
    ),
    Exercise(
        id="ex-softmax-smoothing",
        chapter="chapters/layers/softmax",
        title="How confident label smoothing lets a model be",
        name="smoothing_margin",
        signature="smoothing_margin(alpha, K) -> the optimal logit margin z_y - z_k (k != y) under label smoothing alpha with K classes",
        reference=_smoothing_margin_reference,
        cases=_smoothing_margin_cases,
    ),
    Exercise(
        id="ex-softmax-batch",
        chapter="chapters/layers/softmax",
        title="The batch loss and its gradient",
        name="batch_nll",
        signature="batch_nll(Z, y) -> (mean loss, dL/dZ (N, K)) for logits Z (N, K) and integer labels y (N,)",
        reference=lambda Z, y: softmax_cross_entropy(Z, y),
        cases=_batch_nll_cases,
        outputs=("loss", "dZ"),
    ),
    Exercise(
        id="act-ex-elu",
        chapter=ACT,
        title="ELU backward",
        name="elu_grad",
        signature="elu_grad(dy, x) -> dL/dx = dy * ELU'(x) (alpha = 1), shaped like x",
        reference=_elu_grad_reference,
        cases=_elu_cases,
        forward=_elu,
    ),
    Exercise(
        id="act-ex-gelu-tanh",
        chapter=ACT,
        title="The derivative of the tanh approximation of GELU",
        name="gelu_tanh_grad",
        signature="gelu_tanh_grad(x) -> d/dx [x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2] entrywise, shaped like x",
        reference=_gelu_tanh_grad_reference,
        cases=_gelu_tanh_cases,
    ),
    Exercise(
        id="fc-ex-least-squares",
        chapter=LIN,
        title="Least squares through the layer",
        name="least_squares_grads",
        signature="least_squares_grads(X, W, b, T) -> (dL/dW, dL/db) for L = ||X W^T + b - T||_F^2 / (2N)",
        reference=_least_squares_reference,
        cases=_least_squares_cases,
        outputs=("dW", "db"),
    ),
    Exercise(
        id="fc-ex-jacobian",
        chapter=LIN,
        title="The full Jacobian, and why nobody forms it",
        name="linear_weight_jacobian",
        signature="linear_weight_jacobian(X, d_out) -> J (N, d_out, d_out, d_in) with J[n, j, k, i] = dY[n, j] / dW[k, i]",
        reference=_weight_jacobian_reference,
        cases=_weight_jacobian_cases,
    ),
)


def _receptive_field_reference(kernels, strides):
    """Side of the input window one output pixel of a stack of convolutions depends on: ``1 + sum_l (K_l - 1) prod_{m<l} s_m``."""
    size, jump = 1, 1
    for k, s in zip(kernels, strides):
        size += (k - 1) * jump
        jump *= s
    return float(size)


def _receptive_field_cases(rng: np.random.Generator) -> list[Case]:
    return [
        ([1], [1]),
        ([3], [1]),
        ([3], [2]),  # the stride of the last layer does not matter
        ([3, 3], [1, 1]),
        ([2, 2, 2], [2, 2, 2]),
        ([5, 3], [1, 3]),
        ([7, 3, 3, 3], [2, 2, 1, 1]),
        ([3, 3, 3, 3, 3], [1, 2, 1, 2, 1]),
    ]


def _depthwise_reference(dy, x, w, stride, padding):
    """``(dx, dw)`` of a depthwise convolution (``groups = C``), one ``conv2d_backward`` per channel."""
    dx, dw = np.zeros(np.shape(x)), np.zeros(np.shape(w))
    for c in range(np.shape(x)[1]):
        _, cache = conv2d_forward(x[:, c : c + 1], w[c : c + 1], np.zeros(1), stride=stride, padding=padding)
        dx[:, c : c + 1], dw[c : c + 1], _ = conv2d_backward(dy[:, c : c + 1], cache)
    return dx, dw


def _depthwise_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    for x_shape, k_shape, s, p in [
        ((1, 1, 1, 1), (1, 1), 1, 0),
        ((1, 2, 3, 3), (2, 2), 1, 0),
        ((2, 3, 5, 4), (3, 3), 1, 1),
        ((1, 4, 7, 6), (3, 2), 2, 1),
        ((2, 2, 8, 8), (1, 1), 3, 0),
        ((1, 3, 9, 7), (4, 3), 2, 2),
    ]:
        c = x_shape[1]
        w = rng.normal(size=(c, 1) + k_shape)
        ho = (x_shape[2] + 2 * p - k_shape[0]) // s + 1
        wo = (x_shape[3] + 2 * p - k_shape[1]) // s + 1
        cases.append((rng.normal(size=(x_shape[0], c, ho, wo)), rng.normal(size=x_shape), w, s, p))
    return cases


def _avgpool_grad_reference(dy, x_shape, kernel_size, stride):
    return avgpool2d_backward(dy, avgpool2d_forward(np.zeros(x_shape), kernel_size, stride)[1])


def _avgpool_grad_cases(rng: np.random.Generator) -> list[Case]:
    """k = 1, default stride, overlapping (s < k) and gapped (s > k) windows, sizes the windows do not tile."""
    cases: list[Case] = []
    for x_shape, k, s in [
        ((1, 1, 1, 1), 1, None),
        ((1, 1, 2, 2), 2, None),
        ((1, 1, 3, 4), 2, 1),
        ((2, 3, 6, 6), 2, None),
        ((1, 2, 7, 5), 3, 1),
        ((2, 2, 8, 9), 3, 2),
        ((1, 1, 8, 8), 2, 3),
        ((1, 2, 7, 7), 2, None),
    ]:
        ho, wo = ((n - k) // (k if s is None else s) + 1 for n in x_shape[2:])
        cases.append((rng.normal(size=x_shape[:2] + (ho, wo)), x_shape, k, s))
    return cases


def _lse_pool_reference(dy, x, kernel_size, beta):
    """``dx`` of ``y = log(sum_window exp(beta x)) / beta`` over disjoint ``k x k`` windows: each window's softmax times ``dy``."""
    x = np.asarray(x, dtype=float)
    k = kernel_size
    n, c, h, w = x.shape
    ho, wo = h // k, w // k
    windows = x[:, :, : ho * k, : wo * k].reshape(n, c, ho, k, wo, k).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, ho, wo, k * k)
    weights = softmax(beta * windows, axis=-1) * np.asarray(dy, dtype=float)[..., None]
    dx = np.zeros_like(x)
    dx[:, :, : ho * k, : wo * k] = weights.reshape(n, c, ho, wo, k, k).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, ho * k, wo * k)
    return dx


def _lse_pool_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    for shape, k, beta, ties in [
        ((1, 1, 1, 1), 1, 1.0, False),
        ((1, 1, 2, 2), 2, 1.0, True),  # all four tied: a quarter each
        ((1, 1, 4, 4), 2, 0.1, False),
        ((2, 2, 4, 6), 2, 5.0, False),
        ((1, 2, 6, 6), 3, 1e3, True),  # large beta with ties: the tied maxima share equally
        ((1, 1, 5, 7), 2, 2.0, False),  # the windows do not tile: the last row and column get nothing
        ((2, 3, 6, 4), 2, 1e3, False),  # large beta: close to max pooling, and exp(beta x) overflows
    ]:
        x = rng.integers(0, 3, size=shape).astype(float) if ties else rng.normal(size=shape)
        cases.append((rng.normal(size=shape[:2] + (shape[2] // k, shape[3] // k)), x, k, beta))
    return cases


def _rmsnorm_reference(dy, z, gamma, eps):
    """``dL/dz = (g - zhat mean(g zhat)) / r`` along the last axis, ``zhat = z / r``, ``g = gamma dy``."""
    z, dy = np.asarray(z, dtype=float), np.asarray(dy, dtype=float)
    r = np.sqrt(np.mean(z * z, axis=-1, keepdims=True) + eps)
    zhat, g = z / r, gamma * dy
    return (g - zhat * np.mean(g * zhat, axis=-1, keepdims=True)) / r


def _rmsnorm_cases(rng: np.random.Generator) -> list[Case]:
    """1-D to 3-D, m = 1, a zero row (r = sqrt(eps)), another eps, a large scale."""
    cases: list[Case] = []
    for shape, eps in [
        ((1,), 1e-6),
        ((5,), 1e-6),
        ((3, 1), 1e-6),
        ((4, 7), 1e-6),
        ((2, 3, 5), 1e-5),
        ((3, 4), 0.1),
        ((6, 8), 1e-6),
    ]:
        z = rng.normal(size=shape) * (100.0 if shape == (6, 8) else 1.0)
        if shape == (4, 7):
            z[2] = 0.0
        cases.append((rng.normal(size=shape), z, rng.normal(size=shape[-1]), eps))
    return cases


def _batchnorm_eval_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [(np.array([[1.0]]), np.array([2.0]), np.array([0.0]), 1e-5)]
    for n, d, eps in [(1, 3, 1e-5), (4, 2, 1e-5), (6, 4, 1e-3), (8, 5, 1e-5), (3, 6, 0.5)]:
        cases.append((rng.normal(size=(n, d)), rng.normal(size=d), rng.uniform(0.0, 3.0, size=d), eps))
    return cases


def _groupnorm_reference(dy, x, gamma, groups, eps):
    """``(dx, dgamma, dbeta)`` of group norm: ``layernorm_forward``/``_backward`` on ``(N, G, C/G * H * W)``, then the per-channel scale."""
    n, c, h, w = np.shape(x)
    d = c // groups * h * w
    xhat, cache = layernorm_forward(np.reshape(x, (n, groups, d)), np.ones(d), np.zeros(d), eps)
    xhat = xhat.reshape(n, c, h, w)
    g = (dy * gamma[None, :, None, None]).reshape(n, groups, d)
    dx = layernorm_backward(g, cache)[0].reshape(n, c, h, w)
    return dx, (dy * xhat).sum(axis=(0, 2, 3)), dy.sum(axis=(0, 2, 3))


def _groupnorm_cases(rng: np.random.Generator) -> list[Case]:
    """G = 1 (layer norm of the whole map), G = C (instance norm), one value per group (xhat = 0), N > 1, H != W."""
    cases: list[Case] = []
    for shape, groups, eps in [
        ((1, 1, 1, 2), 1, 1e-5),
        ((1, 2, 1, 1), 2, 1e-5),
        ((2, 4, 2, 2), 2, 1e-5),
        ((1, 6, 3, 2), 3, 1e-5),
        ((2, 3, 3, 3), 1, 1e-5),
        ((3, 4, 2, 5), 4, 1e-3),
        ((2, 6, 4, 4), 2, 1e-5),
    ]:
        c = shape[1]
        cases.append((rng.normal(size=shape), rng.normal(size=shape) * 2 + 1, rng.normal(size=c), groups, eps))
    return cases


register(
    Exercise(
        id="convlayer-ex-receptive",
        chapter=CONV,
        title="The receptive field of a stack",
        name="receptive_field",
        signature="receptive_field(kernels, strides) -> side of the input window that one output pixel of the stack depends on",
        reference=_receptive_field_reference,
        cases=_receptive_field_cases,
    ),
    Exercise(
        id="convlayer-ex-depthwise",
        chapter=CONV,
        title="Depthwise convolution",
        name="depthwise_grads",
        signature="depthwise_grads(dy, x, w, stride, padding) -> (dx, dw) for y[n, c] = w[c, 0] correlated with x[n, c]; x (N, C, H, W), w (C, 1, KH, KW)",
        reference=_depthwise_reference,
        cases=_depthwise_cases,
        outputs=("dx", "dw"),
    ),
    Exercise(
        id="pool-ex-avg-grad",
        chapter=POOL,
        title="Average-pooling backward from the definition",
        name="avgpool_grad",
        signature="avgpool_grad(dy, x_shape, kernel_size, stride=None) -> dL/dx, shape x_shape (N, C, H, W)",
        reference=_avgpool_grad_reference,
        cases=_avgpool_grad_cases,
    ),
    Exercise(
        id="pool-ex-lse",
        chapter=POOL,
        title="A smooth maximum",
        name="lse_pool_grad",
        signature="lse_pool_grad(dy, x, kernel_size, beta) -> dL/dx, shaped like x, for y = log(sum exp(beta x)) / beta over disjoint windows",
        reference=_lse_pool_reference,
        cases=_lse_pool_cases,
    ),
    Exercise(
        id="norm-ex-rmsnorm",
        chapter=NORM,
        title="RMSNorm",
        name="rmsnorm_grad",
        signature="rmsnorm_grad(dy, z, gamma, eps) -> dL/dz, shaped like z, for y = gamma * z / sqrt(mean(z^2) + eps) along the last axis",
        reference=_rmsnorm_reference,
        cases=_rmsnorm_cases,
    ),
    Exercise(
        id="norm-ex-eval",
        chapter=NORM,
        title="Evaluation mode",
        name="batchnorm_eval_grad",
        signature="batchnorm_eval_grad(dy, gamma, v_run, eps=1e-5) -> dL/dx (N, D) of batch norm with fixed running statistics",
        reference=lambda dy, gamma, v_run, eps: dy * gamma / np.sqrt(v_run + eps),
        cases=_batchnorm_eval_cases,
    ),
    Exercise(
        id="norm-ex-groupnorm",
        chapter=NORM,
        title="Group normalization",
        name="groupnorm_grad",
        signature="groupnorm_grad(dy, x, gamma, groups, eps=1e-5) -> (dx, dgamma, dbeta); x (N, C, H, W), gamma (C,)",
        reference=_groupnorm_reference,
        cases=_groupnorm_cases,
        outputs=("dx", "dgamma", "dbeta"),
    ),
)


def _score_grad_reference(G, P, V):
    """``dL/dS = P * (G V^T - rowsum(G V^T * P))`` for ``O = P V``, ``P`` the row-wise softmax of ``S``."""
    dP = G @ np.swapaxes(V, -1, -2)
    return P * (dP - np.sum(dP * P, axis=-1, keepdims=True))


def _score_grad_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    for lq, lk, dv, lead, masked in [
        (1, 1, 1, (), False),
        (2, 3, 1, (), False),
        (3, 3, 2, (), True),
        (4, 6, 3, (), True),
        (5, 4, 4, (), False),
        (3, 5, 2, (2,), True),
        (6, 6, 3, (2, 2), True),
    ]:
        P = softmax(rng.normal(size=lead + (lq, lk)) * 2, axis=-1)
        if masked:  # a causal mask: some weights are exactly 0, and the first row has a single key
            P = np.where(np.tril(np.ones((lq, lk), dtype=bool)), P, 0.0)
            P /= P.sum(axis=-1, keepdims=True)
        cases.append((rng.normal(size=lead + (lq, dv)), P, rng.normal(size=lead + (lk, dv))))
    return cases


def _multihead_reference(G, X, Wq, Wk, Wv, Wo, heads):
    """``(dL/dX, dL/dW_O)`` of multi-head self-attention with output projection, from the library's layers."""
    L = X.shape[0]
    zeros = lambda W: np.zeros(np.shape(W)[0])
    (Q, cq), (K, ck), (V, cv) = (linear_forward(X, W, zeros(W)) for W in (Wq, Wk, Wv))
    split = lambda A: A.reshape(L, heads, -1).transpose(1, 0, 2)
    O, ca = attention_forward(split(Q), split(K), split(V))
    concat = O.transpose(1, 0, 2).reshape(L, -1)
    _, co = linear_forward(concat, Wo, zeros(Wo))
    dconcat, dWo, _ = linear_backward(G, co)
    dQ, dK, dV = attention_backward(split(dconcat), ca)
    merge = lambda A: A.transpose(1, 0, 2).reshape(L, -1)
    dX = linear_backward(merge(dQ), cq)[0] + linear_backward(merge(dK), ck)[0] + linear_backward(merge(dV), cv)[0]
    return dX, dWo


def _multihead_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    for L, m, heads, dh in [(1, 1, 1, 1), (2, 3, 1, 2), (3, 4, 2, 2), (5, 6, 3, 2), (4, 4, 4, 1), (7, 8, 2, 4)]:
        Wq, Wk, Wv = (rng.normal(size=(heads * dh, m)) for _ in range(3))
        Wo = rng.normal(size=(m, heads * dh))
        cases.append((rng.normal(size=(L, m)), rng.normal(size=(L, m)), Wq, Wk, Wv, Wo, heads))
    return cases


def _adamw_first_step_reference(W, grad, lr, lam):
    """One ``torch.optim.AdamW(lr, weight_decay=lam)`` step from fresh state: the decay, then ``mlmath.optim.Adam``."""
    W_new = np.array(W, dtype=float, copy=True) * (1 - lr * lam)
    Adam(lr).step([W_new], [np.asarray(grad, dtype=float)])
    return W_new


def _adamw_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [(np.array([1.0]), np.array([2.0]), 0.1, 0.5)]
    for shape, lr, lam in [
        ((3, 4), 0.01, 0.0),
        ((3, 4), 0.0, 0.1),
        ((5,), 0.1, 0.01),
        ((2, 3, 2), 1e-3, 1.0),
        ((4, 4), 0.5, 0.2),
    ]:
        g = rng.normal(size=shape) * 10.0 ** rng.integers(-6, 3, size=shape)
        g.flat[0] = 0.0  # a zero gradient entry: only the decay acts
        cases.append((rng.normal(size=shape), g, lr, lam))
    return cases


def _elastic_prox_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array([2.0]), 1.0, 0.5, 0.0),  # lam2 = 0: soft thresholding
        (np.array([-1.0, -0.5, 0.0, 0.5, 1.0]), 1.0, 0.0, 1.0),  # lam1 = 0: shrinkage by 1 / (1 + t lam2)
        (np.array([-1.0, -0.5, 0.0, 0.5, 1.0]), 0.5, 1.0, 2.0),
        (rng.normal(size=(3, 4)), 0.1, 2.0, 3.0),
        (rng.normal(size=(2, 3, 2)) * 3, 1.0, 0.7, 0.2),
        (rng.normal(size=(4, 5)), 0.0, 1.0, 1.0),  # t = 0: the identity
    ]


def _dropout_expected_loss_reference(w, x, t, p):
    """``E[(t - sum_i w_i x_i m_i / (1 - p))^2]`` by enumerating all ``2^d`` masks ``m`` with their probabilities."""
    d = len(w)
    masks = (np.arange(2**d)[:, None] >> np.arange(d)) & 1
    probs = np.prod(np.where(masks == 1, 1 - p, p), axis=1)
    predictions = masks @ (np.asarray(w, dtype=float) * np.asarray(x, dtype=float)) / (1 - p)
    return float(probs @ (t - predictions) ** 2)


def _dropout_expected_loss_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [(np.array([2.0]), np.array([1.5]), 1.0, 0.0)]
    for d, t, p in [(2, 0.0, 0.5), (3, 1.0, 0.5), (5, -2.0, 0.2), (8, 0.5, 0.9), (10, 3.0, 0.1)]:
        cases.append((rng.normal(size=d), rng.normal(size=d), t, p))
    return cases


register(
    Exercise(
        id="attn-ex-scores",
        chapter=ATTN,
        title="The gradient of the scores",
        name="attention_score_grad",
        signature="attention_score_grad(G, P, V) -> dL/dS (..., Lq, Lk) for O = P V, P = softmax(S) row by row, G = dL/dO",
        reference=_score_grad_reference,
        cases=_score_grad_cases,
    ),
    Exercise(
        id="attn-ex-multihead",
        chapter=ATTN,
        title="Multi-head attention",
        name="multihead_grads",
        signature="multihead_grads(G, X, Wq, Wk, Wv, Wo, heads) -> (dL/dX (L, m), dL/dW_O (m, h dh)) for multi-head self-attention",
        reference=_multihead_reference,
        cases=_multihead_cases,
        outputs=("dX", "dWo"),
    ),
    Exercise(
        id="reg-ex-adamw",
        chapter=REG,
        title="The first step of AdamW",
        name="adamw_first_step",
        signature="adamw_first_step(W, grad, lr, lam) -> the weights after one AdamW step from fresh state (betas 0.9, 0.999, eps 1e-8)",
        reference=_adamw_first_step_reference,
        cases=_adamw_cases,
    ),
    Exercise(
        id="reg-ex-elastic",
        chapter=REG,
        title="The proximal step of the elastic net",
        name="elastic_net_prox",
        signature="elastic_net_prox(w, t, lam1, lam2) -> argmin_v |v - w|^2 / 2 + t (lam1 |v|_1 + lam2 |v|^2 / 2), shaped like w",
        reference=lambda w, t, lam1, lam2: l1_prox(w, t * lam1) / (1 + t * lam2),
        cases=_elastic_prox_cases,
    ),
    Exercise(
        id="reg-ex-dropout-linear",
        chapter=REG,
        title="Dropout as a penalty",
        name="dropout_expected_loss",
        signature="dropout_expected_loss(w, x, t, p) -> E[(t - w . (x * m / (1 - p)))^2] over the dropout mask m",
        reference=_dropout_expected_loss_reference,
        cases=_dropout_expected_loss_cases,
    ),
)


def _avgpool_net_reference(x, t, W1, b1, W2, b2):
    """``(loss, dW1, db1, dW2, db2)`` of conv 3x3 (padding 1) -> ReLU -> avgpool 2 -> linear -> cross-entropy."""
    z, c_conv = conv2d_forward(x, W1, b1, padding=1)
    a, c_relu = relu_forward(z)
    p, c_pool = avgpool2d_forward(a, 2)
    s, c_lin = linear_forward(p.reshape(len(x), -1), W2, b2)
    loss, s_bar = softmax_cross_entropy(s, t)
    h_bar, dW2, db2 = linear_backward(s_bar, c_lin)
    _, dW1, db1 = conv2d_backward(relu_backward(avgpool2d_backward(h_bar.reshape(p.shape), c_pool), c_relu), c_conv)
    return loss, dW1, db1, dW2, db2


def _avgpool_net_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    for n, c, f, h, w, k in [
        (1, 1, 1, 2, 2, 2),
        (2, 1, 2, 2, 4, 3),
        (3, 1, 4, 4, 4, 5),
        (4, 2, 3, 6, 4, 10),
        (8, 1, 8, 8, 8, 10),
    ]:
        W1, b1 = rng.normal(size=(f, c, 3, 3)), rng.normal(size=f) * 0.1
        W2, b2 = rng.normal(size=(k, f * (h // 2) * (w // 2))) * 0.3, rng.normal(size=k)
        cases.append((rng.normal(size=(n, c, h, w)), rng.integers(0, k, size=n), W1, b1, W2, b2))
    return cases


def _param_count_reference(n_filters, kernel_size, image_size, pool_size, n_classes):
    """Parameters of conv (1 input channel, padding k // 2) -> ReLU -> maxpool -> linear, from the layers' shapes."""
    z, _ = conv2d_forward(
        np.zeros((1, 1, image_size, image_size)),
        np.zeros((n_filters, 1, kernel_size, kernel_size)),
        np.zeros(n_filters),
        padding=kernel_size // 2,
    )
    p, _ = maxpool2d_forward(z, pool_size)
    return float(n_filters * kernel_size**2 + n_filters + n_classes * p.size + n_classes)


def _param_count_cases(rng: np.random.Generator) -> list[Case]:
    return [(1, 1, 1, 1, 1), (8, 3, 8, 2, 10), (4, 3, 9, 3, 5), (2, 3, 7, 2, 3), (16, 5, 28, 2, 10), (32, 7, 32, 4, 100)]


def _two_conv_reference(x, t, W1, b1, W2, b2, W3, b3):
    """``(loss, dW1, dW2, dW3)`` of conv 3x3 -> ReLU -> conv 3x3 -> ReLU -> maxpool 2 -> linear -> cross-entropy (padding 1)."""
    z1, c1 = conv2d_forward(x, W1, b1, padding=1)
    a1, r1 = relu_forward(z1)
    p, c_block = conv_relu_pool_forward(a1, W2, b2, stride=1, padding=1, pool_size=2)
    s, c_lin = linear_forward(p.reshape(len(x), -1), W3, b3)
    loss, s_bar = softmax_cross_entropy(s, t)
    h_bar, dW3, _ = linear_backward(s_bar, c_lin)
    da1, dW2, _ = conv_relu_pool_backward(h_bar.reshape(p.shape), c_block)
    _, dW1, _ = conv2d_backward(relu_backward(da1, r1), c1)
    return loss, dW1, dW2, dW3


def _two_conv_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    for n, c, f1, f2, h, k in [
        (1, 1, 1, 1, 2, 2),
        (2, 1, 2, 2, 4, 3),
        (3, 2, 3, 2, 4, 4),
        (4, 1, 4, 3, 6, 5),
        (8, 1, 4, 6, 8, 10),
    ]:
        W1, W2 = rng.normal(size=(f1, c, 3, 3)) * 0.5, rng.normal(size=(f2, f1, 3, 3)) * 0.5
        W3 = rng.normal(size=(k, f2 * (h // 2) ** 2)) * 0.3
        cases.append(
            (
                rng.normal(size=(n, c, h, h)),
                rng.integers(0, k, size=n),
                W1,
                rng.normal(size=f1) * 0.1,
                W2,
                rng.normal(size=f2) * 0.1,
                W3,
                rng.normal(size=k),
            )
        )
    return cases


register(
    Exercise(
        id="cnn-ex-avgpool",
        chapter=CNN,
        title="Average pooling instead",
        name="avgpool_net_grads",
        signature="avgpool_net_grads(x, t, W1, b1, W2, b2) -> (loss, dW1, db1, dW2, db2) of conv 3x3 (padding 1) -> ReLU -> avgpool 2 -> linear -> cross-entropy",
        reference=_avgpool_net_reference,
        cases=_avgpool_net_cases,
        outputs=("loss", "dW1", "db1", "dW2", "db2"),
    ),
    Exercise(
        id="cnn-ex-params",
        chapter=CNN,
        title="Counting parameters",
        name="cnn_param_count",
        signature="cnn_param_count(n_filters, kernel_size, image_size, pool_size, n_classes) -> number of parameters of the chapter's network",
        reference=_param_count_reference,
        cases=_param_count_cases,
    ),
    Exercise(
        id="cnn-ex-two-conv",
        chapter=CNN,
        title="A second convolution",
        name="two_conv_grads",
        signature="two_conv_grads(x, t, W1, b1, W2, b2, W3, b3) -> (loss, dW1, dW2, dW3) of conv -> ReLU -> conv -> ReLU -> maxpool 2 -> linear -> cross-entropy",
        reference=_two_conv_reference,
        cases=_two_conv_cases,
        outputs=("loss", "dW1", "dW2", "dW3"),
    ),
)


def _attention_scale_reference():
    """The factor that gives ``q^T k`` unit variance when the entries have variances ``s_q^2`` and ``s_k^2``."""
    import sympy as sp

    d, s_q, s_k = sp.symbols("d s_q s_k")
    return 1 / (sp.sqrt(d) * s_q * s_k)


register(
    Exercise(
        id="attn-ex-scale-general",
        chapter=ATTN,
        title="The scale for other variances",
        name="attn_scale",
        signature="attn_scale: a formula in d, s_q, s_k (SymPy expression or string), the factor that gives the scores variance 1",
        reference=_attention_scale_reference,
        cases=None,
        symbols=("d", "s_q", "s_k"),
        domain=(0.1, 4.0),
    ),
)


# --- normalization and the small CNN: a constant row, a silent start --------------------------


def _constant_row_reference():
    """``dL/dz_i`` of layer norm at a constant row ``z = c 1``: ``(g_i - mean(g)) / sqrt(eps)``."""
    import sympy as sp

    g, gbar, eps = sp.symbols("g gbar eps", real=True)
    return (g - gbar) / sp.sqrt(eps)


register(
    Exercise(
        id="norm-ex-constant",
        chapter=NORM,
        title="A constant input",
        name="const_row_grad",
        signature="const_row_grad: dL/dz_i of layer norm at a constant row, a formula in g (= g_i), gbar and eps",
        reference=_constant_row_reference,
        cases=None,
        symbols=("g", "gbar", "eps"),
        domain=(0.01, 2.0),  # eps > 0
    ),
    Exercise(
        id="cnn-ex-zero-init",
        chapter=CNN,
        title="A silent start",
        name="silent_loss",
        signature="silent_loss: the cross-entropy loss of the network with W2 = 0, b2 = 0 (a number)",
        reference=lambda: float(np.log(10.0)),
        cases=None,
    ),
)
