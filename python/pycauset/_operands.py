"""Operand normalisation: the one rule for what operators and functions accept.

Every pycauset entry point that takes array operands (the arithmetic, comparison
and bit operators, ``@`` and :func:`pycauset.matmul`, the reductions, and every
``pycauset.linalg`` routine) normalises them here, so they all accept the same
things, as NumPy does in its operators and in ``numpy.linalg``:

* a pycauset Matrix or Vector: used as it is;
* a Python or NumPy scalar, or a 0-d ndarray: a scalar;
* a NumPy array, or a (nested) list or tuple: imported through the normal import
  path (:func:`pycauset.matrix` / :func:`pycauset.vector`, a copy), with its
  errors: ``ValueError`` for ragged nested sequences and for more than two
  dimensions, ``TypeError`` for dtypes pycauset does not support (object
  arrays, strings...);
* anything else: not an operand (operators return ``NotImplemented``, functions
  raise ``TypeError``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._array import _ArrayBase
from ._factories import matrix, vector

__all__ = ["SCALARS", "as_operand", "is_array"]

#: Python and NumPy scalar types accepted as scalar operands.
SCALARS = (bool, int, float, complex, np.generic)


def as_operand(x: Any) -> Any:
    """``x`` as a pycauset object or a scalar, or None when it is not an operand.

    Raises
    ------
    ValueError
        A ragged nested sequence, or an array-like of more than two dimensions.
    TypeError
        An array-like of a dtype pycauset does not support.

    Examples
    --------
    >>> from pycauset._operands import as_operand
    >>> as_operand([[1, 2], [3, 4]]).shape
    (2, 2)
    >>> as_operand(2.5), as_operand("text")
    (2.5, None)
    """
    if isinstance(x, _ArrayBase):
        return x
    if isinstance(x, SCALARS):
        return x
    if isinstance(x, (np.ndarray, list, tuple)):
        if isinstance(x, np.ndarray):
            arr = x
        else:
            try:
                arr = np.asarray(x)
            except ValueError as err:  # NumPy 2: inhomogeneous nesting
                raise ValueError(
                    f"operand is a ragged nested sequence ({err}); pass a rectangular list of numbers"
                ) from None
        if arr.ndim == 0:
            return arr[()]
        if arr.ndim > 2:
            raise ValueError(
                f"operand of shape {arr.shape} has {arr.ndim} dimensions: pycauset objects are 1-D or "
                "2-D, and stacks of matrices (batched linear algebra) are not supported; pass one "
                "2-D matrix at a time"
            )
        if arr.dtype == object:
            raise TypeError(
                "operand is a ragged or non-numeric sequence (NumPy made an object array of it); "
                "pass a rectangular list of numbers"
            )
        return vector(arr) if arr.ndim == 1 else matrix(arr)
    return None


def is_array(x: Any) -> bool:
    """Whether a normalised operand is a pycauset object (not a scalar)."""
    return isinstance(x, _ArrayBase)
