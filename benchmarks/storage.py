"""Storage gate: pc.save / pc.load / pc.convert_file against NumPy and the disk.

Run from the repository root::

    python -m benchmarks.storage                       # the gate: 256 MiB, 1, 4, 8 GiB
    python benchmarks/storage.py --quick               # CI smoke run: tiny files, never gates
    python -m benchmarks.storage --sizes 256,1024      # choose payload sizes (MiB)
    python -m benchmarks.storage --dir /mnt/ssd        # where the files go (a real disk)

Definition:

* Payload: a float64 matrix of ``rows x 1024`` (8 KiB rows) holding uniform random
  numbers, ``rows = size / 8 KiB``; sizes 256 MiB, 1 GiB, 4 GiB, 8 GiB by default. The
  pycauset object ``A`` is RAM-backed (the memory limit is raised if needed, and checked)
  and NumPy's ``a`` is ``pc.to_numpy(A, copy=False)``, a zero-copy view of the same
  memory, so both sides save exactly the same bytes from the same pages.
* Files cold in the page cache: before every timed call (untimed) every file in the
  working directory is ``fsync``-ed and dropped with ``posix_fadvise(POSIX_FADV_DONTNEED)``
  -- so no side inherits the previous side's dirty pages as writeback it must compete
  with -- the side's source file is evicted the same way, its target is deleted (each
  run writes a new file; ``--overwrite`` keeps the previous, evicted file instead) and the
  directory is fsynced. The page-cache residency of the source after eviction is
  measured with ``mincore`` and recorded with every sample (``cold`` column). Caches
  are never dropped globally.
* Sides alternate (pycauset, baseline(s), pycauset, ...), warm-ups are not counted,
  median / min / max of every side and of the per-round ratio are reported.

Cases:

1. save: ``pc.save(A, path)`` vs ``np.save(path, a)`` and vs ``np.save`` + ``os.fsync`` of
   the file. pc.save writes a temporary file, fsyncs it, renames it over the target and
   fsyncs the directory (durable and atomic); np.save leaves the data as dirty pages in
   the page cache (not durable), so the second baseline gives NumPy the same durability
   of the file's contents (without the directory fsync or atomicity, which only favours
   NumPy). ratio = t_numpy / t_pycauset. Gated against plain np.save.
2. open: ``pc.load(path)`` (memory-mapped) vs ``np.load(path, mmap_mode="r")``, and the
   full read ``np.load(path)`` for reference, cold. Times in ms.
3. convert_file: ``.npy -> .pycauset`` and ``.pycauset -> .npy`` vs the disk's sequential
   bandwidth, measured in the same run by copying the same source file two ways: a plain
   loop of ``os.readv`` into one preallocated 16 MiB buffer and ``os.write`` of it to a new
   file, then ``os.fsync`` of that file (no directory fsync); and the same loop with
   ``O_DIRECT`` reads and writes through a page-aligned buffer. Source cold. Each moves
   exactly the bytes a conversion must (read the file once, write it once, make it
   durable) with no computation. The disk's bandwidth is the faster copy's (on virtual
   disks the direct copy can be several times faster than the cached one). ratio =
   t_copy / t_convert against the faster copy = convert throughput as a fraction of the
   disk's. Peak anonymous memory: RssAnon sampled every 5 ms during
   the call (harness RssSampler) minus RssAnon just before it, with pycauset's cache of
   freed RAM mappings emptied before each call (untimed) so that memory the call leaves
   in that cache -- anonymous, resident, kept by the process -- is counted as a first
   call in a process would see it; the cache's size after the call and the kernel
   high-water mark VmHWM (exact, but counting mapped file pages) are reported next to it.

Checks: every timed result is verified untimed -- 32 random rows plus the first and last
(bitwise, against a copy taken from the source before timing) of every saved, loaded
or converted file, its dtype and shape; the copy baseline's size and two byte ranges.
Once after timing, each pycauset-written file is compared in full, chunk by chunk,
with its source (``--sample-verify`` skips these full passes), and the header of the
converted .npy with np.save's.

Gate (full runs; ``--quick`` never gates), per size:

* save: median of t_np.save / t_pc.save >= 1.0 (vs np.save + fsync: reported, not gated);
* open: pc.load's median cold open time <= 2 ms (millisecond-scale for any size) and
  <= 2 x np.load(mmap_mode="r")'s median + 0.25 ms (like np.load's memory map);
* convert_file, each direction: median t_copy / t_convert >= 0.8, and peak anonymous
  memory added (max over timed runs) < 256 MiB;
* and every check passed.

Exit status: 0 pass (or quick), 1 a target failed, 2 the run could not be made (e.g. the
working directory is on tmpfs in a full run, or no size fits on the disk).
"""

from __future__ import annotations

import argparse
import mmap
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional

if __package__ in (None, ""):  # started as `python benchmarks/storage.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks import _harness as H  # noqa: E402
else:
    from . import _harness as H

NAME = "storage"
MIB = 1 << 20
GIB = 1 << 30
COLS = 1024                      # float64 columns: 8 KiB rows
ROW_BYTES = COLS * 8
FILL_ROWS = 4096                 # rows per chunk when filling the source (32 MiB)
VERIFY_ROWS = 4096               # rows per chunk in full verification (32 MiB)
COPY_CHUNK = 16 * MIB            # the disk-bandwidth copies' buffer
COPY_CACHED = "copy (readv/write 16 MiB + fsync)"
COPY_DIRECT = "copy (O_DIRECT pread/pwrite 16 MiB + fsync)"
N_CHECK_ROWS = 32                # random rows checked per result (plus first and last)
SEED = 20240611

DEFAULT_SIZES_MIB = [256, 1024, 4096, 8192]
QUICK_SIZES_MIB = [4, 16]

SAVE_MIN_RATIO = 1.0             # median t_np.save / t_pc.save
OPEN_MAX_S = 2e-3                # pc.load median, any size
OPEN_VS_MMAP_FACTOR = 2.0        # pc.load median <= factor * np.load(mmap) median + slack
OPEN_VS_MMAP_SLACK_S = 0.25e-3
CONVERT_MIN_RATIO = 0.8          # median t_copy / t_convert
CONVERT_MAX_ANON = 256 * MIB     # peak RssAnon added during convert_file

DISK_MARGIN = 4 * GIB            # free space kept in reserve beyond what a size needs
FILES_PER_SIZE = 4               # most payload-sized files alive at once per size
RAM_MARGIN = 2 * GIB


# =========================================================================== helpers


def _pick_base_dir(explicit: Optional[str]) -> Path:
    """The directory under which a fresh working directory is made."""
    if explicit:
        return Path(explicit)
    candidates = []
    if os.environ.get("TMPDIR"):
        candidates.append(Path(os.environ["TMPDIR"]))
    if Path("/work").is_dir():
        candidates.append(Path("/work/bench-tmp"))
    candidates += [Path("/var/tmp"), Path(tempfile.gettempdir())]
    for c in candidates:
        try:
            c.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(c, os.W_OK) and not H.filesystem_info(c)["memory_backed"]:
            return c
    return Path(tempfile.gettempdir())


class WorkDir:
    """A fresh directory for the run's files; everything in it is removed at the end."""

    def __init__(self, base: Path, keep: bool = False) -> None:
        base.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix="pycauset-storage-", dir=str(base)))
        self.keep = keep

    def file(self, name: str) -> Path:
        return self.path / name

    def flush_all(self) -> None:
        """fsync and evict every regular file here (pending writeback done, cache cold)."""
        for entry in os.scandir(self.path):
            if entry.is_file(follow_symlinks=False):
                try:
                    H.evict_file(entry.path)
                except FileNotFoundError:
                    pass

    def remove(self, *paths: Path) -> None:
        for p in paths:
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        # temporaries an interrupted pc.save / convert_file may have left
        for entry in os.scandir(self.path):
            if ".tmp-" in entry.name and any(entry.name.startswith("." + p.name) for p in paths):
                os.unlink(entry.path)

    def cleanup(self) -> None:
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)


def _same_bits(x: Any, y: Any) -> bool:
    import numpy as np

    x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
    return x.dtype == y.dtype and x.shape == y.shape and \
        np.array_equal(x.view(np.uint64), y.view(np.uint64))


def _check_rows(get_row: Callable[[int], Any], idx: Any, ref: Any) -> Optional[str]:
    for k, i in enumerate(idx):
        row = get_row(int(i))
        if not _same_bits(row, ref[k]):
            return f"row {int(i)} differs from the source"
    return None


def _check_pc(pc: Any, obj: Any, shape: tuple, idx: Any, ref: Any) -> Optional[str]:
    if not hasattr(obj, "_h"):
        return f"expected a pycauset object, got {type(obj).__name__}"
    if obj.dtype != pc.float64 or tuple(obj.shape) != shape:
        return f"dtype/shape {obj.dtype}/{obj.shape}, expected float64/{shape}"
    if obj.storage.kind != "file":
        return f"storage {obj.storage.kind}, expected file (memory-mapped)"
    return _check_rows(lambda i: pc.to_numpy(obj[i]), idx, ref)


def _check_pc_file(pc: Any, path: Path, shape: tuple, idx: Any, ref: Any) -> Optional[str]:
    obj = pc.load(path)
    try:
        return _check_pc(pc, obj, shape, idx, ref)
    finally:
        del obj


def _check_npy(m: Any, shape: tuple, idx: Any, ref: Any) -> Optional[str]:
    import numpy as np

    if not isinstance(m, np.ndarray):
        return f"expected ndarray, got {type(m).__name__}"
    if m.dtype != np.float64 or m.shape != shape:
        return f"dtype/shape {m.dtype}/{m.shape}, expected float64/{shape}"
    return _check_rows(lambda i: m[i], idx, ref)


def _check_npy_file(path: Path, shape: tuple, idx: Any, ref: Any) -> Optional[str]:
    import numpy as np

    m = np.load(path, mmap_mode="r")
    try:
        return _check_npy(m, shape, idx, ref)
    finally:
        del m


def _full_compare(pc: Any, pc_path: Path, other: Any) -> Optional[str]:
    """Whole payload of a .pycauset file vs an array-like (memmap or RAM), bitwise."""
    obj = pc.load(pc_path)
    try:
        rows = obj.shape[0]
        if tuple(obj.shape) != tuple(other.shape):
            return f"shape {obj.shape} != {other.shape}"
        for r0 in range(0, rows, VERIFY_ROWS):
            r1 = min(rows, r0 + VERIFY_ROWS)
            if not _same_bits(pc.to_numpy(obj[r0:r1]), other[r0:r1]):
                return f"rows {r0}..{r1} differ"
        return None
    finally:
        del obj


def _copy_file(src: Path, dst: Path, buf: bytearray) -> None:
    """The disk-bandwidth baseline: read/write loop through one buffer, then fsync."""
    mv = memoryview(buf)
    fin = os.open(src, os.O_RDONLY)
    try:
        fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            while True:
                n = os.readv(fin, [buf])
                if n == 0:
                    break
                done = 0
                while done < n:
                    done += os.write(fout, mv[done:n])
            os.fsync(fout)
        finally:
            os.close(fout)
    finally:
        os.close(fin)


def _copy_file_direct(src: Path, dst: Path, buf: Any) -> None:
    """The disk-bandwidth baseline without the page cache: O_DIRECT reads and writes of
    16 MiB through one page-aligned buffer (the last partial page is written through the
    cache), then fsync. On this kind of virtual disk it runs several times faster than the
    cached copy, so it is the truer measure of what the disk can do."""
    mv = memoryview(buf)
    size = os.path.getsize(src)
    fin = os.open(src, os.O_RDONLY | os.O_DIRECT)
    try:
        fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DIRECT, 0o644)
        try:
            off = 0
            while off < size:
                n = os.preadv(fin, [buf], off)
                if n == 0:
                    break
                whole = n // 4096 * 4096
                done = 0
                while done < whole:
                    done += os.pwrite(fout, mv[done:whole], off + done)
                if n > whole:  # the file's last partial page: direct I/O writes whole pages only
                    with open(dst, "r+b") as tail:
                        tail.seek(off + whole)
                        tail.write(mv[whole:n])
                        tail.flush()
                off += n
            os.fsync(fout)
        finally:
            os.close(fout)
    finally:
        os.close(fin)


def _check_copy(src: Path, dst: Path) -> Optional[str]:
    size = os.path.getsize(src)
    if os.path.getsize(dst) != size:
        return f"copy has {os.path.getsize(dst)} bytes, source {size}"
    with open(src, "rb") as a, open(dst, "rb") as b:
        for off in (0, max(0, size // 2 - MIB // 2), max(0, size - MIB)):
            a.seek(off)
            b.seek(off)
            if a.read(MIB) != b.read(MIB):
                return f"copy differs near offset {off}"
    return None


def _npy_header(path: Path) -> bytes:
    import numpy as np

    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        (np.lib.format.read_array_header_1_0 if version == (1, 0)
         else np.lib.format.read_array_header_2_0)(f)
        n = f.tell()
        f.seek(0)
        return f.read(n)


class Cold:
    """Setups that make a sample start cold, and the residency they leave (via probe)."""

    def __init__(self, wd: WorkDir, overwrite: bool) -> None:
        self.wd = wd
        self.overwrite = overwrite
        self.last: dict = {}

    def setup(self, source: Optional[Path] = None, target: Optional[Path] = None,
              release_pc_cache: bool = False) -> Callable:
        def run() -> None:
            if release_pc_cache:          # start like a fresh process (see _convert_case)
                core = sys.modules.get("pycauset._core")
                if hasattr(core, "release_cached_ram"):
                    core.release_cached_ram()
            self.wd.flush_all()           # no pending writeback; every file evicted
            if target is not None and not self.overwrite:
                self.wd.remove(target)
            H.fsync_path(self.wd.path)
            res = {}
            if source is not None:
                res["cold_resident_bytes"] = H.page_cache_resident(source)
            if target is not None and target.exists():
                res["target_resident_bytes"] = H.page_cache_resident(target)
            core = sys.modules.get("pycauset._core")
            if hasattr(core, "ram_bytes_cached"):
                res["pycauset_ram_cached_before"] = core.ram_bytes_cached()
            self.last = res
        return run

    def probe(self) -> dict:
        out, self.last = self.last, {}
        return out


# =========================================================================== the cases


def _make_source(pc: Any, np: Any, size: int, rng: Any) -> tuple:
    rows = size // ROW_BYTES
    if pc.get_memory_limit() < size + 256 * MIB:
        pc.set_memory_limit(size + 256 * MIB)
    A = pc.empty((rows, COLS), dtype="float64")
    if A.storage.kind != "ram":
        raise RuntimeError(f"source is {A.storage.kind}-backed, expected RAM")
    for r0 in range(0, rows, FILL_ROWS):
        n = min(FILL_ROWS, rows - r0)
        A[r0:r0 + n, :] = rng.random((n, COLS))
    a = pc.to_numpy(A, copy=False)
    idx = np.unique(np.concatenate([[0, rows - 1],
                                    rng.integers(0, rows, size=N_CHECK_ROWS)]))
    ref = a[idx].copy()
    return A, a, idx, ref


def _save_case(pc: Any, np: Any, A: Any, a: Any, idx: Any, ref: Any, wd: WorkDir,
               cold: Cold, args: argparse.Namespace) -> dict:
    shape = tuple(a.shape)
    p_pc, p_np, p_npf = wd.file("save.pycauset"), wd.file("save_np.npy"), wd.file("save_npf.npy")

    def np_save_fsync() -> None:
        with open(p_npf, "wb") as f:
            np.save(f, a)
            f.flush()
            os.fsync(f.fileno())

    comps = H.alternate_many(
        H.Side("pc.save", lambda: pc.save(A, p_pc),
               lambda _: _check_pc_file(pc, p_pc, shape, idx, ref), cold.setup(target=p_pc)),
        [H.Side("np.save", lambda: np.save(p_np, a),
                lambda _: _check_npy_file(p_np, shape, idx, ref), cold.setup(target=p_np)),
         H.Side("np.save+fsync", np_save_fsync,
                lambda _: _check_npy_file(p_npf, shape, idx, ref), cold.setup(target=p_npf))],
        warmup=args.warmup, repeat=args.repeat, probe=cold.probe)
    out = {"vs_np_save": comps[0].to_dict(), "vs_np_save_fsync": comps[1].to_dict()}
    # after timing: the pycauset file against the source in full, and random rows of
    # the pycauset file against np.load(mmap_mode="r") of NumPy's file
    verify = {}
    if not args.sample_verify:
        H.log("    full verification of the saved .pycauset file against the source")
        verify["pc_file_vs_source_full"] = _full_compare(pc, p_pc, a) or "ok"
    m = np.load(p_np, mmap_mode="r")
    obj = pc.load(p_pc)
    rows_check = np.random.default_rng(SEED + 1).integers(0, shape[0], size=N_CHECK_ROWS)
    bad = [int(i) for i in rows_check if not _same_bits(pc.to_numpy(obj[int(i)]), m[int(i)])]
    verify["pc_file_vs_np_file_rows"] = "ok" if not bad else f"rows differ: {bad[:5]}"
    del m, obj
    out["verify"] = verify
    out["file_bytes"] = {"pycauset": os.path.getsize(p_pc), "npy": os.path.getsize(p_np)}
    wd.remove(p_npf)
    return out


def _load_case(pc: Any, np: Any, shape: tuple, size: int, idx: Any, ref: Any, wd: WorkDir,
               cold: Cold, args: argparse.Namespace) -> dict:
    p_pc, p_np = wd.file("save.pycauset"), wd.file("save_np.npy")
    pc_side = H.Side("pc.load", lambda: pc.load(p_pc),
                     lambda o: _check_pc(pc, o, shape, idx, ref), cold.setup(source=p_pc))
    mmap_side = H.Side("np.load(mmap_mode='r')", lambda: np.load(p_np, mmap_mode="r"),
                       lambda o: _check_npy(o, shape, idx, ref), cold.setup(source=p_np))
    out = {"open": H.alternate(pc_side, mmap_side, warmup=args.warmup,
                               repeat=args.open_repeat, probe=cold.probe).to_dict()}
    avail = H._meminfo().get("MemAvailable", 0)
    if size + RAM_MARGIN > avail:
        out["full_read"] = {"skipped": f"np.load would need {size / GIB:.1f} GiB, "
                                       f"{avail / GIB:.1f} GiB available"}
        return out
    full_side = H.Side("np.load", lambda: np.load(p_np),
                       lambda o: _check_npy(o, shape, idx, ref), cold.setup(source=p_np))
    out["full_read"] = H.alternate(pc_side, full_side, warmup=args.warmup, repeat=args.repeat,
                                   probe=cold.probe).to_dict()
    return out


def _convert_case(pc: Any, np: Any, direction: str, shape: tuple, idx: Any, ref: Any,
                  wd: WorkDir, cold: Cold, buf: bytearray, args: argparse.Namespace) -> dict:
    if direction == "npy->pycauset":
        src, dst, cpy = wd.file("save_np.npy"), wd.file("conv.pycauset"), wd.file("copy_of_npy")
        check_file = lambda: _check_pc_file(pc, dst, shape, idx, ref)  # noqa: E731
    else:
        src, dst, cpy = wd.file("save.pycauset"), wd.file("conv.npy"), wd.file("copy_of_pycauset")
        check_file = lambda: _check_npy_file(dst, shape, idx, ref)  # noqa: E731
    # pycauset keeps freed RAM mappings (up to 512 MiB) resident for reuse; that memory
    # is anonymous and stays with the process after the call. Each sample starts with
    # that cache emptied (untimed), as a first conversion in a process would, so the
    # peak RssAnon delta includes whatever the call leaves in the cache; the cache's
    # size right after the call is recorded too.
    cache_after: list = []
    direct_buf = mmap.mmap(-1, COPY_CHUNK)  # page-aligned, as O_DIRECT needs

    def check(_: Any) -> Optional[str]:
        cache_after.append(pc.memory_info()["ram_cached"])
        return check_file()

    comps = H.alternate_many(
        H.Side("pc.convert_file", lambda: pc.convert_file(src, dst), check,
               cold.setup(source=src, target=dst, release_pc_cache=True)),
        [H.Side(COPY_CACHED, lambda: _copy_file(src, cpy, buf),
                lambda _: _check_copy(src, cpy),
                cold.setup(source=src, target=cpy, release_pc_cache=True)),
         H.Side(COPY_DIRECT, lambda: _copy_file_direct(src, cpy, direct_buf),
                lambda _: _check_copy(src, cpy),
                cold.setup(source=src, target=cpy, release_pc_cache=True))],
        warmup=args.warmup, repeat=args.repeat, probe=cold.probe, sample_anon=True)
    # The disk's bandwidth is what the faster copy reached: gate against that one.
    copies = [c.to_dict() for c in comps]
    out = min(copies, key=lambda c: c["baseline_seconds"]["median"])
    out["copies"] = {c["baseline"]: {"seconds": c["baseline_seconds"], "ratio": c["ratio"]}
                     for c in copies}
    out["pycauset_ram_cached_after_call"] = cache_after  # warm-ups included
    out["direction"] = direction
    out["source_bytes"] = os.path.getsize(src)
    out["output_bytes"] = os.path.getsize(dst)
    verify = {}
    if direction == "npy->pycauset":
        if not args.sample_verify:
            H.log("    full verification of the converted .pycauset file against the .npy")
            m = np.load(src, mmap_mode="r")
            verify["full_vs_source"] = _full_compare(pc, dst, m) or "ok"
            del m
    else:
        if not args.sample_verify:
            H.log("    full verification of the converted .npy file against the .pycauset")
            m = np.load(dst, mmap_mode="r")
            verify["full_vs_source"] = _full_compare(pc, src, m) or "ok"
            del m
        same = _npy_header(dst) == _npy_header(wd.file("save_np.npy"))
        verify["npy_header_same_as_np_save"] = same
    out["verify"] = verify
    out["pycauset_memory_info_after"] = pc.memory_info()
    wd.remove(dst, cpy)
    return out


def run_size(pc: Any, np: Any, size_mib: int, wd: WorkDir, cold: Cold, buf: bytearray,
             args: argparse.Namespace) -> dict:
    size = size_mib * MIB
    rng = np.random.default_rng(SEED + size_mib)
    H.log(f"[{size_mib} MiB] filling the source ({size // ROW_BYTES} x {COLS} float64)")
    t0 = time.perf_counter()
    A, a, idx, ref = _make_source(pc, np, size, rng)
    shape = tuple(a.shape)
    res: dict[str, Any] = {"size_mib": size_mib, "payload_bytes": size, "shape": list(shape),
                           "source_storage": str(A.storage)}
    H.log(f"[{size_mib} MiB] save: pc.save vs np.save vs np.save+fsync")
    res["save"] = _save_case(pc, np, A, a, idx, ref, wd, cold, args)
    del a, A
    core = sys.modules.get("pycauset._core")
    if hasattr(core, "release_cached_ram"):
        core.release_cached_ram()  # the source's pages go back to the OS before np.load
    H.log(f"[{size_mib} MiB] open: pc.load vs np.load(mmap_mode='r'); full np.load")
    res["load"] = _load_case(pc, np, shape, size, idx, ref, wd, cold, args)
    res["convert"] = {}
    for direction in ("npy->pycauset", "pycauset->npy"):
        H.log(f"[{size_mib} MiB] convert_file {direction} vs copy")
        res["convert"][direction] = _convert_case(pc, np, direction, shape, idx, ref, wd,
                                                  cold, buf, args)
    wd.remove(wd.file("save.pycauset"), wd.file("save_np.npy"))
    res["wall_seconds"] = time.perf_counter() - t0
    return res


# =========================================================================== verdicts


def _med(c: dict, side: str) -> Optional[float]:
    return c[f"{side}_seconds"]["median"]


def verdicts(sizes: list) -> list:
    """(target, size, pass, detail) for every gated criterion."""
    out = []
    for s in sizes:
        label = f"{s['size_mib']} MiB"
        c = s["save"]["vs_np_save"]
        r = c["ratio"]["median"]
        ok = c["check_ok"] and r is not None and r >= SAVE_MIN_RATIO and \
            all(v == "ok" for v in s["save"]["verify"].values())
        out.append(("save >= 1.0x np.save", label, ok,
                    f"median t_np.save/t_pc.save = {H.fmt_ratio(r)}"
                    + ("" if c["check_ok"] else " (WRONG RESULT)")))
        o = s["load"]["open"]
        pc_m, np_m = _med(o, "subject"), _med(o, "baseline")
        ok = o["check_ok"] and pc_m is not None and pc_m <= OPEN_MAX_S and \
            pc_m <= OPEN_VS_MMAP_FACTOR * np_m + OPEN_VS_MMAP_SLACK_S
        out.append(("pc.load open is a small constant", label, ok,
                    f"pc.load {H.fmt_ms(pc_m)} ms, np.load(mmap) {H.fmt_ms(np_m)} ms "
                    f"(limit min({OPEN_MAX_S * 1e3:g} ms, {OPEN_VS_MMAP_FACTOR:g} x np + "
                    f"{OPEN_VS_MMAP_SLACK_S * 1e3:g} ms))"
                    + ("" if o["check_ok"] else " (WRONG RESULT)")))
        for direction, c in s["convert"].items():
            r = c["ratio"]["median"]
            ok = c["check_ok"] and r is not None and r >= CONVERT_MIN_RATIO and \
                c["verify"].get("full_vs_source", "ok") == "ok"
            out.append((f"convert {direction} >= 0.8x disk", label, ok,
                        f"median t_copy/t_convert = {H.fmt_ratio(r)}"
                        + ("" if c["check_ok"] else " (WRONG RESULT)")))
            anon = c["subject_rss"].get("max_peak_anon_delta")
            ok = anon is not None and anon < CONVERT_MAX_ANON
            out.append((f"convert {direction} peak anon < 256 MiB", label, ok,
                        f"peak RssAnon added {H.fmt_mib(anon)} MiB"))
    return out


# =========================================================================== tables


def _cell_s(s: dict, scale: float = 1.0, digits: int = 3) -> str:
    if s["median"] is None:
        return "n/a"
    f = f"{{:.{digits}f}}"
    return f"{f.format(s['median'] * scale)} ({f.format(s['min'] * scale)}–" \
           f"{f.format(s['max'] * scale)})"


def _ratio_cell(r: dict) -> str:
    return f"{H.fmt_ratio(r['median'])} ({H.fmt_ratio(r['min'])}–{H.fmt_ratio(r['max'])})"


def _cold_cell(c: dict) -> str:
    vals = [c[k].get("max_cold_resident_bytes") for k in ("subject_rss", "baseline_rss")]
    vals = [v for v in vals if v is not None]
    return "n/a" if not vals else f"{max(vals) / 1024:.0f} KiB"


def save_table(sizes: list) -> str:
    headers = ["size MiB", "pc.save s", "np.save s", "np.save+fsync s", "pc GB/s",
               "np GB/s", "np+fsync GB/s", "ratio vs np.save", "ratio vs np.save+fsync",
               "check"]
    rows = []
    for s in sizes:
        a, b = s["save"]["vs_np_save"], s["save"]["vs_np_save_fsync"]
        p = s["payload_bytes"]
        ok = a["check_ok"] and b["check_ok"] and \
            all(v == "ok" for v in s["save"]["verify"].values())
        rows.append([s["size_mib"], _cell_s(a["subject_seconds"]),
                     _cell_s(a["baseline_seconds"]), _cell_s(b["baseline_seconds"]),
                     H.fmt_gbps(p, _med(a, "subject")), H.fmt_gbps(p, _med(a, "baseline")),
                     H.fmt_gbps(p, _med(b, "baseline")), _ratio_cell(a["ratio"]),
                     _ratio_cell(b["ratio"]), "ok" if ok else "WRONG"])
    return H.markdown_table(headers, rows, "rrrrrrrrrl")


def load_table(sizes: list) -> str:
    headers = ["size MiB", "pc.load ms", "np.load(mmap) ms", "ratio t_np/t_pc",
               "np.load full s", "np.load full GB/s", "resident before run", "check"]
    rows = []
    for s in sizes:
        o, f = s["load"]["open"], s["load"]["full_read"]
        full = "skipped" if "skipped" in f else _cell_s(f["baseline_seconds"])
        full_bw = "" if "skipped" in f else H.fmt_gbps(s["payload_bytes"], _med(f, "baseline"))
        ok = o["check_ok"] and ("skipped" in f or f["check_ok"])
        rows.append([s["size_mib"], _cell_s(o["subject_seconds"], 1e3, 3),
                     _cell_s(o["baseline_seconds"], 1e3, 3), _ratio_cell(o["ratio"]),
                     full, full_bw, _cold_cell(o), "ok" if ok else "WRONG"])
    return H.markdown_table(headers, rows, "rrrrrrrl")


def convert_table(sizes: list) -> str:
    headers = ["size MiB", "direction", "convert_file s", "cached copy s", "direct copy s",
               "convert GB/s", "disk GB/s (faster copy)", "ratio t_copy/t_conv (faster copy)",
               "peak anon +MiB conv", "peak anon +MiB copy", "VmHWM +MiB conv",
               "pc cache after MiB", "resident before run", "check"]
    rows = []
    for s in sizes:
        for direction, c in s["convert"].items():
            p = s["payload_bytes"]
            ok = c["check_ok"] and c["verify"].get("full_vs_source", "ok") == "ok"
            copies = c.get("copies", {})
            rows.append([s["size_mib"], direction, _cell_s(c["subject_seconds"]),
                         _cell_s(copies[COPY_CACHED]["seconds"]) if COPY_CACHED in copies else "",
                         _cell_s(copies[COPY_DIRECT]["seconds"]) if COPY_DIRECT in copies else "",
                         H.fmt_gbps(p, _med(c, "subject")),
                         H.fmt_gbps(p, _med(c, "baseline")), _ratio_cell(c["ratio"]),
                         H.fmt_mib(c["subject_rss"].get("max_peak_anon_delta")),
                         H.fmt_mib(c["baseline_rss"].get("max_peak_anon_delta")),
                         H.fmt_mib(c["subject_rss"].get("max_peak_delta_bytes")),
                         H.fmt_mib(max(c["pycauset_ram_cached_after_call"], default=None)),
                         _cold_cell(c), "ok" if ok else "WRONG"])
    return H.markdown_table(headers, rows, "rlrrrrrrrrrrrl")


def header_line(meta: dict, fs: dict) -> str:
    cpu, pcm = meta["cpu"], meta["pycauset"]
    return (f"CPU {cpu['model']} ({cpu['logical_cpus']} logical CPUs), RAM "
            f"{meta['memory'].get('MemTotal', 0) / GIB:.1f} GiB, {meta['os']['pretty_name']} "
            f"kernel {meta['os']['kernel']}, Python {meta['python']['version']}, NumPy "
            f"{meta['numpy']['version']}, pycauset {pcm['version']} "
            f"({pcm['build'].get('CMAKE_BUILD_TYPE', '?')}), pycauset threads "
            f"{pcm['num_threads']}, thread env {meta['thread_env']}, loadavg start "
            f"{meta['loadavg']} / end {meta.get('loadavg_end')}\n\n"
            f"working directory {fs['path']} on {fs.get('fstype')} ({fs.get('source')}, "
            f"mounted at {fs.get('mount_point')}, mount options {fs.get('mount_options')}, "
            f"superblock options {fs.get('super_options')}), {fs['free_bytes'] / 1e9:.1f} GB free of "
            f"{fs['total_bytes'] / 1e9:.1f} GB at start")


# =========================================================================== main


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.storage",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help=f"CI smoke run: sizes {QUICK_SIZES_MIB} MiB, 1 warm-up, 2 repeats, "
                        "never gates (tmpfs allowed, with a warning)")
    p.add_argument("--sizes", type=str, default=None,
                   help="comma-separated payload sizes in MiB (default "
                        f"{','.join(map(str, DEFAULT_SIZES_MIB))})")
    p.add_argument("--dir", type=str, default=None,
                   help="directory in which a fresh working directory is made (default: "
                        "$TMPDIR, /work/bench-tmp, /var/tmp or the temp dir -- the first "
                        "one not on tmpfs); it is removed at the end")
    p.add_argument("--repeat", type=int, default=None,
                   help="timed rounds for save, full read and convert (default 3; quick 2)")
    p.add_argument("--open-repeat", type=int, default=None,
                   help="timed rounds for the open times (default 15; quick 5)")
    p.add_argument("--warmup", type=int, default=1, help="uncounted warm-up rounds (default 1)")
    p.add_argument("--overwrite", action="store_true",
                   help="save/convert over the previous (evicted) file instead of into a new one")
    p.add_argument("--sample-verify", action="store_true",
                   help="skip the full after-timing verification passes (random rows only)")
    p.add_argument("--allow-tmpfs", action="store_true",
                   help="run a full (gated) run on a memory-backed filesystem anyway")
    p.add_argument("--keep", action="store_true", help="keep the working directory")
    return p


def main(argv: Optional[list] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if args.repeat is None:
        args.repeat = 2 if args.quick else 3
    if args.open_repeat is None:
        args.open_repeat = 5 if args.quick else 15
    if args.repeat < 1 or args.open_repeat < 1 or args.warmup < 0:
        raise SystemExit("--repeat and --open-repeat must be >= 1, --warmup >= 0")
    sizes = ([int(x) for x in args.sizes.split(",") if x.strip()] if args.sizes
             else (QUICK_SIZES_MIB if args.quick else DEFAULT_SIZES_MIB))
    if any(s < 1 for s in sizes):
        raise SystemExit("--sizes are whole MiB >= 1")
    gated = not args.quick

    base = _pick_base_dir(args.dir)
    fs = H.filesystem_info(base)
    if H.memory_backed_stop(fs, base, "file I/O there never reaches a disk, so the numbers "
                            "mean nothing for storage", gated, args.allow_tmpfs):
        return 2

    import numpy as np

    import pycauset as pc

    wd = WorkDir(base, keep=args.keep)
    cold = Cold(wd, args.overwrite)
    ts = H.utc_timestamp()
    meta = H.machine_metadata({"filesystem": fs, "work_dir": str(wd.path)})
    limit_before = pc.get_memory_limit()
    H.log(f"working directory {wd.path} ({fs.get('fstype')} on {fs.get('source')}, "
          f"{fs['free_bytes'] / 1e9:.1f} GB free)")
    results: list = []
    skipped: list = []
    status = 0
    try:
        buf = bytearray(COPY_CHUNK)
        for size_mib in sizes:
            size = size_mib * MIB
            free = H.filesystem_info(wd.path)["free_bytes"]
            need_disk = FILES_PER_SIZE * size + (DISK_MARGIN if gated else 0)
            avail = H._meminfo().get("MemAvailable", 0)
            need_ram = size + (RAM_MARGIN if gated else 0)
            if need_disk > free:
                why = (f"needs {need_disk / GIB:.1f} GiB of disk ({FILES_PER_SIZE} files of "
                       f"{size / GIB:.2f} GiB + margin), {free / GIB:.1f} GiB free")
            elif need_ram > avail:
                why = f"needs {need_ram / GIB:.1f} GiB of RAM, {avail / GIB:.1f} GiB available"
            else:
                why = None
            if why:
                H.log(f"[{size_mib} MiB] skipped: {why}")
                skipped.append({"size_mib": size_mib, "reason": why})
                continue
            results.append(run_size(pc, np, size_mib, wd, cold, buf, args))
    except BaseException:
        status = 2
        raise
    finally:
        pc.set_memory_limit(limit_before)
        wd.cleanup()
        if status:
            H.log(f"run failed; working directory {'kept' if args.keep else 'removed'}")
    meta["loadavg_end"] = (H._read("/proc/loadavg") or "").strip() or None

    vs = verdicts(results)
    failed = [v for v in vs if not v[2]]
    title = "quick smoke run (not gated)" if args.quick else "gate"
    print(f"# Storage benchmark — {title}\n")
    print(header_line(meta, fs) + "\n")
    print(f"float64 payload of rows x {COLS}; times: median (min–max) over {args.repeat} "
          f"timed rounds after {args.warmup} warm-up(s) ({args.open_repeat} rounds for "
          "open times); every file cold in the page cache before every timed call; "
          "sides alternate.\n")
    for s in skipped:
        print(f"skipped {s['size_mib']} MiB: {s['reason']}")
    if skipped:
        print()
    print("## save: pc.save(A, path) vs np.save(path, a) (and + os.fsync of the file)\n")
    print(save_table(results))
    print("\nratio = t_numpy / t_pycauset (> 1: pycauset faster). pc.save fsyncs the file "
          "and the directory; np.save does not fsync.\n")
    print("## open: pc.load(path) vs np.load(path, mmap_mode='r'); full np.load(path)\n")
    print(load_table(results))
    print("\nresident before run: the most bytes of the file still in the page cache after "
          "eviction, before any timed call (mincore).\n")
    print("## convert_file vs the disk's sequential bandwidth (copy of the same file)\n")
    print(convert_table(results))
    print("\ncached copy = readv/write loop through one 16 MiB buffer into a new file + "
          "fsync of it; direct copy = the same with O_DIRECT reads and writes; source cold; "
          "the disk's bandwidth is the faster copy's, ratio = t_copy / t_convert against it. peak anon: RssAnon sampled every "
          "5 ms during the call minus RssAnon before it (max over timed runs), with "
          "pycauset's cache of freed RAM emptied before each call (untimed); VmHWM: kernel "
          "high-water mark minus VmRSS before (counts mapped file pages); pc cache after: "
          "freed RAM pycauset keeps resident after the call (anonymous, stays with the "
          "process).\n")
    for target, label, ok, detail in vs:
        word = ("PASS" if ok else "FAIL") if gated else ("meets" if ok else "below")
        print(f"{word:>5}  {target:<40} {label:>9}  {detail}")
    if gated:
        overall = "PASS" if (results and not failed) else "FAIL"
        if not results:
            overall = "ERROR (no size ran)"
    else:
        overall = "NOT GATED (quick)"
    path = H.write_json(NAME + ("-quick" if args.quick else ""), {
        "benchmark": NAME,
        "mode": "quick" if args.quick else "full",
        "argv": argv,
        "criteria": {
            "save_min_median_ratio_vs_np_save": SAVE_MIN_RATIO,
            "open_max_median_seconds": OPEN_MAX_S,
            "open_vs_mmap": f"median <= {OPEN_VS_MMAP_FACTOR} x np.load(mmap) median + "
                            f"{OPEN_VS_MMAP_SLACK_S} s",
            "convert_min_median_ratio_vs_copy": CONVERT_MIN_RATIO,
            "convert_max_peak_anon_bytes": CONVERT_MAX_ANON,
            "copy_baseline": "the faster of two copies, each alternating with convert: "
                             "(1) os.readv into one 16 MiB buffer, os.write to a new file, "
                             "os.fsync of it; (2) the same with O_DIRECT reads and writes; "
                             "source evicted",
        },
        "warmup": args.warmup, "repeat": args.repeat, "open_repeat": args.open_repeat,
        "overwrite": args.overwrite,
        "metadata": meta,
        "skipped": skipped,
        "sizes": results,
        "verdicts": [{"target": t, "size": l, "pass": ok, "detail": d} for t, l, ok, d in vs],
        "overall": overall,
    }, ts)
    print(f"\noverall: {overall}")
    print(f"results: {path.relative_to(H.REPO_ROOT)}")
    if gated and (failed or not results):
        return 1 if results else 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
