"""Coding exercises of the chapter *Optimal transport*."""

from __future__ import annotations

import numpy as np

from ..ot import sinkhorn
from ._checker import Case, Exercise, register

OT = "chapters/more/optimal_transport"


def _histogram(rng: np.random.Generator, n: int) -> np.ndarray:
    w = rng.uniform(0.2, 1.0, size=n)
    return w / w.sum()


# --- the KL projection onto the row constraint --------------------------------------------------


def _kl_project_rows_reference(Q, a):
    """``argmin_{P 1 = a} KL(P || Q)`` = ``diag(a / Q 1) Q``."""
    return (a / Q.sum(axis=1))[:, None] * Q


def _kl_project_rows_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[2.0]]), np.array([1.0])),
        (np.ones((2, 2)), np.array([0.25, 0.75])),
        (np.array([[1.0, 3.0, 0.0], [0.5, 0.5, 1.0]]), np.array([0.4, 0.6])),  # a zero entry of Q stays zero
        (np.exp(-rng.uniform(0, 5, size=(3, 1))), _histogram(rng, 3)),
    ]
    for n, m in [(2, 5), (4, 3), (6, 6)]:
        cases.append((rng.uniform(0.01, 2.0, size=(n, m)), _histogram(rng, n)))
    return cases


# --- W1 on the real line -------------------------------------------------------------------------


def _w1_line_reference(x, a, y, b):
    """``int |F_a(t) - F_b(t)| dt`` for the discrete measures ``sum a_i delta_{x_i}`` and ``sum b_j delta_{y_j}``."""
    points = np.concatenate([x, y])
    order = np.argsort(points, kind="stable")
    jumps = np.concatenate([a, -b])[order]
    cdf_gap = np.cumsum(jumps)[:-1]
    return float(np.sum(np.abs(cdf_gap) * np.diff(points[order])))


def _w1_line_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([0.0]), np.array([1.0]), np.array([2.5]), np.array([1.0])),  # |x - y|
        (np.array([0.0, 1.0]), np.array([0.5, 0.5]), np.array([0.0, 1.0]), np.array([0.5, 0.5])),  # equal: 0
        (np.array([1.0, 0.0]), np.array([0.5, 0.5]), np.array([0.0, 1.0]), np.array([0.5, 0.5])),  # unsorted input
        (np.array([0.0, 0.0, 3.0]), np.array([0.2, 0.3, 0.5]), np.array([1.0]), np.array([1.0])),  # repeated points
        (np.array([-1.0, 2.0]), np.array([0.9, 0.1]), np.array([0.5, 0.7, 4.0]), np.array([0.3, 0.3, 0.4])),
    ]
    for n, m in [(5, 4), (8, 12), (20, 7)]:
        cases.append((rng.normal(size=n), _histogram(rng, n), rng.normal(size=m) + 0.5, _histogram(rng, m)))
    return cases


# --- Sinkhorn in the log domain ------------------------------------------------------------------


def _log_sinkhorn_reference(a, b, C, reg):
    return sinkhorn(a, b, C, reg, n_iter=200_000, tol=1e-13)


def _log_sinkhorn_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([1.0]), np.array([1.0]), np.array([[0.3]]), 0.1),
        (np.array([0.5, 0.5]), np.array([0.5, 0.5]), np.array([[0.0, 1.0], [1.0, 0.0]]), 1.0),
        # C / reg reaches 1000 here: exp(-C / reg) underflows, the scaling form divides by zero
        (np.array([0.5, 0.5]), np.array([0.25, 0.75]), np.array([[0.0, 1.0], [1.0, 0.9]]), 1e-3),
    ]
    for n, m, reg in [(3, 4, 0.5), (4, 3, 0.05), (5, 5, 0.01), (6, 4, 0.2), (4, 4, 2e-3)]:
        cases.append((_histogram(rng, n), _histogram(rng, m), rng.uniform(0, 1, size=(n, m)), reg))
    return cases


# --- two points and two points ------------------------------------------------------------------


def _two_point_plan_reference(c, reg):
    """The entropic plan for ``a = b = (1/2, 1/2)``, ``C = [[0, c], [c, 0]]``: ``P_12 = 1 / (2 (1 + e^{c/reg}))``."""
    off = 0.5 / (1.0 + np.exp(np.clip(c / reg, -700.0, 700.0)))
    return np.array([[0.5 - off, off], [off, 0.5 - off]])


def _two_point_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (0.0, 1.0),  # free transport: the independent plan, 1/4 everywhere
        (1.0, 1.0),
        (1.0, 0.01),  # c / reg = 100: almost the identity plan
        (2.0, 1e-3),  # c / reg = 2000: exp overflows in the naive form
        (1.0, 100.0),  # a huge regulariser: almost independent
        (-1.0, 0.5),  # a negative cost favours moving
    ]
    for _ in range(3):
        cases.append((float(rng.uniform(0.0, 3.0)), float(rng.uniform(0.05, 2.0))))
    return cases


# --- the dual of POT's regulariser ---------------------------------------------------------------


def _pot_dual_term_reference():
    """``h(s) = -eps e^{s/eps - 1}``: the dual of ``<P, C> + eps sum P log P`` is ``<f, a> + <g, b> + sum_ij h(f_i + g_j - C_ij)``."""
    import sympy as sp

    s, eps = sp.symbols("s eps", real=True)
    return -eps * sp.exp(s / eps - 1)


register(
    Exercise(
        id="ot-ex-kl-project",
        chapter=OT,
        title="The KL projection onto the row constraint",
        name="kl_project_rows",
        signature="kl_project_rows(Q, a) -> argmin over P with P 1 = a of KL(P || Q), shape of Q",
        reference=_kl_project_rows_reference,
        cases=_kl_project_rows_cases,
    ),
    Exercise(
        id="ot-ex-w1-line",
        chapter=OT,
        title="Optimal transport on the line",
        name="w1_line",
        signature="w1_line(x, a, y, b) -> W1 between sum a_i delta(x_i) and sum b_j delta(y_j) (cost |x - y|), a float",
        reference=_w1_line_reference,
        cases=_w1_line_cases,
    ),
    Exercise(
        id="ot-ex-log-sinkhorn",
        chapter=OT,
        title="Sinkhorn in the log domain",
        name="log_sinkhorn",
        signature="log_sinkhorn(a, b, C, reg) -> the entropic plan P (n, m), stable for small reg",
        reference=_log_sinkhorn_reference,
        cases=_log_sinkhorn_cases,
        rtol=1e-6,
        atol=1e-9,
    ),
    Exercise(
        id="ot-ex-two-points",
        chapter=OT,
        title="Entropic transport between two points",
        name="two_point_plan",
        signature="two_point_plan(c, reg) -> the entropic plan (2, 2) for a = b = (1/2, 1/2) and C = [[0, c], [c, 0]]",
        reference=_two_point_plan_reference,
        cases=_two_point_cases,
        atol=1e-12,
    ),
    Exercise(
        id="ot-ex-dual",
        chapter=OT,
        title="The dual, by hand",
        name="pot_dual_term",
        signature="pot_dual_term: h(s) in the dual <f, a> + <g, b> + sum_ij h(f_i + g_j - C_ij) of the regulariser eps sum P log P, a formula in s, eps",
        reference=_pot_dual_term_reference,
        cases=None,
        symbols=("s", "eps"),
        domain=(0.2, 2.0),  # eps > 0
    ),
)
