"""The spectrum of i Delta in a 2-d causal diamond against its continuum prediction.

Sprinkles N points into the 2-d Minkowski diamond of height 1, computes the
eigenvalues of i Delta (the Pauli-Jordan function of the massless field,
Delta = K_R - K_R^T with K_R = C^T / 2) in real arithmetic, and compares the
positive ones, largest first, with the continuum values (docs/fields.md):

    lambda_j ~ N / (4 x_j),

x_j the positive solutions, in increasing order, of sin x = 0 (x = n pi) or
tan x = 2 x (x = 1.1656, 4.6042, 7.7899, ...). The continuum agreement holds
down to about the Sorkin-Yazdi cutoff sqrt(N) / (4 pi), below which the
discrete spectrum departs from it. Prints a table and saves a log-log plot
(needs matplotlib: pip install "pycauset[plot]").

Run: python examples/sj_spectrum.py [N] [output.png]
"""

from __future__ import annotations

import math
import sys

import numpy as np

import pycauset as pc


def tan_2x_roots(count: int) -> list:
    """The first `count` positive roots of tan x = 2 x (one in each (n pi, n pi + pi/2))."""
    roots = []
    for n in range(count):
        lo, hi = (0.5 if n == 0 else n * math.pi + 1e-9), n * math.pi + math.pi / 2 - 1e-9
        f = lambda x: math.sin(x) - 2 * x * math.cos(x)  # same zeros, continuous
        for _ in range(100):
            mid = (lo + hi) / 2
            if (f(lo) < 0) == (f(mid) < 0):
                lo = mid
            else:
                hi = mid
        roots.append((lo + hi) / 2)
    return roots


def continuum_eigenvalues(n_points: int, count: int) -> np.ndarray:
    """The `count` largest continuum eigenvalues N / (4 x_j) of i Delta, descending."""
    xs = sorted(tan_2x_roots(count) + [k * math.pi for k in range(1, count + 1)])[:count]
    return n_points / (4 * np.array(xs))


def main(n: int = 2000, out: str = "sj_spectrum.png") -> None:
    cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=n, seed=1)
    lam = np.asarray(cs.pauli_jordan_spectrum())
    positive = lam[lam > 0][::-1]                    # descending
    cutoff = math.sqrt(n) / (4 * math.pi)
    above = int(np.sum(positive > cutoff))
    predicted = continuum_eigenvalues(n, len(positive))
    print(f"N = {n}: {len(positive)} positive eigenvalues, {above} above the Sorkin-Yazdi cutoff {cutoff:.3f}")
    print(" j   discrete    continuum   ratio")
    for j in range(min(10, len(positive))):
        print(f"{j + 1:2d} {positive[j]:10.4f} {predicted[j]:10.4f}  {positive[j] / predicted[j]:6.3f}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print('matplotlib is not installed: pip install "pycauset[plot]" (or matplotlib) to save the plot')
        return

    j = np.arange(1, len(positive) + 1)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.loglog(j, positive, ".", ms=3, label="causal set: eigenvalues of $i\\Delta$")
    ax.loglog(j, predicted, "-", lw=1, label="continuum: $N / (4 x_j)$")
    ax.axhline(cutoff, color="gray", ls="--", lw=1, label="Sorkin-Yazdi cutoff $\\sqrt{N}/4\\pi$")
    ax.set_ylim(bottom=cutoff / 100)  # the few numerically zero eigenvalues stay off the plot
    ax.set_xlabel("j")
    ax.set_ylabel("$\\lambda_j$")
    ax.set_title(f"SJ spectrum, 2-d diamond, N = {n}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"saved {out}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000, sys.argv[2] if len(sys.argv) > 2 else "sj_spectrum.png")
