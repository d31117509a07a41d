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
)
