"""Coding exercises of the part *Generative models* (VAEs, flows, GANs, diffusion)."""

from __future__ import annotations

import numpy as np

from ..generative import (
    affine_coupling,
    affine_coupling_inverse,
    alpha_bar,
    ddpm_posterior,
    gaussian_kl,
    linear_beta_schedule,
    q_sample,
)
from ..info import js_divergence
from ._checker import Case, Exercise, register

# --- variational autoencoders ----------------------------------------------------------------


def _gaussian_kl_cases(rng: np.random.Generator) -> list[Case]:
    """Shapes (k,), (N, k), (N, M, k) with k = 1 among them; the prior; |logvar| ~ 1e-8; large values.

    The near-prior cases have ``mu = 0`` and ``|logvar| ~ 1e-8``: the KL is then
    about ``logvar^2 / 4 ~ 1e-17``, and ``exp(logvar) - 1`` (instead of
    ``expm1``) gets it wrong by a factor of order one.
    """
    cases: list[Case] = [
        (np.zeros(1), np.zeros(1)),  # the prior itself: exactly 0
        (np.array([1.5]), np.array([0.0])),  # only the mean moves
        (np.array([0.0]), np.array([1e-8])),
        (np.zeros(3), np.array([1e-8, -1e-8, 3e-9])),
        (np.zeros((4, 3)), np.zeros((4, 3))),  # a batch of priors: exactly 0 in every row
        (np.zeros((3, 2)), 1e-8 * rng.normal(size=(3, 2))),
        (np.array([1e3, -2e3]), np.array([50.0, -50.0])),  # large values
        (100 * rng.normal(size=(2, 3)), rng.uniform(-30.0, 30.0, size=(2, 3))),
    ]
    for shape in [(4,), (5, 1), (3, 4), (2, 3, 5), (4, 2, 1)]:
        cases.append((rng.normal(size=shape), rng.normal(scale=2.0, size=shape)))
    return cases


# --- normalising flows -----------------------------------------------------------------------


def _coupling_cases(rng: np.random.Generator) -> list[Case]:
    """D = 1..6; all-True, all-False and alternating masks; bool and 0/1 masks; batch axes.

    ``log_scale`` and ``shift`` are nonzero on the masked entries too, where
    they must be ignored (in ``y`` and in ``logdet``).
    """
    cases: list[Case] = []

    def add(shape: tuple[int, ...], mask) -> None:
        x, s, t = rng.normal(size=(3, *shape))
        cases.append((x, mask, s, t))

    add((1,), np.array([False]))
    add((1,), np.array([True]))
    add((2,), np.array([1, 0]))  # a 0/1 integer mask
    add((3,), np.array([True, True, True]))  # the identity: logdet = 0
    add((3,), np.array([False, False, False]))  # every coordinate scaled
    add((4,), np.array([True, False, True, False]))
    add((4,), np.array([0, 1, 0, 1]))
    add((5, 2), np.array([False, True]))
    add((3, 5), np.array([1, 0, 1, 0, 1]))
    add((4, 6), np.array([True, True, True, False, False, False]))
    add((2, 3, 6), np.array([False, True, False, True, False, True]))
    add((2, 2, 4), np.array([0, 0, 0, 0]))
    return cases


# --- generative adversarial networks ---------------------------------------------------------


def _js_cases(rng: np.random.Generator) -> list[Case]:
    """(K,) and (N, K), K = 1; zeros in p or q; disjoint supports; p == q; tiny probabilities.

    In the tiny-probability cases the large entries of ``p`` and ``q`` agree, so
    the whole divergence comes from entries of order 1e-9 or 1e-300: adding an
    ``eps`` inside the logarithm, or clipping the probabilities, changes it by a
    factor. (``H(m) - (H(p) + H(q)) / 2`` loses ~1e-7 of the 1e-9 case to
    cancellation, which the tolerance accepts.)
    """
    P, Q = rng.dirichlet(np.ones(6), size=(2, 4))
    P[0, :2] = 0.0  # zeros in p
    P[0] /= P[0].sum()
    Q[1, 3] = 0.0  # zeros in q
    Q[1] /= Q[1].sum()
    same = rng.dirichlet(np.ones(5), size=3)
    tiny = np.array([0.5, 0.5 - 4e-9, 1e-9, 3e-9])
    return [
        (np.array([1.0]), np.array([1.0])),  # K = 1: exactly 0
        (np.array([1.0, 0.0]), np.array([0.0, 1.0])),  # disjoint supports: log 2
        (np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.0, 0.0, 0.2, 0.8])),
        (np.array([0.2, 0.3, 0.5]), np.array([0.2, 0.3, 0.5])),  # p == q: exactly 0
        (np.array([0.25, 0.75, 0.0]), np.array([0.5, 0.0, 0.5])),  # a zero in p and a zero in q
        (tiny, tiny[[0, 1, 3, 2]]),  # tiny probabilities carry all of the divergence
        (np.array([1e-300, 1.0, 0.0]), np.array([0.0, 1.0, 1e-300])),  # probabilities below 1e-300
        (same, same.copy()),  # rows with p == q: a row of zeros
        (P, Q),
        (rng.dirichlet(np.ones(8), size=5), rng.dirichlet(0.3 * np.ones(8), size=5)),
        (rng.dirichlet(np.ones(3), size=(2, 3)), rng.dirichlet(np.ones(3), size=(2, 3))),
    ]


# --- diffusion models ------------------------------------------------------------------------


def _q_sample_cases(rng: np.random.Generator) -> list[Case]:
    """t = 0 and T - 1 as int and numpy.int64; t arrays (N,) with repeats; x0 of shape (N,), (N, 2), (N, C, H, W)."""
    ho = alpha_bar(linear_beta_schedule(1000))  # the schedule of the chapter
    short = alpha_bar(linear_beta_schedule(10, 0.05, 0.5))
    one = alpha_bar(linear_beta_schedule(1, 0.3, 0.3))
    cases: list[Case] = []

    def add(shape: tuple[int, ...], t, abar) -> None:
        x0, eps = rng.normal(size=(2, *shape))
        cases.append((x0, t, eps, abar))

    add((1,), 0, one)  # T = 1
    add((3,), 0, short)
    add((3,), 9, short)  # the last step
    add((4,), np.int64(5), short)
    add((4,), np.array([0, 9, 9, 2]), short)  # x0 of shape (N,), one step per example, repeated
    add((5, 2), 0, ho)
    add((5, 2), 999, ho)
    add((5, 2), np.int64(999), ho)
    add((6, 2), np.array([0, 10, 10, 500, 999, 0]), ho)
    add((3, 1, 4, 4), np.array([5, 6, 5]), ho)
    add((2, 3, 2, 5), np.int64(0), ho)
    add((4, 2, 3, 3), rng.integers(0, 10, size=4), short)
    return cases


VAE = "chapters/generative/vae"
FLOWS = "chapters/generative/flows"
GANS = "chapters/generative/gans"
DIFFUSION = "chapters/generative/diffusion"

register(
    Exercise(
        id="vae-ex-gaussian-kl",
        chapter=VAE,
        title="The Gaussian KL",
        name="my_gaussian_kl",
        signature="my_gaussian_kl(mu, logvar) -> KL(N(mu, diag exp(logvar)) || N(0, I)) summed over the last axis, shape (...)",
        reference=gaussian_kl,
        cases=_gaussian_kl_cases,
        rtol=1e-6,  # relative only: the KL near the prior is ~1e-17, and exactly 0 at the prior
        atol=0.0,
    ),
    Exercise(
        id="flows-ex-coupling",
        chapter=FLOWS,
        title="An affine coupling layer",
        name="my_affine_coupling",
        signature="my_affine_coupling(x, mask, log_scale, shift) -> (y, logdet), y shaped like x (..., D), logdet of shape (...)",
        reference=affine_coupling,
        cases=_coupling_cases,
        rtol=1e-12,
        atol=1e-12,
        outputs=("y", "logdet"),
    ),
    Exercise(
        id="gan-ex-js",
        chapter=GANS,
        title="Jensen-Shannon divergence",
        name="my_js_divergence",
        signature="my_js_divergence(p, q) -> JS(p, q) in nats along the last axis, shape (...)",
        reference=js_divergence,
        cases=_js_cases,
        rtol=1e-6,  # relative only: identical distributions must give exactly 0
        atol=0.0,
    ),
    Exercise(
        id="ddpm-ex-q-sample",
        chapter=DIFFUSION,
        title="The closed-form forward sample",
        name="my_q_sample",
        signature="my_q_sample(x0, t, eps, abar) -> sqrt(abar[t]) x0 + sqrt(1 - abar[t]) eps, shaped like x0 (N, ...)",
        reference=q_sample,
        cases=_q_sample_cases,
        rtol=1e-12,
        atol=1e-12,
    ),
)


# --- VAEs: the KL between two Gaussians, a full-covariance sample, the reconstruction term --------


def _kl_normal_reference(mu1, s1, mu2, s2):
    """``KL(N(mu1, s1^2) || N(mu2, s2^2))`` elementwise (broadcasting)."""
    mu1, s1, mu2, s2 = (np.asarray(a, dtype=float) for a in (mu1, s1, mu2, s2))
    return np.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - 0.5


def _kl_normal_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([0.0]), np.array([1.0]), np.array([0.0]), np.array([1.0])),  # the same distribution: 0
        (np.array([1.0]), np.array([1.0]), np.array([0.0]), np.array([1.0])),  # only the mean moves: 1/2
        (np.array([0.0, 0.0]), np.array([2.0, 0.5]), np.array([0.0, 0.0]), np.array([1.0, 1.0])),  # only the scale
        (np.array([0.3, -1.2]), np.array([0.5, 2.0]), np.array(0.0), np.array(1.0)),  # the standard normal prior, broadcast
        (np.full(3, 2.0), np.full(3, 0.7), np.full(3, 2.0), np.full(3, 0.7)),  # equal: a row of zeros
    ]
    for shape in [(5,), (3, 4), (2, 3, 2)]:
        mu1, mu2 = rng.normal(size=(2, *shape))
        s1, s2 = np.exp(rng.normal(size=(2, *shape)))
        cases.append((mu1, s1, mu2, s2))
    return cases


def _sample_full_reference(mu, Sigma, eps):
    """``z = mu + L eps`` for each row of ``eps``, with ``L`` the Cholesky factor of ``Sigma``."""
    mu, Sigma, eps = (np.asarray(a, dtype=float) for a in (mu, Sigma, eps))
    return mu + eps @ np.linalg.cholesky(Sigma).T


def _sample_full_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([1.0]), np.array([[4.0]]), np.array([[0.5]])),  # k = 1: mu + 2 eps
        (np.zeros(2), np.eye(2), rng.normal(size=(3, 2))),  # the identity: z = eps
        (np.array([1.0, -1.0]), np.array([[1.0, 0.8], [0.8, 1.0]]), rng.normal(size=(5, 2))),  # correlation 0.8
        (np.array([0.0, 2.0, -1.0]), np.diag([0.25, 1.0, 9.0]), rng.normal(size=(4, 3))),  # diagonal: mu + sigma * eps
        ([0, 0], [[2, 1], [1, 2]], [[1, 0], [0, 1], [1, 1]]),  # integer lists
    ]
    for k, N in [(4, 6), (6, 10)]:
        B = rng.normal(size=(k, k))
        cases.append((rng.normal(size=k), B @ B.T + 0.1 * np.eye(k), rng.normal(size=(N, k))))
    return cases


def _reconstruction_reference():
    import sympy as sp

    x, w, mu, v, s = sp.symbols("x w mu v s", real=True)
    return -sp.log(2 * sp.pi * s**2) / 2 - ((x - w * mu) ** 2 + w**2 * v) / (2 * s**2)


# --- flows: the inverse coupling, a log-normal density, a planar flow ---------------------------


def _lognormal_reference():
    import sympy as sp

    x = sp.symbols("x", real=True)
    return -sp.log(x) - sp.log(x) ** 2 / 2 - sp.log(2 * sp.pi) / 2


def _planar_reference(z, u, w, b):
    """``log|1 + (1 - tanh^2(w^T z + b)) u^T w|`` for each row of ``z`` (N, D)."""
    z, u, w = (np.asarray(a, dtype=float) for a in (z, u, w))
    a = z @ w + float(b)
    return np.log(np.abs(1.0 + (1.0 - np.tanh(a) ** 2) * (u @ w)))


def _planar_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[0.0]]), np.array([1.0]), np.array([1.0]), 0.0),  # D = 1 at a = 0: log 2
        (np.array([[1.0, 2.0]]), np.array([1.0, 0.0]), np.array([0.0, 1.0]), 0.5),  # u^T w = 0: the identity, log 1 = 0
        (np.array([[0.3, -0.2], [800.0, 0.0]]), np.array([2.0, 0.0]), np.array([1.0, 0.0]), 0.0),  # a = 800: h' = 0
        (np.array([[0.1, 0.4, -0.3]]), np.array([-0.5, 0.0, 0.0]), np.array([1.0, 2.0, 0.0]), -0.2),  # u^T w = -1/2
        ([[1, 2], [3, 4]], [1, 1], [1, -1], 1),  # integer lists
    ]
    for N, D in [(5, 2), (8, 4), (20, 3)]:
        w = rng.normal(size=D)
        u = rng.normal(size=D)
        lift = max(0.0, -float(u @ w)) - 0.5 + float(rng.uniform(0, 2))
        u = u + lift * w / float(w @ w)  # now u^T w >= -1/2: invertible
        cases.append((rng.normal(size=(N, D)), u, w, float(rng.normal())))
    return cases


# --- GANs: the optimal discriminator with a prior, the generator's two gradients ---------------


def _prior_discriminator_reference():
    import sympy as sp

    prior, p, q = sp.symbols("prior p q", real=True)
    return prior * p / (prior * p + (1 - prior) * q)


def _logit_grads_reference(a):
    """``(d/da log(1 - sigmoid(a)), d/da (-log sigmoid(a))) = (-sigmoid(a), -sigmoid(-a))``."""
    a = np.asarray(a, dtype=float)
    sig = lambda v: np.exp(-np.logaddexp(0.0, -v))
    return -sig(a), -sig(-a)


def _logit_grads_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array(0.0),),  # both -1/2
        (np.array([2.0, -2.0]),),
        (np.array([-40.0, 40.0]),),  # 1 - sigmoid(40) rounds to 0; sigmoid(-40) is 4e-18
        (np.array([-800.0, -30.0, 0.0, 30.0, 800.0]),),  # no overflow, no NaN
        (np.linspace(-10.0, 10.0, 21),),
        (rng.normal(size=(3, 4)) * 5,),
        (rng.normal(size=(2, 3, 2)) * 20,),
    ]


# --- diffusion: the posterior, the ELBO weight for beta-tilde, the cosine schedule --------------


def _ddpm_posterior_cases(rng: np.random.Generator) -> list[Case]:
    """t >= 1 (zero-based), as int, numpy.int64 and arrays (N,); x0 of shape (N,), (N, 2), (N, C, H, W)."""
    ho = linear_beta_schedule(1000)
    short = linear_beta_schedule(10, 0.05, 0.5)
    two = linear_beta_schedule(2, 0.1, 0.2)
    cases: list[Case] = []

    def add(shape: tuple[int, ...], t, betas) -> None:
        x0, xt = rng.normal(size=(2, *shape))
        cases.append((x0, xt, t, betas))

    add((1,), 1, two)  # T = 2: the only step with a posterior
    add((3,), 1, short)  # the first step after t = 0: abar_prev = 1 - beta_1
    add((3,), 9, short)  # the last step
    add((4,), np.int64(5), short)
    add((4,), np.array([1, 9, 9, 2]), short)  # one step per example, repeated
    add((5, 2), 999, ho)
    add((6, 2), np.array([1, 10, 10, 500, 999, 1]), ho)
    add((3, 1, 4, 4), np.array([5, 6, 5]), ho)
    add((2, 3, 2, 5), np.int64(1), ho)
    return cases


def _weight_reference():
    import sympy as sp

    beta, abar_prev = sp.symbols("beta abar_prev", real=True)
    return beta / (2 * (1 - beta) * (1 - abar_prev))


def _cosine_reference(T, s):
    """``abar_t = f(t) / f(0)``, ``f(t) = cos^2((t / T + s) / (1 + s) * pi / 2)``, for t = 1, ..., T (index t - 1)."""
    t = np.arange(1, int(T) + 1, dtype=float)
    f = lambda u: np.cos((u / T + s) / (1 + s) * np.pi / 2) ** 2
    return f(t) / f(0.0)


def _cosine_cases(rng: np.random.Generator) -> list[Case]:
    return [(1, 0.008), (2, 0.0), (2, 0.008), (7, 0.0), (10, 0.008), (50, 0.1), (1000, 0.008)]


register(
    Exercise(
        id="vae-ex-kl-general",
        chapter=VAE,
        title="KL between two Gaussians",
        name="kl_normal",
        signature="kl_normal(mu1, s1, mu2, s2) -> KL(N(mu1, s1^2) || N(mu2, s2^2)) elementwise, broadcast shape",
        reference=_kl_normal_reference,
        cases=_kl_normal_cases,
        rtol=1e-10,
        atol=1e-12,
    ),
    Exercise(
        id="vae-ex-reparam-full",
        chapter=VAE,
        title="Sampling with a full covariance",
        name="sample_full_cov",
        signature="sample_full_cov(mu, Sigma, eps) -> (N, k) rows mu + L eps_n with L the Cholesky factor of Sigma, eps (N, k)",
        reference=_sample_full_reference,
        cases=_sample_full_cases,
        rtol=1e-10,
        atol=1e-12,
    ),
    Exercise(
        id="vae-ex-recon",
        chapter=VAE,
        title="The reconstruction term in one dimension",
        name="recon_term",
        signature="recon_term: E_q[log N(x; w z, s^2)] for q = N(mu, v), a formula in x, w, mu, v, s",
        reference=_reconstruction_reference,
        cases=None,
        symbols=("x", "w", "mu", "v", "s"),
        domain=(0.2, 2.0),
    ),
    Exercise(
        id="flows-ex-coupling-inverse",
        chapter=FLOWS,
        title="The inverse coupling layer",
        name="my_coupling_inverse",
        signature="my_coupling_inverse(y, mask, log_scale, shift) -> (x, logdet), x shaped like y (..., D), logdet = log|det dx/dy| (...)",
        reference=affine_coupling_inverse,
        cases=_coupling_cases,
        rtol=1e-12,
        atol=1e-12,
        outputs=("x", "logdet"),
    ),
    Exercise(
        id="flows-ex-lognormal",
        chapter=FLOWS,
        title="The log-normal density",
        name="log_density_lognormal",
        signature="log_density_lognormal: log p_x(x) for x = exp(z), z ~ N(0, 1), a formula in x",
        reference=_lognormal_reference,
        cases=None,
        symbols=("x",),
        domain=(0.1, 5.0),
    ),
    Exercise(
        id="flows-ex-planar",
        chapter=FLOWS,
        title="The log-determinant of a planar flow",
        name="planar_logdet",
        signature="planar_logdet(z, u, w, b) -> (N,) log|det J| of f(z) = z + u tanh(w^T z + b) at each row of z (N, D)",
        reference=_planar_reference,
        cases=_planar_cases,
        rtol=1e-10,
        atol=1e-12,
    ),
    Exercise(
        id="gan-ex-prior",
        chapter=GANS,
        title="The optimal discriminator with unbalanced classes",
        name="d_star_prior",
        signature="d_star_prior: the optimal D(x), a formula in prior, p (= p_data(x)), q (= p_g(x))",
        reference=_prior_discriminator_reference,
        cases=None,
        symbols=("prior", "p", "q"),
        domain=(0.1, 0.9),
    ),
    Exercise(
        id="gan-ex-logit-grads",
        chapter=GANS,
        title="The two generator losses through the logit",
        name="generator_logit_grads",
        signature="generator_logit_grads(a) -> (d/da log(1 - sigmoid(a)), d/da (-log sigmoid(a))), both shaped like a",
        reference=_logit_grads_reference,
        cases=_logit_grads_cases,
        rtol=1e-10,  # relative only: the saturating gradient at a = -40 is about 4e-18, and 1 - sigmoid(40) rounds to 0
        atol=0.0,
        outputs=("saturating", "non_saturating"),
    ),
    Exercise(
        id="ddpm-ex-posterior",
        chapter=DIFFUSION,
        title="The forward-process posterior",
        name="my_ddpm_posterior",
        signature="my_ddpm_posterior(x0, xt, t, betas) -> (mean, var), both shaped like x0 (N, ...), zero-based t >= 1",
        reference=ddpm_posterior,
        cases=_ddpm_posterior_cases,
        rtol=1e-12,
        atol=1e-12,
        outputs=("mean", "var"),
    ),
    Exercise(
        id="ddpm-ex-weight",
        chapter=DIFFUSION,
        title="The ELBO weight for the posterior variance",
        name="weight_beta_tilde",
        signature="weight_beta_tilde: the weight of |eps - eps_theta|^2 in L_{t-1} for sigma_t^2 = beta-tilde_t, a formula in beta, abar_prev",
        reference=_weight_reference,
        cases=None,
        symbols=("beta", "abar_prev"),
        domain=(0.05, 0.6),
    ),
    Exercise(
        id="ddpm-ex-cosine",
        chapter=DIFFUSION,
        title="The cosine schedule",
        name="cosine_alpha_bar",
        signature="cosine_alpha_bar(T, s) -> (T,) array, entry t - 1 the alpha-bar_t of the cosine schedule",
        reference=_cosine_reference,
        cases=_cosine_cases,
        rtol=1e-10,
        atol=1e-12,  # at t = T the exact value is 0 and cos(pi / 2) rounds to 6e-17
    ),
)


# --- derivations checked as formulas: the score-function variance, a flow to Exp(1), ----------
# --- the non-saturating loss, a linear discriminator, the best noise predictor ----------------


def _score_variance_reference():
    """The trace of the covariance of ``f(z) z``, ``f(z) = -|z - 1|^2 / 2``, ``z ~ N(0, I_k)``."""
    import sympy as sp

    k = sp.symbols("k", real=True)
    return k * (k + 2) * (2 * k + 3) / 2


def _normal_to_exp_reference():
    """The increasing map ``-log(1 - Phi(z))`` that sends ``N(0, 1)`` to ``Exp(1)``."""
    import sympy as sp

    z = sp.symbols("z", real=True)
    return -sp.log(sp.erfc(z / sp.sqrt(2)) / 2)


def _nonsat_reference():
    import sympy as sp

    kl_data, kl_mix = sp.symbols("kl_data kl_mix", real=True)
    return sp.log(2) + kl_data - kl_mix


def _linear_logit_reference():
    """``a^T x + c``, ``a = Sigma^{-1}(m1 - m2)``, ``c = (m2^T Sigma^{-1} m2 - m1^T Sigma^{-1} m1) / 2``, for the exercise's numbers."""
    import sympy as sp

    x1, x2 = sp.symbols("x1 x2", real=True)
    m1, m2 = sp.Matrix([0, 1]), sp.Matrix([sp.Rational(3, 2), -sp.Rational(1, 2)])
    precision = sp.Matrix([[1, sp.Rational(3, 10)], [sp.Rational(3, 10), sp.Rational(1, 2)]]).inv()
    a = precision * (m1 - m2)
    c = ((m2.T * precision * m2)[0] - (m1.T * precision * m1)[0]) / 2
    return a[0] * x1 + a[1] * x2 + c


def _optimal_eps_reference():
    """``E[eps | x_t] = Cov(eps, x_t) / Var(x_t) x_t`` for ``x_0 ~ N(0, s^2)``."""
    import sympy as sp

    xt, abar, s = sp.symbols("xt abar s", real=True)
    return sp.sqrt(1 - abar) * xt / (abar * s**2 + 1 - abar)


register(
    Exercise(
        id="vae-ex-score-variance",
        chapter=VAE,
        title="The score-function variance, exactly",
        name="score_total_var",
        signature="score_total_var: the trace of the covariance of f(z) z, f(z) = -|z - 1|^2 / 2, z ~ N(0, I_k), a formula in k",
        reference=_score_variance_reference,
        cases=None,
        symbols=("k",),
        domain=(1.0, 10.0),
    ),
    Exercise(
        id="flows-ex-exponential",
        chapter=FLOWS,
        title="From a normal to an exponential",
        name="normal_to_exp",
        signature="normal_to_exp: the increasing f with f(z) ~ Exp(1) for z ~ N(0, 1), a formula in z",
        reference=_normal_to_exp_reference,
        cases=None,
        symbols=("z",),
    ),
    Exercise(
        id="gan-ex-nonsat",
        chapter=GANS,
        title="The non-saturating loss at the optimal discriminator",
        name="nonsat_at_optimum",
        signature="nonsat_at_optimum: E_pg[-log D*], a formula in kl_data = KL(p_g || p_data) and kl_mix = KL(p_g || m)",
        reference=_nonsat_reference,
        cases=None,
        symbols=("kl_data", "kl_mix"),
        domain=(0.0, 2.0),
    ),
    Exercise(
        id="gan-ex-linear-d",
        chapter=GANS,
        title="Equal covariances: a linear discriminator suffices",
        name="linear_logit",
        signature="linear_logit: the logit a^T x + c of D* for m1 = (0, 1), m2 = (1.5, -0.5), Sigma = [[1, 0.3], [0.3, 0.5]], in x1, x2",
        reference=_linear_logit_reference,
        cases=None,
        symbols=("x1", "x2"),
    ),
    Exercise(
        id="ddpm-ex-optimal-eps",
        chapter=DIFFUSION,
        title="The best noise predictor for Gaussian data",
        name="eps_star",
        signature="eps_star: E[eps | x_t] for x_0 ~ N(0, s^2), a formula in xt, abar, s",
        reference=_optimal_eps_reference,
        cases=None,
        symbols=("xt", "abar", "s"),
        domain=(0.05, 0.95),  # abar in (0, 1), s > 0
    ),
)
