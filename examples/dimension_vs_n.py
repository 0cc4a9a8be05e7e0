"""The Myrheim-Meyer dimension of causal sets sprinkled into 2-, 3- and 4-d causal diamonds.

For each dimension d and each N (powers of 2), sprinkle N points into the
d-dimensional Minkowski diamond with several seeds, measure the ordering
fraction r = R / C(N, 2) and invert the continuum relation r = 2 f(d) for the
Myrheim-Meyer dimension. The figure shows the mean over the seeds with a band of
one standard deviation next to the continuum value d (left), and how the spread
shrinks with N (right). Every sprinkling is reproducible from its seed.

    python examples/dimension_vs_n.py            # the full run: docs/images/dimension_vs_n.png
    python examples/dimension_vs_n.py --quick    # a few small sets: ./dimension_vs_n.png

Needs matplotlib (``pip install "pycauset[plot]"``). The full run takes about
half a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import pycauset as pc

DIMS = (2, 3, 4)
FULL_SIZES = [2**k for k in range(5, 16)]     # 32 .. 32,768 elements
QUICK_SIZES = [32, 128, 512]
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs" / "images" / "dimension_vs_n.png"


def measure(dims, sizes, seeds):
    """{d: array (len(sizes), seeds)} of Myrheim-Meyer dimensions."""
    out = {}
    for d in dims:
        region = pc.spacetime.MinkowskiDiamond(dim=d)
        est = np.empty((len(sizes), seeds))
        for a, n in enumerate(sizes):
            for s in range(seeds):
                cs = pc.sprinkle(region, n=n, seed=1000 * d + s)
                est[a, s] = cs.dimension("myrheim_meyer")
                del cs
        out[d] = est
    return out


def draw(sizes, results, seeds, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = np.asarray(sizes, dtype=float)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5), constrained_layout=True)
    for k, (d, est) in enumerate(results.items()):
        colour = f"C{k}"
        mean, std = est.mean(axis=1), est.std(axis=1, ddof=1)
        left.axhline(d, color=colour, ls="--", lw=1, alpha=0.8)
        left.fill_between(n, mean - std, mean + std, color=colour, alpha=0.2, lw=0)
        left.plot(n, mean, "o-", color=colour, ms=4, label=f"{d}-d diamond")
        right.loglog(n, std, "o-", color=colour, ms=4)
    left.plot([], [], "k--", lw=1, label="continuum value d")
    left.set_xscale("log", base=2)
    left.set_xlabel("N (elements sprinkled)")
    left.set_ylabel("Myrheim–Meyer dimension")
    left.set_title(f"mean and ±1 s.d. over {seeds} sprinklings")
    left.grid(True, which="major", alpha=0.3)
    # A reference slope: the ordering fraction is a U-statistic, its spread falls like N^(-1/2).
    ref = np.mean([r.std(axis=1, ddof=1)[0] for r in results.values()]) * np.sqrt(n[0] / n)
    right.loglog(n, ref, "k:", lw=1.2, label=r"$\propto N^{-1/2}$")
    right.set_xscale("log", base=2)
    right.set_xlabel("N (elements sprinkled)")
    right.set_ylabel("standard deviation of the estimate")
    right.set_title("spread of the estimator")
    handles = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)
    right.grid(True, which="major", alpha=0.3)
    fig.suptitle("Dimension of sprinkled causal sets (pycauset)", fontsize=12)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a few small sets, 3 seeds; writes ./dimension_vs_n.png unless --out")
    parser.add_argument("--seeds", type=int, default=None, help="sprinklings per point (default 8)")
    parser.add_argument("--out", type=Path, default=None, help=f"the figure (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    seeds = args.seeds or (3 if args.quick else 8)
    if seeds < 2:
        parser.error("--seeds must be at least 2 (the spread needs two)")
    out = args.out or (Path("dimension_vs_n.png") if args.quick else DEFAULT_OUT)

    t0 = time.perf_counter()
    results = measure(DIMS, sizes, seeds)
    print(f"Myrheim-Meyer dimension, mean +- s.d. over {seeds} seeds "
          f"({time.perf_counter() - t0:.1f} s on {pc.get_num_threads()} threads)")
    print("       N " + "".join(f"{f'{d}-d':>18s}" for d in DIMS))
    for a, n in enumerate(sizes):
        cells = "".join(f"{results[d][a].mean():11.3f} +-{results[d][a].std(ddof=1):5.3f}" for d in DIMS)
        print(f"{n:8d} {cells}")
    draw(sizes, results, seeds, out)
    print(f"saved {out}")


if __name__ == "__main__":
    main()
