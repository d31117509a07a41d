"""Probability: the multivariate Gaussian, moment generating functions, Chebyshev's bound.

* ``gaussian_logpdf``: ``log N(x; mu, Sigma) = -(d log 2 pi + log det Sigma + (x - mu)^T Sigma^{-1} (x - mu)) / 2``,
  computed through the Cholesky factor ``Sigma = L L^T``: ``log det Sigma = 2 sum_i log L_ii`` and
  ``(x - mu)^T Sigma^{-1} (x - mu) = |L^{-1} (x - mu)|^2`` (a triangular solve, never an inverse).
* ``gaussian_condition``: for ``x = (x_a, x_b) ~ N(mu, Sigma)``,
  ``x_b | x_a = v  ~  N(mu_b + Sigma_ba Sigma_aa^{-1} (v - mu_a),  Sigma_bb - Sigma_ba Sigma_aa^{-1} Sigma_ab)``,
  the covariance being the Schur complement of ``Sigma_aa``.
* ``gaussian_mle``: ``mu = mean of the rows``, ``Sigma = (1/N) sum_n (x_n - mu)(x_n - mu)^T``
  (biased: ``E[Sigma] = (N - 1)/N Sigma_true``).
* ``mgf``: ``M_X(t) = E[exp(t X)]`` of five families (see its docstring for the formulas and domains).
* ``chebyshev_bound``: ``P(|X - E X| >= k) <= min(1, Var X / k^2)``.

Bad input raises ``ValueError`` naming the argument.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

from ._validate import as_float_array, check_choice, check_int, check_nonempty, check_scalar, result_dtype

__all__ = ["gaussian_logpdf", "gaussian_condition", "gaussian_mle", "mgf", "chebyshev_bound"]


# --- the multivariate Gaussian -----------------------------------------------------------------


def _cholesky_of_covariance(Sigma: np.ndarray, name: str = "Sigma") -> np.ndarray:
    """Lower Cholesky factor of a symmetric positive definite ``Sigma``; ``ValueError`` otherwise."""
    scale = max(float(np.max(np.abs(Sigma))), np.finfo(np.float64).tiny)
    asym = float(np.max(np.abs(Sigma - Sigma.T)))
    if asym > 1e-10 * scale:
        raise ValueError(f"{name} must be symmetric positive definite, got an asymmetry max|{name} - {name}^T| = {asym:.3g}")
    try:
        return np.linalg.cholesky(Sigma)
    except np.linalg.LinAlgError as exc:
        smallest = float(np.linalg.eigvalsh((Sigma + Sigma.T) / 2)[0])
        raise ValueError(f"{name} must be symmetric positive definite, got a smallest eigenvalue of {smallest:.3g}") from exc


def _mean_and_covariance(mu, Sigma):
    mu = as_float_array(mu, "mu", ndim=1)
    check_nonempty(mu, "mu")
    Sigma = as_float_array(Sigma, "Sigma", ndim=2)
    d = mu.shape[0]
    if Sigma.shape != (d, d):
        raise ValueError(f"Sigma must have shape ({d}, {d}) to match mu of length {d}, got shape {Sigma.shape}")
    return mu, Sigma, _cholesky_of_covariance(Sigma.astype(np.float64))


def gaussian_logpdf(x, mu, Sigma):
    """Log density ``log N(x; mu, Sigma)`` of the multivariate Gaussian.

    ``x`` is ``(d,)`` (one point, scalar result) or ``(N, d)`` (one value per
    row, result ``(N,)``); ``mu (d,)``; ``Sigma (d, d)`` symmetric positive
    definite. With ``Sigma = L L^T`` (Cholesky) and ``z = L^{-1} (x - mu)``::

        log N(x; mu, Sigma) = -(d log(2 pi) + 2 sum_i log L_ii + |z|^2) / 2

    Equals ``scipy.stats.multivariate_normal(mu, Sigma).logpdf(x)``. No
    inverse of ``Sigma`` is formed.
    """
    mu, Sigma, L = _mean_and_covariance(mu, Sigma)
    x = as_float_array(x, "x", ndim=(1, 2))
    d = mu.shape[0]
    if x.shape[-1] != d:
        raise ValueError(f"x must have {d} entries in its last axis to match mu, got shape {x.shape}")
    dtype = result_dtype(x, mu, Sigma)
    diff = np.atleast_2d(x - mu).astype(np.float64)  # (N, d)
    z = solve_triangular(L, diff.T, lower=True)  # (d, N)
    logdet = 2.0 * np.sum(np.log(np.diag(L)))
    out = -0.5 * (d * np.log(2.0 * np.pi) + logdet + np.sum(z * z, axis=0))
    out = out.astype(dtype)
    return out[0] if x.ndim == 1 else out


def _indices(idx, d: int) -> np.ndarray:
    try:
        arr = np.asarray(idx)
    except Exception as exc:  # pragma: no cover - ragged input
        raise ValueError(f"idx must be a sequence of integer indices, got {idx!r}") from exc
    arr = np.atleast_1d(arr)
    if arr.ndim != 1 or not (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"idx must be a 1-D sequence of integer indices, got {idx!r}")
    arr = arr.astype(np.intp)
    if np.any(arr < 0) or np.any(arr >= d):
        raise ValueError(f"idx must hold indices in [0, {d - 1}], got {arr.tolist()}")
    if len(set(arr.tolist())) != arr.size:
        raise ValueError(f"idx must not repeat an index, got {arr.tolist()}")
    if arr.size == d:
        raise ValueError(f"idx must leave at least one of the {d} coordinates unobserved, got all of them")
    return arr


def gaussian_condition(mu, Sigma, idx, values):
    """``(mu_c, Sigma_c)``: the Gaussian of the coordinates not in ``idx`` given ``x[idx] = values``.

    ``mu (d,)``, ``Sigma (d, d)`` symmetric positive definite, ``idx`` a
    sequence of ``k`` distinct indices (zero-based, any order) and ``values``
    ``(k,)`` with ``values[j]`` the observed value of ``x[idx[j]]``. With
    ``a = idx`` and ``b`` the other ``d - k`` indices *in increasing order*::

        mu_c    = mu_b + Sigma_ba Sigma_aa^{-1} (values - mu_a)        (d - k,)
        Sigma_c = Sigma_bb - Sigma_ba Sigma_aa^{-1} Sigma_ab          (d - k, d - k)

    ``Sigma_c`` is the Schur complement of ``Sigma_aa`` in ``Sigma``. Computed
    with the Cholesky factor ``Sigma_aa = L L^T`` and ``W = L^{-1} Sigma_ab``:
    ``Sigma_c = Sigma_bb - W^T W`` (symmetrised), no explicit inverse. An empty
    ``idx`` returns ``(mu, Sigma)``.
    """
    mu, Sigma, _ = _mean_and_covariance(mu, Sigma)
    d = mu.shape[0]
    a = _indices(idx, d)
    values = as_float_array(values, "values", ndim=(0, 1))
    values = np.atleast_1d(values)
    if values.shape != (a.size,):
        raise ValueError(f"values must have one entry per index in idx ({a.size}), got shape {values.shape}")
    dtype = result_dtype(mu, Sigma, values)
    b = np.setdiff1d(np.arange(d), a)
    mu64, S = mu.astype(np.float64), Sigma.astype(np.float64)
    if a.size == 0:
        return mu.astype(dtype), Sigma.astype(dtype)
    L = np.linalg.cholesky(S[np.ix_(a, a)])  # a principal block of a positive definite matrix
    W = solve_triangular(L, S[np.ix_(a, b)], lower=True)  # (k, d - k)
    r = solve_triangular(L, values.astype(np.float64) - mu64[a], lower=True)  # (k,)
    mu_c = mu64[b] + W.T @ r
    Sigma_c = S[np.ix_(b, b)] - W.T @ W
    Sigma_c = 0.5 * (Sigma_c + Sigma_c.T)
    return mu_c.astype(dtype), Sigma_c.astype(dtype)


def gaussian_mle(X):
    """``(mu, Sigma)``: the maximum-likelihood Gaussian of the rows of ``X (N, d)``.

    ``mu = (1/N) sum_n x_n`` (shape ``(d,)``) and
    ``Sigma = (1/N) sum_n (x_n - mu)(x_n - mu)^T`` (shape ``(d, d)``), divided
    by ``N``, not ``N - 1``: it maximises the likelihood and is biased,
    ``E[Sigma] = (N - 1)/N Sigma_true``. Equals ``numpy.cov(X.T, bias=True)``.
    """
    X = as_float_array(X, "X", ndim=2)
    check_nonempty(X, "X")
    mu = X.mean(axis=0)
    centred = X - mu
    Sigma = centred.T @ centred / X.shape[0]
    return mu, Sigma


# --- moment generating functions -----------------------------------------------------------------

_MGF_PARAMS = {
    "bernoulli": ("p",),
    "binomial": ("n", "p"),
    "poisson": ("lam",),
    "gaussian": ("mu", "sigma"),
    "gamma": ("shape", "scale"),
}


def mgf(dist: str, t, **params):
    """Moment generating function ``M_X(t) = E[exp(t X)]`` of a named distribution.

    ``t`` is a scalar (float result) or an array (result of the same shape).

    ================  ======================  ====================================  ================
    ``dist``          parameters              ``M_X(t)``                            domain
    ================  ======================  ====================================  ================
    ``"bernoulli"``   ``p`` in [0, 1]         ``1 - p + p e^t``                     all ``t``
    ``"binomial"``    ``n >= 0`` int, ``p``   ``(1 - p + p e^t)^n``                 all ``t``
    ``"poisson"``     ``lam >= 0``            ``exp(lam (e^t - 1))``                all ``t``
    ``"gaussian"``    ``mu``, ``sigma >= 0``  ``exp(mu t + sigma^2 t^2 / 2)``       all ``t``
    ``"gamma"``       ``shape, scale > 0``    ``(1 - scale t)^(-shape)``            ``t < 1/scale``
    ================  ======================  ====================================  ================

    ``sigma`` is the standard deviation; the gamma density is
    ``x^(shape-1) e^(-x/scale) / (Gamma(shape) scale^shape)`` (mean
    ``shape * scale``). A ``t`` outside the domain (the expectation is
    infinite) raises ``ValueError``, as do unknown or missing parameters.
    """
    dist = check_choice(dist, "dist", tuple(_MGF_PARAMS))
    expected = _MGF_PARAMS[dist]
    missing = [k for k in expected if k not in params]
    extra = [k for k in params if k not in expected]
    if missing or extra:
        raise ValueError(
            f"params of dist={dist!r} must be exactly {', '.join(expected)}; got {', '.join(sorted(params)) or 'none'}"
        )
    t_arr = as_float_array(t, "t")
    t64 = t_arr.astype(np.float64)
    with np.errstate(over="ignore"):
        if dist in ("bernoulli", "binomial"):
            p = check_scalar(params["p"], "p", low=0.0, high=1.0)
            n = check_int(params["n"], "n", minimum=0) if dist == "binomial" else 1
            out = (1.0 + p * np.expm1(t64)) ** n
        elif dist == "poisson":
            lam = check_scalar(params["lam"], "lam", low=0.0)
            out = np.exp(lam * np.expm1(t64))
        elif dist == "gaussian":
            mu = check_scalar(params["mu"], "mu")
            sigma = check_scalar(params["sigma"], "sigma", low=0.0)
            out = np.exp(mu * t64 + 0.5 * sigma**2 * t64**2)
        else:
            shape = check_scalar(params["shape"], "shape", low=0.0, low_open=True)
            scale = check_scalar(params["scale"], "scale", low=0.0, low_open=True)
            if np.any(t64 * scale >= 1.0):
                raise ValueError(
                    f"t must be < 1/scale = {1.0 / scale:.6g} for the gamma MGF (the expectation is infinite), "
                    f"got a maximum of {float(np.max(t64))!r}"
                )
            out = (1.0 - scale * t64) ** (-shape)
    out = out.astype(t_arr.dtype)
    return float(out) if out.ndim == 0 else out


def chebyshev_bound(var, k):
    """Chebyshev's bound ``min(1, var / k^2)`` on ``P(|X - E X| >= k)``.

    ``var >= 0`` (the variance) and ``k > 0``; scalars (float result) or
    arrays that broadcast (array result). Markov's inequality applied to
    ``(X - E X)^2 >= k^2`` gives ``var / k^2``; a probability is at most 1.
    """
    var = as_float_array(var, "var")
    k = as_float_array(k, "k")
    if np.any(var < 0):
        raise ValueError(f"var must be >= 0 (a variance), got a minimum of {float(np.min(var))!r}")
    if np.any(k <= 0):
        raise ValueError(f"k must be > 0, got a minimum of {float(np.min(k))!r}")
    out = np.minimum(1.0, var / k**2)
    return float(out) if out.ndim == 0 else out
