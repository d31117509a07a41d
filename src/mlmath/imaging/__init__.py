"""Imaging: regularised inverse problems, total variation, homographies and orientation histograms.

A package of three modules named after what they do: ``inverse_problems``,
``homography`` and ``orientation``. Every public name is importable from
``mlmath.imaging`` itself, as before.

The part of the book on medical image reconstruction and geometric vision
uses three pieces of matrix calculus, all implemented here by hand:

* **Tikhonov regularisation.** The minimiser of
  ``||A x - y||^2 + lam ||L x||^2`` solves the normal equations
  ``(A^T A + lam L^T L) x = A^T y`` (set the gradient
  ``2 A^T (A x - y) + 2 lam L^T L x`` to zero). For a circular blur the
  matrices are diagonalised by the DFT and the solve costs ``O(n log n)``.
* **Total variation.** The isotropic TV ``sum |grad x|`` is not
  differentiable where ``grad x = 0``; its smoothing
  ``sum sqrt(|grad x|^2 + eps^2)`` is (infinitely) differentiable, with an
  exact gradient ``D^T (grad x / sqrt(|grad x|^2 + eps^2))``.
* **Homographies.** ``p' = (H p~)_{1:2} / (H p~)_3`` and its Jacobians with
  respect to the entries of ``H`` and to ``p``, a direct linear transform
  fit from point pairs, and Gauss-Newton image registration.
* **Orientation histograms.** Magnitude-weighted histograms of gradient
  directions (the orientation step of SIFT), their dominant orientation and
  the circular shift between two of them.

Solvers for the image-sized problems take the forward operator and its
adjoint as callables (``forward(x)``, ``adjoint(r)``), so a blur applied by
FFT and a sparse Radon matrix are used the same way.

Layout: the homography Jacobians are returned in the *numerator* layout
Gauss-Newton code uses (``J[i, j] = d p'_i / d theta_j``, one row per output);
the book's denominator-layout derivative is their transpose. Gradients of
scalars (``tv_smoothed``) have the shape of the input (denominator layout).
"""

from .homography import *  # noqa: F403
from .homography import __all__ as _homography
from .inverse_problems import *  # noqa: F403
from .inverse_problems import __all__ as _inverse
from .orientation import *  # noqa: F403
from .orientation import __all__ as _orientation

__all__ = [*_inverse, *_homography, *_orientation]
