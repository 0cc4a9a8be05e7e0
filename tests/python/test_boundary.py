"""The typed Python <-> C++ boundary: dtypes cross as the ``_core.DType`` enum and
NumPy arrays as arrays (bindings/numpy_args.hpp), never as names and addresses.

References are NumPy's own results; nothing here compares pycauset with itself.
"""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest

import pycauset as pc
from pycauset import _core, _dtypes, linalg as la

from conftest import NP_DTYPES, random_array


# ---- the DType enum -------------------------------------------------------------------


def test_every_dtype_carries_its_core_enum_member():
    members = list(_core.DType)
    assert len(members) == len(_dtypes.ALL) == 14
    for d in _dtypes.ALL:
        assert isinstance(d.core, _core.DType)
        assert d.code == d.core.value
        assert pc.dtype(d.core) is d
    assert {d.core for d in _dtypes.ALL} == set(members)


@pytest.mark.parametrize("bad", ["float64", pc.float64, np.float64, None, 3.5])
def test_bindings_refuse_anything_but_the_enum(bad):
    # The bindings take the enum only: a name, a pycauset DType object or a NumPy
    # type is a TypeError that names the expected type.
    with pytest.raises(TypeError, match="DType"):
        _core.Array.empty([2], bad, False)
    h = _core.Array.empty([2], _core.DType.float64, True)
    with pytest.raises(TypeError, match="DType"):
        h.astype(bad)
    with pytest.raises(TypeError, match="DType"):
        _core.matmul(h, h, bad)
    with pytest.raises(TypeError, match="DType"):
        _core.linalg.det(_core.Array.empty([2, 2], _core.DType.float64, True), bad)


@pytest.mark.parametrize("bad", [object, "U8", np.dtype("M8[s]"), "float128", "complex256"])
def test_public_functions_reject_unsupported_dtypes_with_the_list(bad):
    try:
        np.dtype(bad)
    except TypeError:
        pytest.skip(f"{bad} is not a NumPy dtype on this platform")
    for call in (lambda: pc.zeros(3, dtype=bad), lambda: pc.matrix(np.ones((2, 2)), dtype=bad),
                 lambda: pc.ones((2, 2)).astype(bad)):
        with pytest.raises(TypeError, match="pycauset supports"):
            call()


@pytest.mark.parametrize("np_dtype", [np.dtype("M8[s]"), np.dtype("U3"), np.dtype(object)])
def test_unsupported_numpy_arrays_raise_type_error(np_dtype):
    arr = np.zeros((2, 2), dtype=np_dtype)
    with pytest.raises(TypeError):
        pc.matrix(arr)
    with pytest.raises(TypeError):  # the caster itself refuses them too
        _core.Array.from_numpy(arr, _core.DType.float64)


def test_real_dtype_is_the_cores_rule_and_numpys():
    for d in _dtypes.ALL:
        want = _dtypes.from_numpy(np.empty(0, d.numpy).real.dtype)
        assert _dtypes.real(d) is want
        assert _core.real_dtype(d.core) is want.core


# ---- the NumPy array caster -------------------------------------------------------------


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=str)
def test_caster_maps_every_numpy_dtype(np_dtype, rng):
    a = random_array((5, 7), np_dtype, rng)
    target = _dtypes.from_numpy(np_dtype)
    h = _core.Array.from_numpy(a[::-1, 1::2], target.core)  # negative and step strides
    out = np.empty((5, 3), dtype=np_dtype)
    h.export_to(out)
    np.testing.assert_array_equal(out, a[::-1, 1::2])


@pytest.mark.parametrize("code", ["<i4", ">i4", ">f8", ">c16", ">u2"])
def test_non_native_byte_order_imports_and_assigns_values(code, rng):
    a = (rng.integers(-100, 100, (4, 6)) + (1j if code[1] == "c" else 0)).astype(code)
    if code[1] == "u":
        a = np.abs(a.real).astype(code)
    A = pc.matrix(a)
    np.testing.assert_array_equal(np.asarray(A), a)
    assert A.dtype == a.dtype.newbyteorder("=")
    B = pc.zeros((4, 6), dtype=A.dtype)
    B[:, :] = a
    np.testing.assert_array_equal(np.asarray(B), a)
    v = pc.vector(a[1])
    np.testing.assert_array_equal(np.asarray(v), a[1])


def test_read_only_arrays_import_and_assign():
    a = np.arange(12.0).reshape(3, 4)
    a.setflags(write=False)
    np.testing.assert_array_equal(np.asarray(pc.matrix(a)), a)
    A = pc.zeros((3, 4))
    A[:, :] = a
    np.testing.assert_array_equal(np.asarray(A), a)
    # A broadcast NumPy array is read-only with zero strides.
    row = np.broadcast_to(np.arange(4.0), (3, 4))
    assert not row.flags.writeable
    A[...] = row
    np.testing.assert_array_equal(np.asarray(A), row)
    np.testing.assert_array_equal(np.asarray(pc.matrix(row)), row)


def test_export_needs_a_writeable_target():
    h = _core.Array.from_numpy(np.arange(4.0), _core.DType.float64)
    out = np.zeros(4)
    out.setflags(write=False)
    with pytest.raises(TypeError):
        h.export_to(out)
    assert not out.any()


def test_caster_rejects_wrong_rank():
    with pytest.raises(ValueError, match="1-D or 2-D"):
        _core.Array.from_numpy(np.zeros((2, 2, 2)), _core.DType.float64)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        _core.Array.from_numpy(np.float64(1.0).reshape(()), _core.DType.float64)


def _values(n: int) -> np.ndarray:
    return np.arange(n * n, dtype=np.int64).reshape(n, n) * 2


def test_temporary_numpy_array_stays_alive_through_the_import():
    # The caller holds no reference to the temporaries below: only the binding's
    # argument keeps them alive while the core copies with the GIL released. A
    # second thread churns memory of the same size and collects garbage meanwhile,
    # so memory freed early would be reused and the values would be wrong.
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            junk = [np.full(10**6, -1, dtype=np.int64) for _ in range(3)]
            del junk
            gc.collect()

    t = threading.Thread(target=churn)
    t.start()
    try:
        want = _values(1000)
        for _ in range(5):
            gc.collect()
            A = pc.matrix(np.arange(10**6).reshape(1000, 1000) * 2)
            np.testing.assert_array_equal(np.asarray(A), want)
            h = _core.Array.from_numpy(np.arange(10**6, dtype=np.int64).reshape(1000, 1000) * 2,
                                       _core.DType.int64)
            np.testing.assert_array_equal(np.asarray(pc.Matrix._wrap(h)), want)
            B = pc.zeros((1000, 1000), dtype="int64")
            B[...] = np.arange(10**6).reshape(1000, 1000) * 2
            np.testing.assert_array_equal(np.asarray(B), want)
    finally:
        stop.set()
        t.join()


def test_index_arrays_cross_as_arrays():
    a = np.arange(20.0).reshape(4, 5)
    A = pc.matrix(a)
    rows = np.array([3, 0, 3], dtype=np.int32)  # converted to int64 by the caster
    np.testing.assert_array_equal(np.asarray(A[rows]), a[rows])
    np.testing.assert_array_equal(np.asarray(A[rows, [1, 2, 4]]), a[rows, [1, 2, 4]])
    with pytest.raises(ValueError, match="differ in length"):
        A._h.take_pairs(np.array([0, 1]), np.array([0]))


# ---- broadcasting a handle: the core's Array::broadcast_to ---------------------------------


def test_handle_broadcast_follows_numpy():
    v = _core.Array.from_numpy(np.arange(3.0), _core.DType.float64)
    one = _core.Array.from_numpy(np.array([7.0]), _core.DType.float64)
    got = pc.Matrix._wrap(v.broadcast_to([2, 3]))
    np.testing.assert_array_equal(np.asarray(got), np.broadcast_to(np.arange(3.0), (2, 3)))
    got = pc.Vector._wrap(one.broadcast_to([4]))
    np.testing.assert_array_equal(np.asarray(got), np.broadcast_to([7.0], (4,)))
    with pytest.raises(ValueError, match="could not broadcast"):
        v.broadcast_to([4])
    with pytest.raises(ValueError, match="could not broadcast"):
        _core.Array.from_numpy(np.ones((2, 3)), _core.DType.float64).broadcast_to([3])


def test_assignment_broadcasts_like_numpy():
    a = np.zeros((3, 4))
    A = pc.matrix(a)
    A[...] = pc.vector([1.0, 2.0, 3.0, 4.0])
    a[...] = [1.0, 2.0, 3.0, 4.0]
    np.testing.assert_array_equal(np.asarray(A), a)
    v = pc.zeros(4)
    v[...] = pc.vector([5.0])
    np.testing.assert_array_equal(np.asarray(v), np.full(4, 5.0))
    with pytest.raises(ValueError, match="could not broadcast"):
        v[...] = pc.matrix(np.ones((1, 4)))
    with pytest.raises(ValueError, match="could not broadcast"):
        A[...] = pc.vector([1.0, 2.0])


# ---- operand normalisation: one rule for operators and linalg -------------------------------


def test_operators_and_linalg_accept_the_same_array_likes():
    a = [[4.0, 1.0], [2.0, 3.0]]
    A = pc.matrix(a)
    for other in (a, tuple(map(tuple, a)), np.array(a)):
        np.testing.assert_allclose(np.asarray(A @ other), np.array(a) @ np.array(a))
        np.testing.assert_allclose(np.asarray(la.solve(other, [1.0, 2.0])), np.linalg.solve(a, [1.0, 2.0]))
        np.testing.assert_allclose(np.asarray(A + other), np.array(a) * 2)


@pytest.mark.parametrize("bad, error", [
    ([[1.0, 2.0], [3.0]], ValueError),            # ragged
    (np.ones((2, 2, 2)), ValueError),              # a stack of matrices
    ([[1.0, None], [2.0, 3.0]], TypeError),        # object
    (np.array([["a", "b"], ["c", "d"]]), TypeError),  # strings
])
def test_operators_and_linalg_reject_the_same_input_the_same_way(bad, error):
    A = pc.matrix([[4.0, 1.0], [2.0, 3.0]])
    with pytest.raises(error):
        A + bad
    with pytest.raises(error):
        A @ bad
    with pytest.raises(error):
        la.inv(bad)
    with pytest.raises(error):
        la.solve(A, bad)
