"""Coding exercises of the chapter *Belief propagation*."""

from __future__ import annotations

import numpy as np

from ..graphs import tree_map, tree_marginals
from ._checker import Case, Exercise, register

BP = "chapters/more/belief_propagation"


def _chain_edges(n: int) -> list[tuple[int, int]]:
    return [(t, t + 1) for t in range(n - 1)]


def _chain_marginals_reference(unary, pairwise):
    return tree_marginals(unary, _chain_edges(unary.shape[0]), list(pairwise))


def _chain_map_reference(unary, pairwise):
    return tree_map(unary, _chain_edges(unary.shape[0]), list(pairwise))[0]


def _chain_cases(rng: np.random.Generator) -> list[Case]:
    """Chains ``unary (n, K)``, ``pairwise (n - 1, K, K)``: continuous random tables (no ties)."""
    cases: list[Case] = [
        (np.array([[0.2, 0.8]]), np.zeros((0, 2, 2))),  # one node, no edge
        (np.array([[1.0, 2.0], [3.0, 1.0]]), np.array([[[1.0, 0.4], [0.7, 1.2]]])),
        (np.array([[1.0, 1.1], [1.0, 0.9], [1.2, 1.0]]), np.array([[[3.0, 0.1], [0.1, 3.0]], [[2.9, 0.2], [0.2, 3.1]]])),
        (np.array([[1.0, 2.0, 3.5]] * 2), np.array([[[0.0, 1.0, 2.0], [1.0, 0.0, 1.3], [1.7, 1.0, 0.1]]])),  # zeros
    ]
    for n, K in [(4, 2), (6, 3), (9, 4), (12, 2)]:
        cases.append((rng.uniform(0.1, 2.0, size=(n, K)), rng.uniform(0.1, 2.0, size=(n - 1, K, K))))
    return cases


def _ising_message_reference(J, h):
    """The Ising cavity-field message ``u = artanh(tanh J tanh h)``."""
    return np.arctanh(np.tanh(J) * np.tanh(h))


def _ising_message_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array(0.5), np.array(0.0)),
        (np.array(0.0), np.array(3.0)),
        (np.array([1.0, -1.0]), np.array([2.0, 2.0])),
        (np.array([0.3, 0.3, 0.3]), np.array([-1.0, 0.0, 1.0])),
        (np.array([4.0, -4.0, 6.0]), np.array([5.0, 6.0, -4.0])),  # large |J| and |h|: tanh close to 1
    ]
    for shape in [(5,), (3, 4)]:
        cases.append((rng.normal(size=shape), 2 * rng.normal(size=shape)))
    return cases


def _two_spin_reference(h1, h2, J):
    """``E[s1 s2]`` for ``p(s) ~ exp(h1 s1 + h2 s2 + J s1 s2)`` on ``{-1, +1}^2``, by enumerating the four states."""
    h1, h2, J = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (h1, h2, J)))
    states = [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    logw = np.stack([h1 * s1 + h2 * s2 + J * s1 * s2 for s1, s2 in states])
    w = np.exp(logw - logw.max(axis=0))
    return np.sum(w * np.array([s1 * s2 for s1, s2 in states], dtype=float).reshape((4,) + (1,) * h1.ndim), axis=0) / w.sum(
        axis=0
    )


def _two_spin_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array(0.0), np.array(0.0), np.array(0.0)),  # independent, unbiased spins: 0
        (np.array(0.0), np.array(0.0), np.array(0.5)),  # no fields: tanh J
        (np.array([1.0, -1.0]), np.array([1.0, 1.0]), np.array([0.0, 0.0])),  # J = 0: tanh h1 tanh h2
        (np.array([2.0, 0.5, -1.0]), np.array([-1.0, 0.5, 3.0]), np.array([1.0, -2.0, 0.3])),
        (np.array([6.0, -6.0]), np.array([-6.0, -6.0]), np.array([-5.0, 5.0])),  # large fields and couplings
    ]
    for shape in [(5,), (3, 4)]:
        cases.append((2 * rng.normal(size=shape), 2 * rng.normal(size=shape), rng.normal(size=shape)))
    return cases


def _log_partition_reference(log_unary, log_pairwise):
    """``log Z`` of a chain from log-potentials, by a forward pass of log-sum-exp messages."""
    log_unary, log_pairwise = np.asarray(log_unary, dtype=float), np.asarray(log_pairwise, dtype=float)
    log_alpha = log_unary[0]
    for t in range(log_unary.shape[0] - 1):
        scores = log_alpha[:, None] + log_pairwise[t]  # (x_t, x_{t+1})
        top = scores.max(axis=0)
        log_alpha = top + np.log(np.exp(scores - top).sum(axis=0)) + log_unary[t + 1]
    top = log_alpha.max()
    return float(top + np.log(np.exp(log_alpha - top).sum()))


def _log_partition_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.log(np.array([[0.2, 0.8]])), np.zeros((0, 2, 2))),  # one node: log 1 = 0
        (np.zeros((2, 2)), np.zeros((1, 2, 2))),  # all potentials 1: log 4
        (
            np.array([[0.0, 1.0], [2.0, -1.0], [0.5, 0.5]]),
            np.array([[[0.0, -np.inf], [-np.inf, 0.0]]] * 2),
        ),  # zero tables: x_1 = x_2 = x_3
        (
            np.array([[800.0, 0.0, -800.0], [0.0, 700.0, 0.0]]),
            np.array([[[0.0, 1.0, 2.0], [3.0, 0.0, 1.0], [2.0, 1.0, 0.0]]]),
        ),  # exp overflows
        (np.full((4, 2), -750.0), np.full((3, 2, 2), -750.0)),  # exp underflows
    ]
    for n, K in [(5, 2), (8, 3), (12, 4)]:
        cases.append((rng.normal(size=(n, K)) * 3, rng.normal(size=(n - 1, K, K)) * 3))
    return cases


register(
    Exercise(
        id="bp-ex-chain",
        chapter=BP,
        title="Forward-backward on a chain",
        name="chain_marginals",
        signature="chain_marginals(unary, pairwise) -> marginals (n, K) of a chain, unary (n, K), pairwise (n - 1, K, K)",
        reference=_chain_marginals_reference,
        cases=_chain_cases,
    ),
    Exercise(
        id="bp-ex-viterbi",
        chapter=BP,
        title="The most probable path of a chain",
        name="chain_map",
        signature="chain_map(unary, pairwise) -> integer array (n,): the most probable assignment of the chain",
        reference=_chain_map_reference,
        cases=_chain_cases,
    ),
    Exercise(
        id="bp-ex-ising-message",
        chapter=BP,
        title="The Ising message as a field",
        name="ising_message",
        signature="ising_message(J, h) -> the message field u with exp(2u) = m(+1) / m(-1), elementwise",
        reference=_ising_message_reference,
        cases=_ising_message_cases,
    ),
    Exercise(
        id="bp-ex-two-spins",
        chapter=BP,
        title="The correlation of two spins",
        name="two_spin_correlation",
        signature="two_spin_correlation(h1, h2, J) -> E[s1 s2] for p(s1, s2) ~ exp(h1 s1 + h2 s2 + J s1 s2), elementwise",
        reference=_two_spin_reference,
        cases=_two_spin_cases,
        atol=1e-12,
    ),
    Exercise(
        id="bp-ex-log-partition",
        chapter=BP,
        title="The log-partition function of a chain",
        name="chain_log_partition",
        signature="chain_log_partition(log_unary, log_pairwise) -> log Z (a float) of a chain, log_unary (n, K), log_pairwise (n - 1, K, K)",
        reference=_log_partition_reference,
        cases=_log_partition_cases,
    ),
)
