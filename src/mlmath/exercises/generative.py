"""Coding exercises of the part *Generative models* (VAEs, flows, GANs, diffusion)."""

from __future__ import annotations

import numpy as np

from ..generative import affine_coupling, alpha_bar, gaussian_kl, linear_beta_schedule, q_sample
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
