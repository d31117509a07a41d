"""Tests for ``mlmath.gp``: the RBF kernel, the log marginal likelihood and its gradient in
log-hyperparameters, and the posterior, against scikit-learn's GaussianProcessRegressor,
SciPy's multivariate normal and central differences."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

from mlmath.gp import gp_log_marginal_likelihood, gp_posterior, rbf_kernel, squared_distances
from mlmath.gradcheck import numerical_gradient, relative_error

PEER_TOL = 1e-10
PARAMS = [(0.7, 1.3, 0.05), (2.0, 0.4, 0.5), (0.3, 2.5, 1e-3)]  # (lengthscale, variance, noise)


def _data(seed, n=15, d=1):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3, 3, size=(n, d))
    y = np.sin(X.sum(axis=1)) + 0.1 * rng.normal(size=n)
    return X, y


def _sklearn(lengthscale, variance, noise):
    kernel = ConstantKernel(variance) * RBF(lengthscale) + WhiteKernel(noise)
    return GaussianProcessRegressor(kernel, alpha=0.0, optimizer=None)


@pytest.mark.parametrize("d", [1, 3])
def test_rbf_kernel_matches_sklearn(d):
    rng = np.random.default_rng(d)
    X1, X2 = rng.normal(size=(6, d)), rng.normal(size=(4, d))
    expected = (ConstantKernel(1.7) * RBF(0.8))(X1, X2)
    assert relative_error(rbf_kernel(X1, X2, 0.8, 1.7), expected) < 1e-14


def test_rbf_kernel_accepts_one_dimensional_inputs():
    x = np.array([0.0, 1.0, 3.0])
    K = rbf_kernel(x, x, 2.0, 1.5)
    assert np.allclose(K, 1.5 * np.exp(-(np.subtract.outer(x, x) ** 2) / 8))


def test_squared_distances_are_non_negative_and_zero_on_the_diagonal():
    X = np.random.default_rng(0).normal(size=(8, 2)) * 1e3
    D = squared_distances(X, X)
    assert np.all(D >= 0) and np.allclose(np.diag(D), 0, atol=1e-6)


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("d", [1, 2])
def test_log_marginal_likelihood_value_and_gradient_match_sklearn(params, d):
    X, y = _data(seed=d, d=d)
    lengthscale, variance, noise = params
    gpr = _sklearn(*params).fit(X, y)
    theta = np.log([variance, lengthscale, noise])
    assert np.allclose(gpr.kernel_.theta, theta)  # sklearn's order: constant, length scale, noise
    value_sk, grad_sk = gpr.log_marginal_likelihood(theta, eval_gradient=True)
    value, grad = gp_log_marginal_likelihood(X, y, lengthscale, variance, noise)
    assert abs(value - value_sk) <= PEER_TOL * abs(value_sk)
    assert relative_error(grad, grad_sk) < PEER_TOL


def test_log_marginal_likelihood_gradient_matches_finite_differences_in_log_space():
    X, y = _data(seed=5)

    def f(log_theta):
        var, ell, noise = np.exp(log_theta)
        return gp_log_marginal_likelihood(X, y, ell, var, noise)[0]

    log_theta = np.log([1.1, 0.6, 0.02])
    _, grad = gp_log_marginal_likelihood(X, y, 0.6, 1.1, 0.02)
    assert relative_error(grad, numerical_gradient(f, log_theta)) < 1e-8


def test_log_marginal_likelihood_equals_the_gaussian_log_density():
    X, y = _data(seed=6)
    K = rbf_kernel(X, X, 0.9, 1.2) + 0.1 * np.eye(len(y))
    expected = multivariate_normal(mean=np.zeros(len(y)), cov=K).logpdf(y)
    assert abs(gp_log_marginal_likelihood(X, y, 0.9, 1.2, 0.1)[0] - expected) < 1e-10


@pytest.mark.parametrize("params", PARAMS)
def test_posterior_matches_sklearn_predict(params):
    X, y = _data(seed=7)
    lengthscale, variance, noise = params
    Xs = np.linspace(-4, 4, 9)[:, None]
    gpr = GaussianProcessRegressor(ConstantKernel(variance) * RBF(lengthscale), alpha=noise, optimizer=None).fit(X, y)
    mean_sk, cov_sk = gpr.predict(Xs, return_cov=True)
    mean, cov = gp_posterior(X, y, Xs, lengthscale, variance, noise)
    assert relative_error(mean, mean_sk) < 1e-9 and relative_error(cov, cov_sk) < 1e-9


def test_posterior_is_the_conditional_density_of_the_joint_gaussian():
    # log p(f_s | y) = log p(y, f_s) - log p(y), with the joint covariance written out
    X, y = _data(seed=8, n=6)
    Xs = np.array([[-1.0], [0.3], [2.0]])
    ell, var, noise = 0.8, 1.0, 0.2
    mean, cov = gp_posterior(X, y, Xs, ell, var, noise)
    Z = np.vstack([X, Xs])
    joint = rbf_kernel(Z, Z, ell, var) + np.diag(np.r_[np.full(6, noise), np.zeros(3)])
    fs = np.random.default_rng(0).normal(size=3)
    lhs = multivariate_normal(mean, cov).logpdf(fs)
    rhs = multivariate_normal(np.zeros(9), joint).logpdf(np.r_[y, fs]) - multivariate_normal(np.zeros(6), joint[:6, :6]).logpdf(y)
    assert abs(lhs - rhs) < 1e-9


def test_posterior_covariance_is_symmetric_psd_and_below_the_prior():
    X, y = _data(seed=9)
    Xs = np.linspace(-5, 5, 30)
    _mean, cov = gp_posterior(X, y, Xs, 0.7, 1.3, 0.05)
    assert np.allclose(cov, cov.T, atol=1e-14)
    assert np.linalg.eigvalsh((cov + cov.T) / 2).min() > -1e-10
    assert np.all(np.diag(cov) <= 1.3 + 1e-12)


def test_noise_free_posterior_interpolates_the_data():
    X = np.linspace(-2, 2, 5)
    y = np.cos(X)
    mean, cov = gp_posterior(X, y, X, 1.0, 1.0, 0.0)
    assert np.allclose(mean, y, atol=1e-8) and np.abs(np.diag(cov)).max() < 1e-8


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lengthscale=-1.0), "lengthscale"),
        (dict(lengthscale=0.0), "lengthscale"),
        (dict(variance=-0.5), "variance"),
        (dict(noise=-0.1), "noise"),
        (dict(noise=0.0), "noise"),  # the log-noise gradient needs noise > 0
    ],
)
def test_log_marginal_likelihood_rejects_bad_hyperparameters(kwargs, match):
    X, y = _data(seed=10)
    params = dict(lengthscale=1.0, variance=1.0, noise=0.1) | kwargs
    with pytest.raises(ValueError, match=match):
        gp_log_marginal_likelihood(X, y, **params)


def test_bad_data_shapes_and_negative_noise_are_rejected_with_names():
    X, y = _data(seed=11)
    with pytest.raises(ValueError, match="y must have one value per row of X"):
        gp_log_marginal_likelihood(X, y[:-1], 1.0, 1.0, 0.1)
    with pytest.raises(ValueError, match="X must be 1-D or 2-D"):
        gp_posterior(X[None], y, X, 1.0, 1.0, 0.1)
    with pytest.raises(ValueError, match="noise"):
        gp_posterior(X, y, X, 1.0, 1.0, -1.0)
    with pytest.raises(ValueError, match="X1 and X2 must have the same number of features"):
        rbf_kernel(np.ones((2, 2)), np.ones((2, 3)), 1.0, 1.0)


def test_repeated_inputs_without_noise_are_reported_as_too_little_noise():
    X = np.array([0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="noise is too small"):
        gp_posterior(X, np.array([1.0, 1.0, 0.0]), X, 1.0, 1.0, 0.0)


def test_erratum_cross_covariance_need_not_be_psd_or_square():
    # A source states that, in a joint Gaussian, the cross-covariance block Sigma_12 is a
    # d x d positive semi-definite matrix. A valid joint covariance with Sigma_12 = -0.5
    # (negative) and a GP covariance with a 3 x 2 cross block show that it need not be.
    joint = np.array([[1.0, -0.5], [-0.5, 1.0]])
    assert np.linalg.eigvalsh(joint).min() > 0  # a valid covariance ...
    assert joint[0, 1] < 0  # ... whose 1 x 1 cross block is negative, not p.s.d.
    X, Xs = np.array([0.0, 1.0, 2.0]), np.array([0.5, 5.0])
    cross = rbf_kernel(X, Xs, 1.0, 1.0)
    assert cross.shape == (3, 2)  # not square
    Z = np.array([-1.0, 1.0])
    # a sign-flipped pair f(x), -f(x'): cross block -k(x, x'), joint covariance still p.s.d.
    K = rbf_kernel(Z, Z, 1.0, 1.0) * np.array([[1.0, -1.0], [-1.0, 1.0]])
    assert np.linalg.eigvalsh(K).min() > -1e-15 and K[0, 1] < 0
    # the conditional formula holds with the cross block as it is (no p.s.d. assumption)
    S11, S12, S22 = 1.0, -0.5, 1.0
    samples = np.random.default_rng(0).multivariate_normal([0, 0], joint, size=200_000)
    slope = np.polyfit(samples[:, 0], samples[:, 1], 1)[0]
    assert abs(slope - S12 / S11) < 0.01 and S22 - S12**2 / S11 == 0.75
