#pragma once
// Dense in-RAM linear algebra on Arrays through the bundled LAPACK
// (scipy-openblas64), mirroring numpy.linalg.
//
// Conventions shared by every function here:
// * Inputs are rank-2 (or rank-1 right-hand sides / vectors) Arrays of any
//   dtype and any strides. `dtype` names the LAPACK type to compute in and to
//   return (float32, float64, complex64 or complex128; anything else is a
//   TypeError); the input is converted while it is copied into the working
//   array, so a conversion costs no extra pass. The caller (the Python layer)
//   picks `dtype` with numpy.linalg's rules.
// * Results are new contiguous row-major Arrays allocated with Array::empty,
//   so the memory governor accounts for them (and spills them past the
//   budget); LAPACK workspaces are allocated the same way.
// * pycauset stores row-major; LAPACK is column-major. A row-major copy of A is
//   A^T in column-major order, and the routines use that directly where the
//   algebra allows (inv(A^T) = inv(A)^T, det(A^T) = det(A), triangular
//   solves through CBLAS's row-major interface); the eigensolvers copy A
//   transposed so they see exactly the matrix NumPy hands LAPACK.
// * LAPACK runs with the process's BLAS threads (pycauset.set_num_threads);
//   do not call these from inside a parallel_for body.
// * Interruption: a long call (by its flop count) runs its LAPACK work on a
//   worker thread that owns private copies of the inputs, while the calling
//   thread polls check_interrupt() (core/progress.hpp) every 50 ms. An
//   interrupt propagates at once; the abandoned worker finishes in the
//   background (the CPU stays busy until then) and frees its memory. See
//   src/linalg/background.hpp.
// * svd, qr, cholesky, lstsq and pinv have no out-of-core variant: when their
//   copies, workspaces and results do not fit what the memory budget leaves,
//   they raise MemoryError instead of spilling.
// * Errors: LinAlgError for a non-square matrix ("Last 2 dimensions of the
//   array must be square"), a rank-1 matrix argument, a singular matrix
//   ("Singular matrix") and eigenvalue/SVD non-convergence; ValueError for
//   right-hand sides whose shape does not match.
// Thread safety: the functions only read their inputs and may run
// concurrently on different (or the same, read-only) inputs.
#include <cstdint>
#include <optional>

#include "pycauset/array/array.hpp"
#include "pycauset/core/dtype.hpp"
#include "pycauset/core/scalar.hpp"

namespace pycauset::linalg {

/// True for the dtypes LAPACK computes in: float32, float64, complex64, complex128.
bool is_lapack_dtype(DType dtype);

/// Inverse of the square matrix `a`: LU with partial pivoting (getrf), then
/// getri's algorithm, inv(A) = U^-1 L^-1 P^T: trtri inverts U in place and one
/// right-side trsm applies L^-1 (getri itself loops over narrow GEMMs that do
/// not scale across threads). 2n^3 flops in all, where solving against the
/// identity (numpy.linalg.inv's gesv) takes 8/3 n^3. Extra memory: one n x n
/// workspace for L. LinAlgError "Singular matrix" when a pivot is exactly zero.
Array inv(const Array& a, DType dtype);

/// Inverse of the triangle of `a` (upper unless `lower`; the other triangle
/// is never read and is zero in the result) by trtri: n^3/3 flops.
/// `unit_diagonal` treats the diagonal as ones without reading it.
/// LinAlgError "Singular matrix" for a zero on the diagonal. `overwrite_a`
/// lets the result take a's storage (no copy, no second buffer or file) when
/// a is contiguous, writable and of `dtype`; a then holds the result.
Array inv_triangular(const Array& a, DType dtype, bool lower, bool unit_diagonal = false,
                     bool overwrite_a = false);

/// Solution x of a x = b, for a rank-1 b (x is rank 1) or an n x k b (x is
/// n x k), by getrf and triangular solves (getrs / trsm); never through the
/// inverse. ValueError when b's leading extent is not n.
Array solve(const Array& a, const Array& b, DType dtype);

/// Solution of a x = b with a triangular (upper unless `lower`, the other
/// triangle never read): trtrs for a vector, trsm for a matrix; `a` is read
/// in place (no copy) when it already has `dtype` and a unit stride.
/// LinAlgError "Singular matrix" for a zero on the diagonal.
Array solve_triangular(const Array& a, const Array& b, DType dtype, bool lower,
                       bool unit_diagonal = false);

/// Determinant, from the LU factors (a singular matrix gives 0, not an
/// error). The product is accumulated in double precision with exponent
/// rescaling, so it overflows or underflows only when the result does.
/// Returns a floating or complex Scalar.
Scalar det(const Array& a, DType dtype);

/// Sign (1, -1 or 0 for real dtypes; a unit-modulus complex number, or 0, for
/// complex ones) and natural log of |det(a)| (-inf when singular).
struct SlogdetResult {
  Scalar sign;
  double logabsdet;
};
SlogdetResult slogdet(const Array& a, DType dtype);

/// Eigenvalues (ascending, real dtype of `dtype`) and, when `vectors`, the
/// orthonormal eigenvectors as the columns of an n x n array, of the
/// symmetric/Hermitian matrix whose lower (or, with lower=false, upper)
/// triangle is that of `a` (syevd / heevd, as numpy.linalg.eigh).
/// LinAlgError "Eigenvalues did not converge".
struct EighResult {
  Array eigenvalues;
  std::optional<Array> eigenvectors;
};
EighResult eigh(const Array& a, DType dtype, bool lower = true, bool vectors = true);

/// Eigenvalues and (when `vectors`) right eigenvectors, as columns normalised
/// to unit length, of a general square matrix (geev). For a real `dtype` the
/// results are real when every eigenvalue is real and complex (complex64 /
/// complex128) otherwise, as numpy.linalg.eig; complex dtypes give complex.
/// LinAlgError "Array must not contain infs or NaNs" (checked first, as NumPy
/// does) and "Eigenvalues did not converge".
struct EigResult {
  Array eigenvalues;
  std::optional<Array> eigenvectors;
};
EigResult eig(const Array& a, DType dtype, bool vectors = true);

/// Singular values (descending, real dtype of `dtype`) of any m x n matrix
/// (gesdd without vectors). LinAlgError "SVD did not converge".
Array svdvals(const Array& a, DType dtype);

/// a = u diag(s) vh (gesdd). u is m x m and vh n x n when `full_matrices`,
/// else m x k and k x n (k = min(m, n)); s descending, real dtype of `dtype`.
/// Empty matrices give identities for the square factors, as NumPy.
/// LinAlgError "SVD did not converge".
struct SvdResult {
  Array u;
  Array s;
  Array vh;
};
SvdResult svd(const Array& a, DType dtype, bool full_matrices);

/// QR factorisation (geqrf, then orgqr/ungqr for q), NumPy's modes:
/// reduced q m x k, r k x n; complete q m x m, r m x n; r: r (k x n) only.
enum class QrMode { reduced, complete, r };
struct QrResult {
  std::optional<Array> q;
  Array r;
};
QrResult qr(const Array& a, DType dtype, QrMode mode);

/// Cholesky factor of the Hermitian positive-definite matrix given by the
/// lower triangle of `a` (L, a = L L^H), or with `upper` by its upper triangle
/// (U, a = U^H U); the other triangle of the result is zero (potrf).
/// LinAlgError "Matrix is not positive definite".
Array cholesky(const Array& a, DType dtype, bool upper = false);

/// Minimum-norm least-squares solution of a x = b (gelsd). Singular values
/// <= rcond * s_max are treated as zero (rcond < 0: machine precision).
/// residuals: squared 2-norms of the residual columns (length 1 for a
/// vector b) when rank == n and m > n, else empty. LinAlgError when b's
/// leading extent is not m, and "SVD did not converge in Linear Least Squares".
struct LstsqResult {
  Array x;
  Array residuals;
  std::int64_t rank;
  Array s;
};
LstsqResult lstsq(const Array& a, const Array& b, DType dtype, double rcond);

/// Moore-Penrose pseudo-inverse (n x m) from the reduced SVD, dropping
/// singular values <= rcond * s_max (NumPy's rule).
Array pinv(const Array& a, DType dtype, double rcond);

/// Blocks until every abandoned (interrupted) LAPACK worker has finished.
/// Called at interpreter exit, so no worker runs during teardown.
void wait_for_background();

}  // namespace pycauset::linalg
