"""A short tour of pycauset: ``python -m pycauset.demo``.

Creates matrices and vectors from NumPy data and by shape, shows bit packing,
zero-copy export and the export guard, lazy arithmetic, bit products, files,
out-of-core algebra past the memory budget, and proves the bundled BLAS works.
Then sprinkles causal sets into 4-d and 2-d causal diamonds and puts every
measurement next to its continuum value (`causal_sets`). It draws nothing and
never imports matplotlib.
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


def causal_sets(n4: int = 8192, n2: int = 4096, seed: int = 1) -> None:
    """The causal-set part of the tour: measurements next to their continuum values."""
    from pycauset import continuum

    D = pc.spacetime.MinkowskiDiamond(dim=4, height=1.0)
    print(f"\nCausal sets: {n4} points sprinkled into {D!r}, volume pi/24 = {D.volume:.5f}:")
    cs = _timed(f"pc.sprinkle(D, n={n4}, seed={seed})  (points + C)", lambda: pc.sprinkle(D, n=n4, seed=seed))
    C = cs.causal_matrix
    print(f"  density {cs.density:.1f} per unit volume (discreteness length {cs.density ** -0.25:.4f})")
    print(f"  C: {C.shape[0]} x {C.shape[1]} {C.dtype!r}, {C.nbytes / 2**20:.1f} MiB, "
          f"{C.properties['structure']}, {C.storage.kind}")
    R = _timed("cs.relations  (popcount)", lambda: cs.relations)
    print(f"  relations R = {R}; continuum E[R] = N(N-1) f(4) = {continuum.expected_relations(n4, 4):.0f}")
    print(f"  ordering fraction r = {cs.ordering_fraction:.5f}; continuum 2 f(4) = "
          f"{continuum.ordering_fraction(4):.5f}")
    print(f"  Myrheim-Meyer dimension {cs.dimension('myrheim_meyer'):.3f}, midpoint dimension "
          f"{cs.dimension('midpoint'):.3f}; continuum 4")
    links = _timed("cs.links  (OR of the futures of links)", lambda: cs.links)
    print(f"  links N_0 = {links} ({links / n4:.1f} per element)")
    ab = _timed("cs.interval_abundances(kmax=3)", lambda: cs.interval_abundances(kmax=3))
    print(f"  interval abundances N_0..N_3 = {ab.tolist()}")
    S = _timed("cs.action()  (Benincasa-Dowker, d = 4)", cs.action)
    print(f"  action S = {S:.2f} (in units of the discreteness length)")
    chain = _timed("cs.longest_chain()", cs.longest_chain)
    print(f"  longest chain: {chain} elements; L / N^(1/4) = {chain / n4 ** 0.25:.3f} "
          f"(tends to a constant as N grows)")

    D2 = pc.spacetime.MinkowskiDiamond(dim=2)
    cs2 = pc.sprinkle(D2, n=n2, seed=seed)
    print(f"\nThe same in 2-d ({n2} points), where more is known exactly:")
    print(f"  links N_0 = {cs2.links}; continuum E[N_0] = (N+1) H_N - 2N = "
          f"{continuum.expected_links_2d(n2):.1f}")
    print(f"  Myrheim-Meyer dimension {cs2.dimension():.4f}; action S = {cs2.action():.1f} "
          f"(its mean over sprinklings is exactly 2)")
    # The 2-d diamond is a random permutation in light-cone coordinates; its longest chain is
    # the longest increasing subsequence: 2 sqrt(N) + (-1.7711) N^(1/6) + ... (Baik, Deift, Johansson).
    print(f"  longest chain: {cs2.longest_chain()} elements; expected about 2 sqrt(N) - 1.7711 N^(1/6) = "
          f"{2 * n2 ** 0.5 - 1.7711 * n2 ** (1 / 6):.1f}")


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

    causal_sets()
    print("\nAll good.")


if __name__ == "__main__":
    main()
