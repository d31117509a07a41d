"""Time one Adam step on 10 million float32 parameters: mlmath.optim.Adam against torch.optim.Adam(foreach=True).

Usage: python benchmarks/bench_adam.py [--repeats 15]

Both optimizers get the same parameters (a list of arrays shaped like a small
network's weights, 10,000,000 float32 numbers in all) and the same gradients
at every step; torch's tensors share memory with NumPy arrays of the same
values. After a few warm-up steps (which also create the optimizer state)
each repeat times one step of each, alternating, and the script reports the
medians, their ratio, and the check that both produced the same parameters.
NumPy's ufuncs run on one core; torch's foreach kernels use its intra-op
thread pool, so torch is timed twice in each repeat: with its default number
of threads and with one thread (the like-for-like comparison; on a machine
shared with other jobs the multi-threaded timing is also the noisier one).

What dominates? One Adam step has to read p, g, m, v and write p, m, v: 7
arrays of 4 bytes per parameter, 280 MB in all. torch's foreach
implementation makes 7 full passes over memory (lerp, mul, addcmul, sqrt,
div, add, addcdiv: 18 array reads and writes, 720 MB, plus a fresh 40 MB
temporary for the square root); mlmath writes the update as the formulas
(m <- beta1 m + (1 - beta1) g, ...) with whole-array NumPy operations and their
temporaries: readability first, so it makes more passes than the 7 unavoidable
ones. The target is to stay within 3x of torch's foreach implementation. The script measures the machine's streaming
bandwidth (a large in-place ``np.add``), converts each optimizer's time into
an effective bandwidth, and finally times both on a problem small enough to
stay in the last-level cache: if the time per parameter hardly changes
between the two sizes, DRAM traffic is not what limits the step.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from mlmath.optim import Adam

SHAPES = [(2000, 2000), (2000, 1500), (1500, 1000), (1000, 1000), (500, 999), (500,)]
N_PARAMS = sum(int(np.prod(s)) for s in SHAPES)
BYTES = 4  # float32
PASSES_MINIMUM = 7  # read p, g, m, v; write p, m, v
PASSES_TORCH_FOREACH = 3 + 2 + 3 + 2 + 2 + 2 + 4  # lerp_, mul_, addcmul_, sqrt, div_, add_, addcdiv_


def stream_bandwidth(n: int, repeats: int) -> tuple[float, float]:
    """(best, median) bytes per second of the in-place ``a += b`` on float32 arrays of n elements.

    Reads a and b and writes a: 3 arrays moved (no write-allocate traffic, as
    in Adam, whose every written array is also read). Use n well beyond the
    last-level cache. On a shared machine the best repeat is the better
    estimate of what the hardware can do; the median shows the interference.
    """
    a, b = np.full(n, 1.0, dtype=np.float32), np.full(n, 1e-7, dtype=np.float32)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.add(a, b, out=a)
        times.append(time.perf_counter() - t0)
    moved = 3 * n * a.itemsize
    return moved / min(times), moved / statistics.median(times)


def ns_per_param(n: int, repeats: int, threads: int) -> tuple[float, float]:
    """Best time per parameter (ns) of mlmath's and torch's Adam step on one array of n float32 numbers."""
    rng = np.random.default_rng(1)
    p, g = rng.standard_normal(n, dtype=np.float32), rng.standard_normal(n, dtype=np.float32)
    ours, tp = Adam(lr=1e-3), torch.tensor(p.copy())
    tp.grad = torch.from_numpy(g)
    theirs = torch.optim.Adam([tp], lr=1e-3, foreach=True)
    torch.set_num_threads(threads)
    t_ours, t_theirs = [], []
    for i in range(repeats + 2):
        t0 = time.perf_counter()
        ours.step([p], [g])
        t1 = time.perf_counter()
        theirs.step()
        t2 = time.perf_counter()
        if i >= 2:
            t_ours.append(t1 - t0)
            t_theirs.append(t2 - t1)
    return 1e9 * min(t_ours) / n, 1e9 * min(t_theirs) / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    assert N_PARAMS == 10_000_000
    default_threads = torch.get_num_threads()

    rng = np.random.default_rng(0)
    params = [rng.standard_normal(s, dtype=np.float32) for s in SHAPES]
    grads = [rng.standard_normal(s, dtype=np.float32) for s in SHAPES]
    tparams = [torch.tensor(p.copy()) for p in params]
    for t, g in zip(tparams, grads):
        t.grad = torch.from_numpy(g)  # shares memory with the NumPy gradient

    ours = Adam(lr=1e-3)
    theirs = torch.optim.Adam(tparams, lr=1e-3, foreach=True)

    def step_ours() -> float:
        t0 = time.perf_counter()
        ours.step(params, grads)
        return time.perf_counter() - t0

    def step_theirs(threads: int) -> float:
        torch.set_num_threads(threads)
        t0 = time.perf_counter()
        theirs.step()
        return time.perf_counter() - t0

    # Each repeat: one mlmath step, then one torch step with the default threads and one with a
    # single thread, then one more mlmath step, so both sides take the same number of steps.
    for _ in range(2):  # warm-up: creates the state, faults the pages in
        step_ours(), step_theirs(default_threads), step_theirs(1), step_ours()
    t_ours, t_theirs, t_theirs1 = [], [], []
    for _ in range(args.repeats):
        t_ours.append(step_ours())
        t_theirs.append(step_theirs(default_threads))
        t_theirs1.append(step_theirs(1))
        t_ours.append(step_ours())
    torch.set_num_threads(default_threads)
    steps_done = 2 * (2 + args.repeats)
    max_diff = max(float(np.max(np.abs(p - t.numpy()) / (np.abs(t.numpy()) + 1e-3))) for p, t in zip(params, tparams))

    med_ours, med_theirs, med_theirs1 = (statistics.median(t) for t in (t_ours, t_theirs, t_theirs1))
    best_bw, median_bw = stream_bandwidth(4 * N_PARAMS, args.repeats)
    minimum_bytes = PASSES_MINIMUM * BYTES * N_PARAMS
    torch_bytes = PASSES_TORCH_FOREACH * BYTES * N_PARAMS

    def line(name, times):
        return f"{name:44s} median {1e3 * statistics.median(times):7.1f} ms  (min {1e3 * min(times):.1f}, max {1e3 * max(times):.1f})"

    print(f"parameters: {N_PARAMS:,} float32 in {len(SHAPES)} arrays; {len(t_ours)} / {args.repeats} timed steps (after warm-up)")
    print(
        f"torch {torch.__version__} (default intra-op threads: {default_threads}); NumPy {np.__version__} (single-threaded ufuncs)"
    )
    print(line("mlmath.optim.Adam.step", t_ours))
    print(line(f"torch.optim.Adam(foreach=True), {default_threads} threads", t_theirs))
    print(line("torch.optim.Adam(foreach=True), 1 thread", t_theirs1))
    print(
        f"ratio of medians mlmath / torch: {med_ours / med_theirs:.2f} ({default_threads} threads), "
        f"{med_ours / med_theirs1:.2f} (1 thread)   (target: <= 3)"
    )
    print(
        f"ratio of best times mlmath / torch: {min(t_ours) / min(t_theirs):.2f} ({default_threads} threads), "
        f"{min(t_ours) / min(t_theirs1):.2f} (1 thread)"
    )
    print(f"same parameters after {steps_done} steps: max relative difference {max_diff:.1e} (float32 round-off)")
    print(
        f"streaming bandwidth, one core (in-place np.add, 160 MB arrays): best {best_bw / 1e9:.1f} GB/s, median {median_bw / 1e9:.1f} GB/s"
    )
    print(f"an Adam step must move {minimum_bytes / 1e6:.0f} MB: {1e3 * minimum_bytes / best_bw:.1f} ms at the best bandwidth")
    for label, times, moved in (
        ("mlmath (the formulas, whole arrays)", t_ours, minimum_bytes),
        (f"torch foreach, {default_threads} threads ({PASSES_TORCH_FOREACH} passes)", t_theirs, torch_bytes),
        (f"torch foreach, 1 thread ({PASSES_TORCH_FOREACH} passes)", t_theirs1, torch_bytes),
    ):
        print(
            f"  {label:42s} moves ~{moved / 1e6:4.0f} MB: {moved / min(times) / 1e9:5.1f} GB/s in its best step, "
            f"{moved / statistics.median(times) / 1e9:5.1f} GB/s in the median step"
        )
    # What dominates: the same step on a problem that fits in the 32 MB last-level cache. If the time per
    # parameter barely changes, the step is limited by arithmetic and in-cache passes, not by DRAM traffic.
    small = 250_000  # p, g, m, v: 4 MB
    in_cache = ns_per_param(small, 200, 1)
    in_dram = (1e9 * min(t_ours) / N_PARAMS, 1e9 * min(t_theirs1) / N_PARAMS)
    torch.set_num_threads(default_threads)
    print(f"best ns per parameter, 1 torch thread:   {small:,} params (in cache)   10,000,000 params (DRAM)")
    print(f"  mlmath                                  {in_cache[0]:6.2f}                    {in_dram[0]:6.2f}")
    print(f"  torch foreach                           {in_cache[1]:6.2f}                    {in_dram[1]:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
