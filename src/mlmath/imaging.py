"""Imaging: regularised inverse problems, total variation and homographies.

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
  respect to the entries of ``H`` and to ``p``.

Layout: the homography Jacobians are returned in the *numerator* layout
Gauss-Newton code uses (``J[i, j] = d p'_i / d theta_j``, one row per output);
the book's denominator-layout derivative is their transpose. Gradients of
scalars (``tv_smoothed``) have the shape of the input (denominator layout).
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, check_nonempty, check_scalar, result_dtype

__all__ = [
    "tikhonov_solve",
    "circular_convolve",
    "tikhonov_deconvolve_circular",
    "forward_difference",
    "forward_difference_adjoint",
    "tv_value",
    "tv_smoothed",
    "homography_apply",
    "homography_jacobian",
    "homography_point_jacobian",
]


# ---------------------------------------------------------------------------
# Tikhonov regularisation
# ---------------------------------------------------------------------------


def tikhonov_solve(A, y, lam, L=None) -> np.ndarray:
    """Minimiser ``x*`` of ``||A x - y||^2 + lam ||L x||^2``; shapes ``A (m, n)``, ``y (m,)``, ``L (p, n)``.

    ``x* = (A^T A + lam L^T L)^{-1} A^T y``; ``L`` defaults to the ``n x n``
    identity. Returns ``x*`` of shape ``(n,)``.

    The normal equations are *not* formed. The objective equals
    ``||[A; sqrt(lam) L] x - [y; 0]||^2``, so ``x*`` is the least-squares
    solution of that stacked system, computed here with an SVD-based solver
    (``numpy.linalg.lstsq``). Its condition number is the square root of
    that of ``A^T A + lam L^T L``: forming the normal equations (even with a
    Cholesky solve) loses twice as many digits, which matters exactly in the
    ill-posed problems regularisation is for (for ``cond(A) = 1e7`` and tiny
    ``lam`` the normal equations keep about 2 correct digits, the stacked
    solve about 8).

    The minimiser is unique iff the stacked matrix has full column rank
    ``n``, i.e. ``null(A) ∩ null(L) = {0}`` when ``lam > 0``, or ``A`` has
    full column rank when ``lam = 0``. Otherwise (numerical rank below ``n``,
    with NumPy's default tolerance ``eps * max(m + p, n) * sigma_max``) a
    ``ValueError`` naming ``lam``, ``A`` and ``L`` is raised.
    """
    A = as_float_array(A, "A", ndim=2)
    check_nonempty(A, "A")
    m, n = A.shape
    y = as_float_array(y, "y", ndim=1)
    if y.shape[0] != m:
        raise ValueError(f"y must have length m = A.shape[0] = {m}, got shape {y.shape}")
    lam = check_scalar(lam, "lam", low=0.0)
    if L is None:
        dtype = result_dtype(A, y)
        L = np.eye(n, dtype=dtype)
    else:
        L = as_float_array(L, "L", ndim=2)
        check_nonempty(L, "L")
        if L.shape[1] != n:
            raise ValueError(f"L must have n = A.shape[1] = {n} columns, got shape {L.shape}")
        dtype = result_dtype(A, y, L)
    p = L.shape[0]
    M = np.concatenate([A.astype(dtype), np.sqrt(dtype.type(lam)) * L.astype(dtype)], axis=0)
    rhs = np.concatenate([y.astype(dtype), np.zeros(p, dtype=dtype)])
    x, _, rank, _ = np.linalg.lstsq(M, rhs, rcond=None)
    if rank < n:
        raise ValueError(
            f"the Tikhonov problem has no unique minimiser: [A; sqrt(lam) L] has numerical rank "
            f"{rank} < n = {n} (lam = {lam}; with lam = 0, A must have full column rank; with "
            f"lam > 0, A and L must not share a null vector)"
        )
    return x.astype(dtype, copy=False)


def _check_kernel(kernel, x: np.ndarray, xname: str) -> np.ndarray:
    """Validate an odd-sized kernel with the same ndim as ``x`` and no larger than ``x``."""
    kernel = as_float_array(kernel, "kernel")
    if kernel.ndim != x.ndim:
        raise ValueError(f"kernel must have {xname}.ndim = {x.ndim} dimensions, got shape {kernel.shape}")
    check_nonempty(kernel, "kernel")
    if any(k % 2 == 0 for k in kernel.shape):
        raise ValueError(f"kernel must have an odd size along every axis (centre at its middle), got shape {kernel.shape}")
    if any(k > s for k, s in zip(kernel.shape, x.shape)):
        raise ValueError(f"kernel must be no larger than {xname} along every axis, got shapes {kernel.shape} and {x.shape}")
    return kernel


def _kernel_spectrum(kernel: np.ndarray, shape: tuple) -> np.ndarray:
    """``rfftn`` of the kernel embedded in an array of ``shape`` with its centre moved to index 0."""
    padded = np.zeros(shape, dtype=np.float64)
    padded[tuple(slice(0, k) for k in kernel.shape)] = kernel
    padded = np.roll(padded, shift=[-(k // 2) for k in kernel.shape], axis=tuple(range(kernel.ndim)))
    return np.fft.rfftn(padded, axes=tuple(range(len(shape))))


def _check_signal(y, name: str) -> np.ndarray:
    y = as_float_array(y, name, ndim=(1, 2))
    check_nonempty(y, name)
    return y


def circular_convolve(x, kernel) -> np.ndarray:
    """Circular (periodic) convolution ``(k * x)[i] = sum_j k[j] x[(i - j) mod n]`` in 1D or 2D.

    ``x`` has shape ``(n,)`` or ``(H, W)``; ``kernel`` has the same number of
    dimensions, an **odd** size along each axis, no larger than ``x``, and its
    centre (offset ``j = 0``) at its middle entry ``kernel[K // 2]``
    (``kernel[K//2 + j]`` is the tap at offset ``j``, ``|j| <= K // 2``).
    Equals ``scipy.ndimage.convolve(x, kernel, mode="wrap")``. This is the
    operator ``A`` of :func:`tikhonov_deconvolve_circular`; computed by FFT.
    """
    x = _check_signal(x, "x")
    kernel = _check_kernel(kernel, x, "x")
    dtype = result_dtype(x, kernel)
    K = _kernel_spectrum(kernel, x.shape)
    axes = tuple(range(x.ndim))
    return np.fft.irfftn(K * np.fft.rfftn(x, axes=axes), s=x.shape, axes=axes).astype(dtype, copy=False)


def tikhonov_deconvolve_circular(y, kernel, lam) -> np.ndarray:
    """Tikhonov deconvolution ``argmin_x ||k * x - y||^2 + lam ||x||^2`` for a circular blur.

    ``*`` is :func:`circular_convolve` (same kernel convention: odd size,
    centre at the middle entry, same ndim as ``y``, 1D or 2D). The circulant
    matrix ``A`` is diagonalised by the DFT, ``A = F^{-1} diag(K) F`` with
    ``K = fft(kernel moved so its centre is at index 0)``, and ``A^T`` has
    eigenvalues ``conj(K)``, so the normal equations decouple per frequency::

        x = ifft( conj(K) * fft(y) / (|K|^2 + lam) )        # O(n log n)

    This equals :func:`tikhonov_solve` with the dense circulant ``A`` and
    ``L = I``. Returns an array shaped like ``y``. Raises ``ValueError``
    naming ``lam`` when the problem is singular: ``lam = 0`` and some
    ``|K|`` is zero to working precision (the same numerical-rank rule,
    relative tolerance ``eps * 2n``, that :func:`tikhonov_solve` applies to
    the stacked system).
    """
    y = _check_signal(y, "y")
    kernel = _check_kernel(kernel, y, "y")
    lam = check_scalar(lam, "lam", low=0.0)
    dtype = result_dtype(y, kernel)
    K = _kernel_spectrum(kernel, y.shape)
    denom = np.abs(K) ** 2 + lam
    # singular values of the stacked system [A; sqrt(lam) I] are sqrt(|K|^2 + lam)
    sv = np.sqrt(denom)
    tol = np.finfo(dtype).eps * 2 * y.size * sv.max()
    if sv.max() == 0 or sv.min() <= tol:
        raise ValueError(
            f"the deconvolution problem is singular: with lam = {lam} the kernel's spectrum |K| "
            f"vanishes at some frequency (min |K|^2 + lam = {denom.min():.3g}); use lam > 0"
        )
    axes = tuple(range(y.ndim))
    X = np.conj(K) * np.fft.rfftn(y, axes=axes) / denom
    return np.fft.irfftn(X, s=y.shape, axes=axes).astype(dtype, copy=False)


# ---------------------------------------------------------------------------
# Total variation
# ---------------------------------------------------------------------------


def _check_image(x) -> np.ndarray:
    x = as_float_array(x, "x", ndim=2)
    check_nonempty(x, "x")
    return x


def forward_difference(x) -> tuple[np.ndarray, np.ndarray]:
    """Forward differences ``(dx, dy)`` of a 2D image ``x (H, W)``, both shaped ``(H, W)``.

    ``dx[i, j] = x[i, j+1] - x[i, j]`` (horizontal, along axis 1) and
    ``dy[i, j] = x[i+1, j] - x[i, j]`` (vertical, along axis 0); the last
    column of ``dx`` and the last row of ``dy`` are zero (Neumann boundary:
    the image is extended by repeating its border).
    """
    x = _check_image(x)
    dx = np.zeros_like(x)
    dy = np.zeros_like(x)
    dx[:, :-1] = x[:, 1:] - x[:, :-1]
    dy[:-1, :] = x[1:, :] - x[:-1, :]
    return dx, dy


def forward_difference_adjoint(px, py) -> np.ndarray:
    """The adjoint ``D^T (px, py)`` of :func:`forward_difference`, shape ``(H, W)``.

    ``<forward_difference(x), (px, py)> = <x, D^T (px, py)>`` for all ``x``;
    ``D^T = -div`` (the discrete divergence with the matching boundary). The
    last column of ``px`` and last row of ``py`` are ignored, as ``D`` never
    writes there.
    """
    px = as_float_array(px, "px", ndim=2)
    py = as_float_array(py, "py", ndim=2)
    if px.shape != py.shape:
        raise ValueError(f"px and py must have the same shape, got {px.shape} and {py.shape}")
    check_nonempty(px, "px")
    out = np.zeros(px.shape, dtype=result_dtype(px, py))
    # column j of dx is x[:, j+1] - x[:, j] for j < W - 1
    out[:, :-1] -= px[:, :-1]
    out[:, 1:] += px[:, :-1]
    out[:-1, :] -= py[:-1, :]
    out[1:, :] += py[:-1, :]
    return out


def tv_value(x):
    """Isotropic total variation ``sum_{i,j} sqrt(dx[i,j]^2 + dy[i,j]^2)`` of ``x (H, W)``.

    Forward differences with the Neumann boundary of :func:`forward_difference`.
    Not differentiable where the local gradient vanishes; see
    :func:`tv_smoothed`. Returns a scalar of ``x``'s float dtype.
    """
    dx, dy = forward_difference(x)
    return np.sum(np.sqrt(dx * dx + dy * dy))


def tv_smoothed(x, eps):
    """Smoothed isotropic TV and its gradient: ``(value, grad)`` with ``grad`` shaped like ``x (H, W)``.

    ``value = sum_{i,j} r[i,j]`` with ``r = sqrt(dx^2 + dy^2 + eps^2)`` and
    ``(dx, dy) = forward_difference(x)`` (Neumann boundary: the last column
    of ``dx`` and last row of ``dy`` are zero, so those pixels contribute
    ``sqrt(dy^2 + eps^2)`` etc.). ``eps > 0`` is required. The exact gradient
    (denominator layout) is ``D^T (dx / r, dy / r)`` with ``D^T``
    :func:`forward_difference_adjoint`. ``0 <= value - tv_value(x) <= H W eps``.

    Unlike ``|grad x| + eps``, which keeps the kink of ``|.|`` at 0,
    ``sqrt(t^2 + eps^2)`` is smooth: its derivative ``t / sqrt(t^2 + eps^2)``
    is continuous, with value 0 at ``t = 0``.
    """
    x = _check_image(x)
    eps = check_scalar(eps, "eps", low=0.0, low_open=True)
    dx, dy = forward_difference(x)
    r = np.sqrt(dx * dx + dy * dy + x.dtype.type(eps) ** 2)
    grad = forward_difference_adjoint(dx / r, dy / r)
    return np.sum(r), grad.astype(x.dtype, copy=False)


# ---------------------------------------------------------------------------
# Homographies
# ---------------------------------------------------------------------------


def _check_homography(H) -> np.ndarray:
    H = as_float_array(H, "H", ndim=2)
    if H.shape != (3, 3):
        raise ValueError(f"H must be a 3 x 3 matrix, got shape {H.shape}")
    return H


def _check_points(p, name: str) -> np.ndarray:
    p = as_float_array(p, name, ndim=(1, 2))
    if p.shape[-1] != 2:
        raise ValueError(f"{name} must have shape (2,) or (N, 2) (inhomogeneous 2D points), got shape {p.shape}")
    return p


def _project(H: np.ndarray, p: np.ndarray, name: str):
    """Homogenise ``p (..., 2)``, map by ``H`` and return ``(p~, u = H p~, w = u_3, p')``."""
    dtype = result_dtype(H, p)
    pt = np.concatenate([p.astype(dtype), np.ones(p.shape[:-1] + (1,), dtype=dtype)], axis=-1)
    u = pt @ H.astype(dtype).T
    w = u[..., 2]
    if np.any(w == 0):
        bad = np.argwhere(np.atleast_1d(w) == 0).ravel().tolist()
        raise ValueError(
            f"{name} is mapped to a point at infinity ((H p~)_3 == 0) at index {bad}; "
            "the projected point p' is undefined there"
        )
    return pt, u, w, u[..., :2] / w[..., None]


def homography_apply(H, points) -> np.ndarray:
    """Apply the homography ``H (3, 3)`` to ``points (N, 2)`` (or one point ``(2,)``).

    Each point ``p`` is homogenised as ``p~ = (x, y, 1)``, mapped to
    ``u = H p~`` and projected back, ``p' = (u_1 / u_3, u_2 / u_3)``.
    Returns an array shaped like ``points``. ``p'`` is unchanged by
    ``H -> c H`` (``c != 0``). Raises ``ValueError`` naming ``points`` if a
    point goes to infinity (``u_3 == 0``).
    """
    H = _check_homography(H)
    points = _check_points(points, "points")
    return _project(H, points, "points")[3]


def homography_jacobian(H, p) -> np.ndarray:
    """Jacobian ``J[i, j] = d p'_i / d h_j`` (``2 x 9``) of ``p' = (Hp~)_{1:2} / (Hp~)_3`` w.r.t. ``h``.

    ``h = H.ravel()`` (row-major: ``h_{3a+b} = H[a, b]``) and ``p~ = (x, y, 1)``.
    With ``u = H p~``, ``w = u_3`` and ``p' = (x', y')``::

        J = (1 / w) [[ p~^T,  0,     -x' p~^T ],
                     [ 0,     p~^T,  -y' p~^T ]]

    **Layout**: numerator layout, one row per output coordinate, as used by
    Gauss-Newton (``J^T J dh = -J^T r``). The book's denominator-layout
    derivative ``d p' / d h`` (``9 x 2``) is ``J.T``. For ``p`` of shape
    ``(N, 2)`` the result is ``(N, 2, 9)``, one Jacobian per point. Raises
    ``ValueError`` naming ``p`` if ``w == 0`` (point at infinity).
    """
    H = _check_homography(H)
    p = _check_points(p, "p")
    pt, _, w, pp = _project(H, p, "p")
    J = np.zeros(p.shape[:-1] + (2, 9), dtype=pt.dtype)
    inv_w = (1.0 / w)[..., None]
    J[..., 0, 0:3] = pt * inv_w
    J[..., 1, 3:6] = pt * inv_w
    J[..., 0, 6:9] = -pp[..., 0:1] * pt * inv_w
    J[..., 1, 6:9] = -pp[..., 1:2] * pt * inv_w
    return J


def homography_point_jacobian(H, p) -> np.ndarray:
    """Jacobian ``J[i, j] = d p'_i / d p_j`` (``2 x 2``) of the projected point w.r.t. the input point.

    ``J[i, j] = (H[i, j] - p'_i H[2, j]) / w`` for ``i, j in {0, 1}``, with
    ``w = (H p~)_3``. **Layout**: numerator layout (rows are outputs), the
    one Gauss-Newton uses; its transpose ``J.T`` is the denominator-layout
    derivative ``d p' / d p`` of the book. For ``p (N, 2)`` the result is
    ``(N, 2, 2)``. Raises ``ValueError`` naming ``p`` if ``w == 0``.
    """
    H = _check_homography(H)
    p = _check_points(p, "p")
    pt, _, w, pp = _project(H, p, "p")
    Hd = H.astype(pt.dtype)
    # (..., 2, 2): H[:2, :2] minus outer(p', H[2, :2]), divided by w
    J = Hd[:2, :2] - pp[..., :, None] * Hd[2, :2]
    return J / w[..., None, None]
