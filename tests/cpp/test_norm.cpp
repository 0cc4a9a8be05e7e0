#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>

#include "pycauset/core/error.hpp"
#include "pycauset/linalg/norm.hpp"

using namespace pycauset;
using index_t = Array::index_t;

namespace {
Array filled(index_t rows, index_t cols, DType dtype, double (*f)(index_t, index_t)) {
  std::array<index_t, 2> shape{rows, cols};
  Array a = Array::empty(shape, dtype);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) a.set(i, j, Scalar::of_float(f(i, j)));
  return a;
}
}  // namespace

TEST(Norm, VectorNormsOfAKnownMatrix) {
  // [[3, -4], [0, 12]]: Frobenius 13, sums 19, max 12, min 0, 3 non-zeros.
  Array a = filled(2, 2, DType::float64, [](index_t i, index_t j) {
    const double v[2][2] = {{3, -4}, {0, 12}};
    return v[i][j];
  });
  EXPECT_DOUBLE_EQ(linalg::vector_norm(a, 2), 13.0);
  EXPECT_DOUBLE_EQ(linalg::vector_norm(a, 1), 19.0);
  EXPECT_DOUBLE_EQ(linalg::vector_norm(a, std::numeric_limits<double>::infinity()), 12.0);
  EXPECT_DOUBLE_EQ(linalg::vector_norm(a, -std::numeric_limits<double>::infinity()), 0.0);
  EXPECT_DOUBLE_EQ(linalg::vector_norm(a, 0), 3.0);
  EXPECT_NEAR(linalg::vector_norm(a, 3), std::cbrt(27.0 + 64 + 1728), 1e-12);
  EXPECT_DOUBLE_EQ(linalg::matrix_norm(a, linalg::MatrixNorm::one), 16.0);     // |-4| + 12
  EXPECT_DOUBLE_EQ(linalg::matrix_norm(a, linalg::MatrixNorm::neg_one), 3.0);
  EXPECT_DOUBLE_EQ(linalg::matrix_norm(a, linalg::MatrixNorm::inf), 12.0);
  EXPECT_DOUBLE_EQ(linalg::matrix_norm(a, linalg::MatrixNorm::neg_inf), 7.0);
  // The transposed view swaps row and column sums.
  EXPECT_DOUBLE_EQ(linalg::matrix_norm(a.transpose(), linalg::MatrixNorm::inf), 16.0);
}

TEST(Norm, LargeBitAndIntegerArraysStream) {
  // 300 x 5000 bits with (i + j) % 3 == 0 set: blocks span several conversions.
  Array b = filled(300, 5000, DType::bit, [](index_t i, index_t j) { return (i + j) % 3 == 0 ? 1.0 : 0.0; });
  double count = 0;
  for (index_t i = 0; i < 300; ++i)
    for (index_t j = 0; j < 5000; ++j) count += (i + j) % 3 == 0;
  EXPECT_DOUBLE_EQ(linalg::vector_norm(b, 0), count);
  EXPECT_NEAR(linalg::vector_norm(b, 2), std::sqrt(count), 1e-9);
  Array ints = filled(70, 9000, DType::int16, [](index_t i, index_t j) { return double(i) - double(j % 7); });
  double row_max = 0;
  for (index_t i = 0; i < 70; ++i) {
    double s = 0;
    for (index_t j = 0; j < 9000; ++j) s += std::abs(double(i) - double(j % 7));
    row_max = std::max(row_max, s);
  }
  EXPECT_DOUBLE_EQ(linalg::matrix_norm(ints, linalg::MatrixNorm::inf), row_max);
}

TEST(Norm, EmptyAndNan) {
  std::array<index_t, 2> shape{0, 4};
  Array e = Array::empty(shape, DType::float32);
  EXPECT_EQ(linalg::vector_norm(e, 2), 0.0);
  EXPECT_THROW(linalg::vector_norm(e, std::numeric_limits<double>::infinity()), ValueError);
  EXPECT_THROW(linalg::matrix_norm(e, linalg::MatrixNorm::one), ValueError);
  Array n = filled(1, 3, DType::float64, [](index_t, index_t j) { return j == 1 ? NAN : 1.0; });
  EXPECT_TRUE(std::isnan(linalg::vector_norm(n, std::numeric_limits<double>::infinity())));
  EXPECT_TRUE(std::isnan(linalg::matrix_norm(n, linalg::MatrixNorm::one)));
}
