"""The Benincasa-Dowker action in d = 2..6 (local and smeared), the full histogram
of interval abundances, and chains of length k: against hand-made posets with
exact values, hand-simplified published constants, brute-force NumPy / itertools
oracles and continuum expectations."""

import itertools
import math
from fractions import Fraction as F

import numpy as np
import pytest

import pycauset as pc
from pycauset import spacetime as ST

SQ6 = math.sqrt(6)


# ------------------------------------------------------------------ helpers (independent of pycauset)

def closure(rel):
    """Transitive closure of a strictly upper-triangular boolean relation (Warshall)."""
    c = np.array(rel, dtype=bool)
    for k in range(len(c)):
        c |= np.outer(c[:, k], c[k, :])
    return c


def random_poset(n, p, seed):
    rng = np.random.default_rng(seed)
    return closure(np.triu(rng.random((n, n)) < p, 1))


def brute_abundances(c):
    """Histogram over related pairs of the number of elements between them, length N - 1."""
    c = np.asarray(c, dtype=np.int64)
    between = c @ c
    n = len(c)
    return np.bincount(between[c == 1], minlength=max(n - 1, 0))[: max(n - 1, 0)]


def dense(cs):
    return np.asarray(cs.causal_matrix).astype(bool)


def chain(n):
    return np.triu(np.ones((n, n), dtype=bool), 1)


def diamond():
    r = np.zeros((4, 4), dtype=bool)
    for i, j in [(0, 1), (0, 2), (1, 3), (2, 3), (0, 3)]:
        r[i, j] = True
    return r


def crown():
    # a0, a1, a2 below b3, b4, b5, with a_i < b_j unless j = i + 3
    r = np.zeros((6, 6), dtype=bool)
    for i in range(3):
        for j in range(3, 6):
            r[i, j] = j != i + 3
    return r


# The constants alpha_d, beta_d simplified by hand from Dowker and Glaser
# (arXiv:1305.2588): c_d = S_{d-2} / (d (d-1) 2^(d/2-1)) is 1, pi/(3 sqrt 2),
# pi/6, pi^2/(20 sqrt 2), pi^2/45 for d = 2..6.
def alpha_beta(d):
    if d == 2:
        return -2.0, 4.0
    if d == 3:
        a = (math.pi / (3 * math.sqrt(2))) ** (2 / 3) / math.gamma(5 / 3)
        return -a, a                                   # beta_3 = 4/(4 Gamma(5/3)) c^(2/3)
    if d == 4:
        return -4 / SQ6, 4 / SQ6
    if d == 5:
        s = (math.pi ** 2 / (20 * math.sqrt(2))) ** 0.4
        return -s / math.gamma(7 / 5), 6 / (16 * math.gamma(7 / 5)) * s
    s = (math.pi ** 2 / 45) ** (1 / 3)
    return -2 * s / math.gamma(4 / 3), 2 * 24 * 6 / (math.gamma(1 / 3) * 120) * s


LAYERS = {
    2: [F(1), F(-2), F(1)],
    3: [F(1), F(-27, 8), F(9, 4)],
    4: [F(1), F(-9), F(16), F(-8)],
    5: [F(1), F(-215, 16), F(225, 8), F(-125, 8)],
    6: [F(1), F(-34), F(141), F(-189), F(81)],
}


# ------------------------------------------------------------------ coefficients

def test_coefficients_reproduce_the_explicit_2d_and_4d_actions():
    k2 = pc.continuum.bd_coefficients(2)
    assert k2.c == (1, -2, 1) and all(isinstance(x, F) for x in k2.c)
    assert (k2.alpha, k2.beta) == (-2.0, 4.0)
    k4 = pc.continuum.bd_coefficients(4)
    assert k4.c == (1, -9, 16, -8)
    assert k4.alpha == pytest.approx(-4 / SQ6, rel=1e-15)
    assert k4.beta == pytest.approx(4 / SQ6, rel=1e-15)
    # S = -(alpha N + beta sum C_i N_{i-1}) is the spec's formula for any abundances
    rng = np.random.default_rng(0)
    for _ in range(20):
        n, a = int(rng.integers(0, 1000)), rng.integers(0, 1000, size=4)
        s2 = -(k2.alpha * n + k2.beta * sum(c * int(x) for c, x in zip(k2.c, a)))
        assert s2 == 2 * (n - 2 * a[0] + 4 * a[1] - 2 * a[2])
        s4 = -(k4.alpha * n + k4.beta * float(sum(c * int(x) for c, x in zip(k4.c, a))))
        assert s4 == pytest.approx(4 / SQ6 * (n - a[0] + 9 * a[1] - 16 * a[2] + 8 * a[3]), rel=1e-13, abs=1e-9)


@pytest.mark.parametrize("d", [2, 3, 4, 5, 6])
def test_coefficients_match_published_values(d):
    k = pc.continuum.bd_coefficients(d)
    assert k.dim == d
    assert list(k.c) == LAYERS[d]
    assert k.layers == (d // 2 + 2 if d % 2 == 0 else (d + 3) // 2)
    a, b = alpha_beta(d)
    assert k.alpha == pytest.approx(a, rel=1e-14)
    assert k.beta == pytest.approx(b, rel=1e-14)


@pytest.mark.parametrize("d", [2, 3, 4, 5, 6])
def test_coefficients_match_glasers_closed_form_in_floats(d):
    # An independent evaluation of Glaser's sum (arXiv:1311.1701) with math.gamma.
    s = 2.0 if d % 2 == 0 else 1.5
    want = [sum(math.comb(i - 1, k) * (-1) ** k * math.gamma(d / 2 * (k + 1) + s)
                / (math.gamma(d / 2 + s) * math.gamma(1 + d * k / 2)) for k in range(i))
            for i in range(1, len(LAYERS[d]) + 1)]
    got = [float(x) for x in pc.continuum.bd_coefficients(d).c]
    assert got == pytest.approx(want, rel=1e-12)


def test_smearing_function_by_hand():
    n = np.arange(0, 30)
    for eps in (0.01, 0.3, 0.7, 0.999):
        q = eps / (1 - eps)
        f2 = (1 - eps) ** n * (1 - 2 * q * n + q ** 2 * n * (n - 1) / 2)
        f4 = (1 - eps) ** n * (1 - 9 * q * n + 8 * q ** 2 * n * (n - 1) - 4 / 3 * q ** 3 * n * (n - 1) * (n - 2))
        np.testing.assert_allclose(pc.continuum.bd_smearing(2, n, eps), f2, rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(pc.continuum.bd_smearing(4, n, eps), f4, rtol=1e-10, atol=1e-12)
    for d in range(2, 7):
        f = pc.continuum.bd_smearing(d, n, 1.0)
        want = [float(c) for c in LAYERS[d]] + [0.0] * (len(n) - len(LAYERS[d]))
        assert f.tolist() == want
    assert isinstance(pc.continuum.bd_smearing(2, 3, 0.5), float)
    assert pc.continuum.bd_smearing(3, np.zeros((2, 3), dtype=np.int64), 0.5).shape == (2, 3)


# ------------------------------------------------------------------ exact actions of hand-made posets

def exact_action(d, n, ab):
    a, b = alpha_beta(d)
    return -(a * n + b * float(sum(c * int(x) for c, x in zip(LAYERS[d], list(ab) + [0] * 5))))


@pytest.mark.parametrize("name, rel, abundances", [
    ("chain5", chain(5), [4, 3, 2, 1]),
    ("chain7", chain(7), [6, 5, 4, 3, 2, 1]),
    ("antichain", np.zeros((5, 5), dtype=bool), []),
    ("diamond", diamond(), [4, 0, 1]),
    ("crown", crown(), [6]),
    ("empty", np.zeros((0, 0), dtype=bool), []),
    ("single", np.zeros((1, 1), dtype=bool), []),
])
def test_hand_made_posets(name, rel, abundances):
    cs = pc.causet(rel)
    n = len(rel)
    full = cs.interval_abundances()
    assert full.tolist() == (abundances + [0] * n)[: max(n - 1, 0)]
    # the spec's explicit formulas, by hand
    a = abundances + [0] * 4
    assert cs.action(dim=2) == 2 * (n - 2 * a[0] + 4 * a[1] - 2 * a[2])
    assert cs.action(dim=4) == pytest.approx(4 / SQ6 * (n - a[0] + 9 * a[1] - 16 * a[2] + 8 * a[3]), abs=1e-12)
    for d in range(2, 7):
        assert cs.action(dim=d) == pytest.approx(exact_action(d, n, abundances), rel=1e-13, abs=1e-12), d
        assert cs.action(epsilon=1.0, dim=d) == cs.action(dim=d)


def test_hand_made_values_spelled_out():
    assert pc.causet(chain(5)).action(dim=2) == 10.0
    assert pc.causet(diamond()).action(dim=2) == -12.0
    assert pc.causet(crown()).action(dim=2) == -12.0
    assert pc.causet(crown()).action(dim=4) == pytest.approx(0.0, abs=1e-12)
    assert pc.causet(diamond()).action(dim=4) == pytest.approx(-64 / SQ6)
    a3 = -alpha_beta(3)[0]
    assert pc.causet(chain(5)).action(dim=3) == pytest.approx(a3 * 53 / 8)     # alpha_3 (N - N0 + 27/8 N1 - 9/4 N2)
    a6, b6 = alpha_beta(6)
    assert pc.causet(chain(7)).action(dim=6) == pytest.approx(-7 * a6 + 5 * b6)


# ------------------------------------------------------------------ smeared action

@pytest.mark.parametrize("d", [2, 3, 4, 5, 6])
def test_smeared_at_one_is_the_local_action(d):
    cs = pc.sprinkle(ST.MinkowskiDiamond(dim=d), n=300, seed=40 + d)
    assert cs.action(epsilon=1) == cs.action() == cs.action(epsilon=1.0, dim=d)


def brute_smeared(rel, d, eps):
    """Sum over all related pairs with the hand-coded f(n, eps) of Benincasa-Dowker."""
    c = np.asarray(rel, dtype=np.int64)
    between = c @ c
    q = eps / (1 - eps)
    total = 0.0
    n = len(c)
    for i in range(n):
        for j in range(n):
            if c[i, j]:
                m = int(between[i, j])
                if d == 2:
                    f = (1 - eps) ** m * (1 - 2 * q * m + q ** 2 * m * (m - 1) / 2)
                else:
                    f = (1 - eps) ** m * (1 - 9 * q * m + 8 * q ** 2 * m * (m - 1)
                                          - 4 / 3 * q ** 3 * m * (m - 1) * (m - 2))
                total += f
    if d == 2:
        return 2 * eps * (n - 2 * eps * total)                  # Benincasa-Dowker 2-d S_eps
    return 4 / SQ6 * math.sqrt(eps) * (n - eps * total)         # 4-d: eps^(2/d) (4/sqrt 6)(N - eps sum f)


@pytest.mark.parametrize("d", [2, 4])
@pytest.mark.parametrize("eps", [0.02, 0.25, 0.6, 0.95])
def test_smeared_action_brute_force(d, eps):
    for seed in (1, 2):
        cs = pc.sprinkle(ST.MinkowskiDiamond(dim=d), n=45, seed=seed)
        want = brute_smeared(dense(cs), d, eps)
        assert cs.action(epsilon=eps) == pytest.approx(want, rel=1e-11, abs=1e-9)
    rel = random_poset(25, 0.15, 9)
    assert pc.causet(rel).action(epsilon=eps, dim=d) == pytest.approx(brute_smeared(rel, d, eps), rel=1e-11, abs=1e-9)


def test_smeared_truncation_matches_the_full_sum():
    # The smeared action stops the sum over interval sizes where the tail is negligible:
    # compare with the full histogram from a NumPy oracle.
    cs = pc.sprinkle(ST.MinkowskiDiamond(dim=4), n=700, seed=3)
    hist = brute_abundances(dense(cs))
    for eps in (0.02, 0.1, 0.5):
        f = pc.continuum.bd_smearing(4, np.arange(len(hist)), eps)
        k = pc.continuum.bd_coefficients(4)
        want = -eps ** 0.5 * (k.alpha * 700 + k.beta * eps * math.fsum(hist * f))
        assert cs.action(epsilon=eps) == pytest.approx(want, rel=1e-12, abs=1e-9)


# ------------------------------------------------------------------ statistics

def test_2d_action_mean_is_two():
    # E[S] = 2 for every N in the fixed-N 2-d diamond (Benincasa-Dowker). At N = 10
    # the spread is std ~ 21 (stated simulation: 4000 sets, seeds 100000..103999,
    # std 20.95, mean 1.57), so three fixed seed blocks of 1500 give a standard
    # error ~ 0.31; the band is 4.5 standard errors.
    D = ST.MinkowskiDiamond(dim=2)
    s = np.array([pc.sprinkle(D, n=10, seed=base + i).action()
                  for base in (7_000, 17_000, 27_000) for i in range(1500)])
    se = s.std(ddof=1) / math.sqrt(len(s))
    assert se < 0.4, se
    assert abs(s.mean() - 2.0) < 4.5 * se, (s.mean(), se)


# ------------------------------------------------------------------ interval abundances: the full histogram

@pytest.mark.parametrize("seed", range(6))
def test_full_histogram_against_numpy(seed):
    n = [2, 3, 17, 64, 65, 130][seed]
    rel = random_poset(n, [0.5, 0.3, 0.2, 0.05, 0.04, 0.02][seed], seed)
    cs = pc.causet(rel)
    h = cs.interval_abundances()
    assert h.dtype == np.int64 and h.shape == (n - 1,)
    assert h.tolist() == brute_abundances(rel).tolist()
    assert int(h.sum()) == cs.relations
    assert cs.interval_abundances(kmax=n + 3).tolist() == h.tolist() + [0] * 5


@pytest.mark.parametrize("d", [2, 4])
def test_full_histogram_sprinkled(d):
    cs = pc.sprinkle(ST.MinkowskiDiamond(dim=d), n=400, seed=11)
    h = cs.interval_abundances()
    assert h.tolist() == brute_abundances(dense(cs)).tolist()
    assert cs.interval_abundances(3).tolist() == h[:4].tolist()


def test_histogram_of_tiny_sets():
    for n in (0, 1):
        h = pc.causet(np.zeros((n, n), dtype=bool)).interval_abundances()
        assert h.dtype == np.int64 and h.shape == (0,)
    assert pc.causet(chain(2)).interval_abundances().tolist() == [1]


# ------------------------------------------------------------------ bad input

def test_bad_input():
    cs = pc.causet(chain(4))
    with pytest.raises(ValueError, match="dim"):
        cs.action()
    with pytest.raises(ValueError, match="dim"):
        cs.action(epsilon=0.5)
    for bad in (1, 7, 0, 2.5, True, "4", None.__class__):
        with pytest.raises(ValueError, match="2..6"):
            cs.action(dim=bad)
    for bad in (0, 0.0, -0.1, 1.0000001, 2, float("nan"), float("inf"), True, "0.5"):
        with pytest.raises(ValueError, match="epsilon"):
            cs.action(epsilon=bad, dim=2)
    for bad in (-1, 2.0, True, "3"):
        with pytest.raises(ValueError, match="kmax"):
            cs.interval_abundances(bad)
    with pytest.raises(ValueError, match="2..6"):
        pc.continuum.bd_coefficients(7)
    with pytest.raises(ValueError, match="epsilon"):
        pc.continuum.bd_smearing(2, 3, 0.0)
    with pytest.raises(ValueError, match="non-negative"):
        pc.continuum.bd_smearing(2, [-1, 2], 0.5)
    with pytest.raises(ValueError, match="non-negative"):
        pc.continuum.bd_smearing(2, 1.5, 0.5)
    # the set is untouched
    assert cs.interval_abundances().tolist() == [3, 2, 1]
