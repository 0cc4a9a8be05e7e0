#include "pycauset/linalg/lapack.hpp"

#include <algorithm>
#include <functional>
#include <cmath>
#include <complex>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "background.hpp"
#include "lapack_api.hpp"
#include "lapack_checks.hpp"
#include "triangular.hpp"
#include "pycauset/core/error.hpp"
#include "pycauset/array/blocks.hpp"
#include "pycauset/linalg/out_of_core.hpp"
#include "pycauset/storage/governor.hpp"

namespace pycauset::linalg {
namespace {

using detail::Lapack;
using detail::check_arguments;
using detail::require_square;
using detail::singular;
using detail::visit_lapack;
using detail::triangular_inverse;
using detail::lp_int;
using detail::run_interruptible;
using index_t = Array::index_t;

template <class T> constexpr bool is_complex = is_complex_v<T>;

DType complex_dtype(DType real) {
  return real == DType::float32 ? DType::complex64 : DType::complex128;
}

/// A right-hand side must have n rows (a vector: n elements).
void require_rhs(const Array& b, index_t n) {
  if (b.shape(0) == n) return;
  // Built with append: GCC 12 warns spuriously (-Wrestrict) on operator+ chains.
  std::string m = "solve: the right-hand side of shape (";
  m.append(std::to_string(b.shape(0)));
  if (b.ndim() == 1)
    m.append(",)");
  else
    m.append(", ").append(std::to_string(b.shape(1))).append(")");
  m.append(" does not match the ").append(std::to_string(n)).append(" x ").append(std::to_string(n));
  m.append(" matrix (it needs ").append(std::to_string(n));
  m.append(b.ndim() == 1 ? " elements)" : " rows)");
  throw ValueError(m);
}

/// LinAlgError (NumPy's message) unless `a` is a matrix.
void require_matrix(const Array& a) {
  if (a.ndim() != 2)
    throw LinAlgError(std::to_string(a.ndim()) +
                      "-dimensional array given. Array must be at least two-dimensional");
}

template <class T> T* data_of(const Array& a) { return reinterpret_cast<T*>(a.data()); }

Array vector_of(index_t n, DType dtype) {
  const index_t shape[1] = {n};
  return Array::empty(shape, dtype);
}
Array matrix_of(index_t rows, index_t cols, DType dtype) {
  const index_t shape[2] = {rows, cols};
  return Array::empty(shape, dtype);
}
/// A LAPACK workspace of `count` elements, from the governor like any array.
Array workspace(lp_int count, DType dtype) { return vector_of(std::max<lp_int>(count, 1), dtype); }

/// Workspace sizes come back from a query (lwork = -1) as a floating value;
/// round up so a large single-precision answer cannot fall short.
template <class T> lp_int query_size(T answer) {
  return lp_int(std::ceil(double(std::real(answer)) * (1.0 + 1e-6)));
}

/// Transposes the square row-major n x n array at p in place, in tiles.
template <class T> void transpose_in_place(T* p, index_t n) {
  constexpr index_t kTile = 64;
  for (index_t i0 = 0; i0 < n; i0 += kTile) {
    const index_t i1 = std::min(i0 + kTile, n);
    for (index_t j0 = i0; j0 < n; j0 += kTile) {
      const index_t j1 = std::min(j0 + kTile, n);
      for (index_t i = i0; i < i1; ++i)
        for (index_t j = std::max(j0, i + 1); j < j1; ++j) std::swap(p[i * n + j], p[j * n + i]);
    }
  }
}

// The O(n^2) steps between and after LAPACK calls run in the calling thread:
// OpenBLAS's workers keep polling for a while after each call, so waking our
// pool there would only make the two pools take turns on the same cores.

/// x := P x for the row-major n x k array x, where P = P_1 ... P_n are the
/// interchanges getrf recorded in ipiv (P_n is applied first).
template <class T>
void apply_pivots_reversed(T* x, index_t n, index_t k, const std::vector<lp_int>& ipiv) {
  for (index_t i = n - 1; i >= 0; --i) {
    const index_t r = ipiv[std::size_t(i)] - 1;
    if (r != i) std::swap_ranges(x + i * k, x + (i + 1) * k, x + r * k);
  }
}

// ---------------------------------------------------------------- inverse

// Each *_impl checks its arguments and makes the private copies of the inputs
// on the calling thread, then returns the rest as a closure that owns them
// (background.hpp), run inline or on a worker by the public function.

template <class T> std::function<Array()> inv_impl(const Array& a, DType dtype) {
  const index_t n = require_square(a);
  Array x = a.astype(dtype);  // row-major A is column-major M = A^T, and inv(M) = inv(A)^T
  return [x, n, dtype]() mutable -> Array {
    using L = Lapack<T>;
    if (n == 0) return x;
    T* p = data_of<T>(x);
    std::vector<lp_int> ipiv(static_cast<std::size_t>(n));
    lp_int info = L::getrf(n, n, p, n, ipiv.data());
    check_arguments(info, "getrf");
    if (info > 0) singular();
    // inv(M) = U^-1 L^-1 P^T, getri's algorithm (2n^3 flops in all with getrf).
    // getri applies L^-1 in a loop of narrow GEMMs that hardly scales past one
    // thread, so do it as one level-3 call: move L out, invert U in place,
    // solve X L = U^-1 with a single right-side trsm, then undo the pivoting
    // on the (contiguous) columns.
    Array l_copy = workspace(n * n, dtype);
    T* l = data_of<T>(l_copy);
    for (index_t j = 0; j < n; ++j) {
      T* column = p + j * n;
      std::copy(column + j + 1, column + n, l + j * n + j + 1);
      std::fill(column + j + 1, column + n, T(0));
    }
    info = triangular_inverse<T>('U', 'N', n, p, n);
    check_arguments(info, "trtri");
    if (info > 0) singular();
    L::trsm(CblasColMajor, CblasRight, CblasLower, CblasNoTrans, CblasUnit, n, n, l, n, p, n);
    // X P^T = X P_n ... P_1 swaps columns, n first; columns are contiguous here,
    // i.e. the rows of the row-major view.
    apply_pivots_reversed(p, n, n, ipiv);
    return x;
  };
}

template <class T>
std::function<Array()> inv_triangular_impl(const Array& a, DType dtype, bool lower, bool unit, bool overwrite) {
  const index_t n = require_square(a);
  Array x = overwrite ? a : a.astype(dtype);
  return [x, n, lower, unit]() mutable -> Array {
    if (n == 0) return x;
    T* p = data_of<T>(x);
    // The row-major upper triangle is the column-major lower one.
    const lp_int info = triangular_inverse<T>(lower ? 'U' : 'L', unit ? 'U' : 'N', n, p, n);
    check_arguments(info, "trtri");
    if (info > 0) singular();
    // trtri leaves the other triangle (still holding a's values) alone.
    for (index_t i = 0; i < n; ++i) {
      T* row = p + i * n;
      if (lower)
        std::fill(row + i + 1, row + n, T(0));
      else
        std::fill(row, row + i, T(0));
      if (unit) row[i] = T(1);
    }
    return x;
  };
}

// ---------------------------------------------------------------- solve

template <class T> std::function<Array()> solve_impl(const Array& a, const Array& b, DType dtype) {
  const index_t n = require_square(a);
  require_rhs(b, n);
  Array x = b.astype(dtype);
  Array lu = n == 0 ? x : a.astype(dtype);  // column-major A^T = P L U
  const bool vector_rhs = b.ndim() == 1;
  return [x, lu, n, vector_rhs]() mutable -> Array {
    using L = Lapack<T>;
    if (n == 0) return x;
    T* f = data_of<T>(lu);
    std::vector<lp_int> ipiv(static_cast<std::size_t>(n));
    lp_int info = L::getrf(n, n, f, n, ipiv.data());
    check_arguments(info, "getrf");
    if (info > 0) singular();
    if (vector_rhs) {  // a vector is its own column-major layout: solve (A^T)^T x = b
      check_arguments(L::getrs('T', n, 1, f, n, ipiv.data(), data_of<T>(x), n), "getrs");
      return x;
    }
    const index_t k = x.shape(1);
    if (k == 0) return x;
    // Read row-major, the factors are A = U^T L^T P^T: U^T is the lower triangle,
    // L^T the unit upper one. So X = P (L^T)^-1 (U^T)^-1 B, all on row-major
    // data in place, without transposing B or X.
    T* xp = data_of<T>(x);
    L::trsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, n, k, f, n, xp, k);
    L::trsm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasUnit, n, k, f, n, xp, k);
    apply_pivots_reversed(xp, n, k, ipiv);
    return x;
  };
}

/// `in_place`: read `a` without copying when its layout allows (only for calls
/// that run inline: a worker must own its inputs).
template <class T>
std::function<Array()> solve_triangular_impl(const Array& a, const Array& b, DType dtype, bool lower,
                                             bool unit, bool in_place) {
  const index_t n = require_square(a);
  require_rhs(b, n);
  Array x = b.astype(dtype);
  // Read a in place when LAPACK can: row-major (unit column stride) or
  // column-major (unit row stride) with the right dtype; otherwise copy.
  Array m = a;
  bool row_major = true;
  lp_int lda = n;
  if (n == 0) {
    m = x;
  } else if (in_place && a.dtype() == dtype && a.stride(1) == 1 && a.stride(0) >= n) {
    lda = a.stride(0);
  } else if (in_place && a.dtype() == dtype && a.stride(0) == 1 && a.stride(1) >= n) {
    row_major = false;
    lda = a.stride(1);
  } else {
    m = a.astype(dtype);
  }
  const bool vector_rhs = b.ndim() == 1;
  return [x, m, n, row_major, lda, lower, unit, vector_rhs]() mutable -> Array {
    using L = Lapack<T>;
    if (n == 0) return x;
    const T* p = data_of<T>(m);
    if (!unit)
      for (index_t i = 0; i < n; ++i)
        if (p[i * lda + i] == T(0)) singular();
    const CBLAS_DIAG diag = unit ? CblasUnit : CblasNonUnit;
    if (vector_rhs) {
      // trtrs is column-major: row-major storage is A^T there (the other
      // triangle, solved transposed).
      const bool column_major_lower = row_major ? !lower : lower;
      const lp_int info = L::trtrs(column_major_lower ? 'L' : 'U', row_major ? 'T' : 'N',
                                   unit ? 'U' : 'N', n, 1, p, lda, data_of<T>(x), n);
      check_arguments(info, "trtrs");
      if (info > 0) singular();
      return x;
    }
    const index_t k = x.shape(1);
    if (k == 0) return x;
    // CBLAS row-major trsm: storage read row-major is A itself, or A^T when a
    // is a column-major view.
    const bool storage_lower = row_major ? lower : !lower;
    L::trsm(CblasRowMajor, CblasLeft, storage_lower ? CblasLower : CblasUpper,
            row_major ? CblasNoTrans : CblasTrans, diag, n, k, p, lda, data_of<T>(x), k);
    return x;
  };
}

// ---------------------------------------------------------------- determinants

/// LU-factors `lu` in place (det(A^T) = det(A), so row-major storage is fine);
/// returns false when a pivot is exactly zero.
/// `perm_sign` is the sign of the row permutation.
template <class T> bool factor_for_det(Array& lu, int& perm_sign) {
  const index_t n = lu.shape(0);
  std::vector<lp_int> ipiv(static_cast<std::size_t>(n));
  const lp_int info = Lapack<T>::getrf(n, n, data_of<T>(lu), n, ipiv.data());
  check_arguments(info, "getrf");
  perm_sign = 1;
  for (index_t i = 0; i < n; ++i)
    if (ipiv[std::size_t(i)] != i + 1) perm_sign = -perm_sign;
  return info == 0;
}

template <class T> std::function<Scalar()> det_impl(const Array& a, DType dtype) {
  const index_t n = require_square(a);
  Array lu = a.astype(dtype);
  return [lu, n]() mutable -> Scalar {
    auto result = [](std::complex<double> v) {
      return is_complex<T> ? Scalar::of_complex(v) : Scalar::of_float(v.real());
  };
  if (n == 0) return result(1.0);
  int perm_sign = 1;
  if (!factor_for_det<T>(lu, perm_sign)) return result(0.0);
  // Product of the pivots as mantissa * 2^exponent, renormalised at every
  // step, so intermediate products never overflow or underflow.
  const T* p = data_of<T>(lu);
  std::complex<double> m = double(perm_sign);
  long exponent = 0;
  for (index_t i = 0; i < n; ++i) {
    m *= std::complex<double>(p[i * n + i]);
    const double mag = std::max(std::abs(m.real()), std::abs(m.imag()));
    if (mag != 0 && std::isfinite(mag)) {
      int e = 0;
      std::frexp(mag, &e);
      m = {std::ldexp(m.real(), -e), std::ldexp(m.imag(), -e)};
      exponent += e;
    }
  }
  const int e = int(std::clamp<long>(exponent, -100000, 100000));
  return result({std::ldexp(m.real(), e), std::ldexp(m.imag(), e)});
  };
}

template <class T> std::function<SlogdetResult()> slogdet_impl(const Array& a, DType dtype) {
  const index_t n = require_square(a);
  Array lu = a.astype(dtype);
  return [lu, n]() mutable -> SlogdetResult {
    auto sign_of = [](std::complex<double> v) {
      return is_complex<T> ? Scalar::of_complex(v) : Scalar::of_float(v.real());
  };
  if (n == 0) return {sign_of(1.0), 0.0};
  int perm_sign = 1;
  if (!factor_for_det<T>(lu, perm_sign))
    return {sign_of(0.0), -std::numeric_limits<double>::infinity()};
  const T* p = data_of<T>(lu);
  std::complex<double> sign = double(perm_sign);
  double logdet = 0;
  for (index_t i = 0; i < n; ++i) {
    const std::complex<double> d(p[i * n + i]);
    const double mag = std::abs(d);
    if constexpr (is_complex<T>)
      sign *= d / mag;
    else if (d.real() < 0)  // as NumPy: a NaN pivot leaves the sign alone
      sign = -sign;
    logdet += std::log(mag);
  }
  return {sign_of(sign), logdet};
  };
}

// ---------------------------------------------------------------- eigenproblems

template <class T>
std::function<EighResult()> eigh_impl(const Array& a, DType dtype, bool lower, bool vectors) {
  const index_t n = require_square(a);
  // A transposed copy is A in column-major order: LAPACK sees exactly the
  // matrix (and triangle) numpy.linalg.eigh hands it.
  Array x = a.transpose().astype(dtype);
  return [x, n, dtype, lower, vectors]() mutable -> EighResult {
    using L = Lapack<T>;
    using R = typename L::real_type;
    const DType rdtype = real_dtype(dtype);
    Array w = vector_of(n, rdtype);
    if (n == 0) return {w, vectors ? std::optional<Array>(x) : std::nullopt};
    T* p = data_of<T>(x);
    const char jobz = vectors ? 'V' : 'N', uplo = lower ? 'L' : 'U';
    T size{};
    R rsize{};
    lp_int isize = 0;
    check_arguments(L::heevd(jobz, uplo, n, p, n, data_of<R>(w), &size, -1, &rsize, -1, &isize, -1),
                    "syevd/heevd");
    const lp_int lwork = query_size(size), lrwork = is_complex<T> ? query_size(rsize) : 1;
    const lp_int liwork = std::max<lp_int>(isize, 1);
    Array work = workspace(lwork, dtype);
    Array rwork = workspace(lrwork, rdtype);
    Array iwork = workspace(liwork, DType::int64);
    const lp_int info = L::heevd(jobz, uplo, n, p, n, data_of<R>(w), data_of<T>(work), lwork,
                                 data_of<R>(rwork), lrwork, data_of<lp_int>(iwork), liwork);
    check_arguments(info, "syevd/heevd");
    if (info > 0) throw LinAlgError("Eigenvalues did not converge");
    if (!vectors) return {w, std::nullopt};
    transpose_in_place(p, n);  // eigenvectors: column-major -> row-major
    return {w, x};
  };
}

template <class T> bool all_finite(const T* p, index_t count) {
  return std::all_of(p, p + count, [](const T& v) {
    if constexpr (is_complex<T>)
      return std::isfinite(v.real()) && std::isfinite(v.imag());
    else
      return std::isfinite(v);
  });
}

template <class T> std::function<EigResult()> eig_impl(const Array& a, DType dtype, bool vectors) {
  const index_t n = require_square(a);
  Array x = a.transpose().astype(dtype);  // column-major A, as NumPy passes it
  // geev rejects non-finite input as an illegal argument; NumPy checks first.
  if (!all_finite(data_of<T>(x), n * n)) throw LinAlgError("Array must not contain infs or NaNs");
  return [x, n, dtype, vectors]() mutable -> EigResult {
    T* p = data_of<T>(x);
    const char jobvr = vectors ? 'V' : 'N';
    const lp_int ldvr = vectors ? std::max<index_t>(n, 1) : 1;
    std::optional<Array> vr;
    if (vectors) vr = matrix_of(n, n, dtype);
    T vr_dummy{};
    T* vp = vectors ? data_of<T>(*vr) : &vr_dummy;
    if constexpr (is_complex<T>) {
      using R = typename T::value_type;
      Array w = vector_of(n, dtype);
      if (n == 0) return {w, vr};
      Array rwork = workspace(2 * n, real_dtype(dtype));
      T size{};
      check_arguments(detail::geev(jobvr, n, p, n, data_of<T>(w), vp, ldvr, &size, -1, data_of<R>(rwork)),
                      "geev");
      const lp_int lwork = query_size(size);
      Array work = workspace(lwork, dtype);
      const lp_int info =
          detail::geev(jobvr, n, p, n, data_of<T>(w), vp, ldvr, data_of<T>(work), lwork, data_of<R>(rwork));
      check_arguments(info, "geev");
      if (info > 0) throw LinAlgError("Eigenvalues did not converge");
      if (vectors) transpose_in_place(vp, n);
      return {w, vr};
    } else {
      Array wr = vector_of(n, dtype), wi = vector_of(n, dtype);
      if (n == 0) return {wr, vr};
      T size{};
      check_arguments(detail::geev(jobvr, n, p, n, data_of<T>(wr), data_of<T>(wi), vp, ldvr, &size, -1),
                      "geev");
      const lp_int lwork = query_size(size);
      Array work = workspace(lwork, dtype);
      const lp_int info = detail::geev(jobvr, n, p, n, data_of<T>(wr), data_of<T>(wi), vp, ldvr,
                                       data_of<T>(work), lwork);
      check_arguments(info, "geev");
      if (info > 0) throw LinAlgError("Eigenvalues did not converge");
      const T* re = data_of<T>(wr);
      const T* im = data_of<T>(wi);
      if (std::all_of(im, im + n, [](T v) { return v == T(0); })) {  // all real: stay real
        if (vectors) transpose_in_place(vp, n);
        return {wr, vr};
      }
      using C = std::complex<T>;
      const DType cdtype = complex_dtype(dtype);
      Array w = vector_of(n, cdtype);
      C* wc = data_of<C>(w);
      for (index_t j = 0; j < n; ++j) wc[j] = {re[j], im[j]};
      if (!vectors) return {w, std::nullopt};
      // geev stores a conjugate pair's vector as columns j (real part) and
      // j + 1 (imaginary part); expand to complex columns, row-major.
      Array v = matrix_of(n, n, cdtype);
      C* out = data_of<C>(v);
      const T* in = vp;
      for (index_t r0 = 0; r0 < n; r0 += 64) {  // blocks of 64 rows stay in cache
        const index_t r1 = std::min(r0 + 64, n);
        for (index_t j = 0; j < n; ++j) {
          if (im[j] != T(0) && j + 1 < n) {
            for (index_t i = r0; i < r1; ++i) {
              const T vre = in[i + j * n], vim = in[i + (j + 1) * n];
              out[i * n + j] = {vre, vim};
              out[i * n + j + 1] = {vre, -vim};
            }
            ++j;
          } else {
            for (index_t i = r0; i < r1; ++i) out[i * n + j] = in[i + j * n];
          }
        }
      }
      return {w, v};
    }
  };
}

template <class T> std::function<Array()> svdvals_impl(const Array& a, DType dtype) {
  require_matrix(a);
  const index_t rows = a.shape(0), cols = a.shape(1), k = std::min(rows, cols);
  Array x = k == 0 ? a : a.astype(dtype);  // column-major A^T: the same singular values
  return [x, rows, cols, k, dtype]() mutable -> Array {
    using L = Lapack<T>;
    using R = typename L::real_type;
    const DType rdtype = real_dtype(dtype);
    Array s = vector_of(k, rdtype);
    if (k == 0) return s;
    T* p = data_of<T>(x);
    Array iwork = workspace(8 * k, DType::int64);
    Array rwork = workspace(is_complex<T> ? 7 * k : 1, rdtype);
    T size{};
    check_arguments(L::gesdd_values(cols, rows, p, cols, data_of<R>(s), &size, -1, data_of<R>(rwork),
                                    data_of<lp_int>(iwork)),
                    "gesdd");
    const lp_int lwork = query_size(size);
    Array work = workspace(lwork, dtype);
    const lp_int info = L::gesdd_values(cols, rows, p, cols, data_of<R>(s), data_of<T>(work), lwork,
                                        data_of<R>(rwork), data_of<lp_int>(iwork));
    check_arguments(info, "gesdd");
    if (info > 0) throw LinAlgError("SVD did not converge");
    return s;
  };
}

// ---------------------------------------------------------------- SVD, QR, Cholesky, least squares

/// RAM the routine needs, in elements of `dtype` plus bytes of operands that
/// live in files: MemoryError when it does not fit what the budget leaves.
/// These routines have no out-of-core variant; they refuse rather than spill.
void require_fits(const char* routine, double elements, DType dtype, std::size_t outside_ram) {
  const double bytes = elements * double(dtype_info(dtype).itemsize()) + double(outside_ram);
  if (bytes < 1e18 && fits_in_budget(std::size_t(bytes))) return;
  const double mib = 1024.0 * 1024.0;
  std::string m = "pycauset.linalg.";
  m.append(routine).append(" needs about ").append(std::to_string(std::llround(bytes / mib)));
  m.append(" MiB of RAM for its copies, workspace and results, more than the memory budget leaves (");
  m.append(std::to_string(std::llround(double(available_ram()) / mib)));
  m.append(" MiB free); it runs in RAM only: raise the budget with pycauset.set_memory_limit or use a "
           "smaller problem");
  throw MemoryError(m);
}

Array zeros_of(index_t rows, index_t cols, DType dtype) {
  const index_t shape[2] = {rows, cols};
  return Array::empty(shape, dtype, true);
}

/// The n x n identity (SVD and QR factors of empty matrices, as NumPy).
template <class T> Array identity_of(index_t n, DType dtype) {
  Array x = zeros_of(n, n, dtype);
  T* p = data_of<T>(x);
  for (index_t i = 0; i < n; ++i) p[i * n + i] = T(1);
  return x;
}

template <class T> std::function<SvdResult()> svd_impl(const Array& a, DType dtype, bool full) {
  require_matrix(a);
  const index_t m = a.shape(0), n = a.shape(1), k = std::min(m, n);
  // The row-major copy is A^T in column-major order. With A^T = P S Q^H,
  // A = conj(Q) S P^T: gesdd's VT (Q^H, column-major) read row-major is U,
  // and its U (P, column-major) read row-major is Vh. No transposes needed.
  Array x = k == 0 ? zeros_of(0, 0, dtype) : a.astype(dtype);
  return [x, m, n, k, dtype, full]() mutable -> SvdResult {
    using L = Lapack<T>;
    using R = typename L::real_type;
    const DType rdtype = real_dtype(dtype);
    const index_t ucols = full ? m : k, vrows = full ? n : k;
    Array s = vector_of(k, rdtype);
    if (k == 0)
      return {full ? identity_of<T>(m, dtype) : zeros_of(m, 0, dtype), s,
              full ? identity_of<T>(n, dtype) : zeros_of(0, n, dtype)};
    Array u = matrix_of(m, ucols, dtype), vh = matrix_of(vrows, n, dtype);
    const char jobz = full ? 'A' : 'S';
    const index_t mx = std::max(m, n);
    Array iwork = workspace(8 * k, DType::int64);
    Array rwork = workspace(is_complex<T> ? std::max(5 * k * k + 5 * k, 2 * mx * k + 2 * k * k + k) : 1,
                            rdtype);
    T* p = data_of<T>(x);
    T size{};
    check_arguments(L::gesdd(jobz, n, m, p, n, data_of<R>(s), data_of<T>(vh), n, data_of<T>(u), ucols,
                             &size, -1, data_of<R>(rwork), data_of<lp_int>(iwork)),
                    "gesdd");
    const lp_int lwork = query_size(size);
    Array work = workspace(lwork, dtype);
    const lp_int info = L::gesdd(jobz, n, m, p, n, data_of<R>(s), data_of<T>(vh), n, data_of<T>(u), ucols,
                                 data_of<T>(work), lwork, data_of<R>(rwork), data_of<lp_int>(iwork));
    check_arguments(info, "gesdd");
    if (info > 0) throw LinAlgError("SVD did not converge");
    return {u, s, vh};
  };
}

template <class T> std::function<QrResult()> qr_impl(const Array& a, DType dtype, QrMode mode) {
  require_matrix(a);
  const index_t m = a.shape(0), n = a.shape(1), k = std::min(m, n);
  const index_t qcols = mode == QrMode::complete ? m : k;
  // Column-major A (geqrf factors A itself), in a buffer with room for Q's
  // columns when Q has more of them than A (complete mode, m > n).
  Array x = zeros_of(std::max(n, qcols), m, dtype);
  if (m > 0 && n > 0) x.slice(0, 0, 1, n).assign(a.transpose().ref());
  return [x, m, n, k, qcols, dtype, mode]() mutable -> QrResult {
    using L = Lapack<T>;
    const lp_int ld = std::max<index_t>(m, 1);
    T* p = data_of<T>(x);
    Array tau = workspace(k, dtype);
    if (k > 0) {
      T size{};
      check_arguments(L::geqrf(m, n, p, ld, data_of<T>(tau), &size, -1), "geqrf");
      const lp_int lwork = query_size(size);
      Array work = workspace(lwork, dtype);
      check_arguments(L::geqrf(m, n, p, ld, data_of<T>(tau), data_of<T>(work), lwork), "geqrf");
    }
    // R: the upper triangle (trapezoid) of the factored columns.
    const index_t rrows = mode == QrMode::complete ? m : k;
    Array r = zeros_of(rrows, n, dtype);
    T* rp = data_of<T>(r);
    for (index_t i = 0; i < rrows; ++i)
      for (index_t j = i; j < n; ++j) rp[i * n + j] = p[i + j * m];
    if (mode == QrMode::r) return {std::nullopt, r};
    if (m == 0 || qcols == 0) return {zeros_of(m, qcols, dtype), r};
    if (k == 0) return {identity_of<T>(m, dtype), r};  // complete mode of an m x 0 matrix
    T size{};
    check_arguments(L::orgqr(m, qcols, k, p, ld, data_of<T>(tau), &size, -1), "orgqr/ungqr");
    const lp_int lwork = query_size(size);
    Array work = workspace(lwork, dtype);
    check_arguments(L::orgqr(m, qcols, k, p, ld, data_of<T>(tau), data_of<T>(work), lwork), "orgqr/ungqr");
    return {x.slice(0, 0, 1, qcols).transpose().astype(dtype), r};
  };
}

template <class T> std::function<Array()> cholesky_impl(const Array& a, DType dtype, bool upper) {
  const index_t n = require_square(a);
  Array x = a.astype(dtype);
  return [x, n, upper]() mutable -> Array {
    if (n == 0) return x;
    T* p = data_of<T>(x);
    // The row-major copy is A^T column-major. potrf's upper factor of it,
    // read row-major, is the lower factor L of A (A = L L^H) from A's lower
    // triangle; symmetrically for upper.
    const lp_int info = Lapack<T>::potrf(upper ? 'L' : 'U', n, p, n);
    check_arguments(info, "potrf");
    if (info > 0) throw LinAlgError("Matrix is not positive definite");
    for (index_t i = 0; i < n; ++i) {
      T* row = p + i * n;
      if (upper)
        std::fill(row, row + i, T(0));
      else
        std::fill(row + i + 1, row + n, T(0));
    }
    return x;
  };
}

template <class T>
std::function<LstsqResult()> lstsq_impl(const Array& a, const Array& b, DType dtype, double rcond) {
  require_matrix(a);
  const index_t m = a.shape(0), n = a.shape(1);
  if (b.shape(0) != m) {
    std::string msg = "lstsq: b has ";
    msg.append(std::to_string(b.shape(0))).append(b.ndim() == 1 ? " elements" : " rows");
    msg.append(" but a has ").append(std::to_string(m)).append(" rows (Incompatible dimensions)");
    throw LinAlgError(msg);
  }
  const bool vector_rhs = b.ndim() == 1;
  const index_t nrhs = vector_rhs ? 1 : b.shape(1);
  const index_t ldb = std::max<index_t>({m, n, 1});
  // Column-major A, and B column-major in an ldb x nrhs buffer (room for x's
  // n rows when n > m). LAPACK cannot take nrhs = 0: keep one zero column.
  Array x = a.transpose().astype(dtype);
  Array bb = zeros_of(std::max<index_t>(nrhs, 1), ldb, dtype);
  if (m > 0 && nrhs > 0) {
    if (vector_rhs)
      bb.select(0, 0).slice(0, 0, 1, m).assign(b.ref());
    else
      bb.slice(1, 0, 1, m).assign(b.transpose().ref());
  }
  return [x, bb, m, n, nrhs, ldb, vector_rhs, dtype, rcond]() mutable -> LstsqResult {
    using L = Lapack<T>;
    using R = typename L::real_type;
    const DType rdtype = real_dtype(dtype);
    const index_t k = std::min(m, n);
    Array s = vector_of(k, rdtype);
    lp_int rank = 0;
    T* bp = data_of<T>(bb);
    if (k > 0) {
      T size{};
      R rsize{};
      lp_int isize = 0;
      const index_t cols = std::max<index_t>(nrhs, 1);
      T* ap = data_of<T>(x);
      check_arguments(L::gelsd(m, n, cols, ap, m, bp, ldb, data_of<R>(s), R(rcond), &rank, &size, -1,
                               &rsize, &isize),
                      "gelsd");
      const lp_int lwork = query_size(size);
      Array work = workspace(lwork, dtype);
      Array rwork = workspace(is_complex<T> ? query_size(rsize) : 1, rdtype);
      Array iwork = workspace(std::max<lp_int>(isize, 1), DType::int64);
      const lp_int info = L::gelsd(m, n, cols, ap, m, bp, ldb, data_of<R>(s), R(rcond), &rank,
                                   data_of<T>(work), lwork, data_of<R>(rwork), data_of<lp_int>(iwork));
      check_arguments(info, "gelsd");
      if (info > 0) throw LinAlgError("SVD did not converge in Linear Least Squares");
    }
    Array sol = vector_rhs ? bb.select(0, 0).slice(0, 0, 1, n).astype(dtype)
                           : bb.slice(0, 0, 1, nrhs).slice(1, 0, 1, n).transpose().astype(dtype);
    // As NumPy: residual sums of squares only for a full-rank overdetermined system.
    Array residuals = vector_of(0, rdtype);
    if (rank == n && m > n) {
      residuals = vector_of(nrhs, rdtype);
      R* rp = data_of<R>(residuals);
      for (index_t j = 0; j < nrhs; ++j) {
        R sum = 0;
        for (index_t i = n; i < m; ++i) sum += std::norm(bp[j * ldb + i]);
        rp[j] = sum;
      }
    }
    return {sol, residuals, rank, s};
  };
}

template <class T> std::function<Array()> pinv_impl(const Array& a, DType dtype, double rcond) {
  require_matrix(a);
  const index_t m = a.shape(0), n = a.shape(1), k = std::min(m, n);
  std::function<SvdResult()> svd_work = svd_impl<T>(a, dtype, false);
  return [svd_work, m, n, k, dtype, rcond]() mutable -> Array {
    using R = typename Lapack<T>::real_type;
    if (k == 0) return zeros_of(n, m, dtype);
    SvdResult f = svd_work();
    svd_work = nullptr;  // the copy of a
    const R* s = data_of<R>(f.s);
    const double cutoff = rcond * double(s[0]);  // s is descending
    // pinv(A) = V S^+ U^H = (S^+ Vh)^H U^H, singular values <= cutoff dropped.
    T* vh = data_of<T>(f.vh);
    for (index_t i = 0; i < k; ++i) {
      const R scale = double(s[i]) > cutoff ? R(1) / s[i] : R(0);
      for (index_t j = 0; j < n; ++j) vh[i * n + j] *= scale;
    }
    Array out = matrix_of(n, m, dtype);
    Lapack<T>::gemm(CblasRowMajor, CblasConjTrans, CblasConjTrans, n, m, k, T(1), vh, n, data_of<T>(f.u), k,
                    T(0), data_of<T>(out), m);
    return out;
  };
}

}  // namespace

bool is_lapack_dtype(DType dtype) {
  return dtype == DType::float32 || dtype == DType::float64 || dtype == DType::complex64 ||
         dtype == DType::complex128;
}

namespace {

/// RAM an in-RAM routine would need beyond what it holds: operands living in
/// files, plus `square_copies` n x n work arrays or results of `dtype`.
std::size_t ram_needed(const Array& a, const Array* b, DType dtype, int square_copies, bool rhs_copy) {
  const auto item = dtype_info(dtype).itemsize();
  std::size_t need = bytes_outside_ram(a) + std::size_t(square_copies) * std::size_t(a.size()) * item;
  if (b) need += bytes_outside_ram(*b) + (rhs_copy ? std::size_t(b->size()) * item : 0);
  return need;
}

/// Out of core when the square matrix's working set does not fit the budget.
bool route_out_of_core(const Array& a, DType dtype, std::size_t need) {
  return a.ndim() == 2 && a.shape(0) == a.shape(1) && a.shape(0) > 0 && a.dtype() != DType::bit &&
         is_lapack_dtype(dtype) && !fits_in_budget(need);
}

}  // namespace

namespace {

double cube(index_t n) { return double(n) * double(n) * double(n); }

/// Runs the closure an *_impl returned, on a worker when the call is long.
template <class R> R run(double flops, std::function<R()> work) {
  return run_interruptible<R>(flops, std::move(work));
}

}  // namespace

void wait_for_background() { detail::wait_for_background(); }

namespace {
/// Whether a's structure mark makes it triangular (diagonal counts as upper):
/// nullopt when it does not, else whether it is lower triangular.
std::optional<bool> triangular_lower(const Array& a) {
  const Structure s = a.ndim() == 2 ? a.structure() : Structure::dense;
  if (is_upper(s)) return false;
  if (is_lower(s)) return true;
  return std::nullopt;
}
}  // namespace

Array inv(const Array& a, DType dtype) {
  // Triangular (and diagonal) marks route to trtri on that triangle; a
  // strictly triangular matrix has zeros on its diagonal, so trtri reports it
  // singular as NumPy does. The inverse of a diagonal matrix is diagonal in
  // exact arithmetic; the mark is checked when first read.
  if (auto lower = triangular_lower(a)) {
    const Structure s = a.structure();
    Array x = inv_triangular(a, dtype, *lower, false, false);
    if (s == Structure::diagonal) x.claim_structure(Structure::diagonal);
    return x;
  }
  if (route_out_of_core(a, dtype, ram_needed(a, nullptr, dtype, 2, false))) return ooc::inv(a, dtype);
  auto work = visit_lapack(dtype, [&]<class T>(std::type_identity<T>) { return inv_impl<T>(a, dtype); });
  return run(2 * cube(a.shape(0)), std::move(work));
}

Array inv_triangular(const Array& a, DType dtype, bool lower, bool unit_diagonal, bool overwrite_a) {
  // The other triangle of the result is written as zeros: the mark is certain.
  const Structure mark = lower ? Structure::lower_triangular : Structure::upper_triangular;
  // a's storage takes the result only when it is laid out as the result is.
  const bool overwrite = overwrite_a && a.dtype() == dtype && a.is_contiguous() && a.writable();
  if (overwrite) a.buffer()->note_write();  // a's own mark no longer holds
  if (route_out_of_core(a, dtype, ram_needed(a, nullptr, dtype, overwrite ? 0 : 1, false))) {
    Array x = ooc::inv_triangular(a, dtype, lower, unit_diagonal, overwrite);
    x.assume_structure(mark);
    return x;
  }
  auto work = visit_lapack(dtype, [&]<class T>(std::type_identity<T>) {
    return inv_triangular_impl<T>(a, dtype, lower, unit_diagonal, overwrite);
  });
  Array x = run(cube(a.shape(0)) / 3, std::move(work));
  x.assume_structure(mark);
  return x;
}

Array solve(const Array& a, const Array& b, DType dtype) {
  // A triangular (or diagonal) mark: only the triangular solve runs.
  if (auto lower = triangular_lower(a)) return solve_triangular(a, b, dtype, *lower, false);
  if (route_out_of_core(a, dtype, ram_needed(a, &b, dtype, 1, true)) && b.shape(0) == a.shape(0))
    return ooc::solve(a, b, dtype);
  auto work = visit_lapack(dtype, [&]<class T>(std::type_identity<T>) {
    return solve_impl<T>(a, b, dtype);
  });
  const double n = double(a.shape(0));
  return run(2 * n * n * n / 3 + 2 * n * double(b.size()), std::move(work));
}

Array solve_triangular(const Array& a, const Array& b, DType dtype, bool lower, bool unit_diagonal) {
  if (route_out_of_core(a, dtype, ram_needed(a, &b, dtype, 0, true)) && b.shape(0) == a.shape(0))
    return ooc::solve_triangular(a, b, dtype, lower, unit_diagonal);
  const double flops = double(a.shape(0)) * double(b.size());
  auto work = visit_lapack(dtype, [&]<class T>(std::type_identity<T>) {
    return solve_triangular_impl<T>(a, b, dtype, lower, unit_diagonal, flops < detail::kBackgroundFlops);
  });
  return run(flops, std::move(work));
}

Scalar det(const Array& a, DType dtype) {
  auto work = visit_lapack(dtype, [&]<class T>(std::type_identity<T>) { return det_impl<T>(a, dtype); });
  return run(2 * cube(a.shape(0)) / 3, std::move(work));
}

SlogdetResult slogdet(const Array& a, DType dtype) {
  auto work = visit_lapack(dtype, [&]<class T>(std::type_identity<T>) {
    return slogdet_impl<T>(a, dtype);
  });
  return run(2 * cube(a.shape(0)) / 3, std::move(work));
}

EighResult eigh(const Array& a, DType dtype, bool lower, bool vectors) {
  auto work = visit_lapack(dtype, [&]<class T>(std::type_identity<T>) {
    return eigh_impl<T>(a, dtype, lower, vectors);
  });
  return run((vectors ? 9 : 4) * cube(a.shape(0)), std::move(work));
}

EigResult eig(const Array& a, DType dtype, bool vectors) {
  auto work = visit_lapack(dtype, [&]<class T>(std::type_identity<T>) {
    return eig_impl<T>(a, dtype, vectors);
  });
  return run((vectors ? 25 : 10) * cube(a.shape(0)), std::move(work));
}

namespace {
/// m * n * min(m, n): the scale of an SVD or QR of an m x n matrix.
double mnk(const Array& a) {
  const double m = double(a.shape(0)), n = double(a.shape(1));
  return m * n * std::min(m, n);
}
}  // namespace

Array svdvals(const Array& a, DType dtype) {
  auto work = visit_lapack(dtype, [&]<class T>(std::type_identity<T>) {
    return svdvals_impl<T>(a, dtype);
  });
  return run(4 * mnk(a), std::move(work));
}

SvdResult svd(const Array& a, DType dtype, bool full_matrices) {
  if (a.ndim() == 2) {
    const double m = double(a.shape(0)), n = double(a.shape(1)), k = std::min(m, n);
    const double uc = full_matrices ? m : k, vr = full_matrices ? n : k;
    require_fits("svd", m * n + m * uc + vr * n + 4 * k * k + 8 * std::max(m, n) + 2 * k, dtype,
                 bytes_outside_ram(a));
  }
  auto work = visit_lapack(dtype, [&]<class T>(std::type_identity<T>) {
    return svd_impl<T>(a, dtype, full_matrices);
  });
  return run(20 * mnk(a), std::move(work));
}

QrResult qr(const Array& a, DType dtype, QrMode mode) {
  if (a.ndim() == 2) {
    const double m = double(a.shape(0)), n = double(a.shape(1)), k = std::min(m, n);
    const double qc = mode == QrMode::complete ? m : k;
    require_fits("qr", m * std::max(n, qc) + (mode == QrMode::r ? 0 : m * qc) + k * n + 64 * (m + n), dtype,
                 bytes_outside_ram(a));
  }
  auto work = visit_lapack(dtype, [&]<class T>(std::type_identity<T>) {
    return qr_impl<T>(a, dtype, mode);
  });
  QrResult result = run(4 * mnk(a), std::move(work));
  if (result.r.ndim() == 2 && result.r.shape(0) == result.r.shape(1))
    result.r.assume_structure(Structure::upper_triangular);  // R's lower part is written as zeros
  return result;
}

Array cholesky(const Array& a, DType dtype, bool upper) {
  if (a.ndim() == 2) require_fits("cholesky", double(a.size()), dtype, bytes_outside_ram(a));
  auto work = visit_lapack(dtype, [&]<class T>(std::type_identity<T>) {
    return cholesky_impl<T>(a, dtype, upper);
  });
  Array c = run(cube(a.shape(0)) / 3, std::move(work));
  c.assume_structure(upper ? Structure::upper_triangular : Structure::lower_triangular);  // other triangle zeroed
  return c;
}

LstsqResult lstsq(const Array& a, const Array& b, DType dtype, double rcond) {
  if (a.ndim() == 2) {
    const double m = double(a.shape(0)), n = double(a.shape(1)), k = std::min(m, n);
    const double nrhs = b.ndim() == 1 ? 1.0 : double(b.shape(1));
    const double rhs = std::max({m, n, 1.0}) * std::max(nrhs, 1.0);
    require_fits("lstsq", m * n + 2 * rhs + 4 * k * k + 64 * (m + n), dtype,
                 bytes_outside_ram(a) + bytes_outside_ram(b));
  }
  auto work = visit_lapack(dtype, [&]<class T>(std::type_identity<T>) {
    return lstsq_impl<T>(a, b, dtype, rcond);
  });
  const double nrhs = b.ndim() == 1 ? 1.0 : double(b.shape(1));
  return run(12 * mnk(a) + 4 * double(a.size()) * nrhs, std::move(work));
}

Array pinv(const Array& a, DType dtype, double rcond) {
  if (a.ndim() == 2) {
    const double m = double(a.shape(0)), n = double(a.shape(1)), k = std::min(m, n);
    require_fits("pinv", 2 * m * n + m * k + k * n + 4 * k * k + 8 * std::max(m, n), dtype,
                 bytes_outside_ram(a));
  }
  auto work = visit_lapack(dtype, [&]<class T>(std::type_identity<T>) {
    return pinv_impl<T>(a, dtype, rcond);
  });
  return run(22 * mnk(a), std::move(work));
}

}  // namespace pycauset::linalg
