"""A real Ctrl-C in a child interpreter, shared by the interrupt tests.

The child sets its backing directory to `directory`, runs `setup`, installs a
progress hook that sends SIGINT to itself 0.05 s after the first report (of
`what`, or of anything when None), runs `call`, and prints what is left:
INTERRUPTED or FINISHED, the governor's live spill files, the files left in
spill directories, then whatever `after` prints. Returns the child's stdout
lines after checking that it exited cleanly, was interrupted and left nothing.
"""

import subprocess
import sys
import textwrap
from typing import List, Optional


def interrupted(directory: str, setup: str, call: str, what: Optional[str] = None, after: str = "") -> List[str]:
    script = "\n".join([
        "import gc, hashlib, os, signal, threading",
        "import numpy as np, pycauset as pc",
        "import pycauset._progress as p",
        f"d = {str(directory)!r}",
        "pc.set_backing_dir(d)",
        textwrap.dedent(setup),
        "started = []",
        "real = p.report",
        "def report(what, fraction):",
        f"    if not started and {what!r} in (None, what):",
        "        started.append(1)",
        "        threading.Timer(0.05, lambda: os.kill(os.getpid(), signal.SIGINT)).start()",
        "    real(what, fraction)",
        "p.report = report",
        "try:",
        f"    {call}",
        "    print('FINISHED')",
        "except KeyboardInterrupt:",
        "    print('INTERRUPTED')",
        "gc.collect()",
        "print('SPILL', pc.memory_info()['spill_files'])",
        "left = [f for e in os.listdir(d) if e.startswith('pycauset-')",
        "        for f in os.listdir(os.path.join(d, e)) if f != 'lock']",
        "print('LEFT', len(left))",
        textwrap.dedent(after),
    ])
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    assert "INTERRUPTED" in lines, out.stdout
    assert "SPILL 0" in lines and "LEFT 0" in lines, out.stdout
    return lines


def kill_at_random(code: str, args: list, delay: float, saves: int = 0) -> None:
    """Run `code` in a child (argv = args), wait for it to print "ready" and then
    `saves` lines "saved" (one per write it completed), SIGKILL it `delay`
    seconds later and reap it (so its pid is dead for temporary cleanup); checks
    that the kill, not an error, ended it. Counting completed writes rather than
    waiting a fixed time keeps what the kill can land on independent of how
    fast the disk is."""
    import os
    import signal
    import time

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    p = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = p.stdout.readline()
        assert line == "ready\n", p.stderr.read()
        for _ in range(saves):
            line = p.stdout.readline()
            assert line == "saved\n", p.stderr.read()
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
        assert p.returncode == -signal.SIGKILL, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()
