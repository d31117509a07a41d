"""Coding exercises of the chapter *Linear algebra for this book*."""

from __future__ import annotations

import numpy as np

from ..linalg import equality_qp, low_rank_approx, pinv
from ._checker import Case, Exercise, register

LINALG = "chapters/foundations/linear_algebra"


def _with_singular_values(rng: np.random.Generator, m: int, n: int, s) -> np.ndarray:
    """A random ``m x n`` matrix with the given singular values (random orthogonal factors)."""
    U, _ = np.linalg.qr(rng.normal(size=(m, m)))
    V, _ = np.linalg.qr(rng.normal(size=(n, n)))
    S = np.zeros((m, n))
    S[: len(s), : len(s)] = np.diag(s)
    return U @ S @ V.T


def _pinv_cases(rng: np.random.Generator) -> list[Case]:
    # rank-deficient inputs come with an rcond far above round-off (1e-16) and far below the
    # kept singular values, so every correct implementation cuts the same ones
    return [
        (np.array([[2.0]]), 1e-15),
        (np.zeros((2, 3)), 1e-15),  # the pseudo-inverse of zero is zero (no division by 0)
        (np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]), 1e-10),  # rank 1
        (rng.normal(size=(5, 3)), 1e-15),  # tall, full column rank
        (rng.normal(size=(3, 6)), 1e-15),  # wide, full row rank
        (_with_singular_values(rng, 5, 5, [3.0, 1.0, 0.5, 0.0, 0.0]), 1e-10),  # square, rank 3
        (_with_singular_values(rng, 6, 4, [2.0, 1.0, 1e-3, 1e-6]), 1e-2),  # rcond cuts two
    ]


def _lowrank_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array([[3.0]]), 1),
        (np.array([[3.0, 0.0], [0.0, 1.0]]), 1),  # keeps the larger diagonal entry
        (rng.normal(size=(4, 3)), 0),
        (rng.normal(size=(5, 4)), 2),
        (rng.normal(size=(3, 6)), 1),
        (rng.normal(size=(6, 6)), 6),
        (_with_singular_values(rng, 7, 5, [5.0, 4.0, 3.0, 2.0, 1.0]), 3),
    ]


def _kkt_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[2.0, 0.0], [0.0, 2.0]]), np.zeros(2), np.array([[1.0, 1.0]]), np.array([1.0])),
        (np.diag([1.0, -1.0]), np.zeros(2), np.array([[0.0, 1.0]]), np.array([1.0])),  # Q indefinite, PD on null(A)
        (np.eye(3), np.zeros(3), np.array([[1.0, 2.0, 3.0]]), np.array([2.0])),  # minimum-norm point of a plane
    ]
    for n, m in [(3, 2), (5, 2), (6, 3)]:
        M = rng.normal(size=(n, n))
        cases.append((M @ M.T + 0.5 * np.eye(n), rng.normal(size=n), rng.normal(size=(m, n)), rng.normal(size=m)))
    return cases


register(
    Exercise(
        id="la-ex-pinv",
        chapter=LINALG,
        title="The pseudo-inverse from the SVD",
        name="my_pinv",
        signature="my_pinv(A, rcond) -> V diag(1/s_i if s_i > rcond * s_1 else 0) U^T, shape (n, m) for A (m, n)",
        reference=pinv,
        cases=_pinv_cases,
    ),
    Exercise(
        id="la-ex-lowrank",
        chapter=LINALG,
        title="The best rank-k approximation",
        name="best_rank_k",
        signature="best_rank_k(A, k) -> the truncated SVD sum_{i<=k} s_i u_i v_i^T, shaped like A",
        reference=low_rank_approx,
        cases=_lowrank_cases,
    ),
    Exercise(
        id="la-ex-kkt",
        chapter=LINALG,
        title="An equality-constrained quadratic program",
        name="solve_kkt",
        signature="solve_kkt(Q, c, A, b) -> (x, lam) with Q x + c + A^T lam = 0 and A x = b",
        reference=equality_qp,
        cases=_kkt_cases,
        outputs=("x", "lam"),
    ),
)


def _frobenius_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[2.0]]), np.array([[1.0]]), np.array([[3.0]])),  # 2 * 2 * (2 - 3) = -4
        (np.eye(2), np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.0], [3.0, 4.0]])),  # a zero residual
        (np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]), np.zeros((2, 1)), np.array([[1.0], [2.0], [3.0]])),
    ]
    for m, n, p in [(5, 3, 2), (2, 4, 3), (4, 4, 1), (6, 2, 5)]:
        cases.append((rng.normal(size=(m, n)), rng.normal(size=(n, p)), rng.normal(size=(m, p))))
    return cases


def _circulant_eig_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([3.0]),),  # a 1 x 1 matrix: its entry
        (np.array([1.0, 0.0, 0.0, 0.0]),),  # the identity: all ones
        (np.array([0.0, 1.0, 0.0]),),  # the cyclic shift: the cube roots of unity
        (np.array([2.0, 1.0, 0.5, 0.5, 1.0]),),  # symmetric: real eigenvalues
        (np.ones(6),),  # rank one: 6 and five zeros
    ]
    for n in (7, 8, 16):
        cases.append((rng.normal(size=n),))
    return cases


def _circulant_eig_reference(c):
    """Eigenvalue of the Fourier vector omega_k = (exp(2 pi i k j / n))_j, computed as C omega_k / omega_k (no FFT)."""
    c = np.asarray(c, dtype=float)
    n = c.size
    C = c[(np.arange(n)[:, None] - np.arange(n)[None, :]) % n]
    omega = np.exp(2j * np.pi * np.outer(np.arange(n), np.arange(n)) / n)  # column k is omega_k
    return (C @ omega)[0] / omega[0]


register(
    Exercise(
        id="la-ex-frobenius-grad",
        chapter=LINALG,
        title="The gradient of a Frobenius norm",
        name="frobenius_grad",
        signature="frobenius_grad(A, X, B) -> d ||A X - B||_F^2 / dX, shaped like X",
        reference=lambda A, X, B: 2 * A.T @ (A @ X - B),
        cases=_frobenius_cases,
    ),
    Exercise(
        id="la-ex-circulant-eig",
        chapter=LINALG,
        title="The eigenvalues of a circulant matrix",
        name="circulant_eigenvalues",
        signature="circulant_eigenvalues(c) -> eigenvalue of each Fourier vector omega_k, k = 0..n-1, complex shape (n,)",
        reference=_circulant_eig_reference,
        cases=_circulant_eig_cases,
    ),
)
