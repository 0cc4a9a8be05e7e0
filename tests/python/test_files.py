"""pc.save / pc.load: round trips, properties, load modes, atomic replacement, and the
on-disk layout read back with plain NumPy + struct + zlib (an independent reader)."""

from __future__ import annotations

import errno
import gc
import json
import os
import struct
import zlib

import numpy as np
import pytest

import pycauset as pc
import _pcfile
from conftest import DTYPE_IDS, NP_DTYPES, TOKEN_OF, assert_same, random_array

SHAPES_2D = [(0, 0), (0, 5), (5, 0), (1, 1), (7, 13), (3, 64), (5, 65), (4, 130), (1, 200), (66, 3)]
SHAPES_1D = [(0,), (1,), (63,), (64,), (65,), (1000,)]
SOURCES = ["transposed", "sliced", "reversed", "file", "spill"]
# Views and non-RAM sources: the shapes whose layout differs (empty, padding, one word).
SHAPES_SOURCES = [(0, 5), (5, 0), (7, 13), (5, 65), (66, 3), (0,), (65,)]


def _make_source(kind: str, x: np.ndarray, tmp_path, rng):
    """A pycauset object equal to x, of the given storage / view kind."""
    factory = pc.vector if x.ndim == 1 else pc.matrix
    if kind == "ram":
        obj = factory(x)
        assert obj.storage.kind == "ram"
    elif kind == "transposed":
        if x.ndim == 1:  # a column of a matrix: a strided vector view
            m = np.stack([x[::-1], x], axis=1)
            obj = pc.matrix(m)[:, 1]
        else:
            obj = pc.matrix(np.ascontiguousarray(x.T)).T
    elif kind == "sliced":
        if x.ndim == 1:
            big = random_array((2 * len(x) + 3,), x.dtype, rng)
            big[1 : 1 + 2 * len(x) : 2] = x
            obj = pc.vector(big)[1 : 1 + 2 * len(x) : 2]
        else:
            r, c = x.shape
            big = random_array((2 * r + 3, 3 * c + 4), x.dtype, rng)
            big[1 : 1 + 2 * r : 2, 2 : 2 + 3 * c : 3] = x
            obj = pc.matrix(big)[1 : 1 + 2 * r : 2, 2 : 2 + 3 * c : 3]
    elif kind == "reversed":
        if x.ndim == 1:
            obj = pc.vector(np.ascontiguousarray(x[::-1]))[::-1]
        else:
            obj = pc.matrix(np.ascontiguousarray(x[::-1, ::-1]))[::-1, ::-1]
    elif kind == "file":
        src = tmp_path / "source.pycauset"
        pc.save(factory(x), src)
        obj = pc.load(src)
        assert obj.storage.kind == "file"
    elif kind == "spill":
        pc.set_backing_dir(tmp_path)
        pc.set_memory_limit(1)  # every non-empty allocation goes to a spill file
        obj = factory(x)
        pc.set_memory_limit(None)
        if x.size:
            assert obj.storage.kind == "spill"
    else:  # pragma: no cover
        raise AssertionError(kind)
    assert obj.shape == x.shape
    return obj


def _check_loaded(obj, x: np.ndarray, path) -> None:
    assert isinstance(obj, pc.Vector if x.ndim == 1 else pc.Matrix)
    assert obj.shape == x.shape and obj.ndim == x.ndim and obj.size == x.size
    assert obj.dtype.name == TOKEN_OF[x.dtype]
    assert obj.storage.kind == "file"
    assert os.path.samefile(obj.storage.path, path)
    assert_same(pc.to_numpy(obj), x)
    # The same values through an independent reader of the format.
    _, values, meta = _pcfile.read(path)
    assert_same(values, x)
    assert meta["provenance"]["writer"].startswith("pycauset")


ROUND_TRIPS = [("ram", shape) for shape in SHAPES_2D + SHAPES_1D] + [
    (source, shape) for source in SOURCES for shape in SHAPES_SOURCES]


@pytest.mark.parametrize("source,shape", ROUND_TRIPS, ids=[f"{s}-{sh}" for s, sh in ROUND_TRIPS])
@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_round_trip(np_dtype, shape, source, fast_tmp, rng):
    x = random_array(shape, np_dtype, rng)
    obj = _make_source(source, x, fast_tmp, rng)
    path = fast_tmp / "out.pycauset"
    pc.save(obj, path)
    loaded = pc.load(path)
    _check_loaded(loaded, x, path)
    # The source is untouched by saving.
    assert_same(pc.to_numpy(obj, allow_huge=True), x)


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_round_trip_of_a_modified_copy_on_write_load(np_dtype, fast_tmp, rng):
    """Saving a 'c'-mode object writes its modified values, not the file's."""
    x = random_array((9, 70), np_dtype, rng)
    pc.save(pc.matrix(x), fast_tmp / "a.pycauset")
    c = pc.load(fast_tmp / "a.pycauset", mode="c")
    y = random_array((9, 70), np_dtype, np.random.default_rng(7))
    c[2:5, :] = y[2:5, :]
    expected = x.copy()
    expected[2:5, :] = y[2:5, :]
    pc.save(c, fast_tmp / "b.pycauset")
    _check_loaded(pc.load(fast_tmp / "b.pycauset"), expected, fast_tmp / "b.pycauset")
    assert_same(_pcfile.read(fast_tmp / "a.pycauset")[1], x)


def test_save_over_the_file_being_read(tmp_path, rng):
    """Saving a loaded object over its own file (the map keeps the old inode alive)."""
    x = rng.random((30, 40))
    path = tmp_path / "a.pycauset"
    pc.save(pc.matrix(x), path)
    a = pc.load(path)
    pc.save(a.T, path)
    assert_same(pc.to_numpy(a), x)
    assert_same(pc.to_numpy(pc.load(path)), np.ascontiguousarray(x.T))
    assert sorted(os.listdir(tmp_path)) == ["a.pycauset"]


@pytest.mark.parametrize("mode", ["r", "c"])
def test_large_save_over_the_file_being_read(mode, tmp_path, rng):
    """As above, with a payload large enough (12 MiB) for direct-I/O writes, whose
    source pages are the old file's own mapping."""
    x = rng.random((1536, 1024))
    path = tmp_path / "a.pycauset"
    pc.save(pc.matrix(x), path)
    a = pc.load(path, mode=mode)
    pc.save(a, path)
    pc.save(a * 2.0, tmp_path / "b.pycauset")
    assert_same(pc.to_numpy(pc.load(path), allow_huge=True), x)
    assert_same(pc.to_numpy(pc.load(tmp_path / "b.pycauset"), allow_huge=True), x * 2.0)
    assert sorted(os.listdir(tmp_path)) == ["a.pycauset", "b.pycauset"]


# ---- properties ----------------------------------------------------------------


@pytest.mark.parametrize("structure", _pcfile.STRUCTURES)
def test_structure_round_trips(structure, fast_tmp):
    # diagonal: every structure but the strict and antisymmetric ones holds (zero: all do)
    strict = structure.startswith("strictly") or structure == "antisymmetric"
    a = pc.matrix(np.zeros((4, 4)) if strict else np.diag(np.arange(1.0, 5.0)))
    a.properties["structure"] = structure
    pc.save(a, fast_tmp / "a.pycauset")
    b = pc.load(fast_tmp / "a.pycauset")
    assert b.properties["structure"] == structure
    h, _, meta = _pcfile.read(fast_tmp / "a.pycauset")
    assert h["structure"] == _pcfile.STRUCTURES.index(structure)
    assert meta["properties"]["structure"] == structure


def test_custom_properties_round_trip(fast_tmp):
    a = pc.matrix(np.eye(3))
    custom = {"source": "sprinkle", "n": 42, "rho": 2.5, "nested": {"a": [1, 2.5, None, True, "é"]}}
    a.properties["structure"] = "upper_triangular"
    a.properties["custom"] = custom
    pc.save(a, fast_tmp / "a.pycauset")
    b = pc.load(fast_tmp / "a.pycauset")
    assert b.properties == {"structure": "upper_triangular", "custom": custom}
    assert _pcfile.read(fast_tmp / "a.pycauset")[2]["properties"]["custom"] == custom
    # Loaded properties are the object's own: changing them does not touch the file.
    before = _pcfile.file_state(fast_tmp / "a.pycauset")
    b.properties["custom"] = 1
    assert _pcfile.file_state(fast_tmp / "a.pycauset") == before


def test_transposed_triangular_saves_the_flipped_structure(fast_tmp):
    a = pc.matrix(np.triu(np.ones((4, 4))))
    a.properties["structure"] = "upper_triangular"
    pc.save(a.T, fast_tmp / "t.pycauset")
    b = pc.load(fast_tmp / "t.pycauset")
    assert b.properties["structure"] == "lower_triangular"
    assert_same(pc.to_numpy(b), np.tril(np.ones((4, 4))))


def test_unserialisable_property_raises_and_writes_nothing(tmp_path):
    a = pc.matrix(np.eye(2))
    a.properties["bad"] = object()
    with pytest.raises(TypeError, match="JSON"):
        pc.save(a, tmp_path / "a.pycauset")
    assert os.listdir(tmp_path) == []


def test_save_rejects_non_pycauset_objects(tmp_path):
    with pytest.raises(TypeError, match="Matrix or Vector"):
        pc.save(np.eye(2), tmp_path / "a.pycauset")
    assert os.listdir(tmp_path) == []


# ---- load modes ------------------------------------------------------------------


def _writes(obj) -> list:
    """Every way of writing into a Matrix, as callables."""
    return [
        lambda: obj.__setitem__((0, 0), 1),
        lambda: obj.__setitem__((slice(None), 1), 0),
        lambda: obj.__setitem__((slice(0, 2), slice(0, 2)), np.ones((2, 2), obj.dtype.numpy)),
        lambda: obj.fill(1),
        lambda: obj.T.__setitem__((1, 0), 1),
        lambda: obj[1].fill(0),
    ]


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_mode_r_is_read_only(np_dtype, fast_tmp, rng):
    x = random_array((5, 70), np_dtype, rng)
    path = fast_tmp / "a.pycauset"
    pc.save(pc.matrix(x), path)
    before = _pcfile.file_state(path)
    a = pc.load(path)  # "r" is the default
    for write in _writes(a):
        with pytest.raises(ValueError, match="read-only"):
            write()
    assert_same(pc.to_numpy(a), x)
    # Exports are copies: writing them does not reach the file.
    out = pc.to_numpy(a)
    out[...] = out[::-1]
    del a, out
    gc.collect()
    assert _pcfile.file_state(path) == before
    assert_same(pc.to_numpy(pc.load(path, mode="r")), x)


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_mode_r_plus_writes_to_the_file(np_dtype, fast_tmp, rng):
    x = random_array((6, 70), np_dtype, rng)
    y = random_array((6, 70), np_dtype, np.random.default_rng(99))
    path = fast_tmp / "a.pycauset"
    pc.save(pc.matrix(x), path)
    a = pc.load(path, mode="r+")
    other = pc.load(path, mode="r+")  # a second map of the same file sees the writes
    expected = x.copy()
    a[0, 0] = y[0, 0]
    expected[0, 0] = y[0, 0]
    a[2, :] = y[2, :]
    expected[2, :] = y[2, :]
    a.T[5, 4] = y[4, 5]  # through a transposed view
    expected[4, 5] = y[4, 5]
    a[3:5, 60:].fill(y[1, 1])
    expected[3:5, 60:] = y[1, 1]
    assert_same(pc.to_numpy(a), expected)
    assert_same(pc.to_numpy(other), expected)
    del a, other
    gc.collect()
    assert_same(pc.to_numpy(pc.load(path)), expected)
    assert_same(_pcfile.read(path)[1], expected)  # CRCs still valid, bytes on disk changed


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_mode_c_never_changes_the_file(np_dtype, fast_tmp, rng):
    x = random_array((6, 70), np_dtype, rng)
    y = random_array((6, 70), np_dtype, np.random.default_rng(5))
    path = fast_tmp / "a.pycauset"
    pc.save(pc.matrix(x), path)
    before = _pcfile.file_state(path)
    c = pc.load(path, mode="c")
    c[:, :] = y
    c[0, 0] = y[1, 1]
    expected = y.copy()
    expected[0, 0] = y[1, 1]
    assert_same(pc.to_numpy(c), expected)
    assert_same(pc.to_numpy(pc.load(path)), x)  # another map still sees the file
    del c
    gc.collect()
    assert _pcfile.file_state(path) == before


@pytest.mark.parametrize("mode", ["r", "r+", "c"])
def test_loading_does_not_modify_the_file(mode, fast_tmp, rng):
    path = fast_tmp / "a.pycauset"
    pc.save(pc.matrix(rng.random((20, 30))), path)
    before = _pcfile.file_state(path)
    a = pc.load(path, mode=mode)
    pc.to_numpy(a)
    del a
    gc.collect()
    assert _pcfile.file_state(path) == before


@pytest.mark.parametrize("mode", ["w", "rw", "R", "", "a", "w+", None, 1])
def test_invalid_mode_raises(mode, fast_tmp):
    path = fast_tmp / "a.pycauset"
    pc.save(pc.matrix(np.eye(2)), path)
    before = _pcfile.file_state(path)
    with pytest.raises(ValueError, match="mode"):
        pc.load(path, mode=mode)
    assert _pcfile.file_state(path) == before


# ---- atomic replacement and temporaries ------------------------------------------------


def test_save_over_an_existing_file_replaces_it(tmp_path, rng):
    path = tmp_path / "a.pycauset"
    x = rng.random((50, 60))
    pc.save(pc.matrix(x), path)
    y = random_array((7,), np.dtype(np.int16), rng)
    pc.save(pc.vector(y), path)
    assert sorted(os.listdir(tmp_path)) == ["a.pycauset"]
    _check_loaded(pc.load(path), y, path)
    # Smaller than the old file: nothing of the old one survives past the new end.
    h = _pcfile.parse_header(path.read_bytes())
    assert path.stat().st_size == h["metadata_offset"] + h["metadata_length"]
    for _ in range(5):
        pc.save(pc.matrix(x), path)
    assert sorted(os.listdir(tmp_path)) == ["a.pycauset"]
    _check_loaded(pc.load(path), x, path)


def test_save_into_a_missing_directory_raises_and_creates_nothing(tmp_path):
    target = tmp_path / "missing" / "deeper" / "a.pycauset"
    with pytest.raises(FileNotFoundError, match="missing") as info:
        pc.save(pc.matrix(np.eye(2)), target)
    assert info.value.errno == errno.ENOENT and info.value.filename == str(target)
    assert os.listdir(tmp_path) == []


def test_save_onto_a_directory_raises(tmp_path):
    (tmp_path / "d.pycauset").mkdir()
    with pytest.raises(IsADirectoryError, match="directory"):
        pc.save(pc.matrix(np.eye(2)), tmp_path / "d.pycauset")
    assert os.listdir(tmp_path) == ["d.pycauset"]
    assert os.listdir(tmp_path / "d.pycauset") == []


def test_stale_temporaries_of_dead_processes_are_removed_on_the_next_save(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)
    me = os.getpid()
    names = {
        f".a.pycauset.tmp-{dead_pid}-0": False,   # dead writer, same target: removed
        f".a.pycauset.tmp-{dead_pid}-17": False,
        f".a.pycauset.tmp-{me}-12345": True,      # a live process's temporary: kept
        f".b.pycauset.tmp-{dead_pid}-0": True,    # another target: kept
        ".a.pycauset.tmp-notapid-0": True,        # not a pycauset temporary name: kept
        "a.pycauset.tmp-1-0": True,
        "notes.txt": True,
    }
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    pc.save(pc.matrix(np.eye(3)), tmp_path / "a.pycauset")
    left = set(os.listdir(tmp_path))
    assert left == {n for n, keep in names.items() if keep} | {"a.pycauset"}
    assert_same(pc.to_numpy(pc.load(tmp_path / "a.pycauset")), np.eye(3))


# ---- the layout on disk, read with plain NumPy -------------------------------------------


def _check_header(data: bytes, code: int, ndim: int, rows: int, cols: int, structure: int) -> dict:
    (magic, version, header_size, bom, dtype_code, nd, struct_code) = struct.unpack_from(
        "<8sIIIBBB", data, 0)
    assert magic == b"PYCAUSET"
    assert (version, header_size, bom) == (1, 128, 0x01020304)
    assert (dtype_code, nd, struct_code) == (code, ndim, structure)
    (r, c, stride, p_off, p_len, m_off, m_len) = struct.unpack_from("<7Q", data, 24)
    (m_crc,) = struct.unpack_from("<I", data, 80)
    (h_crc,) = struct.unpack_from("<I", data, 120)
    assert (r, c) == (rows, cols)
    assert stride == _pcfile.row_stride(code, cols)
    assert p_off == 4096 and p_len == rows * stride
    assert data[p_off + p_len : p_off + p_len + 8] == bytes(8)  # the slack is zero
    assert m_off >= p_off + p_len + 8 and m_off % 8 == 0
    assert len(data) == m_off + m_len
    assert h_crc == zlib.crc32(data[:120])
    assert m_crc == zlib.crc32(data[m_off : m_off + m_len])
    meta = json.loads(data[m_off : m_off + m_len].decode("utf-8"))
    assert set(meta) >= {"properties", "provenance"}
    assert data[23] == 0 and data[84:120] == bytes(36) and data[124:128] == bytes(4)  # reserved
    assert data[128:4096] == bytes(4096 - 128)
    return {"stride": stride, "meta": meta}


def test_float64_matrix_reads_with_numpy_memmap(fast_tmp, rng):
    x = np.triu(rng.standard_normal((37, 53)))
    a = pc.matrix(x)
    a.properties["structure"] = "upper_triangular"
    path = fast_tmp / "a.pycauset"
    pc.save(a, path)
    data = path.read_bytes()
    info = _check_header(data, 11, 2, 37, 53, 1)
    assert info["meta"]["properties"]["structure"] == "upper_triangular"
    m = np.memmap(path, dtype="<f8", mode="r", offset=4096, shape=(37, 53))
    assert_same(np.array(m), x)
    del m


def _dirty_heap(nbytes: int) -> None:
    """Free a few RAM buffers full of one-bits of about `nbytes`, so that memory a
    writer forgets to initialise is visibly non-zero (deterministic detection)."""
    junk = [pc.full((nbytes // 8 + 1,), -1, dtype="int64") for _ in range(8)]
    del junk


@pytest.mark.parametrize("shape", [(5, 70), (3, 64), (4, 1), (2, 129), (1, 200)])
@pytest.mark.parametrize("build", ["matrix", "ones", "fill", "view", "zeros"])
def test_bit_matrix_reads_with_numpy_unpackbits(shape, build, fast_tmp, rng):
    rows, cols = shape
    stride = (cols + 63) // 64 * 8
    for trial in range(3):
        _dirty_heap(rows * stride)
        x = rng.random(shape) < 0.5
        if build == "matrix":
            a = pc.matrix(x)
        elif build == "ones":
            x = np.ones(shape, bool)
            a = pc.ones(shape, dtype="bit")
        elif build == "fill":
            x = np.ones(shape, bool)
            a = pc.zeros(shape, dtype="bit")
            a.fill(True)
        elif build == "zeros":
            x = np.zeros(shape, bool)
            a = pc.zeros(shape, dtype="bit")
        else:
            a = pc.matrix(np.ascontiguousarray(x.T)).T
        path = fast_tmp / "b.pycauset"
        pc.save(a, path)
        data = path.read_bytes()
        info = _check_header(data, 0, 2, rows, cols, 0)
        assert info["stride"] == stride
        words = np.frombuffer(data, dtype=np.uint8, count=rows * stride, offset=4096).reshape(rows, stride)
        bits = np.unpackbits(words, axis=1, bitorder="little")
        assert_same(bits[:, :cols].astype(bool), x)
        # docs/format.md: "Padding bits are zero" (a reader may popcount whole words).
        assert not bits[:, cols:].any(), f"padding bits after the last column are not zero (trial {trial})"


def test_vector_layout(fast_tmp):
    v = np.arange(-5, 6, dtype=np.int32)
    pc.save(pc.vector(v), fast_tmp / "v.pycauset")
    data = (fast_tmp / "v.pycauset").read_bytes()
    _check_header(data, 3, 1, 1, 11, 0)
    assert_same(np.frombuffer(data, "<i4", count=11, offset=4096), v)


@pytest.mark.parametrize("n", [1, 63, 64, 70, 129])
def test_bit_vector_layout(n, fast_tmp):
    v = np.ones(n, dtype=bool)
    _dirty_heap((n + 63) // 64 * 8)
    pc.save(pc.vector(v), fast_tmp / "v.pycauset")
    data = (fast_tmp / "v.pycauset").read_bytes()
    stride = _check_header(data, 0, 1, 1, n, 0)["stride"]
    bits = np.unpackbits(np.frombuffer(data, np.uint8, count=stride, offset=4096), bitorder="little")
    assert_same(bits[:n].astype(bool), v)
    assert not bits[n:].any(), "padding bits after the last element are not zero"


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_dtype_codes_and_payload_bytes(np_dtype, fast_tmp, rng):
    """Every dtype's code and raw little-endian payload bytes, exactly."""
    x = random_array((3, 67), np_dtype, rng)
    pc.save(pc.matrix(x), fast_tmp / "a.pycauset")
    data = (fast_tmp / "a.pycauset").read_bytes()
    code = {v: k for k, v in _pcfile.DTYPE_CODES.items()}[TOKEN_OF[np_dtype]]
    _check_header(data, code, 2, 3, 67, 0)
    if np_dtype != np.bool_:
        expected = x.astype(np_dtype.newbyteorder("<")).tobytes()
        assert data[4096 : 4096 + len(expected)] == expected


def test_format_is_documented():
    """system.md: docs/format.md documents the format precisely enough to write a reader."""
    doc = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "format.md")
    assert os.path.isfile(doc), "docs/format.md is missing"
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    for word in ("PYCAUSET", "4096", "CRC-32", "little-endian", "Padding bits are zero"):
        assert word in text


# ---- files larger than RAM -------------------------------------------------------------------


def test_copy_on_write_load_of_a_file_larger_than_ram(tmp_path):
    """mode='c' maps the file privately. Such a mapping used to be charged in full
    against the commit limit, so a file larger than RAM + swap was refused
    ('cannot map ...: Cannot allocate memory'). Now only changed pages cost memory."""
    ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    n = int((ram * 1.25 / 8) ** 0.5)  # n x n float64: 1.25 x RAM
    small = tmp_path / "small.pycauset"
    pc.save(pc.matrix(np.zeros((1, 1))), small)
    data = small.read_bytes()
    h = _pcfile.parse_header(data)
    meta = data[h["metadata_offset"]:h["metadata_offset"] + h["metadata_length"]]
    payload = n * n * 8
    meta_at = (4096 + payload + 8 + 7) // 8 * 8
    head = _pcfile.patch(data[:4096], rows=n, cols=n, row_stride=n * 8, payload_length=payload,
                         metadata_offset=meta_at)
    big = tmp_path / "big.pycauset"
    with open(big, "wb") as f:  # sparse: the payload is a hole that reads as zeros
        f.write(head)
        f.seek(meta_at)
        f.write(meta)
    assert os.stat(big).st_size > ram and os.stat(big).st_blocks * 512 < (1 << 20)
    A = pc.load(big, mode="c")
    assert A.shape == (n, n) and A.storage.kind == "file"
    A[0, 0] = -1.0
    A[n - 1, n - 1] = 5.0
    assert float(A[0, 0]) == -1.0 and float(A[n - 1, n - 1]) == 5.0 and float(A[1, 1]) == 0.0
    del A
    gc.collect()
    # The file never changed.
    with open(big, "rb") as f:
        assert os.pread(f.fileno(), 8, 4096) == bytes(8)
        assert os.pread(f.fileno(), 8, 4096 + payload - 8) == bytes(8)
    assert float(pc.load(big)[n - 1, n - 1]) == 0.0
    os.unlink(big)


def test_save_to_npy_writes_a_numpy_file(tmp_path, rng):
    """pc.save(A, 'x.npy') used to write the .pycauset format under a .npy name."""
    cases = {
        "f8": rng.standard_normal((37, 53)),
        "c8": (rng.standard_normal((5, 7)) + 1j * rng.standard_normal((5, 7))).astype(np.complex64),
        "i2-vector": rng.integers(-300, 300, 101).astype(np.int16),
        "u8": rng.integers(0, 2**64 - 1, (4, 9), dtype=np.uint64),
        "f2": rng.standard_normal((3, 4)).astype(np.float16),
        "empty": np.zeros((0, 5)),
    }
    for name, x in cases.items():
        path = tmp_path / f"{name}.npy"
        obj = pc.matrix(x) if x.ndim == 2 else pc.vector(x)
        pc.save(obj, path)
        got = np.load(path)
        assert got.dtype == x.dtype and got.shape == x.shape, name
        assert_same(got, x)
    # Views, transposes and bit objects (stored as bool); the .NPY extension counts too.
    x = rng.standard_normal((40, 30))
    pc.save(pc.matrix(x).T[::2, 3:], tmp_path / "view.NPY")
    assert_same(np.load(tmp_path / "view.NPY"), x.T[::2, 3:])
    b = rng.random((13, 70)) < 0.5
    pc.save(pc.matrix(b, dtype="bit"), tmp_path / "bits.npy")
    got = np.load(tmp_path / "bits.npy")
    assert got.dtype == np.bool_
    assert_same(got, b)
    # Loading a .npy file with pc.load says how to read it.
    with pytest.raises(pc.FormatError, match=r"np\.load"):
        pc.load(tmp_path / "bits.npy")
    assert not [e for e in os.listdir(tmp_path) if ".tmp-" in e]


def test_save_to_npy_streams_long_rows_and_many_rows(tmp_path, rng):
    """Blocks smaller than the object: rows split in pieces, and row blocks."""
    from pycauset import _storage

    for shape in [(3, 1000), (1000, 3), (1000,)]:
        x = rng.standard_normal(shape)
        obj = pc.matrix(x) if x.ndim == 2 else pc.vector(x)
        path = tmp_path / "s.npy"
        _storage._save_npy(obj, str(path), chunk_bytes=512)
        assert_same(np.load(path), x)
