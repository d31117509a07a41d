"""Coding exercises of the part *Gradients of network layers*."""

from __future__ import annotations

import numpy as np

from ..layers import (
    attention_backward,
    attention_forward,
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
    sigmoid_forward,
    softmax,
    softmax_jacobian,
    softplus_forward,
)
from ..optim import SGD
from ._checker import Case, Exercise, register


def _soft_target_cases(rng: np.random.Generator) -> list[Case]:
    cases = [(np.array([0.0]), np.array([1.0])), (np.array([1.0, 2.0]), np.array([0.5, 0.5]))]
    for k in (3, 5, 10):
        cases.append((rng.normal(size=k) * 3, softmax(rng.normal(size=k))))
    cases.append((np.array([1000.0, -1000.0, 0.0]), np.array([0.1, 0.1, 0.8])))
    return cases


def _hessian_cases(rng: np.random.Generator) -> list[Case]:
    return [(np.array([0.0]),), (np.array([1.0, -1.0]),), (rng.normal(size=4),), (rng.normal(size=7) * 5,), (np.array([500.0, 0.0, -500.0]),)]


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
    cases: list[Case] = [(np.array([[2.0]]), np.array([3.0])), (np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), np.array([1.0, -1.0]))]
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
    for shape, lr, lam in [((3, 4), 0.1, 0.0), ((3, 4), 0.0, 0.05), ((3, 4), 0.1, 0.05), ((2, 3, 2), 0.01, 1.0), ((5,), 1.0, 0.2), ((4, 4), 0.5, 3.0)]:
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
    return [(rng.normal(size=x_shape[:2] + (1, 1)), x_shape) for x_shape in [(1, 1, 1, 1), (1, 1, 2, 2), (1, 2, 3, 1), (2, 3, 5, 5), (3, 2, 4, 7), (1, 4, 6, 3), (2, 1, 8, 8)]]


def _layernorm_reference(dy, x, gamma, eps):
    _, cache = layernorm_forward(x, gamma, np.zeros_like(gamma), eps)
    return layernorm_backward(dy, cache)


def _layernorm_cases(rng: np.random.Generator) -> list[Case]:
    """1-D, 2-D, 3-D and 4-D x, D = 1 (where xhat = 0), a constant row, another eps."""
    cases: list[Case] = []
    for shape, eps in [((1,), 1e-5), ((6,), 1e-5), ((5, 1), 1e-5), ((4, 6), 1e-5), ((2, 3, 6), 1e-5), ((3, 4), 1e-3), ((2, 2, 2, 3), 1e-5), ((3, 8), 1e-5)]:
        x = rng.normal(size=shape) * (10.0 if shape == (3, 8) else 1.0)
        if shape == (4, 6):
            x[1] = 2.5  # a constant row: xhat = 0 there
        cases.append((rng.normal(size=shape), x, rng.normal(size=shape[-1]), eps))
    return cases


def _spatial_batchnorm_reference(x, gamma, beta, dy):
    """``(y, dx, dgamma, dbeta)`` of batch norm over ``(N, H, W)``: ``batchnorm_forward``/``_backward`` on an ``(NHW, C)`` matrix."""
    n, c, h, w = np.shape(x)
    to_mat = lambda a: np.transpose(a, (0, 2, 3, 1)).reshape(-1, c)  # noqa: E731
    from_mat = lambda a: a.reshape(n, h, w, c).transpose(0, 3, 1, 2)  # noqa: E731
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
    zeros = lambda W: np.zeros(np.shape(W)[0])  # noqa: E731
    (Q, cq), (K, ck), (V, cv) = (linear_forward(X, W, zeros(W)) for W in (Wq, Wk, Wv))
    dQ, dK, dV = attention_backward(G, attention_forward(Q, K, V, mask)[1])
    dX_q, dWq, _ = linear_backward(dQ, cq)
    dX_k = linear_backward(dK, ck)[0]
    dX_v = linear_backward(dV, cv)[0]
    return dX_q + dX_k + dX_v, dWq


def _self_attention_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    for L, m, d, dv, causal in [(1, 1, 1, 1, False), (2, 3, 2, 1, False), (3, 2, 4, 2, True), (6, 5, 4, 4, True), (5, 4, 3, 6, False), (8, 3, 2, 5, True)]:
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
