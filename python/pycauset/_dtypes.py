"""Dtypes: the pycauset element types, their NumPy equivalents, and parsing.

This module holds the one mapping table between pycauset and NumPy dtypes; import,
export, casting checks, promotion and the file format all read it. The dtypes
themselves (tokens, codes, kinds, sizes) come from the C++ core: each DType
carries its ``_core.DType`` enum member (``DType.core``), which is what every
binding takes; no dtype names cross the boundary.
"""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from . import _core

__all__ = ["DType", "dtype", "DTypeLike"]

# pycauset token -> NumPy dtype. bit is stored packed but exports as bool.
_NUMPY_OF = {
    "bit": np.dtype(np.bool_),
    "int8": np.dtype(np.int8),
    "int16": np.dtype(np.int16),
    "int32": np.dtype(np.int32),
    "int64": np.dtype(np.int64),
    "uint8": np.dtype(np.uint8),
    "uint16": np.dtype(np.uint16),
    "uint32": np.dtype(np.uint32),
    "uint64": np.dtype(np.uint64),
    "float16": np.dtype(np.float16),
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
    "complex_float32": np.dtype(np.complex64),
    "complex_float64": np.dtype(np.complex128),
}

# Other spellings users may reasonably write.
_ALIASES = {
    "bool": "bit",
    "bool_": "bit",
    "complex64": "complex_float32",
    "complex128": "complex_float64",
}


class DType:
    """A pycauset element type (like ``numpy.dtype``); one instance per type.

    Compare with ``==`` against another DType, a token such as ``"float64"``,
    a NumPy dtype or a scalar type: ``pc.float64 == np.float64`` is True.

    Attributes
    ----------
    name : str
        The pycauset token, e.g. ``"complex_float64"``.
    code : int
        The code the file format stores (the C++ enum value).
    kind : str
        NumPy kind letter: ``b`` (bit), ``i``, ``u``, ``f`` or ``c``.
    bits : int
        Bits per element (1 for the packed ``bit`` dtype).
    numpy : numpy.dtype
        The NumPy dtype this maps to on export (``bool`` for ``bit``).
    """

    __slots__ = ("name", "code", "kind", "bits", "numpy", "core")

    def __init__(self, core: Any, name: str, kind: str, bits: int) -> None:
        self.core = core  # the _core.DType enum member: what bindings take
        self.name = name
        self.code = int(core.value)
        self.kind = kind
        self.bits = bits
        self.numpy = _NUMPY_OF[name]

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype; lets ``np.dtype(pc.float32)`` and ``arr.astype(pc.float32)`` work."""
        return self.numpy

    @property
    def itemsize(self) -> int:
        """Bytes per element in NumPy (1 for bit, which pycauset packs 8 per byte)."""
        return self.numpy.itemsize

    def __repr__(self) -> str:
        return f"pycauset.{self.name}"

    def __str__(self) -> str:
        return self.name

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DType):
            return other is self
        try:
            return dtype(other) is self  # type: ignore[arg-type]
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(("pycauset.dtype", self.name))

    def __reduce__(self) -> tuple:
        return (dtype, (self.name,))


_BY_NAME: dict[str, DType] = {
    name: DType(core, name, kind, bits) for core, name, kind, bits in _core.dtypes()
}
_BY_NUMPY: dict[np.dtype, DType] = {d.numpy: d for d in _BY_NAME.values()}
#: _core.DType enum member -> DType (the reverse of DType.core).
_BY_CORE: dict[Any, DType] = {d.core: d for d in _BY_NAME.values()}

DTypeLike = Union[DType, str, np.dtype, type, None]


def supported() -> str:
    """The supported dtype tokens, for error messages."""
    return ", ".join(_BY_NAME)


def dtype(spec: Any) -> DType:
    """Normalise a dtype specification to a pycauset DType.

    Accepts a DType, a pycauset or NumPy token (``"float64"``, ``"complex128"``,
    ``"bool"``), a NumPy dtype, a type (``float``, ``np.int32``...), or the core's
    ``_core.DType`` enum member.

    Raises
    ------
    TypeError
        For anything that is not one of the supported dtypes; the message lists them.

    Examples
    --------
    >>> import pycauset as pc, numpy as np
    >>> pc.dtype("complex128")
    pycauset.complex_float64
    >>> pc.dtype(np.bool_)
    pycauset.bit
    """
    if isinstance(spec, DType):
        return spec
    if isinstance(spec, str):
        name = _ALIASES.get(spec, spec)
        if name in _BY_NAME:
            return _BY_NAME[name]
    elif isinstance(spec, _core.DType):
        return _BY_CORE[spec]
    if spec is not None:  # NumPy spellings: np.float32, "f8", "<i4", float, ...
        try:
            np_dtype = np.dtype(spec)
        except (TypeError, ValueError):
            np_dtype = None
        if np_dtype is not None:
            found = _BY_NUMPY.get(np_dtype.newbyteorder("=")) if np_dtype.isnative else None
            if found is not None and not np_dtype.fields and np_dtype.subdtype is None:
                return found
    raise TypeError(
        f"unsupported dtype {spec!r}; pycauset supports {supported()} "
        "(NumPy spellings bool, complex64 and complex128 are accepted too)"
    )


def from_numpy(np_dtype: np.dtype) -> DType:
    """The pycauset dtype for a NumPy array's dtype (TypeError if unsupported)."""
    found = _BY_NUMPY.get(np_dtype)
    if found is None:
        raise TypeError(
            f"NumPy dtype {np_dtype} is not supported; pycauset supports "
            f"{', '.join(str(d.numpy) for d in _BY_NAME.values())} "
            f"(as {supported()})"
        )
    return found


def real(d: DType) -> DType:
    """The real dtype of a complex dtype (complex_float32 -> float32); others map to
    themselves. The rule is the core's (``_core.real_dtype``)."""
    return _REAL[d]


def result_type_of_value(value: Any) -> DType:
    """The dtype NumPy would infer for a Python or NumPy scalar (``full`` uses this)."""
    if isinstance(value, np.generic):
        return from_numpy(value.dtype)
    if isinstance(value, bool):
        return _BY_NAME["bit"]
    if isinstance(value, int):
        return _BY_NAME["int64"]
    if isinstance(value, float):
        return _BY_NAME["float64"]
    if isinstance(value, complex):
        return _BY_NAME["complex_float64"]
    raise TypeError(f"expected a number or bool, got {type(value).__name__}")


# Module-level sentinels, exported by pycauset/__init__.py.
bit = bool_ = _BY_NAME["bit"]
int8 = _BY_NAME["int8"]
int16 = _BY_NAME["int16"]
int32 = _BY_NAME["int32"]
int64 = _BY_NAME["int64"]
uint8 = _BY_NAME["uint8"]
uint16 = _BY_NAME["uint16"]
uint32 = _BY_NAME["uint32"]
uint64 = _BY_NAME["uint64"]
float16 = _BY_NAME["float16"]
float32 = _BY_NAME["float32"]
float64 = _BY_NAME["float64"]
complex_float32 = complex64 = _BY_NAME["complex_float32"]
complex_float64 = complex128 = _BY_NAME["complex_float64"]
ALL = tuple(_BY_NAME.values())
_REAL: dict[DType, DType] = {d: _BY_CORE[_core.real_dtype(d.core)] for d in ALL}
