"""Creating Matrix and Vector objects: from data (import) and by shape."""

from __future__ import annotations

import operator
from typing import Any, Optional, SupportsIndex, Tuple, Union, overload

import numpy as np

from . import _core, _dtypes
from ._array import Matrix, ScalarLike, Vector, _ArrayBase, _handle_from_numpy, _python_scalar

__all__ = ["matrix", "vector", "zeros", "ones", "empty", "full", "identity"]

#: A shape: an int or 1-tuple (a Vector) or a 2-tuple (a Matrix).
ShapeLike = Union[SupportsIndex, Tuple[SupportsIndex], Tuple[SupportsIndex, SupportsIndex]]
_VectorShape = Union[SupportsIndex, Tuple[SupportsIndex]]
_MatrixShape = Tuple[SupportsIndex, SupportsIndex]

_INT64_MAX = 2**63 - 1


def _from_data(data: Any, dtype: _dtypes.DTypeLike, rank: int, factory: str) -> _ArrayBase:
    target = None if dtype is None else _dtypes.dtype(dtype)
    if isinstance(data, _ArrayBase):
        src = data._materialized()
        if src.ndim != rank:
            other = "vector" if src.ndim == 1 else "matrix"
            raise ValueError(
                f"pycauset.{factory} needs a {rank}-D input, got a {src.ndim}-D "
                f"{type(src).__name__} of shape {src.shape}; use pycauset.{other}"
            )
        _check_cast(src.dtype.numpy, target)
        h = src._h.astype((target or src.dtype).core)
        return _ArrayBase._wrap(h, dict(src.properties))
    arr = np.asarray(data)
    if arr.ndim != rank:
        hint = {1: "pycauset.vector", 2: "pycauset.matrix"}.get(arr.ndim)
        advice = f"; use {hint}" if hint else "; pycauset objects are 1-D vectors or 2-D matrices"
        raise ValueError(
            f"pycauset.{factory} needs a {rank}-D array-like, got shape {arr.shape} "
            f"({arr.ndim}-D){advice}"
        )
    _dtypes.from_numpy(arr.dtype if arr.dtype.isnative else arr.dtype.newbyteorder("="))
    if not isinstance(data, np.ndarray) and target is not None:
        arr = _python_ints_as(data, arr, target)
    _check_cast(arr.dtype, target)
    return _ArrayBase._wrap(_handle_from_numpy(arr, target))


def _python_ints_as(data: Any, arr: np.ndarray, target: _dtypes.DType) -> np.ndarray:
    """Integers parsed from Python data (lists, scalars) take the requested integer dtype
    when every value fits, as NumPy's ``np.array([255], dtype="uint8")``; a value out of
    range raises OverflowError, as in NumPy 2."""
    if target.kind not in "iu" or arr.dtype == target.numpy:
        return arr
    if arr.dtype.kind in "iu":
        info = np.iinfo(target.numpy)
        if arr.size:
            low, high = arr.min(), arr.max()
            bad = low if low < info.min else high if high > info.max else None
            if bad is not None:
                raise OverflowError(f"Python integer {int(bad)} out of bounds for {target.name}")
        return arr.astype(target.numpy)
    if arr.dtype.kind in "fO":
        # Python ints beyond int64 made NumPy choose float64 or object; parse them again
        # straight into the target (NumPy raises OverflowError for values out of range).
        leaves = np.asarray(data, dtype=object)
        if leaves.size and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                               for v in leaves.flat):
            return np.asarray(data, dtype=target.numpy)
    return arr


def _check_cast(src: np.dtype, target: Any) -> None:
    """Import with dtype= follows NumPy's same_kind rule; an unsafe cast raises."""
    if target is None:
        return
    if not np.can_cast(src, target.numpy, casting="same_kind"):
        raise TypeError(
            f"cannot import {src} data as {target.name}: the cast is not 'same_kind' "
            f"(it could lose information). Cast explicitly first, e.g. "
            f"pycauset.matrix(arr).astype('{target.name}') or arr.astype(...)"
        )


def matrix(data: Any, dtype: _dtypes.DTypeLike = None, *, structure: Optional[str] = None) -> Matrix:
    """Create a Matrix from 2-D data (always a copy).

    Parameters
    ----------
    data : array-like or Matrix
        A 2-D NumPy array of any strides and order (C, Fortran, sliced, negative
        strides), anything ``np.asarray`` turns into one, or a pycauset Matrix.
        Bool data is stored as ``bit``, packed 8 per byte.
    dtype : dtype-like, optional
        Target dtype. Default: the data's own. A cast must be ``same_kind`` in
        NumPy's sense (int64 -> int8 or float64 -> float32 are fine, float -> int
        is not); otherwise TypeError.
    structure : str, optional
        A structure mark for the result (``properties["structure"]``), checked
        against the values: ``ValueError`` naming an offending element when
        they do not have it. Default: ``"dense"``, or the mark of a pycauset
        Matrix given as ``data``. Nothing is detected automatically.

    Raises
    ------
    ValueError
        The data is not 2-D (the message names its shape and the right
        factory), or does not have ``structure``.
    TypeError
        Unsupported dtype (the message lists the supported ones) or unsafe cast.

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> A = pc.matrix(np.arange(6).reshape(2, 3), dtype="float32")
    >>> A.shape, A.dtype
    ((2, 3), pycauset.float32)
    >>> pc.matrix(np.triu(np.ones((3, 3))), structure="upper_triangular").properties["structure"]
    'upper_triangular'
    """
    out = _from_data(data, dtype, 2, "matrix")
    if structure is not None:
        out.properties["structure"] = structure
    return out  # type: ignore[return-value]


def vector(data: Any, dtype: _dtypes.DTypeLike = None) -> Vector:
    """Create a Vector from 1-D data (always a copy).

    Parameters and errors as :func:`matrix`, for 1-D data.

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> v = pc.vector([1.0, 2.0, 3.0])
    >>> v.shape, v.dtype
    ((3,), pycauset.float64)
    """
    return _from_data(data, dtype, 1, "vector")  # type: ignore[return-value]


def _shape(shape: ShapeLike, itemsize_bits: int = 8) -> tuple:
    try:
        dims = (operator.index(shape),)
    except TypeError:
        try:
            dims = tuple(operator.index(n) for n in shape)
        except TypeError:
            raise TypeError(f"shape must be an int or a tuple of ints, got {shape!r}") from None
    if len(dims) not in (1, 2):
        raise ValueError(
            f"shape {dims} has {len(dims)} dimensions; pycauset objects are 1-D (vector) or 2-D (matrix)"
        )
    if any(n < 0 for n in dims):
        raise ValueError(f"negative dimensions are not allowed: {dims}")
    if any(n > _INT64_MAX for n in dims):
        raise ValueError(f"Maximum allowed dimension exceeded: shape {dims} has an extent above 2**63 - 1")
    size = 1
    for n in dims:
        size *= n
    if size * itemsize_bits > _INT64_MAX * 8:
        raise ValueError(
            f"array is too big: shape {dims} of {(size * itemsize_bits + 7) // 8} bytes is larger "
            "than the maximum possible size (2**63 - 1 bytes)"
        )
    return dims


def _dtype_or_float64(dtype: _dtypes.DTypeLike) -> _dtypes.DType:
    """dtype=None means float64, as in NumPy's factories."""
    return _dtypes.float64 if dtype is None else _dtypes.dtype(dtype)


def _new(shape: ShapeLike, d: _dtypes.DType, zero: bool) -> Any:
    return _ArrayBase._wrap(_core.Array.empty(list(_shape(shape, d.bits)), d.core, zero))


@overload
def empty(shape: _VectorShape, dtype: _dtypes.DTypeLike = ...) -> Vector: ...
@overload
def empty(shape: _MatrixShape, dtype: _dtypes.DTypeLike = ...) -> Matrix: ...
@overload
def empty(shape: ShapeLike, dtype: _dtypes.DTypeLike = ...) -> Union[Matrix, Vector]: ...
def empty(shape: ShapeLike, dtype: _dtypes.DTypeLike = None) -> Union[Matrix, Vector]:
    """A new object with unspecified values. An int or 1-tuple shape gives a Vector.

    ``dtype=None`` (the default) means float64, as in NumPy. Shapes NumPy could not
    allocate raise ValueError ("Maximum allowed dimension exceeded", "array is too big").

    Examples
    --------
    >>> import pycauset as pc
    >>> pc.empty((2, 3), dtype="int32").shape
    (2, 3)
    """
    return _new(shape, _dtype_or_float64(dtype), False)  # type: ignore[no-any-return]


@overload
def zeros(shape: _VectorShape, dtype: _dtypes.DTypeLike = ...) -> Vector: ...
@overload
def zeros(shape: _MatrixShape, dtype: _dtypes.DTypeLike = ...) -> Matrix: ...
@overload
def zeros(shape: ShapeLike, dtype: _dtypes.DTypeLike = ...) -> Union[Matrix, Vector]: ...
def zeros(shape: ShapeLike, dtype: _dtypes.DTypeLike = None) -> Union[Matrix, Vector]:
    """A new object of zeros (instant for large sizes: fresh memory is zero).

    Shape and dtype as :func:`empty` (``dtype=None`` means float64).

    Examples
    --------
    >>> import pycauset as pc
    >>> B = pc.zeros((4, 5), dtype="complex_float64")
    >>> B[1, 2] = 3 - 1j
    >>> complex(B[1, 2])
    (3-1j)
    """
    return _new(shape, _dtype_or_float64(dtype), True)  # type: ignore[no-any-return]


@overload
def full(shape: _VectorShape, fill_value: ScalarLike, dtype: _dtypes.DTypeLike = ...) -> Vector: ...
@overload
def full(shape: _MatrixShape, fill_value: ScalarLike, dtype: _dtypes.DTypeLike = ...) -> Matrix: ...
@overload
def full(shape: ShapeLike, fill_value: ScalarLike, dtype: _dtypes.DTypeLike = ...) -> Union[Matrix, Vector]: ...
def full(shape: ShapeLike, fill_value: ScalarLike, dtype: _dtypes.DTypeLike = None) -> Union[Matrix, Vector]:
    """A new object with every element set to ``fill_value``.

    ``dtype`` defaults to NumPy's choice for the value: bool -> bit, int -> int64,
    float -> float64, complex -> complex_float64.

    Examples
    --------
    >>> import pycauset as pc
    >>> pc.full(3, 7).dtype
    pycauset.int64
    """
    value = _python_scalar(fill_value)
    d = _dtypes.result_type_of_value(fill_value) if dtype is None else _dtypes.dtype(dtype)
    out = _new(shape, d, False)
    out.fill(value)
    return out  # type: ignore[no-any-return]


@overload
def ones(shape: _VectorShape, dtype: _dtypes.DTypeLike = ...) -> Vector: ...
@overload
def ones(shape: _MatrixShape, dtype: _dtypes.DTypeLike = ...) -> Matrix: ...
@overload
def ones(shape: ShapeLike, dtype: _dtypes.DTypeLike = ...) -> Union[Matrix, Vector]: ...
def ones(shape: ShapeLike, dtype: _dtypes.DTypeLike = None) -> Union[Matrix, Vector]:
    """A new object of ones. Shape and dtype as :func:`empty` (``dtype=None`` means float64).

    Examples
    --------
    >>> import pycauset as pc
    >>> int(pc.ones((2, 2), dtype="int8")[1, 1])
    1
    """
    return full(shape, 1, _dtype_or_float64(dtype))


def identity(n: SupportsIndex, dtype: _dtypes.DTypeLike = None) -> Matrix:
    """The n x n identity matrix (``properties["structure"] == "diagonal"``).

    Examples
    --------
    >>> import pycauset as pc
    >>> float(pc.identity(3)[2, 2])
    1.0
    """
    n = operator.index(n)
    out = zeros((n, n), _dtype_or_float64(dtype))
    out._h.diagonal().fill(1)
    out.properties["structure"] = "diagonal"
    return out  # type: ignore[return-value]
