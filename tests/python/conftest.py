"""Shared fixtures and helpers for the pycauset Python test suite.

Every test compares pycauset against NumPy (or an analytic value). Helpers here
build NumPy arrays of every supported dtype and lay them out in every way the
import path must handle (C, Fortran, sliced, negative strides, transposed...).
"""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import pycauset as pc

# Hypothesis: modest example counts, no deadline (the machine is shared and slow).
settings.register_profile(
    "pycauset",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("pycauset")

# Every NumPy dtype pycauset supports, and the pycauset token each maps to.
NP_DTYPES = [
    np.dtype(np.bool_),
    np.dtype(np.int8),
    np.dtype(np.int16),
    np.dtype(np.int32),
    np.dtype(np.int64),
    np.dtype(np.uint8),
    np.dtype(np.uint16),
    np.dtype(np.uint32),
    np.dtype(np.uint64),
    np.dtype(np.float16),
    np.dtype(np.float32),
    np.dtype(np.float64),
    np.dtype(np.complex64),
    np.dtype(np.complex128),
]
TOKEN_OF = {
    np.dtype(np.bool_): "bit",
    np.dtype(np.int8): "int8",
    np.dtype(np.int16): "int16",
    np.dtype(np.int32): "int32",
    np.dtype(np.int64): "int64",
    np.dtype(np.uint8): "uint8",
    np.dtype(np.uint16): "uint16",
    np.dtype(np.uint32): "uint32",
    np.dtype(np.uint64): "uint64",
    np.dtype(np.float16): "float16",
    np.dtype(np.float32): "float32",
    np.dtype(np.float64): "float64",
    np.dtype(np.complex64): "complex_float32",
    np.dtype(np.complex128): "complex_float64",
}
TOKENS = list(TOKEN_OF.values())
DTYPE_IDS = [str(d) for d in NP_DTYPES]


def random_array(shape, dtype, rng=None, specials=True) -> np.ndarray:
    """A C-ordered ndarray of `shape` and `dtype` with random values.

    Integers cover the dtype's full range (extremes included); floats mix
    normal values of varied magnitude with (when `specials`) inf, -inf, nan,
    -0.0 and subnormals; complex numbers draw both parts that way.
    """
    rng = np.random.default_rng(12345) if rng is None else rng
    dtype = np.dtype(dtype)
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    n = int(np.prod(shape))
    if dtype.kind == "b":
        out = rng.random(n) < 0.5
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        out = rng.integers(info.min, info.max, size=n, dtype=dtype, endpoint=True)
        if n >= 2:
            out[0], out[-1] = info.min, info.max
    elif dtype.kind == "f":
        out = _random_floats(n, dtype, rng, specials)
    elif dtype.kind == "c":
        part = np.dtype(np.float32) if dtype == np.complex64 else np.dtype(np.float64)
        out = np.empty(n, dtype=dtype)
        out.real = _random_floats(n, part, rng, specials)
        out.imag = _random_floats(n, part, rng, specials)
    else:  # pragma: no cover - helper misuse
        raise AssertionError(f"unsupported dtype {dtype}")
    return np.ascontiguousarray(out.reshape(shape))


def _random_floats(n, dtype, rng, specials):
    with np.errstate(all="ignore"):
        mags = 10.0 ** rng.uniform(-3, 3, size=n)
        vals = (rng.standard_normal(n) * mags).astype(dtype)
    if specials and n >= 8:
        finfo = np.finfo(dtype)
        extra = np.array(
            [np.inf, -np.inf, np.nan, -0.0, finfo.smallest_subnormal, -finfo.tiny, finfo.max, 0.0],
            dtype=dtype,
        )
        idx = rng.choice(n, size=len(extra), replace=False)
        vals[idx] = extra
    return vals


def assert_same(actual, expected) -> None:
    """`actual` (an ndarray) equals `expected` exactly: dtype, shape, values, sign of zero."""
    assert isinstance(actual, np.ndarray), type(actual)
    expected = np.asarray(expected)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if actual.dtype.kind == "c":
        parts = [(actual.real, expected.real), (actual.imag, expected.imag)]
    else:
        parts = [(actual, expected)]
    for a, e in parts:
        np.testing.assert_array_equal(a, e, strict=True)
        if a.dtype.kind == "f":
            ok = ~np.isnan(e)
            np.testing.assert_array_equal(np.signbit(a[ok]), np.signbit(e[ok]), err_msg="sign of zero")


def layouts_1d(base: np.ndarray) -> dict:
    """Views of a 1-D array (length >= 6) with every stride pattern."""
    assert base.ndim == 1 and base.size >= 6
    return {
        "contiguous": base,
        "step2": base[::2],
        "step3_offset": base[1::3],
        "reversed": base[::-1],
        "reversed_step2": base[-2::-2],
        "empty": base[:0],
        "empty_reversed": base[3:3:-1],
        "single": base[2:3],
        "column_of_matrix": np.asfortranarray(np.stack([base, base[::-1]], axis=1))[:, 1],
        "row_of_fortran": np.asfortranarray(np.stack([base, base[::-1]]))[0],
    }


def layouts_2d(base: np.ndarray) -> dict:
    """Views of a 2-D array (at least 6 x 6) with every layout the importer must handle."""
    assert base.ndim == 2 and min(base.shape) >= 6
    f = np.asfortranarray(base)
    return {
        "C": base,
        "F": f,
        "transposed": base.T,
        "F_transposed": f.T,
        "sliced": base[1:5, ::2],
        "sliced_F": f[::2, 1::3],
        "negative_rows": base[::-1],
        "negative_both": base[::-2, ::-1],
        "negative_F": f[::-1, ::-2],
        "transposed_negative": base.T[::-1, 1:],
        "row_1xN": base[2:3, :],
        "col_Nx1": base[:, 2:3],
        "strided_1xN": base[3:4, ::-3],
        "strided_Nx1": base[::2, 4:5],
        "empty_rows": base[:0, :],
        "empty_cols": base[:, 3:3],
        "empty_both": base[:0, :0],
        "single": base[1:2, 1:2],
    }


@pytest.fixture(autouse=True)
def _reset_global_state():
    """Leave the export cap and thread count as they were after every test."""
    threads = pc.get_num_threads()
    yield
    pc.set_export_max_bytes(None)
    if pc.get_num_threads() != threads:
        pc.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _reset_storage_state():
    """Restore the memory budget and the spill backing directory after every test."""
    backing = pc.get_backing_dir()
    limit = pc.get_memory_limit()
    yield
    if pc.get_memory_limit() != limit:
        pc.set_memory_limit(None)
    if pc.get_backing_dir() != backing:
        pc.set_backing_dir(backing)


@pytest.fixture
def fast_tmp(tmp_path):
    """A fresh directory on tmpfs (/dev/shm) when there is one, else tmp_path.

    pc.save fsyncs the file and its directory (~20 ms on a busy disk); the large
    parametrised file tests use this so that the suite stays fast. Tests of
    atomicity and crash safety use tmp_path (a real disk) instead.
    """
    import shutil
    import tempfile
    from pathlib import Path

    shm = "/dev/shm"
    if not (os.path.isdir(shm) and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    d = Path(tempfile.mkdtemp(prefix="pctest-", dir=shm))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def rng():
    return np.random.default_rng(20240601)


def thread_ticks() -> dict:
    """CPU time (utime + stime, clock ticks) and name of every thread of this process."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                stat = f.read()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        out[int(tid)] = (name, int(fields[11]) + int(fields[12]))
    return out


@pytest.fixture
def spill_env(tmp_path):
    """Backing dir = tmp_path, budget 8 MiB; no garbage from earlier tests holding RAM."""
    gc.collect()
    pc.set_backing_dir(tmp_path)
    pc.set_memory_limit("8 MiB")
    return tmp_path


def mounted_tmpfs(tmp_path, size: str, why: str = "cannot make a small file system to fill"):
    """Generator for a fixture: a fresh tmpfs of `size` (mount's syntax, e.g. "50M")
    mounted at tmp_path/fs, unmounted afterwards; skips the test where mounting
    is not permitted."""
    import shutil
    import subprocess

    mnt = tmp_path / "fs"
    mnt.mkdir()
    if shutil.which("mount") is None:
        pytest.skip(f"no mount command: {why}")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here ({r.stderr.strip()}); {why}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


#: Code that makes every later `import matplotlib` in a child interpreter fail,
#: as where the [plot] extra is not installed.
NO_MATPLOTLIB = """
import sys

class NoMatplotlib:
    def find_spec(self, name, path=None, target=None):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, NoMatplotlib())
"""


def oracle_relation(x, periods=None):
    """The causal matrix C[i, j] (i before j) of points x (n x d, time first) from
    the conventions, in NumPy, row by row: dt > 0 and dt**2 >= |dx|**2, with the
    minimum image along every spatial axis whose period is > 0."""
    n, d = x.shape
    out = np.zeros((n, n), dtype=bool)
    for i in range(n):
        dt = x[:, 0] - x[i, 0]
        s = np.zeros(n)
        for k in range(1, d):
            a = x[:, k] - x[i, k]
            if periods is not None and periods[k - 1] > 0:
                a = np.abs(a)
                a = np.minimum(a, periods[k - 1] - a)
            s = s + a * a
        out[i] = (dt > 0) & (dt * dt >= s)
    return out
