"""Coding exercises of the part *Foundations* (matrix calculus, backpropagation)."""

from __future__ import annotations

import numpy as np

from ..gradcheck import numerical_gradient
from ..layers import sigmoid_backward, sigmoid_forward, tanh_backward, tanh_forward
from ..signals import conv2d
from ._checker import Case, Exercise, register

# --- matrix calculus -------------------------------------------------------------------------


class _SmoothScalar:
    """A fixed smooth scalar function of an array: ``f(X) = sum(c * sin(X)) + exp(mean(d * X))``.

    The weights ``c`` and ``d`` depend on the position, so a gradient in the
    wrong order (transposed, Fortran-flattened) is wrong; the ``exp`` term
    couples the entries, so forgetting to restore a perturbed entry is wrong too.
    """

    def __init__(self, shape: tuple[int, ...]) -> None:
        n = int(np.prod(shape, dtype=int))
        self.c = (1.0 + np.arange(n, dtype=float) / max(n, 1)).reshape(shape)
        self.d = np.cos(np.arange(n, dtype=float)).reshape(shape)

    def __call__(self, X) -> float:
        X = np.asarray(X, dtype=float)
        return float(np.sum(self.c * np.sin(X)) + np.exp(np.mean(self.d * X)))

    def __repr__(self) -> str:
        return "f(X) = sum(c * sin(X)) + exp(mean(d * X))"


def _numgrad_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    for shape in [(), (1,), (5,), (4, 3), (2, 2, 3)]:
        cases.append((_SmoothScalar(shape), rng.normal(size=shape)))
    cases.append((_SmoothScalar((3,)), rng.normal(size=3), 1e-3))  # eps must be honoured
    return cases


def _trinv_reference(X, A):
    Xi_T = np.linalg.inv(X).T
    return -Xi_T @ A.T @ Xi_T


def _trinv_cases(rng: np.random.Generator) -> list[Case]:
    theta = 0.7
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    cases: list[Case] = [
        (np.array([[2.0]]), np.array([[3.0]])),
        (np.eye(2), np.array([[1.0, 2.0], [3.0, 4.0]])),
        (rotation, np.array([[1.0, -1.0], [0.5, 2.0]])),
        (np.array([[2.0, 1.0], [0.0, 3.0]]), np.eye(2)),
    ]
    for n in (1, 2, 3, 5):
        cases.append((rng.normal(size=(n, n)) + 2 * np.eye(n), rng.normal(size=(n, n))))
    return cases


def _quadratic_cases(rng: np.random.Generator) -> list[Case]:
    skew = rng.normal(size=(3, 3))
    cases: list[Case] = [
        (np.array([[2.0]]), np.array([3.0])),
        (np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([1.0, -1.0])),
        (skew - skew.T, rng.normal(size=3)),  # only the symmetric part matters: the gradient is 0
    ]
    for n in (2, 4, 6):
        A = rng.normal(size=(n, n))
        cases.append((A, rng.normal(size=n)))
        cases.append(((A + A.T) / 2, rng.normal(size=n)))
    return cases


def _vec_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[2.0]]), np.array([[3.0]])),
        (np.eye(2), np.eye(3)),
        (np.eye(3), np.eye(4)),
        (np.array([[1.0, 2.0, 3.0]]), np.array([[1.0], [-1.0]])),
    ]
    for (p, m), (n, q) in [((2, 3), (4, 2)), ((3, 2), (2, 5)), ((1, 4), (3, 1)), ((4, 4), (2, 3))]:
        cases.append((rng.normal(size=(p, m)), rng.normal(size=(n, q))))
    return cases


def _trace_power_reference(X, k):
    """``k (X^{k-1})^T``, the power by repeated products (no matrix_power)."""
    X = np.asarray(X, dtype=float)
    P = np.eye(X.shape[0])
    for _ in range(int(k) - 1):
        P = P @ X
    return k * P.T


def _trace_power_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[2.0]]), 3),  # d x^3 / dx = 3 x^2 = 12
        (np.array([[1.0, 2.0], [3.0, 4.0]]), 1),  # tr X: the identity
        (np.array([[1.0, 2.0], [0.0, 1.0]]), 2),  # nonsymmetric: the transpose shows
        (np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]), 3),  # nilpotent: X^2 != 0, X^3 = 0
    ]
    for n, k in [(3, 4), (4, 2), (5, 5)]:
        cases.append((rng.normal(size=(n, n)), k))
    return cases


def _gauss_cov_reference(Sigma, x):
    """``-(1/2) S^{-T} + (1/2) S^{-T} x x^T S^{-T}`` through solves."""
    Sigma, x = np.asarray(Sigma, dtype=float), np.asarray(x, dtype=float)
    Si_T = np.linalg.solve(Sigma.T, np.eye(Sigma.shape[0]))
    v = np.linalg.solve(Sigma.T, x)
    return -0.5 * Si_T + 0.5 * np.outer(v, v)


def _gauss_cov_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[2.0]]), np.array([1.0])),  # -1/4 + 1/8
        (np.eye(2), np.zeros(2)),  # x = 0: only the log det term
        (np.eye(3), np.array([1.0, 0.0, 0.0])),  # x on an axis with unit variance: that entry is 0
        (np.array([[2.0, 0.9], [0.9, 1.0]]), np.array([1.0, -1.0])),
    ]
    for d in (2, 4, 6):
        A = rng.normal(size=(d, d))
        cases.append((A @ A.T + 0.5 * np.eye(d), rng.normal(size=d)))
    return cases


# --- backpropagation on graphs ---------------------------------------------------------------


def _fanout_reference(a, b):
    return np.array([b, a + 2 * b], dtype=float)


def _fanout_cases(rng: np.random.Generator) -> list[Case]:
    fixed = [(0.0, 0.0), (1.5, -2.0), (1.0, 0.0), (0.0, 1.0), (-3.0, 0.25)]
    return fixed + [(float(a), float(b)) for a, b in rng.normal(size=(3, 2)) * 3]


def _sigmoid_vjp_reference(x, g):
    return sigmoid_backward(g, sigmoid_forward(x)[1])


def _sigmoid_vjp_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([0.0]), np.array([1.0])),
        (np.array([-800.0, -30.0, 0.0, 30.0, 800.0]), np.ones(5)),
        (np.array([-700.0, 700.0, -5.0, 5.0]), np.array([2.0, -3.0, 0.5, 1.0])),
    ]
    for shape in [(5,), (3, 4), (2, 3, 2)]:
        cases.append((rng.normal(size=shape) * 4, rng.normal(size=shape)))
    return cases


def _red_node_sizes_reference(m, k):
    return np.array([m * k * m, k * m, m * m])


def _red_node_sizes_cases(rng: np.random.Generator) -> list[Case]:
    return [(1, 1), (3, 4), (4, 3), (2, 1), (1, 5), (1000, 1000), (int(rng.integers(2, 50)), int(rng.integers(2, 50)))]


def _residual_reference(W, h):
    """``1 + W^T (1 - tanh(W h)^2)``: the identity path plus the path through ``tanh(W h)``."""
    _, cache = tanh_forward(W @ h)
    return 1.0 + W.T @ tanh_backward(np.ones(W.shape[0]), cache)


def _residual_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[0.5]]), np.array([2.0])),
        (np.zeros((3, 3)), rng.normal(size=3)),  # no residual branch: dL/dh = 1
        (50 * rng.normal(size=(3, 3)), rng.normal(size=3)),  # saturated tanh
        (np.array([[1.0, 2.0], [-1.0, 0.0]]), np.array([0.5, -0.25])),
    ]
    for n in (1, 4, 7):
        cases.append((rng.normal(size=(n, n)), rng.normal(size=n)))
    return cases


def _scalar_graph_reference(a, b, c):
    """``(df/da, df/db, df/dc)`` for ``f = (a b + c) exp(a)``."""
    q = np.exp(a)
    return np.array([b * q + (a * b + c) * q, a * q, q], dtype=float)


def _scalar_graph_cases(rng: np.random.Generator) -> list[Case]:
    fixed = [(0.0, 0.0, 0.0), (1.0, 2.0, 3.0), (0.5, -1.0, 2.0), (-2.0, 0.0, 1.0), (-700.0, 3.0, 1.0), (2.0, -1.0, -1.0)]
    return fixed + [tuple(float(v) for v in row) for row in rng.normal(size=(3, 3)) * 2]


def _mlp_input_grad_reference(W1, W2, x):
    """``W1^T ((1 - h1^2) * W2^T (1 - h2^2))`` with ``h1 = tanh(W1 x)``, ``h2 = tanh(W2 h1)``, via mlmath.layers."""
    h1, c1 = tanh_forward(W1 @ x)
    h2, c2 = tanh_forward(W2 @ h1)
    return W1.T @ tanh_backward(W2.T @ tanh_backward(np.ones_like(h2), c2), c1)


def _mlp_input_grad_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[0.5]]), np.array([[2.0]]), np.array([1.0])),
        (np.zeros((3, 2)), rng.normal(size=(2, 3)), rng.normal(size=2)),  # a dead first layer: the gradient is 0
        (np.eye(2), np.eye(2), np.zeros(2)),  # at 0 both tanh' are 1: the gradient is W1^T W2^T 1
        (40 * rng.normal(size=(3, 3)), rng.normal(size=(2, 3)), rng.normal(size=3)),  # saturated first layer
    ]
    for n, k, m in [(3, 4, 2), (5, 2, 3), (1, 6, 1), (6, 6, 6)]:
        cases.append((rng.normal(size=(k, n)), rng.normal(size=(m, k)), rng.normal(size=n)))
    return cases


MATCALC = "chapters/foundations/matrix_calculus"
BACKPROP = "chapters/foundations/backprop_graphs"

register(
    Exercise(
        id="matcalc-ex-numgrad",
        chapter=MATCALC,
        title="A finite-difference gradient for arrays of any shape",
        name="my_numerical_gradient",
        signature="my_numerical_gradient(f, X, eps=1e-6) -> central-difference gradient of the scalar f at X, shaped like X",
        reference=numerical_gradient,
        cases=_numgrad_cases,
    ),
    Exercise(
        id="matcalc-ex-trinv",
        chapter=MATCALC,
        title="The trace of an inverse",
        name="trinv_grad",
        signature="trinv_grad(X, A) -> d tr(X^{-1} A) / dX, shape (n, n)",
        reference=_trinv_reference,
        cases=_trinv_cases,
    ),
    Exercise(
        id="matcalc-ex-quadratic",
        chapter=MATCALC,
        title="A symmetric-looking shortcut",
        name="quadratic_grad",
        signature="quadratic_grad(A, x) -> d (x^T A x) / dx for any square A, shape (n,)",
        reference=lambda A, x: (A + A.T) @ x,
        cases=_quadratic_cases,
    ),
    Exercise(
        id="matcalc-ex-vec",
        chapter=MATCALC,
        title="Matrix-by-matrix through vec",
        name="vec_jacobian",
        signature="vec_jacobian(A, B) -> d vec(AXB) / d vec(X) in the denominator layout, shape (m n, p q)",
        reference=lambda A, B: np.kron(B, A.T),
        cases=_vec_cases,
    ),
    Exercise(
        id="matcalc-ex-trace-power",
        chapter=MATCALC,
        title="Powers inside a trace",
        name="trace_power_grad",
        signature="trace_power_grad(X, k) -> d tr(X^k) / dX for k >= 1, shape (n, n)",
        reference=_trace_power_reference,
        cases=_trace_power_cases,
    ),
    Exercise(
        id="matcalc-ex-gauss-cov",
        chapter=MATCALC,
        title="The covariance gradient of a Gaussian log-likelihood",
        name="gauss_cov_grad",
        signature="gauss_cov_grad(Sigma, x) -> d/dSigma of -(1/2) log det Sigma - (1/2) x^T Sigma^{-1} x, shape (d, d)",
        reference=_gauss_cov_reference,
        cases=_gauss_cov_cases,
    ),
    Exercise(
        id="backprop-ex-fanout",
        chapter=BACKPROP,
        title="A node with two outputs",
        name="fanout_grad",
        signature="fanout_grad(a, b) -> array (df/da, df/db) for f = (a + b) b",
        reference=_fanout_reference,
        cases=_fanout_cases,
    ),
    Exercise(
        id="backprop-ex-sigmoid-vjp",
        chapter=BACKPROP,
        title="The vector-Jacobian product of a sigmoid node",
        name="sigmoid_vjp",
        signature="sigmoid_vjp(x, g) -> g * sigmoid'(x) entrywise, shaped like x",
        reference=_sigmoid_vjp_reference,
        cases=_sigmoid_vjp_cases,
    ),
    Exercise(
        id="backprop-ex-sizes",
        chapter=BACKPROP,
        title="How big are the red nodes?",
        name="red_node_sizes",
        signature="red_node_sizes(m, k) -> array of the entry counts of (dz/dW, dz/dv, dz/db) for z = Wv + b, W (m, k)",
        reference=_red_node_sizes_reference,
        cases=_red_node_sizes_cases,
    ),
    Exercise(
        id="backprop-ex-scalar-graph",
        chapter=BACKPROP,
        title="A scalar graph by hand",
        name="scalar_graph_grad",
        signature="scalar_graph_grad(a, b, c) -> array (df/da, df/db, df/dc) for f = (a b + c) exp(a)",
        reference=_scalar_graph_reference,
        cases=_scalar_graph_cases,
    ),
    Exercise(
        id="backprop-ex-two-layer",
        chapter=BACKPROP,
        title="Backward through two layers",
        name="mlp_input_grad",
        signature="mlp_input_grad(W1, W2, x) -> dL/dx for L = sum(tanh(W2 tanh(W1 x))), shape (n,)",
        reference=_mlp_input_grad_reference,
        cases=_mlp_input_grad_cases,
    ),
    Exercise(
        id="backprop-ex-residual",
        chapter=BACKPROP,
        title="A residual connection",
        name="residual_grad",
        signature="residual_grad(W, h) -> dL/dh for L = sum(h + tanh(W h)), shape (n,)",
        reference=_residual_reference,
        cases=_residual_cases,
    ),
)


# --- notation and layouts --------------------------------------------------------------------


def _matrix_cases(rng: np.random.Generator, pairs) -> list[Case]:
    return [tuple(rng.normal(size=s) for s in shapes) for shapes in pairs]


def _linear_map_cases(rng: np.random.Generator) -> list[Case]:
    return [(np.array([[2.0]]),), (np.arange(6.0).reshape(2, 3),)] + _matrix_cases(
        rng, [((3, 5),), ((5, 3),), ((4, 4),), ((1, 6),)]
    )


def _chain_cases(rng: np.random.Generator) -> list[Case]:
    # u = A x (A is k x n), y = B u (B is m x k)
    return [(np.array([[3.0]]), np.array([[-1.0]]))] + _matrix_cases(
        rng, [((2, 3), (4, 2)), ((3, 1), (2, 3)), ((1, 4), (3, 1)), ((5, 5), (5, 5)), ((4, 2), (1, 4))]
    )


def _trace_cases(rng: np.random.Generator) -> list[Case]:
    # L = tr(A X B) with X of shape (p, q): A is (r, p), B is (q, r)
    return [(np.array([[2.0]]), np.array([[0.5]]))] + _matrix_cases(
        rng, [((2, 3), (4, 2)), ((3, 3), (3, 3)), ((1, 2), (5, 1)), ((4, 1), (1, 4))]
    )


def _bilinear_cases(rng: np.random.Generator) -> list[Case]:
    # L = a^T W b with a (m,), b (n,): m != n shows a transposed answer by its shape
    return [(np.array([2.0]), np.array([3.0])), (np.array([1.0, 0.0]), np.array([0.0, 1.0, 2.0]))] + _matrix_cases(
        rng, [((3,), (5,)), ((5,), (3,)), ((4,), (4,)), ((1,), (6,))]
    )


def _transpose_product(A, B):
    """``A^T B^T``: both dy/dx for y = B A x and d tr(A X B)/dX in the denominator layout."""
    return np.asarray(A, dtype=float).T @ np.asarray(B, dtype=float).T


register(
    Exercise(
        id="notation-ex-linear-map",
        chapter="chapters/foundations/notation",
        title="The derivative of a linear map",
        name="linear_map_derivative",
        signature="linear_map_derivative(W) -> du/dv for u = W v, denominator layout (n x m for W of shape m x n)",
        reference=lambda W: np.asarray(W, dtype=float).T,
        cases=_linear_map_cases,
    ),
    Exercise(
        id="notation-ex-chain",
        chapter="chapters/foundations/notation",
        title="The chain rule in the denominator layout",
        name="chain_derivative",
        signature="chain_derivative(A, B) -> dy/dx for u = A x, y = B u, denominator layout",
        reference=_transpose_product,
        cases=_chain_cases,
    ),
    Exercise(
        id="notation-ex-bilinear",
        chapter="chapters/foundations/notation",
        title="A bilinear form",
        name="bilinear_grad",
        signature="bilinear_grad(a, b) -> dL/dW for L = a^T W b, shaped like W (m x n for a of length m, b of length n)",
        reference=lambda a, b: np.outer(np.asarray(a, dtype=float), np.asarray(b, dtype=float)),
        cases=_bilinear_cases,
    ),
    Exercise(
        id="notation-ex-trace",
        chapter="chapters/foundations/notation",
        title="A trace gradient",
        name="trace_grad",
        signature="trace_grad(A, B) -> dL/dX for L = tr(A X B), shaped like X",
        reference=_transpose_product,
        cases=_trace_cases,
    ),
)


def _correlate_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([2.0]), np.array([3.0])),  # one entry each: the product
        (np.array([1.0, 2.0, -1.0]), np.array([3.0, 1.0, 2.0, 0.5])),  # the example of the chapter
        (np.array([0.0, 1.0]), np.array([1.0, 0.0, 0.0])),  # a shifted impulse: the reversal shows
        (np.array([1.0, -1.0, 2.0, 0.5, 3.0]), np.array([2.0, 1.0])),  # kernel longer than the signal
    ]
    for M, N in [(4, 9), (6, 6), (7, 3)]:
        cases.append((rng.normal(size=M), rng.normal(size=N)))
    return cases


def _conv2_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[2.0]]), np.array([[3.0]])),
        (np.array([[1.0, 2.0]]), np.array([[1.0], [-1.0]])),  # a row times a column: an outer product
        (np.eye(2), np.array([[0.0, 1.0], [0.0, 0.0]])),  # a shifted impulse
    ]
    for sa, sb in [((4, 5), (3, 2)), ((2, 3), (4, 4)), ((3, 1), (1, 3)), ((5, 4), (2, 3))]:
        cases.append((rng.normal(size=sa), rng.normal(size=sb)))
    return cases


def _hadamard_reference(A, B, x):
    """``A^T diag(B x) + B^T diag(A x)``: the denominator layout of d((A x) * (B x)) / dx."""
    A, B, x = (np.asarray(a, dtype=float) for a in (A, B, x))
    return A.T @ np.diag(B @ x) + B.T @ np.diag(A @ x)


def _hadamard_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[2.0]]), np.array([[3.0]]), np.array([1.5])),  # y = 6 x^2: dy/dx = 12 x
        (np.eye(2), np.eye(2), np.array([1.0, -2.0])),  # y = x * x: diag(2 x)
        (np.array([[1.0, 2.0, 3.0]]), np.array([[0.0, 1.0, 0.0]]), np.array([1.0, 1.0, 1.0])),  # m = 1
        (rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), np.zeros(2)),  # x = 0: the derivative is 0
    ]
    for m, n in [(2, 3), (4, 2), (5, 5)]:
        cases.append((rng.normal(size=(m, n)), rng.normal(size=(m, n)), rng.normal(size=n)))
    return cases


register(
    Exercise(
        id="notation-ex-correlate",
        chapter="chapters/foundations/notation",
        title="Correlation through convolution",
        name="correlate_full",
        signature="correlate_full(h, x) -> (h ⋆ x)[n] for n = -(M-1), ..., N-1, shape (M + N - 1,)",
        reference=lambda h, x: np.correlate(np.asarray(x, dtype=float), np.asarray(h, dtype=float), "full"),
        cases=_correlate_cases,
    ),
    Exercise(
        id="notation-ex-one-based",
        chapter="chapters/foundations/notation",
        title="A formula that counts from 1",
        name="conv2_one_based",
        signature="conv2_one_based(A, B) -> the full 2-D convolution C, shape (mA + mB - 1, nA + nB - 1)",
        reference=lambda A, B: conv2d(A, B, "full"),
        cases=_conv2_cases,
    ),
    Exercise(
        id="notation-ex-hadamard",
        chapter="chapters/foundations/notation",
        title="From a numerator-layout formula to ours",
        name="hadamard_derivative",
        signature="hadamard_derivative(A, B, x) -> dy/dx for y = (A x) * (B x) entrywise, denominator layout, shape (n, m)",
        reference=_hadamard_reference,
        cases=_hadamard_cases,
    ),
)
