"""Sparse coding: soft thresholding, ISTA / FISTA for the LASSO, dictionary learning.

The LASSO objective (no ``1/n``) is

    ``F(x) = ||A x - y||^2 / 2 + lam ||x||_1``,   ``A (m, n)``, ``y (m,)``, ``lam >= 0``,

whose smooth part has gradient ``A^T (A x - y)``, Lipschitz with constant
``L = ||A||_2^2`` (largest singular value squared). The proximal-gradient step is
``x+ = S_{lam / L}(x - A^T (A x - y) / L)`` with the soft threshold
``S_t(v) = sign(v) max(|v| - t, 0)`` (:func:`mlmath.layers.l1_prox`). ISTA iterates it;
FISTA adds Nesterov's momentum (Beck and Teboulle, 2009):
``F(x_k) - F* <= L ||x_0 - x*||^2 / (2 k)`` for ISTA and
``<= 2 L ||x_0 - x*||^2 / (k + 1)^2`` for FISTA.
scikit-learn's ``Lasso(alpha)`` minimises ``||y - A x||^2 / (2 m) + alpha ||x||_1``:
the same minimiser for ``alpha = lam / m``.

Every solver also accepts a matrix ``Y (m, p)`` of right-hand sides (solved column by
column at once, with the same ``lam``): the sparse-coding step of dictionary learning.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, check_int, check_nonempty, check_scalar
from .layers.regularization import l1_prox

__all__ = [
    "soft_threshold",
    "lasso_objective",
    "lasso_lambda_max",
    "ista",
    "fista",
    "lasso",
    "dictionary_update",
    "dictionary_learning",
]


def soft_threshold(x, t) -> np.ndarray:
    """``S_t(x) = sign(x) max(|x| - t, 0)`` entry by entry, ``t >= 0``; shaped like ``x``.

    The proximal operator of ``t ||.||_1``; the same operation as
    :func:`mlmath.layers.l1_prox` (which it calls).
    """
    x = as_float_array(x, "x")
    return l1_prox(x, t)


def _problem(A, y, lam):
    A = as_float_array(A, "A", ndim=2)
    check_nonempty(A, "A")
    y = as_float_array(y, "y", ndim=(1, 2))
    if y.shape[0] != A.shape[0]:
        raise ValueError(f"y must have A.shape[0] = {A.shape[0]} rows, got shape {y.shape}")
    lam = check_scalar(lam, "lam", low=0.0)
    return A.astype(np.float64), y.astype(np.float64), lam


def _start(x0, A, y, name="x0") -> np.ndarray:
    shape = (A.shape[1],) + y.shape[1:]
    if x0 is None:
        return np.zeros(shape)
    x0 = as_float_array(x0, name).astype(np.float64, copy=True)
    if x0.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {x0.shape}")
    return x0


def lasso_objective(A, y, lam, x) -> float:
    """``||A x - y||^2 / 2 + lam ||x||_1`` (summed over columns for ``y (m, p)``, ``x (n, p)``)."""
    A, y, lam = _problem(A, y, lam)
    x = _start(x, A, y, "x")
    r = A @ x - y
    return float(0.5 * np.sum(r * r) + lam * np.sum(np.abs(x)))


def lasso_lambda_max(A, y) -> float:
    """``||A^T y||_inf``: the smallest ``lam`` for which ``x = 0`` minimises the LASSO."""
    A, y, _ = _problem(A, y, 0.0)
    return float(np.max(np.abs(A.T @ y)))


def _proximal_gradient(A, y, lam, n_iter, x0, accelerate, restart, tol, record):
    """Shared loop of ISTA / FISTA; returns ``(x, objectives, iterations)``."""
    lip = np.linalg.norm(A, 2) ** 2
    x = _start(x0, A, y)
    if lip == 0:  # A = 0: the minimiser is 0
        x[:] = 0.0
        return x, [lasso_objective(A, y, lam, x)] if record else [], 0
    step, thresh = 1.0 / lip, lam / lip
    AtA, Aty = A.T @ A, A.T @ y
    z, t = x.copy(), 1.0
    scale = max(1.0, float(np.max(np.abs(Aty), initial=0.0)))  # ||A^T y||_inf: the size of a gradient
    history = [lasso_objective(A, y, lam, x)] if record else []
    k = 0
    for k in range(1, n_iter + 1):  # noqa: B007 (k, the number of iterations taken, is returned)
        x_new = l1_prox(z - step * (AtA @ z - Aty), thresh)
        if not accelerate:
            z_next = x_new
        else:
            if restart and np.sum((z - x_new) * (x_new - x)) > 0:  # momentum points uphill: reset
                t = 1.0
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            z_next = x_new + ((t - 1.0) / t_new) * (x_new - x)
            t = t_new
        change = np.max(np.abs(z - x_new), initial=0.0)  # the proximal-gradient residual at z
        x, z = x_new, z_next
        if record:
            r = A @ x - y
            history.append(float(0.5 * np.sum(r * r) + lam * np.sum(np.abs(x))))
        if tol > 0 and lip * change <= tol * scale:
            break
    return x, history, k


def ista(A, y, lam, n_iter, x0=None):
    """``n_iter`` ISTA steps ``x+ = S_{lam/L}(x - A^T (A x - y) / L)`` from ``x0`` (default 0).

    Returns ``(x, objective)`` with ``objective[k] = F(x_k)``, ``k = 0..n_iter``
    (``F`` the LASSO objective). Guarantee: ``F(x_k) - F* <= L ||x_0 - x*||^2 / (2 k)``.
    """
    A, y, lam = _problem(A, y, lam)
    n_iter = check_int(n_iter, "n_iter", minimum=0)
    x, history, _ = _proximal_gradient(A, y, lam, n_iter, x0, False, False, 0.0, True)
    return x, np.array(history)


def fista(A, y, lam, n_iter, x0=None, restart=False):
    """``n_iter`` FISTA steps from ``x0`` (default 0); ``restart=True`` adds adaptive restarts.

    ``x_{k+1} = S_{lam/L}(z_k - A^T (A z_k - y) / L)``, ``t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2``,
    ``z_{k+1} = x_{k+1} + (t_k - 1) / t_{k+1} (x_{k+1} - x_k)``, ``z_0 = x_0``, ``t_0 = 1``.
    Without restarts ``F(x_k) - F* <= 2 L ||x_0 - x*||^2 / (k + 1)^2``. The restart
    (O'Donoghue and Candes's gradient scheme) resets ``t = 1`` whenever
    ``(z_k - x_{k+1})^T (x_{k+1} - x_k) > 0``, i.e. when the momentum points uphill.
    Returns ``(x, objective)`` with ``objective[k] = F(x_k)``, ``k = 0..n_iter``.
    """
    A, y, lam = _problem(A, y, lam)
    n_iter = check_int(n_iter, "n_iter", minimum=0)
    x, history, _ = _proximal_gradient(A, y, lam, n_iter, x0, True, bool(restart), 0.0, True)
    return x, np.array(history)


def lasso(A, y, lam, n_iter=10_000, tol=1e-10, x0=None) -> np.ndarray:
    """The minimiser of ``||A x - y||^2 / 2 + lam ||x||_1``, by FISTA with adaptive restarts.

    ``A (m, n)``, ``y (m,)`` (or ``(m, p)``: ``p`` problems at once), ``lam >= 0``;
    returns ``x (n,)`` (or ``(n, p)``). Stops after ``n_iter`` steps or when the
    gradient mapping ``L max |z_k - x_{k+1}|`` (zero exactly at a minimiser; ``L = ||A||_2^2``)
    is at most ``tol * max(1, ||A^T y||_inf)``; the optimality conditions then hold to
    about twice that. ``x0`` is a warm start (default 0). Same minimiser as scikit-learn's
    ``Lasso(alpha=lam / m, fit_intercept=False)``.
    """
    A, y, lam = _problem(A, y, lam)
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    tol = check_scalar(tol, "tol", low=0.0)
    x, _, _ = _proximal_gradient(A, y, lam, n_iter, x0, True, True, tol, False)
    return x


def _normalise_columns(D: np.ndarray) -> np.ndarray:
    return D / np.maximum(np.linalg.norm(D, axis=0, keepdims=True), 1.0)


def dictionary_update(Y, D, X, n_sweeps=1) -> np.ndarray:
    """Block coordinate descent on the atoms: minimise ``||Y - D X||_F^2 / 2`` over ``||d_j|| <= 1``.

    ``Y (m, p)`` signals as columns, ``D (m, K)`` atoms as columns, ``X (K, p)`` codes.
    With ``G = X X^T`` and ``B = Y X^T``, each atom in turn is set to the exact minimiser
    in its block, ``d_j = u_j / max(|u_j|, 1)``, ``u_j = d_j + (b_j - D g_j) / G_jj``
    (atoms that no code uses, ``G_jj = 0``, are left as they are). Returns the new ``D``.
    """
    Y = as_float_array(Y, "Y", ndim=2).astype(np.float64)
    D = as_float_array(D, "D", ndim=2).astype(np.float64, copy=True)
    X = as_float_array(X, "X", ndim=2).astype(np.float64)
    if D.shape[0] != Y.shape[0] or X.shape != (D.shape[1], Y.shape[1]):
        raise ValueError(f"Y (m, p), D (m, K), X (K, p) must agree, got shapes {Y.shape}, {D.shape}, {X.shape}")
    n_sweeps = check_int(n_sweeps, "n_sweeps", minimum=1)
    G, B = X @ X.T, Y @ X.T
    for _ in range(n_sweeps):
        for j in range(D.shape[1]):
            if G[j, j] <= 0:
                continue
            u = D[:, j] + (B[:, j] - D @ G[:, j]) / G[j, j]
            D[:, j] = u / max(np.linalg.norm(u), 1.0)
    return D


def dictionary_learning(Y, n_atoms, lam, n_iter, rng, D0=None, code_iter=200):
    """Alternate sparse coding and dictionary updates on ``Y (m, p)`` (signals as columns).

    Minimises ``||Y - D X||_F^2 / 2 + lam ||X||_1`` over ``D (m, n_atoms)`` with atoms of
    norm at most 1 and codes ``X (n_atoms, p)``. Start: ``D0``, or ``n_atoms`` columns of
    ``Y`` drawn by ``rng`` (a ``numpy.random.Generator``) and normalised. Each of the
    ``n_iter`` rounds runs ``code_iter`` restarted FISTA steps on the codes (warm-started)
    and one sweep of :func:`dictionary_update`; codes that would raise the objective are
    not taken, so the objective never increases. Returns ``(D, X, objective)`` with the
    objective after each round (``n_iter + 1`` values, the first at the start with the
    initial codes).
    """
    Y = as_float_array(Y, "Y", ndim=2).astype(np.float64)
    check_nonempty(Y, "Y")
    n_atoms = check_int(n_atoms, "n_atoms", minimum=1)
    lam = check_scalar(lam, "lam", low=0.0)
    n_iter = check_int(n_iter, "n_iter", minimum=0)
    code_iter = check_int(code_iter, "code_iter", minimum=1)
    if D0 is None:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if n_atoms > Y.shape[1]:
            raise ValueError(f"n_atoms must be at most the number of signals {Y.shape[1]} to start from data, got {n_atoms}")
        D = Y[:, rng.choice(Y.shape[1], n_atoms, replace=False)]
        D = D / np.maximum(np.linalg.norm(D, axis=0, keepdims=True), 1e-12)
    else:
        D = _normalise_columns(as_float_array(D0, "D0", ndim=2).astype(np.float64, copy=True))
        if D.shape != (Y.shape[0], n_atoms):
            raise ValueError(f"D0 must have shape {(Y.shape[0], n_atoms)}, got {D.shape}")
    X = lasso(D, Y, lam, n_iter=code_iter, tol=0.0)
    history = [lasso_objective(D, Y, lam, X)]
    for _ in range(n_iter):
        X_new = lasso(D, Y, lam, n_iter=code_iter, tol=0.0, x0=X)
        if lasso_objective(D, Y, lam, X_new) <= lasso_objective(D, Y, lam, X):  # FISTA is not monotone: keep the better codes
            X = X_new
        D = dictionary_update(Y, D, X)
        history.append(lasso_objective(D, Y, lam, X))
    return D, X, np.array(history)
