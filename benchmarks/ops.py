"""Operations benchmark: matmul, fused elementwise expressions and bit matmul vs NumPy.

Run from the repository root::

    python -m benchmarks.ops            # the full run: gates, exit status 1 on FAIL
    python benchmarks/ops.py --quick    # CI smoke run: small sizes, never gates

Definition. Every regime runs
pycauset and NumPy side by side in one process, alternating (pycauset, NumPy, pycauset,
NumPy, ...), with uncounted warm-ups; every result, warm-ups included, is checked
(untimed) against a reference; ratio = t_numpy / t_pycauset per alternating pair, so
> 1 means pycauset is faster. A regime PASSes when all its checks passed and its
median ratio reaches the target.

* ``matmul float64 N``, N = 1024 and 2048: ``A @ B`` (pycauset Matrix) vs ``a @ b``
  (ndarray), standard-normal entries. Check: ``max|C - a @ b| <= N * eps * max|a| *
  max|b|`` (the a-priori bound of a length-N dot product; both sides use OpenBLAS dgemm,
  so in practice the results agree to the last bit or nearly). Target >= 0.95.
* ``fused A + 2*B - C, float64 4096x4096``: pycauset builds the lazy expression and
  calls ``.eval()`` (one fused pass; the check also asserts exactly one evaluation
  pass per call via ``pc._core.evaluate_calls()``) vs NumPy's eager ``a + 2*b - c``.
  Check: bitwise equality with NumPy's result (the same IEEE operations in the same
  order). Target >= 1.5.
* ``bit matmul C @ C, N = 8192``: C is strictly upper triangular (a causal-set-like
  matrix: ``np.triu(rand < 0.3, 1)``). pycauset: ``C @ C`` on the packed bit matrix
  (word-level AND + popcount; integer counts). NumPy has no bit matmul, so every
  honest route is measured, each on inputs prepared before timing (the conversion
  from bool is not counted against NumPy):
    - ``np.dot(cf32, cf32)`` with the 0/1 matrix as float32 (SGEMM; exact because
      every count is an integer < 2**24);
    - ``np.dot(cf64, cf64)`` as float64 (DGEMM; exact);
    - ``cu8 @ cu8`` with uint8 (NumPy's integer matmul has no BLAS and is very slow;
      it also wraps modulo 256). It is timed once at a smaller N (2048) and, when the
      N**3 extrapolation to the full N exceeds three minutes, reported as that
      extrapolation (marked as such) instead of being run.
  The gated ratio uses, per round, the fastest NumPy route of that round. Check:
  exact equality of every count with the float32 reference (which is itself checked
  against the float64 route); for uint8, equality modulo 256. Target >= 10.
* ``bit matmul, dense`` (informational, not gated): the same with a random bit matrix
  that is not triangular (density 0.3), for transparency -- pycauset skips all-zero
  words, which helps it on triangular input; dense input shows the raw kernel.

Threads: native. The run is a child interpreter started with the thread-count
variables removed (libraries' defaults); it sets ``pc.set_num_threads(os.cpu_count())``
and checks that pycauset's pool and its BLAS use that many threads; NumPy's OpenBLAS
uses its default (recorded from threadpoolctl). Run metadata from _harness.py, plus
the load average before and after every regime (the machines are shared: a busy
neighbour shows up there). Peak memory per side: kernel high-water mark during the
call minus the resident set before it (see _harness.py).

Output: tables on stdout, ``benchmarks/results/ops[-quick]-<timestamp>.json`` and a
``.md`` copy of the tables. Exit status: 0 all PASS (or --quick), 1 a target failed in a
full run, 2 the run crashed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

if __package__ in (None, ""):  # started as `python benchmarks/ops.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks import _harness as H  # noqa: E402
else:
    from . import _harness as H

NAME = "ops"
MODULE = "benchmarks.ops"
SEED = 20240601

TARGET_MATMUL = 0.95
TARGET_FUSED = 1.5
TARGET_BIT = 10.0
DENSITY = 0.3
UINT8_RUN_LIMIT_S = 180.0  # run cu8 @ cu8 at full N only if the estimate is below this

FULL = {"matmul": [1024, 2048], "fused": 4096, "bit": 8192, "bit_small": 2048}
QUICK = {"matmul": [256, 512], "fused": 1024, "bit": 1024, "bit_small": 256}


# =========================================================================== child side


def _loadavg() -> Optional[str]:
    return (H._read("/proc/loadavg") or "").strip() or None


def _matmul_regime(pc: Any, np: Any, n: int, args: argparse.Namespace, rng: Any) -> dict:
    a = rng.standard_normal((n, n))
    b = rng.standard_normal((n, n))
    A, B = pc.matrix(a), pc.matrix(b)
    ref = a @ b
    tol = n * np.finfo(np.float64).eps * np.abs(a).max() * np.abs(b).max()

    def close(got: Any) -> Optional[str]:
        if got.shape != ref.shape or got.dtype != np.float64:
            return f"shape/dtype {got.shape} {got.dtype}"
        err = float(np.abs(got - ref).max()) if got.size else 0.0
        return None if err <= tol else f"max |error| {err:.3e} > {tol:.3e}"

    def check_pc(o: Any) -> Optional[str]:
        if not isinstance(o, pc.Matrix) or o.dtype != pc.float64:
            return f"expected a float64 pycauset Matrix, got {type(o).__name__} {getattr(o, 'dtype', '')}"
        return close(pc.to_numpy(o, copy=False))

    H.log(f"  matmul float64 {n}x{n}")
    comp = H.alternate(H.Side("pycauset", lambda: A @ B, check_pc),
                       H.Side("numpy", lambda: a @ b, close),
                       warmup=args.warmup, repeat=args.repeat)
    out = comp.to_dict()
    out.update(pycauset_call="A @ B", baseline_call="a @ b", n=n, tolerance=tol,
               target=TARGET_MATMUL, gated=True)
    return out


def _fused_regime(pc: Any, np: Any, n: int, args: argparse.Namespace, rng: Any) -> dict:
    a, b, c = (rng.standard_normal((n, n)) for _ in range(3))
    A, B, C = pc.matrix(a), pc.matrix(b), pc.matrix(c)
    ref = a + 2 * b - c
    passes = pc._core.evaluate_calls

    def run_pc() -> Any:
        before = passes()
        E = (A + 2 * B - C).eval()
        return E, passes() - before

    def same(got: Any) -> Optional[str]:
        if got.shape != ref.shape or got.dtype != np.float64:
            return f"shape/dtype {got.shape} {got.dtype}"
        if not np.array_equal(got.view(np.uint64), ref.view(np.uint64)):
            bad = int(np.count_nonzero(got != ref))
            return f"{bad} elements differ from NumPy's bitwise"
        return None

    def check_pc(out: Any) -> Optional[str]:
        E, n_pass = out
        if n_pass != 1:
            return f"{n_pass} evaluation passes (expected exactly 1)"
        if not isinstance(E, pc.Matrix) or E.is_lazy:
            return "result is not an evaluated pycauset Matrix"
        return same(pc.to_numpy(E, copy=False))

    H.log(f"  fused A + 2*B - C float64 {n}x{n}")
    comp = H.alternate(H.Side("pycauset", run_pc, check_pc),
                       H.Side("numpy", lambda: a + 2 * b - c, same),
                       warmup=args.warmup, repeat=args.repeat)
    out = comp.to_dict()
    out.update(pycauset_call="(A + 2*B - C).eval()", baseline_call="a + 2*b - c", n=n,
               target=TARGET_FUSED, gated=True)
    return out


def _bits(np: Any, rng: Any, n: int, triangular: bool) -> Any:
    u = rng.random((n, n), dtype=np.float32) < DENSITY
    return np.triu(u, 1) if triangular else u


def _bit_regime(pc: Any, np: Any, n: int, triangular: bool, args: argparse.Namespace,
                rng: Any) -> dict:
    label = "triangular" if triangular else "dense"
    c = _bits(np, rng, n, triangular)
    C = pc.matrix(c)
    cf32 = c.astype(np.float32)
    cf64 = c.astype(np.float64)
    ref32 = np.dot(cf32, cf32)                 # exact: integer counts < 2**24
    ref64 = np.dot(cf64, cf64)
    if not np.array_equal(ref32, ref64):
        raise RuntimeError("float32 and float64 BLAS routes disagree on the counts")
    counts = ref64.astype(np.int64)
    del ref64
    max_count = int(counts.max()) if counts.size else 0

    seen_dtypes: set = set()

    def check_pc(o: Any) -> Optional[str]:
        if not isinstance(o, pc.Matrix) or o.dtype.kind not in "iu":
            return f"expected an integer pycauset Matrix, got {type(o).__name__} {getattr(o, 'dtype', '')}"
        seen_dtypes.add(o.dtype.name)
        got = pc.to_numpy(o, copy=False)
        if got.shape != counts.shape or not np.array_equal(got, counts):
            return "counts differ from NumPy's"
        return None

    def check_f32(o: Any) -> Optional[str]:
        return None if (o.dtype == np.float32 and np.array_equal(o, ref32)) else "float32 counts differ"

    def check_f64(o: Any) -> Optional[str]:
        return None if (o.dtype == np.float64 and np.array_equal(o, ref32)) else "float64 counts differ"

    H.log(f"  bit matmul C @ C {label} N={n}")
    warmup = min(args.warmup, 1)  # one warm-up round: a round of the BLAS routes takes seconds
    repeat = args.bit_repeat
    comps = H.alternate_many(
        H.Side("pycauset", lambda: C @ C, check_pc),
        [H.Side("numpy float32", lambda: np.dot(cf32, cf32), check_f32),
         H.Side("numpy float64", lambda: np.dot(cf64, cf64), check_f64)],
        warmup=warmup, repeat=repeat)
    routes = {"float32": comps[0].to_dict(), "float64": comps[1].to_dict()}
    pc_times = comps[0].subject_times
    best = [min(t32, t64) / tp for t32, t64, tp in
            zip(comps[0].baseline_times, comps[1].baseline_times, pc_times)]
    check_ok = comps[0].ok and comps[1].ok
    return {
        "label": label, "n": n, "density_before_triu": DENSITY, "triangular": triangular,
        "ones": int(c.sum()), "max_count": max_count,
        "pycauset_result_dtype": sorted(seen_dtypes),
        "pycauset_call": "C @ C (bit Matrix)",
        "routes": routes,
        "fastest_numpy_ratio": H.summarize(best) | {"all": best},
        "pycauset_seconds": H.summarize(pc_times) | {"all": pc_times},
        "check_ok": check_ok,
        "failures": comps[0].failures + comps[1].failures,
        "target": TARGET_BIT, "gated": triangular,
    }


def _uint8_route(pc: Any, np: Any, n_small: int, n_full: int, quick: bool, rng: Any) -> dict:
    """NumPy's uint8 integer matmul: timed once at n_small; extrapolated to n_full as
    N**3 unless it would finish within UINT8_RUN_LIMIT_S (then run once at n_full)."""
    import gc

    def once(n: int) -> dict:
        c = _bits(np, rng, n, True)
        cu8 = c.astype(np.uint8)
        C = pc.matrix(c)
        ref = np.dot(c.astype(np.float32), c.astype(np.float32)).astype(np.int64)
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            r = cu8 @ cu8
            t_u8 = time.perf_counter() - t0
            pc_t = []
            for _ in range(3):
                t0 = time.perf_counter()
                P = C @ C
                pc_t.append(time.perf_counter() - t0)
        finally:
            gc.enable()
        wraps_ok = bool(np.array_equal(r, (ref % 256).astype(np.uint8)))
        pc_ok = bool(np.array_equal(pc.to_numpy(P, copy=False), ref))
        return {"n": n, "numpy_uint8_seconds": t_u8, "pycauset_seconds_median_of_3": sorted(pc_t)[1],
                "max_count": int(ref.max()) if ref.size else 0,
                "uint8_equals_counts_mod_256": wraps_ok, "pycauset_check_ok": pc_ok}

    H.log(f"  bit matmul: NumPy uint8 route timed once at N={n_small}")
    small = once(n_small)
    estimate = small["numpy_uint8_seconds"] * (n_full / n_small) ** 3
    out = {"small": small, "estimate_full_seconds": estimate, "n_full": n_full,
           "extrapolated": True, "full": None}
    if not quick and estimate <= UINT8_RUN_LIMIT_S:
        H.log(f"  bit matmul: NumPy uint8 route at N={n_full} (estimate {estimate:.0f} s)")
        out["full"] = once(n_full)
        out["extrapolated"] = False
    return out


def child_main(args: argparse.Namespace) -> int:
    env_before_import = H.thread_env_snapshot()
    import numpy as np

    import pycauset as pc

    threads = os.cpu_count() or 1
    pc.set_num_threads(threads)
    if pc.get_num_threads() != threads or pc.blas_info()["num_threads"] != threads:
        raise SystemExit(f"pycauset did not take {threads} threads: "
                         f"{pc.get_num_threads()}, BLAS {pc.blas_info()}")
    meta = H.machine_metadata({"run": "native", "thread_env_at_start": env_before_import,
                               "pycauset_threads_set": threads})
    sizes = QUICK if args.quick else FULL
    if args.bit_n:
        sizes = dict(sizes, bit=args.bit_n)
    rng = np.random.default_rng(SEED)
    regimes: list = []

    def record(kind: str, name: str, fn: Any) -> None:
        load_before, cpu_before = _loadavg(), H.cpu_snapshot()
        H.log(f"[{name}]")
        res = fn()
        res.update(kind=kind, regime=name, loadavg_before=load_before, loadavg_after=_loadavg(),
                   cpu_load=H.cpu_load_between(cpu_before, H.cpu_snapshot()))
        regimes.append(res)

    for n in sizes["matmul"]:
        record("matmul", f"matmul float64 {n}x{n}", lambda n=n: _matmul_regime(pc, np, n, args, rng))
    nf = sizes["fused"]
    record("fused", f"fused A + 2*B - C float64 {nf}x{nf}", lambda: _fused_regime(pc, np, nf, args, rng))
    nb = sizes["bit"]
    record("bit", f"bit matmul C @ C, N={nb}, strictly upper triangular",
           lambda: _bit_regime(pc, np, nb, True, args, rng))
    load_before, cpu_before = _loadavg(), H.cpu_snapshot()
    uint8 = _uint8_route(pc, np, sizes["bit_small"], nb, args.quick, rng)
    uint8.update(loadavg_before=load_before, loadavg_after=_loadavg(),
                 cpu_load=H.cpu_load_between(cpu_before, H.cpu_snapshot()))
    if not args.no_dense:
        record("bit", f"bit matmul C @ C, N={nb}, dense random (informational)",
               lambda: _bit_regime(pc, np, nb, False, args, rng))
    meta["loadavg_end"] = _loadavg()
    payload = {"metadata": meta, "regimes": regimes, "uint8_route": uint8}
    with open(args._out, "w") as f:
        json.dump(payload, f, default=H._json_default)
    return 0


# =========================================================================== parent side


def _ms(s: Optional[float]) -> str:
    return H.fmt_ms(s)


def _time_cell(s: dict) -> str:
    return f"{_ms(s['median'])} ({_ms(s['min'])}–{_ms(s['max'])})"


def _ratio_cell(r: dict) -> str:
    return f"{H.fmt_ratio(r['median'])} ({H.fmt_ratio(r['min'])}–{H.fmt_ratio(r['max'])})"


def _verdict(reg: dict) -> tuple:
    """(passes, reasons) against the regime's target."""
    reasons = []
    if reg["kind"] == "bit":
        ratio = reg["fastest_numpy_ratio"]
    else:
        ratio = reg["ratio"]
    if not reg["check_ok"]:
        reasons.append(f"wrong result ({reg['failures'][0]['side']}: {reg['failures'][0]['message']})")
    if ratio["median"] is None or ratio["median"] < reg["target"]:
        reasons.append(f"median ratio {H.fmt_ratio(ratio['median'])} < {reg['target']}")
    return not reasons, reasons


def _gate_table(run: dict, gated: bool) -> str:
    headers = ["regime", "pycauset ms med (min–max)", "NumPy ms med (min–max)", "NumPy route",
               "ratio med (min–max)", "target", "peak +MiB pc/np", "check",
               "verdict" if gated else "criteria"]
    rows = []
    for reg in run["regimes"]:
        if reg["kind"] == "bit":
            fastest = min(reg["routes"].items(), key=lambda kv: kv[1]["baseline_seconds"]["median"])
            route_name, route = fastest
            np_cell = _time_cell(route["baseline_seconds"])
            pc_cell = _time_cell(reg["pycauset_seconds"])
            ratio = reg["fastest_numpy_ratio"]
            mem = (f"{H.fmt_mib(route['subject_rss']['max_peak_delta_bytes'])}/"
                   f"{H.fmt_mib(route['baseline_rss']['max_peak_delta_bytes'])}")
            route_label = f"fastest per round (median: np.dot {route_name})"
        else:
            np_cell = _time_cell(reg["baseline_seconds"])
            pc_cell = _time_cell(reg["subject_seconds"])
            ratio = reg["ratio"]
            mem = (f"{H.fmt_mib(reg['subject_rss']['max_peak_delta_bytes'])}/"
                   f"{H.fmt_mib(reg['baseline_rss']['max_peak_delta_bytes'])}")
            route_label = reg["baseline_call"]
        ok, _ = _verdict(reg)
        if reg["gated"]:
            word = ("PASS" if ok else "FAIL") if gated else ("meets" if ok else "below")
        else:
            word = "info (meets)" if ok else "info (below)"
        rows.append([reg["regime"], pc_cell, np_cell, route_label, _ratio_cell(ratio),
                     f">= {reg['target']}", mem, "ok" if reg["check_ok"] else "WRONG", word])
    return H.markdown_table(headers, rows, "lrrlrrrll")


def _bit_table(run: dict) -> str:
    headers = ["N, matrix", "route", "time ms med (min–max)", "pycauset ms med",
               "ratio med (min–max)", "check", "note"]
    rows = []
    for reg in run["regimes"]:
        if reg["kind"] != "bit":
            continue
        what = f"{reg['n']}, {reg['label']} ({reg['ones']:,} ones, max count {reg['max_count']})"
        for name, route in reg["routes"].items():
            call = f"np.dot(c{'f32' if name == 'float32' else 'f64'}, ...)"
            rows.append([what, f"NumPy {name} BLAS {call}", _time_cell(route["baseline_seconds"]),
                         _ms(route["subject_seconds"]["median"]), _ratio_cell(route["ratio"]),
                         "ok" if route["check_ok"] else "WRONG", "exact (integer counts)"])
    u = run.get("uint8_route")
    if u:
        s = u["small"]
        rows.append([f"{s['n']}, triangular", "NumPy uint8 cu8 @ cu8 (timed once)",
                     _ms(s["numpy_uint8_seconds"]), _ms(s["pycauset_seconds_median_of_3"]),
                     H.fmt_ratio(s["numpy_uint8_seconds"] / s["pycauset_seconds_median_of_3"]),
                     "ok" if (s["uint8_equals_counts_mod_256"] and s["pycauset_check_ok"]) else "WRONG",
                     "uint8 wraps: equals the counts mod 256 only"])
        tri = next((r for r in run["regimes"] if r["kind"] == "bit" and r["triangular"]), None)
        pc_med = tri["pycauset_seconds"]["median"] if tri else None
        if u["extrapolated"]:
            est = u["estimate_full_seconds"]
            why = ("quick mode" if est <= UINT8_RUN_LIMIT_S else
                   f"N^3 scaling of the N={s['n']} time gives ~{est / 60:.1f} min")
            rows.append([f"{u['n_full']}, triangular", "NumPy uint8 cu8 @ cu8 (EXTRAPOLATED)",
                         f"~{est * 1e3:,.0f} (est.)", _ms(pc_med),
                         f"~{H.fmt_ratio(est / pc_med)}" if pc_med else "n/a", "n/a",
                         f"not run: {why}"])
        elif u["full"]:
            f = u["full"]
            rows.append([f"{f['n']}, triangular", "NumPy uint8 cu8 @ cu8 (timed once)",
                         _ms(f["numpy_uint8_seconds"]), _ms(pc_med),
                         H.fmt_ratio(f["numpy_uint8_seconds"] / pc_med) if pc_med else "n/a",
                         "ok" if f["uint8_equals_counts_mod_256"] else "WRONG",
                         "uint8 wraps: equals the counts mod 256 only"])
    return H.markdown_table(headers, rows, "llrrrll")


def _header(run: dict) -> str:
    m = run["metadata"]
    cpu, pcm = m["cpu"], m["pycauset"]
    np_blas = m["numpy"].get("blas") or {}
    np_blas_s = (f"{np_blas.get('name')} {np_blas.get('version')}" if isinstance(np_blas, dict)
                 else str(np_blas))
    tp = m.get("threadpoolctl") or []
    pools = ", ".join(f"{p.get('internal_api')}:{p.get('num_threads')} ({Path(p.get('filepath', '')).name})"
                      for p in tp) or "n/a"
    return (f"CPU {cpu['model']} ({cpu['logical_cpus']} logical CPUs, affinity "
            f"{cpu['cpus_in_affinity_mask']}), RAM {m['memory'].get('MemTotal', 0) / 2**30:.1f} GiB, "
            f"{m['os']['pretty_name']} kernel {m['os']['kernel']}, Python {m['python']['version']}, "
            f"NumPy {m['numpy']['version']} (BLAS {np_blas_s}), pycauset {pcm['version']} "
            f"({pcm['build'].get('CMAKE_BUILD_TYPE', '?')}, kernels {pcm['blas'].get('kernels')}), "
            f"pycauset threads {pcm['num_threads']}, pycauset BLAS {pcm['blas'].get('config')} "
            f"threads {pcm['blas']['num_threads']}; thread pools seen by threadpoolctl: {pools}; "
            f"THP {m['transparent_hugepage']['enabled']}; thread env {m['thread_env']}; "
            f"loadavg start {m['loadavg']} / end {m.get('loadavg_end')}")


def _load_row(name: str, r: dict) -> list:
    c = r.get("cpu_load") or {}

    def f(x: Any) -> str:
        return "n/a" if x is None else f"{x:.2f}"

    return [name, f"{c.get('wall_s', 0):.1f}", f(c.get("self_busy_cpus")), f(c.get("other_busy_cpus")),
            f(c.get("steal_cpus")), r.get("loadavg_before"), r.get("loadavg_after")]


def _load_table(run: dict) -> str:
    rows = [_load_row(r["regime"], r) for r in run["regimes"]]
    u = run.get("uint8_route")
    if u:
        rows.append(_load_row("uint8 route (N small, once)", u))
    return H.markdown_table(["regime", "wall s", "this run: busy CPUs", "other processes: busy CPUs",
                             "steal CPUs", "loadavg before", "loadavg after"], rows, "lrrrrll")


def render(run: dict, gated: bool, args: argparse.Namespace) -> str:
    lines = []
    mode = "quick smoke run (not gated)" if args.quick else "full run (gated)"
    lines.append(f"# Operations benchmark — {mode}")
    lines.append("")
    lines.append(f"ratio = t_numpy / t_pycauset per alternating pair (> 1: pycauset faster); "
                 f"{args.repeat} timed pairs after {args.warmup} warm-ups "
                 f"({args.bit_repeat} timed rounds after {min(args.warmup, 1)} warm-up for the bit "
                 f"products, each round pycauset, NumPy float32, NumPy float64); native threads.")
    lines.append("")
    lines.append(_header(run))
    lines.append("")
    lines.append(_gate_table(run, gated))
    lines.append("")
    lines.append("peak +MiB: VmHWM during the call minus VmRSS just before it (max over timed runs). "
                 "Bit matmul inputs are prepared before timing on both sides (bit Matrix for "
                 "pycauset; float32/float64/uint8 0/1 arrays for NumPy).")
    lines.append("")
    lines.append("## Bit matmul: every NumPy route")
    lines.append("")
    lines.append(_bit_table(run))
    lines.append("")
    lines.append("## Machine load during each regime (shared machine: concurrent work shows here)")
    lines.append("")
    lines.append("busy CPUs = CPU seconds / wall seconds over the regime, from /proc/stat (all "
                 "processes) and os.times (this run); 'other processes' > ~0.1 means a neighbour "
                 "competed for the 2 cores and the timings are noisier than usual.")
    lines.append("")
    lines.append(_load_table(run))
    return "\n".join(lines)


def parent_main(args: argparse.Namespace, argv: list) -> int:
    ts = H.utc_timestamp()
    original_env = H.thread_env_snapshot()
    env = H.native_env()
    run = None
    with tempfile.TemporaryDirectory(prefix="pycauset-bench-") as tmp:
        out = Path(tmp) / "native.json"
        H.log(f"== native-threads run: child interpreter, thread env {H.thread_env_snapshot(env)}")
        rc = H.run_child(MODULE, [*argv, "--_child", "--_out", str(out)], env)
        if rc == 0 and out.is_file():
            run = json.loads(out.read_text())
        else:
            H.log(f"!! run failed with exit status {rc}")
    if run is None:
        print("# Operations benchmark — ERROR: the benchmark child failed")
        return 2
    gated = not args.quick
    text = render(run, gated, args)
    verdicts = {}
    for reg in run["regimes"]:
        ok, reasons = _verdict(reg)
        verdicts[reg["regime"]] = {"pass": ok, "reasons": reasons, "gated": reg["gated"]}
    failed = [name for name, v in verdicts.items() if v["gated"] and not v["pass"]]
    summary = ["", "## Verdicts", ""]
    for name, v in verdicts.items():
        if v["gated"]:
            word = ("PASS" if v["pass"] else "FAIL") if gated else \
                ("meets target" if v["pass"] else "below target")
        else:
            word = "informational"
        summary.append(f"- {word}: {name}" + ("" if v["pass"] else "  -- " + "; ".join(v["reasons"])))
    overall = ("NOT GATED (quick)" if not gated else ("PASS" if not failed else "FAIL"))
    summary.append("")
    summary.append(f"overall: {overall}" + (f" (failing: {', '.join(failed)})" if failed else ""))
    text += "\n" + "\n".join(summary)
    name = NAME + ("-quick" if args.quick else "")
    path = H.write_json(name, {
        "benchmark": NAME, "mode": "quick" if args.quick else "full", "argv": argv,
        "targets": {"matmul": TARGET_MATMUL, "fused": TARGET_FUSED, "bit": TARGET_BIT},
        "ratio": "t_numpy / t_pycauset per alternating pair",
        "warmup": args.warmup, "repeat": args.repeat, "bit_repeat": args.bit_repeat,
        "thread_env_of_invoking_process": original_env,
        "verdicts": verdicts, "overall": overall, "run": run,
    }, ts)
    md = H.write_text(name, text + "\n", ts, suffix=".md")
    print(text)
    print(f"\nresults: {path.relative_to(H.REPO_ROOT)} (tables: {md.relative_to(H.REPO_ROOT)})")
    if gated and failed:
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.ops", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="small sizes, 1 warm-up, 3 repeats, never gates (CI smoke run)")
    p.add_argument("--repeat", type=int, default=None, help="timed pairs (default 7; quick 3)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up pairs (default 2; quick 1)")
    p.add_argument("--bit-repeat", type=int, default=None,
                   help="timed rounds for the large bit products (default 3; quick 3)")
    p.add_argument("--bit-n", type=int, default=None, help="override N of the bit products")
    p.add_argument("--no-dense", action="store_true", help="skip the dense bit matrix regime")
    p.add_argument("--_child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--_out", help=argparse.SUPPRESS)
    return p


def main(argv: Optional[list] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    H.default_counts(args)
    if args.bit_repeat is None:
        args.bit_repeat = 3
    if args.bit_repeat < 1:
        raise SystemExit("--bit-repeat must be >= 1")
    if args._child:
        return child_main(args)
    return parent_main(args, argv)


if __name__ == "__main__":
    sys.exit(main())
