#pragma once
// The LAPACK entry points of the bundled scipy-openblas64 (ILP64: 64-bit
// integers; symbols prefixed `scipy_` and suffixed `64_`), declared here and
// wrapped in a traits class over the four LAPACK element types.
//
// Why our own prototypes: the wheel's lapack.h/lapacke.h macros do not apply
// the symbol prefix, and lapacke.h's complex typedefs clash with C++. We call
// the LAPACKE `_work` variants in column-major layout: they pass straight to
// the Fortran routines (with the right hidden string lengths), do no NaN scan
// and allocate nothing, so every workspace comes from the memory governor.
// std::complex<T> has the layout of Fortran COMPLEX, so pointers to it are
// passed where LAPACKE expects lapack_complex_float/double.
#include <complex>
#include <cstdint>

#include "blas_api.hpp"  // lp_int, cfloat, cdouble and the BLAS half of the traits

extern "C" {
using pycauset::linalg::detail::cdouble;
using pycauset::linalg::detail::cfloat;
using pycauset::linalg::detail::lp_int;

#define PYCAUSET_LAPACK_GETRF(P, T) \
  lp_int scipy_LAPACKE_##P##getrf_work64_(int layout, lp_int m, lp_int n, T* a, lp_int lda, lp_int* ipiv);
#define PYCAUSET_LAPACK_GETRS(P, T)                                                                    \
  lp_int scipy_LAPACKE_##P##getrs_work64_(int layout, char trans, lp_int n, lp_int nrhs, const T* a, \
                                          lp_int lda, const lp_int* ipiv, T* b, lp_int ldb);
#define PYCAUSET_LAPACK_TRTRI(P, T) \
  lp_int scipy_LAPACKE_##P##trtri_work64_(int layout, char uplo, char diag, lp_int n, T* a, lp_int lda);
#define PYCAUSET_LAPACK_TRTRS(P, T)                                                                      \
  lp_int scipy_LAPACKE_##P##trtrs_work64_(int layout, char uplo, char trans, char diag, lp_int n,      \
                                          lp_int nrhs, const T* a, lp_int lda, T* b, lp_int ldb);
#define PYCAUSET_LAPACK_LASWP(P, T)                                                               \
  lp_int scipy_LAPACKE_##P##laswp_work64_(int layout, lp_int n, T* a, lp_int lda, lp_int k1, lp_int k2, \
                                          const lp_int* ipiv, lp_int incx);
#define PYCAUSET_LAPACK_COMMON(P, T) \
  PYCAUSET_LAPACK_LASWP(P, T)        \
  PYCAUSET_LAPACK_GETRF(P, T)        \
  PYCAUSET_LAPACK_GETRS(P, T)        \
  PYCAUSET_LAPACK_TRTRI(P, T)        \
  PYCAUSET_LAPACK_TRTRS(P, T)

PYCAUSET_LAPACK_COMMON(s, float)
PYCAUSET_LAPACK_COMMON(d, double)
PYCAUSET_LAPACK_COMMON(c, cfloat)
PYCAUSET_LAPACK_COMMON(z, cdouble)

#undef PYCAUSET_LAPACK_COMMON
#undef PYCAUSET_LAPACK_GETRF
#undef PYCAUSET_LAPACK_LASWP
#undef PYCAUSET_LAPACK_GETRS
#undef PYCAUSET_LAPACK_TRTRI
#undef PYCAUSET_LAPACK_TRTRS

// Symmetric / Hermitian eigenproblems (divide and conquer).
lp_int scipy_LAPACKE_ssyevd_work64_(int layout, char jobz, char uplo, lp_int n, float* a, lp_int lda,
                                    float* w, float* work, lp_int lwork, lp_int* iwork, lp_int liwork);
lp_int scipy_LAPACKE_dsyevd_work64_(int layout, char jobz, char uplo, lp_int n, double* a, lp_int lda,
                                    double* w, double* work, lp_int lwork, lp_int* iwork, lp_int liwork);
lp_int scipy_LAPACKE_cheevd_work64_(int layout, char jobz, char uplo, lp_int n, cfloat* a, lp_int lda,
                                    float* w, cfloat* work, lp_int lwork, float* rwork, lp_int lrwork,
                                    lp_int* iwork, lp_int liwork);
lp_int scipy_LAPACKE_zheevd_work64_(int layout, char jobz, char uplo, lp_int n, cdouble* a, lp_int lda,
                                    double* w, cdouble* work, lp_int lwork, double* rwork, lp_int lrwork,
                                    lp_int* iwork, lp_int liwork);

// General eigenproblems.
lp_int scipy_LAPACKE_sgeev_work64_(int layout, char jobvl, char jobvr, lp_int n, float* a, lp_int lda,
                                   float* wr, float* wi, float* vl, lp_int ldvl, float* vr, lp_int ldvr,
                                   float* work, lp_int lwork);
lp_int scipy_LAPACKE_dgeev_work64_(int layout, char jobvl, char jobvr, lp_int n, double* a, lp_int lda,
                                   double* wr, double* wi, double* vl, lp_int ldvl, double* vr,
                                   lp_int ldvr, double* work, lp_int lwork);
lp_int scipy_LAPACKE_cgeev_work64_(int layout, char jobvl, char jobvr, lp_int n, cfloat* a, lp_int lda,
                                   cfloat* w, cfloat* vl, lp_int ldvl, cfloat* vr, lp_int ldvr,
                                   cfloat* work, lp_int lwork, float* rwork);
lp_int scipy_LAPACKE_zgeev_work64_(int layout, char jobvl, char jobvr, lp_int n, cdouble* a, lp_int lda,
                                   cdouble* w, cdouble* vl, lp_int ldvl, cdouble* vr, lp_int ldvr,
                                   cdouble* work, lp_int lwork, double* rwork);

// Singular values (divide and conquer).
lp_int scipy_LAPACKE_sgesdd_work64_(int layout, char jobz, lp_int m, lp_int n, float* a, lp_int lda,
                                    float* s, float* u, lp_int ldu, float* vt, lp_int ldvt, float* work,
                                    lp_int lwork, lp_int* iwork);
lp_int scipy_LAPACKE_dgesdd_work64_(int layout, char jobz, lp_int m, lp_int n, double* a, lp_int lda,
                                    double* s, double* u, lp_int ldu, double* vt, lp_int ldvt,
                                    double* work, lp_int lwork, lp_int* iwork);
lp_int scipy_LAPACKE_cgesdd_work64_(int layout, char jobz, lp_int m, lp_int n, cfloat* a, lp_int lda,
                                    float* s, cfloat* u, lp_int ldu, cfloat* vt, lp_int ldvt,
                                    cfloat* work, lp_int lwork, float* rwork, lp_int* iwork);
lp_int scipy_LAPACKE_zgesdd_work64_(int layout, char jobz, lp_int m, lp_int n, cdouble* a, lp_int lda,
                                    double* s, cdouble* u, lp_int ldu, cdouble* vt, lp_int ldvt,
                                    cdouble* work, lp_int lwork, double* rwork, lp_int* iwork);

// QR (Householder), Cholesky and least squares (SVD, divide and conquer).
#define PYCAUSET_LAPACK_QR_CHOL(P, Q, T)                                                                \
  lp_int scipy_LAPACKE_##P##geqrf_work64_(int layout, lp_int m, lp_int n, T* a, lp_int lda, T* tau,   \
                                          T* work, lp_int lwork);                                     \
  lp_int scipy_LAPACKE_##P##Q##gqr_work64_(int layout, lp_int m, lp_int n, lp_int k, T* a, lp_int lda, \
                                           const T* tau, T* work, lp_int lwork);                      \
  lp_int scipy_LAPACKE_##P##potrf_work64_(int layout, char uplo, lp_int n, T* a, lp_int lda);
PYCAUSET_LAPACK_QR_CHOL(s, or, float)
PYCAUSET_LAPACK_QR_CHOL(d, or, double)
PYCAUSET_LAPACK_QR_CHOL(c, un, cfloat)
PYCAUSET_LAPACK_QR_CHOL(z, un, cdouble)
#undef PYCAUSET_LAPACK_QR_CHOL

lp_int scipy_LAPACKE_sgelsd_work64_(int layout, lp_int m, lp_int n, lp_int nrhs, float* a, lp_int lda,
                                    float* b, lp_int ldb, float* s, float rcond, lp_int* rank,
                                    float* work, lp_int lwork, lp_int* iwork);
lp_int scipy_LAPACKE_dgelsd_work64_(int layout, lp_int m, lp_int n, lp_int nrhs, double* a, lp_int lda,
                                    double* b, lp_int ldb, double* s, double rcond, lp_int* rank,
                                    double* work, lp_int lwork, lp_int* iwork);
lp_int scipy_LAPACKE_cgelsd_work64_(int layout, lp_int m, lp_int n, lp_int nrhs, cfloat* a, lp_int lda,
                                    cfloat* b, lp_int ldb, float* s, float rcond, lp_int* rank,
                                    cfloat* work, lp_int lwork, float* rwork, lp_int* iwork);
lp_int scipy_LAPACKE_zgelsd_work64_(int layout, lp_int m, lp_int n, lp_int nrhs, cdouble* a, lp_int lda,
                                    cdouble* b, lp_int ldb, double* s, double rcond, lp_int* rank,
                                    cdouble* work, lp_int lwork, double* rwork, lp_int* iwork);

// Real only: Householder reflector, bidiagonal SVD (QR iteration and divide
// and conquer), and applying the reflectors of sytrd's form (the spectra of
// antisymmetric matrices).
#define PYCAUSET_LAPACK_REAL(P, T)                                                                            \
  lp_int scipy_LAPACKE_##P##larfg_work64_(lp_int n, T* alpha, T* x, lp_int incx, T* tau);                   \
  lp_int scipy_LAPACKE_##P##bdsqr_work64_(int layout, char uplo, lp_int n, lp_int ncvt, lp_int nru,           \
                                          lp_int ncc, T* d, T* e, T* vt, lp_int ldvt, T* u, lp_int ldu, T* c, \
                                          lp_int ldc, T* work);                                                \
  lp_int scipy_LAPACKE_##P##bdsdc_work64_(int layout, char uplo, char compq, lp_int n, T* d, T* e, T* u,      \
                                          lp_int ldu, T* vt, lp_int ldvt, T* q, lp_int* iq, T* work,          \
                                          lp_int* iwork);                                                      \
  lp_int scipy_LAPACKE_##P##ormtr_work64_(int layout, char side, char uplo, char trans, lp_int m, lp_int n,   \
                                          const T* a, lp_int lda, const T* tau, T* c, lp_int ldc, T* work,    \
                                          lp_int lwork);
PYCAUSET_LAPACK_REAL(s, float)
PYCAUSET_LAPACK_REAL(d, double)
#undef PYCAUSET_LAPACK_REAL
}  // extern "C"

namespace pycauset::linalg::detail {

inline constexpr int kColMajor = 102;  // LAPACK_COL_MAJOR

/// s/d/c/z dispatch: Lapack<T>::getrf(...) etc. with column-major layout
/// fixed. Return values are LAPACK's INFO. Lapack<T> is also a Blas<T>
/// (blas_api.hpp), so L::gemm, L::trsm and L::trmm reach the same BLAS.
template <class T> struct Lapack;

#define PYCAUSET_LAPACK_TRAITS(P, T, R)                                                              \
  using real_type = R;                                                                                \
  static lp_int getrf(lp_int m, lp_int n, T* a, lp_int lda, lp_int* ipiv) {                          \
    return scipy_LAPACKE_##P##getrf_work64_(kColMajor, m, n, a, lda, ipiv);                          \
  }                                                                                                   \
  static lp_int getrs(char trans, lp_int n, lp_int nrhs, const T* a, lp_int lda, const lp_int* ipiv, \
                      T* b, lp_int ldb) {                                                             \
    return scipy_LAPACKE_##P##getrs_work64_(kColMajor, trans, n, nrhs, a, lda, ipiv, b, ldb);        \
  }                                                                                                   \
  static lp_int trtri(char uplo, char diag, lp_int n, T* a, lp_int lda) {                            \
    return scipy_LAPACKE_##P##trtri_work64_(kColMajor, uplo, diag, n, a, lda);                       \
  }                                                                                                   \
  static lp_int trtrs(char uplo, char trans, char diag, lp_int n, lp_int nrhs, const T* a,          \
                      lp_int lda, T* b, lp_int ldb) {                                                 \
    return scipy_LAPACKE_##P##trtrs_work64_(kColMajor, uplo, trans, diag, n, nrhs, a, lda, b, ldb);  \
  }                                                                                                   \
  static lp_int geqrf(lp_int m, lp_int n, T* a, lp_int lda, T* tau, T* work, lp_int lwork) {       \
    return scipy_LAPACKE_##P##geqrf_work64_(kColMajor, m, n, a, lda, tau, work, lwork);              \
  }                                                                                                   \
  static lp_int potrf(char uplo, lp_int n, T* a, lp_int lda) {                                        \
    return scipy_LAPACKE_##P##potrf_work64_(kColMajor, uplo, n, a, lda);                             \
  }                                                                                                   \
  /* Row interchanges k1..k2 (1-based, as getrf records them) of the column-major m x n a. */         \
  static lp_int laswp(lp_int n, T* a, lp_int lda, lp_int k1, lp_int k2, const lp_int* ipiv) {         \
    return scipy_LAPACKE_##P##laswp_work64_(kColMajor, n, a, lda, k1, k2, ipiv, 1);                   \
  }

// The real-only routines: bdsqr without a C matrix (ncc = 0); bdsdc with both
// singular vector matrices (compq 'I').
#define PYCAUSET_LAPACK_REAL_TRAITS(P, T)                                                                      \
  static lp_int larfg(lp_int n, T* alpha, T* x, lp_int incx, T* tau) {                                         \
    return scipy_LAPACKE_##P##larfg_work64_(n, alpha, x, incx, tau);                                           \
  }                                                                                                            \
  static lp_int bdsqr(char uplo, lp_int n, lp_int ncvt, lp_int nru, T* d, T* e, T* vt, lp_int ldvt, T* u,      \
                      lp_int ldu, T* work) {                                                                   \
    T c = 0;                                                                                                   \
    return scipy_LAPACKE_##P##bdsqr_work64_(kColMajor, uplo, n, ncvt, nru, 0, d, e, vt, ldvt, u, ldu, &c, 1,   \
                                            work);                                                             \
  }                                                                                                            \
  static lp_int bdsdc(char uplo, lp_int n, T* d, T* e, T* u, lp_int ldu, T* vt, lp_int ldvt, T* work,          \
                      lp_int* iwork) {                                                                         \
    T q = 0;                                                                                                   \
    lp_int iq = 0;                                                                                             \
    return scipy_LAPACKE_##P##bdsdc_work64_(kColMajor, uplo, 'I', n, d, e, u, ldu, vt, ldvt, &q, &iq, work,    \
                                            iwork);                                                            \
  }                                                                                                            \
  static lp_int ormtr(char side, char uplo, char trans, lp_int m, lp_int n, const T* a, lp_int lda,            \
                      const T* tau, T* c, lp_int ldc, T* work, lp_int lwork) {                                 \
    return scipy_LAPACKE_##P##ormtr_work64_(kColMajor, side, uplo, trans, m, n, a, lda, tau, c, ldc, work,     \
                                            lwork);                                                            \
  }

template <> struct Lapack<float> : Blas<float> {
  PYCAUSET_LAPACK_TRAITS(s, float, float)
  PYCAUSET_LAPACK_REAL_TRAITS(s, float)
  static lp_int heevd(char jobz, char uplo, lp_int n, float* a, lp_int lda, float* w, float* work,
                      lp_int lwork, float*, lp_int, lp_int* iwork, lp_int liwork) {
    return scipy_LAPACKE_ssyevd_work64_(kColMajor, jobz, uplo, n, a, lda, w, work, lwork, iwork, liwork);
  }
  static lp_int gesdd_values(lp_int m, lp_int n, float* a, lp_int lda, float* s, float* work,
                             lp_int lwork, float*, lp_int* iwork) {
    float dummy = 0;
    return scipy_LAPACKE_sgesdd_work64_(kColMajor, 'N', m, n, a, lda, s, &dummy, 1, &dummy, 1, work,
                                        lwork, iwork);
  }
  static lp_int orgqr(lp_int m, lp_int n, lp_int k, float* a, lp_int lda, const float* tau, float* work,
                      lp_int lwork) {
    return scipy_LAPACKE_sorgqr_work64_(kColMajor, m, n, k, a, lda, tau, work, lwork);
  }
  /* jobz 'A' (full) or 'S' (reduced) singular vectors. */
  static lp_int gesdd(char jobz, lp_int m, lp_int n, float* a, lp_int lda, float* s, float* u, lp_int ldu,
                      float* vt, lp_int ldvt, float* work, lp_int lwork, float*, lp_int* iwork) {
    return scipy_LAPACKE_sgesdd_work64_(kColMajor, jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork,
                                        iwork);
  }
  static lp_int gelsd(lp_int m, lp_int n, lp_int nrhs, float* a, lp_int lda, float* b, lp_int ldb, float* s,
                      float rcond, lp_int* rank, float* work, lp_int lwork, float*, lp_int* iwork) {
    return scipy_LAPACKE_sgelsd_work64_(kColMajor, m, n, nrhs, a, lda, b, ldb, s, rcond, rank, work, lwork,
                                        iwork);
  }
};
template <> struct Lapack<double> : Blas<double> {
  PYCAUSET_LAPACK_TRAITS(d, double, double)
  PYCAUSET_LAPACK_REAL_TRAITS(d, double)
  static lp_int heevd(char jobz, char uplo, lp_int n, double* a, lp_int lda, double* w, double* work,
                      lp_int lwork, double*, lp_int, lp_int* iwork, lp_int liwork) {
    return scipy_LAPACKE_dsyevd_work64_(kColMajor, jobz, uplo, n, a, lda, w, work, lwork, iwork, liwork);
  }
  static lp_int gesdd_values(lp_int m, lp_int n, double* a, lp_int lda, double* s, double* work,
                             lp_int lwork, double*, lp_int* iwork) {
    double dummy = 0;
    return scipy_LAPACKE_dgesdd_work64_(kColMajor, 'N', m, n, a, lda, s, &dummy, 1, &dummy, 1, work,
                                        lwork, iwork);
  }
  static lp_int orgqr(lp_int m, lp_int n, lp_int k, double* a, lp_int lda, const double* tau, double* work,
                      lp_int lwork) {
    return scipy_LAPACKE_dorgqr_work64_(kColMajor, m, n, k, a, lda, tau, work, lwork);
  }
  /* jobz 'A' (full) or 'S' (reduced) singular vectors. */
  static lp_int gesdd(char jobz, lp_int m, lp_int n, double* a, lp_int lda, double* s, double* u, lp_int ldu,
                      double* vt, lp_int ldvt, double* work, lp_int lwork, double*, lp_int* iwork) {
    return scipy_LAPACKE_dgesdd_work64_(kColMajor, jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork,
                                        iwork);
  }
  static lp_int gelsd(lp_int m, lp_int n, lp_int nrhs, double* a, lp_int lda, double* b, lp_int ldb, double* s,
                      double rcond, lp_int* rank, double* work, lp_int lwork, double*, lp_int* iwork) {
    return scipy_LAPACKE_dgelsd_work64_(kColMajor, m, n, nrhs, a, lda, b, ldb, s, rcond, rank, work, lwork,
                                        iwork);
  }
};
template <> struct Lapack<cfloat> : Blas<cfloat> {
  PYCAUSET_LAPACK_TRAITS(c, cfloat, float)
  static lp_int heevd(char jobz, char uplo, lp_int n, cfloat* a, lp_int lda, float* w, cfloat* work,
                      lp_int lwork, float* rwork, lp_int lrwork, lp_int* iwork, lp_int liwork) {
    return scipy_LAPACKE_cheevd_work64_(kColMajor, jobz, uplo, n, a, lda, w, work, lwork, rwork, lrwork,
                                        iwork, liwork);
  }
  static lp_int gesdd_values(lp_int m, lp_int n, cfloat* a, lp_int lda, float* s, cfloat* work,
                             lp_int lwork, float* rwork, lp_int* iwork) {
    cfloat dummy = 0;
    return scipy_LAPACKE_cgesdd_work64_(kColMajor, 'N', m, n, a, lda, s, &dummy, 1, &dummy, 1, work,
                                        lwork, rwork, iwork);
  }
  static lp_int orgqr(lp_int m, lp_int n, lp_int k, cfloat* a, lp_int lda, const cfloat* tau, cfloat* work,
                      lp_int lwork) {
    return scipy_LAPACKE_cungqr_work64_(kColMajor, m, n, k, a, lda, tau, work, lwork);
  }
  /* jobz 'A' (full) or 'S' (reduced) singular vectors. */
  static lp_int gesdd(char jobz, lp_int m, lp_int n, cfloat* a, lp_int lda, float* s, cfloat* u, lp_int ldu,
                      cfloat* vt, lp_int ldvt, cfloat* work, lp_int lwork, float* rwork, lp_int* iwork) {
    return scipy_LAPACKE_cgesdd_work64_(kColMajor, jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, rwork,
                                        iwork);
  }
  static lp_int gelsd(lp_int m, lp_int n, lp_int nrhs, cfloat* a, lp_int lda, cfloat* b, lp_int ldb, float* s,
                      float rcond, lp_int* rank, cfloat* work, lp_int lwork, float* rwork, lp_int* iwork) {
    return scipy_LAPACKE_cgelsd_work64_(kColMajor, m, n, nrhs, a, lda, b, ldb, s, rcond, rank, work, lwork, rwork,
                                        iwork);
  }
};
template <> struct Lapack<cdouble> : Blas<cdouble> {
  PYCAUSET_LAPACK_TRAITS(z, cdouble, double)
  static lp_int heevd(char jobz, char uplo, lp_int n, cdouble* a, lp_int lda, double* w, cdouble* work,
                      lp_int lwork, double* rwork, lp_int lrwork, lp_int* iwork, lp_int liwork) {
    return scipy_LAPACKE_zheevd_work64_(kColMajor, jobz, uplo, n, a, lda, w, work, lwork, rwork, lrwork,
                                        iwork, liwork);
  }
  static lp_int gesdd_values(lp_int m, lp_int n, cdouble* a, lp_int lda, double* s, cdouble* work,
                             lp_int lwork, double* rwork, lp_int* iwork) {
    cdouble dummy = 0;
    return scipy_LAPACKE_zgesdd_work64_(kColMajor, 'N', m, n, a, lda, s, &dummy, 1, &dummy, 1, work,
                                        lwork, rwork, iwork);
  }
  static lp_int orgqr(lp_int m, lp_int n, lp_int k, cdouble* a, lp_int lda, const cdouble* tau, cdouble* work,
                      lp_int lwork) {
    return scipy_LAPACKE_zungqr_work64_(kColMajor, m, n, k, a, lda, tau, work, lwork);
  }
  /* jobz 'A' (full) or 'S' (reduced) singular vectors. */
  static lp_int gesdd(char jobz, lp_int m, lp_int n, cdouble* a, lp_int lda, double* s, cdouble* u, lp_int ldu,
                      cdouble* vt, lp_int ldvt, cdouble* work, lp_int lwork, double* rwork, lp_int* iwork) {
    return scipy_LAPACKE_zgesdd_work64_(kColMajor, jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, rwork,
                                        iwork);
  }
  static lp_int gelsd(lp_int m, lp_int n, lp_int nrhs, cdouble* a, lp_int lda, cdouble* b, lp_int ldb, double* s,
                      double rcond, lp_int* rank, cdouble* work, lp_int lwork, double* rwork, lp_int* iwork) {
    return scipy_LAPACKE_zgelsd_work64_(kColMajor, m, n, nrhs, a, lda, b, ldb, s, rcond, rank, work, lwork, rwork,
                                        iwork);
  }
};

#undef PYCAUSET_LAPACK_TRAITS
#undef PYCAUSET_LAPACK_REAL_TRAITS

// geev differs between real (wr, wi) and complex (w, rwork) types; the
// callers are separate too.
inline lp_int geev(char jobvr, lp_int n, float* a, lp_int lda, float* wr, float* wi, float* vr,
                   lp_int ldvr, float* work, lp_int lwork) {
  float vl = 0;
  return scipy_LAPACKE_sgeev_work64_(kColMajor, 'N', jobvr, n, a, lda, wr, wi, &vl, 1, vr, ldvr, work,
                                     lwork);
}
inline lp_int geev(char jobvr, lp_int n, double* a, lp_int lda, double* wr, double* wi, double* vr,
                   lp_int ldvr, double* work, lp_int lwork) {
  double vl = 0;
  return scipy_LAPACKE_dgeev_work64_(kColMajor, 'N', jobvr, n, a, lda, wr, wi, &vl, 1, vr, ldvr, work,
                                     lwork);
}
inline lp_int geev(char jobvr, lp_int n, cfloat* a, lp_int lda, cfloat* w, cfloat* vr, lp_int ldvr,
                   cfloat* work, lp_int lwork, float* rwork) {
  cfloat vl = 0;
  return scipy_LAPACKE_cgeev_work64_(kColMajor, 'N', jobvr, n, a, lda, w, &vl, 1, vr, ldvr, work, lwork,
                                     rwork);
}
inline lp_int geev(char jobvr, lp_int n, cdouble* a, lp_int lda, cdouble* w, cdouble* vr, lp_int ldvr,
                   cdouble* work, lp_int lwork, double* rwork) {
  cdouble vl = 0;
  return scipy_LAPACKE_zgeev_work64_(kColMajor, 'N', jobvr, n, a, lda, w, &vl, 1, vr, ldvr, work, lwork,
                                     rwork);
}

}  // namespace pycauset::linalg::detail
