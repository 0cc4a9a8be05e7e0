"""In-RAM linear algebra: pycauset.linalg against numpy.linalg, side by side.

Run from the repository root::

    python -m benchmarks.linalg            # full run: gated targets, exit 1 on FAIL
    python benchmarks/linalg.py --quick    # CI smoke run: small sizes, never gates
    python -m benchmarks.linalg --pinned   # also an informational 1-thread run

Definition (tracked alongside the gates):

* Cases, pycauset vs NumPy baseline, float64, matrices with N(0, 1/n) entries:
  - ``inv 1024``, ``inv 2048``: ``pc.linalg.inv(A)`` vs ``np.linalg.inv(a)``.
    Target: median ratio >= 1.5 (LU + getri does 2n^3 flops; NumPy's gesv against
    the identity 8/3 n^3 and copies through Fortran order).
  - ``solve 1024 matrix``: ``pc.linalg.solve(A, B)`` with B 1024 x 1024 vs
    ``np.linalg.solve(a, b)``. Target >= 0.95.
  - ``solve 1024 vector``: the same with a vector right-hand side. Target >= 0.95.
  - ``eigh 1024``: ``pc.linalg.eigh(S)`` vs ``np.linalg.eigh(s)`` on a symmetric
    matrix. Target >= 0.95.
  - ``det 1024``: ``pc.linalg.det(A)`` vs ``np.linalg.det(a)``. Reported, not gated.
* ratio = t_numpy / t_pycauset per alternating pair (> 1: pycauset is faster); median,
  min and max of 7 timed pairs after 2 warm-ups (``--repeat``, ``--warmup``).
* Every result (warm-ups included) is checked, untimed: inverses and solutions by
  their backward error ``||A X - B|| / (||A|| ||X|| + ||B||) <= 20 n eps`` (B = I for the
  inverse) and by their distance to NumPy's answer; eigenvalues against NumPy's to
  ``1e-10 ||S||`` and eigenvectors by ``||S V - V diag(w)|| <= 20 n eps ||S||``
  and orthonormality; determinants against NumPy's to a relative 1e-8.
* Threads: one child interpreter with the thread variables removed (the libraries'
  native threading: every core, 2 on our machines); pycauset gets
  ``pc.set_num_threads(os.cpu_count())``. pycauset and NumPy each load their own copy of
  the same OpenBLAS build (scipy-openblas64), so both pools are the same size. An
  OpenBLAS pool spins for a while after a call before it sleeps, which would steal a
  core from the other side's next call; each sample therefore starts after
  ``--settle`` seconds (default 0.25 s, untimed) of idling.
* Full run: PASS/FAIL per gated case, exit status 1 when one fails (2 when the child
  crashed). ``--quick`` uses n = 128/256 and never gates.

The parent process imports neither NumPy nor pycauset; it starts the child(ren),
prints the tables and writes benchmarks/results/linalg-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional

if __package__ in (None, ""):  # started as `python benchmarks/linalg.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks import _harness as H  # noqa: E402
else:
    from . import _harness as H

NAME = "linalg"
MODULE = "benchmarks.linalg"
SEED = 20240607

# case name, operation, n, gate (median ratio >= gate; None: report only)
CASES_FULL = [
    ("inv 1024", "inv", 1024, 1.5),
    ("inv 2048", "inv", 2048, 1.5),
    ("solve 1024 matrix", "solve_matrix", 1024, 0.95),
    ("solve 1024 vector", "solve_vector", 1024, 0.95),
    ("eigh 1024", "eigh", 1024, 0.95),
    ("det 1024", "det", 1024, None),
]
CASES_QUICK = [
    ("inv 128", "inv", 128, 1.5),
    ("inv 256", "inv", 256, 1.5),
    ("solve 128 matrix", "solve_matrix", 128, 0.95),
    ("solve 128 vector", "solve_vector", 128, 0.95),
    ("eigh 128", "eigh", 128, 0.95),
    ("det 128", "det", 128, None),
]


# =========================================================================== child side


def _fro(x: Any) -> float:
    import numpy as np

    return float(np.linalg.norm(x))


def _backward_error(a: Any, x: Any, b: Any) -> float:
    """||A X - B|| / (||A|| ||X|| + ||B||), Frobenius norms (NumPy's matmul, untimed)."""
    return _fro(a @ x - b) / (_fro(a) * _fro(x) + _fro(b))


def _solution_check(np: Any, pc: Any, a: Any, b: Any, ref: Any, kind: str) -> Callable:
    """Check of an inverse or a solution X of A X = B (B = I for the inverse)."""
    n = a.shape[0]
    limit = 20 * n * np.finfo(np.float64).eps

    def check(out: Any) -> Optional[str]:
        if kind != "numpy":
            want_type = pc.Vector if ref.ndim == 1 else pc.Matrix
            if not isinstance(out, want_type) or out.dtype != pc.float64:
                return f"expected a float64 {want_type.__name__}, got {type(out).__name__}"
            out = pc.to_numpy(out)
        if out.shape != ref.shape:
            return f"shape {out.shape} != {ref.shape}"
        err = _backward_error(a, out, b)
        if not err <= limit:
            return f"backward error {err:.3g} > {limit:.3g}"
        diff = _fro(out - ref) / _fro(ref)
        if not diff <= 1e-6:
            return f"distance to NumPy's answer {diff:.3g} > 1e-6"
        return None

    return check


def _eigh_check(np: Any, pc: Any, s: Any, w_ref: Any, kind: str) -> Callable:
    n = s.shape[0]
    scale = _fro(s)
    limit = 20 * n * np.finfo(np.float64).eps * scale

    def check(out: Any) -> Optional[str]:
        w, v = out
        if kind != "numpy":
            if not isinstance(w, pc.Vector) or not isinstance(v, pc.Matrix):
                return f"expected (Vector, Matrix), got ({type(w).__name__}, {type(v).__name__})"
            w, v = pc.to_numpy(w), pc.to_numpy(v)
        dw = float(np.max(np.abs(w - w_ref)))
        if not dw <= 1e-10 * scale:
            return f"eigenvalues differ from NumPy's by {dw:.3g}"
        resid = _fro(s @ v - v * w)
        if not resid <= limit:
            return f"residual ||S V - V W|| = {resid:.3g} > {limit:.3g}"
        orth = _fro(v.T @ v - np.eye(n))
        if not orth <= 20 * n * np.finfo(np.float64).eps:
            return f"eigenvectors not orthonormal: {orth:.3g}"
        return None

    return check


def _det_check(np: Any, ref: Any) -> Callable:
    def check(out: Any) -> Optional[str]:
        if not isinstance(out, np.float64):
            return f"expected numpy.float64, got {type(out).__name__}"
        if not abs(out - ref) <= 1e-8 * abs(ref):
            return f"det {out!r} != NumPy's {ref!r}"
        return None

    return check


def _case(pc: Any, np: Any, op: str, n: int, args: argparse.Namespace, rng: Any) -> dict:
    """One comparison: sides, checks, alternate timing; returns its dict."""
    a = rng.standard_normal((n, n)) / np.sqrt(n)
    A = pc.matrix(a)
    settle = (lambda: time.sleep(args.settle)) if args.settle > 0 else None
    if op == "inv":
        ref = np.linalg.inv(a)
        eye = np.eye(n)
        pc_side = H.Side("pycauset", lambda: pc.linalg.inv(A),
                         _solution_check(np, pc, a, eye, ref, "pc"), settle)
        np_side = H.Side("numpy", lambda: np.linalg.inv(a),
                         _solution_check(np, pc, a, eye, ref, "numpy"), settle)
        calls = ("pc.linalg.inv(A)", "np.linalg.inv(a)")
        flops = 2.0 * n**3
    elif op in ("solve_matrix", "solve_vector"):
        b = rng.standard_normal((n, n) if op == "solve_matrix" else (n,))
        B = pc.matrix(b) if b.ndim == 2 else pc.vector(b)
        ref = np.linalg.solve(a, b)
        pc_side = H.Side("pycauset", lambda: pc.linalg.solve(A, B),
                         _solution_check(np, pc, a, b, ref, "pc"), settle)
        np_side = H.Side("numpy", lambda: np.linalg.solve(a, b),
                         _solution_check(np, pc, a, b, ref, "numpy"), settle)
        calls = ("pc.linalg.solve(A, B)", "np.linalg.solve(a, b)")
        flops = 2.0 / 3 * n**3 + 2.0 * n * n * (b.shape[1] if b.ndim == 2 else 1)
    elif op == "eigh":
        s = (a + a.T) / 2
        S = pc.matrix(s)
        w_ref = np.linalg.eigvalsh(s)
        pc_side = H.Side("pycauset", lambda: pc.linalg.eigh(S), _eigh_check(np, pc, s, w_ref, "pc"),
                         settle)
        np_side = H.Side("numpy", lambda: np.linalg.eigh(s), _eigh_check(np, pc, s, w_ref, "numpy"),
                         settle)
        calls = ("pc.linalg.eigh(S)", "np.linalg.eigh(s)")
        flops = None
    elif op == "det":
        ref = np.linalg.det(a)
        pc_side = H.Side("pycauset", lambda: pc.linalg.det(A), _det_check(np, ref), settle)
        np_side = H.Side("numpy", lambda: np.linalg.det(a), _det_check(np, ref), settle)
        calls = ("pc.linalg.det(A)", "np.linalg.det(a)")
        flops = 2.0 / 3 * n**3
    else:  # pragma: no cover
        raise ValueError(op)
    comp = H.alternate(pc_side, np_side, warmup=args.warmup, repeat=args.repeat)
    out = comp.to_dict()
    out.update(pycauset_call=calls[0], baseline_call=calls[1], n=n, flops=flops)
    return out


def child_main(args: argparse.Namespace) -> int:
    mode = args._child
    env_before_import = H.thread_env_snapshot()
    if mode == "pinned":
        H.require_pinned_env()

    import numpy as np

    import pycauset as pc

    threads = 1 if mode == "pinned" else (os.cpu_count() or 1)
    pc.set_num_threads(threads)
    if pc.get_num_threads() != threads or pc.blas_info()["num_threads"] != threads:
        raise SystemExit(f"pycauset did not take {threads} threads: "
                         f"{pc.get_num_threads()}, BLAS {pc.blas_info()}")
    meta = H.machine_metadata({"run": mode, "thread_env_at_start": env_before_import,
                               "pycauset_threads_set": threads, "settle_seconds": args.settle})
    cases = CASES_QUICK if args.quick else CASES_FULL
    if args.case:
        cases = [c for c in cases if any(s.lower() in c[0].lower() for s in args.case)]
    rng = np.random.default_rng(SEED)
    results = []
    for name, op, n, gate in cases:
        H.log(f"[{mode}] {name}")
        results.append({"case": name, "op": op, "n": n, "gate": gate,
                        **_case(pc, np, op, n, args, rng)})
    meta["loadavg_end"] = (H._read("/proc/loadavg") or "").strip() or None
    with open(args._out, "w") as f:
        json.dump({"mode": mode, "metadata": meta, "cases": results}, f, default=H._json_default)
    return 0


# =========================================================================== parent side


def _verdict(c: dict) -> dict:
    reasons = []
    if not c["check_ok"]:
        f = c["failures"][0]
        reasons.append(f"wrong result ({f['side']}: {f['message']})")
    r = c["ratio"]["median"]
    if c["gate"] is not None and (r is None or r < c["gate"]):
        reasons.append(f"median ratio {H.fmt_ratio(r)} < {c['gate']}")
    return {"pass": not reasons, "reasons": reasons}


def _gflops(flops: Optional[float], seconds: Optional[float]) -> str:
    if not flops or not seconds:
        return ""
    return f"{flops / seconds / 1e9:.1f}"


def _table(run: dict, gated: bool) -> str:
    headers = ["case", "pycauset ms med (min–max)", "NumPy ms med (min–max)", "pc GFLOP/s",
               "np GFLOP/s", "ratio med", "ratio min", "ratio max", "peak +MiB pc",
               "peak +MiB np", "check", "target", "verdict"]
    rows = []
    for c in run["cases"]:
        s, b = c["subject_seconds"], c["baseline_seconds"]
        v = _verdict(c)
        if c["gate"] is None:
            verdict = "report" if c["check_ok"] else "WRONG"
        elif gated:
            verdict = "PASS" if v["pass"] else "FAIL"
        else:
            verdict = "meets" if v["pass"] else "below"
        rows.append([
            c["case"],
            f"{H.fmt_ms(s['median'])} ({H.fmt_ms(s['min'])}–{H.fmt_ms(s['max'])})",
            f"{H.fmt_ms(b['median'])} ({H.fmt_ms(b['min'])}–{H.fmt_ms(b['max'])})",
            _gflops(c["flops"], s["median"]), _gflops(c["flops"], b["median"]),
            H.fmt_ratio(c["ratio"]["median"]), H.fmt_ratio(c["ratio"]["min"]),
            H.fmt_ratio(c["ratio"]["max"]),
            H.fmt_mib(c["subject_rss"]["max_peak_delta_bytes"]),
            H.fmt_mib(c["baseline_rss"]["max_peak_delta_bytes"]),
            "ok" if c["check_ok"] else "WRONG",
            "" if c["gate"] is None else f">= {c['gate']}",
            verdict,
        ])
    return H.markdown_table(headers, rows, "lrrrrrrrrrlll")


def _header(run: dict) -> str:
    m = run["metadata"]
    cpu, pcm = m["cpu"], m["pycauset"]
    ram = m["memory"].get("MemTotal", 0) / 2**30
    return (f"CPU {cpu['model']} ({cpu['logical_cpus']} logical CPUs, affinity "
            f"{cpu['cpus_in_affinity_mask']}), RAM {ram:.1f} GiB, {m['os']['pretty_name']} "
            f"kernel {m['os']['kernel']}, Python {m['python']['version']}, "
            f"NumPy {m['numpy']['version']}, pycauset {pcm['version']} "
            f"({pcm['build'].get('CMAKE_BUILD_TYPE', '?')}), BLAS {pcm['blas']['config']}, "
            f"pycauset threads {pcm['num_threads']}, BLAS threads {pcm['blas']['num_threads']}, "
            f"thread env {m['thread_env']}, settle {m.get('settle_seconds')} s, "
            f"loadavg start {m['loadavg']} / end {m.get('loadavg_end')}")


def _busy(run: dict) -> Optional[str]:
    """A note when the 1-minute load average at start or end was 0.5 or more."""
    m = run["metadata"]
    loads = []
    for key in ("loadavg", "loadavg_end"):
        try:
            loads.append(float((m.get(key) or "").split()[0]))
        except (IndexError, ValueError):
            pass
    worst = max(loads, default=0.0)
    return f"1-minute load average up to {worst:.2f} during the run" if worst >= 0.5 else None


def parent_main(args: argparse.Namespace, argv: list) -> int:
    ts = H.utc_timestamp()
    original_env = H.thread_env_snapshot()
    plan = [("native", H.native_env())]
    if args.pinned:
        plan.append(("pinned", H.pinned_env()))
    runs: dict[str, Any] = {}
    status: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="pycauset-bench-") as tmp:
        for mode, env in plan:
            out = Path(tmp) / f"{mode}.json"
            H.log(f"== {mode} run: child interpreter, thread env {H.thread_env_snapshot(env)}")
            rc = H.run_child(MODULE, [*argv, "--_child", mode, "--_out", str(out)], env)
            status[mode] = rc
            if rc == 0 and out.is_file():
                runs[mode] = json.loads(out.read_text())
            else:
                H.log(f"!! {mode} run failed with exit status {rc}")

    gated = not args.quick
    print(f"# Linear-algebra benchmark — {'gate' if gated else 'quick smoke run (not gated)'}")
    print("ratio = t_numpy / t_pycauset per alternating pair (> 1: pycauset faster); "
          f"{args.repeat} timed pairs after {args.warmup} warm-ups; a case passes when its "
          "median ratio meets its target and every result checks out")
    verdicts = {}
    for mode, run in runs.items():
        title = ("Native threads" + (" — GATED" if gated else "")) if mode == "native" else \
            "Pinned: every pool 1 thread (informational)"
        print(f"\n## {title}\n")
        print(_header(run) + "\n")
        busy = _busy(run)
        if busy:
            print(f"WARNING: {busy}: other processes compete for the cores and multithreaded "
                  "BLAS timings are unreliable; rerun on a quiet machine\n")
        print(_table(run, gated and mode == "native"))
        verdicts[mode] = {c["case"]: _verdict(c) for c in run["cases"]}
    failed = [name for name, v in verdicts.get("native", {}).items() if not v["pass"]]
    if "native" not in runs:
        overall = "ERROR"
    elif not gated:
        overall = "NOT GATED (quick)"
    else:
        overall = "PASS" if not failed else "FAIL"
    if "native" in runs:
        print()
        for name, v in verdicts["native"].items():
            word = ("PASS" if v["pass"] else "FAIL") if gated else \
                ("meets" if v["pass"] else "below")
            print(f"{word:>6}  {name}" + ("" if v["pass"] else "  -- " + "; ".join(v["reasons"])))
    path = H.write_json(NAME + ("-quick" if args.quick else ""), {
        "benchmark": NAME, "mode": "quick" if args.quick else "full", "argv": argv,
        "criteria": {c[0]: c[3] for c in (CASES_QUICK if args.quick else CASES_FULL)},
        "ratio": "t_numpy / t_pycauset per alternating pair",
        "warmup": args.warmup, "repeat": args.repeat, "settle_seconds": args.settle,
        "thread_env_of_invoking_process": original_env, "child_exit_status": status,
        "verdicts": verdicts, "overall": overall, "runs": runs,
    }, ts)
    print(f"\noverall: {overall}" + (f" (failing: {', '.join(failed)})" if failed else ""))
    print(f"results: {path.relative_to(H.REPO_ROOT)}")
    if "native" not in runs or any(rc != 0 for rc in status.values()):
        return 2
    return 1 if gated and failed else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.linalg",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="n = 128/256, 1 warm-up, 3 repeats, never gates (CI smoke run)")
    p.add_argument("--repeat", type=int, default=None, help="timed pairs (default 7; quick 3)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up pairs (default 2; quick 1)")
    p.add_argument("--settle", type=float, default=None,
                   help="idle seconds before each sample so the other OpenBLAS pool parks "
                        "(default 0.25; quick 0.05)")
    p.add_argument("--case", action="append", default=[],
                   help="run only cases whose name contains this text (repeatable)")
    p.add_argument("--pinned", action="store_true",
                   help="also run an informational child with every pool pinned to 1 thread")
    p.add_argument("--_child", choices=("native", "pinned"), help=argparse.SUPPRESS)
    p.add_argument("--_out", help=argparse.SUPPRESS)
    return p


def main(argv: Optional[list] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    H.default_counts(args)
    if args.settle is None:
        args.settle = 0.05 if args.quick else 0.25
    if args.settle < 0:
        raise SystemExit("--settle must be >= 0")
    if args._child:
        return child_main(args)
    return parent_main(args, argv)


if __name__ == "__main__":
    sys.exit(main())
