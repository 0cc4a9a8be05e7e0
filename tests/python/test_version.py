"""``pycauset.__version__`` comes from the build, not from importlib.metadata.

The build writes ``pycauset/_version.py`` from the ``[project] version`` of
pyproject.toml (``[[tool.scikit-build.generate]]``), so ``import pycauset``
does not pay for importing ``importlib.metadata`` (tens of milliseconds).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pycauset as pc

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _project_version() -> str:
    text = PYPROJECT.read_text(encoding="utf-8")
    if sys.version_info >= (3, 11):
        import tomllib

        return str(tomllib.loads(text)["project"]["version"])
    # Python 3.10: the first `version = "..."` inside the [project] table.
    project = re.search(r"^\[project\]\s*$(.*?)(?=^\[)", text, re.M | re.S)
    assert project is not None, "no [project] table in pyproject.toml"
    match = re.search(r'^version\s*=\s*"([^"]+)"', project.group(1), re.M)
    assert match is not None, "no version in the [project] table of pyproject.toml"
    return match.group(1)


def test_version_matches_pyproject() -> None:
    assert pc.__version__ == _project_version()


def test_version_module_is_generated_by_the_build() -> None:
    from pycauset import _version

    assert _version.__version__ == _project_version()


def test_import_does_not_import_importlib_metadata() -> None:
    # A fresh interpreter: `-X importtime` lists every module imported, and the
    # script reports whether interpreter start-up (site, .pth files) had
    # already imported importlib.metadata before pycauset was imported.
    code = (
        "import sys\n"
        "before = 'importlib.metadata' in sys.modules\n"
        "import pycauset\n"
        "print(before, 'importlib.metadata' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True, text=True, timeout=120, check=True,
    )
    before, after = proc.stdout.split()
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "pycauset" in imported
    if before == "True":
        # Start-up already imported it (a .pth file of this environment), so
        # importtime cannot tell who did; the import must not be pycauset's.
        assert after == "True"
    else:
        assert after == "False", "import pycauset imported importlib.metadata"
        assert "importlib.metadata" not in imported, (
            "import pycauset imported importlib.metadata:\n"
            + "\n".join(line for line in proc.stderr.splitlines() if "importlib" in line)
        )
