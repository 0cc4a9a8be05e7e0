"""pc.load on bad input: truncated, foreign, corrupt and version-mismatched files.

Each raises pc.FormatError (a ValueError) or ValueError naming the file, never
crashes the interpreter and never modifies the file. A hypothesis fuzzer mutates
valid files; a committed corpus (tests/python/corpus, MANIFEST.json) pins
interesting malformed files.
"""

from __future__ import annotations

import gc
import io
import itertools
import json
import os
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pycauset as pc
import _pcfile
from conftest import assert_same

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
MODES = ["r", "r+", "c"]


def _expect_error(path, mode="r", error=pc.FormatError, match=None):
    """pc.load(path) raises `error` naming the file, and leaves the file as it was."""
    before = _pcfile.file_state(path) if os.path.isfile(path) else None
    with pytest.raises(error) as info:
        pc.load(path, mode=mode)
    msg = str(info.value)
    assert os.fspath(path) in msg, msg
    if match is not None:
        assert match in msg, msg
    if before is not None:
        assert _pcfile.file_state(path) == before
    return msg


@pytest.fixture(scope="module")
def _float_bytes(tmp_path_factory):
    x = np.random.default_rng(11).random((3, 100))
    path = tmp_path_factory.mktemp("float-file") / "m.pycauset"
    pc.save(pc.matrix(x), path)
    return path.read_bytes(), x


@pytest.fixture
def float_file(_float_bytes, tmp_path):
    """A valid 3x100 float64 file (payload 2400 bytes) and its values (saved once per module)."""
    data, x = _float_bytes
    path = tmp_path / "m.pycauset"
    path.write_bytes(data)
    return path, x


def test_is_a_value_error():
    assert issubclass(pc.FormatError, ValueError)


# ---- truncation -----------------------------------------------------------------


def _cuts(data: bytes) -> list:
    h = _pcfile.parse_header(data)
    pend = h["payload_offset"] + h["payload_length"]
    return sorted({0, 1, 7, 8, 10, 119, 120, 127, 128, 129, 4095, 4096, 4097, pend - 1, pend,
                   pend + 7, h["metadata_offset"], h["metadata_offset"] + 1, len(data) - 1})


@pytest.mark.parametrize("dtype", ["float64", "bit"])
@pytest.mark.parametrize("mode", MODES)
def test_truncated_files(dtype, mode, tmp_path, rng):
    x = rng.random((3, 100)) if dtype == "float64" else rng.random((5, 130)) < 0.5
    full = tmp_path / "full.pycauset"
    pc.save(pc.matrix(x), full)
    data = full.read_bytes()
    for cut in _cuts(data):
        path = tmp_path / f"cut-{cut}.pycauset"
        path.write_bytes(data[:cut])
        msg = _expect_error(path, mode)
        assert "too short" in msg if cut < 128 else "truncated" in msg, (cut, msg)
    assert_same(pc.to_numpy(pc.load(full, mode)), x)  # the untruncated file is fine


def test_truncated_after_a_successful_save(tmp_path, rng):
    """Every prefix of a small vector file fails cleanly (all lengths, not a sample)."""
    path = tmp_path / "v.pycauset"
    pc.save(pc.vector(np.arange(5, dtype=np.int8)), path)
    data = path.read_bytes()
    cut_path = tmp_path / "cut.pycauset"
    for cut in itertools.chain(range(0, 140), range(4090, len(data))):
        cut_path.write_bytes(data[:cut])
        _expect_error(cut_path)


# ---- foreign files -----------------------------------------------------------------


def _npy_bytes() -> bytes:
    f = io.BytesIO()
    np.save(f, np.arange(600.0).reshape(20, 30))
    return f.getvalue()


FOREIGN = {
    "npy": _npy_bytes,
    "random": lambda: np.random.default_rng(3).integers(0, 256, 10000, dtype=np.uint8).tobytes(),
    "text": lambda: ("a text file that is long enough to hold a header\n" * 100).encode(),
    "short_text": lambda: b"hello",
    "empty": lambda: b"",
    "zeros": lambda: bytes(10000),
    "magic_only": lambda: b"PYCAUSET",
    "magic_then_zeros": lambda: b"PYCAUSET" + bytes(5000),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", list(FOREIGN))
def test_foreign_files(kind, mode, tmp_path):
    path = tmp_path / f"foreign-{kind}.pycauset"
    path.write_bytes(FOREIGN[kind]())
    _expect_error(path, mode)


def test_a_real_npy_file_with_any_extension(tmp_path):
    np.save(tmp_path / "a.npy", np.eye(3))
    _expect_error(tmp_path / "a.npy", match="magic")


def test_directory_and_missing_file(tmp_path):
    d = tmp_path / "adir.pycauset"
    d.mkdir()
    for mode in MODES:
        _expect_error(d, mode, error=IsADirectoryError)
        _expect_error(tmp_path / "missing.pycauset", mode, error=FileNotFoundError)
    assert os.listdir(tmp_path) == ["adir.pycauset"]  # nothing created


def test_odd_file_names_are_named_in_the_message(tmp_path):
    path = tmp_path / "dir with space" / "ä ß 'quote'.pycauset"
    path.parent.mkdir()
    path.write_bytes(b"not a pycauset file at all" * 10)
    _expect_error(path, match="magic")


# ---- corrupt and version-mismatched headers ----------------------------------------------


def test_wrong_magic(float_file):
    path, _ = float_file
    data = bytearray(path.read_bytes())
    data[0:8] = b"PYCAUSEU"
    path.write_bytes(bytes(data))
    _expect_error(path, match="magic")


@pytest.mark.parametrize("version", [0, 2, 3, 255, 2**31])
def test_unsupported_version(version, float_file):
    """The version field changed and the header CRC fixed up: the version check is what fails."""
    path, _ = float_file
    data = _pcfile.patch(path.read_bytes(), version=version)
    assert struct.unpack_from("<I", data, 120)[0] == zlib.crc32(bytes(data[:120]))
    path.write_bytes(bytes(data))
    msg = _expect_error(path, match=f"version {version}")
    assert "supported" in msg


@pytest.mark.parametrize("at", range(0, 124))
def test_corrupt_header_byte(at, float_file):
    """A flipped bit anywhere in the checksummed header (or the checksum) is caught."""
    path, _ = float_file
    data = bytearray(path.read_bytes())
    data[at] ^= 0x10
    path.write_bytes(bytes(data))
    if at < 8:
        expected = "magic"
    elif 8 <= at < 12:
        expected = "version"
    elif 16 <= at < 20:
        expected = "byte order"
    else:
        expected = "checksum"
    _expect_error(path, match=expected)


@pytest.mark.parametrize("field,value", [
    ("header_size", 256), ("dtype", 14), ("dtype", 200), ("ndim", 0), ("ndim", 3),
    ("structure", 8), ("rows", 4), ("cols", 99), ("row_stride", 808),
    ("payload_offset", 0), ("payload_offset", 4000), ("payload_offset", 8192),
    ("payload_length", 2401), ("metadata_offset", 4096), ("metadata_offset", 2**63),
    ("metadata_length", 2**30), ("metadata_length", 2**64 - 1), ("metadata_crc", 12345),
])
def test_inconsistent_header_fields(field, value, float_file):
    """A header with a valid CRC but inconsistent fields is rejected by validation."""
    path, _ = float_file
    data = _pcfile.patch(path.read_bytes(), **{field: value})
    path.write_bytes(bytes(data))
    _expect_error(path)


# ---- corrupt metadata ----------------------------------------------------------------


def test_flipped_metadata_bytes(float_file):
    path, _ = float_file
    good = path.read_bytes()
    h = _pcfile.parse_header(good)
    for at in range(h["metadata_offset"], len(good), 7):
        data = bytearray(good)
        data[at] ^= 0x01
        path.write_bytes(bytes(data))
        _expect_error(path, match="metadata checksum")


@pytest.mark.parametrize("meta", [
    b'{"properties": ', b"not json", b"[]", b"null", b"42", b'"string"',
    b'{"properties": 5}', b'{"properties": ["structure"]}', b"\xff\xfe\x00{}",
    b'{"a": 1}{"b": 2}',
])
def test_invalid_metadata_with_a_valid_checksum(meta, float_file):
    path, _ = float_file
    path.write_bytes(bytes(_pcfile.replace_metadata(path.read_bytes(), meta)))
    _expect_error(path, match="metadata")


def test_deeply_nested_metadata_raises_format_error(float_file):
    """Valid CRC, JSON nested beyond the parser's recursion limit: a FormatError, not RecursionError."""
    path, _ = float_file
    path.write_bytes(bytes(_pcfile.replace_metadata(path.read_bytes(), b"[" * 5000 + b"]" * 5000)))
    _expect_error(path, match="metadata")


def test_unknown_metadata_keys_are_ignored(float_file):
    """Forward compatibility: extra keys in the metadata do not stop a load."""
    path, x = float_file
    meta = json.dumps({"properties": {"structure": "dense", "k": 1}, "provenance": {},
                       "future": {"anything": [1, 2]}}).encode()
    path.write_bytes(bytes(_pcfile.replace_metadata(path.read_bytes(), meta)))
    a = pc.load(path)
    assert a.properties == {"structure": "dense", "k": 1}
    assert_same(pc.to_numpy(a), x)


def test_bytes_appended_after_the_metadata_are_ignored(float_file):
    path, x = float_file
    with open(path, "ab") as f:
        f.write(b"trailing")
    assert_same(pc.to_numpy(pc.load(path)), x)


# ---- the regression corpus ------------------------------------------------------------------

with open(os.path.join(CORPUS, "MANIFEST.json")) as _f:
    MANIFEST = json.load(_f)


def test_corpus_is_complete_and_small():
    files = {f for f in os.listdir(CORPUS) if f.endswith(".pycauset")}
    assert files == set(MANIFEST)
    for name in files:
        assert os.path.getsize(os.path.join(CORPUS, name)) < 20 * 1024


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_corpus(name, tmp_path):
    spec = MANIFEST[name]
    path = tmp_path / name  # a copy, so a misbehaving reader cannot damage the corpus
    with open(os.path.join(CORPUS, name), "rb") as f:
        path.write_bytes(f.read())
    if spec["error"] is None:
        a = pc.load(path)
        assert_same(pc.to_numpy(a), np.arange(12.0).reshape(3, 4))
        return
    error = pc.FormatError if spec["error"] == "FormatError" else ValueError
    for mode in MODES:
        _expect_error(path, mode, error=error, match=spec["match"])


# ---- fuzzing -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_bases(tmp_path_factory):
    """Small valid files of several dtypes and shapes, as bytes."""
    d = tmp_path_factory.mktemp("fuzz-bases")
    rng = np.random.default_rng(4)
    objs = [
        pc.matrix(np.arange(12.0).reshape(3, 4)),
        pc.vector(rng.random(70) < 0.5),
        pc.matrix(rng.random((3, 130)) < 0.5),
        pc.vector(np.arange(-5, 5, dtype=np.int16)),
        pc.matrix(np.zeros((0, 3), dtype=np.complex64)),
        pc.matrix((rng.standard_normal((4, 4)) + 1j).astype(np.complex128)),
    ]
    out = []
    for i, obj in enumerate(objs):
        pc.save(obj, d / f"b{i}.pycauset")
        out.append((d / f"b{i}.pycauset").read_bytes())
    return d, out


_counter = itertools.count()
_FIELD_VALUES = [0, 1, 2, 3, 4, 5, 13, 14, 127, 128, 255, 4095, 4096, 4104, 8192, 2**31, 2**32 - 1,
                 2**48, 2**62, 2**63, 2**64 - 4096, 2**64 - 8, 2**64 - 1]
_mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 2**20), st.integers(0, 7)),
    st.tuples(st.just("set"), st.integers(0, 2**20), st.integers(0, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 2**20)),
    st.tuples(st.just("extend"), st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("field"), st.sampled_from(sorted(set(_pcfile.FIELDS) - {"magic", "header_crc"})),
              st.sampled_from(_FIELD_VALUES) | st.integers(0, 2**64 - 1), st.booleans()),
)


def _mutate(data: bytes, ops) -> bytes:
    out = bytearray(data)
    for op in ops:
        if op[0] == "flip" and out:
            out[op[1] % len(out)] ^= 1 << op[2]
        elif op[0] == "set" and out:
            out[op[1] % len(out)] = op[2]
        elif op[0] == "truncate":
            del out[op[1] % (len(out) + 1):]
        elif op[0] == "extend":
            out += op[1]
        elif op[0] == "field" and len(out) >= 128:
            out = _pcfile.patch(out, fix_crc=op[3], **{op[1]: op[2]})
    return bytes(out)


@settings(max_examples=200)
@given(base=st.integers(0, 5), ops=st.lists(_mutation, min_size=1, max_size=4),
       mode=st.sampled_from(MODES))
def test_fuzz_mutated_files(fuzz_bases, base, ops, mode):
    d, bases = fuzz_bases
    data = _mutate(bases[base], ops)
    path = d / f"fuzz-{next(_counter)}.pycauset"
    path.write_bytes(data)
    try:
        try:
            obj = pc.load(path, mode=mode)
        except ValueError as err:  # FormatError included
            assert os.fspath(path) in str(err)
            return
        # Loaded: it must agree with an independent reading of the same bytes.
        h = _pcfile.parse_header(data)
        expected = _pcfile.decode_payload(data, h)
        assert obj.shape == expected.shape
        assert obj.dtype.name == _pcfile.DTYPE_CODES[h["dtype"]]
        # The header's mark, unless the data does not satisfy it (then checked down to dense).
        assert obj.properties["structure"] in (_pcfile.STRUCTURES[h["structure"]], "dense")
        assert_same(pc.to_numpy(obj, allow_huge=True), expected)
        del obj
        gc.collect()
    finally:
        assert path.read_bytes() == data  # never modified, whatever the mode
        path.unlink()
