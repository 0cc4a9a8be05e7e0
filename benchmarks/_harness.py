"""Shared machinery for pycauset's benchmark gates (how they measure: docs/performance.md).

Everything a gate needs besides its own workloads lives here:

* run metadata (:func:`machine_metadata`): CPU model and SIMD flags, cores, RAM, OS and
  kernel, Python, NumPy (and its BLAS), pycauset (version, build flags, BLAS, threads),
  transparent huge pages, the load average, and the thread variables as they were;
* thread environments and re-running a gate in a child process (:func:`pinned_env`,
  :func:`native_env`, :func:`run_child`) -- thread variables only take effect if they
  are set *before* NumPy / OpenBLAS / pycauset are imported, so a pinned run must be a
  fresh interpreter;
* the alternating timing loop (:func:`alternate`): subject, baseline, subject,
  baseline, ... with uncounted warm-ups, a correctness check of every result, per-side
  times, per-pair ratios and per-side peak memory;
* summaries (:func:`summarize`), JSON output (:func:`write_json`), markdown tables
  (:func:`markdown_table`) and text files of them (:func:`write_text`).

Peak memory, and why it is measured this way
--------------------------------------------
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is the peak of the whole process since it
started, so once the larger side has run it says nothing about the other. Sampling
``VmRSS`` from a thread misses short peaks and, on a 2-core machine, steals CPU from the
single-threaded side being timed. Instead :class:`PeakRss` uses the kernel's own
high-water mark: writing ``5`` to ``/proc/self/clear_refs`` (Linux >= 4.0) resets
``VmHWM`` to the current ``VmRSS``; reading ``VmHWM`` after the call gives the exact peak
resident set *during that call*. Both happen outside the timed region and cost
microseconds. We report, per side, ``peak_delta`` = VmHWM after the call minus VmRSS just
before it (the memory the call itself added at its peak, including the result it
returns) and the absolute VmHWM. VmHWM counts file-backed pages too; for in-RAM
conversions that is irrelevant. Out-of-core gates must use :class:`RssSampler`, which
samples ``RssAnon`` (the anonymous working set, which out-of-core gates limit) from a
background thread.

Nothing here imports NumPy or pycauset at module level: a parent process that only
spawns pinned children must not load them (and their thread pools) itself.
"""

from __future__ import annotations

import datetime as _dt
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"

#: The thread variables every run records (as they were when the process started).
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
)
#: The variables a pinned run sets to 1 (before anything that reads them is imported).
PINNED_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

# SIMD and related flags worth recording from /proc/cpuinfo (the full list is long).
_NOTABLE_FLAGS = (
    "sse2", "ssse3", "sse4_1", "sse4_2", "popcnt", "avx", "f16c", "fma", "bmi1", "bmi2",
    "avx2", "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx512ifma",
    "avx512vbmi", "avx512_vbmi2", "avx512_vnni", "avx512_bf16", "avx512_fp16",
    "avx512_bitalg", "avx512_vpopcntdq", "amx_tile", "amx_bf16", "amx_int8", "erms", "fsrm",
    "hypervisor",
)


# --------------------------------------------------------------------------- time / misc


def utc_timestamp() -> str:
    """Compact UTC timestamp for file names, e.g. ``20250101T120000Z``."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _read(path: str | Path) -> Optional[str]:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def log(msg: str) -> None:
    """Progress to stderr (stdout is kept for the tables)."""
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- threads


def thread_env_snapshot(environ: Optional[dict] = None) -> dict:
    """The thread variables as they are in ``environ`` (default: this process); None = unset."""
    env = os.environ if environ is None else environ
    return {k: env.get(k) for k in THREAD_VARS}


def pinned_env(base: Optional[dict] = None, n: int = 1) -> dict:
    """A copy of ``base`` with OMP/MKL/OPENBLAS_NUM_THREADS set to ``n``."""
    env = dict(os.environ if base is None else base)
    for k in PINNED_VARS:
        env[k] = str(n)
    return env


def native_env(base: Optional[dict] = None) -> dict:
    """A copy of ``base`` with the thread-count variables removed (libraries' own defaults).

    OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are not thread counts and are left as they were.
    """
    env = dict(os.environ if base is None else base)
    for k in PINNED_VARS:
        env.pop(k, None)
    return env


def run_child(module: str, args: Sequence[str], env: dict) -> int:
    """Run ``python -m module *args`` from the repository root with ``env``; its return code.

    The repository root is put first on PYTHONPATH so ``benchmarks`` imports whether the
    gate was started as ``python -m benchmarks.x`` or ``python benchmarks/x.py``.
    """
    env = dict(env)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    cmd = [sys.executable, "-m", module, *args]
    return subprocess.call(cmd, cwd=str(REPO_ROOT), env=env)


# --------------------------------------------------------------------------- metadata


def _cpu_info() -> dict:
    text = _read("/proc/cpuinfo") or ""
    model = None
    flags: set[str] = set()
    cores = set()
    phys_id = core_id = None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "model name" and model is None:
            model = value
        elif key == "flags" and not flags:
            flags = set(value.split())
        elif key == "physical id":
            phys_id = value
        elif key == "core id":
            core_id = value
        elif not key and phys_id is not None:
            cores.add((phys_id, core_id))
            phys_id = core_id = None
    if phys_id is not None:
        cores.add((phys_id, core_id))
    try:
        affinity = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = None
    quota = (_read("/sys/fs/cgroup/cpu.max") or "").strip() or None
    return {
        "model": model or platform.processor() or None,
        "machine": platform.machine(),
        "flags_notable": [f for f in _NOTABLE_FLAGS if f in flags],
        "flags_count": len(flags),
        "logical_cpus": os.cpu_count(),
        "cpus_in_affinity_mask": affinity,
        "physical_cores": len(cores) or None,
        "cgroup_cpu_max": quota,
    }


def _meminfo() -> dict:
    out: dict[str, Any] = {}
    for line in (_read("/proc/meminfo") or "").splitlines():
        key, _, rest = line.partition(":")
        if key in ("MemTotal", "MemAvailable", "SwapTotal"):
            out[key] = int(rest.split()[0]) * 1024
    limit = (_read("/sys/fs/cgroup/memory.max") or "").strip()
    out["cgroup_memory_max"] = limit or None
    return out


def _os_info() -> dict:
    pretty = None
    for line in (_read("/etc/os-release") or "").splitlines():
        if line.startswith("PRETTY_NAME="):
            pretty = line.split("=", 1)[1].strip().strip('"')
    u = platform.uname()
    return {"pretty_name": pretty, "system": u.system, "kernel": u.release,
            "kernel_version": u.version, "platform": platform.platform()}


def _thp() -> dict:
    def pick(path: str) -> Optional[str]:
        raw = _read(path)
        if raw is None:
            return None
        for word in raw.split():
            if word.startswith("["):
                return word.strip("[]")
        return raw.strip()

    base = "/sys/kernel/mm/transparent_hugepage/"
    return {"enabled": pick(base + "enabled"), "defrag": pick(base + "defrag"),
            "enabled_raw": (_read(base + "enabled") or "").strip() or None}


def _git_commit() -> Optional[str]:
    """HEAD's commit, read from the .git files (no git process is run)."""
    git = REPO_ROOT / ".git"
    try:
        if git.is_file():  # worktree: "gitdir: <path>"
            git = Path(git.read_text().split(":", 1)[1].strip())
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head
        ref = head.split(":", 1)[1].strip()
        common = git
        if (git / "commondir").is_file():
            common = (git / (git / "commondir").read_text().strip()).resolve()
        for base in (git, common):
            if (base / ref).is_file():
                return (base / ref).read_text().strip()
        for base in (git, common):
            packed = _read(base / "packed-refs") or ""
            for line in packed.splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref:
                    return parts[0]
    except (OSError, IndexError):
        return None
    return None


def _pycauset_build() -> dict:
    """Build configuration of the installed extension, from the CMake cache next to it."""
    info: dict[str, Any] = {}
    keys = ("CMAKE_BUILD_TYPE", "CMAKE_CXX_COMPILER", "CMAKE_CXX_FLAGS", "SKBUILD_STATE",
            "SKBUILD_PROJECT_VERSION", "PYCAUSET_BUILD_TESTS")
    caches = sorted((REPO_ROOT / "build").glob("*/CMakeCache.txt"),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for cache in caches:
        text = _read(cache) or ""
        if "SKBUILD_PROJECT_NAME:STRING=pycauset" not in text:
            continue
        values = {}
        for line in text.splitlines():
            name, _, value = line.partition("=")
            base = name.split(":", 1)[0]
            if base in keys:
                values[base] = value
        btype = values.get("CMAKE_BUILD_TYPE", "")
        if btype:
            flag_key = f"CMAKE_CXX_FLAGS_{btype.upper()}"
            for line in text.splitlines():
                if line.split(":", 1)[0] == flag_key:
                    values[flag_key] = line.partition("=")[2]
        info = {"cmake_cache": str(cache.relative_to(REPO_ROOT)), **values}
        break
    return info


def machine_metadata(extra: Optional[dict] = None) -> dict:
    """Everything recorded with a run (machine, libraries, build, threads). Imports NumPy and pycauset."""
    import numpy as np

    import pycauset as pc

    meta: dict[str, Any] = {
        "timestamp_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "hostname": platform.node(),
        "cpu": _cpu_info(),
        "memory": _meminfo(),
        "os": _os_info(),
        "transparent_hugepage": _thp(),
        "loadavg": (_read("/proc/loadavg") or "").strip() or None,
        "python": {"version": platform.python_version(),
                   "implementation": platform.python_implementation(),
                   "executable": sys.executable},
        "thread_env": thread_env_snapshot(),
        "git_commit": _git_commit(),
    }
    np_info: dict[str, Any] = {"version": np.__version__}
    try:
        cfg = np.show_config(mode="dicts")
        np_info["blas"] = cfg.get("Build Dependencies", {}).get("blas")
        np_info["simd"] = cfg.get("SIMD Extensions")
    except Exception as exc:  # older NumPy
        np_info["blas"] = f"unavailable: {exc}"
    meta["numpy"] = np_info
    core = sys.modules.get("pycauset._core")
    meta["pycauset"] = {
        "version": pc.__version__,
        "core_module": getattr(core, "__file__", None),
        "build": _pycauset_build(),
        "blas": pc.blas_info(),
        "num_threads": pc.get_num_threads(),
    }
    try:
        import threadpoolctl

        meta["threadpoolctl"] = threadpoolctl.threadpool_info()
    except Exception:
        meta["threadpoolctl"] = None
    if extra:
        meta.update(extra)
    return meta


# --------------------------------------------------------------------------- memory


def proc_status(fields: Iterable[str] = ("VmRSS", "VmHWM", "RssAnon", "RssFile")) -> dict:
    """Selected /proc/self/status fields in bytes."""
    want = set(fields)
    out = {}
    for line in (_read("/proc/self/status") or "").splitlines():
        key, _, rest = line.partition(":")
        if key in want:
            out[key] = int(rest.split()[0]) * 1024
    return out


class PeakRss:
    """Exact per-call peak resident memory via the kernel high-water mark (see module doc)."""

    def __init__(self) -> None:
        self.available = self._try_reset()
        self.method = ("VmHWM reset via /proc/self/clear_refs=5" if self.available
                       else "unavailable (cannot write /proc/self/clear_refs)")

    @staticmethod
    def _try_reset() -> bool:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def reset(self) -> Optional[int]:
        """Reset the high-water mark; returns VmRSS now (bytes) or None if unavailable."""
        if not self.available:
            return None
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return proc_status(("VmRSS",)).get("VmRSS")

    def peak(self) -> Optional[int]:
        """VmHWM since the last reset (bytes)."""
        if not self.available:
            return None
        return proc_status(("VmHWM",)).get("VmHWM")


class RssSampler:
    """Background sampler of RssAnon / VmRSS maxima, for out-of-core gates.

    Use as a context manager around the work; afterwards ``peak_anon`` and ``peak_rss``
    hold the maxima (bytes). The sampling thread sleeps between reads; at the default
    5 ms interval its CPU cost is well under 1 %, but short spikes can be missed, so
    prefer :class:`PeakRss` where file pages do not matter.
    """

    def __init__(self, interval_s: float = 0.005) -> None:
        self.interval_s = interval_s
        self.peak_anon = 0
        self.peak_rss = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def _sample(self) -> None:
        st = proc_status(("VmRSS", "RssAnon"))
        self.peak_anon = max(self.peak_anon, st.get("RssAnon", 0))
        self.peak_rss = max(self.peak_rss, st.get("VmRSS", 0))
        self.samples += 1

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def __enter__(self) -> "RssSampler":
        self._sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()


# --------------------------------------------------------------------------- machine load


def cpu_snapshot() -> dict:
    """System-wide busy and steal CPU seconds (/proc/stat) and this process's own CPU
    seconds (all its threads), stamped with a monotonic clock. Two snapshots around a
    piece of work give, with :func:`cpu_load_between`, how busy *other* processes kept
    the machine meanwhile -- the noise a shared machine adds to a timing."""
    hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    busy = steal = None
    line = (_read("/proc/stat") or "").splitlines()[:1]
    if line and line[0].startswith("cpu "):
        f = [int(x) for x in line[0].split()[1:]]
        f += [0] * (8 - len(f))
        user, nice, system, _idle, _iowait, irq, softirq, st = f[:8]
        busy = (user + nice + system + irq + softirq + st) / hz
        steal = st / hz
    t = os.times()
    return {"wall": time.monotonic(), "busy_s": busy, "steal_s": steal,
            "self_s": t.user + t.system}


def cpu_load_between(before: dict, after: dict) -> dict:
    """Average number of CPUs kept busy by other processes (and lost to the hypervisor,
    steal) between two :func:`cpu_snapshot` calls, next to this process's own."""
    wall = after["wall"] - before["wall"]
    out: dict[str, Any] = {"wall_s": wall, "self_busy_cpus": None, "other_busy_cpus": None,
                           "steal_cpus": None}
    if wall <= 0:
        return out
    out["self_busy_cpus"] = (after["self_s"] - before["self_s"]) / wall
    if before["busy_s"] is not None and after["busy_s"] is not None:
        other = (after["busy_s"] - before["busy_s"]) - (after["self_s"] - before["self_s"])
        out["other_busy_cpus"] = max(0.0, other / wall)
        out["steal_cpus"] = (after["steal_s"] - before["steal_s"]) / wall
    return out


# --------------------------------------------------------------------------- files


def fsync_path(path: str | Path) -> None:
    """fsync a file or directory by path (flushes its dirty pages / directory entries)."""
    flags = os.O_RDONLY
    if Path(path).is_dir():
        flags |= getattr(os, "O_DIRECTORY", 0)
    fd = os.open(str(path), flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def evict_file(path: str | Path) -> None:
    """Drop one file's pages from the page cache: fsync, then POSIX_FADV_DONTNEED.

    Only this file is affected (never drop the machine's caches globally). Pages that a
    live mapping still maps stay resident; check with :func:`page_cache_resident`.
    """
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


_LOW_BIT = bytes(i & 1 for i in range(256))  # mincore: bit 0 of each byte = resident


def page_cache_resident(path: str | Path) -> Optional[int]:
    """Bytes of ``path`` resident in the page cache (mincore on a fresh mapping); None if
    it cannot be determined. Mapping without touching faults nothing in."""
    import ctypes
    import ctypes.util
    import mmap as _mmap

    try:
        size = os.path.getsize(path)
    except OSError:
        return None
    if size == 0:
        return 0
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    page = _mmap.PAGESIZE
    fd = os.open(str(path), os.O_RDONLY)
    try:
        addr = libc.mmap(None, size, _mmap.PROT_READ, _mmap.MAP_SHARED, fd, 0)
        if addr in (None, ctypes.c_void_p(-1).value):
            return None
        try:
            npages = (size + page - 1) // page
            vec = (ctypes.c_ubyte * npages)()
            if libc.mincore(ctypes.c_void_p(addr), size, vec) != 0:
                return None
            resident = bytes(vec).translate(_LOW_BIT).count(1)
            return min(size, resident * page)
        finally:
            libc.munmap(ctypes.c_void_p(addr), size)
    finally:
        os.close(fd)


def memory_backed_stop(fs: dict, path: str | Path, consequence: str, gated: bool,
                       allow_tmpfs: bool) -> bool:
    """Whether a file benchmark must stop because ``path`` (described by ``fs``, from
    :func:`filesystem_info`) is memory-backed: it prints the error and returns True for a
    gated run unless ``allow_tmpfs``; otherwise it only warns and returns False."""
    if not fs["memory_backed"]:
        return False
    msg = f"{path} is on {fs['fstype']} (memory-backed): {consequence}"
    if gated and not allow_tmpfs:
        print(f"error: {msg}; pass --dir on a real disk (or --allow-tmpfs)", file=sys.stderr)
        return True
    log(f"warning: {msg}")
    return False


def filesystem_info(path: str | Path) -> dict:
    """Filesystem of ``path``: type, device, mount point and options (from
    /proc/self/mountinfo, longest matching mount point), free and total bytes."""
    real = os.path.realpath(str(path))
    best: Optional[dict] = None
    for line in (_read("/proc/self/mountinfo") or "").splitlines():
        left, _, right = line.partition(" - ")
        parts, rparts = left.split(), right.split()
        if len(parts) < 6 or len(rparts) < 2:
            continue
        mnt = parts[4].replace("\\040", " ")
        if real == mnt or real.startswith(mnt.rstrip("/") + "/") or mnt == "/":
            if best is None or len(mnt) >= len(best["mount_point"]):
                best = {"mount_point": mnt, "mount_options": parts[5], "fstype": rparts[0],
                        "source": rparts[1],
                        "super_options": rparts[2] if len(rparts) > 2 else None}
    st = os.statvfs(real)
    info = dict(best or {"fstype": None})
    info.update(path=real, free_bytes=st.f_bavail * st.f_frsize,
                total_bytes=st.f_blocks * st.f_frsize)
    info["memory_backed"] = info.get("fstype") in ("tmpfs", "ramfs", "devtmpfs", "hugetlbfs")
    return info


# --------------------------------------------------------------------------- timing


@dataclass
class Side:
    """One side of a comparison.

    ``run`` is the timed call and returns the result. ``check(result)`` runs untimed after
    every call (warm-ups included) and returns None when the result is right or a short
    message saying what is wrong. ``setup()``, if given, runs untimed before every sample
    (e.g. to drop a cache so each call starts cold).
    """

    name: str
    run: Callable[[], Any]
    check: Optional[Callable[[Any], Optional[str]]] = None
    setup: Optional[Callable[[], None]] = None


@dataclass
class Comparison:
    """Raw outcome of :func:`alternate`. Times are seconds per call."""

    subject: str
    baseline: str
    warmup: int
    repeat: int
    number: int
    subject_times: list = field(default_factory=list)
    baseline_times: list = field(default_factory=list)
    ratios: list = field(default_factory=list)  # baseline time / subject time, per pair
    subject_calls: list = field(default_factory=list)   # with sample_seconds: each pair's
    baseline_calls: list = field(default_factory=list)  # single-call times, per side
    subject_rss: list = field(default_factory=list)
    baseline_rss: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    rss_method: str = ""

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict:
        def rss_summary(recs: list) -> dict:
            deltas = [r["peak_delta"] for r in recs if r.get("peak_delta") is not None]
            peaks = [r["peak"] for r in recs if r.get("peak") is not None]
            out = {"max_peak_delta_bytes": max(deltas) if deltas else None,
                   "max_peak_bytes": max(peaks) if peaks else None}
            for key in sorted({k for r in recs for k in r} - {"rss_before", "peak", "peak_delta"}):
                vals = [r[key] for r in recs if isinstance(r.get(key), (int, float))]
                out[f"max_{key}"] = max(vals) if vals else None
            out["runs"] = recs
            return out

        return {
            "subject": self.subject,
            "baseline": self.baseline,
            "warmup": self.warmup,
            "repeat": self.repeat,
            "calls_per_sample": self.number,
            "subject_seconds": summarize(self.subject_times) | {"all": self.subject_times}
            | ({"calls": self.subject_calls} if self.subject_calls else {}),
            "baseline_seconds": summarize(self.baseline_times) | {"all": self.baseline_times}
            | ({"calls": self.baseline_calls} if self.baseline_calls else {}),
            "ratio": summarize(self.ratios) | {"all": self.ratios},
            "subject_rss": rss_summary(self.subject_rss),
            "baseline_rss": rss_summary(self.baseline_rss),
            "rss_method": self.rss_method,
            "check_ok": self.ok,
            "failures": self.failures,
        }


def _one_sample(side: Side, number: int, peak: Optional[PeakRss],
                probe: Optional[Callable[[], dict]] = None,
                sample_anon: bool = False) -> tuple:
    """Time ``number`` back-to-back calls; returns (seconds per call, check message, rss).

    The last result is checked and released outside the timed region.
    """
    if side.setup is not None:
        side.setup()
    extra = probe() if probe is not None else {}
    before = peak.reset() if peak is not None else None
    sampler = None
    if sample_anon:
        anon_before = proc_status(("RssAnon",)).get("RssAnon")
        sampler = RssSampler()
        sampler.__enter__()
    out = None
    try:
        t0 = time.perf_counter_ns()
        for _ in range(number):
            out = side.run()
        t1 = time.perf_counter_ns()
    finally:
        if sampler is not None:
            sampler.__exit__(None, None, None)
    hwm = peak.peak() if peak is not None else None
    msg = _check(side, out)
    del out
    rss = {"rss_before": before, "peak": hwm,
           "peak_delta": (hwm - before) if (hwm is not None and before is not None) else None,
           **extra}
    if sampler is not None:
        rss.update(anon_before=anon_before, peak_anon=sampler.peak_anon,
                   peak_anon_delta=(sampler.peak_anon - anon_before
                                    if anon_before is not None else None),
                   anon_samples=sampler.samples)
    return (t1 - t0) / 1e9 / number, msg, rss


def _check(side: Side, out: Any) -> Optional[str]:
    if side.check is None:
        return None
    try:
        return side.check(out)
    except Exception as exc:  # a crash in a check is a failed check
        return f"check raised {type(exc).__name__}: {exc}"


def alternate(subject: Side, baseline: Side, *, warmup: int, repeat: int, number: int = 1,
              track_rss: bool = True, probe: Optional[Callable[[], dict]] = None,
              sample_anon: bool = False, sample_seconds: Optional[float] = None) -> Comparison:
    """Time ``subject`` and ``baseline`` alternately: S, B, S, B, ...

    The first ``warmup`` pairs are run and checked but not counted; then ``repeat`` pairs
    are timed. Each sample times ``number`` back-to-back calls (use > 1 only for calls
    of microseconds) and records seconds per call. The per-pair ratio is
    ``baseline_time / subject_time`` (> 1: the subject is faster; equal to
    subject throughput / baseline throughput). Every result is checked outside the
    timed region and released before the other side runs, so both sides start from the
    same live memory. The cyclic garbage collector is off while timing (as timeit does).

    ``sample_seconds``, if given, replaces ``number`` for calls of milliseconds: a timed
    pair becomes a block of ``c`` single-call rounds S, B, S, B, ..., and each side's
    sample is the median of its ``c`` calls, each timed alone and checked and released
    untimed. ``c`` is the same for both sides, calibrated on the warm-ups so that the
    slower side's ``c`` calls last about ``sample_seconds``. A single call of a few
    milliseconds on a shared machine is at the mercy of one preemption or one slow page
    fault; the median of tens of calls interleaved with the other side's is not, and a
    burst of noise that outlasts half a block hits both sides of it alike.

    ``probe()``, if given, runs untimed just before every sample and its dict is stored
    with that sample's memory record -- e.g. memory an allocator keeps resident for reuse,
    which the peak delta cannot see because it was faulted in before the reset.

    ``sample_anon=True`` additionally runs every sample inside an :class:`RssSampler`
    and stores ``anon_before`` (RssAnon just before the call), ``peak_anon`` and
    ``peak_anon_delta`` (peak minus before) with its memory record -- the anonymous
    working set that out-of-core work must bound (file pages are not counted).
    """
    return alternate_many(subject, [baseline], warmup=warmup, repeat=repeat, number=number,
                          track_rss=track_rss, probe=probe, sample_anon=sample_anon,
                          sample_seconds=sample_seconds)[0]


def alternate_many(subject: Side, baselines: Sequence[Side], *, warmup: int, repeat: int,
                   number: int = 1, track_rss: bool = True,
                   probe: Optional[Callable[[], dict]] = None,
                   sample_anon: bool = False, sample_seconds: Optional[float] = None) -> list:
    """:func:`alternate` with several baselines: S, B1, B2, ..., S, B1, B2, ...

    Returns one :class:`Comparison` per baseline; they share the subject's samples
    (times, memory, failures of the subject are repeated in each), and the ratio of
    baseline k in round i is ``time(Bk, i) / time(S, i)``. With one baseline this is
    exactly :func:`alternate`.
    """
    peak = PeakRss() if track_rss else None
    calibrate = sample_seconds is not None
    calls = 1 if calibrate else number
    comps = [Comparison(subject.name, b.name, warmup, repeat, calls,
                        rss_method=(peak.method if peak else "not tracked")
                        + ("; RssAnon sampled every 5 ms by RssSampler" if sample_anon else ""))
             for b in baselines]
    sides = [subject, *baselines]
    fastest_warmup = [math.inf] * len(sides)  # per side; the first call may pay one-off costs
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(warmup + repeat):
            timed = i >= warmup
            rounds = 1
            if calibrate and timed:
                if i == warmup and warmup > 0:
                    slowest = max(fastest_warmup)
                    comps[0].number = max(1, min(1000, math.ceil(sample_seconds / max(slowest, 1e-6))))
                    for comp in comps:
                        comp.number = comps[0].number
                rounds = comps[0].number
            call_times: list = [[] for _ in sides]
            worst_rss: list = [None] * len(sides)
            for _ in range(rounds):
                for k, side in enumerate(sides):
                    t, msg, rss = _one_sample(side, 1 if calibrate else number, peak, probe,
                                              sample_anon)
                    call_times[k].append(t)
                    if not timed:
                        fastest_warmup[k] = min(fastest_warmup[k], t)
                    if worst_rss[k] is None or (rss.get("peak_delta") or 0) > \
                            (worst_rss[k].get("peak_delta") or 0):
                        worst_rss[k] = rss
                    targets = comps if k == 0 else [comps[k - 1]]
                    for comp in targets:
                        if msg:
                            comp.failures.append({"side": side.name, "iteration": i,
                                                  "warmup": not timed, "message": msg})
            if not timed:
                continue
            round_times = [statistics.median(ts) for ts in call_times]
            for comp in comps:
                comp.subject_times.append(round_times[0])
                comp.subject_rss.append(worst_rss[0])
                if calibrate:
                    comp.subject_calls.append(call_times[0])
            for comp, b_t, b_rss, b_calls in zip(comps, round_times[1:], worst_rss[1:],
                                                 call_times[1:]):
                comp.baseline_times.append(b_t)
                comp.baseline_rss.append(b_rss)
                if calibrate:
                    comp.baseline_calls.append(b_calls)
                s_t = round_times[0]
                comp.ratios.append(b_t / s_t if s_t > 0 else math.inf)
    finally:
        if was_enabled:
            gc.enable()
    return comps


def summarize(values: Sequence[float]) -> dict:
    """median / min / max / mean / n of a list of numbers (empty -> Nones)."""
    vals = [v for v in values if v is not None]
    if not vals:
        return {"median": None, "min": None, "max": None, "mean": None, "n": 0}
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals),
            "mean": statistics.fmean(vals), "n": len(vals)}


# --------------------------------------------------------------------------- output


def write_json(name: str, payload: dict, timestamp: Optional[str] = None) -> Path:
    """Write ``payload`` to benchmarks/results/<name>-<timestamp>.json; returns the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}-{timestamp or utc_timestamp()}.json"
    with open(path, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=False, default=_json_default)
        f.write("\n")
    return path


def write_text(name: str, text: str, timestamp: Optional[str] = None, suffix: str = ".md") -> Path:
    """Write ``text`` (e.g. the markdown tables of a run) to
    benchmarks/results/<name>-<timestamp><suffix>; returns the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}-{timestamp or utc_timestamp()}{suffix}"
    path.write_text(text)
    return path


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "tolist"):  # NumPy scalars and arrays
        return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    return repr(obj)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
                   align: Optional[str] = None) -> str:
    """A GitHub markdown table. ``align`` is one letter per column: l, r or c."""
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    align = align or "l" * len(headers)

    def fmt(value: str, i: int) -> str:
        return value.rjust(widths[i]) if align[i] == "r" else value.ljust(widths[i])

    def rule(i: int) -> str:
        w = max(widths[i], 3)
        if align[i] == "r":
            return "-" * (w - 1) + ":"
        if align[i] == "c":
            return ":" + "-" * (w - 2) + ":"
        return "-" * w

    lines = ["| " + " | ".join(fmt(h, i) for i, h in enumerate(headers)) + " |",
             "| " + " | ".join(rule(i).ljust(widths[i]) for i in range(len(headers))) + " |"]
    lines += ["| " + " | ".join(fmt(c, i) for i, c in enumerate(r)) + " |" for r in cells]
    return "\n".join(lines)


def fmt_mib(nbytes: Optional[float]) -> str:
    return "n/a" if nbytes is None else f"{nbytes / 2**20:.1f}"


def fmt_gbps(nbytes: float, seconds: Optional[float]) -> str:
    """Throughput in GB/s (10^9 bytes per second)."""
    if not seconds:
        return "n/a"
    return f"{nbytes / seconds / 1e9:.2f}"


def fmt_ms(seconds: Optional[float]) -> str:
    return "n/a" if seconds is None else f"{seconds * 1e3:.2f}"


def fmt_ratio(r: Optional[float]) -> str:
    return "n/a" if r is None else f"{r:.3f}"


def default_counts(args: Any, quick: tuple = (3, 1), full: tuple = (7, 2)) -> None:
    """Fill ``args.repeat`` / ``args.warmup`` left as None (quick or full defaults) and
    reject impossible values; every gate script shares these rules."""
    repeat, warmup = quick if args.quick else full
    if args.repeat is None:
        args.repeat = repeat
    if args.warmup is None:
        args.warmup = warmup
    if args.repeat < 1 or args.warmup < 0:
        raise SystemExit("--repeat must be >= 1 and --warmup >= 0")


def require_pinned_env() -> None:
    """In a pinned child: every thread variable must be 1, and NumPy/pycauset not yet
    imported (their pools size themselves at import)."""
    import sys

    bad = {k: os.environ.get(k) for k in PINNED_VARS if os.environ.get(k) != "1"}
    if bad:
        raise SystemExit(f"pinned run started without thread variables set to 1: {bad}")
    if "numpy" in sys.modules or "pycauset" in sys.modules:
        raise SystemExit("NumPy/pycauset were imported before the thread variables took effect")
