"""The one probe of the system's memory lives in the C++ governor; the export
guard asks it (no second reading of /proc or cgroups in Python)."""

import numpy as np
import pytest

import pycauset as pc
from pycauset import _core


def _mem_available() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    pytest.skip("no MemAvailable in /proc/meminfo")


def test_probe_matches_proc_meminfo():
    want = _mem_available()
    limit = _core.cgroup_memory_limit()
    if limit:
        for path in ("/sys/fs/cgroup/memory.current", "/sys/fs/cgroup/memory/memory.usage_in_bytes"):
            try:
                with open(path) as f:
                    want = min(want, max(0, limit - int(f.read())))
                break
            except OSError:
                continue
    got = _core.system_available_memory()
    assert isinstance(got, int)
    # Two readings of a moving quantity: equal within a tenth.
    assert 0.9 * want < got < 1.1 * want


def test_export_guard_uses_the_core_probe(monkeypatch):
    A = pc.matrix(np.arange(12.0).reshape(3, 4))
    monkeypatch.setattr(_core, "system_available_memory", lambda: 10)
    with pytest.raises(pc.ExportGuardError, match="only 10 bytes of memory is available"):
        pc.to_numpy(A, allow_huge=True)
    monkeypatch.setattr(_core, "system_available_memory", lambda: None)  # unknown: no refusal
    np.testing.assert_array_equal(pc.to_numpy(A, allow_huge=True), np.arange(12.0).reshape(3, 4))
