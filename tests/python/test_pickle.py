"""copy.copy / copy.deepcopy and pickling of Matrix and Vector.

Values are checked against the NumPy arrays the objects were made from. The
rules under test (docs/objects.md, "Copying and pickling"): RAM objects by value
with protocol-5 out-of-band buffers that are the object's own storage; objects
loaded from a file by reference, checked against changes of the file; spill-backed
objects by value up to the export cap; lazy expressions as their values.
"""

from __future__ import annotations

import copy
import functools
import gc
import multiprocessing
import operator
import os
import pickle

import numpy as np
import pytest

import pycauset as pc
from conftest import NP_DTYPES, DTYPE_IDS, TOKEN_OF, assert_same, random_array

PROTOCOLS = [0, 1, 2, 3, 4, 5]


def _np(obj) -> np.ndarray:
    return pc.to_numpy(obj, allow_huge=True)


def _buffer_address(pb: pickle.PickleBuffer) -> int:
    return np.frombuffer(pb.raw(), dtype=np.uint8).ctypes.data


def _dumps_oob(obj):
    """Pickle with protocol 5 and a buffer_callback: (pickle bytes, out-of-band buffers)."""
    bufs: list = []
    data = pickle.dumps(obj, protocol=5, buffer_callback=bufs.append)
    return data, bufs


# ---- copy.copy / copy.deepcopy ------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda a: pc.matrix(a),
    lambda a: pc.vector(a[0]),
])
def test_copy_copy_is_independent(make):
    a = np.arange(12.0).reshape(3, 4)
    A = make(a)
    expected = _np(A).copy()
    c = copy.copy(A)
    assert type(c) is type(A) and c is not A
    assert not c._h.shares_storage(A._h)
    c[0] = -1  # NumPy: copy.copy(ndarray) is a copy
    assert_same(_np(A), expected)
    assert np.all(_np(c)[0] == -1)
    assert c.properties == A.properties and c.properties is not A.properties


def test_copy_copy_of_a_view_and_of_a_file_object(tmp_path):
    a = np.arange(30.0).reshape(5, 6)
    A = pc.matrix(a)
    v = copy.copy(A.T[::2, 1:])
    assert_same(_np(v), a.T[::2, 1:])
    v.fill(0)
    assert_same(_np(A), a)
    path = tmp_path / "a.pycauset"
    pc.save(A, path)
    R = pc.load(path, "r")
    c = copy.copy(R)
    assert c.storage.kind == "ram"
    c[0, 0] = 99  # writable, while R is read-only
    assert_same(_np(pc.load(path)), a)


def test_deepcopy_is_independent_and_uses_the_memo():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    A = pc.matrix(a)
    A.properties["tags"] = ["x"]
    box = {"first": A, "again": A, "row": A[1]}
    out = copy.deepcopy(box)
    assert out["first"] is out["again"]  # one object copied once
    assert out["first"] is not A
    out["first"][0, 0] = -5
    out["row"][0] = -6
    assert_same(_np(A), a)
    assert_same(_np(out["first"]), np.array([[-5, 1, 2], [3, 4, 5]], dtype=np.int32))
    assert out["first"].properties == A.properties
    assert out["first"].properties["tags"] is not A.properties["tags"]


@pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy])
def test_copy_of_a_lazy_expression_keeps_the_values_of_copy_time(copier):
    a = np.arange(6.0).reshape(2, 3)
    A = pc.matrix(a)
    E = A * 2 + 1
    assert E.is_lazy
    C = copier(E)
    A[0, 0] = 100.0  # the write barrier evaluates both pending expressions first
    assert_same(_np(C), a * 2 + 1)
    assert_same(_np(E), a * 2 + 1)
    C[0, 0] = -1.0
    assert _np(E)[0, 0] == 1.0


# ---- by value: every dtype, every protocol ------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_round_trip_every_dtype_and_protocol(np_dtype, protocol):
    a = random_array((7, 67), np_dtype)  # 67 columns: bit rows pad to 128
    A = pc.matrix(a)
    B = pickle.loads(pickle.dumps(A, protocol=protocol))
    assert type(B) is pc.Matrix and B.dtype == TOKEN_OF[np_dtype] and B.shape == a.shape
    assert B.storage.kind == "ram" and not B._h.shares_storage(A._h)
    assert_same(_np(B), a)
    v = pc.vector(a[3])
    w = pickle.loads(pickle.dumps(v, protocol=protocol))
    assert type(w) is pc.Vector and w.dtype == TOKEN_OF[np_dtype]
    assert_same(_np(w), a[3])


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_protocol5_buffer_is_the_objects_own_storage(np_dtype):
    a = random_array((9, 70), np_dtype)
    A = pc.matrix(a)
    data, bufs = _dumps_oob(A)
    assert len(bufs) == 1 and len(data) < 400  # the values are not in the pickle
    raw = bufs[0].raw()
    assert raw.readonly
    assert _buffer_address(bufs[0]) == A._h.storage_address  # no copy was made
    expected = 9 * 128 // 8 if np_dtype == np.bool_ else a.nbytes  # bit rows: whole words
    assert raw.nbytes == expected
    assert A.storage.pinned >= 1  # the buffer pins the storage while it lives
    B = pickle.loads(data, buffers=bufs)
    assert_same(_np(B), a)
    del raw, bufs
    gc.collect()
    assert A.storage.pinned == 0


def test_protocol5_in_band_and_a_contiguous_slice():
    a = np.arange(40.0).reshape(8, 5)
    A = pc.matrix(a)
    rows = A[2:6]  # contiguous: its bytes are a range of the parent's storage
    data, bufs = _dumps_oob(rows)
    assert _buffer_address(bufs[0]) == A._h.storage_address + 2 * 5 * 8
    assert bufs[0].raw().nbytes == 4 * 5 * 8
    assert_same(_np(pickle.loads(data, buffers=bufs)), a[2:6])
    assert_same(_np(pickle.loads(pickle.dumps(rows, protocol=5))), a[2:6])


def test_out_of_band_buffers_of_any_kind_and_alignment():
    a = np.arange(24, dtype=np.complex128).reshape(4, 6) * (1 + 2j)
    A = pc.matrix(a)
    data, bufs = _dumps_oob(A)
    raw = bytes(bufs[0].raw())
    shifted = bytearray(len(raw) + 1)
    shifted[1:] = raw
    for buf in (raw, bytearray(raw), memoryview(shifted)[1:]):  # the last one is unaligned
        assert_same(_np(pickle.loads(data, buffers=[buf])), a)
    with pytest.raises(pickle.UnpicklingError, match="bytes of data"):
        pickle.loads(data, buffers=[raw[:-8]])


# ---- views, transposes, steps ------------------------------------------------------------


@pytest.mark.parametrize("np_dtype", [np.float64, np.int16, np.bool_, np.complex64],
                         ids=["float64", "int16", "bit", "complex64"])
@pytest.mark.parametrize("view", [
    "T", "T_slice", "steps", "negative", "column", "row", "vector_steps", "corner",
])
def test_views_round_trip(np_dtype, view):
    a = random_array((13, 70), np_dtype)
    A = pc.matrix(a)
    pick = {
        "T": lambda x: x.T,
        "T_slice": lambda x: x.T[5:40],
        "steps": lambda x: x[1::3, 2:60:7],
        "negative": lambda x: x[::-2, ::-1],
        "column": lambda x: x[:, 4],
        "row": lambda x: x[5],
        "vector_steps": lambda x: x[5][::-3],
        "corner": lambda x: x[2:4, :10],
    }[view]
    V, expected = pick(A), pick(a)
    for protocol in (4, 5):
        W = pickle.loads(pickle.dumps(V, protocol=protocol))
        assert W.shape == expected.shape and W.dtype == V.dtype
        assert_same(_np(W), expected)
        assert not W._h.shares_storage(A._h)
    data, bufs = _dumps_oob(V)
    assert_same(_np(pickle.loads(data, buffers=bufs)), expected)


@pytest.mark.parametrize("np_dtype", [np.float32, np.bool_], ids=["float32", "bit"])
def test_transpose_sends_the_parents_storage_and_comes_back_transposed(np_dtype):
    a = random_array((6, 130), np_dtype)
    A = pc.matrix(a)
    data, bufs = _dumps_oob(A.T)
    assert _buffer_address(bufs[0]) == A._h.storage_address  # no transposing copy
    B = pickle.loads(data, buffers=bufs)
    assert B.shape == (130, 6)
    assert B._h.transpose().is_contiguous  # the layout travelled with the values
    assert_same(_np(B), a.T)


def test_strided_view_is_compacted_to_its_own_values():
    a = np.arange(400.0).reshape(20, 20)
    A = pc.matrix(a)
    V = A[::3, 1::4]
    data, bufs = _dumps_oob(V)
    assert bufs[0].raw().nbytes == V.nbytes  # only the view's elements travel
    assert _buffer_address(bufs[0]) != A._h.storage_address
    assert_same(_np(pickle.loads(data, buffers=bufs)), a[::3, 1::4])


def test_bit_view_does_not_send_neighbouring_columns():
    a = np.ones((5, 50), dtype=bool)
    M = pc.matrix(a)
    V = M[:, :10]  # contiguous, but each row's word also holds columns 10..49
    data, bufs = _dumps_oob(V)
    words = np.frombuffer(bufs[0].raw(), dtype=np.uint64)
    assert words.size == 5 and np.all(words == (1 << 10) - 1)
    B = pickle.loads(data, buffers=bufs)
    assert_same(_np(B), a[:, :10])
    assert int(B.count_nonzero()) == 50


def test_empty_objects_round_trip():
    for shape in [(0, 5), (4, 0), (0,)]:
        for dtype in ("float64", "bit"):
            A = pc.zeros(shape, dtype=dtype)
            B = pickle.loads(pickle.dumps(A, protocol=5))
            assert B.shape == shape and B.dtype == dtype and type(B) is type(A)


# ---- properties, classes, lazy expressions ----------------------------------------------


def test_properties_and_class_are_preserved():
    ident = pc.identity(4)
    B = pickle.loads(pickle.dumps(ident))
    assert B.properties["structure"] == "diagonal"
    assert_same(_np(B), np.eye(4))
    A = pc.matrix(np.arange(5.0).reshape(1, 5))  # a 1 x n Matrix stays a Matrix
    A.properties["source"] = {"run": 3}
    C = pickle.loads(pickle.dumps(A))
    assert type(C) is pc.Matrix and C.shape == (1, 5)
    assert C.properties == {"structure": "dense", "source": {"run": 3}}


def test_lazy_expression_pickles_its_value():
    rng = np.random.default_rng(1)
    a, b = rng.random((6, 5)), rng.random(5)
    E = pc.matrix(a) * 2 - pc.vector(b)
    assert E.is_lazy
    data, bufs = _dumps_oob(E)
    F = pickle.loads(data, buffers=bufs)
    assert not F.is_lazy and F.dtype == "float64"
    np.testing.assert_array_equal(_np(F), a * 2 - b)
    G = pickle.loads(pickle.dumps(pc.vector(b) > 0.5, protocol=2))
    assert G.dtype == "bit"
    assert_same(_np(G), b > 0.5)


# ---- loaded files: by reference ------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    a = random_array((64, 70), np.float64)
    path = tmp_path / "a.pycauset"
    pc.save(pc.matrix(a), path)
    return a, path


@pytest.mark.parametrize("mode", ["r", "r+", "c"])
def test_loaded_file_pickles_by_reference(saved, mode):
    a, path = saved
    A = pc.load(path, mode)
    for view, expected in [(A, a), (A.T[3:50:4, ::-5], a.T[3:50:4, ::-5]), (A[7], a[7]),
                           (A[:, 9], a[:, 9])]:
        for protocol in PROTOCOLS:
            data, bufs = (_dumps_oob(view) if protocol == 5
                          else (pickle.dumps(view, protocol=protocol), []))
            assert len(data) < 1000 and not bufs  # a reference, not 35 KiB of values
            W = pickle.loads(data)
            assert W.storage.kind == "file"
            assert os.path.samefile(W.storage.path, path)
            assert W.shape == expected.shape
            assert_same(_np(W), expected)
    W = pickle.loads(pickle.dumps(A))
    if mode == "r":
        with pytest.raises(ValueError):
            W[0, 0] = 1.0
    elif mode == "r+":
        W[0, 0] = 1234.5  # shared: the write goes to the file
        assert A[0, 0] == 1234.5
    else:
        W[0, 0] = 1234.5  # private to W
        assert A[0, 0] == a[0, 0]
        assert pc.load(path)[0, 0] == a[0, 0]


def test_reference_to_a_file_loaded_through_a_relative_path(saved, monkeypatch, tmp_path):
    a, path = saved
    monkeypatch.chdir(path.parent)
    A = pc.load("a.pycauset")
    data = pickle.dumps(A[2:5])
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    assert_same(_np(pickle.loads(data)), a[2:5])


def test_copy_on_write_object_goes_by_value_once_written(saved):
    a, path = saved
    C = pc.load(path, "c")
    float(C[10, 10])  # reading does not count as a change
    assert len(pickle.dumps(C)) < 1000
    C[10, 10] = -1.0
    data = pickle.dumps(C)
    assert len(data) > a.nbytes  # the values, since they differ from the file's
    W = pickle.loads(data)
    expected = a.copy()
    expected[10, 10] = -1.0
    assert W.storage.kind == "ram"
    assert_same(_np(W), expected)
    assert_same(_np(pc.load(path)), a)  # the file never changed
    pc.set_export_max_bytes(1000)
    with pytest.raises(pc.ExportGuardError, match="mode 'c' and written to.*pycauset.save"):
        pickle.dumps(C)


def test_file_replaced_after_loading_pickles_the_values_the_object_holds(saved):
    a, path = saved
    A = pc.load(path)
    pc.save(pc.zeros((2, 2)), path)  # atomically replaces the file; A keeps the old one
    W = pickle.loads(pickle.dumps(A))
    assert W.storage.kind == "ram"
    assert_same(_np(W), a)


def test_file_changed_after_pickling_is_refused_on_load(saved):
    a, path = saved
    data = {mode: pickle.dumps(pc.load(path, mode)) for mode in ("r", "r+", "c")}
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # "it was written"
    for mode in ("r", "c"):
        with pytest.raises(ValueError, match="changed after the object was pickled.*modification"):
            pickle.loads(data[mode])
    # r+ shares the file for writing: writes are expected, only its identity is checked.
    assert_same(_np(pickle.loads(data["r+"])), a)
    pc.save(pc.matrix(a + 1), path)  # saved again (a new file at the same path)
    for mode in data:
        with pytest.raises(ValueError, match="changed after the object was pickled"):
            pickle.loads(data[mode])
    pc.save(pc.matrix(a[:32]), path)
    with pytest.raises(ValueError, match="size went from"):
        pickle.loads(data["r+"])
    os.remove(path)
    with pytest.raises(FileNotFoundError, match="no longer exists"):
        pickle.loads(data["r"])


# ---- spill-backed objects ------------------------------------------------------------------



def test_spill_backed_object_by_value_up_to_the_export_cap(spill_env):
    a = np.arange(1200 * 1000, dtype=np.float64).reshape(1200, 1000) % 97
    S = pc.matrix(a)
    assert S.storage.kind == "spill"
    pc.set_export_max_bytes(None)
    data, bufs = _dumps_oob(S)
    assert _buffer_address(bufs[0]) == S._h.storage_address  # zero-copy from the spill file
    pc.set_memory_limit(None)
    assert_same(_np(pickle.loads(data, buffers=bufs)), a)
    del bufs
    pc.set_export_max_bytes(a.nbytes)
    assert_same(_np(pickle.loads(pickle.dumps(S[:3]))), a[:3])
    pc.set_export_max_bytes(a.nbytes - 1)
    with pytest.raises(pc.ExportGuardError) as err:
        pickle.dumps(S)
    msg = str(err.value)
    assert "spill-backed" in msg and "export cap" in msg
    assert "pycauset.save(obj, path)" in msg and "pycauset.load(path)" in msg
    # What the message advises: a saved file pickles as a small reference.
    path = spill_env / "s.pycauset"
    pc.save(S, path)
    L = pc.load(path)
    data = pickle.dumps(L)
    assert len(data) < 1000
    assert_same(_np(pickle.loads(data)), a)


# ---- corrupt pickles ------------------------------------------------------------------------


def test_pickle_of_another_format_version_is_refused():
    fn, args = pc.vector([1.0, 2.0]).__reduce_ex__(4)
    with pytest.raises(pickle.UnpicklingError, match="format 99"):
        fn(99, *args[1:])


# ---- multiprocessing ------------------------------------------------------------------------


def test_multiprocessing_pool_with_spawn(saved):
    a, path = saved
    v = np.arange(5, dtype=np.int32)
    items = [pc.matrix(a[:3, :4]), pc.vector(v), pc.load(path).T[::5, :6],
             pc.matrix(a[:2, :8] > 0, dtype="bit")]
    expected = [a[:3, :4] * 2, v * 2, a.T[::5, :6] * 2, (a[:2, :8] > 0) * 2]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        out = pool.map(functools.partial(operator.mul, 2), items)
        sums = pool.map(operator.methodcaller("sum"), items)
    for got, exp in zip(out, expected):
        np.testing.assert_array_equal(_np(got), exp)
    for got, item in zip(sums, items):
        assert got == item.sum()  # the worker computes what this process computes
        np.testing.assert_allclose(got, np.sum(_np(item)), rtol=1e-13)
