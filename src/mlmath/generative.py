"""Building blocks of VAEs, normalizing flows, GANs and denoising diffusion models (DDPM).

VAE (Kingma & Welling, 2014), diagonal Gaussian encoder ``N(mu, diag(sigma^2))``
with ``logvar = log sigma^2``::

    z = mu + exp(logvar / 2) * eps,  eps ~ N(0, I)            (reparameterization)
    KL(N(mu, diag(sigma^2)) || N(0, I)) = 1/2 sum_j (sigma_j^2 + mu_j^2 - 1 - log sigma_j^2)

RealNVP affine coupling (Dinh et al., 2017), ``mask`` marking the coordinates
passed through unchanged, ``s`` and ``t`` computed from those coordinates only::

    y = mask * x + (1 - mask) * (x * exp(s) + t),   log|det dy/dx| = sum_{j not in mask} s_j

GAN (Goodfellow et al., 2014), for distributions on a finite set (or densities on a grid)::

    D*(x) = p_data(x) / (p_data(x) + p_g(x))                    (optimal discriminator)
    V(D, G) = E_{p_data}[log D] + E_{p_g}[log(1 - D)],   V(D*, G) = -log 4 + 2 JS(p_data, p_g)

DDPM (Ho et al., 2020). The paper counts steps ``t = 1..T``; here arrays are
indexed from zero, so ``betas[t]`` is the paper's ``beta_{t+1}`` and
``x_t`` below is the state after ``t + 1`` noising steps (``x0`` is the data)::

    x_t = sqrt(1 - betas[t]) x_{t-1} + sqrt(betas[t]) z         (one step of the chain)
    abar[t] = prod_{s <= t} (1 - betas[s])
    x_t = sqrt(abar[t]) x0 + sqrt(1 - abar[t]) eps              (closed form, q_sample)
    q(x_{t-1} | x_t, x0) = N(mean, var I)                         (ddpm_posterior, t >= 1)
    mean = sqrt(abar[t-1]) betas[t] / (1 - abar[t]) x0 + sqrt(1 - betas[t]) (1 - abar[t-1]) / (1 - abar[t]) x_t
    var  = (1 - abar[t-1]) / (1 - abar[t]) betas[t]
    mean = (x_t - betas[t] / sqrt(1 - abar[t]) eps) / sqrt(1 - betas[t])   (same mean with x0 predicted from eps)
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validate import as_float_array, check_int, check_nonempty, check_same_shape, check_scalar, result_dtype
from .info import _as_distribution, _safe_log

__all__ = [
    "gaussian_kl",
    "reparameterize",
    "affine_coupling",
    "affine_coupling_inverse",
    "optimal_discriminator",
    "gan_value",
    "linear_beta_schedule",
    "alpha_bar",
    "q_sample",
    "ddpm_posterior",
    "ddpm_mean_from_eps",
]


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
    with np.errstate(over="ignore", invalid="ignore"):  # exp may overflow; where eps is 0 the noise is 0 all the same
        noise = np.where(eps == 0, 0.0, np.exp(0.5 * logvar) * eps)
    return mu + noise


def _check_coupling(x, mask, log_scale, shift, x_name):
    x = as_float_array(x, x_name, min_ndim=1)
    log_scale = as_float_array(log_scale, "log_scale")
    shift = as_float_array(shift, "shift")
    check_same_shape(x, log_scale, x_name, "log_scale")
    check_same_shape(x, shift, x_name, "shift")
    mask = np.asarray(mask)
    if mask.ndim != 1 or mask.shape[0] != x.shape[-1]:
        raise ValueError(f"mask must be 1-D of length {x.shape[-1]} (the last axis of {x_name}), got shape {mask.shape}")
    if mask.dtype != bool:
        if not np.issubdtype(mask.dtype, np.number) or not np.all((mask == 0) | (mask == 1)):
            raise ValueError(f"mask must be boolean or hold only 0 and 1, got {mask!r}")
        mask = mask.astype(bool)
    dtype = result_dtype(x, log_scale, shift)
    return x.astype(dtype, copy=False), mask, log_scale.astype(dtype, copy=False), shift.astype(dtype, copy=False)


def affine_coupling(x, mask, log_scale, shift):
    """RealNVP affine coupling ``y = x`` on ``mask``, ``y = x * exp(s) + t`` off it; returns ``(y, logdet)``.

    ``x`` has shape ``(..., D)``; ``mask`` is a boolean (or 0/1) vector of
    length ``D``, ``True`` for the coordinates passed through unchanged;
    ``log_scale`` (``s``) and ``shift`` (``t``) have the shape of ``x`` and must
    have been computed from the masked coordinates ``x[..., mask]`` only (their
    entries on ``mask`` are ignored). The Jacobian ``dy/dx`` is triangular
    (after ordering the masked coordinates first) with diagonal ``1`` on
    ``mask`` and ``exp(s_j)`` off it, so
    ``logdet = log|det dy/dx| = sum_{j not in mask} s_j``, shape ``(...)``.
    """
    x, mask, s, t = _check_coupling(x, mask, log_scale, shift, "x")
    with np.errstate(over="ignore", invalid="ignore"):  # x = 0 with a huge scale: 0 * inf is 0 here
        y = np.where(mask, x, np.where(x == 0, t, x * np.exp(s) + t))
    return y, np.sum(np.where(mask, 0, s), axis=-1)


def affine_coupling_inverse(y, mask, log_scale, shift):
    """Inverse of :func:`affine_coupling`: ``x = y`` on ``mask``, ``x = (y - t) * exp(-s)`` off it; returns ``(x, logdet)``.

    Because ``y[..., mask] == x[..., mask]``, the same ``log_scale`` and ``shift``
    can be recomputed from ``y``. Shapes as in :func:`affine_coupling`;
    ``logdet = log|det dx/dy| = -sum_{j not in mask} s_j``.
    """
    y, mask, s, t = _check_coupling(y, mask, log_scale, shift, "y")
    with np.errstate(over="ignore", invalid="ignore"):  # y = t with a tiny scale: 0 * inf is 0 here
        x = np.where(mask, y, np.where(y == t, 0.0, (y - t) * np.exp(-s)))
    return x, -np.sum(np.where(mask, 0, s), axis=-1)


def _check_density(p, name):
    p = as_float_array(p, name)
    if np.any(p < 0):
        raise ValueError(f"{name} must be nonnegative, got a minimum of {p.min()!r}")
    return p


def optimal_discriminator(p_data, p_g) -> np.ndarray:
    """The discriminator maximising the GAN value for a fixed generator, ``D* = p_data / (p_data + p_g)``.

    ``p_data`` and ``p_g`` are nonnegative densities (or probabilities) evaluated
    at the same points, with the same shape; the result has that shape and
    lies in ``[0, 1]``. Where both are zero ``D*`` is set to ``1/2`` (any value
    is optimal there: such points carry no weight in the value).
    """
    p_data = _check_density(p_data, "p_data")
    p_g = _check_density(p_g, "p_g")
    check_same_shape(p_data, p_g, "p_data", "p_g")
    # 1 / (1 + p_g / p_data): no overflow of p_data + p_g for huge densities
    with np.errstate(divide="ignore", over="ignore"):
        ratio = p_g / np.where(p_data > 0, p_data, 1.0)
    d = np.where(p_data > 0, 1.0 / (1.0 + ratio), 0.0)
    return np.where((p_data == 0) & (p_g == 0), 0.5, d)[()]


def gan_value(p_data, p_g, d=None) -> np.ndarray:
    """GAN value ``V(D, G) = sum_k p_data_k log d_k + sum_k p_g_k log(1 - d_k)`` along the last axis, in nats.

    ``p_data`` and ``p_g`` are probability vectors of shape ``(..., K)`` (a
    density discretised on a grid: its values times the cell volume); ``d``,
    the discriminator's outputs on the same ``K`` points, lies in ``[0, 1]``
    and defaults to :func:`optimal_discriminator`. Result shape ``(...)``;
    ``0 log 0 = 0``, and ``-inf`` where ``d`` is ``0`` on real data or ``1`` on
    generated data. With ``d = D*`` the value is ``-log 4 + 2 JS(p_data, p_g)``,
    which is ``<= 0`` and equals ``-log 4`` exactly when ``p_g == p_data``.
    """
    p_data = _as_distribution(p_data, "p_data")
    p_g = _as_distribution(p_g, "p_g")
    check_same_shape(p_data, p_g, "p_data", "p_g")
    if d is None:
        log_total = _safe_log(p_data + p_g)
        log_d = _safe_log(p_data) - log_total
        log_1md = _safe_log(p_g) - log_total
        return (np.sum(p_data * log_d, axis=-1) + np.sum(p_g * log_1md, axis=-1))[()]
    d = as_float_array(d, "d")
    check_same_shape(p_data, d, "p_data", "d")
    if np.any(d < 0) or np.any(d > 1):
        raise ValueError(f"d must lie in [0, 1], got values between {d.min()!r} and {d.max()!r}")
    real = np.sum(p_data * _safe_log(d), axis=-1)
    fake = np.sum(p_g * _safe_log(1 - d), axis=-1)
    impossible = np.any((p_data > 0) & (d == 0), axis=-1) | np.any((p_g > 0) & (d == 1), axis=-1)
    return np.where(impossible, -np.inf, real + fake)[()]


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
    if np.any(betas < np.finfo(np.float64).eps):
        raise ValueError(
            f"betas must be at least machine epsilon ({np.finfo(np.float64).eps:.1e}) for the posterior: "
            f"1 - abar_t would round to 0; got a minimum of {betas.min()!r}"
        )
    abar = np.cumprod(1 - betas)
    a_t, a_prev, b_t = abar[t], abar[t - 1], betas[t]
    dtype = result_dtype(x0, xt)
    c0 = (np.sqrt(a_prev) * b_t / (1 - a_t)).reshape(shape).astype(dtype)
    ct = (np.sqrt(1 - b_t) * (1 - a_prev) / (1 - a_t)).reshape(shape).astype(dtype)
    var = ((1 - a_prev) / (1 - a_t) * b_t).reshape(shape).astype(dtype)
    mean = (c0 * x0 + ct * xt).astype(dtype, copy=False)
    return mean, np.broadcast_to(var, mean.shape).copy()


def ddpm_mean_from_eps(xt, t, eps, betas) -> np.ndarray:
    """Posterior mean written with the noise: ``(x_t - betas[t] / sqrt(1 - abar[t]) eps) / sqrt(1 - betas[t])``.

    Substituting ``x0 = (x_t - sqrt(1 - abar[t]) eps) / sqrt(abar[t])`` (the
    closed form solved for ``x0``) into the mean of :func:`ddpm_posterior` gives
    this; with a network's ``eps_theta(x_t, t)`` in place of ``eps`` it is the
    mean of one reverse (sampling) step. ``xt`` and ``eps`` have the same shape
    ``(N, ...)``; ``t`` is zero-based, ``0 <= t < len(betas)``, an int or an
    integer array of shape ``(N,)``. At ``t = 0`` it returns ``x0`` itself.
    """
    xt = as_float_array(xt, "xt")
    eps = as_float_array(eps, "eps")
    check_same_shape(xt, eps, "xt", "eps")
    betas = _check_betas(betas)
    t, shape = _check_t(t, betas.shape[0], xt)
    abar = np.cumprod(1 - betas)
    dtype = result_dtype(xt, eps)
    c_eps = (betas[t] / np.sqrt(1 - abar[t])).reshape(shape).astype(dtype)
    c_out = (1 / np.sqrt(1 - betas[t])).reshape(shape).astype(dtype)
    return (c_out * (xt - c_eps * eps)).astype(dtype, copy=False)
