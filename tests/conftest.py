"""Settings every test file shares: one Hypothesis profile, torch in float64 (torch is the tests'
oracle), and one table of tolerances per dtype."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import settings

# torch computes the oracle values in float64, like the library (set before any test module is imported).
torch.set_default_dtype(torch.float64)

# Seeded and reproducible: Hypothesis draws the same examples on every run.
settings.register_profile("mlmath", max_examples=40, deadline=None, derandomize=True)
settings.load_profile("mlmath")

#: Agreement expected between two float computations of the same quantity (library vs oracle).
TOLERANCES = {
    np.dtype(np.float64): {"rtol": 1e-10, "atol": 1e-12},
    np.dtype(np.float32): {"rtol": 1e-4, "atol": 1e-6},
}
#: Central differences (step 1e-6) against an analytic gradient, float64: truncation plus round-off.
GRADCHECK_TOL = 1e-7


def tolerance(dtype) -> dict[str, float]:
    """``rtol`` and ``atol`` for comparing arrays of ``dtype`` (``np.testing.assert_allclose(..., **tolerance(x.dtype))``)."""
    return TOLERANCES[np.dtype(dtype)]
