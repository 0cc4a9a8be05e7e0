"""Integer products and reductions are exact at the edges of every integer dtype.

The promise (docs/operations.md, "Promotion"): integer matmul and sums never wrap
silently. Every result here is compared against an exact oracle computed with Python
ints (NumPy object arrays): either pycauset returns exactly that value in the result
dtype NumPy would give, or it raises OverflowError, and it raises exactly when the
exact value does not fit that dtype. NumPy itself wraps modulo 2**bits in all of these
cases (``2**63 * 2**63`` in uint64 gives 0), so it cannot serve as the oracle.

Covered, for int8..int64, uint8..uint64 and bool (pycauset's bit):
- matmul in every form (matrix @ matrix, @ vector, vector @ matrix, vector @ vector,
  ``pc.dot``, ``np.matmul``, ``np.dot``, a transposed view as operand), same and mixed
  dtypes, at the extremes: min, max, products that wrap exactly to 0 (2**63 * 2**63 in
  uint64, (-2**63) * (-2**63) in int64), results exactly at min/max and one past them,
  partial sums that leave 128 bits and cancel back to a representable value;
- sum (axis None/0/1, default and explicit integer dtypes, negative totals into
  unsigned dtypes), mean (float64 default; exact, truncated with an integer dtype),
  trace, count_nonzero;
- the same on operands spilled past a tiny memory budget and on loaded .pycauset files;
- hypothesis: random extreme-heavy operands (deterministic, bounded example counts).
"""

from __future__ import annotations

import gc
import zlib
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pycauset as pc

INT_DTYPES = [np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64,
                                     np.uint8, np.uint16, np.uint32, np.uint64)]
ALL_DTYPES = INT_DTYPES + [np.dtype(np.bool_)]
SIGNED = [d for d in INT_DTYPES if d.kind == "i"]


def ids(dtypes):
    return [d.name for d in dtypes]


def limits(d: np.dtype) -> tuple[int, int]:
    d = np.dtype(d)
    if d.kind == "b":
        return 0, 1
    info = np.iinfo(d)
    return int(info.min), int(info.max)


def specials(d: np.dtype) -> list[int]:
    """Extreme and wrap-prone values of d: min, max, their neighbours, and powers of two
    (with neighbours) whose products or sums wrap exactly to 0 or to small values."""
    lo, hi = limits(d)
    if np.dtype(d).kind == "b":
        return [0, 1]
    bits = np.iinfo(d).bits
    vals = {lo, lo + 1, hi, hi - 1, 0, 1, 2}
    for p in (bits // 2 - 1, bits // 2, bits - 2, bits - 1):
        for v in (2**p - 1, 2**p, 2**p + 1):
            vals |= {v, -v}
    if lo < 0:
        vals.add(-1)
    return sorted(v for v in vals if lo <= v <= hi)


def obj(a: np.ndarray) -> np.ndarray:
    """The values of a as Python ints (an object array): the exact oracle's operands."""
    a = np.asarray(a)
    if a.dtype.kind == "b":
        a = a.astype(np.int64)
    return a.astype(object)


def values_of(result) -> tuple[np.dtype, np.ndarray]:
    """dtype and values (as Python ints) of a pycauset result: a NumPy scalar or an object."""
    if isinstance(result, np.generic):
        return result.dtype, np.array([int(result)], dtype=object)
    arr = pc.to_numpy(result)
    return arr.dtype, arr.astype(object)


def check(call, exact, dtype: np.dtype) -> None:
    """call() returns exactly `exact` (Python ints) in `dtype`, or raises OverflowError,
    and it raises exactly when some exact value does not fit dtype."""
    lo, hi = limits(dtype)
    flat = np.asarray(exact, dtype=object).ravel()
    if all(lo <= v <= hi for v in flat):
        got_dtype, got = values_of(call())
        assert got_dtype == dtype
        assert got.ravel().tolist() == flat.tolist()
    else:
        with pytest.raises(OverflowError):
            call()


def matmul_dtype(da: np.dtype, db: np.dtype) -> np.dtype:
    """NumPy's result dtype, except bit @ bit: int32 counts (documented deviation)."""
    if da.kind == "b" and db.kind == "b":
        return np.dtype(np.int32)
    return np.matmul(np.zeros((1, 1), da), np.zeros((1, 1), db)).dtype


def matmul_forms(a: np.ndarray, b: np.ndarray):
    """(name, call, exact) for every product form over a (n x k) and b (k x m)."""
    ea, eb = obj(a), obj(b)
    A, B = pc.matrix(a), pc.matrix(b)
    BT = pc.matrix(np.ascontiguousarray(b.T)).T  # a transposed (strided) view
    x, y = pc.vector(a[0]), pc.vector(np.ascontiguousarray(b[:, 0]))
    full, xy = ea @ eb, ea[0] @ eb[:, 0]
    return [
        ("matrix @ matrix", lambda: A @ B, full),
        ("np.matmul", lambda: np.matmul(A, B), full),
        ("np.dot", lambda: np.dot(A, B), full),
        ("matrix @ transposed view", lambda: A @ BT, full),
        ("matrix @ vector", lambda: A @ y, ea @ eb[:, 0]),
        ("vector @ matrix", lambda: x @ B, ea[0] @ eb),
        ("vector @ vector", lambda: x @ y, xy),
        ("pc.dot", lambda: pc.dot(x, y), xy),
    ]


def check_matmul(a: np.ndarray, b: np.ndarray, forms=None) -> None:
    d = matmul_dtype(a.dtype, b.dtype)
    assert d.kind in "iu"
    for name, call, exact in matmul_forms(a, b):
        if forms is None or name in forms:
            try:
                check(call, exact, d)
            except AssertionError as exc:  # say which form and operands failed
                raise AssertionError(f"{name}: {a.dtype} {a.tolist()} @ {b.dtype} {b.tolist()}") from exc


def pick(rng, vals: list[int], shape, d: np.dtype) -> np.ndarray:
    """An array of dtype d whose elements are drawn from vals (exactly: no float detour)."""
    choice = np.array(vals, dtype=object)[rng.integers(0, len(vals), size=shape)]
    return choice.astype(d)


def parts(target: int, d: np.dtype) -> list[int]:
    """Values of dtype d that add up to target (greedy, each as large as fits)."""
    lo, hi = limits(d)
    out, rest = [], target
    while rest:
        p = min(hi, max(lo, rest))
        out.append(p)
        rest -= p
    return out or [0]


# ---- the reported cases ------------------------------------------------------------------


def test_reported_uint64_product_wrapping_to_zero_raises():
    U = pc.matrix(np.full((2, 2), 2**63, dtype=np.uint64))
    with pytest.raises(OverflowError, match="uint64"):
        U @ U  # exact 2**127, NumPy gives zeros


def test_reported_int64_min_squared_raises():
    S = pc.matrix(np.full((4, 4), -(2**63), dtype=np.int64))
    with pytest.raises(OverflowError, match="int64"):
        S @ S  # exact 2**128, NumPy gives zeros


# ---- matmul ---------------------------------------------------------------------------------


@pytest.mark.parametrize("d", INT_DTYPES, ids=ids(INT_DTYPES))
def test_matmul_of_constant_extremes(d):
    """full(v1) @ full(v2) for every pair of extreme values and inner sizes 1..3."""
    vals = specials(d)
    for k in (1, 2, 3):
        for v1 in vals:
            for v2 in vals:
                a = np.full((2, k), v1, dtype=d)
                b = np.full((k, 2), v2, dtype=d)
                check_matmul(a, b, forms=("matrix @ matrix", "vector @ vector"))


@pytest.mark.parametrize("d", INT_DTYPES, ids=ids(INT_DTYPES))
def test_matmul_results_at_and_past_the_limits(d):
    """Exact results equal to min and max fit; one past them, and 2**bits (which wraps to
    0) and 2**bits + 1 (wraps to 1), raise. Every form of the product is checked."""
    lo, hi = limits(d)
    bits = np.iinfo(d).bits
    targets = [hi, hi + 1, lo, lo - 1, 2**bits, 2**bits + 1, 0]
    if lo < 0:
        targets += [-(2**bits), -(2**bits) + 1, 2 * lo, 2 * lo - 1]
    for t in targets:
        if t < 0 and lo == 0:
            continue
        p = parts(t, d)
        a = np.array([p, p[::-1]], dtype=d)
        b = np.ones((len(p), 2), dtype=d)
        check_matmul(a, b)
    # products at the limits: sqrt-sized factors, and 2**(bits/2) squared wraps to 0
    half = 2 ** (bits // 2)
    for x, y in [(half, half), (half - 1, half + 1), (half, half - 1), (lo, 1), (hi, 1), (hi, 2)]:
        for sx in ((1, -1) if lo < 0 else (1,)):
            if lo <= sx * x <= hi and lo <= y <= hi:
                check_matmul(np.array([[sx * x]], dtype=d), np.array([[y]], dtype=d))


@pytest.mark.parametrize("d", SIGNED, ids=ids(SIGNED))
def test_matmul_partial_sums_that_overflow_and_cancel_are_exact(d):
    """The exact value fits although partial sums do not (NumPy's wrapping arithmetic gets
    these right too): no OverflowError, the exact value. For int64 the partial sums leave
    even 128 bits: (-2**63)**2 + (-2**63)**2 = 2**127."""
    lo, hi = limits(d)
    a = np.full(6, lo, dtype=d)
    b = np.array([lo, lo, hi, hi, 1, 1], dtype=d)  # 2*lo*lo + 2*lo*hi + 2*lo == 0
    for perm in ([0, 1, 2, 3, 4, 5], [0, 2, 4, 1, 3, 5], [5, 4, 3, 2, 1, 0]):
        x, y = a[perm], b[perm]
        assert obj(x) @ obj(y) == 0
        check_matmul(np.stack([x, x]), np.stack([y, y]).T.copy())
    # [hi, hi, -hi] . [1, 1, 1] = hi after a partial sum of 2 * hi
    check_matmul(np.array([[hi, hi, -hi]], dtype=d), np.ones((3, 1), dtype=d))
    # lo = lo * 1 fits; lo * -1 does not; (lo + 1) * -1 does
    check_matmul(np.array([[lo, lo + 1]], dtype=d), np.array([[1, -1], [-1, -1]], dtype=d))


MIXED_PAIRS = [(da, db) for da in ALL_DTYPES for db in ALL_DTYPES
               if matmul_dtype(da, db).kind in "iu"]


@pytest.mark.parametrize("da,db", MIXED_PAIRS, ids=[f"{a.name}@{b.name}" for a, b in MIXED_PAIRS])
def test_matmul_of_random_extreme_matrices(da, db):
    """Same and mixed dtypes (int8 @ uint8 gives int16, bool @ int8 gives int8, ...):
    matrices drawn from the extreme values, every form of the product."""
    rng = np.random.default_rng(zlib.crc32(f"{da.name}@{db.name}".encode()))
    va, vb = specials(da), specials(db)
    for trial in range(6):
        n, k, m = rng.integers(1, 4, size=3)
        a = pick(rng, va, (n, k), da)
        b = pick(rng, vb, (k, m), db)
        check_matmul(a, b)
        # mostly small values with a few extremes: results often fit
        a = np.array(rng.choice([0, 1], size=(n, k)), dtype=da)
        a[rng.integers(0, n), rng.integers(0, k)] = va[rng.integers(0, len(va))]
        check_matmul(a, b)


def test_bit_matmul_counts_are_exact():
    rng = np.random.default_rng(5)
    a = rng.random((5, 300)) < 0.9
    check_matmul(a, a.T.copy())
    ones = np.ones((3, 200), dtype=bool)
    check_matmul(ones, ones.T.copy())


# ---- reductions -----------------------------------------------------------------------------


def sum_dtypes(d: np.dtype):
    """None (NumPy's default: int64 / uint64) and explicit integer dtypes, narrow and wide,
    signed and unsigned (a negative total into an unsigned dtype must raise)."""
    out = [None, "int8", "uint8", "int64", "uint64"]
    if d.kind != "b" and d.name not in out:
        out.append(d.name)
    return out


def default_sum_dtype(d: np.dtype) -> np.dtype:
    return np.zeros(1, d).sum().dtype


def check_sums(a: np.ndarray) -> None:
    """sum over everything and both axes, in every candidate dtype, of a matrix and of its
    rows as vectors."""
    d = a.dtype
    A = pc.matrix(a)
    e = obj(a)
    for dt in sum_dtypes(d):
        rd = default_sum_dtype(d) if dt is None else np.dtype(dt)
        check(lambda: A.sum(dtype=dt), e.sum(), rd)
        check(lambda: A.sum(axis=0, dtype=dt), e.sum(axis=0), rd)
        check(lambda: A.sum(axis=1, dtype=dt), e.sum(axis=1), rd)
        check(lambda: A.T.sum(axis=1, dtype=dt), e.sum(axis=0), rd)
        v = pc.vector(a[0])
        check(lambda: v.sum(dtype=dt), e[0].sum(), rd)
        check(lambda: v.sum(axis=0, dtype=dt), e[0].sum(), rd)
    check(lambda: np.sum(A), e.sum(), default_sum_dtype(d))


@pytest.mark.parametrize("d", ALL_DTYPES, ids=ids(ALL_DTYPES))
def test_sums_of_constant_extremes(d):
    """full(v) for every extreme value: totals that wrap exactly to 0 (2 * 2**63 in uint64,
    2 * -2**63 in int64, 4 * 64 in int8) or to small values."""
    for shape in ((1, 2), (2, 1), (2, 2), (2, 3), (4, 4)):
        for v in specials(d):
            check_sums(np.full(shape, v, dtype=d))


@pytest.mark.parametrize("d", ALL_DTYPES, ids=ids(ALL_DTYPES))
def test_sums_of_random_extreme_matrices(d):
    rng = np.random.default_rng(17 + ALL_DTYPES.index(d))
    vals = specials(d)
    for trial in range(12):
        r, c = rng.integers(1, 6, size=2)
        check_sums(pick(rng, vals, (r, c), d))


@pytest.mark.parametrize("d", SIGNED, ids=ids(SIGNED))
def test_sums_that_cancel_after_overflowing_are_exact(d):
    lo, hi = limits(d)
    x = np.array([[hi, hi, hi, lo, lo, lo + 5]], dtype=d)  # partial sums leave d's range
    check_sums(x)
    A = pc.matrix(x)
    assert A.sum(dtype=d) == 3 * (hi + lo) + 5 == 2  # fits every dtype
    # a negative total into an unsigned dtype raises; a positive one fits
    with pytest.raises(OverflowError):
        pc.vector(np.array([-1, 0], dtype=d)).sum(dtype="uint64")
    assert pc.vector(np.array([-1, 2], dtype=d)).sum(dtype="uint64") == np.uint64(1)


def exact_mean(total: int, n: int) -> int:
    """total / n truncated toward zero (NumPy casts the quotient to the integer dtype)."""
    q = abs(total) // n
    return q if total >= 0 else -q


@pytest.mark.parametrize("d", ALL_DTYPES, ids=ids(ALL_DTYPES))
def test_means_at_the_extremes(d):
    """Float64 means never overflow (and are within rounding of the exact mean); with an
    integer dtype= the mean is the exact truncated quotient, or OverflowError."""
    rng = np.random.default_rng(31 + ALL_DTYPES.index(d))
    vals = specials(d)
    lo, hi = limits(d)
    cases = [np.full((2, 3), v, dtype=d) for v in (lo, hi)]
    cases += [pick(rng, vals, tuple(rng.integers(1, 5, size=2)), d) for _ in range(8)]
    for a in cases:
        A, e = pc.matrix(a), obj(a)
        scale = float(max(abs(lo), abs(hi)))
        for axis in (None, 0, 1):
            sums = np.atleast_1d(e.sum(axis=axis))
            n = a.size if axis is None else a.shape[axis]
            got = A.mean(axis=axis)
            arr = np.atleast_1d(np.asarray(got) if axis is None else pc.to_numpy(got))
            assert arr.dtype == np.float64
            want = np.array([float(Fraction(int(s), n)) for s in sums])
            np.testing.assert_allclose(arr, want, rtol=0, atol=4 * n * np.finfo(np.float64).eps * scale)
            for dt in ("int64", "uint64", "int8") + ((d.name,) if d.kind != "b" else ()):
                exact = np.array([exact_mean(int(s), n) for s in sums], dtype=object)
                check(lambda: A.mean(axis=axis, dtype=dt), exact, np.dtype(dt))


def test_integer_mean_of_int64_max_is_exact():
    """Rounding through float64 would give 2**63 (which does not fit) or wrap to -2**63."""
    hi = 2**63 - 1
    A = pc.matrix(np.full((1, 3), hi, dtype=np.int64))
    assert A.mean(dtype="int64") == np.int64(hi)
    assert pc.to_numpy(A.mean(axis=0, dtype="int64")).tolist() == [hi] * 3
    assert pc.to_numpy(A.mean(axis=1, dtype="int64")).tolist() == [hi]
    # the sum (3 * hi) does not fit int64, the mean does
    with pytest.raises(OverflowError):
        A.sum()
    v = pc.vector(np.array([-(2**63), -(2**63), -1], dtype=np.int64))
    assert v.mean(dtype="int64") == np.int64(exact_mean(-(2**64) - 1, 3))


@pytest.mark.parametrize("d", ALL_DTYPES, ids=ids(ALL_DTYPES))
def test_trace_at_the_extremes(d):
    rng = np.random.default_rng(47 + ALL_DTYPES.index(d))
    lo, hi = limits(d)
    vals = specials(d)
    cases = [np.full((n, n), v, dtype=d) for n in (1, 2, 3) for v in (lo, hi, lo + 1, hi - 1)]
    cases += [pick(rng, vals, (n, n + 1), d) for n in (2, 3, 4) for _ in range(4)]
    for a in cases:
        A = pc.matrix(a)
        exact = sum(int(v) for v in np.diagonal(a))
        for dt in sum_dtypes(d):
            rd = default_sum_dtype(d) if dt is None else np.dtype(dt)
            check(lambda: A.trace(dtype=dt), exact, rd)
            check(lambda: pc.trace(A, dtype=dt), exact, rd)


@pytest.mark.parametrize("d", ALL_DTYPES, ids=ids(ALL_DTYPES))
def test_count_nonzero_at_the_extremes(d):
    rng = np.random.default_rng(59 + ALL_DTYPES.index(d))
    a = pick(rng, specials(d), (7, 5), d)
    A = pc.matrix(a)
    assert A.count_nonzero() == int(np.count_nonzero(a))
    for axis in (0, 1):
        got = pc.to_numpy(A.count_nonzero(axis=axis))
        assert got.tolist() == np.count_nonzero(a, axis=axis).tolist()


# ---- spilled and file-backed operands --------------------------------------------------------


@pytest.fixture
def tiny_budget(tmp_path):
    """A 64 KiB budget: the operands below (>= 128 KiB) are created as spill files."""
    gc.collect()
    pc.set_backing_dir(tmp_path)
    pc.set_memory_limit("64 KiB")
    yield tmp_path
    gc.collect()


def planted(d: np.dtype, over: bool, rng) -> tuple[np.ndarray, np.ndarray]:
    """a (n x k, >= 128 KiB) and b (k x 2): sparse small values, with row 0 of a @ b
    exactly max and row 1 exactly min (or, with over, one past max)."""
    lo, hi = limits(d)
    k = 512
    n = max(4, (128 << 10) // (k * d.itemsize))
    a = np.zeros((n, k), dtype=d)
    a[rng.random((n, k)) < 1 / 64] = 1
    b = np.zeros((k, 2), dtype=d)
    b[rng.random(k) < 0.5, 1] = 1
    for row, target in ((0, hi), (1, hi + 1 if over else lo)):
        p = parts(target, d)
        a[row] = 0
        a[row, : len(p)] = p
    b[: len(parts(hi + 1, d)) + len(parts(lo, d)), 0] = 1
    # products wrapping exactly to 0: lo * lo (signed) or 2**(bits-1) * 2 (unsigned)
    big = lo if lo < 0 else 2 ** (np.iinfo(d).bits - 1)
    a[2] = 0
    a[2, -1] = big
    b[-1, 1] = big if lo < 0 else 2
    return a, b


@pytest.mark.parametrize("d", INT_DTYPES, ids=ids(INT_DTYPES))
def test_spilled_and_file_backed_products_and_sums(d, tiny_budget):
    rng = np.random.default_rng(71 + INT_DTYPES.index(d))
    for over in (False, True):
        a, b = planted(d, over, rng)
        A, B = pc.matrix(a), pc.matrix(b)
        assert A.storage.kind == "spill"
        ea, eb = obj(a), obj(b)
        check(lambda: A @ B, ea @ eb, d)
        check(lambda: A @ pc.vector(b[:, 0]), ea @ eb[:, 0], d)
        check(lambda: pc.vector(b[:, 0]) @ A.T, ea @ eb[:, 0], d)
        path = tiny_budget / f"a-{d.name}-{over}.pycauset"
        pc.save(A, path)
        L = pc.load(path)
        assert L.storage.kind == "file"
        check(lambda: L @ B, ea @ eb, d)
        for dt in (None, d.name, "int64"):
            rd = default_sum_dtype(d) if dt is None else np.dtype(dt)
            for X in (A, L):
                check(lambda: X.sum(dtype=dt), ea.sum(), rd)
                check(lambda: X.sum(axis=0, dtype=dt), ea.sum(axis=0), rd)
                check(lambda: X.sum(axis=1, dtype=dt), ea.sum(axis=1), rd)
                check(lambda: X.trace(dtype=dt), int(np.trace(ea)), rd)
        del A, L
        gc.collect()


def test_spilled_int64_products_that_leave_128_bits(tiny_budget):
    """Partial sums of 2**127 (past 128 bits) that cancel, on a spilled operand."""
    lo, hi = -(2**63), 2**63 - 1
    a = np.zeros((64, 512), dtype=np.int64)
    a[:, :7] = lo
    a[:, 7:9] = 1
    A = pc.matrix(a)
    assert A.storage.kind == "spill"
    b = np.zeros((512, 2), dtype=np.int64)
    # lo*lo + lo*lo + lo*hi + lo*hi + lo + lo == 0 (after 2**127), then + hi: hi
    b[:9, 0] = [lo, lo, hi, hi, 1, 1, 0, hi, 0]
    # ... == 0, then + lo*1: lo
    b[:9, 1] = [lo, lo, hi, hi, 1, 1, 1, 0, 0]
    check(lambda: A @ pc.matrix(b), obj(a) @ obj(b), np.dtype(np.int64))
    assert pc.to_numpy(A @ pc.matrix(b))[0].tolist() == [hi, lo]
    # one past max (hi + 1), one past min (lo - 1), and 2**64 - 2**63 == 2**63
    for changes in ({(8, 0): 1}, {(8, 1): -1}, {(5, 1): 0, (6, 1): 0}):
        c = b.copy()
        for at, value in changes.items():
            c[at] = value
        exact = obj(a) @ obj(c)
        assert not all(lo <= v <= hi for v in exact.ravel())
        with pytest.raises(OverflowError):
            A @ pc.matrix(c)


# ---- hypothesis ---------------------------------------------------------------------------


@st.composite
def extreme_array(draw, d: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    lo, hi = limits(d)
    element = st.one_of(st.sampled_from(specials(d)), st.sampled_from(specials(d)), st.integers(lo, hi))
    flat = draw(st.lists(element, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    return np.array(flat, dtype=object).reshape(shape).astype(d)


@st.composite
def matmul_operands(draw):
    da, db = draw(st.sampled_from(MIXED_PAIRS))
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    return draw(extreme_array(da, (n, k))), draw(extreme_array(db, (k, m)))


@settings(max_examples=150, derandomize=True, database=None)
@given(matmul_operands())
def test_hypothesis_matmul_is_exact_or_raises(ab):
    check_matmul(*ab)


@st.composite
def reduction_operand(draw):
    d = draw(st.sampled_from(ALL_DTYPES))
    shape = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    return draw(extreme_array(d, shape))


@settings(max_examples=80, derandomize=True, database=None)
@given(reduction_operand())
def test_hypothesis_sums_are_exact_or_raise(a):
    check_sums(a)
    A, e = pc.matrix(a), obj(a)
    n = min(a.shape)
    sq = pc.matrix(np.ascontiguousarray(a[:n, :n]))
    check(lambda: sq.trace(dtype="int64"), sum(int(v) for v in np.diagonal(a[:n, :n])), np.dtype(np.int64))
    check(lambda: A.mean(dtype="int64"), exact_mean(int(e.sum()), a.size), np.dtype(np.int64))
