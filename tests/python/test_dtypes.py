"""Dtype tokens, module sentinels, parsing and the one pycauset <-> NumPy mapping table."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import pycauset as pc
from conftest import NP_DTYPES, TOKEN_OF, TOKENS

SENTINELS = {
    "bit": pc.bit,
    "int8": pc.int8,
    "int16": pc.int16,
    "int32": pc.int32,
    "int64": pc.int64,
    "uint8": pc.uint8,
    "uint16": pc.uint16,
    "uint32": pc.uint32,
    "uint64": pc.uint64,
    "float16": pc.float16,
    "float32": pc.float32,
    "float64": pc.float64,
    "complex_float32": pc.complex_float32,
    "complex_float64": pc.complex_float64,
}


# ---- tokens and sentinels -------------------------------------------------------


def test_alias_sentinels_are_the_same_objects():
    assert pc.bit is pc.bool_
    assert pc.complex_float32 is pc.complex64
    assert pc.complex_float64 is pc.complex128


def test_sentinels_are_dtype_instances_with_their_token_names():
    for name, sentinel in SENTINELS.items():
        assert isinstance(sentinel, pc.DType)
        assert sentinel.name == name
        assert str(sentinel) == name
        assert repr(sentinel) == f"pycauset.{name}"


def test_all_sentinels_are_distinct():
    assert len({id(s) for s in SENTINELS.values()}) == len(SENTINELS) == 14


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=str)
def test_sentinel_maps_to_numpy_dtype(np_dtype):
    d = SENTINELS[TOKEN_OF[np_dtype]]
    assert d.numpy == np_dtype
    assert d.dtype == np_dtype
    assert np.dtype(d) == np_dtype
    assert d.itemsize == np_dtype.itemsize
    assert d.kind == np_dtype.kind
    expected_bits = 1 if np_dtype.kind == "b" else np_dtype.itemsize * 8
    assert d.bits == expected_bits


def test_np_dtype_of_sentinel_and_astype_accept_sentinels():
    assert np.dtype(pc.float32) == np.float32
    assert np.dtype(pc.bit) == np.bool_
    assert np.dtype(pc.complex_float64) == np.complex128
    a = np.arange(4, dtype=np.int64)
    out = a.astype(pc.float32)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, a.astype(np.float32))
    assert np.zeros(3, dtype=pc.uint16).dtype == np.uint16


def test_sentinels_pickle_to_themselves():
    for s in SENTINELS.values():
        assert pickle.loads(pickle.dumps(s)) is s


def test_sentinels_are_hashable_and_usable_as_keys():
    table = {s: s.name for s in SENTINELS.values()}
    assert len(table) == 14
    assert table[pc.bool_] == "bit"
    assert hash(pc.float64) == hash(pc.dtype("float64"))


def test_dtype_class_cannot_be_confused_with_other_sentinels():
    assert pc.float64 != pc.float32
    assert pc.int64 != pc.uint64
    assert pc.bit != pc.uint8
    assert pc.complex64 != pc.complex128


# ---- parsing ------------------------------------------------------------------------


@pytest.mark.parametrize("token", TOKENS)
def test_dtype_parses_its_tokens(token):
    assert pc.dtype(token) is SENTINELS[token]


@pytest.mark.parametrize(
    "alias, expected",
    [("bool", "bit"), ("bool_", "bit"), ("complex64", "complex_float32"), ("complex128", "complex_float64")],
)
def test_dtype_parses_numpy_spellings(alias, expected):
    assert pc.dtype(alias) is SENTINELS[expected]


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=str)
def test_dtype_parses_numpy_dtypes_and_scalar_types(np_dtype):
    expected = SENTINELS[TOKEN_OF[np_dtype]]
    assert pc.dtype(np_dtype) is expected
    assert pc.dtype(np_dtype.type) is expected
    assert pc.dtype(expected) is expected


@pytest.mark.parametrize(
    "py_type, expected", [(bool, "bit"), (int, "int64"), (float, "float64"), (complex, "complex_float64")]
)
def test_dtype_parses_python_types_like_numpy(py_type, expected):
    # NumPy's own mapping of Python types (int -> int64 on the platforms we support).
    assert np.dtype(py_type) == SENTINELS[expected].numpy
    assert pc.dtype(py_type) is SENTINELS[expected]


NUMPY_CODES = ["f8", "<f8" if np.little_endian else ">f8", "=f8", "f4", "f2", "i1", "i2", "i4", "i8",
               "u1", "u2", "u4", "u8", "?", "c8", "c16", "float", "int", "complex", "double", "single",
               "half", "uint"]


def test_dtype_parses_numpy_type_code_strings():
    # A NumPy user writes dtype="f8" or dtype="i4"; pycauset should read them as NumPy does
    # (system.md: "where both are silent, do what a NumPy user would expect").
    wrong = {}
    for code in NUMPY_CODES:
        try:
            got = pc.dtype(code).numpy
        except TypeError as e:
            got = f"TypeError: {str(e)[:40]}..."
        if got != np.dtype(code):
            wrong[code] = got
    assert not wrong, f"NumPy type-code strings not parsed like np.dtype: {wrong}"


def test_native_little_endian_numpy_dtype_is_accepted():
    native = np.dtype("=f8")
    assert pc.dtype(native) is pc.float64
    little = np.dtype("<f8")
    if little.isnative:
        assert pc.dtype(little) is pc.float64


# ---- equality with NumPy ------------------------------------------------------------


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=str)
def test_equality_with_numpy_both_directions(np_dtype):
    d = SENTINELS[TOKEN_OF[np_dtype]]
    assert d == np_dtype
    assert np_dtype == d
    assert d == np_dtype.type
    assert d == TOKEN_OF[np_dtype]
    assert not (d != np_dtype)
    others = [o for o in NP_DTYPES if o != np_dtype]
    for o in others:
        assert d != o
        assert o != d


def test_equality_with_unrelated_objects_is_false():
    assert pc.float64 != "not a dtype"
    assert pc.float64 != object()
    assert pc.float64 != None  # noqa: E711
    assert pc.float64 != 3
    assert not (pc.float64 == np.dtype("U3"))


# ---- unsupported dtypes -------------------------------------------------------------

UNSUPPORTED = [
    np.dtype(object),
    np.dtype("U5"),
    np.dtype("S5"),
    np.dtype("datetime64[ns]"),
    np.dtype("timedelta64[s]"),
    np.dtype([("a", "f8"), ("b", "i4")]),
    np.dtype(("f8", (2,))),
    np.dtype("V8"),
    np.dtype("=f8").newbyteorder("S"),  # non-native (byte-swapped) float64
    np.dtype("=i4").newbyteorder("S"),
    np.dtype("=c16").newbyteorder("S"),
    np.dtype(np.longdouble),
    np.dtype(np.clongdouble),
]


def _assert_lists_supported(message: str) -> None:
    for token in TOKENS:
        assert token in message, (token, message)


@pytest.mark.parametrize("spec", UNSUPPORTED, ids=str)
def test_unsupported_numpy_dtypes_raise_type_error_listing_supported(spec):
    if spec.kind == "f" and spec.itemsize == 8 and spec.isnative:  # longdouble == double platforms
        pytest.skip("longdouble is float64 on this platform")
    with pytest.raises(TypeError) as info:
        pc.dtype(spec)
    _assert_lists_supported(str(info.value))


@pytest.mark.parametrize(
    "spec", ["object", "str", "U5", "datetime64", "float128", "complex256", "nonsense", "", ">f8", "bits"]
)
def test_unsupported_strings_raise_type_error_listing_supported(spec):
    with pytest.raises(TypeError) as info:
        pc.dtype(spec)
    _assert_lists_supported(str(info.value))


@pytest.mark.parametrize("spec", [None, object, str, bytes, 3, 2.5, [np.float64], {"a": 1}])
def test_unsupported_objects_raise_type_error(spec):
    with pytest.raises(TypeError) as info:
        pc.dtype(spec)
    _assert_lists_supported(str(info.value))


def test_factories_reject_unsupported_dtypes_with_type_error():
    for spec in ["object", np.dtype("U3"), np.dtype("datetime64[s]"), object]:
        with pytest.raises(TypeError):
            pc.zeros((2, 2), dtype=spec)
        with pytest.raises(TypeError):
            pc.matrix(np.zeros((2, 2)), dtype=spec)


def test_object_dtype_attributes_follow_mapping():
    for np_dtype in NP_DTYPES:
        a = np.zeros((2, 3), dtype=np_dtype)
        A = pc.matrix(a)
        assert A.dtype is SENTINELS[TOKEN_OF[np_dtype]]
        assert A.dtype == np_dtype
        assert np.asarray(A).dtype == np_dtype
