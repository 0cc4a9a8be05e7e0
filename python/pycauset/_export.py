"""Export to NumPy: the guard, the cap, zero-copy views and copies.

Raw memory leaves pycauset only through the two functions here: ``to_numpy`` and
the ``__array__`` protocol (``array_protocol``). There is deliberately no buffer
protocol and no ``__array_interface__`` on pycauset objects: NumPy consults those
before ``__array__`` and they would bypass every check below.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

from . import _core, _dtypes
from ._errors import ExportGuardError

__all__ = ["to_numpy", "set_export_max_bytes", "get_export_max_bytes"]

_export_max_bytes: Optional[int] = None

#: ``to_numpy`` exports file- or spill-backed data without ``allow_huge=True`` up
#: to this many bytes (e.g. a slice for a quick look). ``np.asarray`` never does.
SMALL_EXPORT_BYTES = 64 << 20


#: Copy exports of at least this many bytes write into memory from pycauset's reuse
#: cache (``_copy``); smaller ones use ``np.empty``, whose heap is cheaper there.
_BLOCK_EXPORT_BYTES = 1 << 20


def set_export_max_bytes(n: Optional[int]) -> None:
    """Cap the bytes any single export to NumPy may materialise.

    Applies to ``np.asarray(obj)``, ``np.array(obj)`` and ``pycauset.to_numpy(obj)``
    (zero-copy views included); ``to_numpy(obj, allow_huge=True)`` bypasses it.

    Parameters
    ----------
    n : int or None
        The cap in bytes (>= 0), or None for no cap (the default).

    Examples
    --------
    >>> import pycauset as pc
    >>> pc.set_export_max_bytes(1 << 30)   # refuse exports above 1 GiB
    >>> pc.set_export_max_bytes(None)      # no cap
    """
    global _export_max_bytes
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"export cap must be an int number of bytes or None, got {type(n).__name__}")
        if n < 0:
            raise ValueError(f"export cap must be >= 0 bytes, got {n}")
        n = int(n)
    _export_max_bytes = n


def get_export_max_bytes() -> Optional[int]:
    """The current export cap in bytes, or None when there is none."""
    return _export_max_bytes


def _human(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{n} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


def _describe(obj: Any) -> str:
    h = obj._h
    where = h.storage_kind + (f" at {h.storage_path}" if h.storage_path else "")
    return f"{type(obj).__name__} of shape {h.shape} and dtype {h.dtype} ({where})"


def _guard(obj: Any, np_dtype: np.dtype, allow_huge: bool, will_copy: bool, implicit: bool) -> None:
    """Raise ExportGuardError if this export must not happen; allocate nothing.

    ``implicit`` is True for ``np.asarray``/``np.array`` (the ``__array__``
    protocol) and False for an explicit ``to_numpy`` call.
    """
    h = obj._h
    nbytes = h.size * np_dtype.itemsize
    if allow_huge:
        avail = _core.system_available_memory() if will_copy else None
        if avail is not None and nbytes > avail:
            raise ExportGuardError(
                f"cannot export {_describe(obj)}: the copy needs {_human(nbytes)} but only "
                f"{_human(avail)} of memory is available. Export a slice instead."
            )
        return
    on_disk = h.storage_kind != "ram"
    if on_disk and (implicit or nbytes > SMALL_EXPORT_BYTES):
        how = "implicitly" if implicit else f"without allow_huge=True (it exceeds {_human(SMALL_EXPORT_BYTES)})"
        raise ExportGuardError(
            f"refusing to export {_describe(obj)} {how}: it is {h.storage_kind}-backed and "
            f"exporting would materialise {_human(nbytes)} in RAM. Call "
            "pycauset.to_numpy(obj, allow_huge=True) to export it anyway, or export a slice "
            "with pycauset.to_numpy(obj[:1000, :1000])."
        )
    cap = _export_max_bytes
    if cap is not None and nbytes > cap:
        raise ExportGuardError(
            f"refusing to export {_describe(obj)}: {_human(nbytes)} exceeds the export cap of "
            f"{_human(cap)} (pycauset.set_export_max_bytes). Call "
            "pycauset.to_numpy(obj, allow_huge=True) to export it anyway, or export a slice."
        )


def _view_blocker(obj: Any) -> Optional[str]:
    """Why a zero-copy view is impossible, or None when it is possible."""
    h = obj._h
    if h.dtype == "bit":
        return "bit objects are packed 8 per byte, which NumPy cannot view"
    if h.storage_kind != "ram":
        return f"{h.storage_kind}-backed storage is never exposed zero-copy"
    return None


def _view(obj: Any) -> np.ndarray:
    """Read-only zero-copy view; keeps obj alive and its storage pinned."""
    return obj._h.numpy_view(obj)


#: handle dtype token -> NumPy dtype, and NumPy dtype -> kernel token (a lookup each
#: costs a few microseconds, which small exports notice)
_NUMPY_OF: dict = {}
_KERNEL_OF: dict = {}


def _numpy_dtype(obj: Any) -> np.dtype:
    """The NumPy dtype obj exports as (cached per dtype)."""
    token = obj._h.dtype
    np_dtype = _NUMPY_OF.get(token)
    if np_dtype is None:
        np_dtype = _NUMPY_OF[token] = _dtypes.dtype(token).numpy
    return np_dtype


def _copy(obj: Any, np_dtype: np.dtype) -> np.ndarray:
    """A fresh, writeable, C-ordered ndarray holding obj's values as np_dtype."""
    h = obj._h
    kernel = _KERNEL_OF.get(np_dtype)
    if kernel is None:
        kernel = _KERNEL_OF[np_dtype] = _dtypes.kernel_name(np_dtype)
    nbytes = h.size * np_dtype.itemsize
    if nbytes >= _BLOCK_EXPORT_BYTES:
        # Large: memory from pycauset's reuse cache of freed mappings when one fits (its
        # pages are already touched), else a fresh mapping. The array owns it through its
        # base; when NumPy frees the array the mapping goes back to the cache.
        out = _core.Array.export_block(nbytes).view(np_dtype).reshape(h.shape)
    else:
        out = np.empty(h.shape, dtype=np_dtype)
    h.export_to(out, kernel)  # the core copies with the GIL released
    return out


def _target_dtype(obj: Any, dtype: Any) -> np.dtype:
    if dtype is None:
        return obj.dtype.numpy
    np_dtype = np.dtype(dtype)
    return np_dtype


def _export(obj: Any, np_dtype: np.dtype) -> np.ndarray:
    """Copy obj into a new ndarray of np_dtype (casting through a supported dtype if needed)."""
    try:
        _dtypes.from_numpy(np_dtype)
    except TypeError:
        return _copy(obj, obj.dtype.numpy).astype(np_dtype)
    return _copy(obj, np_dtype)


def to_numpy(obj: Any, copy: bool = True, allow_huge: bool = False) -> np.ndarray:
    """Export a pycauset Matrix or Vector to a ``numpy.ndarray``.

    Parameters
    ----------
    obj : Matrix or Vector
        The object to export. Matrices give 2-D arrays, vectors 1-D arrays, with
        the mapped NumPy dtype (``bit`` exports as ``bool``).
    copy : bool, default True
        True returns a new, writeable, C-ordered array that shares nothing with
        ``obj``. From 1 MiB up its memory comes from pycauset's cache of freed
        mappings and is owned through ``base`` (``flags.owndata`` is False, so
        in-place ``ndarray.resize`` raises ValueError); it is not counted in
        pycauset's memory budget, and returns to the cache when the array is
        freed. False returns a **read-only view**
        of the object's memory with no allocation when the object is RAM-backed
        and not bit-packed; the view keeps the object alive and pins its storage.
        When no view is possible, a ``UserWarning`` says why and a copy is returned.
    allow_huge : bool, default False
        Export even when the object is larger than the export cap, or file- or
        spill-backed and larger than ``SMALL_EXPORT_BYTES`` (64 MiB). The copy must
        still fit in available memory.

    Raises
    ------
    ExportGuardError
        The export is larger than the export cap, or the object is file- or
        spill-backed and the export is larger than 64 MiB, and ``allow_huge`` is
        False; or the copy cannot fit in available memory.
    TypeError
        ``obj`` is not a pycauset Matrix or Vector.

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> A = pc.matrix(np.eye(3))
    >>> pc.to_numpy(A)[0]
    array([1., 0., 0.])
    >>> pc.to_numpy(A, copy=False).flags.writeable
    False
    """
    if not hasattr(obj, "_h"):
        raise TypeError(f"to_numpy expects a pycauset Matrix or Vector, got {type(obj).__name__}")
    obj = obj._materialized()
    np_dtype = _numpy_dtype(obj)
    blocker = None if copy else _view_blocker(obj)
    _guard(obj, np_dtype, allow_huge, will_copy=copy or blocker is not None, implicit=False)
    if not copy:
        if blocker is None:
            return _view(obj)
        warnings.warn(f"to_numpy(copy=False) returns a copy: {blocker}", UserWarning, stacklevel=2)
    return _copy(obj, np_dtype)


def array_protocol(obj: Any, dtype: Any = None, copy: Optional[bool] = None) -> np.ndarray:
    """Implementation of ``obj.__array__(dtype=None, copy=None)`` (NumPy 2 semantics)."""
    obj = obj._materialized()
    np_dtype = _target_dtype(obj, dtype)
    same = np_dtype == obj.dtype.numpy
    blocker = _view_blocker(obj) if same else "a dtype conversion was requested"
    if copy is False and blocker is not None:
        raise ValueError(
            f"Unable to avoid a copy while creating a NumPy array from {_describe(obj)}: {blocker}. "
            "Use np.asarray(obj) or pycauset.to_numpy(obj) to allow a copy."
        )
    will_copy = copy is True or blocker is not None
    _guard(obj, np_dtype, allow_huge=False, will_copy=will_copy, implicit=True)
    if not will_copy:
        return _view(obj)
    return _export(obj, np_dtype)

