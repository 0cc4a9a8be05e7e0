"""Causal-set gates: building C, counting links and intervals, a big run end to end, and
out of core.

Run from the repository root::

    python -m benchmarks.causets                       # every part at its gate size
    python -m benchmarks.causets --quick               # CI smoke run: small sizes, never gates
    python -m benchmarks.causets --part build --repeat 5
    python -m benchmarks.causets --part ooc --dir /mnt/ssd/causets --budget "2 GiB"

Parts (``--part``, default all):

* ``build``: sprinkle + causal matrix of N = 20,000 points (``--build-n``) in the 4-d
  Minkowski diamond, pycauset (``pc.sprinkle``) against the best honest NumPy route:
  the same uniforms-to-points map on NumPy uniforms, points sorted by time, the
  light-cone test broadcast over blocks of rows and only the columns right of each
  block (the matrix is strictly upper-triangular), in float64 and the same operation
  order as pycauset, each block packed with ``np.packbits`` into an N x ceil(N/8) uint8
  matrix. Check: the NumPy route's bits on pycauset's coordinates equal pycauset's C.
  Gate: median ratio >= 20.
* ``counts``: links and interval abundances N_0..N_3 of one N = 8,192 4-d sprinkling
  (``--counts-n``): pycauset's link matrix and ``interval_abundances(3)`` against
  NumPy's fastest route, float32 BLAS ``C @ C`` on the 0/1 matrix (exact: counts stay
  below 2^24), then ``L = C & (CC == 0)`` and a histogram of ``CC[C]``. Check: equal
  link matrices and equal N_0..N_3. Gate: median ratio >= 10.
* ``big``: N = 100,000 in 4-d end to end (``--big-n``), one child process: sprinkle
  (points) and causal matrix (``pc.sprinkle``, the points' share timed alone
  beforehand), relations, Myrheim-Meyer dimension, links, N_0..N_3, action, each
  stage's seconds and peak RssAnon (sampled every 5 ms) and VmHWM. Gate: total < 180 s.
* ``ooc``: sprinkle + C + relations + Myrheim-Meyer under a memory budget (default
  2 GiB, ``--budget``) at three sizes up to N = 300,000 (``--ooc-n``, the other two at
  1/2 and 3/4 of it, each past the budget), each in its own child with spill files in
  ``--dir``; seconds, peak RssAnon over the child's RssAnon before the work, and the
  spill file's allocated bytes (st_blocks) against its dense size; a power law fitted
  to the three times, and N^2 scaling from the largest (the work is O(N^2)),
  extrapolate N = 10^6. Check: the smallest size is also built in
  RAM (no budget) and both relation counts must agree, and every budgeted C must be a
  spill file. Gate: peak RssAnon <= 1.15 x budget.

Timing: ``build`` and ``counts`` alternate pycauset and NumPy in one process
(``--repeat`` pairs after one warm-up pair), native threading on both sides (NumPy's
BLAS threads for the product; the broadcasting route is single-threaded, as NumPy is).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _harness as h  # noqa: E402

NAME = "causets"
MiB = 1 << 20
GiB = 1 << 30
SEED = 20261206


def parse_size(text: str) -> int:
    units = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "kb": 10**3, "mb": 10**6, "gb": 10**9}
    t = text.strip().lower().replace(" ", "")
    num = t.rstrip("abcdefghijklmnopqrstuvwxyz")
    return int(float(num) * units[t[len(num):]])


# --------------------------------------------------------------------------- NumPy routes


def numpy_causal_packed(x: Any, block_bytes: int = 32 * MiB) -> Any:
    """Packed (N x ceil(N/8), little bit order) causal matrix of time-sorted points x (N x d).

    Blocks of rows against the columns from the block's first row on (the rest is zero),
    float64 in pycauset's order: s = 0 + a1*a1 + a2*a2 + ...; dt > 0 and dt*dt >= s.
    """
    import numpy as np

    n, d = x.shape
    out = np.zeros((n, (n + 7) // 8), dtype=np.uint8)
    cols = [np.ascontiguousarray(x[:, k]) for k in range(d)]
    rows_per_block = max(8, min(n, block_bytes // (8 * 4 * max(n, 1)) // 8 * 8))
    for r0 in range(0, n, rows_per_block):
        r1 = min(n, r0 + rows_per_block)
        c0 = r0 // 8 * 8
        dt = cols[0][None, c0:] - cols[0][r0:r1, None]
        s = np.zeros_like(dt)
        for k in range(1, d):
            a = cols[k][None, c0:] - cols[k][r0:r1, None]
            s += a * a
        rel = (dt > 0) & (dt * dt >= s)
        out[r0:r1, c0 // 8:] = np.packbits(rel, axis=1, bitorder="little")
    return out


def numpy_sprinkle_causal(region: Any, n: int, seed: int) -> tuple:
    import numpy as np

    rng = np.random.default_rng(seed)
    u = rng.random((n, region.uniforms_per_point))
    pts = region.from_uniforms(u).reshape(n, region.dim)
    pts = pts[np.argsort(pts[:, 0], kind="stable")]
    return pts, numpy_causal_packed(pts)


def numpy_counts(c: Any, kmax: int = 3) -> tuple:
    import numpy as np

    cf = c.astype(np.float32)
    cc = cf @ cf
    links = c & (cc == 0)
    sizes = cc[c]
    hist = np.bincount(sizes[sizes <= kmax].astype(np.int64), minlength=kmax + 1)
    return links, hist


# --------------------------------------------------------------------------- parts


def part_build(args: argparse.Namespace) -> dict:
    import numpy as np

    import pycauset as pc

    D = pc.spacetime.MinkowskiDiamond(dim=4)
    n = args.build_n

    def check_pc(cs: Any) -> Any:
        x = pc.to_numpy(cs.coordinates, allow_huge=True)
        want = numpy_causal_packed(x)
        got = np.packbits(pc.to_numpy(cs.causal_matrix, allow_huge=True), axis=1, bitorder="little")
        return None if np.array_equal(got, want) else "pycauset C differs from the NumPy route on its points"

    def check_np(out: Any) -> Any:
        pts, packed = out
        return None if packed.shape == (n, (n + 7) // 8) and np.all(np.diff(pts[:, 0]) >= 0) else "bad shape"

    checked = {"done": False}

    def check_once(cs: Any) -> Any:
        if checked["done"]:
            return None
        checked["done"] = True
        return check_pc(cs)

    comp = h.alternate(h.Side("pycauset", lambda: pc.sprinkle(D, n=n, seed=SEED), check_once),
                       h.Side("numpy", lambda: numpy_sprinkle_causal(D, n, SEED), check_np),
                       warmup=1, repeat=args.repeat)
    return comp.to_dict()


def part_counts(args: argparse.Namespace) -> dict:
    import numpy as np

    import pycauset as pc
    from pycauset import _core

    D = pc.spacetime.MinkowskiDiamond(dim=4)
    n = args.counts_n
    cs = pc.sprinkle(D, n=n, seed=SEED)
    C = cs.causal_matrix
    c = pc.to_numpy(C, allow_huge=True)
    want_links, want_hist = numpy_counts(c)

    def run_pc() -> tuple:
        return _core.link_matrix(C._h, False), np.asarray(_core.interval_abundances(C._h, 3))

    def check_pc(out: tuple) -> Any:
        links = pc.to_numpy(pc.Matrix._wrap(out[0]), allow_huge=True)
        if not np.array_equal(links, want_links):
            return "link matrix differs from NumPy's"
        if out[1].tolist() != want_hist.tolist():
            return f"N_0..N_3 {out[1].tolist()} != NumPy's {want_hist.tolist()}"
        return None

    def check_np(out: tuple) -> Any:
        return None if out[1].tolist() == want_hist.tolist() else "NumPy histogram changed"

    comp = h.alternate(h.Side("pycauset", run_pc, check_pc), h.Side("numpy", lambda: numpy_counts(c), check_np),
                       warmup=1, repeat=args.repeat)
    res = comp.to_dict()
    res["abundances"] = want_hist.tolist()
    res["relations"] = int(c.sum())
    return res


def _stage(name: str, fn: Any, stages: list) -> Any:
    gc.collect()
    peak = h.PeakRss()
    before = h.proc_status(("RssAnon",))["RssAnon"]
    peak.reset()
    with h.RssSampler() as s:
        t0 = time.perf_counter()
        out = fn()
        sec = time.perf_counter() - t0
    stages.append({"stage": name, "seconds": sec, "anon_before": before, "peak_anon": s.peak_anon,
                   "peak_anon_delta": s.peak_anon - before, "vmhwm": peak.peak()})
    return out


def _child_setup(pc: Any, args: argparse.Namespace, tag: str) -> Path:
    """Every CPU for pycauset, and spill files in a fresh run directory under --dir."""
    pc.set_num_threads(os.cpu_count() or 1)
    run_dir = Path(args.dir) / f"{tag}-{os.getpid()}"
    run_dir.mkdir(parents=True, exist_ok=True)
    pc.set_backing_dir(run_dir)
    return run_dir


def child_big(args: argparse.Namespace) -> dict:
    import numpy as np

    import pycauset as pc
    from pycauset import _random

    run_dir = _child_setup(pc, args, "big")
    D = pc.spacetime.MinkowskiDiamond(dim=4)
    n = args.big_n
    w = pc.sprinkle(D, n=256, seed=1)  # warm-up: thread pool, kernels
    w.interval_abundances(3)
    del w
    stages: list = []

    def points() -> Any:
        u = _random.uniforms(SEED, 0, n, D.uniforms_per_point)
        p = D.from_uniforms(u).reshape(n, D.dim)
        return p[np.argsort(p[:, 0], kind="stable")]

    _stage("sprinkle (points only, NumPy side of pc.sprinkle)", points, stages)
    cs = _stage("sprinkle + causal matrix (pc.sprinkle)", lambda: pc.sprinkle(D, n=n, seed=SEED), stages)
    rel = _stage("relations", lambda: cs.relations, stages)
    dim = _stage("Myrheim-Meyer dimension", lambda: cs.dimension("myrheim_meyer"), stages)
    links = _stage("links (link matrix + count)", lambda: cs.links, stages)
    ab = _stage("interval abundances N_0..N_3", lambda: cs.interval_abundances(3), stages)
    act = _stage("action (d = 4)", lambda: cs.action(), stages)
    total = sum(s["seconds"] for s in stages[1:])
    storage = cs.causal_matrix.storage.kind
    del cs
    gc.collect()
    shutil.rmtree(run_dir, ignore_errors=True)
    return {"n": n, "stages": stages, "total_seconds": total, "relations": rel, "dimension": dim, "links": links,
            "abundances": [int(v) for v in ab], "action": act,
            "check": links == ab[0], "storage": storage}


def child_ooc(args: argparse.Namespace) -> dict:
    import pycauset as pc

    run_dir = _child_setup(pc, args, "ooc")
    D = pc.spacetime.MinkowskiDiamond(dim=4)
    n = args.ooc_size
    w = pc.sprinkle(D, n=256, seed=1)
    w.relations
    del w
    gc.collect()
    if args.budget_bytes:
        pc.set_memory_limit(args.budget_bytes)
    base = h.proc_status(("RssAnon",))["RssAnon"]
    stages: list = []
    with h.RssSampler() as sampler:
        t0 = time.perf_counter()
        cs = _stage("sprinkle + causal matrix", lambda: pc.sprinkle(D, n=n, seed=SEED), stages)
        rel = _stage("relations", lambda: cs.relations, stages)
        dim = _stage("Myrheim-Meyer dimension", lambda: cs.dimension("myrheim_meyer"), stages)
        seconds = time.perf_counter() - t0
    words = (n + 63) // 64
    dense = n * words * 8
    allocated = None
    for root, _, files in os.walk(run_dir):
        for f in files:
            st = os.stat(os.path.join(root, f))
            if st.st_size >= dense:
                allocated = st.st_blocks * 512
    rec = {"n": n, "budget": args.budget_bytes, "seconds": seconds, "stages": stages,
           "peak_anon_delta": sampler.peak_anon - base, "anon_before": base, "relations": rel, "dimension": dim,
           "storage": cs.causal_matrix.storage.kind, "dense_bytes": dense, "allocated_bytes": allocated}
    del cs
    gc.collect()
    shutil.rmtree(run_dir, ignore_errors=True)
    return rec


def _child(args: argparse.Namespace, extra: list) -> dict:
    out = Path(args.dir) / f"child-{os.getpid()}-{time.time_ns()}.json"
    rc = h.run_child("benchmarks.causets", ["--dir", args.dir, "--out", str(out), *extra], h.native_env())
    if rc != 0:
        raise RuntimeError(f"child {extra} failed with {rc}")
    rec = json.loads(out.read_text())
    out.unlink()
    return rec


# --------------------------------------------------------------------------- main


def main(argv: list | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--part", choices=["build", "counts", "big", "ooc", "all"], default="all")
    p.add_argument("--build-n", type=int, default=None)
    p.add_argument("--counts-n", type=int, default=None)
    p.add_argument("--big-n", type=int, default=None)
    p.add_argument("--ooc-n", type=int, default=None)
    p.add_argument("--budget", default=None, help='out-of-core budget (default "2 GiB"; --quick "4 MiB")')
    p.add_argument("--repeat", type=int, default=None, help="timed pairs (default 3; --quick 1)")
    p.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/var/tmp"), "pycauset-causets"))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--what", choices=["big", "ooc"], help=argparse.SUPPRESS)
    p.add_argument("--ooc-size", type=int, help=argparse.SUPPRESS)
    p.add_argument("--budget-bytes", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    q = args.quick
    args.build_n = args.build_n or (2000 if q else 20000)
    args.counts_n = args.counts_n or (1024 if q else 8192)
    args.big_n = args.big_n or (4000 if q else 100000)
    args.ooc_n = args.ooc_n or (16000 if q else 300000)
    args.repeat = args.repeat or (1 if q else 3)
    budget = parse_size(args.budget or ("4 MiB" if q else "2 GiB"))
    Path(args.dir).mkdir(parents=True, exist_ok=True)

    if args.what:  # in a child
        rec = child_big(args) if args.what == "big" else child_ooc(args)
        with open(args.out, "w") as f:
            json.dump(rec, f, default=str)
        return 0

    parts = ["build", "counts", "big", "ooc"] if args.part == "all" else [args.part]
    results: dict = {"machine": h.machine_metadata(), "args": vars(args), "busy_note":
                     "timings taken on a machine shared with other work; ratios alternate the sides"}
    lines, verdicts = [], []
    if "build" in parts:
        r = part_build(args)
        results["build"] = r
        ok = r["check_ok"] and (r["ratio"]["median"] or 0) >= 20
        verdicts.append(ok)
        lines.append(h.markdown_table(
            ["part", "N", "pycauset s", "NumPy s", "ratio median (min-max)", "correct", "gate (>= 20x)"],
            [["sprinkle + C, 4-d diamond", args.build_n, f"{r['subject_seconds']['median']:.3f}",
              f"{r['baseline_seconds']['median']:.3f}",
              f"{r['ratio']['median']:.1f} ({r['ratio']['min']:.1f}-{r['ratio']['max']:.1f})",
              "yes" if r["check_ok"] else "NO", "" if q else ("PASS" if ok else "FAIL")]]))
    if "counts" in parts:
        r = part_counts(args)
        results["counts"] = r
        ok = r["check_ok"] and (r["ratio"]["median"] or 0) >= 10
        verdicts.append(ok)
        lines.append(h.markdown_table(
            ["part", "N", "pycauset s", "NumPy s", "ratio median (min-max)", "correct", "gate (>= 10x)"],
            [["links + N_0..N_3, 4-d diamond", args.counts_n, f"{r['subject_seconds']['median']:.3f}",
              f"{r['baseline_seconds']['median']:.3f}",
              f"{r['ratio']['median']:.1f} ({r['ratio']['min']:.1f}-{r['ratio']['max']:.1f})",
              "yes" if r["check_ok"] else "NO", "" if q else ("PASS" if ok else "FAIL")]]))
    if "big" in parts:
        r = _child(args, ["--what", "big", "--big-n", str(args.big_n)])
        results["big"] = r
        ok = r["check"] and r["total_seconds"] < 180
        verdicts.append(ok)
        rows = [[s["stage"], f"{s['seconds']:.2f}", h.fmt_mib(s["peak_anon"]), h.fmt_mib(s["vmhwm"])]
                for s in r["stages"]]
        rows.append(["total (without the points-only line)", f"{r['total_seconds']:.2f}", "", ""])
        lines.append(f"End to end, N = {r['n']} in 4-d (C in {r['storage']}): dimension {r['dimension']:.3f}, "
                     f"relations {r['relations']}, N_0..N_3 {r['abundances']}, action {r['action']:.1f}; "
                     + ("" if q else ("PASS" if ok else "FAIL")) + " (< 180 s)\n")
        lines.append(h.markdown_table(["stage", "seconds", "peak RssAnon MiB", "VmHWM MiB"], rows))
    if "ooc" in parts:
        sizes = [args.ooc_n // 2, args.ooc_n * 3 // 4, args.ooc_n]
        recs = [_child(args, ["--what", "ooc", "--ooc-size", str(n), "--budget-bytes", str(budget)]) for n in sizes]
        ram = _child(args, ["--what", "ooc", "--ooc-size", str(sizes[0]), "--budget-bytes", "0"])
        results["ooc"] = {"runs": recs, "ram_reference": ram}
        xs = [math.log(r["n"]) for r in recs]
        ys = [math.log(r["seconds"]) for r in recs]
        mx, my = sum(xs) / 3, sum(ys) / 3
        slope = sum((a - mx) * (b - my) for a, b in zip(xs, ys)) / sum((a - mx) ** 2 for a in xs)
        t_million = math.exp(my + slope * (math.log(1e6) - mx))
        # The build and the relation count are O(N^2) (half of C is written, then read):
        # the quadratic extrapolation from the largest size is the one to trust when the
        # fitted exponent is pulled off 2 by a busy machine or fixed costs at small N.
        t_quadratic = recs[-1]["seconds"] * (1e6 / recs[-1]["n"]) ** 2
        results["ooc"]["fit"] = {"exponent": slope, "extrapolated_seconds_1e6": t_million,
                                 "quadratic_from_largest_1e6": t_quadratic}
        correct = recs[0]["relations"] == ram["relations"] and all(r["storage"] == "spill" for r in recs)
        peak = max(r["peak_anon_delta"] for r in recs) / budget
        ok = correct and peak <= 1.15
        verdicts.append(ok)
        rows = [[r["n"], f"{r['seconds']:.1f}", r["storage"], f"{r['peak_anon_delta'] / budget:.3f}",
                 f"{(r['allocated_bytes'] or 0) / r['dense_bytes']:.2f}", f"{r['dimension']:.3f}"] for r in recs]
        lines.append(f"Out of core under {h.fmt_mib(budget)} MiB: time ~ N^{slope:.2f} (fit), N = 10^6 extrapolated "
                     f"{t_million:.0f} s by the fit, {t_quadratic:.0f} s as N^2 from the largest; relations at N = {sizes[0]} equal in RAM: {'yes' if correct else 'NO'}; "
                     + ("" if q else ("PASS" if ok else "FAIL")) + " (peak RssAnon <= 1.15 x budget)\n")
        lines.append(h.markdown_table(["N", "seconds", "C in", "peak RssAnon / budget", "spill allocated / dense",
                                       "Myrheim-Meyer d"], rows))
    table = "\n".join(lines)
    print(table)
    print("results:", h.write_json(NAME, results))
    h.write_text(NAME, table)
    if q:
        return 0
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
