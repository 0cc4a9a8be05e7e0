"""Matrix and Vector: the user-facing objects, thin wrappers over a C++ Array handle.

This module sits low in the package's import order (see
tests/python/test_import_order.py): it imports only ``_dtypes``, ``_export`` and
``_lazy``. Some methods defined here are implemented by modules above it
(``_ops``: operators, reductions, reshaping; ``_indexing``: advanced indexing;
``_properties``: structure marks; ``_pickle``: copying and pickling). Those
modules are never imported here: ``pycauset/__init__.py`` hands them to
:func:`install` once they are imported, and the methods call them through the
module globals it sets. Type checkers see them as ordinary imports.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, List, Optional, SupportsIndex, Tuple, TypeVar, Union, overload

import numpy as np

from . import _dtypes, _export, _lazy
from ._dtypes import _BY_NAME as _DTYPE_OF_TOKEN  # handle.dtype is the token (element access is hot)

if TYPE_CHECKING:
    from . import _indexing, _ops, _pickle, _properties
else:  # set by install(), called by pycauset/__init__.py
    _indexing = _ops = _pickle = _properties = None


def install(*, ops: Any, indexing: Any, properties: Any, pickle: Any) -> None:
    """Give this module the higher modules that implement some of its methods.

    Called once by ``pycauset/__init__.py`` after importing them; this keeps the
    package's imports one-way (``_array`` never imports a module above it).
    """
    globals().update(_ops=ops, _indexing=indexing, _properties=properties, _pickle=pickle)

__all__ = ["Matrix", "Vector", "Storage"]

#: What indexing one element returns: a NumPy scalar of the object's dtype.
Scalar = Union[np.bool_, np.integer, np.floating, np.complexfloating]
#: Values ``fill`` and element assignment accept.
ScalarLike = Union[bool, int, float, complex, np.bool_, np.number]

_Self = TypeVar("_Self", bound="_ArrayBase")

# Objects above this many elements print summarised, like NumPy's threshold.
_PRINT_THRESHOLD = 1000
_EDGE = 3


@dataclass(frozen=True)
class Storage:
    """Where an object's data lives.

    Attributes
    ----------
    kind : str
        ``"ram"``, ``"file"`` (a memory-mapped ``.pycauset`` file) or ``"spill"``
        (a temporary file pycauset created because RAM was over budget).
    path : str or None
        The backing file, for file and spill storage.
    nbytes : int
        Size of the whole underlying buffer (shared by all views of it).
    pinned : int
        Number of live NumPy views pinning the buffer in place.
    """

    kind: str
    path: Optional[str]
    nbytes: int
    pinned: int


def _transposed_properties(props: Any) -> dict:
    """The free-form properties a view carries (the C++ Array carries the structure)."""
    if isinstance(props, _properties.Properties):
        return props.derived(transpose=True)
    return {k: v for k, v in props.items() if k != "structure"}


class _ArrayBase:
    """Shared behaviour of Matrix and Vector. Not instantiated directly."""

    __slots__ = ("_hv", "_expr", "_properties", "__weakref__")
    # NumPy defers binary operators to us rather than exporting.
    __array_priority__ = 1000.0
    # == is elementwise (as for ndarray), so objects are not hashable.
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(
            f"create a {type(self).__name__} with pycauset.matrix/vector/zeros/ones/empty/full"
        )

    @classmethod
    def _wrap(cls, handle: Any, properties: Optional[dict] = None) -> "_ArrayBase":
        obj = object.__new__(Matrix if handle.ndim == 2 else Vector)
        obj._hv = handle
        obj._expr = None
        obj._properties = {"structure": "dense"} if properties is None else properties
        if properties and properties.get("structure", "dense") != "dense":
            _properties.of(obj)  # a mark that comes with the data reaches the C++ Array now
        return obj

    @classmethod
    def _lazy(cls, node: "_lazy.Node") -> "_ArrayBase":
        """An unevaluated expression that behaves as the object it will become."""
        if node.count > _lazy.MAX_NODES:
            # Keep trees small: evaluate the biggest input and refer to its result.
            kids = list(node.children)
            i = max(range(len(kids)), key=lambda k: kids[k].count)
            kids[i] = _lazy.operand(_ArrayBase._lazy(kids[i])._h)
            node = _lazy.Node(node.op, node.compute, node.result, node.shape, tuple(kids),
                              compute_rhs=node.compute_rhs)
        obj = object.__new__(Matrix if len(node.shape) == 2 else Vector)
        obj._hv = None
        obj._expr = node
        obj._properties = {"structure": "dense"}
        _lazy.register(obj, node)
        return obj

    @property
    def _h(self) -> Any:
        """The C++ Array holding the values; evaluates a pending expression first."""
        if self._hv is None:
            node = self._expr
            self._hv = _lazy.evaluate(node)
            self._expr = None
            _lazy.unregister(self, node)
        return self._hv

    def _node(self) -> "_lazy.Node":
        return self._expr if self._hv is None else _lazy.operand(self._hv)

    def _materialized(self: _Self) -> _Self:
        """This object with its values computed (a no-op unless it is a pending expression)."""
        self._h
        return self

    def eval(self: _Self) -> _Self:
        """Compute a pending expression now (in one fused pass) and return self.

        Expressions also evaluate by themselves when values are needed; call this
        to control when the work happens. A no-op for evaluated objects.
        """
        return self._materialized()

    @property
    def is_lazy(self) -> bool:
        """True while this object is an expression that has not been evaluated yet."""
        return self._hv is None

    # ---- attributes ----------------------------------------------------------
    @property
    def dtype(self) -> _dtypes.DType:
        """Element type, a pycauset DType such as ``pycauset.float64``."""
        return self._expr.result if self._hv is None else _DTYPE_OF_TOKEN[self._hv.dtype]

    @property
    def shape(self) -> Tuple[int, ...]:
        """``(n,)`` for a vector, ``(rows, cols)`` for a matrix."""
        return self._expr.shape if self._hv is None else self._hv.shape

    @property
    def size(self) -> int:
        """Number of elements."""
        return int(np.prod(self.shape))

    @property
    def ndim(self) -> int:
        """1 for a vector, 2 for a matrix."""
        return len(self.shape)

    @property
    def nbytes(self) -> int:
        """Bytes the elements occupy: size * itemsize, or size / 8 rounded up for bit."""
        return (self.size * self.dtype.bits + 7) // 8

    @property
    def storage(self) -> Storage:
        """Where the data lives (RAM, file or spill) and how many views pin it."""
        h = self._h
        return Storage(h.storage_kind, h.storage_path or None, h.storage_nbytes, h.pins)

    @property
    def properties(self) -> "_properties.Properties":
        """Mutable mapping of known facts, e.g. ``{"structure": "dense"}``.

        ``structure`` is one of ``dense``, ``upper_triangular``, ``lower_triangular``,
        ``symmetric``, ``diagonal``, ``strictly_upper_triangular``,
        ``strictly_lower_triangular`` or ``antisymmetric``; algorithms may exploit
        it, so it is checked (by the C++ core, which carries it): setting a mark
        the data does not satisfy (or an unknown name) raises ``ValueError``, and a
        write that breaks it turns it back to ``dense``. Other keys are free-form.

        Examples
        --------
        >>> import pycauset as pc
        >>> U = pc.matrix([[1.0, 2.0], [0.0, 3.0]])
        >>> U.properties["structure"] = "upper_triangular"
        >>> U[1, 0] = 5.0
        >>> U.properties["structure"]
        'dense'
        """
        return _properties.of(self)

    @property
    def T(self: _Self) -> _Self:
        """Transposed view (no copy). A vector's transpose is itself, as in NumPy."""
        return _ArrayBase._wrap(self._h.transpose(), _transposed_properties(self._properties))  # type: ignore[return-value]

    def __len__(self) -> int:
        return self.shape[0]

    def __bool__(self) -> bool:
        if self.size == 0:
            raise ValueError(f"the truth value of an empty {type(self).__name__} is ambiguous")
        if self.size != 1:
            raise ValueError(
                f"the truth value of a {type(self).__name__} with more than one element is "
                "ambiguous"
            )
        return bool(self._h.get(0, 0))

    # ---- copies --------------------------------------------------------------
    def copy(self: _Self) -> _Self:
        """A contiguous, independent copy in RAM with the same dtype."""
        return _ArrayBase._wrap(self._h.copy(), self.properties.derived())  # type: ignore[return-value]

    # copy.copy, copy.deepcopy and pickle: the rules and the logic are in _pickle.py.
    def __copy__(self) -> "_ArrayBase":
        return _pickle.copy_of(self)

    def __deepcopy__(self, memo: dict) -> "_ArrayBase":
        return _pickle.deepcopy_of(self, memo)

    def __reduce_ex__(self, protocol: Any) -> tuple:
        return _pickle.reduce(self, protocol)

    def astype(self: _Self, dtype: _dtypes.DTypeLike, copy: bool = True) -> _Self:
        """A copy converted to ``dtype`` (NumPy's ``unsafe`` casting, as ``ndarray.astype``).

        Complex to real keeps the real part; any dtype to ``bit`` is "nonzero".
        With ``copy=False`` the object itself is returned when the dtype already matches.
        """
        target = _dtypes.dtype(dtype)
        if not copy and target is self.dtype:
            return self
        return _ArrayBase._wrap(self._h.astype(target.core), self.properties.derived())  # type: ignore[return-value]

    def fill(self, value: ScalarLike) -> None:
        """Set every element to ``value`` (in place, also through views).

        Raises OverflowError when an integer does not fit the dtype and TypeError
        for a complex value in a real dtype.
        """
        h = self._h
        _lazy.before_write(h)
        v = _python_scalar(value)
        h.fill(v)

    # ---- NumPy protocols ------------------------------------------------------
    def __array__(self, dtype: Any = None, copy: Optional[bool] = None) -> np.ndarray:
        return _export.array_protocol(self, dtype, copy)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        # The allowlist of numpy-interop.md routes to native implementations;
        # everything else returns NotImplemented, so NumPy raises a TypeError
        # instead of silently exporting us.
        return _ops.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return _ops.array_function(func, args, kwargs)

    # ---- arithmetic (lazy), comparisons, bit logic, matmul -----------------------
    def __add__(self, other: Any) -> Any: return _ops.binary("add", self, other)
    def __radd__(self, other: Any) -> Any: return _ops.binary("add", other, self)
    def __sub__(self, other: Any) -> Any: return _ops.binary("subtract", self, other)
    def __rsub__(self, other: Any) -> Any: return _ops.binary("subtract", other, self)
    def __mul__(self, other: Any) -> Any: return _ops.binary("multiply", self, other)
    def __rmul__(self, other: Any) -> Any: return _ops.binary("multiply", other, self)
    def __truediv__(self, other: Any) -> Any: return _ops.binary("divide", self, other)
    def __rtruediv__(self, other: Any) -> Any: return _ops.binary("divide", other, self)
    def __eq__(self, other: Any) -> Any: return _ops.binary("equal", self, other)  # type: ignore[override]
    def __ne__(self, other: Any) -> Any: return _ops.binary("not_equal", self, other)  # type: ignore[override]
    def __lt__(self, other: Any) -> Any: return _ops.binary("less", self, other)
    def __le__(self, other: Any) -> Any: return _ops.binary("less_equal", self, other)
    def __gt__(self, other: Any) -> Any: return _ops.binary("greater", self, other)
    def __ge__(self, other: Any) -> Any: return _ops.binary("greater_equal", self, other)
    def __and__(self, other: Any) -> Any: return _ops.binary("logical_and", self, other)
    def __rand__(self, other: Any) -> Any: return _ops.binary("logical_and", other, self)
    def __or__(self, other: Any) -> Any: return _ops.binary("logical_or", self, other)
    def __ror__(self, other: Any) -> Any: return _ops.binary("logical_or", other, self)
    def __xor__(self, other: Any) -> Any: return _ops.binary("logical_xor", self, other)
    def __rxor__(self, other: Any) -> Any: return _ops.binary("logical_xor", other, self)
    def __invert__(self) -> Any: return _ops.unary("invert", self)
    def __neg__(self) -> Any: return _ops.unary("negative", self)
    def __pos__(self) -> Any: return _ops.unary("positive", self)
    def __abs__(self) -> Any: return _ops.unary("absolute", self)
    def __matmul__(self, other: Any) -> Any: return _ops.matmul_operator(self, other)
    def __rmatmul__(self, other: Any) -> Any: return _ops.matmul_operator(other, self)
    def __pow__(self, other: Any) -> Any: return _ops.power(self, other)
    def __rpow__(self, other: Any) -> Any: return _ops.power(other, self)

    # In place, as NumPy: the object (and every alias of it) changes; the result
    # must cast to this dtype under the same_kind rule.
    def _inplace(self, op: str, other: Any) -> Any:
        result = _ops.power(self, other) if op == "power" else _ops.binary(op, self, other)
        if result is NotImplemented:
            return NotImplemented
        if not np.can_cast(result.dtype.numpy, self.dtype.numpy, casting="same_kind"):
            symbol = "**" if op == "power" else op
            raise TypeError(
                f"cannot store the {result.dtype.name} result of an in-place operation in a "
                f"{self.dtype.name} object (same_kind casting); use a = a {symbol} b instead"
            )
        self[...] = result
        return self

    def __iadd__(self, other: Any) -> Any: return self._inplace("add", other)
    def __isub__(self, other: Any) -> Any: return self._inplace("subtract", other)
    def __imul__(self, other: Any) -> Any: return self._inplace("multiply", other)
    def __itruediv__(self, other: Any) -> Any: return self._inplace("divide", other)
    def __iand__(self, other: Any) -> Any: return self._inplace("logical_and", other)
    def __ior__(self, other: Any) -> Any: return self._inplace("logical_or", other)
    def __ixor__(self, other: Any) -> Any: return self._inplace("logical_xor", other)

    def __ipow__(self, other: Any) -> Any: return self._inplace("power", other)

    def conj(self: _Self) -> _Self:
        """Complex conjugate (lazy); real objects give their own values."""
        return _ops.unary("conjugate", self)

    conjugate = conj

    @property
    def real(self: _Self) -> _Self:
        """Real part (lazy)."""
        return _ops.unary("real", self)

    @property
    def imag(self: _Self) -> _Self:
        """Imaginary part (lazy; zeros for real objects)."""
        return _ops.unary("imag", self)

    # ---- reductions -------------------------------------------------------------
    def sum(self, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
        """Sum over all elements or along ``axis``; see :func:`pycauset.sum`."""
        return _ops.sum(self, axis, dtype, keepdims)

    def mean(self, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
        """Arithmetic mean; see :func:`pycauset.mean`."""
        return _ops.mean(self, axis, dtype, keepdims)

    def trace(self, dtype: Any = None) -> Any:
        """Sum of the main diagonal (matrices)."""
        return _ops.trace(self, dtype)

    def count_nonzero(self, axis: Any = None) -> Any:
        """Number of non-zero elements (ones, for bit objects)."""
        return _ops.count_nonzero(self, axis)

    # ---- indexing ------------------------------------------------------------
    def _locate(self, key: Any) -> tuple:
        """Resolve a basic index: ('element', i, j) or ('view', handle)."""
        keys = _normalize_key(key, self.ndim)
        h = self._h
        if self.ndim == 1:
            (k,) = keys
            if isinstance(k, slice):
                return ("view", _slice(h, 0, k))
            return ("element", k, 0)
        k0, k1 = keys
        if not isinstance(k0, slice) and not isinstance(k1, slice):
            return ("element", k0, k1)
        if not isinstance(k0, slice):
            return ("view", _slice(h.select(0, k0), 0, k1))
        if not isinstance(k1, slice):
            return ("view", _slice(h.select(1, k1), 0, k0))
        return ("view", _slice(_slice(h, 0, k0), 1, k1))

    def __getitem__(self, key: Any) -> Any:
        if _indexing.is_advanced(key):
            return _indexing.get_item(self, key)
        where = self._locate(key)
        if where[0] == "element":
            return self.dtype.numpy.type(self._h.get(where[1], where[2]))
        return _ArrayBase._wrap(where[1])

    def __setitem__(self, key: Any, value: Any) -> None:
        if _indexing.is_advanced(key):
            _indexing.set_item(self, key, value)
            return
        _lazy.before_write(self._h)  # pending expressions read the old values first
        where = self._locate(key)
        if where[0] == "element":
            self._h.set(where[1], where[2], _python_scalar(value))
        else:
            _assign(where[1], value)

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self[i]

    def __contains__(self, value: Any) -> bool:
        """``value in A``: whether any element equals ``value`` (as ``ndarray``)."""
        equal = self == value
        if not isinstance(equal, _ArrayBase):  # an object neither side can compare elementwise
            return bool(equal)
        return bool(_ops.reduce_any(equal))

    # ---- NumPy habits: conversion, order and truth reductions, reshaping ------------
    def tolist(self) -> List[Any]:
        """The elements as a (nested) list of Python scalars, like ``ndarray.tolist``.

        The list is built from an export, so the export rules of
        :func:`pycauset.to_numpy` apply (a large file- or spill-backed object raises
        :class:`pycauset.ExportGuardError`; take a slice first).

        Examples
        --------
        >>> import pycauset as pc
        >>> pc.matrix([[1, 2], [3, 4]], dtype="int8").tolist()
        [[1, 2], [3, 4]]
        """
        return _export.to_numpy(self).tolist()

    def min(self, axis: Any = None, keepdims: bool = False) -> Any:
        """Smallest element, over everything or along ``axis`` (0 or 1), like ``ndarray.min``.

        NaN propagates (a run holding a NaN gives NaN); complex values order by real,
        then imaginary part; for bit objects this is ``all``. An empty reduction raises
        ValueError, as in NumPy.

        Examples
        --------
        >>> import pycauset as pc
        >>> A = pc.matrix([[3, 1], [2, 5]])
        >>> int(A.min()), A.min(axis=0).tolist()
        (1, [2, 1])
        """
        return _ops.minmax(self, axis, keepdims, is_max=False)

    def max(self, axis: Any = None, keepdims: bool = False) -> Any:
        """Largest element, over everything or along ``axis``; see :meth:`min`.

        Examples
        --------
        >>> import pycauset as pc
        >>> pc.matrix([[3, 1], [2, 5]]).max(axis=1).tolist()
        [3, 5]
        """
        return _ops.minmax(self, axis, keepdims, is_max=True)

    def any(self, axis: Any = None, keepdims: bool = False) -> Any:
        """Whether any element is nonzero (NaN counts as nonzero), like ``ndarray.any``.

        Gives a NumPy bool for ``axis=None``, else a bit Vector.

        Examples
        --------
        >>> import pycauset as pc
        >>> A = pc.matrix([[0, 1], [0, 0]])
        >>> bool(A.any()), A.any(axis=0).tolist()
        (True, [False, True])
        """
        return _ops.reduce_any(self, axis, keepdims)

    def all(self, axis: Any = None, keepdims: bool = False) -> Any:
        """Whether every element is nonzero, like ``ndarray.all``; see :meth:`any`.

        Examples
        --------
        >>> import pycauset as pc
        >>> bool(pc.ones((2, 2)).all())
        True
        """
        return _ops.reduce_all(self, axis, keepdims)

    def reshape(self, *shape: Any, order: str = "C") -> Any:
        """The same elements in a new shape (row-major order), like ``ndarray.reshape``.

        ``shape`` is an int or a tuple of one or two ints (one may be -1, inferred);
        one extent gives a Vector, two a Matrix. The result is a view when the
        object is contiguous and not ``bit`` (writes show through, as in NumPy),
        otherwise a copy.

        Examples
        --------
        >>> import pycauset as pc
        >>> v = pc.vector([0, 1, 2, 3, 4, 5])
        >>> v.reshape(2, -1).tolist()
        [[0, 1, 2], [3, 4, 5]]
        >>> v.reshape((3, 2)).reshape(-1).shape
        (6,)
        """
        if order != "C":
            raise ValueError("pycauset reshapes in row-major order only (order='C')")
        return _ops.reshape(self, shape[0] if len(shape) == 1 else shape)

    def ravel(self) -> "Vector":
        """The elements as a Vector in row-major order: a view when possible, like ``ndarray.ravel``."""
        return _ops.reshape(self, -1)  # type: ignore[no-any-return]

    def flatten(self) -> "Vector":
        """A copy of the elements as a Vector in row-major order, like ``ndarray.flatten``.

        Examples
        --------
        >>> import pycauset as pc
        >>> pc.matrix([[1, 2], [3, 4]]).flatten().tolist()
        [1, 2, 3, 4]
        """
        flat = _ops.reshape(self, -1)
        return flat.copy() if flat._h.shares_storage(self._h) else flat  # type: ignore[no-any-return]

    def diagonal(self, offset: int = 0) -> "Vector":
        """A copy of the diagonal ``offset`` above (or, negative, below) the main one.

        Like ``ndarray.diagonal`` for a 2-D object (NumPy returns a read-only view;
        this is a copy). An offset beyond the matrix gives an empty Vector.

        Examples
        --------
        >>> import pycauset as pc
        >>> A = pc.matrix([[1, 2, 3], [4, 5, 6]])
        >>> A.diagonal().tolist(), A.diagonal(1).tolist(), A.diagonal(-1).tolist()
        ([1, 5], [2, 6], [4])
        """
        return _ops.diagonal(self, offset)  # type: ignore[no-any-return]

    def dot(self, other: Any) -> Any:
        """Matrix product (``np.dot`` rules for 1-D and 2-D operands); see :func:`pycauset.dot`."""
        return _ops.dot(self, other)

    def _only_element(self, kind: str) -> Any:
        if self.size != 1:
            raise TypeError(f"only objects with one element can be converted to Python scalars "
                            f"({kind}() of a {type(self).__name__} of shape {self.shape})")
        return self[(0,) * self.ndim]

    def __float__(self) -> float:
        return float(self._only_element("float"))

    def __int__(self) -> int:
        return int(self._only_element("int"))

    def __complex__(self) -> complex:
        return complex(self._only_element("complex"))

    # ---- printing -------------------------------------------------------------
    def _preview(self) -> np.ndarray:
        """Small ndarray for printing: everything, or the corners with a gap."""
        h = self._h
        if h.size <= _PRINT_THRESHOLD:
            return _export._copy(self, self.dtype.numpy)
        parts = []
        for axis, n in enumerate(h.shape):
            if n > 2 * _EDGE:
                parts.append((axis, n))
        # Keep the first and last _EDGE entries of each long axis, with one filler
        # between them, so NumPy's own summarisation prints "..." in its place.
        view = h
        for axis, n in parts:
            head = view.slice(axis, 0, 1, _EDGE + 1)
            tail = view.slice(axis, n - _EDGE, 1, _EDGE)
            head_np = _export._copy(_ArrayBase._wrap(head), self.dtype.numpy)
            tail_np = _export._copy(_ArrayBase._wrap(tail), self.dtype.numpy)
            joined = np.concatenate([head_np, tail_np], axis=axis)
            view = _ArrayBase._wrap(_handle_from_numpy(joined))._h
        return _export._copy(_ArrayBase._wrap(view), self.dtype.numpy)

    def _body(self) -> str:
        summarise = self.size > _PRINT_THRESHOLD
        return np.array2string(
            self._preview(),
            separator=", ",
            threshold=0 if summarise else _PRINT_THRESHOLD + 1,
            edgeitems=_EDGE,
            prefix="       ",
        )

    def __repr__(self) -> str:
        extra = "" if self.storage.kind == "ram" else f", storage={self.storage.kind}"
        return (
            f"pycauset.{type(self).__name__}(shape={self.shape}, dtype={self.dtype.name}{extra},\n"
            f"       {self._body()})"
        )

    def __str__(self) -> str:
        return np.array2string(
            self._preview(),
            threshold=0 if self.size > _PRINT_THRESHOLD else _PRINT_THRESHOLD + 1,
            edgeitems=_EDGE,
        )


class Matrix(_ArrayBase):
    """A 2-D array of one dtype (rectangular allowed), in RAM or a mapped file.

    Create with :func:`pycauset.matrix` (from data), :func:`pycauset.zeros`,
    :func:`pycauset.ones`, :func:`pycauset.empty`, :func:`pycauset.full` or
    :func:`pycauset.identity`. Indexing follows NumPy's basic indexing:
    ``A[i, j]`` is a NumPy scalar, ``A[i]`` and ``A[:, j]`` are Vector views,
    ``A[a:b, ::2]`` is a Matrix view. Export with ``np.asarray(A)`` or
    :func:`pycauset.to_numpy`.

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> A = pc.matrix(np.arange(6.0).reshape(2, 3))
    >>> A[1, -1]
    np.float64(5.0)
    >>> A.T.shape
    (3, 2)
    """

    __slots__ = ()

    if TYPE_CHECKING:  # precise types for type checkers; the behaviour is _ArrayBase's
        @overload
        def __getitem__(self, key: Tuple[SupportsIndex, SupportsIndex]) -> Scalar: ...
        @overload
        def __getitem__(self, key: SupportsIndex) -> "Vector": ...
        @overload
        def __getitem__(self, key: Tuple[SupportsIndex, slice]) -> "Vector": ...
        @overload
        def __getitem__(self, key: Tuple[slice, SupportsIndex]) -> "Vector": ...
        @overload
        def __getitem__(self, key: Union[slice, Tuple[slice, slice]]) -> "Matrix": ...
        @overload
        def __getitem__(self, key: Any) -> Any: ...
        def __getitem__(self, key: Any) -> Any: ...

        @overload
        def __matmul__(self, other: "Matrix") -> "Matrix": ...
        @overload
        def __matmul__(self, other: "Vector") -> "Vector": ...
        @overload
        def __matmul__(self, other: Any) -> Any: ...
        def __matmul__(self, other: Any) -> Any: ...


class Vector(_ArrayBase):
    """A 1-D array of one dtype, in RAM or a mapped file.

    Create with :func:`pycauset.vector` or a factory given an int shape.

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> v = pc.vector(np.arange(5, dtype=np.int16))
    >>> v[-1], v[1:3].shape
    (np.int16(4), (2,))
    """

    __slots__ = ()

    if TYPE_CHECKING:  # precise types for type checkers; the behaviour is _ArrayBase's
        @overload
        def __getitem__(self, key: SupportsIndex) -> Scalar: ...
        @overload
        def __getitem__(self, key: slice) -> "Vector": ...
        @overload
        def __getitem__(self, key: Any) -> Any: ...
        def __getitem__(self, key: Any) -> Any: ...

        @overload
        def __matmul__(self, other: "Matrix") -> "Vector": ...
        @overload
        def __matmul__(self, other: "Vector") -> Scalar: ...
        @overload
        def __matmul__(self, other: Any) -> Any: ...
        def __matmul__(self, other: Any) -> Any: ...


ArrayLike = Union[_ArrayBase, np.ndarray, Any]


# ---- helpers ------------------------------------------------------------------


def _python_scalar(value: Any) -> Any:
    """A Python bool/int/float/complex from a Python or NumPy scalar (or 0-d array)."""
    if isinstance(value, (bool, int, float, complex)):
        return value
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value.item()
    raise TypeError(f"expected a number or bool, got {type(value).__name__}")


def _normalize_key(key: Any, ndim: int) -> tuple:
    """Basic-indexing key -> a tuple of ndim entries, each an int or a slice."""
    keys = key if isinstance(key, tuple) else (key,)
    if sum(k is Ellipsis for k in keys) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if Ellipsis in keys:
        i = keys.index(Ellipsis)
        fill = ndim - (len(keys) - 1)
        keys = keys[:i] + (slice(None),) * max(fill, 0) + keys[i + 1 :]
    if len(keys) > ndim:
        raise IndexError(f"too many indices: got {len(keys)} for a {ndim}-D object")
    keys = keys + (slice(None),) * (ndim - len(keys))
    out = []
    for k in keys:
        if isinstance(k, slice):
            out.append(k)
            continue
        if k is None:
            raise IndexError("np.newaxis/None is not supported: pycauset objects are 1-D or 2-D")
        if isinstance(k, (bool, np.bool_)):
            raise IndexError("boolean indices are not supported; use basic slicing")
        try:
            out.append(operator.index(k))
        except TypeError:
            raise IndexError(
                f"only integers, slices and '...' are valid indices, got {type(k).__name__} "
                "(advanced indexing is not supported; export a slice with pycauset.to_numpy)"
            ) from None
    return tuple(out)


def _slice(handle: Any, axis: int, s: slice) -> Any:
    start, stop, step = s.indices(handle.shape[axis])
    count = len(range(start, stop, step))
    # With fewer than two elements the step is never used, and a huge one
    # (s[::2**63], which NumPy accepts) would not fit the core's int64.
    return handle.slice(axis, start if count else 0, step if count > 1 else 1, count)


def _prepare_numpy(arr: np.ndarray) -> np.ndarray:
    """Make an ndarray readable by the kernels: native byte order, aligned, supported dtype.

    The array itself is then passed to the core (``_core.Array.from_numpy``,
    ``assign_numpy``, ``FileWriter.write_numpy``), whose argument holds it alive
    for the whole call and reads its dtype, shape and strides in C++.
    """
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    _dtypes.from_numpy(arr.dtype)  # TypeError for unsupported dtypes
    if not arr.flags.aligned or any(s % arr.itemsize for s in arr.strides):
        arr = np.ascontiguousarray(arr)
    return arr


def _handle_from_numpy(arr: np.ndarray, dtype: Optional[_dtypes.DType] = None) -> Any:
    """A new C++ Array holding a converted copy of a rank-1 or rank-2 ndarray."""
    from . import _core

    arr = _prepare_numpy(arr)
    target = dtype or _dtypes.from_numpy(arr.dtype)
    return _core.Array.from_numpy(arr, target.core)


def _assign(handle: Any, value: Any) -> None:
    """Write value (scalar, pycauset object or array-like) into the view `handle`.

    Sources broadcast to the target's shape as in NumPy; a source that overlaps
    the target's storage is copied first, so ``A[:, :] = A.T`` is correct.
    """
    if isinstance(value, (bool, int, float, complex, np.generic)) or (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        handle.fill(_python_scalar(value))
        return
    target = _dtypes.dtype(handle.dtype)
    shape = handle.shape
    if isinstance(value, _ArrayBase):
        src = value._materialized()._h
        if _dtypes.dtype(src.dtype).kind == "c" and target.kind != "c":
            raise TypeError(f"cannot assign complex values into a {target.name} object")
        if src.shares_storage(handle):
            src = src.copy()
        if src.shape != shape:
            src = src.broadcast_to(shape)  # ValueError when the shapes do not broadcast
        handle.assign(src)
        return
    if isinstance(value, np.ndarray):
        arr = value
        if arr.dtype.kind == "c" and target.kind != "c":
            raise TypeError(f"cannot assign complex values into a {target.name} object")
    else:  # lists and other array-likes: let NumPy parse them straight into the target dtype
        arr = np.asarray(value, dtype=target.numpy)
    try:
        arr = np.broadcast_to(arr, shape)
    except ValueError:
        raise ValueError(f"could not broadcast input of shape {arr.shape} into shape {shape}") from None
    arr = _prepare_numpy(arr)
    if _overlaps(arr, handle):
        arr = arr.copy()
    handle.assign_numpy(arr)


def _overlaps(arr: np.ndarray, handle: Any) -> bool:
    """Whether an ndarray's memory overlaps the buffer behind handle (e.g. np.asarray(A))."""
    lo, hi = np.lib.array_utils.byte_bounds(arr)
    start = handle.storage_address
    return lo < start + handle.storage_nbytes and start < hi
