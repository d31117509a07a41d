"""Tests for ``mlmath.embeddings``: skip-gram with negative sampling, GloVe and
InfoNCE against torch autograd (float64) and finite differences, stability at
extreme scores, the corpus helpers against brute-force loops and
scikit-learn, and the ValueError contract."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from sklearn.metrics.pairwise import cosine_similarity

from mlmath.embeddings import (
    analogy,
    cooccurrence,
    cosine_neighbours,
    glove_loss,
    glove_weight,
    info_nce,
    log_sigmoid,
    sgns_loss,
    skipgram_pairs,
    unigram_noise,
)
from mlmath.gradcheck import numerical_gradient, relative_error

TIGHT = 1e-12
FD_TOL = 1e-7


def _torch_sgns(v, u, u_neg):
    tv, tu, tn = (torch.tensor(a, requires_grad=True) for a in (v, u, u_neg))
    pos = TF.logsigmoid((tu * tv).sum(1))
    neg = TF.logsigmoid(-torch.einsum("nkd,nd->nk", tn, tv)).sum(1)
    loss = -(pos + neg).mean()
    loss.backward()
    return loss.item(), tv.grad.numpy(), tu.grad.numpy(), tn.grad.numpy()


def _torch_glove(W, Wc, b, bc, X, x_max, alpha):
    ts = [torch.tensor(a, requires_grad=True) for a in (W, Wc, b, bc)]
    tX = torch.tensor(X)
    mask = tX > 0
    f = torch.clamp((tX / x_max) ** alpha, max=1.0)
    pred = ts[0] @ ts[1].T + ts[2][:, None] + ts[3][None, :]
    resid = pred[mask] - torch.log(tX[mask])
    loss = (f[mask] * resid**2).sum()
    loss.backward()
    return loss.item(), tuple(t.grad.numpy() for t in ts)


# ------------------------------------------------------------------------------ SGNS


@pytest.mark.parametrize("n, k, d, scale", [(1, 1, 1, 1.0), (5, 3, 4, 1.0), (8, 6, 3, 3.0)])
def test_sgns_loss_and_gradients_match_torch_autograd(n, k, d, scale):
    rng = np.random.default_rng(n * 100 + k)
    v, u, u_neg = (rng.normal(size=s) * scale for s in ((n, d), (n, d), (n, k, d)))
    loss, *grads = sgns_loss(v, u, u_neg)
    t_loss, *t_grads = _torch_sgns(v, u, u_neg)
    assert abs(loss - t_loss) <= TIGHT * abs(t_loss)
    for g, tg in zip(grads, t_grads):
        assert relative_error(g, tg) < TIGHT


def test_sgns_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    v, u, u_neg = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 2, 4))
    _, dv, du, dn = sgns_loss(v, u, u_neg)
    assert relative_error(dv, numerical_gradient(lambda x: float(sgns_loss(x, u, u_neg)[0]), v)) < FD_TOL
    assert relative_error(du, numerical_gradient(lambda x: float(sgns_loss(v, x, u_neg)[0]), u)) < FD_TOL
    assert relative_error(dn, numerical_gradient(lambda x: float(sgns_loss(v, u, x)[0]), u_neg)) < FD_TOL


def test_sgns_is_stable_for_huge_scores():
    v = np.array([[30.0, 0.0], [-30.0, 0.0]])
    u = np.array([[30.0, 0.0], [30.0, 0.0]])  # positive scores +900 (right) and -900 (wrong)
    u_neg = np.array([[[30.0, 0.0]], [[-30.0, 0.0]]])  # negative scores +900 and +900 (both wrong)
    loss, *grads = sgns_loss(v, u, u_neg)
    t_loss, *t_grads = _torch_sgns(v, u, u_neg)
    assert np.isfinite(loss) and abs(loss - t_loss) <= TIGHT * t_loss and abs(loss - (0 + 900 + 900 + 900) / 2) < 1e-9
    for g, tg in zip(grads, t_grads):
        assert np.all(np.isfinite(g)) and relative_error(g, tg) < TIGHT


def test_log_sigmoid_matches_torch_everywhere():
    x = np.array([-800.0, -40.0, -1.0, 0.0, 1e-12, 2.0, 40.0, 800.0])
    assert relative_error(log_sigmoid(x), TF.logsigmoid(torch.tensor(x)).numpy()) < TIGHT


# ------------------------------------------------------------------------------ GloVe


@pytest.mark.parametrize("x_max, alpha", [(100.0, 0.75), (5.0, 0.5), (1.0, 1.0)])
def test_glove_loss_and_gradients_match_torch_autograd(x_max, alpha):
    rng = np.random.default_rng(int(x_max))
    V, C, d = 6, 5, 3
    X = rng.poisson(4.0, size=(V, C)).astype(float) * rng.integers(0, 40, size=(V, C))
    X[0, 0] = 0.0  # at least one zero entry
    W, Wc, b, bc = rng.normal(size=(V, d)), rng.normal(size=(C, d)), rng.normal(size=V), rng.normal(size=C)
    loss, grads = glove_loss(W, Wc, b, bc, X, x_max=x_max, alpha=alpha)
    t_loss, t_grads = _torch_glove(W, Wc, b, bc, X, x_max, alpha)
    assert abs(loss - t_loss) <= TIGHT * t_loss
    for g, tg in zip(grads, t_grads):
        assert relative_error(g, tg) < TIGHT


def test_glove_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    X = rng.poisson(30.0, size=(4, 4)).astype(float) * (rng.random((4, 4)) > 0.3)
    params = [rng.normal(size=(4, 2)), rng.normal(size=(4, 2)), rng.normal(size=4), rng.normal(size=4)]
    _, grads = glove_loss(*params, X)
    for i, g in enumerate(grads):

        def f(x, i=i):
            p = list(params)
            p[i] = x
            return float(glove_loss(*p, X)[0])

        assert relative_error(g, numerical_gradient(f, params[i])) < FD_TOL


def test_glove_ignores_zero_counts_and_is_zero_at_an_exact_fit():
    rng = np.random.default_rng(3)
    W, Wc, b, bc = rng.normal(size=(4, 2)), rng.normal(size=(3, 2)), rng.normal(size=4), rng.normal(size=3)
    X = np.exp(W @ Wc.T + b[:, None] + bc[None, :])  # log X is exactly fitted
    X[1, 2] = 0.0
    loss, grads = glove_loss(W, Wc, b, bc, X)
    assert loss < 1e-25 and all(np.max(np.abs(g)) < 1e-12 for g in grads)


def test_glove_weight_is_min_one_power():
    x = np.array([0.0, 1.0, 50.0, 100.0, 1e6])
    f = glove_weight(x)
    assert f[0] == 0 and f[3] == 1 and f[4] == 1 and abs(f[2] - 0.5**0.75) < 1e-15 and np.all(np.diff(f) >= 0)


# ------------------------------------------------------------------------------ InfoNCE


@pytest.mark.parametrize("n, d, tau", [(1, 1, 1.0), (4, 3, 0.5), (16, 8, 0.07), (6, 2, 10.0)])
def test_info_nce_matches_torch_cross_entropy_and_autograd(n, d, tau):
    rng = np.random.default_rng(n)
    za, zb = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    loss, dza, dzb = info_nce(za, zb, tau)
    ta, tb = torch.tensor(za, requires_grad=True), torch.tensor(zb, requires_grad=True)
    t_loss = TF.cross_entropy(ta @ tb.T / tau, torch.arange(n))
    t_loss.backward()
    assert abs(loss - t_loss.item()) <= TIGHT * max(abs(t_loss.item()), 1e-300) + 1e-15
    assert relative_error(dza, ta.grad.numpy()) < TIGHT and relative_error(dzb, tb.grad.numpy()) < TIGHT


def test_info_nce_gradients_match_finite_differences():
    rng = np.random.default_rng(4)
    za, zb = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    _, dza, dzb = info_nce(za, zb, 0.3)
    assert relative_error(dza, numerical_gradient(lambda x: float(info_nce(x, zb, 0.3)[0]), za)) < FD_TOL
    assert relative_error(dzb, numerical_gradient(lambda x: float(info_nce(za, x, 0.3)[0]), zb)) < FD_TOL


def test_info_nce_is_log_n_for_indistinguishable_pairs_and_stable_for_tiny_temperature():
    z = np.ones((7, 3))
    loss, dza, dzb = info_nce(z, z, 0.1)
    assert abs(loss - np.log(7)) < 1e-14 and np.allclose(dza, 0, atol=1e-15) and np.allclose(dzb, 0, atol=1e-15)
    rng = np.random.default_rng(5)
    za, zb = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    loss, dza, _ = info_nce(za, zb, 1e-4)  # logits of size ~1e4
    ta = torch.tensor(za, requires_grad=True)
    t_loss = TF.cross_entropy(ta @ torch.tensor(zb).T / 1e-4, torch.arange(4))
    t_loss.backward()
    assert np.isfinite(loss) and abs(loss - t_loss.item()) <= 1e-12 * t_loss.item()
    assert relative_error(dza, ta.grad.numpy()) < 1e-12


# ------------------------------------------------------------------------------ corpus helpers


def test_unigram_noise_interpolates_between_uniform_and_unigram():
    counts = np.array([100.0, 10.0, 1.0, 0.0])
    assert np.allclose(unigram_noise(counts, 1.0), counts / counts.sum())
    assert np.allclose(unigram_noise(counts, 0.0), [1 / 3, 1 / 3, 1 / 3, 0])
    p = unigram_noise(counts)
    assert abs(p.sum() - 1) < 1e-15 and abs(p[0] / p[1] - 10**0.75) < 1e-12 and p[3] == 0


def test_skipgram_pairs_and_cooccurrence_agree_with_brute_force_loops():
    rng = np.random.default_rng(6)
    sentences = [rng.integers(0, 7, size=L) for L in (1, 2, 5, 9)]
    window = 3
    centres, contexts = skipgram_pairs(sentences, window, 7)
    brute = sorted(
        (int(s[i]), int(s[j])) for s in sentences for i in range(len(s)) for j in range(len(s)) if 0 < abs(i - j) <= window
    )
    assert sorted(zip(centres.tolist(), contexts.tolist())) == brute
    X = cooccurrence(sentences, window, 7)
    Xb = np.zeros((7, 7))
    for s in sentences:
        for i in range(len(s)):
            for j in range(len(s)):
                if 0 < abs(i - j) <= window:
                    Xb[s[i], s[j]] += 1.0 / abs(i - j)
    assert np.allclose(X, Xb, atol=1e-14) and np.allclose(X, X.T)
    assert np.allclose(cooccurrence(sentences, window, 7, harmonic=False).sum(), len(brute))


def test_cosine_neighbours_match_scikit_learn():
    rng = np.random.default_rng(7)
    E = rng.normal(size=(20, 4))
    sims = cosine_similarity(E)[3]
    sims[3] = -np.inf
    assert np.array_equal(cosine_neighbours(E, 3, k=5), np.argsort(-sims)[:5])


def test_analogy_solves_a_planted_parallelogram():
    rng = np.random.default_rng(8)
    ids, types = np.eye(7)[:5], np.eye(7)[5:]  # five identities, two types: row = identity + type
    Q = np.linalg.qr(rng.normal(size=(7, 7)))[0]  # a random rotation changes no cosine
    E = np.vstack([ids + types[0], ids + types[1], rng.normal(size=(10, 7)) * 0.3]) @ Q
    for i in range(5):
        for j in range(5):
            if i != j:
                assert analogy(E, i, 5 + i, j) == 5 + j


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: sgns_loss(np.zeros(3), np.zeros((1, 3)), np.zeros((1, 1, 3))), "v"),
        (lambda: sgns_loss(np.zeros((2, 3)), np.zeros((2, 2)), np.zeros((2, 1, 3))), "u"),
        (lambda: sgns_loss(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((3, 1, 3))), "u_neg"),
        (lambda: sgns_loss(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 3))), "u_neg"),
        (lambda: sgns_loss(np.full((1, 1), np.nan), np.zeros((1, 1)), np.zeros((1, 1, 1))), "v"),
        (lambda: glove_loss(np.zeros((3, 2)), np.zeros((4, 3)), np.zeros(3), np.zeros(4), np.ones((3, 4))), "W_ctx"),
        (lambda: glove_loss(np.zeros((3, 2)), np.zeros((4, 2)), np.zeros(3), np.zeros(4), np.ones((4, 3))), "X"),
        (lambda: glove_loss(np.zeros((3, 2)), np.zeros((4, 2)), np.zeros(4), np.zeros(4), np.ones((3, 4))), "b"),
        (lambda: glove_loss(np.zeros((3, 2)), np.zeros((4, 2)), np.zeros(3), np.zeros(3), np.ones((3, 4))), "b_ctx"),
        (lambda: glove_loss(np.zeros((3, 2)), np.zeros((4, 2)), np.zeros(3), np.zeros(4), -np.ones((3, 4))), "X"),
        (lambda: glove_loss(np.zeros((3, 2)), np.zeros((4, 2)), np.zeros(3), np.zeros(4), np.ones((3, 4)), x_max=0.0), "x_max"),
        (lambda: glove_loss(np.zeros((3, 2)), np.zeros((4, 2)), np.zeros(3), np.zeros(4), np.ones((3, 4)), alpha=-1.0), "alpha"),
        (lambda: info_nce(np.zeros((3, 2)), np.zeros((3, 2)), 0.0), "temperature"),
        (lambda: info_nce(np.zeros((3, 2)), np.zeros((3, 2)), -0.5), "temperature"),
        (lambda: info_nce(np.zeros((3, 2)), np.zeros((3, 2)), np.inf), "temperature"),
        (lambda: info_nce(np.zeros((3, 2)), np.zeros((4, 2)), 1.0), "zb"),
        (lambda: info_nce(np.zeros(3), np.zeros(3), 1.0), "za"),
        (lambda: unigram_noise(np.array([1.0, -1.0])), "counts"),
        (lambda: unigram_noise(np.array([1.0, 2.0]), power=-1.0), "power"),
        (lambda: skipgram_pairs([np.array([0, 5])], 2, 3), "sentences"),
        (lambda: skipgram_pairs([np.array([0, 1])], 0, 3), "window"),
        (lambda: cooccurrence([np.array([0.5, 1.0])], 2, 3), "sentences"),
        (lambda: cosine_neighbours(np.zeros((3, 2)), 5), "query"),
        (lambda: analogy(np.ones((3, 2)), 0, 1, 3), "c"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
