"""Time mlmath.layers against PyTorch on the same float64 arrays, in one run.

Usage: python benchmarks/bench_layers.py [--repeats R] [--threads T]

Three workloads, each forward + backward (the cost of one training step
through the layer):

* conv:      conv2d_forward + conv2d_backward on N=16, C=16, H=W=32, F=16,
             3x3 kernel, stride 1, padding 1, against
             torch.nn.functional.conv2d forward + autograd backward;
* maxpool:   maxpool2d_forward + maxpool2d_backward, 2x2 windows, stride 2,
             on the conv output (N=16, C=16, 32x32), against
             torch.nn.functional.max_pool2d + autograd;
* attention: attention_forward + attention_backward on q, k, v of shape
             (L, d) = (256, 64) with a causal mask, against
             torch.nn.functional.scaled_dot_product_attention + autograd.

Each timing is the median of ``--repeats`` runs after one warm-up; the
printed ratio is mlmath time / torch time (target: at most 3). Both sides
use the same number of threads (``--threads``, default 2: the book's build
machine has two cores). The results of both sides are compared before
timing, so the benchmark also fails loudly if they disagree.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per workload (median reported)")
    parser.add_argument("--threads", type=int, default=2, help="threads for NumPy's BLAS and for torch")
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import numpy as np
    import torch
    import torch.nn.functional as F

    from mlmath.layers import (
        attention_backward,
        attention_forward,
        conv2d_backward,
        conv2d_forward,
        maxpool2d_backward,
        maxpool2d_forward,
    )

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)

    def median_time(fn) -> float:
        fn()  # warm-up
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    # --- convolution -----------------------------------------------------
    x = rng.normal(size=(16, 16, 32, 32))
    w = rng.normal(size=(16, 16, 3, 3))
    b = rng.normal(size=16)
    dy = rng.normal(size=(16, 16, 32, 32))

    def conv_numpy():
        y, cache = conv2d_forward(x, w, b, stride=1, padding=1)
        return (y, *conv2d_backward(dy, cache))

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    dyt = torch.from_numpy(dy)

    def conv_torch():
        y = F.conv2d(xt, wt, bt, stride=1, padding=1)
        return (y, *torch.autograd.grad(y, (xt, wt, bt), dyt))

    # --- max pooling -----------------------------------------------------
    xp = rng.normal(size=(16, 16, 32, 32))
    dyp = rng.normal(size=(16, 16, 16, 16))

    def pool_numpy():
        y, cache = maxpool2d_forward(xp, 2)
        return y, maxpool2d_backward(dyp, cache)

    xpt = torch.tensor(xp, requires_grad=True)
    dypt = torch.from_numpy(dyp)

    def pool_torch():
        y = F.max_pool2d(xpt, 2)
        return y, *torch.autograd.grad(y, (xpt,), dypt)

    # --- attention -------------------------------------------------------
    L, d = 256, 64
    q, k, v, do = (rng.normal(size=(L, d)) for _ in range(4))
    mask = np.tril(np.ones((L, L), dtype=bool))

    def attn_numpy():
        out, cache = attention_forward(q, k, v, mask)
        return (out, *attention_backward(do, cache))

    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    maskt, dot = torch.from_numpy(mask), torch.from_numpy(do)

    def attn_torch():
        out = F.scaled_dot_product_attention(qt, kt, vt, attn_mask=maskt)
        return (out, *torch.autograd.grad(out, (qt, kt, vt), dot))

    workloads = [
        ("conv2d 16x16x32x32, F=16, 3x3, p=1", conv_numpy, conv_torch),
        ("maxpool2d 2x2/2 on 16x16x32x32", pool_numpy, pool_torch),
        (f"attention L={L}, d={d}, causal mask", attn_numpy, attn_torch),
    ]
    print(
        f"numpy {np.__version__}, torch {torch.__version__}, {args.threads} thread(s), "
        f"median of {args.repeats} runs, forward + backward, float64"
    )
    print(f"{'workload':42s} {'mlmath':>10s} {'torch':>10s} {'ratio':>7s}")
    worst = 0.0
    for name, ours, theirs in workloads:
        a_out, t_out = ours(), theirs()
        for a, t in zip(a_out, t_out):
            np.testing.assert_allclose(a, t.detach().numpy(), rtol=1e-9, atol=1e-9)
        t_ours, t_theirs = median_time(ours), median_time(theirs)
        ratio = t_ours / t_theirs
        worst = max(worst, ratio)
        flag = "" if ratio <= 3 else "  (misses the 3x target)"
        print(f"{name:42s} {1e3 * t_ours:8.2f}ms {1e3 * t_theirs:8.2f}ms {ratio:7.2f}{flag}")
    print(f"worst ratio {worst:.2f} (target <= 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
