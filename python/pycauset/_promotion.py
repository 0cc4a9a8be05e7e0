"""Type promotion: which dtype an operation computes in and returns.

One table for every operation, taken from NumPy's own type resolution
(``ufunc.resolve_dtypes``) so pycauset promotes exactly as NumPy does, including
NEP 50 "weak" Python scalars (``int8 matrix + 1`` stays int8). Documented
deviations: ``bit @ bit`` gives integer counts (NumPy gives bool; the core's
``bit_product_dtype`` decides, ``_ops.matmul`` asks it), and integer matmul/sum results are checked for overflow
instead of wrapping.
"""

from __future__ import annotations

import functools
from typing import Any, Tuple, Union

import numpy as np

from . import _dtypes
from ._dtypes import DType

__all__ = ["resolve", "resolve_inputs", "operand_type"]

# pycauset operator name -> NumPy ufunc whose type resolution we follow.
_UFUNCS = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.true_divide,
    "negative": np.negative, "positive": np.positive, "absolute": np.absolute,
    "conjugate": np.conjugate,
    "equal": np.equal, "not_equal": np.not_equal, "less": np.less, "less_equal": np.less_equal,
    "greater": np.greater, "greater_equal": np.greater_equal,
    "logical_and": np.bitwise_and, "logical_or": np.bitwise_or, "logical_xor": np.bitwise_xor,
    "invert": np.invert, "matmul": np.matmul, "power": np.power,
}

Operand = Union[DType, type]


def operand_type(value: Any) -> Operand:
    """What promotion sees of an operand: a DType, or ``int``/``float``/``complex``
    for a Python scalar (weak, as in NumPy 2). NumPy scalars are strongly typed."""
    if isinstance(value, np.generic):
        return _dtypes.from_numpy(value.dtype)
    if isinstance(value, bool):
        return _dtypes.bit
    for t in (int, float, complex):
        if isinstance(value, t):
            return t
    dtype = getattr(value, "dtype", None)
    if isinstance(dtype, DType):
        return dtype
    if isinstance(dtype, np.dtype):
        return _dtypes.from_numpy(dtype)
    raise TypeError(f"unsupported operand type {type(value).__name__}")


def resolve(op: str, *operands: Operand) -> Tuple[DType, DType]:
    """(compute dtype, result dtype) of ``op`` applied to operands of these types.

    Inputs are cast to the compute dtype, the operation runs in it, and the
    result has the result dtype (bit for comparisons). Raises TypeError when
    NumPy has no loop for the combination (e.g. subtracting bits).
    """
    inputs, result = resolve_inputs(op, *operands)
    return inputs[0], result


@functools.lru_cache(maxsize=None)
def resolve_inputs(op: str, *operands: Operand) -> Tuple[Tuple[DType, ...], DType]:
    """As ``resolve``, with one compute dtype per input: they differ only where NumPy
    has a mixed loop (comparing int64 with uint64 exactly)."""
    ufunc = _UFUNCS[op]
    np_ops = tuple(o if isinstance(o, type) else o.numpy for o in operands)
    try:
        resolved = ufunc.resolve_dtypes(np_ops + (None,))
    except (TypeError, np.exceptions.DTypePromotionError) as err:
        names = ", ".join(o.__name__ if isinstance(o, type) else o.name for o in operands)
        raise TypeError(f"{op} is not supported for operands of type ({names}): {err}") from None
    inputs = tuple(_dtypes.from_numpy(d) for d in resolved[:-1])
    return inputs, _dtypes.from_numpy(resolved[-1])
