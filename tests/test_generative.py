"""Tests for mlmath.generative: torch.distributions, Monte Carlo, the Markov chain and Bayes' rule as oracles;
plus the regression tests of the generative-model errata (chapters/appendices/errata.md)."""

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize
import scipy.spatial.distance
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from mlmath.generative import (
    affine_coupling,
    affine_coupling_inverse,
    alpha_bar,
    ddpm_mean_from_eps,
    ddpm_posterior,
    gan_value,
    gaussian_kl,
    linear_beta_schedule,
    optimal_discriminator,
    q_sample,
    reparameterize,
)

SETTINGS = settings()  # the shared profile (tests/conftest.py)
N_SE = 5.0  # Monte Carlo tolerance: 5 standard errors (seeded, so the tests are deterministic)


# ------------------------------------------------------------------ VAE


def test_gaussian_kl_matches_torch_distributions():
    rng = np.random.default_rng(0)
    mu, logvar = rng.normal(size=(4, 3, 6)), rng.normal(scale=2.0, size=(4, 3, 6))
    q = torch.distributions.Normal(torch.from_numpy(mu), torch.from_numpy(np.exp(0.5 * logvar)))
    p = torch.distributions.Normal(torch.zeros(mu.shape, dtype=torch.float64), torch.ones(mu.shape, dtype=torch.float64))
    expected = torch.distributions.kl_divergence(q, p).sum(-1).numpy()
    assert_allclose(gaussian_kl(mu, logvar), expected, rtol=1e-12, atol=1e-14)
    assert gaussian_kl(mu, logvar).shape == (4, 3)


def test_gaussian_kl_matches_torch_multivariate_normal_with_diagonal_covariance():
    rng = np.random.default_rng(1)
    mu, logvar = rng.normal(size=5), rng.normal(size=5)
    q = torch.distributions.MultivariateNormal(torch.from_numpy(mu), torch.diag(torch.from_numpy(np.exp(logvar))))
    p = torch.distributions.MultivariateNormal(torch.zeros(5, dtype=torch.float64), torch.eye(5, dtype=torch.float64))
    assert_allclose(gaussian_kl(mu, logvar), torch.distributions.kl_divergence(q, p).item(), rtol=1e-12)


def test_gaussian_kl_matches_monte_carlo():
    """KL = E_q[log q(z) - log p(z)], estimated from 400,000 seeded samples, within 5 standard errors."""
    rng = np.random.default_rng(2)
    mu, logvar = np.array([0.5, -1.0, 2.0]), np.array([0.3, -0.7, 0.0])
    n = 400_000
    z = mu + np.exp(0.5 * logvar) * rng.standard_normal((n, 3))
    log_q = -0.5 * (np.log(2 * np.pi) + logvar + (z - mu) ** 2 / np.exp(logvar))
    log_p = -0.5 * (np.log(2 * np.pi) + z**2)
    samples = np.sum(log_q - log_p, axis=1)
    se = samples.std() / np.sqrt(n)
    assert abs(samples.mean() - gaussian_kl(mu, logvar)) < N_SE * se


def test_gaussian_kl_is_zero_at_the_prior_and_accurate_near_it():
    assert gaussian_kl(np.zeros(4), np.zeros(4)) == 0.0
    lv = 1e-5  # KL = (e^lv - 1 - lv)/2 = lv^2/4 + lv^3/12 + ...: a naive formula loses ~6 digits here
    assert_allclose(gaussian_kl([0.0], [lv]), lv**2 / 4 + lv**3 / 12 + lv**4 / 48, rtol=1e-9)


@SETTINGS
@given(st.lists(st.tuples(st.floats(-5, 5), st.floats(-5, 5)), min_size=1, max_size=6))
def test_gaussian_kl_is_nonnegative_and_additive_over_dimensions(pairs):
    mu, logvar = np.array(pairs).T
    kl = gaussian_kl(mu, logvar)
    assert kl >= 0
    assert_allclose(kl, sum(gaussian_kl([m], [v]) for m, v in pairs), rtol=1e-12, atol=1e-14)


def test_reparameterize_equals_mu_plus_std_times_eps_and_has_the_right_moments():
    rng = np.random.default_rng(3)
    mu, logvar = np.array([1.0, -2.0, 0.0]), np.array([0.0, 1.0, -3.0])
    eps = rng.standard_normal((200_000, 3))
    z = reparameterize(np.broadcast_to(mu, eps.shape), np.broadcast_to(logvar, eps.shape), eps)
    assert_allclose(z, mu + np.sqrt(np.exp(logvar)) * eps, rtol=1e-14)
    n, var = eps.shape[0], np.exp(logvar)
    assert np.all(np.abs(z.mean(0) - mu) < N_SE * np.sqrt(var / n))
    assert np.all(np.abs(z.var(0) - var) < N_SE * var * np.sqrt(2 / n))


def test_reparameterize_gradients_match_torch_autograd():
    """z is differentiable in (mu, logvar): check our closed form against torch autograd of the same map."""
    rng = np.random.default_rng(4)
    mu, logvar, eps = rng.normal(size=(3, 5))
    tmu, tlv = torch.tensor(mu, requires_grad=True), torch.tensor(logvar, requires_grad=True)
    tz = tmu + torch.exp(0.5 * tlv) * torch.from_numpy(eps)
    w = rng.normal(size=5)
    (tz @ torch.from_numpy(w)).backward()
    assert_allclose(reparameterize(mu, logvar, eps), tz.detach().numpy(), rtol=1e-14)
    assert_allclose(tmu.grad.numpy(), w, rtol=1e-14)
    assert_allclose(tlv.grad.numpy(), w * 0.5 * np.exp(0.5 * logvar) * eps, rtol=1e-14)


# ------------------------------------------------------------------ flows: affine coupling


def _torch_coupling(mask, seed=0, hidden=7):
    """A RealNVP coupling layer in torch (float64): s, t = MLP(x * mask); returns y(x) and the conditioner."""
    g = torch.Generator().manual_seed(seed)
    D = len(mask)
    W1, b1 = torch.randn(hidden, D, generator=g, dtype=torch.float64), torch.randn(hidden, generator=g, dtype=torch.float64)
    W2, b2 = (
        torch.randn(2 * D, hidden, generator=g, dtype=torch.float64) * 0.5,
        torch.randn(2 * D, generator=g, dtype=torch.float64),
    )
    m = torch.tensor(mask, dtype=torch.float64)

    def conditioner(x):
        h = torch.tanh((x * m) @ W1.T + b1) @ W2.T + b2
        return h[..., :D], h[..., D:]

    def y_of_x(x):
        s, t = conditioner(x)
        return m * x + (1 - m) * (x * torch.exp(s) + t)

    return y_of_x, conditioner


@pytest.mark.parametrize("mask", [[1, 0], [0, 1], [1, 1, 0, 0, 0], [0, 1, 0, 1, 1, 0]])
def test_affine_coupling_logdet_equals_torch_autograd_jacobian(mask):
    y_of_x, conditioner = _torch_coupling(mask)
    rng = np.random.default_rng(20)
    for x in rng.normal(size=(4, len(mask))):
        xt = torch.from_numpy(x)
        jac = torch.autograd.functional.jacobian(y_of_x, xt).numpy()
        s, t = (a.numpy() for a in conditioner(xt))
        y, logdet = affine_coupling(x, mask, s, t)
        assert_allclose(y, y_of_x(xt).numpy(), rtol=1e-14, atol=1e-14)
        sign, logabs = np.linalg.slogdet(jac)
        assert sign > 0
        assert_allclose(logdet, logabs, rtol=1e-12, atol=1e-12)
        keep = np.asarray(mask, bool)
        assert_array_equal(jac[np.ix_(keep, ~keep)], 0.0)  # kept outputs do not depend on the transformed inputs


def test_affine_coupling_inverse_round_trips_and_negates_logdet():
    mask = np.array([True, False, True, False])
    _y_of_x, conditioner = _torch_coupling(mask.astype(int), seed=3)
    x = np.random.default_rng(21).normal(size=(6, 4))
    s, t = (a.numpy() for a in conditioner(torch.from_numpy(x)))
    y, logdet = affine_coupling(x, mask, s, t)
    s_y, t_y = (a.numpy() for a in conditioner(torch.from_numpy(y)))  # recomputed from y: same, since y = x on mask
    assert_array_equal(s_y, s)
    x_back, logdet_inv = affine_coupling_inverse(y, mask, s_y, t_y)
    assert_allclose(x_back, x, rtol=1e-13, atol=1e-14)
    assert_allclose(logdet_inv, -logdet, rtol=1e-15)
    assert logdet.shape == (6,)


def test_affine_coupling_ignores_scale_and_shift_on_the_mask():
    rng = np.random.default_rng(22)
    x, s, t = rng.normal(size=(3, 5, 3))
    mask = [1, 0, 1]
    y, logdet = affine_coupling(x, mask, s, t)
    s2, t2 = s.copy(), t.copy()
    s2[:, [0, 2]], t2[:, [0, 2]] = 100.0, -7.0
    y2, logdet2 = affine_coupling(x, mask, s2, t2)
    assert_array_equal(y, y2)
    assert_array_equal(logdet, logdet2)
    assert_array_equal(y[:, [0, 2]], x[:, [0, 2]])
    assert_allclose(logdet, s[:, 1], rtol=0)


@SETTINGS
@given(st.integers(1, 6), st.integers(0, 2**16))
def test_affine_coupling_logdet_is_log_of_the_diagonal_product_for_any_mask(D, seed):
    """Any mask: the log-det is the log of the product of the diagonal scales exp(s_j) off the mask."""
    rng = np.random.default_rng(seed)
    mask = rng.integers(0, 2, size=D).astype(bool)
    x, s, t = rng.normal(size=(3, 2, D))
    y, logdet = affine_coupling(x, mask, s, t)
    assert_allclose(np.exp(logdet), np.prod(np.where(mask, 1.0, np.exp(s)), axis=-1), rtol=1e-12)
    x_back, _ = affine_coupling_inverse(y, mask, s, t)
    assert_allclose(x_back, x, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ GAN


def test_optimal_discriminator_maximises_the_pointwise_value():
    """For a, b > 0, D -> a log D + b log(1 - D) is maximised at a / (a + b) (scipy's bounded scalar search)."""
    rng = np.random.default_rng(23)
    a, b = rng.exponential(size=(2, 8))
    d_star = optimal_discriminator(a, b)
    for ai, bi, di in zip(a, b, d_star):
        res = scipy.optimize.minimize_scalar(
            lambda d: -(ai * np.log(d) + bi * np.log1p(-d)), bounds=(1e-12, 1 - 1e-12), method="bounded", options={"xatol": 1e-12}
        )
        assert_allclose(di, res.x, atol=1e-7)


def test_optimal_discriminator_edge_values():
    assert_array_equal(optimal_discriminator([0.0, 1.0, 0.0, 2.0], [0.0, 0.0, 3.0, 2.0]), [0.5, 1.0, 0.0, 0.5])
    assert optimal_discriminator(np.float32(1.0), np.float32(3.0)) == 0.25


def test_gan_value_at_optimum_equals_minus_log4_plus_twice_scipy_js():
    rng = np.random.default_rng(24)
    p = rng.dirichlet(np.ones(9), size=5)
    q = rng.dirichlet(np.ones(9), size=5)
    q[0, :3] = 0.0
    q[0] /= q[0].sum()  # some zero probabilities
    js = scipy.spatial.distance.jensenshannon(p, q, axis=-1) ** 2
    assert_allclose(gan_value(p, q), -np.log(4) + 2 * js, rtol=1e-12, atol=1e-14)
    assert_allclose(gan_value(p, q, optimal_discriminator(p, q)), gan_value(p, q), rtol=1e-13)
    assert_allclose(gan_value(p[0], p[0]), -np.log(4), rtol=1e-15)


def test_gan_value_matches_explicit_expectations_for_any_discriminator():
    rng = np.random.default_rng(25)
    p, q = rng.dirichlet(np.ones(6), size=2)
    d = rng.uniform(0.01, 0.99, size=6)
    assert_allclose(gan_value(p, q, d), np.sum(p * np.log(d)) + np.sum(q * np.log(1 - d)), rtol=1e-14)


@SETTINGS
@given(st.integers(0, 2**16))
def test_gan_value_of_any_discriminator_is_at_most_the_optimum(seed):
    rng = np.random.default_rng(seed)
    p, q = rng.dirichlet(np.ones(5), size=2)
    d = rng.uniform(0, 1, size=5)
    assert gan_value(p, q, d) <= gan_value(p, q) + 1e-12


def test_gan_value_is_minus_infinity_for_a_certain_wrong_discriminator_and_ignores_zero_mass():
    assert gan_value([0.5, 0.5], [0.5, 0.5], [0.0, 0.5]) == -np.inf
    assert gan_value([0.5, 0.5], [0.5, 0.5], [0.5, 1.0]) == -np.inf
    # d = 0 where there are no real data and d = 1 where there is no generated mass are perfect answers
    assert gan_value([1.0, 0.0], [0.0, 1.0], [1.0, 0.0]) == 0.0
    assert gan_value([1.0, 0.0], [0.0, 1.0]) == 0.0


# ------------------------------------------------------------------ DDPM schedule


def test_linear_beta_schedule_equals_numpy_linspace_with_ho_et_al_defaults():
    betas = linear_beta_schedule()
    assert betas.shape == (1000,) and betas.dtype == np.float64
    assert betas[0] == 1e-4 and betas[-1] == 0.02
    assert_array_equal(betas, np.linspace(1e-4, 0.02, 1000))
    assert_array_equal(linear_beta_schedule(T=7, beta_1=0.1, beta_T=0.3), np.linspace(0.1, 0.3, 7))
    assert_array_equal(linear_beta_schedule(T=1, beta_1=0.1, beta_T=0.3), [0.1])


def test_alpha_bar_equals_explicit_products():
    betas = linear_beta_schedule(T=50, beta_1=1e-3, beta_T=0.2)
    expected = [np.prod([1 - betas[s] for s in range(t + 1)]) for t in range(50)]
    assert_allclose(alpha_bar(betas), expected, rtol=1e-13)
    assert alpha_bar(betas.astype(np.float32)).dtype == np.float32


def test_alpha_bar_of_default_schedule_nearly_destroys_the_signal():
    abar = alpha_bar(linear_beta_schedule())
    assert np.all(np.diff(abar) < 0)
    assert 1e-5 < abar[-1] < 1e-4  # x_T is almost pure noise (sqrt(abar_T) ~ 0.006)


# ------------------------------------------------------------------ forward process


def _run_chain(x0, betas, noises):
    """x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) z_t, step by step; returns all states."""
    states, x = [], x0
    for beta, z in zip(betas, noises):
        x = np.sqrt(1 - beta) * x + np.sqrt(beta) * z
        states.append(x)
    return states


def test_q_sample_equals_the_markov_chain_for_matching_noise():
    """The chain's accumulated noise is sum_k sqrt(abar_t / abar_k) sqrt(beta_k) z_k, a unit-variance
    combination of the z_k once divided by sqrt(1 - abar_t): feeding that eps reproduces the chain."""
    rng = np.random.default_rng(5)
    betas = linear_beta_schedule(T=30, beta_1=0.01, beta_T=0.3)
    abar = np.cumprod(1 - betas)
    x0 = rng.normal(size=(2, 3))
    noises = rng.standard_normal((30, 2, 3))
    states = _run_chain(x0, betas, noises)
    for t in (0, 1, 7, 29):
        weights = np.sqrt(abar[t] / abar[: t + 1]) * np.sqrt(betas[: t + 1]) / np.sqrt(1 - abar[t])
        assert_allclose(np.sum(weights**2), 1.0, rtol=1e-13)
        eps = np.tensordot(weights, noises[: t + 1], axes=1)
        assert_allclose(q_sample(x0, t, eps, abar), states[t], rtol=1e-12, atol=1e-14)


def test_q_sample_moments_match_the_markov_chain_monte_carlo():
    """Independent noise for the chain and for q_sample: means and variances agree within 5 standard errors."""
    rng = np.random.default_rng(6)
    betas = linear_beta_schedule(T=40, beta_1=0.005, beta_T=0.1)
    abar = alpha_bar(betas)
    x0 = np.array([-2.0, 0.5, 3.0])
    n = 100_000
    x, chain = np.broadcast_to(x0, (n, 3)), {}
    for t in range(40):
        x = np.sqrt(1 - betas[t]) * x + np.sqrt(betas[t]) * rng.standard_normal((n, 3))
        chain[t] = x
    for t in (0, 9, 39):
        direct = q_sample(np.broadcast_to(x0, (n, 3)), t, rng.standard_normal((n, 3)), abar)
        var = 1 - abar[t]
        se_mean, se_var = np.sqrt(2 * var / n), var * np.sqrt(2 * 2 / n)  # of a difference of two estimates
        assert np.all(np.abs(chain[t].mean(0) - direct.mean(0)) < N_SE * se_mean)
        assert np.all(np.abs(chain[t].var(0) - direct.var(0)) < N_SE * se_var)
        assert np.all(np.abs(chain[t].mean(0) - np.sqrt(abar[t]) * x0) < N_SE * np.sqrt(var / n))


def test_q_sample_with_per_example_steps_broadcasts_over_trailing_dims():
    rng = np.random.default_rng(7)
    abar = alpha_bar(linear_beta_schedule(T=100))
    x0, eps = rng.normal(size=(2, 4, 3, 5, 5))
    t = np.array([0, 99, 42, 42])
    out = q_sample(x0, t, eps, abar)
    for i in range(4):
        assert_allclose(out[i], np.sqrt(abar[t[i]]) * x0[i] + np.sqrt(1 - abar[t[i]]) * eps[i], rtol=1e-14)
    assert_allclose(q_sample(x0, np.int64(42), eps, abar), q_sample(x0, np.full(4, 42), eps, abar), rtol=0)


def test_q_sample_keeps_float32():
    abar = alpha_bar(linear_beta_schedule(T=10))
    x0 = np.ones((2, 3), dtype=np.float32)
    out = q_sample(x0, np.array([1, 2]), np.zeros((2, 3), dtype=np.float32), abar)
    assert out.dtype == np.float32
    assert_allclose(out, np.sqrt(abar[[1, 2]])[:, None] * np.ones((2, 3)), rtol=1e-6)


# ------------------------------------------------------------------ posterior


def test_ddpm_posterior_equals_bayes_rule_product_of_gaussians():
    """Prior x_{t-1} | x0 ~ N(sqrt(abar[t-1]) x0, 1 - abar[t-1]) times likelihood
    x_t | x_{t-1} ~ N(sqrt(alpha_t) x_{t-1}, beta_t): precisions add, precision-weighted means add."""
    rng = np.random.default_rng(8)
    betas = linear_beta_schedule(T=200, beta_1=1e-4, beta_T=0.05)
    abar = np.cumprod(1 - betas)
    x0, xt = rng.normal(size=(2, 6, 3))
    t = np.array([1, 2, 10, 100, 150, 199])
    mean, var = ddpm_posterior(x0, xt, t, betas)
    assert mean.shape == var.shape == x0.shape
    a_prev, alpha, beta = abar[t - 1][:, None], (1 - betas[t])[:, None], betas[t][:, None]
    precision = 1 / (1 - a_prev) + alpha / beta
    expected_mean = (np.sqrt(a_prev) * x0 / (1 - a_prev) + np.sqrt(alpha) * xt / beta) / precision
    assert_allclose(mean, expected_mean, rtol=1e-10, atol=1e-12)
    assert_allclose(var, np.broadcast_to(1 / precision, var.shape), rtol=1e-10)


def test_ddpm_posterior_equals_gaussian_conditioning_of_the_joint():
    """(x_{t-1}, x_t) | x0 is jointly Gaussian; condition with the Schur complement."""
    rng = np.random.default_rng(9)
    betas = linear_beta_schedule(T=50, beta_1=0.01, beta_T=0.2)
    abar = np.cumprod(1 - betas)
    x0, xt = rng.normal(size=2)
    for t in (1, 25, 49):
        s11 = 1 - abar[t - 1]  # Var(x_{t-1} | x0)
        s22 = 1 - abar[t]  # Var(x_t | x0)
        s12 = np.sqrt(1 - betas[t]) * s11  # Cov(x_{t-1}, x_t | x0)
        mean_cond = np.sqrt(abar[t - 1]) * x0 + s12 / s22 * (xt - np.sqrt(abar[t]) * x0)
        mean, var = ddpm_posterior(x0, xt, t, betas)
        assert_allclose(mean, mean_cond, rtol=1e-11)
        assert_allclose(var, s11 - s12**2 / s22, rtol=1e-11)


def test_ddpm_posterior_matches_monte_carlo_regression_on_the_chain():
    """Among simulated pairs (x_{t-1}, x_t) from a fixed x0, E[x_{t-1} | x_t] is linear in x_t with the
    posterior's slope, and the residual variance is the posterior variance (5 standard errors)."""
    rng = np.random.default_rng(10)
    betas = linear_beta_schedule(T=20, beta_1=0.05, beta_T=0.3)
    abar = np.cumprod(1 - betas)
    x0, t, n = 1.5, 8, 200_000
    prev = np.sqrt(abar[t - 1]) * x0 + np.sqrt(1 - abar[t - 1]) * rng.standard_normal(n)
    cur = np.sqrt(1 - betas[t]) * prev + np.sqrt(betas[t]) * rng.standard_normal(n)
    slope, intercept = np.polyfit(cur, prev, 1)
    mean0, var = ddpm_posterior(x0, 0.0, t, betas)
    mean1, _ = ddpm_posterior(x0, 1.0, t, betas)
    resid_var = np.var(prev - (slope * cur + intercept))
    se_slope = np.sqrt(var / (n * np.var(cur)))
    assert abs(slope - (mean1 - mean0)) < N_SE * se_slope
    assert abs(resid_var - var) < N_SE * var * np.sqrt(2 / n)


def test_ddpm_mean_from_eps_equals_posterior_mean_with_x0_from_the_closed_form():
    rng = np.random.default_rng(26)
    betas = linear_beta_schedule(T=300, beta_1=1e-4, beta_T=0.04)
    abar = alpha_bar(betas)
    x0, eps = rng.normal(size=(2, 5, 2))
    t = np.array([1, 2, 50, 150, 299])
    xt = q_sample(x0, t, eps, abar)
    mean_posterior, _ = ddpm_posterior(x0, xt, t, betas)
    assert_allclose(ddpm_mean_from_eps(xt, t, eps, betas), mean_posterior, rtol=1e-10, atol=1e-12)


def test_ddpm_mean_from_eps_at_the_first_step_recovers_x0_and_keeps_float32():
    betas = linear_beta_schedule(T=10)
    abar = alpha_bar(betas)
    x0, eps = np.random.default_rng(27).normal(size=(2, 3, 4))
    assert_allclose(ddpm_mean_from_eps(q_sample(x0, 0, eps, abar), 0, eps, betas), x0, rtol=1e-12, atol=1e-14)
    out = ddpm_mean_from_eps(np.ones((2, 2), np.float32), np.array([0, 9]), np.zeros((2, 2), np.float32), betas)
    assert out.dtype == np.float32
    assert_allclose(out, np.broadcast_to(1 / np.sqrt(1 - betas[[0, 9]])[:, None], (2, 2)), rtol=1e-6)


# ------------------------------------------------------------------ bad input


ABAR = alpha_bar(linear_beta_schedule(T=10))
BETAS = linear_beta_schedule(T=10)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: gaussian_kl(np.zeros(3), np.zeros(4)), "mu and logvar"),
        (lambda: gaussian_kl(0.0, 0.0), "mu must have at least 1"),
        (lambda: gaussian_kl(np.zeros(2), [0.0, np.inf]), "logvar must be finite"),
        (lambda: reparameterize(np.zeros(3), np.zeros(3), np.zeros(2)), "mu and eps"),
        (lambda: reparameterize(np.zeros(3), np.zeros(2), np.zeros(3)), "mu and logvar"),
        (lambda: linear_beta_schedule(T=0), "T must be >= 1"),
        (lambda: linear_beta_schedule(T=10.0), "T must be an integer"),
        (lambda: linear_beta_schedule(beta_1=0.0), "beta_1"),
        (lambda: linear_beta_schedule(beta_T=1.0), "beta_T"),
        (lambda: alpha_bar(np.array([0.1, 1.2])), "betas must lie in"),
        (lambda: alpha_bar(np.zeros((2, 2))), "betas must be 1-D"),
        (lambda: alpha_bar([]), "betas must not be empty"),
        (lambda: q_sample(np.zeros((2, 3)), 10, np.zeros((2, 3)), ABAR), "t must be < 10"),
        (lambda: q_sample(np.zeros((2, 3)), -1, np.zeros((2, 3)), ABAR), "t must be >= 0"),
        (lambda: q_sample(np.zeros((2, 3)), 1.0, np.zeros((2, 3)), ABAR), "t must be an integer"),
        (lambda: q_sample(np.zeros((2, 3)), np.array([1, 2, 3]), np.zeros((2, 3)), ABAR), r"t must have shape \(N,\)"),
        (lambda: q_sample(np.zeros((2, 3)), np.array([1, 10]), np.zeros((2, 3)), ABAR), r"t must lie in \[0, 9\]"),
        (lambda: q_sample(np.zeros((2, 3)), 1, np.zeros((3, 2)), ABAR), "x0 and eps"),
        (lambda: q_sample(np.zeros((2, 3)), 1, np.zeros((2, 3)), ABAR + 1), "alpha_bar must lie in"),
        (lambda: ddpm_posterior(np.zeros(3), np.zeros(3), 0, BETAS), "t must be >= 1"),
        (lambda: ddpm_posterior(np.zeros(2), np.zeros(2), np.array([0, 1]), BETAS), r"t must lie in \[1, 9\]"),
        (lambda: ddpm_posterior(np.zeros(3), np.zeros(2), 1, BETAS), "x0 and xt"),
        (lambda: ddpm_posterior(np.zeros(3), np.zeros(3), 1, -BETAS), "betas must lie in"),
        (lambda: ddpm_mean_from_eps(np.zeros(3), 1, np.zeros(2), BETAS), "xt and eps"),
        (lambda: ddpm_mean_from_eps(np.zeros(3), 10, np.zeros(3), BETAS), "t must be < 10"),
        (lambda: ddpm_mean_from_eps(np.zeros(3), 1, np.zeros(3), BETAS[:, None]), "betas must be 1-D"),
        (lambda: affine_coupling(np.zeros((2, 3)), [1, 0], np.zeros((2, 3)), np.zeros((2, 3))), "mask must be 1-D of length 3"),
        (lambda: affine_coupling(np.zeros((2, 3)), [1, 0, 2], np.zeros((2, 3)), np.zeros((2, 3))), "mask must be boolean"),
        (lambda: affine_coupling(np.zeros((2, 3)), [1, 0, 1], np.zeros((2, 2)), np.zeros((2, 3))), "x and log_scale"),
        (lambda: affine_coupling(np.zeros((2, 3)), [1, 0, 1], np.zeros((2, 3)), np.zeros(3)), "x and shift"),
        (lambda: affine_coupling(np.float64(1.0), [1], np.zeros(1), np.zeros(1)), "x must have at least 1"),
        (lambda: affine_coupling_inverse(np.zeros(3), [1, 0, 1], np.zeros(2), np.zeros(3)), "y and log_scale"),
        (lambda: affine_coupling_inverse(np.zeros(3), [1, 0, 1], np.zeros(3), [0.0, np.nan, 0.0]), "shift must be finite"),
        (lambda: optimal_discriminator([0.5, -0.1], [0.5, 0.5]), "p_data must be nonnegative"),
        (lambda: optimal_discriminator([0.5, 0.1], [0.5]), "p_data and p_g"),
        (lambda: optimal_discriminator([0.5, 0.1], [np.inf, 0.5]), "p_g must be finite"),
        (lambda: gan_value([0.5, 0.6], [0.5, 0.5]), "p_data must sum to 1"),
        (lambda: gan_value([0.5, 0.5], [0.5, 0.5, 0.0]), "p_data and p_g"),
        (lambda: gan_value([0.5, 0.5], [0.5, 0.5], [0.5, 1.5]), r"d must lie in \[0, 1\]"),
        (lambda: gan_value([0.5, 0.5], [0.5, 0.5], [0.5]), "p_data and d"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- no silent overflow where the true result is finite ------------------------------------------


def test_reparameterize_with_zero_noise_and_a_huge_log_variance_returns_the_mean():
    from mlmath.generative import reparameterize

    z = reparameterize(np.array([1.5]), np.array([2000.0]), np.array([0.0]))
    np.testing.assert_array_equal(z, [1.5])


def test_affine_coupling_of_zero_with_a_huge_scale_is_the_shift_and_inverts():
    from mlmath.generative import affine_coupling, affine_coupling_inverse

    mask = np.array([True, False])
    x, s, t = np.array([[3.0, 0.0]]), np.array([[0.0, 800.0]]), np.array([[0.0, 2.0]])
    y, _ = affine_coupling(x, mask, s, t)
    np.testing.assert_array_equal(y, [[3.0, 2.0]])
    back, _ = affine_coupling_inverse(y, mask, s, t)
    np.testing.assert_array_equal(back, x)


def test_optimal_discriminator_of_huge_equal_densities_is_one_half():
    from mlmath.generative import optimal_discriminator

    assert optimal_discriminator(1e308, 1e308) == 0.5
    np.testing.assert_allclose(optimal_discriminator([3.0, 0.0, 0.0], [1.0, 2.0, 0.0]), [0.75, 0.0, 0.5])


def test_ddpm_posterior_refuses_betas_below_machine_epsilon():
    from mlmath.generative import ddpm_posterior

    with pytest.raises(ValueError, match="betas must be at least machine epsilon"):
        ddpm_posterior(np.ones(2), np.ones(2), 1, np.array([1e-20, 1e-20, 0.1]))


# ------------------------------------------------------------------
# Errata regression tests (chapters/appendices/errata.md)
# The cheat sheet (002), 18 "Generative Models": each test asserts the correction against an
# independent oracle and that the cheat sheet's claim fails.


def test_cheatsheet_full_covariance_reparameterization_is_a_matrix_product():
    """Seed: z = mu + Sigma^{1/2} ⊙ eps for z ~ N(mu, Sigma). Correct: z = mu + L eps with L L^T = Sigma."""
    rng = np.random.default_rng(0)
    Sigma = np.array([[2.0, 1.2, 0.3], [1.2, 1.5, -0.2], [0.3, -0.2, 0.5]])
    mu = np.array([1.0, -1.0, 0.5])
    n = 200_000
    eps = rng.standard_normal((n, 3))
    for L in (np.linalg.cholesky(Sigma), np.real(scipy.linalg.sqrtm(Sigma))):
        np.testing.assert_allclose(L @ L.T, Sigma, atol=1e-12)
        z = mu + eps @ L.T
        se = np.sqrt((Sigma**2 + np.outer(np.diag(Sigma), np.diag(Sigma))) / n)  # s.e. of sample covariances
        assert np.all(np.abs(np.cov(z.T) - Sigma) < N_SE * se)
        assert np.all(np.abs(z.mean(0) - mu) < N_SE * np.sqrt(np.diag(Sigma) / n))
    # The seed's elementwise product, broadcast, is a matrix per sample, not a vector ...
    root = np.real(scipy.linalg.sqrtm(Sigma))
    assert (root * eps[0]).shape == (3, 3)
    # ... and the reading that gives a vector, sqrt(diag Sigma) ⊙ eps, drops the correlations.
    z_diag = mu + np.sqrt(np.diag(Sigma)) * eps
    assert abs(np.cov(z_diag.T)[0, 1] - Sigma[0, 1]) > 1.0
    # For a diagonal covariance the elementwise form is right and is mlmath's reparameterize.
    logvar = np.log(np.diag(Sigma))
    np.testing.assert_allclose(
        reparameterize(np.broadcast_to(mu, eps.shape), np.broadcast_to(logvar, eps.shape), eps),
        mu + eps @ np.diag(np.sqrt(np.diag(Sigma))).T,
        rtol=1e-13,
        atol=1e-14,
    )


def test_cheatsheet_alpha_bar_is_a_partial_product():
    """Seed: alpha_bar_t = prod alpha_i (no bounds). Correct: alpha_bar_t = prod_{i=1}^t alpha_i; the product over
    the whole schedule would make x_t pure noise at every t."""
    rng = np.random.default_rng(3)
    betas = linear_beta_schedule(1000)
    x0, n, t = 1.5, 200_000, 100  # paper's t; zero-based index t - 1
    x = np.full(n, x0)
    for k in range(t):
        x = np.sqrt(1 - betas[k]) * x + np.sqrt(betas[k]) * rng.standard_normal(n)
    partial = np.prod(1 - betas[:t])
    whole = np.prod(1 - betas)
    np.testing.assert_allclose(alpha_bar(betas)[t - 1], partial, rtol=1e-12)
    se_mean = np.sqrt((1 - partial) / n)
    assert abs(x.mean() - np.sqrt(partial) * x0) < N_SE * se_mean
    assert abs(x.var() - (1 - partial)) < N_SE * (1 - partial) * np.sqrt(2 / n)
    assert abs(x.mean() - np.sqrt(whole) * x0) > 100 * se_mean  # the unbounded reading is far off
    direct = q_sample(np.full(n, x0), t - 1, rng.standard_normal(n), alpha_bar(betas))
    assert abs(direct.mean() - x.mean()) < N_SE * np.sqrt(2) * se_mean
