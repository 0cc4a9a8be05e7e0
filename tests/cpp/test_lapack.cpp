#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <complex>
#include <initializer_list>
#include <vector>

#include "pycauset/core/error.hpp"
#include "pycauset/core/progress.hpp"
#include "pycauset/linalg/lapack.hpp"
#include "pycauset/storage/governor.hpp"

using namespace pycauset;
using index_t = Array::index_t;
using cd = std::complex<double>;

namespace {

Array matrix(index_t rows, index_t cols, std::initializer_list<double> values,
             DType dtype = DType::float64) {
  std::array<index_t, 2> shape{rows, cols};
  Array a = Array::empty(shape, dtype);
  auto it = values.begin();
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) a.set(i, j, Scalar::of_float(*it++));
  return a;
}

Array vector(std::initializer_list<double> values, DType dtype = DType::float64) {
  std::array<index_t, 1> shape{index_t(values.size())};
  Array a = Array::empty(shape, dtype);
  index_t i = 0;
  for (double v : values) a.set(i++, 0, Scalar::of_float(v));
  return a;
}

double at(const Array& a, index_t i, index_t j = 0) { return a.get(i, j).c.real(); }

void expect_matrix_near(const Array& a, index_t rows, index_t cols, std::initializer_list<double> want,
                        double tol) {
  ASSERT_EQ(a.ndim(), 2);
  ASSERT_EQ(a.shape(0), rows);
  ASSERT_EQ(a.shape(1), cols);
  auto it = want.begin();
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) EXPECT_NEAR(at(a, i, j), *it++, tol) << i << "," << j;
}

}  // namespace

TEST(Lapack, InverseOfKnownMatrices) {
  // [[4, 7], [2, 6]]^-1 = [[0.6, -0.7], [-0.2, 0.4]] (det 10).
  Array a = matrix(2, 2, {4, 7, 2, 6});
  expect_matrix_near(linalg::inv(a, DType::float64), 2, 2, {0.6, -0.7, -0.2, 0.4}, 1e-15);
  // The 1-D Laplacian: tridiag(-1, 2, -1)^-1 = [[3, 2, 1], [2, 4, 2], [1, 2, 3]] / 4.
  Array l = matrix(3, 3, {2, -1, 0, -1, 2, -1, 0, -1, 2});
  Array li = linalg::inv(l, DType::float64);
  expect_matrix_near(li, 3, 3, {0.75, 0.5, 0.25, 0.5, 1.0, 0.5, 0.25, 0.5, 0.75}, 1e-15);
  EXPECT_TRUE(li.is_contiguous());
  EXPECT_EQ(at(l, 0, 0), 2.0);  // input untouched
  // Single precision and a transposed (column-major) view.
  expect_matrix_near(linalg::inv(a, DType::float32), 2, 2, {0.6, -0.7, -0.2, 0.4}, 1e-6);
  expect_matrix_near(linalg::inv(a.transpose(), DType::float64), 2, 2, {0.6, -0.2, -0.7, 0.4}, 1e-15);
}

TEST(Lapack, InverseComplexAndConverted) {
  // [[1, i], [0, 2]]^-1 = [[1, -i/2], [0, 1/2]].
  std::array<index_t, 2> shape{2, 2};
  Array a = Array::empty(shape, DType::complex128, true);
  a.set(0, 0, Scalar::of_complex({1, 0}));
  a.set(0, 1, Scalar::of_complex({0, 1}));
  a.set(1, 1, Scalar::of_complex({2, 0}));
  Array x = linalg::inv(a, DType::complex128);
  EXPECT_EQ(x.dtype(), DType::complex128);
  EXPECT_NEAR(std::abs(x.get(0, 1).c - cd(0, -0.5)), 0, 1e-15);
  EXPECT_NEAR(std::abs(x.get(1, 1).c - cd(0.5, 0)), 0, 1e-15);
  // Integer input computes in the dtype it is asked for.
  Array ints = matrix(2, 2, {4, 7, 2, 6}, DType::int32);
  Array xi = linalg::inv(ints, DType::float64);
  EXPECT_EQ(xi.dtype(), DType::float64);
  EXPECT_NEAR(at(xi, 0, 1), -0.7, 1e-15);
  EXPECT_THROW(linalg::inv(ints, DType::int64), TypeError);
}

TEST(Lapack, SingularAndNonSquareThrowLinAlgError) {
  Array s = matrix(2, 2, {1, 2, 2, 4});
  EXPECT_THROW(linalg::inv(s, DType::float64), LinAlgError);
  EXPECT_THROW(linalg::solve(s, vector({1, 1}), DType::float64), LinAlgError);
  EXPECT_THROW(linalg::solve(s, matrix(2, 1, {1, 1}), DType::float64), LinAlgError);
  try {
    linalg::inv(s, DType::float64);
  } catch (const LinAlgError& e) {
    EXPECT_STREQ(e.what(), "Singular matrix");
  }
  EXPECT_THROW(linalg::inv(matrix(2, 3, {1, 2, 3, 4, 5, 6}), DType::float64), LinAlgError);
  EXPECT_THROW(linalg::det(vector({1, 2}), DType::float64), LinAlgError);
  Array tri = matrix(2, 2, {1, 5, 0, 0});
  EXPECT_THROW(linalg::inv_triangular(tri, DType::float64, false), LinAlgError);
  EXPECT_THROW(linalg::solve_triangular(tri, vector({1, 1}), DType::float64, false), LinAlgError);
}

TEST(Lapack, SolveVectorAndMatrixRightHandSides) {
  // 3x + y = 9, x + 2y = 8 -> (2, 3); 3x + y = 1, x + 2y = 2 -> (0, 1).
  Array a = matrix(2, 2, {3, 1, 1, 2});
  Array x = linalg::solve(a, vector({9, 8}), DType::float64);
  ASSERT_EQ(x.ndim(), 1);
  EXPECT_NEAR(at(x, 0), 2.0, 1e-15);
  EXPECT_NEAR(at(x, 1), 3.0, 1e-15);
  expect_matrix_near(linalg::solve(a, matrix(2, 2, {9, 1, 8, 2}), DType::float64), 2, 2, {2, 0, 3, 1},
                     1e-15);
  // Pivoting: the first pivot is zero.
  Array p = matrix(3, 3, {0, 1, 1, 1, 0, 1, 1, 1, 0});
  expect_matrix_near(linalg::solve(p, matrix(3, 2, {2, 5, 2, 4, 2, 3}), DType::float64), 3, 2,
                     {1, 1, 1, 2, 1, 3}, 1e-14);
  EXPECT_THROW(linalg::solve(a, vector({1, 2, 3}), DType::float64), ValueError);
  EXPECT_THROW(linalg::solve(a, matrix(3, 1, {1, 2, 3}), DType::float64), ValueError);
}

TEST(Lapack, TriangularInverseAndSolve) {
  // [[2, 1], [0, 4]]^-1 = [[0.5, -0.125], [0, 0.25]]; the lower triangle is ignored.
  Array u = matrix(2, 2, {2, 1, 99, 4});
  expect_matrix_near(linalg::inv_triangular(u, DType::float64, false), 2, 2, {0.5, -0.125, 0, 0.25},
                     1e-15);
  expect_matrix_near(linalg::inv_triangular(u, DType::float64, true), 2, 2, {0.5, 0, -99.0 / 8, 0.25},
                     1e-13);
  Array x = linalg::solve_triangular(u, vector({4, 8}), DType::float64, false);
  EXPECT_NEAR(at(x, 0), 1.0, 1e-15);
  EXPECT_NEAR(at(x, 1), 2.0, 1e-15);
  expect_matrix_near(linalg::solve_triangular(u, matrix(2, 1, {4, 8}), DType::float64, false), 2, 1,
                     {1, 2}, 1e-15);
  // Column-major view of the same upper triangle.
  Array ut = matrix(2, 2, {2, 99, 1, 4}).transpose();
  expect_matrix_near(linalg::solve_triangular(ut, matrix(2, 1, {4, 8}), DType::float64, false), 2, 1,
                     {1, 2}, 1e-15);
  // Unit diagonal: the stored diagonal is not read.
  expect_matrix_near(linalg::inv_triangular(u, DType::float64, false, true), 2, 2, {1, -1, 0, 1}, 0);
}

TEST(Lapack, DeterminantAndSlogdet) {
  Array l = matrix(3, 3, {2, -1, 0, -1, 2, -1, 0, -1, 2});
  EXPECT_NEAR(linalg::det(l, DType::float64).c.real(), 4.0, 1e-14);
  Array swap = matrix(2, 2, {0, 1, 1, 0});
  EXPECT_EQ(linalg::det(swap, DType::float64).c.real(), -1.0);
  linalg::SlogdetResult r = linalg::slogdet(l, DType::float64);
  EXPECT_EQ(r.sign.c.real(), 1.0);
  EXPECT_NEAR(r.logabsdet, std::log(4.0), 1e-14);
  Array s = matrix(2, 2, {1, 2, 2, 4});
  EXPECT_EQ(linalg::det(s, DType::float64).c.real(), 0.0);
  EXPECT_EQ(linalg::slogdet(s, DType::float64).sign.c.real(), 0.0);
  EXPECT_TRUE(std::isinf(linalg::slogdet(s, DType::float64).logabsdet));
  // 1e200 * 1e-200 = 1 without an intermediate overflow.
  EXPECT_NEAR(linalg::det(matrix(2, 2, {1e200, 0, 0, 1e-200}), DType::float64).c.real(), 1.0, 1e-15);
  std::array<index_t, 2> empty{0, 0};
  EXPECT_EQ(linalg::det(Array::empty(empty, DType::float64), DType::float64).c.real(), 1.0);
}

TEST(Lapack, SymmetricEigenproblem) {
  Array a = matrix(2, 2, {2, 1, 1, 2});
  linalg::EighResult r = linalg::eigh(a, DType::float64);
  EXPECT_NEAR(at(r.eigenvalues, 0), 1.0, 1e-15);
  EXPECT_NEAR(at(r.eigenvalues, 1), 3.0, 1e-15);
  ASSERT_TRUE(r.eigenvectors.has_value());
  const Array& v = *r.eigenvectors;
  const double h = std::sqrt(0.5);
  EXPECT_NEAR(std::abs(at(v, 0, 1)), h, 1e-15);  // (1, 1) / sqrt 2 for eigenvalue 3
  EXPECT_NEAR(at(v, 0, 1), at(v, 1, 1), 1e-15);
  EXPECT_NEAR(at(v, 0, 0), -at(v, 1, 0), 1e-15);  // (1, -1) / sqrt 2 for eigenvalue 1
  EXPECT_FALSE(linalg::eigh(a, DType::float64, true, false).eigenvectors.has_value());
  // Only the lower triangle is read by default.
  Array lower_only = matrix(2, 2, {2, 100, 1, 2});
  EXPECT_NEAR(at(linalg::eigh(lower_only, DType::float64).eigenvalues, 1), 3.0, 1e-15);
}

TEST(Lapack, GeneralEigenproblem) {
  // A rotation by 90 degrees: eigenvalues +-i, complex results.
  Array rot = matrix(2, 2, {0, -1, 1, 0});
  linalg::EigResult r = linalg::eig(rot, DType::float64);
  EXPECT_EQ(r.eigenvalues.dtype(), DType::complex128);
  EXPECT_NEAR(std::abs(r.eigenvalues.get(0).c - cd(0, 1)), 0, 1e-15);
  EXPECT_NEAR(std::abs(r.eigenvalues.get(1).c - cd(0, -1)), 0, 1e-15);
  // A v = lambda v for the first eigenvector.
  const Array& v = *r.eigenvectors;
  cd v0 = v.get(0, 0).c, v1 = v.get(1, 0).c;
  EXPECT_NEAR(std::abs(-v1 - cd(0, 1) * v0), 0, 1e-15);
  // Triangular: real eigenvalues, real results.
  linalg::EigResult t = linalg::eig(matrix(2, 2, {1, 5, 0, 3}), DType::float64, false);
  EXPECT_EQ(t.eigenvalues.dtype(), DType::float64);
  EXPECT_FALSE(t.eigenvectors.has_value());
  EXPECT_NEAR(at(t.eigenvalues, 0) + at(t.eigenvalues, 1), 4.0, 1e-15);
  Array bad = matrix(2, 2, {1, NAN, 0, 1});
  EXPECT_THROW(linalg::eig(bad, DType::float64), LinAlgError);
}

TEST(Lapack, SingularValues) {
  // [[3, 0], [0, -4], [0, 0]]: singular values 4, 3.
  Array s = linalg::svdvals(matrix(3, 2, {3, 0, 0, -4, 0, 0}), DType::float64);
  ASSERT_EQ(s.shape(0), 2);
  EXPECT_NEAR(at(s, 0), 4.0, 1e-15);
  EXPECT_NEAR(at(s, 1), 3.0, 1e-15);
}

// ---- svd, qr, cholesky, lstsq, pinv (checked against hand-computed values)

TEST(Lapack, SvdOfKnownMatrix) {
  // [[3, 0], [4, 5]]: A^T A = [[25, 20], [20, 25]], eigenvalues 45 and 5.
  Array a = matrix(2, 2, {3, 0, 4, 5});
  linalg::SvdResult r = linalg::svd(a, DType::float64, true);
  EXPECT_NEAR(at(r.s, 0), std::sqrt(45.0), 1e-14);
  EXPECT_NEAR(at(r.s, 1), std::sqrt(5.0), 1e-14);
  // U diag(s) Vh reproduces A.
  for (index_t i = 0; i < 2; ++i)
    for (index_t j = 0; j < 2; ++j) {
      double v = 0;
      for (index_t k = 0; k < 2; ++k) v += at(r.u, i, k) * at(r.s, k) * at(r.vh, k, j);
      EXPECT_NEAR(v, at(a, i, j), 1e-14);
    }
  // A wide matrix, reduced: u 1 x 1, vh 1 x 3; full: vh 3 x 3.
  Array w = matrix(1, 3, {1, 2, 2});
  linalg::SvdResult red = linalg::svd(w, DType::float64, false);
  EXPECT_EQ(red.u.shape(1), 1);
  EXPECT_EQ(red.vh.shape(0), 1);
  EXPECT_NEAR(at(red.s, 0), 3.0, 1e-14);
  EXPECT_EQ(linalg::svd(w, DType::float64, true).vh.shape(0), 3);
}

TEST(Lapack, QrCholeskyLstsqPinv) {
  // QR of [[3], [4]]: |R| = 5, Q = +-[[0.6], [0.8]].
  Array a = matrix(2, 1, {3, 4});
  linalg::QrResult qr = linalg::qr(a, DType::float64, linalg::QrMode::reduced);
  ASSERT_TRUE(qr.q.has_value());
  EXPECT_NEAR(std::abs(at(qr.r, 0, 0)), 5.0, 1e-14);
  EXPECT_NEAR(at(*qr.q, 0, 0) * at(qr.r, 0, 0), 3.0, 1e-14);
  EXPECT_NEAR(at(*qr.q, 1, 0) * at(qr.r, 0, 0), 4.0, 1e-14);
  linalg::QrResult full = linalg::qr(a, DType::float64, linalg::QrMode::complete);
  EXPECT_EQ(full.q->shape(1), 2);
  EXPECT_EQ(full.r.shape(0), 2);
  EXPECT_FALSE(linalg::qr(a, DType::float64, linalg::QrMode::r).q.has_value());
  // Cholesky of [[4, 2], [2, 5]] = [[2, 0], [1, 2]] [[2, 1], [0, 2]].
  Array s = matrix(2, 2, {4, 2, 2, 5});
  expect_matrix_near(linalg::cholesky(s, DType::float64), 2, 2, {2, 0, 1, 2}, 1e-15);
  expect_matrix_near(linalg::cholesky(s, DType::float64, true), 2, 2, {2, 1, 0, 2}, 1e-15);
  EXPECT_THROW(linalg::cholesky(matrix(2, 2, {1, 2, 2, 1}), DType::float64), LinAlgError);
  // Least squares: the line through (0, 1), (1, 2), (2, 4): x = (5/6, 3/2), residual 1/6.
  Array design = matrix(3, 2, {1, 0, 1, 1, 1, 2});
  linalg::LstsqResult ls = linalg::lstsq(design, vector({1, 2, 4}), DType::float64, -1);
  EXPECT_EQ(ls.rank, 2);
  EXPECT_NEAR(at(ls.x, 0), 5.0 / 6.0, 1e-14);
  EXPECT_NEAR(at(ls.x, 1), 1.5, 1e-14);
  ASSERT_EQ(ls.residuals.shape(0), 1);
  EXPECT_NEAR(at(ls.residuals, 0), 1.0 / 6.0, 1e-14);
  EXPECT_THROW(linalg::lstsq(design, vector({1, 2}), DType::float64, -1), LinAlgError);
  // pinv of diag(2, 0) (3 x 2 with a zero row): [[0.5, 0, 0], [0, 0, 0]].
  Array d = matrix(3, 2, {2, 0, 0, 0, 0, 0});
  expect_matrix_near(linalg::pinv(d, DType::float64, 1e-15), 2, 3, {0.5, 0, 0, 0, 0, 0}, 1e-15);
}

TEST(Lapack, SvdRefusesPastTheBudgetInsteadOfSpilling) {
  // 1 MiB budget, a 400 x 400 float64 copy alone is 1.25 MiB.
  const std::size_t before = memory_limit();
  set_memory_limit(1 << 20);
  std::array<index_t, 2> shape{400, 400};
  Array a = Array::empty(shape, DType::float32, true);  // 640 KiB, fits
  EXPECT_THROW(linalg::svd(a, DType::float64, false), MemoryError);
  set_memory_limit(before);
}

TEST(Lapack, InterruptReachesTheCallerWhileTheWorkerFinishesAlone) {
  // A call long enough to run on a worker; the interrupt check throws at its
  // first poll, so the caller sees the exception long before geev would end.
  const index_t n = 500;
  std::array<index_t, 2> shape{n, n};
  Array a = Array::empty(shape, DType::float64);
  double* p = reinterpret_cast<double*>(a.data());
  for (index_t i = 0; i < n * n; ++i) p[i] = std::sin(double(i));  // dense, non-symmetric
  struct Interrupted {};
  set_interrupt_check([] { throw Interrupted{}; });
  EXPECT_THROW(linalg::eig(a, DType::float64, true), Interrupted);
  set_interrupt_check({});
  linalg::wait_for_background();  // the abandoned worker ends and frees what it held
  // The same call without an interrupt completes (and the input is unchanged).
  EXPECT_EQ(linalg::eig(a, DType::float64, false).eigenvalues.shape(0), n);
  EXPECT_EQ(p[1], std::sin(1.0));
}
