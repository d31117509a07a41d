"""Tikhonov deconvolution of a circular blur: dense solvers against the FFT diagonalisation.

Usage: python benchmarks/bench_tikhonov.py [--max-side 64] [--fft-sides 128 256 512 1024] [--threads 1]

The problem is min ||A x - y||^2 + lam ||x||^2 for a square image of side s
(n = s^2 unknowns, n = 4096 at s = 64) blurred periodically by a 7 x 7
Gaussian, A the n x n circulant matrix. Four solvers:

* ``tikhonov_solve`` on the dense A: an SVD-based least-squares solve of the
  stacked (2n x n) system [A; sqrt(lam) I], O(n^3) with a large constant,
  chosen for accuracy on ill-conditioned problems;
* the dense normal equations with a Cholesky factorisation (SciPy): also
  O(n^3), but about n^3 / 3 flops for the factorisation plus n^3 for A^T A;
* ``tikhonov_cg``: conjugate gradients on the normal equations with A and A^T
  applied by FFT (matrix-free, O(n log n) per iteration);
* ``tikhonov_deconvolve_circular``: the DFT diagonalises A, so the solve is
  one division per frequency, O(n log n).

For every size the script checks that all solutions agree with the FFT one,
prints the times, and fits the growth exponent t ~ n^k on the largest sizes.
The dense solvers at n = 4096 take from seconds to a minute or more on a
small machine; use --max-side to stop earlier. BLAS runs single-threaded by
default: on a shared machine a multi-threaded LAPACK solve can be ten times
slower than a single-threaded one, because its threads wait for each other.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def _blas_threads_from_argv(default: str = "1") -> str:
    """BLAS threads must be set before NumPy is imported, so read --threads here."""
    argv = sys.argv[1:]
    if "--threads" in argv and argv.index("--threads") + 1 < len(argv):
        return argv[argv.index("--threads") + 1]
    return default


for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _blas_threads_from_argv()

import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402

from mlmath.imaging import circular_convolve, tikhonov_cg, tikhonov_deconvolve_circular, tikhonov_solve  # noqa: E402

LAM = 1e-2


def gaussian_kernel(size: int = 7, sigma: float = 1.5) -> np.ndarray:
    g = np.exp(-0.5 * (np.arange(size) - size // 2) ** 2 / sigma**2)
    k = np.outer(g, g)
    return k / k.sum()


def dense_circulant(side: int, kernel: np.ndarray) -> np.ndarray:
    """The n x n matrix of circular_convolve(., kernel) on side x side images: column j = A e_j."""
    n = side * side
    A = np.empty((n, n))
    e = np.zeros((side, side))
    for j in range(n):
        e.flat[j] = 1.0
        A[:, j] = circular_convolve(e, kernel).ravel()
        e.flat[j] = 0.0
    return A


def best_time(fn, min_total: float = 0.2, max_repeat: int = 50):
    """Smallest wall-clock time of fn() over at least 3 runs lasting at least min_total seconds
    together; a single run if the first one takes over 2 s (the dense solves at large n)."""
    times, result = [], None
    while True:
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        if times[0] > 2.0 or len(times) >= max_repeat or (len(times) >= 3 and sum(times) >= min_total):
            return min(times), result


def rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def fit_exponent(ns, ts) -> float:
    """Slope of log t against log n (least squares)."""
    return float(np.polyfit(np.log(ns), np.log(ts), 1)[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-side", type=int, default=64, help="largest image side for the dense solvers (64: n = 4096)")
    parser.add_argument(
        "--fft-sides", type=int, nargs="*", default=[128, 256, 512, 1024], help="extra sizes for the FFT solver alone"
    )
    parser.add_argument("--threads", default="1", help="BLAS threads (default 1: reproducible on a shared machine)")
    args = parser.parse_args()

    kernel = gaussian_kernel()
    flipped = kernel[::-1, ::-1]
    rng = np.random.default_rng(0)
    sides = [s for s in (8, 12, 16, 24, 32, 48, 64) if s <= args.max_side]

    print(
        f"Tikhonov deconvolution, 7 x 7 Gaussian blur (sigma 1.5), lam = {LAM:g}; times in seconds (best of repeats), "
        f"BLAS threads = {os.environ['OPENBLAS_NUM_THREADS']}"
    )
    header = f"{'side':>5} {'n':>6} | {'tikhonov_solve':>14} {'cholesky':>10} {'cg (fft ops)':>12} {'fft':>10} | {'dense/fft':>9} | {'max rel. diff to fft':>20}"
    print(header)
    print("-" * len(header))
    rows = []
    for side in sides:
        n = side * side
        y = rng.standard_normal((side, side))
        A = dense_circulant(side, kernel)
        t_fft, x_fft = best_time(lambda: tikhonov_deconvolve_circular(y, kernel, LAM))
        t_cg, (x_cg, res) = best_time(
            lambda: tikhonov_cg(
                lambda v: circular_convolve(v, kernel),
                lambda r: circular_convolve(r, flipped),
                y,
                LAM,
                np.zeros_like(y),
                tol=1e-12,
            )
        )
        t_chol, x_chol = best_time(
            lambda: scipy.linalg.cho_solve(scipy.linalg.cho_factor(A.T @ A + LAM * np.eye(n)), A.T @ y.ravel())
        )
        t_dense, x_dense = best_time(lambda: tikhonov_solve(A, y.ravel(), LAM))
        diff = max(rel(x_dense, x_fft.ravel()), rel(x_chol, x_fft.ravel()), rel(x_cg.ravel(), x_fft.ravel()))
        if diff > 1e-8:
            raise SystemExit(f"solutions disagree at side {side}: relative difference {diff:.2e}")
        rows.append((n, t_dense, t_chol, t_cg, t_fft))
        print(
            f"{side:>5} {n:>6} | {t_dense:>14.4g} {t_chol:>10.4g} {t_cg:>12.4g} {t_fft:>10.4g} | {t_dense / t_fft:>9.3g} | {diff:>20.1e}   (cg: {len(res) - 1} iterations)"
        )

    fft_rows = []
    for side in args.fft_sides:
        y = rng.standard_normal((side, side))
        t_fft, _ = best_time(lambda: tikhonov_deconvolve_circular(y, kernel, LAM))
        fft_rows.append((side * side, t_fft))
        print(f"{side:>5} {side * side:>6} | {'-':>14} {'-':>10} {'-':>12} {t_fft:>10.4g} |")

    if len(rows) >= 3:
        ns = np.array([r[0] for r in rows[-3:]], dtype=float)
        print("\ngrowth exponent k in t ~ n^k, fitted on the three largest dense sizes:")
        for name, col in (("tikhonov_solve (dense lstsq)", 1), ("cholesky (dense)", 2), ("cg (fft operators)", 3), ("fft", 4)):
            print(f"  {name:<30} k = {fit_exponent(ns, [r[col] for r in rows[-3:]]):.2f}")
    if len(fft_rows) >= 2:
        ns = np.array([r[0] for r in fft_rows], dtype=float)
        print(f"  {'fft, large images':<30} k = {fit_exponent(ns, [r[1] for r in fft_rows]):.2f}  (n log n would give about 1.1)")
    if rows and rows[-1][0] == 4096:
        n, t_dense, t_chol, t_cg, t_fft = rows[-1]
        print(
            f"\nat n = 4096: tikhonov_solve {t_dense:.3g} s, Cholesky {t_chol:.3g} s, CG {t_cg:.3g} s, FFT {t_fft:.3g} s "
            f"(FFT is {t_dense / t_fft:,.0f} x faster than the dense SVD solve, {t_chol / t_fft:,.0f} x faster than Cholesky)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
