"""The scripts in examples/ and ``python -m pycauset.demo`` run.

Every ``examples/*.py`` that accepts ``--quick`` (its source mentions the flag)
is run with it, in a fresh interpreter whose working directory is an empty
temporary directory and with the Agg matplotlib backend. The convention for
examples: ``--quick`` is a run of a few seconds, and with it a script writes
files only into the current directory (never into the repository, e.g. not
over the committed figures in docs/images/).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import NO_MATPLOTLIB

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if "--quick" in p.read_text(encoding="utf-8"))


def _env() -> dict:
    env = dict(os.environ, MPLBACKEND="Agg", PYCAUSET_PROGRESS="0", PYTHONDONTWRITEBYTECODE="1")
    for var in ("PYTHONSTARTUP", "PYTHONINSPECT"):
        env.pop(var, None)
    return env


def _snapshot() -> dict:
    """(size, mtime) of the committed files an example could overwrite by mistake."""
    files = [p for d in ("docs", "examples") for p in (ROOT / d).rglob("*") if p.is_file()]
    files += [p for p in ROOT.iterdir() if p.is_file()]
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in files}


def test_the_examples_are_found():
    # Discovery must not silently find nothing.
    assert "dimension_vs_n.py" in [p.name for p in EXAMPLES]


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_quick_and_writes_only_into_the_working_directory(script, tmp_path):
    pytest.importorskip("matplotlib")
    before = _snapshot()
    proc = subprocess.run([sys.executable, str(script), "--quick"], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (
        f"{script.name} --quick failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    assert _snapshot() == before, f"{script.name} --quick changed files in the repository"


def test_dimension_example_saves_its_figure(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "sub" / "fig.png"
    script = ROOT / "examples" / "dimension_vs_n.py"
    proc = subprocess.run([sys.executable, str(script), "--quick", "--seeds", "2", "--out", str(out)],
                          cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    # One row per N of the quick run, three estimates each, near 2, 3 and 4.
    rows = [ln.split() for ln in proc.stdout.splitlines() if ln.strip()[:1].isdigit()]
    assert [int(r[0]) for r in rows] == [32, 128, 512]
    for r in rows:
        means = [float(r[k]) for k in (1, 3, 5)]
        assert all(abs(m - d) < 1.5 for m, d in zip(means, (2, 3, 4))), r
    bad = subprocess.run([sys.executable, str(script), "--quick", "--seeds", "1"], cwd=tmp_path,
                         env=_env(), capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--seeds must be at least 2" in bad.stderr


def test_demo_causal_set_section_runs_without_matplotlib(tmp_path):
    code = NO_MATPLOTLIB + textwrap.dedent(
        """
        from pycauset import continuum, demo
        demo.causal_sets(n4=1024, n2=512, seed=3)
        print("MPL", sorted(m for m in sys.modules if m.startswith("matplotlib")))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "MPL []" in out
    for fact in ("1024 points sprinkled into MinkowskiDiamond(dim=4", "relations R =",
                 "continuum 2 f(4) = 0.10000", "Myrheim-Meyer dimension", "links N_0 =",
                 "interval abundances N_0..N_3 = [", "action S =", "longest chain:",
                 "512 points", "E[N_0] = (N+1) H_N - 2N"):
        assert fact in out, fact
