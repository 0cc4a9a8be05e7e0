"""Fields on causal sets: the Pauli-Jordan spectrum and the massive retarded propagator,
pycauset against NumPy (and SciPy when it is importable), side by side.

Run from the repository root::

    python -m benchmarks.fields                 # full run: gated targets, exit 1 on FAIL
    python benchmarks/fields.py --quick         # CI smoke run: small sizes, never gates
    python -m benchmarks.fields --part spectrum # one part only (spectrum, propagator, ooc)

Definition:

* Input: ``cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=N, seed=SEED)``.
* ``spectrum`` (N = 8,000): the eigenvalues of i Delta, ``Delta = cs.pauli_jordan()``.
  pycauset: ``pc.linalg.eigh_antisymmetric(D)`` (the real route behind
  ``cs.pauli_jordan_spectrum()``), D the pycauset Matrix; baseline:
  ``numpy.linalg.eigvalsh(1j * d)``, d the same matrix as a NumPy array. Each call runs in
  its own fresh child interpreter, the children alternate (pycauset, NumPy, pycauset, ...),
  and each child builds its input first and then measures its call: wall time, the peak
  resident memory *above the input* (VmHWM reset through /proc/self/clear_refs just before
  the call, minus VmRSS then) and the peak RssAnon above RssAnon before the call (sampled
  every 5 ms). Check: the two spectra agree to ``1e-9 * max|lambda|`` and pycauset's is
  exactly paired (``w + w[::-1] == 0``). Targets: median time ratio t_numpy / t_pycauset
  >= 3, and pycauset's peak above the input <= 0.5 x NumPy's.
* ``propagator`` (N = 10,000, m = 3): ``cs.retarded_propagator(mass=m)`` against the best
  NumPy-stack route from the NumPy causal matrix c: ``k0 = 0.5 * c.T``,
  ``K_m = solve_triangular(I + a k0, k0, lower=True, unit_diagonal=True)`` with
  ``a = m**2 / rho`` (K_0 and (I + a K_0)^-1 commute, so this is K_0 (I + a K_0)^-1) when
  SciPy is importable, else ``k0 @ numpy.linalg.inv(I + a k0)``; the run records which. Both
  sides alternate in one process (H.alternate). Check: the results agree to
  ``1e-10 * max|K_m|``. Target: median ratio >= 1.5.
* ``ooc`` (N = 30,000, budget 2 GiB): ``cs.retarded_propagator(mass=m)`` with
  ``pc.set_memory_limit(budget)`` and the backing directory under ``--dir`` (default
  /work/bench-tmp/fields when it exists, else $TMPDIR), deleted afterwards. Reported: seconds,
  GFLOP/s counting the triangular inverse's n^3/3 flops over the whole call, against the
  in-RAM ``pc.linalg.inv_triangular`` of a unit lower-triangular ``I + a K_0`` at
  ``--ram-n`` (default 10,000) in the same process before the budget is set; peak RssAnon
  (sampled). Check: three diagonal blocks of K_m (leading, middle across the tile
  boundaries, trailing; a diagonal block of a triangular inverse is the inverse of the
  block) against NumPy/SciPy on the same blocks. Targets: GFLOP/s >= 70 % of the in-RAM
  speed, peak RssAnon <= 1.15 x budget + the RssAnon before the call.
* Threads: native (every library's own default; pycauset ``set_num_threads(cpu_count)``).

Results: benchmarks/results/fields-<timestamp>.json and .md; the tables are printed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

if __package__ in (None, ""):  # started as `python benchmarks/fields.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks import _harness as H  # noqa: E402
else:
    from . import _harness as H

NAME = "fields"
MODULE = "benchmarks.fields"
SEED = 20261206
MASS = 3.0
GIB = 1 << 30

FULL = {"spectrum_n": 8000, "prop_n": 10_000, "ooc_n": 30_000, "budget": 2 * GIB, "ram_n": 10_000}
QUICK = {"spectrum_n": 400, "prop_n": 600, "ooc_n": 1500, "budget": 8 << 20, "ram_n": 600}
TARGETS = {"spectrum_speed": 3.0, "spectrum_memory": 0.5, "propagator": 1.5, "ooc_speed": 0.70,
           "ooc_anon": 1.15}


def _causet(pc: Any, n: int) -> Any:
    return pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=n, seed=SEED)


def _threads(pc: Any) -> int:
    threads = os.cpu_count() or 1
    pc.set_num_threads(threads)
    return threads


def _have_scipy() -> bool:
    try:
        import scipy.linalg  # noqa: F401
    except ImportError:
        return False
    return True


def _numpy_propagator(np: Any, c: Any, a: float) -> Any:
    """K_m = K_0 (I + a K_0)^-1 from the NumPy causal matrix c, the best NumPy-stack route."""
    k0 = c.T.astype(np.float64)
    k0 *= 0.5
    m = k0 * a
    m[np.diag_indices_from(m)] = 1.0
    if _have_scipy():
        from scipy.linalg import solve_triangular

        return solve_triangular(m, k0, lower=True, unit_diagonal=True, check_finite=False)
    return k0 @ np.linalg.inv(m)


# =========================================================================== children


def child_spectrum(args: argparse.Namespace) -> int:
    """One side of the spectrum comparison, in a fresh interpreter: input, then the timed call."""
    import numpy as np

    import pycauset as pc

    threads = _threads(pc)
    cs = _causet(pc, args.n)
    D = cs.pauli_jordan()
    if args._side == "numpy":
        d = pc.to_numpy(D)
        del D, cs
        run = lambda: np.linalg.eigvalsh(1j * d)  # noqa: E731
    else:
        del cs
        run = lambda: np.asarray(pc.linalg.eigh_antisymmetric(D))  # noqa: E731
    gc.collect()
    peak = H.PeakRss()
    before = H.proc_status(("VmRSS", "RssAnon"))
    peak.reset()
    with H.RssSampler() as sampler:
        c0 = os.times()
        t0 = time.perf_counter()
        w = run()
        t1 = time.perf_counter()
        c1 = os.times()
    hwm = peak.peak()
    np.save(args._out + ".npy", np.asarray(w, dtype=np.float64))
    rec = {"side": args._side, "n": args.n, "seconds": t1 - t0, "threads": threads,
           "cpu_seconds": (c1.user - c0.user) + (c1.system - c0.system),
           "rss_before": before.get("VmRSS"), "anon_before": before.get("RssAnon"),
           "peak": hwm, "peak_delta": None if hwm is None else hwm - before["VmRSS"],
           "peak_anon": sampler.peak_anon, "peak_anon_delta": sampler.peak_anon - before["RssAnon"],
           "rss_method": peak.method, "loadavg": (H._read("/proc/loadavg") or "").strip()}
    if args._meta:
        rec["metadata"] = H.machine_metadata({"run": "native", "pycauset_threads_set": threads})
    Path(args._out).write_text(json.dumps(rec, default=H._json_default))
    return 0


def child_propagator(args: argparse.Namespace) -> int:
    """In-RAM massive propagator, pycauset and the NumPy/SciPy route alternating in this process."""
    import numpy as np

    import pycauset as pc

    _threads(pc)
    cs = _causet(pc, args.n)
    c = pc.to_numpy(cs.causal_matrix)
    a = MASS * MASS / float(cs.density)
    ref = _numpy_propagator(np, c, a)
    scale = float(np.max(np.abs(ref)))

    def check_pc(out: Any) -> Optional[str]:
        diff = float(np.max(np.abs(pc.to_numpy(out) - ref)))
        return None if diff <= 1e-10 * scale else f"pycauset differs from the reference by {diff:.3g}"

    def check_np(out: Any) -> Optional[str]:
        diff = float(np.max(np.abs(out - ref)))
        return None if diff <= 1e-10 * scale else f"baseline differs from the reference by {diff:.3g}"

    pc_side = H.Side("pycauset", lambda: cs.retarded_propagator(mass=MASS), check_pc)
    np_side = H.Side("scipy" if _have_scipy() else "numpy", lambda: _numpy_propagator(np, c, a), check_np)
    comp = H.alternate(pc_side, np_side, warmup=args.warmup, repeat=args.repeat)
    out = comp.to_dict()
    out.update(n=args.n, mass=MASS, a=a, flops_trtri=args.n ** 3 / 3.0,
               baseline_route=("scipy.linalg.solve_triangular(I + a k0, k0, lower=True, unit_diagonal=True)"
                               if _have_scipy() else "k0 @ numpy.linalg.inv(I + a k0)"),
               loadavg_end=(H._read("/proc/loadavg") or "").strip())
    Path(args._out).write_text(json.dumps(out, default=H._json_default))
    return 0


def _block_check(np: Any, pc: Any, K: Any, c: Any, a: float, s: int, e: int) -> float:
    """max |K_m[s:e, s:e] - reference| / max |reference| on a diagonal block."""
    ref = _numpy_propagator(np, np.ascontiguousarray(c[s:e, s:e]), a)
    got = pc.to_numpy(K[s:e, s:e], allow_huge=True)
    return float(np.max(np.abs(got - ref)) / max(float(np.max(np.abs(ref))), 1e-300))


def child_ooc(args: argparse.Namespace) -> int:
    """Out-of-core massive propagator under a budget, and the in-RAM trtri speed before it."""
    import numpy as np

    import pycauset as pc

    _threads(pc)
    # In-RAM reference speed: trtri of a unit lower-triangular I + a K_0 that fits in RAM.
    small = _causet(pc, args.ram_n)
    a_small = MASS * MASS / float(small.density)
    m_small = (small.retarded_propagator() * a_small).eval()
    times = []
    for _ in range(args.ram_repeat):
        t0 = time.perf_counter()
        g = pc.linalg.inv_triangular(m_small, lower=True, unit_diagonal=True)
        times.append(time.perf_counter() - t0)
        del g
    del m_small, small
    gc.collect()
    ram_s = sorted(times)[len(times) // 2]
    ram_gflops = args.ram_n ** 3 / 3.0 / ram_s / 1e9

    run_dir = Path(args.dir) / f"run-{os.getpid()}"
    run_dir.mkdir(parents=True, exist_ok=False)
    try:
        pc.set_memory_limit(args.budget)
        pc.set_backing_dir(run_dir)
        cs = _causet(pc, args.n)
        cs.causal_matrix  # built before the clock starts: the input
        a = MASS * MASS / float(cs.density)
        gc.collect()
        anon_before = H.proc_status(("RssAnon",))["RssAnon"]
        with H.RssSampler() as sampler:
            t0 = time.perf_counter()
            K = cs.retarded_propagator(mass=MASS)
            t1 = time.perf_counter()
        seconds = t1 - t0
        H.log(f"[ooc] N={args.n}: {seconds:.1f} s, peak RssAnon {H.fmt_mib(sampler.peak_anon)} MiB "
              f"(start {H.fmt_mib(anon_before)} MiB); in-RAM trtri {ram_gflops:.1f} GFLOP/s at "
              f"N={args.ram_n}; checking blocks")
        c = pc.to_numpy(cs.causal_matrix, allow_huge=True)
        n = args.n
        b = min(3000, max(n // 10, 2))
        blocks = [(0, b), (n // 2 - b // 2, n // 2 - b // 2 + b), (n - b, n)]
        errors = [_block_check(np, pc, K, c, a, s, e) for s, e in blocks]
        storage = {"in_ram": getattr(K, "in_ram", None)}
        del K, c, cs
        gc.collect()
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    out = {"n": args.n, "budget": args.budget, "mass": MASS, "seconds": seconds,
           "gflops": n ** 3 / 3.0 / seconds / 1e9, "ram_n": args.ram_n, "ram_seconds": times,
           "ram_gflops": ram_gflops, "anon_before": anon_before, "peak_anon": sampler.peak_anon,
           "peak_anon_delta": sampler.peak_anon - anon_before, "peak_rss": sampler.peak_rss,
           "anon_samples": sampler.samples, "check_blocks": blocks, "check_rel_errors": errors,
           "check_ok": all(e <= 1e-10 for e in errors), "storage": storage, "run_dir": str(run_dir),
           "loadavg_end": (H._read("/proc/loadavg") or "").strip()}
    Path(args._out).write_text(json.dumps(out, default=H._json_default))
    return 0


# =========================================================================== parent


def _child(args: argparse.Namespace, kind: str, out: Path, extra: list) -> Optional[dict]:
    argv = ["--_child", kind, "--_out", str(out), *extra]
    if args.quick:
        argv.append("--quick")
    rc = H.run_child(MODULE, argv, H.native_env())
    if rc != 0 or not out.is_file():
        H.log(f"!! {kind} child failed with exit status {rc}")
        return None
    return json.loads(out.read_text())


def part_spectrum(args: argparse.Namespace, tmp: Path) -> dict:
    import statistics

    import numpy as np

    n = args.spectrum_n
    runs: dict = {"pycauset": [], "numpy": []}
    ratios, failures = [], []
    meta = None
    for i in range(args.spectrum_repeat):
        spectra = {}
        for side in ("pycauset", "numpy"):
            out = tmp / f"spec-{side}-{i}.json"
            H.log(f"[spectrum] N={n} pair {i + 1}/{args.spectrum_repeat}: {side} (own child)")
            rec = _child(args, "spectrum", out,
                         ["--n", str(n), "--_side", side] + (["--_meta"] if meta is None else []))
            if rec is None:
                failures.append(f"{side} child failed")
                continue
            meta = meta or rec.pop("metadata", None)
            spectra[side] = np.load(str(out) + ".npy")
            runs[side].append(rec)
        if len(spectra) == 2:
            w, wn = spectra["pycauset"], spectra["numpy"]
            scale = float(np.max(np.abs(wn)))
            diff = float(np.max(np.abs(w - wn)))
            if not diff <= 1e-9 * scale:
                failures.append(f"pair {i}: spectra differ by {diff:.3g} (max |lambda| {scale:.3g})")
            if not np.array_equal(w + w[::-1], np.zeros_like(w)):
                failures.append(f"pair {i}: pycauset's spectrum is not exactly paired")
            runs.setdefault("max_abs_diff", []).append(diff)
            runs.setdefault("max_abs_lambda", []).append(scale)
            ratios.append(runs["numpy"][-1]["seconds"] / runs["pycauset"][-1]["seconds"])
    mem = {s: max((r["peak_delta"] or 0) for r in runs[s]) if runs[s] else None for s in ("pycauset", "numpy")}
    anon = {s: max(r["peak_anon_delta"] for r in runs[s]) if runs[s] else None for s in ("pycauset", "numpy")}
    r_med = statistics.median(ratios) if ratios else None
    mem_ratio = mem["pycauset"] / mem["numpy"] if mem["pycauset"] and mem["numpy"] else None
    reasons = list(failures)
    if r_med is None or r_med < TARGETS["spectrum_speed"]:
        reasons.append(f"median time ratio {H.fmt_ratio(r_med)} < {TARGETS['spectrum_speed']}")
    if mem_ratio is None or mem_ratio > TARGETS["spectrum_memory"]:
        reasons.append(f"peak memory ratio {H.fmt_ratio(mem_ratio)} > {TARGETS['spectrum_memory']}")
    return {"n": n, "runs": runs, "ratios": ratios, "ratio": H.summarize(ratios),
            "peak_delta_max": mem, "peak_anon_delta_max": anon, "memory_ratio": mem_ratio,
            "metadata": meta, "pass": not reasons, "reasons": reasons}


def part_propagator(args: argparse.Namespace, tmp: Path) -> dict:
    out = tmp / "prop.json"
    H.log(f"[propagator] N={args.prop_n}: pycauset / baseline alternating in one child")
    rec = _child(args, "propagator", out, ["--n", str(args.prop_n), "--repeat", str(args.repeat),
                                           "--warmup", str(args.warmup)])
    if rec is None:
        return {"pass": False, "reasons": ["child failed"]}
    reasons = []
    if not rec["check_ok"]:
        reasons.append(f"wrong result: {rec['failures'][0]}")
    r = rec["ratio"]["median"]
    if r is None or r < TARGETS["propagator"]:
        reasons.append(f"median ratio {H.fmt_ratio(r)} < {TARGETS['propagator']}")
    rec.update({"pass": not reasons, "reasons": reasons})
    return rec


def part_ooc(args: argparse.Namespace, tmp: Path) -> dict:
    out = tmp / "ooc.json"
    H.log(f"[ooc] N={args.ooc_n} under {args.budget} bytes in {args.dir}")
    rec = _child(args, "ooc", out, ["--n", str(args.ooc_n), "--budget", str(args.budget),
                                    "--ram-n", str(args.ram_n), "--dir", str(args.dir)])
    if rec is None:
        return {"pass": False, "reasons": ["child failed"]}
    reasons = []
    if not rec["check_ok"]:
        reasons.append(f"wrong result: block errors {rec['check_rel_errors']}")
    frac = rec["gflops"] / rec["ram_gflops"]
    rec["fraction_of_ram"] = frac
    if frac < TARGETS["ooc_speed"]:
        reasons.append(f"{frac:.0%} of the in-RAM trtri speed < {TARGETS['ooc_speed']:.0%}")
    if rec["peak_anon_delta"] > TARGETS["ooc_anon"] * rec["budget"]:
        reasons.append(f"peak RssAnon above the start {H.fmt_mib(rec['peak_anon_delta'])} MiB > "
                       f"{TARGETS['ooc_anon']} x budget")
    rec.update({"pass": not reasons, "reasons": reasons})
    return rec


def _tables(res: dict) -> str:
    lines = []
    if "spectrum" in res:
        s = res["spectrum"]
        rows = []
        for side in ("pycauset", "numpy"):
            for i, r in enumerate(s["runs"][side]):
                cpu = r.get("cpu_seconds")
                rows.append([side, i + 1, f"{r['seconds']:.2f}", "n/a" if cpu is None else f"{cpu:.1f}",
                             H.fmt_mib(r["peak_delta"]),
                             H.fmt_mib(r["peak_anon_delta"]), H.fmt_mib(r["rss_before"]), r["loadavg"]])
        lines += [f"### Spectrum of i Delta, N = {s['n']} (each call in its own child, alternating)", "",
                  H.markdown_table(["side", "run", "seconds", "CPU s", "peak +MiB (VmHWM)", "peak +MiB RssAnon",
                                    "input RSS MiB", "loadavg after"], rows, "lrrrrrrl"), "",
                  f"time ratio t_numpy / t_pycauset: median {H.fmt_ratio(s['ratio']['median'])} "
                  f"(min {H.fmt_ratio(s['ratio']['min'])}, max {H.fmt_ratio(s['ratio']['max'])}, "
                  f"{s['ratio']['n']} pairs); memory ratio pycauset / NumPy (peak above the input): "
                  f"{H.fmt_ratio(s['memory_ratio'])}; max |w_pc - w_np| {s['runs'].get('max_abs_diff')}", ""]
    if "propagator" in res and "ratio" in res["propagator"]:
        p = res["propagator"]
        sm, bm = p["subject_seconds"], p["baseline_seconds"]
        lines += [f"### Massive propagator in RAM, N = {p['n']} (alternating in one process)", "",
                  f"baseline: `{p['baseline_route']}`", "",
                  H.markdown_table(["side", "s med (min–max)", "peak +MiB"], [
                      ["pycauset", f"{sm['median']:.2f} ({sm['min']:.2f}–{sm['max']:.2f})",
                       H.fmt_mib(p["subject_rss"]["max_peak_delta_bytes"])],
                      [p["baseline"], f"{bm['median']:.2f} ({bm['min']:.2f}–{bm['max']:.2f})",
                       H.fmt_mib(p["baseline_rss"]["max_peak_delta_bytes"])]], "lrr"), "",
                  f"ratio: median {H.fmt_ratio(p['ratio']['median'])} (min {H.fmt_ratio(p['ratio']['min'])}, "
                  f"max {H.fmt_ratio(p['ratio']['max'])}, {p['ratio']['n']} pairs); check "
                  f"{'ok' if p['check_ok'] else 'WRONG'}; loadavg at end {p['loadavg_end']}", ""]
    if "ooc" in res and "seconds" in res["ooc"]:
        o = res["ooc"]
        lines += [f"### Massive propagator out of core, N = {o['n']}, budget {H.fmt_mib(o['budget'])} MiB", "",
                  H.markdown_table(["seconds", "GFLOP/s (n^3/3)", f"in-RAM trtri GFLOP/s (N = {o['ram_n']})",
                                    "fraction", "peak RssAnon MiB", "above start MiB", "check"],
                                   [[f"{o['seconds']:.1f}", f"{o['gflops']:.1f}", f"{o['ram_gflops']:.1f}",
                                     f"{o['fraction_of_ram']:.0%}", H.fmt_mib(o["peak_anon"]),
                                     H.fmt_mib(o["peak_anon_delta"]),
                                     "ok" if o["check_ok"] else "WRONG"]], "rrrrrrl"), "",
                  f"block errors {o['check_rel_errors']}; loadavg at end {o['loadavg_end']}", ""]
    return "\n".join(lines)


def parent_main(args: argparse.Namespace, argv: list) -> int:
    ts = H.utc_timestamp()
    parts = args.part or ["spectrum", "propagator", "ooc"]
    res: dict = {}
    start_load = (H._read("/proc/loadavg") or "").strip()
    with tempfile.TemporaryDirectory(prefix="pycauset-fields-") as tmpd:
        tmp = Path(tmpd)
        for part in parts:
            res[part] = {"spectrum": part_spectrum, "propagator": part_propagator, "ooc": part_ooc}[part](args, tmp)
    gated = not args.quick
    text = (f"# Fields benchmark — {'gate' if gated else 'quick smoke run (not gated)'}\n\n"
            f"loadavg at start {start_load}\n\n" + _tables(res))
    verdicts = {p: {"pass": r["pass"], "reasons": r["reasons"]} for p, r in res.items()}
    for p, v in verdicts.items():
        word = ("PASS" if v["pass"] else "FAIL") if gated else ("meets" if v["pass"] else "below")
        text += f"\n{word:>6}  {p}" + ("" if v["pass"] else "  -- " + "; ".join(v["reasons"]))
    overall = ("PASS" if all(v["pass"] for v in verdicts.values()) else "FAIL") if gated else "NOT GATED (quick)"
    text += f"\n\noverall: {overall}\n"
    print(text)
    name = NAME + ("-quick" if args.quick else "") + ("" if len(parts) == 3 else "-" + "-".join(parts))
    path = H.write_json(name, {"benchmark": NAME, "argv": argv, "targets": TARGETS, "sizes": {
        k: getattr(args, k) for k in FULL}, "loadavg_start": start_load, "results": res,
        "verdicts": verdicts, "overall": overall}, ts)
    H.write_text(name, text, ts)
    print(f"results: {path.relative_to(H.REPO_ROOT)}")
    if any("child failed" in " ".join(r["reasons"]) for r in res.values()):
        return 2
    return 1 if gated and overall == "FAIL" else 0


def _parse_bytes(text: str) -> int:
    """'2 GiB', '512MiB', '1.5 GB' or a plain number of bytes."""
    units = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "kb": 10**3, "mb": 10**6,
             "gb": 10**9}
    t = text.strip().lower().replace(" ", "")
    num = t.rstrip("kmgib")
    unit = t[len(num):]
    try:
        if unit not in units:
            raise ValueError(unit)
        return int(float(num) * units[unit])
    except ValueError:
        raise SystemExit(f"--budget: cannot read {text!r}; use e.g. '2 GiB' or a number of bytes") from None


def _default_dir() -> str:
    if Path("/work/bench-tmp").is_dir():
        return "/work/bench-tmp/fields"
    return str(Path(os.environ.get("TMPDIR", "/var/tmp")) / "pycauset-fields")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.fields", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, 1 pair each, never gates (CI)")
    p.add_argument("--part", action="append", choices=("spectrum", "propagator", "ooc"),
                   help="run only this part (repeatable; default all three)")
    p.add_argument("--spectrum-n", type=int, default=None, help="N of the spectrum part (8000)")
    p.add_argument("--prop-n", type=int, default=None, help="N of the in-RAM propagator part (10000)")
    p.add_argument("--ooc-n", type=int, default=None, help="N of the out-of-core part (30000)")
    p.add_argument("--budget", default=None, help="memory budget of the out-of-core part (2 GiB)")
    p.add_argument("--ram-n", type=int, default=None, help="N of the in-RAM trtri reference (10000)")
    p.add_argument("--ram-repeat", type=int, default=3, help="in-RAM trtri timings (median)")
    p.add_argument("--dir", default=None, help="backing directory base of the out-of-core part")
    p.add_argument("--spectrum-repeat", type=int, default=None, help="spectrum pairs (default 1)")
    p.add_argument("--repeat", type=int, default=None, help="timed propagator pairs (default 3; quick 1)")
    p.add_argument("--warmup", type=int, default=None, help="propagator warm-up pairs (default 1; quick 0)")
    p.add_argument("--n", type=int, help=argparse.SUPPRESS)
    p.add_argument("--_side", choices=("pycauset", "numpy"), help=argparse.SUPPRESS)
    p.add_argument("--_meta", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--_child", choices=("spectrum", "propagator", "ooc"), help=argparse.SUPPRESS)
    p.add_argument("--_out", help=argparse.SUPPRESS)
    return p


def main(argv: Optional[list] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    H.default_counts(args, quick=(1, 0), full=(3, 1))
    sizes = QUICK if args.quick else FULL
    for key, value in sizes.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if isinstance(args.budget, str):
        args.budget = _parse_bytes(args.budget)
    if args.spectrum_repeat is None:
        args.spectrum_repeat = 1
    if args.dir is None:
        args.dir = _default_dir()
    if args._child:
        return {"spectrum": child_spectrum, "propagator": child_propagator, "ooc": child_ooc}[args._child](args)
    return parent_main(args, argv)


if __name__ == "__main__":
    sys.exit(main())
