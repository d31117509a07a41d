"""Coding exercises of the part *Gradients of network layers*."""

from __future__ import annotations

import numpy as np

from ..layers import log_softmax, softmax, softmax_jacobian
from ._checker import Case, Exercise, register


def _soft_target_cases(rng: np.random.Generator) -> list[Case]:
    cases = [(np.array([0.0]), np.array([1.0])), (np.array([1.0, 2.0]), np.array([0.5, 0.5]))]
    for k in (3, 5, 10):
        cases.append((rng.normal(size=k) * 3, softmax(rng.normal(size=k))))
    cases.append((np.array([1000.0, -1000.0, 0.0]), np.array([0.1, 0.1, 0.8])))
    return cases


def _hessian_cases(rng: np.random.Generator) -> list[Case]:
    return [(np.array([0.0]),), (np.array([1.0, -1.0]),), (rng.normal(size=4),), (rng.normal(size=7) * 5,), (np.array([500.0, 0.0, -500.0]),)]


def _temperature_cases(rng: np.random.Generator) -> list[Case]:
    cases = [(np.array([0.0, 0.0]), 0, 1.0), (np.array([1.0, 2.0, 3.0]), 2, 0.5)]
    for k, t in [(4, 4.0), (6, 0.1), (3, 10.0)]:
        cases.append((rng.normal(size=k), int(rng.integers(0, k)), t))
    return cases


def _temperature_reference(z, y, t):
    return (softmax(z / t) - np.eye(len(z))[int(y)]) / t


def _log_softmax_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array([[0.0]]),),
        (np.array([[1.0, 2.0, 3.0]]),),
        (np.zeros((2, 4)),),
        (rng.normal(size=(3, 5)),),
        (rng.normal(size=(4, 6)) * 1e4,),
        (np.array([[1000.0, 999.0, -1000.0]]),),
        (rng.normal(size=(1, 10)) * 50,),
    ]


register(
    Exercise(
        id="ex-softmax-log-softmax",
        chapter="chapters/layers/softmax",
        title="A stable log-softmax",
        name="my_log_softmax",
        signature="my_log_softmax(z) -> array shaped like z (N, K), log-softmax of each row",
        reference=lambda z: log_softmax(z, axis=1),
        cases=_log_softmax_cases,
        rtol=1e-10,
        atol=1e-10,
    ),
    Exercise(
        id="ex-softmax-soft-targets",
        chapter="chapters/layers/softmax",
        title="Soft targets",
        name="soft_target_grad",
        signature="soft_target_grad(z, q) -> dL/dz for L = -sum_k q_k log softmax(z)_k, shape (K,)",
        reference=lambda z, q: softmax(z) - q,
        cases=_soft_target_cases,
    ),
    Exercise(
        id="ex-softmax-hessian",
        chapter="chapters/layers/softmax",
        title="The loss is convex in the logits",
        name="nll_hessian",
        signature="nll_hessian(z) -> (K, K) Hessian of -z_y + logsumexp(z)",
        reference=softmax_jacobian,
        cases=_hessian_cases,
    ),
    Exercise(
        id="ex-softmax-temperature",
        chapter="chapters/layers/softmax",
        title="Temperature",
        name="temperature_grad",
        signature="temperature_grad(z, y, T) -> dL/dz for L = -log softmax(z / T)_y, shape (K,)",
        reference=_temperature_reference,
        cases=_temperature_cases,
    ),
)
