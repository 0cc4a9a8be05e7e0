"""Fields on causal sets: propagators, the Benincasa-Dowker d'Alembertian, Pauli-Jordan,
its real-arithmetic spectrum (pc.linalg.eigh_antisymmetric), the SJ vacuum and
entanglement entropy.

Every check is against an independent reference: NumPy (eigvalsh of the complex
Hermitian matrix, products, the causal relation recomputed from coordinates),
exact identities, or a continuum formula (J_0 by its power series; the largest
eigenvalue of i Delta in a 2-d diamond derived in docs/fields.md). Sizes are
small; the statistical bands are stated next to each check.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import pycauset as pc

DIAMOND2 = pc.spacetime.MinkowskiDiamond(dim=2)
DIAMOND4 = pc.spacetime.MinkowskiDiamond(dim=4)


def j0(z):
    """Bessel J_0 by its power series (|z| <= 10 here: 60 terms are far past convergence)."""
    z = np.asarray(z, dtype=np.float64)
    term = np.ones_like(z)
    out = term.copy()
    for k in range(1, 60):
        term = term * (-(z / 2) ** 2) / (k * k)
        out += term
    return out


def first_root_tan_2x():
    """The first positive root of tan x = 2 x, by bisection on (1, 1.4)."""
    lo, hi = 1.0, 1.4
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if math.tan(mid) < 2 * mid else (lo, mid)
    return (lo + hi) / 2


def related_from_coordinates(cs):
    """rel[x, y] = y precedes x, recomputed from the coordinates (2-d)."""
    X = np.asarray(cs.coordinates)
    dt = X[:, None, 0] - X[None, :, 0]
    dx = X[:, None, 1] - X[None, :, 1]
    tau2 = dt * dt - dx * dx
    rel = (dt > 0) & (tau2 >= 0)
    return rel, tau2


@pytest.fixture(scope="module")
def cs2():
    return pc.sprinkle(DIAMOND2, n=400, seed=17)


# ---------------------------------------------------------------- propagators


def test_massless_2d_is_half_theta_tau_squared(cs2):
    K = cs2.retarded_propagator()
    rel, _ = related_from_coordinates(cs2)
    assert np.array_equal(np.asarray(K), 0.5 * rel)
    assert K.dtype == pc.float64
    assert K.properties["structure"] == "strictly_lower_triangular"


def test_massless_4d_is_scaled_link_matrix():
    cs = pc.sprinkle(DIAMOND4, n=300, seed=3)
    K = np.asarray(cs.retarded_propagator())
    L = np.asarray(cs.link_matrix).astype(np.float64)
    scale = math.sqrt(cs.density / 6) / (2 * math.pi)
    np.testing.assert_allclose(K, scale * L.T, rtol=1e-15, atol=0)


@pytest.mark.parametrize("region,m", [(DIAMOND2, 3.0), (DIAMOND4, 2.0)])
def test_massive_identity_to_round_off(region, m):
    cs = pc.sprinkle(region, n=300, seed=5)
    K0 = np.asarray(cs.retarded_propagator())
    Km_obj = cs.retarded_propagator(mass=m)
    Km = np.asarray(Km_obj)
    a = m * m / cs.density
    # K_m - K_0 + (m^2/rho) K_0 K_m = 0, and K_m = K_0 (I + a K_0)^-1 by NumPy
    resid = Km - K0 + a * (K0 @ Km)
    assert np.abs(resid).max() < 1e-13 * max(1.0, np.abs(K0).max())
    ref = K0 @ np.linalg.inv(np.eye(len(cs)) + a * K0)
    np.testing.assert_allclose(Km, ref, rtol=0, atol=1e-12 * np.abs(ref).max())
    assert Km_obj.properties["structure"] == "strictly_lower_triangular"
    assert not np.signbit(Km[np.triu_indices(len(cs))]).any()  # +0.0 above and on the diagonal


def test_massive_2d_mean_follows_half_j0():
    # Binned mean of K_m over related pairs against J_0(m tau)/2 averaged over the
    # same pairs, in bins of width 0.1 up to tau = 0.7. Each bin holds >= 2000 pairs, but the pairs are correlated
    # (one sprinkling); at N = 1000 the bins agree within 0.01 for seeds 1, 2 and 11 (finite-rho
    # corrections grow with tau). Band 0.04, against values of order 0.1-0.5.
    cs = pc.sprinkle(DIAMOND2, n=1000, seed=11)
    m = 3.0
    Km = np.asarray(cs.retarded_propagator(mass=m))
    rel, tau2 = related_from_coordinates(cs)
    tau = np.sqrt(np.where(rel, tau2, 0.0))
    assert np.all(Km[~rel] == 0)  # retarded: supported on the causal past
    for lo in np.arange(0.0, 0.7, 0.1):
        sel = rel & (tau >= lo) & (tau < lo + 0.1)
        assert sel.sum() > 2000
        assert abs(Km[sel].mean() - 0.5 * j0(m * tau[sel]).mean()) < 0.04


def test_massive_out_of_core_matches_in_ram(spill_env):
    pc.set_memory_limit(None)
    cs = pc.sprinkle(DIAMOND2, n=1100, seed=2)
    ref = np.asarray(cs.retarded_propagator(mass=2.0))
    pc.set_memory_limit("8 MiB")  # the 1100 x 1100 float64 inverse (9.7 MB) is out of core
    K = cs.retarded_propagator(mass=2.0)
    np.testing.assert_allclose(pc.to_numpy(K, allow_huge=True), ref, rtol=0, atol=1e-12)
    assert K.properties["structure"] == "strictly_lower_triangular"


def test_propagator_errors(cs2):
    with pytest.raises(NotImplementedError, match="d = 3"):
        pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=3), n=20, seed=1).retarded_propagator()
    with pytest.raises(NotImplementedError, match="d = 5"):
        pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=5), n=20, seed=1).retarded_propagator()
    with pytest.raises(ValueError, match="mass"):
        cs2.retarded_propagator(mass=-1.0)
    with pytest.raises(ValueError, match="mass"):
        cs2.retarded_propagator(mass=float("nan"))
    bare = pc.causet(np.triu(np.ones((4, 4), dtype=bool), 1))
    with pytest.raises(ValueError, match="dim"):
        bare.retarded_propagator()
    np.testing.assert_array_equal(np.asarray(bare.retarded_propagator(dim=2)), 0.5 * np.tril(np.ones((4, 4)), -1))
    with pytest.raises(ValueError, match="density"):
        bare.retarded_propagator(mass=1.0, dim=2)
    assert bare.retarded_propagator(mass=1.0, dim=2, density=4.0).shape == (4, 4)


# ---------------------------------------------------------------- d'Alembertian


@pytest.mark.parametrize("dim", [2, 3, 4])
@pytest.mark.parametrize("epsilon", [None, 0.3])
def test_action_is_minus_sum_of_operator_on_one(dim, epsilon):
    # S = -rho^(-2/d) sum_x (B 1)(x), with the same epsilon.
    cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=dim), n=150, seed=dim)
    B = cs.dalembertian(epsilon=epsilon)
    assert B.properties["structure"] == "lower_triangular"
    S = -np.asarray(B).sum() / cs.density ** (2 / dim)
    assert S == pytest.approx(cs.action(epsilon=epsilon), rel=1e-10, abs=1e-9)


def test_operator_entries_against_interval_sizes():
    # B[x, y] from brute-force interval sizes and the 2-d coefficients (-2, 4; 1, -2, 1).
    cs = pc.sprinkle(DIAMOND2, n=60, seed=9)
    C = np.asarray(cs.causal_matrix).astype(np.int64)
    between = C @ C
    rho = cs.density
    ref = np.zeros((60, 60))
    for x in range(60):
        ref[x, x] = -2 * rho
        for y in range(x):
            if C[y, x]:
                ref[x, y] = 4 * rho * {0: 1, 1: -2, 2: 1}.get(int(between[y, x]), 0)
    np.testing.assert_allclose(np.asarray(cs.dalembertian()), ref, rtol=1e-14)


def test_smeared_operator_on_quadratic_field_in_the_bulk():
    # phi_x(y) = tau^2(x, y) = (t_x - t_y)^2 - (x_x - x_y)^2, a quadratic field
    # centred at x, has box phi = (-d_t^2 + d_x^2) phi = -4 everywhere and is
    # small on the past light cone, where B's layers lie (fields that grow
    # along the cone make the unsmeared operator's fluctuations of order N).
    # Averaged over the ~300 elements of the central quarter of a
    # 2-d diamond (N = 1200, epsilon = 0.2) the mean is -4.4 with a standard
    # error of about 0.3; the band (+-1.5) allows for that and for the
    # finite-epsilon bias.
    cs = pc.sprinkle(DIAMOND2, n=1200, seed=11)
    B = np.asarray(cs.dalembertian(epsilon=0.2))
    rel, tau2 = related_from_coordinates(cs)
    X = np.asarray(cs.coordinates)
    bulk = np.flatnonzero(np.abs(X[:, 0]) + np.abs(X[:, 1]) < 0.25)
    assert len(bulk) > 200
    values = [(B[x] * np.where(rel[x], tau2[x], 0.0)).sum() for x in bulk]
    assert np.mean(values) == pytest.approx(-4.0, abs=1.5)


def test_dalembertian_past_the_memory_budget(spill_env):
    pc.set_memory_limit(None)
    cs = pc.sprinkle(DIAMOND2, n=700, seed=6)
    ref = np.asarray(cs.dalembertian(epsilon=0.5))
    pc.set_memory_limit("1 MiB")  # B (3.9 MB) and the blocks' products are spill files
    B = cs.dalembertian(epsilon=0.5)
    np.testing.assert_array_equal(pc.to_numpy(B, allow_huge=True), ref)


def test_dalembertian_errors(cs2):
    with pytest.raises(ValueError, match="epsilon"):
        cs2.dalembertian(epsilon=1.5)
    with pytest.raises(ValueError, match="dim"):
        cs2.dalembertian(dim=7)


# ---------------------------------------------------------------- Pauli-Jordan and spectra


def test_pauli_jordan_is_antisymmetric_and_spectrum_pairs(cs2):
    D = cs2.pauli_jordan()
    assert D.properties["structure"] == "antisymmetric"
    d = np.asarray(D)
    K = np.asarray(cs2.retarded_propagator())
    assert np.array_equal(d, K - K.T)
    iD = 1j * d
    assert np.array_equal(iD, iD.conj().T)  # Hermitian, exactly
    lam = np.asarray(cs2.pauli_jordan_spectrum())
    assert np.array_equal(lam, -lam[::-1])  # exact +- pairs
    assert np.all(np.diff(lam) >= 0)
    # sum lambda^2 = tr((i Delta)^2) = sum Delta_xy^2 = R / 2 in 2-d
    assert np.sum(lam ** 2) == pytest.approx(cs2.relations / 2, rel=1e-12)
    ref = np.linalg.eigvalsh(iD)
    np.testing.assert_allclose(lam, ref, rtol=0, atol=1e-12 * np.abs(ref).max())


def test_spectrum_eigenvectors_and_massive(cs2):
    w, V = cs2.pauli_jordan_spectrum(mass=2.0, eigenvectors=True)
    w, V = np.asarray(w), np.asarray(V)
    iD = 1j * np.asarray(cs2.pauli_jordan(mass=2.0))
    scale = np.abs(w).max()
    assert np.abs(iD @ V - V * w).max() < 1e-11 * scale
    assert np.abs(V.conj().T @ V - np.eye(len(w))).max() < 1e-11
    np.testing.assert_allclose(w, np.linalg.eigvalsh(iD), rtol=0, atol=1e-12 * scale)


def test_largest_eigenvalue_2d_against_continuum():
    # lambda_max ~ N / (4 x_1), x_1 = 1.16556 the first root of tan x = 2x
    # (docs/fields.md). Measured 0.989-1.017 of it at N = 800 (three seeds); band 15%.
    x1 = first_root_tan_2x()
    assert x1 == pytest.approx(1.1655611852, abs=1e-9)
    n = 800
    lam = np.asarray(pc.sprinkle(DIAMOND2, n=n, seed=23).pauli_jordan_spectrum())
    assert lam[-1] == pytest.approx(n / (4 * x1), rel=0.15)


# n >= 128: the eigenvalues alone come from the two-stage reduction (band, then
# bulge chasing), the eigenvectors from the one-stage one; both are compared.
@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 9, 31, 32, 33, 64, 65, 127, 128, 129, 130, 161, 300])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_eigh_antisymmetric_against_numpy(n, dtype, rng):
    X = rng.standard_normal((n, n))
    A = (np.tril(X, -1) - np.tril(X, -1).T).astype(dtype)
    w, V = pc.linalg.eigh_antisymmetric(A, eigenvectors=True)
    w, V = np.asarray(w), np.asarray(V)
    assert w.dtype == dtype and V.dtype == (np.complex64 if dtype == np.float32 else np.complex128)
    assert w.shape == (n,) and V.shape == (n, n)
    if n == 0:
        return
    tol = (1e-4 if dtype == np.float32 else 1e-12) * max(1.0, np.abs(A).max() * n)
    ref = np.linalg.eigvalsh(1j * A.astype(np.float64))
    np.testing.assert_allclose(w, ref, rtol=0, atol=tol)
    assert np.array_equal(w, -w[::-1])
    if n % 2:
        assert w[n // 2] == 0
    A64 = A.astype(np.float64)
    assert np.abs(1j * A64 @ V - V * w).max() < tol
    assert np.abs(V.conj().T @ V - np.eye(n)).max() < (1e-4 if dtype == np.float32 else 1e-12) * n
    # values only (dqds) agree with the values computed alongside the vectors (implicit QR)
    values = np.asarray(pc.linalg.eigh_antisymmetric(A))
    assert np.array_equal(values, -values[::-1])
    np.testing.assert_allclose(values, w, rtol=0, atol=tol)


def _block_antisymmetric(rng, sizes):
    blocks = []
    for k in sizes:
        X = rng.standard_normal((k, k))
        blocks.append(np.tril(X, -1) - np.tril(X, -1).T)
    n = sum(sizes)
    A = np.zeros((n, n))
    at = 0
    for blk in blocks:
        A[at:at + len(blk), at:at + len(blk)] = blk
        at += len(blk)
    return A


@pytest.mark.parametrize("kind", ["zero", "blocks", "tridiagonal", "banded", "causet", "graded"])
def test_eigh_antisymmetric_two_stage_special_matrices(kind, rng):
    # Zero columns (reflections with tau = 0), exact zeros in and outside the
    # band, a matrix already reduced, a causal set's Pauli-Jordan matrix and
    # entries over 12 orders of magnitude, each against NumPy's complex route.
    n = 403
    if kind == "zero":
        A = np.zeros((n, n))
    elif kind == "blocks":
        A = _block_antisymmetric(rng, [1, 40, 3, 150, 1, 208])
    elif kind == "tridiagonal":
        A = np.diag(rng.standard_normal(n - 1), -1)
        A = A - A.T
    elif kind == "banded":
        X = np.tril(rng.standard_normal((n, n)), -1) * (np.subtract.outer(np.arange(n), np.arange(n)) <= 50)
        A = X - X.T
    elif kind == "causet":
        A = pc.to_numpy(pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=n, seed=5).pauli_jordan())
    else:
        X = np.tril(rng.standard_normal((n, n)), -1) * np.logspace(-6, 6, n)[:, None]
        A = X - X.T
    w = np.asarray(pc.linalg.eigh_antisymmetric(A))
    ref = np.linalg.eigvalsh(1j * A)
    scale = max(np.abs(ref).max(), 1e-300)
    assert np.abs(w - ref).max() <= 1e-12 * scale * 10
    assert np.array_equal(w, -w[::-1])
    if kind == "zero":
        assert not w.any()


def test_eigh_antisymmetric_reads_only_the_strict_lower_triangle(rng):
    X = rng.standard_normal((20, 20))
    A = np.tril(X, -1) - np.tril(X, -1).T
    junk = A + np.triu(rng.standard_normal((20, 20)))  # garbage on and above the diagonal
    np.testing.assert_array_equal(np.asarray(pc.linalg.eigh_antisymmetric(junk)),
                                  np.asarray(pc.linalg.eigh_antisymmetric(A)))


def test_eigh_antisymmetric_errors():
    with pytest.raises(TypeError, match="real antisymmetric"):
        pc.linalg.eigh_antisymmetric(np.zeros((3, 3), dtype=complex))
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        pc.linalg.eigh_antisymmetric(np.zeros((3, 4)))
    with pytest.raises(np.linalg.LinAlgError):
        pc.linalg.eigh_antisymmetric(np.zeros(3))


# ---------------------------------------------------------------- SJ vacuum and entropy


def test_sj_wightman_identities(cs2):
    W = np.asarray(cs2.sj_wightman())
    iD = 1j * np.asarray(cs2.pauli_jordan())
    scale = np.abs(iD).max() * len(W)
    assert np.abs(W - W.conj().T).max() < 1e-12 * scale          # Hermitian
    assert np.abs(W - W.conj() - iD).max() < 1e-12 * scale        # W - conj(W) = i Delta
    assert np.abs(W @ W.conj()).max() < 1e-10 * scale ** 2 / len(W)  # W conj(W) = 0
    assert np.linalg.eigvalsh(W).min() > -1e-10 * scale            # positive semidefinite


def test_sj_wightman_truncation(cs2):
    n = len(cs2)
    lam = np.asarray(cs2.pauli_jordan_spectrum())
    W = np.asarray(cs2.sj_wightman(cutoff="sorkin_yazdi"))
    ev = np.linalg.eigvalsh(W)
    kept = lam[lam > math.sqrt(n) / (4 * math.pi)]
    # the non-zero spectrum of W is exactly the kept eigenvalues
    np.testing.assert_allclose(np.sort(ev)[-len(kept):], kept, rtol=1e-10)
    assert np.abs(np.sort(ev)[: n - len(kept)]).max() < 1e-10 * lam.max()
    assert np.linalg.eigvalsh(W).min() > -1e-10 * lam.max()
    with pytest.raises(ValueError, match="cutoff"):
        cs2.sj_wightman(cutoff="other")
    with pytest.raises(ValueError, match="cutoff"):
        cs2.sj_wightman(cutoff=-1.0)


@pytest.mark.parametrize("truncation", ["sorkin_yazdi", None])
def test_entropy_of_whole_set_is_zero(truncation):
    cs = pc.sprinkle(DIAMOND2, n=200, seed=4)
    S = cs.entanglement_entropy(np.ones(200, dtype=bool), truncation=truncation)
    assert abs(S) < 1e-8


def test_entropy_mu_pairs_and_subdiamond():
    from pycauset import _fields

    cs = pc.sprinkle(DIAMOND2, n=300, seed=8)
    sub = pc.spacetime.MinkowskiDiamond(dim=2, height=0.5)
    mask = np.asarray(sub.contains(np.asarray(cs.coordinates)), dtype=bool)
    assert 40 < mask.sum() < 120
    # Untruncated, W_R - conj(W_R) = i Delta_R exactly, so the mu come in
    # (mu, 1 - mu) pairs: the sorted list and its mirror image 1 - mu agree.
    mu = _fields.sj_generalised_eigenvalues(cs, mask, None)
    assert mu.size > 2
    np.testing.assert_allclose(np.sort(mu), np.sort(1 - mu), atol=1e-7)
    assert cs.entanglement_entropy(mask, truncation=None) > 0
    mu = _fields.sj_generalised_eigenvalues(cs, mask, "sorkin_yazdi")
    S = cs.entanglement_entropy(sub)
    ref = sum(m * math.log(abs(m)) for m in mu if m != 0)
    assert S == pytest.approx(ref, rel=1e-12)
    assert math.isfinite(S)  # its sign needs N in the thousands (the truncation is asymptotic)
    assert cs.entanglement_entropy(mask) == pytest.approx(S, rel=1e-12)


def test_entropy_errors(cs2):
    with pytest.raises(ValueError, match="shape"):
        cs2.entanglement_entropy(np.ones(3, dtype=bool))
    with pytest.raises(TypeError, match="boolean"):
        cs2.entanglement_entropy(np.ones(len(cs2)))
    with pytest.raises(ValueError, match="truncation"):
        cs2.entanglement_entropy(np.ones(len(cs2), dtype=bool), truncation="double")


def test_example_sj_spectrum_runs(tmp_path, capsys):
    import runpy
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "sj_spectrum.py"
    mod = runpy.run_path(str(path))
    # roots of tan x = 2x (each checked: tan x - 2x < 1e-8 there)
    assert mod["tan_2x_roots"](3) == pytest.approx([1.1655611852, 4.6042167772, 7.7898837511], abs=1e-8)
    mod["main"](200, str(tmp_path / "sj.png"))
    out = capsys.readouterr().out
    assert "positive eigenvalues" in out


@pytest.mark.parametrize("what,call", [
    ("eigh_antisymmetric", "pc.linalg.eigh_antisymmetric(A)"),
    ("dalembertian", "cs.dalembertian()"),
])
def test_ctrl_c_stops_long_steps(tmp_path, what, call):
    # A real SIGINT 0.05 s after the first progress report of the step: the
    # call raises KeyboardInterrupt before it reports completion (so inside
    # the step, not after it) and leaves no spill file behind.
    from _sigint import interrupted

    setup = """
        pc.set_progress(True)
        rng = np.random.default_rng(0)
        X = rng.standard_normal((3000, 3000))
        A = pc.matrix(np.tril(X, -1) - np.tril(X, -1).T)
        cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=6000, seed=1)
        import pycauset._fields as f
        f._BLOCK_BYTES = 1 << 20
        fractions = []
        inner = p.report
        def recording(w, fraction):
            fractions.append(fraction)
            inner(w, fraction)
        p.report = recording
    """
    lines = interrupted(str(tmp_path), setup, call, what, after="print('MAX', max(fractions))")
    top = float(next(line for line in lines if line.startswith("MAX")).split()[1])
    assert top < 1.0


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_eigh_antisymmetric_threaded_matvec(threads, rng):
    # n >= 512 splits the trailing matrix-vector product of the one-stage
    # reduction (the one the eigenvectors need) between threads.
    n = 700
    X = rng.standard_normal((n, n))
    A = np.tril(X, -1) - np.tril(X, -1).T
    pc.set_num_threads(threads)
    w, _ = pc.linalg.eigh_antisymmetric(A, eigenvectors=True)
    w = np.asarray(w)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(1j * A), rtol=0, atol=1e-11 * np.abs(w).max())
