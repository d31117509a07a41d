"""Coding exercises of the chapter *Gradients of matrix functions*."""

from __future__ import annotations

import numpy as np

from ..matgrad import eigh_backward, svd_backward
from ._checker import Case, Exercise, register

CHAPTER = "chapters/more/matrix_functions"


def _inv_backward_reference(dY, A):
    A_inv_T = np.linalg.inv(A).T
    return -A_inv_T @ dY @ A_inv_T


def _inv_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[1.0]]), np.array([[2.0]])),
        (np.eye(2), np.array([[2.0, 1.0], [0.0, 3.0]])),  # triangular, non-symmetric
        (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])),  # a permutation
    ]
    for n in (2, 3, 5):
        Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
        cases.append((rng.normal(size=(n, n)), Q @ np.diag(rng.uniform(0.5, 2.0, n)) @ rng.normal(size=(n, n)) + 2 * np.eye(n)))
    return cases


def _sym_eigvalsh(A):
    return np.linalg.eigvalsh((A + A.T) / 2)


def _eigvalsh_reference(dw, A):
    w, V = np.linalg.eigh(A)
    return eigh_backward(w, V, dw, None)


def _eigvalsh_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([1.0]), np.array([[3.0]])),
        (np.array([1.0, 0.0]), np.diag([2.0, -1.0])),  # diagonal: eigenvalues in ascending order are (-1, 2)
        (np.array([0.5, -2.0]), np.array([[0.0, 1.0], [1.0, 0.0]])),
    ]
    for n in (3, 4, 6):
        B = rng.normal(size=(n, n))
        cases.append((rng.normal(size=n), B + B.T))
    return cases


def _nuclear_reference(A):
    U, S, Vh = np.linalg.svd(A, full_matrices=False)
    return svd_backward(U, S, Vh, None, np.ones_like(S), None)


def _nuclear_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[-2.0]]),),  # d|a|/da = sign(a)
        (np.array([[3.0, 4.0]]),),  # a row: the gradient is the unit vector
        (np.array([[1.0], [2.0], [2.0]]),),
        (np.array([[2.0, 0.0], [0.0, -1.0]]),),
    ]
    for shape in [(3, 3), (5, 3), (3, 5), (6, 4)]:
        cases.append((rng.normal(size=shape),))
    return cases


def _trace_inverse_grad_reference(A):
    A_inv = np.linalg.inv(A)
    return -(A_inv @ A_inv).T


def _trace_inverse_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[2.0]]),),  # d(1/a)/da = -1/a^2
        (np.array([[-0.5]]),),
        (np.diag([1.0, 2.0, 4.0]),),
        (np.array([[1.0, 2.0], [0.0, 1.0]]),),  # triangular, non-symmetric: the transpose matters
        (np.array([[0.0, -1.0], [1.0, 0.0]]),),  # a rotation: A^{-2} = -I
    ]
    for n in (3, 4, 6):
        cases.append((rng.normal(size=(n, n)) + 3 * np.eye(n),))
    return cases


register(
    Exercise(
        id="mf-ex-inverse",
        chapter=CHAPTER,
        title="The backward pass of the inverse",
        name="inv_backward",
        signature="inv_backward(dY, A) -> dL/dA for Y = A^{-1} given dY = dL/dY, shape (n, n)",
        reference=_inv_backward_reference,
        cases=_inv_cases,
        forward=np.linalg.inv,
        rtol=1e-7,
        atol=1e-9,
    ),
    Exercise(
        id="mf-ex-eigvalsh",
        chapter=CHAPTER,
        title="The gradient of a loss of the eigenvalues",
        name="eigvalsh_backward",
        signature="eigvalsh_backward(dw, A) -> symmetric dL/dA for w = eigvalsh(A) given dw = dL/dw, shape (n, n)",
        reference=_eigvalsh_reference,
        cases=_eigvalsh_cases,
        forward=_sym_eigvalsh,
        rtol=1e-7,
        atol=1e-9,
    ),
    Exercise(
        id="mf-ex-nuclear",
        chapter=CHAPTER,
        title="The gradient of the nuclear norm",
        name="nuclear_norm_grad",
        signature="nuclear_norm_grad(A) -> d ||A||_* / dA = U V^T for A (m, n) of full rank, shape (m, n)",
        reference=_nuclear_reference,
        cases=_nuclear_cases,
        rtol=1e-7,
        atol=1e-9,
    ),
    Exercise(
        id="mf-ex-trace-inverse",
        chapter=CHAPTER,
        title="The gradient of the trace of the inverse",
        name="trace_inverse_grad",
        signature="trace_inverse_grad(A) -> d tr(A^{-1}) / dA for an invertible A (n, n), shape (n, n)",
        reference=_trace_inverse_grad_reference,
        cases=_trace_inverse_cases,
        rtol=1e-7,
        atol=1e-10,
    ),
)
