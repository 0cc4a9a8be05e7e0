"""The thread knob: one pool for pycauset's kernels and for BLAS."""

from __future__ import annotations

import operator

from . import _core

__all__ = ["get_num_threads", "set_num_threads", "blas_info"]


def get_num_threads() -> int:
    """Threads pycauset's kernels use.

    Starts as ``OMP_NUM_THREADS`` when that is set to a positive integer, otherwise
    the number of CPUs this process may run on.
    """
    return _core.num_threads()


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in pycauset's kernels and in the bundled OpenBLAS.

    One knob for both keeps the machine from being oversubscribed; inside
    pycauset's own parallel regions BLAS runs single-threaded. The out-of-core
    routines run BLAS on one thread throughout and spread their work over
    pycauset's ``n`` threads instead, whose idle threads sleep rather than spin,
    so they slow down gracefully when other programs take cores. threadpoolctl
    sees and can limit the bundled OpenBLAS as well.

    Examples
    --------
    >>> import pycauset as pc
    >>> pc.set_num_threads(1); pc.get_num_threads()
    1
    """
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"number of threads must be >= 1, got {n}")
    _core.set_num_threads(n)
    _core.blas_set_num_threads(n)


def blas_info() -> dict:
    """The BLAS pycauset runs (build configuration, thread count) and the
    instruction set its own conversion kernels use."""
    return {
        "config": _core.blas_config(),
        "num_threads": _core.blas_num_threads(),
        "kernels": _core.kernel_isa(),
    }
