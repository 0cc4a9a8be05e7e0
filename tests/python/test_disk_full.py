"""A full disk is an exception, never a dead process.

Each test mounts its own 50 MiB tmpfs (skipped, with the reason, where mounting
is not permitted) and runs the operation that fills it in a subprocess, so that
a SIGBUS (the old behaviour: spill files were sparse and a write through their
mapping faulted once the file system was full) shows up as the child's exit
status instead of killing the test run. Checked: the exception's type and
message (size needed, directory, free space), that nothing is written or left
behind, that the old file at a save target survives, and the disk-reserve rule.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pycauset as pc
from conftest import assert_same, mounted_tmpfs

MiB = 1 << 20
GiB = 1 << 30
FS_SIZE = 50 * MiB


@pytest.fixture
def small_fs(tmp_path):
    """A fresh 50 MiB tmpfs mounted at tmp_path/fs for this test."""
    yield from mounted_tmpfs(tmp_path, str(FS_SIZE), "these tests need a small file system to fill")


def _run(code: str, *args: str, env: dict | None = None) -> dict:
    """Runs code in a fresh interpreter; it prints one JSON object as its last line."""
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True,
                       text=True, timeout=300, env={**os.environ, **(env or {})})
    assert r.returncode != -signal.SIGBUS, f"SIGBUS: {r.stderr}"
    assert r.returncode == 0, f"exit {r.returncode}: {r.stdout}\n{r.stderr}"
    return json.loads(r.stdout.strip().splitlines()[-1])


def _human(n: int) -> str:  # the core's format for sizes in messages
    size, unit = float(n), 0
    units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
    while size >= 1024 and unit < len(units) - 1:
        size, unit = size / 1024, unit + 1
    return f"{n} bytes" if unit == 0 else f"{size:.1f} {units[unit]}"


def _default_reserve(total: int) -> int:  # docs/storage.md: max(1 GiB, 5 %), at most half
    return min(max(GiB, total // 20), total // 2)


# ---- spill files -----------------------------------------------------------------------


SPILL_TOO_BIG = """
import json, os, sys
import pycauset as pc
pc.set_backing_dir(sys.argv[1]); pc.set_memory_limit("16 MiB")
out = {"reserve": pc.get_disk_reserve(), "free": pc.memory_info()["disk_free"]}
try:
    pc.ones((3000, 3000))            # 68.7 MiB: more than the whole file system
    out["error"] = None
except MemoryError as err:
    out["error"] = str(err)
spill_dir = pc.memory_info()["spill_dir"]
out["left"] = sorted(e for e in os.listdir(spill_dir) if e.startswith("spill-"))
out["spill_files"] = pc.memory_info()["spill_files"]
pc.set_memory_limit("1 MiB")
a = pc.ones((1000, 1000))            # 7.6 MiB still fits beside the reserve
out["after"] = [a.storage.kind, float(pc.sum(a))]
print(json.dumps(out))
"""


def test_spill_past_a_full_file_system_raises_memory_error(small_fs):
    """The issue's reproduction: pc.ones((3000, 3000)) spilling to a 50 MiB tmpfs."""
    out = _run(SPILL_TOO_BIG, str(small_fs))
    msg = out["error"]
    assert msg is not None, "the spill should not fit"
    assert "cannot spill " + _human(3000 * 3000 * 8 + 4096 + 8) in msg, msg
    assert str(small_fs) in msg, msg
    assert f"has {_human(FS_SIZE)} free" in msg, msg
    assert f"keeps {_human(out['reserve'])} of it free" in msg, msg
    assert "pc.set_backing_dir" in msg and "pc.set_memory_limit" in msg
    assert out["left"] == [] and out["spill_files"] == 0  # nothing left behind
    assert out["after"] == ["spill", 1e6]  # the session goes on, and spilling still works
    assert [e for e in os.listdir(small_fs) if not e.startswith("pycauset-")] == []


RESERVE_RULE = """
import gc, json, sys
import pycauset as pc
pc.set_backing_dir(sys.argv[1]); pc.set_memory_limit("1 MiB")
out = {"default": pc.get_disk_reserve()}
def spill(n):
    try:
        return pc.zeros(n * 131072)  # n MiB of float64
    except MemoryError as err:
        return str(err)
held = [spill(20)]                   # 20 MiB of 50: 30 MiB stay free
held.append(spill(10))               # would leave 20 MiB < the 25 MiB reserve
out["default_rule"] = [h if isinstance(h, str) else h.storage.kind for h in held]
pc.set_disk_reserve(0)
held[1] = spill(10)                  # without a reserve it fits
held.append(spill(25))               # but not more than the disk holds
out["no_reserve"] = [h if isinstance(h, str) else h.storage.kind for h in held]
out["setting_zero"] = pc.get_disk_reserve()
pc.set_disk_reserve("5 MiB")
out["five"] = pc.get_disk_reserve()
out["info"] = pc.memory_info()["disk_reserve"]
pc.set_disk_reserve(None)
out["restored"] = pc.get_disk_reserve()
print(json.dumps(out))
"""


def test_the_disk_reserve_rule(small_fs):
    out = _run(RESERVE_RULE, str(small_fs))
    st = os.statvfs(small_fs)
    total = st.f_blocks * st.f_frsize
    assert out["default"] == _default_reserve(total) == total // 2  # a small fs: half of it
    first, second = out["default_rule"]
    assert first == "spill"
    assert "keeps " + _human(total // 2) in second and "cannot spill 10.0 MiB" in second, second
    a, b, c = out["no_reserve"]
    assert a == b == "spill"
    assert "cannot spill 25.0 MiB" in c and "keeps" not in c, c
    assert out["setting_zero"] == 0
    assert out["five"] == out["info"] == 5 * MiB
    assert out["restored"] == out["default"]


@pytest.mark.parametrize("total,expected", [
    (50 * MiB, 25 * MiB), (1 * GiB, 512 * MiB), (2 * GiB, 1 * GiB), (10 * GiB, 1 * GiB),
    (100 * GiB, 5 * GiB), (2000 * GiB, 100 * GiB),
])
def test_default_reserve_formula(total, expected):
    assert pc._core.default_disk_reserve(total) == expected == _default_reserve(total)


def test_disk_reserve_of_the_real_backing_dir():
    st = os.statvfs(pc.get_backing_dir())
    assert pc.get_disk_reserve() == _default_reserve(st.f_blocks * st.f_frsize)


@pytest.mark.parametrize("bad,error", [(-1, ValueError), ("lots", ValueError), ("-5 MiB", ValueError),
                                       (1.5, TypeError), (True, TypeError)])
def test_set_disk_reserve_rejects(bad, error):
    before = pc.get_disk_reserve()
    with pytest.raises(error):
        pc.set_disk_reserve(bad)
    assert pc.get_disk_reserve() == before


def test_disk_reserve_from_the_environment():
    code = "import json, pycauset as pc; print(json.dumps({'r': pc.get_disk_reserve()}))"
    assert _run(code, env={"PYCAUSET_DISK_RESERVE": "3 MiB"})["r"] == 3 * MiB
    assert _run(code, env={"PYCAUSET_DISK_RESERVE": "0"})["r"] == 0
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "PYCAUSET_DISK_RESERVE": "plenty"})
    assert r.returncode == 1 and "PYCAUSET_DISK_RESERVE='plenty'" in r.stderr, r.stderr


OOC_RESULT = """
import json, os, sys
import numpy as np, pycauset as pc
pc.set_backing_dir(sys.argv[1]); pc.set_disk_reserve(0)
with open(os.path.join(sys.argv[1], "filler"), "wb") as f:
    f.write(b"x" * (20 << 20))
pc.set_memory_limit("1 MiB")
a = pc.matrix(np.ones((1500, 1500)))      # 17.2 MiB spill: 12.8 MiB stay free
try:
    c = a @ a                             # the result needs another 17.2 MiB
    out = {"error": None}
except MemoryError as err:
    out = {"error": str(err)}
spill_dir = pc.memory_info()["spill_dir"]
out["left"] = sorted(e for e in os.listdir(spill_dir) if e.startswith("spill-"))
out["a"] = float(pc.sum(a))
print(json.dumps(out))
"""


def test_an_out_of_core_result_that_does_not_fit(small_fs):
    out = _run(OOC_RESULT, str(small_fs))
    assert out["error"] is not None and "cannot spill 17.2 MiB" in out["error"], out
    assert out["left"] == ["spill-1.bin"]  # only the operand's own file
    assert out["a"] == 1500 * 1500


# ---- files the user asked for ------------------------------------------------------------


SAVE_TOO_BIG = """
import json, os, sys
import numpy as np, pycauset as pc
d = sys.argv[1]
x = np.arange(2048 * 2048, dtype=np.float64).reshape(2048, 2048)   # 32 MiB
a = pc.matrix(x)
with open(os.path.join(d, "filler"), "wb") as f:
    f.write(b"x" * (30 << 20))                                      # 20 MiB stay free
out = {"free": os.statvfs(d).f_bavail * os.statvfs(d).f_frsize}
for name, call in [
        ("save", lambda: pc.save(a, os.path.join(d, "old.pycauset"))),
        ("save_npy", lambda: pc.save(a, os.path.join(d, "a.npy"))),
        ("convert", lambda: pc.convert_file(os.path.join(sys.argv[2], "a.pycauset"), os.path.join(d, "b.npy"))),
        ("convert_back", lambda: pc.convert_file(os.path.join(sys.argv[2], "a.npy"), os.path.join(d, "b.pycauset")))]:
    try:
        call()
        out[name] = None
    except OSError as err:
        out[name] = [type(err).__name__, err.errno, str(err), err.filename]
out["listing"] = sorted(os.listdir(d))
print(json.dumps(out))
"""


def test_save_and_convert_on_a_full_disk_raise_enospc_before_writing(small_fs, tmp_path):
    x = np.arange(2048 * 2048, dtype=np.float64).reshape(2048, 2048)
    src = tmp_path / "src"
    src.mkdir()
    np.save(src / "a.npy", x)
    pc.convert_file(src / "a.npy", src / "a.pycauset")
    old = np.eye(3)
    pc.save(pc.matrix(old), small_fs / "old.pycauset")
    out = _run(SAVE_TOO_BIG, str(small_fs), str(src))
    for name, target in [("save", "old.pycauset"), ("save_npy", "a.npy"), ("convert", "b.npy"),
                         ("convert_back", "b.pycauset")]:
        kind, code, msg, filename = out[name]
        assert kind == "OSError" and code == errno.ENOSPC, out[name]
        assert filename == str(small_fs / target)
        assert "No space left on device" in msg and str(small_fs) in msg, msg
        assert f"has {_human(out['free'])} free" in msg, msg
        assert "needs 32.0 MiB" in msg, msg
    # Nothing was written: no temporaries, and the old file at the target is intact.
    assert out["listing"] == ["filler", "old.pycauset"]
    assert_same(pc.to_numpy(pc.load(small_fs / "old.pycauset")), old)
