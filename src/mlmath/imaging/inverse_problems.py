"""Regularised inverse problems: Tikhonov regularisation, total variation, their solvers.

* **Tikhonov regularisation.** The minimiser of ``||A x - y||^2 + lam ||L x||^2`` solves the normal
  equations ``(A^T A + lam L^T L) x = A^T y``. For a circular blur the matrices are diagonalised by
  the DFT and the solve costs ``O(n log n)``.
* **Total variation.** The isotropic TV ``sum |grad x|`` is not differentiable where
  ``grad x = 0``; its smoothing ``sum sqrt(|grad x|^2 + eps^2)`` is, with the exact gradient
  ``D^T (grad x / sqrt(|grad x|^2 + eps^2))`` (denominator layout: shaped like the image).

Solvers for image-sized problems take the forward operator and its adjoint as callables
(``forward(x)``, ``adjoint(r)``), so a blur applied by FFT and a sparse Radon matrix are used the
same way. ``circular_convolve`` centres its kernel (the blur convention of imaging);
``mlmath.signals.circular_conv`` is the signal-processing convention with the kernel's origin at
index 0: the two differ by a circular shift.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, check_int, check_nonempty, check_scalar, result_dtype

__all__ = [
    "tikhonov_solve",
    "circular_convolve",
    "tikhonov_deconvolve_circular",
    "forward_difference",
    "forward_difference_adjoint",
    "tv_value",
    "tv_smoothed",
    "psnr",
    "tikhonov_cg",
    "tv_solve",
    "radon_matrix",
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
