"""The core's streamed .npy paths: pc.convert_file both ways and pc.save to .npy.

Every dtype, both directions, odd shapes (bit rows that are not whole words),
vectors, empty arrays, big-endian and Fortran-order input, chunk sizes that
split rows; values checked against NumPy and an independent reader of the
.pycauset format. Then: a failure in the middle of a conversion leaves the old
target, the work Python does per conversion does not grow with the number of
chunks (the data never passes through Python), page-cache dropping, and peak
anonymous memory that scales with the chunk size, not the file.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pycauset as pc
import _pcfile
from conftest import DTYPE_IDS, NP_DTYPES, assert_same, random_array
from pycauset import _progress, _storage

SHAPES = [(0,), (5,), (200,), (0, 0), (3, 0), (0, 3), (1, 1), (67, 131), (1, 200), (130, 1), (9, 64), (4, 65)]
CHUNKS = [1, 1000, 1 << 20]  # one row or less per chunk, a few rows, everything at once


def _byte_swapped(x: np.ndarray) -> np.ndarray:
    """x with its data stored big-endian (equal values)."""
    return x.astype(x.dtype.newbyteorder(">")) if x.dtype.itemsize > 1 else x


@pytest.mark.parametrize("chunk", CHUNKS)
@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_every_dtype_both_directions(np_dtype, chunk, fast_tmp, rng):
    for shape in SHAPES:
        x = random_array(shape, np_dtype, rng)
        variants = [("C", x), ("big", _byte_swapped(x))]
        if x.ndim == 2:
            variants += [("F", np.asfortranarray(x)), ("F-big", np.asfortranarray(_byte_swapped(x)))]
        for label, stored in variants:
            src, mid, back = fast_tmp / "s.npy", fast_tmp / "m.pycauset", fast_tmp / "b.npy"
            np.save(src, stored)
            pc.convert_file(src, mid, chunk_bytes=chunk)
            _, values, _ = _pcfile.read(mid)  # independent reader of the format
            assert values.shape == x.shape and values.dtype == x.dtype, (shape, label)
            assert_same(values, x)
            pc.convert_file(mid, back, chunk_bytes=chunk)
            out = np.load(back)
            assert out.dtype == x.dtype and out.dtype.isnative and out.flags.c_contiguous, (shape, label)
            assert_same(out, x)
            # The .npy file is exactly what NumPy writes for the same array.
            np.save(fast_tmp / "ref.npy", x)
            assert back.read_bytes() == (fast_tmp / "ref.npy").read_bytes(), (shape, label)


@pytest.mark.parametrize("chunk", CHUNKS)
@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=DTYPE_IDS)
def test_save_npy_of_views_every_dtype(np_dtype, chunk, fast_tmp, rng):
    x = random_array((37, 70), np_dtype, rng)
    obj = pc.matrix(x)
    views = {"whole": (obj, x), "T": (obj.T, x.T), "slice": (obj[3:30:2, 65:1:-3], x[3:30:2, 65:1:-3]),
             "row": (obj[5], x[5]), "col": (obj[:, 66], x[:, 66]), "empty": (obj[4:4], x[4:4])}
    for name, (view, ref) in views.items():
        _storage._save_npy(view, str(fast_tmp / "v.npy"), chunk_bytes=chunk)
        out = np.load(fast_tmp / "v.npy")
        assert out.shape == ref.shape and out.dtype == ref.dtype, name
        assert_same(out, np.ascontiguousarray(ref))
        np.save(fast_tmp / "ref.npy", np.ascontiguousarray(ref))
        assert (fast_tmp / "v.npy").read_bytes() == (fast_tmp / "ref.npy").read_bytes(), name


def test_long_bit_vectors_split_inside_rows(fast_tmp, rng):
    # Rows longer than a chunk are split on word boundaries in both directions.
    for n in (64 * 1000 + 1, 64 * 1000, 999):
        x = rng.random(n) < 0.5
        np.save(fast_tmp / "v.npy", x)
        pc.convert_file(fast_tmp / "v.npy", fast_tmp / "v.pycauset", chunk_bytes=100)
        _, values, _ = _pcfile.read(fast_tmp / "v.pycauset")
        assert_same(values, x)
        pc.convert_file(fast_tmp / "v.pycauset", fast_tmp / "w.npy", chunk_bytes=100)
        assert_same(np.load(fast_tmp / "w.npy"), x)
        m = np.stack([x, ~x])
        np.save(fast_tmp / "m.npy", m)
        pc.convert_file(fast_tmp / "m.npy", fast_tmp / "m.pycauset", chunk_bytes=100)
        pc.convert_file(fast_tmp / "m.pycauset", fast_tmp / "n.npy", chunk_bytes=100)
        assert_same(np.load(fast_tmp / "n.npy"), m)


def test_bool_bytes_other_than_one_are_true(fast_tmp):
    raw = np.array([[0, 1, 2, 255, 0, 7]] * 3, dtype=np.uint8)
    np.save(fast_tmp / "b.npy", raw.view(np.bool_))
    pc.convert_file(fast_tmp / "b.npy", fast_tmp / "b.pycauset", chunk_bytes=5)
    assert_same(pc.to_numpy(pc.load(fast_tmp / "b.pycauset")), raw != 0)


@pytest.mark.parametrize("chunk", [0, -5])
def test_chunk_bytes_must_be_positive(chunk, tmp_path):
    np.save(tmp_path / "a.npy", np.eye(2))
    with pytest.raises(ValueError, match="chunk_bytes"):
        pc.convert_file(tmp_path / "a.npy", tmp_path / "a.pycauset", chunk_bytes=chunk)
    with pytest.raises(TypeError, match="chunk_bytes"):
        pc.convert_file(tmp_path / "a.npy", tmp_path / "a.pycauset", chunk_bytes=4.5)
    assert os.listdir(tmp_path) == ["a.npy"]


# ---- a failure in the middle leaves the old target ----------------------------------


class _Stop(Exception):
    pass


def _fail_midway(monkeypatch) -> list:
    """Make the core's first progress report after the start (and before the end) raise."""
    seen: list = []
    original = _progress.report

    def report(what, fraction):
        seen.append((what, fraction))
        if 0 < fraction < 1:
            raise _Stop(what)
        return original(what, fraction)

    monkeypatch.setattr(_progress, "report", report)
    return seen


@pytest.mark.parametrize("case", ["npy->pycauset", "fortran npy->pycauset", "big-endian npy->pycauset",
                                  "pycauset->npy", "bit pycauset->npy", "save npy"])
def test_failure_midway_leaves_the_old_target(case, tmp_path, rng, monkeypatch):
    x = rng.random((6000, 1024))  # 47 MiB: the core reports progress every 16 MiB
    if case.startswith("bit"):
        x = rng.random((6000, 8192)) < 0.5  # 47 MiB of bools, 6 MiB of bits
    if case.startswith("fortran"):
        x = np.asfortranarray(x)
    if case.startswith("big"):
        x = x.astype(">f8")
    src_npy, src_pc = tmp_path / "src.npy", tmp_path / "src.pycauset"
    np.save(src_npy, x)
    if "pycauset->npy" in case:
        pc.convert_file(src_npy, src_pc)
    old = b"the old target, which must survive"
    dst = tmp_path / ("dst.pycauset" if case.endswith("->pycauset") else "dst.npy")
    dst.write_bytes(old)
    before = sorted(os.listdir(tmp_path))
    seen = _fail_midway(monkeypatch)
    with pytest.raises(_Stop):
        if case == "save npy":
            pc.save(pc.matrix(x), dst)
        elif case.endswith("->pycauset"):
            pc.convert_file(src_npy, dst, chunk_bytes=1 << 20)
        else:
            pc.convert_file(src_pc, dst, chunk_bytes=1 << 20)
    assert any(0 < f < 1 for _, f in seen)
    assert dst.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == before  # the temporary is gone
    monkeypatch.undo()
    # And the same call, not interrupted, goes through.
    if case == "save npy":
        pc.save(pc.matrix(x), dst)
    elif case.endswith("->pycauset"):
        pc.convert_file(src_npy, dst)
    else:
        pc.convert_file(src_pc, dst)
    got = pc.to_numpy(pc.load(dst), allow_huge=True) if dst.suffix == ".pycauset" else np.load(dst)
    assert_same(got, x.astype(x.dtype.newbyteorder("=")))


# ---- the data never passes through Python ----------------------------------------------


def _python_calls(fn) -> int:
    """Python-level calls (Python functions and builtins, e.g. os.preadv or np.frombuffer)
    made on this thread while fn runs."""
    count = [0]

    def profiler(frame, event, arg):
        if event in ("call", "c_call"):
            count[0] += 1

    sys.setprofile(profiler)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count[0]


@pytest.mark.parametrize("order", ["C", "F", "big-endian", "bool"])
def test_python_work_does_not_grow_with_the_number_of_chunks(order, tmp_path, rng):
    # 4 MiB moved in 4 KiB chunks (about 1000 of them) or in one chunk: if Python read,
    # unpacked or placed the chunks, its calls would grow with their number.
    x = rng.random((512, 1024)) if order != "bool" else rng.random((2048, 2048)) < 0.5
    if order == "F":
        x = np.asfortranarray(x)
    if order == "big-endian":
        x = x.astype(">f8")
    np.save(tmp_path / "a.npy", x)
    pc.convert_file(tmp_path / "a.npy", tmp_path / "a.pycauset")  # warm up imports and caches
    pc.convert_file(tmp_path / "a.pycauset", tmp_path / "b.npy")
    calls = {}
    for chunk in (4096, 64 << 20):
        calls[("to", chunk)] = _python_calls(
            lambda: pc.convert_file(tmp_path / "a.npy", tmp_path / "a.pycauset", chunk_bytes=chunk))
        calls[("back", chunk)] = _python_calls(
            lambda: pc.convert_file(tmp_path / "a.pycauset", tmp_path / "b.npy", chunk_bytes=chunk))
        obj = pc.load(tmp_path / "a.pycauset")
        calls[("save", chunk)] = _python_calls(lambda: _storage._save_npy(obj, str(tmp_path / "c.npy"), chunk))
        del obj
    for kind in ("to", "back", "save"):
        few, many = calls[(kind, 64 << 20)], calls[(kind, 4096)]
        assert many <= few + 10, (kind, calls)
    assert_same(np.load(tmp_path / "b.npy"), x.astype(x.dtype.newbyteorder("=")))
    assert_same(np.load(tmp_path / "c.npy"), x.astype(x.dtype.newbyteorder("=")))


# ---- page cache ------------------------------------------------------------------------------


def _resident(path) -> float:
    """Fraction of the file's pages in the page cache (mincore on a fresh mapping)."""
    size = os.path.getsize(path)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        assert addr not in (None, ctypes.c_void_p(-1).value)
        pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
        vec = ctypes.create_string_buffer(pages)
        assert libc.mincore(addr, size, vec) == 0
        libc.munmap(addr, size)
    finally:
        os.close(fd)
    return sum(b & 1 for b in vec.raw) / pages


def _on_tmpfs(path) -> bool:
    with open("/proc/self/mounts") as f:
        mounts = [line.split() for line in f]
    real = os.path.realpath(path)
    best = max((m for m in mounts if real == m[1] or real.startswith(m[1].rstrip("/") + "/")),
               key=lambda m: len(m[1]))
    return best[2] in ("tmpfs", "ramfs")


def test_pages_of_both_files_are_dropped(tmp_path, rng):
    if _on_tmpfs(tmp_path):
        pytest.skip("tmpfs keeps every page in memory")
    x = rng.random((4096, 1024))  # 32 MiB
    np.save(tmp_path / "a.npy", x)
    fd = os.open(tmp_path / "a.npy", os.O_RDONLY)
    os.fsync(fd)  # clean pages can be dropped; dirty ones only once written
    os.close(fd)
    with open(tmp_path / "a.npy", "rb") as f:
        f.read()  # all resident before the conversion
    assert _resident(tmp_path / "a.npy") > 0.9
    pc.convert_file(tmp_path / "a.npy", tmp_path / "a.pycauset", chunk_bytes=4 << 20)
    assert _resident(tmp_path / "a.npy") < 0.1
    assert _resident(tmp_path / "a.pycauset") < 0.1  # written by direct I/O, or written back and dropped
    pc.convert_file(tmp_path / "a.pycauset", tmp_path / "b.npy", chunk_bytes=4 << 20)
    assert _resident(tmp_path / "a.pycauset") < 0.1
    assert _resident(tmp_path / "b.npy") < 0.1
    assert_same(np.load(tmp_path / "b.npy"), x)


# ---- peak anonymous memory scales with the chunk, not the file ---------------------------------

ANON_CHILD = """
import sys, threading, time
import numpy as np, pycauset as pc

def anon():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024

peak = [0]
stop = threading.Event()
def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], anon())
        time.sleep(0.001)

pc.convert_file(sys.argv[4], sys.argv[5], chunk_bytes=4096)  # warm up: imports, thread pool
base = anon()
t = threading.Thread(target=sample)
t.start()
pc.convert_file(sys.argv[1], sys.argv[2], chunk_bytes=int(sys.argv[3]))
stop.set()
t.join()
print(max(peak[0], anon()) - base)
"""


def _anon_growth(src, dst, chunk, warm_src, warm_dst) -> int:
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(ANON_CHILD), str(src), str(dst), str(chunk),
                        str(warm_src), str(warm_dst)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return int(r.stdout)


def _write_npy(path, shape, dtype, fortran=False) -> None:
    out = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape, fortran_order=fortran)
    step = 512
    for r in range(0, shape[0], step):
        block = np.arange(r * shape[1], min(r + step, shape[0]) * shape[1]) % 251
        out[r : r + step] = block.reshape(-1, shape[1]).astype(dtype)
    out.flush()
    del out


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
@pytest.mark.parametrize("case", ["C f8", "F f8", "big-endian f8", "bool", "pycauset->npy f8", "pycauset->npy bit"])
def test_peak_anonymous_memory_scales_with_the_chunk(case, tmp_path):
    # A 320 MiB payload (bools: 320 MiB of .npy, 40 MiB of bits) in 1 MiB chunks: the
    # conversion's anonymous memory must stay within a few chunks, far below the file.
    shape, dtype = ((40960, 1024), np.float64) if "f8" in case else ((16384, 20480), np.bool_)
    src = tmp_path / "src.npy"
    warm_src, warm_dst = tmp_path / "w.npy", tmp_path / "w.pycauset"
    np.save(warm_src, np.zeros((3, 3), dtype=dtype))
    try:
        _write_npy(src, shape, ">f8" if case.startswith("big") else dtype, fortran=case.startswith("F"))
        if case.startswith("pycauset->npy"):
            mid = tmp_path / "src.pycauset"
            pc.convert_file(src, mid)
            os.unlink(src)
            src, dst = mid, tmp_path / "out.npy"
        else:
            dst = tmp_path / "out.pycauset"
        growth = _anon_growth(src, dst, 1 << 20, warm_src, warm_dst)
        # Three 1 MiB staging buffers (two reads in flight, one conversion), each
        # rounded up to a 2 MiB huge page, plus the I/O thread: well under 16 MiB.
        assert growth < 16 << 20, f"{case}: RssAnon grew by {growth / 2**20:.1f} MiB"
        if dst.suffix == ".npy":
            got = np.load(dst, mmap_mode="r")
            assert got.shape == shape and got.dtype == np.dtype(dtype)
            for r in (0, 12345 % shape[0], shape[0] - 1):
                expected = (np.arange(r * shape[1], (r + 1) * shape[1]) % 251).astype(dtype)
                assert_same(np.asarray(got[r]), expected)
            del got
        else:
            obj = pc.load(dst)
            for r in (0, 12345 % shape[0], shape[0] - 1):
                expected = (np.arange(r * shape[1], (r + 1) * shape[1]) % 251).astype(dtype)
                assert_same(pc.to_numpy(obj[r]), expected)
            del obj
    finally:
        for p in os.listdir(tmp_path):
            os.unlink(tmp_path / p)


@pytest.mark.parametrize("target", ["copy.pycauset", "copy.npy"])
def test_saving_a_loaded_file_reads_it_without_keeping_its_pages(target, tmp_path, rng):
    # pc.save of a file-backed object reads its rows with pread through the block
    # API and drops their pages, instead of faulting the whole file in through
    # its memory map.
    if _on_tmpfs(tmp_path):
        pytest.skip("tmpfs keeps every page in memory")
    x = rng.random((4096, 1024))  # 32 MiB
    pc.save(pc.matrix(x), tmp_path / "src.pycauset")
    with open(tmp_path / "src.pycauset", "rb") as f:
        f.read()
    assert _resident(tmp_path / "src.pycauset") > 0.9
    obj = pc.load(tmp_path / "src.pycauset")
    pc.save(obj, tmp_path / target)
    assert _resident(tmp_path / "src.pycauset") < 0.1
    assert _resident(tmp_path / target) < 0.1
    got = np.load(tmp_path / target) if target.endswith(".npy") else pc.to_numpy(pc.load(tmp_path / target))
    assert_same(got, x)
    del obj
