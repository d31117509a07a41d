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

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, check_int, check_nonempty, check_scalar, result_dtype

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
    "psnr",
    "tikhonov_cg",
    "tv_solve",
    "radon_matrix",
    "bilinear_sample",
    "homography_from_points",
    "register_homography",
    "orientation_histogram",
    "dominant_orientation",
    "orientation_shift",
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
            f"{name} is mapped to a point at infinity ((H p~)_3 == 0) at index {bad}; the projected point p' is undefined there"
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


# ---------------------------------------------------------------------------
# Reconstruction quality and iterative solvers
# ---------------------------------------------------------------------------


def psnr(x, reference, data_range=None) -> float:
    """Peak signal-to-noise ratio ``10 log10(R^2 / MSE)`` of ``x`` against ``reference``, in dB.

    ``x`` and ``reference`` have the same shape; ``MSE = mean((x - reference)^2)``
    and ``R = data_range`` defaults to ``reference.max() - reference.min()``.
    Returns ``inf`` when ``x == reference`` exactly. Higher is better; an error
    ten times smaller in root-mean-square adds 20 dB.
    """
    x = as_float_array(x, "x")
    reference = as_float_array(reference, "reference")
    check_nonempty(reference, "reference")
    if x.shape != reference.shape:
        raise ValueError(f"x and reference must have the same shape, got {x.shape} and {reference.shape}")
    if data_range is None:
        data_range = float(reference.max() - reference.min())
        if data_range == 0:
            raise ValueError("data_range must be given when reference is constant (its range is 0)")
    data_range = check_scalar(data_range, "data_range", low=0.0, low_open=True)
    diff = x.astype(np.float64) - reference.astype(np.float64)
    peak = float(np.max(np.abs(diff), initial=0.0))
    if peak == 0:
        return float("inf")
    # in logarithms and on diff / peak, so that huge images neither overflow nor lose the answer
    mean_square = float(np.mean((diff / peak) ** 2))
    return float(20.0 * (np.log10(data_range) - np.log10(peak)) - 10.0 * np.log10(mean_square))


def _check_operator(forward, adjoint, x0, y):
    """Validate the callables of a matrix-free operator on ``x0`` and ``y``; return ``(x0, y)`` as float64."""
    for f, name in ((forward, "forward"), (adjoint, "adjoint")):
        if not callable(f):
            raise ValueError(f"{name} must be callable, got {type(f).__name__}")
    x0 = as_float_array(x0, "x0").astype(np.float64)
    check_nonempty(x0, "x0")
    y = as_float_array(y, "y").astype(np.float64)
    check_nonempty(y, "y")
    Ax = np.asarray(forward(x0))
    if Ax.shape != y.shape:
        raise ValueError(f"forward(x0) must have the shape of y {y.shape}, got {Ax.shape}")
    Aty = np.asarray(adjoint(y))
    if Aty.shape != x0.shape:
        raise ValueError(f"adjoint(y) must have the shape of x0 {x0.shape}, got {Aty.shape}")
    return x0, y


def tikhonov_cg(forward, adjoint, y, lam, x0, L=None, L_adjoint=None, tol=1e-10, max_iter=1000):
    """Tikhonov solution by conjugate gradients on the normal equations, matrix-free.

    Solves ``(A^T A + lam L^T L) x = A^T y`` (the minimiser of
    ``||A x - y||^2 + lam ||L x||^2``) with ``A x = forward(x)``,
    ``A^T r = adjoint(r)`` and likewise ``L``/``L_adjoint`` (default: the
    identity). ``x`` has the shape of ``x0`` (the starting point, e.g. an
    image ``(H, W)``), ``forward(x)`` the shape of ``y``. CG stops when the
    residual ``||A^T y - M x||`` falls below ``tol * ||A^T y||`` or after
    ``max_iter`` iterations; in exact arithmetic it ends after at most
    ``x0.size`` steps. Each step costs one ``forward``, one ``adjoint`` (and
    one ``L``, ``L_adjoint``). Returns ``(x, residuals)``: ``x`` in float64
    and the relative residual before each step and at the end.

    ``M`` must be positive definite (``lam > 0`` and ``L`` injective on the
    null space of ``A``); this is not checked, as it would cost a factorisation.
    """
    x0, y = _check_operator(forward, adjoint, x0, y)
    lam = check_scalar(lam, "lam", low=0.0)
    tol = check_scalar(tol, "tol", low=0.0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    if (L is None) != (L_adjoint is None):
        raise ValueError("L and L_adjoint must be given together (both callables) or both left out")
    if L is None:

        def normal(v):
            return adjoint(forward(v)) + lam * v
    else:
        for f, name in ((L, "L"), (L_adjoint, "L_adjoint")):
            if not callable(f):
                raise ValueError(f"{name} must be callable, got {type(f).__name__}")
        if np.asarray(L_adjoint(L(x0))).shape != x0.shape:
            raise ValueError(f"L_adjoint(L(x0)) must have the shape of x0 {x0.shape}")

        def normal(v):
            return adjoint(forward(v)) + lam * L_adjoint(L(v))

    b = np.asarray(adjoint(y), dtype=np.float64)
    b_norm = np.linalg.norm(b)
    x = x0.copy()
    r = b - normal(x)
    p = r.copy()
    rr = float(np.sum(r * r))
    residuals = [np.sqrt(rr) / b_norm if b_norm > 0 else 0.0]
    for _ in range(max_iter):
        if residuals[-1] <= tol:
            break
        Mp = normal(p)
        alpha = rr / float(np.sum(p * Mp))
        x += alpha * p
        r -= alpha * Mp
        rr_new = float(np.sum(r * r))
        p = r + (rr_new / rr) * p
        rr = rr_new
        residuals.append(np.sqrt(rr) / b_norm)
    return x, np.array(residuals)


def tv_solve(forward, adjoint, y, lam, eps, x0, a_norm, n_iter=300, nonnegative=False):
    """Minimise ``F(x) = ||A x - y||^2 + lam TV_eps(x)`` by an accelerated (FISTA) gradient method.

    ``TV_eps`` is :func:`tv_smoothed`, ``x`` an image shaped like ``x0 (H, W)``
    (the starting point), ``A x = forward(x)`` (shaped like ``y``) and
    ``A^T r = adjoint(r)``. ``a_norm`` is an upper bound on the spectral norm
    ``||A||_2``; the gradient of ``F`` is then Lipschitz with constant
    ``Lf = 2 a_norm^2 + 8 lam / eps`` (``||D||^2 <= 8`` for the forward
    differences, and ``sqrt(|v|^2 + eps^2)`` has curvature at most ``1 / eps``),
    and each step is::

        x_{k+1} = P(z_k - grad F(z_k) / Lf)
        t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2,   z_{k+1} = x_{k+1} + (t_k - 1) / t_{k+1} (x_{k+1} - x_k)

    with ``P`` the projection onto ``x >= 0`` if ``nonnegative`` else the
    identity. Then ``F(x_k) - min F <= 2 Lf ||x0 - x*||^2 / (k + 1)^2``
    (Beck and Teboulle, 2009). One ``forward`` and one ``adjoint`` per step.
    Returns ``(x, objective)`` with ``objective[k] = F(x_k)``, ``k = 0..n_iter``.
    """
    x0, y = _check_operator(forward, adjoint, x0, y)
    if x0.ndim != 2:
        raise ValueError(f"x0 must be a 2-D image (H, W), got shape {x0.shape}")
    lam = check_scalar(lam, "lam", low=0.0)
    eps = check_scalar(eps, "eps", low=0.0, low_open=True)
    a_norm = check_scalar(a_norm, "a_norm", low=0.0, low_open=True)
    n_iter = check_int(n_iter, "n_iter", minimum=0)
    with np.errstate(over="ignore"):
        lipschitz = 2.0 * np.float64(a_norm) ** 2 + 8.0 * np.float64(lam) / np.float64(eps)
    if not np.isfinite(lipschitz):
        raise ValueError(
            f"a_norm = {a_norm!r} and lam / eps = {lam / eps!r} make the step 1 / (2 a_norm^2 + 8 lam / eps) "
            "underflow to 0: rescale the problem (e.g. divide A and y by a_norm)"
        )

    def objective(Ax, x):
        res = Ax - y
        return float(np.sum(res * res)) + lam * float(tv_smoothed(x, eps)[0])

    x = np.maximum(x0, 0.0) if nonnegative else x0.copy()
    Ax = np.asarray(forward(x), dtype=np.float64)
    z, Az, t = x.copy(), Ax.copy(), 1.0
    history = [objective(Ax, x)]
    for _ in range(n_iter):
        grad = 2.0 * np.asarray(adjoint(Az - y), dtype=np.float64) + lam * tv_smoothed(z, eps)[1]
        x_new = z - grad / lipschitz
        if nonnegative:
            np.maximum(x_new, 0.0, out=x_new)
        Ax_new = np.asarray(forward(x_new), dtype=np.float64)
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        beta = (t - 1.0) / t_new
        z = x_new + beta * (x_new - x)
        Az = Ax_new + beta * (Ax_new - Ax)  # A is linear: no extra forward for z
        x, Ax, t = x_new, Ax_new, t_new
        history.append(objective(Ax, x))
    return x, np.array(history)


def radon_matrix(n, theta):
    """Sparse matrix ``R`` of the parallel-beam Radon transform of an ``n x n`` image.

    ``(R @ image.ravel()).reshape(n, len(theta))`` equals
    ``skimage.transform.radon(image, theta, circle=True)`` for every image that
    is zero outside the inscribed circle (the ``circle=True`` convention):
    for each angle ``theta_a`` (degrees) the image is rotated about pixel
    ``(n // 2, n // 2)`` with bilinear interpolation and summed along
    columns, so row ``c * len(theta) + a`` of ``R`` holds the bilinear
    weights of the pixels that the ray at detector position ``c`` and angle
    ``a`` passes. Shape ``(n * len(theta), n * n)``, a ``scipy.sparse.csr_array``
    with at most ``4 n^2 len(theta)`` nonzeros; ``R.T`` is the
    back-projection (the exact adjoint).
    """
    import scipy.sparse  # the natural container for a matrix with ~4 n^2 nonzeros per angle

    n = check_int(n, "n", minimum=1)
    theta = as_float_array(theta, "theta", ndim=1)
    check_nonempty(theta, "theta")
    n_angles = theta.size
    rad = np.deg2rad(theta)[:, None, None]
    cos, sin = np.cos(rad), np.sin(rad)
    c = n // 2
    row, col = np.mgrid[:n, :n]
    # the inverse map of skimage's rotation: output pixel (row, col) reads the input at (yi, xi)
    xi = cos * col + sin * row - c * (cos + sin - 1)
    yi = -sin * col + cos * row - c * (cos - sin - 1)
    x0, y0 = np.floor(xi), np.floor(yi)
    fx, fy = xi - x0, yi - y0
    ray = np.broadcast_to(col[None] * n_angles + np.arange(n_angles)[:, None, None], xi.shape)
    rows, cols, vals = [], [], []
    for dy, dx, w in ((0, 0, (1 - fx) * (1 - fy)), (0, 1, fx * (1 - fy)), (1, 0, (1 - fx) * fy), (1, 1, fx * fy)):
        xx, yy = (x0 + dx).astype(np.int64), (y0 + dy).astype(np.int64)
        ok = (xx >= 0) & (xx < n) & (yy >= 0) & (yy < n) & (w != 0)
        rows.append(ray[ok])
        cols.append((yy * n + xx)[ok])
        vals.append(w[ok])
    data = np.concatenate(vals)
    return scipy.sparse.csr_array((data, (np.concatenate(rows), np.concatenate(cols))), shape=(n * n_angles, n * n))


# ---------------------------------------------------------------------------
# Image registration with homographies
# ---------------------------------------------------------------------------


def bilinear_sample(image, x, y) -> np.ndarray:
    """Bilinear interpolation of ``image (H, W)`` at real coordinates ``(x, y)`` = (column, row).

    ``x`` and ``y`` have the same (any) shape; so has the result. With
    ``x0 = floor(x)``, ``fx = x - x0`` (likewise ``y``) the value is
    ``(1-fx)(1-fy) I[y0, x0] + fx (1-fy) I[y0, x0+1] + (1-fx) fy I[y0+1, x0] + fx fy I[y0+1, x0+1]``.
    Coordinates are first clipped to ``[0, W-1] x [0, H-1]`` (the border
    value is repeated), which equals
    ``scipy.ndimage.map_coordinates(image, [y, x], order=1, mode="nearest")``.
    """
    image = as_float_array(image, "image", ndim=2)
    check_nonempty(image, "image")
    x = as_float_array(x, "x")
    y = as_float_array(y, "y")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    h, w = image.shape
    x = np.clip(x, 0, w - 1)
    y = np.clip(y, 0, h - 1)
    x0 = np.minimum(np.floor(x).astype(np.int64), max(w - 2, 0))
    y0 = np.minimum(np.floor(y).astype(np.int64), max(h - 2, 0))
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = x - x0, y - y0
    top = (1 - fx) * image[y0, x0] + fx * image[y0, x1]
    bottom = (1 - fx) * image[y1, x0] + fx * image[y1, x1]
    return ((1 - fy) * top + fy * bottom).astype(result_dtype(image, x, y), copy=False)


def homography_from_points(src, dst) -> np.ndarray:
    """Direct linear transform: the homography ``H`` with ``homography_apply(H, src) ~ dst``.

    ``src`` and ``dst`` are ``(N, 2)`` with ``N >= 4`` point pairs. Each pair
    gives two linear equations in ``h = H.ravel()``, from
    ``dst~ x (H src~) = 0``::

        [ p~^T, 0, -x' p~^T ] h = 0,     [ 0, p~^T, -y' p~^T ] h = 0,

    with ``p~ = (x, y, 1)`` from ``src`` and ``(x', y')`` from ``dst``; ``h`` is the right singular vector of the
    stacked ``(2N, 9)`` matrix for its smallest singular value (the rows are
    ``w`` times the rows of :func:`homography_jacobian`, written for the
    target point). Points are
    first normalised (centroid at 0, mean distance ``sqrt(2)``; Hartley and
    Zisserman, algorithm 4.2), which makes the fit well conditioned. Exact
    for noise-free pairs in general position; a least-squares fit of the
    *algebraic* error otherwise. Returns ``H`` scaled so that ``H[2, 2] = 1``
    (or unit Frobenius norm if ``H[2, 2]`` vanishes). Raises ``ValueError``
    naming ``src`` if the points are degenerate (rank below 8).
    """
    src = as_float_array(src, "src", ndim=2)
    dst = as_float_array(dst, "dst", ndim=2)
    if src.shape[-1] != 2 or src.shape[0] < 4:
        raise ValueError(f"src must have shape (N, 2) with N >= 4, got {src.shape}")
    if dst.shape != src.shape:
        raise ValueError(f"dst must have the shape of src {src.shape}, got {dst.shape}")

    def normaliser(p):
        centre = p.mean(axis=0)
        scale = np.sqrt(2) / max(np.mean(np.linalg.norm(p - centre, axis=1)), np.finfo(np.float64).tiny)
        return np.array([[scale, 0, -scale * centre[0]], [0, scale, -scale * centre[1]], [0, 0, 1.0]])

    Ts, Td = normaliser(src), normaliser(dst)
    ps = np.c_[src, np.ones(len(src))] @ Ts.T
    pd = np.c_[dst, np.ones(len(dst))] @ Td.T
    zeros = np.zeros_like(ps)
    rows_x = np.hstack([ps, zeros, -pd[:, :1] * ps])
    rows_y = np.hstack([zeros, ps, -pd[:, 1:2] * ps])
    M = np.vstack([rows_x, rows_y])
    _, s, vt = np.linalg.svd(M)
    if np.sum(s > s[0] * 1e-10) < 8:
        raise ValueError("src (with dst) is degenerate: fewer than 4 points in general position (e.g. 3 collinear)")
    Hn = vt[-1].reshape(3, 3)
    H = np.linalg.solve(Td, Hn @ Ts)
    if abs(H[2, 2]) > 1e-12 * np.linalg.norm(H):
        return H / H[2, 2]
    return H / np.linalg.norm(H)


def register_homography(template, image, H0=None, n_iter=50, tol=1e-8, mask=None):
    """Gauss-Newton registration: the ``H`` minimising ``sum_p [I(W(p; H)) - T(p)]^2``.

    ``T = template (h, w)``, ``I = image (H, W)``, ``W(p; H) = homography_apply(H, p)``
    with ``p = (x, y)`` = (column, row) the template's pixel centres (those
    where ``mask`` is true, default all) and ``I`` read by
    :func:`bilinear_sample`. So ``T(p) = I(H p)``, the convention of
    ``skimage.transform.warp(I, ProjectiveTransform(H))``.

    ``H[2, 2]`` is held fixed (``H0`` defaults to the identity, and is scaled so
    that ``H0[2, 2] = 1``): ``p'`` does not change along ``h``, so the
    Jacobian has ``h`` in its null space and only 8 parameters are
    identifiable. Each step linearises the residual
    ``r_p = I(W(p; H)) - T(p)``, with the chain rule
    ``d r_p / d h = grad I(W(p))^T J(H, p)`` (``J`` the ``2 x 9``
    :func:`homography_jacobian`, ``grad I`` by central differences
    (``numpy.gradient``) sampled bilinearly), and solves the linear
    least-squares problem ``min ||J_r delta + r||`` for the first 8 entries of
    ``h`` (columns scaled to unit norm first). Pixels mapped outside the
    image are left out of that step. Stops when no pixel moves by more than
    ``tol`` (in pixels) or after ``n_iter`` steps.

    Returns ``(H, rms)``: the estimate and the root-mean-square residual
    before each step and after the last one.
    """
    T = as_float_array(template, "template", ndim=2).astype(np.float64)
    check_nonempty(T, "template")
    img = as_float_array(image, "image", ndim=2).astype(np.float64)
    if min(img.shape) < 2:
        raise ValueError(f"image must be at least 2 x 2 to have a gradient, got shape {img.shape}")
    if H0 is None:
        H = np.eye(3)
    else:
        H = _check_homography(H0).astype(np.float64)
        if H[2, 2] == 0:
            raise ValueError("H0[2, 2] must be nonzero (it is held fixed and H0 is scaled to H0[2, 2] = 1)")
        H = H / H[2, 2]
    n_iter = check_int(n_iter, "n_iter", minimum=0)
    tol = check_scalar(tol, "tol", low=0.0, low_open=True)
    if mask is None:
        mask = np.ones(T.shape, dtype=bool)
    else:
        mask = np.asarray(mask)
        if mask.shape != T.shape or mask.dtype != bool:
            raise ValueError(f"mask must be a boolean array of the template's shape {T.shape}, got {mask.dtype} {mask.shape}")
    rows, cols = np.nonzero(mask)
    if rows.size < 8:
        raise ValueError(f"mask must select at least 8 pixels (8 unknowns), got {rows.size}")
    pts = np.stack([cols, rows], axis=1).astype(np.float64)
    target = T[rows, cols]
    gy, gx = np.gradient(img)
    hi, wi = img.shape

    def residual(H, iteration):
        q = homography_apply(H, pts) if np.all(np.isfinite(H)) else np.full_like(pts, np.nan)
        inside = (q[:, 0] >= 0) & (q[:, 0] <= wi - 1) & (q[:, 1] >= 0) & (q[:, 1] <= hi - 1)
        if np.count_nonzero(inside) < 8:  # Gauss-Newton has left the image (or diverged): say so
            raise ValueError(
                f"register_homography did not converge from H0: after {iteration} iteration(s) only "
                f"{np.count_nonzero(inside)} of {len(pts)} template pixels map inside the image (8 are needed); "
                "start closer to the solution (H0), use a smaller template or mask, or fewer iterations"
            )
        q = q[inside]
        return q, inside, bilinear_sample(img, q[:, 0], q[:, 1]) - target[inside]

    rms = []
    for iteration in range(n_iter):
        q, inside, r = residual(H, iteration)
        rms.append(float(np.sqrt(np.mean(r * r))))
        J = homography_jacobian(H, pts[inside])[..., :8]  # (N, 2, 8), h_9 fixed
        Jr = bilinear_sample(gx, q[:, 0], q[:, 1])[:, None] * J[:, 0] + bilinear_sample(gy, q[:, 0], q[:, 1])[:, None] * J[:, 1]
        scale = np.linalg.norm(Jr, axis=0)
        scale[scale == 0] = 1.0
        delta = np.linalg.lstsq(Jr / scale, -r, rcond=None)[0] / scale
        H = H + np.append(delta, 0.0).reshape(3, 3)
        if np.max(np.abs(J @ delta)) <= tol:
            break
    rms.append(float(np.sqrt(np.mean(residual(H, n_iter)[2] ** 2))))
    return H, np.array(rms)


# ---------------------------------------------------------------------------
# Gradient-orientation histograms
# ---------------------------------------------------------------------------


def orientation_histogram(gx, gy, n_bins=36, weights=None) -> np.ndarray:
    """Magnitude-weighted histogram of gradient orientations, with linear (soft) binning.

    ``gx``, ``gy`` (same shape) are the gradient components; each pixel has
    orientation ``phi = atan2(gy, gx)`` in ``[0, 2 pi)`` and votes
    ``|g| * weights`` (``weights`` default 1). Bin ``k`` is centred at
    ``k * 2 pi / n_bins``; a vote at ``phi = (k + f) 2 pi / n_bins``,
    ``0 <= f < 1``, goes ``(1 - f)`` to bin ``k`` and ``f`` to bin
    ``k + 1 mod n_bins``, so the histogram moves continuously with ``phi``
    and the bins sum to ``sum |g| * weights``. Returns ``(n_bins,)`` float64.
    Rotating the gradients by ``2 pi m / n_bins`` rolls the histogram by ``m``.
    """
    gx = as_float_array(gx, "gx")
    gy = as_float_array(gy, "gy")
    if gx.shape != gy.shape:
        raise ValueError(f"gx and gy must have the same shape, got {gx.shape} and {gy.shape}")
    n_bins = check_int(n_bins, "n_bins", minimum=1)
    mag = np.hypot(gx, gy).astype(np.float64)
    if weights is not None:
        weights = as_float_array(weights, "weights")
        if weights.shape != gx.shape:
            raise ValueError(f"weights must have the shape of gx {gx.shape}, got {weights.shape}")
        mag = mag * weights
    phi = np.mod(np.arctan2(gy, gx).astype(np.float64), 2 * np.pi)
    t = phi * (n_bins / (2 * np.pi))
    k = np.floor(t)
    f = (t - k).ravel()
    k = k.astype(np.int64).ravel() % n_bins
    mag = mag.ravel()
    return np.bincount(k, mag * (1 - f), minlength=n_bins) + np.bincount((k + 1) % n_bins, mag * f, minlength=n_bins)


def _check_hist(hist, name: str) -> np.ndarray:
    hist = as_float_array(hist, name, ndim=1).astype(np.float64)
    if hist.size < 3:
        raise ValueError(f"{name} must have at least 3 bins, got {hist.size}")
    return hist


def _parabolic_peak(values: np.ndarray) -> float:
    """Position of the maximum of a circular sequence, refined by the parabola through it and its neighbours."""
    n = values.size
    k = int(np.argmax(values))
    left, mid, right = values[(k - 1) % n], values[k], values[(k + 1) % n]
    curvature = left - 2 * mid + right
    offset = 0.5 * (left - right) / curvature if curvature < 0 else 0.0
    return k + offset


def dominant_orientation(hist) -> float:
    """Dominant orientation (radians in ``[0, 2 pi)``) of an orientation histogram ``(n_bins,)``.

    The highest bin ``k`` (bin centres at ``k * 2 pi / n_bins``, as in
    :func:`orientation_histogram`), refined by the vertex of the parabola
    through it and its two circular neighbours (Lowe, 2004):
    ``k + (h[k-1] - h[k+1]) / (2 (h[k-1] - 2 h[k] + h[k+1]))``.
    """
    hist = _check_hist(hist, "hist")
    return float(np.mod(_parabolic_peak(hist) * 2 * np.pi / hist.size, 2 * np.pi))


def orientation_shift(hist_ref, hist) -> float:
    """The rotation (radians in ``[-pi, pi)``) that best aligns ``hist_ref`` to ``hist``.

    Maximises the circular cross-correlation
    ``c[m] = sum_k hist_ref[k] hist[(k + m) mod n]`` over shifts ``m``
    (computed by FFT), refined by a parabola through the peak and its
    neighbours; returns ``m * 2 pi / n``. If ``hist`` is ``hist_ref`` rolled by
    ``m`` bins (``np.roll(hist_ref, m)``), the result is ``2 pi m / n``.
    """
    hist_ref = _check_hist(hist_ref, "hist_ref")
    hist = _check_hist(hist, "hist")
    if hist.shape != hist_ref.shape:
        raise ValueError(f"hist_ref and hist must have the same number of bins, got {hist_ref.size} and {hist.size}")
    n = hist.size
    corr = np.fft.irfft(np.conj(np.fft.rfft(hist_ref)) * np.fft.rfft(hist), n=n)
    m = _parabolic_peak(corr)
    return float(np.mod(m * 2 * np.pi / n + np.pi, 2 * np.pi) - np.pi)
