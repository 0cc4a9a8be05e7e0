"""Causal sets in files and pickles, and pc.causet(relation, sort=True).

References are independent of the code under test: the causal matrix of a
loaded set is compared with the original's bits and with a brute-force light-cone
oracle from the loaded coordinates; files are read back with the plain-Python
reader of tests/python/_pcfile.py; sort=True is compared with a brute-force
lexicographically-smallest topological order (all permutations for small N).
"""

from __future__ import annotations

import errno
import gc
import itertools
import json
import os
import pickle
import random
import signal
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest

import _pcfile
import pycauset as pc
from conftest import mounted_tmpfs

import _sigint
from pycauset import _causet_io
from pycauset.spacetime import MinkowskiBox, MinkowskiCylinder, MinkowskiDiamond

REGIONS = [
    MinkowskiDiamond(dim=2), MinkowskiDiamond(dim=3, height=2.0), MinkowskiDiamond(dim=4),
    MinkowskiBox(dim=2, duration=1.5, size=0.5), MinkowskiBox(dim=3),
    MinkowskiCylinder(dim=2, duration=0.5, circumference=0.75), MinkowskiCylinder(dim=3),
]


def bits(m) -> np.ndarray:
    return pc.to_numpy(m, allow_huge=True)


def coords(cs) -> np.ndarray:
    return pc.to_numpy(cs.coordinates, allow_huge=True)


def oracle_causal(region, x: np.ndarray) -> np.ndarray:
    """C[i, j] = x_i precedes x_j by the region's light-cone test, all pairs, then i < j only
    where time order allows (a check that the loaded bits are physics, not just a copy)."""
    return region.precedes(x[:, None, :], x[None, :, :])


def assert_same_set(got, want) -> None:
    assert type(got) is pc.CausalSet
    assert len(got) == len(want)
    assert got.region == want.region and type(got.region) is type(want.region)
    assert got.seed == want.seed and got.mode == want.mode
    assert (got.density is None and want.density is None) or got.density == want.density
    np.testing.assert_array_equal(bits(got.causal_matrix), bits(want.causal_matrix))
    if want.coordinates is None:
        assert got.coordinates is None
    else:
        a, b = coords(got), coords(want)
        assert a.dtype == b.dtype == np.float64 and a.shape == b.shape
        assert a.tobytes() == b.tobytes()  # bit-identical, -0.0 included
    if want.labels is None:
        assert got.labels is None
    else:
        np.testing.assert_array_equal(got.labels, want.labels)


def section_layout(path) -> dict:
    """{name: (offset, entry)} of a causal-set file's sections, by the layout rule of
    docs/format.md written out here independently: each section starts at the next
    multiple of 4096 at or after the end of what precedes it (the metadata first)."""
    h, _, meta = _pcfile.read(path)
    at, out = h["metadata_offset"] + h["metadata_length"], {}
    for entry in meta["causet"]["sections"]:
        at = -(-at // 4096) * 4096
        out[entry["name"]] = (at, entry)
        at += entry["nbytes"]
    return out


# ---- round trips -------------------------------------------------------------------


@pytest.mark.parametrize("region", REGIONS, ids=repr)
@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 300])
def test_fixed_n_round_trip(region, n, fast_tmp):
    cs = pc.sprinkle(region, n=n, seed=n + 11)
    path = fast_tmp / "cs.pycauset"
    pc.save(cs, path)
    back = pc.load(path)
    assert_same_set(back, cs)
    x = coords(back)
    np.testing.assert_array_equal(bits(back.causal_matrix), oracle_causal(region, x))
    if n >= 3:
        assert back.relations == cs.relations and back.links == cs.links
        np.testing.assert_array_equal(back.interval_abundances(3), cs.interval_abundances(3))
        assert back.longest_chain() == cs.longest_chain()
        if cs.relations:
            assert back.ordering_fraction == cs.ordering_fraction
    assert repr(back) == repr(cs)


@pytest.mark.parametrize("region", REGIONS[:4], ids=repr)
def test_poisson_round_trip(region, fast_tmp):
    cs = pc.sprinkle(region, density=300.0 / region.volume, seed=2**100 + 5)
    assert cs.mode == "density"
    pc.save(cs, fast_tmp / "p.pycauset")
    back = pc.load(fast_tmp / "p.pycauset")
    assert_same_set(back, cs)
    assert back.seed == 2**100 + 5 and back.density == 300.0 / region.volume
    assert back.dimension("myrheim_meyer") == cs.dimension("myrheim_meyer")


def test_larger_set_round_trip_with_derived_quantities(fast_tmp):
    cs = pc.sprinkle(MinkowskiDiamond(dim=4), n=2500, seed=9)
    pc.save(cs, fast_tmp / "big.pycauset")
    back = pc.load(fast_tmp / "big.pycauset")
    assert_same_set(back, cs)
    assert back.dimension("myrheim_meyer") == cs.dimension("myrheim_meyer")
    assert back.dimension("midpoint") == cs.dimension("midpoint")
    np.testing.assert_array_equal(bits(back.link_matrix), bits(cs.link_matrix))
    assert back.action() == cs.action()


def _random_poset(rng, n, p=0.2) -> np.ndarray:
    """A random strictly upper-triangular, transitively closed relation."""
    r = np.triu(rng.random((n, n)) < p, 1)
    for k in range(n):  # Warshall
        r |= r[:, k:k + 1] & r[k:k + 1, :]
    return r


@pytest.mark.parametrize("n", [0, 1, 5, 70, 129])
def test_causet_set_round_trip(n, fast_tmp, rng):
    r = _random_poset(rng, n)
    cs = pc.causet(r)
    pc.save(cs, fast_tmp / "r.pycauset")
    back = pc.load(fast_tmp / "r.pycauset")
    assert_same_set(back, cs)
    assert back.region is None and back.coordinates is None and back.seed is None
    np.testing.assert_array_equal(bits(back.causal_matrix), r)


def test_sorted_causet_keeps_its_labels(fast_tmp, rng):
    r = _random_poset(rng, 40)
    p = rng.permutation(40)
    shuffled = r[np.ix_(p, p)]
    cs = pc.causet(shuffled, sort=True)
    pc.save(cs, fast_tmp / "s.pycauset")
    back = pc.load(fast_tmp / "s.pycauset")
    assert_same_set(back, cs)
    np.testing.assert_array_equal(bits(back.causal_matrix), shuffled[np.ix_(back.labels, back.labels)])
    assert not back.labels.flags.writeable


def test_saving_over_an_existing_file_and_path_types(tmp_path):
    a = pc.sprinkle(MinkowskiDiamond(dim=2), n=50, seed=1)
    b = pc.sprinkle(MinkowskiBox(dim=3), n=80, seed=2)
    target = tmp_path / "x.pycauset"
    pc.save(a, str(target))
    pc.save(b, target)
    assert_same_set(pc.load(str(target)), b)
    assert os.listdir(tmp_path) == ["x.pycauset"]
    # any extension other than .npy is the .pycauset format, as for arrays
    pc.save(a, tmp_path / "noext")
    assert_same_set(pc.load(tmp_path / "noext"), a)


@pytest.mark.parametrize("mode", ["r", "c", "r+"])
def test_a_loaded_set_saves_over_its_own_file(mode, tmp_path):
    cs = pc.sprinkle(MinkowskiDiamond(dim=3), n=500, seed=3)
    path = tmp_path / "a.pycauset"
    pc.save(cs, path)
    loaded = pc.load(path, mode=mode)  # its causal matrix maps the file being replaced
    pc.save(loaded, path)
    assert_same_set(pc.load(path), cs)
    assert_same_set(loaded, cs)
    assert os.listdir(tmp_path) == ["a.pycauset"]


def test_a_file_replaced_while_loading_is_loaded_whole(tmp_path):
    # pc.load maps the causal matrix, then reads the sections through a second descriptor;
    # a save over the file between the two must not mix the old matrix with new sections.
    from pycauset import _storage

    a = pc.sprinkle(MinkowskiDiamond(dim=2), n=300, seed=1)
    b = pc.sprinkle(MinkowskiDiamond(dim=2), n=300, seed=2)  # the same layout, other values
    path = tmp_path / "r.pycauset"
    pc.save(a, path)
    handle, meta = _storage._load_payload(str(path), "r")  # what pc.load does first
    pc.save(b, path)
    got = _causet_io.load(str(path), handle, meta, "r")
    assert_same_set(got, b)
    del handle
    pc.save(pc.matrix(np.eye(2)), path)  # replaced by an array file meanwhile: that is loaded
    pc.save(a, tmp_path / "s.pycauset")
    handle, meta = _storage._load_payload(str(tmp_path / "s.pycauset"), "r")
    os.replace(path, tmp_path / "s.pycauset")
    got = _causet_io.load(str(tmp_path / "s.pycauset"), handle, meta, "r")
    assert type(got) is pc.Matrix and got.shape == (2, 2)


def test_file_is_a_valid_pycauset_file_read_independently(tmp_path):
    cs = pc.sprinkle(MinkowskiCylinder(dim=3), n=130, seed=4)
    cs.causal_matrix.properties["note"] = "kept"
    path = tmp_path / "c.pycauset"
    pc.save(cs, path)
    h, values, meta = _pcfile.read(path)
    assert h["version"] == 1 and h["dtype"] == 0 and h["rows"] == h["cols"] == 130
    assert _pcfile.STRUCTURES[h["structure"]] == "strictly_upper_triangular"
    np.testing.assert_array_equal(values, bits(cs.causal_matrix))
    assert meta["properties"]["note"] == "kept"
    c = meta["causet"]
    assert c["format"] == 2 and c["n"] == 130 and c["seed"] == "4" and c["mode"] == "n"
    assert c["region"] == {"kind": "MinkowskiCylinder", "dim": 3, "duration": 1.0, "circumference": 1.0}
    assert [e["name"] for e in c["sections"]] == ["coordinates"]
    at, s = section_layout(path)["coordinates"]
    assert at % 4096 == 0 and at >= h["metadata_offset"] + h["metadata_length"]
    data = path.read_bytes()
    assert len(data) == at + s["nbytes"]  # the file ends with its last section
    assert not any(data[h["metadata_offset"] + h["metadata_length"]:at])  # the gap reads as zeros
    raw = data[at:at + s["nbytes"]]
    assert zlib.crc32(raw) == s["crc32"] and s["dtype"] == "<f8" and s["shape"] == [130, 3]
    assert np.frombuffer(raw, "<f8").reshape(130, 3).tobytes() == coords(cs).tobytes()
    # Readers that know nothing of causal sets see the causal matrix.
    pc.convert_file(path, tmp_path / "c.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "c.npy"), bits(cs.causal_matrix))
    from pycauset._storage import _load_array
    assert isinstance(_load_array(path), pc.Matrix)
    back = pc.load(path)
    assert back.causal_matrix.properties["note"] == "kept"


def test_load_of_an_array_file_still_returns_an_array(tmp_path):
    pc.save(pc.matrix(np.eye(3)), tmp_path / "a.pycauset")
    a = pc.load(tmp_path / "a.pycauset")
    assert type(a) is pc.Matrix


def test_load_modes_apply_to_the_causal_matrix(tmp_path):
    cs = pc.sprinkle(MinkowskiDiamond(dim=2), n=100, seed=3)
    path = tmp_path / "m.pycauset"
    pc.save(cs, path)
    want = bits(cs.causal_matrix)
    r = pc.load(path)
    assert r.causal_matrix.storage.kind == "file"
    with pytest.raises(ValueError):
        r.causal_matrix[0, 99] = not want[0, 99]
    c = pc.load(path, mode="c")
    c.causal_matrix[0, 99] = not want[0, 99]
    np.testing.assert_array_equal(bits(pc.load(path).causal_matrix), want)
    w = pc.load(path, mode="r+")
    w.causal_matrix[0, 99] = not want[0, 99]
    del w
    gc.collect()
    assert bool(pc.load(path).causal_matrix[0, 99]) == (not want[0, 99])
    with pytest.raises(ValueError, match="mode"):
        pc.load(path, mode="w")


# ---- spilled causal matrices ----------------------------------------------------------


@pytest.mark.parametrize("backing", ["same_fs", "other_fs"])
def test_spilled_causal_matrix_saves_and_loads(backing, tmp_path):
    region = MinkowskiDiamond(dim=3)
    ref = pc.sprinkle(region, n=1500, seed=21)  # in RAM
    want_bits, want_x = bits(ref.causal_matrix), coords(ref)
    del ref
    gc.collect()
    if backing == "other_fs":
        if not os.access("/dev/shm", os.W_OK):
            pytest.skip("no /dev/shm")
        pc.set_backing_dir("/dev/shm")
    else:
        pc.set_backing_dir(tmp_path)
    pc.set_memory_limit("64 KiB")
    cs = pc.sprinkle(region, n=1500, seed=21)
    assert cs.causal_matrix.storage.kind == "spill"
    out = tmp_path / "out"
    out.mkdir()
    st = os.stat(cs.causal_matrix.storage.path)
    spill_file = (st.st_dev, st.st_ino)
    pc.save(cs, out / "s.pycauset")
    # On the spill file's file system the save links the spill file (with the sections
    # written into it) instead of copying the matrix; elsewhere it streams a copy.
    st = os.stat(out / "s.pycauset")
    assert ((st.st_dev, st.st_ino) == spill_file) == (backing == "same_fs")
    # the set still works after the save (a spill file saved by linking stays private)
    np.testing.assert_array_equal(bits(cs.causal_matrix), want_bits)
    back = pc.load(out / "s.pycauset")
    assert back.causal_matrix.storage.kind == "file"
    np.testing.assert_array_equal(bits(back.causal_matrix), want_bits)
    assert coords(back).tobytes() == want_x.tobytes()
    cs.causal_matrix[0, 1] = not want_bits[0, 1]  # later writes do not reach the saved file
    np.testing.assert_array_equal(bits(pc.load(out / "s.pycauset").causal_matrix), want_bits)
    assert os.listdir(out) == ["s.pycauset"]
    del cs, back
    gc.collect()


# ---- bad input and damaged files -----------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    cs = pc.causet(np.triu(np.ones((5, 5), dtype=bool), 1))
    cs = pc.sprinkle(MinkowskiDiamond(dim=2), n=200, seed=8)
    path = tmp_path / "d.pycauset"
    pc.save(cs, path)
    return path, cs


def test_truncated_files_give_clear_errors(saved, tmp_path):
    path, cs = saved
    data = path.read_bytes()
    at, _ = section_layout(path)["coordinates"]
    h = _pcfile.parse_header(data)
    cuts = {
        "inside the coordinates": (at + 100, "truncated"),
        "before the coordinates": (h["metadata_offset"] + h["metadata_length"], "truncated"),
        "inside the metadata": (h["metadata_offset"] + 5, "truncated|not a valid"),
        "inside the causal matrix": (4096 + 100, "truncated|not a valid"),
        "inside the header": (60, "truncated|not a valid"),
    }
    for what, (size, words) in cuts.items():
        bad = tmp_path / "bad.pycauset"
        bad.write_bytes(data[:size])
        with pytest.raises(pc.FormatError, match=words) as info:
            pc.load(bad)
        assert "bad.pycauset" in str(info.value), what


def test_corrupted_section_fails_its_checksum(saved, tmp_path):
    path, _ = saved
    data = bytearray(path.read_bytes())
    at, _ = section_layout(path)["coordinates"]
    data[at + 17] ^= 0x40
    bad = tmp_path / "bad.pycauset"
    bad.write_bytes(bytes(data))
    with pytest.raises(pc.FormatError, match="checksum of its coordinates section"):
        pc.load(bad)


def _with_causet_metadata(path, out, change) -> None:
    """Copy of the file at `path` whose "causet" metadata is changed by `change(dict)`; the
    sections move with the metadata's end, by whole pages (so their layout is kept)."""
    data = path.read_bytes()
    h, _, meta = _pcfile.read(path)
    first = -(-(h["metadata_offset"] + h["metadata_length"]) // 4096) * 4096
    change(meta["causet"])
    new = json.dumps(meta).encode()
    body = data[:h["metadata_offset"]] + new
    body += b"\0" * (-len(body) % 4096) + data[first:]
    out.write_bytes(bytes(_pcfile.patch(body, metadata_length=len(new), metadata_crc=zlib.crc32(new))))


def _coords(c) -> dict:
    return next(e for e in c["sections"] if e["name"] == "coordinates")


@pytest.mark.parametrize("change,message", [
    (lambda c: c["region"].update(kind="AntiDeSitterDiamond"), "unknown kind 'AntiDeSitterDiamond'"),
    (lambda c: c["region"].update(height=-1.0), "region is invalid: height"),
    (lambda c: c["region"].pop("height"), "region has fields"),
    (lambda c: c.update(region=[1, 2]), "not an object with a 'kind'"),
    (lambda c: c.update(format=1), "format 1; this version of pycauset reads format 2"),
    (lambda c: c.update(format=3), "format 3; this version of pycauset reads format 2"),
    (lambda c: c.update(n=199), "says 199 elements"),
    (lambda c: c.update(seed=-3), "seed"),
    (lambda c: c.update(mode="lattice"), "mode"),
    (lambda c: c.update(density=float("inf")), "density"),
    (lambda c: _coords(c).update(shape=[200, 3]), "coordinates"),
    (lambda c: _coords(c).update(crc32=12345), "checksum"),
    (lambda c: _coords(c).update(nbytes=-8), "not an object with a 'name' and 'nbytes'"),
    (lambda c: _coords(c).pop("name"), "not an object with a 'name' and 'nbytes'"),
    # a section listed before the coordinates moves them (by the layout rule) past the file's end
    (lambda c: c["sections"].insert(0, {"name": "big", "nbytes": 10 ** 12}), "coordinates section ends at"),
    (lambda c: c["sections"].append(dict(_coords(c))), "two sections named 'coordinates'"),
    (lambda c: c.update(sections=[{"name": "a", "nbytes": 2 ** 63}, {"name": "b", "nbytes": 2 ** 63}]
                        + c["sections"]), "sections have sizes"),
    (lambda c: c["sections"].append("here"), "section 'here'"),
    (lambda c: c.update(sections={"coordinates": {}}), "'sections' is not a list"),
])
def test_bad_causet_metadata_gives_format_errors(saved, tmp_path, change, message):
    path, _ = saved
    bad = tmp_path / "bad.pycauset"
    _with_causet_metadata(path, bad, change)
    with pytest.raises(pc.FormatError, match=message):
        pc.load(bad)


def test_unknown_metadata_keys_are_ignored(saved, tmp_path):
    path, cs = saved
    ok = tmp_path / "ok.pycauset"
    _with_causet_metadata(path, ok, lambda c: (c.update(comment="x"),
                                               c["sections"].append({"name": "extra", "nbytes": 0, "x": 1})))
    assert_same_set(pc.load(ok), cs)


def test_causet_metadata_on_a_wrong_payload(tmp_path, saved):
    path, _ = saved
    meta = _pcfile.read(path)[2]
    pc.save(pc.matrix(np.zeros((200, 200))), tmp_path / "f.pycauset")
    data = (tmp_path / "f.pycauset").read_bytes()
    new = json.dumps(meta).encode()
    (tmp_path / "g.pycauset").write_bytes(bytes(_pcfile.replace_metadata(data, new)))
    with pytest.raises(pc.FormatError, match="not an 200 x 200 bit causal matrix"):
        pc.load(tmp_path / "g.pycauset")


def test_wrong_kinds_of_objects_and_paths(tmp_path):
    cs = pc.sprinkle(MinkowskiDiamond(dim=2), n=20, seed=1)
    with pytest.raises(TypeError, match="CausalSet"):
        pc.save({"not": "a set"}, tmp_path / "x.pycauset")
    with pytest.raises(ValueError, match=r"pc.save\(cs.causal_matrix, path\)"):
        pc.save(cs, tmp_path / "x.npy")

    class MyDiamond(MinkowskiDiamond):
        pass

    odd = pc.sprinkle(MyDiamond(dim=2), n=20, seed=1)
    with pytest.raises(TypeError, match="MyDiamond.*MinkowskiDiamond, MinkowskiBox, MinkowskiCylinder"):
        pc.save(odd, tmp_path / "x.pycauset")
    with pytest.raises(FileNotFoundError):
        pc.save(cs, tmp_path / "missing" / "x.pycauset")
    (tmp_path / "dir.pycauset").mkdir()
    with pytest.raises(IsADirectoryError):
        pc.save(cs, tmp_path / "dir.pycauset")
    assert sorted(os.listdir(tmp_path)) == ["dir.pycauset"]


# ---- atomicity ---------------------------------------------------------------------------


def _temporaries(d, name):
    return [f for f in os.listdir(d) if f != name]


LIMITED_SAVE = """
import errno, resource, signal, sys, pycauset as pc
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
new = pc.sprinkle(pc.spacetime.MinkowskiBox(dim=8), n=3000, seed=2)
new.causal_matrix, new.coordinates
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), resource.RLIM_INFINITY))
try:
    pc.save(new, sys.argv[1])
except OSError as err:
    print(err.errno == errno.EFBIG, err)
else:
    print("saved")
"""


@pytest.mark.parametrize("where", ["in the causal matrix", "in the sections"])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(where, tmp_path):
    # A file-size limit (RLIMIT_FSIZE) makes the OS refuse the new file past `limit` bytes.
    # The causal matrix of the new set ends near 1.1 MiB, its 8-d coordinates near 1.3 MiB.
    old = pc.sprinkle(MinkowskiDiamond(dim=2), n=100, seed=1)
    target = tmp_path / "x.pycauset"
    pc.save(old, target)
    limit = {"in the causal matrix": 600_000, "in the sections": 1_200_000}[where]
    r = subprocess.run([sys.executable, "-c", LIMITED_SAVE, str(target), str(limit)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("True"), r.stdout
    assert os.listdir(tmp_path) == ["x.pycauset"]
    assert_same_set(pc.load(target), old)


@pytest.fixture
def tiny_fs(tmp_path):
    """A fresh 2.1 MiB tmpfs mounted at tmp_path/fs (skipped where mounting is not permitted)."""
    yield from mounted_tmpfs(tmp_path, "2200k")


def test_a_disk_too_small_for_the_sections_keeps_the_old_file(tiny_fs):
    # The causal matrix (4000 x 4000 bits, 1.9 MiB) fits in 2.1 MiB; with the 16-d coordinates
    # (0.5 MiB) the file does not. The sections' space is allocated before they are written.
    old = pc.sprinkle(MinkowskiDiamond(dim=2), n=10, seed=1)
    target = tiny_fs / "x.pycauset"
    pc.save(old, target)
    new = pc.sprinkle(MinkowskiBox(dim=16), n=4000, seed=2)
    with pytest.raises(OSError) as info:
        pc.save(new, target)
    assert info.value.errno == errno.ENOSPC
    assert "x.pycauset" in str(info.value) and "free" in str(info.value)
    assert os.listdir(tiny_fs) == ["x.pycauset"]
    assert_same_set(pc.load(target), old)


SAVE_LOOP = """
import sys, pycauset as pc
target = sys.argv[1]
A = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=6000, seed=1)
B = pc.sprinkle(pc.spacetime.MinkowskiBox(dim=3), n=4000, seed=2)
A.causal_matrix, B.causal_matrix  # built before "ready"
print("ready", flush=True)
i = 0
while True:
    pc.save(B if i % 2 == 0 else A, target)
    print("saved", flush=True)
    i += 1
"""




def test_sigkill_during_save_leaves_the_old_or_the_new_file(tmp_path):
    A = pc.sprinkle(MinkowskiDiamond(dim=2), n=6000, seed=1)
    B = pc.sprinkle(MinkowskiBox(dim=3), n=4000, seed=2)
    target = tmp_path / "x.pycauset"
    pc.save(A, target)
    rnd = random.Random(12)
    seen, temps_seen = set(), 0
    for trial in range(10):
        # After one completed save (B) or two (B, A), mid-way through the next or just past it.
        _sigint.kill_at_random(SAVE_LOOP, [target], rnd.uniform(0.0, 0.02), saves=1 + trial % 2)
        temps_seen += bool(_temporaries(tmp_path, target.name))
        got = pc.load(target)
        if len(got) == 6000:
            assert_same_set(got, A)
            seen.add("A")
        else:
            assert_same_set(got, B)
            seen.add("B")
        del got
        gc.collect()
    assert seen == {"A", "B"}  # kills landed between saves of both kinds
    assert temps_seen > 0      # and mid-save
    # The next save to the target removes the temporaries of the dead writers.
    small = pc.sprinkle(MinkowskiDiamond(dim=2), n=10, seed=3)
    pc.save(small, target)
    assert os.listdir(tmp_path) == [target.name]
    assert_same_set(pc.load(target), small)


# ---- pickling ---------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_round_trips(protocol, rng):
    sets = [pc.sprinkle(r, n=90, seed=5) for r in REGIONS]
    sets.append(pc.sprinkle(MinkowskiDiamond(dim=2), density=100.0, seed=2**127))
    sets.append(pc.causet(_random_poset(rng, 30)))
    r = _random_poset(rng, 30)
    p = rng.permutation(30)
    sets.append(pc.causet(r[np.ix_(p, p)], sort=True))
    sets.append(pc.sprinkle(MinkowskiDiamond(dim=2), n=0, seed=1))
    for cs in sets:
        back = pickle.loads(pickle.dumps(cs, protocol=protocol))
        assert_same_set(back, cs)
        assert repr(back) == repr(cs)
        assert back.links == cs.links


def test_pickle_with_out_of_band_buffers():
    cs = pc.sprinkle(MinkowskiDiamond(dim=4), n=500, seed=1)
    buffers = []
    data = pickle.dumps(cs, protocol=5, buffer_callback=buffers.append)
    assert len(buffers) == 2  # causal matrix and coordinates travel out of band
    assert_same_set(pickle.loads(data, buffers=buffers), cs)


def test_regions_pickle_as_values():
    for region in REGIONS:
        back = pickle.loads(pickle.dumps(region))
        assert back == region and hash(back) == hash(region) and type(back) is type(region)
        assert back.volume == region.volume


def test_a_loaded_set_pickles_its_causal_matrix_by_reference(tmp_path):
    cs = pc.sprinkle(MinkowskiDiamond(dim=2), n=3000, seed=6)
    pc.save(cs, tmp_path / "l.pycauset")
    loaded = pc.load(tmp_path / "l.pycauset")
    data = pickle.dumps(loaded)
    assert len(data) < 3000 * 3000 // 8 // 4  # the matrix is a reference, not its bytes
    back = pickle.loads(data)
    assert back.causal_matrix.storage.kind == "file"
    assert_same_set(back, cs)
    # the causal matrix alone, too (it unpickles as the file's array, not a set)
    m = pickle.loads(pickle.dumps(loaded.causal_matrix))
    assert type(m) is pc.Matrix
    np.testing.assert_array_equal(bits(m), bits(cs.causal_matrix))


def test_a_spilled_set_pickles_by_value(spill_env):
    cs = pc.sprinkle(MinkowskiDiamond(dim=2), n=9000, seed=7)  # C: about 10 MiB > 8 MiB budget
    assert cs.causal_matrix.storage.kind == "spill"
    back = pickle.loads(pickle.dumps(cs, protocol=5))
    assert_same_set(back, cs)
    pc.set_export_max_bytes(1 << 20)
    with pytest.raises(pc.ExportGuardError, match="spill-backed"):
        pickle.dumps(cs)


def test_unpickling_a_future_format_is_refused():
    with pytest.raises(pickle.UnpicklingError, match="format 2"):
        pc.CausalSet._from_pickle({"format": 2})


# ---- pc.causet(relation, sort=True) ----------------------------------------------------------


def smallest_order_by_permutations(r: np.ndarray):
    """The lexicographically smallest permutation p with r[p][:, p] strictly upper-triangular."""
    n = r.shape[0]
    for p in itertools.permutations(range(n)):  # in lexicographic order
        if not np.tril(r[np.ix_(p, p)]).any():
            return list(p)
    return None


def smallest_order_by_scanning(r: np.ndarray):
    """Repeatedly take the smallest element with no untaken predecessor (plain loops)."""
    n = r.shape[0]
    taken, order = [False] * n, []
    for _ in range(n):
        for j in range(n):
            if not taken[j] and not any(r[i, j] and not taken[i] for i in range(n)):
                taken[j] = True
                order.append(j)
                break
        else:
            return None
    return order


@pytest.mark.parametrize("seed", range(12))
def test_sort_matches_the_permutation_oracle_small(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 7))
    r = _random_poset(rng, n, p=0.4)
    p = rng.permutation(n)
    shuffled = r[np.ix_(p, p)]
    cs = pc.causet(shuffled, sort=True)
    assert cs.labels.tolist() == smallest_order_by_permutations(shuffled)
    np.testing.assert_array_equal(bits(cs.causal_matrix), shuffled[np.ix_(cs.labels, cs.labels)])


@pytest.mark.parametrize("n", [2, 17, 64, 65, 150])
@pytest.mark.parametrize("kind", ["numpy", "pycauset", "transposed view"])
def test_sort_matches_the_scanning_oracle(n, kind, rng):
    r = _random_poset(rng, n, p=0.05)
    p = rng.permutation(n)
    shuffled = r[np.ix_(p, p)]
    if kind == "numpy":
        rel = shuffled
    elif kind == "pycauset":
        rel = pc.matrix(shuffled)
    else:
        rel = pc.matrix(np.ascontiguousarray(shuffled.T)).T
    cs = pc.causet(rel, sort=True)
    want = smallest_order_by_scanning(shuffled)
    assert cs.labels.dtype == np.int64 and cs.labels.tolist() == want
    np.testing.assert_array_equal(bits(cs.causal_matrix), shuffled[np.ix_(want, want)])
    assert cs.relations == int(r.sum())
    if kind != "numpy":  # the set holds its own matrix
        rel[0, 0] = True
        assert not bits(cs.causal_matrix)[0, 0]


def test_sort_keeps_an_upper_triangular_labelling(rng):
    r = _random_poset(rng, 80)
    cs = pc.causet(r, sort=True)
    assert cs.labels.tolist() == list(range(80))
    np.testing.assert_array_equal(bits(cs.causal_matrix), r)
    assert pc.causet(r).labels is None
    assert pc.sprinkle(MinkowskiDiamond(dim=2), n=5, seed=1).labels is None


def test_unsorted_relation_without_sort_mentions_sort():
    r = np.zeros((3, 3), dtype=bool)
    r[2, 0] = True
    with pytest.raises(ValueError, match=r"entry \(2, 0\).*sort=True"):
        pc.causet(r)
    r = np.zeros((3, 3), dtype=bool)
    r[1, 1] = True  # an element preceding itself: no relabelling helps, so no hint
    with pytest.raises(ValueError, match=r"entry \(1, 1\) is set") as info:
        pc.causet(r)
    assert "sort=True" not in str(info.value)
    assert len(pc.causet(np.zeros((0, 0), dtype=bool), sort=True).labels) == 0


@pytest.mark.parametrize("pairs,message", [
    ([(1, 1)], r"relation\[1, 1\] is set"),
    ([(0, 1), (1, 0)], r"cyclic: 0 -> 1 -> 0|cyclic: 1 -> 0 -> 1"),
    ([(3, 1), (1, 4), (4, 3), (0, 3)], r"cyclic: (3 -> 1 -> 4 -> 3|1 -> 4 -> 3 -> 1|4 -> 3 -> 1 -> 4)"),
])
def test_sort_of_a_cyclic_relation_names_a_cycle(pairs, message):
    r = np.zeros((5, 5), dtype=bool)
    for i, j in pairs:
        r[i, j] = True
    with pytest.raises(ValueError, match=message):
        pc.causet(r, sort=True)


def test_sort_checks_transitivity_in_the_callers_labels():
    r = np.zeros((4, 4), dtype=bool)
    r[3, 0] = r[0, 2] = True  # 3 < 0 < 2 but not 3 < 2
    with pytest.raises(ValueError, match="element 3 precedes an element that precedes 2, but not 2"):
        pc.causet(r, sort=True)
    cs = pc.causet(r, sort=True, check=False)
    assert cs.labels.tolist() == [1, 3, 0, 2]


def test_sort_of_a_contiguous_view_ignores_the_parents_other_columns(rng):
    # M[1:11, :10] of a 64-column bit matrix is contiguous, and its rows' padding bits
    # hold the parent's columns 10..63 (all set here): they must not count as relations.
    r = _random_poset(rng, 10, p=0.3)
    p = rng.permutation(10)
    shuffled = r[np.ix_(p, p)]
    big = np.zeros((64, 64), dtype=bool)
    big[1:11, :10] = shuffled
    big[1:11, 10:] = True
    cs = pc.causet(pc.matrix(big)[1:11, :10], sort=True)
    assert cs.labels.tolist() == smallest_order_by_scanning(shuffled)
    np.testing.assert_array_equal(bits(cs.causal_matrix), shuffled[np.ix_(cs.labels, cs.labels)])
