"""Coding exercises of the chapters *Word embeddings* and *Contrastive learning*."""

from __future__ import annotations

import numpy as np

from ..embeddings import glove_weight, info_nce, sgns_loss
from ..layers.softmax import softmax
from ._checker import Case, Exercise, register

WE = "chapters/more/word_embeddings"
CL = "chapters/more/contrastive"


def _sgns_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[1.0]]), np.array([[1.0]]), np.array([[[-1.0]]])),
        (np.array([[40.0, 0.0]]), np.array([[40.0, 0.0]]), np.array([[[-40.0, 0.0]]])),  # saturated: gradients ~ 0
        (np.array([[30.0]]), np.array([[-30.0]]), np.array([[[30.0], [1.0]]])),  # badly wrong: large gradients
    ]
    for n, k, d in ((2, 1, 3), (4, 3, 2), (8, 5, 6)):
        cases.append((rng.normal(size=(n, d)), rng.normal(size=(n, d)), rng.normal(size=(n, k, d))))
    return cases


def _sppmi_reference(X, k):
    """``max(log(X_ij N / (X_i. X_.j)) - log k, 0)`` where ``X_ij > 0``, ``0`` elsewhere."""
    X = np.asarray(X, dtype=float)
    rows, cols, total = X.sum(axis=1, keepdims=True), X.sum(axis=0, keepdims=True), X.sum()
    out = np.zeros_like(X)
    pos = X > 0
    pmi = np.log(X * total / (rows * cols), where=pos, out=np.zeros_like(X))
    out[pos] = np.maximum(pmi[pos] - np.log(k), 0.0)
    return out


def _sppmi_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[4.0]]), 1),
        (np.array([[1.0, 0.0], [0.0, 1.0]]), 1),
        (np.array([[1.0, 0.0], [0.0, 1.0]]), 5),
        (np.array([[10.0, 1.0, 0.0], [1.0, 10.0, 1.0], [0.0, 1.0, 10.0]]), 2),
    ]
    for shape, k in (((3, 4), 1), ((5, 5), 3), ((6, 4), 10)):
        X = rng.poisson(3.0, size=shape).astype(float)
        X[0, 0] += 1.0  # never all zero
        cases.append((X, k))
    return cases


def _pair_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[1.0]]), np.array([[1.0]]), 1.0),
        (np.eye(2), np.eye(2), 0.5),
        (np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([[1.0, 0.1], [0.2, 1.0], [-1.0, 1.0]]), 0.1),
    ]
    for n, d, tau in ((2, 3, 1.0), (4, 2, 0.2), (8, 5, 0.07)):
        cases.append((rng.normal(size=(n, d)), rng.normal(size=(n, d)), tau))
    return cases


def _symmetric_reference(za, zb, temperature):
    """``(info_nce(za, zb) + info_nce(zb, za)) / 2`` and its gradients."""
    l1, da1, db1 = info_nce(za, zb, temperature)
    l2, db2, da2 = info_nce(zb, za, temperature)
    return float((l1 + l2) / 2), (da1 + da2) / 2, (db1 + db2) / 2


def _cosine_reference(za, zb, temperature):
    """InfoNCE on unit-normalised rows, with gradients through the normalisation."""
    za, zb = np.asarray(za, dtype=float), np.asarray(zb, dtype=float)
    na, nb = np.linalg.norm(za, axis=1, keepdims=True), np.linalg.norm(zb, axis=1, keepdims=True)
    ua, ub = za / na, zb / nb
    loss, dua, dub = info_nce(ua, ub, temperature)
    dza = (dua - ua * np.sum(dua * ua, axis=1, keepdims=True)) / na
    dzb = (dub - ub * np.sum(dub * ub, axis=1, keepdims=True)) / nb
    return float(loss), dza, dzb


def _pair_optimum_reference(A, B):
    """``min_x A [-log sigma(x)] + B [-log sigma(-x)] = A log(1 + B/A) + B log(1 + A/B)`` for ``A, B > 0``, elementwise."""
    A, B = np.asarray(A, dtype=float), np.asarray(B, dtype=float)
    return A * np.log1p(B / A) + B * np.log1p(A / B)


def _pair_optimum_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array(1.0), np.array(1.0)),  # 2 log 2
        (np.array([3.0, 1.0]), np.array([1.0, 3.0])),  # symmetric in A and B
        (np.array([100.0, 0.1]), np.array([0.1, 100.0])),  # lopsided counts
        (np.array([2.0, 2.0, 2.0]), np.array([0.5, 2.0, 8.0])),
        (np.full(4, 7.0), np.full(4, 7.0)),  # scales linearly: 7 * 2 log 2
    ]
    for shape in [(6,), (3, 4)]:
        cases.append((rng.uniform(0.1, 50.0, size=shape), rng.uniform(0.1, 50.0, size=shape)))
    return cases


def _queue_reference(za, zb, queue, temperature):
    """InfoNCE with the rows of ``queue`` as extra negatives of every row (constants: no gradient)."""
    za, zb, queue = (np.asarray(z, dtype=float) for z in (za, zb, queue))
    n = za.shape[0]
    candidates = np.vstack([zb, queue])
    logits = za @ candidates.T / temperature
    top = logits.max(axis=1, keepdims=True)
    log_p = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    loss = -np.mean(log_p[np.arange(n), np.arange(n)])
    G = np.exp(log_p)
    G[np.arange(n), np.arange(n)] -= 1.0
    G /= n * temperature
    return float(loss), G @ candidates, G[:, :n].T @ za


def _queue_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[1.0]]), np.array([[1.0]]), np.zeros((0, 1)), 1.0),  # no negatives at all: loss 0
        (np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), 0.5),  # one row, one queued negative
        (np.eye(2), np.eye(2), np.zeros((0, 2)), 0.5),  # an empty queue: plain InfoNCE
        (
            np.array([[3.0, 0.0], [0.0, 3.0]]),
            np.array([[3.0, 0.0], [0.0, 3.0]]),
            np.array([[-3.0, 0.0], [3.0, 3.0]]),
            0.01,
        ),  # logits up to 1800
    ]
    for n, m, d, tau in ((2, 3, 3, 1.0), (4, 8, 2, 0.2), (8, 16, 5, 0.07)):
        cases.append((rng.normal(size=(n, d)), rng.normal(size=(n, d)), rng.normal(size=(m, d)), tau))
    return cases


def _tau_limit_reference(zb):
    """``lim tau dL/dZ_a = (1 1^T / N - I) Z_b / N`` as ``tau -> oo``: row ``i`` is ``(mean_j z_b,j - z_b,i) / N``."""
    zb = np.asarray(zb, dtype=float)
    return (zb.mean(axis=0, keepdims=True) - zb) / zb.shape[0]


def _tau_limit_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[1.0]]),),  # N = 1: the only candidate is the positive, no gradient
        (np.eye(2),),
        (np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),),
        (np.ones((4, 3)),),  # equal rows: the limit is 0
    ]
    for n, d in ((4, 3), (8, 5), (16, 2)):
        cases.append((rng.normal(size=(n, d)),))
    return cases


def _gaussian_critic_reference(M, Sigma):
    """``(B, Q) = (M^T Sigma^-1, (Sigma_y^-1 - Sigma^-1) / 2)`` with ``Sigma_y = M M^T + Sigma``: the critic ``x^T B y + y^T Q y``."""
    M, Sigma = np.asarray(M, dtype=float), np.asarray(Sigma, dtype=float)
    Sigma_inv = np.linalg.inv(Sigma)
    return M.T @ Sigma_inv, (np.linalg.inv(M @ M.T + Sigma) - Sigma_inv) / 2


def _gaussian_critic_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[0.8]]), np.array([[0.36]])),  # rho = 0.8: B = rho / (1 - rho^2), Q = -rho^2 / (2 (1 - rho^2))
        (np.zeros((2, 2)), np.eye(2)),  # independent views: B = Q = 0
        (np.array([[0.9, 0.2], [0.0, 0.5]]), np.array([[0.5, 0.1], [0.1, 0.3]])),
        (np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]]), np.diag([0.5, 1.0, 2.0])),  # y in R^3, x in R^2
    ]
    for dy, dx in ((2, 3), (4, 4), (5, 2)):
        A = rng.normal(size=(dy, dy))
        cases.append((rng.normal(size=(dy, dx)), A @ A.T + 0.3 * np.eye(dy)))
    return cases


def _noise_threshold_reference():
    import sympy as sp

    Z1, Z34 = sp.symbols("Z1 Z34", real=True)
    return (Z1 / Z34) ** 4


def _full_softmax_reference(U, v, c):
    """``(U^T (p - e_c), (p - e_c) v^T)`` with ``p = softmax(U v)``: the gradients of ``-log softmax(U v)_c``."""
    U, v = np.asarray(U, dtype=float), np.asarray(v, dtype=float)
    g = softmax(U @ v)
    g[c] -= 1.0
    return U.T @ g, np.outer(g, v)


def _glove_bias_reference(W, W_ctx, b_ctx, X):
    """``b_i = sum_j f_ij (log X_ij - w_i . w~_j - b~_j) / sum_j f_ij`` over ``X_ij > 0``."""
    W, W_ctx, b_ctx, X = (np.asarray(a, dtype=float) for a in (W, W_ctx, b_ctx, X))
    f, pos = glove_weight(X), X > 0
    residual = np.log(np.where(pos, X, 1.0)) - W @ W_ctx.T - b_ctx[None, :]
    return np.sum(np.where(pos, f * residual, 0.0), axis=1) / np.sum(f, axis=1)


def _glove_bias_cases(rng: np.random.Generator) -> list[Case]:
    # (W, W_ctx, b_ctx, X), every row of X with a positive count
    cases: list[Case] = [
        (np.zeros((1, 1)), np.zeros((1, 1)), np.zeros(1), np.array([[np.e]])),  # one count: b = log X
        (np.ones((1, 2)), np.ones((2, 2)), np.array([0.5, -0.5]), np.array([[200.0, 0.0]])),  # f = 1; a zero is skipped
        (np.zeros((2, 1)), np.zeros((3, 1)), np.zeros(3), np.array([[1.0, 100.0, 0.0], [0.0, 5.0, 5.0]])),  # unequal weights
    ]
    for V, C, d in ((3, 4, 2), (6, 5, 3), (10, 12, 4)):
        X = rng.poisson(20.0, size=(V, C)) * (rng.random((V, C)) < 0.6)
        X[np.arange(V), rng.integers(C, size=V)] += 1 + rng.poisson(150.0, size=V)  # a positive count in every row
        cases.append((rng.normal(size=(V, d)), rng.normal(size=(C, d)), rng.normal(size=C), X.astype(float)))
    return cases


def _full_softmax_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[1.0]]), np.array([2.0]), 0),  # one word: p = 1, no gradient
        (np.zeros((3, 2)), np.ones(2), 1),  # equal scores: p uniform
        (np.array([[1000.0], [0.0], [-1000.0]]), np.array([1.0]), 2),  # scores of +-1000: needs a stable softmax
        (np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 3.0], [2.0, 2.0]]), np.array([0.5, -1.0]), 3),
    ]
    for V, d in ((5, 3), (10, 4), (50, 8)):
        cases.append((rng.normal(size=(V, d)), rng.normal(size=d), int(rng.integers(V))))
    return cases


register(
    Exercise(
        id="we-ex-sgns-grad",
        chapter=WE,
        title="The gradients of skip-gram with negative sampling",
        name="sgns_grads",
        signature="sgns_grads(v, u, u_neg) -> (dv, du, du_neg) of the mean SGNS loss, shaped like v (N, d), u (N, d), u_neg (N, K, d)",
        reference=lambda v, u, u_neg: sgns_loss(v, u, u_neg)[1:],
        cases=_sgns_cases,
        outputs=("dv", "du", "du_neg"),
    ),
    Exercise(
        id="we-ex-sppmi",
        chapter=WE,
        title="The shifted positive PMI matrix",
        name="sppmi",
        signature="sppmi(X, k) -> max(PMI(X) - log k, 0) where X > 0 and 0 elsewhere, shaped like X",
        reference=_sppmi_reference,
        cases=_sppmi_cases,
    ),
    Exercise(
        id="cl-ex-symmetric",
        chapter=CL,
        title="The symmetric (two-directional) InfoNCE loss",
        name="symmetric_info_nce",
        signature="symmetric_info_nce(za, zb, temperature) -> (loss, dza, dzb) of (InfoNCE(a->b) + InfoNCE(b->a)) / 2",
        reference=_symmetric_reference,
        cases=_pair_cases,
        outputs=("loss", "dza", "dzb"),
    ),
    Exercise(
        id="cl-ex-cosine",
        chapter=CL,
        title="InfoNCE on normalised embeddings",
        name="cosine_info_nce",
        signature="cosine_info_nce(za, zb, temperature) -> (loss, dza, dzb) with logits cos(za_i, zb_j) / temperature",
        reference=_cosine_reference,
        cases=_pair_cases,
        outputs=("loss", "dza", "dzb"),
    ),
    Exercise(
        id="we-ex-pair-optimum",
        chapter=WE,
        title="The loss at the optimum of one pair",
        name="pair_min_loss",
        signature="pair_min_loss(A, B) -> min over x of A [-log sigma(x)] + B [-log sigma(-x)], elementwise for A, B > 0",
        reference=_pair_optimum_reference,
        cases=_pair_optimum_cases,
    ),
    Exercise(
        id="cl-ex-queue",
        chapter=CL,
        title="InfoNCE with a queue of extra negatives",
        name="queue_info_nce",
        signature="queue_info_nce(za, zb, queue, temperature) -> (loss, dza, dzb); logits [za zb^T, za queue^T] / temperature, target i in row i",
        reference=_queue_reference,
        cases=_queue_cases,
        outputs=("loss", "dza", "dzb"),
    ),
    Exercise(
        id="cl-ex-limits",
        chapter=CL,
        title="The gradient at large temperature",
        name="tau_grad_limit",
        signature="tau_grad_limit(zb) -> the limit of tau dL/dZ_a as tau -> oo, shaped like zb (N, d)",
        reference=_tau_limit_reference,
        cases=_tau_limit_cases,
    ),
    Exercise(
        id="cl-ex-gaussian-critic",
        chapter=CL,
        title="The Gaussian density ratio",
        name="gaussian_critic",
        signature="gaussian_critic(M, Sigma) -> (B, Q), Q symmetric, with log p(y|x)/p(y) = x^T B y + y^T Q y + a function of x, for y = M x + noise",
        reference=_gaussian_critic_reference,
        cases=_gaussian_critic_cases,
        outputs=("B", "Q"),
    ),
    Exercise(
        id="we-ex-noise-power",
        chapter=WE,
        title="Which words does the power 3/4 favour?",
        name="noise_threshold",
        signature="noise_threshold: the count below which p_w > q_w, a formula in Z1 (= sum of counts) and Z34 (= sum of counts^(3/4))",
        reference=_noise_threshold_reference,
        cases=None,
        symbols=("Z1", "Z34"),
        domain=(0.5, 3.0),  # sums of counts: positive
    ),
    Exercise(
        id="we-ex-glove-bias",
        chapter=WE,
        title="The optimal biases",
        name="glove_optimal_bias",
        signature="glove_optimal_bias(W, W_ctx, b_ctx, X) -> b (V,) minimising the GloVe loss for fixed W (V, d), W_ctx (C, d), b_ctx (C,)",
        reference=_glove_bias_reference,
        cases=_glove_bias_cases,
    ),
    Exercise(
        id="we-ex-full-softmax",
        chapter=WE,
        title="The gradients of the full softmax",
        name="full_softmax_grads",
        signature="full_softmax_grads(U, v, c) -> (dv, dU) of -log softmax(U v)_c, shaped like v (d,) and U (V, d)",
        reference=_full_softmax_reference,
        cases=_full_softmax_cases,
        outputs=("dv", "dU"),
    ),
)
