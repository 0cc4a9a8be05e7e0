"""``obj.properties``: the mapping of known facts about a Matrix/Vector.

``properties["structure"]`` is a view of the structure mark the C++ ``Array``
carries (``Array::structure`` in ``include/pycauset/array/array.hpp``, where
the rule lives): setting it checks the values in C++ (``ValueError`` naming an
offending element), reading it gives a mark that is true of the values now
(writes through any pycauset object move the storage's write generation, and a
mark read after a write is checked again and becomes ``"dense"`` if it no
longer holds). A vector's structure is always ``"dense"``. Transposes,
principal sub-blocks, copies, products and linear-algebra results carry marks
from C++.

Every other key is a free-form value kept here, in Python.

Writes pycauset cannot see (to a file opened ``"r+"`` by another process) are
not tracked: set the mark again (it is re-checked) after such writes.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, MutableMapping
from typing import Any, Optional

from . import _core

__all__ = ["STRUCTURES", "Properties"]

#: Valid values of ``properties["structure"]``, in the order of their file codes.
STRUCTURES = tuple(s.name for s in _core.Structure)


def _check_name(value: Any) -> str:
    if not isinstance(value, str) or value not in STRUCTURES:
        raise ValueError(
            f"unknown structure {value!r}; valid structures: " + ", ".join(repr(s) for s in STRUCTURES)
        )
    return value


def _code(name: str) -> Any:
    return _core.Structure.__members__[name]


class Properties(MutableMapping):
    """The ``properties`` mapping of one object.

    Behaves as a dict; ``properties["structure"]`` is always one of
    :data:`STRUCTURES` and true of the data when read (it is the C++ Array's
    mark); the other keys are free-form.
    """

    __slots__ = ("_owner", "_h", "_data", "__weakref__")

    def __init__(self, owner: Any, data: Optional[dict] = None) -> None:
        # The owner only until its handle is known (a lazy expression has none
        # yet); then the handle, so the mapping outlives a temporary owner.
        self._owner = weakref.ref(owner)
        self._h: Any = owner._hv  # None for an unevaluated expression
        self._data: dict = {}
        claim = "dense"
        for key, value in (data or {}).items():
            if key == "structure":
                claim = _check_name(value)
            else:
                self._data[key] = value
        if claim != "dense":
            # A mark that comes with the data (a pickle, a dict): checked when
            # first read, unless the handle already carries it, checked.
            h = self._handle()
            if not (h.structure_current and h.structure.name == claim):
                h.claim_structure(_code(claim))

    def _handle(self, evaluate: bool = True) -> Any:
        if self._h is None:
            owner = self._owner()
            if owner is None and not evaluate:  # a never-evaluated expression: dense
                return None
            if owner is None:
                raise ReferenceError("the object these properties belonged to no longer exists")
            if not evaluate and owner._hv is None:
                return None
            self._h = owner._h
        return self._h

    def is_current(self) -> bool:
        """Whether the mark needs no check to be read (no write since the last one)."""
        h = self._handle(evaluate=False)
        return h is None or bool(h.structure_current)

    # ---- Mapping ---------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        if key == "structure":
            h = self._handle(evaluate=False)  # an unevaluated expression is dense
            return "dense" if h is None else h.structure.name
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key != "structure":
            self._data[key] = value
            return
        self._handle().set_structure(_code(_check_name(value)))

    def __delitem__(self, key: str) -> None:
        if key == "structure":
            raise KeyError("'structure' cannot be removed; set it to 'dense' instead")
        del self._data[key]

    def clear(self) -> None:
        self._data = {}
        h = self._handle(evaluate=False)
        if h is not None:
            h.set_structure(_core.Structure.dense)

    def __iter__(self) -> Iterator[str]:
        yield "structure"
        yield from self._data

    def __len__(self) -> int:
        return 1 + len(self._data)

    def __repr__(self) -> str:
        return repr(dict(self))

    def derived(self, transpose: bool = False) -> dict:
        """The free-form keys, for a copy, cast or view of the owner (C++ carries the structure)."""
        return dict(self._data)


def of(obj: Any) -> Properties:
    """The Properties of ``obj``, made from the plain dict it was created with if needed."""
    props = obj._properties
    if not isinstance(props, Properties):
        props = Properties(obj, props)
        obj._properties = props
    return props
