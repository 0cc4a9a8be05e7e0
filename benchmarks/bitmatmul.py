"""Out-of-core gate for the exact products: bit C @ C and an integer product, past the
memory budget against the same product in RAM.

Run from the repository root::

    python -m benchmarks.bitmatmul                 # the gate: bit N = 32,768 at 256 MiB, int32 N = 6,144 at 64 MiB
    python -m benchmarks.bitmatmul --quick         # CI smoke run: small sizes, never gates
    python -m benchmarks.bitmatmul --workload bit --n 65536 --budget "1 GiB" --dir /mnt/ssd
    python -m benchmarks.bitmatmul --repeat 3

Definition:

* Workloads. ``bit``: C @ C for a strictly upper-triangular bit matrix C (a causal
  matrix) of size N x N and density ``--density`` (default 0.05), int32 counts
  (N^2 x 4 bytes of result). ``int``: A @ A for an int32 matrix with entries in
  [-9, 9) (the exact 64-bit path), int32 result. Inputs are generated once, block by
  block (never the whole matrix in a NumPy array), saved as .pycauset files in
  ``--dir`` and cached there, keyed by N, density and seed.
* Out-of-core side: ``pc.set_memory_limit(M)``, ``pc.set_backing_dir(<run dir>)``, the
  input opened with ``pc.load`` (cold: fsynced and evicted from the page cache just
  before), timed ``A @ A``; the operand file is at least 1.25 M bytes for ``int``
  (checked) and the result far larger than M for ``bit``, so the product is tiled, its
  result a spill file.
* In-RAM side (the baseline): no budget, the input loaded and copied into RAM untimed,
  timed ``A @ A`` into a RAM result: the in-RAM kernels at their speed.
* Each side runs in its own child interpreter (native threading), sides alternate per
  pair (out of core, in RAM, out of core, ...), ``--repeat`` pairs. ratio =
  t_ram / t_ooc per pair (>= 0.8 passes); median, min and max reported.
* Peak anonymous memory: RssAnon sampled every 5 ms during the timed call, minus
  RssAnon just before it (after a warm-up product). The out-of-core side fails above
  1.15 M whatever its speed.
* Checks (untimed, in each child): four rows of the result (first, second, middle,
  last) against NumPy's float64 product of those rows with the operand read in column
  blocks (exact: every count and every int32 sum here stays far below 2^53).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _harness as h  # noqa: E402

NAME = "bitmatmul"
MiB = 1 << 20


def parse_size(text: str) -> int:
    units = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "kb": 10**3, "mb": 10**6, "gb": 10**9}
    t = text.strip().lower().replace(" ", "")
    num = t.rstrip("abcdefghijklmnopqrstuvwxyz")
    return int(float(num) * units[t[len(num):]])


def input_path(d: Path, workload: str, n: int, density: float, seed: int) -> Path:
    tag = f"bit-{n}-{density:g}-{seed}" if workload == "bit" else f"int32-{n}-{seed}"
    return d / f"{tag}.pycauset"


def generate(path: Path, workload: str, n: int, density: float, seed: int) -> None:
    """Block-wise generation of the input file (cached)."""
    import numpy as np

    import pycauset as pc

    if path.exists():
        return
    rng = np.random.default_rng(seed)
    a = pc.zeros((n, n), dtype="bit" if workload == "bit" else "int32")
    step = max(1, (16 * MiB) // max(n, 1))
    for r0 in range(0, n, step):
        r1 = min(n, r0 + step)
        if workload == "bit":
            blk = rng.random((r1 - r0, n), dtype=np.float32) < density
            blk &= np.arange(n)[None, :] > np.arange(r0, r1)[:, None]  # strictly upper
        else:
            blk = rng.integers(-9, 9, (r1 - r0, n), dtype=np.int32)
        a[r0:r1, :] = blk
    tmp = path.with_suffix(".tmp.pycauset")
    pc.save(a, tmp)
    del a
    os.replace(tmp, path)


def check_rows(A: Any, R: Any) -> bool:
    import numpy as np

    import pycauset as pc

    n = A.shape[0]
    rows = sorted({0, min(1, n - 1), n // 2, n - 1})
    got = np.stack([pc.to_numpy(R[i, :], allow_huge=True) for i in rows]).astype(np.float64)
    ar = np.stack([pc.to_numpy(A[i, :]) for i in rows]).astype(np.float64)
    step = max(1, (64 * MiB) // (8 * n))
    for j0 in range(0, A.shape[1], step):
        blk = pc.to_numpy(A[:, j0:j0 + step], allow_huge=True).astype(np.float64)
        if not np.array_equal(got[:, j0:j0 + step], ar @ blk):
            return False
    return True


def child(args: argparse.Namespace) -> int:
    import numpy as np

    import pycauset as pc

    pc.set_num_threads(os.cpu_count() or 1)
    run_dir = Path(args.dir) / f"run-{os.getpid()}"
    run_dir.mkdir(parents=True, exist_ok=True)
    pc.set_backing_dir(run_dir)
    path = input_path(Path(args.dir), args.workload, args.n, args.density, args.seed)
    # warm-up: thread pool, kernels, allocator
    w = pc.matrix(np.eye(256, dtype=bool if args.workload == "bit" else np.int32))
    w @ w
    del w
    gc.collect()
    pc._core.release_cached_ram()
    if args.side == "ooc":
        pc.set_memory_limit(args.budget)
        A = pc.load(path)
    else:
        A = pc.load(path).copy()
    h.evict_file(path)
    base = h.proc_status(("RssAnon",))["RssAnon"]
    with h.RssSampler() as sampler:
        t0 = time.perf_counter()
        R = A @ A
        seconds = time.perf_counter() - t0
    rec = {
        "side": args.side, "workload": args.workload, "n": args.n, "seconds": seconds,
        "peak_anon_delta": sampler.peak_anon - base, "result_storage": R.storage.kind,
        "result_dtype": R.dtype.name, "budget": args.budget if args.side == "ooc" else None,
    }
    rec["correct"] = check_rows(A, R)
    del R, A
    gc.collect()
    with open(args.out, "w") as f:
        json.dump(rec, f)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workload", choices=["bit", "int", "both"], default="both")
    p.add_argument("--n", type=int, default=None, help="bit matrix size (default 32768; --quick 4096)")
    p.add_argument("--int-n", type=int, default=None, help="int32 matrix size (default 6144; --quick 768)")
    p.add_argument("--density", type=float, default=0.05)
    p.add_argument("--budget", default=None, help='budget for bit (default "256 MiB"; --quick "8 MiB")')
    p.add_argument("--int-budget", default=None, help='budget for int (default "64 MiB"; --quick "1 MiB")')
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--seed", type=int, default=20261206)
    p.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/var/tmp"), "pycauset-bitmatmul"))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--side", choices=["ooc", "ram"], help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        args.budget = int(args.budget)
        return child(args)

    bit_n = args.n or (4096 if args.quick else 32768)
    int_n = args.int_n or (768 if args.quick else 6144)
    bit_budget = parse_size(args.budget or ("8 MiB" if args.quick else "256 MiB"))
    int_budget = parse_size(args.int_budget or ("1 MiB" if args.quick else "64 MiB"))
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    workloads = ["bit", "int"] if args.workload == "both" else [args.workload]
    plan = {"bit": (bit_n, bit_budget), "int": (int_n, int_budget)}
    if "int" in workloads and 4 * int_n * int_n < 1.25 * int_budget:
        print(f"refusing: the int32 operand ({4 * int_n * int_n} bytes) is below 1.25 x the budget", file=sys.stderr)
        return 2
    for wl in workloads:
        n, _ = plan[wl]
        generate(input_path(Path(args.dir), wl, n, args.density, args.seed), wl, n, args.density, args.seed)

    results: dict[str, list] = {}
    for wl in workloads:
        n, budget = plan[wl]
        for pair in range(args.repeat):
            for side in ("ooc", "ram"):
                out = Path(args.dir) / f"{wl}-{side}-{pair}.json"
                rc = h.run_child("benchmarks.bitmatmul", [
                    "--child", "--side", side, "--workload", wl, "--n", str(n), "--density", str(args.density),
                    "--budget", str(budget), "--seed", str(args.seed), "--dir", args.dir, "--out", str(out)],
                    h.native_env())
                if rc != 0:
                    print(f"{wl} {side}: child failed ({rc})", file=sys.stderr)
                    return 1
                results.setdefault(wl, []).append(json.loads(out.read_text()))
                out.unlink()

    rows, verdicts = [], []
    for wl in workloads:
        n, budget = plan[wl]
        recs = results[wl]
        ooc = [r for r in recs if r["side"] == "ooc"]
        ram = [r for r in recs if r["side"] == "ram"]
        ratios = [b["seconds"] / a["seconds"] for a, b in zip(ooc, ram)]
        s = h.summarize(ratios)
        peak = max(r["peak_anon_delta"] for r in ooc) / budget
        ok = all(r["correct"] for r in recs) and all(r["result_storage"] == "spill" for r in ooc)
        passed = ok and s["median"] >= 0.8 and peak <= 1.15
        verdicts.append(passed)
        rows.append([wl, n, h.fmt_mib(budget), f"{h.summarize([r['seconds'] for r in ooc])['median']:.2f}",
                     f"{h.summarize([r['seconds'] for r in ram])['median']:.2f}",
                     f"{s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f})", f"{peak:.2f}",
                     "yes" if ok else "NO", "" if args.quick else ("PASS" if passed else "FAIL")])
    table = h.markdown_table(["workload", "N", "budget", "out of core s", "in RAM s", "ratio (min-max)",
                              "peak RssAnon / budget", "correct", "gate"], rows)
    print(table)
    payload = {"machine": h.machine_metadata(), "args": vars(args), "results": results}
    print("results:", h.write_json(NAME, payload))
    h.write_text(NAME, table)
    if args.quick:
        return 0
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
