"""pycauset.linalg: linear algebra mirroring ``numpy.linalg``."""

from __future__ import annotations

from . import _core

__all__ = ["LinAlgError"]

LinAlgError = _core.LinAlgError
