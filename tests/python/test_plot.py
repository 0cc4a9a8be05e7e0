"""Plots of causal sets: the Hasse diagram draws exactly the links, the histogram the abundances.

Every check compares what matplotlib was given (segments of the LineCollection,
offsets of the scatter, bar heights) with a NumPy oracle computed from the
coordinates or the relation, never with pycauset's own link matrix. matplotlib
runs with the Agg backend; a subprocess with a meta-path blocker plays an
installation without matplotlib.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from fractions import Fraction

import numpy as np
import pytest

import pycauset as pc

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from conftest import NO_MATPLOTLIB  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- oracles ---------------------------------------------------------------------------


def causal_oracle_2d(tx: np.ndarray, period: float | None = None) -> np.ndarray:
    """C[i, j] from the coordinates: t_j - t_i >= |x_j - x_i| (minimum image) and t_j > t_i."""
    t, x = tx[:, 0], tx[:, 1]
    dt = t[None, :] - t[:, None]
    dx = np.abs(x[None, :] - x[:, None])
    if period is not None:
        dx = np.minimum(dx, period - dx)
    return (dt >= dx) & (dt > 0)


def links_oracle(c: np.ndarray) -> np.ndarray:
    ci = c.astype(np.int64)
    return c & ((ci @ ci) == 0)


def heights_oracle(c: np.ndarray) -> np.ndarray:
    """Longest chain ending at each element, from C itself (not from links)."""
    n = c.shape[0]
    order = np.argsort(c.sum(axis=0), kind="stable")  # fewer predecessors first is a linear extension
    h = np.zeros(n, dtype=np.int64)
    for j in order:
        before = np.flatnonzero(c[:, j])
        h[j] = 1 + (h[before].max() if before.size else 0)
    return h


def random_poset(n: int, p: float, seed: int) -> np.ndarray:
    """A transitively closed, strictly upper-triangular relation (closure by repeated squaring)."""
    rng = np.random.default_rng(seed)
    c = np.triu(rng.random((n, n)) < p, 1)
    while True:
        ci = c.astype(np.int64)
        nxt = c | ((ci @ ci) > 0)
        if np.array_equal(nxt, c):
            return c
        c = nxt


def drawn(ax):
    """(segments (m, 2, 2), dot positions (n, 2)) of the Hasse diagram on `ax`."""
    lines = [c for c in ax.collections if c.get_gid() == "links"]
    dots = [c for c in ax.collections if c.get_gid() == "elements"]
    assert len(lines) == 1 and len(dots) == 1
    segs = lines[0].get_segments()
    segs = np.array(segs, dtype=np.float64).reshape(-1, 2, 2) if len(segs) else np.zeros((0, 2, 2))
    return segs, np.asarray(dots[0].get_offsets(), dtype=np.float64)


def segment_set(segs: np.ndarray) -> set:
    return {tuple(s.ravel().tolist()) for s in segs}


# --- the Hasse diagram: lines are exactly the links --------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("n", [1, 2, 40, 150])
def test_tx_segments_are_the_links_from_the_coordinates(n, seed):
    cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2, height=2.0), n=n, seed=seed)
    tx = pc.to_numpy(cs.coordinates)
    link = links_oracle(causal_oracle_2d(tx))
    ax = cs.plot()
    segs, dots = drawn(ax)
    i, j = np.nonzero(link)
    t, x = tx[:, 0], tx[:, 1]
    expected = {(x[a], t[a], x[b], t[b]) for a, b in zip(i.tolist(), j.tolist())}
    assert len(segs) == len(expected) == int(link.sum())
    assert segment_set(segs) == expected
    np.testing.assert_array_equal(dots, np.column_stack([x, t]))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "t")


def test_lightcone_segments_are_the_links_and_point_up_and_right():
    cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=120, seed=11)
    tx = pc.to_numpy(cs.coordinates)
    t, x = tx[:, 0], tx[:, 1]
    u, v = t + x, t - x
    link = links_oracle(causal_oracle_2d(tx))
    ax = cs.plot(coordinates="lightcone")
    segs, dots = drawn(ax)
    i, j = np.nonzero(link)
    assert segment_set(segs) == {(u[a], v[a], u[b], v[b]) for a, b in zip(i.tolist(), j.tolist())}
    assert len(segs) == int(link.sum())
    # In light-cone coordinates the 2-d order is the product order.
    assert np.all(segs[:, 1, 0] >= segs[:, 0, 0]) and np.all(segs[:, 1, 1] >= segs[:, 0, 1])
    np.testing.assert_array_equal(dots, np.column_stack([u, v]))


def test_box_segments_are_the_links():
    cs = pc.sprinkle(pc.spacetime.MinkowskiBox(dim=2, duration=1.0, size=2.0), n=100, seed=4)
    tx = pc.to_numpy(cs.coordinates)
    link = links_oracle(causal_oracle_2d(tx))
    segs, _ = drawn(cs.plot())
    i, j = np.nonzero(link)
    t, x = tx[:, 0], tx[:, 1]
    assert segment_set(segs) == {(x[a], t[a], x[b], t[b]) for a, b in zip(i.tolist(), j.tolist())}


def test_periodic_links_that_wrap_are_drawn_as_two_pieces_through_the_edges():
    period = 1.0
    cs = pc.sprinkle(pc.spacetime.MinkowskiCylinder(dim=2, duration=1.0, circumference=period), n=90, seed=6)
    tx = pc.to_numpy(cs.coordinates)
    t, x = tx[:, 0], tx[:, 1]
    link = links_oracle(causal_oracle_2d(tx, period))
    i, j = np.nonzero(link)
    wraps = np.abs(x[j] - x[i]) > period / 2
    assert wraps.any() and (~wraps).any()   # the sample exercises both kinds
    segs, _ = drawn(cs.plot())
    assert len(segs) == len(i) + int(wraps.sum())
    element = {(x[k], t[k]): k for k in range(len(cs))}
    whole, starts, ends = set(), {}, {}
    for s in segs:
        a, b = element.get(tuple(s[0])), element.get(tuple(s[1]))
        if a is not None and b is not None:
            whole.add((a, b))
        elif a is not None:
            assert s[1, 0] in (0.0, period)
            starts[a, s[1, 1]] = s[1, 0]
        else:
            assert b is not None and s[0, 0] in (0.0, period)
            ends[b, s[0, 1]] = s[0, 0]
    assert whole == {(a, b) for a, b, w in zip(i.tolist(), j.tolist(), wraps.tolist()) if not w}
    # Every wrapping link: a piece from i to one edge, a piece from the other edge at the same time
    # to j, both on the straight line from i to the nearest image of j.
    assert len(starts) == len(ends) == int(wraps.sum())
    for a, b in zip(i[wraps].tolist(), j[wraps].tolist()):
        image = x[b] - period * np.sign(x[b] - x[a])
        hits = [(tc, edge) for (k, tc), edge in starts.items() if k == a and ends.get((b, tc)) is not None]
        assert hits, (a, b)
        tc, edge = hits[0]
        assert ends[b, tc] == period - edge
        expected_tc = t[a] + (edge - x[a]) / (image - x[a]) * (t[b] - t[a])
        assert math.isclose(tc, expected_tc, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_layered_layout_of_a_relation_draws_its_links_at_chain_heights(seed):
    c = random_poset(70, 0.04, seed)
    cs = pc.causet(c)
    ax = cs.plot()   # no coordinates: layered by default
    segs, dots = drawn(ax)
    heights = heights_oracle(c)
    np.testing.assert_array_equal(dots[:, 1], heights)
    element = {tuple(p): k for k, p in enumerate(dots.tolist())}
    assert len(element) == len(cs)   # distinct positions
    pairs = {(element[tuple(s[0])], element[tuple(s[1])]) for s in segs.tolist()}
    i, j = np.nonzero(links_oracle(c))
    assert len(segs) == len(i)
    assert pairs == set(zip(i.tolist(), j.tolist()))
    assert max(heights) == cs.longest_chain()
    # Inside a layer the elements sit one unit apart, centred.
    for h in set(heights.tolist()):
        xs = np.sort(dots[heights == h, 0])
        np.testing.assert_allclose(np.diff(xs), 1.0)
        assert math.isclose(xs.mean(), 0.0, abs_tol=1e-12)


def test_hand_made_diamond_poset_layers():
    c = np.zeros((4, 4), dtype=bool)
    for a, b in [(0, 1), (0, 2), (1, 3), (2, 3), (0, 3)]:
        c[a, b] = True
    segs, dots = drawn(pc.causet(c).plot())
    np.testing.assert_array_equal(dots[:, 1], [1, 2, 2, 3])
    assert len(segs) == 4


def test_layered_is_the_default_for_higher_dimensions_and_can_be_asked_for_in_2d():
    cs4 = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=4), n=60, seed=2)
    c4 = pc.to_numpy(cs4.causal_matrix)
    segs, dots = drawn(cs4.plot())
    np.testing.assert_array_equal(dots[:, 1], heights_oracle(c4))
    assert len(segs) == int(links_oracle(c4).sum())
    cs2 = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=60, seed=2)
    segs, dots = drawn(cs2.plot(coordinates="layered"))
    np.testing.assert_array_equal(dots[:, 1], heights_oracle(causal_oracle_2d(pc.to_numpy(cs2.coordinates))))


def test_draws_into_the_given_axes_and_returns_it():
    cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=30, seed=1)
    fig, (a, b) = plt.subplots(1, 2)
    assert cs.plot(ax=b) is b
    assert [c.get_gid() for c in b.collections] == ["links", "elements"]
    assert not a.collections
    assert plt.get_fignums() == [fig.number]   # no other figure was opened


def test_empty_set_draws_nothing():
    cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=0, seed=1)
    segs, dots = drawn(cs.plot())
    assert segs.shape[0] == 0 and dots.shape[0] == 0


# --- errors ----------------------------------------------------------------------------


def test_too_large_a_set_is_refused_before_any_work_with_the_limit_and_the_override():
    cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=2001, seed=1)
    with pytest.raises(ValueError, match=r"2001 elements.*2000.*max_elements=2001"):
        cs.plot()
    assert plt.get_fignums() == []        # nothing drawn
    assert cs._links is None              # and the link matrix not even computed
    small = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=11, seed=1)
    with pytest.raises(ValueError, match=r"11 elements.*max_elements=11"):
        small.plot(max_elements=10)
    segs, _ = drawn(small.plot(max_elements=11))
    assert len(segs) == small.links


@pytest.mark.parametrize("bad", [-1, 2.5, True, "many"])
def test_bad_max_elements(bad):
    cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=5, seed=1)
    with pytest.raises(ValueError, match="max_elements must be a non-negative integer"):
        cs.plot(max_elements=bad)


def test_coordinates_that_do_not_apply_are_clear_errors():
    chain = pc.causet(np.triu(np.ones((4, 4), dtype=bool), 1))
    for layout in ("tx", "lightcone"):
        with pytest.raises(ValueError, match=r"has no coordinates; use coordinates='layered'"):
            chain.plot(coordinates=layout)
    cs3 = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=3), n=20, seed=1)
    with pytest.raises(ValueError, match=r"is 3-dimensional; use coordinates='layered'"):
        cs3.plot(coordinates="tx")
    with pytest.raises(ValueError, match=r"coordinates must be 'tx', 'lightcone' or 'layered', got 'xt'"):
        cs3.plot(coordinates="xt")
    assert plt.get_fignums() == []


# --- the abundance histogram -------------------------------------------------------------


def abundances_oracle(c: np.ndarray, kmax: int) -> np.ndarray:
    ci = c.astype(np.int64)
    between = (ci @ ci)[c]
    return np.array([(between == k).sum() for k in range(kmax + 1)], dtype=np.int64)


def expected_links_oracle(n: int) -> float:
    harmonic = sum(Fraction(1, k) for k in range(1, n + 1))
    return float((n + 1) * harmonic - 2 * n)


def bars(ax) -> np.ndarray:
    return np.array([p.get_height() for p in ax.patches if p.get_gid() == "abundance"])


def expected_line(ax):
    return [ln for ln in ax.get_lines() if ln.get_gid() == "expected"]


@pytest.mark.parametrize("kw", [{"n": 300}, {"density": 500.0}])
def test_abundance_bars_and_the_2d_expectation_of_n0(kw):
    cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), seed=8, **kw)
    c = causal_oracle_2d(pc.to_numpy(cs.coordinates))
    ax = cs.plot_abundances(kmax=7)
    np.testing.assert_array_equal(bars(ax), abundances_oracle(c, 7))
    (line,) = expected_line(ax)
    y = line.get_ydata()
    assert y[0] == y[-1] and math.isclose(y[0], expected_links_oracle(len(cs)), rel_tol=1e-12)
    assert np.all(np.abs(line.get_xdata()) < 0.5)   # drawn at k = 0
    assert ax.get_legend() is not None


def test_abundances_without_a_known_expectation():
    cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=4), n=200, seed=8)
    c = pc.to_numpy(cs.causal_matrix)
    fig, ax = plt.subplots()
    assert cs.plot_abundances(kmax=3, ax=ax, log=True) is ax
    np.testing.assert_array_equal(bars(ax), abundances_oracle(c, 3))
    assert expected_line(ax) == [] and ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="known only for N_0 of a set sprinkled into a 2-d"):
        cs.plot_abundances(kmax=3, expected=True)
    poset = random_poset(40, 0.1, 3)
    ax = pc.causet(poset).plot_abundances(kmax=4)
    np.testing.assert_array_equal(bars(ax), abundances_oracle(poset, 4))
    two_d = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=50, seed=1)
    assert expected_line(two_d.plot_abundances(kmax=2, expected=False)) == []
    with pytest.raises(ValueError, match="expected must be None, True or False"):
        two_d.plot_abundances(expected="yes")
    with pytest.raises(ValueError, match="kmax must be a non-negative integer"):
        two_d.plot_abundances(kmax=-1)


# --- matplotlib is optional --------------------------------------------------------------



def run_python(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYCAUSET_PROGRESS="0", MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)


def test_computing_never_imports_matplotlib():
    proc = run_python(textwrap.dedent(
        """
        import sys
        import numpy as np
        import pycauset as pc
        cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=200, seed=1)
        cs.link_matrix, cs.relations, cs.links, cs.interval_abundances(3), cs.action()
        cs.dimension(), cs.dimension("midpoint"), cs.longest_chain(), repr(cs)
        pc.causet(np.triu(np.ones((3, 3), dtype=bool), 1)).links
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("matplotlib", "pycauset._plot"))
        print("LOADED", loaded)
        """
    ))
    assert proc.returncode == 0, proc.stderr
    assert "LOADED []" in proc.stdout, proc.stdout


def test_missing_matplotlib_is_an_import_error_naming_the_extra():
    proc = run_python(NO_MATPLOTLIB + textwrap.dedent(
        """
        import pycauset as pc
        cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=20, seed=1)
        for call in (cs.plot, cs.plot_abundances):
            try:
                call()
            except ImportError as e:
                print("IMPORTERROR", e)
            else:
                print("NO ERROR")
        # Bad arguments are still reported as such.
        try:
            pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=30, seed=1).plot(max_elements=10)
        except ValueError as e:
            print("VALUEERROR", e)
        """
    ))
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("IMPORTERROR")]
    assert len(lines) == 2, proc.stdout
    for ln in lines:
        assert 'pip install "pycauset[plot]"' in ln and "matplotlib" in ln
    assert "VALUEERROR the causal set has 30 elements" in proc.stdout
