"""pycauset and Dask: files as dask arrays and back, causal matrices built by a cluster.

Runs on a real dask.distributed LocalCluster with worker processes (2 workers,
1 thread each; one cluster for the module). References are NumPy's: every
array is checked against the NumPy array it was made from, every causal
matrix against the single-process build and a brute-force NumPy relation.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import dask  # noqa: E402

import pycauset as pc  # noqa: E402
from pycauset import _dask  # noqa: E402

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64", "complex64", "complex128"]


@pytest.fixture(scope="module")
def client():
    import cloudpickle

    # Functions defined here go to the workers by value (they cannot import this file).
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    # A killed worker fails its task at once (no retries on the other worker).
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=50)
        c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def _np(obj):
    return pc.to_numpy(obj, allow_huge=True)


def _sample(dtype: str, shape, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) < 0.4
    if dtype.startswith("complex"):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype.startswith("float"):
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


def _fds_under(directory: str) -> int:
    """File descriptors of this process open on files under `directory`."""
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith(directory):
                n += 1
        except OSError:
            pass
    return n


# ------------------------------------------------------------------ to_dask / from_dask


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_every_dtype_on_the_cluster(client, tmp_path, dtype):
    # Rectangular, odd chunks (bit: column chunks on whole words, the rest anywhere).
    a = _sample(dtype, (37, 150))
    src, dst = str(tmp_path / "a.pycauset"), str(tmp_path / "b.pycauset")
    pc.save(pc.matrix(a), src)
    chunks = (7, 64) if dtype == "bool" else (7, 33)
    X = pc.to_dask(src, chunks=chunks)
    assert X.dtype == a.dtype and X.shape == a.shape
    assert X._meta.dtype == a.dtype and X._meta.ndim == 2
    np.testing.assert_array_equal(X.compute(), a)
    pc.from_dask(X, dst)
    back = pc.load(dst)
    assert back.dtype == pc.dtype(dtype) and back.shape == a.shape
    np.testing.assert_array_equal(_np(back), a)


@pytest.mark.parametrize("shape,chunks", [((1, 1), (1, 1)), ((5, 300), (2, 128)), ((300, 5), (17, 2)),
                                          ((129, 129), (64, 64)), ((64, 65), (13, 64))])
def test_odd_shapes_and_chunkings_bits_and_floats(client, tmp_path, shape, chunks):
    for dtype in ("bool", "float64"):
        a = _sample(dtype, shape, seed=1)
        path = str(tmp_path / f"{dtype}.pycauset")
        # Bits are written in whole words of a row: column chunks of 64 (reads take any chunks).
        write_chunks = (chunks[0], 64) if dtype == "bool" else chunks
        pc.from_dask(da.from_array(a, chunks=write_chunks), path)
        np.testing.assert_array_equal(_np(pc.load(path)), a)
        np.testing.assert_array_equal(pc.to_dask(path, chunks=chunks[::-1]).compute(), a)


@pytest.mark.parametrize("dtype", ["bool", "float32", "int64"])
def test_vectors_round_trip(client, tmp_path, dtype):
    v = _sample(dtype, (1000,), seed=2)
    path = str(tmp_path / "v.pycauset")
    pc.from_dask(da.from_array(v, chunks=128 if dtype == "bool" else 77), path)
    loaded = pc.load(path)
    assert isinstance(loaded, pc.Vector) and loaded.shape == (1000,)
    np.testing.assert_array_equal(_np(loaded), v)
    X = pc.to_dask(path, chunks=99)
    assert X.ndim == 1
    np.testing.assert_array_equal(X.compute(), v)


def test_dask_computations_on_pycauset_files_match_numpy(client, tmp_path):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((300, 200))
    b = rng.random((300, 300)) < 0.3
    pa, pb = str(tmp_path / "a.pycauset"), str(tmp_path / "b.pycauset")
    pc.save(pc.matrix(a), pa)
    pc.save(pc.matrix(b), pb)
    X = pc.to_dask(pa, chunks=(64, 50))
    B = pc.to_dask(pb, chunks=(100, 128))
    np.testing.assert_allclose((X @ X.T).sum(axis=0).compute(), (a @ a.T).sum(axis=0), rtol=1e-10)
    np.testing.assert_allclose(X.mean(axis=1).compute(), a.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(X[::3, 10:150].std().compute(), a[::3, 10:150].std(), rtol=1e-12)
    assert int(B.sum().compute()) == int(b.sum())
    np.testing.assert_array_equal((B.astype(np.int64) @ B.astype(np.int64)).compute(),
                                  b.astype(np.int64) @ b.astype(np.int64))
    # The result of a computation written back, read with pycauset.
    out = str(tmp_path / "out.pycauset")
    pc.from_dask(X + 1, out)
    np.testing.assert_array_equal(_np(pc.load(out)), a + 1)


def test_to_dask_of_loaded_objects_and_their_views(client, tmp_path):
    a = np.arange(20 * 30, dtype=np.float64).reshape(20, 30)
    bits = _sample("bool", (20, 130), seed=4)
    pa, pb = str(tmp_path / "a.pycauset"), str(tmp_path / "b.pycauset")
    pc.save(pc.matrix(a), pa)
    pc.save(pc.matrix(bits), pb)
    for path, ref in ((pa, a), (pb, bits)):
        M = pc.load(path)
        views = [(M, ref), (M.T, ref.T), (M[3:17, 5:25], ref[3:17, 5:25]), (M[::2, ::-3], ref[::2, ::-3]),
                 (M[5], ref[5]), (M[:, 7], ref[:, 7]), (M[3:17, 5:25].T, ref[3:17, 5:25].T),
                 (M[::-1], ref[::-1])]
        for view, expected in views:
            got = pc.to_dask(view).compute()
            np.testing.assert_array_equal(got, expected)


def test_the_name_follows_the_file(client, tmp_path):
    path = str(tmp_path / "a.pycauset")
    pc.save(pc.matrix(np.ones((4, 4))), path)
    assert pc.to_dask(path, chunks=2).name == pc.to_dask(path, chunks=2).name
    assert pc.to_dask(path, chunks=2).name != pc.to_dask(path, chunks=4).name
    old = pc.to_dask(path, chunks=2)
    time.sleep(0.01)
    pc.save(pc.matrix(np.zeros((4, 4))), path)
    new = pc.to_dask(path, chunks=2)
    assert new.name != old.name
    # A read through the array made before the file was replaced refuses, never mixes files.
    with pytest.raises(ValueError, match="changed after this Dask array was made"):
        old.compute(scheduler="sync")
    np.testing.assert_array_equal(new.compute(), np.zeros((4, 4)))


def test_objects_not_backed_by_a_file(tmp_path):
    m = pc.matrix(np.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError, match="held in RAM.*path="):
        pc.to_dask(m)
    X = pc.to_dask(m, path=str(tmp_path / "m.pycauset"))
    np.testing.assert_array_equal(X.compute(scheduler="sync"), np.arange(6.0).reshape(2, 3))
    lazy = m + 1  # a pending expression is evaluated first
    np.testing.assert_array_equal(pc.to_dask(lazy, path=str(tmp_path / "l.pycauset")).compute(scheduler="sync"),
                                  np.arange(6.0).reshape(2, 3) + 1)
    with pytest.raises(TypeError, match="to_dask expects"):
        pc.to_dask(np.zeros(3))
    with pytest.raises(FileNotFoundError):
        pc.to_dask(str(tmp_path / "missing.pycauset"))
    bad = tmp_path / "bad.pycauset"
    bad.write_bytes(b"not a pycauset file at all" * 10)
    with pytest.raises(pc.FormatError):
        pc.to_dask(str(bad))


def test_spilled_objects_are_saved_by_path(tmp_path):
    pc.set_backing_dir(str(tmp_path))
    pc.set_memory_limit("1 MiB")
    try:
        big = pc.zeros((400, 400))  # 1.2 MiB: a spill file
        assert big._h.storage_kind == "spill"
        with pytest.raises(ValueError, match="spill file private to this process"):
            pc.to_dask(big)
        X = pc.to_dask(big, path=str(tmp_path / "s.pycauset"))
        assert float(X.sum().compute(scheduler="sync")) == 0.0
    finally:
        pc.set_memory_limit(None)


def test_from_dask_rejects_what_it_cannot_write_and_leaves_nothing(tmp_path):
    path = tmp_path / "t.pycauset"
    with pytest.raises(ValueError, match="multiples of 64"):
        pc.from_dask(da.ones((10, 200), dtype=bool, chunks=(5, 100)), str(path))
    with pytest.raises(ValueError, match="1-D or 2-D"):
        pc.from_dask(da.ones((2, 2, 2), chunks=1), str(path))
    with pytest.raises(TypeError):
        pc.from_dask(da.ones((2, 2), dtype="datetime64[s]", chunks=1), str(path))
    with pytest.raises(TypeError, match="JSON"):
        pc.from_dask(da.ones((2, 2), chunks=1), str(path), properties={"x": object()})
    with pytest.raises(FileNotFoundError):
        pc.from_dask(da.ones((2, 2), chunks=1), str(tmp_path / "no" / "such" / "dir.pycauset"))
    assert os.listdir(tmp_path) == []


def test_from_dask_casts_and_keeps_properties(tmp_path):
    path = str(tmp_path / "c.pycauset")
    pc.from_dask(da.arange(10, chunks=3), path, dtype="float32", properties={"note": "cast"},
                 scheduler="sync")
    v = pc.load(path)
    assert v.dtype == pc.float32 and v.properties["note"] == "cast"
    np.testing.assert_array_equal(_np(v), np.arange(10, dtype=np.float32))


def _fail_on_block(block, block_info=None):
    if block_info is not None and block_info[0]["chunk-location"] == (2, 0):
        raise RuntimeError("a task failed")
    return block


def _kill_on_block(block, block_info=None):
    if block_info is not None and block_info[0]["chunk-location"] == (3, 0):
        time.sleep(0.3)  # let other chunks reach the file first
        os.kill(os.getpid(), signal.SIGKILL)
    return block


def test_a_failing_task_leaves_the_old_target(client, tmp_path):
    path = str(tmp_path / "t.pycauset")
    pc.save(pc.matrix(np.full((8, 4), 7.0)), path)
    x = da.zeros((80, 4), chunks=(10, 4)).map_blocks(_fail_on_block, dtype=float)
    with pytest.raises(RuntimeError, match="a task failed"):
        pc.from_dask(x, path)
    np.testing.assert_array_equal(_np(pc.load(path)), np.full((8, 4), 7.0))
    assert sorted(os.listdir(tmp_path)) == ["t.pycauset"]  # no temporary left


def test_a_worker_killed_mid_write_leaves_the_target_absent_or_old(client, tmp_path):
    old = str(tmp_path / "old.pycauset")
    new = str(tmp_path / "new.pycauset")
    pc.save(pc.matrix(np.full((8, 4), 7.0)), old)
    x = da.ones((200, 64), chunks=(10, 64)).map_blocks(_kill_on_block, dtype=float)
    for target in (old, new):
        with pytest.raises(distributed.KilledWorker):
            pc.from_dask(x, target)
        client.wait_for_workers(2, timeout=60)
    np.testing.assert_array_equal(_np(pc.load(old)), np.full((8, 4), 7.0))
    assert not os.path.exists(new)
    assert sorted(os.listdir(tmp_path)) == ["old.pycauset"]


def test_a_client_killed_mid_write_leaves_the_old_target(tmp_path):
    # The process driving from_dask dies (SIGKILL) while chunks are being written.
    path = str(tmp_path / "t.pycauset")
    pc.save(pc.matrix(np.full((4, 4), 7.0)), path)
    script = textwrap.dedent(f"""
        import os, signal, time, dask.array as da, pycauset as pc
        def slow(block, block_info=None):
            if block_info[0]["chunk-location"] == (5, 0):
                os.kill(os.getpid(), signal.SIGKILL)
            return block
        x = da.ones((100, 8), chunks=(10, 8)).map_blocks(slow, dtype=float)
        pc.from_dask(x, {path!r}, scheduler="sync")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    np.testing.assert_array_equal(_np(pc.load(path)), np.full((4, 4), 7.0))
    leftovers = [n for n in os.listdir(tmp_path) if n != "t.pycauset"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".t.pycauset.tmp-")  # hidden, never the target
    # The next write to the same target removes the dead process's temporary.
    pc.from_dask(da.zeros((2, 2), chunks=1), path, scheduler="sync")
    assert sorted(os.listdir(tmp_path)) == ["t.pycauset"]


def test_the_reader_pickles_and_reads_from_many_threads(tmp_path):
    a = _sample("float64", (500, 77), seed=5)
    bits = _sample("bool", (300, 200), seed=6)
    pa, pb = str(tmp_path / "a.pycauset"), str(tmp_path / "b.pycauset")
    pc.save(pc.matrix(a), pa)
    pc.save(pc.matrix(bits), pb)
    for path, ref in ((pa, a), (pb, bits)):
        reader = pickle.loads(pickle.dumps(_dask.FileTileReader(path)))
        assert reader.shape == ref.shape and reader.dtype == ref.dtype
        np.testing.assert_array_equal(reader[3:40, 5:70], ref[3:40, 5:70])
        np.testing.assert_array_equal(reader[::7, 60:3:-2], ref[::7, 60:3:-2])
        errors = []

        def work(k, reader=reader, ref=ref):
            try:
                for i in range(20):
                    r0 = (k * 13 + i * 7) % (ref.shape[0] - 10)
                    c0 = (k * 5 + i * 3) % (ref.shape[1] - 10)
                    np.testing.assert_array_equal(reader[r0:r0 + 10, c0:], ref[r0:r0 + 10, c0:])
            except Exception as err:  # pragma: no cover - reported below
                errors.append(err)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
    with pytest.raises(IndexError):
        _dask.FileTileReader(pa)[0]


def test_no_file_handles_left_open(client, tmp_path):
    a = _sample("float32", (200, 100), seed=7)
    path, out = str(tmp_path / "a.pycauset"), str(tmp_path / "b.pycauset")
    pc.save(pc.matrix(a), path)
    X = pc.to_dask(path, chunks=(30, 40))
    np.testing.assert_array_equal(X.compute(), a)
    pc.from_dask(X * 2, out)
    d = str(tmp_path)
    assert _fds_under(d) == 0
    assert set(client.run(_fds_under, d).values()) == {0}


def test_importing_pycauset_does_not_import_dask():
    code = "import sys, pycauset; print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------ causal matrices on a cluster


def _brute_force(coords: np.ndarray, periods=()) -> np.ndarray:
    """C[i, j] = j in the causal future of i (NumPy, from the coordinates)."""
    t, x = coords[:, 0], coords[:, 1:]
    dt = t[None, :] - t[:, None]
    dx = np.abs(x[None, :, :] - x[:, None, :])
    for k, period in enumerate(periods):
        dx[:, :, k] = np.minimum(dx[:, :, k], period - dx[:, :, k])
    return (dt > 0) & (dt * dt >= (dx * dx).sum(axis=2))


@pytest.mark.parametrize("region,n", [
    (pc.spacetime.MinkowskiDiamond(dim=4), 2000),
    (pc.spacetime.MinkowskiDiamond(dim=2), 65),
    (pc.spacetime.MinkowskiCylinder(dim=3, duration=1.0, circumference=1.0), 700),
    (pc.spacetime.MinkowskiBox(dim=3), 0),
])
def test_cluster_built_causal_matrix_is_bit_identical(client, tmp_path, region, n):
    path = str(tmp_path / "C.pycauset")
    cs = pc.sprinkle(region, n=n, seed=11, client=client, path=path)
    ref = pc.sprinkle(region, n=n, seed=11)
    assert len(cs) == n and cs.seed == 11
    np.testing.assert_array_equal(_np(cs.coordinates), _np(ref.coordinates))
    c = _np(cs.causal_matrix)
    # Bit for bit, the padding included (the file's payload against the RAM build's words).
    assert cs.causal_matrix._h.storage_kind == "file" and cs.causal_matrix.dtype == pc.bit
    np.testing.assert_array_equal(c, _np(ref.causal_matrix))
    if n:
        with open(path, "rb") as f:
            f.seek(4096)
            payload = np.frombuffer(f.read(n * ((n + 63) // 64) * 8), dtype="<u8").reshape(n, -1)
        expected = np.packbits(_np(ref.causal_matrix), axis=1, bitorder="little")
        expected = np.pad(expected, ((0, 0), (0, payload.shape[1] * 8 - expected.shape[1])))
        np.testing.assert_array_equal(payload.view(np.uint8), expected)
        np.testing.assert_array_equal(c, _brute_force(_np(ref.coordinates), region.spatial_periods or ()))
    assert cs.relations == int(c.sum())
    if n > 1:
        assert cs.dimension() == ref.dimension()
    assert cs.causal_matrix.properties["structure"] == "strictly_upper_triangular"


def test_cluster_build_of_a_poisson_sprinkling(client, tmp_path):
    D = pc.spacetime.MinkowskiDiamond(dim=3)
    cs = pc.sprinkle(D, density=500.0, seed=2, client=client, path=str(tmp_path / "C.pycauset"))
    ref = pc.sprinkle(D, density=500.0, seed=2)
    assert len(cs) == len(ref) and cs.mode == "density"
    np.testing.assert_array_equal(_np(cs.causal_matrix), _np(ref.causal_matrix))
    assert cs.links == ref.links


def test_cluster_build_needs_client_and_path(client, tmp_path):
    D = pc.spacetime.MinkowskiDiamond(dim=2)
    with pytest.raises(ValueError, match="both client= .* and path="):
        pc.sprinkle(D, n=10, seed=1, path=str(tmp_path / "C.pycauset"))
    with pytest.raises(ValueError, match="both client="):
        pc.sprinkle(D, n=10, seed=1, client=client)
    with pytest.raises(TypeError, match="dask.distributed Client"):
        pc.sprinkle(D, n=10, seed=1, client=object(), path=str(tmp_path / "C.pycauset"))
    assert os.listdir(tmp_path) == []


def test_row_blocks_tile_the_rows():
    for n in (1, 63, 64, 65, 1000, 100_000):
        for workers in (1, 2, 16):
            blocks = _dask.row_blocks(n, workers)
            assert blocks[0][0] == 0 and blocks[-1][1] == n
            assert all(b[1] == c[0] for b, c in zip(blocks, blocks[1:]))
            assert all(r0 % 64 == 0 and r1 > r0 for r0, r1 in blocks)
    assert _dask.row_blocks(0, 2) == []


def test_point_set_binding_checks_its_ranges():
    coords = pc.matrix(np.array([[0.0, 0.0], [1.0, 0.0]]))
    ps = pc._core.PointSet(coords._h, [])
    out = np.zeros((2, 1), dtype=np.uint64)
    ps.relation_words(0, 2, 0, 1, out)
    assert out[:, 0].tolist() == [2, 0]  # 0 precedes 1
    with pytest.raises(IndexError):
        ps.relation_words(0, 3, 0, 1, out)
    with pytest.raises(ValueError):
        ps.relation_words(0, 1, 0, 1, out)
    with pytest.raises(TypeError):
        ps.relation_words(0, 2, 0, 1, np.zeros((2, 1), dtype=np.int32))


def test_the_example_runs(tmp_path):
    example = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "dask_causal_matrix.py")
    out = subprocess.run([sys.executable, example, "--n", "300", "--check", "--dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    assert "identical to the single-process build: True" in out.stdout
    assert os.listdir(tmp_path) == ["C.pycauset"]


@pytest.mark.parametrize("direct", [True, False])
def test_large_whole_row_tiles_direct_or_through_the_cache(tmp_path, monkeypatch, direct):
    # Tiles of whole rows past 1 MiB are read with O_DIRECT where the file system allows;
    # without it (or where refused) through the page cache: the same values either way.
    if not direct:
        monkeypatch.delattr(os, "O_DIRECT", raising=False)
    a = _sample("float64", (300, 1024), seed=8)
    c = _sample("complex128", (150, 513), seed=9)
    for name, ref, chunks in (("a", a, (131, -1)), ("c", c, (149, -1))):
        path = str(tmp_path / f"{name}.pycauset")
        pc.save(pc.matrix(ref), path)
        got = pc.to_dask(path, chunks=chunks).compute(scheduler="threads")
        np.testing.assert_array_equal(got, ref)
    assert (_dask._read_direct(str(tmp_path / "a.pycauset"), 4096 + 8192, 1 << 20) is None) == (not direct)
