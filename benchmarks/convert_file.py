"""convert_file gate: both directions against a copy of the same bytes on the same disk.

Run from the repository root::

    python -m benchmarks.convert_file                  # the gate: 1 GiB and 4 GiB payloads
    python -m benchmarks.convert_file --quick          # CI smoke run: 16 MiB, never gates
    python -m benchmarks.convert_file --sizes 1024,8192 --dir /mnt/ssd --repeat 5

Definition:

* Payload: a float64 matrix of ``rows x 1024`` (8 KiB rows) of uniform random numbers,
  ``rows = size / 8 KiB``, written once as a ``.npy`` file (untimed) and converted once to
  ``.pycauset`` (untimed) as the source of the other direction.
* Subject: ``pc.convert_file(src, dst)`` with the default chunk size, in this process.
  Everything it moves is done by the C++ core (Python parses or writes only the .npy
  header).
* Baselines: copies of the same source file, moving exactly the bytes a conversion must
  (read the file once, write it once, make it durable) and computing nothing: a loop of
  ``os.readv`` into one 16 MiB buffer and ``os.write`` to a new file, then ``os.fsync``
  (cached), and the same loop with ``O_DIRECT`` reads and writes through a page-aligned
  buffer (direct). The faster of the two is the disk's bandwidth; ratio = t_copy / t_convert.
* Cold files: before every timed call (untimed) every file in the working directory is
  fsynced and dropped from the page cache (``posix_fadvise(POSIX_FADV_DONTNEED)``), the
  call's target is deleted and the directory fsynced; pycauset's cache of freed RAM is
  released so that each call starts as in a fresh process.
* Sides alternate (convert, cached copy, direct copy, convert, ...), one warm-up round
  is not counted; median / min / max are reported.
* Peak anonymous memory: RssAnon sampled every 5 ms by a thread during the call, minus
  RssAnon just before it (max over the timed calls).

Checks (untimed): shape, dtype and 32 random rows plus the first and last row of every
converted file against the source, read back with NumPy (``np.load(mmap_mode="r")``) and
``pc.load``.

Gate (full runs; ``--quick`` never gates), per size and direction: median
t_faster_copy / t_convert >= 0.8 and peak anonymous memory added < 256 MiB.

Exit status: 0 pass (or quick), 1 a target failed, 2 the run could not be made (not
enough disk space, or a tmpfs working directory in a full run).
"""

from __future__ import annotations

import argparse
import mmap
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

from . import _harness as H  # noqa: E402
from .storage import _copy_file, _copy_file_direct  # noqa: E402

COLS = 1024
GATE_RATIO = 0.8
GATE_ANON = 256 << 20


def _flush_dir(d: Path) -> None:
    for p in d.iterdir():
        if p.is_file():
            H.evict_file(p)
    H.fsync_path(d)


def _make_npy(np: Any, path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(rows, COLS))
    step = max(1, (64 << 20) // (COLS * 8))
    for r in range(0, rows, step):
        n = min(step, rows - r)
        out[r:r + n] = rng.random((n, COLS))
    out.flush()
    del out


def _check(pc: Any, np: Any, src_npy: Path, result: Path, rows: int) -> Optional[str]:
    ref = np.load(src_npy, mmap_mode="r")
    rng = np.random.default_rng(1)
    idx = sorted(set(rng.integers(0, rows, 32).tolist()) | {0, rows - 1})
    if result.suffix == ".npy":
        got = np.load(result, mmap_mode="r")
        if got.shape != ref.shape or got.dtype != ref.dtype:
            return f"{result.name}: {got.shape} {got.dtype}"
        rows_of = lambda i: np.asarray(got[i])  # noqa: E731
    else:
        obj = pc.load(result)
        if obj.shape != ref.shape or obj.dtype.name != "float64":
            return f"{result.name}: {obj.shape} {obj.dtype}"
        rows_of = lambda i: pc.to_numpy(obj[i])  # noqa: E731
    for i in idx:
        if not np.array_equal(rows_of(i), np.asarray(ref[i])):
            return f"{result.name}: row {i} differs"
    return None


def _timed(fn: Callable[[], None], sample_anon: bool) -> tuple:
    before = H.proc_status(("RssAnon",)).get("RssAnon", 0)
    if sample_anon:
        with H.RssSampler() as s:
            t0 = time.perf_counter()
            fn()
            t = time.perf_counter() - t0
        return t, max(0, s.peak_anon - before)
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0, None


def run_direction(pc: Any, np: Any, wd: Path, src: Path, dst: Path, ref_npy: Path, rows: int,
                  repeat: int, buf: bytearray, dbuf: Any) -> dict:
    copy = wd / "copy.bin"
    sides: dict = {"convert": [], "cached copy": [], "direct copy": []}
    anon: list = []
    errors: list = []
    runs = {
        "convert": lambda: pc.convert_file(src, dst),
        "cached copy": lambda: _copy_file(src, copy, buf),
        "direct copy": lambda: _copy_file_direct(src, copy, dbuf),
    }
    for rnd in range(repeat + 1):  # round 0 is the warm-up
        for name, fn in runs.items():
            target = dst if name == "convert" else copy
            if target.exists():
                target.unlink()
            pc._core.release_cached_ram()
            _flush_dir(wd)
            t, a = _timed(fn, name == "convert")
            if rnd > 0:
                sides[name].append(t)
                if a is not None:
                    anon.append(a)
            if name == "convert":
                err = _check(pc, np, ref_npy, dst, rows)
                if err:
                    errors.append(err)
    for p in (dst, copy):
        if p.exists():
            p.unlink()
    med = {k: statistics.median(v) for k, v in sides.items()}
    best_copy = min(med["cached copy"], med["direct copy"])
    return {"times": sides, "median": med, "ratio": best_copy / med["convert"],
            "ratio_min": min(best_copy / t for t in sides["convert"]),
            "ratio_max": max(best_copy / t for t in sides["convert"]),
            "peak_anon": max(anon), "errors": errors}


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1024,4096", help="payload sizes in MiB (comma-separated)")
    p.add_argument("--repeat", type=int, default=3, help="timed rounds per side")
    p.add_argument("--dir", default=None, help="working directory (a real disk; default: system temp)")
    p.add_argument("--quick", action="store_true", help="16 MiB, one round, never gates")
    args = p.parse_args(argv)
    import numpy as np

    import pycauset as pc

    sizes = [16] if args.quick else [int(s) for s in args.sizes.split(",")]
    repeat = 1 if args.quick else args.repeat
    base = Path(args.dir or tempfile.gettempdir())
    wd = Path(tempfile.mkdtemp(prefix="pc-convert-bench-", dir=base))
    fs = H.filesystem_info(wd)
    if not args.quick and str(fs.get("type", "")).lower() in ("tmpfs", "ramfs"):
        print(f"{wd} is on {fs.get('type')}: run the gate on a real disk (--dir)", file=sys.stderr)
        shutil.rmtree(wd)
        return 2
    pc.set_memory_limit(max(pc.get_memory_limit(), 1 << 30))
    buf = bytearray(16 << 20)
    dbuf = mmap.mmap(-1, 16 << 20)
    results = []
    status = 0
    try:
        for size in sizes:
            need = 3 * (size << 20) + (1 << 30)
            if shutil.disk_usage(wd).free < need:
                print(f"skipping {size} MiB: needs {need >> 20} MiB free in {wd}", file=sys.stderr)
                status = max(status, 2)
                continue
            rows = (size << 20) // (COLS * 8)
            npy, pyc = wd / "src.npy", wd / "src.pycauset"
            _make_npy(np, npy, rows)
            pc.convert_file(npy, pyc)
            H.log(f"{size} MiB: npy -> pycauset")
            a = run_direction(pc, np, wd, npy, wd / "out.pycauset", npy, rows, repeat, buf, dbuf)
            H.log(f"{size} MiB: pycauset -> npy")
            b = run_direction(pc, np, wd, pyc, wd / "out.npy", npy, rows, repeat, buf, dbuf)
            for p_ in (npy, pyc):
                p_.unlink()
            results.append({"size_mib": size, "npy->pycauset": a, "pycauset->npy": b})
    finally:
        shutil.rmtree(wd, ignore_errors=True)
    rows_md = []
    for r in results:
        for direction in ("npy->pycauset", "pycauset->npy"):
            c = r[direction]
            m = c["median"]
            ok = (not c["errors"] and c["ratio"] >= GATE_RATIO and c["peak_anon"] < GATE_ANON)
            if not args.quick and not ok:
                status = max(status, 1)
            rows_md.append([f"{r['size_mib']} MiB", direction.replace("->", " → "),
                            f"{m['convert']:.3f}", f"{m['cached copy']:.3f}", f"{m['direct copy']:.3f}",
                            f"{c['ratio']:.2f} ({c['ratio_min']:.2f}–{c['ratio_max']:.2f})",
                            f"{c['peak_anon'] / 2**20:.0f}",
                            "quick" if args.quick else ("PASS" if ok else "FAIL"),
                            "; ".join(c["errors"]) or "ok"])
    table = H.markdown_table(
        ["payload", "direction", "convert s", "cached copy s", "direct copy s", "ratio vs faster copy",
         "peak anon +MiB", "gate", "check"], rows_md)
    print(table)
    meta = H.machine_metadata({"filesystem": fs, "repeat": repeat, "quick": args.quick})
    H.write_json("convert_file" + ("-quick" if args.quick else ""), {"meta": meta, "results": results})
    return status


if __name__ == "__main__":
    sys.exit(main())
