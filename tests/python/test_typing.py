"""Static typing as a user meets it: mypy checks a small user script.

``tests/python/typing/user_script.py`` marks each ``reveal_type`` line with the
type mypy must reveal (``# R: ...``) and each line mypy must reject with the
error code (``# E: code``). The test runs ``python -m mypy`` on it and compares
mypy's report with those marks, line by line, in both directions.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is in the test extra: pip install -e .[test]")

SCRIPT = Path(__file__).parent / "typing" / "user_script.py"


def _norm(t: str) -> str:
    return t.replace("builtins.", "").strip()


def _expected() -> tuple[dict, dict]:
    reveals, errors = {}, {}
    for n, line in enumerate(SCRIPT.read_text().splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        if m := re.search(r"#\s*R:\s*(.+)$", line):
            reveals[n] = _norm(m.group(1))
        elif m := re.search(r"#\s*E:\s*([\w-]+)\s*$", line):
            errors[n] = m.group(1)
    return reveals, errors


def test_user_script_types_as_documented(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", str(tmp_path / "cache"),
         "--show-error-codes", "--no-error-summary", "--hide-error-context", "--no-color-output",
         "--no-pretty", str(SCRIPT)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # 2 = mypy itself failed
    got_reveals, got_errors, other = {}, {}, []
    for line in proc.stdout.splitlines():
        m = re.match(r".*user_script\.py:(\d+): (note|error): (.*)$", line)
        if not m:
            other.append(line)
            continue
        n, kind, text = int(m.group(1)), m.group(2), m.group(3)
        if kind == "note" and (r := re.match(r'Revealed type is "(.*)"$', text)):
            got_reveals[n] = _norm(r.group(1))
        elif kind == "error":
            code = re.search(r"\[([\w-]+)\]$", text)
            got_errors[n] = code.group(1) if code else text
        else:
            other.append(line)
    want_reveals, want_errors = _expected()
    assert want_reveals and want_errors
    assert got_reveals == want_reveals
    assert got_errors == want_errors, proc.stdout
    assert not other, proc.stdout
