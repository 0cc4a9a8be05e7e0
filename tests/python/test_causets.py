"""Causal sets: sprinkling, causal and link matrices, counts and estimators.

Oracles are independent of the code under test: the relation is recomputed
from the returned coordinates by a plain loop written from the conventions
(t_y > t_x and (t_y - t_x)^2 >= |dx|^2, minimum image on periodic axes), links
and transitivity from NumPy integer matrix products, and expectations from
the closed forms of the conventions. Ensemble checks use fixed seeds and bands
of 5 standard errors of the ensemble mean (estimated from the ensemble itself,
K >= 150 sprinklings, so the band is known to about 6%).
"""

import math

import numpy as np
import pytest

import pycauset as pc

import _sigint
from conftest import oracle_relation

ST = pc.spacetime


def int_product(a, b):
    """Exact integer product of 0/1 (or count) matrices: BLAS in float64, exact below 2**53."""
    return np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)


REGIONS = [
    ST.MinkowskiDiamond(dim=2), ST.MinkowskiDiamond(dim=3, height=2.0), ST.MinkowskiDiamond(dim=4),
    ST.MinkowskiDiamond(dim=5), ST.MinkowskiBox(dim=2, duration=1.0, size=2.0), ST.MinkowskiBox(dim=4),
    ST.MinkowskiCylinder(dim=2, duration=1.0, circumference=0.5),
    ST.MinkowskiCylinder(dim=3, duration=2.0, circumference=1.0),
    ST.MinkowskiCylinder(dim=4, duration=1.0, circumference=0.7),
]


@pytest.mark.parametrize("region", REGIONS, ids=repr)
@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 400])
def test_causal_matrix_matches_oracle_and_structure(region, n):
    cs = pc.sprinkle(region, n=n, seed=1000 + n)
    x = np.asarray(cs.coordinates)
    assert x.shape == (n, region.dim) and np.all(np.diff(x[:, 0]) >= 0)
    assert region.contains(x).all()
    c = np.asarray(cs.causal_matrix)
    assert c.dtype == np.bool_ and c.shape == (n, n)
    periods = region.spatial_periods
    assert np.array_equal(c, oracle_relation(x, periods))
    assert not np.tril(c).any()                               # strictly upper-triangular
    cc = int_product(c, c)
    assert not ((cc > 0) & ~c).any()                          # transitive
    links = np.asarray(cs.link_matrix)
    assert np.array_equal(links, c & (cc == 0))               # L = C and not (C C > 0)
    # the transitive closure of L is C
    closure, reach = links.copy(), links.copy()
    for _ in range(n):
        reach = int_product(reach, links) > 0
        if not reach.any():
            break
        closure |= reach
    assert np.array_equal(closure, c)
    assert cs.relations == int(c.sum()) and cs.links == int(links.sum())
    # interval sizes: (C @ C)[i, j] elements between a related pair
    sizes = cc[c]
    kmax = 5
    expected = np.bincount(sizes[sizes <= kmax], minlength=kmax + 1)
    assert cs.interval_abundances(kmax).tolist() == expected.tolist()
    # longest chain: the largest k with a nonzero k-1 fold boolean product of C
    length, power = (1 if n else 0), c.copy()
    while power.any():
        length += 1
        power = int_product(power, c) > 0
    assert cs.longest_chain() == length


def test_same_seed_same_bits_on_one_and_two_threads():
    D = ST.MinkowskiDiamond(dim=4)
    old = pc.get_num_threads()
    try:
        pc.set_num_threads(1)
        a = pc.sprinkle(D, n=3000, seed=42)
        pc.set_num_threads(2)
        b = pc.sprinkle(D, n=3000, seed=42)
    finally:
        pc.set_num_threads(old)
    assert np.array_equal(np.asarray(a.coordinates), np.asarray(b.coordinates))
    assert np.array_equal(np.asarray(a.causal_matrix), np.asarray(b.causal_matrix))
    assert np.array_equal(np.asarray(a.link_matrix), np.asarray(b.link_matrix))
    c = pc.sprinkle(D, n=3000, seed=43)
    assert not np.array_equal(np.asarray(a.coordinates), np.asarray(c.coordinates))


def test_out_of_core_build_matches_in_ram(spill_env):
    D = ST.MinkowskiDiamond(dim=3)
    ram = np.asarray(pc.sprinkle(D, n=1500, seed=9).causal_matrix)
    pc.set_memory_limit("64 KiB")
    try:
        cs = pc.sprinkle(D, n=1500, seed=9)
        assert pc.memory_info()["spill_files"] >= 1
        assert np.array_equal(pc.to_numpy(cs.causal_matrix, allow_huge=True), ram)
        links = pc.to_numpy(cs.link_matrix, allow_huge=True)
        assert np.array_equal(links, ram & (int_product(ram, ram) == 0))
    finally:
        pc.set_memory_limit(None)


# ---------------------------------------------------------------- hand-made posets

def poset(n, pairs):
    m = np.zeros((n, n), dtype=bool)
    for i, j in pairs:
        m[i, j] = True
    return m


@pytest.mark.parametrize("name,matrix,relations,abundances,chain", [
    ("chain5", np.triu(np.ones((5, 5), dtype=bool), 1), 10, [4, 3, 2, 1], 5),
    ("antichain4", np.zeros((4, 4), dtype=bool), 0, [0, 0, 0, 0], 1),
    ("diamond", poset(4, [(0, 1), (0, 2), (1, 3), (2, 3), (0, 3)]), 5, [4, 0, 1, 0], 3),
    # crown on 6 elements: minima 0,1,2, maxima 3,4,5, i < 3 + j for j != i
    ("crown", poset(6, [(0, 4), (0, 5), (1, 3), (1, 5), (2, 3), (2, 4)]), 6, [6, 0, 0, 0], 2),
    ("single", np.zeros((1, 1), dtype=bool), 0, [0, 0, 0, 0], 1),
    ("empty", np.zeros((0, 0), dtype=bool), 0, [0, 0, 0, 0], 0),
])
def test_hand_made_posets(name, matrix, relations, abundances, chain):
    cs = pc.causet(matrix)
    assert len(cs) == matrix.shape[0]
    assert cs.relations == relations and cs.links == abundances[0]
    assert cs.interval_abundances(3).tolist() == abundances
    assert cs.longest_chain() == chain
    n = matrix.shape[0]
    n0, n1, n2, n3 = abundances
    assert cs.action(dim=2) == 2 * (n - 2 * n0 + 4 * n1 - 2 * n2)
    assert cs.action(dim=4) == pytest.approx(4 / math.sqrt(6) * (n - n0 + 9 * n1 - 16 * n2 + 8 * n3))
    assert np.array_equal(np.asarray(cs.causal_matrix), matrix)
    assert cs.coordinates is None and cs.region is None


def test_causet_copies_and_accepts_pycauset_bits():
    m = pc.matrix(np.triu(np.ones((70, 70), dtype=bool), 1))
    cs = pc.causet(m)
    m[0, 69] = False
    assert bool(cs.causal_matrix[0, 69]) and cs.relations == 70 * 69 // 2


def test_causet_rejects_bad_relations():
    with pytest.raises(ValueError, match="square"):
        pc.causet(np.zeros((3, 4), dtype=bool))
    with pytest.raises(TypeError, match="bit or bool"):
        pc.causet(np.zeros((3, 3)))
    lower = poset(3, [(2, 0)])
    with pytest.raises(ValueError, match=r"strictly upper-triangular: entry \(2, 0\)"):
        pc.causet(lower)
    with pytest.raises(ValueError, match="entry \\(1, 1\\)"):
        pc.causet(poset(3, [(1, 1)]))
    open_chain = poset(3, [(0, 1), (1, 2)])
    with pytest.raises(ValueError, match="not transitive"):
        pc.causet(open_chain)
    assert pc.causet(open_chain, check=False).relations == 2


def test_sprinkle_rejects_bad_arguments():
    D = ST.MinkowskiDiamond(dim=2)
    with pytest.raises(ValueError, match="exactly one"):
        pc.sprinkle(D)
    with pytest.raises(ValueError, match="exactly one"):
        pc.sprinkle(D, n=10, density=3.0)
    with pytest.raises(ValueError, match="n must"):
        pc.sprinkle(D, n=-1)
    with pytest.raises(ValueError, match="density"):
        pc.sprinkle(D, density=float("nan"))
    with pytest.raises(TypeError, match="region"):
        pc.sprinkle("diamond", n=5)
    with pytest.raises(TypeError, match="seed"):
        pc.sprinkle(D, n=5, seed=1.5)
    with pytest.raises(TypeError, match="sprinkle"):
        pc.CausalSet()


# ---------------------------------------------------------------- statistics against the continuum

def ensemble(stat, sizes, k, seed0):
    vals = np.array([stat(pc.sprinkle(r, n=n, seed=seed0 + s)) for s, (r, n) in enumerate([sizes] * k)], dtype=float)
    return vals.mean(), vals.std(ddof=1) / math.sqrt(k)


@pytest.mark.parametrize("dim", [2, 3, 4])
def test_expected_relations(dim):
    n = 120
    mean, se = ensemble(lambda cs: cs.relations, (ST.MinkowskiDiamond(dim=dim), n), 200, 5000 * dim)
    # E[R] = N (N-1) f(d), f = 1/4, 4/35, 1/20
    expected = n * (n - 1) * {2: 1 / 4, 3: 4 / 35, 4: 1 / 20}[dim]
    assert abs(mean - expected) < 5 * se, (mean, expected, se)
    assert pc.continuum.expected_relations(n, dim) == pytest.approx(expected)


def test_expected_links_2d():
    n = 150
    mean, se = ensemble(lambda cs: cs.links, (ST.MinkowskiDiamond(dim=2), n), 200, 77)
    harmonic = sum(1 / k for k in range(1, n + 1))
    expected = (n + 1) * harmonic - 2 * n
    assert abs(mean - expected) < 5 * se, (mean, expected, se)


def test_2d_action_has_mean_two():
    # E[S] = 2 for every N in the fixed-N 2-d diamond (causets.md). At N = 3 the
    # spread is small (std 3.3 in a stated simulation of 4000 sets), so 1500 sets
    # give a standard error of about 0.085: a wrong overall factor of 2 (mean 1 or 4)
    # is more than 10 standard errors away.
    D = ST.MinkowskiDiamond(dim=2)
    mean, se = ensemble(lambda cs: cs.action(), (D, 3), 1500, 31)
    assert abs(mean - 2.0) < 5 * se and se < 0.12, (mean, se)


def test_action_arguments():
    cs = pc.causet(np.zeros((3, 3), dtype=bool))
    with pytest.raises(ValueError, match="dim"):
        cs.action()
    with pytest.raises(ValueError, match="2..6"):
        cs.action(dim=7)
    with pytest.raises(ValueError, match="epsilon"):
        cs.action(epsilon=0.0, dim=2)
    with pytest.raises(ValueError, match="kmax"):
        cs.interval_abundances(-1)


def test_poisson_sprinkling_count():
    D = ST.MinkowskiDiamond(dim=3, height=2.0)
    rho = 40.0
    counts = np.array([len(pc.sprinkle(D, density=rho, seed=s)) for s in range(300)], dtype=float)
    lam = rho * D.volume
    assert abs(counts.mean() - lam) < 5 * math.sqrt(lam / len(counts))
    cs = pc.sprinkle(D, density=rho, seed=3)
    assert cs.mode == "density" and cs.density == rho


def test_myrheim_meyer_dimension_of_a_large_sprinkling():
    # One 4-d sprinkling of N = 4000. The estimator's spread at this N, from a
    # stated simulation (100 sprinklings, seeds 0-99): mean 4.005, sample std
    # 0.037. The band 0.2 is more than 5 standard deviations.
    cs = pc.sprinkle(ST.MinkowskiDiamond(dim=4), n=4000, seed=2026)
    assert abs(cs.dimension("myrheim_meyer") - 4.0) < 0.2
    with pytest.raises(ValueError, match="estimator"):
        cs.dimension("nope")


@pytest.mark.parametrize("dim,band", [(2, 0.15), (4, 0.45)])
def test_midpoint_dimension(dim, band):
    # Stated simulation (N = 4000, seeds 0-99): d = 2 mean 2.003, std 0.025;
    # d = 4 mean 4.095 (the estimator's finite-N bias), std 0.075. The bands cover
    # the bias plus more than 4.5 standard deviations.
    cs = pc.sprinkle(ST.MinkowskiDiamond(dim=dim), n=4000, seed=2026)
    assert abs(cs.dimension("midpoint") - dim) < band
    chain = pc.causet(np.triu(np.ones((8, 8), dtype=bool), 1))
    assert chain.dimension("midpoint") == pytest.approx(math.log2(8 / 3))  # N_half = min(3, 4) at z = 3
    with pytest.raises(ValueError, match="past and a future"):
        pc.causet(np.zeros((3, 3), dtype=bool)).dimension("midpoint")


def test_repr_and_metadata():
    cs = pc.sprinkle(ST.MinkowskiDiamond(dim=2, height=2.0), n=10, seed=7)
    assert repr(cs) == "pycauset.CausalSet(n=10, region=MinkowskiDiamond(dim=2, height=2.0), seed=7)"
    assert cs.mode == "n" and cs.density == pytest.approx(10 / 2.0)


def test_sigint_during_a_spilled_causal_matrix_build(tmp_path):
    """A real Ctrl-C while C is built into a spill file: KeyboardInterrupt, no spill file left."""
    _sigint.interrupted(
        str(tmp_path),
        setup='pc.set_memory_limit("1 MiB")',
        call="pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=4), n=60000, seed=1)",
        what="causal matrix",
    )


def test_abundances_are_counted_once_and_sliced(monkeypatch):
    # The action and a smaller kmax reuse an earlier, larger count (N_k does not depend on the cut-off).
    cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=4), n=300, seed=9)
    c = np.asarray(cs.causal_matrix).astype(np.int64)
    between = (c @ c)[c.astype(bool)]
    oracle = np.bincount(between, minlength=6)[:6]
    calls = []
    real = pc._core.interval_abundances
    monkeypatch.setattr(pc._core, "interval_abundances", lambda h, k: calls.append(k) or real(h, k))
    assert cs.interval_abundances(5).tolist() == oracle.tolist()
    assert cs.interval_abundances(1).tolist() == oracle[:2].tolist()
    first = cs.interval_abundances(3)
    first[0] = -1  # the caller's copy: the cache is not changed
    assert cs.interval_abundances(3).tolist() == oracle[:4].tolist()
    n = len(cs)
    assert cs.action() == pytest.approx(4 / np.sqrt(6) * (n - oracle[0] + 9 * oracle[1] - 16 * oracle[2] + 8 * oracle[3]))
    assert calls == [5]
