"""NumPy habits a new user reaches for: each is checked against NumPy itself.

Advanced indexing, ``in``, tolist, min/max/any/all, ``**``, reshape/flatten/ravel,
diagonal, dot, scalar conversion, NumPy functions routed natively, factory
defaults and the errors NumPy raises for wrong arguments.
"""

from __future__ import annotations

import numpy as np
import pytest

import pycauset as pc

INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
ALL_DTYPES = ["bit", *INT_DTYPES, "float16", "float32", "float64", "complex64", "complex128"]


def _sample(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bit":
        return rng.random(shape) < 0.5
    d = np.dtype(dtype)
    if d.kind in "iu":
        return rng.integers(0, 100, size=shape).astype(d)
    if d.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(d)
    return rng.standard_normal(shape).astype(d)


def _obj(arr):
    return pc.vector(arr) if arr.ndim == 1 else pc.matrix(arr)


def _same(got, want):
    """got (pycauset object or NumPy scalar) equals the NumPy result, shape and dtype included."""
    if isinstance(want, np.ndarray):
        got = np.asarray(got)
        assert got.shape == want.shape
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    else:
        assert type(got) is type(want), (type(got), type(want))
        if np.isnan(want):
            assert np.isnan(got)
        else:
            assert got == want


# ---- item 9: integer-array and boolean-mask indexing, `in` ------------------------------

READ_KEYS_2D = [
    np.array([0, 2]),
    [0, 2],
    [-1, 0, -1],
    np.array([True, False, True, False]),
    [True, False, True, False],
    (slice(None), np.array([1, 3])),
    (slice(None), [True, False, False, True, True]),
    (slice(1, None), [-1, 0]),
    ([0, 3], 2),
    (1, [4, 0, 0]),
    ([0, 3], slice(None, None, 2)),
    (np.array([0, 1, 3]), np.array([4, 0, 2])),
    (np.array([1]), np.array([0, 1, 2])),  # broadcast pairs
    np.array([], dtype=np.int64),
    [],
    (Ellipsis, [0, 1]),
]


@pytest.mark.parametrize("key", READ_KEYS_2D, ids=repr)
@pytest.mark.parametrize("dtype", ["bit", "int16", "float64", "complex64"])
def test_advanced_indexing_reads_like_numpy(key, dtype):
    ref = _sample((4, 5), dtype)
    A = pc.matrix(ref)
    got = A[key]
    want = ref[key]
    assert isinstance(got, pc.Matrix if want.ndim == 2 else pc.Vector)
    _same(got, want)


def test_advanced_indexing_returns_a_copy():
    ref = np.arange(12.0).reshape(3, 4)
    A = pc.matrix(ref)
    B = A[[0, 2]]
    B[0, 0] = -1
    assert A[0, 0] == 0
    v = A[:, [True, False, False, True]]
    v[0, 0] = -5
    assert A[0, 0] == 0


def test_two_d_boolean_mask_selects_elements():
    ref = np.arange(-6.0, 6.0).reshape(3, 4)
    A = pc.matrix(ref)
    _same(A[A > 0], ref[ref > 0])
    _same(A[ref > 0], ref[ref > 0])


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_vector_advanced_indexing(dtype):
    ref = _sample((7,), dtype)
    v = pc.vector(ref)
    for key in ([3, 0, -1, 3], np.array([6, 1]), ref != ref[0], np.array([], dtype=np.intp), []):
        _same(v[key], ref[key])


@pytest.mark.parametrize(
    "key",
    [[5], [-6], np.array([0, 9]), (slice(None), [7]), ([0], [9])],
    ids=repr,
)
def test_out_of_range_index_arrays_raise_index_error(key):
    ref = np.zeros((4, 5))
    with pytest.raises(IndexError):
        ref[key]
    with pytest.raises(IndexError, match="out of bounds"):
        pc.matrix(ref)[key]


@pytest.mark.parametrize(
    "key",
    [
        np.array([True, False]),
        (slice(None), np.array([True, False])),
        np.ones((2, 2), dtype=bool),
        np.array([0.0, 1.0]),
        ["a"],
        np.array([[0, 1]]),
        ([0, 1], [0, 1, 2]),
    ],
    ids=repr,
)
def test_bad_index_arrays_raise_index_error(key):
    A = pc.matrix(np.zeros((4, 5)))
    with pytest.raises(IndexError):
        A[key]


def test_vector_mask_length_mismatch():
    with pytest.raises(IndexError, match="boolean index did not match"):
        pc.vector([1, 2, 3])[np.array([True, False])]


@pytest.mark.parametrize(
    "key, value",
    [
        ([0, 2], 7.0),
        (np.array([True, False, True, False]), [1, 2, 3, 4, 5]),
        ((slice(None), [1, -1]), np.arange(8.0).reshape(4, 2)),
        (([0, 3], [1, 4]), [10.0, 20.0]),
        ((2, [0, 0, 1]), [1.0, 2.0, 3.0]),  # repeated index: the last write wins, as NumPy
        ("mask", -1.0),
    ],
    ids=repr,
)
def test_advanced_indexing_assignment(key, value):
    ref = np.arange(20.0).reshape(4, 5)
    A = pc.matrix(ref)
    if isinstance(key, str):
        A[A > 10] = value
        ref[ref > 10] = value
    else:
        A[key] = value
        ref[key] = value
    np.testing.assert_array_equal(np.asarray(A), ref)


def test_advanced_assignment_into_vectors_and_bits():
    ref = np.zeros(6, dtype=np.int32)
    v = pc.vector(ref)
    v[[1, -1]] = [5, 6]
    ref[[1, -1]] = [5, 6]
    np.testing.assert_array_equal(np.asarray(v), ref)
    bits = np.zeros((3, 70), dtype=bool)
    b = pc.matrix(bits)
    b[[0, 2], 65] = True
    b[:, [1, 69]] = True
    bits[[0, 2], 65] = True
    bits[:, [1, 69]] = True
    np.testing.assert_array_equal(np.asarray(b), bits)


def test_advanced_assignment_errors_leave_the_object_intact():
    A = pc.matrix(np.arange(6.0).reshape(2, 3))
    with pytest.raises(IndexError):
        A[[0, 5]] = 1.0
    with pytest.raises(ValueError):
        A[[0, 1]] = [1.0, 2.0]  # shape (2,) does not broadcast to (2, 3)
    np.testing.assert_array_equal(np.asarray(A), np.arange(6.0).reshape(2, 3))


def test_advanced_assignment_evaluates_pending_expressions_first():
    A = pc.matrix(np.ones((2, 2)))
    lazy = A + 1
    A[[0]] = 10.0
    np.testing.assert_array_equal(np.asarray(lazy), np.full((2, 2), 2.0))


@pytest.mark.parametrize("value", [5.0, 5, np.float32(5), 99, None, "x", 1 + 0j, object()])
def test_contains_like_numpy(value):
    ref = np.arange(10.0).reshape(2, 5)
    assert (value in pc.matrix(ref)) == (value in ref)
    assert (value in pc.vector(ref[0])) == (value in ref[0])


# ---- item 10: tolist, min/max/any/all, power, reshape, diagonal, dot, scalars ------------


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_tolist(dtype):
    ref = _sample((3, 4), dtype)
    assert pc.matrix(ref).tolist() == ref.tolist()
    assert pc.vector(ref[1]).tolist() == ref[1].tolist()


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["min", "max", "any", "all"])
def test_order_and_truth_reductions(dtype, axis, keepdims, name):
    ref = _sample((5, 7), dtype, seed=3)
    got = getattr(pc.matrix(ref), name)(axis=axis, keepdims=keepdims)
    want = getattr(ref, name)(axis=axis, keepdims=keepdims)
    _same(got, want)
    # the NumPy functions route to the same implementation
    _same(getattr(np, name)(pc.matrix(ref), axis=axis, keepdims=keepdims), want)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("name", ["min", "max", "any", "all"])
def test_vector_reductions(dtype, name):
    ref = _sample((9,), dtype, seed=5)
    for axis in (None, 0, -1):
        _same(getattr(pc.vector(ref), name)(axis=axis), getattr(ref, name)(axis=axis))
    _same(getattr(pc.vector(ref), name)(keepdims=True), getattr(ref, name)(keepdims=True))


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_min_max_at_the_integer_extremes(dtype):
    info = np.iinfo(dtype)
    ref = np.array([[info.max, info.min, 0], [1, info.max, info.min]], dtype=dtype)
    A = pc.matrix(ref)
    for axis in (None, 0, 1):
        _same(A.min(axis=axis), ref.min(axis=axis))
        _same(A.max(axis=axis), ref.max(axis=axis))


def test_min_max_nan_and_complex_order_like_numpy():
    ref = np.array([[1.0, np.nan, -3.0], [2.0, 5.0, -np.inf]])
    A = pc.matrix(ref)
    for axis in (None, 0, 1):
        _same(A.min(axis=axis), ref.min(axis=axis))
        _same(A.max(axis=axis), ref.max(axis=axis))
    c = np.array([1 + 5j, 1 - 2j, -1 + 9j, 1 + 5j, 3 - 1j, np.nan + 1j])
    for part in (c[:-1], c):
        _same(pc.vector(part).min(), part.min())
        _same(pc.vector(part).max(), part.max())
    _same(pc.vector([np.nan, 0.0]).any(), np.array([np.nan, 0.0]).any())
    _same(pc.vector([np.nan, 0.0]).all(), np.array([np.nan, 0.0]).all())


@pytest.mark.parametrize("shape, axis", [((0,), None), ((0, 3), 0), ((0, 3), None), ((3, 0), 1), ((0, 0), 0)])
@pytest.mark.parametrize("dtype", ["float64", "bit"])
def test_empty_min_max_raise_like_numpy(shape, axis, dtype):
    ref = np.zeros(shape, dtype=bool if dtype == "bit" else dtype)
    with pytest.raises(ValueError):
        ref.min(axis=axis)
    A = _obj(ref)
    with pytest.raises(ValueError, match="zero-size array to reduction operation minimum"):
        A.min(axis=axis)
    with pytest.raises(ValueError, match="maximum"):
        A.max(axis=axis)


def test_empty_reductions_that_numpy_allows():
    for shape, axis in (((0, 3), 1), ((3, 0), 0)):
        ref = np.zeros(shape)
        _same(pc.matrix(ref).min(axis=axis), ref.min(axis=axis))
    for shape in ((0,), (0, 3)):
        ref = np.zeros(shape)
        _same(_obj(ref).any(), ref.any())
        _same(_obj(ref).all(), ref.all())
    _same(pc.matrix(np.zeros((0, 3))).all(axis=0), np.zeros((0, 3)).all(axis=0))


@pytest.mark.parametrize("dtype", ["bit", *INT_DTYPES, "float16", "float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("exponent", [0, 1, 2, 3, 7])
def test_power_by_python_int(dtype, exponent):
    ref = _sample((3, 4), dtype, seed=1)
    # np.power's dtypes (ndarray ** 2 takes np.square's fast path, which keeps bool ** 2 int8)
    want = np.power(ref, exponent)
    got = pc.matrix(ref) ** exponent
    assert np.asarray(got).dtype == want.dtype
    if want.dtype.kind in "fc":
        np.testing.assert_allclose(np.asarray(got), want, rtol=2e-3 if want.dtype == np.float16 else 1e-6)
    else:
        np.testing.assert_array_equal(np.asarray(got), want)  # wraps on overflow as NumPy


@pytest.mark.parametrize("dtype", ["int8", "int64", "uint8", "uint64", "float32", "float64", "complex128"])
def test_power_elementwise_and_reflected(dtype):
    base = _sample((3, 4), dtype, seed=2)
    expo = (np.arange(12).reshape(3, 4) % 4).astype(dtype)
    for got, want in [
        (pc.matrix(base) ** pc.matrix(expo), base**expo),
        (pc.matrix(base) ** pc.vector(expo[0]), base ** expo[0]),
        (2 ** pc.matrix(expo), 2**expo),
        (np.power(pc.matrix(base), 2), np.power(base, 2)),
        (pc.vector(base[0]) ** 2, base[0] ** 2),
    ]:
        assert np.asarray(got).dtype == want.dtype
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)


def test_power_float_and_errors_like_numpy():
    ref = np.array([[0.5, 2.0], [4.0, 9.0]])
    np.testing.assert_allclose(np.asarray(pc.matrix(ref) ** 0.5), ref**0.5)
    np.testing.assert_allclose(np.asarray(pc.matrix(ref) ** -1), ref**-1)
    A = pc.matrix(np.arange(4).reshape(2, 2))
    with pytest.raises(ValueError, match="negative integer powers"):
        A ** -1
    with pytest.raises(ValueError, match="negative integer powers"):
        A ** pc.matrix([[1, 2], [-1, 0]])
    with pytest.raises(OverflowError):
        pc.matrix(np.ones((2, 2), dtype=np.int8)) ** 1000
    B = A.copy()
    B **= 2
    np.testing.assert_array_equal(np.asarray(B), np.arange(4).reshape(2, 2) ** 2)
    with pytest.raises(TypeError):
        B **= 0.5  # float result into int64: same_kind refuses, as NumPy


@pytest.mark.parametrize("dtype", ["bit", "int32", "float64", "complex64"])
@pytest.mark.parametrize("view", ["contiguous", "transposed", "sliced"])
def test_reshape_flatten_ravel(dtype, view):
    ref = _sample((4, 6), dtype)
    A = pc.matrix(ref)
    if view == "transposed":
        ref, A = ref.T, A.T
    elif view == "sliced":
        ref, A = ref[:, ::2], A[:, ::2]
    n = ref.size
    for shape in [(n,), n, -1, (2, n // 2), (-1, 3), (n // 3, -1), (1, n), (n, 1)]:
        got = A.reshape(shape)
        _same(got, ref.reshape(shape))
    _same(A.reshape(2, -1), ref.reshape(2, -1))
    _same(A.flatten(), ref.flatten())
    _same(A.ravel(), ref.ravel())
    _same(np.reshape(A, (3, -1)), np.reshape(ref, (3, -1)))
    _same(np.ravel(A), np.ravel(ref))
    v = pc.vector(ref.ravel())
    _same(v.reshape(3, -1), ref.ravel().reshape(3, -1))


def test_reshape_views_and_copies_like_numpy():
    ref = np.arange(6.0)
    v = pc.vector(ref)
    m = v.reshape(2, 3)
    m[1, 1] = -1.0  # a contiguous reshape is a view, as in NumPy
    assert v[4] == -1.0
    f = v.flatten()
    f[0] = 99.0
    assert v[0] == 0.0  # flatten always copies
    t = pc.matrix(np.arange(6.0).reshape(2, 3)).T.reshape(-1)
    t[0] = 5.0  # transposed: a copy
    np.testing.assert_array_equal(np.asarray(t), [5.0, 3.0, 1.0, 4.0, 2.0, 5.0])


@pytest.mark.parametrize("shape", [(4, 4), (7,), (2, -1, 3), (-1, -1), (5, -1), (-2, 12), (0, -1)])
def test_reshape_errors_like_numpy(shape):
    ref = np.zeros(24)
    if len(shape) <= 2 and shape not in ((0, -1), (-2, 12)):  # NumPy 2.4 takes -2 as unknown too
        with pytest.raises(ValueError):
            ref.reshape(shape)
    with pytest.raises(ValueError):
        pc.vector(ref).reshape(shape)


@pytest.mark.parametrize("dtype", ["bit", "int8", "float64", "complex128"])
def test_diagonal(dtype):
    ref = _sample((4, 6), dtype)
    A = pc.matrix(ref)
    for k in range(-5, 8):
        _same(A.diagonal(k), ref.diagonal(k).copy())
        _same(np.diagonal(A, k), np.diagonal(ref, k).copy())
    d = A.diagonal()
    d[0] = d[1]  # a copy: A is unchanged
    _same(A.diagonal(), ref.diagonal().copy())
    with pytest.raises(ValueError):
        pc.vector([1, 2]).diagonal()


def test_dot_method():
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(np.asarray(pc.matrix(a).dot(pc.matrix(b))), a.dot(b))
    np.testing.assert_allclose(np.asarray(pc.matrix(a).dot(b)), a.dot(b))
    _same(pc.vector([1.0, 2.0]).dot(pc.vector([3.0, 4.0])), np.array([1.0, 2.0]).dot(np.array([3.0, 4.0])))
    np.testing.assert_array_equal(np.asarray(pc.matrix(a).dot(2)), a.dot(2))


@pytest.mark.parametrize("dtype", ["bit", "int16", "uint64", "float32", "float64", "complex128"])
def test_scalar_conversions_of_one_element_objects(dtype):
    ref = _sample((1, 1), dtype)
    for obj in (pc.matrix(ref), pc.vector(ref[0])):
        value = ref[0, 0]
        if dtype != "complex128":
            assert float(obj) == float(value)
            assert int(obj) == int(value)
        assert complex(obj) == complex(value)


def test_scalar_conversion_of_larger_objects_raises_type_error():
    for obj in (pc.matrix(np.zeros((2, 2))), pc.vector([1.0, 2.0]), pc.vector(np.zeros(0))):
        for convert in (float, int, complex):
            with pytest.raises(TypeError, match="one element"):
                convert(obj)
        with pytest.raises(TypeError):
            float(np.asarray(obj))  # NumPy agrees


def test_numpy_shape_ndim_size():
    A = pc.matrix(np.zeros((3, 5)))
    v = pc.vector(np.zeros(4))
    assert np.shape(A) == (3, 5) and np.shape(v) == (4,)
    assert np.ndim(A) == 2 and np.ndim(v) == 1
    assert np.size(A) == 15 and np.size(A, 1) == 5 and np.size(A, -2) == 3 and np.size(v) == 4
    with pytest.raises(np.exceptions.AxisError):
        np.size(A, 2)


@pytest.mark.parametrize("equal_nan", [False, True])
def test_isclose_allclose_array_equal_like_numpy(equal_nan):
    a = np.array([[1.0, 2.0, np.inf, np.nan], [-np.inf, 1e-9, 5.0, 0.0]])
    b = np.array([[1.0 + 1e-7, 2.1, np.inf, np.nan], [np.inf, 0.0, 5.0 + 1e-4, -0.0]])
    A, B = pc.matrix(a), pc.matrix(b)
    _same(np.isclose(A, B, equal_nan=equal_nan), np.isclose(a, b, equal_nan=equal_nan))
    _same(np.isclose(A, b, rtol=1e-3, equal_nan=equal_nan), np.isclose(a, b, rtol=1e-3, equal_nan=equal_nan))
    _same(np.isclose(A, 5.0), np.isclose(a, 5.0))
    _same(np.isclose(A, np.inf), np.isclose(a, np.inf))
    assert np.allclose(A, B, equal_nan=equal_nan) is np.allclose(a, b, equal_nan=equal_nan)
    assert np.allclose(A, A.copy(), equal_nan=equal_nan) is np.allclose(a, a.copy(), equal_nan=equal_nan)
    assert np.array_equal(A, A.copy(), equal_nan=equal_nan) is np.array_equal(a, a.copy(), equal_nan=equal_nan)
    assert np.array_equal(A, B) is False
    assert np.array_equal(A, A.T) is False  # shapes differ
    assert np.array_equal(pc.vector([1, 2]), [1, 2]) is True


def test_isclose_integer_and_unsigned_operands_like_numpy():
    a = np.array([0, 5, 200], dtype=np.uint8)
    b = np.array([1, 5, 199], dtype=np.uint8)
    _same(np.isclose(pc.vector(a), pc.vector(b), atol=1), np.isclose(a, b, atol=1))
    assert np.allclose(pc.vector(a), pc.vector(b), atol=1) is np.allclose(a, b, atol=1)
    c = np.array([1 + 1j, 2 - 1j])
    _same(np.isclose(pc.vector(c), c + 1e-9), np.isclose(c, c + 1e-9))


def test_unrouted_numpy_functions_still_refuse():
    A = pc.matrix(np.zeros((2, 2)))
    with pytest.raises(TypeError):
        np.sin(A)
    with pytest.raises(TypeError, match="out="):
        np.max(A, out=np.zeros(2))


@pytest.mark.parametrize("factory", ["zeros", "ones", "empty"])
def test_dtype_none_in_factories_is_float64(factory):
    f = getattr(pc, factory)
    assert f((2, 3), dtype=None).dtype == pc.float64 == getattr(np, factory)((2, 3), dtype=None).dtype
    assert f(3, None).dtype == pc.float64
    assert pc.identity(2, dtype=None).dtype == pc.float64
    assert pc.full(2, 1.5, dtype=None).dtype == pc.float64


# ---- item 11: errors of the kind NumPy raises ----------------------------------------------


def test_matmul_with_unsupported_operand_raises_type_error():
    A = pc.matrix(np.eye(2))
    for bad in (None, "x", object()):
        with pytest.raises(TypeError, match="matmul"):
            pc.matmul(A, bad)
        with pytest.raises(TypeError, match="matmul"):
            pc.matmul(bad, A)
        with pytest.raises(TypeError):
            A @ bad
        with pytest.raises(TypeError):
            pc.dot(A, bad)


@pytest.mark.parametrize(
    "shape, message",
    [((2**63, 1), "Maximum allowed dimension exceeded"), ((2**64,), "Maximum allowed dimension"),
     ((2**62, 4), "array is too big"), ((2**31, 2**32), "array is too big")],
)
@pytest.mark.parametrize("factory", ["zeros", "ones", "empty"])
def test_impossible_shapes_raise_value_error(shape, message, factory):
    with pytest.raises(ValueError):
        getattr(np, factory)(shape)
    with pytest.raises(ValueError, match=message):
        getattr(pc, factory)(shape)
    with pytest.raises(ValueError, match=message):
        pc.full(shape, 1.0)


@pytest.mark.parametrize("axis", [1.5, "1", 1.0, (0.0, 1)])
@pytest.mark.parametrize("name", ["sum", "mean", "min", "max", "any", "all"])
def test_non_integer_axis_raises_type_error(axis, name):
    ref = np.ones((2, 3))
    with pytest.raises(TypeError):
        getattr(ref, name)(axis=axis)
    with pytest.raises(TypeError):
        getattr(pc.matrix(ref), name)(axis=axis)
    with pytest.raises(TypeError):
        pc.count_nonzero(pc.matrix(ref), axis=1.5)


@pytest.mark.parametrize("other", [None, "text"])
def test_comparison_with_none_is_elementwise(other):
    ref = np.arange(6.0).reshape(2, 3)
    A = pc.matrix(ref)
    for left, right in ((A, other), (other, A)):
        eq, ne = left == right, left != right
        _same(eq, np.full(ref.shape, False))
        _same(ne, np.full(ref.shape, True))
    _same(pc.vector([1, 2]) == None, np.array([1, 2]) == None)  # noqa: E711


# ---- item 18: Python ints into a requested integer dtype -----------------------------------


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_python_ints_into_any_integer_dtype(dtype):
    info = np.iinfo(dtype)
    data = [[int(info.min), 0], [int(info.max), 1]]
    _same(pc.matrix(data, dtype=dtype), np.array(data, dtype=dtype))
    _same(pc.vector(data[1], dtype=dtype), np.array(data[1], dtype=dtype))
    for bad in (int(info.max) + 1, int(info.min) - 1):
        if -(2**63) <= bad < 2**64:
            with pytest.raises(OverflowError):
                np.array([bad], dtype=dtype)
            with pytest.raises(OverflowError, match="out of bounds|too large"):
                pc.vector([0, bad], dtype=dtype)


def test_issue_examples_for_python_ints():
    _same(pc.matrix([[255]], dtype="uint8"), np.array([[255]], dtype="uint8"))
    _same(pc.vector([1, 2], dtype="uint32"), np.array([1, 2], dtype="uint32"))
    _same(pc.vector([1, 2], dtype="float32"), np.array([1, 2], dtype="float32"))
    # NumPy arrays keep the same_kind rule: an int64 array is not silently cast to uint8
    with pytest.raises(TypeError, match="same_kind"):
        pc.vector(np.array([1, 2]), dtype="uint8")
    # floats into integers stay refused (they would be truncated)
    with pytest.raises(TypeError, match="same_kind"):
        pc.vector([1.5], dtype="int32")
