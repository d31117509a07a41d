"""Regression tests for the errata of the generative-models and information-theory parts of the
cheat sheet (shared/seeds/002_*.txt, sections 5 and 18). One test per erratum, named in
notes/errata_generative.md; each asserts the correction against an independent oracle and that
the seed's claim fails."""

import numpy as np
import scipy.linalg
import scipy.special
import scipy.stats
import torch

from mlmath.generative import alpha_bar, linear_beta_schedule, q_sample, reparameterize
from mlmath.info import cross_entropy, entropy, kl_divergence

N_SE = 5.0  # Monte Carlo tolerance in standard errors (all generators seeded)


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


def test_cheatsheet_cross_entropy_is_entropy_plus_kl():
    """Seed: H(X; p, q) = H(X) - H(X) (identically zero). Correct: H(p, q) = H(p) + KL(p || q)."""
    rng = np.random.default_rng(1)
    p, q = rng.dirichlet(np.ones(5), size=(2, 4))
    np.testing.assert_allclose(
        cross_entropy(p, q), scipy.stats.entropy(p, axis=-1) + scipy.stats.entropy(p, q, axis=-1), rtol=1e-12
    )
    np.testing.assert_allclose(cross_entropy(p, q), entropy(p) + kl_divergence(p, q), rtol=1e-12)
    seed_claim = entropy(p) - entropy(p)  # "H(X) - H(X)" under any reading is 0
    assert np.all(np.abs(cross_entropy(p, q) - seed_claim) > 0.5)
    # the reading H(p, q) = H(p) - KL(p || q) fails too, unless p == q
    assert np.all(np.abs(cross_entropy(p, q) - (entropy(p) - kl_divergence(p, q))) > 1e-3)


def test_cheatsheet_kl_definition_and_absolute_continuity():
    """Seed (garbled): "The KL-divergence is q(x) = 0 (absolute continuity)". Correct: KL(p||q) = sum p log(p/q),
    finite only if q(x) = 0 implies p(x) = 0 (p absolutely continuous w.r.t. q), +inf otherwise."""
    p = np.array([0.5, 0.3, 0.2, 0.0])
    q = np.array([0.25, 0.25, 0.25, 0.25])
    by_definition = sum(pk * np.log(pk / qk) for pk, qk in zip(p, q) if pk > 0)
    torch_kl = torch.distributions.kl_divergence(
        torch.distributions.Categorical(torch.tensor(p)), torch.distributions.Categorical(torch.tensor(q))
    )
    np.testing.assert_allclose(kl_divergence(p, q), by_definition, rtol=1e-14)
    np.testing.assert_allclose(kl_divergence(p, q), torch_kl.item(), rtol=1e-12)
    assert kl_divergence(q, p) == np.inf  # q puts mass where p = 0: q is not a.c. w.r.t. p
    assert np.isinf(np.sum(scipy.special.rel_entr(q, p)))
    assert kl_divergence(p, q) != kl_divergence(q, p)  # not symmetric


def test_cheatsheet_entropy_is_nonnegative_only_for_discrete_distributions():
    """Seed: H(X) = E[-log p(X)] >= 0 for "a random variable distributed according to p". True for a pmf; for a
    density the same expectation (differential entropy) is negative whenever the density is concentrated."""
    rng = np.random.default_rng(2)
    for p in rng.dirichlet(np.ones(6), size=20):
        assert entropy(p) >= 0
    s = 0.1
    z = s * rng.standard_normal(400_000)
    minus_log_density = -scipy.stats.norm(scale=s).logpdf(z)
    h_mc, se = minus_log_density.mean(), minus_log_density.std() / np.sqrt(len(z))
    h_exact = 0.5 * np.log(2 * np.pi * np.e * s**2)
    assert abs(h_mc - h_exact) < N_SE * se
    np.testing.assert_allclose(h_exact, scipy.stats.norm(scale=s).entropy(), rtol=1e-14)
    assert h_exact < -0.8  # the seed's ">= 0" fails for N(0, 0.1^2)


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
