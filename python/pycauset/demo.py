"""A short tour of pycauset: ``python -m pycauset.demo``.

Creates matrices and vectors from NumPy data and by shape, shows bit packing,
zero-copy export and the export guard, and proves the bundled BLAS works.
"""

from __future__ import annotations

import time

import numpy as np

import pycauset as pc


def _timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"  {label:<48s} {1e3 * (time.perf_counter() - t0):8.2f} ms")
    return out


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"pycauset {pc.__version__}: {pc.get_num_threads()} threads, {pc.blas_info()['config']}")

    print("\nImport from NumPy (always a copy):")
    data = rng.random((3000, 2000))
    A = _timed("pc.matrix(3000x2000 float64)", lambda: pc.matrix(data))
    v = pc.vector(np.arange(10, dtype=np.int16))
    print(f"  {A!r}".splitlines()[0] + " ...")
    print(f"  v = {v}   v[-1] = {v[-1]!r}   v[2:5] = {v[2:5]}")

    print("\nObjects by shape, element access, fill:")
    B = pc.zeros((4, 5), dtype="complex_float64")
    B[1, 2] = 3 - 1j
    print(f"  B[1, 2] = {B[1, 2]}, B.T[2, 1] = {B.T[2, 1]} (T is a view)")
    B.fill(0.5)
    print(f"  after B.fill(0.5): B[1, 2] = {B[1, 2]}")

    print("\nBit matrices pack 8 elements per byte:")
    bools = rng.random((2048, 8192)) > 0.5
    M = _timed("pc.matrix(2048x8192 bool)", lambda: pc.matrix(bools))
    print(f"  {M.dtype!r}: {M.nbytes / 2**20:.1f} MiB instead of {bools.nbytes / 2**20:.1f} MiB")
    y = _timed("pc.to_numpy(M)  (bool copy)", lambda: pc.to_numpy(M))
    assert np.array_equal(y, bools)

    print("\nExport to NumPy:")
    x = _timed("np.asarray(A)  (read-only zero-copy view)", lambda: np.asarray(A))
    print(f"  writeable={x.flags.writeable}, shares memory with A: {A.storage.pinned} pinned view(s)")
    assert np.array_equal(x, data)
    pc.set_export_max_bytes(1 << 20)
    try:
        np.asarray(A)
    except pc.ExportGuardError as err:
        print(f"  with a 1 MiB cap: ExportGuardError: {err}")
    finally:
        pc.set_export_max_bytes(None)

    print("\nThe bundled BLAS (scipy-openblas64):")
    a, b = rng.random(1000), rng.random(1000)
    dot = pc._core.blas_ddot(a.ctypes.data, b.ctypes.data, a.size)
    print(f"  ddot = {dot:.12f}, NumPy a @ b = {a @ b:.12f}")
    assert abs(dot - a @ b) < 1e-9 * abs(a @ b)
    print("\nAll good.")


if __name__ == "__main__":
    main()
