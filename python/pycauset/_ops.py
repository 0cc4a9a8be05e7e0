"""Operations on Matrix and Vector: arithmetic, comparisons, bit logic,
reductions, matmul, and the NumPy override allowlist.

Elementwise operations build lazy expressions (see _lazy.py); everything else
computes at once in the C++ core. Type promotion follows _promotion.py.
"""

from __future__ import annotations

import functools
import math
import operator
from typing import Any, Optional, Union

import numpy as np

from . import _core, _dtypes, _lazy
from ._array import _ArrayBase
from ._factories import empty, full
from ._operands import SCALARS, as_operand
from ._promotion import operand_type, resolve, resolve_inputs

__all__ = ["binary", "unary", "matmul", "sum", "mean", "trace", "count_nonzero", "dot", "transpose", "conj",
           "power", "minmax", "reduce_any", "reduce_all", "reshape", "diagonal", "isclose", "allclose", "array_equal"]

def _node(x: Any, dtype_for_scalar: Any) -> _lazy.Node:
    if isinstance(x, _ArrayBase):
        return x._node()
    value = x.item() if isinstance(x, np.generic) else x
    return _lazy.scalar(value, dtype_for_scalar)


def _make(node: _lazy.Node) -> Any:
    return _ArrayBase._lazy(node)


_COMPARISONS = ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")
_MIRROR = {"less": "greater", "less_equal": "greater_equal", "greater": "less",
           "greater_equal": "less_equal", "equal": "equal", "not_equal": "not_equal"}


def binary(op: str, a: Any, b: Any) -> Any:
    """Elementwise ``a op b`` as a lazy expression; NotImplemented for foreign operands."""
    x, y = as_operand(a), as_operand(b)
    if x is None or y is None:
        if op in ("equal", "not_equal") and (x is None) != (y is None):
            other = x if y is None else y
            foreign = b if y is None else a
            if isinstance(other, _ArrayBase) and (foreign is None or isinstance(foreign, str)):
                # As NumPy: elementwise, every element differs from None or a string.
                return full(other.shape, op == "not_equal", _dtypes.bit)
        return NotImplemented
    if op.startswith("logical_"):
        for v in (x, y):
            if operand_type(v) not in (_dtypes.bit, bool):
                raise TypeError(f"& | ^ need bit operands (comparisons give bits), got {operand_type(v)}")
    if op in _COMPARISONS:
        for scalar, other, first in ((x, y, True), (y, x, False)):
            outside = _outside_range(scalar, other.dtype) if isinstance(other, _ArrayBase) else 0
            if outside:
                return _constant_comparison(_MIRROR[op] if first else op, outside, other)
    (cx, cy), result = resolve_inputs(op, operand_type(x), operand_type(y))
    for scalar, compute in ((x, cx), (y, cy)):
        if _outside_range(scalar, compute):  # as NumPy: the weak int must fit the integer loop
            raise OverflowError(f"Python integer {scalar} out of bounds for {compute.name}")
    return _make(_lazy.apply(op, cx, result, _node(x, cx), _node(y, cy), compute_rhs=cy))


def _outside_range(scalar: Any, dtype: _dtypes.DType) -> int:
    """+1 / -1 when a Python int lies above / below the range of an integer dtype, else 0."""
    if type(scalar) is not int or dtype.kind not in "iu":
        return 0
    info = np.iinfo(dtype.numpy)
    return 1 if scalar > info.max else -1 if scalar < info.min else 0


def _constant_comparison(op: str, side: int, other: Any) -> Any:
    """``other op scalar`` where the scalar lies beyond every value of other (NumPy 2 does
    this exactly rather than overflowing): the answer is the same for every element."""
    below = side > 0  # every element lies below the scalar
    value = {"less": below, "less_equal": below, "greater": not below, "greater_equal": not below,
             "equal": False, "not_equal": True}[op]
    return full(other.shape, value, _dtypes.bit)


def unary(op: str, a: Any) -> Any:
    x = as_operand(a)
    if x is None:
        return NotImplemented
    if op == "invert" and x.dtype is not _dtypes.bit:
        raise TypeError(f"~ needs a bit operand, got {x.dtype}")
    if op in ("real", "imag"):
        compute = x.dtype
        result = _dtypes.real(compute)
    else:
        compute, result = resolve(op, x.dtype)
    return _make(_lazy.apply(op, compute, result, x._node()))


# ---- matmul ----------------------------------------------------------------------


def matmul(a: Any, b: Any) -> Any:
    """``a @ b`` for Matrix/Vector operands (NumPy's matmul rules for 1-D and 2-D).

    Operands may be pycauset objects, NumPy arrays or nested lists (imported
    first); anything else raises TypeError.
    """
    result = matmul_operator(a, b)
    if result is NotImplemented:
        raise TypeError(
            f"matmul: unsupported operand types {type(a).__name__} and {type(b).__name__}; "
            "expected pycauset objects, NumPy arrays or nested lists"
        )
    return result


def matmul_operator(a: Any, b: Any) -> Any:
    """``a @ b`` as the operator sees it: NotImplemented for foreign operands."""
    x, y = as_operand(a), as_operand(b)
    base = _ArrayBase
    if x is None or y is None:
        return NotImplemented
    if not isinstance(x, base) or not isinstance(y, base):
        raise ValueError("matmul: input operand does not have enough dimensions (scalars cannot use @)")
    if x.dtype is _dtypes.bit and y.dtype is _dtypes.bit:  # counts: the core's rule
        result = _dtypes.dtype(_core.linalg.bit_product_dtype(x.shape[-1]))
    else:
        _, result = resolve("matmul", x.dtype, y.dtype)
    h = _core.matmul(x._h, y._h, result.core)
    if x.ndim == 1 and y.ndim == 1:
        return result.numpy.type(h.get(0, 0))
    return base._wrap(h)


def dot(a: Any, b: Any) -> Any:
    """``np.dot`` for pycauset operands: matmul for 1-D/2-D, multiply with a scalar."""
    if isinstance(a, SCALARS) or isinstance(b, SCALARS):
        result = binary("multiply", a, b)
        if result is NotImplemented:
            raise TypeError(f"dot: unsupported operand types {type(a).__name__} and {type(b).__name__}")
        return result
    return matmul(a, b)


def transpose(a: Any) -> Any:
    """The transposed view ``a.T`` (a vector is its own transpose)."""
    x = as_operand(a)
    if not isinstance(x, _ArrayBase):
        raise TypeError(f"transpose expects a pycauset Matrix or Vector, got {type(a).__name__}")
    return x.T


def conj(a: Any) -> Any:
    """Complex conjugate, lazily (``a.conj()``)."""
    return unary("conjugate", a)


# ---- reductions --------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _default_sum_dtype(d: _dtypes.DType) -> _dtypes.DType:
    return _dtypes.from_numpy(np.zeros(1, d.numpy).sum().dtype)


def _normalize_axis(axis: Any, ndim: int) -> int:
    """-1 for all elements, else 0 or 1 in the object's own axes."""
    if axis is None:
        return -1
    if isinstance(axis, tuple):
        axis = tuple(operator.index(a) for a in axis)  # TypeError for 1.5, as NumPy
        if sorted(a % ndim for a in axis) == list(range(ndim)):
            return -1
        if len(axis) == 1:
            axis = axis[0]
        else:
            raise ValueError(f"axis {axis} is invalid for a {ndim}-D object")
    axis = operator.index(axis)  # TypeError for 1.5 or "1", as NumPy
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    axis %= ndim
    return -1 if ndim == 1 else axis


def _reduce(x: Any, axis: int, out_dtype: _dtypes.DType, divisor: int = 1) -> Any:
    """Sum (divided by ``divisor``) into a C++ Array: one element for axis -1, else a vector."""
    h = x._h
    length = 1 if axis == -1 else h.shape[1] if axis == 0 else h.shape[0]
    out = _core.Array.empty([length], out_dtype.core, False)
    _core.reduce_sum(h, axis, out, divisor)
    return out


def _finish(x: Any, out: Any, axis: int, keepdims: bool, dtype: _dtypes.DType) -> Any:
    base = _ArrayBase
    if axis == -1:
        value = dtype.numpy.type(out.get(0, 0))
        if not keepdims:
            return value
        return full((1, 1) if x.ndim == 2 else (1,), value, dtype)
    v = base._wrap(out)
    if not keepdims:
        return v
    n = v.shape[0]
    shape = (1, n) if axis == 0 else (n, 1)
    m = empty(shape, dtype)
    m._h.assign(out.broadcast_to(shape) if axis == 0 else out.broadcast_to([1, n]).transpose())
    return m


def sum(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """Sum of elements (over everything, or along ``axis`` 0 or 1), like ``np.sum``.

    Integers and bits accumulate exactly in 64 (or 128) bits and raise
    OverflowError rather than wrap; the default result dtype follows NumPy
    (small integers and bits give int64, unsigned give uint64).
    """
    x = as_operand(a)
    if x is None or not isinstance(x, _ArrayBase):
        raise TypeError(f"sum expects a pycauset Matrix or Vector, got {type(a).__name__}")
    ax = _normalize_axis(axis, x.ndim)
    out_dtype = _default_sum_dtype(x.dtype) if dtype is None else _dtypes.dtype(dtype)
    if x.dtype.kind == "c" and out_dtype.kind != "c":
        raise TypeError(f"cannot sum complex values into {out_dtype.name}")
    return _finish(x, _reduce(x, ax, out_dtype), ax, keepdims, out_dtype)


def mean(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """Arithmetic mean, like ``np.mean`` (integers and bits average in float64).

    With an integer ``dtype=`` the mean is the exact integer sum divided by the
    count, truncated toward zero; OverflowError if that does not fit ``dtype``.
    """
    x = as_operand(a)
    if x is None or not isinstance(x, _ArrayBase):
        raise TypeError(f"mean expects a pycauset Matrix or Vector, got {type(a).__name__}")
    ax = _normalize_axis(axis, x.ndim)
    if dtype is not None:
        out_dtype = _dtypes.dtype(dtype)
    elif x.dtype.kind in "biu":
        out_dtype = _dtypes.float64
    else:
        out_dtype = x.dtype
    acc = _dtypes.float32 if out_dtype is _dtypes.float16 else out_dtype
    if acc.kind not in "fc":
        acc = _dtypes.float64
    count = x.size if ax == -1 else x.shape[ax]
    if out_dtype.kind in "iu" and count:
        # Exact: the integer sum divided by the count, truncated toward zero (NumPy's
        # cast of its quotient), or OverflowError when that does not fit out_dtype.
        return _finish(x, _reduce(x, ax, out_dtype, count), ax, keepdims, out_dtype)
    total = _reduce(x, ax, acc)
    if ax == -1:
        value = out_dtype.numpy.type(total.get(0, 0) / count if count else np.nan)
        return _keep(x, value, out_dtype) if keepdims else value
    vec = _ArrayBase._wrap(total)
    averaged = (vec / count if count else vec * np.nan).astype(out_dtype)
    return _finish(x, averaged._h, ax, keepdims, out_dtype)


def _keep(x: Any, value: Any, dtype: _dtypes.DType) -> Any:
    return full((1, 1) if x.ndim == 2 else (1,), value, dtype)


def trace(a: Any, dtype: Any = None) -> Any:
    """Sum of the main diagonal, like ``np.trace`` for a 2-D object."""
    x = as_operand(a)
    if x is None or not isinstance(x, _ArrayBase) or x.ndim != 2:
        raise ValueError("trace needs a pycauset Matrix")
    return sum(_ArrayBase._wrap(x._h.diagonal()), dtype=dtype)


def count_nonzero(a: Any, axis: Any = None) -> Any:
    """Number of non-zero elements (ones, for bits), like ``np.count_nonzero``."""
    x = as_operand(a)
    if x is None or not isinstance(x, _ArrayBase):
        raise TypeError(f"count_nonzero expects a pycauset Matrix or Vector, got {type(a).__name__}")
    bits = x if x.dtype is _dtypes.bit else (x != 0)
    result = sum(bits, axis=axis, dtype=_dtypes.int64)
    return int(result) if axis is None else result


# ---- power ----------------------------------------------------------------------------


def _handle_as(x: Any, dtype: _dtypes.DType, shape: tuple) -> Any:
    """A C++ Array of x (pycauset object or scalar) in `dtype`, broadcast to `shape`."""
    if isinstance(x, _ArrayBase):
        h = x._h
        if h.dtype != dtype.name:
            h = h.astype(dtype.core)
    else:
        h = _core.Array.empty([1], dtype.core, False)
        h.fill(x.item() if isinstance(x, np.generic) else x)
    if h.shape != shape:
        h = h.broadcast_to(shape)
    return h


def power(a: Any, b: Any) -> Any:
    """Elementwise ``a ** b`` (either may be a scalar), computed at once in the C++ core.

    Dtypes follow ``np.power`` (bits give int8; an int8 object to a Python int
    power stays int8). Integer powers wrap on overflow as in NumPy, and a
    negative integer exponent raises ValueError, as NumPy does.
    """
    x, y = as_operand(a), as_operand(b)
    if x is None or y is None:
        return NotImplemented
    (cx, cy), result = resolve_inputs("power", operand_type(x), operand_type(y))
    for scalar, compute in ((x, cx), (y, cy)):
        if _outside_range(scalar, compute):
            raise OverflowError(f"Python integer {scalar} out of bounds for {compute.name}")
    shape = _lazy.broadcast_shape(getattr(x, "shape", ()), getattr(y, "shape", ()))
    out = _core.Array.empty(list(shape), cx.core, False)
    _core.power(_handle_as(x, cx, shape), _handle_as(y, cx, shape), out)
    if result is not cx:
        out = out.astype(result.core)
    return _ArrayBase._wrap(out)


# ---- order and truth reductions --------------------------------------------------------


def _array_operand(a: Any, what: str) -> Any:
    x = as_operand(a)
    if x is None or not isinstance(x, _ArrayBase):
        raise TypeError(f"{what} expects a pycauset Matrix or Vector, got {type(a).__name__}")
    return x


def _reduced_length(x: Any, ax: int) -> int:
    return 1 if ax == -1 else x.shape[1] if ax == 0 else x.shape[0]


def _truth(x: Any, ax: int, keepdims: bool, is_all: bool) -> Any:
    out = _core.Array.empty([_reduced_length(x, ax)], _dtypes.uint8.core, False)
    _core.reduce_any_all(x._h, ax, is_all, out)
    if ax == -1:
        value = np.bool_(out.get(0, 0))
        return _keep(x, value, _dtypes.bit) if keepdims else value
    return _finish(x, out.astype(_dtypes.bit.core), ax, keepdims, _dtypes.bit)


def reduce_any(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Whether any element is nonzero (NaN counts), like ``np.any``: a NumPy bool for
    ``axis=None``, else a bit Vector (a Matrix with ``keepdims=True``)."""
    x = _array_operand(a, "any")
    return _truth(x, _normalize_axis(axis, x.ndim), bool(keepdims), is_all=False)


def reduce_all(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Whether every element is nonzero, like ``np.all``; see :func:`reduce_any`."""
    x = _array_operand(a, "all")
    return _truth(x, _normalize_axis(axis, x.ndim), bool(keepdims), is_all=True)


def minmax(a: Any, axis: Any = None, keepdims: bool = False, *, is_max: bool) -> Any:
    """``a.min()`` / ``a.max()``: NaN propagates, complex orders lexicographically,
    an empty reduction raises ValueError (NumPy's message); bit objects give all/any."""
    name = "maximum" if is_max else "minimum"
    x = _array_operand(a, "max" if is_max else "min")
    ax = _normalize_axis(axis, x.ndim)
    if x.dtype is _dtypes.bit:
        reduced = x.size if ax == -1 else x.shape[ax]
        if reduced == 0:
            raise ValueError(f"zero-size array to reduction operation {name} which has no identity")
        return _truth(x, ax, bool(keepdims), is_all=not is_max)
    out = _core.Array.empty([_reduced_length(x, ax)], x.dtype.core, False)
    _core.reduce_minmax(x._h, ax, is_max, out)
    return _finish(x, out, ax, bool(keepdims), x.dtype)


# ---- reshaping ---------------------------------------------------------------------------


def reshape(a: Any, shape: Any) -> Any:
    """``a.reshape(shape)``: an int or a tuple of one or two ints, one of which may be -1.

    A view when ``a`` is contiguous and not bit, else a copy (as NumPy).
    """
    x = _array_operand(a, "reshape")
    try:
        dims = [operator.index(shape)]
    except TypeError:
        try:
            dims = [operator.index(n) for n in shape]
        except TypeError:
            raise TypeError(f"shape must be an int or a tuple of ints, got {shape!r}") from None
    if len(dims) not in (1, 2):
        raise ValueError(
            f"cannot reshape into {len(dims)} dimensions: pycauset objects are 1-D or 2-D"
        )
    unknown = [k for k, n in enumerate(dims) if n == -1]
    if len(unknown) > 1:
        raise ValueError("can only specify one unknown dimension")
    if any_negative := [n for n in dims if n < -1]:
        raise ValueError(f"negative dimensions not allowed: {any_negative[0]}")
    size = x.size
    if unknown:
        known = math.prod(n for n in dims if n != -1)
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape array of size {size} into shape {tuple(dims)}")
        dims[unknown[0]] = size // known
    if math.prod(dims) != size:
        raise ValueError(f"cannot reshape array of size {size} into shape {tuple(dims)}")
    return _ArrayBase._wrap(x._h.reshape(dims))


def diagonal(a: Any, offset: int = 0) -> Any:
    """A copy of the ``offset`` diagonal of a matrix (``np.diagonal`` for 2-D)."""
    x = _array_operand(a, "diagonal")
    if x.ndim != 2:
        raise ValueError("diag requires an array of at least two dimensions (got a Vector)")
    k = operator.index(offset)
    h = x._h
    rows, cols = h.shape
    if k >= cols or -k >= rows:
        return _ArrayBase._wrap(_core.Array.empty([0], x.dtype.core, False))
    sub = h.slice(1, k, 1, cols - k) if k > 0 else h.slice(0, -k, 1, rows + k) if k < 0 else h
    return _ArrayBase._wrap(sub.diagonal().copy())


# ---- closeness and equality ----------------------------------------------------------------


def _float_operand(v: Any) -> Any:
    """v as NumPy's isclose sees it: in a dtype at least as precise as float (result_type(v, 1.0))."""
    if isinstance(v, _ArrayBase):
        target = _dtypes.from_numpy(np.result_type(v.dtype.numpy, 1.0))
        return v if target is v.dtype else v.astype(target)
    if isinstance(v, (bool, int, np.bool_, np.integer)):
        return float(v)
    return v


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Any:
    """Elementwise ``|a - b| <= atol + rtol * |b|`` (NumPy's ``isclose``), as a bit object.

    Computed by pycauset's own elementwise kernels (nothing is exported).
    Infinities are close only to the same infinity; NaN only to NaN when
    ``equal_nan`` is true.
    """
    x, y = as_operand(a), as_operand(b)
    if x is None or y is None:
        raise TypeError(f"isclose: unsupported operand types {type(a).__name__} and {type(b).__name__}")
    if not isinstance(x, _ArrayBase) and not isinstance(y, _ArrayBase):
        return np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)
    y = _float_operand(y)
    finite_y = (y - y) == 0  # False for inf and NaN
    close = (abs(x - y) <= atol + rtol * abs(y)) & finite_y | (x == y)
    if equal_nan:
        close = close | ((x != x) & (y != y))
    return close


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether every element of ``a`` is close to ``b`` (NumPy's ``allclose``), natively."""
    close = isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return bool(close.all() if isinstance(close, _ArrayBase) else np.all(close))


def array_equal(a1: Any, a2: Any, equal_nan: bool = False) -> bool:
    """True when both have the same shape and elements (NumPy's ``array_equal``), natively."""
    x, y = as_operand(a1), as_operand(a2)
    if x is None or y is None:
        return False
    if getattr(x, "shape", ()) != getattr(y, "shape", ()):
        return False
    same = x == y
    if equal_nan:
        same = same | ((x != x) & (y != y))
    return bool(same.all() if isinstance(same, _ArrayBase) else same)


# ---- NumPy protocols -----------------------------------------------------------------

_UFUNC_BINARY = {np.add: "add", np.subtract: "subtract", np.multiply: "multiply", np.true_divide: "divide"}
_UFUNC_UNARY = {np.negative: "negative", np.positive: "positive"}


def array_ufunc(ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    """The allowlist of numpy-interop.md; NotImplemented for everything else."""
    if method == "__call__" and not kwargs:
        if ufunc in _UFUNC_BINARY and len(inputs) == 2:
            return binary(_UFUNC_BINARY[ufunc], *inputs)
        if ufunc in _UFUNC_UNARY and len(inputs) == 1:
            return unary(_UFUNC_UNARY[ufunc], inputs[0])
        if ufunc is np.matmul and len(inputs) == 2:
            return matmul_operator(*inputs)
        if ufunc is np.power and len(inputs) == 2:
            return power(*inputs)
    if method == "reduce" and ufunc is np.add and len(inputs) == 1:
        allowed = {"axis", "dtype", "keepdims"}
        if set(kwargs) <= allowed and kwargs.get("out") is None:
            return sum(inputs[0], axis=kwargs.get("axis", 0), dtype=kwargs.get("dtype"),
                       keepdims=kwargs.get("keepdims", False))
    return NotImplemented


def array_function(func: Any, args: tuple, kwargs: dict) -> Any:
    handler = _FUNCTIONS.get(func)
    if handler is None:
        return NotImplemented
    return handler(*args, **kwargs)


def _np_sum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
            **rest: Any) -> Any:
    if out is not None or rest:
        raise TypeError("np.sum on pycauset objects supports axis=, dtype= and keepdims= only")
    return sum(a, axis=axis, dtype=dtype, keepdims=bool(keepdims))


def _np_mean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
             **rest: Any) -> Any:
    if out is not None or rest:
        raise TypeError("np.mean on pycauset objects supports axis=, dtype= and keepdims= only")
    return mean(a, axis=axis, dtype=dtype, keepdims=bool(keepdims))


def _np_dot(a: Any, b: Any, out: Any = None) -> Any:
    if out is not None:
        raise TypeError("np.dot on pycauset objects does not support out=")
    return dot(a, b)


def _np_matmul(a: Any, b: Any, /, out: Any = None, **rest: Any) -> Any:
    if out is not None or rest:
        raise TypeError("np.matmul on pycauset objects does not support out= or other keywords")
    return matmul(a, b)


def _only(name: str, rest: dict, **defaults: Any) -> None:
    """Raise TypeError for keywords pycauset does not support (left at NumPy's defaults is fine)."""
    for key, value in rest.items():
        if key not in defaults or value is not defaults[key]:
            raise TypeError(f"np.{name} on pycauset objects does not support {key}=")


def _np_shape(a: Any) -> tuple:
    return tuple(a.shape)


def _np_ndim(a: Any) -> int:
    return int(a.ndim)


def _np_size(a: Any, axis: Any = None) -> int:
    if axis is None:
        return int(a.size)
    ax = operator.index(axis)
    if not -a.ndim <= ax < a.ndim:
        raise np.exceptions.AxisError(ax, a.ndim)
    return int(a.shape[ax])


def _reducer(name: str, fn: Any) -> Any:
    def handler(a: Any, axis: Any = None, out: Any = None, keepdims: Any = False, **rest: Any) -> Any:
        _only(name, {"out": out, **rest}, out=None, initial=np._NoValue, where=True)
        return fn(a, axis, False if keepdims is np._NoValue else bool(keepdims))

    return handler


def _np_reshape(a: Any, shape: Any = None, order: str = "C", **rest: Any) -> Any:
    if shape is None:
        shape = rest.pop("newshape", None)
    _only("reshape", rest, copy=None)
    if order != "C":
        raise ValueError("pycauset reshapes in row-major order only (order='C')")
    return reshape(a, shape)


def _np_ravel(a: Any, order: str = "C") -> Any:
    if order != "C":
        raise ValueError("pycauset ravels in row-major order only (order='C')")
    return reshape(a, -1)


def _np_diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    if (axis1, axis2) != (0, 1):
        raise ValueError("np.diagonal on pycauset objects supports axis1=0, axis2=1 only")
    return diagonal(a, offset)


_FUNCTIONS = {
    np.sum: _np_sum, np.mean: _np_mean, np.dot: _np_dot, np.matmul: _np_matmul,
    np.shape: _np_shape, np.ndim: _np_ndim, np.size: _np_size,
    np.min: _reducer("min", lambda a, ax, kd: minmax(a, ax, kd, is_max=False)),
    np.max: _reducer("max", lambda a, ax, kd: minmax(a, ax, kd, is_max=True)),
    np.amin: _reducer("amin", lambda a, ax, kd: minmax(a, ax, kd, is_max=False)),
    np.amax: _reducer("amax", lambda a, ax, kd: minmax(a, ax, kd, is_max=True)),
    np.any: _reducer("any", reduce_any), np.all: _reducer("all", reduce_all),
    np.reshape: _np_reshape, np.ravel: _np_ravel, np.diagonal: _np_diagonal,
    np.isclose: isclose, np.allclose: allclose, np.array_equal: array_equal,
}

#: What NumPy routes to pycauset (documented in docs/numpy-interop.md; a test
#: checks that this stays as documented).
UFUNC_ALLOWLIST = ("add", "subtract", "multiply", "divide", "true_divide", "negative", "positive",
                   "matmul", "power", "add.reduce")
FUNCTION_ALLOWLIST = ("dot", "matmul", "sum", "mean", "shape", "ndim", "size", "min", "max", "amin",
                      "amax", "any", "all", "reshape", "ravel", "diagonal", "isclose", "allclose",
                      "array_equal")
