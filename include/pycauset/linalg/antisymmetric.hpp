#pragma once
// Spectra of real antisymmetric matrices in real arithmetic.
//
// For a real antisymmetric A (A^T = -A), iA is Hermitian: its eigenvalues are
// real and come in pairs +-s (with one 0 more when n is odd), and the
// eigenvector of -s is the complex conjugate of that of +s. numpy.linalg.eigh
// of 1j * A needs the matrix in complex arithmetic (twice the memory, about
// four times the flops). Here A is reduced to antisymmetric tridiagonal form
// T = Q^T A Q by Householder reflections in real arithmetic (for eigenvalues
// alone in two stages, as LAPACK's sytrd_2stage: QR steps to a band, then
// bulge chasing; with eigenvectors blocked like LAPACK's sytrd, with BLAS
// gemv and gemm), the tridiagonal iT is turned by a
// diagonal unitary into the real symmetric tridiagonal matrix with zero
// diagonal and T's subdiagonal, which an odd/even permutation makes
// [[0, B], [B^T, 0]] with B bidiagonal; its eigenvalues are +- the singular
// values of B (LAPACK bdsqr, to high relative accuracy), so the pairing is
// exact. Eigenvectors, when asked, come from B's singular vectors (LAPACK
// bdsdc, divide and conquer) and Q (LAPACK ormtr).
#include <optional>

#include "pycauset/array/array.hpp"
#include "pycauset/core/dtype.hpp"

namespace pycauset::linalg {

/// Eigenvalues (ascending, exactly paired: w[i] == -w[n-1-i]; dtype float32
/// or float64, the real `dtype`) of iA, and when `vectors` the unit
/// eigenvectors as the columns of an n x n complex array (complex64 or
/// complex128). Only the strictly lower triangle of `a` is read (A is taken
/// to be the antisymmetric matrix it defines). The reduction runs on the
/// calling thread panel by panel and reports progress ("eigh_antisymmetric"),
/// so Ctrl-C stops it; the final bidiagonal SVD and back-transformation are
/// single LAPACK calls. MemoryError when the copy, workspace and results do
/// not fit what the memory budget leaves (there is no out-of-core variant).
/// LinAlgError for a non-square matrix or when the SVD does not converge.
struct AntisymmetricEigResult {
  Array eigenvalues;
  std::optional<Array> eigenvectors;
};
AntisymmetricEigResult eigh_antisymmetric(const Array& a, DType dtype, bool vectors);

}  // namespace pycauset::linalg
