"""Gaussian-process regression with the RBF (squared-exponential) kernel.

Model: ``f ~ GP(0, k)`` with ``k(x, x') = variance * exp(-|x - x'|^2 / (2 lengthscale^2))``,
observations ``y = f(X) + e``, ``e ~ N(0, noise I)`` (``noise`` is a variance).
With ``K = k(X, X) + noise I = L L^T`` (Cholesky) and ``alpha = K^{-1} y``:

* log marginal likelihood
  ``log p(y | X) = -y^T alpha / 2 - sum_i log L_ii - (n / 2) log(2 pi)``;
* its gradient with respect to ``K`` is ``Kbar = (alpha alpha^T - K^{-1}) / 2``, obtained
  here by back-propagating through the Cholesky factor
  (:func:`mlmath.matgrad.cholesky_backward`), and the gradient with respect to a
  log-hyperparameter ``t`` is ``<Kbar, dK/dt>`` with
  ``dK/dlog variance = K_f``, ``dK/dlog lengthscale = K_f o D / lengthscale^2``
  (``D`` the squared distances), ``dK/dlog noise = noise I``;
* posterior of the latent ``f`` at test inputs ``Xs``: mean ``K_s^T alpha``, covariance
  ``K_ss - W^T W`` with ``W = L^{-1} K_s`` (Gaussian conditioning, the Schur complement).

Inputs ``X`` are ``(n, d)`` arrays, or ``(n,)`` for one-dimensional inputs. No explicit
matrix inverse is formed: only Cholesky factors and triangular solves.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_solve, solve_triangular

from ._validate import as_float_array, check_nonempty, check_scalar
from .matgrad import cholesky_backward

__all__ = ["rbf_kernel", "gp_log_marginal_likelihood", "gp_posterior", "squared_distances"]


def _inputs(X, name: str) -> np.ndarray:
    X = as_float_array(X, name, ndim=(1, 2))
    check_nonempty(X, name)
    return X[:, None] if X.ndim == 1 else X


def squared_distances(X1, X2) -> np.ndarray:
    """``D_ij = |x1_i - x2_j|^2`` for ``X1 (n, d)`` and ``X2 (m, d)`` (or 1D inputs); shape ``(n, m)``."""
    X1, X2 = _inputs(X1, "X1"), _inputs(X2, "X2")
    if X1.shape[1] != X2.shape[1]:
        raise ValueError(f"X1 and X2 must have the same number of features, got {X1.shape[1]} and {X2.shape[1]}")
    D = np.sum(X1**2, axis=1)[:, None] + np.sum(X2**2, axis=1)[None, :] - 2.0 * X1 @ X2.T
    return np.maximum(D, 0.0)


def rbf_kernel(X1, X2, lengthscale, variance) -> np.ndarray:
    """RBF kernel matrix ``variance * exp(-|x1_i - x2_j|^2 / (2 lengthscale^2))``, shape ``(n, m)``.

    ``X1 (n, d)``, ``X2 (m, d)`` (or ``(n,)``, ``(m,)`` for 1D inputs);
    ``lengthscale > 0``, ``variance > 0``. Equals scikit-learn's
    ``ConstantKernel(variance) * RBF(lengthscale)``.
    """
    lengthscale = check_scalar(lengthscale, "lengthscale", low=0.0, low_open=True)
    variance = check_scalar(variance, "variance", low=0.0, low_open=True)
    return variance * np.exp(-squared_distances(X1, X2) / (2.0 * lengthscale**2))


def _cholesky(K: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.cholesky(K)
    except np.linalg.LinAlgError as exc:
        raise ValueError(
            "noise is too small: K(X, X) + noise I is not numerically positive definite "
            "(repeated or very close inputs need noise > 0)"
        ) from exc


def _data(X, y):
    X = _inputs(X, "X")
    y = as_float_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one value per row of X ({X.shape[0]}), got length {y.shape[0]}")
    return X, y


def gp_log_marginal_likelihood(X, y, lengthscale, variance, noise):
    """``(value, grad)``: ``log p(y | X)`` and its gradient w.r.t. ``(log variance, log lengthscale, log noise)``.

    ``X (n, d)`` or ``(n,)``, ``y (n,)``; ``lengthscale``, ``variance``, ``noise`` positive.
    ``value = -y^T K^{-1} y / 2 - log det K / 2 - (n/2) log 2 pi`` with
    ``K = rbf_kernel(X, X) + noise I = L L^T``; ``grad`` (shape ``(3,)``) is
    ``<Kbar, dK/dlog theta_j>`` with ``Kbar = dvalue/dK`` obtained by back-propagating
    ``-|L^{-1} y|^2 / 2 - sum log L_ii`` through the Cholesky factor. The order
    ``(log variance, log lengthscale, log noise)`` is scikit-learn's ``theta`` for the
    kernel ``ConstantKernel(variance) * RBF(lengthscale) + WhiteKernel(noise)``.
    """
    X, y = _data(X, y)
    lengthscale = check_scalar(lengthscale, "lengthscale", low=0.0, low_open=True)
    variance = check_scalar(variance, "variance", low=0.0, low_open=True)
    noise = check_scalar(noise, "noise", low=0.0, low_open=True)
    n = y.shape[0]
    D = squared_distances(X, X)
    Kf = variance * np.exp(-D / (2.0 * lengthscale**2))
    L = _cholesky(Kf + noise * np.eye(n))
    z = solve_triangular(L, y, lower=True)  # L^{-1} y
    alpha = solve_triangular(L, z, trans="T", lower=True)  # K^{-1} y
    value = -0.5 * z @ z - np.sum(np.log(np.diag(L))) - 0.5 * n * np.log(2.0 * np.pi)
    # dvalue/dL for value(L) = -|L^{-1} y|^2 / 2 - sum log L_ii: alpha z^T - diag(1 / L_ii)
    dL = np.outer(alpha, z) - np.diag(1.0 / np.diag(L))
    Kbar = cholesky_backward(L, dL)
    grad = np.array(
        [
            np.sum(Kbar * Kf),  # dK/dlog variance = Kf
            np.sum(Kbar * Kf * D) / lengthscale**2,  # dK/dlog lengthscale = Kf o D / l^2
            noise * np.trace(Kbar),  # dK/dlog noise = noise I
        ]
    )
    return float(value), grad


def gp_posterior(X, y, Xs, lengthscale, variance, noise):
    """``(mean, cov)`` of the latent ``f(Xs)`` given ``y``: shapes ``(m,)`` and ``(m, m)``.

    ``mean = K_s^T (K + noise I)^{-1} y``, ``cov = K_ss - K_s^T (K + noise I)^{-1} K_s`` with
    ``K = k(X, X)``, ``K_s = k(X, Xs)``, ``K_ss = k(Xs, Xs)``: the conditional of the joint
    Gaussian of ``(y, f(Xs))`` (the noise-free latent function; add ``noise`` to the
    diagonal of ``cov`` for a new observation). ``noise = 0`` is allowed when ``K`` is
    positive definite (interpolation).
    """
    X, y = _data(X, y)
    Xs = _inputs(Xs, "Xs")
    noise = check_scalar(noise, "noise", low=0.0)
    K = rbf_kernel(X, X, lengthscale, variance) + noise * np.eye(X.shape[0])
    Ks = rbf_kernel(X, Xs, lengthscale, variance)
    Kss = rbf_kernel(Xs, Xs, lengthscale, variance)
    L = _cholesky(K)
    alpha = cho_solve((L, True), y)
    W = solve_triangular(L, Ks, lower=True)
    return Ks.T @ alpha, Kss - W.T @ W
