"""Tests of what every module of ``mlmath.layers`` shares rather than one module's mathematics: the
typed caches of ``_cache.py`` (a backward pass accepts only the cache of its own forward pass and
says so, instead of computing nonsense from an input array or another layer's cache), and that no
layer emits a ``RuntimeWarning`` on inputs whose results are finite."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mlmath import layers
from mlmath.layers import attention_forward, conv2d_backward, conv2d_forward, gelu_forward


@pytest.mark.parametrize(
    ("backward", "wrong", "forward_name"),
    [
        ("relu_backward", lambda x: x, "relu_forward"),  # the input instead of the cache: silently dy * x before
        ("relu_backward", lambda x: None, "relu_forward"),
        ("sigmoid_backward", lambda x: x, "sigmoid_forward"),
        ("linear_backward", lambda x: (x, x), "linear_forward"),
        (
            "layernorm_backward",
            lambda x: layers.batchnorm_forward(x, np.ones(4), np.zeros(4))[1],
            "layernorm_forward",
        ),
    ],
)
def test_a_backward_pass_refuses_anything_but_its_own_forward_cache(backward, wrong, forward_name):
    x = np.random.default_rng(0).normal(size=(3, 4))
    with pytest.raises(ValueError, match=f"cache must be the cache returned by {forward_name}"):
        getattr(layers, backward)(np.ones((3, 4)), wrong(x))


def test_no_layer_emits_runtime_warnings():
    rng = np.random.default_rng(90)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        conv2d_backward(
            np.ones((1, 2, 3, 3)), conv2d_forward(rng.standard_normal((1, 1, 5, 5)), np.ones((2, 1, 3, 3)), np.zeros(2))[1]
        )
        attention_forward(
            rng.standard_normal((2, 2)), rng.standard_normal((2, 2)), rng.standard_normal((2, 2)), np.eye(2, dtype=bool)
        )
        gelu_forward(np.array([-40.0, 40.0]))
