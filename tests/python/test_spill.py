"""The memory governor and spill files: budget parsing, spill-backed creation and
import, the export guard on spilled objects, memory_info, and the life cycle of
spill files and per-process spill directories (object death, normal exit,
SIGKILL, live neighbours, files pycauset did not create)."""

from __future__ import annotations

import gc
import json
import os
import re
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pycauset as pc
from conftest import assert_same

MiB = 1 << 20



def _spill_dirs(backing) -> list:
    return sorted(e for e in os.listdir(backing) if e.startswith("pycauset-"))


def _check_spill_path(path: str, backing, pid: int) -> None:
    d = os.path.dirname(path)
    assert os.path.samefile(os.path.dirname(d), backing)
    assert re.fullmatch(rf"pycauset-{pid}-[0-9a-f]+", os.path.basename(d)), d
    assert re.fullmatch(r"spill-\d+\.bin", os.path.basename(path)), path
    assert os.path.isfile(path)
    assert os.path.isfile(os.path.join(d, "lock"))


def _human(n: int) -> str:
    return f"{n / MiB:.1f} MiB"


# ---- the budget ------------------------------------------------------------------------------


@pytest.mark.parametrize("value,expected", [
    (4096, 4096), (np.int64(123456), 123456), ("2 GiB", 2 << 30), ("2GiB", 2 << 30),
    ("512MB", 512_000_000), ("512 mb", 512_000_000), ("1.5e9", 1_500_000_000),
    ("1.5 GiB", 3 << 29), ("100", 100), ("64 KiB", 65536), (" 3 MB ", 3_000_000),
    ("1 TB", 10**12), ("7b", 7),
])
def test_set_memory_limit_accepts(value, expected):
    pc.set_memory_limit(value)
    assert pc.get_memory_limit() == expected
    assert pc.memory_info()["limit"] == expected


@pytest.mark.parametrize("value,error", [
    (0, ValueError), (-1, ValueError), ("0 MB", ValueError), ("-5", ValueError),
    ("lots", ValueError), ("", ValueError), ("5 XB", ValueError), ("GiB", ValueError),
    ("1,000", ValueError), (2.5, TypeError), (True, TypeError), ([1], TypeError),
])
def test_set_memory_limit_rejects(value, error):
    before = pc.get_memory_limit()
    with pytest.raises(error):
        pc.set_memory_limit(value)
    assert pc.get_memory_limit() == before


def test_default_memory_limit_is_half_of_memory_or_cgroup():
    pc.set_memory_limit("1 MiB")
    pc.set_memory_limit(None)
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    for p in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(p) as f:
                word = f.read().split()[0]
        except (OSError, IndexError):
            continue
        if word != "max" and 0 < int(word) < total:
            total = int(word)
    assert pc.get_memory_limit() == total // 2


def test_set_backing_dir_rejects_bad_paths(tmp_path):
    before = pc.get_backing_dir()
    with pytest.raises(ValueError, match="does not exist"):
        pc.set_backing_dir(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        pc.set_backing_dir(tmp_path / "file")
    assert pc.get_backing_dir() == before
    assert os.listdir(tmp_path) == ["file"]


def test_set_backing_dir_accepts_relative_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkdir("rel")
    pc.set_backing_dir("rel")
    assert pc.get_backing_dir() == str(tmp_path / "rel")
    assert pc.memory_info()["backing_dir"] == str(tmp_path / "rel")


# ---- spill-backed objects ------------------------------------------------------------------------


def test_small_objects_stay_in_ram(spill_env):
    a = pc.zeros((100, 100))  # 80 KB
    assert a.storage.kind == "ram" and a.storage.path is None
    assert _spill_dirs(spill_env) == []


@pytest.mark.parametrize("shape,dtype", [((2048, 2048), "float64"), ((3_000_000,), "int32"),
                                        ((30000, 3000), "bit"), ((1000, 1100), "complex128")])
def test_zeros_over_budget_is_spill_backed(shape, dtype, spill_env):
    a = pc.zeros(shape, dtype=dtype)
    s = a.storage
    assert s.kind == "spill"
    assert s.nbytes >= a.nbytes > 8 * MiB
    _check_spill_path(s.path, spill_env, os.getpid())
    st = os.stat(s.path)
    assert st.st_size >= a.nbytes
    # The blocks are reserved up front (fallocate), so writing cannot run out of space.
    assert st.st_blocks * 512 >= a.nbytes
    np_dtype = a.dtype.numpy
    if len(shape) == 2:
        assert_same(pc.to_numpy(a[:50, -70:]), np.zeros((50, 70), np_dtype))
        a[1, -3:] = [1, 1, 1]
        expected = np.zeros(3, np_dtype)
        expected[:] = 1
        assert_same(pc.to_numpy(a[1, -3:]), expected)
        assert_same(pc.to_numpy(a[0, -3:]), np.zeros(3, np_dtype))
    else:
        a[-2] = 7
        assert_same(pc.to_numpy(a[-4:]), np.array([0, 0, 7, 0], np_dtype))


def test_zeros_larger_than_the_disk_is_refused_before_any_file_exists(tmp_path):
    """pc.zeros((10**6, 10**6)) (8 TB) once filled a disk and died with SIGBUS. A
    spill file's blocks are reserved when it is created, so a size the disk (less
    the reserve) cannot hold is a MemoryError at once, and no spill file is made."""
    gc.collect()
    pc.set_backing_dir(tmp_path)
    pc.set_memory_limit("2 GiB")
    st = os.statvfs(tmp_path)
    free = st.f_bavail * st.f_frsize
    n = int((free // 8) ** 0.5) + 1000  # n * n float64 > the free space
    files_before = pc.memory_info()["spill_files"]
    with pytest.raises(MemoryError) as info:
        pc.zeros((n, n))
    msg = str(info.value)
    assert "cannot spill" in msg and str(tmp_path) in msg and "free" in msg, msg
    assert "pc.set_disk_reserve" in msg and "pc.set_backing_dir" in msg, msg
    spill_dir = pc.memory_info()["spill_dir"]
    assert [e for e in os.listdir(spill_dir) if e.startswith("spill-")] == []
    assert pc.memory_info()["spill_files"] == files_before
    # A moderate zeros object still spills at once and reads as zeros.
    pc.set_memory_limit("8 MiB")
    a = pc.zeros((60000, 100))
    assert a.storage.kind == "spill" and a[59999, 99] == 0


@pytest.mark.parametrize("layout", ["C", "F", "sliced"])
@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.complex64])
def test_importing_a_large_array_goes_to_spill(layout, dtype, spill_env, rng):
    x = (rng.standard_normal((1500, 1600)) * 1000).astype(dtype)
    if layout == "F":
        x = np.asfortranarray(x)
    elif layout == "sliced":
        x = np.repeat(x, 2, axis=0)[::-2, :]
    ram_before = pc.memory_info()["ram_in_use"]
    a = pc.matrix(x)
    assert a.storage.kind == "spill"
    _check_spill_path(a.storage.path, spill_env, os.getpid())
    # Written straight to the spill file: no RAM copy of the payload remains.
    assert pc.memory_info()["ram_in_use"] - ram_before < MiB
    assert_same(pc.to_numpy(a, allow_huge=True), np.ascontiguousarray(x))
    assert_same(pc.to_numpy(a[:100, :100]), np.ascontiguousarray(x[:100, :100]))
    assert_same(pc.to_numpy(a[-1]), x[-1])


def test_export_guard_on_a_spill_backed_object(spill_env, rng):
    x = rng.random((1500, 1500))  # 17.2 MiB
    a = pc.matrix(x)
    assert a.storage.kind == "spill"
    for export, nbytes in ((np.asarray, x.nbytes), (np.array, x.nbytes),
                           (lambda o: np.asarray(o, copy=True), x.nbytes),
                           (lambda o: np.asarray(o, dtype=np.float32), x.nbytes // 2)):
        with pytest.raises(pc.ExportGuardError) as info:
            export(a)
        msg = str(info.value)
        assert isinstance(info.value, ValueError)
        assert _human(nbytes) in msg, msg
        assert "allow_huge=True" in msg and "to_numpy" in msg
        assert "spill" in msg and a.storage.path in msg
    assert_same(pc.to_numpy(a, allow_huge=True), x)
    assert_same(pc.to_numpy(a[:100, :100]), x[:100, :100])
    assert_same(pc.to_numpy(a[::100, 7]), x[::100, 7])
    assert_same(np.asarray(pc.to_numpy(a[5:7, 5:9])), x[5:7, 5:9])


def test_to_numpy_without_allow_huge_refuses_large_spill_objects(spill_env):
    a = pc.zeros((3000, 3000))  # 68.7 MiB > the 64 MiB small-export allowance
    with pytest.raises(pc.ExportGuardError, match="allow_huge=True") as info:
        pc.to_numpy(a)
    assert _human(a.nbytes) in str(info.value)
    with pytest.raises(pc.ExportGuardError):
        pc.to_numpy(a, copy=False)
    assert_same(pc.to_numpy(a[:3, :3]), np.zeros((3, 3)))


def test_memory_info_reports_spill(spill_env):
    before = pc.memory_info()
    a = pc.zeros((2048, 2048))
    b = pc.zeros(2_000_000, dtype="int64")
    info = pc.memory_info()
    assert info["spill_in_use"] - before["spill_in_use"] == a.nbytes + b.nbytes
    assert info["spill_files"] - before["spill_files"] == 2
    assert info["limit"] == 8 * MiB
    assert info["backing_dir"] == str(spill_env)
    assert info["spill_dir"] == os.path.dirname(a.storage.path) == os.path.dirname(b.storage.path)
    assert set(info) == {"limit", "ram_in_use", "ram_cached", "spill_in_use", "spill_files",
                         "backing_dir", "spill_dir", "disk_free", "disk_reserve"}
    st = os.statvfs(spill_env)
    assert 0 < info["disk_free"] <= st.f_blocks * st.f_frsize
    assert info["disk_reserve"] == pc.get_disk_reserve(spill_env) > 0
    del a
    gc.collect()
    info = pc.memory_info()
    assert info["spill_in_use"] - before["spill_in_use"] == b.nbytes
    assert info["spill_files"] - before["spill_files"] == 1
    del b
    gc.collect()
    info = pc.memory_info()
    assert info["spill_in_use"] == before["spill_in_use"]
    assert info["spill_files"] == before["spill_files"]


def _mapping_flags(path: str) -> list:
    """VmFlags of this process's mappings of `path` (from /proc/self/smaps)."""
    flags, current = [], None
    with open("/proc/self/smaps") as f:
        for line in f:
            fields = line.split()
            if "-" in fields[0] and len(fields) >= 5 and ":" in fields[3]:  # a mapping's first line
                current = fields[5] if len(fields) > 5 else None
            elif fields[0] == "VmFlags:" and current == path:
                flags.append(fields[1:])
    return flags


def test_saving_a_spilled_object_maps_it_privately_without_reserving_ram(spill_env, rng):
    """Saving a whole spilled object links its file into place and makes the
    object's mapping copy-on-write. That private mapping used to be charged in
    full against the commit limit, so saving one larger than RAM failed ('cannot
    remap ...: Cannot allocate memory'): it must be NORESERVE ('nr')."""
    x = rng.standard_normal((1500, 1500))
    a = pc.matrix(x)
    spill = a.storage.path
    assert a.storage.kind == "spill"
    [before] = _mapping_flags(spill)
    assert "sh" in before  # shared: writes go to the spill file
    target = spill_env / "a.pycauset"
    pc.save(a, target)
    assert os.stat(target).st_ino == os.stat(spill).st_ino  # linked, not copied
    [after] = _mapping_flags(spill)
    assert "sh" not in after and "nr" in after, after
    a[7, 9] = 1e300
    assert float(a[7, 9]) == 1e300
    want = x.copy()
    assert_same(pc.to_numpy(pc.load(target), allow_huge=True), want)
    want[7, 9] = 1e300
    assert_same(pc.to_numpy(a, allow_huge=True), want)


BOUNDED_SAVE = """
import json, os, resource, sys
import numpy as np, pycauset as pc
d = sys.argv[1]
pc.set_backing_dir(d); pc.set_memory_limit("8 MiB")
n = 2900                                   # 64.2 MiB of float64
x = np.arange(n * n, dtype=np.float64).reshape(n, n) % 1009 - 500.5
a = pc.matrix(x)
del x
def vm():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmSize:"))
# From here a copy of the whole object (64 MiB) cannot be made: 48 MiB of address space are left.
limit = vm() + (48 << 20)
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
pc.save(a, os.path.join(d, "whole.pycauset"))
pc.save(a, os.path.join(d, "whole.npy"))
pc.save(a.T, os.path.join(d, "transposed.pycauset"))  # its 32 MiB staging buffer stays cached after
try:
    bytearray(64 << 20)
    out = {"limited": False}
except MemoryError:
    out = {"limited": True}
out["kind"] = a.storage.kind
print(json.dumps(out))
"""


def test_saving_a_spilled_object_runs_in_bounded_memory(spill_env):
    """Saves of an object past the budget (whole, as a view, to .npy) stream in
    bounded pieces: they work with less free address space than the object's size."""
    r = subprocess.run([sys.executable, "-c", BOUNDED_SAVE, str(spill_env)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out == {"limited": True, "kind": "spill"}
    n = 2900
    x = np.arange(n * n, dtype=np.float64).reshape(n, n) % 1009 - 500.5
    assert_same(pc.to_numpy(pc.load(spill_env / "whole.pycauset"), allow_huge=True), x)
    assert_same(pc.to_numpy(pc.load(spill_env / "transposed.pycauset"), allow_huge=True), x.T)
    assert_same(np.load(spill_env / "whole.npy"), x)
    for name in ("whole.pycauset", "transposed.pycauset", "whole.npy"):
        os.unlink(spill_env / name)


def test_spill_file_is_removed_when_its_object_dies(spill_env):
    a = pc.zeros((2048, 2048))
    path = a.storage.path
    view = a[10:20, ::3]  # a view keeps the buffer alive
    t = a.T
    del a
    gc.collect()
    assert os.path.exists(path)
    view[0, 0] = 3.0
    assert t[0, 10] == 3.0
    del view
    gc.collect()
    assert os.path.exists(path)
    del t
    gc.collect()
    assert not os.path.exists(path)
    d = os.path.dirname(path)
    assert os.listdir(d) == ["lock"]  # the directory lives on with this process


def test_copies_and_conversions_over_budget_spill(spill_env):
    a = pc.zeros((2048, 2048))
    a[3, 4] = 5.0
    for make, dtype, at in ((lambda: a.copy(), pc.float64, (3, 4)), (lambda: a.T.copy(), pc.float64, (4, 3)),
                            (lambda: a.astype("float32"), pc.float32, (3, 4)),
                            (lambda: pc.matrix(a), pc.float64, (3, 4))):
        b = make()
        assert b.storage.kind == "spill" and b.dtype == dtype
        assert b.storage.path != a.storage.path
        _check_spill_path(b.storage.path, spill_env, os.getpid())
        expected = np.zeros((5, 5), dtype.numpy)
        expected[at] = 5
        assert_same(pc.to_numpy(b[:5, :5]), expected)
    assert pc.memory_info()["ram_in_use"] < 8 * MiB


def test_cached_ram_is_released_before_spilling(tmp_path):
    """Freed RAM kept for reuse counts against the budget but goes first when it is tight."""
    gc.collect()
    pc.set_backing_dir(tmp_path)
    a = pc.zeros((2048, 2048))  # 32 MiB in RAM under the default budget
    assert a.storage.kind == "ram"
    a.fill(1.0)
    del a
    gc.collect()
    info = pc.memory_info()
    assert info["ram_cached"] >= 32 * MiB
    pc.set_memory_limit(info["ram_in_use"] + 40 * MiB)
    b = pc.empty((1900, 2048))  # 29.7 MiB: fits only once the cache is given back
    assert b.storage.kind == "ram"
    assert pc.memory_info()["ram_cached"] < info["ram_cached"]
    assert _spill_dirs(tmp_path) == []


def test_spilling_into_a_vanished_backing_dir_raises_cleanly(tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    gc.collect()
    pc.set_backing_dir(gone)
    pc.set_memory_limit("8 MiB")
    gone.rmdir()
    with pytest.raises(MemoryError, match="gone"):
        pc.zeros((2048, 2048))
    assert pc.memory_info()["spill_dir"] is None
    assert os.listdir(tmp_path) == []
    assert pc.zeros(10).storage.kind == "ram"  # small objects still work


# ---- per-process directories across processes ----------------------------------------------------------


def _python(code: str, *args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                          capture_output=True, text=True, timeout=60, **kwargs)


SPILL_AND_REPORT = """
import os, sys, pycauset as pc
pc.set_backing_dir(sys.argv[1])
pc.set_memory_limit("4 MiB")
a = pc.zeros((1024, 1024))
a[0, :3] = [1, 2, 3]
assert a.storage.kind == "spill"
print(os.getpid(), a.storage.path, flush=True)
"""


def test_directory_is_removed_at_normal_exit(tmp_path):
    code = SPILL_AND_REPORT + """
b = pc.zeros((1024, 1024)); del b          # a dead spill object
keep = [pc.zeros(600_000) for _ in range(3)]  # live spill objects at exit
"""
    r = _python(code, tmp_path)
    assert r.returncode == 0, r.stderr
    pid, path = r.stdout.split()
    _check_spill_path_gone(path)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("ending", ["raise SystemExit(3)", "raise RuntimeError('boom')",
                                    "import sys; sys.exit(0)"])
def test_directory_is_removed_at_exit_after_an_exception(ending, tmp_path):
    r = _python(SPILL_AND_REPORT + ending + "\n", tmp_path)
    assert r.returncode != 0 or ending.endswith("(0)")
    _check_spill_path_gone(r.stdout.split()[1])
    assert os.listdir(tmp_path) == []


def test_directories_in_every_backing_dir_are_removed_at_normal_exit(tmp_path):
    """A process that changed its backing dir spilled into both; both directories go at exit."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    code = SPILL_AND_REPORT + """
pc.set_backing_dir(sys.argv[2])
b = pc.zeros((1024, 1024))
print(b.storage.path, flush=True)
del a
"""
    r = _python(code, first, second)
    assert r.returncode == 0, r.stderr
    _, path_a, path_b = r.stdout.split()
    assert path_a.startswith(str(first)) and path_b.startswith(str(second))
    assert os.listdir(second) == []
    assert os.listdir(first) == [], f"left behind at normal exit: {os.listdir(first)}"


def _check_spill_path_gone(path: str) -> None:
    assert not os.path.exists(path)
    assert not os.path.exists(os.path.dirname(path))


def _start_spiller(backing) -> tuple:
    """A child that spills, reports its pid and spill path, and waits on stdin."""
    code = SPILL_AND_REPORT + """
line = sys.stdin.readline()
print(a[0, 0], a[0, 1], a[0, 2], float(a[1000, 1000]), flush=True)
"""
    p = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), str(backing)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    assert line, p.stderr.read()
    pid, path = line.split()
    assert int(pid) == p.pid
    _check_spill_path(path, backing, p.pid)
    return p, path


def test_killed_process_leaves_its_directory_and_a_later_process_removes_it(tmp_path):
    p, path = _start_spiller(tmp_path)
    p.kill()  # SIGKILL: no cleanup runs
    p.wait(timeout=30)
    p.stdout.close(), p.stdin.close(), p.stderr.close()
    assert p.returncode == -signal.SIGKILL
    dead_dir = os.path.dirname(path)
    assert sorted(os.listdir(dead_dir)) == sorted(["lock", os.path.basename(path)])
    # A later process that does not spill leaves it alone...
    r = _python("import sys, pycauset as pc; pc.set_backing_dir(sys.argv[1]); pc.zeros(10)", tmp_path)
    assert r.returncode == 0, r.stderr
    assert os.path.isdir(dead_dir)
    # ...one that spills into the same backing dir removes it.
    r = _python(SPILL_AND_REPORT, tmp_path)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(dead_dir)
    assert os.listdir(tmp_path) == []  # and its own went at its exit


def test_a_live_process_directory_is_never_touched(tmp_path):
    p, path = _start_spiller(tmp_path)
    try:
        live_dir = os.path.dirname(path)
        before = sorted(os.listdir(live_dir))
        # This process spills into the same backing dir (which runs the stale cleanup)...
        gc.collect()
        pc.set_backing_dir(tmp_path)
        pc.set_memory_limit("4 MiB")
        mine = pc.zeros((1024, 1024))
        assert mine.storage.kind == "spill"
        assert os.path.dirname(mine.storage.path) != live_dir
        # ...and so does a third process.
        r = _python(SPILL_AND_REPORT, tmp_path)
        assert r.returncode == 0, r.stderr
        assert sorted(os.listdir(live_dir)) == before
        # The live child still reads its data.
        p.stdin.write("go\n")
        p.stdin.flush()
        assert p.stdout.readline().split() == ["1.0", "2.0", "3.0", "0.0"]
        assert p.wait(timeout=30) == 0, p.stderr.read()
        assert not os.path.exists(live_dir)  # removed by its owner at exit
        assert os.path.exists(mine.storage.path)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for f in (p.stdin, p.stdout, p.stderr):
            f.close()


def test_files_pycauset_did_not_create_are_never_removed(spill_env):
    root = spill_env
    (root / "notes.txt").write_text("mine")
    (root / "pycauset-foo").mkdir()                       # looks like ours, no lock
    (root / "pycauset-foo" / "spill-1.bin").write_bytes(b"data")
    (root / "pycauset-empty").mkdir()
    (root / "pycauset-123-abcdef").write_text("a file, not a dir")
    victim = root / "victim"                               # reachable only through a symlink
    victim.mkdir()
    (victim / "lock").write_text("")
    (victim / "spill-1.bin").write_bytes(b"data")
    os.symlink(victim, root / "pycauset-link")
    (root / ".pycauset-new-1-abc").mkdir()                 # a directory being set up
    (root / ".pycauset-new-1-abc" / "lock").write_text("")
    stale = root / "pycauset-999999-deadbeef0000"           # a dead owner's dir, plus a user file
    stale.mkdir()
    (stale / "lock").write_text("")
    (stale / "spill-1.bin").write_bytes(b"data")
    (stale / "keep.txt").write_text("mine")

    a = pc.zeros((2048, 2048))  # the first spill runs the stale-directory cleanup
    assert a.storage.kind == "spill"
    own = os.path.basename(os.path.dirname(a.storage.path))

    assert (root / "notes.txt").read_text() == "mine"
    assert os.listdir(root / "pycauset-foo") == ["spill-1.bin"]
    assert os.path.isdir(root / "pycauset-empty")
    assert (root / "pycauset-123-abcdef").read_text() == "a file, not a dir"
    assert os.path.islink(root / "pycauset-link")
    assert sorted(os.listdir(victim)) == ["lock", "spill-1.bin"]
    assert sorted(os.listdir(root / ".pycauset-new-1-abc")) == ["lock"]
    # Of the dead owner's directory only pycauset's own files went.
    assert os.listdir(stale) == ["keep.txt"] and (stale / "keep.txt").read_text() == "mine"
    assert set(os.listdir(root)) == {"notes.txt", "pycauset-foo", "pycauset-empty", "pycauset-123-abcdef",
                                     "victim", "pycauset-link", ".pycauset-new-1-abc", stale.name, own}
