"""Homographies: projecting points, their Jacobians, fitting from point pairs, registering images.

``p' = (H p~)_{1:2} / (H p~)_3`` with ``p~ = (x, y, 1)``. The Jacobians are returned in the
*numerator* layout Gauss-Newton code uses (``J[i, j] = d p'_i / d theta_j``, one row per output);
the book's denominator-layout derivative is their transpose.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, check_int, check_nonempty, check_scalar, result_dtype

__all__ = [
    "homography_apply",
    "homography_jacobian",
    "homography_point_jacobian",
    "bilinear_sample",
    "homography_from_points",
    "register_homography",
]


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
