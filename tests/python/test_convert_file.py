"""pc.convert_file between .npy and .pycauset: round trips of every shared dtype,
C/Fortran order, big-endian input, many small chunks; bad input; bounded memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pycauset as pc
import _pcfile
from conftest import DTYPE_IDS, NP_DTYPES, TOKEN_OF, assert_same, random_array

SHAPES = [(0,), (1,), (1000,), (4099,), (0, 7), (7, 0), (1, 1), (1, 3000), (3000, 1), (37, 91),
          (130, 67), (200, 129)]
CHUNK = 4096  # small chunks: many of them, and shapes that are not multiples of a chunk


def _round_trip(x: np.ndarray, d, fortran: bool = False, chunk: int = CHUNK) -> None:
    src, mid, back = d / "src.npy", d / "mid.pycauset", d / "back.npy"
    np.save(src, np.asfortranarray(x) if fortran else x)
    if fortran and x.ndim == 2 and min(x.shape) > 1:
        with open(src, "rb") as f:
            assert b"'fortran_order': True" in f.read(200)
    pc.convert_file(src, mid, chunk_bytes=chunk)
    native = np.load(src).astype(x.dtype.newbyteorder("="))
    obj = pc.load(mid)
    assert obj.shape == x.shape
    assert obj.dtype.name == TOKEN_OF[native.dtype]
    assert obj.properties["structure"] == "dense"
    assert_same(pc.to_numpy(obj, allow_huge=True), np.ascontiguousarray(native))
    h, values, meta = _pcfile.read(mid)
    assert_same(values, np.ascontiguousarray(native))
    assert meta["provenance"]["converted_from"] == "src.npy"
    del obj
    pc.convert_file(mid, back, chunk_bytes=chunk)
    out = np.load(back)
    assert out.flags.c_contiguous
    assert_same(out, native)
    assert sorted(os.listdir(d)) == ["back.npy", "mid.pycauset", "src.npy"]


LAYOUTS = [(shape, "C") for shape in SHAPES] + [(shape, "F") for shape in SHAPES if len(shape) == 2]


@pytest.mark.parametrize("shape,order", LAYOUTS, ids=[f"{o}-{s}" for s, o in LAYOUTS])
@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_round_trip(np_dtype, shape, order, fast_tmp, rng):
    x = random_array(shape, np_dtype, rng)
    _round_trip(x, fast_tmp, fortran=order == "F")


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("descr", [">f8", ">i4", ">c16", ">f2", ">u2", ">i8", ">c8", ">u8", ">f4"])
def test_big_endian_input(descr, order, fast_tmp, rng):
    native = random_array((45, 77), np.dtype(descr).newbyteorder("="), rng)
    x = native.astype(descr)
    assert x.dtype.byteorder == ">"
    _round_trip(x, fast_tmp, fortran=order == "F")


@pytest.mark.parametrize("chunk", [1, 64, 4096, 100_000, 32 << 20])
def test_chunk_sizes(chunk, fast_tmp, rng):
    x = rng.standard_normal((301, 257))
    _round_trip(x, fast_tmp, fortran=True, chunk=chunk)
    bits = rng.random((150, 333)) < 0.3
    _round_trip(bits, fast_tmp, fortran=True, chunk=chunk)


@pytest.mark.parametrize("shape,dtype", [((3001, 1023), np.float64), ((5_000_003,), np.float64),
                                         ((2500, 1537), np.complex64), ((4099, 8197), np.bool_)],
                         ids=["f8-odd-rows", "f8-vector", "c8-odd-rows", "bits"])
def test_large_files_on_disk(shape, dtype, tmp_path, rng):
    # Chunks of megabytes on a real disk take the direct-I/O write path wherever a
    # chunk's memory and file offset share their place in a page; rows of odd
    # length put the chunk edges inside pages, and the .npy header (128 bytes)
    # puts every .npy offset off the page grid.
    if dtype is np.bool_:
        x = rng.random(shape) < 0.5
    elif dtype is np.complex64:
        x = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    else:
        x = rng.standard_normal(shape)
    _round_trip(x, tmp_path, chunk=(5 << 20) + 17)
    pc.save(pc.matrix(x) if x.ndim == 2 else pc.vector(x), tmp_path / "saved.pycauset")
    assert_same(pc.to_numpy(pc.load(tmp_path / "saved.pycauset"), allow_huge=True), x)


def test_npy_version_2_header(fast_tmp, rng):
    x = rng.random((20, 30))
    with open(fast_tmp / "v2.npy", "wb") as f:
        np.lib.format.write_array(f, x, version=(2, 0))
    pc.convert_file(fast_tmp / "v2.npy", fast_tmp / "v2.pycauset")
    assert_same(pc.to_numpy(pc.load(fast_tmp / "v2.pycauset")), x)


def test_pycauset_views_and_properties_convert_to_npy(fast_tmp, rng):
    x = rng.random((40, 50))
    a = pc.matrix(x)
    pc.save(a.T, fast_tmp / "t.pycauset")
    pc.convert_file(fast_tmp / "t.pycauset", fast_tmp / "t.npy", chunk_bytes=CHUNK)
    assert_same(np.load(fast_tmp / "t.npy"), np.ascontiguousarray(x.T))


def test_overwrites_the_destination_atomically(tmp_path, rng):
    x, y = rng.random((10, 10)), rng.random(33)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    pc.convert_file(tmp_path / "x.npy", tmp_path / "out.pycauset")
    pc.convert_file(tmp_path / "y.npy", tmp_path / "out.pycauset")
    assert_same(pc.to_numpy(pc.load(tmp_path / "out.pycauset")), y)
    pc.convert_file(tmp_path / "out.pycauset", tmp_path / "x.npy")
    assert_same(np.load(tmp_path / "x.npy"), y)
    assert sorted(os.listdir(tmp_path)) == ["out.pycauset", "x.npy", "y.npy"]


# ---- bad input -------------------------------------------------------------------------


UNSUPPORTED = {
    "object": (lambda: np.array([1, "a", None], dtype=object), TypeError),
    "structured": (lambda: np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8")]), TypeError),
    "unicode": (lambda: np.array(["ab", "c"]), TypeError),
    "bytes": (lambda: np.array([b"ab", b"c"]), TypeError),
    "longdouble": (lambda: np.zeros((2, 2), dtype=np.longdouble), TypeError),
    "datetime": (lambda: np.zeros(3, dtype="datetime64[s]"), TypeError),
    "timedelta": (lambda: np.zeros(3, dtype="timedelta64[s]"), TypeError),
    "void": (lambda: np.zeros(3, dtype="V4"), TypeError),
    "3-D": (lambda: np.zeros((2, 3, 4)), ValueError),
    "4-D": (lambda: np.zeros((1, 1, 1, 1), dtype=np.int8), ValueError),
    "0-D": (lambda: np.array(3.0), ValueError),
}


@pytest.mark.parametrize("kind", list(UNSUPPORTED))
def test_unsupported_npy_raises_and_writes_nothing(kind, tmp_path):
    make, error = UNSUPPORTED[kind]
    arr = make()
    np.save(tmp_path / "src.npy", arr, allow_pickle=True)
    before = _pcfile.file_state(tmp_path / "src.npy")
    with pytest.raises(error) as info:
        pc.convert_file(tmp_path / "src.npy", tmp_path / "dst.pycauset")
    msg = str(info.value)
    if error is TypeError:
        assert "not supported" in msg and "float64" in msg  # lists the supported dtypes
    else:
        assert "src.npy" in msg and str(arr.shape) in msg
    assert os.listdir(tmp_path) == ["src.npy"]
    assert _pcfile.file_state(tmp_path / "src.npy") == before


@pytest.mark.parametrize("src,dst", [
    ("a.npy", "b.npz"), ("a.npy", "b.npy"), ("a.pycauset", "b.pycauset"), ("a.txt", "b.pycauset"),
    ("a.npy", "b"), ("a", "b.npy"), ("a.npy.bak", "b.pycauset"), ("a.npz", "b.pycauset"),
])
def test_bad_extensions(src, dst, tmp_path):
    np.save(tmp_path / "a.npy", np.eye(2))
    pc.save(pc.matrix(np.eye(2)), tmp_path / "a.pycauset")
    for name in ("a.txt", "a", "a.npy.bak", "a.npz"):
        (tmp_path / name).write_bytes((tmp_path / "a.npy").read_bytes())
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(ValueError, match="npy"):
        pc.convert_file(tmp_path / src, tmp_path / dst)
    assert sorted(os.listdir(tmp_path)) == before


def test_extensions_are_case_insensitive(fast_tmp):
    np.save(fast_tmp / "a.npy", np.arange(5.0))
    os.rename(fast_tmp / "a.npy", fast_tmp / "A.NPY")
    pc.convert_file(fast_tmp / "A.NPY", fast_tmp / "B.PyCauset")
    assert_same(pc.to_numpy(pc.load(fast_tmp / "B.PyCauset")), np.arange(5.0))


def test_truncated_npy_raises_and_writes_nothing(tmp_path):
    np.save(tmp_path / "full.npy", np.arange(1000.0).reshape(20, 50))
    data = (tmp_path / "full.npy").read_bytes()
    for cut in [0, 5, 8, 10, 50, 127, 128, 129, len(data) // 2, len(data) - 1]:
        path = tmp_path / "cut.npy"
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="cut.npy"):
            pc.convert_file(path, tmp_path / "dst.pycauset")
        assert sorted(os.listdir(tmp_path)) == ["cut.npy", "full.npy"]
    for order in ("C", "F"):
        np.save(tmp_path / "f.npy", np.asfortranarray(np.ones((20, 50))) if order == "F" else np.ones((20, 50)))
        data = (tmp_path / "f.npy").read_bytes()
        (tmp_path / "f.npy").write_bytes(data[:-8])
        with pytest.raises(ValueError, match="truncated"):
            pc.convert_file(tmp_path / "f.npy", tmp_path / "dst.pycauset", chunk_bytes=CHUNK)
        assert "dst.pycauset" not in os.listdir(tmp_path)


def test_foreign_and_missing_npy_sources(tmp_path):
    (tmp_path / "text.npy").write_text("not an npy file at all, just some text\n" * 5)
    with pytest.raises(ValueError, match="text.npy"):
        pc.convert_file(tmp_path / "text.npy", tmp_path / "dst.pycauset")
    with pytest.raises((ValueError, OSError), match="missing.npy"):
        pc.convert_file(tmp_path / "missing.npy", tmp_path / "dst.pycauset")
    assert sorted(os.listdir(tmp_path)) == ["text.npy"]


def test_corrupt_pycauset_source_raises_format_error_and_writes_nothing(tmp_path):
    pc.save(pc.matrix(np.eye(3)), tmp_path / "a.pycauset")
    data = bytearray((tmp_path / "a.pycauset").read_bytes())
    data[30] ^= 1
    (tmp_path / "a.pycauset").write_bytes(bytes(data))
    with pytest.raises(pc.FormatError, match="checksum"):
        pc.convert_file(tmp_path / "a.pycauset", tmp_path / "a.npy")
    assert os.listdir(tmp_path) == ["a.pycauset"]


CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
with open(os.path.join(CORPUS, "MANIFEST.json")) as _f:
    # Every file that breaks a rule of docs/format.md ("Validation a reader performs").
    # A "properties" value that is not an object is pc.load's own rule, not the format's.
    BAD_FILES = sorted(name for name, spec in json.load(_f).items()
                       if spec["error"] and name != "metadata-properties-list.pycauset")


@pytest.mark.parametrize("name", BAD_FILES)
def test_malformed_pycauset_sources_raise_and_write_nothing(name, tmp_path):
    """convert_file validates a .pycauset source as pc.load does (the regression corpus)."""
    src = tmp_path / "src.pycauset"
    with open(os.path.join(CORPUS, name), "rb") as f:
        src.write_bytes(f.read())
    before = _pcfile.file_state(src)
    with pytest.raises(ValueError) as info:
        pc.convert_file(src, tmp_path / "dst.npy", chunk_bytes=CHUNK)
    assert str(src) in str(info.value)
    assert os.listdir(tmp_path) == ["src.pycauset"]
    assert _pcfile.file_state(src) == before


def test_destination_directory_missing(tmp_path):
    np.save(tmp_path / "a.npy", np.eye(2))
    with pytest.raises(FileNotFoundError, match="nodir"):
        pc.convert_file(tmp_path / "a.npy", tmp_path / "nodir" / "a.pycauset")
    pc.save(pc.matrix(np.eye(2)), tmp_path / "a.pycauset")
    with pytest.raises(FileNotFoundError, match="nodir"):
        pc.convert_file(tmp_path / "a.pycauset", tmp_path / "nodir" / "a.npy")
    assert sorted(os.listdir(tmp_path)) == ["a.npy", "a.pycauset"]


# ---- bounded memory ----------------------------------------------------------------------

PEAK_RSS = """
import os, sys, pycauset as pc

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024

def clear_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")

import numpy as np  # warm up imports before measuring
clear_peak()
base = status("VmHWM")
assert abs(base - status("VmRSS")) < (8 << 20), (base, status("VmRSS"))
pc.convert_file(sys.argv[1], sys.argv[2])
print(status("VmHWM") - base)
"""

BIG_ROWS, BIG_COLS = 6400, 4096  # float64: 200 MiB


def _write_big_npy(path, fortran: bool) -> None:
    """A 200 MiB float64 .npy written in row blocks (this process never holds it)."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(BIG_ROWS, BIG_COLS),
                                    fortran_order=fortran)
    for r in range(0, BIG_ROWS, 256):
        block = np.arange(r * BIG_COLS, (r + 256) * BIG_COLS, dtype=np.float64).reshape(256, BIG_COLS)
        out[r : r + 256] = block
    out.flush()
    del out


def _check_big(path) -> None:
    obj = pc.load(path)
    assert obj.shape == (BIG_ROWS, BIG_COLS)
    for r in range(0, BIG_ROWS, 1600):
        expected = np.arange(r * BIG_COLS, (r + 16) * BIG_COLS, dtype=np.float64).reshape(16, BIG_COLS)
        assert_same(pc.to_numpy(obj[r : r + 16]), expected)
    assert obj[BIG_ROWS - 1, BIG_COLS - 1] == BIG_ROWS * BIG_COLS - 1


def _remove(*paths) -> None:
    """The big files go as soon as a test is done (pytest keeps old tmp dirs)."""
    for p in paths:
        if os.path.exists(p):
            os.unlink(p)


def _peak_delta(src, dst) -> int:
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(PEAK_RSS), str(src), str(dst)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return int(r.stdout)


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc")
@pytest.mark.parametrize("order", ["C", "F"])
def test_npy_to_pycauset_peak_memory_is_bounded(order, tmp_path):
    src, dst = tmp_path / "big.npy", tmp_path / "big.pycauset"
    try:
        _write_big_npy(src, fortran=order == "F")
        delta = _peak_delta(src, dst)
        os.unlink(src)
        _check_big(dst)
    finally:
        _remove(src, dst)
    assert delta < 128 << 20, f"peak RSS grew by {delta / 2**20:.0f} MiB converting a 200 MiB .npy"


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc")
def test_pycauset_to_npy_peak_memory_is_bounded(tmp_path):
    src, mid, dst = tmp_path / "big.npy", tmp_path / "big.pycauset", tmp_path / "back.npy"
    try:
        _write_big_npy(src, fortran=False)
        _peak_delta(src, mid)  # in a child: keeps this process's memory out of it
        os.unlink(src)
        delta = _peak_delta(mid, dst)
        os.unlink(mid)
        back = np.load(dst, mmap_mode="r")
        assert back.shape == (BIG_ROWS, BIG_COLS) and back[-1, -1] == BIG_ROWS * BIG_COLS - 1
        assert_same(np.array(back[1000:1016]),
                    np.arange(1000 * BIG_COLS, 1016 * BIG_COLS, dtype=np.float64).reshape(16, BIG_COLS))
        del back
    finally:
        _remove(src, mid, dst)
    assert delta < 128 << 20, f"peak RSS grew by {delta / 2**20:.0f} MiB converting a 200 MiB .pycauset"
