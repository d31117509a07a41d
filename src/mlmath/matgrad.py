"""Backward passes of matrix functions: determinant, log-determinant,
Cholesky factor, symmetric eigendecomposition and thin SVD.

Every function returns ``dLoss/dA`` in the denominator layout (shaped like
``A``) given the upstream gradients of the outputs, and equals PyTorch's
autograd through the corresponding ``torch.linalg`` function for losses that
do not depend on the signs of eigen- or singular vectors. Notation:
``sym(X) = (X + X^T) / 2``; ``F`` is the matrix with zero diagonal and
``F_ij = 1 / (w_j - w_i)`` (eigenvalues) or ``1 / (s_j^2 - s_i^2)``
(singular values) off the diagonal.

* ``det``:      ``d det A = tr(cof(A)^T dA)``, gradient the cofactor matrix
  ``cof(A) = det(A) A^{-T}`` (defined for singular ``A`` too).
* ``log det``:  gradient ``A^{-T}``.
* Cholesky ``A = L L^T``:  ``Abar = sym(L^{-T} Phi(L^T Lbar) L^{-1})``, where
  ``Phi`` keeps the lower triangle and halves the diagonal.
* ``eigh`` ``A = V diag(w) V^T``:  ``Abar = V (diag(wbar) + F o sym-skew) V^T``
  with ``F o (M - M^T) / 2``, ``M = V^T Vbar``.
* thin SVD ``A = U diag(s) V^T``:  see :func:`svd_backward`.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

from ._validate import as_float_array, check_nonempty

__all__ = ["det_grad", "logdet_grad", "cholesky_backward", "eigh_backward", "svd_backward", "phi"]

#: Tolerance for "orthonormal columns" and "lower triangular" checks (relative to the scale).
_ORTHO_TOL = 1e-8


def _square(A, name: str) -> np.ndarray:
    A = as_float_array(A, name, ndim=2)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {A.shape}")
    check_nonempty(A, name)
    return A


def _like(G, name: str, shape: tuple, gname: str) -> np.ndarray:
    G = as_float_array(G, gname)
    if G.shape != shape:
        raise ValueError(f"{gname} must have the shape of {name} {shape}, got {G.shape}")
    return G


def _prod_except(s: np.ndarray) -> np.ndarray:
    """``p_i = prod_{j != i} s_j`` without dividing (so zeros are fine)."""
    left = np.concatenate([[1.0], np.cumprod(s[:-1])])
    right = np.concatenate([np.cumprod(s[::-1][:-1])[::-1], [1.0]])
    return left * right


def det_grad(A) -> np.ndarray:
    """Gradient of ``det A`` with respect to ``A (n, n)``: the cofactor matrix, shape ``(n, n)``.

    Jacobi's formula ``d det A = tr(adj(A) dA)`` gives ``d det A / dA = adj(A)^T = cof(A)``,
    which equals ``det(A) A^{-T}`` when ``A`` is invertible. Computed from the SVD
    ``A = U diag(s) V^T`` as ``det(U) det(V) U diag(prod_{j != i} s_j) V^T``, so it is
    also right for singular ``A`` (where ``det(A) A^{-T}`` is ``0 * inf``): for rank
    ``n - 1`` the cofactor matrix is the non-zero rank-one ``det(U) det(V) (prod of
    the other s) u_n v_n^T``.
    """
    A = _square(A, "A")
    U, s, Vh = np.linalg.svd(A)
    sign = np.linalg.det(U) * np.linalg.det(Vh)  # each +-1
    return (sign * (U * _prod_except(s)) @ Vh).astype(A.dtype, copy=False)


def logdet_grad(A) -> np.ndarray:
    """Gradient of ``log det A`` for ``A (n, n)`` with ``det A > 0``: ``A^{-T}``, shape ``(n, n)``.

    ``d log det A = tr(A^{-1} dA)`` (Jacobi's formula divided by ``det A``).
    ``A`` with ``det A <= 0`` raises ``ValueError`` (``log det`` is not real there;
    ``log |det A|`` has the same gradient).
    """
    A = _square(A, "A")
    sign, _ = np.linalg.slogdet(A)
    if sign <= 0:
        raise ValueError(f"A must have a positive determinant for log det A, got det(A) with sign {sign:+.0f}")
    return np.linalg.solve(A.T, np.eye(A.shape[0], dtype=A.dtype))


def phi(X) -> np.ndarray:
    """``Phi(X)``: the lower triangle of the square matrix ``X`` with its diagonal halved."""
    X = _square(X, "X")
    out = np.tril(X)
    out[np.diag_indices_from(out)] *= 0.5
    return out


def _check_cholesky_factor(L) -> np.ndarray:
    L = _square(L, "L")
    upper = np.abs(np.triu(L, 1)).max(initial=0.0)
    if upper > _ORTHO_TOL * max(np.abs(L).max(), 1.0):
        raise ValueError(f"L must be lower triangular (a Cholesky factor), got an upper-triangle entry of size {upper:.3g}")
    d = np.diag(L)
    if np.any(d <= 0):
        raise ValueError(
            f"L must have a positive diagonal (the Cholesky factor of a positive-definite matrix), got min diagonal entry {d.min():.3g}"
        )
    return np.tril(L)


def cholesky_backward(L, dL) -> np.ndarray:
    """Gradient with respect to ``A`` of a loss of ``L = cholesky(A)``, given ``dL = dLoss/dL``.

    ``A = L L^T`` symmetric positive definite, ``L (n, n)`` lower triangular with a
    positive diagonal, ``dL (n, n)`` (its strictly upper triangle does not matter).
    From ``dA = dL L^T + L dL^T``: ``dL = L Phi(L^{-1} dA L^{-T})``, hence

        ``Abar = sym(L^{-T} Phi(L^T dL) L^{-1})``,   ``sym(X) = (X + X^T) / 2``,

    the symmetric gradient PyTorch returns (``Phi`` keeps the lower triangle and halves
    the diagonal; see :func:`phi`). Two triangular solves, no inverse. Shape ``(n, n)``.
    """
    L = _check_cholesky_factor(L)
    dL = _like(dL, "L", L.shape, "dL")
    P = phi(L.T @ dL)
    Y = solve_triangular(L, P, trans="T", lower=True)  # L^{-T} P
    G = solve_triangular(L, Y.T, trans="T", lower=True).T  # (L^{-T} Y^T)^T = Y L^{-1}
    return 0.5 * (G + G.T)


def _check_orthonormal_columns(Q: np.ndarray, name: str) -> None:
    k = Q.shape[1]
    err = np.abs(Q.T @ Q - np.eye(k)).max(initial=0.0)
    if err > _ORTHO_TOL * max(k, 1) ** 0.5 * 10:
        raise ValueError(f"{name} must have orthonormal columns ({name}^T {name} = I), got max |{name}^T {name} - I| = {err:.3g}")


def eigh_backward(w, V, dw, dV) -> np.ndarray:
    """Gradient with respect to a symmetric ``A = V diag(w) V^T`` of a loss of ``(w, V)``.

    ``w (n,)`` the eigenvalues in ascending order (as ``numpy.linalg.eigh`` and
    ``torch.linalg.eigh`` return them), ``V (n, n)`` orthogonal with the eigenvectors
    as columns, ``dw (n,)`` and ``dV (n, n)`` the upstream gradients (either may be
    ``None``, meaning zero). The matrix ``A`` itself is not needed: the checks are that
    ``V`` is orthogonal and ``w`` ascending, and, when ``dV`` is given, that the
    eigenvalues are distinct. With ``M = V^T dV`` and ``F_ij = 1 / (w_j - w_i)``
    (``i != j``; ``F_ii = 0``),

        ``Abar = V (diag(dw) + F o (M - M^T) / 2) V^T``,

    the symmetric gradient PyTorch returns. Only the skew part of ``M`` enters, so a loss
    that depends on the eigenvector signs gets a gradient that is the gradient of *some*
    sign choice; the result is meaningful only for sign-invariant losses. ``F`` blows up
    as two eigenvalues meet. Shape ``(n, n)``.
    """
    w = as_float_array(w, "w", ndim=1)
    check_nonempty(w, "w")
    V = _square(V, "V")
    n = w.shape[0]
    if V.shape != (n, n):
        raise ValueError(f"V must have shape (n, n) = {(n, n)} for w of length {n}, got {V.shape}")
    _check_orthonormal_columns(V, "V")
    gaps = np.diff(w)
    if np.any(gaps < 0):
        raise ValueError(f"w must be in ascending order (as eigh returns it), got a decrease of {-gaps.min():.3g}")
    inner = np.zeros((n, n), dtype=np.result_type(w, V))
    if dw is not None:
        inner += np.diag(_like(dw, "w", (n,), "dw"))
    if dV is not None:
        dV = _like(dV, "V", (n, n), "dV")
        if np.any(gaps == 0):
            raise ValueError(
                "w must have distinct eigenvalues when dV is given (the eigenvectors of a repeated eigenvalue are not differentiable)"
            )
        E = w[None, :] - w[:, None]  # E_ij = w_j - w_i
        np.fill_diagonal(E, np.inf)
        M = V.T @ dV
        inner += (M - M.T) / (2.0 * E)
    return V @ inner @ V.T


def svd_backward(U, S, Vh, dU, dS, dVh) -> np.ndarray:
    """Gradient with respect to ``A (m, n)`` of a loss of its thin SVD ``A = U diag(S) Vh``.

    ``k = min(m, n)``; ``U (m, k)`` and ``Vh^T (n, k)`` with orthonormal columns, ``S (k,)``
    non-negative and descending; the upstream gradients ``dU (m, k)``, ``dS (k,)``,
    ``dVh (k, n)``, each possibly ``None`` (zero). With ``V = Vh^T``, ``dV = dVh^T``,
    ``F_ij = 1 / (S_j^2 - S_i^2)`` (``i != j``; ``F_ii = 0``),

        ``Abar = U [ (F o (U^T dU - dU^T U)) S + diag(dS) + S (F o (V^T dV - dV^T V)) ] V^T``
        ``       + (I_m - U U^T) dU S^{-1} V^T + U S^{-1} dV^T (I_n - V V^T)``.

    The last two terms are non-zero only for rectangular ``A`` (``m > n`` or ``m < n``).
    If only ``dS`` is given the result is ``U diag(dS) V^T`` (repeated singular values
    are then fine). With ``dU`` or ``dVh`` the singular values must be distinct, and, for
    the rectangular terms, positive: otherwise ``ValueError``. Only meaningful for losses
    invariant under flipping the signs of a pair ``(u_i, v_i)``.
    """
    U = as_float_array(U, "U", ndim=2)
    S = as_float_array(S, "S", ndim=1)
    Vh = as_float_array(Vh, "Vh", ndim=2)
    m, k = U.shape
    n = Vh.shape[1]
    if S.shape != (k,) or Vh.shape[0] != k:
        raise ValueError(f"U (m, k), S (k,) and Vh (k, n) must agree in k, got shapes {U.shape}, {S.shape}, {Vh.shape}")
    if k != min(m, n) or k == 0:
        raise ValueError(f"U, S, Vh must be a thin SVD with k = min(m, n) = {min(m, n)}, got k = {k}")
    _check_orthonormal_columns(U, "U")
    _check_orthonormal_columns(Vh.T, "Vh^T")
    if np.any(S < 0) or np.any(np.diff(S) > 0):
        raise ValueError(f"S must be non-negative and descending (as svd returns it), got {np.array2string(S, precision=3)}")
    inner = np.zeros((k, k), dtype=np.result_type(U, S, Vh))
    if dS is not None:
        inner += np.diag(_like(dS, "S", (k,), "dS"))
    if dU is None and dVh is None:
        return U @ inner @ Vh
    if np.any(np.diff(S) == 0):
        raise ValueError(
            "S must hold distinct singular values when dU or dVh is given (the singular vectors of a repeated value are not differentiable)"
        )
    S2 = S * S
    E = S2[None, :] - S2[:, None]  # E_ij = S_j^2 - S_i^2
    np.fill_diagonal(E, np.inf)
    V = Vh.T
    rectangular = m != n
    if rectangular and np.any(S == 0):
        raise ValueError("S must be positive for a rectangular A when dU or dVh is given (the extra terms divide by S)")
    extra = np.zeros((m, n), dtype=inner.dtype)
    if dU is not None:
        dU = _like(dU, "U", U.shape, "dU")
        UtdU = U.T @ dU
        inner += ((UtdU - UtdU.T) / E) * S[None, :]
        if m > k:
            extra += ((dU - U @ UtdU) / S[None, :]) @ Vh
    if dVh is not None:
        dV = _like(dVh, "Vh", Vh.shape, "dVh").T
        VtdV = V.T @ dV
        inner += S[:, None] * ((VtdV - VtdV.T) / E)
        if n > k:
            extra += U @ ((dV - V @ VtdV) / S[None, :]).T
    return U @ inner @ Vh + extra
