"""Advanced indexing: integer arrays and boolean masks (NumPy's rules, for 1-D and 2-D).

``A[[0, 2]]``, ``A[:, idx]``, ``v[mask]``, ``A[A > 0]`` and ``A[rows, cols]``
read copies of the selected elements, as in NumPy; the same keys work on the
left of ``=``. Only the selected elements are copied (the C++ core's
``take``/``put`` and ``take_pairs``/``put_pairs``), never the whole object.
"""

from __future__ import annotations

import operator
from typing import Any, List, Tuple

import numpy as np

from . import _core, _dtypes, _lazy
from ._array import _ArrayBase, _assign, _slice
from ._export import to_numpy

__all__ = ["is_advanced", "get_item", "set_item"]

_INT64_MAX = np.iinfo(np.int64).max


def is_advanced(key: Any) -> bool:
    """Whether a key holds an index array (list, ndarray or pycauset object)."""
    if type(key) is int:  # element access is the hot path
        return False
    keys = key if isinstance(key, tuple) else (key,)
    for k in keys:
        if isinstance(k, (list, _ArrayBase)):
            return True
        if isinstance(k, np.ndarray) and k.ndim > 0:
            return True
    return False


def _index_array(k: Any) -> np.ndarray:
    """An index entry as an ndarray: bool (a mask) or int64 (positions)."""
    if isinstance(k, _ArrayBase):
        if k.dtype.kind not in "biu":
            raise IndexError(
                f"arrays used as indices must be of integer (or boolean) type, got {k.dtype.name}"
            )
        arr = to_numpy(k)
    else:
        try:
            arr = np.asarray(k)
        except ValueError as err:  # ragged lists
            raise IndexError(f"invalid index list: {err}") from None
        if arr.size == 0 and isinstance(k, list):
            arr = arr.astype(np.intp)  # A[[]] selects nothing, as in NumPy
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind not in "iu":
        raise IndexError(
            f"arrays used as indices must be of integer (or boolean) type, got {arr.dtype}"
        )
    if arr.dtype.kind == "u" and arr.size and arr.max() > _INT64_MAX:
        raise IndexError(f"index {arr.max()} is out of bounds (larger than any axis)")
    return np.ascontiguousarray(arr, dtype=np.int64)


def _mask_positions(mask: np.ndarray, size: int, axis: int) -> np.ndarray:
    if mask.ndim != 1:
        raise IndexError(
            f"a {mask.ndim}-D boolean index can only index a whole object of the same shape"
        )
    if mask.shape[0] != size:
        raise IndexError(
            f"boolean index did not match indexed array along axis {axis}; size of axis is {size} "
            f"but size of corresponding boolean axis is {mask.shape[0]}"
        )
    return np.flatnonzero(mask).astype(np.int64)


def _positions(arr: np.ndarray, size: int, axis: int) -> np.ndarray:
    if arr.dtype == np.bool_:
        return _mask_positions(arr, size, axis)
    if arr.ndim != 1:
        raise IndexError(
            f"an integer index array must be 1-D here, got shape {arr.shape}: pycauset objects "
            "are 1-D or 2-D"
        )
    return arr


def _expand(key: Any, ndim: int) -> Tuple[Any, ...]:
    """The key as ndim entries: int, slice, or an ndarray index."""
    keys = key if isinstance(key, tuple) else (key,)
    where = [i for i, k in enumerate(keys) if k is Ellipsis]
    if len(where) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if where:
        i = where[0]
        keys = keys[:i] + (slice(None),) * max(ndim - (len(keys) - 1), 0) + keys[i + 1 :]
    out: List[Any] = []
    for k in keys:
        if isinstance(k, slice):
            out.append(k)
        elif k is None:
            raise IndexError("np.newaxis/None is not supported: pycauset objects are 1-D or 2-D")
        elif isinstance(k, (bool, np.bool_)):
            raise IndexError("a scalar boolean index is not supported; use a boolean array")
        elif isinstance(k, (list, np.ndarray, _ArrayBase)) and not (isinstance(k, np.ndarray) and k.ndim == 0):
            out.append(_index_array(k))
        else:
            try:
                out.append(operator.index(k))
            except TypeError:
                raise IndexError(
                    "only integers, slices, '...', integer arrays and boolean arrays are valid "
                    f"indices, got {type(k).__name__}"
                ) from None
    # A single 2-D mask indexes every axis of a matrix.
    width = sum(2 if isinstance(k, np.ndarray) and k.dtype == np.bool_ and k.ndim == 2 else 1 for k in out)
    if width > ndim:
        raise IndexError(f"too many indices: got {width} for a {ndim}-D object")
    return tuple(out) + (slice(None),) * (ndim - width)


def _sliced(h: Any, axis: int, s: slice) -> Any:
    return _slice(h, axis, s)


# A resolved selection: ("pairs", base, rows, cols) or ("take", base, axis, positions).


def _resolve(h: Any, key: Any) -> Tuple[Any, ...]:
    keys = _expand(key, h.ndim)
    if h.ndim == 1:
        (k,) = keys
        return ("take", h, 0, _positions(k, h.shape[0], 0))
    if len(keys) == 1:  # a 2-D boolean mask of the same shape as the matrix
        (mask,) = keys
        if mask.shape != h.shape:
            raise IndexError(
                f"boolean index of shape {mask.shape} did not match the indexed matrix of shape "
                f"{h.shape}"
            )
        rows, cols = np.nonzero(mask)
        return ("pairs", h, rows.astype(np.int64), cols.astype(np.int64))
    k0, k1 = keys
    a0, a1 = isinstance(k0, np.ndarray), isinstance(k1, np.ndarray)
    if a0 and a1:
        p0 = _positions(k0, h.shape[0], 0)
        p1 = _positions(k1, h.shape[1], 1)
        try:
            p0, p1 = np.broadcast_arrays(p0, p1)
        except ValueError:
            raise IndexError(
                f"shape mismatch: indexing arrays could not be broadcast together with shapes "
                f"{p0.shape} {p1.shape}"
            ) from None
        return ("pairs", h, np.ascontiguousarray(p0), np.ascontiguousarray(p1))
    if a0:
        base = h.select(1, k1) if not isinstance(k1, slice) else _sliced(h, 1, k1)
        return ("take", base, 0, _positions(k0, h.shape[0], 0))
    if not isinstance(k0, slice):
        return ("take", h.select(0, k0), 0, _positions(k1, h.shape[1], 1))
    return ("take", _sliced(h, 0, k0), 1, _positions(k1, h.shape[1], 1))


def get_item(obj: Any, key: Any) -> Any:
    """``obj[key]`` for a key with index arrays: a new object (a copy, as in NumPy)."""
    sel = _resolve(obj._h, key)
    if sel[0] == "pairs":
        _, h, rows, cols = sel
        out = h.take_pairs(rows, cols)
    else:
        _, h, axis, pos = sel
        out = h.take(axis, pos)
    return _ArrayBase._wrap(out)


def set_item(obj: Any, key: Any, value: Any) -> None:
    """``obj[key] = value`` for a key with index arrays (value broadcasts to the selection)."""
    h = obj._h
    _lazy.before_write(h)
    sel = _resolve(h, key)
    dtype = _dtypes.dtype(h.dtype).core
    if sel[0] == "pairs":
        _, base, rows, cols = sel
        src = _core.Array.empty([rows.shape[0]], dtype, False)
        _assign(src, value)
        base.put_pairs(rows, cols, src)
        return
    _, base, axis, pos = sel
    shape = list(base.shape)
    shape[axis] = pos.shape[0]
    src = _core.Array.empty(shape, dtype, False)
    _assign(src, value)
    base.put(axis, pos, src)
