"""pycauset.linalg: linear algebra mirroring ``numpy.linalg``.

Dense in-RAM routines on pycauset objects (and NumPy arrays and lists, which are
imported first, as :func:`pycauset.matmul` does), computed by the bundled OpenBLAS/LAPACK with the process's BLAS threads
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
* Ctrl-C: a long in-RAM call runs its LAPACK work on a worker thread, which owns
  private copies of the inputs, while the calling thread checks for Ctrl-C every
  50 ms, so ``KeyboardInterrupt`` arrives at once. LAPACK cannot be stopped in
  the middle of a routine, though: the interrupted call goes on in the
  background until it finishes (the CPU stays busy, and the memory it holds
  stays in use, until then), then frees everything; the interpreter waits for
  such calls at exit. Out-of-core calls stop at their next panel instead.
* Only 1-D and 2-D inputs: stacks of matrices (NumPy's batched ``...`` axes)
  raise ``ValueError``; :func:`norm` supports ``axis=None`` only.

Structure: a matrix whose ``properties["structure"]`` is triangular (upper,
lower, strictly upper or strictly lower) or ``"diagonal"`` (causal matrices are
strictly upper triangular) makes :func:`inv` and :func:`solve` use triangular
routines (a recursive triangular inverse built on BLAS trmm, LAPACK trtrs, BLAS trsm), which read only that triangle:
O(n^3/3) for the inverse and O(n^2) per right-hand side for a solve; a
strictly triangular matrix is singular (``LinAlgError``, as NumPy says). The
decision is the C++ core's, on the mark the matrix carries, which is checked
when it is set and kept true through writes (see
:attr:`pycauset.Matrix.properties`). Results whose structure a routine
guarantees carry it (``inv_triangular``, ``cholesky``, a square ``qr`` R).

Errors: :class:`LinAlgError` (a subclass of ``numpy.linalg.LinAlgError``, so
``except numpy.linalg.LinAlgError`` catches it) for singular matrices,
non-square matrices, 1-D matrix arguments and eigenvalue non-convergence;
``ValueError`` for right-hand sides of the wrong shape and for stacks (3-D and
up: NumPy's batched linear algebra is not supported); ``TypeError`` for inputs
that are neither pycauset objects, NumPy arrays nor lists; ``MemoryError`` when
:func:`svd`, :func:`qr`, :func:`cholesky`, :func:`lstsq` or :func:`pinv` would
need more RAM than the memory budget leaves (they have no out-of-core variant).

>>> import numpy as np, pycauset as pc
>>> A = pc.matrix([[4.0, 1.0], [2.0, 3.0]])
>>> x = pc.linalg.solve(A, pc.vector([1.0, 2.0]))
>>> np.allclose(np.asarray(A) @ np.asarray(x), [1.0, 2.0])
True
"""

from __future__ import annotations

import atexit as _atexit
import math as _math
import operator as _operator
from typing import Any as _Any, NamedTuple as _NamedTuple, Optional as _Optional, Union as _Union

import numpy as _np

from . import _core, _dtypes, _lazy, _storage
from ._array import Matrix as _Matrix, Vector as _Vector, _ArrayBase
from ._operands import as_operand as _as_operand

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
    "eigh_antisymmetric",
    "norm",
    "solve_triangular",
    "inv_triangular",
    "svd",
    "qr",
    "cholesky",
    "lstsq",
    "matrix_rank",
    "pinv",
    "SlogdetResult",
    "EighResult",
    "EigResult",
    "AntisymmetricEighResult",
    "SVDResult",
    "QRResult",
]

LinAlgError = _core.LinAlgError
_la = _core.linalg

# A long LAPACK call interrupted with Ctrl-C goes on in the background until it
# finishes (see the module doc); the interpreter waits for such calls at exit,
# before the spill directory is removed (registered after _storage's cleanup,
# so it runs first).
_atexit.register(_la.wait_background)

#: What a matrix or vector argument may be.
_ArrayLike = _Union[_Matrix, _Vector, _np.ndarray, list, tuple]

_SINGLE = {"float16", "float32", "complex_float32"}


class SlogdetResult(_NamedTuple):
    """Result of :func:`slogdet`: ``det = sign * exp(logabsdet)``."""

    sign: _Any
    logabsdet: _Any


class EighResult(_NamedTuple):
    """Result of :func:`eigh`: ascending real eigenvalues and orthonormal eigenvectors
    (the columns of ``eigenvectors``)."""

    eigenvalues: _Vector
    eigenvectors: _Matrix


class EigResult(_NamedTuple):
    """Result of :func:`eig`: eigenvalues and right eigenvectors (columns, unit length)."""

    eigenvalues: _Vector
    eigenvectors: _Matrix


class AntisymmetricEighResult(_NamedTuple):
    """Result of :func:`eigh_antisymmetric`: the ascending eigenvalues of ``1j * a``
    (exact +- pairs) and its unit eigenvectors (the columns of ``eigenvectors``)."""

    eigenvalues: _Vector
    eigenvectors: _Matrix


class SVDResult(_NamedTuple):
    """Result of :func:`svd`: ``a = U @ diag(S) @ Vh``."""

    U: _Matrix
    S: _Vector
    Vh: _Matrix


class QRResult(_NamedTuple):
    """Result of :func:`qr`: ``a = Q @ R``, Q with orthonormal columns, R upper triangular."""

    Q: _Matrix
    R: _Matrix


# ---- argument handling ---------------------------------------------------------


def _operand(x: _Any, name: str, func: str) -> _ArrayBase:
    """``x`` as a pycauset object: operands are normalised as everywhere else in
    pycauset (``_operands.as_operand``: NumPy arrays and lists are imported, ragged
    or more than 2-D input raises ValueError); scalars are not matrices here."""
    if isinstance(x, _np.ndarray) and x.ndim == 0:
        raise LinAlgError("0-dimensional array given. Array must be at least two-dimensional")
    op = _as_operand(x)
    if not isinstance(op, _ArrayBase):
        raise TypeError(
            f"pycauset.linalg.{func}: {name} must be a pycauset Matrix or Vector, a "
            f"numpy.ndarray or a list, got {type(x).__name__} (convert it with pycauset.matrix/vector)"
        )
    return op._materialized()


def _compute_dtype(*dtypes: _dtypes.DType) -> _dtypes.DType:
    """The LAPACK dtype numpy.linalg would compute in (float16 -> float32, see module doc)."""
    is_complex = any(d.kind == "c" for d in dtypes)
    single = all(d.name in _SINGLE for d in dtypes)
    if is_complex:
        return _dtypes.dtype("complex_float32" if single else "complex_float64")
    return _dtypes.dtype("float32" if single else "float64")


_real = _dtypes.real  # the real dtype of a complex one (the core's rule)


def _wrap(handle: _Any, properties: _Optional[dict] = None) -> _Any:
    return _ArrayBase._wrap(handle, properties)


# ---- inverse and solve ---------------------------------------------------------


def inv(a: _ArrayLike) -> _Matrix:
    """Compute the inverse of a square matrix.

    LU factorisation with partial pivoting (LAPACK ``getrf``), then the inverse
    from the factors as LAPACK ``getri`` forms it, ``inv(A) = inv(U) inv(L) P^T``
    (a triangular inverse for ``inv(U)``, one ``trsm`` for ``inv(L)``): about 2n^3 flops,
    where ``numpy.linalg.inv`` solves against the identity (8/3 n^3).
    A matrix marked triangular (``upper_triangular``, ``lower_triangular``,
    strictly upper or lower) or ``diagonal`` in ``properties["structure"]`` is
    inverted by recursive halving (n^3/3 flops) from that triangle only, and the
    result carries the mark (a strictly triangular matrix is singular).

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
    return _wrap(_la.inv(A._h, dtype.core))


def inv_triangular(a: _ArrayLike, lower: bool = False, unit_diagonal: bool = False,
                   overwrite_a: bool = False) -> _Matrix:
    """Invert a triangular matrix, reading only its upper (or lower) triangle.

    Recursive halving: both diagonal blocks inverted, the off-diagonal block
    from two BLAS ``trmm`` calls (LAPACK ``trtri`` below 256 rows); n^3/3
    flops. The other triangle of ``a`` is ignored and is zero in the result,
    which is marked ``upper_triangular`` (or ``lower_triangular``).

    Parameters
    ----------
    a : Matrix or numpy.ndarray, shape (n, n)
        The matrix; only the triangle named by ``lower`` is read.
    lower : bool, default False
        Use the lower triangle instead of the upper one.
    unit_diagonal : bool, default False
        Assume ones on the diagonal without reading it.
    overwrite_a : bool, default False
        Allow the result to take ``a``'s storage (as SciPy's ``overwrite_*``
        options): no copy, and no second n x n buffer or file, which halves
        the memory (or the disk) a large inverse needs. Honoured when ``a`` is
        a contiguous, writable pycauset Matrix of the result's dtype (float32,
        float64, complex64, complex128); ``a`` then holds the result (and
        unspecified values if the call raises or is interrupted). Otherwise
        ``a`` is left as it was.

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
    if overwrite_a:
        _lazy.before_write(A._h)  # pending expressions read a's old values first
    return _wrap(_la.inv_triangular(A._h, dtype.core, bool(lower), bool(unit_diagonal), bool(overwrite_a)))


def solve(a: _ArrayLike, b: _ArrayLike) -> _Union[_Vector, _Matrix]:
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
    return _wrap(_la.solve(A._h, B._h, dtype.core))


def solve_triangular(
    a: _ArrayLike, b: _ArrayLike, lower: bool = False, unit_diagonal: bool = False
) -> _Union[_Vector, _Matrix]:
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
    return _wrap(_la.solve_triangular(A._h, B._h, dtype.core, bool(lower), bool(unit_diagonal)))


# ---- determinants --------------------------------------------------------------


def det(a: _ArrayLike) -> _Any:
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
    return dtype.numpy.type(_la.det(A._h, dtype.core))


def slogdet(a: _ArrayLike) -> SlogdetResult:
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
    sign, logabsdet = _la.slogdet(A._h, dtype.core)
    return SlogdetResult(dtype.numpy.type(sign), _real(dtype).numpy.type(logabsdet))


# ---- eigenproblems -------------------------------------------------------------


def _uplo(UPLO: str) -> bool:
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return UPLO == "L"


def eigh(a: _ArrayLike, UPLO: str = "L") -> EighResult:
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
    w, v = _la.eigh(A._h, dtype.core, lower, True)
    return EighResult(_wrap(w), _wrap(v))


def eigvalsh(a: _ArrayLike, UPLO: str = "L") -> _Vector:
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
    w, _ = _la.eigh(A._h, dtype.core, lower, False)
    return _wrap(w)


def eig(a: _ArrayLike) -> EigResult:
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
    w, v = _la.eig(A._h, dtype.core, True)
    return EigResult(_wrap(w), _wrap(v))


def eigvals(a: _ArrayLike) -> _Vector:
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
    w, _ = _la.eig(A._h, dtype.core, False)
    return _wrap(w)


def eigh_antisymmetric(a: _ArrayLike, eigenvectors: bool = False) -> _Union[_Vector, AntisymmetricEighResult]:
    """Eigenvalues (and eigenvectors) of ``1j * a`` for a real antisymmetric ``a``, in real arithmetic.

    ``1j * a`` is Hermitian, so ``numpy.linalg.eigvalsh(1j * a)`` gives the same
    eigenvalues; this routine never forms the complex matrix. It reduces ``a``
    to antisymmetric tridiagonal form ``T = Q^T a Q`` with real Householder
    reflections (for eigenvalues alone and n >= 128 in two stages: blocked QR
    steps to a band of width 32 with matrix-matrix products only, then bulge
    chasing; with eigenvectors in one blocked stage, BLAS ``gemv`` and
    ``gemm``, whose Q ``ormtr`` applies); a diagonal unitary turns
    ``1j * T`` into the real symmetric tridiagonal matrix with zero diagonal
    and ``T``'s subdiagonal, whose eigenvalues are plus and minus the singular
    values of a bidiagonal matrix of half the size (LAPACK ``bdsqr``, to high
    relative accuracy). So the eigenvalues come in exact pairs
    (``w[i] == -w[n-1-i]``, and one exact 0 when n is odd), and the whole
    computation takes half the memory and a fraction of the flops of a
    complex Hermitian solver. The eigenvector of ``-s`` is the complex
    conjugate of that of ``+s``.

    Parameters
    ----------
    a : Matrix, numpy.ndarray or list, shape (n, n)
        Real antisymmetric. Only the strictly lower triangle is read (the
        matrix is taken to be the antisymmetric one it defines).
    eigenvectors : bool, default False
        Also compute the eigenvectors (LAPACK ``bdsdc`` for the bidiagonal
        singular vectors, ``ormtr`` for the reflections).

    Returns
    -------
    Vector or AntisymmetricEighResult
        The ascending eigenvalues of ``1j * a`` (float64; float32 for float32
        input), or with ``eigenvectors=True`` ``(eigenvalues, eigenvectors)``
        where column ``i`` of the complex (complex128, or complex64) matrix
        ``eigenvectors`` is the unit eigenvector of ``eigenvalues[i]``.

    Raises
    ------
    LinAlgError
        If ``a`` is not square or not 2-D, or the bidiagonal SVD does not converge.
    TypeError
        If ``a`` is complex.
    MemoryError
        If the copy, workspace and results do not fit the memory budget (it
        runs in RAM only).

    See Also
    --------
    numpy.linalg.eigvalsh, eigh

    Notes
    -----
    The reduction reports progress and stops at the next panel of 32
    columns (or the next 256 columns of the bulge chasing) on Ctrl-C.
    Wilkinson, *The Algebraic Eigenvalue Problem* (1965), for Householder
    tridiagonalisation; Ward and Gray, ACM TOMS 4 (1978) 278, for the
    antisymmetric case; Bischof, Lang and Sun, ACM TOMS 26 (2000) 581, for the
    reduction through a band.

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> A = np.array([[0.0, 2.0], [-2.0, 0.0]])
    >>> np.asarray(pc.linalg.eigh_antisymmetric(A))
    array([-2.,  2.])
    >>> w, V = pc.linalg.eigh_antisymmetric(A, eigenvectors=True)
    >>> np.allclose(1j * A @ np.asarray(V), np.asarray(V) * np.asarray(w))
    True
    """
    A = _matrix_operand(a, "eigh_antisymmetric")
    if A.dtype.kind == "c":
        raise TypeError(
            "pycauset.linalg.eigh_antisymmetric: a must be a real antisymmetric matrix, got dtype "
            f"{A.dtype}; for a complex Hermitian matrix use pycauset.linalg.eigh"
        )
    dtype = _compute_dtype(A.dtype)
    w, v = _la.eigh_antisymmetric(A._h, dtype.core, bool(eigenvectors))
    if not eigenvectors:
        return _wrap(w)
    return AntisymmetricEighResult(_wrap(w), _wrap(v))


# ---- factorisations, least squares, rank and pseudo-inverse ------------------------


def _matrix_operand(a: _Any, func: str) -> _ArrayBase:
    A = _operand(a, "a", func)
    if A.ndim != 2:
        raise LinAlgError(f"{A.ndim}-dimensional array given. Array must be at least two-dimensional")
    return A


def _eps(dtype: _dtypes.DType) -> float:
    return float(_np.finfo(_np.float32 if _real(dtype).name == "float32" else _np.float64).eps)


def svd(
    a: _ArrayLike, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
) -> _Union[SVDResult, _Vector]:
    """Singular value decomposition ``a = U @ diag(S) @ Vh``.

    LAPACK ``gesdd`` (divide and conquer), as ``numpy.linalg.svd``.

    Parameters
    ----------
    a : Matrix, numpy.ndarray or list, shape (m, n)
    full_matrices : bool, default True
        ``U`` is (m, m) and ``Vh`` (n, n); with False (m, k) and (k, n),
        k = min(m, n).
    compute_uv : bool, default True
        With False only the singular values are computed and returned.
    hermitian : bool, default False
        Accepted for NumPy compatibility; the general SVD is computed (same
        singular values; the vectors are valid but may differ from NumPy's
        eigh-based ones in sign or phase).

    Returns
    -------
    SVDResult or Vector
        ``(U, S, Vh)``; ``S`` is descending, in the real dtype of the compute
        dtype. Only ``S`` when ``compute_uv`` is False.

    Raises
    ------
    LinAlgError
        If ``a`` is not 2-D or the SVD does not converge.
    MemoryError
        If the copies, workspace and results do not fit the memory budget
        (there is no out-of-core SVD).

    See Also
    --------
    numpy.linalg.svd, svdvals

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> U, S, Vh = pc.linalg.svd([[3.0, 0.0], [0.0, -4.0]])
    >>> np.asarray(S)
    array([4., 3.])
    >>> np.allclose(np.asarray(U) * np.asarray(S) @ np.asarray(Vh), [[3, 0], [0, -4]])
    True
    """
    A = _matrix_operand(a, "svd")
    dtype = _compute_dtype(A.dtype)
    if not compute_uv:
        return _wrap(_la.svdvals(A._h, dtype.core))
    u, s, vh = _la.svd(A._h, dtype.core, bool(full_matrices))
    return SVDResult(_wrap(u), _wrap(s), _wrap(vh))


def qr(a: _ArrayLike, mode: str = "reduced") -> _Union[QRResult, _Matrix]:
    """QR factorisation ``a = Q @ R`` (Householder: LAPACK ``geqrf``, ``orgqr``/``ungqr``).

    Parameters
    ----------
    a : Matrix, numpy.ndarray or list, shape (m, n)
    mode : {"reduced", "complete", "r"}, default "reduced"
        ``"reduced"``: Q (m, k), R (k, n) with k = min(m, n); ``"complete"``:
        Q (m, m), R (m, n); ``"r"``: only R (k, n). NumPy's ``"raw"`` mode is
        not supported.

    Returns
    -------
    QRResult or Matrix
        ``(Q, R)``, or ``R`` for ``mode="r"``. A square ``R`` is marked
        ``upper_triangular`` in its properties.

    Raises
    ------
    LinAlgError
        If ``a`` is not 2-D.
    ValueError
        For an unknown mode.
    MemoryError
        If the factors do not fit the memory budget.

    See Also
    --------
    numpy.linalg.qr

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> Q, R = pc.linalg.qr([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> Q.shape, R.shape
    ((3, 2), (2, 2))
    >>> np.allclose(np.asarray(Q) @ np.asarray(R), [[1, 2], [3, 4], [5, 6]])
    True
    """
    if mode not in ("reduced", "complete", "r"):
        if mode == "raw":
            raise ValueError("pycauset.linalg.qr: mode 'raw' is not supported; use 'reduced', "
                             "'complete' or 'r'")
        raise ValueError(f"Unrecognized mode '{mode}': use 'reduced', 'complete' or 'r'")
    A = _matrix_operand(a, "qr")
    dtype = _compute_dtype(A.dtype)
    q, r = _la.qr(A._h, dtype.core, mode)
    R = _wrap(r)
    if mode == "r":
        return R
    return QRResult(_wrap(q), R)


def cholesky(a: _ArrayLike, *, upper: bool = False) -> _Matrix:
    """Cholesky factor of a Hermitian (symmetric) positive-definite matrix (LAPACK ``potrf``).

    Parameters
    ----------
    a : Matrix, numpy.ndarray or list, shape (n, n)
        Only the lower triangle is read (the upper one with ``upper=True``);
        the matrix is taken to be Hermitian.
    upper : bool, default False
        Return the upper factor ``U`` (``a = U^H @ U``) instead of the lower
        ``L`` (``a = L @ L^H``).

    Returns
    -------
    Matrix, shape (n, n)
        The factor, zero in the other triangle, marked ``lower_triangular``
        (``upper_triangular``) in its properties.

    Raises
    ------
    LinAlgError
        "Matrix is not positive definite" (as NumPy), or ``a`` not square / not 2-D.
    MemoryError
        If the factor does not fit the memory budget.

    See Also
    --------
    numpy.linalg.cholesky

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> L = pc.linalg.cholesky([[4.0, 2.0], [2.0, 5.0]])
    >>> np.asarray(L)
    array([[2., 0.],
           [1., 2.]])
    """
    A = _operand(a, "a", "cholesky")
    dtype = _compute_dtype(A.dtype)
    h = _la.cholesky(A._h, dtype.core, bool(upper))
    return _wrap(h)


def lstsq(a: _ArrayLike, b: _ArrayLike, rcond: _Optional[float] = None) -> tuple:
    """Least-squares solution of ``a @ x = b`` (minimum norm; LAPACK ``gelsd``).

    Parameters
    ----------
    a : Matrix, numpy.ndarray or list, shape (m, n)
    b : Vector, Matrix, numpy.ndarray or list, shape (m,) or (m, k)
    rcond : float, optional
        Singular values ``<= rcond * max(s)`` count as zero. None (default)
        uses ``eps * max(m, n)`` as NumPy does, with ``eps`` of the compute
        dtype (NumPy computes float32 input in double precision and uses
        float64's eps; pycauset computes it in single precision and uses
        float32's). A negative value means machine precision.

    Returns
    -------
    x : Vector or Matrix, shape (n,) or (n, k)
    residuals : Vector, shape (1,), (k,) or (0,)
        Squared 2-norms of ``b - a @ x`` per column when ``rank == n`` and
        ``m > n``; empty otherwise (as NumPy).
    rank : int
        Effective rank of ``a``.
    s : Vector, shape (min(m, n),)
        Singular values of ``a``, descending.

    Raises
    ------
    LinAlgError
        If ``a`` is not 2-D, ``b`` does not have m rows, or the SVD does not converge.
    MemoryError
        If the copies and workspace do not fit the memory budget.

    See Also
    --------
    numpy.linalg.lstsq

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> A = [[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [3.0, 1.0]]
    >>> x, residuals, rank, s = pc.linalg.lstsq(A, [-1.0, 0.2, 0.9, 2.1])
    >>> np.round(np.asarray(x), 6), rank
    (array([ 1.  , -0.95]), 2)
    """
    A = _matrix_operand(a, "lstsq")
    B = _operand(b, "b", "lstsq")
    dtype = _compute_dtype(A.dtype, B.dtype)
    m, n = A.shape
    if rcond is None:
        rcond = _eps(dtype) * max(m, n)
    x, residuals, rank, s = _la.lstsq(A._h, B._h, dtype.core, float(rcond))
    return _wrap(x), _wrap(residuals), int(rank), _wrap(s)


def matrix_rank(
    A: _ArrayLike, tol: _Optional[float] = None, hermitian: bool = False, *, rtol: _Optional[float] = None
) -> int:
    """Rank of a matrix: the number of singular values above a tolerance (SVD, LAPACK ``gesdd``).

    Parameters
    ----------
    A : Matrix, Vector, numpy.ndarray or list
        A vector has rank 1 unless it is all zeros (as NumPy).
    tol : float, optional
        Absolute threshold. Default: ``S.max() * rtol``.
    hermitian : bool, default False
        ``A`` is Hermitian: the absolute eigenvalues (LAPACK ``syevd``/``heevd``
        of the lower triangle) are used, as in NumPy.
    rtol : float, optional
        Relative threshold; default ``max(m, n) * eps`` with ``eps`` of the
        compute dtype's real type. Not together with ``tol``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If both ``tol`` and ``rtol`` are given.

    See Also
    --------
    numpy.linalg.matrix_rank

    Examples
    --------
    >>> import pycauset as pc
    >>> pc.linalg.matrix_rank([[1.0, 2.0], [2.0, 4.0]])
    1
    """
    if rtol is not None and tol is not None:
        raise ValueError("`tol` and `rtol` can't be both set.")
    X = _operand(A, "A", "matrix_rank")
    if X.ndim < 2:
        return int(X.count_nonzero() > 0)
    dtype = _compute_dtype(X.dtype)
    if hermitian:
        w, _ = _la.eigh(X._h, dtype.core, True, False)
        S = _np.abs(_np.asarray(_wrap(w)))
    else:
        S = _np.asarray(_wrap(_la.svdvals(X._h, dtype.core)))
    if tol is None:
        if rtol is None:
            rtol = max(X.shape) * _eps(dtype)
        tol = S.max(initial=0) * rtol
    return int(_np.count_nonzero(S > tol))


_NO_VALUE: _Any = object()


def pinv(a: _ArrayLike, rcond: _Optional[float] = None, hermitian: bool = False, *,
         rtol: _Any = _NO_VALUE) -> _Matrix:
    """Moore-Penrose pseudo-inverse from the SVD (LAPACK ``gesdd``), as ``numpy.linalg.pinv``.

    Singular values ``<= rcond * max(s)`` are treated as zero.

    Parameters
    ----------
    a : Matrix, numpy.ndarray or list, shape (m, n)
    rcond : float, optional
        Relative cutoff. Default (neither ``rcond`` nor ``rtol`` given): 1e-15,
        NumPy's default.
    hermitian : bool, default False
        Accepted for NumPy compatibility; the SVD is used either way (the same
        result for a Hermitian ``a``).
    rtol : float or None, optional
        NumPy 2's name for the cutoff; ``rtol=None`` means ``max(m, n) * eps``.
        Not together with ``rcond``.

    Returns
    -------
    Matrix, shape (n, m)

    Raises
    ------
    LinAlgError
        If ``a`` is not 2-D or the SVD does not converge.
    ValueError
        If both ``rcond`` and ``rtol`` are given.
    MemoryError
        If the SVD and the result do not fit the memory budget.

    See Also
    --------
    numpy.linalg.pinv, lstsq

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> np.asarray(pc.linalg.pinv([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]]))
    array([[1. , 0. , 0. ],
           [0. , 0.5, 0. ]])
    """
    A = _matrix_operand(a, "pinv")
    dtype = _compute_dtype(A.dtype)
    if rcond is None:
        if rtol is _NO_VALUE:
            rcond = 1e-15
        elif rtol is None:
            rcond = max(A.shape) * _eps(dtype)
        else:
            rcond = rtol
    elif rtol is not _NO_VALUE:
        raise ValueError("`rtol` and `rcond` can't be both set.")
    return _wrap(_la.pinv(A._h, dtype.core, float(rcond)))


# ---- norms ---------------------------------------------------------------------

_MATRIX_ORDS = {1: "1", -1: "-1", _math.inf: "inf", -_math.inf: "-inf"}


def norm(x: _ArrayLike, ord: _Any = None, axis: _Any = None, keepdims: bool = False) -> _Any:
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
    result_type = _real(X.dtype).numpy.type if X.dtype.kind in "fc" else _np.float64
    h = X._h
    if X.ndim == 1:
        if isinstance(ord, str):
            raise ValueError(f"Invalid norm order '{ord}' for vectors")
        p = 2.0 if ord is None else _float_ord(ord)
        return result_type(_la.vector_norm(h, p))
    if ord is None or ord == "fro":
        return result_type(_la.vector_norm(h, 2.0))
    if ord == "nuc" or (not isinstance(ord, str) and _float_ord(ord) in (2.0, -2.0)):
        s = _np.asarray(_wrap(_la.svdvals(h, _compute_dtype(X.dtype).core)), dtype=_np.float64)
        if ord == "nuc":
            return result_type(s.sum())
        if s.size == 0:
            raise ValueError("zero-size array to reduction operation which has no identity")
        return result_type(s.max() if _float_ord(ord) > 0 else s.min())
    if not isinstance(ord, str) and _float_ord(ord) in _MATRIX_ORDS:
        return result_type(_la.matrix_norm(h, _MATRIX_ORDS[_float_ord(ord)]))
    raise ValueError("Invalid norm order for matrices.")


def _float_ord(ord: _Any) -> float:
    try:
        return float(_operator.index(ord))
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


del annotations  # the __future__ flag is not part of the public namespace
