"""Causal-set kernels: every instruction set, sparse spills, counting out of core.

Oracles are independent of the code under test: the relation pair by pair
from its definition in NumPy (minimum image on periodic axes), links and
interval sizes from NumPy integer matrix products.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import pycauset as pc
from conftest import oracle_relation
from pycauset import _core

ST = pc.spacetime


def lattice_points(n, d, seed, periods=None):
    """Dyadic coordinates (exact squares and sums): many equal times and exactly light-like pairs."""
    rng = np.random.default_rng(seed)
    x = np.empty((n, d))
    x[:, 0] = np.floor(rng.random(n) * 32) / 32
    for k in range(1, d):
        span = periods[k - 1] if periods is not None and periods[k - 1] > 0 else 1.0
        x[:, k] = np.floor(rng.random(n) * 16) / 16 * span
    x[1::5, 0] = np.minimum(x[0:-1:5, 0][: len(x[1::5])] + 0.25, 2.0)
    return x[np.argsort(x[:, 0], kind="stable")]


CASES = [
    ("diamond4", 4, None), ("box2", 2, None), ("box3", 3, None), ("box5", 5, None), ("generic7", 7, None),
    ("cyl2", 2, [0.5]), ("cyl3", 3, [1.0, 0.0]), ("cyl4", 4, [0.75, 0.75, 0.0]),
]

_CHILD = r"""
import json, sys, hashlib
import numpy as np, pycauset as pc
from pycauset import _core
cases = json.loads(sys.argv[1])
out = {"isa": _core.light_cone_kernel_isa(), "bits": {}}
for name, x, periods in cases:
    c = np.asarray(pc.Matrix._wrap(_core.causal_matrix(pc.matrix(np.array(x))._h, periods or [])))
    out["bits"][name] = np.packbits(c).tolist()
print(json.dumps(out))
"""


def _run_cap(cap, cases):
    env = dict(os.environ)
    env.pop("PYCAUSET_KERNELS", None)
    if cap:
        env["PYCAUSET_KERNELS"] = cap
    r = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(cases)], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_every_instruction_set_matches_the_oracle_and_each_other():
    cases, oracles = [], {}
    for idx, (name, d, periods) in enumerate(CASES):
        for n in (1, 63, 64, 65, 300):
            x = lattice_points(n, d, seed=100 * idx + n, periods=periods)
            key = f"{name}-{n}"
            cases.append((key, x.tolist(), periods))
            oracles[key] = oracle_relation(x, periods)
    seen = {}
    for cap in ("baseline", "avx2", ""):
        res = _run_cap(cap, cases)
        seen.setdefault(res["isa"], res)
        for key, packed in res["bits"].items():
            n = oracles[key].shape[0]
            got = np.unpackbits(np.array(packed, dtype=np.uint8), count=n * n).reshape(n, n).astype(bool)
            assert np.array_equal(got, oracles[key]), (res["isa"], key)
    assert "baseline" in seen
    flags = ""
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    if " avx2" in flags:
        assert "avx2" in seen
    if " avx512f" in flags and " avx512dq" in flags:
        assert "avx512" in seen
    isas = list(seen)
    for other in isas[1:]:
        assert seen[other]["bits"] == seen[isas[0]]["bits"]


def test_light_cone_isa_is_reported():
    assert _core.light_cone_kernel_isa() in ("baseline", "avx2", "avx512")


# ---------------------------------------------------------------- counting

def numpy_interval_sizes(c):
    """Sizes of the intervals of all related pairs: (C @ C)[i, j] over C[i, j], exact in float64."""
    cf = c.astype(np.float64)
    return np.rint(cf @ cf).astype(np.int64)[c]


@pytest.mark.parametrize("region,n", [
    (ST.MinkowskiDiamond(dim=2), 300), (ST.MinkowskiDiamond(dim=4), 700),
    (ST.MinkowskiCylinder(dim=3, duration=2.0, circumference=1.0), 400),
])
def test_interval_abundances_every_kmax_against_numpy(region, n):
    """kmax 0..20 (thermometer counters up to 15, AND + popcount above) and the full histogram."""
    cs = pc.sprinkle(region, n=n, seed=77)
    c = np.asarray(cs.causal_matrix)
    sizes = numpy_interval_sizes(c)
    full = np.bincount(sizes, minlength=n - 1)
    for kmax in list(range(0, 21)) + [n - 2]:
        got = _core.interval_abundances(cs.causal_matrix._h, kmax)
        assert list(got) == full[: kmax + 1].tolist(), kmax


def test_counts_of_a_spilled_causal_matrix_match_in_ram(tmp_path):
    """Links, N_0..N_kmax, relations and past/future counts with C in a spill file past a tiny budget."""
    D = ST.MinkowskiDiamond(dim=4)
    ram = pc.sprinkle(D, n=2000, seed=5)
    c = np.asarray(ram.causal_matrix)
    want_links = np.asarray(ram.link_matrix)
    want = {k: ram.interval_abundances(k).tolist() for k in (0, 3, 17)}
    pc.set_backing_dir(tmp_path)
    pc.set_memory_limit("64 KiB")
    try:
        cs = pc.sprinkle(D, n=2000, seed=5)
        assert pc.memory_info()["spill_files"] >= 1
        assert np.array_equal(pc.to_numpy(cs.causal_matrix, allow_huge=True), c)
        assert np.array_equal(pc.to_numpy(cs.link_matrix, allow_huge=True), want_links)
        for k, v in want.items():
            assert cs.interval_abundances(k).tolist() == v
        assert cs.relations == int(c.sum())
        assert cs.links == int(want_links.sum())
        assert np.array_equal(pc.to_numpy(pc.sum(cs.causal_matrix, axis=1), allow_huge=True), c.sum(axis=1))
        assert np.array_equal(pc.to_numpy(pc.sum(cs.causal_matrix, axis=0), allow_huge=True), c.sum(axis=0))
        # the midpoint estimator reads the past and future counts of a spilled C
        future, past = c.sum(axis=1), c.sum(axis=0)
        half = int(np.max(np.minimum(past, future)))
        assert cs.dimension("midpoint") == pytest.approx(np.log2(2000 / half), rel=1e-12)
    finally:
        pc.set_memory_limit(None)


# ---------------------------------------------------------------- the lower triangle is never written

_BIG = 65536  # rows of 8 KiB: from row 32768 on, each row's first page lies left of the diagonal


def _oracle_rows(x, rows):
    out = []
    for i in rows:
        dt = x[:, 0] - x[i, 0]
        s = np.zeros(len(x))
        for k in range(1, x.shape[1]):
            a = x[:, k] - x[i, k]
            s = s + a * a
        out.append((dt > 0) & (dt * dt >= s))
    return np.array(out)


def _upper_pages_fraction(n):
    """Pages of the dense n x n bit matrix that hold a word on or right of the diagonal word."""
    row = (n + 63) // 64 * 8
    pages = 0
    for r in range(n):
        first = (r * row + r // 64 * 8) // 4096
        last = ((r + 1) * row - 1) // 4096
        pages += last - first + 1
    return pages * 4096 / (n * row)


def test_a_spilled_causal_matrix_is_a_sparse_file_without_its_lower_half(tmp_path):
    """On a disk file system (tmp_path). Freeing the file takes a while where it is mounted with
    `discard`: each row's part right of the diagonal is its own extent."""
    D = ST.MinkowskiDiamond(dim=2)
    pc.set_backing_dir(tmp_path)
    pc.set_memory_limit("1 MiB")
    try:
        cs = pc.sprinkle(D, n=_BIG, seed=2)
        files = [os.path.join(r, f) for r, _, fs in os.walk(tmp_path) for f in fs if f.endswith(".bin")]
        sizes = {f: os.stat(f) for f in files}
        dense = _BIG * _BIG // 8
        big = [st for st in sizes.values() if st.st_size >= dense]
        assert len(big) == 1
        allocated = big[0].st_blocks * 512
        # only the pages holding upper-triangle words (about 3/4 at this N, tending to 1/2) and the header
        assert allocated <= (_upper_pages_fraction(_BIG) + 0.01) * dense
        assert allocated >= 0.5 * dense
        x = pc.to_numpy(cs.coordinates, allow_huge=True)
        rows = [0, 1, 63, 64, 40000, _BIG - 65, _BIG - 1]
        got = np.array([pc.to_numpy(cs.causal_matrix[i:i + 1, :], allow_huge=True)[0] for i in rows])
        assert np.array_equal(got, _oracle_rows(x, rows))
        assert pc.memory_info()["spill_files"] >= 1
    finally:
        pc.set_memory_limit(None)


_RSS_CHILD = r"""
import sys, numpy as np, pycauset as pc
def rss():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('RssAnon'):
                return int(line.split()[1]) * 1024
n = int(sys.argv[1])
pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=10, seed=1)
before = rss()
cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=n, seed=2)
print(rss() - before, cs.relations)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc/self/status")
def test_in_ram_the_pages_left_of_the_diagonal_are_never_touched():
    r = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(_BIG)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    grew, relations = map(int, r.stdout.split())
    dense = _BIG * _BIG // 8
    assert relations > 0
    assert grew <= (_upper_pages_fraction(_BIG) + 0.02) * dense


@pytest.mark.parametrize("call,what", [
    ("box.pop().interval_abundances(3)", "interval abundances"),
    ("box.pop().interval_abundances(40)", "interval abundances"),
    ("box.pop().link_matrix", "links"),
])
def test_sigint_during_counts_of_a_spilled_causal_matrix(tmp_path, call, what):
    """A real Ctrl-C while counting over a spilled C: KeyboardInterrupt, no spill file left."""
    import _sigint

    _sigint.interrupted(
        str(tmp_path),
        setup='pc.set_memory_limit("1 MiB")\nbox = [pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=4), n=30000, seed=1)]',
        call=call,
        what=what,
        after="",
    )


@pytest.fixture
def tmpfs_of(tmp_path):
    """Mounts tmpfs file systems of a given size under tmp_path (skipped where not permitted)."""
    import shutil

    mounted = []

    def make(size):
        mnt = tmp_path / f"fs{len(mounted)}"
        mnt.mkdir()
        if shutil.which("mount") is None:
            pytest.skip("no mount command: cannot make a small file system")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True,
                           text=True)
        if r.returncode != 0:
            pytest.skip(f"mounting a tmpfs is not permitted here ({r.stderr.strip()})")
        mounted.append(mnt)
        return mnt

    try:
        yield make
    finally:
        for mnt in mounted:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


_FIT_CHILD = r"""
import json, os, sys, pycauset as pc
d, n = sys.argv[1], int(sys.argv[2])
pc.set_backing_dir(d)
pc.set_disk_reserve(0)
pc.set_memory_limit("1 MiB")
try:
    cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=n, seed=4)
    out = {"ok": True, "relations": cs.relations, "storage": cs.causal_matrix.storage.kind}
    del cs
except MemoryError as e:
    out = {"ok": False, "error": str(e)}
import gc; gc.collect()
out["left"] = sum(len(fs) for _, _, fs in os.walk(d) if fs) - sum(1 for _, _, fs in os.walk(d) for f in fs if f == "lock")
print(json.dumps(out))
"""


def test_on_tmpfs_a_spilled_causal_matrix_is_reserved_whole_and_reads_never_sigbus(tmpfs_of):
    """Reading a hole of a tmpfs file through a mapping allocates memory: a sparse C there would
    SIGBUS when its lower half is read on a full file system. 512 MiB dense: on 450 MiB it is a
    MemoryError up front (nothing left behind), on 600 MiB it builds and its lower half reads as zero."""
    def run(d):
        r = subprocess.run([sys.executable, "-c", _FIT_CHILD, str(d), str(_BIG)], capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, f"exit {r.returncode}: {r.stderr}"
        return json.loads(r.stdout.strip().splitlines()[-1])

    small = run(tmpfs_of("450M"))
    assert not small["ok"]
    assert "cannot spill" in small["error"] and small["left"] == 0
    big = run(tmpfs_of("600M"))
    assert big["ok"], big
    assert big["storage"] == "spill" and big["relations"] > 0 and big["left"] == 0
