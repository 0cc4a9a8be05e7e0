"""``obj.properties``: the mapping of known facts about a Matrix/Vector, with a checked ``structure``.

``structure`` tells algorithms what they may assume (``pycauset.linalg.inv`` and
``solve`` use triangular routines that read only one triangle), so a wrong mark
gives wrong answers. The rule, implemented here and nowhere else:

* Setting it validates: an unknown name raises ``ValueError`` listing the valid
  ones, and a mark the data does not satisfy raises ``ValueError`` naming an
  offending element. A vector's structure is always ``"dense"``.
* Writes keep it true. Every write made through a pycauset object (item and
  slice assignment, ``fill``, in-place operators, through any view or transpose
  sharing the storage) is counted per storage; a mark whose storage was written
  since it was last checked is checked again when it is next read, and becomes
  ``"dense"`` if it no longer holds. An element write through the marked object
  itself is checked at once, in O(1).
* Marks that come with data (loaded from a file, copied from another object)
  are checked when first read; operations that know their result's structure
  (``identity``, ``inv_triangular``, ``cholesky``, ``qr``'s R) set it without a check.

Writes pycauset cannot see (through a NumPy array exported without a copy,
or to a file opened ``"r+"`` by another process) are not tracked: set the mark
again (it is re-checked) after such writes.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, MutableMapping
from typing import Any, Optional

import numpy as np

__all__ = ["STRUCTURES", "Properties", "Trusted"]

#: Valid values of ``properties["structure"]`` (the order is the file format's code).
STRUCTURES = ("dense", "upper_triangular", "lower_triangular", "symmetric", "diagonal")
_FLIP = {"upper_triangular": "lower_triangular", "lower_triangular": "upper_triangular"}
_BLOCK = 256  # rows checked per step

# storage address -> number of writes through pycauset objects, for storages
# that carry (or carried) a non-dense mark.
_writes: dict = {}


class Trusted(dict):
    """Properties from an operation that knows its result's structure: not re-checked."""


def _address(handle: Any) -> int:
    return int(handle.storage_address)


def note_write(handle: Any) -> int:
    """Count a write to the storage behind ``handle``; returns the new count (0: unwatched)."""
    if not _writes:  # nothing marked yet: the common case costs one test
        return 0
    addr = _address(handle)
    if addr in _writes:
        _writes[addr] += 1
        return _writes[addr]
    return 0


def _wrap(handle: Any) -> Any:
    from ._array import _ArrayBase

    return _ArrayBase._wrap(handle)


def _values(handle: Any) -> np.ndarray:
    """A small block's values as an ndarray (internal copy: no export guard)."""
    from . import _export

    obj = _wrap(handle)
    return _export._copy(obj, obj.dtype.numpy)


def _slice(handle: Any, axis: int, start: int, stop: int) -> Any:
    return handle.slice(axis, start, 1, max(stop - start, 0))


def _zero_below(handle: Any) -> Optional[tuple]:
    """None when every element below the main diagonal is zero, else (i, j) of one that is not."""
    rows, cols = handle.shape
    for r0 in range(1, rows, _BLOCK):
        r1 = min(r0 + _BLOCK, rows)
        band = _slice(handle, 0, r0, r1)
        left = _slice(band, 1, 0, min(r0, cols))
        if left.shape[1] and _wrap(left).count_nonzero():
            for i in range(r0, r1):
                row = _slice(handle.select(0, i), 0, 0, min(r0, cols))
                if _wrap(row).count_nonzero():
                    j = int(np.flatnonzero(_values(row))[0])
                    return (i, j)
        if r0 < cols:
            block = _values(_slice(band, 1, r0, min(r1, cols)))
            bad = np.argwhere(np.tril(block, -1) != 0)
            if len(bad):
                return (r0 + int(bad[0][0]), r0 + int(bad[0][1]))
    return None


def _asymmetric(handle: Any) -> Optional[tuple]:
    rows, cols = handle.shape
    if rows != cols:
        return (-1, -1)
    for r0 in range(0, rows, _BLOCK):
        r1 = min(r0 + _BLOCK, rows)
        band = _wrap(_slice(handle, 0, r0, r1))
        mirror = _wrap(_slice(handle, 1, r0, r1).transpose())
        if (band != mirror).count_nonzero():
            diff = _values(band._h) != _values(mirror._h)
            i, j = np.argwhere(diff)[0]
            return (r0 + int(i), int(j))
    return None


def _violation(handle: Any, structure: str) -> Optional[str]:
    """None when the data satisfies ``structure``, else why not."""
    if structure == "dense":
        return None
    if handle.ndim != 2:
        return "a Vector's structure is always 'dense'"
    if structure == "symmetric":
        bad = _asymmetric(handle)
        if bad == (-1, -1):
            return f"a {handle.shape[0]}x{handle.shape[1]} matrix cannot be symmetric"
        if bad is not None:
            return f"element [{bad[0]}, {bad[1]}] differs from element [{bad[1]}, {bad[0]}]"
        return None
    if structure in ("upper_triangular", "diagonal"):
        bad = _zero_below(handle)
        if bad is not None:
            return f"element [{bad[0]}, {bad[1]}] below the diagonal is non-zero"
    if structure in ("lower_triangular", "diagonal"):
        bad = _zero_below(handle.transpose())
        if bad is not None:
            return f"element [{bad[1]}, {bad[0]}] above the diagonal is non-zero"
    return None


def _check_name(value: Any) -> str:
    if not isinstance(value, str) or value not in STRUCTURES:
        raise ValueError(
            f"unknown structure {value!r}; valid structures: " + ", ".join(repr(s) for s in STRUCTURES)
        )
    return value


class Properties(MutableMapping):
    """The ``properties`` mapping of one object (see the module doc for the ``structure`` rule).

    Behaves as a dict; ``properties["structure"]`` is always one of
    :data:`STRUCTURES` and true of the data when read.
    """

    __slots__ = ("_owner", "_h", "_data", "_seen", "__weakref__")

    def __init__(self, owner: Any, data: Optional[dict] = None) -> None:
        # The owner only until its handle is known (a lazy expression has none
        # yet); then the handle, so the mapping outlives a temporary owner.
        self._owner = weakref.ref(owner)
        self._h: Any = None
        self._data: dict = {"structure": "dense"}
        self._seen: Optional[int] = None  # write count when last checked; None: never checked
        trusted = isinstance(data, Trusted)
        for key, value in (data or {}).items():
            if key == "structure":
                value = _check_name(value)
            self._data[key] = value
        if self._data["structure"] != "dense":
            self._handle()  # keep the handle while the owner is surely alive
            if trusted:
                self._seen = self._watch()

    def _handle(self) -> Any:
        if self._h is None:
            owner = self._owner()
            if owner is None:  # only a never-evaluated expression, whose structure is dense
                raise ReferenceError("the object these properties belonged to no longer exists")
            self._h = owner._h
        return self._h

    def _watch(self) -> int:
        return _writes.setdefault(_address(self._handle()), 0)

    def _structure(self) -> str:
        s = self._data["structure"]
        if s == "dense":
            return s
        count = self._watch()
        if self._seen != count:
            if _violation(self._handle(), s) is not None:
                self._data["structure"] = "dense"
                return "dense"
            self._seen = count
        return s

    def is_current(self) -> bool:
        """Whether the mark was checked after the last write to its storage (no check now)."""
        s = self._data["structure"]
        return s == "dense" or self._seen == _writes.get(_address(self._handle()))

    # ---- Mapping ---------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        if key == "structure":
            return self._structure()
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key != "structure":
            self._data[key] = value
            return
        value = _check_name(value)
        if value != "dense":
            why = _violation(self._handle(), value)
            if why is not None:
                raise ValueError(f"cannot mark this object {value!r}: {why}")
            self._seen = self._watch()
        self._data["structure"] = value

    def __delitem__(self, key: str) -> None:
        if key == "structure":
            raise KeyError("'structure' cannot be removed; set it to 'dense' instead")
        del self._data[key]

    def clear(self) -> None:
        self._data = {"structure": "dense"}

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(dict(self))

    # ---- write hooks (called by _array) ------------------------------------------
    def wrote_element(self, i: int, j: int) -> None:
        """After ``obj[i, j] = v`` through the owner: keep the mark if (i, j) is consistent."""
        if self._data["structure"] == "dense" and self._h is None:
            if _writes:
                owner = self._owner()
                if owner is not None:
                    note_write(owner._h)
            return
        h = self._handle()
        current = self.is_current()
        count = note_write(h)
        s = self._data["structure"]
        if s == "dense" or not current or h.ndim != 2:
            return
        rows, cols = h.shape
        i, j = i % rows, j % cols
        v = h.get(i, j)
        if s == "symmetric":
            ok = i == j or h.get(j, i) == v
        elif (s == "upper_triangular" and i > j) or (s == "lower_triangular" and i < j) or (
            s == "diagonal" and i != j
        ):
            ok = v == 0
        else:
            ok = True
        if ok:
            self._seen = count
        else:
            self._data["structure"] = "dense"

    def wrote_all(self, value: Any) -> None:
        """After ``obj.fill(value)``: zeros keep any mark, a constant keeps 'symmetric'."""
        current = self.is_current()
        count = note_write(self._handle())
        s = self._data["structure"]
        if s == "dense" or not current:
            return
        if value == 0 or s == "symmetric":
            self._seen = count
        else:
            self._data["structure"] = "dense"

    def derived(self, transpose: bool = False) -> dict:
        """Properties for a copy, cast or transposed view of the owner: trusted when current."""
        out = dict(self._data)
        if transpose:
            out["structure"] = _FLIP.get(out["structure"], out["structure"])
        return Trusted(out) if self.is_current() else out


def of(obj: Any) -> Properties:
    """The Properties of ``obj``, made from the plain dict it was created with if needed."""
    props = obj._properties
    if not isinstance(props, Properties):
        props = Properties(obj, props)
        obj._properties = props
    return props
