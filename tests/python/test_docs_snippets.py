"""Every Python snippet in README.md and docs/*.md runs as written.

Each Markdown file is one test case. Its fenced code blocks whose info string is
``python`` (or ``py``, ``python3``, ``pycon``) are run in order in one namespace,
in a fresh interpreter whose working directory and ``$TMPDIR`` are an empty
temporary directory, so files a snippet writes and global settings it changes
(memory limit, export cap, ...) never leak into other files or into this
process. A block whose lines start with ``>>>`` is run as a doctest (its printed
output is compared); any other block is executed as a script. A failure names
the file and the line of the block (and, for a traceback, the line inside it).

Blocks of other languages (``bash``, ``console``, ``text``, ``json``, ...) are
never run. A Python block that must not run is marked by an HTML comment on the
line before its fence, with the reason::

    <!-- skip-snippet: needs a GPU -->

Keep such cases rare: documentation examples are meant to be run.

A second check keeps the documentation about the library as it is: no
references to design files outside the repository or to work items.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

PYTHON_LANGS = {"python", "py", "python3", "pycon"}
SKIP_RE = re.compile(r"^\s*<!--\s*skip-snippet\s*(?::\s*(?P<reason>.*?))?\s*-->\s*$")
FENCE_RE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
SNIPPET_TIMEOUT_S = 300


@dataclass
class Block:
    """One fenced code block of a Markdown file."""

    lang: str       # first word of the info string, lower case ("" if none)
    line: int       # 1-based line of the opening fence
    code: str       # the block's content (fence indentation removed)
    skip: str | None  # the reason given by a skip-snippet marker, or None

    @property
    def first_code_line(self) -> int:
        return self.line + 1

    @property
    def is_doctest(self) -> bool:
        first = next((ln for ln in self.code.splitlines() if ln.strip()), "")
        return self.lang == "pycon" or first.lstrip().startswith(">>>")


def parse_blocks(text: str, name: str = "<markdown>") -> list[Block]:
    """All fenced code blocks of a Markdown text (CommonMark fences).

    Raises ValueError for an unclosed fence or a skip marker without a reason
    or not followed by a code block.
    """
    lines = text.splitlines()
    blocks: list[Block] = []
    pending_skip: tuple[int, str | None] | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        skip = SKIP_RE.match(line)
        if skip:
            reason = (skip.group("reason") or "").strip()
            if not reason:
                raise ValueError(
                    f"{name}:{i + 1}: a skip-snippet marker needs a reason: "
                    "<!-- skip-snippet: why this block cannot run -->"
                )
            pending_skip = (i + 1, reason)
            i += 1
            continue
        fence = FENCE_RE.match(line)
        if fence and not (fence.group("fence")[0] == "`" and "`" in fence.group("info")):
            marker = fence.group("fence")
            indent = len(fence.group("indent"))
            info = fence.group("info").strip()
            lang = info.split()[0].lower() if info else ""
            lang = lang.lstrip("{").rstrip("}").lstrip(".")
            start = i
            body: list[str] = []
            i += 1
            closed = False
            while i < len(lines):
                close = re.match(
                    rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}\s*$", lines[i]
                )
                if close:
                    closed = True
                    break
                raw = lines[i]
                # Remove up to the opening fence's indentation, as CommonMark does.
                strip = len(raw) - len(raw.lstrip(" "))
                body.append(raw[min(indent, strip):])
                i += 1
            if not closed:
                raise ValueError(f"{name}:{start + 1}: code fence {marker} is never closed")
            reason = None
            if pending_skip is not None:
                reason = pending_skip[1]
                pending_skip = None
            blocks.append(Block(lang, start + 1, "\n".join(body) + "\n", reason))
            i += 1
            continue
        if line.strip() and pending_skip is not None:
            raise ValueError(
                f"{name}:{pending_skip[0]}: a skip-snippet marker must be directly "
                "followed by a fenced code block"
            )
        i += 1
    if pending_skip is not None:
        raise ValueError(f"{name}:{pending_skip[0]}: skip-snippet marker without a code block")
    return blocks


def python_blocks(path: Path) -> list[Block]:
    """The Python blocks of a Markdown file that are to be run."""
    blocks = parse_blocks(path.read_text(encoding="utf-8"), _rel(path))
    return [b for b in blocks if b.lang in PYTHON_LANGS and b.skip is None]


def _rel(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


# Runs in the child interpreter: argv[1] is a JSON file of blocks. Code is
# compiled with the Markdown file's name and padded to the block's line, so a
# traceback points at the line in the Markdown file.
_RUNNER = r'''
import doctest, json, sys, traceback

spec = json.load(open(sys.argv[1], encoding="utf-8"))
name = spec["file"]
namespace = {"__name__": "__main__"}
for k, block in enumerate(spec["blocks"], 1):
    where = f"{name}: block {k} of {len(spec['blocks'])} (the fence at line {block['line']})"
    print(f"--- running {where}", flush=True)
    if block["doctest"]:
        parser = doctest.DocTestParser()
        test = parser.get_doctest(block["code"], namespace, name, name, block["line"])
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        runner.run(test, clear_globs=False)
        namespace.update(test.globs)   # DocTest works on a copy of the namespace
        if runner.failures:
            print(f"SNIPPET FAILED: {where}: {runner.failures} doctest example(s) failed", flush=True)
            sys.exit(1)
        continue
    try:
        code = compile("\n" * block["line"] + block["code"], name, "exec")
    except SyntaxError as e:
        print(f"SNIPPET FAILED: {where}: SyntaxError at {name}:{e.lineno}: {e.msg}", flush=True)
        traceback.print_exc()
        sys.exit(1)
    try:
        exec(code, namespace)
    except BaseException as e:
        tb = traceback.extract_tb(e.__traceback__)
        lines = [fr.lineno for fr in tb if fr.filename == name]
        at = f" at {name}:{lines[-1]}" if lines else ""
        print(f"SNIPPET FAILED: {where}: {type(e).__name__}{at}: {e}", flush=True)
        traceback.print_exc()
        sys.exit(1)
print("--- all blocks ran", flush=True)
'''


def run_snippets(path: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    """Run the Python blocks of *path* in a fresh interpreter inside *workdir*."""
    name = _rel(path)
    spec = {
        "file": name,
        "blocks": [
            {"line": b.line, "code": b.code, "doctest": b.is_doctest} for b in python_blocks(path)
        ],
    }
    run_dir = workdir / "run"
    run_dir.mkdir()
    spec_file = workdir / "blocks.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    env = dict(os.environ)
    env.update(
        TMPDIR=str(run_dir),          # spill files and temporaries stay in the test's directory
        PYCAUSET_PROGRESS="0",
        MPLBACKEND="Agg",
        PYTHONDONTWRITEBYTECODE="1",
    )
    for var in ("PYTHONSTARTUP", "PYTHONINSPECT"):
        env.pop(var, None)
    return subprocess.run(
        [sys.executable, "-c", _RUNNER, str(spec_file)],
        cwd=run_dir, env=env, capture_output=True, text=True, timeout=SNIPPET_TIMEOUT_S,
    )


def _files_with_python() -> list[Path]:
    files = []
    for p in DOC_FILES:
        try:
            if python_blocks(p):
                files.append(p)
        except ValueError:
            files.append(p)   # test_snippets_run reports the parse error with its line
    return files


@pytest.mark.parametrize("path", _files_with_python(), ids=_rel)
def test_snippets_run(path: Path, tmp_path: Path) -> None:
    try:
        proc = run_snippets(path, tmp_path)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        running = [ln for ln in out.splitlines() if ln.startswith("--- running")]
        pytest.fail(
            f"{_rel(path)}: snippets did not finish in {SNIPPET_TIMEOUT_S} s; last started: "
            f"{running[-1][12:] if running else 'none'}. Use smaller sizes in the snippet."
        )
    if proc.returncode != 0 or "--- all blocks ran" not in proc.stdout:
        failed = [ln for ln in proc.stdout.splitlines() if ln.startswith("SNIPPET FAILED")]
        if failed:
            headline = failed[-1]
        else:
            running = [ln for ln in proc.stdout.splitlines() if ln.startswith("--- running ")]
            status = f"status {proc.returncode}"
            if proc.returncode < 0:
                status = f"signal {signal.Signals(-proc.returncode).name}"
            headline = (
                f"SNIPPET FAILED: {running[-1][len('--- running '):] if running else _rel(path)}: "
                f"the interpreter died with {status}"
            )
        pytest.fail(
            f"{headline}\n--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-6000:]}",
            pytrace=False,
        )


def test_every_doc_file_parses() -> None:
    # Unclosed fences and malformed skip markers are errors, not silently skipped blocks.
    for path in DOC_FILES:
        parse_blocks(path.read_text(encoding="utf-8"), _rel(path))


def test_readme_has_a_python_snippet() -> None:
    # The extraction must find something: a format change of the README that hid
    # its example from this test would otherwise pass silently.
    assert python_blocks(ROOT / "README.md")


# --- the extractor itself -------------------------------------------------------------

_SAMPLE = """\
# Title

```python
x = 1
```

```bash
exit 1
```

<!-- skip-snippet: needs a cluster -->
```python
raise SystemExit("must not run")
```

  ```python
  y = x + 1
  ```

~~~py
>>> y * 10
20
~~~

```console
$ python -c "raise SystemExit(1)"
```

```text
not code
```
"""


def test_parser_selects_python_blocks_only() -> None:
    blocks = parse_blocks(_SAMPLE)
    assert [(b.lang, b.line) for b in blocks] == [
        ("python", 3), ("bash", 7), ("python", 12), ("python", 16), ("py", 20),
        ("console", 25), ("text", 29),
    ]
    assert blocks[2].skip == "needs a cluster"
    assert blocks[3].code == "y = x + 1\n"     # the fence's indentation is removed
    assert blocks[4].is_doctest and not blocks[0].is_doctest


def test_runner_runs_blocks_in_sequence_and_skips_the_rest(tmp_path: Path) -> None:
    md = tmp_path / "sample.md"
    md.write_text(_SAMPLE, encoding="utf-8")
    proc = run_snippets(md, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("--- running") == 3   # python, indented python, doctest


@pytest.mark.parametrize(
    "markdown, expected",
    [
        ("intro\n\n```python\nx = 1\ny = 1 / 0\n```\n", "ZeroDivisionError at {md}:5"),
        ("```python\nx = 1\n```\n\n```python\nprint(x +)\n```\n",
         "block 2 of 2 (the fence at line 5): SyntaxError at {md}:6"),
        ("```python\n>>> 1 + 1\n3\n```\n", "block 1 of 1 (the fence at line 1)"),
    ],
)
def test_runner_reports_file_and_line(tmp_path: Path, markdown: str, expected: str) -> None:
    md = tmp_path / "bad.md"
    md.write_text(markdown, encoding="utf-8")
    proc = run_snippets(md, tmp_path)
    assert proc.returncode != 0
    assert "SNIPPET FAILED" in proc.stdout
    assert expected.format(md=md) in proc.stdout, proc.stdout


def test_skip_marker_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        parse_blocks("<!-- skip-snippet -->\n```python\nx\n```\n")
    with pytest.raises(ValueError, match="directly followed"):
        parse_blocks("<!-- skip-snippet: why -->\ntext\n```python\nx\n```\n")
    with pytest.raises(ValueError, match="never closed"):
        parse_blocks("```python\nx = 1\n")


# --- the docs describe the library as it is ----------------------------------------

# References to design documents outside the repository, to issues or work
# items, and to what the library will do some day. Users read docs about the
# library as it is.
_STALE_PATTERNS = [
    (re.compile(r"shared/|\bspec/", re.I), "a path outside the repository"),
    # design documents that are not in the repository (docs/ has none of these names)
    (re.compile(r"(?<!docs/)\b(?:benchmarks|system|style|causets)\.md\b"), "a file outside the repository"),
    (re.compile(r"\bissues?\b", re.I), "a reference to an issue"),
    (re.compile(r"\barriv(?:e|es|ing) (?:with|later|soon|in a later)\b|\bwill arrive\b", re.I),
     "a promise of what arrives later"),
    (re.compile(r"\bto come\b|\bcomes? later\b|\blater (?:issue|release|version)s?\b", re.I),
     "a promise of what comes later"),
    (re.compile(r"\bR1_"), "an internal requirement id"),
]


def _stale_references(text: str) -> list[tuple[int, str, str]]:
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        for pattern, what in _STALE_PATTERNS:
            m = pattern.search(line)
            if m:
                found.append((n, what, line.strip()))
    return found


def test_docs_have_no_references_to_specs_issues_or_the_future() -> None:
    problems = [
        f"{_rel(path)}:{n}: {what}: {line}"
        for path in DOC_FILES
        for n, what, line in _stale_references(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "documentation must describe the library as it is:\n" + "\n".join(problems)


def test_package_and_benchmarks_do_not_cite_files_outside_the_repository() -> None:
    sources = sorted((ROOT / "python" / "pycauset").glob("*.py")) + sorted(
        (ROOT / "benchmarks").glob("*.py")
    )
    pattern = re.compile(
        r"shared/spec|\bspec/\w+\.md|(?<!docs/)\b(?:benchmarks|system|style|causets)\.md\b"
        r"|\bthe (?:\w+ )?issue\b|\bissue \"|\bR1_",
        re.I,
    )
    problems = [
        f"{_rel(path)}:{n}: {line.strip()}"
        for path in sources
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not problems, "docstrings and comments cite files or issues users do not have:\n" + (
        "\n".join(problems)
    )


def test_stale_reference_patterns_match_what_they_should() -> None:
    hits = _stale_references(
        "The contract is `shared/spec/numpy-interop.md`.\n"
        "Promotion rules arrive with the operations issue.\n"
        "| causet | (to come) | spacetimes |\n"
        "Nothing to see here: the package is issued no warnings later.\n"
        "The worker checks for Ctrl-C: `KeyboardInterrupt` arrives at once.\n"
        "Blocked solves will arrive soon.\n"
    )
    assert [n for n, _, _ in hits] == [1, 2, 2, 3, 6]


# --- the developer loop of install.md installs what the build needs ----------------------


def _build_requires() -> list[str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    table = re.search(r"^\[build-system\]\s*$(.*?)(?=^\[)", text, re.M | re.S)
    assert table is not None, "no [build-system] table in pyproject.toml"
    requires = re.search(r"^requires\s*=\s*\[(.*?)\]", table.group(1), re.M | re.S)
    assert requires is not None, "no requires in [build-system]"
    return re.findall(r'"([^"]+)"', requires.group(1))


def test_install_doc_installs_the_pinned_build_requirements() -> None:
    # `pip install --no-build-isolation` does not read [build-system].requires, so
    # the command in install.md that installs them must stay in step with it:
    # every requirement by name, pinned ones with their exact pin.
    install = (ROOT / "docs" / "install.md").read_text(encoding="utf-8")
    blocks = parse_blocks(install, "docs/install.md")
    commands = [
        line for b in blocks if b.lang in {"bash", "sh", "console"}
        for line in b.code.splitlines() if "--no-build-isolation" not in line
        and re.match(r"^\s*(?:\$\s*)?pip install\b", line)
    ]
    missing = []
    for req in _build_requires():
        name = re.split(r"[<>=!~ ;\[]", req, maxsplit=1)[0]
        wanted = req.replace(" ", "") if "==" in req else name
        if not any(re.search(rf"(?<![\w.-]){re.escape(wanted)}(?![\w.-])", c) for c in commands):
            missing.append(wanted)
    assert not missing, (
        f"docs/install.md: the developer loop's `pip install` of the build requirements "
        f"lacks {missing} (pyproject.toml [build-system] requires them)"
    )
