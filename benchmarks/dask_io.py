"""Dask gate: reading .pycauset files on a cluster, and the cluster-built causal matrix.

Run from the repository root::

    python -m benchmarks.dask_io                 # the gate: a 1 GiB file, N = 200,000
    python -m benchmarks.dask_io --quick         # CI smoke run: 32 MiB, N = 5,000, never gates
    python -m benchmarks.dask_io --size-mib 4096 --n 400000 --dir /mnt/ssd --repeat 5

Both parts run on a ``dask.distributed.LocalCluster`` of 2 worker processes with one
thread each (``--workers``), started once.

**Read throughput.** A float64 matrix of ``rows x 2048`` (16 KiB rows), written once as
``.npy`` and converted once to ``.pycauset`` (untimed). Each timed call computes
``X.sum()`` over chunks of 256 whole rows (4 MiB), where X is:

* subject: ``pc.to_dask(path)`` -- workers open the file by path and ``pread`` their tiles;
* baseline ``from_array(memmap)``: ``da.from_array(np.load(npy, mmap_mode="r"))`` as a
  user would write it. On a distributed cluster Dask pickles the memmap *by value* (it
  warns about the large graph), so this side ships the whole array through the scheduler;
* baseline ``memmap by path``: the competent version -- a tiny picklable reader that calls
  ``np.load(npy, mmap_mode="r")`` on the worker and copies its tile out of the mapping.

Before every call (untimed) both files are fsynced and dropped from the page cache
(``posix_fadvise(POSIX_FADV_DONTNEED)``): every side reads cold from disk. Sides
alternate (subject, from_array, by path, subject, ...) after one warm-up round; every
result is checked against the sum computed when the file was written, to a relative
1e-12 (Dask may order the additions of a side differently). Ratio = t_baseline /
t_subject (> 1: pycauset faster).

**Causal matrix.** ``pc.sprinkle(MinkowskiDiamond(dim=4), n=N, seed=1, client=, path=)``
(workers regenerate the points, compute row blocks of C and write them into one file)
against the single-process build ``pc.sprinkle(D, n=N, seed=1)`` (C in RAM, pycauset's
pool on all cores) and the same followed by ``pc.save`` (C in a file, as the cluster's
is; both files are written durably, fsync included), alternating, one warm-up. The cluster's file is checked against the
single build: the relation count R exactly, and 64 random rows bit for bit. Efficiency =
t_single / t_cluster (and t_(single + save) / t_cluster): the cluster has the same cores
as the single process here, so 1.0 means the distribution costs nothing.

Gate (full runs; ``--quick`` never gates): read throughput median ratio >= 1.0 against
``from_array(memmap)``. The other ratios are reported, not gated.

The machine running this may be shared: the load before and after is recorded; the
alternation spreads drift over both sides. Exit status: 0 pass (or quick), 1 a target or
a check failed, 2 the run could not be made (not enough disk space).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

from . import _harness as H  # noqa: E402

COLS = 2048
CHUNK_ROWS = 256
GATE_READ = 1.0


class NpyTileReader:
    """The competent baseline's chunk source: maps the .npy on the worker, copies the tile."""

    def __init__(self, path: str, shape: tuple, dtype: Any) -> None:
        self.path, self.shape, self.dtype, self.ndim = path, shape, dtype, len(shape)

    def __getitem__(self, key: Any) -> Any:
        import numpy as np

        m = np.load(self.path, mmap_mode="r")
        try:
            return np.array(m[key])
        finally:
            del m


def _make_files(pc: Any, np: Any, wd: Path, rows: int) -> tuple:
    npy, pcf = wd / "read.npy", wd / "read.pycauset"
    rng = np.random.default_rng(0)
    out = np.lib.format.open_memmap(npy, mode="w+", dtype=np.float64, shape=(rows, COLS))
    step = 8192
    for r in range(0, rows, step):
        out[r:r + step] = rng.random((min(step, rows - r), COLS))
    out.flush()
    del out
    pc.convert_file(str(npy), str(pcf))
    return npy, pcf


def _median(xs: list) -> Optional[float]:
    return statistics.median(xs) if xs else None


def read_part(pc: Any, np: Any, da: Any, wd: Path, rows: int, repeat: int) -> dict:
    npy, pcf = _make_files(pc, np, wd, rows)
    chunks = (CHUNK_ROWS, COLS)
    m = np.load(npy, mmap_mode="r")
    expected = da.from_array(NpyTileReader(str(npy), m.shape, m.dtype), chunks=chunks,
                             asarray=False).sum().compute(scheduler="threads")
    del m
    sides = {
        "pycauset to_dask": lambda: pc.to_dask(str(pcf), chunks=chunks).sum().compute(),
        "from_array(memmap)": lambda: da.from_array(np.load(npy, mmap_mode="r"),
                                                    chunks=chunks).sum().compute(),
        "memmap by path": lambda: da.from_array(
            NpyTileReader(str(npy), (rows, COLS), np.dtype(np.float64)), chunks=chunks,
            asarray=False).sum().compute(),
    }
    times: dict = {k: [] for k in sides}
    failures: list = []
    import warnings

    for rnd in range(repeat + 1):
        for name, fn in sides.items():
            for p in (npy, pcf):
                H.evict_file(p)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Dask's large-graph warning for the memmap side
                t0 = time.perf_counter()
                got = fn()
                t = time.perf_counter() - t0
            if not abs(float(got) - float(expected)) <= 1e-12 * abs(float(expected)):
                failures.append(f"{name}: sum {got!r} != {expected!r}")
            if rnd > 0:
                times[name].append(t)
            H.log(f"  read {name}: {t:.3f} s")
    nbytes = rows * COLS * 8
    subj = times["pycauset to_dask"]
    out = {"rows": rows, "cols": COLS, "bytes": nbytes, "chunk_rows": CHUNK_ROWS,
           "seconds": {k: H.summarize(v) | {"all": v} for k, v in times.items()},
           "failures": failures}
    for name in ("from_array(memmap)", "memmap by path"):
        ratios = [b / s for b, s in zip(times[name], subj)]
        out[f"ratio vs {name}"] = H.summarize(ratios) | {"all": ratios}
    for p in (npy, pcf):
        p.unlink()
    return out


def causal_part(pc: Any, np: Any, client: Any, wd: Path, n: int, repeat: int) -> dict:
    D = pc.spacetime.MinkowskiDiamond(dim=4)
    path = wd / "C.pycauset"
    # The single-process build gets every core (starting the cluster set OMP_NUM_THREADS=1 here).
    threads = len(os.sched_getaffinity(0))
    pc.set_num_threads(threads)
    saved = wd / "C-single.pycauset"
    times: dict = {"cluster": [], "single": [], "single + save": []}
    failures: list = []
    for rnd in range(repeat + 1):
        for p in (path, saved):
            if p.exists():
                p.unlink()
        H.fsync_path(wd)
        t0 = time.perf_counter()
        cs = pc.sprinkle(D, n=n, seed=1, client=client, path=str(path))
        t_cluster = time.perf_counter() - t0
        rel_cluster = cs.relations
        del cs
        H.log(f"  cluster build: {t_cluster:.2f} s")
        t0 = time.perf_counter()
        single = pc.sprinkle(D, n=n, seed=1)
        t_single = time.perf_counter() - t0
        pc.save(single.causal_matrix, str(saved))
        t_saved = time.perf_counter() - t0
        H.log(f"  single build: {t_single:.2f} s, with pc.save: {t_saved:.2f} s")
        if rnd == 0 or rnd == repeat:  # check (untimed)
            if single.relations != rel_cluster:
                failures.append(f"R: cluster {rel_cluster} != single {single.relations}")
            C = pc.load(str(path))
            rng = np.random.default_rng(rnd)
            for i in sorted(set(rng.integers(0, n, 64).tolist()) | {0, n - 1}):
                if not np.array_equal(pc.to_numpy(C[int(i)]), pc.to_numpy(single.causal_matrix[int(i)])):
                    failures.append(f"row {i} differs")
                    break
            del C
        del single
        pc._core.release_cached_ram()
        if rnd > 0:
            times["cluster"].append(t_cluster)
            times["single"].append(t_single)
            times["single + save"].append(t_saved)
    for p in (path, saved):
        if p.exists():
            H.evict_file(p)
            p.unlink()
    eff = [s / c for s, c in zip(times["single"], times["cluster"])]
    eff_file = [s / c for s, c in zip(times["single + save"], times["cluster"])]
    return {"n": n, "dim": 4, "single_threads": threads, "file_bytes": n * ((n + 63) // 64) * 8,
            "seconds": {k: H.summarize(v) | {"all": v} for k, v in times.items()},
            "efficiency": H.summarize(eff) | {"all": eff},
            "efficiency_vs_single_saved": H.summarize(eff_file) | {"all": eff_file}, "failures": failures}


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size-mib", type=int, default=1024, help="read test payload in MiB")
    p.add_argument("--n", type=int, default=200_000, help="points of the causal-matrix build")
    p.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (1 thread each)")
    p.add_argument("--repeat", type=int, default=None, help="timed rounds per side (read part)")
    p.add_argument("--causal-repeat", type=int, default=None,
                   help="timed rounds per side of the causal-matrix part (default 2; quick 1)")
    p.add_argument("--dir", default=None, help="working directory (a real disk)")
    p.add_argument("--quick", action="store_true", help="32 MiB, N = 5,000, one round, never gates")
    p.add_argument("--skip-causal", action="store_true", help="only the read part")
    p.add_argument("--skip-read", action="store_true", help="only the causal-matrix part")
    args = p.parse_args(argv)
    if args.quick:
        args.size_mib, args.n = 32, 5000
    repeat = args.repeat or (1 if args.quick else 3)

    import numpy as np
    import dask.array as da
    from dask.distributed import Client, LocalCluster

    import pycauset as pc

    base = Path(args.dir or tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    wd = Path(tempfile.mkdtemp(prefix="dask_io-", dir=base))
    rows = max(CHUNK_ROWS, args.size_mib * 2**20 // (COLS * 8))
    need = 2 * rows * COLS * 8 + (0 if args.skip_causal else args.n * ((args.n + 63) // 64) * 8) + (1 << 30)
    free = shutil.disk_usage(wd).free
    if free < need:
        print(f"error: {wd} has {free / 2**30:.1f} GiB free, the run needs {need / 2**30:.1f} GiB",
              file=sys.stderr)
        shutil.rmtree(wd, ignore_errors=True)
        return 2
    # Recorded before the cluster starts: starting it sets OMP_NUM_THREADS=1 (and friends)
    # in this process's environment (Dask's distributed.nanny.pre-spawn-environ).
    meta = H.machine_metadata({"workers": args.workers, "threads_per_worker": 1,
                               "filesystem": H.filesystem_info(wd)})
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=50)
    client = Client(cluster)
    before = H.cpu_snapshot()
    result: dict = {"benchmark": "dask_io", "quick": args.quick, "repeat": repeat, "machine": meta}
    try:
        if not args.skip_read:
            H.log(f"read: {rows} x {COLS} float64 ({rows * COLS * 8 / 2**20:.0f} MiB), cold")
            result["read"] = read_part(pc, np, da, wd, rows, repeat)
        if not args.skip_causal:
            H.log(f"causal matrix: N = {args.n}, 4-d diamond")
            result["causal"] = causal_part(pc, np, client, wd, args.n,
                                           args.causal_repeat or (1 if args.quick else 2))
    finally:
        client.close()
        cluster.close()
        shutil.rmtree(wd, ignore_errors=True)
    result["cpu_load"] = H.cpu_load_between(before, H.cpu_snapshot())

    lines, ok = [], True
    if "read" in result:
        r = result["read"]
        secs = r["seconds"]
        rows_md = []
        for name in ("from_array(memmap)", "memmap by path"):
            rs = r[f"ratio vs {name}"]
            gated = name == "from_array(memmap)"
            passed = rs["median"] is not None and rs["median"] >= GATE_READ and not r["failures"]
            verdict = ("PASS" if passed else "FAIL") if gated and not args.quick else "info"
            ok = ok and (passed or not gated or args.quick)
            rows_md.append([name, H.fmt_gbps(r["bytes"], secs["pycauset to_dask"]["median"]),
                            H.fmt_gbps(r["bytes"], secs[name]["median"]),
                            H.fmt_ratio(rs["median"]), H.fmt_ratio(rs["min"]), H.fmt_ratio(rs["max"]),
                            verdict])
        lines.append(f"Read, cold, {r['bytes'] / 2**20:.0f} MiB float64, chunks of {CHUNK_ROWS} rows, "
                     f"{args.workers} workers x 1 thread (X.sum()):\n")
        lines.append(H.markdown_table(["baseline", "to_dask GB/s", "baseline GB/s", "ratio med",
                                       "min", "max", "gate"], rows_md, "lrrrrrl"))
        if r["failures"]:
            ok = False
            lines.append("check failures: " + "; ".join(r["failures"]))
    if "causal" in result:
        c = result["causal"]
        s = c["seconds"]
        lines.append(f"\nCausal matrix, N = {c['n']}, 4-d diamond ({c['file_bytes'] / 2**30:.2f} GiB of bits):\n")
        lines.append(H.markdown_table(
            ["build", "seconds med (min-max)"],
            [[f"cluster ({args.workers} workers x 1 thread, into a file)",
              f"{s['cluster']['median']:.2f} ({s['cluster']['min']:.2f}-{s['cluster']['max']:.2f})"],
             [f"single process ({c['single_threads']} threads, in RAM)",
              f"{s['single']['median']:.2f} ({s['single']['min']:.2f}-{s['single']['max']:.2f})"],
             [f"single process + pc.save to a file",
              f"{s['single + save']['median']:.2f} ({s['single + save']['min']:.2f}-{s['single + save']['max']:.2f})"],
             ["efficiency t_single / t_cluster",
              f"{c['efficiency']['median']:.3f} ({c['efficiency']['min']:.3f}-{c['efficiency']['max']:.3f})"],
             ["efficiency t_(single + save) / t_cluster",
              f"{c['efficiency_vs_single_saved']['median']:.3f} "
              f"({c['efficiency_vs_single_saved']['min']:.3f}-{c['efficiency_vs_single_saved']['max']:.3f})"]],
            "lr"))
        if c["failures"]:
            ok = False
            lines.append("check failures: " + "; ".join(c["failures"]))
    load = result["cpu_load"]
    lines.append(f"\nother processes kept {load.get('other_busy_cpus', float('nan')):.2f} CPUs busy on average")
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        stamp = H.utc_timestamp()
        H.log(f"wrote {H.write_json('dask_io', result, stamp)}")
        H.write_text("dask_io", text + "\n", stamp)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
