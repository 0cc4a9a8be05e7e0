"""Matrix and Vector objects: attributes, T, element access, basic slicing and views,
assignment, fill, copy, astype, factories, bit matrices, printing and Python protocols.

Most tests mirror every operation on a NumPy array and compare the results exactly.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pycauset as pc
from conftest import DTYPE_IDS, NP_DTYPES, TOKEN_OF, TOKENS, assert_same, random_array


def _np(obj) -> np.ndarray:
    """Export for comparison (a copy, never affected by later writes)."""
    return pc.to_numpy(obj)


def _pair(shape, np_dtype, rng):
    a = random_array(shape, np_dtype, rng)
    obj = (pc.matrix if len(shape) == 2 else pc.vector)(a)
    return obj, a


def _expected_nbytes(size, np_dtype):
    return math.ceil(size / 8) if np_dtype.kind == "b" else size * np_dtype.itemsize


# ---- attributes -----------------------------------------------------------------------------


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_matrix_and_vector_attributes(np_dtype, rng):
    A, a = _pair((3, 5), np_dtype, rng)
    assert isinstance(A, pc.Matrix) and not isinstance(A, pc.Vector)
    assert A.shape == (3, 5) and A.ndim == 2 and A.size == 15
    assert A.dtype is pc.dtype(TOKEN_OF[np_dtype])
    assert A.nbytes == _expected_nbytes(15, np_dtype)
    assert len(A) == 3
    v, b = _pair((7,), np_dtype, rng)
    assert isinstance(v, pc.Vector) and not isinstance(v, pc.Matrix)
    assert v.shape == (7,) and v.ndim == 1 and v.size == 7
    assert v.nbytes == _expected_nbytes(7, np_dtype)
    assert len(v) == 7
    for obj in (A, v):
        st_ = obj.storage
        assert isinstance(st_, pc.Storage)
        assert st_.kind == "ram" and st_.path is None and st_.pinned == 0
        assert st_.nbytes >= obj.nbytes
        assert obj.properties == {"structure": "dense"}


@pytest.mark.parametrize(
    "shape, nbytes",
    [((2048, 8192), 2048 * 8192 // 8), ((3, 70), 27), ((65, 1), 9), ((1, 64), 8), ((9,), 2),
     ((64,), 8), ((0,), 0), ((0, 10), 0), ((1,), 1)],
)
def test_bit_nbytes_packs_eight_per_byte(shape, nbytes):
    obj = pc.zeros(shape, dtype="bit")
    assert obj.nbytes == nbytes
    assert obj.nbytes == math.ceil(np.zeros(shape, dtype=bool).nbytes / 8)


def test_views_report_their_own_size_and_nbytes(rng):
    A, a = _pair((6, 8), np.dtype(np.float32), rng)
    for key in [(slice(1, 4), slice(None, None, 2)), 3, (slice(None), 5), (slice(None, None, -1),)]:
        view = A[key]
        assert view.shape == a[key].shape
        assert view.size == a[key].size
        assert view.nbytes == a[key].nbytes
        assert view.storage.nbytes == A.storage.nbytes  # same underlying buffer


# ---- T ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_transpose_is_a_view(np_dtype, rng):
    A, a = _pair((4, 6), np_dtype, rng)
    T = A.T
    assert isinstance(T, pc.Matrix)
    assert T.shape == (6, 4) and T.dtype is A.dtype
    assert_same(_np(T), np.ascontiguousarray(a.T))
    assert_same(_np(A.T.T), a)
    values = random_array((2,), np_dtype, rng)
    # writes through A.T are visible in A, and the other way round
    T[5, 1] = values[0]
    a[1, 5] = values[0]
    A[3, 0] = values[1]
    a[3, 0] = values[1]
    assert_same(_np(A), a)
    assert_same(_np(T), np.ascontiguousarray(a.T))
    T[1:3, :] = a.T[4:6, :]  # slice assignment through the transpose
    a.T[1:3, :] = a.T[4:6, :].copy()
    assert_same(_np(A), a)


def test_vector_transpose_is_itself_like_numpy(rng):
    v, b = _pair((5,), np.dtype(np.int32), rng)
    assert v.T.shape == b.T.shape == (5,)
    v.T[2] = 17
    assert v[2] == 17


def test_transpose_properties_flip_triangular_structure():
    A = pc.matrix(np.triu(np.ones((3, 3))))
    A.properties["structure"] = "upper_triangular"
    assert A.T.properties["structure"] == "lower_triangular"
    assert A.T.T.properties["structure"] == "upper_triangular"
    assert pc.identity(3).properties["structure"] == "diagonal"
    assert pc.identity(3).T.properties["structure"] == "diagonal"


# ---- element access ----------------------------------------------------------------------


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_element_get_every_index_positive_and_negative(np_dtype, rng):
    A, a = _pair((4, 5), np_dtype, rng)
    got = np.empty_like(a)
    got_neg = np.empty_like(a)
    for i in range(4):
        for j in range(5):
            x = A[i, j]
            assert type(x) is np_dtype.type
            got[i, j] = x
            got_neg[i, j] = A[i - 4, j - 5]
    assert_same(got, a)
    assert_same(got_neg, a)
    v, b = _pair((6,), np_dtype, rng)
    assert_same(np.array([v[i] for i in range(6)], dtype=np_dtype), b)
    assert_same(np.array([v[i] for i in range(-6, 0)], dtype=np_dtype), b)
    assert type(v[-1]) is np_dtype.type
    assert_same(np.array([A[np.int64(1), np.uint8(2)]]), a[1:2, 2])  # NumPy integer indices


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_element_set_mirrors_numpy(np_dtype, rng):
    A, a = _pair((4, 5), np_dtype, rng)
    values = random_array((12,), np_dtype, rng)
    positions = [(0, 0), (3, 4), (-1, -1), (-4, 2), (2, -5), (1, 3)]
    for k, (i, j) in enumerate(positions):
        A[i, j] = values[k]  # NumPy scalar of the same dtype
        a[i, j] = values[k]
        A[(i + 1) % 4, j] = values[k + 6].item()  # the Python scalar
        a[(i + 1) % 4, j] = values[k + 6].item()
    assert_same(_np(A), a)
    v, b = _pair((6,), np_dtype, rng)
    v[-2] = values[0]
    b[-2] = values[0]
    v[0] = values[1]
    b[0] = values[1]
    assert_same(_np(v), b)


@pytest.mark.parametrize("key", [(4, 0), (0, 5), (-5, 0), (0, -6), (100, 100), (-100, 0)])
def test_element_index_out_of_range_raises_index_error(key):
    A = pc.zeros((4, 5))
    with pytest.raises(IndexError):
        np.zeros((4, 5))[key]
    with pytest.raises(IndexError):
        A[key]
    with pytest.raises(IndexError):
        A[key] = 1.0


@pytest.mark.parametrize("key", [6, -7, 1000])
def test_vector_index_out_of_range_raises_index_error(key):
    v = pc.zeros(6, dtype="int8")
    with pytest.raises(IndexError):
        v[key]
    with pytest.raises(IndexError):
        v[key] = 1
    M = pc.zeros((6, 3))
    with pytest.raises(IndexError):
        M[key]  # a row index


def test_invalid_indices_raise_index_error():
    A = pc.zeros((3, 3))
    v = pc.zeros(3)
    for key in [(0, 0, 0), (0, 1.5), 1.5, "a", (Ellipsis, Ellipsis)]:
        with pytest.raises(IndexError):
            A[key]
    for key in [(0, 0), 1.5]:
        with pytest.raises(IndexError):
            v[key]


# ---- NumPy scalar assignment semantics (element set, fill, full) ------------------------

SCALAR_CASES = [
    (300, "int8"),
    (-129, "int8"),
    (-1, "uint8"),
    (256, "uint8"),
    (2**64, "uint64"),
    (2**63, "int64"),
    (2**64 - 1, "uint64"),
    (-(2**63), "int64"),
    (-5, "uint64"),
    (2.7, "int32"),
    (-2.7, "int16"),
    (-0.0, "int8"),
    (1e20, "int64"),
    (float("nan"), "int64"),
    (float("nan"), "uint8"),
    (float("inf"), "int32"),
    (float("-inf"), "int8"),
    (1j, "float64"),
    (1 + 0j, "float32"),
    (2 - 3j, "int32"),
    (True, "int8"),
    (False, "float64"),
    (5, "bool"),
    (0.0, "bool"),
    (0.5j, "bool"),
    (1.5, "float16"),
    (np.float64(2.5), "int8"),
    (np.int64(300), "int8"),
    (np.int16(7), "uint32"),
    (3 - 1j, "complex64"),
    (2**53 + 1, "float64"),
    (np.uint64(2**64 - 1), "int64"),
    (7, "complex128"),
]
SCALAR_IDS = [f"{v!r}->{d}" for v, d in SCALAR_CASES]


def _numpy_outcome(value, dtype):
    a = np.zeros(3, dtype=dtype)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            a[1] = value
    except Exception as e:  # noqa: BLE001 - we compare exception types
        return type(e)
    return a[1]


@pytest.mark.parametrize("value, dtype", SCALAR_CASES, ids=SCALAR_IDS)
def test_scalar_assignment_matches_numpy(value, dtype):
    expected = _numpy_outcome(value, dtype)
    token = pc.dtype(dtype).name
    ops = {
        "element": lambda: pc.zeros(3, dtype=token).__setitem__(1, value),
        "matrix element": lambda: pc.zeros((2, 2), dtype=token).__setitem__((1, 0), value),
        "fill": lambda: pc.zeros(3, dtype=token).fill(value),
        "slice": lambda: pc.zeros((3, 3), dtype=token).__setitem__((slice(None), 1), value),
        "full": lambda: pc.full((2, 2), value, dtype=token),
    }
    for name, op in ops.items():
        if isinstance(expected, type):
            with pytest.raises(expected):
                op()
        else:
            op()
    if not isinstance(expected, type):
        v = pc.zeros(3, dtype=token)
        v[1] = value
        assert_same(_np(v)[1:2], np.array([expected]))
        w = pc.zeros(3, dtype=token)
        w.fill(value)
        assert_same(_np(w), np.full(3, expected))
        assert_same(_np(pc.full(3, value, dtype=token)), np.full(3, expected))


def test_issue_example_complex_matrix():
    B = pc.zeros((4, 5), dtype="complex_float64")
    b = np.zeros((4, 5), dtype=np.complex128)
    B[1, 2] = 3 - 1j
    b[1, 2] = 3 - 1j
    assert B[1, 2] == 3 - 1j
    assert_same(_np(B), b)
    B.fill(0.5)
    assert_same(_np(B), np.full((4, 5), 0.5 + 0j))


def test_fill_errors_named_in_the_brief():
    with pytest.raises(OverflowError):
        pc.zeros(3, dtype="int8").fill(128)
    with pytest.raises(OverflowError):
        pc.zeros(3, dtype="int8").fill(-1000)
    with pytest.raises(TypeError):
        pc.zeros((2, 2)).fill(1 + 2j)
    with pytest.raises(ValueError):
        pc.zeros((2, 2), dtype="int64").fill(float("nan"))
    with pytest.raises(TypeError):
        pc.zeros(2).fill("1.0")
    with pytest.raises(TypeError):
        pc.zeros(2).fill(None)
    with pytest.raises(TypeError):
        pc.zeros(2).fill([1.0])


def test_failed_fill_leaves_object_unchanged():
    v = pc.vector(np.arange(4, dtype=np.int8))
    with pytest.raises(OverflowError):
        v.fill(1000)
    assert_same(_np(v), np.arange(4, dtype=np.int8))


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_fill_whole_and_views(np_dtype, rng):
    A, a = _pair((5, 7), np_dtype, rng)
    value = random_array((1,), np_dtype, rng)[0]
    A[1:4, ::-3].fill(value)
    a[1:4, ::-3] = value
    assert_same(_np(A), a)
    A.T[2].fill(value)
    a.T[2] = value
    assert_same(_np(A), a)
    A.fill(value)
    a.fill(value)
    assert_same(_np(A), a)


# ---- basic slicing: views ---------------------------------------------------------------------

KEYS_2D = [
    (slice(None), slice(None)),
    (slice(1, 4),),
    (slice(1, 4), slice(2, None)),
    (slice(None, None, 2), slice(1, None, 3)),
    (slice(None, None, -1),),
    (slice(None, None, -2), slice(None, None, -3)),
    (slice(4, 0, -2), slice(5, 1, -1)),
    (slice(-3, None), slice(None, -2)),
    (slice(3, 3),),
    (slice(5, 2), slice(None)),
    (slice(None), slice(6, 6)),
    (slice(100, 200),),
    (slice(-100, 100), slice(-100, 100, 4)),
    2,
    -1,
    (3, slice(None)),
    (slice(None), 0),
    (slice(None), -2),
    (1, slice(None, None, -2)),
    (slice(None, None, 3), 4),
    Ellipsis,
    (Ellipsis, 1),
    (2, Ellipsis),
    (Ellipsis, slice(1, 3)),
    (slice(1, 3), Ellipsis),
    (np.int64(1), slice(None)),
]
KEY_IDS = [str(k) for k in KEYS_2D]


@pytest.mark.parametrize("key", KEYS_2D, ids=KEY_IDS)
@pytest.mark.parametrize("np_dtype", [np.dtype(np.float64), np.dtype(np.int16), np.dtype(np.bool_),
                                      np.dtype(np.complex64)], ids=str)
def test_basic_slicing_matches_numpy_and_is_a_view(np_dtype, key, rng):
    A, a = _pair((5, 7), np_dtype, rng)
    view = A[key]
    expected = a[key]
    assert isinstance(view, pc.Vector if expected.ndim == 1 else pc.Matrix)
    assert view.shape == expected.shape
    assert view.dtype is A.dtype
    assert_same(_np(view), np.ascontiguousarray(expected))
    # writing into the view changes the parent, exactly as in NumPy
    if view.size:
        fresh = random_array(expected.shape, np_dtype, rng)
        view[...] = fresh
        a[key] = fresh
        assert_same(_np(A), a)
        assert_same(_np(view), np.ascontiguousarray(a[key]))
        idx = (0,) * view.ndim
        one = random_array((1,), np_dtype, rng)[0]
        view[idx] = one
        a[key][idx] = one
        assert_same(_np(A), a)
        # and writing into the parent shows in the view
        A.fill(np.zeros((), dtype=np_dtype).item())
        a.fill(0)
        assert_same(_np(view), np.ascontiguousarray(a[key]))


KEYS_1D = [slice(None), slice(2, 7), slice(None, None, 3), slice(None, None, -1), slice(8, 1, -2),
           slice(-4, None), slice(5, 5), slice(20, 30), slice(-100, 100, 5), Ellipsis]


@pytest.mark.parametrize("key", KEYS_1D, ids=[str(k) for k in KEYS_1D])
@pytest.mark.parametrize("np_dtype", [np.dtype(np.uint32), np.dtype(np.bool_), np.dtype(np.float16)],
                         ids=str)
def test_vector_slicing_matches_numpy_and_is_a_view(np_dtype, key, rng):
    v, b = _pair((10,), np_dtype, rng)
    view = v[key]
    assert isinstance(view, pc.Vector)
    assert_same(_np(view), np.ascontiguousarray(b[key]))
    if view.size:
        fresh = random_array(b[key].shape, np_dtype, rng)
        view[:] = fresh
        b[key] = fresh
        assert_same(_np(v), b)


def test_nested_views_compose_like_numpy(rng):
    A, a = _pair((9, 11), np.dtype(np.float64), rng)
    V = A[1:, ::-1][::2, 3:][:, ::-2].T[1:]
    e = a[1:, ::-1][::2, 3:][:, ::-2].T[1:]
    assert_same(_np(V), np.ascontiguousarray(e))
    V[...] = -1.0
    e[...] = -1.0
    assert_same(_np(A), a)
    r = A[::-2][1][2:]  # row of a reversed view, then a slice
    assert_same(_np(r), a[::-2][1][2:])


def test_slice_step_zero_raises_value_error():
    with pytest.raises(ValueError):
        np.zeros((3, 3))[::0]
    with pytest.raises(ValueError):
        pc.zeros((3, 3))[::0]
    with pytest.raises(ValueError):
        pc.zeros(3)[::0]


def test_row_and_column_vectors(rng):
    A, a = _pair((4, 6), np.dtype(np.int64), rng)
    row = A[2]
    col = A[:, 3]
    assert isinstance(row, pc.Vector) and row.shape == (6,)
    assert isinstance(col, pc.Vector) and col.shape == (4,)
    assert_same(_np(row), a[2])
    assert_same(_np(col), a[:, 3])
    col[1] = 99
    a[1, 3] = 99
    row[-1] = -99
    a[2, -1] = -99
    assert_same(_np(A), a)


# ---- slice assignment -------------------------------------------------------------------


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_slice_assignment_from_scalars_lists_arrays(np_dtype, rng):
    A, a = _pair((4, 6), np_dtype, rng)
    src = random_array((4, 6), np_dtype, rng)
    scalar = src[0, 0]
    steps = [
        ((slice(1, 3), slice(None, None, 2)), scalar),  # NumPy scalar
        ((slice(None), 1), scalar.item()),  # Python scalar
        ((0,), src[1].tolist()),  # list
        ((slice(None), slice(None)), src[::-1]),  # array with negative strides
        ((slice(None), slice(2, 4)), src[:, :2].T.copy().T),  # Fortran-ordered
        ((slice(None), slice(None)), src[2]),  # (6,) broadcast over rows
        ((slice(None), slice(1, 5)), src[:, 2:3]),  # (4, 1) broadcast over columns
        ((slice(1, 3), slice(None)), src[3:4, :]),  # (1, 6) broadcast
        ((slice(None, None, -1), slice(None, None, -1)), src),
        ((3, slice(None, None, -1)), src[0, ::-1].tolist()),
        ((slice(None), slice(None)), np.array(scalar)),  # 0-d array
        ((slice(None), 0), src[:, 5].tolist()),
    ]
    for key, value in steps:
        A[key] = value
        a[key] = value
        assert_same(_np(A), a)


def test_slice_assignment_casts_like_numpy(rng):
    A = pc.zeros((3, 4), dtype="float32")
    a = np.zeros((3, 4), dtype=np.float32)
    ints = np.arange(12, dtype=np.int64).reshape(3, 4)
    A[...] = ints
    a[...] = ints
    assert_same(_np(A), a)
    bools = rng.random((3, 4)) > 0.5
    A[:, :] = bools
    a[:, :] = bools
    assert_same(_np(A), a)
    M = pc.zeros((3, 4), dtype="bit")
    m = np.zeros((3, 4), dtype=bool)
    data = np.array([[0, 2, 0, 3], [1, 0, 0, 0], [0, 0, 255, 0]], dtype=np.uint8)
    M[...] = data
    m[...] = data
    assert_same(_np(M), m)
    floats = np.array([[0.0, -0.0, 0.5, np.nan]] * 3)
    M[...] = floats
    m[...] = floats
    assert_same(_np(M), m)
    I8 = pc.zeros(4, dtype="int8")
    i8 = np.zeros(4, dtype=np.int8)
    big = np.array([1, 200, -300, 5], dtype=np.int64)  # NumPy casts arrays unsafely (wraps)
    I8[:] = big
    i8[:] = big
    assert_same(_np(I8), i8)


def test_slice_assignment_from_lists_uses_the_target_dtype():
    # NumPy converts a list straight to the destination dtype; big Python ints must not
    # pass through float64 on the way.
    big = [17053119991287697041, 5, 2**64 - 1]
    v = pc.zeros(3, dtype="uint64")
    b = np.zeros(3, dtype=np.uint64)
    v[:] = big
    b[:] = big
    assert_same(_np(v), b)
    ints = [2**62 + 1, -(2**63), 2**63 - 1]
    w = pc.zeros(3, dtype="int64")
    c = np.zeros(3, dtype=np.int64)
    w[:] = ints
    c[:] = ints
    assert_same(_np(w), c)
    M = pc.zeros((2, 2), dtype="uint64")
    m = np.zeros((2, 2), dtype=np.uint64)
    M[:, :] = [[2**64 - 1, 1], [2**63 + 3, 0]]
    m[:, :] = [[2**64 - 1, 1], [2**63 + 3, 0]]
    assert_same(_np(M), m)


def test_slice_assignment_shape_mismatch_raises_value_error():
    A = pc.zeros((3, 4))
    a = np.zeros((3, 4))
    for key, value in [((slice(None), slice(None)), np.ones((4, 3))), ((0,), [1.0, 2.0]),
                       ((slice(None), 0), np.ones(4)), ((slice(1, 3),), np.ones((3, 4))),
                       ((slice(None), slice(None)), pc.zeros((4, 3)))]:
        with pytest.raises(ValueError):
            a[key] = np.asarray(value) if not isinstance(value, pc.Matrix) else np.zeros(value.shape)
        with pytest.raises(ValueError):
            A[key] = value
    assert_same(_np(A), a)


def test_slice_assignment_broadcasts_pycauset_sources_like_numpy(rng):
    # A NumPy user expects A[:, :] = row to broadcast whether `row` is an ndarray or a
    # pycauset Vector (numpy-interop.md: vector<->matrix rows/cols broadcast like NumPy).
    a = rng.random((3, 4))
    row = rng.random(4)
    A = pc.matrix(a)
    A[:, :] = pc.vector(row)
    a[:, :] = row
    assert_same(_np(A), a)
    A[1:, :] = A[0:1, :]  # a (1, 4) matrix view into (2, 4)
    a[1:, :] = a[0:1, :]
    assert_same(_np(A), a)
    col = rng.random((3, 1))
    A[:, 1:3] = pc.matrix(col)
    a[:, 1:3] = col
    assert_same(_np(A), a)


@pytest.mark.parametrize("np_dtype", [np.dtype(np.float64), np.dtype(np.int32), np.dtype(np.complex64)],
                         ids=str)
def test_slice_assignment_from_byte_swapped_and_unaligned_arrays(np_dtype, rng):
    A, a = _pair((3, 4), np_dtype, rng)
    src = random_array((3, 4), np_dtype, rng)
    swapped = src.astype(np_dtype.newbyteorder("S"))
    A[...] = swapped
    a[...] = swapped
    assert_same(_np(A), a)
    raw = np.zeros(src.nbytes + 1, dtype=np.uint8)
    unaligned = np.frombuffer(raw.data, dtype=np_dtype, count=src.size, offset=1).reshape(src.shape)
    raw[1:] = src[::-1].view(np.uint8).ravel()
    A[:, ::-1] = unaligned
    a[:, ::-1] = unaligned
    assert_same(_np(A), a)


def test_slice_assignment_complex_into_real_raises_type_error():
    A = pc.zeros((2, 2))
    with pytest.raises(TypeError):
        A[:, :] = np.array([[1j, 2], [3, 4]])
    with pytest.raises(TypeError):
        A[0] = pc.vector(np.array([1j, 2]))
    with pytest.raises(TypeError):
        A[:, 0] = 1j


ASSIGN_PAIRS = [
    (dst, src)
    for dst in (np.dtype(np.float64), np.dtype(np.int32), np.dtype(np.bool_), np.dtype(np.complex64))
    for src in NP_DTYPES
    if not (src.kind == "c" and dst.kind != "c")  # complex into real raises (tested separately)
]


@pytest.mark.parametrize("dst_dtype, src_dtype", ASSIGN_PAIRS, ids=[f"{s}->{d}" for d, s in ASSIGN_PAIRS])
def test_slice_assignment_from_pycauset_objects(dst_dtype, src_dtype, rng):
    A, a = _pair((4, 5), dst_dtype, rng)
    src = random_array((5, 4), src_dtype, rng)
    if src_dtype.kind in "fc" and dst_dtype.kind in "iu":
        src = np.zeros((), src_dtype) + np.round(np.nan_to_num(src.real, posinf=0, neginf=0) % 100)
    S = pc.matrix(src)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        A[:, :] = S.T
        a[:, :] = src.T
        assert_same(_np(A), a)
        A[1:3, ::2] = S[::-2, 1:3].T
        a[1:3, ::2] = src[::-2, 1:3].T
        assert_same(_np(A), a)
        A[2] = S[:, 0]
        a[2] = src[:, 0]
        assert_same(_np(A), a)


@pytest.mark.parametrize("np_dtype", [np.dtype(np.float64), np.dtype(np.int8), np.dtype(np.bool_),
                                      np.dtype(np.complex128)], ids=str)
def test_overlapping_self_assignment_matches_numpy(np_dtype, rng):
    cases = [
        lambda X: (X[:, :], X.T),
        lambda X: (X[1:, :], X[:-1, :]),
        lambda X: (X[:-1, :], X[1:, :]),
        lambda X: (X[:, ::-1], X),
        lambda X: (X[::-1, :], X[:, :]),
        lambda X: (X[1:, 1:], X[:-1, :-1].T),
        lambda X: (X[0], X[:, 0]),
        lambda X: (X[:, 2], X[2]),
    ]
    for case in cases:
        A, a = _pair((6, 6), np_dtype, rng)
        dst, src = case(A)
        dst[...] = src
        dst_np, src_np = case(a)
        dst_np[...] = src_np  # NumPy resolves the overlap
        assert_same(_np(A), a)


def test_overlapping_vector_self_assignment(rng):
    v, b = _pair((9,), np.dtype(np.int32), rng)
    v[1:] = v[:-1]
    b[1:] = b[:-1]
    assert_same(_np(v), b)
    v[::-1] = v
    b[::-1] = b.copy()
    b2 = b
    assert_same(_np(v), b2)


def test_assignment_from_numpy_view_of_the_same_object(rng):
    # np.asarray(A) is a zero-copy view of A's memory; assigning it back into A overlaps.
    # NumPy resolves overlapping assignment as if the source were copied first.
    a = rng.random((5, 5))
    A = pc.matrix(a)
    A[:, :] = np.asarray(A).T
    assert_same(_np(A), a.T.copy())
    b = np.arange(8, dtype=np.int64)
    v = pc.vector(b)
    v[1:] = np.asarray(v)[:-1]
    expected = b.copy()
    expected[1:] = b[:-1].copy()
    assert_same(_np(v), expected)


@pytest.mark.parametrize("step", [2**63, -(2**63), 2**64 + 1])
def test_huge_slice_steps_take_at_most_one_element(step, rng):
    A, a = _pair((3, 4), np.float64, rng)
    for key in [(slice(None), slice(None, None, step)), (slice(None, None, step), 1)]:
        assert_same(_np(A[key]), np.ascontiguousarray(a[key]))
    v = pc.vector(np.arange(5.0))
    assert_same(_np(v[::step]), np.arange(5.0)[::step])
    empty = pc.zeros((0, 3), dtype="bit")
    assert empty[:, ::step].shape == np.zeros((0, 3), bool)[:, ::step].shape


@given(st.data())
def test_property_slicing_and_assignment(data):
    rows = data.draw(st.integers(0, 7))
    cols = data.draw(st.integers(0, 7))
    np_dtype = data.draw(st.sampled_from(NP_DTYPES))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    A, a = _pair((rows, cols), np_dtype, rng)
    key = (data.draw(st.slices(rows)), data.draw(st.slices(cols)))
    view = A[key]
    assert_same(_np(view), np.ascontiguousarray(a[key]))
    if data.draw(st.booleans()):
        view = view.T
        expected_view = a[key].T
    else:
        expected_view = a[key]
    fresh = random_array(expected_view.shape, np_dtype, rng)
    view[...] = fresh
    expected_view[...] = fresh
    assert_same(_np(A), a)


# ---- copy and astype ---------------------------------------------------------------------


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_copy_is_independent(np_dtype, rng):
    A, a = _pair((4, 5), np_dtype, rng)
    view = A[1:, ::-2]
    C = A.copy()
    Cv = view.copy()
    assert C.dtype is A.dtype and C.shape == A.shape
    assert_same(_np(C), a)
    assert_same(_np(Cv), np.ascontiguousarray(a[1:, ::-2]))
    other = random_array((4, 5), np_dtype, rng)
    C[...] = other
    Cv.fill(other[0, 0])
    assert_same(_np(A), a)  # the original did not change
    A[...] = other[::-1]
    assert_same(_np(C), other)  # and the copy did not follow the original
    C.properties["note"] = "copy"
    assert "note" not in A.properties


def test_astype_on_objects(rng):
    a = rng.standard_normal((3, 4)) * 100
    A = pc.matrix(a)
    assert_same(_np(A.astype("int32")), a.astype(np.int32))
    assert_same(_np(A.astype(pc.bit)), a != 0)
    assert_same(_np(A.astype(np.complex64)), a.astype(np.complex64))
    assert_same(_np(A[::-1, 1:].astype("float16")), a[::-1, 1:].astype(np.float16))
    c = a + 1j * a[::-1]
    assert_same(_np(pc.matrix(c).astype("float64")), c.real.copy())
    with pytest.raises(TypeError):
        A.astype("object")


# ---- factories -------------------------------------------------------------------------------


@pytest.mark.parametrize("token", TOKENS)
def test_zeros_ones_full_empty_identity_every_dtype(token):
    np_dtype = pc.dtype(token).numpy
    for shape in [(3, 4), (5,), 5, (0, 3), (0,), (1, 1)]:
        np_shape = shape
        Z = pc.zeros(shape, dtype=token)
        assert Z.dtype is pc.dtype(token)
        assert_same(_np(Z), np.zeros(np_shape, dtype=np_dtype))
        O = pc.ones(shape, dtype=token)
        assert_same(_np(O), np.ones(np_shape, dtype=np_dtype))
        E = pc.empty(shape, dtype=token)
        assert E.shape == np.empty(np_shape).shape and E.dtype is pc.dtype(token)
        F = pc.full(shape, 1, dtype=token)
        assert_same(_np(F), np.full(np_shape, 1, dtype=np_dtype))
        assert isinstance(Z, pc.Vector if np.ndim(np.empty(np_shape)) == 1 else pc.Matrix)
    for n in (0, 1, 4):
        I = pc.identity(n, dtype=token)
        assert isinstance(I, pc.Matrix)
        assert_same(_np(I), np.identity(n, dtype=np_dtype))


def test_factory_default_dtypes_like_numpy():
    assert pc.zeros(3).dtype is pc.float64 and np.zeros(3).dtype == np.float64
    assert pc.ones((2, 2)).dtype is pc.float64
    assert pc.empty(2).dtype is pc.float64
    assert pc.identity(2).dtype is pc.float64
    for value in (7, True, 1.5, 2 - 1j, np.float32(1.5), np.int8(3), np.uint16(9), np.bool_(False),
                  np.complex64(1j)):
        F = pc.full(3, value)
        expected = np.full(3, value)
        assert F.dtype == expected.dtype, (value, F.dtype, expected.dtype)
        assert_same(_np(F), expected)
    assert pc.full(3, 7).dtype is pc.int64
    assert pc.full(3, True).dtype is pc.bit
    assert pc.full(3, 1.5).dtype is pc.float64


def test_full_with_dtype_and_fill_value_mismatch():
    assert_same(_np(pc.full((2, 3), 7, dtype="float32")), np.full((2, 3), 7, dtype=np.float32))
    assert_same(_np(pc.full(4, 2.9, dtype="int16")), np.full(4, 2.9, dtype=np.int16))
    with pytest.raises(TypeError):
        pc.full(3, "x")
    with pytest.raises(TypeError):
        pc.full(3, [1, 2, 3])


@pytest.mark.parametrize("factory", [pc.zeros, pc.ones, pc.empty, lambda s, **k: pc.full(s, 1, **k)])
def test_factory_shape_errors(factory):
    for shape in [(2, 3, 4), (1, 1, 1), ()]:
        with pytest.raises(ValueError):
            factory(shape)
    for shape in [-1, (-1,), (2, -3), (-2, 2)]:
        with pytest.raises(ValueError):
            factory(shape)
    for shape in [2.5, (2.0, 3), "3", None, (2, None)]:
        with pytest.raises(TypeError):
            factory(shape)
    assert factory(np.int64(3)).shape == (3,)
    assert factory((np.int32(2), np.uint8(3))).shape == (2, 3)
    assert factory([2, 3]).shape == (2, 3)


def test_identity_errors_and_properties():
    with pytest.raises(TypeError):
        pc.identity(2.5)
    with pytest.raises(ValueError):
        pc.identity(-1)
    I = pc.identity(3, dtype="bit")
    assert_same(_np(I), np.identity(3, dtype=bool))


def test_zeros_of_large_objects_are_zero():
    Z = pc.zeros((1000, 1000))  # fresh memory is zero
    assert not _np(Z).any()
    Zb = pc.zeros((100, 1000), dtype="bit")
    assert not _np(Zb).any()


# ---- bit matrices --------------------------------------------------------------------------


def test_issue_example_bit_matrix_2048x8192(rng):
    data = rng.random((2048, 8192)) > 0.5
    M = pc.matrix(data)
    assert M.dtype is pc.bit and M.shape == (2048, 8192)
    assert M.nbytes == 2048 * 8192 // 8
    assert_same(pc.to_numpy(M), data)
    assert_same(_np(M[100:110, 4000:4100]), data[100:110, 4000:4100])
    assert_same(_np(M.T[5:9, 1:7]), np.ascontiguousarray(data.T[5:9, 1:7]))
    M[-1, -1] = not data[-1, -1]
    assert M[-1, -1] == (not data[-1, -1])


@pytest.mark.parametrize("shape", [(3, 70), (65, 1), (1, 65), (2, 64), (5, 127), (7, 129), (64, 3),
                                   (130, 200)])
def test_bit_matrices_with_ragged_columns(shape, rng):
    data = rng.random(shape) > 0.5
    M = pc.matrix(data)
    assert_same(_np(M), data)
    assert_same(_np(M.T), np.ascontiguousarray(data.T))
    m = data.copy()
    keys = [(slice(None), slice(3, None)), (slice(None, None, -1), slice(None, None, 2)),
            (slice(1, None), slice(None, None, -3)), (slice(None), 0), (0, slice(None)),
            (-1, slice(1, None, 5))]
    for key in keys:
        assert_same(_np(M[key]), np.ascontiguousarray(data[key]))
    # element sets at word edges
    cols = shape[1]
    for j in {0, min(63, cols - 1), min(64, cols - 1), cols - 1}:
        for i in {0, shape[0] - 1}:
            M[i, j] = not m[i, j]
            m[i, j] = not m[i, j]
    assert_same(_np(M), m)
    # writes through slices and the transpose
    M[:, 1::3] = True
    m[:, 1::3] = True
    M.T[::2] = False
    m.T[::2] = False
    assert_same(_np(M), m)
    fresh = rng.random(shape) > 0.5
    M[...] = fresh
    assert_same(_np(M), fresh)
    M[:, ::-1] = fresh
    assert_same(_np(M), fresh[:, ::-1])


def test_bit_fill_of_unaligned_and_aligned_ranges(rng):
    data = rng.random((4, 200)) > 0.5
    M = pc.matrix(data)
    m = data.copy()
    for key, value in [((slice(None), slice(3, 67)), True), ((slice(None), slice(64, 130)), False),
                       ((1, slice(None)), True), ((slice(None), slice(190, None)), True),
                       ((slice(None), slice(0, 64)), False), ((slice(None), 100), True),
                       ((slice(None, None, 2), slice(5, 195, 7)), False)]:
        M[key].fill(value)
        m[key] = value
        assert_same(_np(M), m)
    # bits outside the filled range, including row padding neighbours, are untouched
    assert_same(_np(M[:, :3]), np.ascontiguousarray(m[:, :3]))


def test_bit_elements_are_numpy_bools():
    M = pc.matrix(np.array([[True, False], [False, True]]))
    assert type(M[0, 0]) is np.bool_
    assert M[0, 0] and not M[0, 1]
    M[0, 1] = 2
    assert M[0, 1]
    M[0, 1] = 0.0
    assert not M[0, 1]


def test_bit_vector_long(rng):
    data = rng.random(1000) > 0.5
    v = pc.vector(data)
    assert v.nbytes == 125
    assert_same(_np(v), data)
    assert_same(_np(v[3::7]), data[3::7])
    assert_same(_np(v[::-1]), data[::-1])
    v[64:128] = ~data[64:128]
    data[64:128] = ~data[64:128]
    assert_same(_np(v), data)


# ---- repr / str ----------------------------------------------------------------------------


def test_repr_of_large_matrix_is_short(rng):
    A = pc.matrix(rng.random((3000, 2000)))
    r = repr(A)
    assert r.startswith("pycauset.Matrix")
    assert "..." in r
    assert len(r) < 2000
    assert "(3000, 2000)" in r and "float64" in r
    s = str(A)
    assert "..." in s and len(s) < 2000
    a00 = float(A[0, 0])
    assert np.format_float_positional(a00, precision=4)[:5] in r  # shows the corner values


def test_repr_of_large_bit_and_vector_objects_is_short(rng):
    M = pc.matrix(rng.random((2048, 8192)) > 0.5)
    r = repr(M)
    assert r.startswith("pycauset.Matrix") and "bit" in r and "..." in r and len(r) < 2000
    v = pc.vector(np.arange(100000, dtype=np.int32))
    r = repr(v)
    assert r.startswith("pycauset.Vector") and "..." in r and len(r) < 1000
    assert "99999" in r and "0" in r
    s = str(v)
    assert s == np.array2string(np.arange(100000, dtype=np.int32), threshold=0, edgeitems=3)


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_str_of_small_objects_matches_numpy(np_dtype, rng):
    a = random_array((3, 4), np_dtype, rng, specials=False)
    A = pc.matrix(a)
    assert str(A) == str(a)
    b = random_array(5, np_dtype, rng, specials=False)
    assert str(pc.vector(b)) == str(b)
    r = repr(A)
    assert r.startswith("pycauset.Matrix(shape=(3, 4)")
    assert TOKEN_OF[np_dtype] in r
    assert "..." not in r


def test_str_of_medium_object_summarises_like_numpy(rng):
    a = rng.integers(0, 100, size=(40, 40))
    assert str(pc.matrix(a)) == str(a)
    assert str(pc.matrix(a)[::-1, 5:]) == str(a[::-1, 5:])


@pytest.mark.parametrize("shape", [(1, 5000), (5000, 1), (2000, 3), (3, 2000), (7, 2000), (6, 2000),
                                   (1001,), (40, 40), (32, 32)])
@pytest.mark.parametrize("np_dtype", [np.dtype(np.float64), np.dtype(np.int8), np.dtype(np.bool_),
                                      np.dtype(np.complex64), np.dtype(np.float16)], ids=str)
def test_str_summarises_exactly_like_numpy(shape, np_dtype, rng):
    a = random_array(shape, np_dtype, rng, specials=False)
    obj = (pc.matrix if len(shape) == 2 else pc.vector)(a)
    assert str(obj) == str(a)


def test_repr_of_empty_objects():
    for shape in [(0,), (0, 3), (3, 0)]:
        r = repr(pc.zeros(shape))
        assert str(shape) in r
        assert str(pc.zeros(shape)) == str(np.zeros(shape))


# ---- Python protocols ----------------------------------------------------------------------


def test_len_like_numpy():
    for shape in [(3, 4), (0, 2), (5,), (0,), (1, 0)]:
        assert len(pc.zeros(shape)) == len(np.zeros(shape))


def test_iteration_like_numpy(rng):
    A, a = _pair((3, 4), np.dtype(np.int16), rng)
    rows = list(A)
    assert len(rows) == 3
    for row, expected in zip(rows, a):
        assert isinstance(row, pc.Vector)
        assert_same(_np(row), expected)
    rows[1][0] = 5  # rows are views
    a[1, 0] = 5
    assert_same(_np(A), a)
    v, b = _pair((6,), np.dtype(np.float32), rng)
    items = list(v)
    assert all(type(x) is np.float32 for x in items)
    assert_same(np.array(items, dtype=np.float32), b)
    assert list(pc.zeros((0, 3))) == []


def test_bool_of_single_element_and_larger_objects():
    assert bool(pc.vector([3])) is True
    assert bool(pc.vector([0])) is False
    assert bool(pc.matrix([[0.5]])) is True
    assert bool(pc.matrix([[False]])) is False
    assert bool(pc.zeros((1, 1), dtype="complex64")) is False
    for obj, ref in [(pc.vector([1, 2]), np.array([1, 2])), (pc.zeros((2, 2)), np.zeros((2, 2))),
                     (pc.zeros(0), np.zeros(0)), (pc.zeros((0, 3)), np.zeros((0, 3)))]:
        with pytest.raises(ValueError):
            bool(ref)
        with pytest.raises(ValueError):
            bool(obj)


def test_classes_cannot_be_constructed_directly():
    for cls in (pc.Matrix, pc.Vector):
        with pytest.raises(TypeError):
            cls()
        with pytest.raises(TypeError):
            cls(np.zeros((2, 2)))


def test_objects_are_not_hashable_containers_of_python_attributes():
    A = pc.zeros((2, 2))
    with pytest.raises(AttributeError):
        A.foo = 1  # __slots__: no stray attributes
    with pytest.raises(AttributeError):
        A.shape = (4, 1)
