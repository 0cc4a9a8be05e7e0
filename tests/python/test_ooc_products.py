"""Out-of-core products of every dtype: bit @ bit (AND + popcount counts), exact integer
products, and matrix-vector / vector-matrix products of every dtype, past tiny memory
budgets, against NumPy (exact integer arithmetic in NumPy or Python ints as the oracle).

That the tiled path really ran is checked through its progress reports ("matmul", ending
at 1.0) and the spilled result. Also: overflow detected past the budget exactly where it
is in RAM, views and transposes as operands, operands in loaded .pycauset files, bit
rows that are not a multiple of 64, strictly upper-triangular operands (whose zero tiles
are skipped), elementwise expressions and reductions on spilled operands, each kernel
set (PYCAUSET_KERNELS) against a brute-force oracle, peak anonymous memory in a child
process, and a real SIGINT during an out-of-core bit product.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap

import numpy as np

import _sigint
import pytest

import pycauset as pc
import pycauset._progress as progress_mod
from pycauset import _core

KiB = 1 << 10
MiB = 1 << 20
RNG = np.random.default_rng(20261206)


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """Spill files under tmp_path, a log of progress reports, and a function that sets
    a budget (restored afterwards)."""
    gc.collect()
    old_limit = pc.get_memory_limit()
    pc.set_backing_dir(tmp_path)
    reports: list[tuple[str, float]] = []
    real = progress_mod.report

    def record(what, fraction):
        reports.append((what, fraction))
        real(what, fraction)

    monkeypatch.setattr(progress_mod, "report", record)

    class Budget:
        log = reports

        @staticmethod
        def set(nbytes: int) -> None:
            gc.collect()
            pc.set_memory_limit(nbytes)

        @staticmethod
        def lift() -> None:
            pc.set_memory_limit(old_limit)

    yield Budget
    gc.collect()
    pc.set_memory_limit(old_limit)


def tiled(budget, product):
    """Runs product() under the current budget; asserts that the tiled path reported."""
    budget.log.clear()
    out = product()
    fractions = [f for w, f in budget.log if w == "matmul"]
    assert fractions and fractions[-1] == 1.0, "the product did not run out of core"
    return out


def arr(x) -> np.ndarray:
    return pc.to_numpy(x, allow_huge=True)


def bits(shape, density=0.3) -> np.ndarray:
    return RNG.random(shape) < density


def counts(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The oracle for bit @ bit: NumPy's matmul of the 0/1 values in float64 (exact:
    counts stay far below 2**53), as int32."""
    return (a.astype(np.float64) @ b.astype(np.float64)).astype(np.int32)


# ---- bit @ bit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n,k,m", [(300, 517, 263), (129, 64, 130), (1, 900, 700), (700, 900, 1), (65, 1, 63)])
def test_bit_products_past_the_budget(tiny, n, k, m):
    a, b = bits((n, k)), bits((k, m), 0.2)
    A, B = pc.matrix(a), pc.matrix(b)
    tiny.set(max(8 * KiB, n * m * 4 // 2))  # below the result's size
    C = tiled(tiny, lambda: A @ B)
    assert C.dtype is pc.int32 and C.shape == (n, m)
    assert np.array_equal(arr(C), counts(a, b))
    # transposes are views: (A B)^T = B^T A^T, B^T is then the row-major A
    CT = tiled(tiny, lambda: B.T @ A.T)
    assert np.array_equal(arr(CT), counts(a, b).T)


def test_bit_transpose_spills_and_is_read_in_panels(tiny):
    """B^T (1500 x 1500 bits, 288 KB) does not fit a 160 KiB budget: it is made in a
    spill file and read back in panels while A comes in panels too."""
    a, b = bits((1100, 1500)), bits((1500, 1500), 0.1)
    A, B = pc.matrix(a), pc.matrix(b)
    tiny.set(160 * KiB)
    C = tiled(tiny, lambda: A @ B)
    assert C.storage.kind == "spill"
    assert np.array_equal(arr(C), counts(a, b))


def test_bit_views_and_slices(tiny):
    a, b = bits((400, 333)), bits((500, 410), 0.4)
    A, B = pc.matrix(a), pc.matrix(b)
    tiny.set(128 * KiB)
    # column slices start mid-word; a step-2 row slice and a transposed slice
    X = A[:, 5:300]
    Y = B[3:298, 7:400:3]
    assert np.array_equal(arr(tiled(tiny, lambda: X @ Y)), counts(a[:, 5:300], b[3:298, 7:400:3]))
    Z = B[::2, :333].T  # 333 x 250, a transposed strided view
    assert np.array_equal(arr(tiled(tiny, lambda: Z @ B[:250, :])), counts(b[::2, :333].T, b[:250, :]))


def test_bit_matrix_vector_and_vector_matrix(tiny):
    a, v, w = bits((900, 777)), bits(777, 0.5), bits(900, 0.5)
    A, V, W = pc.matrix(a), pc.vector(v), pc.vector(w)
    tiny.set(64 * KiB)
    Av = tiled(tiny, lambda: A @ V)
    assert Av.shape == (900,) and np.array_equal(arr(Av), counts(a, v[:, None])[:, 0])
    wA = tiled(tiny, lambda: W @ A)
    assert wA.shape == (777,) and np.array_equal(arr(wA), counts(w[None, :], a)[0])
    # 1-D @ 1-D stays a scalar count
    assert V @ V == int(np.count_nonzero(v))


def test_bit_strictly_upper_operands_skip_zero_tiles_and_stay_exact(tiny):
    """Causal matrices: the lower half of C @ C is never computed or written (the spill
    result starts zeroed), and the counts match NumPy."""
    n = 1300
    c = np.triu(bits((n, n), 0.08), 1)
    C = pc.matrix(c)
    tiny.set(200 * KiB)
    P = tiled(tiny, lambda: C @ C)
    assert np.array_equal(arr(P), counts(c, c))
    assert not np.any(np.tril(arr(P)))


@pytest.mark.parametrize("structure, part", [
    ("strictly_upper_triangular", lambda x: np.triu(x, 1)), ("upper_triangular", np.triu),
    ("lower_triangular", np.tril), ("strictly_lower_triangular", lambda x: np.tril(x, -1)),
    ("diagonal", lambda x: np.diag(np.diag(x)))])
def test_bit_products_of_marked_triangular_operands(tiny, structure, part):
    """With structure marks the tiled product bounds each tile's columns by the
    diagonal before looking at the data; the counts match NumPy and the result
    carries the product's mark."""
    c = part(bits((700, 700), 0.1))
    C = pc.matrix(c)
    C.properties["structure"] = structure
    tiny.set(64 * KiB)
    P = tiled(tiny, lambda: C @ C)
    assert np.array_equal(arr(P), counts(c, c))
    assert P.properties["structure"] == structure


def test_bit_operands_in_files(tiny, tmp_path):
    a, b = bits((520, 700)), bits((700, 330))
    pc.save(pc.matrix(a), tmp_path / "a.pycauset")
    pc.save(pc.matrix(b), tmp_path / "b.pycauset")
    A, B = pc.load(tmp_path / "a.pycauset"), pc.load(tmp_path / "b.pycauset")
    tiny.set(96 * KiB)
    assert np.array_equal(arr(tiled(tiny, lambda: A @ B)), counts(a, b))
    # a file-backed transposed operand is used as B^T directly
    assert np.array_equal(arr(tiled(tiny, lambda: B.T @ A.T)), counts(a, b).T)


def test_bit_product_int64_counts(tiny):
    a, b = bits((70, 200)), bits((200, 90))
    A, B = pc.matrix(a), pc.matrix(b)
    tiny.set(16 * KiB)
    h = tiled(tiny, lambda: _core.matmul(A._h, B._h, _core.DType.int64))
    assert np.array_equal(pc.to_numpy(pc.Matrix._wrap(h), allow_huge=True), counts(a, b).astype(np.int64))


def test_bit_product_dtype_lives_in_the_core():
    assert _core.linalg.bit_product_dtype(10) == _core.DType.int32
    assert _core.linalg.bit_product_dtype(2**31 - 1) == _core.DType.int32
    assert _core.linalg.bit_product_dtype(2**31) == _core.DType.int64
    A = pc.matrix(bits((3, 4)))
    with pytest.raises(TypeError, match=r"bit @ bit gives int32 counts \(int64 when the inner dimension"):
        _core.matmul(A._h, A.T._h, _core.DType.float64)
    with pytest.raises(TypeError, match=r"matmul into a bit result is not supported; bit @ bit gives int32 counts"):
        _core.matmul(A._h, A.T._h, _core.DType.bit)


# ---- integers --------------------------------------------------------------------------------------

INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


def small_ints(shape, dtype):
    info = np.iinfo(dtype)
    lo = 0 if info.min == 0 else -6
    return RNG.integers(lo, 7, shape).astype(dtype)


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda d: np.dtype(d).name)
def test_integer_products_past_the_budget(tiny, dtype):
    n, k, m = 157, 211, 95
    a, b = small_ints((n, k), dtype), small_ints((k, m), dtype)
    v, w = small_ints(k, dtype), small_ints(n, dtype)
    A, B, V, W = pc.matrix(a), pc.matrix(b), pc.vector(v), pc.vector(w)
    want = a.astype(object) @ b.astype(object)
    tiny.set(96 * KiB)
    for X, Y, ref in ((A, B, want), (A, V, a.astype(object) @ v.astype(object)),
                      (W, A, w.astype(object) @ a.astype(object)), (B.T, A.T, want.T)):
        info = np.iinfo(dtype)
        fits = all(info.min <= int(x) <= info.max for x in np.ravel(ref))
        if fits:
            C = tiled(tiny, lambda: X @ Y)
            assert C.dtype is pc.dtype(dtype)
            assert np.array_equal(arr(C), ref.astype(dtype))
        else:
            with pytest.raises(OverflowError, match="does not fit"):
                X @ Y


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_integer_exact_path_past_the_budget(tiny, dtype):
    """Values near 2**62 whose partial sums leave 64 bits and come back: the 128-bit
    path, exact, past the budget, the same as in RAM and as Python's integers."""
    n, k, m = 40, 33, 37
    big = 2**62
    if dtype is np.int64:
        a = RNG.choice([big, -big, big - 1, -(big - 1), 3], (n, k)).astype(dtype)
        b = np.ones((k, m), dtype)
        b[::2] = -1
        b[0] = 1
    else:
        a = RNG.choice([big, 2 * big, 3, 0], (n, k)).astype(dtype)
        b = (np.arange(k * m).reshape(k, m) % 2).astype(dtype)
        b[:, ::3] = 0
    exact = a.astype(object) @ b.astype(object)
    info = np.iinfo(dtype)
    A, B = pc.matrix(a), pc.matrix(b)
    in_ram_ok = all(info.min <= int(x) <= info.max for x in np.ravel(exact))
    tiny.set(48 * KiB)
    if in_ram_ok:
        assert np.array_equal(arr(tiled(tiny, lambda: A @ B)), exact.astype(dtype))
    else:
        with pytest.raises(OverflowError):
            A @ B
    # the bound fails (40 * 2**62 * 1 >= 2**63) but every exact value fits: partial sums
    # of +-2**62 leave int64's range and come back; three 2**62 terms stay below 2**64
    if dtype is np.int64:
        fit_a = np.tile(np.array([big, big, -big, -big], dtype), (60, 10))
    else:
        fit_a = np.zeros((60, 40), dtype)
        fit_a[:, :3] = big
    fit_b = np.ones((40, 90), dtype)
    want = fit_a.astype(object) @ fit_b.astype(object)
    assert np.array_equal(arr(tiled(tiny, lambda: pc.matrix(fit_a) @ pc.matrix(fit_b))), want.astype(dtype))


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.uint16])
def test_integer_overflow_past_the_budget_exactly_as_in_ram(tiny, dtype):
    """The same operands raise OverflowError (or not) in RAM and past the budget; a single
    overflowing element in the last row is found."""
    info = np.iinfo(dtype)
    n, k, m = 120, 90, 70
    a = np.ones((n, k), dtype)
    b = np.ones((k, m), dtype)
    v = int(info.max) // k
    b[:, 5] = v
    b[-1, 5] = int(info.max) - (k - 1) * v  # column 5 of every row sums to exactly max
    A, B = pc.matrix(a), pc.matrix(b)
    ref = arr(A @ B)
    assert int(ref[0, 5]) == int(info.max)
    tiny.set(24 * KiB)
    assert np.array_equal(arr(tiled(tiny, lambda: A @ B)), ref)
    a2 = a.copy()
    a2[-1, -1] = 2  # the last element of column 5 now exceeds max by b[-1, 5] >= 1
    A2 = pc.matrix(a2)
    tiny.lift()
    with pytest.raises(OverflowError, match=f"does not fit {np.dtype(dtype).name}"):
        A2 @ B
    tiny.set(24 * KiB)
    with pytest.raises(OverflowError, match=f"does not fit {np.dtype(dtype).name}"):
        tiled(tiny, lambda: A2 @ B)


def test_integer_operands_in_files_and_mixed_dtypes(tiny, tmp_path):
    a = RNG.integers(-100, 100, (300, 260)).astype(np.int16)
    b = RNG.integers(-100, 100, (260, 170)).astype(np.int32)
    pc.save(pc.matrix(a), tmp_path / "a.pycauset")
    pc.save(pc.matrix(b), tmp_path / "b.pycauset")
    A, B = pc.load(tmp_path / "a.pycauset"), pc.load(tmp_path / "b.pycauset")
    tiny.set(128 * KiB)
    C = tiled(tiny, lambda: A @ B)
    assert C.dtype is pc.int32
    assert np.array_equal(arr(C), a.astype(np.int64) @ b)


# ---- matrix-vector of every dtype ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex64, np.complex128])
def test_matrix_vector_of_floating_dtypes_past_the_budget(tiny, dtype):
    n, k = 700, 433
    a = RNG.standard_normal((n, k))
    v, w = RNG.standard_normal(k), RNG.standard_normal(n)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * RNG.standard_normal((n, k))
    a, v, w = a.astype(dtype), v.astype(dtype), w.astype(dtype)
    A, V, W = pc.matrix(a), pc.vector(v), pc.vector(w)
    tol = {np.float16: 3e-2, np.float32: 1e-4, np.complex64: 1e-4}.get(dtype, 1e-12)
    tiny.set(96 * KiB)
    for product, ref in ((lambda: A @ V, a.astype(np.complex128) @ v), (lambda: W @ A, w.astype(np.complex128) @ a),
                         (lambda: A.T @ W, a.T.astype(np.complex128) @ w)):
        r = tiled(tiny, product)
        assert r.dtype is pc.dtype(dtype)
        got = arr(r).astype(np.complex128)
        assert np.max(np.abs(got - ref)) <= tol * np.max(np.abs(ref)) * np.sqrt(k)


def test_float16_matrix_product_past_the_budget(tiny):
    a = RNG.standard_normal((200, 150)).astype(np.float16)
    b = RNG.standard_normal((150, 180)).astype(np.float16)
    A, B = pc.matrix(a), pc.matrix(b)
    tiny.set(96 * KiB)
    C = tiled(tiny, lambda: A @ B)
    want = (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16)
    assert C.dtype is pc.float16
    assert np.max(np.abs(arr(C).astype(np.float32) - want.astype(np.float32))) <= 0.02 * np.max(np.abs(want))


# ---- elementwise expressions and reductions on spilled operands -------------------------------------


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.float32, np.complex128, np.bool_])
def test_expressions_and_reductions_on_spilled_operands(tiny, dtype):
    shape = (333, 257)
    if dtype is np.bool_:
        x, y = bits(shape), bits(shape)
    else:
        x = (RNG.standard_normal(shape) * 9).astype(dtype)
        y = (RNG.standard_normal(shape) * 9).astype(dtype)
        if np.dtype(dtype).kind == "u":
            x, y = RNG.integers(0, 100, shape).astype(dtype), RNG.integers(0, 100, shape).astype(dtype)
    tiny.set(max(4 * KiB, pc.matrix(x).nbytes // 2) if dtype is np.bool_ else 48 * KiB)
    X, Y = pc.matrix(x), pc.matrix(y)
    assert X.storage.kind == "spill" and Y.storage.kind == "spill"
    if dtype is np.bool_:
        Z = (X & ~Y) | (X ^ Y)
        assert np.array_equal(arr(Z), (x & ~y) | (x ^ y))
        assert int(pc.count_nonzero(X)) == int(np.count_nonzero(x))
        assert int(pc.sum(X)) == int(x.sum())
    else:
        Z = X * 2 + Y
        assert np.allclose(arr(Z), x * 2 + y)
        np.testing.assert_allclose(complex(pc.sum(X)), complex(x.sum(dtype=np.complex128)), rtol=1e-5)
        np.testing.assert_allclose(arr(pc.sum(X, axis=0)), x.sum(axis=0), rtol=1e-4)
    assert Z.storage.kind == "spill"


# ---- kernel sets --------------------------------------------------------------------------------------

_KERNEL_CHILD = r"""
import numpy as np, pycauset as pc
from pycauset import _core
rng = np.random.default_rng(5)
def oracle(a, b):  # brute force: for each pair of rows, count common ones
    bt = b.T
    return np.array([[int(np.sum(a[i] & bt[j])) for j in range(bt.shape[0])] for i in range(a.shape[0])])
bad = 0
for n, k, m in [(9, 1, 7), (13, 63, 11), (17, 64, 5), (6, 65, 19), (21, 130, 9), (5, 1000, 8), (33, 519, 34)]:
    a = rng.random((n, k)) < 0.4
    b = rng.random((k, m)) < 0.6
    want = oracle(a, b)
    for budget in (1 << 30, 4 << 10):
        pc.set_memory_limit(budget)
        got = pc.to_numpy(pc.matrix(a) @ pc.matrix(b), allow_huge=True)
        bad += not np.array_equal(got, want)
        pc.set_memory_limit(1 << 30)
# triangular: word ranges differ row by row
c = np.triu(rng.random((200, 200)) < 0.3, 1)
bad += not np.array_equal(pc.to_numpy(pc.matrix(c) @ pc.matrix(c)), oracle(c, c))
# integers: the 64-bit path and the 128-bit path
x = rng.integers(-50, 50, (23, 41)); y = rng.integers(-50, 50, (41, 17))
want = [[sum(int(x[i, p]) * int(y[p, j]) for p in range(41)) for j in range(17)] for i in range(23)]
bad += not np.array_equal(pc.to_numpy(pc.matrix(x) @ pc.matrix(y)), np.array(want))
x = rng.choice([2**62, -(2**62), 7], (12, 8)); y = rng.choice([1, -1], (8, 5))
want = [[sum(int(x[i, p]) * int(y[p, j]) for p in range(8)) for j in range(5)] for i in range(12)]
if all(-(2**63) <= v < 2**63 for r in want for v in r):
    bad += not np.array_equal(pc.to_numpy(pc.matrix(x) @ pc.matrix(y)), np.array(want))
print(_core.linalg.product_kernel_isa(), bad)
"""


@pytest.mark.parametrize("cap", ["baseline", "avx2", ""])
def test_each_kernel_set_against_a_brute_force_oracle(cap):
    env = dict(os.environ, PYCAUSET_KERNELS=cap)
    out = subprocess.run([sys.executable, "-c", _KERNEL_CHILD], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    isa, bad = out.stdout.split()
    assert bad == "0", out.stdout
    if cap == "baseline":
        assert isa == "baseline"
    elif cap == "avx2":
        with open("/proc/cpuinfo") as f:
            if " avx2" in f.read():
                assert isa == "avx2"


# ---- peak memory and Ctrl-C in a child process --------------------------------------------------------


def test_peak_anonymous_memory_of_bit_and_integer_products(tmp_path):
    """A bit product of 8192 x 8192 files (strictly upper, density 0.05; 256 MiB of int32
    counts) and an integer product (2048 x 2048 int32, 16 MiB result plus 64-bit tiles)
    under a 64 MiB / 8 MiB budget: anonymous memory (RssAnon) grows by at most 1.15 x
    the budget, and the results are spill files."""
    script = textwrap.dedent(
        f"""
        import gc, threading, time
        import numpy as np, pycauset as pc
        d = {str(tmp_path)!r}
        pc.set_backing_dir(d)
        rng = np.random.default_rng(3)
        n = 8192
        c = pc.zeros((n, n), dtype="bit")
        for r0 in range(0, n, 1024):  # block-wise: never the whole matrix as bytes
            blk = rng.random((1024, n)) < 0.05
            blk &= np.arange(n)[None, :] > np.arange(r0, r0 + 1024)[:, None]
            c[r0:r0 + 1024, :] = blk
        pc.save(c, d + "/c.pycauset"); del c
        m = 2048
        pc.save(pc.matrix(rng.integers(-9, 9, (m, m)).astype(np.int32)), d + "/i.pycauset")
        x = pc.matrix(np.eye(64, dtype=np.int32)); x @ x; del x
        gc.collect(); pc._core.release_cached_ram()
        def anon():
            for line in open("/proc/self/status"):
                if line.startswith("RssAnon"):
                    return int(line.split()[1]) * 1024
        for name, budget, path in (("bit", 64 << 20, "/c.pycauset"), ("int", 8 << 20, "/i.pycauset")):
            pc.set_memory_limit(budget)
            A = pc.load(d + path)
            base = anon(); peak = [base]; stop = [False]
            def sample():
                while not stop[0]:
                    peak[0] = max(peak[0], anon()); time.sleep(0.002)
            t = threading.Thread(target=sample); t.start()
            r = A @ A
            stop[0] = True; t.join()
            print(name, (peak[0] - base) / budget, r.storage.kind, r.dtype.name)
            rows = [0, 1, A.shape[0] // 2, A.shape[0] - 1]  # spot rows, exact in float64 (|values| < 2**53)
            check = np.stack([pc.to_numpy(r[i, :], allow_huge=True) for i in rows])
            a4 = np.stack([pc.to_numpy(A[i, :]) for i in rows]).astype(np.float64)
            ok = all(np.array_equal(check[:, j0:j0 + 1024], a4 @ pc.to_numpy(A[:, j0:j0 + 1024]).astype(np.float64))
                     for j0 in range(0, A.shape[1], 1024))
            print(name + "-exact", ok)
            del r, A; gc.collect(); pc._core.release_cached_ram()
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().split("\n")
    stats = [line.split() for line in lines if len(line.split()) == 4]
    assert [s[0] for s in stats] == ["bit", "int"], out.stdout
    for name, ratio, kind, dtype in stats:
        assert kind == "spill" and dtype == "int32", out.stdout
        assert float(ratio) <= 1.15, out.stdout
    assert "bit-exact True" in lines and "int-exact True" in lines, out.stdout


def test_sigint_during_an_out_of_core_bit_product(tmp_path):
    """A real Ctrl-C: KeyboardInterrupt, no spill files left (B^T's and the result's),
    the operand file unchanged."""
    lines = _sigint.interrupted(
        str(tmp_path),
        setup="""
        n = 6000
        pc.save(pc.matrix(np.random.default_rng(1).random((n, n)) < 0.5), d + "/c.pycauset")
        digest = hashlib.sha256(open(d + "/c.pycauset", "rb").read()).hexdigest()
        pc.set_memory_limit("2 MiB")
        C = pc.load(d + "/c.pycauset")
        """,
        call="C @ C.T[:, ::-1].T[:, ::-1]  # a strided operand: its B^T is made in a spill file",
        after='print("SAME", hashlib.sha256(open(d + "/c.pycauset", "rb").read()).hexdigest() == digest)',
    )
    assert "SAME True" in lines
