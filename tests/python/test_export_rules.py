"""Export rules of numpy-interop.md: copies and views, the export cap, view lifetime and
pinning, no buffer protocol, and NumPy overrides (nothing allowlisted yet)."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import pycauset as pc
from conftest import DTYPE_IDS, NP_DTYPES, TOKEN_OF, assert_same, random_array

NON_BIT = [d for d in NP_DTYPES if d.kind != "b"]
NON_BIT_IDS = [str(d) for d in NON_BIT]


def _objects(np_dtype, rng):
    """A RAM matrix and vector of np_dtype plus the NumPy data they hold."""
    a = random_array((5, 7), np_dtype, rng)
    b = random_array(9, np_dtype, rng)
    return [(pc.matrix(a), a), (pc.vector(b), b)]


# ---- to_numpy(copy=True) ------------------------------------------------------------------


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_to_numpy_copy_true_is_writeable_and_independent(np_dtype, rng):
    for obj, data in _objects(np_dtype, rng):
        out = pc.to_numpy(obj)
        assert out.flags.writeable and out.flags.owndata
        assert_same(out, data)
        out[...] = np.ones((), dtype=out.dtype)  # scribble over the copy
        assert_same(pc.to_numpy(obj), data)  # the object did not change
        again = pc.to_numpy(obj, copy=True)
        assert not np.shares_memory(out, again)
        assert_same(again, data)


def test_to_numpy_default_is_copy():
    A = pc.matrix(np.eye(3))
    out = pc.to_numpy(A)
    out[0, 0] = 7.0
    assert A[0, 0] == 1.0


# ---- to_numpy(copy=False) -----------------------------------------------------------------


@pytest.mark.parametrize("np_dtype", NON_BIT, ids=NON_BIT_IDS)
def test_to_numpy_copy_false_is_a_read_only_zero_copy_view(np_dtype, rng):
    for obj, data in _objects(np_dtype, rng):
        v1 = pc.to_numpy(obj, copy=False)
        v2 = pc.to_numpy(obj, copy=False)
        assert_same(v1, data)
        assert not v1.flags.writeable
        assert not v1.flags.owndata
        assert np.shares_memory(v1, v2)
        assert np.shares_memory(v1, np.asarray(obj))
        with pytest.raises(ValueError):
            v1[(0,) * obj.ndim] = 1
        with pytest.raises(ValueError):
            v1.flags.writeable = True


def test_copy_false_views_of_strided_views_share_memory(rng):
    a = rng.random((6, 8))
    A = pc.matrix(a)
    whole = pc.to_numpy(A, copy=False)
    for key in [(slice(1, 5), slice(None, None, 2)), (slice(None, None, -1), slice(None)),
                (slice(None, None, -2), slice(None, None, -3)), 2, (slice(None), 3)]:
        view = A[key]
        v = pc.to_numpy(view, copy=False)
        assert_same(v, a[key])
        assert not v.flags.writeable
        assert np.shares_memory(v, whole)
    t = pc.to_numpy(A.T, copy=False)
    assert_same(t, a.T)
    assert np.shares_memory(t, whole)


def test_copy_false_view_buffers_are_not_writeable_anywhere_in_the_chain():
    A = pc.matrix(np.arange(12.0).reshape(3, 4))
    v = np.asarray(A)
    base = v
    while base is not None:
        if isinstance(base, memoryview):
            assert base.readonly
        if isinstance(base, np.ndarray):
            assert not base.flags.writeable
        base = getattr(base, "base", None)


@pytest.mark.parametrize("shape", [(40, 3), (3, 70), (200,), (0, 5)])
def test_bit_copy_false_warns_and_returns_a_copy(shape, rng):
    data = rng.random(shape) > 0.5
    M = (pc.matrix if len(shape) == 2 else pc.vector)(data)
    with pytest.warns(UserWarning, match="bit"):
        out = pc.to_numpy(M, copy=False)
    assert_same(out, data)
    assert out.flags.writeable  # it is a fresh copy
    if out.size:
        idx = (0,) * len(shape)
        out[idx] = not out[idx]
        assert M[idx] == data[idx]


# ---- np.asarray / np.array / __array__ ------------------------------------------------------


@pytest.mark.parametrize("np_dtype", NON_BIT, ids=NON_BIT_IDS)
def test_np_asarray_returns_read_only_view(np_dtype, rng):
    for obj, data in _objects(np_dtype, rng):
        x = np.asarray(obj)
        assert_same(x, data)
        assert not x.flags.writeable
        assert np.shares_memory(x, pc.to_numpy(obj, copy=False))
        y = np.asarray(obj, copy=False)  # possible without a copy: allowed
        assert np.shares_memory(x, y)


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_np_array_and_asarray_copy_true_are_writeable_copies(np_dtype, rng):
    for obj, data in _objects(np_dtype, rng):
        for out in (np.array(obj), np.asarray(obj, copy=True), np.array(obj, copy=True)):
            assert_same(out, data)
            assert out.flags.writeable
        a1, a2 = np.array(obj), np.array(obj)
        assert not np.shares_memory(a1, a2)
        if np_dtype.kind != "b":
            assert not np.shares_memory(a1, np.asarray(obj))


@pytest.mark.parametrize("shape", [(3, 70), (65,), (0, 3)])
def test_bit_objects_cannot_export_without_copy(shape, rng):
    data = rng.random(shape) > 0.5
    M = (pc.matrix if len(shape) == 2 else pc.vector)(data)
    with pytest.raises(ValueError):
        np.asarray(M, copy=False)
    with pytest.raises(ValueError):
        np.array(M, copy=False)
    out = np.asarray(M)  # copy allowed: a bool copy
    assert_same(out, data)
    assert out.flags.writeable


def test_issue_example_to_numpy_of_bit_matrix_is_a_bool_copy(rng):
    data = rng.random((64, 200)) > 0.5
    M = pc.matrix(data)
    y = pc.to_numpy(M)
    assert y.dtype == np.bool_
    assert_same(y, data)


@pytest.mark.parametrize("dst", NP_DTYPES + [np.dtype(object)], ids=DTYPE_IDS + ["object"])
@pytest.mark.parametrize("src", [np.dtype(np.int16), np.dtype(np.float32), np.dtype(np.bool_)], ids=str)
def test_array_protocol_with_dtype_casts(src, dst, rng):
    data = random_array((4, 5), src, rng, specials=False)
    if src.kind == "f":
        data = np.round(data).clip(0, 100)  # representable in every target
    if src.kind == "i":
        data = data % 100
    A = pc.matrix(data)
    expected = data.astype(dst)
    for out in (np.asarray(A, dtype=dst), np.array(A, dtype=dst), A.__array__(dst)):
        assert out.dtype == dst
        np.testing.assert_array_equal(out, expected, strict=True)
    if dst != src:
        with pytest.raises(ValueError):  # a cast needs a copy
            np.asarray(A, dtype=dst, copy=False)
    else:
        out = np.asarray(A, dtype=dst)
        if src.kind != "b":
            assert not out.flags.writeable  # same dtype: the view


def test_array_protocol_dtype_accepts_pycauset_sentinels():
    A = pc.matrix(np.arange(6, dtype=np.int32).reshape(2, 3))
    out = np.asarray(A, dtype=pc.float32)
    assert_same(out, np.arange(6, dtype=np.float32).reshape(2, 3))


def test_array_protocol_direct_call_numpy2_signature():
    A = pc.vector(np.arange(4.0))
    assert_same(A.__array__(), np.arange(4.0))
    assert_same(A.__array__(None, True), np.arange(4.0))
    assert A.__array__(copy=True).flags.writeable
    assert not A.__array__(copy=False).flags.writeable


# ---- export cap -------------------------------------------------------------------------------


def test_export_cap_defaults_to_none_and_round_trips():
    assert pc.get_export_max_bytes() is None
    pc.set_export_max_bytes(1 << 20)
    assert pc.get_export_max_bytes() == 1 << 20
    pc.set_export_max_bytes(np.int64(100))
    assert pc.get_export_max_bytes() == 100 and type(pc.get_export_max_bytes()) is int
    pc.set_export_max_bytes(0)
    assert pc.get_export_max_bytes() == 0
    pc.set_export_max_bytes(None)
    assert pc.get_export_max_bytes() is None


def test_export_guard_error_is_a_value_error():
    assert issubclass(pc.ExportGuardError, ValueError)


def test_issue_example_export_cap(rng):
    A = pc.matrix(rng.random((400, 400)))  # 1.28 MB
    pc.set_export_max_bytes(1 << 20)
    with pytest.raises(pc.ExportGuardError):
        np.asarray(A)


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_export_cap_applies_to_every_export_path(np_dtype, rng):
    data = random_array((4, 8), np_dtype, rng)  # 32 elements; bit exports as 1-byte bools
    A = pc.matrix(data)
    nbytes = data.nbytes
    pc.set_export_max_bytes(nbytes - 1)
    exports = [
        lambda: np.asarray(A),
        lambda: np.array(A),
        lambda: np.asarray(A, copy=True),
        lambda: pc.to_numpy(A),
    ]
    if np_dtype.kind != "b":
        exports.append(lambda: pc.to_numpy(A, copy=False))
        exports.append(lambda: np.asarray(A, copy=False))
    for export in exports:
        with pytest.raises(pc.ExportGuardError) as info:
            export()
        assert "allow_huge=True" in str(info.value)
        with pytest.raises(ValueError):  # also catchable as ValueError
            export()
    # allow_huge bypasses the cap
    assert_same(pc.to_numpy(A, allow_huge=True), data)
    if np_dtype.kind != "b":
        v = pc.to_numpy(A, copy=False, allow_huge=True)
        assert_same(v, data)
        assert not v.flags.writeable
    # a slice under the cap exports fine
    assert_same(pc.to_numpy(A[:2]), data[:2])
    # exactly at the cap is allowed
    pc.set_export_max_bytes(nbytes)
    assert_same(np.asarray(A), data)
    assert_same(pc.to_numpy(A), data)
    pc.set_export_max_bytes(None)
    assert_same(np.asarray(A), data)


def test_export_cap_counts_bytes_of_the_requested_dtype():
    A = pc.matrix(np.ones((4, 4), dtype=np.int8))  # 16 bytes as int8, 128 as float64
    pc.set_export_max_bytes(64)
    assert_same(np.asarray(A), np.ones((4, 4), dtype=np.int8))
    with pytest.raises(pc.ExportGuardError):
        np.asarray(A, dtype=np.float64)


def test_export_cap_zero_still_allows_empty_objects():
    pc.set_export_max_bytes(0)
    assert np.asarray(pc.zeros((0, 5))).shape == (0, 5)
    with pytest.raises(pc.ExportGuardError):
        np.asarray(pc.zeros(1))


def test_export_cap_message_mentions_size():
    A = pc.matrix(np.zeros((64, 64)))  # 32 KiB
    pc.set_export_max_bytes(1000)
    with pytest.raises(pc.ExportGuardError) as info:
        pc.to_numpy(A)
    message = str(info.value)
    assert "(64, 64)" in message
    assert "32.0 KiB" in message or "32768" in message  # says how big it is


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (-(2**40), ValueError), (1.5, TypeError),
                                        (1e6, TypeError), ("1024", TypeError), (True, TypeError),
                                        ([1], TypeError)])
def test_bad_export_cap_values_raise(bad, error):
    pc.set_export_max_bytes(123)
    with pytest.raises(error):
        pc.set_export_max_bytes(bad)
    assert pc.get_export_max_bytes() == 123  # unchanged


def test_export_cap_is_not_applied_to_printing_or_indexing():
    A = pc.matrix(np.arange(100.0).reshape(10, 10))
    pc.set_export_max_bytes(8)
    assert A[3, 4] == 34.0
    assert "pycauset.Matrix" in repr(A)


# ---- view lifetime and pinning ------------------------------------------------------------


def test_view_keeps_data_alive_after_object_dies(rng):
    a = rng.random((50, 40))
    A = pc.matrix(a)
    ref = weakref.ref(A)
    v = np.asarray(A)
    del A
    gc.collect()
    assert ref() is not None  # the view keeps the object alive
    junk = [np.ones(1000) * i for i in range(50)]  # churn the allocator
    assert_same(v, a)
    del junk, v
    gc.collect()
    assert ref() is None  # and releases it when the view dies


def test_derived_numpy_views_keep_data_alive(rng):
    a = rng.random((20, 30))
    A = pc.matrix(a)
    sub = np.asarray(A)[::2, 5:].T
    del A
    gc.collect()
    assert_same(sub, a[::2, 5:].T)


def test_slice_views_keep_parent_storage_alive(rng):
    a = rng.random((20, 30))
    A = pc.matrix(a)
    B = A[2:10, ::3]
    del A
    gc.collect()
    assert_same(pc.to_numpy(B), a[2:10, ::3])
    v = np.asarray(B)
    del B
    gc.collect()
    assert_same(v, a[2:10, ::3])


def test_pinned_counts_live_views():
    A = pc.matrix(np.arange(20.0).reshape(4, 5))
    assert A.storage.kind == "ram"
    assert A.storage.pinned == 0
    v1 = np.asarray(A)
    assert A.storage.pinned == 1
    v2 = pc.to_numpy(A, copy=False)
    assert A.storage.pinned == 2
    v3 = np.asarray(A[1:, ::2])  # a view of a slice pins the same storage
    assert A.storage.pinned == 3
    assert A.T.storage.pinned == 3
    derived = v1[1:]  # a NumPy view of a view adds no pin
    assert A.storage.pinned == 3
    del v1
    gc.collect()
    assert A.storage.pinned == 3  # `derived` still holds v1's memory
    del derived
    gc.collect()
    assert A.storage.pinned == 2
    del v2, v3
    gc.collect()
    assert A.storage.pinned == 0


def test_copies_do_not_pin():
    A = pc.matrix(np.arange(6.0).reshape(2, 3))
    c1 = np.array(A)
    c2 = pc.to_numpy(A)
    c3 = np.asarray(A, dtype=np.float32)
    assert A.storage.pinned == 0
    M = pc.matrix(np.eye(3, dtype=bool))
    b = np.asarray(M)
    assert M.storage.pinned == 0
    del c1, c2, c3, b


def test_writes_through_pycauset_are_visible_in_views():
    a = np.arange(12.0).reshape(3, 4)
    A = pc.matrix(a)
    v = np.asarray(A)
    vt = np.asarray(A.T)
    A[0, 0] = 5
    assert v[0, 0] == 5.0 and vt[0, 0] == 5.0
    A[-1, -2] = -3.5
    assert v[2, 2] == -3.5 and vt[2, 2] == -3.5
    A[1, :] = [10, 20, 30, 40]
    np.testing.assert_array_equal(v[1], [10.0, 20.0, 30.0, 40.0])
    A[:, 3].fill(8)
    np.testing.assert_array_equal(v[:, 3], [8.0, 8.0, 8.0])
    A.fill(0.25)
    np.testing.assert_array_equal(v, np.full((3, 4), 0.25))
    np.testing.assert_array_equal(vt, np.full((4, 3), 0.25))


def test_writes_through_pycauset_are_visible_in_vector_views():
    w = pc.vector(np.arange(5, dtype=np.int32))
    v = pc.to_numpy(w, copy=False)
    w[-1] = 99
    w[:2] = 7
    assert_same(v, np.array([7, 7, 2, 3, 99], dtype=np.int32))


# ---- no buffer protocol, no __array_interface__ ------------------------------------------


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_no_buffer_protocol_or_array_interface(np_dtype, rng):
    for obj, _ in _objects(np_dtype, rng):
        with pytest.raises(TypeError):
            memoryview(obj)
        assert not hasattr(obj, "__array_interface__")
        assert not hasattr(obj, "__array_struct__")
        assert not hasattr(obj, "__buffer__") or type(obj).__buffer__ is None
        for view in (obj.T, obj[1:]):
            with pytest.raises(TypeError):
                memoryview(view)
            assert not hasattr(view, "__array_interface__")


def test_buffer_based_constructors_do_not_bypass_the_guard():
    A = pc.matrix(np.zeros((8, 8)))
    with pytest.raises(TypeError):
        np.frombuffer(A, dtype=np.float64)
    with pytest.raises(TypeError):
        bytes(A)
    pc.set_export_max_bytes(16)
    with pytest.raises(pc.ExportGuardError):
        np.array(A)


def test_array_ufunc_and_function_are_defined_not_none():
    # numpy-interop.md: do not disable routing with __array_ufunc__ = None.
    for obj in (pc.zeros((2, 2)), pc.zeros(3)):
        assert type(obj).__array_ufunc__ is not None
        assert type(obj).__array_function__ is not None


# ---- NumPy overrides -----------------------------------------------------------------------


@pytest.mark.parametrize("ufunc", [np.sin, np.exp, np.sqrt, np.abs, np.isnan, np.floor])
def test_non_allowlisted_unary_ufuncs_raise_type_error(ufunc):
    A = pc.matrix(np.ones((2, 2)))
    with pytest.raises(TypeError):
        ufunc(A)
    with pytest.raises(TypeError):
        ufunc(pc.vector(np.ones(3)))


def test_non_allowlisted_binary_ufuncs_raise_type_error():
    A = pc.matrix(np.ones((2, 2)))
    for ufunc in (np.maximum, np.float_power, np.hypot, np.equal):
        with pytest.raises(TypeError):
            ufunc(A, np.ones((2, 2)))
        with pytest.raises(TypeError):
            ufunc(np.ones((2, 2)), A)


def test_ufunc_does_not_silently_export_even_under_cap():
    A = pc.matrix(np.ones((2, 2)))
    pc.set_export_max_bytes(1)
    with pytest.raises(TypeError):
        np.sin(A)


def test_numpy_functions_off_the_allowlist_raise_type_error():
    # np.sum / np.mean / np.dot / np.matmul are routed natively (tests/python/test_ops.py);
    # anything else must fail loudly rather than silently exporting.
    A = pc.matrix(np.ones((2, 3)))
    with pytest.raises(TypeError):
        np.concatenate([A, A])
    with pytest.raises(TypeError):
        np.cumsum(A)


def test_array_ufunc_returns_not_implemented_directly():
    A = pc.matrix(np.ones((2, 2)))
    assert A.__array_ufunc__(np.sin, "__call__", A) is NotImplemented
    assert A.__array_function__(np.concatenate, (type(A),), ([A, A],), {}) is NotImplemented
