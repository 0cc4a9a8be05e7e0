"""Out-of-core gate: matmul and explicit inverse under a memory budget, pycauset vs NumPy.

Run from the repository root::

    python -m benchmarks.ooc                      # the gate: M = 1 GiB, N = 13,000, + scaling
    python benchmarks/ooc.py --quick              # CI smoke run: M = 16 MiB, N = 1,700, never gates
    python -m benchmarks.ooc --budget "4 GiB" --n 30000 --dir /mnt/ssd   # a bigger machine
    python -m benchmarks.ooc --workload inv --scaling off --repeat 3
    python -m benchmarks.ooc --sides numpy        # the NumPy baseline alone (calibration)
    python -m benchmarks.ooc --contention         # inv beside a CPU hog vs 1 thread (see below)

Definition (an explicit memory budget M stands in for a machine with less RAM than the
data; both sides must respect it):

* Workloads, float64, N x N: ``matmul`` C = A @ B, and ``inv`` X = A^-1 written to
  disk-backed storage. FLOP counts for GFLOP/s: 2 N^3 for both (for the inverse, LU + the
  inverse from it, as LAPACK's getrf + getri count it).
* Memory budget M (``--budget``, default 1 GiB) and size N (``--n``, default 13,000):
  each input matrix is a file of at least 1.25 M bytes (checked; the run refuses
  otherwise). Inputs and outputs are files in one directory (``--dir``, default
  $TMPDIR or /var/tmp, + /pycauset-ooc; never a memory-backed filesystem in a full run). The
  inputs are generated once and cached there, keyed by N, seed and recipe: A = G/sqrt(N)
  + 2 P (G standard normal, P a random permutation matrix), B = G'/sqrt(N). A's
  condition number is about 4.7 at any N (sigma 3.5 / 0.75, measured at N = 1000 and
  2000) -- well conditioned, yet not diagonally dominant: the large entry of every column
  sits in a random row, so partial pivoting must swap for every column.
* pycauset side: ``pc.set_memory_limit(M)``, ``pc.set_backing_dir(<run dir>)``, inputs
  opened with ``pc.load`` (memory-mapped .pycauset files), timed ``(A @ B).eval()`` and
  ``pc.linalg.inv(A).eval()``; the result is pycauset's file-backed (spill) storage.
* NumPy side (baseline): inputs ``np.load(..., mmap_mode="r")`` of the same values in .npy
  files; a blocked algorithm whose buffers -- all allocated inside the timed region --
  never exceed M. For the inverse (and the ``memmap`` matmul baseline) tiles are read as
  whole-tile copies from the memmaps (``np.copyto``) with ``posix_fadvise(WILLNEED)``
  read-ahead of the next tile; the result goes into a .npy
  file created by ``np.lib.format.open_memmap`` and is written as whole tiles with
  ``os.pwrite`` (page-fault writes through the mapping into a fresh file run at 0.2-0.9
  GB/s on our machines, pwrite at about 4 GB/s), then made durable with fsync inside the
  timed region (a background thread fsyncs finished tiles while BLAS computes; the
  final wait is reported as ``final_flush``):

  - matmul, ``--baseline preadv`` (the default): C in row bands of h rows, each the sum
    over k-chunks of A[band, chunk] @ B[chunk, :]; two A bands, two C bands and two B
    chunks (whole rows of N) fit M, with h as large as that allows and k-chunks of 1,024
    rows. Every read is a run of whole rows (one contiguous byte range), done with
    ``os.preadv`` straight into preallocated buffers by a prefetch thread (the next B
    chunk, and the next band of A during the current band); a writer thread writes each
    finished C band (one pwrite) and fdatasyncs it while the next bands compute. The
    products call cblas_dgemm of NumPy's own OpenBLAS through ctypes with beta = 1, so
    the k-chunks accumulate in place (np.matmul can only overwrite, and a temporary plus
    ``+=`` would cost a serial pass over the band per chunk), with OpenBLAS's threads as
    NumPy has them.
  - matmul, ``--baseline memmap`` (the earlier baseline): a planner picks a C tile p x q
    and a k-chunk K (p, q, K as large as M allows) minimising a simple cost (page-cache
    reads, accumulation traffic, small-GEMM penalty). With K = N (the case at the default
    sizes) A's row panel p x N stays in RAM while B's column slabs N x q stream past it
    (np.copyto from the memmaps, WILLNEED read-ahead), and np.matmul writes each C tile
    straight into a preallocated buffer (no accumulation); otherwise tiles accumulate
    over k-chunks through a small temporary.
  - inv: blocked Gauss-Jordan with partial pivoting, out of core, in s steps of b
    columns (s chosen by a cost model among those that fit M: fewer steps mean fewer
    passes over the matrix but more extra flops for the pivot blocks and panels). Each step factors the b-wide column panel in RAM
    with a recursive LU with partial pivoting (BLAS-3 at every level but the 8-column
    leaves; NumPy has no getrf) to choose b pivot rows, inverts the b x b pivot block
    (np.linalg.inv), then streams every other row block through RAM once (whole-row
    reads, one np.matmul per column chunk), gathering the next step's panel on the way.
    It works in place in the output file (step 0 reads A; row swaps as in LAPACK), so
    later passes rewrite existing file pages; the last step undoes the pivoting.
* Cold start: before every timed run (untimed) every file in the input cache and the
  run directory is fsynced and evicted from the page cache (``posix_fadvise(DONTNEED)``);
  caches are never dropped globally. What remained resident is measured (mincore) and
  recorded.
* Peak anonymous memory: RssAnon sampled every 5 ms during the timed call minus RssAnon
  just before it, after both libraries were imported and warmed up (a small matmul and
  inverse in RAM: thread pools and BLAS buffers exist, pycauset's cache of freed RAM is
  emptied). A side whose peak exceeds 1.15 M fails whatever its speed.
* Each side runs in its own child interpreter (``--child``, internal), native threading
  (the thread variables removed; pycauset gets ``set_num_threads(os.cpu_count())``), so
  each starts from a clean RssAnon and thread pools. Sides alternate per pair: pycauset,
  NumPy, pycauset, ... (``--repeat`` pairs, default 1 -- a pair takes minutes at the
  default size; ``--warmup`` uncounted pairs, default 0). ratio = t_numpy / t_pycauset per
  pair (> 1: pycauset faster); median, min and max are reported.
* Checks (untimed, in each side's child, never loading a whole matrix): 16 random rows
  plus the first and last, and 16 random columns plus the first and last, of the result.
  matmul: against A[rows] @ B and A @ B[:, cols] recomputed from the .npy memmaps, each
  entry within 2 gamma_N (|A||B|) of the reference (gamma_N = N u / (1 - N u), u = 2^-53:
  the rounding bound of any summation order, for both the result and the reference).
  inv: right residual ||A X[:, S] - I[:, S]||_F / (||A||_F ||X[:, S]||_F) and left
  residual ||X[S', :] A - I[S', :]||_F / (||X[S', :]||_F ||A||_F) <= 20 N eps
  (eps = 2^-52; the backward-error scale of LU/Gauss-Jordan inverses of well-conditioned
  matrices, the criterion benchmarks/linalg.py uses). Cross-check: the NumPy child
  compares its samples with the pycauset child's of the same pair (matmul: within
  2 gamma_N |A||B| per entry; inv: relative Frobenius difference <= 2 x 20 N eps x kappa
  x sqrt(N) with kappa = 10 >= cond(A), the forward-error bound these residuals imply).
* Gate (full runs; ``--quick`` never gates): for each workload, median ratio > 1.00, every
  check of both sides and the cross-check pass, and both sides' peak anonymous memory
  <= 1.15 M (a baseline over budget invalidates the comparison: FAIL). Targets reported
  alongside, not gated: matmul >= 1.15, inv >= 1.5.
* Scaling (``--scaling on``, the default; ``off``; ``only``): pycauset matmul time for
  three sizes N, N/2^(1/3), N/2^(2/3) (N^3 halves at each step; ``--scaling-n`` to choose)
  with the budget scaled by (N_k/N)^2 so every point keeps the gate's input/M ratio and
  stays out of core (``--scaling-fixed-budget`` keeps M instead), the fitted exponent of
  t ~ N^k (least squares on log-log; expected about 3: I/O hidden behind compute), each
  point's GFLOP/s and peak anonymous memory. The gate's own pycauset matmul run is reused
  for the N point. Reported, not gated.
* A side that raises is reported as FAIL with its error message; a child that crashes or
  runs past ``--child-timeout`` likewise.
* In-RAM reference (informational): NumPy's DGEMM and np.linalg.inv GFLOP/s measured in
  the same run, so the baseline's efficiency can be read off.

Contention mode (``--contention``, not part of the gate; ``--contention --quick`` is a
single round at N = 1,700, about 35 s on 2 CPUs, so ``--quick`` alone does not run it):
pycauset's inverse at N = 2,000, M = 16 MiB with 1 thread and with every CPU, alone and
beside ``python -c "while True: pass"`` pinned to the first CPU; reports each time and its
slowdown against 1 thread alone, PASS when beside the hog every CPU takes at most 1.5 x
the 1-thread time.

The parent process imports neither NumPy nor pycauset. It prints the tables and writes
benchmarks/results/ooc-<timestamp>.json (and .md). Exit status: 0 pass (or quick), 1 a
gated workload failed, 2 the run could not be made.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Optional

if __package__ in (None, ""):  # started as `python benchmarks/ooc.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks import _harness as H  # noqa: E402
else:
    from . import _harness as H

NAME = "ooc"
MODULE = "benchmarks.ooc"
SEED = 20240613
RECIPE = "v1"                      # input-generation recipe (part of the cache key)
MIB = 1 << 20
GIB = 1 << 30

DEFAULT_BUDGET = 1 * GIB
DEFAULT_N = 13_000
QUICK_BUDGET = 16 * MIB
QUICK_N = 1_700
CONTENTION_N = 2_000               # --contention: the size of the report that found the collapse
CONTENTION_BUDGET = 16 * MIB
GRACEFUL = 1.5                     # beside a hog, all threads may take <= 1.5 x the 1-thread time

MIN_INPUT_OVER_BUDGET = 1.25       # each input file >= 1.25 M
ANON_LIMIT_FACTOR = 1.15           # peak RssAnon delta <= 1.15 M
GATE_RATIO = 1.00                  # median t_numpy / t_pycauset must exceed this
TARGETS = {"matmul": 1.15, "inv": 1.5}
WORKLOADS = ("matmul", "inv")

N_SAMPLES = 16                     # random rows and columns checked (plus first and last)
INV_RESID_C = 20                   # residual limit 20 N eps
KAPPA_BOUND = 10.0                 # >= cond_2(A) for the input family (measured 4.7)
VERIFY_BLOCK_BYTES = 32 * MIB      # row blocks read during verification
GEN_BLOCK_BYTES = 32 * MIB         # row blocks written during generation

CHILD_KINDS = ("gen", "calib", "matmul-pycauset", "matmul-numpy", "inv-pycauset", "inv-numpy")


# =========================================================================== small helpers


def parse_size(text: str) -> int:
    """'1 GiB', '512MiB', '2G', '1e9' or plain bytes -> bytes."""
    s = str(text).strip().replace(" ", "")
    units = {"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
             "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
             "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "b": 1}
    low = s.lower()
    for suffix in sorted(units, key=len, reverse=True):
        if low.endswith(suffix) and low[: -len(suffix)]:
            return int(float(low[: -len(suffix)]) * units[suffix])
    return int(float(s))


def fmt_bytes(n: Optional[float]) -> str:
    if n is None:
        return "n/a"
    if n >= GIB:
        return f"{n / GIB:.2f} GiB"
    return f"{n / MIB:.1f} MiB"


def input_paths(cache: Path, n: int, seed: int) -> dict:
    stem = f"ooc-{RECIPE}-n{n}-s{seed}"
    return {"A.npy": cache / f"{stem}-A.npy", "B.npy": cache / f"{stem}-B.npy",
            "A.pycauset": cache / f"{stem}-A.pycauset", "B.pycauset": cache / f"{stem}-B.pycauset",
            "meta": cache / f"{stem}-meta.json"}


def inputs_ready(cache: Path, n: int, seed: int) -> bool:
    p = input_paths(cache, n, seed)
    if not all(p[k].is_file() for k in p):
        return False
    try:
        meta = json.loads(p["meta"].read_text())
    except (OSError, ValueError):
        return False
    return meta.get("recipe") == RECIPE and meta.get("n") == n and meta.get("complete") is True


def evict_tree(*dirs: Path) -> None:
    """fsync + POSIX_FADV_DONTNEED every regular file under ``dirs`` (one file at a time)."""
    for d in dirs:
        if not d.is_dir():
            continue
        for root, _, files in os.walk(d):
            for name in files:
                path = os.path.join(root, name)
                try:
                    if os.path.isfile(path) and not os.path.islink(path):
                        H.evict_file(path)
                except (FileNotFoundError, PermissionError):
                    pass


def _willneed(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to read a file range into the page cache asynchronously."""
    if length <= 0:
        return
    try:
        os.posix_fadvise(fd, offset, length, os.POSIX_FADV_WILLNEED)
    except (AttributeError, OSError):
        pass


def _proc_io() -> dict:
    out = {}
    for line in (H._read("/proc/self/io") or "").splitlines():
        key, _, val = line.partition(":")
        if key in ("read_bytes", "write_bytes", "rchar", "wchar"):
            out[key] = int(val)
    return out


def _io_delta(before: dict, after: dict) -> dict:
    return {k: after[k] - before[k] for k in before if k in after}


def _pwrite_all(fd: int, buf: Any, offset: int) -> None:
    """Write a contiguous buffer at ``offset`` (looping over short writes)."""
    mv = memoryview(buf).cast("B")
    done = 0
    while done < len(mv):
        done += os.pwrite(fd, mv[done:], offset + done)


def _pwrite_tile(fd: int, data_offset: int, n: int, i0: int, j0: int, tile: Any) -> None:
    """Write a C-contiguous tile to rows i0.., columns j0.. of an N x N float64 file: one
    write when it spans whole rows, else one write per row."""
    h, w = tile.shape
    if j0 == 0 and w == n:
        _pwrite_all(fd, tile, data_offset + 8 * n * i0)
        return
    for r in range(h):
        _pwrite_all(fd, tile[r], data_offset + 8 * (n * (i0 + r) + j0))


def _new_npy(np: Any, path: Path, n: int) -> int:
    """Create an N x N float64 .npy (header + sparse payload) with open_memmap; returns the
    payload offset. The payload is then written with pwrite: page-fault writes through
    the mapping into a fresh file run at 0.2-0.9 GB/s here, pwrite at about 4 GB/s."""
    m = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, n))
    offset = m.offset
    del m
    return offset


class _Writeback:
    """A thread that fsyncs one file whenever kicked, so finished tiles reach the disk
    while BLAS computes instead of all at the final flush (os.fsync releases the GIL)."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(str(path), os.O_RDONLY)
        self._kick = threading.Event()
        self._stop = False
        self.calls = 0
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            self._kick.wait()
            self._kick.clear()
            if self._stop:
                return
            os.fsync(self.fd)
            self.calls += 1

    def kick(self) -> None:
        self._kick.set()

    def close(self) -> None:
        self._stop = True
        self._kick.set()
        self._thread.join()
        os.close(self.fd)


# =========================================================================== planners
# Pure Python (the parent may call them too). Sizes in float64 elements.


def plan_matmul(n: int, budget_elems: int, qt_max: int = 512) -> dict:
    """Tile sizes for C = A @ B (all N x N) so that the buffers held at once fit the budget.

    Buffers: C tile p x q, A tile p x K, B tile K x q, and with K < N an accumulation
    temporary p x min(q, qt_max). Candidates: r row blocks, c column blocks (balanced), the
    fewest k-chunks that fit. Cost model (seconds, only used to rank candidates): flops at
    100 GFLOP/s scaled by a small-dimension penalty x / (x + 64) on the smallest of p, q,
    K; tile reads at 3 GB/s (page cache: A is read once if K = N, else once per column
    block; B once per row block); accumulation traffic at 8 GB/s.
    """
    best: Optional[dict] = None
    flops = 2.0 * n ** 3
    for min_dim in (256, 128, 64, 32, 16, 8, 1):
        lo = min(n, min_dim)
        for r in range(1, n + 1):
            p = -(-n // r)
            if p < lo:
                break
            for c in range(1, n + 1):
                q = -(-n // c)
                if q < lo:
                    break
                if p * q + p * n + n * q <= budget_elems:
                    nk, k, qt = 1, n, 0
                else:
                    qt = min(q, qt_max)
                    k_max = (budget_elems - p * q - p * qt) // (p + q)
                    if k_max < lo:
                        continue
                    nk = -(-n // k_max)
                    k = -(-n // nk)
                mem = p * q + p * k + k * q + p * qt
                small = min(p, q, k)
                eff = small / (small + 64.0)
                a_reads = 1 if nk == 1 else c
                reads = 8.0 * n * n * (a_reads + r)
                accum = 24.0 * n * n * (nk - 1)
                cost = flops / (100e9 * eff) + reads / 3e9 + accum / 8e9
                cand = {"p": p, "q": q, "k": k, "row_blocks": -(-n // p),
                        "col_blocks": -(-n // q), "k_chunks": nk, "qt": qt,
                        "buffer_elems": mem, "buffer_bytes": 8 * mem, "model_s": cost}
                if best is None or cost < best["model_s"]:
                    best = cand
        if best is not None:
            return best
    raise ValueError(f"no matmul tiling of N={n} fits {budget_elems} elements")


def _inv_buffers(n: int, b: int, w: int, cw: int) -> int:
    """Elements held by the Gauss-Jordan baseline at its peak: panel (transposed) b x N,
    pivot rows b x N, row block w x N, GEMM temporary max(w, b) x cw, multipliers w x b,
    and 3 b^2 for np.linalg.inv of the pivot block (its input copy, identity and result)."""
    return 2 * b * n + w * n + max(w, b) * cw + w * b + 3 * b * b


def plan_inverse(n: int, budget_elems: int, cw_max: int = 1024, steps: Optional[int] = None) -> dict:
    """Steps s (panel width b = ceil(N/s)) and row-block height w for the Gauss-Jordan
    baseline, w = b or, when that does not fit, the largest w >= min(b, 256) that does.

    Among the s that fit (from the fewest up to 4x as many), the one with the smallest
    modelled time: the 2 N^3 update flops at 100 GFLOP/s x b / (b + 64), plus the
    step-dependent extras -- the explicit inverse of each b x b pivot block (2 b^3 per
    step, np.linalg.inv at about 50 GFLOP/s) and the panel LUs (sum over steps of
    m_k b^2 = b^3 s (s + 1) / 2 at about 55 GFLOP/s) -- and one read + write of the
    matrix per step at about 4 GB/s. The rates were measured on our 2-core machines
    (DGEMM 105 GFLOP/s); they only rank the candidates. Fewer steps mean fewer passes
    but quadratically more extra flops: at N = 13,000 and M = 1 GiB the model picks 7.
    """
    cw = min(n, cw_max)

    def fit(s: int) -> Optional[dict]:
        b = -(-n // s)
        if _inv_buffers(n, b, b, cw) <= budget_elems:
            w = b
        else:
            w = (budget_elems - 2 * b * n - b * cw - 3 * b * b) // (n + b)
            if w < min(b, 256):
                return None
        s_eff = -(-n // b)
        model = (2.0 * n ** 3 / (100e9 * b / (b + 64.0)) + 2.0 * s_eff * b ** 3 / 50e9
                 + b ** 3 * s_eff * (s_eff + 1) / 2 / 55e9 + s_eff * 16.0 * n * n / 4e9)
        mem = _inv_buffers(n, b, w, cw)
        return {"steps": s_eff, "b": b, "w": w, "cw": cw, "buffer_elems": mem,
                "buffer_bytes": 8 * mem, "model_s": model}

    if steps:
        plan = fit(steps)
        if plan is None:
            raise ValueError(f"{steps} Gauss-Jordan steps do not fit the budget")
        return plan
    first = next((s for s in range(1, n + 1) if fit(s) is not None), None)
    if first is None:
        raise ValueError(f"no Gauss-Jordan blocking of N={n} fits {budget_elems} elements")
    cands = [c for c in (fit(s) for s in range(first, min(n, 4 * first) + 1)) if c]
    return min(cands, key=lambda c: c["model_s"])


def scaling_sizes(n: int) -> list:
    return [n, int(round(n * 2 ** (-1 / 3))), int(round(n * 2 ** (-2 / 3)))]


# =========================================================================== NumPy baseline


def matmul_numpy(np: Any, a: Any, b: Any, out_path: Path, budget: int) -> dict:
    """The matmul baseline (see the module docstring). Returns its plan and timings of parts."""
    n = a.shape[0]
    plan = plan_matmul(n, budget // 8)
    p, q, kc, qt, nk = plan["p"], plan["q"], plan["k"], plan["qt"], plan["k_chunks"]
    row = 8 * n
    fa = os.open(a.filename, os.O_RDONLY)
    fb = os.open(b.filename, os.O_RDONLY)
    fc = -1
    try:
        c_offset = _new_npy(np, out_path, n)
        fc = os.open(out_path, os.O_RDWR)
        wb = _Writeback(out_path)
        a_buf = np.empty(p * kc)
        b_buf = np.empty(kc * q)
        c_buf = np.empty(p * q)
        tmp = np.empty(p * qt) if nk > 1 else None
        t_read = t_write = 0.0
        first_pass = True

        def hint_b_slab(j0: int, j1: int, k0: int, k1: int) -> None:
            if j1 - j0 == n:
                _willneed(fb, b.offset + k0 * row, (k1 - k0) * row)
            else:
                for r in range(k0, k1):
                    _willneed(fb, b.offset + r * row + 8 * j0, 8 * (j1 - j0))

        _willneed(fa, a.offset, min(p, n) * row)
        for i0 in range(0, n, p):
            i1 = min(n, i0 + p)
            h = i1 - i0
            if nk == 1:
                if first_pass:
                    hint_b_slab(0, min(n, q), 0, n)
                t = time.perf_counter()
                av = a_buf[: h * n].reshape(h, n)
                np.copyto(av, a[i0:i1])
                t_read += time.perf_counter() - t
                if i1 < n:  # read-ahead of the next row panel
                    _willneed(fa, a.offset + i1 * row, min(p, n - i1) * row)
            for j0 in range(0, n, q):
                j1 = min(n, j0 + q)
                wq = j1 - j0
                cv = c_buf[: h * wq].reshape(h, wq)
                for k0 in range(0, n, kc):
                    k1 = min(n, k0 + kc)
                    kk = k1 - k0
                    t = time.perf_counter()
                    if nk > 1:
                        av = a_buf[: h * kk].reshape(h, kk)
                        np.copyto(av, a[i0:i1, k0:k1])
                    bv = b_buf[: kk * wq].reshape(kk, wq)
                    np.copyto(bv, b[k0:k1, j0:j1])
                    t_read += time.perf_counter() - t
                    if first_pass and nk == 1 and j1 < n:
                        hint_b_slab(j1, min(n, j1 + q), 0, n)
                    if k0 == 0:
                        np.matmul(av, bv, out=cv)
                    else:
                        for c0 in range(0, wq, qt):
                            c1 = min(wq, c0 + qt)
                            tv = tmp[: h * (c1 - c0)].reshape(h, c1 - c0)
                            np.matmul(av, bv[:, c0:c1], out=tv)
                            cv[:, c0:c1] += tv
                t = time.perf_counter()
                _pwrite_tile(fc, c_offset, n, i0, j0, cv)
                t_write += time.perf_counter() - t
                wb.kick()
            first_pass = False
        t = time.perf_counter()
        wb.close()
        os.fsync(fc)
        t_flush = time.perf_counter() - t
    finally:
        os.close(fa)
        os.close(fb)
        if fc >= 0:
            os.close(fc)
    return {"plan": plan, "read_s": t_read, "write_s": t_write, "final_flush_s": t_flush,
            "writeback_fsyncs": wb.calls}


# ---- matmul baseline "preadv" (the default): whole-row runs, a prefetch thread, BLAS beta=1 ----
#
# C is computed in row bands of h rows: C[band] = sum over k-chunks of A[band, chunk] B[chunk, :].
# Every read and write is a run of whole rows of a file (one contiguous byte range), so the
# reads are os.preadv calls straight into preallocated NumPy buffers and the writes pwrite.
# NumPy cannot accumulate a product into an existing array (np.matmul(out=) overwrites), and
# a temporary + `+=` costs a serial pass over the band per k-chunk, so the products call the
# cblas_dgemm of NumPy's own OpenBLAS through ctypes with beta = 1 (OpenBLAS threads as
# NumPy has them). A reader thread fetches the next B chunk and the next A band, a writer
# thread writes finished bands and fsyncs them, while the main thread runs the BLAS calls.


def plan_bands(n: int, budget_elems: int, chunk_max: int = 1024) -> dict:
    """Band height h and k-chunk kc for the "preadv" baseline so that two A bands (h x N),
    two C bands (h x N) and two B chunks (kc x N) fit the budget: 4 h N + 2 kc N <= M.

    kc = min(chunk_max, h) (a GEMM with K >= 1024 runs at full speed, and a smaller chunk
    leaves more rows to the bands); h is then as large as the budget allows, and evened out
    over the bands it needs. Fewer, taller bands mean fewer passes over B.
    """
    rows = budget_elems // max(n, 1)          # whole rows of N elements the budget holds
    kc = max(1, min(chunk_max, n, rows // 6))
    h = (rows - 2 * kc) // 4
    if h < 1:
        raise ValueError(f"no band blocking of N={n} fits {budget_elems} elements")
    h = min(h, n)
    bands = -(-n // h)
    h = -(-n // bands)
    chunks = -(-n // kc)
    kc = -(-n // chunks)
    mem = 4 * h * n + 2 * kc * n
    return {"h": h, "kc": kc, "bands": bands, "k_chunks": chunks, "buffer_elems": mem,
            "buffer_bytes": 8 * mem}


def _numpy_dgemm(np: Any) -> Callable:
    """cblas_dgemm (row-major) of the OpenBLAS that NumPy itself loaded (ILP64)."""
    import ctypes
    import glob

    try:
        import threadpoolctl

        paths = [p["filepath"] for p in threadpoolctl.threadpool_info()
                 if p.get("internal_api") == "openblas"]
    except Exception:  # noqa: BLE001
        paths = []
    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    paths += sorted(glob.glob(str(libs / "*openblas*")))
    for path in paths:
        lib = ctypes.CDLL(path)
        for name in ("scipy_cblas_dgemm64_", "cblas_dgemm64_", "cblas_dgemm"):
            fn = getattr(lib, name, None)
            if fn is not None:
                i64, dbl, ptr = ctypes.c_int64, ctypes.c_double, ctypes.c_void_p
                fn.restype = None
                fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i64, i64, i64, dbl,
                               ptr, i64, ptr, i64, dbl, ptr, i64]
                return fn
    raise RuntimeError("cannot find cblas_dgemm in NumPy's BLAS")


def _preadv_all(fd: int, buf: Any, offset: int) -> None:
    """Fill a contiguous NumPy buffer from the file range at ``offset`` with os.preadv
    (one call for the whole run of rows, looping over short reads)."""
    mv = memoryview(buf).cast("B")
    done = 0
    while done < len(mv):
        got = os.preadv(fd, [mv[done:]], offset + done)
        if got <= 0:
            raise OSError(f"short read at offset {offset + done}")
        done += got


class _Slot:
    """A buffer handed between threads: ``free`` when it may be (re)filled, ``ready`` when
    its content may be used."""

    def __init__(self, array: Any) -> None:
        self.array = array
        self.free = threading.Semaphore(1)
        self.ready = threading.Semaphore(0)


def matmul_numpy_preadv(np: Any, a: Any, b: Any, out_path: Path, budget: int) -> dict:
    """The default matmul baseline (see the comment above plan_bands)."""
    n = a.shape[0]
    plan = plan_bands(n, budget // 8)
    h, kc, bands, chunks = plan["h"], plan["kc"], plan["bands"], plan["k_chunks"]
    dgemm = _numpy_dgemm(np)
    row = 8 * n
    fa = os.open(a.filename, os.O_RDONLY)
    fb = os.open(b.filename, os.O_RDONLY)
    fc = -1
    stats = {"read_wait_s": 0.0, "write_wait_s": 0.0, "gemm_s": 0.0}
    errors: list = []
    try:
        c_offset = _new_npy(np, out_path, n)
        fc = os.open(out_path, os.O_RDWR)
        a_slots = [_Slot(np.empty((h, n))) for _ in range(min(2, bands))]
        c_slots = [_Slot(np.empty((h, n))) for _ in range(min(2, bands))]
        b_slots = [_Slot(np.empty((kc, n))) for _ in range(min(2, bands * chunks))]

        def band_rows(i: int) -> tuple:
            return i * h, min(n, (i + 1) * h)

        def chunk_rows(c: int) -> tuple:
            return c * kc, min(n, (c + 1) * kc)

        # The reader's job list, in the order the main thread needs them: A band 0, then
        # per band its B chunks, with the next band's A right after the band's second chunk
        # (by then the band before has released its A buffer).
        jobs: list = [("A", 0)]
        for i in range(bands):
            for c in range(chunks):
                jobs.append(("B", i * chunks + c))
                if i + 1 < bands and c == min(1, chunks - 1):
                    jobs.append(("A", i + 1))

        def reader() -> None:
            try:
                for kind, idx in jobs:
                    if kind == "A":
                        slot = a_slots[idx % len(a_slots)]
                        r0, r1 = band_rows(idx)
                        slot.free.acquire()
                        _preadv_all(fa, slot.array[: r1 - r0], a.offset + r0 * row)
                    else:
                        slot = b_slots[idx % len(b_slots)]
                        r0, r1 = chunk_rows(idx % chunks)
                        slot.free.acquire()
                        _preadv_all(fb, slot.array[: r1 - r0], b.offset + r0 * row)
                    slot.ready.release()
            except BaseException as exc:  # noqa: BLE001 -- reported by the main thread
                errors.append(exc)
                for s in a_slots + b_slots:
                    s.ready.release()

        writes: list = []
        write_kick = threading.Semaphore(0)

        def writer() -> None:
            try:
                for i in range(bands):
                    write_kick.acquire()
                    slot = c_slots[i % len(c_slots)]
                    r0, r1 = band_rows(i)
                    _pwrite_all(fc, slot.array[: r1 - r0], c_offset + r0 * row)
                    slot.free.release()
                    os.fdatasync(fc)      # durable while the next bands compute
                    writes.append(i)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                for s in c_slots:
                    s.free.release()

        rt = threading.Thread(target=reader, daemon=True)
        wt = threading.Thread(target=writer, daemon=True)
        rt.start()
        wt.start()
        for i in range(bands):
            r0, r1 = band_rows(i)
            hh = r1 - r0
            aslot = a_slots[i % len(a_slots)]
            cslot = c_slots[i % len(c_slots)]
            t = time.perf_counter()
            aslot.ready.acquire()
            stats["read_wait_s"] += time.perf_counter() - t
            t = time.perf_counter()
            cslot.free.acquire()
            stats["write_wait_s"] += time.perf_counter() - t
            if errors:
                raise errors[0]
            av, cv = aslot.array, cslot.array
            for c in range(chunks):
                k0, k1 = chunk_rows(c)
                bslot = b_slots[(i * chunks + c) % len(b_slots)]
                t = time.perf_counter()
                bslot.ready.acquire()
                stats["read_wait_s"] += time.perf_counter() - t
                if errors:
                    raise errors[0]
                t = time.perf_counter()
                # C[band] (+)= A[band, k0:k1] @ B[k0:k1, :], row-major, lda = ldb = ldc = N
                dgemm(101, 111, 111, hh, n, k1 - k0, 1.0, av.ctypes.data + 8 * k0, n,
                      bslot.array.ctypes.data, n, 0.0 if c == 0 else 1.0, cv.ctypes.data, n)
                stats["gemm_s"] += time.perf_counter() - t
                bslot.free.release()
            aslot.free.release()
            write_kick.release()
        t = time.perf_counter()
        wt.join()
        rt.join()
        if errors:
            raise errors[0]
        os.fsync(fc)
        stats["final_flush_s"] = time.perf_counter() - t
    finally:
        os.close(fa)
        os.close(fb)
        if fc >= 0:
            os.close(fc)
    return {"plan": plan, **stats}


# ---- LU with partial pivoting of a tall panel, in RAM (NumPy has no getrf) ---------------
#
# The panel P (m x n, m >= n) is held transposed: PT = P.T, n x m, C-contiguous rows, so a
# column of P is a contiguous row of PT. Pivots are LAPACK-style: ipiv[j] = the row
# swapped with row j at step j (swaps applied in order).


def _apply_swaps(np: Any, V: Any, ipiv: Any) -> None:
    """Apply the row swaps ``ipiv`` of P to V (a block of PT's rows: swap V's columns)."""
    if len(ipiv) == 0:
        return
    pos: dict = {}
    for j, p in enumerate(ipiv.tolist()):
        if p != j:
            pj, pp = pos.get(j, j), pos.get(p, p)
            pos[j], pos[p] = pp, pj
    moved = [(dst, src) for dst, src in pos.items() if dst != src]
    if moved:
        dst = np.fromiter((d for d, _ in moved), dtype=np.intp, count=len(moved))
        src = np.fromiter((s for _, s in moved), dtype=np.intp, count=len(moved))
        V[:, dst] = V[:, src]


def _lu_leaf(np: Any, PT: Any, ws: Any) -> Any:
    """Unblocked right-looking LU with partial pivoting of PT (n x m, n small)."""
    n, m = PT.shape
    ipiv = np.arange(n)
    for j in range(n):
        p = j + int(np.argmax(np.abs(PT[j, j:])))
        ipiv[j] = p
        if p != j:
            PT[:, [j, p]] = PT[:, [p, j]]
        piv = PT[j, j]
        if piv == 0.0:
            raise np.linalg.LinAlgError("matrix is singular (zero pivot)")
        PT[j, j + 1:] /= piv
        if j + 1 < n:
            t = ws[: (n - j - 1) * (m - j - 1)].reshape(n - j - 1, m - j - 1)
            np.multiply.outer(PT[j + 1:, j], PT[j, j + 1:], out=t)
            PT[j + 1:, j + 1:] -= t
    return ipiv


def lu_panel(np: Any, PT: Any, ws: Any, leaf: int = 8, chunk: int = 4096) -> Any:
    """Recursive LU with partial pivoting of P = PT.T in place; returns ipiv (length n).

    Left half recursively, swaps applied to the right half, U12 = L11^-1 A12 (np.linalg.solve
    with the unit lower L11: its partial pivoting never swaps since |l_ij| <= 1), the
    Schur complement A22 -= L21 U12 by np.matmul in column chunks through ``ws`` (a flat
    workspace), right half recursively, its swaps applied to L21.
    """
    n, m = PT.shape
    if n <= leaf:
        return _lu_leaf(np, PT, ws)
    n1 = n // 2
    n2 = n - n1
    ipiv1 = lu_panel(np, PT[:n1], ws, leaf, chunk)
    _apply_swaps(np, PT[n1:], ipiv1)
    l11 = np.tril(PT[:n1, :n1].T, -1)
    l11.flat[:: n1 + 1] = 1.0
    PT[n1:, :n1] = np.linalg.solve(l11, PT[n1:, :n1].T).T
    del l11
    u12t = PT[n1:, :n1]
    ch = max(1, min(chunk, ws.size // n2))
    for c0 in range(n1, m, ch):
        c1 = min(m, c0 + ch)
        t = ws[: n2 * (c1 - c0)].reshape(n2, c1 - c0)
        np.matmul(u12t, PT[:n1, c0:c1], out=t)
        PT[n1:, c0:c1] -= t
    ipiv2 = lu_panel(np, PT[n1:, n1:], ws, leaf, chunk)
    _apply_swaps(np, PT[:n1, n1:], ipiv2)
    return np.concatenate((ipiv1, ipiv2 + n1))


def pivot_order(np: Any, ipiv: Any, m: int) -> Any:
    """The permutation of range(m) that the swaps ``ipiv`` produce (pivot rows first)."""
    perm = np.arange(m)
    for j, p in enumerate(ipiv.tolist()):
        if p != j:
            perm[j], perm[p] = perm[p], perm[j]
    return perm


def _runs(np: Any, idx: Any) -> list:
    """Maximal runs of consecutive values in an int array: (start, end, first value)."""
    if len(idx) == 0:
        return []
    brk = (np.flatnonzero(np.diff(idx) != 1) + 1).tolist()
    starts, ends = [0] + brk, brk + [len(idx)]
    return [(s, e, int(idx[s])) for s, e in zip(starts, ends)]


def _gather_rows(np: Any, src: Any, idx: Any, out: Any) -> None:
    """out[i] = src[idx[i]] by slice copies of consecutive runs (np.take on a memmap runs
    at a seventh of the speed of slice copies here)."""
    for s, e, v in _runs(np, idx):
        np.copyto(out[s:e], src[v:v + e - s])


def inv_numpy(np: Any, a: Any, out_path: Path, budget: int, steps: Optional[int] = None) -> dict:
    """The inverse baseline: out-of-core blocked Gauss-Jordan with partial pivoting, in
    place in the output file.

    Step k (window W = rows/columns [kb, kb + b)): the panel LU picks the pivot rows S
    (in order) among rows [kb, N); row S[t] moves to position kb + t and the displaced
    rows of W that are not pivots move into the vacated positions (LAPACK-style swaps,
    tracked in one permutation). Then one pass over the matrix applies the step:
    pivot rows R_p <- D^-1 R_p with columns W set to D^-1; every other row
    R <- R - F (D^-1 R_p) with columns W set to -F D^-1 (F = R[:, W], D = R_p[:, W]).
    Order within a pass: displaced rows (read from W, written to the vacated slots, whose
    rows are already in RAM as pivot rows), then the pivot rows into W, then every other
    row in place -- so no row is overwritten before it is read. Step 0 reads A and writes
    the output; later steps read and rewrite the output (pages that already exist: fresh
    file pages cost ten times more to write here). After s steps the rows hold
    Y = (P A)^-1 = A^-1 P^T; the last step writes X = Y P (X[j, p_c] = Y[j, c]), a
    permutation within each row. Reads are slice copies from memmaps, writes whole-row
    pwrites.
    """
    n = a.shape[0]
    plan = plan_inverse(n, budget // 8, steps=steps)
    b, w, cw = plan["b"], plan["w"], plan["cw"]
    row = 8 * n
    timings = {"panel_lu_s": 0.0, "pivot_block_s": 0.0, "read_s": 0.0, "update_s": 0.0,
               "write_s": 0.0, "gather_s": 0.0}
    fa = os.open(a.filename, os.O_RDONLY)
    fout = -1
    try:
        out_offset = _new_npy(np, out_path, n)
        fout = os.open(out_path, os.O_RDWR)
        out_r = np.memmap(out_path, dtype=np.float64, mode="r", offset=out_offset, shape=(n, n))
        gt = np.empty((b, n))          # the column panel, transposed; holds D while inverted
        prow = np.empty((b, n))        # pivot rows
        tbuf = np.empty((w, n))        # streamed row block; workspace of the panel LU
        fbuf = np.empty((w, b))        # multipliers
        tmp = np.empty(max(w, b) * cw)
        ws = tbuf.reshape(-1)
        p_total = np.arange(n)
        wb: Optional[_Writeback] = None

        # the first panel A[:, :b] (reads A once, sequentially, with read-ahead)
        t = time.perf_counter()
        b0 = min(b, n)
        for r0 in range(0, n, w):
            r1 = min(n, r0 + w)
            _willneed(fa, a.offset + r1 * row, min(w, n - r1) * row)
            np.copyto(tbuf[: r1 - r0], a[r0:r1])
            gt[:b0, r0:r1] = tbuf[: r1 - r0, :b0].T
        timings["read_s"] += time.perf_counter() - t

        src = a
        for k in range(-(-n // b)):
            kb = k * b
            bk = min(b, n - kb)
            nxt = kb + bk                      # first eligible row of the next step
            last = nxt == n
            bn = min(b, n - nxt)

            t = time.perf_counter()
            ipiv = lu_panel(np, gt[:bk, : n - kb], ws)
            piv = kb + pivot_order(np, ipiv, n - kb)[:bk]        # pivot rows, in order
            timings["panel_lu_s"] += time.perf_counter() - t
            vacated = np.sort(piv[piv >= nxt])                   # slots the pivots leave
            in_window = np.zeros(bk, dtype=bool)
            in_window[piv[piv < nxt] - kb] = True
            displaced = kb + np.flatnonzero(~in_window)          # rows of W, not pivots
            new = np.arange(n)                                   # new position -> old
            new[kb:nxt] = piv
            new[vacated] = displaced
            p_total = p_total[new]

            t = time.perf_counter()
            pv = prow[:bk]
            _gather_rows(np, src, piv, pv)
            timings["read_s"] += time.perf_counter() - t
            t = time.perf_counter()
            d = gt.reshape(-1)[: bk * bk].reshape(bk, bk)
            np.copyto(d, pv[:, kb:nxt])
            dinv = np.linalg.inv(d)
            del d
            for c0 in range(0, n, cw):
                c1 = min(n, c0 + cw)
                tv = tmp[: bk * (c1 - c0)].reshape(bk, c1 - c0)
                np.matmul(dinv, pv[:, c0:c1], out=tv)
                pv[:, c0:c1] = tv
            pv[:, kb:nxt] = dinv
            del dinv
            timings["pivot_block_s"] += time.perf_counter() - t

            pinv = None
            if last:
                pinv = np.empty(n, dtype=np.intp)
                pinv[p_total] = np.arange(n)
                wb = _Writeback(out_path)

            def write_rows(pos: Any, v: Any) -> None:
                t0 = time.perf_counter()
                if pinv is None:
                    for s, e, p in _runs(np, pos):
                        _pwrite_all(fout, v[s:e], out_offset + row * p)
                else:   # undo the pivoting: X[j, :] = Y[j, pinv], whole rows at a time
                    rc = max(1, tmp.size // n)
                    for r0 in range(0, v.shape[0], rc):
                        r1 = min(v.shape[0], r0 + rc)
                        tv = tmp[: (r1 - r0) * n].reshape(r1 - r0, n)
                        np.take(v[r0:r1], pinv, axis=1, out=tv)
                        for s, e, p in _runs(np, pos[r0:r1]):
                            _pwrite_all(fout, tv[s:e], out_offset + row * p)
                timings["write_s"] += time.perf_counter() - t0

            def stream(src_rows: Any, dst_pos: Any) -> None:
                """Read rows, apply the step's update, gather the next panel, write."""
                for c0 in range(0, len(src_rows), w):
                    rows_c = src_rows[c0:c0 + w]
                    pos_c = dst_pos[c0:c0 + w]
                    h = len(rows_c)
                    t0 = time.perf_counter()
                    blk = tbuf[:h]
                    _gather_rows(np, src, rows_c, blk)
                    if src is a and c0 + w < len(src_rows):   # read-ahead from A (cold)
                        nx = src_rows[c0 + w:c0 + 2 * w]
                        _willneed(fa, a.offset + int(nx.min()) * row,
                                  (int(nx.max()) - int(nx.min()) + 1) * row)
                    timings["read_s"] += time.perf_counter() - t0
                    t0 = time.perf_counter()
                    fv = fbuf[:h, :bk]
                    np.copyto(fv, blk[:, kb:nxt])
                    blk[:, kb:nxt] = 0.0
                    for j0 in range(0, n, cw):
                        j1 = min(n, j0 + cw)
                        tv = tmp[: h * (j1 - j0)].reshape(h, j1 - j0)
                        np.matmul(fv, pv[:, j0:j1], out=tv)
                        blk[:, j0:j1] -= tv
                    timings["update_s"] += time.perf_counter() - t0
                    if not last:
                        t0 = time.perf_counter()
                        for s, e, p in _runs(np, pos_c):
                            if p + (e - s) > nxt:
                                s2 = s + max(0, nxt - p)
                                p2 = p + (s2 - s)
                                gt[:bn, p2 - nxt:p2 - nxt + (e - s2)] = blk[s2:e, nxt:nxt + bn].T
                        timings["gather_s"] += time.perf_counter() - t0
                    write_rows(pos_c, blk)
                    if wb is not None:
                        wb.kick()

            stream(displaced, vacated)                 # W's non-pivot rows -> vacated slots
            write_rows(np.arange(kb, nxt), pv)         # pivot rows -> W
            keep = np.ones(n, dtype=bool)
            keep[kb:nxt] = False
            keep[vacated] = False
            others = np.flatnonzero(keep)              # rows that stay where they are
            stream(others, others)
            src = out_r
        t = time.perf_counter()
        if wb is not None:
            wb.close()
        os.fsync(fout)
        timings["final_flush_s"] = time.perf_counter() - t
        del src, out_r
    finally:
        os.close(fa)
        if fout >= 0:
            os.close(fout)
    return {"plan": plan, **timings}


# =========================================================================== verification


def _sample_indices(np: Any, n: int, seed: int) -> tuple:
    rng = np.random.default_rng([seed, n, 7])
    k = min(N_SAMPLES, n)
    rows = np.unique(np.concatenate(([0, n - 1], rng.choice(n, size=k, replace=False))))
    cols = np.unique(np.concatenate(([0, n - 1], rng.choice(n, size=k, replace=False))))
    return rows, cols


def _read_samples(np: Any, get_block: Callable[[int, int], Any], n: int, rows: Any,
                  cols: Any) -> tuple:
    """Rows ``rows`` (len x N) and columns ``cols`` (N x len) of an N x N result, read
    through ``get_block(i0, i1)`` (rows i0..i1 as an ndarray) in bounded blocks."""
    row_vals = np.stack([np.asarray(get_block(int(i), int(i) + 1))[0] for i in rows])
    col_vals = np.empty((n, len(cols)))
    step = max(1, VERIFY_BLOCK_BYTES // (8 * n))
    for r0 in range(0, n, step):
        r1 = min(n, r0 + step)
        col_vals[r0:r1] = np.asarray(get_block(r0, r1))[:, cols]
    return row_vals, col_vals


def _gamma(np: Any, n: int) -> float:
    u = np.finfo(np.float64).eps / 2
    return n * u / (1 - n * u)


def matmul_reference(np: Any, a: Any, b: Any, rows: Any, cols: Any) -> dict:
    """Reference rows/columns of A @ B and the bounds |A||B| for them, from memmaps."""
    n = a.shape[0]
    ar = np.array(a[rows])
    ref_rows = ar @ b
    bound_rows = np.zeros_like(ref_rows)
    step = max(1, VERIFY_BLOCK_BYTES // (8 * n))
    abs_ar = np.abs(ar)
    for r0 in range(0, n, step):
        r1 = min(n, r0 + step)
        bound_rows += abs_ar[:, r0:r1] @ np.abs(b[r0:r1])
    bc = np.array(b[:, cols])
    abs_bc = np.abs(bc)
    ref_cols = np.empty((n, len(cols)))
    bound_cols = np.empty((n, len(cols)))
    for r0 in range(0, n, step):
        r1 = min(n, r0 + step)
        blk = np.asarray(a[r0:r1])
        ref_cols[r0:r1] = blk @ bc
        bound_cols[r0:r1] = np.abs(blk) @ abs_bc
    return {"ref_rows": ref_rows, "bound_rows": bound_rows, "ref_cols": ref_cols,
            "bound_cols": bound_cols}


def matmul_compare(np: Any, n: int, row_vals: Any, col_vals: Any, ref: dict,
                   what: str = "reference") -> dict:
    """Entry-wise |got - ref| <= 2 gamma_N (|A||B|) on the sampled rows and columns."""
    g2 = 2 * _gamma(np, n)
    worst = 0.0
    for got, want, bound in ((row_vals, ref["ref_rows"], ref["bound_rows"]),
                             (col_vals, ref["ref_cols"], ref["bound_cols"])):
        if got.shape != want.shape:
            return {"ok": False, "message": f"sample shape {got.shape} != {want.shape}"}
        if not np.all(np.isfinite(got)):
            return {"ok": False, "message": "non-finite values in the result"}
        worst = max(worst, float(np.max(np.abs(got - want) / (g2 * bound))))
    rel = max(float(np.linalg.norm(row_vals - ref["ref_rows"]) / np.linalg.norm(ref["ref_rows"])),
              float(np.linalg.norm(col_vals - ref["ref_cols"]) / np.linalg.norm(ref["ref_cols"])))
    ok = worst <= 1.0
    return {"ok": ok, "err_over_bound": worst, "rel_fro_err": rel,
            "message": None if ok else
            f"entries differ from the {what} by {worst:.3g} x the rounding bound 2 gamma_N |A||B|"}


def inv_check(np: Any, a: Any, a_fro: float, rows: Any, cols: Any, row_vals: Any,
              col_vals: Any) -> dict:
    """Right residual on the sampled columns, left residual on the sampled rows."""
    n = a.shape[0]
    limit = INV_RESID_C * n * np.finfo(np.float64).eps
    if not (np.all(np.isfinite(row_vals)) and np.all(np.isfinite(col_vals))):
        return {"ok": False, "message": "non-finite values in the result"}
    rc = a @ col_vals
    rc[cols, np.arange(len(cols))] -= 1.0
    right = float(np.linalg.norm(rc) / (a_fro * np.linalg.norm(col_vals)))
    rr = row_vals @ a
    rr[np.arange(len(rows)), rows] -= 1.0
    left = float(np.linalg.norm(rr) / (np.linalg.norm(row_vals) * a_fro))
    ok = right <= limit and left <= limit
    return {"ok": ok, "right_residual": right, "left_residual": left, "limit": limit,
            "message": None if ok else
            f"residual right {right:.3g} / left {left:.3g} > {limit:.3g} (20 N eps)"}


def inv_compare(np: Any, n: int, mine: tuple, theirs: tuple) -> dict:
    limit = 2 * INV_RESID_C * n * np.finfo(np.float64).eps * KAPPA_BOUND * math.sqrt(n)
    diff = max(float(np.linalg.norm(x - y) / np.linalg.norm(x)) for x, y in zip(mine, theirs))
    ok = diff <= limit
    return {"ok": ok, "rel_fro_diff": diff, "limit": limit,
            "message": None if ok else f"pycauset and NumPy inverses differ by {diff:.3g} > {limit:.3g}"}


# =========================================================================== children


def _child_common(args: argparse.Namespace) -> dict:
    return {"thread_env": H.thread_env_snapshot(), "pid": os.getpid(),
            "loadavg_start": (H._read("/proc/loadavg") or "").strip() or None}


def _write_out(args: argparse.Namespace, payload: dict) -> None:
    with open(args.out, "w") as f:
        json.dump(payload, f, default=H._json_default)


def child_gen(args: argparse.Namespace) -> int:
    """Create the cached inputs for every size in --gen-sizes that lacks them."""
    import numpy as np

    import pycauset as pc

    cache = Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    made = []
    for n in [int(x) for x in args.gen_sizes.split(",")]:
        if inputs_ready(cache, n, args.seed) and not args.regen:
            continue
        paths = input_paths(cache, n, args.seed)
        for p in paths.values():
            if p.exists():
                p.unlink()
        t0 = time.perf_counter()
        H.log(f"  generating inputs N={n} ({fmt_bytes(8 * n * n)} each) in {cache}")
        fro = {}
        for name in ("A", "B"):
            rng = np.random.default_rng([args.seed, n, 1 if name == "A" else 2])
            perm = rng.permutation(n) if name == "A" else None
            mm = np.lib.format.open_memmap(paths[f"{name}.npy"], mode="w+", dtype=np.float64,
                                           shape=(n, n))
            step = max(1, GEN_BLOCK_BYTES // (8 * n))
            sq = 0.0
            scale = 1.0 / math.sqrt(n)
            for r0 in range(0, n, step):
                r1 = min(n, r0 + step)
                blk = rng.standard_normal((r1 - r0, n))
                blk *= scale
                if perm is not None:
                    blk[np.arange(r1 - r0), perm[r0:r1]] += 2.0
                mm[r0:r1] = blk
                sq += float(np.vdot(blk, blk))
            mm.flush()
            del mm
            H.fsync_path(paths[f"{name}.npy"])
            pc.convert_file(paths[f"{name}.npy"], paths[f"{name}.pycauset"])
            H.fsync_path(paths[f"{name}.pycauset"])
            fro[name] = math.sqrt(sq)
        meta = {"recipe": RECIPE, "n": n, "seed": args.seed, "a_fro": fro["A"], "b_fro": fro["B"],
                "A": "G/sqrt(N) + 2 P (P random permutation)", "B": "G/sqrt(N)",
                "bytes_per_matrix": 8 * n * n, "generated_s": time.perf_counter() - t0,
                "complete": True}
        paths["meta"].write_text(json.dumps(meta, indent=1))
        H.fsync_path(cache)
        made.append(meta)
    _write_out(args, {"kind": "gen", "generated": made})
    return 0


def child_calib(args: argparse.Namespace) -> int:
    """Run metadata and in-RAM reference rates (DGEMM, np.linalg.inv)."""
    import numpy as np

    import pycauset as pc

    pc.set_num_threads(os.cpu_count() or 1)
    meta = H.machine_metadata({"filesystem": H.filesystem_info(args.dir)})
    rng = np.random.default_rng(1)
    ref = {}
    n = min(args.n, 4096)
    x = rng.standard_normal((n, n))
    y = rng.standard_normal((n, n))
    z = np.empty((n, n))
    np.matmul(x, y, out=z)
    best = min(_timed(lambda: np.matmul(x, y, out=z)) for _ in range(2))
    ref["dgemm_n"] = n
    ref["dgemm_gflops"] = 2.0 * n ** 3 / best / 1e9
    del x, y, z
    n = min(args.n, 2048)
    x = rng.standard_normal((n, n)) / math.sqrt(n) + 2 * np.eye(n)
    np.linalg.inv(x)
    best = min(_timed(lambda: np.linalg.inv(x)) for _ in range(2))
    ref["inv_n"] = n
    ref["inv_gflops"] = 2.0 * n ** 3 / best / 1e9
    meta["loadavg_end"] = (H._read("/proc/loadavg") or "").strip() or None
    _write_out(args, {"kind": "calib", "metadata": meta, "in_ram": ref})
    return 0


def _timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _measure(run: Callable[[], Any], cold: Callable[[], dict]) -> tuple:
    """Cold setup, then the timed call inside an RssAnon sampler. Returns (result or
    None, record)."""
    rec: dict = {"cold": cold()}
    gc.collect()
    gc.disable()
    io0 = _proc_io()
    cpu0 = os.times()
    anon_before = H.proc_status(("RssAnon",)).get("RssAnon")
    rec["anon_before"] = anon_before
    sampler = H.RssSampler()
    result = None
    with sampler:
        t0 = time.perf_counter()
        try:
            result = run()
            rec["seconds"] = time.perf_counter() - t0
        except BaseException as exc:  # noqa: BLE001 -- reported, not raised
            rec["seconds"] = None
            rec["error"] = f"{type(exc).__name__}: {exc}"
            rec["traceback"] = traceback.format_exc()[-4000:]
    gc.enable()
    cpu1 = os.times()
    # CPU seconds of the whole process (every thread) in the timed call: on a busy machine
    # a steadier measure of the work done than wall time (spinning BLAS threads count too).
    rec["cpu_s"] = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    rec.update(peak_anon=sampler.peak_anon, peak_rss=sampler.peak_rss,
               anon_samples=sampler.samples,
               peak_anon_delta=(sampler.peak_anon - anon_before) if anon_before is not None else None,
               io=_io_delta(io0, _proc_io()))
    return result, rec


def _cold_setup(files: list, cache: Path, run_dir: Path) -> Callable[[], dict]:
    """Evict every file under the cache directory (the run directory is inside it)."""
    def run() -> dict:
        evict_tree(cache, *([] if cache in run_dir.parents else [run_dir]))
        H.fsync_path(run_dir)
        return {"resident_bytes_after_evict": {Path(f).name: H.page_cache_resident(f)
                                               for f in files}}
    return run


def child_side(args: argparse.Namespace) -> int:
    workload, side = args.child.split("-")
    rec: dict = {"kind": "side", "workload": workload, "side": side, "n": args.n,
                 "budget": args.budget, **_child_common(args)}
    try:
        if side == "numpy":
            _numpy_side(args, workload, rec)
        else:
            _pycauset_side(args, workload, rec)
    except BaseException as exc:  # noqa: BLE001
        rec.setdefault("error", f"{type(exc).__name__}: {exc}")
        rec["traceback"] = traceback.format_exc()[-4000:]
    rec["loadavg_end"] = (H._read("/proc/loadavg") or "").strip() or None
    _write_out(args, rec)
    return 0


def _warm_up_numpy(np: Any) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((512, 512)) + 2 * np.eye(512)
    for _ in range(2):
        x @ x
        np.linalg.inv(x)


def _numpy_side(args: argparse.Namespace, workload: str, rec: dict) -> None:
    import numpy as np

    _warm_up_numpy(np)
    try:
        import threadpoolctl

        rec["threadpools"] = threadpoolctl.threadpool_info()
    except Exception:  # noqa: BLE001
        rec["threadpools"] = None
    cache, run_dir = Path(args.cache_dir), Path(args.run_dir)
    paths = input_paths(cache, args.n, args.seed)
    meta = json.loads(paths["meta"].read_text())
    a = np.load(paths["A.npy"], mmap_mode="r")
    b = np.load(paths["B.npy"], mmap_mode="r") if workload == "matmul" else None
    out_path = run_dir / f"{workload}-numpy-{args.tag}.npy"
    files = [paths["A.npy"]] + ([paths["B.npy"]] if b is not None else [])
    if workload == "matmul":
        rec["baseline"] = args.baseline
        rec["plan"] = (plan_bands(args.n, args.budget // 8) if args.baseline == "preadv"
                       else plan_matmul(args.n, args.budget // 8))
    else:
        rec["plan"] = plan_inverse(args.n, args.budget // 8, steps=args.inv_steps)

    if workload == "matmul":
        base_fn = matmul_numpy_preadv if args.baseline == "preadv" else matmul_numpy
        run = lambda: base_fn(np, a, b, out_path, args.budget)  # noqa: E731
    else:
        run = lambda: inv_numpy(np, a, out_path, args.budget, steps=args.inv_steps)  # noqa: E731
    parts, m = _measure(run, _cold_setup(files, cache, run_dir))
    rec.update(m)
    rec["parts"] = parts
    if rec.get("error"):
        return
    # ---- verification (untimed)
    t = time.perf_counter()
    x = np.load(out_path, mmap_mode="r")
    rows, cols = _sample_indices(np, args.n, args.seed)
    row_vals, col_vals = _read_samples(np, lambda i0, i1: x[i0:i1], args.n, rows, cols)
    del x
    other = None
    if args.compare_with and Path(args.compare_with).is_file():
        with np.load(args.compare_with) as z:
            if np.array_equal(z["rows"], rows) and np.array_equal(z["cols"], cols):
                other = (z["row_vals"].copy(), z["col_vals"].copy())
    if workload == "matmul":
        ref = matmul_reference(np, a, b, rows, cols)
        rec["check"] = matmul_compare(np, args.n, row_vals, col_vals, ref)
        if other is not None:
            rec["cross_check"] = matmul_compare(np, args.n, other[0], other[1],
                                                {**ref, "ref_rows": row_vals,
                                                 "ref_cols": col_vals}, what="NumPy baseline")
    else:
        rec["check"] = inv_check(np, a, meta["a_fro"], rows, cols, row_vals, col_vals)
        if other is not None:
            rec["cross_check"] = inv_compare(np, args.n, (row_vals, col_vals), other)
    rec["verify_s"] = time.perf_counter() - t
    out_path.unlink()


def _pycauset_side(args: argparse.Namespace, workload: str, rec: dict) -> None:
    import numpy as np

    import pycauset as pc

    threads = args.threads or os.cpu_count() or 1
    pc.set_num_threads(threads)
    rec["pycauset_threads"] = pc.get_num_threads()
    rec["pycauset_blas"] = pc.blas_info()
    _warm_up_numpy(np)
    rng = np.random.default_rng(3)
    small = pc.matrix(rng.standard_normal((512, 512)) + 2 * np.eye(512))
    for _ in range(2):
        (small @ small).eval()
        pc.linalg.inv(small).eval()
    del small
    gc.collect()
    core = sys.modules.get("pycauset._core")
    if hasattr(core, "release_cached_ram"):
        core.release_cached_ram()
    cache, run_dir = Path(args.cache_dir), Path(args.run_dir)
    paths = input_paths(cache, args.n, args.seed)
    meta = json.loads(paths["meta"].read_text())
    pc.set_memory_limit(args.budget)
    pc.set_backing_dir(run_dir)
    A = pc.load(paths["A.pycauset"])
    B = pc.load(paths["B.pycauset"]) if workload == "matmul" else None
    files = [paths["A.pycauset"]] + ([paths["B.pycauset"]] if B is not None else [])
    rec["memory_info_before"] = pc.memory_info()

    if workload == "matmul":
        run = lambda: (A @ B).eval()  # noqa: E731
    else:
        run = lambda: pc.linalg.inv(A).eval()  # noqa: E731
    result, m = _measure(run, _cold_setup(files, cache, run_dir))
    rec.update(m)
    rec["memory_info_after"] = pc.memory_info()
    if rec.get("error"):
        return
    t = time.perf_counter()
    try:
        st = result.storage
        rec["result_storage"] = {"kind": st.kind, "path": st.path, "nbytes": st.nbytes}
    except Exception as exc:  # noqa: BLE001
        rec["result_storage"] = f"unavailable: {exc}"
    if getattr(result, "shape", None) != (args.n, args.n) or result.dtype != pc.float64:
        rec["check"] = {"ok": False, "message": f"result is {type(result).__name__} "
                        f"{getattr(result, 'shape', None)} {getattr(result, 'dtype', None)}"}
        return
    rows, cols = _sample_indices(np, args.n, args.seed)
    row_vals, col_vals = _read_samples(np, lambda i0, i1: pc.to_numpy(result[i0:i1, :]),
                                       args.n, rows, cols)
    if args.samples_out:
        np.savez(args.samples_out, rows=rows, cols=cols, row_vals=row_vals, col_vals=col_vals)
    a = np.load(paths["A.npy"], mmap_mode="r")
    if workload == "matmul":
        b = np.load(paths["B.npy"], mmap_mode="r")
        ref = matmul_reference(np, a, b, rows, cols)
        rec["check"] = matmul_compare(np, args.n, row_vals, col_vals, ref)
        del b
    else:
        rec["check"] = inv_check(np, a, meta["a_fro"], rows, cols, row_vals, col_vals)
    del a
    rec["verify_s"] = time.perf_counter() - t
    del result
    gc.collect()
    rec["memory_info_after_release"] = pc.memory_info()


def child_main(args: argparse.Namespace) -> int:
    if args.child == "gen":
        return child_gen(args)
    if args.child == "calib":
        return child_calib(args)
    return child_side(args)


# =========================================================================== parent side


def _pick_dir(explicit: Optional[str]) -> Path:
    if explicit:
        return Path(explicit)
    base = os.environ.get("TMPDIR") or "/var/tmp"
    return Path(base) / "pycauset-ooc"


class Runner:
    """Starts child interpreters with native threading and collects their JSON."""

    def __init__(self, args: argparse.Namespace, cache: Path, run_dir: Path) -> None:
        self.args = args
        self.cache = cache
        self.run_dir = run_dir
        self.env = H.native_env()
        self.env["PYCAUSET_PROGRESS"] = "0"
        self.env["PYTHONPATH"] = os.pathsep.join(
            [str(H.REPO_ROOT)] + ([self.env["PYTHONPATH"]] if self.env.get("PYTHONPATH") else []))
        self.count = 0

    def run(self, kind: str, extra: Optional[list] = None, n: Optional[int] = None,
            budget: Optional[int] = None) -> dict:
        self.count += 1
        out = self.run_dir / f"child-{self.count:03d}-{kind}.json"
        cmd = [sys.executable, "-m", MODULE, "--child", kind, "--out", str(out),
               "--n", str(n or self.args.n), "--budget", str(budget or self.args.budget),
               "--dir", str(self.args.dir), "--cache-dir", str(self.cache),
               "--run-dir", str(self.run_dir), "--seed", str(self.args.seed),
               "--tag", f"{self.count:03d}", *(extra or [])]
        if self.args.inv_steps:
            cmd += ["--inv-steps", str(self.args.inv_steps)]
        cmd += ["--baseline", self.args.baseline]
        t0 = time.perf_counter()
        try:
            rc = subprocess.run(cmd, cwd=str(H.REPO_ROOT), env=self.env,
                                timeout=self.args.child_timeout).returncode
        except subprocess.TimeoutExpired:
            return {"kind": kind, "error": f"child timed out after {self.args.child_timeout} s",
                    "wall_s": time.perf_counter() - t0}
        wall = time.perf_counter() - t0
        if rc == 0 and out.is_file():
            data = json.loads(out.read_text())
            data["wall_s"] = wall
            out.unlink()
            return data
        return {"kind": kind, "error": f"child exited with status {rc} and no result",
                "wall_s": wall}


def _anon_ok(rec: dict, budget: int) -> Optional[bool]:
    d = rec.get("peak_anon_delta")
    return None if d is None else d <= ANON_LIMIT_FACTOR * budget


def _side_problems(rec: dict, budget: int, label: str) -> list:
    out = []
    if rec.get("error"):
        out.append(f"{label} error: {rec['error']}")
        return out
    chk = rec.get("check")
    if not chk:
        out.append(f"{label} result not checked")
    elif not chk.get("ok"):
        out.append(f"{label} wrong: {chk.get('message')}")
    if _anon_ok(rec, budget) is False:
        out.append(f"{label} peak anon {fmt_bytes(rec['peak_anon_delta'])} > "
                   f"{ANON_LIMIT_FACTOR} M = {fmt_bytes(ANON_LIMIT_FACTOR * budget)}")
    return out


def summarize_workload(workload: str, pairs: list, budget: int, n: int, sides: str) -> dict:
    pc_runs = [p["pycauset"] for p in pairs if "pycauset" in p]
    np_runs = [p["numpy"] for p in pairs if "numpy" in p]
    flops = 2.0 * n ** 3
    reasons: list = []
    for r in pc_runs:
        reasons += _side_problems(r, budget, "pycauset")
    for r in np_runs:
        probs = _side_problems(r, budget, "NumPy baseline")
        reasons += [p + (" (baseline invalid)" if "peak anon" in p else "") for p in probs]
        xc = r.get("cross_check")
        if xc is not None and not xc.get("ok"):
            reasons.append(f"cross-check: {xc.get('message')}")
    ratios = []
    for p in pairs:
        tp = p.get("pycauset", {}).get("seconds")
        tn = p.get("numpy", {}).get("seconds")
        if tp and tn:
            ratios.append(tn / tp)
    rs = H.summarize(ratios)
    if sides != "both":
        reasons.append(f"only the {sides} side ran (no ratio)")
    elif rs["median"] is None:
        reasons.append("no ratio (a side did not finish)")
    elif not rs["median"] > GATE_RATIO:
        reasons.append(f"median ratio {rs['median']:.3f} <= {GATE_RATIO:.2f}")
    if sides == "both" and not any("cross_check" in r for r in np_runs) and pc_runs and np_runs \
            and not any(r.get("error") for r in pc_runs + np_runs):
        reasons.append("cross-check missing")
    dedup = list(dict.fromkeys(reasons))

    def side_summary(runs: list) -> dict:
        secs = [r.get("seconds") for r in runs if r.get("seconds")]
        s = H.summarize(secs)
        peaks = [r.get("peak_anon_delta") for r in runs if r.get("peak_anon_delta") is not None]
        return {"seconds": s, "gflops_median": (flops / s["median"] / 1e9) if s["median"] else None,
                "max_peak_anon_delta": max(peaks) if peaks else None,
                "checks_ok": (all((r.get("check") or {}).get("ok") for r in runs)
                              if runs else None),
                "errors": [r["error"] for r in runs if r.get("error")]}

    target = TARGETS[workload]
    return {"workload": workload, "n": n, "budget": budget, "flops": flops,
            "pycauset": side_summary(pc_runs), "numpy": side_summary(np_runs),
            "ratio": rs | {"all": ratios}, "gate": f"median ratio > {GATE_RATIO:.2f}",
            "target": target,
            "target_met": (rs["median"] is not None and rs["median"] >= target),
            "pass": not dedup, "reasons": dedup}


def fit_exponent(points: list) -> Optional[float]:
    """Least-squares slope of log t against log N."""
    pts = [(math.log(n), math.log(t)) for n, t in points if t]
    if len(pts) < 2:
        return None
    mx = statistics.fmean(x for x, _ in pts)
    my = statistics.fmean(y for _, y in pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else None


def _cell_s(s: dict) -> str:
    if not s or s.get("median") is None:
        return "n/a"
    if s["n"] == 1:
        return f"{s['median']:.2f}"
    return f"{s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f})"


def _gf(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x:.1f}"


def gate_table(summaries: list, gated: bool) -> str:
    headers = ["workload", "N", "M", "pycauset s", "NumPy s", "pc GFLOP/s", "np GFLOP/s",
               "ratio med (min–max)", "pc peak anon", "np peak anon", "checks", "target",
               "verdict"]
    rows = []
    for s in summaries:
        r = s["ratio"]
        ratio = "n/a" if r["median"] is None else (
            f"{r['median']:.3f}" + ("" if r["n"] == 1 else f" ({r['min']:.3f}–{r['max']:.3f})"))
        def ck(v: Optional[bool]) -> str:
            return "n/a" if v is None else ("ok" if v else "FAIL")

        checks = f"pc {ck(s['pycauset']['checks_ok'])}, np {ck(s['numpy']['checks_ok'])}"
        tgt = f">= {s['target']}: " + ("met" if s["target_met"] else "not met")
        verdict = ("PASS" if s["pass"] else "FAIL") if gated else ("ok" if s["pass"] else "below")
        rows.append([s["workload"], s["n"], fmt_bytes(s["budget"]),
                     _cell_s(s["pycauset"]["seconds"]), _cell_s(s["numpy"]["seconds"]),
                     _gf(s["pycauset"]["gflops_median"]), _gf(s["numpy"]["gflops_median"]),
                     ratio, fmt_bytes(s["pycauset"]["max_peak_anon_delta"]),
                     fmt_bytes(s["numpy"]["max_peak_anon_delta"]), checks, tgt, verdict])
    return H.markdown_table(headers, rows, "lrrrrrrrrrlll")


def runs_table(pairs_by_workload: dict) -> str:
    headers = ["workload", "pair", "side", "seconds", "GFLOP/s", "CPU s", "peak anon (limit)",
               "disk read", "disk write", "cold resident", "check", "detail"]
    rows = []
    for workload, (pairs, n, budget) in pairs_by_workload.items():
        flops = 2.0 * n ** 3
        for i, p in enumerate(pairs):
            for side in ("pycauset", "numpy"):
                r = p.get(side)
                if r is None:
                    continue
                secs = r.get("seconds")
                io = r.get("io") or {}
                cold = (r.get("cold") or {}).get("resident_bytes_after_evict") or {}
                resident = sum(v for v in cold.values() if v) if cold else None
                chk = r.get("check") or {}
                if r.get("error"):
                    check, detail = "ERROR", r["error"][:160]
                else:
                    check = "ok" if chk.get("ok") else "FAIL"
                    if workload == "matmul":
                        detail = (f"err/bound {chk.get('err_over_bound', float('nan')):.2g}, "
                                  f"rel {chk.get('rel_fro_err', float('nan')):.2g}")
                    else:
                        detail = (f"resid R {chk.get('right_residual', float('nan')):.2g} "
                                  f"L {chk.get('left_residual', float('nan')):.2g}")
                    xc = r.get("cross_check")
                    if xc:
                        key = "err_over_bound" if workload == "matmul" else "rel_fro_diff"
                        detail += f"; vs pc {xc.get(key, float('nan')):.2g}" + (
                            "" if xc.get("ok") else " FAIL")
                    if not chk.get("ok") and chk.get("message"):
                        detail += f"; {chk['message']}"
                lim = ANON_LIMIT_FACTOR * budget
                peak = r.get("peak_anon_delta")
                rows.append([workload, i + 1, side, "n/a" if not secs else f"{secs:.2f}",
                             _gf(flops / secs / 1e9 if secs else None),
                             "n/a" if r.get("cpu_s") is None else f"{r['cpu_s']:.1f}",
                             f"{fmt_bytes(peak)} ({'ok' if peak is not None and peak <= lim else 'OVER'})"
                             if peak is not None else "n/a",
                             fmt_bytes(io.get("read_bytes")), fmt_bytes(io.get("write_bytes")),
                             fmt_bytes(resident), check, detail])
    return H.markdown_table(headers, rows, "lrlrrrrrrrll")


def baseline_parts_table(pairs_by_workload: dict) -> str:
    rows = []
    for workload, (pairs, n, budget) in pairs_by_workload.items():
        for i, p in enumerate(pairs):
            r = p.get("numpy")
            if not r or not r.get("parts"):
                continue
            parts = r["parts"]
            plan = parts["plan"]
            if workload == "matmul" and "h" in plan:
                desc = (f"{plan['bands']} bands of {plan['h']} rows, k-chunk {plan['kc']} "
                        f"({plan['k_chunks']} chunks), buffers {fmt_bytes(plan['buffer_bytes'])}")
            elif workload == "matmul":
                desc = (f"C tile {plan['p']}x{plan['q']}, K {plan['k']} ({plan['k_chunks']} "
                        f"chunk(s)), buffers {fmt_bytes(plan['buffer_bytes'])}")
            else:
                desc = (f"{plan['steps']} steps, panel b {plan['b']}, row block w {plan['w']}, "
                        f"buffers {fmt_bytes(plan['buffer_bytes'])}")
            timing = ", ".join(f"{k[:-2]} {v:.2f}" for k, v in parts.items()
                               if k.endswith("_s") and isinstance(v, (int, float)))
            rows.append([workload, i + 1, desc, timing])
    return H.markdown_table(["workload", "pair", "baseline plan", "parts (s)"], rows, "lrll")


def scaling_table(points: list) -> str:
    headers = ["N", "M", "input / M", "pycauset s", "GFLOP/s", "t / t(N_max) x (N_max/N)^3",
               "peak anon (limit)", "check"]
    rows = []
    ref = next((p for p in sorted(points, key=lambda p: -p["n"]) if p.get("seconds")), None)
    for p in points:
        secs = p.get("seconds")
        norm = (secs / ref["seconds"] * (ref["n"] / p["n"]) ** 3) if (secs and ref) else None
        peak = p.get("peak_anon_delta")
        lim = ANON_LIMIT_FACTOR * p["budget"]
        rows.append([p["n"], fmt_bytes(p["budget"]), f"{8 * p['n'] ** 2 / p['budget']:.2f}",
                     "n/a" if not secs else f"{secs:.2f}",
                     _gf(2.0 * p["n"] ** 3 / secs / 1e9 if secs else None),
                     "n/a" if norm is None else f"{norm:.3f}",
                     "n/a" if peak is None else f"{fmt_bytes(peak)} ({'ok' if peak <= lim else 'OVER'})",
                     "ERROR: " + p["error"][:120] if p.get("error") else
                     ("ok" if (p.get("check") or {}).get("ok") else "FAIL")])
    return H.markdown_table(headers, rows, "lrrrrrrl")


def header_text(calib: dict, cache: Path) -> str:
    if not calib or calib.get("error"):
        return f"(no run metadata: {calib.get('error') if calib else 'calibration child missing'})"
    m = calib["metadata"]
    cpu, pcm, fs = m["cpu"], m["pycauset"], m.get("filesystem") or {}
    ref = calib.get("in_ram") or {}
    return (f"CPU {cpu['model']} ({cpu['logical_cpus']} logical CPUs, affinity "
            f"{cpu['cpus_in_affinity_mask']}), RAM {m['memory'].get('MemTotal', 0) / GIB:.1f} GiB, "
            f"{m['os']['pretty_name']} kernel {m['os']['kernel']}, Python {m['python']['version']}, "
            f"NumPy {m['numpy']['version']}, pycauset {pcm['version']} "
            f"({pcm['build'].get('CMAKE_BUILD_TYPE', '?')}), BLAS {pcm['blas'].get('config')}, "
            f"pycauset threads {pcm['num_threads']}, thread env {m['thread_env']}, loadavg "
            f"{m['loadavg']}\n\nfiles in {cache} on {fs.get('fstype')} ({fs.get('source')}, "
            f"mount options {fs.get('mount_options')}); in-RAM reference: NumPy DGEMM "
            f"{_gf(ref.get('dgemm_gflops'))} GFLOP/s (n={ref.get('dgemm_n')}), np.linalg.inv "
            f"{_gf(ref.get('inv_gflops'))} GFLOP/s (n={ref.get('inv_n')}, 2n^3)")


def parent_main(args: argparse.Namespace, argv: list) -> int:
    ts = H.utc_timestamp()
    gated = not args.quick
    base = Path(args.dir)
    cache = base
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"error: cannot create {cache}: {exc}", file=sys.stderr)
        return 2
    fs = H.filesystem_info(cache)
    if H.memory_backed_stop(fs, cache, "files there are RAM, the out-of-core comparison "
                            "means nothing", gated, args.allow_tmpfs):
        return 2
    n, budget = args.n, args.budget
    if 8 * n * n < MIN_INPUT_OVER_BUDGET * budget:
        print(f"error: an N={n} float64 matrix is {fmt_bytes(8 * n * n)}, less than "
              f"{MIN_INPUT_OVER_BUDGET} x the budget {fmt_bytes(budget)}; raise --n to at least "
              f"{math.ceil(math.sqrt(MIN_INPUT_OVER_BUDGET * budget / 8))}", file=sys.stderr)
        return 2
    workloads = list(WORKLOADS) if args.workload == "both" else [args.workload]
    if args.scaling == "only":
        workloads = []
    scale_ns: list = []
    if args.scaling != "off":
        scale_ns = ([int(x) for x in args.scaling_n.split(",")] if args.scaling_n
                    else scaling_sizes(n))
    scale_budget = {k: (budget if args.scaling_fixed_budget
                        else int(budget * (k / n) ** 2)) for k in scale_ns}
    sizes = sorted({n} | set(scale_ns), reverse=True) if workloads else sorted(set(scale_ns),
                                                                                 reverse=True)
    missing = [k for k in sizes if args.regen or not inputs_ready(cache, k, args.seed)]
    need = sum(4 * 8 * k * k for k in missing) + 6 * 8 * n * n
    if fs["free_bytes"] < need:
        print(f"error: {cache} has {fmt_bytes(fs['free_bytes'])} free; this run needs about "
              f"{fmt_bytes(need)} (inputs to generate + outputs and spill files)",
              file=sys.stderr)
        return 2

    run_dir = cache / f"run-{ts}-{os.getpid()}"
    run_dir.mkdir(parents=True)
    runner = Runner(args, cache, run_dir)
    status = 0
    pairs_by_workload: dict = {}
    summaries: list = []
    points: list = []
    calib: dict = {}
    gen: dict = {}
    try:
        if missing:
            H.log(f"== generating inputs for N = {', '.join(map(str, missing))}")
            gen = runner.run("gen", ["--gen-sizes", ",".join(map(str, missing))] +
                             (["--regen"] if args.regen else []))
            if gen.get("error"):
                print(f"error: input generation failed: {gen['error']}", file=sys.stderr)
                return 2
        H.log("== run metadata and in-RAM reference rates")
        calib = runner.run("calib")
        do_pc = args.sides in ("both", "pycauset")
        do_np = args.sides in ("both", "numpy")
        for workload in workloads:
            pairs = []
            for i in range(args.warmup + args.repeat):
                counted = i >= args.warmup
                label = f"pair {i - args.warmup + 1}" if counted else f"warm-up {i + 1}"
                pair: dict = {}
                samples = run_dir / f"samples-{workload}-{i}.npz"
                if do_pc:
                    H.log(f"== {workload} N={n} M={fmt_bytes(budget)} {label}: pycauset")
                    pair["pycauset"] = runner.run(f"{workload}-pycauset",
                                                  ["--samples-out", str(samples)])
                    _log_side(pair["pycauset"])
                if do_np:
                    H.log(f"== {workload} N={n} M={fmt_bytes(budget)} {label}: NumPy baseline")
                    extra = ["--compare-with", str(samples)] if samples.is_file() else []
                    pair["numpy"] = runner.run(f"{workload}-numpy", extra)
                    _log_side(pair["numpy"])
                if samples.is_file():
                    samples.unlink()
                if counted:
                    pairs.append(pair)
            pairs_by_workload[workload] = (pairs, n, budget)
            summaries.append(summarize_workload(workload, pairs, budget, n, args.sides))
        if scale_ns and args.sides != "numpy":
            for k in scale_ns:
                reuse = None
                if k == n and scale_budget[k] == budget and "matmul" in pairs_by_workload:
                    runs = [p["pycauset"] for p in pairs_by_workload["matmul"][0]
                            if p.get("pycauset", {}).get("seconds")]
                    if runs:
                        secs = statistics.median(r["seconds"] for r in runs)
                        reuse = dict(runs[0], seconds=secs, reused_from_gate=True)
                if reuse is None:
                    H.log(f"== scaling: pycauset matmul N={k} M={fmt_bytes(scale_budget[k])}")
                    reuse = runner.run("matmul-pycauset", n=k, budget=scale_budget[k])
                    _log_side(reuse)
                points.append(dict(reuse, n=k, budget=scale_budget[k]))
    except BaseException:
        status = 2
        raise
    finally:
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
        if status:
            H.log(f"run failed; run directory {'kept' if args.keep else 'removed'}")

    exponent = fit_exponent([(p["n"], p.get("seconds")) for p in points
                             if not p.get("error") and (p.get("check") or {}).get("ok")])
    title = "gate" if gated else "quick smoke run (not gated)"
    lines = [f"# Out-of-core benchmark — {title}", "", header_text(calib, cache), ""]
    if workloads:
        lines += [f"ratio = t_numpy / t_pycauset per pair (> 1: pycauset faster); "
                  f"{args.repeat} timed pair(s) after {args.warmup} warm-up pair(s); every "
                  f"file evicted from the page cache before every timed run; peak anon = "
                  f"RssAnon peak minus RssAnon before the call, limit {ANON_LIMIT_FACTOR} M; "
                  "GFLOP/s count 2 N^3 for both workloads; CPU s = user + system time of "
                  f"the side's process in the timed call. matmul baseline: {args.baseline}.", "",
                  gate_table(summaries, gated), "", "### Every timed run", "",
                  runs_table(pairs_by_workload), ""]
        bp = baseline_parts_table(pairs_by_workload)
        if bp.count("\n") > 1:
            lines += ["### NumPy baseline: plan and where its time went", "", bp, "",
                      "read = copies from the input (and, for inv, output) memmaps, page "
                      "faults and disk waits included; write = pwrite of whole tiles/rows "
                      "into the output .npy; final_flush = waiting for the writeback "
                      "thread + fsync. preadv baseline: read_wait = the BLAS thread "
                      "waiting for the prefetch thread, write_wait = waiting for a free C "
                      "band, gemm = in BLAS.", ""]
    if points:
        lines += ["## Scaling: pycauset matmul (reported, not gated)", "",
                  ("budget scaled by (N/N_max)^2 so every point keeps input/M"
                   if not args.scaling_fixed_budget else "fixed budget M"), "",
                  scaling_table(points), "",
                  f"fitted exponent of t ~ N^k: k = "
                  f"{'n/a' if exponent is None else f'{exponent:.2f}'} (expected about 3)", ""]
    for s in summaries:
        word = ("PASS" if s["pass"] else "FAIL") if gated else ("ok" if s["pass"] else "below")
        lines.append(f"{word:>5}  {s['workload']}" +
                     ("" if s["pass"] else "  -- " + "; ".join(s["reasons"])))
    if not workloads:
        overall = "REPORT ONLY (scaling)"
    elif not gated:
        overall = "NOT GATED (quick)"
    elif args.sides != "both":
        overall = "INCOMPLETE (one side only)"
    elif len(workloads) < len(WORKLOADS):
        overall = ("PASS" if all(s["pass"] for s in summaries) else "FAIL") + " (partial: " + \
            ", ".join(workloads) + ")"
    else:
        overall = "PASS" if all(s["pass"] for s in summaries) else "FAIL"
    text = "\n".join(lines)
    print(text)
    payload = {
        "benchmark": NAME, "mode": "quick" if args.quick else "full", "argv": argv,
        "n": n, "budget": budget, "dir": str(cache), "seed": args.seed, "recipe": RECIPE,
        "criteria": {"gate": f"median t_numpy / t_pycauset > {GATE_RATIO}",
                     "targets": TARGETS, "anon_limit": f"{ANON_LIMIT_FACTOR} x budget",
                     "min_input_over_budget": MIN_INPUT_OVER_BUDGET,
                     "matmul_check": "|got - ref| <= 2 gamma_N |A||B| on sampled rows/cols",
                     "inv_check": f"residuals <= {INV_RESID_C} N eps (Frobenius, normalised)",
                     "inv_cross_check": f"rel diff <= 2 x {INV_RESID_C} N eps x {KAPPA_BOUND} x sqrt(N)"},
        "repeat": args.repeat, "warmup": args.warmup, "sides": args.sides,
        "matmul_baseline": args.baseline,
        "filesystem": fs, "generation": gen, "calibration": calib,
        "workloads": {w: {"pairs": p} for w, (p, _, _) in pairs_by_workload.items()},
        "summaries": summaries,
        "scaling": {"points": points, "exponent": exponent,
                    "budget_rule": "fixed" if args.scaling_fixed_budget else "scaled by (N/N_max)^2"},
        "overall": overall,
    }
    path = H.write_json(NAME + ("-quick" if args.quick else ""), payload, ts)
    H.write_text(NAME + ("-quick" if args.quick else ""), text + f"\n\noverall: {overall}\n", ts)
    print(f"\noverall: {overall}")
    print(f"results: {path.relative_to(H.REPO_ROOT)}")
    if gated and workloads and args.sides == "both" and not all(s["pass"] for s in summaries):
        return 1
    return 0


def _log_side(rec: dict) -> None:
    if rec.get("error"):
        H.log(f"   -> ERROR: {rec['error'][:300]}")
        return
    chk = rec.get("check") or {}
    secs = rec.get("seconds")
    H.log(f"   -> {secs:.2f} s, peak anon +{fmt_bytes(rec.get('peak_anon_delta'))}, "
          f"check {'ok' if chk.get('ok') else 'FAIL: ' + str(chk.get('message'))}"
          if secs else f"   -> no time; {rec}")


# =========================================================================== main


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.ooc",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help=f"CI smoke run: M = {fmt_bytes(QUICK_BUDGET)}, N = {QUICK_N}, never gates")
    p.add_argument("--budget", type=parse_size, default=None,
                   help="memory budget M, bytes or e.g. '1 GiB' (default 1 GiB; quick 16 MiB)")
    p.add_argument("--n", type=int, default=None,
                   help=f"matrix size N (default {DEFAULT_N}; quick {QUICK_N}); each input must "
                        f"be >= {MIN_INPUT_OVER_BUDGET} M bytes")
    p.add_argument("--dir", type=str, default=None,
                   help="directory for the cached inputs and the run's files (default "
                        "$TMPDIR or /var/tmp, + /pycauset-ooc)")
    p.add_argument("--workload", choices=("both", "matmul", "inv"), default="both")
    p.add_argument("--sides", choices=("both", "pycauset", "numpy"), default="both",
                   help="run only one side (no ratio, no gate): calibration and debugging")
    p.add_argument("--repeat", type=int, default=1, help="timed pairs per workload (default 1)")
    p.add_argument("--warmup", type=int, default=0, help="uncounted pairs first (default 0)")
    p.add_argument("--scaling", choices=("on", "off", "only"), default="on",
                   help="the pycauset matmul scaling report (default on; 'only': nothing else)")
    p.add_argument("--scaling-n", type=str, default=None,
                   help="comma-separated sizes for the scaling report (default N, N/2^(1/3), "
                        "N/2^(2/3))")
    p.add_argument("--scaling-fixed-budget", action="store_true",
                   help="keep M for every scaling size instead of scaling it with N^2")
    p.add_argument("--seed", type=int, default=SEED, help="input seed (part of the cache key)")
    p.add_argument("--regen", action="store_true", help="regenerate the cached inputs")
    p.add_argument("--child-timeout", type=float, default=None,
                   help="seconds before a child is killed (default 3600; quick 600)")
    p.add_argument("--allow-tmpfs", action="store_true",
                   help="run a full run on a memory-backed filesystem anyway")
    p.add_argument("--keep", action="store_true", help="keep the run directory")
    p.add_argument("--contention", action="store_true",
                   help="instead of the gate: pycauset's out-of-core inverse with 1 thread and "
                        "with every CPU, each alone and beside a CPU hog pinned to one CPU; "
                        f"reports the slowdowns (default N={CONTENTION_N}, M=16 MiB; with "
                        f"--quick N={QUICK_N}, one round)")
    p.add_argument("--baseline", choices=("preadv", "memmap"), default="preadv",
                   help="the matmul baseline: 'preadv' (default: row bands, whole-row os.preadv "
                        "reads on a prefetch thread, BLAS accumulating in place) or 'memmap' "
                        "(C tiles, np.copyto from the memmaps, K = N when it fits)")
    p.add_argument("--inv-steps", type=int, default=None, help=argparse.SUPPRESS)
    # internal: child processes
    p.add_argument("--child", choices=CHILD_KINDS, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--cache-dir", help=argparse.SUPPRESS)
    p.add_argument("--run-dir", help=argparse.SUPPRESS)
    p.add_argument("--tag", default="0", help=argparse.SUPPRESS)
    p.add_argument("--gen-sizes", help=argparse.SUPPRESS)
    p.add_argument("--samples-out", help=argparse.SUPPRESS)
    p.add_argument("--compare-with", help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=None, help=argparse.SUPPRESS)
    return p


# =========================================================================== contention mode


def _start_hog(cpu: int) -> subprocess.Popen:
    """A busy Python loop pinned to one CPU: another program wanting that core."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    os.sched_setaffinity(hog.pid, {cpu})
    return hog


def _stop_hog(hog: subprocess.Popen) -> None:
    hog.kill()
    hog.wait()


def contention_main(args: argparse.Namespace, argv: list) -> int:
    """``--contention``: does the out-of-core inverse degrade gracefully when another process
    takes a core? Four configurations, each in its own child interpreter (cold files, checked
    result, as in the gate): 1 thread and every CPU of the affinity mask (``native``), alone
    (``alone``) and beside a CPU hog pinned to the first CPU. Rounds run the configurations
    in alternating order. Reported: each configuration's time and its slowdown against the
    1-thread run alone of the same round; PASS when, beside the hog, ``native`` takes at most
    GRACEFUL x the 1-thread time (median over rounds) and every result checks. OpenBLAS's
    threads busy-wait on each other, which made ``native`` 5-10x slower than 1 thread here
    before the tiled routines stopped using them."""
    ts = H.utc_timestamp()
    cache = Path(args.dir)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"error: cannot create {cache}: {exc}", file=sys.stderr)
        return 2
    n, budget = args.n, args.budget
    if 8 * n * n < MIN_INPUT_OVER_BUDGET * budget:
        print(f"error: an N={n} float64 matrix is {fmt_bytes(8 * n * n)}, less than "
              f"{MIN_INPUT_OVER_BUDGET} x the budget {fmt_bytes(budget)}", file=sys.stderr)
        return 2
    cpus = sorted(os.sched_getaffinity(0))
    native = len(cpus)
    rounds = 1 if args.quick else max(args.repeat, 3)
    run_dir = cache / f"run-{ts}-{os.getpid()}"
    run_dir.mkdir(parents=True)
    runner = Runner(args, cache, run_dir)
    configs = [("alone", 1), ("alone", native), ("hog", 1), ("hog", native)]
    runs: dict = {c: [] for c in configs}
    calib: dict = {}
    try:
        if args.regen or not inputs_ready(cache, n, args.seed):
            H.log(f"== generating inputs for N = {n}")
            gen = runner.run("gen", ["--gen-sizes", str(n)] + (["--regen"] if args.regen else []))
            if gen.get("error"):
                print(f"error: input generation failed: {gen['error']}", file=sys.stderr)
                return 2
        if not args.quick:
            calib = runner.run("calib")
        for r in range(args.warmup + rounds):
            for where, threads in (configs if r % 2 == 0 else configs[::-1]):
                H.log(f"== inv N={n} M={fmt_bytes(budget)} round {r + 1}: {threads} thread(s), "
                      f"{'beside a CPU hog on CPU ' + str(cpus[0]) if where == 'hog' else 'alone'}")
                hog = _start_hog(cpus[0]) if where == "hog" else None
                try:
                    rec = runner.run("inv-pycauset", ["--threads", str(threads)])
                finally:
                    if hog is not None:
                        _stop_hog(hog)
                _log_side(rec)
                if r >= args.warmup:
                    runs[(where, threads)].append(rec)
    finally:
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)

    def secs(rec: dict) -> Optional[float]:
        ok = not rec.get("error") and (rec.get("check") or {}).get("ok")
        return rec.get("seconds") if ok else None

    problems = [f"{w}/{t} thread(s): {rec.get('error') or (rec.get('check') or {}).get('message')}"
                for (w, t), recs in runs.items() for rec in recs if secs(rec) is None]
    base = [secs(rec) for rec in runs[("alone", 1)]]
    rows, summary = [], {}
    for (where, threads), recs in runs.items():
        ts_ = [secs(rec) for rec in recs]
        slow = [t / b for t, b in zip(ts_, base) if t and b]
        good = [t for t in ts_ if t]
        key = f"{where}-{threads}"
        summary[key] = {"seconds": ts_, "slowdown_vs_1_thread_alone": slow,
                        "peak_anon_delta": [rec.get("peak_anon_delta") for rec in recs]}
        rows.append([where, str(threads),
                     f"{statistics.median(good):.3f}" if good else "-",
                     f"{min(good):.3f}" if good else "-", f"{max(good):.3f}" if good else "-",
                     f"{statistics.median(slow):.2f}" if slow else "-",
                     fmt_bytes(max((rec.get("peak_anon_delta") or 0) for rec in recs))])
    hog1 = [secs(rec) for rec in runs[("hog", 1)]]
    hogn = [secs(rec) for rec in runs[("hog", native)]]
    beside = [a / b for a, b in zip(hogn, hog1) if a and b]
    verdict = bool(beside) and not problems and statistics.median(beside) <= GRACEFUL
    table = H.markdown_table(["machine", "threads", "median s", "min s", "max s",
                        "slowdown vs 1 thread alone", "peak anon"], rows)
    lines = ["# Out-of-core inverse under CPU contention", "",
             (header_text(calib, cache) if calib else
              f"(quick: no calibration child) CPUs in the affinity mask: {cpus}, loadavg "
              f"{(H._read('/proc/loadavg') or '').strip()}"), "",
             f"pycauset inv of an N={n} float64 file, memory budget {fmt_bytes(budget)}, files "
             f"evicted before every run; {rounds} round(s) after {args.warmup} warm-up round(s), "
             f"configurations alternating in order; hog = `python -c \"while True: pass\"` "
             f"pinned to CPU {cpus[0]}.", "", table, "",
             f"beside the hog, {native} threads / 1 thread, per round: "
             + (", ".join(f"{x:.2f}" for x in beside) + f" (median {statistics.median(beside):.2f})"
                if beside else "n/a"), ""]
    if native < 2:
        lines.append("only one CPU in the affinity mask: 'native' is 1 thread, nothing to compare")
    lines += [f"  - {p}" for p in problems]
    word = ("PASS" if verdict else "FAIL") if not args.quick else ("ok" if verdict else "below")
    lines.append(f"{word:>5}  contention: {native} threads beside a hog <= {GRACEFUL} x 1 thread")
    text = "\n".join(lines)
    print(text)
    payload = {"benchmark": NAME, "mode": "contention-quick" if args.quick else "contention",
               "argv": argv, "n": n, "budget": budget, "cpus": cpus, "rounds": rounds,
               "graceful_limit": GRACEFUL, "ratio_native_over_1_beside_hog": beside,
               "pass": verdict, "summary": summary, "calibration": calib,
               "runs": {f"{w}-{t}": recs for (w, t), recs in runs.items()}}
    name = NAME + "-contention" + ("-quick" if args.quick else "")
    path = H.write_json(name, payload, ts)
    H.write_text(name, text + "\n", ts)
    H.log(f"results written to {path}")
    return 0 if verdict or args.quick else 1


def main(argv: Optional[list] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if args.budget is None:
        args.budget = QUICK_BUDGET if args.quick else DEFAULT_BUDGET
    if args.n is None:
        args.n = QUICK_N if args.quick else CONTENTION_N if args.contention else DEFAULT_N
    if args.contention and "--budget" not in " ".join(argv):
        args.budget = CONTENTION_BUDGET
    if args.child_timeout is None:
        args.child_timeout = 600.0 if args.quick else 3600.0
    if args.repeat < 1 or args.warmup < 0 or args.n < 2 or args.budget < MIB:
        raise SystemExit("--repeat >= 1, --warmup >= 0, --n >= 2 and --budget >= 1 MiB")
    args.dir = str(_pick_dir(args.dir).resolve())
    if args.child:
        return child_main(args)
    if args.contention:
        return contention_main(args, argv)
    return parent_main(args, argv)


if __name__ == "__main__":
    sys.exit(main())
