"""Gaussian building blocks of VAEs and denoising diffusion models (DDPM).

VAE (Kingma & Welling, 2014), diagonal Gaussian encoder ``N(mu, diag(sigma^2))``
with ``logvar = log sigma^2``::

    z = mu + exp(logvar / 2) * eps,  eps ~ N(0, I)            (reparameterization)
    KL(N(mu, diag(sigma^2)) || N(0, I)) = 1/2 sum_j (sigma_j^2 + mu_j^2 - 1 - log sigma_j^2)

DDPM (Ho et al., 2020). The paper counts steps ``t = 1..T``; here arrays are
indexed from zero, so ``betas[t]`` is the paper's ``beta_{t+1}`` and
``x_t`` below is the state after ``t + 1`` noising steps (``x0`` is the data)::

    x_t = sqrt(1 - betas[t]) x_{t-1} + sqrt(betas[t]) z         (one step of the chain)
    abar[t] = prod_{s <= t} (1 - betas[s])
    x_t = sqrt(abar[t]) x0 + sqrt(1 - abar[t]) eps              (closed form, q_sample)
    q(x_{t-1} | x_t, x0) = N(mean, var I)                         (ddpm_posterior, t >= 1)
    mean = sqrt(abar[t-1]) betas[t] / (1 - abar[t]) x0 + sqrt(1 - betas[t]) (1 - abar[t-1]) / (1 - abar[t]) x_t
    var  = (1 - abar[t-1]) / (1 - abar[t]) betas[t]
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validate import as_float_array, check_int, check_nonempty, check_same_shape, check_scalar, result_dtype

__all__ = ["gaussian_kl", "reparameterize", "linear_beta_schedule", "alpha_bar", "q_sample", "ddpm_posterior"]


def gaussian_kl(mu, logvar) -> np.ndarray:
    """``KL(N(mu, diag(exp(logvar))) || N(0, I))``, summed over the last axis.

    ``mu`` and ``logvar`` have the same shape ``(..., d)``; the result has shape
    ``(...)``. Computed as ``1/2 sum(mu^2 + expm1(logvar) - logvar)`` so that it
    stays accurate (and exactly 0) near the prior.
    """
    mu = as_float_array(mu, "mu", min_ndim=1)
    logvar = as_float_array(logvar, "logvar", min_ndim=1)
    check_same_shape(mu, logvar, "mu", "logvar")
    return 0.5 * np.sum(mu * mu + np.expm1(logvar) - logvar, axis=-1)


def reparameterize(mu, logvar, eps) -> np.ndarray:
    """``z = mu + exp(logvar / 2) * eps``: a sample of ``N(mu, diag(exp(logvar)))`` when ``eps ~ N(0, I)``.

    All three arrays have the same shape. ``z`` is a deterministic, differentiable
    function of ``(mu, logvar)``: ``dz/dmu = 1``, ``dz/dlogvar = exp(logvar / 2) eps / 2``.
    For a full covariance ``Sigma = L L^T`` the analogue is the matrix product
    ``mu + L @ eps``, not an elementwise product.
    """
    mu = as_float_array(mu, "mu")
    logvar = as_float_array(logvar, "logvar")
    eps = as_float_array(eps, "eps")
    check_same_shape(mu, logvar, "mu", "logvar")
    check_same_shape(mu, eps, "mu", "eps")
    return mu + np.exp(0.5 * logvar) * eps


def linear_beta_schedule(T: int = 1000, beta_1: float = 1e-4, beta_T: float = 0.02) -> np.ndarray:
    """The ``T`` noise levels ``numpy.linspace(beta_1, beta_T, T)`` of Ho et al. (float64, shape ``(T,)``).

    Both endpoints must lie in ``(0, 1)``. ``T = 1`` gives ``[beta_1]``, as
    ``numpy.linspace`` does.
    """
    T = check_int(T, "T", minimum=1)
    beta_1 = check_scalar(beta_1, "beta_1", low=0.0, high=1.0, low_open=True, high_open=True)
    beta_T = check_scalar(beta_T, "beta_T", low=0.0, high=1.0, low_open=True, high_open=True)
    return np.linspace(beta_1, beta_T, T)


def _check_betas(betas) -> np.ndarray:
    betas = as_float_array(betas, "betas", ndim=1)
    check_nonempty(betas, "betas")
    if np.any(betas <= 0) or np.any(betas >= 1):
        raise ValueError(f"betas must lie in (0, 1), got values between {betas.min()!r} and {betas.max()!r}")
    return betas


def alpha_bar(betas) -> np.ndarray:
    """Cumulative products ``abar[t] = prod_{s <= t} (1 - betas[s])``; shape and dtype of ``betas``.

    ``betas`` is 1-D with entries in ``(0, 1)``, so ``abar`` decreases strictly
    from ``1 - betas[0]`` towards 0.
    """
    betas = _check_betas(betas)
    return np.cumprod(1 - betas)


def _check_t(t, n_steps: int, x0: np.ndarray, *, minimum: int = 0):
    """Validate the time index; return it (int or int array) and the shape its coefficients broadcast with."""
    if isinstance(t, np.ndarray) and t.ndim == 0:
        t = t[()]
    if isinstance(t, numbers.Integral) and not isinstance(t, (bool, np.bool_)):
        t = check_int(t, "t", minimum=minimum)
        if t >= n_steps:
            raise ValueError(f"t must be < {n_steps} (the schedule length), got {t}")
        return t, ()
    t_arr = np.asarray(t)
    if t_arr.dtype == bool or not np.issubdtype(t_arr.dtype, np.integer):
        raise ValueError(f"t must be an integer or an integer array of shape (N,), got {t!r}")
    if t_arr.ndim != 1 or x0.ndim == 0 or t_arr.shape[0] != x0.shape[0]:
        raise ValueError(f"t must have shape (N,) with N = x0.shape[0] for x0 of shape {x0.shape}, got shape {t_arr.shape}")
    if t_arr.size and (t_arr.min() < minimum or t_arr.max() >= n_steps):
        raise ValueError(
            f"t must lie in [{minimum}, {n_steps - 1}] (zero-based steps of a schedule of length {n_steps}), "
            f"got values between {t_arr.min()} and {t_arr.max()}"
        )
    return t_arr, (x0.shape[0],) + (1,) * (x0.ndim - 1)


def q_sample(x0, t, eps, alpha_bar) -> np.ndarray:
    """Closed-form forward diffusion ``x_t = sqrt(abar[t]) x0 + sqrt(1 - abar[t]) eps``.

    ``t`` is zero-based: an int, or an integer array of shape ``(N,)`` giving one
    step per example of ``x0`` of shape ``(N, ...)``. ``eps`` has the shape of
    ``x0``; ``alpha_bar`` is 1-D with entries in ``[0, 1]``. The result has the
    shape of ``x0`` and the float dtype of ``x0`` and ``eps`` (the schedule is
    cast to it).
    """
    x0 = as_float_array(x0, "x0")
    eps = as_float_array(eps, "eps")
    check_same_shape(x0, eps, "x0", "eps")
    abar = as_float_array(alpha_bar, "alpha_bar", ndim=1)
    check_nonempty(abar, "alpha_bar")
    if np.any(abar < 0) or np.any(abar > 1):
        raise ValueError(f"alpha_bar must lie in [0, 1], got values between {abar.min()!r} and {abar.max()!r}")
    t, shape = _check_t(t, abar.shape[0], x0)
    dtype = result_dtype(x0, eps)
    a = abar[t].reshape(shape)
    return (np.sqrt(a).astype(dtype) * x0 + np.sqrt(1 - a).astype(dtype) * eps).astype(dtype, copy=False)


def ddpm_posterior(x0, xt, t, betas):
    """Mean and variance of the forward-process posterior ``q(x_{t-1} | x_t, x0)`` (zero-based ``t >= 1``).

    ``x0`` and ``xt`` have the same shape ``(N, ...)`` (or any shape when ``t`` is
    an int); ``t`` is an int or an integer array of shape ``(N,)``; ``betas`` is
    the 1-D schedule. Returns ``(mean, var)``, both shaped like ``x0``: the
    posterior is ``N(mean, diag(var))`` with ``var`` constant within each example,
    ``var = (1 - abar[t-1]) / (1 - abar[t]) * betas[t]`` (see the module docstring
    for the mean). It is the normalized product of the prior
    ``N(sqrt(abar[t-1]) x0, 1 - abar[t-1])`` and the likelihood
    ``N(x_t; sqrt(1 - betas[t]) x_{t-1}, betas[t])``.
    """
    x0 = as_float_array(x0, "x0")
    xt = as_float_array(xt, "xt")
    check_same_shape(x0, xt, "x0", "xt")
    betas = _check_betas(betas)
    t, shape = _check_t(t, betas.shape[0], x0, minimum=1)
    abar = np.cumprod(1 - betas)
    a_t, a_prev, b_t = abar[t], abar[t - 1], betas[t]
    dtype = result_dtype(x0, xt)
    c0 = (np.sqrt(a_prev) * b_t / (1 - a_t)).reshape(shape).astype(dtype)
    ct = (np.sqrt(1 - b_t) * (1 - a_prev) / (1 - a_t)).reshape(shape).astype(dtype)
    var = ((1 - a_prev) / (1 - a_t) * b_t).reshape(shape).astype(dtype)
    mean = (c0 * x0 + ct * xt).astype(dtype, copy=False)
    return mean, np.broadcast_to(var, mean.shape).copy()
