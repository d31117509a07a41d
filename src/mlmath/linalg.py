"""Linear algebra the book leans on: the pseudo-inverse, least squares, low-rank
approximation and equality-constrained quadratic programs.

Everything goes through the singular value decomposition (SVD)
``A = U diag(s) V^T`` of a real ``m x n`` matrix (``s`` descending) or through
the KKT system of a constrained quadratic::

    pinv(A)             A^+ = V diag(1/s_i if s_i > rcond * s_1 else 0) U^T        (n x m)
    lstsq_min_norm(A,b) x^+ = A^+ b, the least-squares solution of least norm       (n,)
    low_rank_approx(A,k) A_k = U_k diag(s_1..s_k) V_k^T, the best rank-k approximation
                        in the Frobenius and the spectral norm (Eckart-Young);
                        ||A - A_k||_F = sqrt(s_{k+1}^2 + ... ), ||A - A_k||_2 = s_{k+1}
    equality_qp(Q,c,A,b) min x^T Q x / 2 + c^T x  s.t.  A x = b,  from
                        [[Q, A^T], [A, 0]] [x; lam] = [-c; b]

The multipliers of :func:`equality_qp` belong to the Lagrangian
``f(x) + lam^T (A x - b)``, so that ``Q x + c + A^T lam = 0`` at the solution
and ``lam = -d f(x*) / d b`` (the sensitivity of the optimal value).
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, check_int, check_scalar

__all__ = ["pinv", "lstsq_min_norm", "low_rank_approx", "equality_qp"]


def _matrix(A, name: str) -> np.ndarray:
    """``A`` as a finite 2-D float array."""
    return as_float_array(A, name, ndim=2)


def pinv(A, rcond: float = 1e-15) -> np.ndarray:
    """The Moore-Penrose pseudo-inverse ``A^+`` of ``A`` through the SVD.

    ``A`` has shape ``(m, n)`` or a stack ``(..., m, n)``; the result has shape
    ``(n, m)`` (``(..., n, m)``). With the thin SVD ``A = U diag(s) V^T``,

        A^+ = V diag(s^+) U^T,   s_i^+ = 1 / s_i  if  s_i > rcond * s_1,  else 0,

    the same cut-off as ``numpy.linalg.pinv(A, rcond)``, whose result this
    equals. ``A^+`` satisfies the four Penrose conditions ``A A^+ A = A``,
    ``A^+ A A^+ = A^+``, ``(A A^+)^T = A A^+``, ``(A^+ A)^T = A^+ A``; if ``A``
    has full column rank, ``A^+ = (A^T A)^{-1} A^T``.
    """
    A = as_float_array(A, "A", min_ndim=2)
    rcond = check_scalar(rcond, "rcond", low=0.0)
    m, n = A.shape[-2:]
    if m == 0 or n == 0:
        return np.zeros(A.shape[:-2] + (n, m), dtype=A.dtype)
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    keep = s > rcond * s[..., :1]
    s_plus = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0).astype(A.dtype, copy=False)
    return np.swapaxes(Vt, -1, -2) @ (s_plus[..., :, None] * np.swapaxes(U, -1, -2))


def lstsq_min_norm(A, b, rcond: float = 1e-15) -> np.ndarray:
    """The least-squares solution of least norm, ``x^+ = A^+ b``.

    ``A`` is ``(m, n)``, ``b`` is ``(m,)`` or ``(m, k)`` (``k`` right-hand
    sides); the result is ``(n,)`` or ``(n, k)``. Among all minimisers of
    ``||A x - b||``, ``x^+`` is the one of smallest Euclidean norm: it lies in
    the row space of ``A``. For a consistent underdetermined system (``m < n``,
    full row rank) it is ``A^T (A A^T)^{-1} b``; for full column rank it is the
    solution of the normal equations ``A^T A x = A^T b``. Equals
    ``numpy.linalg.lstsq(A, b, rcond)[0]``.
    """
    A = _matrix(A, "A")
    b = as_float_array(b, "b", ndim=(1, 2))
    if b.shape[0] != A.shape[0]:
        raise ValueError(f"b must have as many rows as A has ({A.shape[0]}), got shape {b.shape}")
    return pinv(A, rcond) @ b


def low_rank_approx(A, k: int) -> np.ndarray:
    """The best rank-``k`` approximation ``A_k`` of ``A`` (truncated SVD).

    ``A`` is ``(m, n)``, ``0 <= k <= min(m, n)``; the result has the shape of
    ``A``. With ``A = sum_i s_i u_i v_i^T``, ``A_k = sum_{i <= k} s_i u_i v_i^T``.
    By the Eckart-Young(-Mirsky) theorem it minimises ``||A - B||`` over all
    ``B`` of rank at most ``k``, in the Frobenius norm (error
    ``sqrt(sum_{i > k} s_i^2)``) and in the spectral norm (error ``s_{k+1}``).
    It is unique when ``s_k > s_{k+1}``.
    """
    A = _matrix(A, "A")
    r = min(A.shape)
    k = check_int(k, "k", minimum=0)
    if k > r:
        raise ValueError(f"k must be at most min(A.shape) = {r}, got {k}")
    if k == 0:
        return np.zeros_like(A)
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return (U[:, :k] * s[:k]) @ Vt[:k]


def equality_qp(Q, c, A, b) -> tuple[np.ndarray, np.ndarray]:
    """Minimise ``x^T Q x / 2 + c^T x`` subject to ``A x = b`` through the KKT system.

    ``Q`` is ``(n, n)`` symmetric, ``c`` is ``(n,)``, ``A`` is ``(m, n)`` with
    full row rank ``m`` (``m = 0`` is allowed: no constraint), ``b`` is
    ``(m,)``. Returns ``(x, lam)`` of shapes ``(n,)`` and ``(m,)`` solving

        [ Q  A^T ] [ x   ]   [ -c ]
        [ A   0  ] [ lam ] = [  b ],

    i.e. the stationarity of the Lagrangian ``f(x) + lam^T (A x - b)``,
    ``Q x + c + A^T lam = 0``, together with feasibility ``A x = b``. The
    solution is the unique minimiser exactly when ``Q`` is positive definite on
    the null space of ``A`` (``Z^T Q Z`` positive definite for a basis ``Z`` of
    ``null(A)``); otherwise the function is unbounded below on the constraint
    set or its minimiser is not unique, and a ``ValueError`` says so.
    """
    Q = _matrix(Q, "Q")
    n = Q.shape[0]
    if Q.shape != (n, n):
        raise ValueError(f"Q must be square, got shape {Q.shape}")
    scale = max(1.0, float(np.max(np.abs(Q)))) if Q.size else 1.0
    if not np.allclose(Q, Q.T, rtol=0.0, atol=1e-10 * scale):
        raise ValueError(f"Q must be symmetric, got max |Q - Q^T| = {np.max(np.abs(Q - Q.T))!r}")
    Q = (Q + Q.T) / 2
    c = as_float_array(c, "c", ndim=1)
    if c.shape != (n,):
        raise ValueError(f"c must have shape ({n},) to match Q of shape {Q.shape}, got {c.shape}")
    A = as_float_array(A, "A", ndim=2)
    if A.shape[1] != n:
        raise ValueError(f"A must have {n} columns to match Q of shape {Q.shape}, got shape {A.shape}")
    m = A.shape[0]
    b = as_float_array(b, "b", ndim=1)
    if b.shape != (m,):
        raise ValueError(f"b must have shape ({m},) to match A of shape {A.shape}, got {b.shape}")
    if n == 0:
        raise ValueError("Q must not be empty, got shape (0, 0)")
    # Full row rank of A and positive definiteness of Q on null(A), from one SVD of A.
    _, s, Vt = np.linalg.svd(A, full_matrices=True)
    tol = max(A.shape) * np.finfo(float).eps * (s[0] if s.size else 0.0)
    rank = int(np.sum(s > tol))
    if rank < m:
        raise ValueError(f"A must have full row rank {m}, got rank {rank} (redundant or contradictory constraints)")
    Z = Vt[m:].T
    if Z.shape[1]:
        reduced = np.linalg.eigvalsh(Z.T @ Q @ Z)
        if reduced[0] <= 1e-12 * max(1.0, float(np.max(np.abs(reduced)))):
            raise ValueError(
                "Q must be positive definite on the null space of A (else there is no unique minimiser), "
                f"got smallest reduced eigenvalue {reduced[0]!r}"
            )
    K = np.block([[Q, A.T], [A, np.zeros((m, m))]])
    sol = np.linalg.solve(K, np.concatenate([-c, b]))
    dtype = np.result_type(Q, c, A, b)
    return sol[:n].astype(dtype, copy=False), sol[n:].astype(dtype, copy=False)
