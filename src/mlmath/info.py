"""Entropy, cross-entropy and Kullback-Leibler divergence of discrete distributions.

All three work along the last axis of their arguments (a batch of
distributions ``(..., K)`` gives results of shape ``(...)``), in nats, with
the convention ``0 log 0 = 0``::

    H(p)       = - sum_k p_k log p_k
    H(p, q)    = - sum_k p_k log q_k                 (= +inf if some p_k > 0 has q_k = 0)
    KL(p || q) =   sum_k p_k log(p_k / q_k)          (= +inf if some p_k > 0 has q_k = 0)
               = H(p, q) - H(p)  >=  0,  with equality iff p == q   (Gibbs' inequality)
    JS(p, q)   = 1/2 KL(p || m) + 1/2 KL(q || m),  m = (p + q) / 2,   0 <= JS <= log 2

Inputs must be probability vectors: finite, nonnegative, summing to one
along the last axis up to ``max(1e-6, 4 K eps_dtype)``.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, check_nonempty, check_same_shape, result_dtype

__all__ = ["entropy", "cross_entropy", "kl_divergence", "js_divergence", "mutual_information"]


def _as_distribution(p, name: str) -> np.ndarray:
    """Check that ``p`` holds probability vectors along its last axis."""
    p = as_float_array(p, name, min_ndim=1)
    check_nonempty(p, name)
    if np.any(p < 0):
        raise ValueError(f"{name} must be nonnegative, got a minimum entry of {p.min()!r}")
    sums = np.sum(p, axis=-1, dtype=np.float64)
    k = p.shape[-1]
    tol = max(1e-6, 4 * k * float(np.finfo(p.dtype).eps))
    if np.any(np.abs(sums - 1.0) > tol):
        raise ValueError(
            f"{name} must sum to 1 along the last axis (tolerance {tol:.1e}), got sums between {sums.min()!r} and {sums.max()!r}"
        )
    return p


def _safe_log(x: np.ndarray) -> np.ndarray:
    """``log x`` where ``x > 0`` and ``0`` elsewhere (the masked entries are multiplied by ``p = 0``)."""
    return np.log(np.where(x > 0, x, 1))


def _two_distributions(p, q):
    p, q = _as_distribution(p, "p"), _as_distribution(q, "q")
    check_same_shape(p, q, "p", "q")
    dtype = result_dtype(p, q)
    return p.astype(dtype, copy=False), q.astype(dtype, copy=False)


def entropy(p) -> np.ndarray:
    """Shannon entropy ``H(p) = -sum_k p_k log p_k`` in nats along the last axis.

    ``p`` has shape ``(..., K)``; the result has shape ``(...)`` and lies in
    ``[0, log K]``.
    """
    p = _as_distribution(p, "p")
    return -np.sum(p * _safe_log(p), axis=-1)


def cross_entropy(p, q) -> np.ndarray:
    """Cross-entropy ``H(p, q) = -sum_k p_k log q_k`` in nats along the last axis.

    ``p`` (the true distribution) and ``q`` (the model) have the same shape
    ``(..., K)``; the result has shape ``(...)``. Terms with ``p_k = 0``
    contribute nothing; a ``q_k = 0`` where ``p_k > 0`` makes it ``+inf``.
    """
    p, q = _two_distributions(p, q)
    h = -np.sum(p * _safe_log(q), axis=-1)
    return np.where(np.any((p > 0) & (q == 0), axis=-1), np.inf, h)[()]


def kl_divergence(p, q) -> np.ndarray:
    """Kullback-Leibler divergence ``KL(p || q) = sum_k p_k log(p_k / q_k)`` in nats along the last axis.

    Same shapes as :func:`cross_entropy`. It is ``+inf`` wherever ``p`` is not
    absolutely continuous with respect to ``q`` (some ``p_k > 0`` with
    ``q_k = 0``), and exactly ``0`` when ``p == q``. It is computed term by
    term as ``p_k (log p_k - log q_k)`` (no overflowing ratio ``p_k / q_k``
    for tiny ``q_k``, and no ``H(p, q) - H(p)`` cancellation); round-off can
    still leave it a few ulps below zero.
    """
    p, q = _two_distributions(p, q)
    kl = np.sum(p * (_safe_log(p) - _safe_log(q)), axis=-1)
    return np.where(np.any((p > 0) & (q == 0), axis=-1), np.inf, kl)[()]


def js_divergence(p, q) -> np.ndarray:
    """Jensen-Shannon divergence ``JS(p, q) = 1/2 KL(p || m) + 1/2 KL(q || m)``, ``m = (p + q) / 2``, in nats.

    Same shapes as :func:`kl_divergence` (``(..., K)`` in, ``(...)`` out).
    Unlike the KL divergence it is symmetric and always finite: ``m_k > 0``
    wherever ``p_k > 0`` or ``q_k > 0``, and ``0 <= JS <= log 2``, with
    ``log 2`` exactly when ``p`` and ``q`` have disjoint supports. It equals
    ``H(m) - (H(p) + H(q)) / 2``; it is computed term by term, which keeps
    it exactly ``0`` for ``p == q``.
    """
    p, q = _two_distributions(p, q)
    m = 0.5 * (p + q)
    log_m = _safe_log(m)
    kl_pm = np.sum(p * (_safe_log(p) - log_m), axis=-1)
    kl_qm = np.sum(q * (_safe_log(q) - log_m), axis=-1)
    return (0.5 * (kl_pm + kl_qm))[()]


def mutual_information(pxy) -> float:
    """Mutual information ``I(X; Y)`` in nats of a joint probability table ``pxy (m, n)``.

    ``pxy[i, j] = P(X = x_i, Y = y_j)``: two-dimensional, nonnegative, all
    entries summing to 1. With the marginals ``p(x) = sum_j pxy[:, j]`` and
    ``p(y) = sum_i pxy[i, :]``::

        I(X; Y) = sum_ij pxy_ij log(pxy_ij / (p(x_i) p(y_j)))  =  KL(p(x, y) || p(x) p(y))
                = H(X) + H(Y) - H(X, Y)  =  H(X) - H(X | Y)  >=  0,

    zero exactly when the table is the product of its marginals (X and Y
    independent). Computed term by term with ``0 log 0 = 0`` (always finite:
    ``pxy_ij > 0`` implies ``p(x_i) p(y_j) > 0``) and ``log p(x_i) + log p(y_j)``
    in place of the possibly underflowing product; round-off below zero is
    clipped to 0.
    """
    pxy = as_float_array(pxy, "pxy", ndim=2)
    _as_distribution(pxy.reshape(-1), "pxy")
    pxy = pxy.astype(np.float64)
    log_px, log_py = _safe_log(pxy.sum(axis=1)), _safe_log(pxy.sum(axis=0))
    # log(p(x) p(y)) as a sum of logs: no underflow of the product for tiny entries
    terms = pxy * (_safe_log(pxy) - log_px[:, None] - log_py[None, :])
    return max(float(np.sum(terms)), 0.0)
