"""Conversion gate: pycauset <-> NumPy import/export throughput, >= 0.90x NumPy.

Run from the repository root::

    python -m benchmarks.conversion            # the gate (pinned run, then native run)
    python benchmarks/conversion.py --quick    # CI smoke run: small payloads, never gates
    python -m benchmarks.conversion --scaling  # add the 1 MiB .. 1 GiB throughput sweep
    python -m benchmarks.conversion --cold     # informational: pycauset without its
                                               # freed-mapping cache (first-use imports)
    python -m benchmarks.conversion --independent   # single calls, results freed between
                                                    # calls, no calibration (see below)

Definition:

* Regimes: float64 2048x2048, float32 4096x4096, complex128 2048x2048, float64 vector
  4,194,304, float32 vector 8,388,608, bit vector 268,435,456 bits.
* Cases, pycauset vs NumPy baseline:
  - ``import``       ``pc.matrix(arr)`` / ``pc.vector(arr)`` vs ``np.array(arr, copy=True)``;
    bit: ``pc.vector(bool_arr)`` vs ``np.packbits(bool_arr)``;
  - ``import_cast``  ``pc.matrix(arr, dtype=t)`` vs ``arr.astype(t, copy=True)`` with
    float64->float32, float32->float64, complex128->complex64 (none for bit);
  - ``export_copy``  ``pc.to_numpy(obj)`` vs ``arr.copy()``; bit: vs ``np.unpackbits(packed)``;
  - ``export_view``  ``pc.to_numpy(obj, copy=False)`` vs ``arr.view()`` -- reported
    separately (microseconds per call), not gated; none for bit (no view is possible).
* throughput = payload bytes / seconds, ratio = pycauset throughput / NumPy throughput
  = t_numpy / t_pycauset, per alternating pair. Payload bytes: the source array's bytes
  for imports, the exported array's bytes for exports; for the bit vector the packed
  size, 268,435,456 / 8 = 32 MiB, for both directions (the ratio does not depend on it).
* Median of 7 timed pairs after 2 warm-ups (``--repeat``, ``--warmup``). A timed pair is
  a block of c single-call rounds (pycauset, NumPy, pycauset, NumPy, ...) and each
  side's time is the median of its c calls; every call is timed alone and its result is
  checked and released untimed. c is the same for both sides, calibrated on the warm-ups
  so that the slower side's calls last about 50 ms (``--sample-ms``). One 2 ms call on a
  shared VM is at the mercy of a single preemption or slow page fault, which made the
  min-ratio rule a lottery; the median of tens of interleaved calls is not.
* Every result (warm-ups included) is checked exactly against the baseline's result:
  bit-for-bit for numbers (so NaN payloads and signed zeros count), by value for bits
  (pycauset packs little-endian within a byte, np.packbits big-endian, so the packed
  bytes are not compared, the unpacked booleans are).
* Gate: per regime, PASS when every gated case (import, import_cast, export_copy) has
  median ratio >= 0.90 and minimum ratio >= 0.85 and all its checks passed.
* Threads: the gated run is a child interpreter started with
  OMP_NUM_THREADS=MKL_NUM_THREADS=OPENBLAS_NUM_THREADS=1 (they must be set before NumPy
  or pycauset is imported) that also calls ``pc.set_num_threads(1)``. An informational
  run follows in a child with those variables removed and
  ``pc.set_num_threads(os.cpu_count())``. The exit status is 1 when a regime of the
  pinned run fails (never with ``--quick`` or ``--cold``), 2 when a run crashed.
* Memory: per side, the peak resident memory each call added (kernel high-water mark,
  see benchmarks/_harness.py) and the bytes pycauset keeps mapped for reuse; the gate
  loop frees and re-imports the same size, which is exactly what that cache serves, so
  ``--cold`` reports the first-use case separately.

Independent mode (``--independent``): the plainest harness anyone would write, to check
that the gate does not depend on ours. In a pinned child (as above), for import and
export_copy of every regime: ``--warmup`` + ``--repeat`` pairs of single calls,
pycauset then NumPy, each call timed alone (``perf_counter``), its result checked untimed
without allocating (dtype, shape, flags and a BLAKE2 digest of its bytes against the
baseline's) and freed before the next call. No calibration, no memory tracking, no
garbage collection while timing. Per side and call it also records the thread CPU time
(``thread_time``, which excludes time the CPU spent on other processes: the figure to read
on a busy machine), the minor page faults (fresh pages vs reused heap pages) and the
result's address modulo 4096. Same criteria as the gate (wall-clock ratios); exit status 1
on FAIL (never with ``--quick``).

The parent process imports neither NumPy nor pycauset; it starts the children, gathers
their JSON, prints the tables and writes benchmarks/results/conversion-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

if __package__ in (None, ""):  # started as `python benchmarks/conversion.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks import _harness as H  # noqa: E402
else:
    from . import _harness as H

NAME = "conversion"
MODULE = "benchmarks.conversion"
GATE_MEDIAN = 0.90
GATE_MIN = 0.85
GATED_CASES = ("import", "import_cast", "export_copy")
SEED = 20240601

# name, kind ("matrix" | "vector" | "bits"), shape, dtype, cast target
REGIMES_FULL = [
    ("float64 2048x2048", "matrix", (2048, 2048), "float64", "float32"),
    ("float32 4096x4096", "matrix", (4096, 4096), "float32", "float64"),
    ("complex128 2048x2048", "matrix", (2048, 2048), "complex128", "complex64"),
    ("float64 vector 4194304", "vector", (4_194_304,), "float64", "float32"),
    ("float32 vector 8388608", "vector", (8_388_608,), "float32", "float64"),
    ("bit vector 268435456", "bits", (268_435_456,), "bool", None),
]
REGIMES_QUICK = [
    ("float64 256x256", "matrix", (256, 256), "float64", "float32"),
    ("float32 512x512", "matrix", (512, 512), "float32", "float64"),
    ("complex128 256x256", "matrix", (256, 256), "complex128", "complex64"),
    ("float64 vector 65536", "vector", (65_536,), "float64", "float32"),
    ("float32 vector 131072", "vector", (131_072,), "float32", "float64"),
    ("bit vector 4194304", "bits", (4_194_304,), "bool", None),
]
VIEW_CALLS = 2000  # calls per timed sample for the microsecond-scale export_view case


# =========================================================================== child side
# Everything below that touches NumPy / pycauset runs only in a child interpreter.


def _make_data(shape: tuple, dtype: str, rng: Any) -> Any:
    """Random values of full precision, plus special values that casts must preserve."""
    import numpy as np

    n = int(np.prod(shape))
    if dtype == "bool":
        return rng.integers(0, 2, size=n, dtype=np.uint8).view(np.bool_).reshape(shape)
    if dtype.startswith("complex"):
        real = np.dtype(dtype).char.lower()  # 'D' -> 'd', 'F' -> 'f'
        arr = np.empty(shape, dtype=dtype)
        flat = arr.reshape(-1)
        flat.real = rng.standard_normal(n, dtype=np.float64).astype(real)
        flat.imag = rng.standard_normal(n, dtype=np.float64).astype(real)
    else:
        arr = rng.standard_normal(n, dtype=np.float64).astype(dtype).reshape(shape)
    flat = arr.reshape(-1)
    info = np.finfo(arr.real.dtype if arr.dtype.kind == "c" else arr.dtype)
    specials = [0.0, -0.0, np.inf, -np.inf, np.nan, info.tiny, info.tiny / 4, -info.tiny / 2,
                info.max, -info.max, 1e-40, 1e300, -1e300, 3.4028235e38, 1.0 + 2.0**-30]
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        vals = np.array(specials, dtype=np.float64).astype(flat.real.dtype)
    step = max(1, n // (len(vals) + 1))
    for k, v in enumerate(vals):
        flat[(k + 1) * step - 1] = v            # complex: real part v, imaginary part 0
        if arr.dtype.kind == "c":
            flat.imag[(k + 1) * step] = v       # and one with imaginary part v
    return arr


def _bits_view(a: Any) -> Any:
    """The array reinterpreted as unsigned integers of up to 8 bytes (bit-exact compare)."""
    import numpy as np

    a = np.ascontiguousarray(a)
    width = min(a.dtype.itemsize, 8)
    return a.view(np.dtype(f"u{width}"))


def _same_bits(got: Any, ref: Any) -> Optional[str]:
    """None when ``got`` equals ``ref`` bit for bit (dtype, shape and every byte)."""
    import numpy as np

    if not isinstance(got, np.ndarray):
        return f"expected ndarray, got {type(got).__name__}"
    if got.dtype != ref.dtype:
        return f"dtype {got.dtype} != {ref.dtype}"
    if got.shape != ref.shape:
        return f"shape {got.shape} != {ref.shape}"
    g, r = _bits_view(got), _bits_view(ref)
    if np.array_equal(g, r):
        return None
    words = max(1, g.size // max(1, got.size))  # integer words per element
    bad = np.flatnonzero((g != r).reshape(-1)) // words
    first = int(bad[0])
    semantic = np.array_equal(got, ref, equal_nan=True)
    return (f"{np.unique(bad).size} of {got.size} elements differ bitwise (first at flat "
            f"index {first}: {got.reshape(-1)[first]!r} vs {ref.reshape(-1)[first]!r}); "
            f"equal by value with NaN == NaN: {semantic}")


def _check_pc_object(pc: Any, obj: Any, want_dtype: Any, shape: tuple, ref: Any,
                     bits: bool = False) -> Optional[str]:
    """A pycauset result of an import: its type, dtype, shape, storage and its values."""
    import numpy as np

    if not hasattr(obj, "_h"):
        return f"expected a pycauset object, got {type(obj).__name__}"
    if obj.dtype != want_dtype:
        return f"pycauset dtype {obj.dtype} != {want_dtype}"
    if tuple(obj.shape) != tuple(shape):
        return f"pycauset shape {obj.shape} != {shape}"
    if obj.storage.kind != "ram":
        return f"storage {obj.storage.kind}, expected ram"
    # Read the values through a zero-copy view where one exists: a checking copy
    # would come from NumPy's allocator and leave a freshly written, cache-hot
    # block there for the baseline's next call to reuse, which skews the timing.
    out = pc.to_numpy(obj) if bits else pc.to_numpy(obj, copy=False)
    if bits:  # ref: the baseline's packed bytes unpacked to 0/1 uint8
        if out.dtype != np.bool_:
            return f"bit export dtype {out.dtype}, expected bool"
        return _same_bits(out.view(np.uint8), ref)
    return _same_bits(out, ref)


def _check_export(out: Any, ref: Any, view: bool) -> Optional[str]:
    """An exported ndarray: flags (copy: writeable, C order; view: read-only, not
    owning its memory) and its values."""
    import numpy as np

    if not isinstance(out, np.ndarray):
        return f"expected ndarray, got {type(out).__name__}"
    if view:
        if out.flags.writeable:
            return "copy=False export is writeable (must be a read-only view)"
        if out.flags.owndata:
            return "copy=False export owns its data (expected a zero-copy view)"
    else:
        # A large copy owns its memory through its base (a block from pycauset's reuse
        # cache), so owndata is not required; a view could never be writeable.
        if not (out.flags.writeable and out.flags.c_contiguous):
            return f"copy=True export flags wrong:\n{out.flags}"
    if ref.dtype == np.uint8 and out.dtype == np.bool_:  # bit export vs np.unpackbits
        return _same_bits(out.view(np.uint8), ref)
    return _same_bits(out, ref)


def _check_baseline(out: Any, ref: Any) -> Optional[str]:
    return _same_bits(out, ref)


def _pc_probe() -> dict:
    """Bytes pycauset keeps mapped for reuse after objects die (its RAM mapping cache).

    Those pages are resident but were faulted in before the call, so the peak delta of
    a call that reuses them is ~0; the table shows this figure next to it.
    """
    core = sys.modules.get("pycauset._core")
    fn = getattr(core, "ram_bytes_cached", None)
    return {"pycauset_cached_bytes": fn()} if fn is not None else {}


def _cold_setup(args: argparse.Namespace) -> Any:
    """With --cold: drop pycauset's mapping cache before each pycauset call (untimed)."""
    if not args.cold:
        return None
    core = sys.modules.get("pycauset._core")
    fn = getattr(core, "release_cached_ram", None)
    if fn is None:
        raise SystemExit("--cold needs pycauset._core.release_cached_ram, which this build lacks")
    return fn


def _compare(pc_side: "H.Side", np_side: "H.Side", args: argparse.Namespace,
             number: int = 1) -> dict:
    if pc_side.setup is None:
        pc_side.setup = _cold_setup(args)
    # Calls of milliseconds are timed in calibrated samples (see H.alternate); the
    # microsecond-scale view case keeps its fixed back-to-back loop.
    sample_s = args.sample_ms / 1e3 if number == 1 and args.sample_ms > 0 else None
    comp = H.alternate(pc_side, np_side, warmup=args.warmup, repeat=args.repeat, number=number,
                       probe=_pc_probe, sample_seconds=sample_s)
    return comp.to_dict()


def _regime_cases(pc: Any, np: Any, name: str, kind: str, shape: tuple, dtype: str,
                  cast: Optional[str], args: argparse.Namespace, rng: Any) -> dict:
    """All cases of one regime; returns {case: comparison dict + payload}."""
    import warnings

    cases: dict[str, Any] = {}
    arr = _make_data(shape, dtype, rng)
    factory = pc.matrix if kind == "matrix" else pc.vector

    if kind == "bits":
        n = arr.size
        packed_ref = np.packbits(arr)                      # baseline import result
        bits_ref = np.unpackbits(packed_ref, count=n)      # its meaning, as 0/1 bytes
        if not np.array_equal(bits_ref, arr.view(np.uint8)):
            raise RuntimeError("baseline packbits/unpackbits round trip is wrong")
        payload = packed_ref.nbytes
        H.log(f"  {name}: import (pack)")
        cases["import"] = _compare(
            H.Side("pycauset", lambda: pc.vector(arr),
                   lambda o: _check_pc_object(pc, o, pc.bit, shape, bits_ref, bits=True)),
            H.Side("numpy", lambda: np.packbits(arr), lambda o: _check_baseline(o, packed_ref)),
            args)
        cases["import"]["payload_bytes"] = payload
        cases["import"]["baseline_call"] = "np.packbits(bool_arr)"
        cases["import"]["pycauset_call"] = "pc.vector(bool_arr)"

        bitvec = pc.vector(arr)
        H.log(f"  {name}: export copy=True (unpack)")
        cases["export_copy"] = _compare(
            H.Side("pycauset", lambda: pc.to_numpy(bitvec),
                   lambda o: _check_export(o, bits_ref, view=False)),
            H.Side("numpy", lambda: np.unpackbits(packed_ref),
                   lambda o: _check_baseline(o, bits_ref)),
            args)
        cases["export_copy"]["payload_bytes"] = payload
        cases["export_copy"]["baseline_call"] = "np.unpackbits(packed)"
        cases["export_copy"]["pycauset_call"] = "pc.to_numpy(bitvec)"
        cases["export_view"] = {"skipped": "bit objects are packed; to_numpy(copy=False) "
                                "cannot return a view (it warns and copies)"}
        del bitvec
        return cases

    src_pc_dtype = pc.dtype(arr.dtype)
    payload = arr.nbytes

    # --- import, same dtype
    ref = np.array(arr, copy=True)
    H.log(f"  {name}: import")
    cases["import"] = _compare(
        H.Side("pycauset", lambda: factory(arr),
               lambda o: _check_pc_object(pc, o, src_pc_dtype, shape, ref)),
        H.Side("numpy", lambda: np.array(arr, copy=True), lambda o: _check_baseline(o, ref)),
        args)
    cases["import"].update(payload_bytes=payload, pycauset_call=f"pc.{kind}(arr)",
                           baseline_call="np.array(arr, copy=True)")

    # --- import with cast
    target = np.dtype(cast)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        ref_cast = arr.astype(target, copy=True)
    want = pc.dtype(target)
    H.log(f"  {name}: import cast -> {cast}")

    def np_cast() -> Any:
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            return arr.astype(target, copy=True)

    cases["import_cast"] = _compare(
        H.Side("pycauset", lambda: factory(arr, dtype=cast),
               lambda o: _check_pc_object(pc, o, want, shape, ref_cast)),
        H.Side("numpy", np_cast, lambda o: _check_baseline(o, ref_cast)),
        args)
    cases["import_cast"].update(payload_bytes=payload, cast=f"{dtype}->{cast}",
                                pycauset_call=f"pc.{kind}(arr, dtype='{cast}')",
                                baseline_call=f"arr.astype({cast}, copy=True)")
    del ref_cast

    # --- export copy=True
    obj = factory(arr)
    H.log(f"  {name}: export copy=True")
    cases["export_copy"] = _compare(
        H.Side("pycauset", lambda: pc.to_numpy(obj), lambda o: _check_export(o, ref, view=False)),
        H.Side("numpy", lambda: arr.copy(), lambda o: _check_baseline(o, ref)),
        args)
    cases["export_copy"].update(payload_bytes=payload, pycauset_call="pc.to_numpy(obj)",
                                baseline_call="arr.copy()")

    # --- export copy=False (informational): first prove it is a view and does not warn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probe = pc.to_numpy(obj, copy=False)
    view_note = _check_export(probe, ref, view=True)
    del probe
    H.log(f"  {name}: export copy=False")
    number = 50 if args.quick else VIEW_CALLS
    cases["export_view"] = _compare(
        H.Side("pycauset", lambda: pc.to_numpy(obj, copy=False),
               lambda o: _check_export(o, ref, view=True)),
        H.Side("numpy", lambda: arr.view(), lambda o: _check_baseline(o, ref)),
        args, number=number)
    cases["export_view"].update(payload_bytes=payload, pycauset_call="pc.to_numpy(obj, copy=False)",
                                baseline_call="arr.view()", probe_check=view_note)
    del obj, ref
    return cases


def _scaling(pc: Any, np: Any, args: argparse.Namespace, rng: Any) -> list:
    """float64 import/export throughput, payloads 1 MiB .. max in powers of 4 (informational)."""
    out = []
    max_mib = min(args.scaling_max_mib, 16) if args.quick else args.scaling_max_mib
    mib = 1
    while mib <= max_mib:
        nbytes = mib * 2**20
        cols = 1024
        rows = nbytes // 8 // cols
        arr = rng.standard_normal(rows * cols).reshape(rows, cols)
        ref = arr  # the baseline results are copies of arr; compare against arr itself
        H.log(f"  scaling {mib} MiB: import")
        imp = _compare(
            H.Side("pycauset", lambda: pc.matrix(arr),
                   lambda o: _check_pc_object(pc, o, pc.float64, arr.shape, ref)),
            H.Side("numpy", lambda: np.array(arr, copy=True), lambda o: _check_baseline(o, ref)),
            args)
        obj = pc.matrix(arr)
        H.log(f"  scaling {mib} MiB: export")
        exp = _compare(
            H.Side("pycauset", lambda: pc.to_numpy(obj),
                   lambda o: _check_export(o, ref, view=False)),
            H.Side("numpy", lambda: arr.copy(), lambda o: _check_baseline(o, ref)),
            args)
        del obj
        out.append({"payload_bytes": nbytes, "shape": [rows, cols], "import": imp, "export": exp})
        del arr, ref
        mib *= 4
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
                               "pycauset_threads_set": threads})
    regimes = REGIMES_QUICK if args.quick else REGIMES_FULL
    if args.regime:
        regimes = [r for r in regimes if any(s.lower() in r[0].lower() for s in args.regime)]
    rng = np.random.default_rng(SEED)
    results = []
    for name, kind, shape, dtype, cast in regimes:
        H.log(f"[{mode}] {name}")
        cases = _regime_cases(pc, np, name, kind, shape, dtype, cast, args, rng)
        results.append({"regime": name, "kind": kind, "shape": list(shape), "dtype": dtype,
                        "cast_to": cast, "cases": cases})
    scaling = _scaling(pc, np, args, rng) if args.scaling else None
    meta["loadavg_end"] = (H._read("/proc/loadavg") or "").strip() or None
    payload = {"mode": mode, "metadata": meta, "regimes": results, "scaling": scaling}
    with open(args._out, "w") as f:
        json.dump(payload, f, default=H._json_default)
    return 0


# =========================================================================== independent mode


def _digest(a: Any) -> bytes:
    """BLAKE2 digest of an array's bytes in C order (allocates nothing for contiguous data)."""
    import hashlib

    import numpy as np

    return hashlib.blake2b(memoryview(np.ascontiguousarray(a)).cast("B")).digest()


def _independent_check(out: Any, want: tuple, export: bool) -> Optional[str]:
    """Exact, allocation-free check of one result against (dtype, shape, digest)."""
    import numpy as np

    dtype, shape, digest = want
    if hasattr(out, "_h"):  # an imported pycauset object: read it through a view
        if out.storage.kind != "ram":
            return f"storage {out.storage.kind}, expected ram"
        import pycauset as pc

        out = pc.to_numpy(out, copy=False)
    elif not isinstance(out, np.ndarray):
        return f"expected ndarray, got {type(out).__name__}"
    elif export and not (out.flags.writeable and out.flags.c_contiguous):
        return f"copy=True export flags wrong:\n{out.flags}"
    if out.dtype != dtype or out.shape != shape:
        return f"{out.dtype} {out.shape} != {dtype} {shape}"
    return None if _digest(out) == digest else "values differ from the baseline's (digest)"


def _independent_case(pc_call: Any, np_call: Any, want: tuple, export: bool,
                      args: argparse.Namespace) -> dict:
    import gc
    import resource
    import time

    def one(call: Any) -> tuple:
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        c0 = time.thread_time_ns()
        t0 = time.perf_counter_ns()
        out = call()
        t1 = time.perf_counter_ns()
        c1 = time.thread_time_ns()
        f1 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        addr = out.ctypes.data % 4096 if hasattr(out, "ctypes") else None
        msg = _independent_check(out, want, export)
        del out
        return (t1 - t0) / 1e9, (c1 - c0) / 1e9, f1 - f0, addr, msg

    rec: dict = {"pycauset": [], "numpy": [], "failures": []}
    gc.collect()
    gc.disable()
    try:
        for i in range(args.warmup + args.repeat):
            for side, call in (("pycauset", pc_call), ("numpy", np_call)):
                wall, cpu, faults, addr, msg = one(call)
                if msg:
                    rec["failures"].append({"side": side, "iteration": i, "message": msg})
                if i >= args.warmup:
                    rec[side].append({"wall_s": wall, "cpu_s": cpu, "minor_faults": faults,
                                      "addr_mod_4096": addr})
    finally:
        gc.enable()
    ratio = [n["wall_s"] / p["wall_s"] for p, n in zip(rec["pycauset"], rec["numpy"])]
    cpu_ratio = [n["cpu_s"] / p["cpu_s"] for p, n in zip(rec["pycauset"], rec["numpy"])
                 if p["cpu_s"] > 0]
    rec["ratio"] = H.summarize(ratio) | {"all": ratio}
    rec["cpu_ratio"] = H.summarize(cpu_ratio) | {"all": cpu_ratio}
    rec["pass"] = (not rec["failures"] and rec["ratio"]["median"] >= GATE_MEDIAN
                   and rec["ratio"]["min"] >= GATE_MIN)
    return rec


def child_independent(args: argparse.Namespace) -> int:
    import statistics

    import numpy as np

    import pycauset as pc

    pc.set_num_threads(1)
    meta = H.machine_metadata({"run": "independent", "pycauset_threads_set": 1})
    regimes = REGIMES_QUICK if args.quick else REGIMES_FULL
    if args.regime:
        regimes = [r for r in regimes if any(t.lower() in r[0].lower() for t in args.regime)]
    rng = np.random.default_rng(SEED)
    rows = []
    for name, kind, shape, dtype, _cast in regimes:
        if kind == "bits":
            continue  # different calls on the two sides (packbits); the gate covers them
        arr = _make_data(shape, dtype, rng)
        want = (arr.dtype, arr.shape, _digest(arr))
        factory = pc.matrix if kind == "matrix" else pc.vector
        H.log(f"[independent] {name}: import")
        imp = _independent_case(lambda: factory(arr), lambda: np.array(arr, copy=True), want,
                                False, args)
        obj = factory(arr)
        H.log(f"[independent] {name}: export copy=True")
        exp = _independent_case(lambda: pc.to_numpy(obj), lambda: arr.copy(), want, True, args)
        del obj, arr
        for case, rec in (("import", imp), ("export_copy", exp)):
            med = {s: {k: statistics.median(r[k] for r in rec[s]) for k in ("wall_s", "cpu_s",
                                                                             "minor_faults")}
                   for s in ("pycauset", "numpy")}
            rows.append({"regime": name, "case": case, "payload_bytes": int(np.prod(shape)) *
                         np.dtype(dtype).itemsize, "median": med, **rec})
    with open(args._out, "w") as f:
        json.dump({"mode": "independent", "metadata": meta, "rows": rows}, f,
                  default=H._json_default)
    return 0


def independent_main(args: argparse.Namespace, argv: list) -> int:
    ts = H.utc_timestamp()
    with tempfile.TemporaryDirectory(prefix="pycauset-bench-") as tmp:
        out = Path(tmp) / "independent.json"
        env = H.pinned_env()
        H.log(f"== independent run: child interpreter, thread env {H.thread_env_snapshot(env)}")
        rc = H.run_child(MODULE, [*argv, "--_child", "independent", "--_out", str(out)], env)
        if rc != 0 or not out.is_file():
            print(f"independent run failed with exit status {rc}", file=sys.stderr)
            return 2
        run = json.loads(out.read_text())
    gated = not args.quick
    table = []
    for r in run["rows"]:
        m = r["median"]
        word = ("PASS" if r["pass"] else "FAIL") if gated else ("ok" if r["pass"] else "below")
        table.append([r["regime"], r["case"], H.fmt_ms(m["pycauset"]["wall_s"]),
                      H.fmt_ms(m["numpy"]["wall_s"]),
                      f"{r['ratio']['median']:.3f} ({r['ratio']['min']:.3f}-{r['ratio']['max']:.3f})",
                      f"{r['cpu_ratio']['median']:.3f}" if r["cpu_ratio"]["median"] else "-",
                      f"{m['pycauset']['minor_faults']:g} / {m['numpy']['minor_faults']:g}",
                      word + ("" if not r["failures"] else " (check failed)")])
    meta = run["metadata"]
    print("# Conversion, independent harness — " + ("gate" if gated else "quick (not gated)"))
    print(f"single calls alternating pycauset, NumPy; results checked (digest, untimed) and "
          f"freed between calls; {args.repeat} timed pairs after {args.warmup} warm-ups; 1 "
          f"thread; criteria median >= {GATE_MEDIAN}, min >= {GATE_MIN} (wall ratio). "
          f"CPU {meta['cpu']['model']}, loadavg {meta.get('loadavg')}")
    print()
    print(H.markdown_table(["regime", "case", "pycauset", "NumPy", "ratio med (min-max)",
                            "CPU-time ratio med", "faults/call pc / np", "verdict"], table))
    failed = [f"{r['regime']} {r['case']}" for r in run["rows"] if not r["pass"]]
    overall = ("PASS" if not failed else "FAIL") if gated else "NOT GATED (quick)"
    path = H.write_json(NAME + "-independent" + ("-quick" if args.quick else ""),
                        {"benchmark": NAME, "mode": "independent", "argv": argv,
                         "warmup": args.warmup, "repeat": args.repeat, "overall": overall,
                         "run": run}, ts)
    print(f"\noverall: {overall}" + (f" ({', '.join(failed)})" if failed else ""))
    print(f"results: {path.relative_to(H.REPO_ROOT)}")
    return 1 if gated and failed else 0


# =========================================================================== parent side


def _verdicts(run: dict) -> dict:
    """Per-regime PASS/FAIL of a run (gate criteria; the caller decides whether it gates)."""
    out = {}
    for reg in run["regimes"]:
        reasons = []
        for case in GATED_CASES:
            c = reg["cases"].get(case)
            if c is None:
                continue
            r = c["ratio"]
            if not c["check_ok"]:
                reasons.append(f"{case}: wrong result ({c['failures'][0]['message']})")
            if r["median"] is None or r["median"] < GATE_MEDIAN:
                reasons.append(f"{case}: median ratio {H.fmt_ratio(r['median'])} < {GATE_MEDIAN}")
            if r["min"] is None or r["min"] < GATE_MIN:
                reasons.append(f"{case}: min ratio {H.fmt_ratio(r['min'])} < {GATE_MIN}")
        out[reg["regime"]] = {"pass": not reasons, "reasons": reasons}
    return out


def _case_ok(c: dict) -> bool:
    r = c["ratio"]
    return (c["check_ok"] and r["median"] is not None and r["median"] >= GATE_MEDIAN
            and r["min"] >= GATE_MIN)


def _time_cell(s: dict) -> str:
    return f"{H.fmt_ms(s['median'])} ({H.fmt_ms(s['min'])}–{H.fmt_ms(s['max'])})"


def _main_table(run: dict, gated: bool) -> str:
    headers = ["regime", "case", "payload MiB", "calls/sample", "pycauset ms med (min–max)",
               "NumPy ms med (min–max)", "pycauset GB/s", "NumPy GB/s", "ratio med",
               "ratio min", "ratio max", "peak +MiB pc", "peak +MiB np", "pc cache MiB",
               "check",
               "gate" if gated else "criteria"]
    rows = []
    for reg in run["regimes"]:
        for case in GATED_CASES:
            c = reg["cases"].get(case)
            if c is None:
                continue
            p = c["payload_bytes"]
            label = case + (f" ({c['cast']})" if "cast" in c else "")
            rows.append([
                reg["regime"], label, H.fmt_mib(p), str(c["calls_per_sample"]),
                _time_cell(c["subject_seconds"]),
                _time_cell(c["baseline_seconds"]),
                H.fmt_gbps(p, c["subject_seconds"]["median"]),
                H.fmt_gbps(p, c["baseline_seconds"]["median"]),
                H.fmt_ratio(c["ratio"]["median"]), H.fmt_ratio(c["ratio"]["min"]),
                H.fmt_ratio(c["ratio"]["max"]),
                H.fmt_mib(c["subject_rss"]["max_peak_delta_bytes"]),
                H.fmt_mib(c["baseline_rss"]["max_peak_delta_bytes"]),
                H.fmt_mib(c["subject_rss"].get("max_pycauset_cached_bytes")),
                "ok" if c["check_ok"] else "WRONG",
                ("ok" if _case_ok(c) else "FAIL") if gated else
                ("meets" if _case_ok(c) else "below"),
            ])
    return H.markdown_table(headers, rows, "llrrrrrrrrrrrrll")


def _view_table(run: dict) -> str:
    headers = ["regime", "pycauset µs/call med (min–max)", "arr.view() µs/call med",
               "ratio med", "peak +MiB pc", "check"]
    rows = []
    for reg in run["regimes"]:
        c = reg["cases"].get("export_view")
        if c is None or "skipped" in c:
            rows.append([reg["regime"], "n/a (bit: no view possible)", "", "", "", ""])
            continue
        s, b = c["subject_seconds"], c["baseline_seconds"]
        ok = c["check_ok"] and not c.get("probe_check")
        rows.append([reg["regime"],
                     f"{s['median'] * 1e6:.2f} ({s['min'] * 1e6:.2f}–{s['max'] * 1e6:.2f})",
                     f"{b['median'] * 1e6:.2f}", H.fmt_ratio(c["ratio"]["median"]),
                     H.fmt_mib(c["subject_rss"]["max_peak_delta_bytes"]),
                     "ok" if ok else f"WRONG {c.get('probe_check') or ''}"])
    return H.markdown_table(headers, rows, "lrrrrl")


def _scaling_table(run: dict) -> str:
    headers = ["payload MiB", "import pc GB/s", "import np GB/s", "import ratio med (min)",
               "export pc GB/s", "export np GB/s", "export ratio med (min)",
               "peak +MiB imp pc/np", "peak +MiB exp pc/np", "check"]
    rows = []
    for s in run["scaling"] or []:
        p = s["payload_bytes"]
        i, e = s["import"], s["export"]
        rows.append([
            H.fmt_mib(p).rstrip("0").rstrip("."),
            H.fmt_gbps(p, i["subject_seconds"]["median"]),
            H.fmt_gbps(p, i["baseline_seconds"]["median"]),
            f"{H.fmt_ratio(i['ratio']['median'])} ({H.fmt_ratio(i['ratio']['min'])})",
            H.fmt_gbps(p, e["subject_seconds"]["median"]),
            H.fmt_gbps(p, e["baseline_seconds"]["median"]),
            f"{H.fmt_ratio(e['ratio']['median'])} ({H.fmt_ratio(e['ratio']['min'])})",
            f"{H.fmt_mib(i['subject_rss']['max_peak_delta_bytes'])}/"
            f"{H.fmt_mib(i['baseline_rss']['max_peak_delta_bytes'])}",
            f"{H.fmt_mib(e['subject_rss']['max_peak_delta_bytes'])}/"
            f"{H.fmt_mib(e['baseline_rss']['max_peak_delta_bytes'])}",
            "ok" if (i["check_ok"] and e["check_ok"]) else "WRONG",
        ])
    return H.markdown_table(headers, rows, "rrrrrrrrrl")


def _header(run: dict) -> str:
    m = run["metadata"]
    cpu, pcm = m["cpu"], m["pycauset"]
    return (f"CPU {cpu['model']} ({cpu['logical_cpus']} logical CPUs, affinity "
            f"{cpu['cpus_in_affinity_mask']}), RAM {m['memory'].get('MemTotal', 0) / 2**30:.1f} GiB, "
            f"{m['os']['pretty_name']} kernel {m['os']['kernel']}, Python {m['python']['version']}, "
            f"NumPy {m['numpy']['version']}, pycauset {pcm['version']} "
            f"({pcm['build'].get('CMAKE_BUILD_TYPE', '?')}), pycauset threads "
            f"{pcm['num_threads']}, BLAS threads {pcm['blas']['num_threads']}, THP "
            f"{m['transparent_hugepage']['enabled']}, thread env {m['thread_env']}, "
            f"loadavg start {m['loadavg']} / end {m.get('loadavg_end')}")


def _print_run(run: dict, title: str, gated: bool, verdicts: Optional[dict]) -> None:
    print(f"\n## {title}\n")
    print(_header(run) + "\n")
    print(_main_table(run, gated))
    print("\npeak +MiB: VmHWM during the call minus VmRSS just before it (max over timed runs). "
          "pc cache MiB: freed mappings pycauset keeps resident for reuse, sampled before its "
          "calls; a call that reuses them shows ~0 peak +MiB. ratio = t_numpy / t_pycauset.")
    print("\nexport copy=False (zero-copy view; informational, not gated):\n")
    print(_view_table(run))
    if run.get("scaling"):
        print("\nscaling, float64 (rows x 1024), informational:\n")
        print(_scaling_table(run))
    if verdicts is not None:
        print()
        for regime, v in verdicts.items():
            word = ("PASS" if v["pass"] else "FAIL") if gated else \
                ("meets criteria" if v["pass"] else "below criteria")
            print(f"{word:>14}  {regime}" + ("" if v["pass"] else "  -- " + "; ".join(v["reasons"])))


def parent_main(args: argparse.Namespace, argv: list) -> int:
    ts = H.utc_timestamp()
    original_env = H.thread_env_snapshot()
    runs: dict[str, Any] = {}
    status: dict[str, Any] = {}
    plan = [("pinned", H.pinned_env())]
    if not args.no_native:
        plan.append(("native", H.native_env()))
    with tempfile.TemporaryDirectory(prefix="pycauset-bench-") as tmp:
        for mode, env in plan:
            out = Path(tmp) / f"{mode}.json"
            H.log(f"== {mode} run: child interpreter, thread env "
                  f"{H.thread_env_snapshot(env)}")
            rc = H.run_child(MODULE, [*argv, "--_child", mode, "--_out", str(out)], env)
            status[mode] = rc
            if rc == 0 and out.is_file():
                runs[mode] = json.loads(out.read_text())
            else:
                H.log(f"!! {mode} run failed with exit status {rc}")

    gated = not (args.quick or args.cold)
    verdicts = {m: _verdicts(r) for m, r in runs.items()}
    title_mode = ("quick smoke run (not gated)" if args.quick else
                  "cold-cache run (informational, not gated)" if args.cold else "gate")
    print(f"# Conversion benchmark — {title_mode}")
    print(f"criteria: median ratio >= {GATE_MEDIAN} and min ratio >= {GATE_MIN} for import, "
          f"import_cast, export_copy; ratio = t_numpy / t_pycauset per alternating pair; "
          f"{args.repeat} timed pairs after {args.warmup} warm-ups; samples of about "
          f"{args.sample_ms:g} ms (calls per sample in the JSON)")
    if "pinned" in runs:
        _print_run(runs["pinned"], "Pinned run (all pools = 1 thread)"
                   + (" — GATED" if gated else ""), gated, verdicts["pinned"])
    if "native" in runs:
        _print_run(runs["native"], "Native-threads run (informational)", False,
                   verdicts["native"])

    failed = [r for r, v in verdicts.get("pinned", {}).items() if not v["pass"]]
    if "pinned" not in runs:
        overall = "ERROR"
    elif not gated:
        overall = "NOT GATED (quick)" if args.quick else "NOT GATED (cold)"
    else:
        overall = "PASS" if not failed else "FAIL"
    name = NAME + ("-quick" if args.quick else "") + ("-cold" if args.cold else "")
    path = H.write_json(name, {
        "benchmark": NAME,
        "mode": "quick" if args.quick else "full",
        "cold": args.cold,
        "argv": argv,
        "criteria": {"median_ratio_min": GATE_MEDIAN, "min_ratio_min": GATE_MIN,
                     "gated_cases": list(GATED_CASES),
                     "ratio": "t_numpy / t_pycauset per alternating pair"},
        "warmup": args.warmup,
        "repeat": args.repeat,
        "thread_env_of_invoking_process": original_env,
        "child_exit_status": status,
        "verdicts": verdicts,
        "overall": overall,
        "runs": runs,
    }, ts)
    if failed:
        label = "failing regimes" if gated else "regimes below the criteria (not gated)"
        print(f"\noverall: {overall} ({label}: {', '.join(failed)})")
    else:
        print(f"\noverall: {overall}")
    print(f"results: {path.relative_to(H.REPO_ROOT)}")
    if "pinned" not in runs or any(rc != 0 for rc in status.values()):
        return 2
    if gated and failed:
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.conversion",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="small payloads, 1 warm-up, 3 repeats, never gates (CI smoke run)")
    p.add_argument("--repeat", type=int, default=None, help="timed pairs (default 7; quick 3)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up pairs (default 2; quick 1)")
    p.add_argument("--scaling", action="store_true",
                   help="also sweep float64 import/export over payloads 1 MiB .. --scaling-max-mib")
    p.add_argument("--scaling-max-mib", type=int, default=1024,
                   help="largest scaling payload in MiB (default 1024; quick caps at 16)")
    p.add_argument("--sample-ms", type=float, default=None,
                   help="target length of one timed sample in ms: calls per sample are "
                        "calibrated on the warm-ups, the same for both sides (default 50; "
                        "quick 5; 0 = one call per sample)")
    p.add_argument("--regime", action="append", default=[],
                   help="run only regimes whose name contains this text (repeatable)")
    p.add_argument("--no-native", action="store_true", help="skip the native-threads run")
    p.add_argument("--cold", action="store_true",
                   help="informational, never gates: before every pycauset call (untimed) drop "
                        "the freed mappings pycauset keeps for reuse, so its imports fault in "
                        "fresh pages as a first conversion would (NumPy's allocator is untouched)")
    p.add_argument("--independent", action="store_true",
                   help="the plain harness: single calls alternating, results freed between "
                        "calls, no calibration (import and export_copy; see the module doc)")
    p.add_argument("--_child", choices=("pinned", "native", "independent"), help=argparse.SUPPRESS)
    p.add_argument("--_out", help=argparse.SUPPRESS)
    return p


def main(argv: Optional[list] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    H.default_counts(args)
    if args.sample_ms is None:
        args.sample_ms = 5.0 if args.quick else 50.0
    if args._child == "independent":
        return child_independent(args)
    if args._child:
        return child_main(args)
    if args.independent:
        return independent_main(args, argv)
    return parent_main(args, argv)


if __name__ == "__main__":
    sys.exit(main())
