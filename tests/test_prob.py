"""Tests for mlmath.prob against SciPy (scipy.stats, numerical integration), scikit-learn and
independent formulas (the precision-matrix form of Gaussian conditioning), plus the errata of
the probability chapter."""

import numpy as np
import pytest
import scipy.integrate
import scipy.stats
import sklearn.covariance
from numpy.testing import assert_allclose

from mlmath.gradcheck import numerical_gradient
from mlmath.prob import chebyshev_bound, gaussian_condition, gaussian_logpdf, gaussian_mle, mgf


def _spd(rng, d, jitter=0.5):
    A = rng.normal(size=(d, d))
    return A @ A.T + jitter * np.eye(d)


# ------------------------------------------------------------------ gaussian_logpdf


@pytest.mark.parametrize("d", [1, 2, 5])
def test_gaussian_logpdf_matches_scipy_for_one_point_and_a_batch(d):
    rng = np.random.default_rng(d)
    mu, Sigma = rng.normal(size=d), _spd(rng, d)
    X = rng.normal(size=(7, d)) * 2
    oracle = scipy.stats.multivariate_normal(mu, Sigma)
    assert_allclose(gaussian_logpdf(X, mu, Sigma), oracle.logpdf(X), rtol=1e-12)
    one = gaussian_logpdf(X[0], mu, Sigma)
    assert np.ndim(one) == 0
    assert_allclose(one, oracle.logpdf(X[0]), rtol=1e-12)
    assert gaussian_logpdf(X, mu, Sigma).shape == (7,)


def test_gaussian_logpdf_is_accurate_for_an_ill_conditioned_covariance():
    """Cholesky and a triangular solve, not an inverse: agreement with SciPy's eigen-based logpdf."""
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    Sigma = Q @ np.diag([1e-6, 1e-3, 1.0, 1e3]) @ Q.T
    Sigma = (Sigma + Sigma.T) / 2
    mu, X = np.zeros(4), rng.normal(size=(5, 4)) * 1e-3
    assert_allclose(gaussian_logpdf(X, mu, Sigma), scipy.stats.multivariate_normal(mu, Sigma).logpdf(X), rtol=1e-8)


def test_gaussian_logpdf_integrates_to_one_in_two_dimensions():
    mu, Sigma = np.array([0.3, -0.2]), np.array([[1.0, 0.6], [0.6, 0.8]])
    total, _ = scipy.integrate.dblquad(
        lambda y, x: np.exp(gaussian_logpdf(np.array([x, y]), mu, Sigma)), -9, 9, -9, 9, epsabs=1e-11
    )
    assert abs(total - 1) < 1e-8


def test_gaussian_logpdf_gradient_in_x_is_minus_precision_times_residual():
    rng = np.random.default_rng(4)
    mu, Sigma, x = rng.normal(size=3), _spd(rng, 3), rng.normal(size=3)
    numeric = numerical_gradient(lambda v: float(gaussian_logpdf(v, mu, Sigma)), x)
    assert_allclose(numeric, -np.linalg.solve(Sigma, x - mu), rtol=1e-7, atol=1e-9)


def test_gaussian_logpdf_keeps_float32():
    mu, Sigma = np.zeros(2, np.float32), np.eye(2, dtype=np.float32)
    assert gaussian_logpdf(np.ones((3, 2), np.float32), mu, Sigma).dtype == np.float32


# ------------------------------------------------------------------ gaussian_condition


def _precision_condition(mu, Sigma, a, v):
    """The conditional through the precision matrix Lambda = Sigma^{-1}: an independent formula."""
    d = len(mu)
    b = np.setdiff1d(np.arange(d), a)
    Lam = np.linalg.inv(Sigma)
    cov = np.linalg.inv(Lam[np.ix_(b, b)])
    mean = mu[b] - cov @ Lam[np.ix_(b, a)] @ (v - mu[a])
    return mean, cov


@pytest.mark.parametrize("a", [[0], [2], [3, 1], [0, 4, 2]])
def test_gaussian_condition_matches_the_precision_matrix_form(a):
    rng = np.random.default_rng(len(a) + sum(a))
    mu, Sigma = rng.normal(size=5), _spd(rng, 5)
    v = rng.normal(size=len(a))
    mean, cov = gaussian_condition(mu, Sigma, a, v)
    ref_mean, ref_cov = _precision_condition(mu, Sigma, np.array(a), v)
    assert_allclose(mean, ref_mean, rtol=1e-10, atol=1e-12)
    assert_allclose(cov, ref_cov, rtol=1e-10, atol=1e-12)
    assert_allclose(cov, cov.T, rtol=0, atol=0)


def test_gaussian_condition_density_is_joint_over_marginal_by_scipy():
    """log p(x_b | x_a) = log p(x) - log p(x_a), all three densities from scipy.stats."""
    rng = np.random.default_rng(5)
    mu, Sigma = rng.normal(size=4), _spd(rng, 4)
    a, b = np.array([2, 0]), np.array([1, 3])
    x = rng.normal(size=4)
    mean, cov = gaussian_condition(mu, Sigma, a, x[a])
    lhs = scipy.stats.multivariate_normal(mean, cov).logpdf(x[b])
    rhs = scipy.stats.multivariate_normal(mu, Sigma).logpdf(x) - scipy.stats.multivariate_normal(
        mu[a], Sigma[np.ix_(a, a)]
    ).logpdf(x[a])
    assert_allclose(lhs, rhs, rtol=1e-11)


def test_gaussian_condition_on_independent_coordinates_changes_nothing():
    mu, Sigma = np.array([1.0, 2.0, 3.0]), np.diag([1.0, 4.0, 9.0])
    mean, cov = gaussian_condition(mu, Sigma, [1], [10.0])
    assert_allclose(mean, [1.0, 3.0], rtol=1e-15)
    assert_allclose(cov, np.diag([1.0, 9.0]), rtol=1e-15)


def test_gaussian_condition_by_monte_carlo_on_a_thin_slab():
    rng = np.random.default_rng(6)
    mu, Sigma = np.array([0.5, -1.0]), np.array([[2.0, 1.2], [1.2, 1.5]])
    samples = rng.multivariate_normal(mu, Sigma, size=400_000)
    slab = samples[np.abs(samples[:, 0] - 1.0) < 0.02, 1]
    mean, cov = gaussian_condition(mu, Sigma, [0], [1.0])
    se = np.sqrt(cov[0, 0] / slab.size)
    assert abs(slab.mean() - mean[0]) < 4 * se
    assert abs(slab.var() - cov[0, 0]) < 0.05 * cov[0, 0]


# ------------------------------------------------------------------ gaussian_mle


def test_gaussian_mle_matches_numpy_and_scikit_learn_empirical_covariance():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(50, 3)) @ rng.normal(size=(3, 3))
    mu, Sigma = gaussian_mle(X)
    assert_allclose(mu, X.mean(axis=0), rtol=1e-14)
    assert_allclose(Sigma, np.cov(X.T, bias=True), rtol=1e-12)
    est = sklearn.covariance.EmpiricalCovariance().fit(X)
    assert_allclose(Sigma, est.covariance_, rtol=1e-12)
    assert_allclose(mu, est.location_, rtol=1e-14)


def test_gaussian_mle_maximises_the_likelihood():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(40, 2)) + [1.0, -2.0]
    mu, Sigma = gaussian_mle(X)
    best = gaussian_logpdf(X, mu, Sigma).sum()
    for _ in range(20):
        E = rng.normal(size=(2, 2)) * 0.05
        assert gaussian_logpdf(X, mu + rng.normal(size=2) * 0.05, Sigma + E @ E.T).sum() < best
        assert gaussian_logpdf(X, mu, Sigma * 1.05).sum() < best


def test_gaussian_mle_covariance_is_biased_by_n_minus_1_over_n():
    rng = np.random.default_rng(9)
    N, trials, Sigma_true = 5, 20_000, np.array([[2.0, 0.5], [0.5, 1.0]])
    X = rng.multivariate_normal(np.zeros(2), Sigma_true, size=(trials, N))
    centred = X - X.mean(axis=1, keepdims=True)
    mean_estimate = np.einsum("tni,tnj->ij", centred, centred) / (N * trials)
    assert_allclose(gaussian_mle(X[0])[1], np.einsum("ni,nj->ij", centred[0], centred[0]) / N, rtol=1e-12)
    assert_allclose(mean_estimate, (N - 1) / N * Sigma_true, atol=0.03)


# ------------------------------------------------------------------ mgf


def _expect(dist, t):
    """E[exp(t X)] by scipy.stats (summing the pmf, or integrating the pdf over mean +- 40 sd)."""
    if hasattr(dist.dist, "pmf"):
        return dist.expect(lambda x: np.exp(t * x))
    low, high = dist.support()
    lb, ub = max(low, dist.mean() - 40 * dist.std()), min(high, dist.mean() + 40 * dist.std())
    return dist.expect(lambda x: np.exp(t * x), lb=lb, ub=ub, epsabs=1e-13, epsrel=1e-12)


CASES = [
    ("bernoulli", {"p": 0.3}, scipy.stats.bernoulli(0.3)),
    ("binomial", {"n": 7, "p": 0.4}, scipy.stats.binom(7, 0.4)),
    ("poisson", {"lam": 2.5}, scipy.stats.poisson(2.5)),
    ("gaussian", {"mu": 0.7, "sigma": 1.3}, scipy.stats.norm(0.7, 1.3)),
    ("gamma", {"shape": 2.5, "scale": 0.5}, scipy.stats.gamma(2.5, scale=0.5)),
]


@pytest.mark.parametrize("name, params, dist", CASES, ids=[c[0] for c in CASES])
def test_mgf_matches_the_expectation_computed_by_scipy(name, params, dist):
    for t in (-1.5, -0.3, 0.0, 0.4, 1.1):
        assert_allclose(mgf(name, t, **params), _expect(dist, t), rtol=1e-7)


@pytest.mark.parametrize("name, params, dist", CASES, ids=[c[0] for c in CASES])
def test_mgf_derivatives_at_zero_are_the_moments(name, params, dist):
    h = 1e-4
    first = (mgf(name, h, **params) - mgf(name, -h, **params)) / (2 * h)
    second = (mgf(name, h, **params) - 2 * mgf(name, 0.0, **params) + mgf(name, -h, **params)) / h**2
    assert mgf(name, 0.0, **params) == pytest.approx(1.0, abs=1e-15)
    assert_allclose(first, dist.mean(), rtol=1e-6)
    assert_allclose(second, dist.var() + dist.mean() ** 2, rtol=1e-5)


def test_mgf_of_an_array_keeps_its_shape_and_a_scalar_gives_a_float():
    t = np.linspace(-1, 1, 6).reshape(2, 3)
    assert mgf("poisson", t, lam=1.0).shape == (2, 3)
    assert isinstance(mgf("poisson", 0.5, lam=1.0), float)


def test_mgf_of_a_sum_of_independent_variables_is_the_product():
    """Binomial(n, p) is a sum of n Bernoulli(p): M = M_Bernoulli^n; Gamma shapes add."""
    t = np.linspace(-2, 0.9, 7)
    assert_allclose(mgf("binomial", t, n=5, p=0.3), mgf("bernoulli", t, p=0.3) ** 5, rtol=1e-13)
    assert_allclose(
        mgf("gamma", t, shape=1.5, scale=1.0) * mgf("gamma", t, shape=2.0, scale=1.0),
        mgf("gamma", t, shape=3.5, scale=1.0),
        rtol=1e-13,
    )


def test_mgf_gamma_outside_its_domain_raises():
    with pytest.raises(ValueError, match="t must be < 1/scale"):
        mgf("gamma", 2.0, shape=1.0, scale=0.5)
    with pytest.raises(ValueError, match="t must be < 1/scale"):
        mgf("gamma", np.array([0.0, 1.0]), shape=1.0, scale=1.0)


# ------------------------------------------------------------------ chebyshev_bound


def test_chebyshev_bound_values_and_clipping():
    assert chebyshev_bound(1.0, 2.0) == 0.25
    assert chebyshev_bound(4.0, 1.0) == 1.0
    assert_allclose(chebyshev_bound(2.0, np.array([1.0, 2.0, 4.0])), [1.0, 0.5, 0.125])


@pytest.mark.parametrize(
    "dist",
    [scipy.stats.norm(0, 2), scipy.stats.expon(), scipy.stats.uniform(-1, 2), scipy.stats.t(5)],
    ids=["norm", "expon", "uniform", "t5"],
)
def test_chebyshev_bound_exceeds_the_exact_tail_probability(dist):
    k = np.linspace(0.1, 6, 50)
    mean, var = dist.mean(), dist.var()
    exact_tail = dist.sf(mean + k) + dist.cdf(mean - k)
    assert np.all(chebyshev_bound(var, k) >= exact_tail - 1e-15)


def test_chebyshev_bound_is_attained_by_the_three_point_distribution():
    """X = -k, 0, k with probabilities s/2, 1 - s, s/2: Var = s k^2 and P(|X| >= k) = s."""
    k, s = 2.0, 0.3
    assert chebyshev_bound(s * k**2, k) == pytest.approx(s, rel=1e-15)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: gaussian_logpdf([0.0, 0.0], [0.0, 0.0], [[1.0, 0.5], [0.4, 1.0]]), "Sigma must be symmetric positive definite"),
        (lambda: gaussian_logpdf([0.0, 0.0], [0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]]), "Sigma must be symmetric positive definite"),
        (lambda: gaussian_logpdf([0.0, 0.0], [0.0, 0.0], np.eye(3)), "Sigma must have shape"),
        (lambda: gaussian_logpdf([0.0, 0.0, 0.0], [0.0, 0.0], np.eye(2)), "x must have 2 entries"),
        (lambda: gaussian_logpdf([0.0, np.nan], [0.0, 0.0], np.eye(2)), "x must be finite"),
        (lambda: gaussian_logpdf([0.0], [[0.0]], np.eye(1)), "mu must be 1-D"),
        (lambda: gaussian_condition([0.0, 0.0], np.eye(2), [2], [1.0]), "idx must hold indices"),
        (lambda: gaussian_condition([0.0, 0.0, 0.0], np.eye(3), [1, 1], [1.0, 1.0]), "idx must not repeat"),
        (lambda: gaussian_condition([0.0, 0.0], np.eye(2), [0, 1], [1.0, 1.0]), "idx must leave at least one"),
        (lambda: gaussian_condition([0.0, 0.0], np.eye(2), [0], [1.0, 2.0]), "values must have one entry"),
        (lambda: gaussian_condition([0.0, 0.0], np.eye(2), [0.5], [1.0]), "idx must be a 1-D sequence of integer"),
        (lambda: gaussian_condition([0.0, 0.0], -np.eye(2), [0], [1.0]), "Sigma must be symmetric positive definite"),
        (lambda: gaussian_mle(np.ones(3)), "X must be 2-D"),
        (lambda: gaussian_mle(np.ones((0, 3))), "X must not be empty"),
        (lambda: mgf("cauchy", 0.1), "dist must be one of"),
        (lambda: mgf("bernoulli", 0.1, p=1.5), "p must be <= 1"),
        (lambda: mgf("bernoulli", 0.1, p=-0.1), "p must be >= 0"),
        (lambda: mgf("bernoulli", 0.1), "params of dist='bernoulli' must be exactly p"),
        (lambda: mgf("binomial", 0.1, n=2.5, p=0.5), "n must be an integer"),
        (lambda: mgf("binomial", 0.1, n=-1, p=0.5), "n must be >= 0"),
        (lambda: mgf("poisson", 0.1, lam=-1.0), "lam must be >= 0"),
        (lambda: mgf("poisson", 0.1, lam=1.0, p=0.5), "params of dist='poisson'"),
        (lambda: mgf("gaussian", 0.1, mu=0.0, sigma=-1.0), "sigma must be >= 0"),
        (lambda: mgf("gamma", 0.1, shape=-1.0, scale=1.0), "shape must be > 0"),
        (lambda: mgf("gamma", 0.1, shape=1.0, scale=0.0), "scale must be > 0"),
        (lambda: mgf("gaussian", np.inf, mu=0.0, sigma=1.0), "t must be finite"),
        (lambda: chebyshev_bound(-1.0, 1.0), "var must be >= 0"),
        (lambda: chebyshev_bound(1.0, 0.0), "k must be > 0"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------------ errata


def test_erratum_sum_rule_sums_over_the_index_of_y():
    """sum_j p(x_i, y_j) is the marginal; the written sum_j p(x_i, y_i) is J p(x_i, y_i)."""
    P = np.array([[0.10, 0.25, 0.05], [0.30, 0.10, 0.20]])
    marginal = P.sum(axis=1)
    written = np.array([P.shape[1] * P[i, i] for i in range(2)])
    assert_allclose(marginal, [0.4, 0.6], rtol=1e-15)
    assert np.all(np.abs(written - marginal) > 0.05)
    assert written.sum() != pytest.approx(1.0)


def test_erratum_bayes_rule_has_one_hypothesis_in_the_numerator_and_the_evidence_below():
    prior = np.array([0.01, 0.99])  # disease, healthy
    like = np.array([0.95, 0.05])  # P(positive | hypothesis)
    posterior = like * prior / np.sum(like * prior)
    assert_allclose(posterior.sum(), 1.0, rtol=1e-15)
    assert posterior[0] == pytest.approx(0.0095 / 0.059, rel=1e-12)
    written = np.sum(like * prior) / np.sum(like)  # the same for every hypothesis
    assert abs(written - posterior[0]) > 0.04 and 2 * written != pytest.approx(1.0)


def test_erratum_density_of_a_negative_multiple_needs_the_absolute_value():
    """f_{aY}(z) = f_Y(z / a) / |a|; with 1/a the 'density' is negative for a < 0."""
    a, Y = -2.0, scipy.stats.expon()
    right = lambda z: Y.pdf(z / a) / abs(a)
    written = lambda z: Y.pdf(z / a) / a
    assert scipy.integrate.quad(right, -np.inf, 0)[0] == pytest.approx(1.0, abs=1e-10)
    assert scipy.integrate.quad(written, -np.inf, 0)[0] == pytest.approx(-1.0, abs=1e-10)
    # the right density is that of -2 Y, by scipy; the sample histogram agrees
    z = np.linspace(-10, 1, 101)
    assert_allclose(right(z), scipy.stats.expon(scale=2).pdf(-z), rtol=1e-12, atol=1e-300)
    sample = a * Y.rvs(size=200_000, random_state=np.random.default_rng(11))
    hist, edges = np.histogram(sample, bins=40, range=(-8, 0), density=False)
    centres = (edges[:-1] + edges[1:]) / 2
    expected = right(centres) * 0.2 * sample.size
    assert np.max(np.abs(hist - expected) / np.sqrt(expected)) < 4.5


def test_erratum_gamma_mgf_is_one_minus_scale_t_to_the_minus_shape():
    shape, scale, t = 2.5, 0.5, 0.8
    exact = _expect(scipy.stats.gamma(shape, scale=scale), t)
    assert_allclose(mgf("gamma", t, shape=shape, scale=scale), exact, rtol=1e-8)
    written = (1.0 / (shape - scale * t)) ** shape  # "(1 / (a - beta t))^alpha" with a = alpha
    assert abs(written - exact) / exact > 0.9


def test_erratum_gaussian_marginal_covariance_is_sigma_11_and_cross_blocks_are_not_psd():
    rng = np.random.default_rng(10)
    Sigma = np.array([[2.0, -1.5, 0.3], [-1.5, 2.0, 0.1], [0.3, 0.1, 1.0]])
    x = rng.multivariate_normal(np.zeros(3), Sigma, size=200_000)
    marginal_cov = np.cov(x[:, :1].T)
    assert abs(marginal_cov - Sigma[0, 0]) < 0.05
    Sigma_12 = Sigma[:1, 1:]  # 1 x 2: not square, so not p.s.d.
    assert Sigma_12.shape == (1, 2)
    Sigma_12_sq = Sigma[:1, 1:2]  # with equal block sizes it can be negative definite
    assert np.linalg.eigvalsh(Sigma_12_sq)[0] < 0
