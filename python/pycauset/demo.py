"""A short tour of pycauset: ``python -m pycauset.demo``.

Creates matrices and vectors from NumPy data and by shape, shows bit packing,
zero-copy export and the export guard, lazy arithmetic, bit products, files,
out-of-core algebra past the memory budget, and proves the bundled BLAS works.
"""

from __future__ import annotations

import os
import tempfile
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

    print("\nLazy, fused arithmetic and linear algebra:")
    b = rng.random((2000, 2000))
    S = pc.matrix(rng.random((2000, 2000)))
    E = S + 2 * b - S.T
    print(f"  E = S + 2*b - S.T is lazy: {E.is_lazy}; shape {E.shape}, dtype {E.dtype!r}")
    _timed("E.eval()  (one fused pass)", E.eval)
    C = _timed("E @ S  (BLAS dgemm)", lambda: E @ S)
    print(f"  sum over axis 0 of C: first entry {pc.sum(C, axis=0)[0]:.3f}; mean {np.mean(C):.3f}")

    print("\nA causal matrix: bit products count the elements between two events:")
    causal = pc.matrix(np.triu(rng.random((4096, 4096)) < 0.3, 1))
    P = _timed("P = C @ C  (AND + popcount, int32 counts)", lambda: causal @ causal)
    links = causal & ~(P > 0)
    print(f"  relations {causal.count_nonzero()}, links {links.count_nonzero()}")

    print("\nSaving and loading (memory-mapped):")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "causal.pycauset")
        _timed("pc.save(causal, path)  (atomic, fsynced)", lambda: pc.save(causal, path))
        back = _timed("pc.load(path)", lambda: pc.load(path))
        print(f"  {back.storage.kind}-backed, equal: {bool((back == causal).count_nonzero() == back.size)}")
        del back

    print("\nPast the memory budget: tiled, out-of-core algebra on files:")
    with tempfile.TemporaryDirectory() as d:
        n = 2000
        a = rng.standard_normal((n, n)) / np.sqrt(n) + 2 * np.eye(n)
        pc.save(pc.matrix(a), os.path.join(d, "a.pycauset"))
        old_limit, old_dir = pc.get_memory_limit(), pc.get_backing_dir()
        pc.set_memory_limit("16 MiB")  # the 32 MB matrix is twice the budget
        pc.set_backing_dir(d)
        try:
            F = pc.load(os.path.join(d, "a.pycauset"))
            C = _timed("F @ F  (file-backed, 16 MiB budget)", lambda: F @ F)
            X = _timed("pc.linalg.inv(F)  (blocked LU, spilled result)", lambda: pc.linalg.inv(F))
            cols = [0, n // 2, n - 1]
            resid = max(float(np.abs(a @ pc.to_numpy(X[:, j]) - np.eye(n)[:, j]).max()) for j in cols)
            row = pc.to_numpy(C[7, :])
            print(f"  results are {C.storage.kind}-backed; |A X - I| on sampled columns {resid:.1e}; "
                  f"row 7 of A @ A matches NumPy: {np.allclose(row, a[7] @ a)}")
            del F, C, X
        finally:
            pc.set_memory_limit(old_limit)
            pc.set_backing_dir(old_dir)

    print("\nThe bundled BLAS (scipy-openblas64):")
    a, b = rng.random(1000), rng.random(1000)
    dot = pc._core.blas_ddot(a.ctypes.data, b.ctypes.data, a.size)
    print(f"  ddot = {dot:.12f}, NumPy a @ b = {a @ b:.12f}")
    assert abs(dot - a @ b) < 1e-9 * abs(a @ b)
    print("\nAll good.")


if __name__ == "__main__":
    main()
