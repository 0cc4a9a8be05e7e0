"""Progress bars for long operations (out-of-core algebra), and their knob.

The C++ core reports every long operation's progress to :func:`report`, from
the thread that called the operation, a few times a second at most. Drawing is
decided here: by default a bar appears on ``stderr`` when it is a terminal and
the operation has run for more than half a second; ``PYCAUSET_PROGRESS=0`` in
the environment or ``pycauset.set_progress(False)`` turns it off, ``True``
forces it on (for notebooks and logs).

Ctrl-C during an operation raises ``KeyboardInterrupt`` from the core's next
report; the operation frees its temporaries and leaves its inputs untouched.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Optional, TextIO

__all__ = ["set_progress", "get_progress"]

_setting: Optional[bool] = None  # None: automatic (a terminal, unless the environment says 0)
_SHOW_AFTER = 0.5  # seconds before a bar appears: short operations stay quiet
_REDRAW_EVERY = 0.1
_WIDTH = 30


def set_progress(enabled: Optional[bool]) -> None:
    """Show progress bars for long operations: ``True``, ``False``, or ``None`` (automatic).

    Automatic shows a bar on ``stderr`` when it is a terminal and the environment
    variable ``PYCAUSET_PROGRESS`` is not ``0``.
    """
    global _setting
    if enabled is not None and not isinstance(enabled, bool):
        raise TypeError(f"set_progress expects True, False or None, not {type(enabled).__name__}")
    _setting = enabled


def get_progress() -> bool:
    """Whether a long operation started now would show a progress bar."""
    if _setting is not None:
        return _setting
    if os.environ.get("PYCAUSET_PROGRESS", "").strip() == "0":
        return False
    stream = sys.stderr
    return stream is not None and hasattr(stream, "isatty") and stream.isatty()


class _Bar:
    def __init__(self, what: str) -> None:
        self.what = what
        self.start = time.monotonic()
        self.drawn_at = 0.0
        self.visible = False

    def draw(self, fraction: float, stream: TextIO, final: bool = False) -> None:
        now = time.monotonic()
        elapsed = now - self.start
        if not final and (elapsed < _SHOW_AFTER or now - self.drawn_at < _REDRAW_EVERY):
            return
        if final and not self.visible:
            return
        filled = int(round(fraction * _WIDTH))
        bar = "#" * filled + "-" * (_WIDTH - filled)
        left = ""
        if 0.02 < fraction < 1.0:
            left = f", ~{elapsed * (1.0 - fraction) / fraction:.0f} s left"
        stream.write(f"\rpycauset {self.what}: [{bar}] {fraction:6.1%} {elapsed:.0f} s{left}   ")
        if final:
            stream.write("\n")
        stream.flush()
        self.visible = True
        self.drawn_at = now


_bar: Optional[_Bar] = None


def report(what: str, fraction: float) -> None:
    """Called by the core with an operation's name and the fraction done (0 to 1)."""
    global _bar
    if _bar is None or _bar.what != what or fraction <= 0.0:
        _bar = _Bar(what) if get_progress() else None
    if _bar is None:
        return
    stream = sys.stderr
    if fraction >= 1.0:
        _bar.draw(1.0, stream, final=True)
        _bar = None
    else:
        _bar.draw(fraction, stream)
