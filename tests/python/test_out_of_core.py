"""Out-of-core linear algebra: operations past the memory budget run tiled (pread/pwrite
panels, an I/O thread) and must give NumPy's answers. Every test here uses a budget far
below the operands' size, so the out-of-core path runs on small matrices in seconds;
that the tiled path really ran is checked through the progress reports it makes.

Covered: matmul (odd and rectangular shapes, vectors, views, mixed dtypes, every BLAS
dtype), explicit inverse (pivoting-heavy, singular), solve (matrix and vector right-hand
sides), triangular inverse and solve (the causal-set propagator case I + aC), operands
in RAM / spill files / loaded .pycauset files, Ctrl-C (a real SIGINT in a child
process and an exception from the progress hook) leaving no temporaries and the inputs
intact, the progress bar and its knob, and peak anonymous memory within the budget.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import time

import numpy as np

import _sigint
import pytest

import pycauset as pc
from conftest import thread_ticks
import pycauset._progress as progress_mod

MiB = 1 << 20


@pytest.fixture
def budget(tmp_path, monkeypatch):
    """A 1 MiB budget, spill files under tmp_path, and a log of the progress reports."""
    gc.collect()
    old_limit = pc.get_memory_limit() if hasattr(pc, "get_memory_limit") else None
    pc.set_backing_dir(tmp_path)
    reports: list[tuple[str, float]] = []
    real = progress_mod.report

    def record(what, fraction):
        reports.append((what, fraction))
        real(what, fraction)

    monkeypatch.setattr(progress_mod, "report", record)
    pc.set_memory_limit(1 * MiB)
    yield reports
    gc.collect()
    if old_limit is not None:
        pc.set_memory_limit(old_limit)


def tiled(reports, what):
    """The operation reported progress from the tiled path, and finished."""
    fractions = [f for w, f in reports if w == what]
    assert fractions, f"{what} did not run out of core"
    assert fractions[-1] == 1.0
    return fractions


def spilled(x) -> bool:
    return x.storage.kind in ("spill", "file")


def rel_err(x, ref) -> float:
    return float(np.max(np.abs(np.asarray(x) - ref)) / max(1.0, np.max(np.abs(ref))))


RNG = np.random.default_rng(20261124)


def big(shape, dtype=np.float64):
    a = RNG.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * RNG.standard_normal(shape)
    return a.astype(dtype)


def well_conditioned(n, dtype=np.float64):
    return (big((n, n), dtype) / np.sqrt(n) + 2 * np.eye(n)).astype(dtype)


# ---- matmul ------------------------------------------------------------------------------------


@pytest.mark.parametrize("m,k,n", [(301, 517, 263), (517, 301, 700), (1, 900, 700), (700, 900, 1)])
def test_matmul_rectangular_odd_sizes(budget, m, k, n):
    a, b = big((m, k)), big((k, n))
    A, B = pc.matrix(a), pc.matrix(b)
    C = A @ B
    tiled(budget, "matmul")
    assert C.shape == (m, n)
    assert rel_err(pc.to_numpy(C), a @ b) < 1e-12


def test_matmul_vectors(budget):
    a, v, w = big((700, 650)), big(650), big(700)
    A, V, W = pc.matrix(a), pc.vector(v), pc.vector(w)
    x = A @ V
    assert x.shape == (700,) and rel_err(pc.to_numpy(x), a @ v) < 1e-12
    y = W @ A
    assert y.shape == (650,) and rel_err(pc.to_numpy(y), w @ a) < 1e-12
    tiled(budget, "matmul")


def test_matmul_views_and_mixed_dtypes(budget):
    a, b = big((600, 500)), big((600, 400), np.float32)
    A, B = pc.matrix(a), pc.matrix(b)
    C = A.T @ B  # a transposed (strided) operand and a float32 one
    tiled(budget, "matmul")
    assert C.dtype is pc.float64
    assert rel_err(pc.to_numpy(C), a.T @ b.astype(np.float64)) < 1e-12
    D = A[::2, 1:401] @ B[:400, ::2]
    assert rel_err(pc.to_numpy(D), a[::2, 1:401] @ b[:400, ::2].astype(np.float64)) < 1e-12


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-4), (np.complex64, 1e-4), (np.complex128, 1e-12)])
def test_matmul_dtypes(budget, dtype, tol):
    a, b = big((450, 470), dtype), big((470, 430), dtype)
    C = pc.matrix(a) @ pc.matrix(b)
    tiled(budget, "matmul")
    assert C.dtype.numpy == np.dtype(dtype)
    assert rel_err(pc.to_numpy(C), a.astype(np.complex128) @ b.astype(np.complex128)) < tol


def test_matmul_result_is_file_backed_and_loaded_operands(budget, tmp_path):
    a, b = big((640, 640)), big((640, 640))
    pc.set_memory_limit(1 << 30)
    pc.save(pc.matrix(a), tmp_path / "a.pycauset")
    pc.save(pc.matrix(b), tmp_path / "b.pycauset")
    pc.set_memory_limit(1 * MiB)
    A, B = pc.load(tmp_path / "a.pycauset"), pc.load(tmp_path / "b.pycauset")
    C = A @ B
    tiled(budget, "matmul")
    assert spilled(C)
    assert rel_err(pc.to_numpy(C), a @ b) < 1e-12
    # the inputs were only read
    assert np.array_equal(pc.to_numpy(pc.load(tmp_path / "a.pycauset")), a)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("m,k,n", [(900, 1500, 1300), (1300, 1100, 37), (37, 1500, 1400)])
def test_matmul_file_operands_larger_budget(budget, tmp_path, threads, m, k, n):
    """Files under a 16 MiB budget: tall panels, several k-blocks, a short first k-block
    (k > 512), C written by column blocks, the last panel's last step in row blocks each
    written and synced on its own; one thread (serial blocks) and two (pool)."""
    a, b = big((m, k)), big((k, n))
    pc.set_memory_limit(1 << 30)
    pc.save(pc.matrix(a), tmp_path / "a.pycauset")
    pc.save(pc.matrix(b), tmp_path / "b.pycauset")
    old = pc.get_num_threads()
    pc.set_num_threads(threads)
    try:
        pc.set_memory_limit(16 * MiB)
        A, B = pc.load(tmp_path / "a.pycauset"), pc.load(tmp_path / "b.pycauset")
        C = A @ B
        tiled(budget, "matmul")
        assert C.shape == (m, n)
        assert rel_err(pc.to_numpy(C), a @ b) < 1e-12
    finally:
        pc.set_num_threads(old)


def test_in_ram_path_when_it_fits(budget):
    pc.set_memory_limit(1 << 30)
    a = big((200, 200))
    C = pc.matrix(a) @ pc.matrix(a)
    assert not [w for w, _ in budget if w == "matmul"]
    assert rel_err(pc.to_numpy(C), a @ a) < 1e-12


# ---- inverse and solve ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 97, 613])
def test_inv_matches_numpy(budget, n):
    a = well_conditioned(n)
    X = pc.linalg.inv(pc.matrix(a))
    if n > 300:  # smaller ones fit the budget and run in RAM
        tiled(budget, "inv")
    assert rel_err(pc.to_numpy(X), np.linalg.inv(a)) < 1e-10


def test_inv_pivoting_heavy(budget):
    # Zero diagonal and rows that must be swapped across panel boundaries.
    n = 577
    perm = RNG.permutation(n)
    core = well_conditioned(n)
    a = core[perm]
    a[np.arange(n), np.arange(n)] = 0.0
    X = pc.linalg.inv(pc.matrix(a))
    tiled(budget, "inv")
    assert rel_err(pc.to_numpy(X), np.linalg.inv(a)) < 1e-9
    assert np.max(np.abs(a @ pc.to_numpy(X) - np.eye(n))) < 1e-9


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-3), (np.complex128, 1e-10), (np.complex64, 1e-3)])
def test_inv_dtypes(budget, dtype, tol):
    a = well_conditioned(333, dtype)
    X = pc.linalg.inv(pc.matrix(a))
    tiled(budget, "inv")
    assert rel_err(pc.to_numpy(X), np.linalg.inv(a.astype(np.complex128))) < tol


def test_inv_singular_raises_and_leaks_nothing(budget, tmp_path):
    a = big((500, 500))
    a[:, 300] = 0.0
    A = pc.matrix(a)
    before = pc.memory_info()["spill_files"]
    with pytest.raises(pc.linalg.LinAlgError, match="Singular matrix"):
        pc.linalg.inv(A)
    gc.collect()
    assert pc.memory_info()["spill_files"] == before
    assert np.array_equal(pc.to_numpy(A), a)


@pytest.mark.parametrize("k", [None, 1, 7, 300])
def test_solve(budget, k):
    n = 555
    a = well_conditioned(n)
    b = big(n) if k is None else big((n, k))
    x = pc.linalg.solve(pc.matrix(a), pc.vector(b) if k is None else pc.matrix(b))
    tiled(budget, "solve")
    assert x.shape == b.shape
    assert rel_err(pc.to_numpy(x), np.linalg.solve(a, b)) < 1e-10


def test_solve_many_rhs_in_chunks(budget):
    # The right-hand sides do not fit the budget together: solved in chunks.
    n = 300
    a, b = well_conditioned(n), big((n, 2000))
    x = pc.linalg.solve(pc.matrix(a), pc.matrix(b))
    tiled(budget, "solve")
    assert rel_err(pc.to_numpy(x), np.linalg.solve(a, b)) < 1e-10


# ---- triangular: the causal-set propagator case ----------------------------------------------------


def causal_upper(n, alpha=0.3):
    """I + alpha C with C a random strictly upper-triangular 0/1 matrix (a causal matrix)."""
    c = np.triu(RNG.random((n, n)) < 0.02, k=1).astype(np.float64)
    return np.eye(n) + alpha * c


@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("unit", [False, True])
@pytest.mark.parametrize("overwrite", [False, True])
def test_inv_triangular(budget, lower, unit, overwrite):
    n = 601
    m = causal_upper(n)
    if lower:
        m = m.T.copy()
    if not unit:
        m[np.diag_indices(n)] = 1.5 + RNG.random(n)
    junk = m + (np.triu(np.ones((n, n)), 1) if lower else np.tril(np.ones((n, n)), -1)) * 9.0
    A = pc.matrix(junk)
    X = pc.linalg.inv_triangular(A, lower=lower, unit_diagonal=unit, overwrite_a=overwrite)
    tiled(budget, "inv_triangular")
    ref = m.copy()
    if unit:
        ref[np.diag_indices(n)] = 1.0
    assert rel_err(pc.to_numpy(X), np.linalg.inv(ref)) < 1e-12
    assert X.properties["structure"] == ("lower_triangular" if lower else "upper_triangular")
    if overwrite:  # computed in a's own storage (no second file): a holds the result
        np.testing.assert_array_equal(pc.to_numpy(A), pc.to_numpy(X))


@pytest.mark.parametrize("lower", [False, True])
def test_solve_triangular(budget, lower):
    n = 601
    m = causal_upper(n)
    if lower:
        m = m.T.copy()
    b = big((n, 5))
    x = pc.linalg.solve_triangular(pc.matrix(m), pc.matrix(b), lower=lower)
    tiled(budget, "solve_triangular")
    assert rel_err(pc.to_numpy(x), np.linalg.solve(m, b)) < 1e-12


def test_structure_routes_triangular_inverse(budget):
    n = 500
    m = causal_upper(n)
    P = pc.matrix(m)
    P.properties["structure"] = "upper_triangular"
    X = pc.linalg.inv(P)
    tiled(budget, "inv_triangular")
    assert rel_err(pc.to_numpy(X), np.linalg.inv(m)) < 1e-12


def test_residual_of_sampled_columns(budget):
    # What the out-of-core tests do at sizes that do not fit: ||A X - I|| on a few columns.
    n = 800
    a = well_conditioned(n)
    A = pc.matrix(a)
    X = pc.linalg.inv(A)
    cols = RNG.choice(n, 8, replace=False)
    xs = np.stack([pc.to_numpy(X[:, int(c)]) for c in cols], axis=1)
    assert np.max(np.abs(a @ xs - np.eye(n)[:, cols])) < 1e-10


# ---- interruption ----------------------------------------------------------------------------------


def test_exception_from_progress_hook_abandons_cleanly(budget, monkeypatch, tmp_path):
    a = well_conditioned(700)
    A = pc.matrix(a)
    before = pc.memory_info()["spill_files"]

    def interrupt(what, fraction):
        if fraction > 0.3:
            raise KeyboardInterrupt

    monkeypatch.setattr(progress_mod, "report", interrupt)
    for op in (lambda: A @ A, lambda: pc.linalg.inv(A), lambda: pc.linalg.solve(A, A)):
        with pytest.raises(KeyboardInterrupt):
            op()
        gc.collect()
        assert pc.memory_info()["spill_files"] == before
    assert np.array_equal(pc.to_numpy(A), a)
    monkeypatch.undo()
    assert rel_err(pc.to_numpy(pc.linalg.inv(A)), np.linalg.inv(a)) < 1e-10


def test_sigint_mid_operation(tmp_path):
    """A real Ctrl-C: the operation raises KeyboardInterrupt, its spill files are gone and
    the input file is unchanged."""
    lines = _sigint.interrupted(
        str(tmp_path),
        setup="""
        a = np.random.default_rng(1).standard_normal((1500, 1500))
        pc.save(pc.matrix(a), d + "/a.pycauset")
        digest = hashlib.sha256(open(d + "/a.pycauset", "rb").read()).hexdigest()
        pc.set_memory_limit("2 MiB")
        A = pc.load(d + "/a.pycauset")
        """,
        call="pc.linalg.inv(A)",
        after='print("SAME", hashlib.sha256(open(d + "/a.pycauset", "rb").read()).hexdigest() == digest)',
    )
    assert "SAME True" in lines


# ---- progress bar ----------------------------------------------------------------------------------


def test_progress_bar_draws_when_enabled(budget, monkeypatch, capsys):
    monkeypatch.setattr(progress_mod, "_SHOW_AFTER", 0.0)
    monkeypatch.setattr(progress_mod, "_REDRAW_EVERY", 0.0)
    pc.set_progress(True)
    try:
        a = big((500, 500))
        pc.matrix(a) @ pc.matrix(a)
    finally:
        pc.set_progress(None)
    err = capsys.readouterr().err
    assert "pycauset matmul:" in err and "100.0%" in err


def test_progress_off_by_knob_and_when_not_a_terminal(budget, monkeypatch, capsys):
    monkeypatch.setattr(progress_mod, "_SHOW_AFTER", 0.0)
    pc.set_progress(False)
    try:
        assert pc.get_progress() is False
        a = big((500, 500))
        pc.matrix(a) @ pc.matrix(a)
    finally:
        pc.set_progress(None)
    assert "pycauset" not in capsys.readouterr().err
    assert pc.get_progress() is False  # pytest's stderr is not a terminal
    monkeypatch.setenv("PYCAUSET_PROGRESS", "0")
    assert pc.get_progress() is False
    with pytest.raises(TypeError, match="True, False or None"):
        pc.set_progress("yes")


# ---- memory ----------------------------------------------------------------------------------------


def test_peak_anonymous_memory_within_budget(tmp_path):
    """Matmul, inverse, a fused elementwise expression and a reduction over 1800 x 1800
    float64 files (26 MB each) under a 12 MiB budget: the process's anonymous memory
    (RssAnon) never grows past 1.15 x the budget."""
    script = textwrap.dedent(
        f"""
        import gc, threading, time
        import numpy as np, pycauset as pc
        d = {str(tmp_path)!r}
        pc.set_backing_dir(d)
        rng = np.random.default_rng(2)
        n = 1800
        pc.save(pc.matrix(rng.standard_normal((n, n)) / n**0.5 + 2 * np.eye(n)), d + "/a.pycauset")
        pc.save(pc.matrix(rng.standard_normal((n, n))), d + "/b.pycauset")
        x = pc.matrix(np.eye(300)); pc.linalg.inv(x); x @ x  # BLAS's own buffers exist now
        del x; gc.collect(); pc._core.release_cached_ram()
        def anon():
            for line in open("/proc/self/status"):
                if line.startswith("RssAnon"):
                    return int(line.split()[1]) * 1024
        budget = 12 << 20
        pc.set_memory_limit(budget)
        A, B = pc.load(d + "/a.pycauset"), pc.load(d + "/b.pycauset")
        ops = (("matmul", lambda: A @ B), ("inv", lambda: pc.linalg.inv(A)),
               ("expression", lambda: (A + 2 * B - A * B).eval()),
               ("sum", lambda: pc.vector([float(pc.sum(A + B))])))
        for name, op in ops:
            base = anon(); peak = [base]; stop = [False]
            def sample():
                while not stop[0]:
                    peak[0] = max(peak[0], anon()); time.sleep(0.002)
            t = threading.Thread(target=sample); t.start()
            r = op()
            stop[0] = True; t.join()
            print(name, (peak[0] - base) / budget, r.storage.kind if name != "sum" else "spill")
            del r; gc.collect(); pc._core.release_cached_ram()
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    for line in out.stdout.strip().split("\n"):
        name, ratio, kind = line.split()
        assert kind == "spill", line
        assert float(ratio) <= 1.15, line


# ---- saving a spilled result --------------------------------------------------------------------


def test_save_of_a_spilled_result_links_its_file(budget, tmp_path):
    """pc.save moves a spilled result into place (same inode, no copy); the saved file
    loads as the result, and later writes to the object never reach the file."""
    a = big((640, 640))
    C = pc.matrix(a) @ pc.matrix(a)
    assert C.storage.kind == "spill"
    spill = C.storage.path
    target = tmp_path / "c.pycauset"
    pc.save(C, target)
    assert os.stat(spill).st_ino == os.stat(target).st_ino
    want = a @ a
    assert rel_err(pc.to_numpy(pc.load(target)), want) < 1e-12
    C[3, 4] = 1e300
    assert float(C[3, 4]) == 1e300
    assert float(pc.load(target)[3, 4]) != 1e300
    # Saving it again (now copy-on-write) copies; both files stay valid.
    pc.save(C, tmp_path / "c2.pycauset")
    assert os.stat(tmp_path / "c2.pycauset").st_ino != os.stat(target).st_ino
    assert float(pc.load(tmp_path / "c2.pycauset")[3, 4]) == 1e300
    del C
    gc.collect()
    assert not os.path.exists(spill)
    assert rel_err(pc.to_numpy(pc.load(target)), want) < 1e-12


def test_save_of_a_spilled_view_copies(budget, tmp_path):
    a = big((640, 640))
    C = pc.matrix(a) @ pc.matrix(a)
    pc.save(C.T, tmp_path / "t.pycauset")
    assert os.stat(C.storage.path).st_ino != os.stat(tmp_path / "t.pycauset").st_ino
    assert rel_err(pc.to_numpy(pc.load(tmp_path / "t.pycauset")), (a @ a).T) < 1e-12


def test_integer_and_bit_products_of_files_past_the_budget(budget, tmp_path):
    """Integer and bit products are not tiled: they run their own kernels over the
    memory-mapped operands and spill the result. Still exact, still past the budget."""
    ints = RNG.integers(-50, 50, size=(400, 380))
    causal = np.triu(RNG.random((1100, 1100)) < 0.1, 1)
    pc.set_memory_limit(1 << 30)
    pc.save(pc.matrix(ints), tmp_path / "i.pycauset")
    pc.save(pc.matrix(causal), tmp_path / "c.pycauset")
    pc.set_memory_limit(1 * MiB)
    I = pc.load(tmp_path / "i.pycauset")
    C = pc.load(tmp_path / "c.pycauset")
    P = I @ I.T
    assert np.array_equal(pc.to_numpy(P), ints @ ints.T)
    K = C @ C
    assert K.storage.kind == "spill"
    assert np.array_equal(pc.to_numpy(K[:200, :]), (causal.astype(np.int64) @ causal)[:200, :])


# ---- threads under contention ------------------------------------------------------------------



@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_out_of_core_work_runs_on_pycauset_threads_not_blas_threads(tmp_path):
    """Under contention OpenBLAS's threads busy-wait on each other (a preempted share stalls the
    call while the others spin), so the tiled routines run BLAS single-threaded and split the
    large updates over pycauset's pool, whose idle threads sleep. Mechanism check: with two
    threads, every CPU tick of an out-of-core inverse is spent by the calling thread, the pool
    ("pycauset-pool") or the I/O threads, none by BLAS's own worker threads."""
    pc.set_num_threads(2)
    n = 1000
    a = well_conditioned(n)
    pc.save(pc.matrix(a), tmp_path / "a.pycauset")
    A = pc.load(tmp_path / "a.pycauset")  # file-backed: the whole budget is left for panels
    w = pc.matrix(big((400, 400)))
    pc.to_numpy(w @ w)  # in RAM: BLAS runs its two threads, so they exist
    time.sleep(0.5)  # past OpenBLAS's spin-before-sleep of idle workers
    pc.set_backing_dir(tmp_path)
    old = pc.get_memory_limit()
    pc.set_memory_limit(4 * MiB)
    try:
        before = thread_ticks()
        X = pc.linalg.inv(A)
        after = thread_ticks()
    finally:
        pc.set_memory_limit(old)
    assert spilled(X)
    main = os.getpid()
    spent = {tid: ticks - before.get(tid, (name, 0))[1] for tid, (name, ticks) in after.items()}
    foreign = sum(t for tid, t in spent.items() if tid != main and not after[tid][0].startswith("pycauset-"))
    total = sum(spent.values())
    assert total >= 5, "the inverse was too quick to measure"
    assert foreign <= max(2, total // 20), (foreign, total, {after[t][0]: s for t, s in spent.items() if s})
    assert rel_err(pc.to_numpy(X), np.linalg.inv(a)) < 1e-10


@pytest.mark.parametrize("threads", [1, 2])
def test_inv_and_solve_with_wide_panels(tmp_path, threads):
    """An 8 MiB budget at N = 1400 gives panels of about 170 columns, wider than what getrf
    factors directly (128): the panel LU recurses, with its updates on the pool."""
    pc.set_num_threads(threads)
    n = 1400
    rng = np.random.default_rng(11)
    a = rng.standard_normal((n, n)) / np.sqrt(n) + 2 * np.eye(n)[rng.permutation(n)]
    b = rng.standard_normal((n, 3))
    pc.save(pc.matrix(a), tmp_path / "a.pycauset")
    A, B = pc.load(tmp_path / "a.pycauset"), pc.matrix(b)  # A file-backed: the budget is for panels
    pc.set_backing_dir(tmp_path)
    old = pc.get_memory_limit()
    pc.set_memory_limit(8 * MiB)
    try:
        X = pc.linalg.inv(A)
        Y = pc.linalg.solve(A, B)
        assert spilled(X)
        x = pc.to_numpy(X, allow_huge=True)
        y = pc.to_numpy(Y, allow_huge=True)
        singular = a.copy()
        # Row 956 of A is column 956 of the G = A^T that is factored: its pivot is an exact
        # zero, in the second half of the panel of columns [860, 1032).
        singular[956, :] = 0.0
        pc.save(pc.matrix(singular), tmp_path / "s.pycauset")
        with pytest.raises(pc.linalg.LinAlgError, match="Singular matrix"):
            pc.linalg.inv(pc.load(tmp_path / "s.pycauset"))
    finally:
        pc.set_memory_limit(old)
    assert rel_err(x, np.linalg.inv(a)) < 1e-12
    assert rel_err(y, np.linalg.solve(a, b)) < 1e-12
