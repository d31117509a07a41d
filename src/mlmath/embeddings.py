"""Word embeddings and contrastive learning: losses with their gradients.

Derived in the chapters *Word embeddings* (skip-gram with negative sampling,
GloVe) and *Contrastive learning* (InfoNCE). Every loss returns its value
and its gradients in the denominator layout (each shaped like its argument).

- :func:`sgns_loss`: ``mean_n [-log sigmoid(u_n . v_n) - sum_k log sigmoid(-u_nk . v_n)]``;
  with ``s = u . v`` and ``s_k = u_k . v``, ``dv = (sigmoid(s) - 1) u + sum_k sigmoid(s_k) u_k``,
  ``du = (sigmoid(s) - 1) v``, ``du_k = sigmoid(s_k) v`` (each divided by ``N``).
- :func:`glove_loss`: ``sum_{X_ij > 0} f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2``,
  ``f(x) = min(1, (x / x_max)^alpha)``; with ``E = 2 f(X) * residual`` (zero where
  ``X = 0``), ``dW = E W~``, ``dW~ = E^T W``, ``db = E 1``, ``db~ = E^T 1``.
- :func:`info_nce`: the mean cross-entropy of the logits ``za zb^T / tau``
  with target ``i`` for row ``i``; with ``S = softmax(logits)`` row-wise,
  ``dza = (S - I) zb / (N tau)`` and ``dzb = (S - I)^T za / (N tau)``.

Helpers for the chapters: :func:`log_sigmoid` (stable), :func:`unigram_noise`,
:func:`skipgram_pairs`, :func:`cooccurrence`, :func:`cosine_neighbours`,
:func:`analogy`.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, check_int, check_nonempty, check_scalar
from .layers.softmax import log_softmax

__all__ = [
    "log_sigmoid",
    "sgns_loss",
    "glove_weight",
    "glove_loss",
    "info_nce",
    "unigram_noise",
    "skipgram_pairs",
    "cooccurrence",
    "cosine_neighbours",
    "analogy",
]


def log_sigmoid(x) -> np.ndarray:
    """``log sigmoid(x) = -log(1 + e^{-x}) = -logaddexp(0, -x)``, finite for every finite ``x``."""
    x = as_float_array(x, "x")
    return -np.logaddexp(0.0, -x)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """``exp(log sigmoid(x))``: never overflows, exact 0/1 limits."""
    return np.exp(-np.logaddexp(0.0, -x))


def sgns_loss(v, u, u_neg):
    """Skip-gram with negative sampling: ``(loss, dv, du, du_neg)``.

    ``v (N, d)`` are the centre-word vectors, ``u (N, d)`` the vectors of the
    observed context words and ``u_neg (N, K, d)`` those of ``K`` negative
    (noise) words per pair. With ``s_n = u_n . v_n`` and ``s_nk = u_nk . v_n``,

    ``loss = (1/N) sum_n [-log sigmoid(s_n) - sum_k log sigmoid(-s_nk)]``,

    ``dv = ((sigmoid(s) - 1) u + sum_k sigmoid(s_k) u_k) / N``,
    ``du = (sigmoid(s) - 1) v / N``, ``du_neg = sigmoid(s_k) v / N``,
    each shaped like its argument. ``log sigmoid`` is evaluated through
    ``logaddexp``, so large scores neither overflow nor lose the loss.
    """
    v = as_float_array(v, "v", ndim=2)
    u = as_float_array(u, "u", ndim=2)
    u_neg = as_float_array(u_neg, "u_neg", ndim=3)
    check_nonempty(v, "v")
    if u.shape != v.shape:
        raise ValueError(f"u must have the shape of v, (N, d) = {v.shape}, got {u.shape}")
    n, d = v.shape
    if u_neg.shape[0] != n or u_neg.shape[2] != d:
        raise ValueError(f"u_neg must have shape (N, K, d) = ({n}, K, {d}), got {u_neg.shape}")
    s = np.sum(u * v, axis=1)  # (N,)
    s_neg = np.einsum("nkd,nd->nk", u_neg, v)  # (N, K)
    loss = (np.sum(np.logaddexp(0.0, -s)) + np.sum(np.logaddexp(0.0, s_neg))) / n
    c_pos = (_sigmoid(s) - 1.0) / n  # d loss / d s
    c_neg = _sigmoid(s_neg) / n  # d loss / d s_k
    dv = c_pos[:, None] * u + np.einsum("nk,nkd->nd", c_neg, u_neg)
    du = c_pos[:, None] * v
    du_neg = c_neg[:, :, None] * v[:, None, :]
    dtype = np.result_type(v, u, u_neg)
    return dtype.type(loss), dv.astype(dtype, copy=False), du.astype(dtype, copy=False), du_neg.astype(dtype, copy=False)


def glove_weight(X, x_max=100.0, alpha=0.75) -> np.ndarray:
    """GloVe's weighting ``f(x) = min(1, (x / x_max)^alpha)`` entrywise (``f(0) = 0``)."""
    X = as_float_array(X, "X")
    x_max = check_scalar(x_max, "x_max", low=0.0, low_open=True)
    alpha = check_scalar(alpha, "alpha", low=0.0, low_open=True)
    if np.any(X < 0):
        raise ValueError(f"X must be non-negative (co-occurrence counts), got minimum {X.min()}")
    return np.minimum(1.0, (X / x_max) ** alpha)


def glove_loss(W, W_ctx, b, b_ctx, X, x_max=100.0, alpha=0.75):
    """GloVe's weighted least squares: ``(loss, (dW, dW_ctx, db, db_ctx))``.

    ``W (V, d)`` word vectors, ``W_ctx (C, d)`` context vectors, ``b (V,)``,
    ``b_ctx (C,)`` biases, ``X (V, C)`` non-negative co-occurrence counts:

    ``loss = sum_{i, j: X_ij > 0} f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2``,
    ``f(x) = min(1, (x / x_max)^alpha)`` (no factor 1/2, no mean).

    With ``E_ij = 2 f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)`` on the
    support of ``X`` and ``0`` elsewhere: ``dW = E W_ctx``, ``dW_ctx = E^T W``,
    ``db = E 1``, ``db_ctx = E^T 1``.
    """
    W = as_float_array(W, "W", ndim=2)
    W_ctx = as_float_array(W_ctx, "W_ctx", ndim=2)
    b = as_float_array(b, "b", ndim=1)
    b_ctx = as_float_array(b_ctx, "b_ctx", ndim=1)
    X = as_float_array(X, "X", ndim=2)
    check_nonempty(W, "W")
    check_nonempty(W_ctx, "W_ctx")
    (v, d), (c, d_ctx) = W.shape, W_ctx.shape
    if d_ctx != d:
        raise ValueError(f"W_ctx must have shape (C, d) with d = {d} (the columns of W), got {W_ctx.shape}")
    if X.shape != (v, c):
        raise ValueError(f"X must have shape (V, C) = {(v, c)} (rows of W, rows of W_ctx), got {X.shape}")
    if b.shape != (v,):
        raise ValueError(f"b must have shape (V,) = ({v},), got {b.shape}")
    if b_ctx.shape != (c,):
        raise ValueError(f"b_ctx must have shape (C,) = ({c},), got {b_ctx.shape}")
    f = glove_weight(X, x_max, alpha)
    mask = X > 0
    log_x = np.log(np.where(mask, X, 1.0))
    resid = np.where(mask, W @ W_ctx.T + b[:, None] + b_ctx[None, :] - log_x, 0.0)
    loss = np.sum(f * resid**2)
    E = 2.0 * f * resid
    dtype = np.result_type(W, W_ctx, b, b_ctx, X)
    grads = (E @ W_ctx, E.T @ W, E.sum(axis=1), E.sum(axis=0))
    return dtype.type(loss), tuple(g.astype(dtype, copy=False) for g in grads)


def info_nce(za, zb, temperature):
    """InfoNCE: ``(loss, dza, dzb)`` for ``N`` positive pairs ``(za[i], zb[i])``.

    ``za, zb (N, d)``; logits ``L = za zb^T / temperature`` (no
    normalisation of the rows inside: normalise before calling for the
    cosine version); ``loss = (1/N) sum_i [logsumexp_j L_ij - L_ii]``, the
    mean cross-entropy with target ``i`` for row ``i`` (one direction, ``a``
    to ``b``). With ``S = softmax(L)`` row-wise,
    ``dza = (S - I) zb / (N temperature)``, ``dzb = (S - I)^T za / (N temperature)``.
    ``temperature`` must be ``> 0``.
    """
    za = as_float_array(za, "za", ndim=2)
    zb = as_float_array(zb, "zb", ndim=2)
    check_nonempty(za, "za")
    if zb.shape != za.shape:
        raise ValueError(f"zb must have the shape of za, (N, d) = {za.shape}, got {zb.shape}")
    tau = check_scalar(temperature, "temperature", low=0.0, low_open=True)
    n = za.shape[0]
    logits = za @ zb.T / tau
    log_p = log_softmax(logits, axis=1)
    loss = -np.mean(np.diag(log_p))
    G = np.exp(log_p)
    G[np.diag_indices(n)] -= 1.0
    G /= n * tau
    dtype = np.result_type(za, zb)
    return dtype.type(loss), (G @ zb).astype(dtype, copy=False), (G.T @ za).astype(dtype, copy=False)


# --- corpus helpers --------------------------------------------------------------------------


def unigram_noise(counts, power=0.75) -> np.ndarray:
    """The negative-sampling distribution ``P_n(w) = c_w^power / sum_u c_u^power`` (shape of ``counts``)."""
    counts = as_float_array(counts, "counts", ndim=1)
    check_nonempty(counts, "counts")
    if np.any(counts < 0) or counts.sum() <= 0:
        raise ValueError("counts must be non-negative with a positive sum")
    power = check_scalar(power, "power", low=0.0)
    w = np.where(counts > 0, np.where(counts > 0, counts, 1.0) ** power, 0.0)  # a word never seen is never drawn
    return w / w.sum()


def _sentences(sentences, vocab_size: int) -> list[np.ndarray]:
    out = []
    for k, sent in enumerate(sentences):
        a = np.asarray(sent)
        if a.ndim != 1 or (a.size and not np.issubdtype(a.dtype, np.integer)):
            raise ValueError(f"sentences must be 1-D arrays of word indices; sentence {k} has shape {a.shape}, dtype {a.dtype}")
        if a.size and (a.min() < 0 or a.max() >= vocab_size):
            raise ValueError(f"sentences must hold indices in 0..{vocab_size - 1}; sentence {k} has {a.min()}..{a.max()}")
        out.append(a.astype(np.intp))
    return out


def skipgram_pairs(sentences, window: int, vocab_size: int):
    """All ``(centre, context)`` index pairs at distance ``1..window`` within each sentence.

    ``sentences`` is a list of integer arrays (word indices). Returns two
    integer arrays ``(centres, contexts)`` of equal length.
    """
    window = check_int(window, "window", minimum=1)
    vocab_size = check_int(vocab_size, "vocab_size", minimum=1)
    centres, contexts = [], []
    for a in _sentences(sentences, vocab_size):
        for off in range(1, window + 1):
            if a.size > off:
                centres += [a[:-off], a[off:]]
                contexts += [a[off:], a[:-off]]
    if not centres:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    return np.concatenate(centres), np.concatenate(contexts)


def cooccurrence(sentences, window: int, vocab_size: int, harmonic: bool = True) -> np.ndarray:
    """Symmetric co-occurrence counts ``X (V, V)`` within ``window`` words.

    A pair at distance ``k`` adds ``1/k`` (``harmonic=True``, as GloVe does)
    or ``1``, in both directions.
    """
    window = check_int(window, "window", minimum=1)
    vocab_size = check_int(vocab_size, "vocab_size", minimum=1)
    X = np.zeros((vocab_size, vocab_size))
    for a in _sentences(sentences, vocab_size):
        for off in range(1, min(window, a.size - 1) + 1):
            w = 1.0 / off if harmonic else 1.0
            np.add.at(X, (a[:-off], a[off:]), w)
            np.add.at(X, (a[off:], a[:-off]), w)
    return X


def _unit_rows(E: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(E, axis=1, keepdims=True)
    return E / np.where(norms > 0, norms, 1.0)


def cosine_neighbours(E, query, k: int = 5, exclude=()) -> np.ndarray:
    """Indices of the ``k`` rows of ``E (V, d)`` most cosine-similar to ``query``.

    ``query`` is a row index or a vector ``(d,)``; indices in ``exclude`` (and
    the query row itself, for an index) are skipped. Most similar first.
    """
    E = as_float_array(E, "E", ndim=2)
    k = check_int(k, "k", minimum=1)
    if np.ndim(query) == 0:
        q_idx = check_int(query, "query", minimum=0)
        if q_idx >= E.shape[0]:
            raise ValueError(f"query must be a row index in 0..{E.shape[0] - 1}, got {q_idx}")
        q, exclude = E[q_idx], tuple(exclude) + (q_idx,)
    else:
        q = as_float_array(query, "query", ndim=1)
        if q.shape != (E.shape[1],):
            raise ValueError(f"query must be an index or a vector of shape ({E.shape[1]},), got {q.shape}")
    sims = _unit_rows(E) @ (q / max(np.linalg.norm(q), np.finfo(float).tiny))
    sims[list(exclude)] = -np.inf
    return np.argsort(-sims, kind="stable")[:k]


def analogy(E, a: int, b: int, c: int) -> int:
    """The word ``x`` solving ``a : b :: c : x``: the row most cosine-similar to ``e_b - e_a + e_c``.

    Rows are normalised first (the usual "3CosAdd" rule) and ``a, b, c`` are excluded.
    """
    E = as_float_array(E, "E", ndim=2)
    U = _unit_rows(E)
    for name, i in (("a", a), ("b", b), ("c", c)):
        i = check_int(i, name, minimum=0)
        if i >= E.shape[0]:
            raise ValueError(f"{name} must be a row index in 0..{E.shape[0] - 1}, got {i}")
    return int(cosine_neighbours(U, U[b] - U[a] + U[c], k=1, exclude=(a, b, c))[0])
