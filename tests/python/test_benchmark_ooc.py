"""The out-of-core benchmark's NumPy matmul baselines: their plans respect the budget and
their results equal NumPy's in-RAM product (a wrong baseline would make the gate's ratio
meaningless)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks import ooc  # noqa: E402


@pytest.mark.parametrize("n,budget_elems", [(13_000, (1 << 30) // 8), (5_000, 150 * (1 << 20) // 8),
                                            (1_700, 16 * (1 << 20) // 8), (37, 2_000)])
def test_band_plan_fits_the_budget(n, budget_elems):
    plan = ooc.plan_bands(n, budget_elems)
    assert 4 * plan["h"] * n + 2 * plan["kc"] * n == plan["buffer_elems"] <= budget_elems
    assert plan["bands"] == -(-n // plan["h"]) and plan["k_chunks"] == -(-n // plan["kc"])


@pytest.mark.parametrize("baseline", [ooc.matmul_numpy_preadv, ooc.matmul_numpy])
@pytest.mark.parametrize("n,budget", [(301, 300_000), (256, 2_000_000)])
def test_matmul_baselines_match_numpy(tmp_path, baseline, n, budget):
    rng = np.random.default_rng(n)
    a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    am = np.load(tmp_path / "a.npy", mmap_mode="r")
    bm = np.load(tmp_path / "b.npy", mmap_mode="r")
    parts = baseline(np, am, bm, tmp_path / "c.npy", budget)
    assert parts["plan"]["buffer_bytes"] <= budget
    got = np.load(tmp_path / "c.npy")
    np.testing.assert_allclose(got, a @ b, rtol=0, atol=1e-13 * (np.abs(a) @ np.abs(b)).max())
    del am, bm
