"""Atomic writes under SIGKILL: a process killed at a random moment while saving
(or converting) over an existing file leaves the old file or the new one, exactly,
and its temporaries are removed by the next save to that target."""

from __future__ import annotations

import gc
import inspect
import os
import random
import signal
import subprocess
import sys

import numpy as np
import pytest

import pycauset as pc

import _sigint
from conftest import assert_same

# Two different objects of 16 MiB each (different dtype, shape and properties),
# built the same way here and in the children.
def objects():
    a = (np.arange(1024 * 2048, dtype=np.float64) * 0.5).reshape(1024, 2048)
    b = (np.arange(2048 * 2048, dtype=np.int32) ^ 0x5A5A5A5A).reshape(2048, 2048)
    return a, b


OBJECTS = "import numpy as np\n" + inspect.getsource(objects)

SAVE_LOOP = OBJECTS + """
import sys, pycauset as pc
target = sys.argv[1]
a, b = objects()
A, B = pc.matrix(a), pc.matrix(b)
A.properties["name"] = "A"
B.properties["name"] = "B"
print("ready", flush=True)
i = 0
while True:
    pc.save(B if i % 2 == 0 else A, target)
    print("saved", flush=True)
    i += 1
"""

CONVERT_LOOP = """
import sys, pycauset as pc
target, srcs = sys.argv[1], sys.argv[2:]
print("ready", flush=True)
i = 0
while True:
    pc.convert_file(srcs[1 - i % 2], target)
    print("saved", flush=True)
    i += 1
"""





def _temporaries(d, target: str) -> list:
    return [f for f in os.listdir(d) if f.startswith(f".{target}.tmp-")]


def _which(path, a: np.ndarray, b: np.ndarray) -> str:
    """'A' or 'B': the file loads and equals exactly one of the two objects."""
    obj = pc.load(path)
    try:
        name = obj.properties.get("name")
        if obj.dtype == pc.float64:
            assert obj.shape == a.shape and name in ("A", None)
            assert_same(pc.to_numpy(obj, allow_huge=True), a)
            return "A"
        assert obj.dtype == pc.int32 and obj.shape == b.shape and name in ("B", None)
        assert_same(pc.to_numpy(obj, allow_huge=True), b)
        return "B"
    finally:
        del obj
        gc.collect()


def test_sigkill_during_save_leaves_the_old_or_the_new_file(tmp_path):
    a, b = objects()
    target = tmp_path / "x.pycauset"
    first = pc.matrix(a)
    first.properties["name"] = "A"
    pc.save(first, target)
    del first
    rnd = random.Random(20240601)
    seen, temps_seen = set(), 0
    for trial in range(25):
        # After one completed save (B) or two (B, A), mid-way through the next or just past it.
        _sigint.kill_at_random(SAVE_LOOP, [target], rnd.uniform(0.0, 0.02), saves=1 + trial % 2)
        temps_seen += bool(_temporaries(tmp_path, target.name))
        seen.add(_which(target, a, b))
        assert set(os.listdir(tmp_path)) - {target.name} == set(_temporaries(tmp_path, target.name))
    # The kills did land mid-save and between saves (else this test proves nothing).
    assert seen == {"A", "B"}
    assert temps_seen > 0
    # The next save to the target removes the temporaries of the dead writers.
    pc.save(pc.matrix(a[:2, :2]), target)
    assert os.listdir(tmp_path) == [target.name]
    assert_same(pc.to_numpy(pc.load(target)), a[:2, :2])
    os.unlink(target)


@pytest.mark.parametrize("direction", ["npy->pycauset", "pycauset->npy"])
def test_sigkill_during_convert_file_leaves_the_old_or_the_new_file(direction, tmp_path):
    a, b = objects()
    src = tmp_path / "src"
    src.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    if direction == "npy->pycauset":
        np.save(src / "a.npy", a)
        np.save(src / "b.npy", b)
        srcs = [src / "a.npy", src / "b.npy"]
        target = out / "x.pycauset"
    else:
        pc.save(pc.matrix(a), src / "a.pycauset")
        pc.save(pc.matrix(b), src / "b.pycauset")
        srcs = [src / "a.pycauset", src / "b.pycauset"]
        target = out / "x.npy"
    pc.convert_file(srcs[0], target)
    rnd = random.Random(7)
    seen = set()
    for trial in range(6):
        _sigint.kill_at_random(CONVERT_LOOP, [target, *srcs], rnd.uniform(0.0, 0.02), saves=trial % 3)
        if direction == "npy->pycauset":
            seen.add(_which(target, a, b))
        else:
            got = np.load(target, mmap_mode="r")
            assert got.dtype in (a.dtype, b.dtype)
            expected = a if got.dtype == a.dtype else b
            assert_same(np.array(got), expected)
            seen.add("A" if got.dtype == a.dtype else "B")
            del got
    assert seen <= {"A", "B"}
    pc.convert_file(srcs[1], target)
    assert os.listdir(out) == [target.name]
    for p in (*srcs, target):  # 64 MiB: do not leave it in pytest's kept tmp dirs
        os.unlink(p)


FULL_DISK = """
import resource, signal, sys
import numpy as np, pycauset as pc
target = sys.argv[1]
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (10 << 20, 10 << 20))
big = pc.matrix(np.ones((2048, 1024)))  # 16 MiB: past the limit, written by direct I/O
try:
    pc.save(big, target)
except OSError as err:
    print(type(err).__name__ + ":", err)
"""


def test_a_write_that_fails_midway_keeps_the_old_file(tmp_path):
    # A file-size limit stands in for a full disk: reserving the new file's
    # space fails before anything is written, the save raises, and the old
    # file is untouched.
    target = tmp_path / "x.pycauset"
    old = np.arange(12.0).reshape(3, 4)
    pc.save(pc.matrix(old), target)
    r = subprocess.run([sys.executable, "-c", FULL_DISK, str(target)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("OSError: [Errno 27]"), r.stdout + r.stderr
    assert "File too large" in r.stdout
    assert os.listdir(tmp_path) == [target.name]
    assert_same(pc.to_numpy(pc.load(target)), old)
