"""Oracle helpers shared by the layer tests (tests/test_layers_*.py): float64 torch leaf tensors,
vector-Jacobian products by torch autograd, and the agreement expected between the library and
torch in float64 (the float64 entry of the tolerance table in tests/conftest.py)."""

from __future__ import annotations

import numpy as np
import torch
from conftest import tolerance

#: Library against torch, float64: ``assert_allclose(ours, theirs, **TIGHT)``.
TIGHT = tolerance(np.float64)


def leaf(a) -> torch.Tensor:
    """A float64 torch leaf tensor that records gradients."""
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def torch_grads(out: torch.Tensor, inputs, dout) -> list[np.ndarray]:
    """Vector-Jacobian product ``dout^T d out / d inputs`` by torch autograd."""
    grads = torch.autograd.grad(out, inputs, torch.as_tensor(dout))
    return [g.numpy() for g in grads]
