"""Tests for mlmath.info against scipy.stats.entropy / scipy.special.rel_entr, plus Gibbs' inequality and
the regression tests of the information-theory errata (chapters/appendices/errata.md)."""

import numpy as np
import pytest
import scipy.spatial.distance
import scipy.special
import scipy.stats
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from mlmath.info import cross_entropy, entropy, js_divergence, kl_divergence

RTOL, ATOL = 1e-12, 1e-14
SETTINGS = settings()  # the shared profile (tests/conftest.py)


def _random_distributions(rng, shape, zero_fraction=0.0):
    w = rng.exponential(size=shape)
    w[rng.random(shape) < zero_fraction] = 0.0
    w[..., 0] += 1e-3  # never an all-zero row
    return w / w.sum(axis=-1, keepdims=True)


@st.composite
def distributions(draw, k=None, n=None, allow_zeros=True):
    """A batch ``(n, k)`` of probability vectors, some entries exactly zero."""
    k = draw(st.integers(1, 8)) if k is None else k
    n = draw(st.integers(1, 4)) if n is None else n
    low = 0.0 if allow_zeros else 1e-3
    w = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(low, 10.0)))
    w[:, 0] = np.maximum(w[:, 0], 1e-3)
    if allow_zeros:
        zero = draw(hnp.arrays(bool, (n, k)))
        zero[:, 0] = False
        w[zero] = 0.0
    return w / w.sum(axis=1, keepdims=True)


@st.composite
def pairs(draw, allow_zeros=True):
    p = draw(distributions(allow_zeros=allow_zeros))
    q = draw(distributions(k=p.shape[1], n=p.shape[0], allow_zeros=allow_zeros))
    return p, q


# ------------------------------------------------------------------ oracles


def test_entropy_matches_scipy_along_last_axis():
    p = _random_distributions(np.random.default_rng(0), (4, 3, 7), zero_fraction=0.3)
    assert_allclose(entropy(p), scipy.stats.entropy(p, axis=-1), rtol=RTOL, atol=ATOL)
    assert entropy(p).shape == (4, 3)


def test_cross_entropy_matches_scipy_entropy_plus_kl():
    rng = np.random.default_rng(1)
    p = _random_distributions(rng, (5, 6), zero_fraction=0.3)
    q = _random_distributions(rng, (5, 6))
    expected = scipy.stats.entropy(p, axis=-1) + scipy.stats.entropy(p, q, axis=-1)
    assert_allclose(cross_entropy(p, q), expected, rtol=RTOL, atol=ATOL)
    assert_allclose(cross_entropy(p, q), -np.sum(scipy.special.xlogy(p, q), axis=-1), rtol=RTOL, atol=ATOL)


def test_kl_divergence_matches_scipy_rel_entr_including_infinities():
    rng = np.random.default_rng(2)
    p = _random_distributions(rng, (6, 5), zero_fraction=0.3)
    q = _random_distributions(rng, (6, 5))
    q[:3] = _random_distributions(rng, (3, 5), zero_fraction=0.5)  # zeros only in the first rows
    expected = np.sum(scipy.special.rel_entr(p, q), axis=-1)
    assert np.isinf(expected).any() and np.isfinite(expected).any()  # the draw covers both cases
    assert_array_equal(np.isinf(kl_divergence(p, q)), np.isinf(expected))
    finite = np.isfinite(expected)
    assert_allclose(kl_divergence(p, q)[finite], expected[finite], rtol=RTOL, atol=ATOL)
    assert_allclose(kl_divergence(p, q), scipy.stats.entropy(p, q, axis=-1), rtol=RTOL, atol=ATOL)


def test_zero_log_zero_is_zero_and_known_values():
    assert entropy([1.0, 0.0, 0.0]) == 0.0
    assert_allclose(entropy([0.25] * 4), np.log(4), rtol=1e-15)
    assert_allclose(entropy([0.5, 0.5, 0.0]), np.log(2), rtol=1e-15)
    # p = (1/2, 1/2), q = (9/10, 1/10): KL = 1/2 log(5/9) + 1/2 log 5
    assert_allclose(kl_divergence([0.5, 0.5], [0.9, 0.1]), 0.5 * np.log(5 / 9) + 0.5 * np.log(5), rtol=1e-14)
    assert kl_divergence([0.0, 1.0], [0.5, 0.5]) == pytest.approx(np.log(2), rel=1e-15)  # p_k = 0 terms vanish


def test_kl_divergence_is_finite_for_tiny_q_where_the_ratio_p_over_q_overflows():
    tiny = 1e-310  # p/q = 5e309 overflows float64, the KL itself is about 354
    expected = 0.5 * (np.log(0.5) - np.log1p(-tiny)) + 0.5 * (np.log(0.5) - np.log(tiny))
    assert_allclose(kl_divergence([0.5, 0.5], [1 - tiny, tiny]), expected, rtol=1e-12)
    assert_allclose(cross_entropy([0.5, 0.5], [1 - tiny, tiny]), expected + np.log(2), rtol=1e-12)


def test_sum_to_one_tolerance_accepts_round_off_and_rejects_real_errors():
    assert_allclose(entropy([0.5, 0.5 + 1e-9]), np.log(2), rtol=1e-8)
    with pytest.raises(ValueError, match="p must sum to 1"):
        entropy([0.5, 0.501])
    with pytest.raises(ValueError, match="q must sum to 1"):
        kl_divergence([0.5, 0.5], [0.5, 0.49999])


def test_kl_and_cross_entropy_are_infinite_without_absolute_continuity():
    p, q = np.array([0.5, 0.5]), np.array([1.0, 0.0])
    assert kl_divergence(p, q) == np.inf
    assert cross_entropy(p, q) == np.inf
    assert kl_divergence(q, p) == pytest.approx(np.log(2), rel=1e-15)  # the reverse direction is finite


def test_kl_divergence_is_not_symmetric():
    p, q = [0.5, 0.5], [0.9, 0.1]
    assert abs(kl_divergence(p, q) - kl_divergence(q, p)) > 0.1


def test_float32_is_kept_and_integer_input_becomes_float64():
    p = np.array([[0.2, 0.8], [0.5, 0.5]], dtype=np.float32)
    assert entropy(p).dtype == np.float32
    assert kl_divergence(p, p[::-1]).dtype == np.float32
    assert cross_entropy(p, p).dtype == np.float32
    assert entropy(np.array([0, 1])).dtype == np.float64
    assert_allclose(entropy(p), scipy.stats.entropy(p.astype(np.float64), axis=-1), rtol=1e-6)


# ------------------------------------------------------------------ properties


@SETTINGS
@given(pairs())
def test_gibbs_inequality_kl_is_nonnegative(pq):
    p, q = pq
    assert np.all(kl_divergence(p, q) >= -1e-12)


@SETTINGS
@given(distributions())
def test_kl_of_a_distribution_with_itself_is_exactly_zero(p):
    assert_array_equal(kl_divergence(p, p), 0.0)


@SETTINGS
@given(pairs(allow_zeros=False))
def test_kl_is_zero_only_if_p_equals_q(pq):
    p, q = pq
    kl = kl_divergence(p, q)
    differ = np.max(np.abs(p - q), axis=-1) > 1e-3
    assert np.all(kl[differ] > 0)
    # Pinsker: KL >= 2 TV^2 quantifies "strictly positive"
    tv = 0.5 * np.sum(np.abs(p - q), axis=-1)
    assert np.all(kl >= 2 * tv**2 - 1e-12)


@SETTINGS
@given(pairs())
def test_cross_entropy_is_entropy_plus_kl(pq):
    p, q = pq
    h_pq, h_p, kl = cross_entropy(p, q), entropy(p), kl_divergence(p, q)
    assert_array_equal(np.isinf(h_pq), np.isinf(kl))
    finite = np.isfinite(kl)
    assert_allclose(h_pq[finite], h_p[finite] + kl[finite], rtol=1e-10, atol=1e-12)


@SETTINGS
@given(distributions())
def test_entropy_lies_between_zero_and_log_k(p):
    h = entropy(p)
    assert np.all(h >= 0) and np.all(h <= np.log(p.shape[-1]) + 1e-12)


# ------------------------------------------------------------------ Jensen-Shannon


def test_js_divergence_matches_scipy_jensenshannon_squared():
    """scipy returns the Jensen-Shannon *distance* sqrt(JS) (natural log by default)."""
    rng = np.random.default_rng(11)
    p = _random_distributions(rng, (7, 6), zero_fraction=0.3)
    q = _random_distributions(rng, (7, 6), zero_fraction=0.3)
    expected = scipy.spatial.distance.jensenshannon(p, q, axis=-1) ** 2
    assert_allclose(js_divergence(p, q), expected, rtol=1e-10, atol=1e-14)
    assert js_divergence(p, q).shape == (7,)


def test_js_divergence_of_disjoint_supports_is_log_2_and_of_equal_distributions_zero():
    assert_allclose(js_divergence([0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.3, 0.7]), np.log(2), rtol=1e-15)
    assert js_divergence([0.2, 0.8], [0.2, 0.8]) == 0.0


@SETTINGS
@given(pairs())
def test_js_divergence_is_symmetric_bounded_and_equals_entropy_form(pq):
    p, q = pq
    js = js_divergence(p, q)
    assert_allclose(js, js_divergence(q, p), rtol=1e-12, atol=1e-15)
    assert np.all(js >= -1e-15) and np.all(js <= np.log(2) + 1e-12)
    m = 0.5 * (p + q)
    # The oracles below need m > 0 wherever p or q is; halving a subnormal (5e-324) underflows to 0.
    assume(np.all((m > 0) | ((p == 0) & (q == 0))))
    assert_allclose(js, entropy(m) - 0.5 * (entropy(p) + entropy(q)), rtol=1e-9, atol=1e-12)
    assert_allclose(js, 0.5 * kl_divergence(p, m) + 0.5 * kl_divergence(q, m), rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: entropy([0.5, -0.1, 0.6]), "p must be nonnegative"),
        (lambda: entropy([0.5, 0.6]), "p must sum to 1"),
        (lambda: entropy(np.float64(1.0)), "p must have at least 1"),
        (lambda: entropy(np.zeros((2, 0))), "p must not be empty"),
        (lambda: entropy([0.5, np.nan]), "p must be finite"),
        (lambda: cross_entropy([0.5, 0.5], [0.3, 0.3]), "q must sum to 1"),
        (lambda: cross_entropy([0.5, 0.6], [0.5, 0.5]), "p must sum to 1"),
        (lambda: cross_entropy([0.5, 0.5], [0.2, 0.3, 0.5]), "p and q must have the same shape"),
        (lambda: kl_divergence([0.5, 0.5], [1.5, -0.5]), "q must be nonnegative"),
        (lambda: kl_divergence([[0.5, 0.5]], [0.5, 0.5]), "p and q must have the same shape"),
        (lambda: kl_divergence([0.5, 0.5], "ab"), "q must hold numbers"),
        (lambda: js_divergence([0.5, 0.5], [0.2, 0.3, 0.5]), "p and q must have the same shape"),
        (lambda: js_divergence([0.5, 0.6], [0.5, 0.5]), "p must sum to 1"),
        (lambda: js_divergence([0.5, 0.5], [1.5, -0.5]), "q must be nonnegative"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------------ mutual information

import sklearn.metrics  # noqa: E402

from mlmath.info import mutual_information  # noqa: E402


def test_mutual_information_matches_scikit_learn_on_a_contingency_table():
    """mutual_info_score(contingency=counts) is I(X; Y) in nats of the empirical joint counts / total."""
    rng = np.random.default_rng(21)
    for shape in [(2, 2), (3, 5), (6, 4)]:
        counts = rng.integers(0, 30, size=shape)
        counts[0, 0] += 1
        expected = sklearn.metrics.mutual_info_score(None, None, contingency=counts)
        assert_allclose(mutual_information(counts / counts.sum()), expected, rtol=1e-12, atol=1e-15)


def test_mutual_information_matches_scikit_learn_on_labels():
    rng = np.random.default_rng(22)
    x = rng.integers(0, 4, size=500)
    y = (x + rng.integers(0, 3, size=500)) % 5
    counts = np.zeros((4, 5))
    np.add.at(counts, (x, y), 1)
    assert_allclose(mutual_information(counts / 500), sklearn.metrics.mutual_info_score(x, y), rtol=1e-12)


def test_mutual_information_equals_entropy_identities_by_scipy():
    """I = H(X) + H(Y) - H(X, Y) = H(X) - H(X | Y), the entropies from scipy.stats.entropy."""
    rng = np.random.default_rng(23)
    pxy = _random_distributions(rng, (4 * 3,), zero_fraction=0.3).reshape(4, 3)
    px, py = pxy.sum(axis=1), pxy.sum(axis=0)
    h_x, h_y, h_xy = (scipy.stats.entropy(p) for p in (px, py, pxy.ravel()))
    assert_allclose(mutual_information(pxy), h_x + h_y - h_xy, rtol=1e-12)
    keep = py > 0
    h_x_given_y = np.sum(py[keep] * scipy.stats.entropy(pxy[:, keep] / py[keep], axis=0))
    assert_allclose(mutual_information(pxy), h_x - h_x_given_y, rtol=1e-12)
    assert_allclose(mutual_information(pxy), kl_divergence(pxy.ravel(), np.outer(px, py).ravel()), rtol=1e-12)


def test_mutual_information_of_independent_and_of_identical_variables():
    px, py = np.array([0.2, 0.5, 0.3]), np.array([0.6, 0.4])
    assert mutual_information(np.outer(px, py)) == pytest.approx(0.0, abs=1e-15)
    assert mutual_information(np.diag(px)) == pytest.approx(scipy.stats.entropy(px), rel=1e-14)  # I(X; X) = H(X)
    assert mutual_information(np.diag(px).T) == mutual_information(np.diag(px))


@SETTINGS
@given(distributions(n=1))
def test_mutual_information_is_symmetric_nonnegative_and_at_most_each_entropy(p):
    k = p.shape[1]
    rng = np.random.default_rng(k)
    pxy = _random_distributions(rng, (k * 3,), zero_fraction=0.3).reshape(k, 3)
    mi = mutual_information(pxy)
    assert mi >= 0
    assert_allclose(mi, mutual_information(pxy.T), rtol=1e-12, atol=1e-15)
    assert mi <= min(entropy(pxy.sum(axis=1)), entropy(pxy.sum(axis=0))) + 1e-12


def test_mutual_information_is_finite_for_tiny_entries():
    pxy = np.array([[0.5, 1e-300], [1e-300, 0.5]])
    pxy = pxy / pxy.sum()
    assert_allclose(mutual_information(pxy), np.log(2), rtol=1e-12)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: mutual_information([0.5, 0.5]), "pxy must be 2-D"),
        (lambda: mutual_information(np.ones((2, 2, 1)) / 4), "pxy must be 2-D"),
        (lambda: mutual_information([[0.5, 0.6], [0.0, -0.1]]), "pxy must be nonnegative"),
        (lambda: mutual_information([[0.5, 0.2], [0.1, 0.1]]), "pxy must sum to 1"),
        (lambda: mutual_information(np.zeros((0, 2))), "pxy must not be empty"),
        (lambda: mutual_information([[0.5, np.nan], [0.25, 0.25]]), "pxy must be finite"),
    ],
)
def test_mutual_information_bad_input_raises_value_error_naming_pxy(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------------
# Errata regression tests (chapters/appendices/errata.md)
# The cheat sheet (002), 5 "Information Theory": each test asserts the correction against an
# independent oracle (SciPy, torch.distributions, the definition written out) and that the cheat
# sheet's claim fails.

N_SE = 5.0  # Monte Carlo tolerance in standard errors (the generator is seeded)


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
