"""Import (pc.matrix / pc.vector) and export (np.asarray, np.array, pc.to_numpy) round trips.

Every dtype x rank x layout is compared exactly against NumPy; hypothesis adds random
shapes, dtypes, strides and values. Also: dtype= on import, rank errors, unsupported
dtypes, array-likes, and astype between every pair of dtypes.
"""

from __future__ import annotations

import copy
import gc
import pickle
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pycauset as pc
from conftest import (
    DTYPE_IDS,
    NP_DTYPES,
    TOKEN_OF,
    TOKENS,
    assert_same,
    layouts_1d,
    layouts_2d,
    random_array,
)

LAYOUTS_1D = list(layouts_1d(np.zeros(11)).keys())
LAYOUTS_2D = list(layouts_2d(np.zeros((7, 9))).keys())


def _check_round_trip(x: np.ndarray) -> None:
    """Import x, export it three ways, compare exactly; x must be untouched."""
    backup = x.copy()
    factory = pc.vector if x.ndim == 1 else pc.matrix
    obj = factory(x)
    assert isinstance(obj, pc.Vector if x.ndim == 1 else pc.Matrix)
    assert obj.shape == x.shape
    assert obj.ndim == x.ndim
    assert obj.size == x.size
    assert obj.dtype == x.dtype
    assert obj.dtype.name == TOKEN_OF[np.dtype(x.dtype)]
    expected = np.ascontiguousarray(x)

    out = pc.to_numpy(obj)
    assert_same(out, expected)
    assert out.flags.c_contiguous and out.flags.writeable and out.flags.owndata

    assert_same(np.asarray(obj), expected)
    assert_same(np.array(obj), expected)
    assert_same(x, backup)  # the import read the source, never wrote it


# ---- every dtype x rank x layout ----------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS_1D)
@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_round_trip_vector_layouts(np_dtype, layout):
    base = random_array(11, np_dtype, np.random.default_rng(zlib.crc32(f'{np_dtype}-{layout}'.encode())))
    x = layouts_1d(base)[layout]
    _check_round_trip(x)


@pytest.mark.parametrize("layout", LAYOUTS_2D)
@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_round_trip_matrix_layouts(np_dtype, layout):
    base = random_array((7, 9), np_dtype, np.random.default_rng(zlib.crc32(f'{np_dtype}-{layout}'.encode())))
    x = layouts_2d(base)[layout]
    _check_round_trip(x)


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_round_trip_larger_matrices_cross_tile_and_word_boundaries(np_dtype, rng):
    # 130 x 197: several 64-wide tiles (Fortran transpose path) and bit words with a remainder.
    base = random_array((130, 197), np_dtype, rng)
    for x in (base, np.asfortranarray(base), base[::-1, 3::2], base.T, np.asfortranarray(base)[5:, ::-3]):
        _check_round_trip(x)


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_round_trip_long_vectors(np_dtype, rng):
    base = random_array(1000, np_dtype, rng)
    for x in (base, base[::-1], base[3::7], base[:-1], base[1:]):
        _check_round_trip(x)


def test_issue_example_large_float64_matrix(rng):
    a = rng.random((3000, 2000))
    A = pc.matrix(a)
    assert A.shape == (3000, 2000) and A.dtype is pc.float64
    assert_same(pc.to_numpy(A), a)
    F = pc.matrix(np.asfortranarray(a)[::-1, ::2])
    assert_same(pc.to_numpy(F), a[::-1, ::2])


def test_issue_example_int16_vector():
    v = pc.vector(np.arange(10, dtype=np.int16))
    assert v.dtype is pc.int16 and v.shape == (10,)
    assert_same(pc.to_numpy(v), np.arange(10, dtype=np.int16))


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_round_trip_unaligned_source(np_dtype, rng):
    x = random_array((5, 6), np_dtype, rng)
    raw = np.zeros(x.nbytes + 1, dtype=np.uint8)
    unaligned = np.frombuffer(raw.data, dtype=np_dtype, count=x.size, offset=1).reshape(5, 6)
    raw[1:] = x.view(np.uint8).ravel()
    if np_dtype.itemsize > 1:
        assert not unaligned.flags.aligned
    _check_round_trip(unaligned)
    _check_round_trip(unaligned[::2, ::-1])
    _check_round_trip(unaligned[1])


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_round_trip_read_only_and_broadcast_sources(np_dtype, rng):
    x = random_array((4, 6), np_dtype, rng)
    x.flags.writeable = False
    _check_round_trip(x)
    row = random_array(6, np_dtype, rng)
    b = np.broadcast_to(row, (4, 6))  # zero row stride
    assert b.strides[0] == 0
    _check_round_trip(b)
    col = np.broadcast_to(row[:4, None], (4, 6))  # zero column stride
    _check_round_trip(col)


@pytest.mark.parametrize("np_dtype", [d for d in NP_DTYPES if d.itemsize > 1], ids=str)
def test_byte_swapped_sources_import_to_native_values(np_dtype, rng):
    x = random_array((4, 5), np_dtype, rng)
    swapped = x.astype(np_dtype.newbyteorder("S"))
    assert not swapped.dtype.isnative
    A = pc.matrix(swapped)
    assert A.dtype == np_dtype
    assert_same(pc.to_numpy(A), x)
    v = pc.vector(swapped[:, ::-1][1])
    assert_same(pc.to_numpy(v), x[:, ::-1][1])


def test_import_copies_the_source(rng):
    a = rng.random((4, 4))
    A = pc.matrix(a)
    a[:] = -1.0
    assert (pc.to_numpy(A) >= 0).all()
    b = rng.random(5) > 0.5
    B = pc.vector(b)
    expected = b.copy()
    b[:] = ~b
    assert_same(pc.to_numpy(B), expected)


def test_import_from_pycauset_objects_copies(rng):
    a = rng.random((3, 4))
    A = pc.matrix(a)
    B = pc.matrix(A)
    B[0, 0] = 42.0
    assert A[0, 0] == a[0, 0]
    assert_same(pc.to_numpy(B)[1:], a[1:])
    v = pc.vector(A[1])
    assert_same(pc.to_numpy(v), a[1])
    w = pc.matrix(A.T)
    assert_same(pc.to_numpy(w), a.T.copy())


# ---- property-based round trips -----------------------------------------------------------


@st.composite
def strided_arrays(draw, dtypes=st.sampled_from(NP_DTYPES), min_dims=1):
    """Random dtype, shape and values, then a random basic-slice / transpose / order."""
    dtype = draw(dtypes)
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=2, min_side=0, max_side=9))
    arr = draw(hnp.arrays(dtype, shape))
    if draw(st.booleans()):
        arr = np.asfortranarray(arr)
    key = tuple(draw(st.slices(n)) for n in arr.shape)
    arr = arr[key]
    if arr.ndim == 2 and draw(st.booleans()):
        arr = arr.T
    return arr


@given(strided_arrays())
def test_property_round_trip(x):
    _check_round_trip(x)


@given(strided_arrays(dtypes=st.sampled_from([d for d in NP_DTYPES if d.itemsize > 1]).map(
    lambda d: d.newbyteorder("S"))))
def test_property_round_trip_byte_swapped(x):
    obj = (pc.vector if x.ndim == 1 else pc.matrix)(x)
    expected = x.astype(x.dtype.newbyteorder("="))
    assert_same(pc.to_numpy(obj), expected)


@given(strided_arrays(min_dims=2), st.sampled_from(NP_DTYPES))
def test_property_import_with_dtype(x, target):
    if np.can_cast(x.dtype, target, casting="same_kind"):
        with np.errstate(all="ignore"):
            expected = x.astype(target)
        A = pc.matrix(x, dtype=target)
        assert A.dtype == target
        assert_same(pc.to_numpy(A), expected)
    else:
        with pytest.raises(TypeError):
            pc.matrix(x, dtype=target)


# ---- dtype= on import ---------------------------------------------------------------------


@pytest.mark.parametrize("dst", NP_DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("src", NP_DTYPES, ids=DTYPE_IDS)
def test_import_with_dtype_every_pair(src, dst, rng):
    x = random_array((6, 9), src, rng)
    if np.can_cast(src, dst, casting="same_kind"):
        with np.errstate(all="ignore"):
            expected = x.astype(dst)
        A = pc.matrix(x, dtype=dst)
        assert A.dtype == dst and A.dtype.name == TOKEN_OF[dst]
        assert_same(pc.to_numpy(A), expected)
        v = pc.vector(x[2, ::-2], dtype=TOKEN_OF[dst])
        assert_same(pc.to_numpy(v), expected[2, ::-2])
        B = pc.matrix(pc.matrix(x), dtype=dst)  # from a pycauset object, same rule
        assert_same(pc.to_numpy(B), expected)
    else:
        with pytest.raises(TypeError, match="same_kind"):
            pc.matrix(x, dtype=dst)
        with pytest.raises(TypeError):
            pc.vector(x[0], dtype=TOKEN_OF[dst])
        with pytest.raises(TypeError):
            pc.matrix(pc.matrix(x), dtype=dst)


def test_import_dtype_spellings_are_equivalent():
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    for spec in ("float32", np.float32, np.dtype("float32"), pc.float32):
        A = pc.matrix(x, dtype=spec)
        assert A.dtype is pc.float32
        assert_same(pc.to_numpy(A), x.astype(np.float32))
    assert pc.matrix(x, dtype=float).dtype is pc.float64
    assert pc.matrix(x, dtype=complex).dtype is pc.complex_float64
    assert pc.vector([True, False], dtype="bool").dtype is pc.bit
    assert pc.vector([1, 2], dtype="complex128").dtype is pc.complex_float64


def test_import_documented_same_kind_examples():
    assert pc.matrix(np.arange(4).reshape(2, 2), dtype="int8").dtype is pc.int8
    assert pc.matrix(np.ones((2, 2)), dtype="float32").dtype is pc.float32
    with pytest.raises(TypeError):
        pc.matrix(np.ones((2, 2)), dtype="int64")  # float -> int is unsafe
    with pytest.raises(TypeError):
        pc.vector(np.array([1 + 1j]), dtype="float64")  # complex -> real
    with pytest.raises(TypeError):
        pc.vector(np.array([1, 2]), dtype="bit")  # int -> bool
    with pytest.raises(TypeError):
        pc.vector(np.array([-1, 2], dtype=np.int8), dtype="uint8")  # signed -> unsigned


# ---- rank errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "factory, data, shape_text, advice",
    [
        (pc.matrix, np.array(3.0), "()", None),
        (pc.vector, np.array(3.0), "()", None),
        (pc.matrix, 5, "()", None),
        (pc.vector, 2.5, "()", None),
        (pc.matrix, np.zeros((2, 3, 4)), "(2, 3, 4)", None),
        (pc.vector, np.zeros((2, 3, 4)), "(2, 3, 4)", None),
        (pc.matrix, np.zeros((1, 1, 1, 1)), "(1, 1, 1, 1)", None),
        (pc.matrix, np.zeros(5), "(5,)", "pycauset.vector"),
        (pc.matrix, [1.0, 2.0], "(2,)", "pycauset.vector"),
        (pc.vector, np.zeros((2, 3)), "(2, 3)", "pycauset.matrix"),
        (pc.vector, [[1, 2]], "(1, 2)", "pycauset.matrix"),
        (pc.vector, np.zeros((0, 3)), "(0, 3)", "pycauset.matrix"),
    ],
)
def test_rank_errors_name_shape_and_factory(factory, data, shape_text, advice):
    with pytest.raises(ValueError) as info:
        factory(data)
    message = str(info.value)
    assert shape_text in message
    assert factory.__name__ in message  # the factory that was called
    if advice is not None:
        assert advice in message  # the factory to use instead
    else:
        assert "vector" in message and "matri" in message  # says what ranks exist


def test_rank_errors_for_pycauset_objects():
    v = pc.vector(np.arange(4.0))
    A = pc.matrix(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"pycauset\.vector") as info:
        pc.matrix(v)
    assert "(4,)" in str(info.value)
    with pytest.raises(ValueError, match=r"pycauset\.matrix") as info:
        pc.vector(A)
    assert "(2, 3)" in str(info.value)


# ---- unsupported dtypes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        np.array([1, "a", None], dtype=object),
        np.array(["a", "bc"]),
        np.array([b"a", b"bc"]),
        np.array(["2024-01-01"], dtype="datetime64[D]"),
        np.array([1, 2], dtype="timedelta64[s]"),
        np.zeros(3, dtype=[("a", "f8"), ("b", "i4")]),
        np.zeros(3, dtype="V4"),
        np.zeros(3, dtype=np.clongdouble),
        [1, None],
        ["x", "y"],
    ],
    ids=["object", "str", "bytes", "datetime", "timedelta", "structured", "void", "clongdouble",
         "list_none", "list_str"],
)
def test_unsupported_dtypes_raise_type_error(data):
    with pytest.raises(TypeError) as info:
        pc.vector(data)
    message = str(info.value)
    for token in ("bit", "int8", "uint64", "float16", "float64", "complex_float32", "complex_float64"):
        assert token in message
    with pytest.raises(TypeError):
        pc.matrix(np.asarray(data).reshape(1, -1))


def test_longdouble_is_rejected_where_it_is_not_float64():
    if np.dtype(np.longdouble).itemsize == 8:
        pytest.skip("longdouble is float64 here")
    with pytest.raises(TypeError):
        pc.vector(np.zeros(3, dtype=np.longdouble))


# ---- array-likes ------------------------------------------------------------------------------


class _HasArray:
    def __init__(self, arr):
        self._arr = arr

    def __array__(self, dtype=None, copy=None):
        return self._arr if dtype is None else self._arr.astype(dtype)


@pytest.mark.parametrize(
    "data",
    [
        [1, 2, 3],
        [1.5, -2.0, 3.25],
        [True, False, True],
        [1 + 2j, -3j],
        [1, 2.5],
        (4, 5, 6),
        range(5),
        [np.int8(3), np.int8(-4)],
        [np.float32(1.5), np.float32(2.5)],
        [],
        [2**63, 2**64 - 1],
        [-(2**63), 2**63 - 1],
    ],
    ids=["ints", "floats", "bools", "complex", "mixed", "tuple", "range", "np_int8", "np_float32",
         "empty", "uint64_big", "int64_extremes"],
)
def test_vector_from_array_likes(data):
    expected = np.asarray(data)
    v = pc.vector(data)
    assert v.dtype == expected.dtype
    assert_same(pc.to_numpy(v), expected)


@pytest.mark.parametrize(
    "data",
    [
        [[1, 2, 3], [4, 5, 6]],
        [[1.0], [2.0]],
        [[True, False]],
        [(1 + 1j, 2), (3, 4j)],
        [[]],
        [range(3), range(3, 6)],
        [np.arange(3, dtype=np.uint16), np.arange(3, 6, dtype=np.uint16)],
    ],
    ids=["ints", "column", "bools", "complex", "empty_row", "ranges", "list_of_arrays"],
)
def test_matrix_from_nested_lists(data):
    expected = np.asarray(data)
    A = pc.matrix(data)
    assert A.shape == expected.shape
    assert A.dtype == expected.dtype
    assert_same(pc.to_numpy(A), expected)


def test_objects_with_array_protocol_are_array_likes(rng):
    a = rng.random((3, 4)).astype(np.float32)
    A = pc.matrix(_HasArray(a))
    assert_same(pc.to_numpy(A), a)
    v = pc.vector(_HasArray(np.arange(5, dtype=np.uint32)))
    assert_same(pc.to_numpy(v), np.arange(5, dtype=np.uint32))


def test_ragged_nested_lists_raise_value_error():
    with pytest.raises(ValueError):
        pc.matrix([[1, 2], [3]])


# ---- astype between every pair of dtypes -----------------------------------------------------


def _astype_source(src: np.dtype, dst: np.dtype, rng) -> np.ndarray:
    """Random data of src; for float/complex -> int, values NumPy defines (finite, in range)."""
    x = random_array((6, 9), src, rng)
    if src.kind in "fc" and dst.kind in "iu":
        info = np.iinfo(dst)
        re = x.real.astype(np.float64)
        ok = np.isfinite(re) & (re >= float(info.min)) & (re < float(info.max) + 1.0)
        x = np.where(ok, x, np.zeros((), dtype=src))
        if src.kind == "c":
            x = x.copy()
            x.imag = np.where(np.isfinite(x.imag), x.imag, 0)
    return np.ascontiguousarray(x)


def _expected_astype(x: np.ndarray, dst: np.dtype) -> np.ndarray:
    with np.errstate(all="ignore"):
        if dst.kind == "b":
            return x != 0
        if x.dtype.kind == "c" and dst.kind != "c":
            return x.real.astype(dst)
        return x.astype(dst)


@pytest.mark.parametrize("dst", NP_DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("src", NP_DTYPES, ids=DTYPE_IDS)
def test_astype_every_pair(src, dst, rng):
    x = _astype_source(src, dst, rng)
    A = pc.matrix(x)
    B = A.astype(TOKEN_OF[dst])
    assert isinstance(B, pc.Matrix)
    assert B.dtype == dst and B.shape == x.shape
    expected = _expected_astype(x, dst)
    assert_same(pc.to_numpy(B), expected)
    assert_same(pc.to_numpy(A), x)  # the source is unchanged
    # a strided view converts the same way
    C = A[::-2, 1::3].T.astype(dst)
    assert_same(pc.to_numpy(C), np.ascontiguousarray(expected[::-2, 1::3].T))
    # vectors too
    w = pc.vector(x[3]).astype(pc.dtype(dst))
    assert_same(pc.to_numpy(w), expected[3])


def test_astype_copy_semantics():
    A = pc.matrix(np.arange(6.0).reshape(2, 3))
    B = A.astype("float64")
    assert B is not A
    B[0, 0] = 99.0
    assert A[0, 0] == 0.0
    assert A.astype(pc.float64, copy=False) is A
    C = A.astype("float32", copy=False)
    assert C is not A and C.dtype is pc.float32


@given(strided_arrays(min_dims=2), st.sampled_from(NP_DTYPES))
def test_property_astype(x, dst):
    if x.dtype.kind in "fc" and dst.kind in "iu":
        info = np.iinfo(dst)
        with np.errstate(all="ignore"):
            re = x.real.astype(np.float64)
        ok = np.isfinite(re) & (re >= float(info.min)) & (re < float(info.max) + 1.0)
        x = np.where(ok, x, np.zeros((), dtype=x.dtype))
    A = pc.matrix(x)
    assert_same(pc.to_numpy(A.astype(dst)), _expected_astype(np.ascontiguousarray(x), dst))


# ---- export dtype and shape -----------------------------------------------------------------


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_export_dtype_and_shape_follow_the_mapping(np_dtype):
    A = pc.zeros((3, 5), dtype=TOKEN_OF[np_dtype])
    v = pc.zeros(7, dtype=TOKEN_OF[np_dtype])
    for obj, shape in ((A, (3, 5)), (v, (7,))):
        for out in (pc.to_numpy(obj), np.asarray(obj), np.array(obj)):
            assert out.dtype == np_dtype
            assert out.shape == shape
            assert_same(out, np.zeros(shape, dtype=np_dtype))


def test_to_numpy_rejects_non_pycauset_objects():
    for bad in (np.zeros(3), [1, 2], 3.0, None):
        with pytest.raises(TypeError):
            pc.to_numpy(bad)


def test_there_is_no_pc_asarray():
    assert not hasattr(pc, "asarray")


@pytest.mark.parametrize("token", TOKENS)
def test_zero_size_exports(token):
    for shape in ((0,), (0, 0), (0, 4), (4, 0)):
        obj = pc.zeros(shape, dtype=token)
        np_dtype = pc.dtype(token).numpy
        for out in (pc.to_numpy(obj), np.asarray(obj), np.array(obj)):
            assert out.shape == shape and out.dtype == np_dtype


def _copy_exports(obj):
    """Every route that makes a copy export: to_numpy, np.array, np.asarray(copy=True), __array__."""
    return {
        "to_numpy": lambda: pc.to_numpy(obj),
        "np.array": lambda: np.array(obj),
        "np.asarray(copy=True)": lambda: np.asarray(obj, copy=True),
        "__array__(copy=True)": lambda: obj.__array__(copy=True),
    }


@pytest.mark.parametrize("shape, dtype", [((2048, 2048), np.float64), ((1 << 22,), np.float64),
                                          ((1 << 23,), np.float32), ((300, 7), np.complex64),
                                          ((1024, 700), np.int16)])
def test_export_copy_owns_its_memory(shape, dtype):
    """A copy export is a writeable, C-ordered array that owns its memory through its base
    chain (large copies: a block from pycauset's reuse cache; small ones: np.empty). It
    shares nothing with the object: it outlives it, and writes never reach it."""
    a = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    obj = pc.matrix(a) if a.ndim == 2 else pc.vector(a)
    view = pc.to_numpy(obj, copy=False)
    outs = {}
    for route, export in _copy_exports(obj).items():
        out = export()
        assert out.flags.writeable and out.flags.c_contiguous, route
        assert out.dtype == a.dtype and out.shape == a.shape, route
        assert not np.shares_memory(out, view), route
        np.testing.assert_array_equal(out, a)
        out.reshape(-1)[:3] = 7  # writes stay in the copy
        outs[route] = out
    np.testing.assert_array_equal(view, a)
    del obj, view
    gc.collect()
    for route, out in outs.items():  # valid after the object is gone
        expected = a.copy()
        expected.reshape(-1)[:3] = 7
        np.testing.assert_array_equal(out, expected)


def test_large_copy_export_memory_is_outside_the_budget_and_returns_to_the_cache():
    """The memory of a large copy export belongs to the ndarray: it is not counted in
    pycauset's RAM in use while NumPy holds it; freeing the array hands the mapping back to
    pycauset's reuse cache, and the next export takes it from there."""
    n = 1 << 22  # 32 MiB of float64
    a = np.arange(n, dtype=np.float64)
    obj = pc.vector(a)
    gc.collect()
    pc._core.release_cached_ram()
    used = pc.memory_info()["ram_in_use"]
    out = pc.to_numpy(obj)
    assert pc.memory_info()["ram_in_use"] == used  # the user's memory, not pycauset's
    assert pc.memory_info()["ram_cached"] == 0
    np.testing.assert_array_equal(out, a)
    del out
    gc.collect()
    cached = pc.memory_info()["ram_cached"]
    assert cached >= a.nbytes  # the freed export's mapping, kept for reuse
    out = np.array(obj)
    assert pc.memory_info()["ram_cached"] <= cached - a.nbytes  # taken back out
    np.testing.assert_array_equal(out, a)
    del out
    gc.collect()
    pc._core.release_cached_ram()
    assert pc._core.ram_bytes_cached() == 0


def test_large_copy_export_of_bits_unpacks_to_bool():
    a = np.random.default_rng(3).random((2048, 1500)) < 0.5  # 3 MiB of bool
    obj = pc.matrix(a, dtype="bit")
    for route, export in _copy_exports(obj).items():
        out = export()
        assert out.dtype == np.bool_ and out.flags.writeable and out.flags.c_contiguous, route
        np.testing.assert_array_equal(out, a)


def test_large_copy_export_pickles_and_resizes_sanely():
    """Pickling copies the values into a new array; np.resize makes a new array;
    ndarray.resize in place raises ValueError, as for any array that does not own its
    data directly (NumPy refuses to reallocate memory it did not allocate)."""
    a = np.arange(1 << 18, dtype=np.float64).reshape(512, 512)  # 2 MiB
    out = pc.to_numpy(pc.matrix(a))
    for protocol in (2, 5):
        back = pickle.loads(pickle.dumps(out, protocol=protocol))
        assert back.flags.writeable
        np.testing.assert_array_equal(back, a)
        back[0, 0] = -1
        assert out[0, 0] == 0
    np.testing.assert_array_equal(copy.deepcopy(out), a)
    bigger = np.resize(out, (600, 600))
    np.testing.assert_array_equal(bigger, np.resize(a, (600, 600)))
    with pytest.raises(ValueError):
        out.resize((600, 600))
    np.testing.assert_array_equal(out, a)
