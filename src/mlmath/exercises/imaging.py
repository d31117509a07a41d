"""Coding exercises of the imaging chapters (inverse problems, homographies, image gradients)."""

from __future__ import annotations

import numpy as np

from ..imaging import (
    homography_apply,
    homography_from_points,
    homography_jacobian,
    homography_point_jacobian,
    orientation_histogram,
    tikhonov_deconvolve_circular,
    tikhonov_solve,
)
from ..signals import correlate2d
from ._checker import Case, Exercise, register

# --- inverse problems ------------------------------------------------------------------------


def _dominant_kernel(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """An odd-sized kernel whose centre tap outweighs all the others: |K| >= 1/2 at every frequency."""
    kernel = rng.uniform(-1.0, 1.0, shape)
    kernel *= 0.5 / np.sum(np.abs(kernel))
    kernel[tuple(s // 2 for s in shape)] = 1.0
    return kernel


def _tikhonov_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([3.0]), np.array([2.0]), 0.0),  # 1 element, no regularisation: x = y / k
        (np.array([3.0]), np.array([0.5]), 0.5),  # 1 element: x = k y / (k^2 + lam)
        (np.array([[1.5]]), np.array([[0.8]]), 1e-3),  # 1 x 1 image
        (np.array([1.0, -2.0, 0.5]), np.array([0.1, 0.6, 0.3]), 1e-3),  # not symmetric: A^T != A
    ]
    for shape, kshape, lam in [
        ((16,), (5,), 1e-3),  # even length
        ((15,), (15,), 0.5),  # kernel as large as the signal
        ((16,), (15,), 1e-3),  # even length, largest odd kernel
        ((9, 12), (3, 5), 0.5),  # image, odd and even sides
        ((8, 10), (7, 9), 1e-3),
        ((5, 7), (5, 7), 0.5),  # kernel as large as the image
    ]:
        cases.append((rng.standard_normal(shape), rng.uniform(0.0, 1.0, kshape), lam))
    for shape, kshape in [((11,), (3,)), ((12,), (11,)), ((6, 9), (3, 3)), ((7, 7), (7, 7))]:  # lam = 0: an invertible blur
        cases.append((rng.standard_normal(shape), _dominant_kernel(rng, kshape), 0.0))
    return cases


# --- homographies ----------------------------------------------------------------------------


def _random_homography(rng: np.random.Generator, perspective: float = 0.2) -> np.ndarray:
    """A well-conditioned homography with ``H[2, 2] = 1``: the identity plus noise, a little perspective."""
    for _ in range(1000):
        H = np.eye(3) + 0.3 * rng.standard_normal((3, 3))
        H[2, :2] = perspective * rng.standard_normal(2)
        H[2, 2] = 1.0
        if np.linalg.cond(H[:2, :2]) < 10 and abs(np.linalg.det(H)) > 0.1:
            return H
    raise RuntimeError("no well-conditioned homography drawn")  # probability ~0


def _points_away_from_horizon(rng: np.random.Generator, H: np.ndarray, n: int, scale: float = 1.0) -> np.ndarray:
    """``n`` points in ``[-scale, scale]^2`` whose image under ``H`` has ``|w| >= 0.3 |H[2]|``."""
    p = rng.uniform(-scale, scale, (64 * n, 2))
    w = np.c_[p, np.ones(len(p))] @ H[2]
    far = p[np.abs(w) >= 0.3 * np.linalg.norm(H[2])]
    if len(far) < n:
        raise RuntimeError("too few points away from the line w = 0: choose another H")  # never for the H used here
    return far[:n]


def _jacobian_cases(rng: np.random.Generator) -> list[Case]:
    affine = np.array([[1.2, -0.3, 4.0], [0.5, 0.9, -2.0], [0.0, 0.0, 1.0]])
    cases: list[Case] = [
        (np.eye(3), np.array([0.0, 0.0])),  # identity at the origin: J = [[p~, 0, 0], [0, p~, 0]]
        (np.eye(3), np.array([2.0, -1.0])),
        (affine, np.array([0.5, 1.5])),  # affine H: w = 1
        (-2.5 * affine, np.array([-1.0, 0.25])),  # cH: p' is the same, J is divided by c
    ]
    near_identity = np.eye(3) + 0.05 * rng.standard_normal((3, 3))
    general = _random_homography(rng, perspective=0.4)
    for H in (near_identity, general, 3.0 * general, -0.1 * general, np.vstack([rng.standard_normal((2, 3)), [0.0, 0.0, 1.0]])):
        cases.append((H, _points_away_from_horizon(rng, H, 1, scale=2.0)[0]))
    return cases


def _general_position(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    """``n`` points spread over ``[0, scale]^2``: jittered, bent cells of a grid, some left out.

    Spreading the points keeps every 4 of them far from degenerate (no three
    nearly collinear), which a DLT from 4 points needs.
    """
    side = int(np.ceil(np.sqrt(n))) + 1
    cells = rng.permutation(side * side)[:n]
    centres = np.c_[cells // side, cells % side] + 0.5
    # a gentle curve breaks the grid's rows, columns and diagonals
    centres = centres + 0.25 * np.c_[np.sin(3.1 * centres[:, 1]), np.cos(2.3 * centres[:, 0])]
    return (centres + rng.uniform(-0.1, 0.1, (n, 2))) * scale / side


def _dlt_cases(rng: np.random.Generator) -> list[Case]:
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    cases: list[Case] = [
        (square, square.copy()),  # H = I
        (square, 2.0 * square + np.array([3.0, -1.0])),  # a scaling and a shift
        (square, np.array([[0.0, 0.0], [2.0, 0.0], [1.5, 1.0], [0.5, 1.0]])),  # a square onto a trapezoid
    ]
    for n, scale in [(4, 1.0), (5, 2.0), (6, 1.0), (8, 10.0), (12, 1.0), (4, 100.0)]:
        H = _random_homography(rng, perspective=0.2 / scale)
        src = _general_position(rng, n, scale)
        for _ in range(1000):  # keep the images finite and well scaled
            if np.min(np.abs(np.c_[src, np.ones(n)] @ H[2])) >= 0.3:
                break
            H = _random_homography(rng, perspective=0.2 / scale)
        cases.append((src, homography_apply(H, src)))
    return cases


# --- image gradients -------------------------------------------------------------------------


def _histogram_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[1.0]]), np.array([[1.0]]), 1, np.array([[1.0]])),  # one pixel, one bin: the whole vote
        (np.array([[0.0]]), np.array([[0.0]]), 4, np.array([[1.0]])),  # a zero gradient votes nothing
        (np.array([[-2.0]]), np.array([[0.0]]), 4, np.array([[0.5]])),  # on the centre of bin 2
    ]
    for bins in (4, 8, 40):  # every bin centre, every bin boundary, and zero gradients
        centres = np.arange(bins) * 2 * np.pi / bins
        angles = np.concatenate([centres, centres + np.pi / bins])
        gx = np.append(2.0 * np.cos(angles), [0.0, 0.0]).reshape(2, -1)
        gy = np.append(2.0 * np.sin(angles), [0.0, -0.0]).reshape(2, -1)
        cases.append((gx, gy, bins, rng.uniform(0.5, 1.5, gx.shape)))
    for shape, bins in [((1, 1), 3), ((5, 7), 36), ((3, 3), 8), ((1, 6), 1), ((4, 4), 2), ((6, 5), 40), ((2, 3), 7)]:
        gx, gy = rng.standard_normal((2, *shape))
        cases.append((gx, gy, bins, rng.uniform(0.0, 1.0, shape)))
    return cases


IP = "chapters/signals/inverse_problems"
HOMOGRAPHY = "chapters/signals/homography"
IMGRAD = "chapters/signals/image_gradients"

register(
    Exercise(
        id="inverse-ex-fft",
        chapter=IP,
        title="Tikhonov deconvolution with the FFT",
        name="tikhonov_fft",
        signature="tikhonov_fft(y, kernel, lam) -> argmin_x ||k * x - y||^2 + lam ||x||^2 (circular k *, odd centred kernel), shaped like y",
        reference=tikhonov_deconvolve_circular,
        cases=_tikhonov_cases,
        rtol=1e-9,
        atol=1e-11,
    ),
    Exercise(
        id="homography-ex-jacobian",
        chapter=HOMOGRAPHY,
        title="The Jacobian by hand",
        name="projection_jacobian",
        signature="projection_jacobian(H, p) -> (2, 9) Jacobian d p'_i / d h_j of the projected point, for p of shape (2,)",
        reference=homography_jacobian,
        cases=_jacobian_cases,
        rtol=1e-10,
        atol=1e-12,
    ),
    Exercise(
        id="homography-ex-dlt",
        chapter=HOMOGRAPHY,
        title="A homography from four points",
        name="dlt_homography",
        signature="dlt_homography(src, dst) -> (3, 3) H with H[2, 2] = 1 mapping src (N, 2) onto dst (N, 2)",
        reference=homography_from_points,
        cases=_dlt_cases,
        rtol=1e-6,
        atol=1e-9,
    ),
    Exercise(
        id="imgrad-ex-histogram",
        chapter=IMGRAD,
        title="Orientation histogram with soft binning",
        name="orientation_hist",
        signature="orientation_hist(gx, gy, n_bins, weights) -> (n_bins,) magnitude-weighted orientation histogram, linear votes",
        reference=orientation_histogram,
        cases=_histogram_cases,
        rtol=1e-10,
        atol=1e-12,
    ),
)


# --- more exercises: inverse problems --------------------------------------------------------


def _tikhonov_svd_cases(rng: np.random.Generator) -> list[Case]:
    """Tall, wide and square A, rank-deficient A with lam > 0, and lam = 0 for full column rank."""
    cases: list[Case] = [
        (np.array([[2.0]]), np.array([3.0]), 1.0),  # x = a y / (a^2 + lam) = 1.2
        (np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([1.0, 1.0]), 1.0),  # singular A: x = (0.5, 0)
        (np.array([[1.0, 2.0, 3.0]]), np.array([2.0]), 0.5),  # one equation, three unknowns
        (np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]), np.array([1.0, 2.0, 2.0]), 0.0),  # least squares (a line fit)
    ]
    for (m, n), lam in [((5, 3), 0.1), ((3, 5), 0.1), ((8, 8), 1e-3), ((20, 10), 2.0), ((10, 20), 1e-2), ((6, 4), 0.0)]:
        cases.append((rng.standard_normal((m, n)), rng.standard_normal(m), lam))
    low_rank = rng.standard_normal((7, 2)) @ rng.standard_normal((2, 5))  # rank 2: unique only because lam > 0
    cases.append((low_rank, rng.standard_normal(7), 0.3))
    return cases


def _scalar_tikhonov_reference():
    import sympy as sp

    a, y, lam = sp.symbols("a y lam", real=True)
    return a * y / (a**2 + lam)


# --- more exercises: homographies ------------------------------------------------------------


def _perspective_area_reference():
    import sympy as sp

    x, y, a, b = sp.symbols("x y a b", real=True)
    return 1 / (a * x + b * y + 1) ** 3  # det H / w^3 with det H = 1


# --- more exercises: image gradients ---------------------------------------------------------

_SOBEL_C = np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0]) / 8


def _sobel_reference(image):
    """(d/dx, d/dy) with x to the right and y upwards: (S_c correlated with I, minus S_r correlated with I), 'same', zeros outside."""
    return correlate2d(image, _SOBEL_C, "same"), -correlate2d(image, _SOBEL_C.T, "same")


def _sobel_cases(rng: np.random.Generator) -> list[Case]:
    rows, cols = np.mgrid[:6, :7].astype(float)
    cases: list[Case] = [
        (np.array([[1.0]]),),  # one pixel: only the zero padding around it
        (np.array([[0.0, 1.0, 2.0, 3.0]]),),  # one row
        (np.array([[1.0], [2.0], [4.0]]),),  # one column
        (0.3 * cols - 0.7 * rows + 2.0,),  # a linear ramp: exact slopes (0.3, 0.7) inside
        (np.eye(5),),
    ]
    for shape in [(2, 2), (3, 3), (8, 5), (16, 16), (31, 20)]:
        cases.append((rng.standard_normal(shape),))
    return cases


def _shift_reference(hist_ref, hist) -> int:
    """argmax over m of sum_b hist_ref[b] hist[(b + m) mod B], from the definition."""
    hist_ref, hist = np.asarray(hist_ref, dtype=float), np.asarray(hist, dtype=float)
    scores = [np.sum(hist_ref * np.roll(hist, -m)) for m in range(len(hist))]
    return int(np.argmax(scores))


def _shift_cases(rng: np.random.Generator) -> list[Case]:
    """One bin, rolled copies (the shift is the roll), a rolled noisy copy, unrelated histograms; no ties."""
    cases: list[Case] = [(np.array([2.0]), np.array([0.5])), (np.array([1.0, 0.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0, 0.0]))]
    h36 = rng.uniform(0.0, 1.0, 36)
    cases += [(h36, np.roll(h36, m)) for m in (0, 1, 9, 35)]
    h8 = rng.uniform(0.0, 1.0, 8)
    cases.append((h8, np.roll(h8, 3) + 0.05 * rng.uniform(0.0, 1.0, 8)))
    while len(cases) < 12:  # unrelated pairs, kept only if the best shift wins clearly
        n = int(rng.integers(2, 41))
        a, b = rng.uniform(0.0, 1.0, n), rng.uniform(0.0, 1.0, n)
        scores = np.sort([np.sum(a * np.roll(b, -m)) for m in range(n)])
        if scores[-1] - scores[-2] > 1e-6 * scores[-1]:
            cases.append((a, b))
    return cases


def _central_gain_reference():
    import sympy as sp

    omega = sp.symbols("omega", real=True)
    return sp.sin(omega) / omega


register(
    Exercise(
        id="inverse-ex-svd",
        chapter=IP,
        title="Tikhonov through the SVD",
        name="tikhonov_svd",
        signature="tikhonov_svd(A, y, lam) -> argmin_x ||A x - y||^2 + lam ||x||^2 of shape (n,), from the SVD of A",
        reference=tikhonov_solve,
        cases=_tikhonov_svd_cases,
        rtol=1e-9,
        atol=1e-11,
    ),
    Exercise(
        id="inverse-ex-scalar",
        chapter=IP,
        title="Tikhonov for one unknown",
        name="x_scalar",
        signature="x_scalar: the minimiser of (a x - y)^2 + lam x^2, a formula in a, y and lam",
        reference=_scalar_tikhonov_reference,
        cases=None,
        symbols=("a", "y", "lam"),
        domain=(0.1, 2.0),  # lam > 0
    ),
    Exercise(
        id="homography-ex-point-jacobian",
        chapter=HOMOGRAPHY,
        title="The Jacobian with respect to the point",
        name="point_jacobian",
        signature="point_jacobian(H, p) -> (2, 2) Jacobian d p'_i / d p_j of the projected point, for p of shape (2,)",
        reference=homography_point_jacobian,
        cases=_jacobian_cases,
        rtol=1e-10,
        atol=1e-12,
    ),
    Exercise(
        id="homography-ex-perspective-area",
        chapter=HOMOGRAPHY,
        title="How a pure perspective scales areas",
        name="det_perspective",
        signature="det_perspective: det J_p for H = [[1, 0, 0], [0, 1, 0], [a, b, 1]], a formula in x, y, a, b",
        reference=_perspective_area_reference,
        cases=None,
        symbols=("x", "y", "a", "b"),
        domain=(0.1, 0.5),  # w = a x + b y + 1 > 0
    ),
    Exercise(
        id="imgrad-ex-sobel",
        chapter=IMGRAD,
        title="The Sobel gradient, y upwards",
        name="sobel_gradient",
        signature="sobel_gradient(image) -> (gx, gy), each shaped like image: Sobel d/dx and d/dy (y up), 'same', zero padding",
        reference=_sobel_reference,
        cases=_sobel_cases,
        outputs=("gx", "gy"),
        rtol=1e-12,
        atol=1e-14,
    ),
    Exercise(
        id="imgrad-ex-shift",
        chapter=IMGRAD,
        title="The shift between two histograms",
        name="histogram_shift_bins",
        signature="histogram_shift_bins(hist_ref, hist) -> int m in 0..B-1 maximising sum_b hist_ref[b] hist[(b + m) mod B]",
        reference=_shift_reference,
        cases=_shift_cases,
    ),
    Exercise(
        id="imgrad-ex-sobel-noise",
        chapter=IMGRAD,
        title="The noise gain of a derivative kernel",
        name="noise_gains",
        signature="noise_gains: array [central difference, Sobel] of output variance / input variance for white noise",
        reference=lambda: np.array([0.5, 3.0 / 16.0]),
        cases=None,
    ),
    Exercise(
        id="imgrad-ex-gain",
        chapter=IMGRAD,
        title="How well the central difference differentiates",
        name="cd_gain",
        signature="cd_gain: the response of the central difference to exp(i omega c), divided by that of d/dc, in omega",
        reference=_central_gain_reference,
        cases=None,
        symbols=("omega",),
    ),
)


# --- derivations checked as formulas: total variation's contrast loss, area scaling ----------


def _tv_shifts_reference():
    """``(delta, beta_1, beta_2)``: how far TV lowers a plateau of width ``w`` and raises the backgrounds ``a``, ``b``."""
    import sympy as sp

    lam, w, a, b = sp.symbols("lam w a b", real=True)
    return sp.Matrix([lam / w, lam / (2 * a), lam / (2 * b)])


def _small_square_area_reference():
    """``|det J_p| s^2 = |det H| s^2 / |w|^3``: the area of the image of a small square of side ``s``."""
    import sympy as sp

    det_h, w, s = sp.symbols("detH w s", real=True)
    return sp.Abs(det_h) * s**2 / sp.Abs(w) ** 3


register(
    Exercise(
        id="inverse-ex-tv-contrast",
        chapter=IP,
        title="Total variation lowers the contrast",
        name="tv_shifts",
        signature="tv_shifts: Matrix([delta, beta_1, beta_2]), the plateau's drop and the backgrounds' rise, in lam, w, a, b",
        reference=_tv_shifts_reference,
        cases=None,
        symbols=("lam", "w", "a", "b"),
        domain=(0.5, 3.0),
    ),
    Exercise(
        id="homography-ex-area",
        chapter=HOMOGRAPHY,
        title="Area scaling",
        name="small_square_area",
        signature="small_square_area: the area of the image of a small square of side s, to first order, in detH, w, s",
        reference=_small_square_area_reference,
        cases=None,
        symbols=("detH", "w", "s"),
    ),
)
