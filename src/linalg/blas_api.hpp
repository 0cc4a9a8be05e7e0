#pragma once
// Typed BLAS dispatch: the one place that maps a C++ element type (float,
// double, std::complex<float>, std::complex<double>) to the BLAS symbols of
// the bundled scipy-openblas64 (ILP64: 64-bit integers; symbols prefixed
// `scipy_` and suffixed `64_`, declared by its cblas.h). Everything that calls
// BLAS with a typed element goes through Blas<T>; lapack_api.hpp builds the
// LAPACK traits on top of it.
//
// Complex scalars are passed to CBLAS by pointer, real ones by value; the
// traits hide that, so callers always pass T.
#include <cblas.h>

#include <complex>
#include <cstdint>

namespace pycauset::linalg::detail {

using lp_int = std::int64_t;
using cfloat = std::complex<float>;
using cdouble = std::complex<double>;

/// s/d/c/z dispatch of the BLAS routines pycauset uses: Blas<T>::gemm(...) etc.
/// Arguments follow CBLAS (order first, then the operation, sizes, scalars as T).
template <class T> struct Blas;

#define PYCAUSET_BLAS_TRAITS(P, T, SCALAR)                                                                  \
  /* C := alpha op(A) op(B) + beta C. */                                                                    \
  static void gemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, lp_int m, lp_int n, lp_int k, \
                   T alpha, const T* a, lp_int lda, const T* b, lp_int ldb, T beta, T* c, lp_int ldc) {     \
    scipy_cblas_##P##gemm64_(order, ta, tb, m, n, k, SCALAR(alpha), a, lda, b, ldb, SCALAR(beta), c, ldc);  \
  }                                                                                                         \
  /* y := alpha op(A) x + beta y, A stored m x n. */                                                        \
  static void gemv(CBLAS_ORDER order, CBLAS_TRANSPOSE t, lp_int m, lp_int n, T alpha, const T* a,          \
                   lp_int lda, const T* x, lp_int incx, T beta, T* y, lp_int incy) {                        \
    scipy_cblas_##P##gemv64_(order, t, m, n, SCALAR(alpha), a, lda, x, incx, SCALAR(beta), y, incy);        \
  }                                                                                                         \
  /* B := op(A)^-1 B (side left) or B op(A)^-1 (side right), A triangular, B m x n. */                      \
  static void trsm(CBLAS_ORDER order, CBLAS_SIDE side, CBLAS_UPLO uplo, CBLAS_TRANSPOSE trans,             \
                   CBLAS_DIAG diag, lp_int m, lp_int n, const T* a, lp_int lda, T* b, lp_int ldb) {         \
    const T one(1);                                                                                         \
    scipy_cblas_##P##trsm64_(order, side, uplo, trans, diag, m, n, SCALAR(one), a, lda, b, ldb);            \
  }                                                                                                         \
  /* B := alpha op(A) B (side left) or alpha B op(A) (side right), A triangular. */                         \
  static void trmm(CBLAS_ORDER order, CBLAS_SIDE side, CBLAS_UPLO uplo, CBLAS_TRANSPOSE trans,             \
                   CBLAS_DIAG diag, lp_int m, lp_int n, T alpha, const T* a, lp_int lda, T* b, lp_int ldb) { \
    scipy_cblas_##P##trmm64_(order, side, uplo, trans, diag, m, n, SCALAR(alpha), a, lda, b, ldb);          \
  }

#define PYCAUSET_BLAS_BY_VALUE(x) (x)
#define PYCAUSET_BLAS_BY_POINTER(x) (&(x))

template <> struct Blas<float> {
  PYCAUSET_BLAS_TRAITS(s, float, PYCAUSET_BLAS_BY_VALUE)
  /// x . y (no conjugation for any type).
  static float dot(lp_int n, const float* x, lp_int incx, const float* y, lp_int incy) {
    return scipy_cblas_sdot64_(n, x, incx, y, incy);
  }
};
template <> struct Blas<double> {
  PYCAUSET_BLAS_TRAITS(d, double, PYCAUSET_BLAS_BY_VALUE)
  static double dot(lp_int n, const double* x, lp_int incx, const double* y, lp_int incy) {
    return scipy_cblas_ddot64_(n, x, incx, y, incy);
  }
};
template <> struct Blas<cfloat> {
  PYCAUSET_BLAS_TRAITS(c, cfloat, PYCAUSET_BLAS_BY_POINTER)
  static cfloat dot(lp_int n, const cfloat* x, lp_int incx, const cfloat* y, lp_int incy) {
    cfloat r;
    scipy_cblas_cdotu_sub64_(n, x, incx, y, incy, &r);
    return r;
  }
};
template <> struct Blas<cdouble> {
  PYCAUSET_BLAS_TRAITS(z, cdouble, PYCAUSET_BLAS_BY_POINTER)
  static cdouble dot(lp_int n, const cdouble* x, lp_int incx, const cdouble* y, lp_int incy) {
    cdouble r;
    scipy_cblas_zdotu_sub64_(n, x, incx, y, incy, &r);
    return r;
  }
};

#undef PYCAUSET_BLAS_TRAITS
#undef PYCAUSET_BLAS_BY_VALUE
#undef PYCAUSET_BLAS_BY_POINTER

}  // namespace pycauset::linalg::detail
