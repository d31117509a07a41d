"""Coding exercises of the imaging chapters (inverse problems, homographies, image gradients)."""

from __future__ import annotations

import numpy as np

from ..imaging import homography_apply, homography_from_points, homography_jacobian, orientation_histogram, tikhonov_deconvolve_circular
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
