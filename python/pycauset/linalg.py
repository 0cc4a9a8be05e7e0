"""pycauset.linalg: linear algebra mirroring ``numpy.linalg``.

Dense in-RAM routines on pycauset objects (and NumPy arrays, which are imported
first), computed by the bundled OpenBLAS/LAPACK with the process's BLAS threads
(:func:`pycauset.set_num_threads`). Results are new pycauset objects, created
through the memory governor like any other.

Result dtypes follow ``numpy.linalg``: float32, float64, complex64 and
complex128 give results of their own dtype; integers and ``bit`` give float64;
mixed operands use NumPy's rule (single precision only when every operand is
single precision, complex when any operand is complex). Documented deviations:

* ``float16`` is promoted to float32 (NumPy raises ``TypeError`` for float16).
* float32/complex64 input is computed in single precision by LAPACK's s/c
  routines (twice the speed, half the memory of double). NumPy computes it in
  double precision and rounds the result, so single-precision results agree
  with NumPy to single-precision accuracy (relative error about
  ``cond(A) * 1e-7``), not bit for bit, and the order of :func:`eig`'s
  eigenvalues may differ. float64 and complex128 run exactly NumPy's LAPACK
  calls for :func:`eigh`, :func:`eigvalsh`, :func:`eig` and :func:`eigvals`.
* Only 1-D and 2-D inputs: stacks of matrices (NumPy's batched ``...`` axes)
  raise ``ValueError``; :func:`norm` supports ``axis=None`` only.

Structure: a matrix whose ``properties["structure"]`` is ``"upper_triangular"``,
``"lower_triangular"`` or ``"diagonal"`` (causal matrices are upper triangular)
makes :func:`inv` and :func:`solve` use triangular routines (LAPACK trtri /
trtrs, BLAS trsm), which read only that triangle: O(n^3/3) for the inverse and
O(n^2) per right-hand side for a solve. The mark is trusted, not checked.

Errors: :class:`LinAlgError` (a subclass of ``numpy.linalg.LinAlgError``, so
``except numpy.linalg.LinAlgError`` catches it) for singular matrices,
non-square matrices, 1-D matrix arguments and eigenvalue non-convergence;
``ValueError`` for right-hand sides of the wrong shape and for stacks (3-D and
up: NumPy's batched linear algebra is not supported); ``TypeError`` for inputs
that are neither pycauset objects nor NumPy arrays.

>>> import numpy as np, pycauset as pc
>>> A = pc.matrix([[4.0, 1.0], [2.0, 3.0]])
>>> x = pc.linalg.solve(A, pc.vector([1.0, 2.0]))
>>> np.allclose(np.asarray(A) @ np.asarray(x), [1.0, 2.0])
True
"""

from __future__ import annotations

import math
import operator
from typing import Any, NamedTuple, Optional, Union

import numpy as np

from . import _core, _dtypes
from ._array import Matrix, Vector, _ArrayBase
from ._factories import matrix as _matrix
from ._factories import vector as _vector

__all__ = [
    "LinAlgError",
    "inv",
    "solve",
    "det",
    "slogdet",
    "eigh",
    "eigvalsh",
    "eig",
    "eigvals",
    "norm",
    "solve_triangular",
    "inv_triangular",
    "SlogdetResult",
    "EighResult",
    "EigResult",
]

LinAlgError = _core.LinAlgError
_la = _core.linalg

#: What a matrix or vector argument may be.
ArrayLike = Union[Matrix, Vector, np.ndarray]

# structure mark -> whether the matrix is lower triangular (diagonal counts as upper).
_TRIANGULAR = {"upper_triangular": False, "lower_triangular": True, "diagonal": False}
_SINGLE = {"float16", "float32", "complex_float32"}


class SlogdetResult(NamedTuple):
    """Result of :func:`slogdet`: ``det = sign * exp(logabsdet)``."""

    sign: Any
    logabsdet: Any


class EighResult(NamedTuple):
    """Result of :func:`eigh`: ascending real eigenvalues and orthonormal eigenvectors
    (the columns of ``eigenvectors``)."""

    eigenvalues: Vector
    eigenvectors: Matrix


class EigResult(NamedTuple):
    """Result of :func:`eig`: eigenvalues and right eigenvectors (columns, unit length)."""

    eigenvalues: Vector
    eigenvectors: Matrix


# ---- argument handling ---------------------------------------------------------


def _operand(x: Any, name: str, func: str) -> _ArrayBase:
    """A pycauset object for a pycauset object or a 1-D/2-D ndarray (imported)."""
    if isinstance(x, _ArrayBase):
        return x._materialized()
    if isinstance(x, np.ndarray):
        if x.ndim == 2:
            return _matrix(x)
        if x.ndim == 1:
            return _vector(x)
        if x.ndim == 0:
            raise LinAlgError(
                "0-dimensional array given. Array must be at least two-dimensional"
            )
        raise ValueError(
            f"pycauset.linalg.{func}: {name} has {x.ndim} dimensions; stacks of matrices "
            "(batched linear algebra) are not supported, pass one 2-D matrix at a time"
        )
    raise TypeError(
        f"pycauset.linalg.{func}: {name} must be a pycauset Matrix or Vector or a "
        f"numpy.ndarray, got {type(x).__name__} (convert it with pycauset.matrix/vector)"
    )


def _compute_dtype(*dtypes: _dtypes.DType) -> _dtypes.DType:
    """The LAPACK dtype numpy.linalg would compute in (float16 -> float32, see module doc)."""
    is_complex = any(d.kind == "c" for d in dtypes)
    single = all(d.name in _SINGLE for d in dtypes)
    if is_complex:
        return _dtypes.dtype("complex_float32" if single else "complex_float64")
    return _dtypes.dtype("float32" if single else "float64")


def _real(dtype: _dtypes.DType) -> _dtypes.DType:
    return {"complex_float32": _dtypes.dtype("float32"),
            "complex_float64": _dtypes.dtype("float64")}.get(dtype.name, dtype)


def _triangle(a: _ArrayBase) -> Optional[bool]:
    """True/False (lower/upper) when ``a`` is marked triangular (or diagonal), else None."""
    if a.ndim != 2:
        return None
    return _TRIANGULAR.get(a.properties.get("structure"))


def _wrap(handle: Any, properties: Optional[dict] = None) -> Any:
    return _ArrayBase._wrap(handle, properties)


# ---- inverse and solve ---------------------------------------------------------


def inv(a: ArrayLike) -> Matrix:
    """Compute the inverse of a square matrix.

    LU factorisation with partial pivoting (LAPACK ``getrf``), then the inverse
    from the factors as LAPACK ``getri`` forms it, ``inv(A) = inv(U) inv(L) P^T``
    (``trtri`` for ``inv(U)``, one ``trsm`` for ``inv(L)``): about 2n^3 flops,
    where ``numpy.linalg.inv`` solves against the identity (8/3 n^3).
    A matrix marked ``upper_triangular``, ``lower_triangular`` or ``diagonal``
    in ``properties["structure"]`` is inverted with ``trtri`` (n^3/3 flops)
    from that triangle only, and the result carries the same mark.

    Parameters
    ----------
    a : Matrix or numpy.ndarray, shape (n, n)
        Matrix to invert, of any dtype (see the module doc for the result dtype).

    Returns
    -------
    Matrix, shape (n, n)
        The inverse, a new matrix.

    Raises
    ------
    LinAlgError
        If ``a`` is singular, not square, or not 2-D.
    TypeError
        If ``a`` is neither a pycauset object nor a NumPy array.

    See Also
    --------
    numpy.linalg.inv, inv_triangular, solve

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> A = pc.matrix([[1.0, 2.0], [3.0, 4.0]])
    >>> np.asarray(pc.linalg.inv(A))
    array([[-2. ,  1. ],
           [ 1.5, -0.5]])
    """
    A = _operand(a, "a", "inv")
    dtype = _compute_dtype(A.dtype)
    lower = _triangle(A)
    if lower is not None:
        h = _la.inv_triangular(A._h, dtype.name, lower, False)
        return _wrap(h, {"structure": A.properties["structure"]})
    return _wrap(_la.inv(A._h, dtype.name))


def inv_triangular(a: ArrayLike, lower: bool = False, unit_diagonal: bool = False) -> Matrix:
    """Invert a triangular matrix, reading only its upper (or lower) triangle.

    LAPACK ``trtri``: n^3/3 flops. The other triangle of ``a`` is ignored and is
    zero in the result, which is marked ``upper_triangular`` (or
    ``lower_triangular``).

    Parameters
    ----------
    a : Matrix or numpy.ndarray, shape (n, n)
        The matrix; only the triangle named by ``lower`` is read.
    lower : bool, default False
        Use the lower triangle instead of the upper one.
    unit_diagonal : bool, default False
        Assume ones on the diagonal without reading it.

    Returns
    -------
    Matrix, shape (n, n)

    Raises
    ------
    LinAlgError
        If a diagonal element is zero (singular), or ``a`` is not square.

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> U = pc.matrix([[2.0, 1.0], [0.0, 4.0]])
    >>> Ui = pc.linalg.inv_triangular(U)
    >>> np.asarray(Ui), Ui.properties["structure"]
    (array([[ 0.5  , -0.125],
           [ 0.   ,  0.25 ]]), 'upper_triangular')
    """
    A = _operand(a, "a", "inv_triangular")
    dtype = _compute_dtype(A.dtype)
    h = _la.inv_triangular(A._h, dtype.name, bool(lower), bool(unit_diagonal))
    return _wrap(h, {"structure": "lower_triangular" if lower else "upper_triangular"})


def solve(a: ArrayLike, b: ArrayLike) -> Union[Vector, Matrix]:
    """Solve the linear system ``a @ x = b``.

    LU factorisation with partial pivoting and triangular solves (never the
    inverse). When ``a`` is marked triangular (or diagonal) in
    ``properties["structure"]``, only the triangular solve runs.

    Parameters
    ----------
    a : Matrix or numpy.ndarray, shape (n, n)
        Coefficient matrix.
    b : Vector, Matrix or numpy.ndarray, shape (n,) or (n, k)
        Right-hand side; a 1-D ``b`` gives a Vector, a 2-D one a Matrix (as in
        NumPy 2, ``b`` is a vector only when it is 1-D).

    Returns
    -------
    Vector or Matrix
        The solution, shaped like ``b``, in the common dtype of ``a`` and ``b``.

    Raises
    ------
    LinAlgError
        If ``a`` is singular, not square, or not 2-D.
    ValueError
        If ``b`` does not have n rows.

    See Also
    --------
    numpy.linalg.solve, solve_triangular

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> A = pc.matrix([[3.0, 1.0], [1.0, 2.0]])
    >>> np.asarray(pc.linalg.solve(A, np.array([9.0, 8.0])))
    array([2., 3.])
    """
    A = _operand(a, "a", "solve")
    B = _operand(b, "b", "solve")
    dtype = _compute_dtype(A.dtype, B.dtype)
    lower = _triangle(A)
    if lower is not None:
        return _wrap(_la.solve_triangular(A._h, B._h, dtype.name, lower, False))
    return _wrap(_la.solve(A._h, B._h, dtype.name))


def solve_triangular(
    a: ArrayLike, b: ArrayLike, lower: bool = False, unit_diagonal: bool = False
) -> Union[Vector, Matrix]:
    """Solve ``a @ x = b`` for triangular ``a``, reading only one triangle of ``a``.

    Like ``scipy.linalg.solve_triangular``: LAPACK ``trtrs`` for a vector,
    BLAS ``trsm`` for a matrix right-hand side, O(n^2 k) flops. ``a`` is used
    in place (not copied) when it already has the compute dtype and a
    row- or column-contiguous layout.

    Parameters
    ----------
    a : Matrix or numpy.ndarray, shape (n, n)
        The triangular matrix; the other triangle is ignored.
    b : Vector, Matrix or numpy.ndarray, shape (n,) or (n, k)
    lower : bool, default False
        Use the lower triangle of ``a`` instead of the upper one.
    unit_diagonal : bool, default False
        Assume ones on the diagonal without reading it.

    Returns
    -------
    Vector or Matrix, shaped like ``b``

    Raises
    ------
    LinAlgError
        If a diagonal element is zero (singular), or ``a`` is not square.
    ValueError
        If ``b`` does not have n rows.

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> U = pc.matrix([[2.0, 1.0], [0.0, 4.0]])
    >>> np.asarray(pc.linalg.solve_triangular(U, pc.vector([4.0, 8.0])))
    array([1., 2.])
    """
    A = _operand(a, "a", "solve_triangular")
    B = _operand(b, "b", "solve_triangular")
    dtype = _compute_dtype(A.dtype, B.dtype)
    return _wrap(_la.solve_triangular(A._h, B._h, dtype.name, bool(lower), bool(unit_diagonal)))


# ---- determinants --------------------------------------------------------------


def det(a: ArrayLike) -> Any:
    """Compute the determinant of a square matrix.

    From the LU factorisation; a singular matrix gives 0 (no error), as in
    NumPy. The product of the pivots is accumulated in double precision with
    exponent rescaling, so it overflows or underflows only when the
    determinant itself does.

    Parameters
    ----------
    a : Matrix or numpy.ndarray, shape (n, n)

    Returns
    -------
    numpy scalar
        ``float64`` (``float32``, ``complex64`` or ``complex128`` for those inputs).

    Raises
    ------
    LinAlgError
        If ``a`` is not square or not 2-D.

    See Also
    --------
    numpy.linalg.det, slogdet

    Examples
    --------
    >>> import pycauset as pc
    >>> float(pc.linalg.det(pc.matrix([[1.0, 2.0], [3.0, 4.0]])))
    -2.0
    """
    A = _operand(a, "a", "det")
    dtype = _compute_dtype(A.dtype)
    return dtype.numpy.type(_la.det(A._h, dtype.name))


def slogdet(a: ArrayLike) -> SlogdetResult:
    """Compute the sign and natural logarithm of the absolute determinant.

    Parameters
    ----------
    a : Matrix or numpy.ndarray, shape (n, n)

    Returns
    -------
    SlogdetResult
        ``(sign, logabsdet)``: ``sign`` is 1, -1 or 0 for real input, a complex
        number of modulus 1 (or 0) for complex input; ``logabsdet`` is real, and
        ``-inf`` for a singular matrix (with sign 0). NumPy scalars of the
        compute dtype (and its real counterpart).

    Raises
    ------
    LinAlgError
        If ``a`` is not square or not 2-D.

    See Also
    --------
    numpy.linalg.slogdet

    Examples
    --------
    >>> import pycauset as pc
    >>> sign, logabsdet = pc.linalg.slogdet(pc.matrix([[1.0, 2.0], [3.0, 4.0]]))
    >>> float(sign), round(float(logabsdet), 6)
    (-1.0, 0.693147)
    """
    A = _operand(a, "a", "slogdet")
    dtype = _compute_dtype(A.dtype)
    sign, logabsdet = _la.slogdet(A._h, dtype.name)
    return SlogdetResult(dtype.numpy.type(sign), _real(dtype).numpy.type(logabsdet))


# ---- eigenproblems -------------------------------------------------------------


def _uplo(UPLO: str) -> bool:
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return UPLO == "L"


def eigh(a: ArrayLike, UPLO: str = "L") -> EighResult:
    """Eigenvalues and eigenvectors of a real symmetric or complex Hermitian matrix.

    LAPACK ``syevd`` / ``heevd`` on exactly the matrix ``numpy.linalg.eigh`` uses.

    Parameters
    ----------
    a : Matrix or numpy.ndarray, shape (n, n)
        Only the lower (``UPLO="L"``) or upper (``"U"``) triangle is read; the
        matrix is taken to be symmetric/Hermitian.
    UPLO : {"L", "U"}, default "L"

    Returns
    -------
    EighResult
        ``eigenvalues``: Vector (n,), ascending, real dtype; ``eigenvectors``:
        Matrix (n, n) whose column ``i`` is the unit eigenvector of eigenvalue ``i``.

    Raises
    ------
    LinAlgError
        If the eigenvalue computation does not converge, or ``a`` is not square.

    See Also
    --------
    numpy.linalg.eigh, eigvalsh

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> w, V = pc.linalg.eigh(pc.matrix([[2.0, 1.0], [1.0, 2.0]]))
    >>> np.asarray(w)
    array([1., 3.])
    """
    lower = _uplo(UPLO)
    A = _operand(a, "a", "eigh")
    dtype = _compute_dtype(A.dtype)
    w, v = _la.eigh(A._h, dtype.name, lower, True)
    return EighResult(_wrap(w), _wrap(v))


def eigvalsh(a: ArrayLike, UPLO: str = "L") -> Vector:
    """Eigenvalues of a real symmetric or complex Hermitian matrix, ascending.

    Parameters and errors as :func:`eigh`; no eigenvectors are computed.

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> np.asarray(pc.linalg.eigvalsh(pc.matrix([[2.0, 1.0], [1.0, 2.0]])))
    array([1., 3.])
    """
    lower = _uplo(UPLO)
    A = _operand(a, "a", "eigvalsh")
    dtype = _compute_dtype(A.dtype)
    w, _ = _la.eigh(A._h, dtype.name, lower, False)
    return _wrap(w)


def eig(a: ArrayLike) -> EigResult:
    """Eigenvalues and right eigenvectors of a general square matrix.

    LAPACK ``geev``. As in NumPy, real input gives real results when every
    eigenvalue is real and complex results otherwise; complex input gives
    complex results. Eigenvalues are in no particular order (LAPACK's, which is
    NumPy's, since the same routine sees the same matrix).

    Parameters
    ----------
    a : Matrix or numpy.ndarray, shape (n, n)

    Returns
    -------
    EigResult
        ``eigenvalues``: Vector (n,); ``eigenvectors``: Matrix (n, n) whose
        column ``i`` is the unit-length eigenvector of eigenvalue ``i``.

    Raises
    ------
    LinAlgError
        If the eigenvalue computation does not converge, or ``a`` is not square.

    See Also
    --------
    numpy.linalg.eig, eigvals, eigh

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> w, V = pc.linalg.eig(pc.matrix([[0.0, -1.0], [1.0, 0.0]]))
    >>> np.asarray(w)
    array([0.+1.j, 0.-1.j])
    """
    A = _operand(a, "a", "eig")
    dtype = _compute_dtype(A.dtype)
    w, v = _la.eig(A._h, dtype.name, True)
    return EigResult(_wrap(w), _wrap(v))


def eigvals(a: ArrayLike) -> Vector:
    """Eigenvalues of a general square matrix (real when all are real, as in NumPy).

    Parameters and errors as :func:`eig`; no eigenvectors are computed.

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> np.asarray(pc.linalg.eigvals(pc.matrix([[2.0, 0.0], [0.0, 3.0]])))
    array([2., 3.])
    """
    A = _operand(a, "a", "eigvals")
    dtype = _compute_dtype(A.dtype)
    w, _ = _la.eig(A._h, dtype.name, False)
    return _wrap(w)


# ---- norms ---------------------------------------------------------------------

_MATRIX_ORDS = {1: "1", -1: "-1", math.inf: "inf", -math.inf: "-inf"}


def norm(x: ArrayLike, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Matrix or vector norm, computed from the pycauset object without exporting it.

    ===========  ============================  ==========================
    ord          matrix                        vector
    ===========  ============================  ==========================
    None         Frobenius                     2-norm
    'fro'        Frobenius                     --
    'nuc'        sum of singular values        --
    inf          max(sum(abs(x), axis=1))      max(abs(x))
    -inf         min(sum(abs(x), axis=1))      min(abs(x))
    0            --                            number of non-zeros
    1            max(sum(abs(x), axis=0))      sum(abs(x))
    -1           min(sum(abs(x), axis=0))      as below
    2            largest singular value        2-norm
    -2           smallest singular value       as below
    other        --                            sum(abs(x)**ord)**(1./ord)
    ===========  ============================  ==========================

    Sums are accumulated in double precision in one streaming pass (blocks
    converted on the fly, on the thread pool); the singular-value norms use
    LAPACK ``gesdd``.

    Parameters
    ----------
    x : Matrix, Vector or numpy.ndarray
    ord : {None, 'fro', 'nuc', inf, -inf, 0, 1, -1, 2, -2} or number, optional
    axis : None
        Only ``None`` (the whole object) is supported.
    keepdims : bool
        Only ``False`` is supported.

    Returns
    -------
    numpy scalar
        The real dtype of ``x`` for floating/complex input (``float16`` stays
        ``float16``, as in NumPy), ``float64`` for integers and ``bit``.

    Raises
    ------
    ValueError
        For an order that does not apply to the input's rank, and for max/min
        based norms of an empty object.
    NotImplementedError
        For ``axis`` other than None or ``keepdims=True``.

    Examples
    --------
    >>> import pycauset as pc
    >>> A = pc.matrix([[3.0, 0.0], [0.0, -4.0]])
    >>> float(pc.linalg.norm(A)), float(pc.linalg.norm(A, 1)), float(pc.linalg.norm(A[1], 1))
    (5.0, 4.0, 4.0)
    """
    X = _operand(x, "x", "norm")
    if axis is not None or keepdims:
        raise NotImplementedError(
            "pycauset.linalg.norm: only axis=None and keepdims=False are supported; "
            "take row/column views (A[i], A[:, j]) for norms along an axis"
        )
    result_type = _real(X.dtype).numpy.type if X.dtype.kind in "fc" else np.float64
    h = X._h
    if X.ndim == 1:
        if isinstance(ord, str):
            raise ValueError(f"Invalid norm order '{ord}' for vectors")
        p = 2.0 if ord is None else _float_ord(ord)
        return result_type(_la.vector_norm(h, p))
    if ord is None or ord == "fro":
        return result_type(_la.vector_norm(h, 2.0))
    if ord == "nuc" or (not isinstance(ord, str) and _float_ord(ord) in (2.0, -2.0)):
        s = np.asarray(_wrap(_la.svdvals(h, _compute_dtype(X.dtype).name)), dtype=np.float64)
        if ord == "nuc":
            return result_type(s.sum())
        if s.size == 0:
            raise ValueError("zero-size array to reduction operation which has no identity")
        return result_type(s.max() if _float_ord(ord) > 0 else s.min())
    if not isinstance(ord, str) and _float_ord(ord) in _MATRIX_ORDS:
        return result_type(_la.matrix_norm(h, _MATRIX_ORDS[_float_ord(ord)]))
    raise ValueError("Invalid norm order for matrices.")


def _float_ord(ord: Any) -> float:
    try:
        return float(operator.index(ord))
    except TypeError:
        pass
    try:
        return float(ord)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid norm order {ord!r}") from None


def __dir__() -> list:
    """The public names (``__all__``): helpers this module imports (numpy, typing,
    ...) are implementation details and stay out of ``dir()`` and tab completion."""
    return sorted(set(__all__) | {n for n in globals() if n.startswith("__")})
