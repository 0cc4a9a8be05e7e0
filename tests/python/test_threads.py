"""The thread knob (pycauset's kernels and the bundled OpenBLAS) and the BLAS link."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
import threadpoolctl

import pycauset as pc
from conftest import assert_same, random_array, thread_ticks


def test_get_num_threads_is_a_positive_int():
    n = pc.get_num_threads()
    assert isinstance(n, int) and n >= 1


@pytest.mark.parametrize("n", [1, 2, 3])
def test_set_num_threads_round_trips_and_drives_blas(n):
    pc.set_num_threads(n)
    assert pc.get_num_threads() == n
    assert pc.blas_info()["num_threads"] == n


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError),
                                        ("2", TypeError), (None, TypeError)])
def test_set_num_threads_rejects_bad_values(bad, error):
    before = pc.get_num_threads()
    with pytest.raises(error):
        pc.set_num_threads(bad)
    assert pc.get_num_threads() == before


def test_set_num_threads_accepts_numpy_integers():
    pc.set_num_threads(np.int64(1))
    assert pc.get_num_threads() == 1


def _conversions(a: np.ndarray, b: np.ndarray) -> list:
    """Every kernel family on > 2 MiB payloads: flat copy, cast, Fortran transpose, strided,
    bit pack/unpack, export, fill and assignment."""
    A = pc.matrix(a)
    F = pc.matrix(np.asfortranarray(a))
    S = pc.matrix(a[::-1, ::3])
    C32 = pc.matrix(a, dtype="float32")
    B = pc.matrix(b)
    X = pc.zeros(a.shape)
    X[:, :] = A.T.T
    Y = pc.zeros((a.shape[1], a.shape[0]))
    Y[...] = A.T
    Z = pc.zeros(a.shape, dtype="int32")
    Z.fill(7)
    return [
        pc.to_numpy(A),
        pc.to_numpy(F),
        pc.to_numpy(S),
        pc.to_numpy(C32),
        pc.to_numpy(B),
        pc.to_numpy(B.T),
        pc.to_numpy(B.astype("uint8")),
        pc.to_numpy(A.astype("int64")),
        pc.to_numpy(X),
        pc.to_numpy(Y),
        pc.to_numpy(Z),
        np.asarray(A.T, dtype=np.float32),
    ]


def test_results_identical_with_one_and_two_threads(rng):
    a = rng.standard_normal((640, 520)) * 1000  # 2.66 MB of float64: above the parallel threshold
    b = rng.random((1100, 2100)) > 0.5  # 2.3 MB of bools -> packed bits
    assert a.nbytes > 2 * 2**20 and b.nbytes > 2 * 2**20
    pc.set_num_threads(1)
    one = _conversions(a, b)
    pc.set_num_threads(2)
    two = _conversions(a, b)
    assert len(one) == len(two)
    for x, y in zip(one, two):
        assert_same(y, x)
    expected = [a, a, np.ascontiguousarray(a[::-1, ::3]), a.astype(np.float32), b, np.ascontiguousarray(b.T),
                b.astype(np.uint8), a.astype(np.int64), a, np.ascontiguousarray(a.T),
                np.full(a.shape, 7, dtype=np.int32), a.T.astype(np.float32)]
    for x, e in zip(two, expected):
        assert_same(x, e)


@pytest.mark.parametrize("np_dtype", [np.dtype(np.complex128), np.dtype(np.float16), np.dtype(np.uint16)],
                         ids=str)
def test_large_round_trip_with_two_threads(np_dtype, rng):
    pc.set_num_threads(2)
    a = random_array((700, 300), np_dtype, rng)  # > 1 MiB for every dtype here
    assert_same(pc.to_numpy(pc.matrix(a)), a)
    assert_same(pc.to_numpy(pc.matrix(np.asfortranarray(a))), a)
    v = random_array(2**20 + 3, np_dtype, rng)
    assert_same(pc.to_numpy(pc.vector(v[::-1])), v[::-1].copy())


# ---- BLAS -------------------------------------------------------------------------------------


def test_threadpoolctl_sees_pycauset_openblas():
    info = threadpoolctl.threadpool_info()
    openblas = [d for d in info if d.get("internal_api") == "openblas"]
    assert openblas, info
    ours = [d for d in openblas if "pycauset" in d.get("filepath", "")]
    assert ours, f"pycauset's bundled OpenBLAS not listed: {openblas}"


def test_threadpoolctl_can_limit_pycauset_blas():
    pc.set_num_threads(2)
    assert pc.blas_info()["num_threads"] == 2
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        assert pc.blas_info()["num_threads"] == 1
    assert pc.blas_info()["num_threads"] == 2


def test_blas_info_reports_openblas():
    info = pc.blas_info()
    assert set(info) >= {"config", "num_threads"}
    assert "OpenBLAS" in info["config"]
    assert isinstance(info["num_threads"], int) and info["num_threads"] >= 1


@pytest.mark.parametrize("n", [0, 1, 7, 1000, 100003])
def test_blas_ddot_matches_numpy(n, rng):
    x = rng.standard_normal(n)
    y = rng.standard_normal(n)
    got = pc._core.blas_ddot(x.ctypes.data, y.ctypes.data, n)
    assert isinstance(got, float)
    np.testing.assert_allclose(got, x @ y, rtol=1e-12, atol=1e-12 * max(n, 1))


def test_blas_ddot_analytic_value():
    x = np.arange(1.0, 101.0)
    got = pc._core.blas_ddot(x.ctypes.data, x.ctypes.data, 100)
    assert got == 100 * 101 * 201 / 6  # sum of squares, exact in float64


def test_long_bit_vectors_pack_identically_with_two_threads(rng):
    # Parallel chunks of one long row must not share 64-bit words.
    b = rng.random(2**22 + 13) > 0.5
    for threads in (1, 2):
        pc.set_num_threads(threads)
        v = pc.vector(b)
        assert_same(pc.to_numpy(v), b)
        assert_same(pc.to_numpy(pc.matrix(b[None, :])), b[None, :])
        assert_same(pc.to_numpy(v[5:]), b[5:])
        w = pc.zeros(b.size, dtype="bit")
        w[:] = v
        assert_same(pc.to_numpy(w), b)
        assert_same(pc.to_numpy(pc.vector(b.astype(np.float32)).astype("bit")), b)
        assert_same(pc.to_numpy(v.astype("uint8")), b.astype(np.uint8))
        w.fill(True)
        assert pc.to_numpy(w).all()



@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_idle_pool_threads_sleep_instead_of_spinning():
    """Idle workers of pycauset's pool block on a condition variable: beside a busy
    process a spinning worker would take CPU time from the threads doing the work."""
    pc.set_num_threads(2)
    a = RNG_IDLE.standard_normal((1024, 1024))
    for _ in range(3):  # parallel copies: the workers exist and have just run
        pc.to_numpy(pc.matrix(a))
    time.sleep(0.2)
    before = thread_ticks()
    time.sleep(1.0)
    after = thread_ticks()
    pool = [tid for tid, (name, _) in after.items() if name == "pycauset-pool" and tid in before]
    assert pool, "no pool worker found (threads are named 'pycauset-pool')"
    spent = sum(after[t][1] - before[t][1] for t in pool)
    assert spent <= 2, f"idle pool workers used {spent} clock ticks in 1 s"


RNG_IDLE = np.random.default_rng(5)
