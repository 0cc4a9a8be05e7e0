// Exact integer products and sums at the extremes of 64-bit dtypes, against
// values worked out by hand (the Python suite checks every dtype against a
// Python-int oracle).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "pycauset/core/error.hpp"
#include "pycauset/kernels/reduce.hpp"
#include "pycauset/linalg/matmul.hpp"

using namespace pycauset;
using index_t = Array::index_t;

namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

template <class T> Array matrix(index_t rows, index_t cols, const std::vector<T>& values, DType d) {
  std::array<index_t, 2> shape{rows, cols};
  Array a = Array::empty(shape, d);
  auto* p = reinterpret_cast<T*>(a.data());
  for (std::size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return a;
}

template <class T> T at(const Array& a, index_t i) { return reinterpret_cast<const T*>(a.data())[i]; }

// Sum of a (all elements) into a one-element array of dtype d.
Array total(const Array& a, DType d, std::int64_t divisor = 1, int axis = -1) {
  const index_t len = axis == -1 ? 1 : axis == 0 ? a.shape(1) : a.shape(0);
  Array out = Array::empty(std::span(&len, 1), d);
  reduce_sum(a.ref(), axis, out.ref(), divisor);
  return out;
}

}  // namespace

TEST(IntExact, Uint64ProductWrappingToZeroRaises) {
  const std::uint64_t h = std::uint64_t(1) << 63;
  const Array u = matrix<std::uint64_t>(2, 2, {h, h, h, h}, DType::uint64);
  EXPECT_THROW(matmul(u, u, DType::uint64), OverflowError);  // 2^127; wrapping gives 0
  // (2^32 - 1)(2^32 + 1) = 2^64 - 1 fits exactly; 2^32 * 2^32 = 2^64 does not
  const std::uint64_t t = std::uint64_t(1) << 32;
  EXPECT_EQ(at<std::uint64_t>(matmul(matrix<std::uint64_t>(1, 1, {t - 1}, DType::uint64),
                                     matrix<std::uint64_t>(1, 1, {t + 1}, DType::uint64), DType::uint64), 0),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_THROW(matmul(matrix<std::uint64_t>(1, 1, {t}, DType::uint64), matrix<std::uint64_t>(1, 1, {t}, DType::uint64),
                      DType::uint64),
               OverflowError);
}

TEST(IntExact, Int64MinSquaredRaises) {
  const Array s = matrix<std::int64_t>(4, 4, std::vector<std::int64_t>(16, kMin), DType::int64);
  EXPECT_THROW(matmul(s, s, DType::int64), OverflowError);  // 2^128; wrapping gives 0
  // kMin * 1 fits, kMin * -1 does not
  const Array m = matrix<std::int64_t>(1, 1, {kMin}, DType::int64);
  EXPECT_EQ(at<std::int64_t>(matmul(m, matrix<std::int64_t>(1, 1, {1}, DType::int64), DType::int64), 0), kMin);
  EXPECT_THROW(matmul(m, matrix<std::int64_t>(1, 1, {-1}, DType::int64), DType::int64), OverflowError);
}

TEST(IntExact, PartialSumsPast128BitsThatCancelAreExact) {
  // kMin^2 + kMin^2 = 2^127 wraps a signed 128-bit accumulator; the rest brings it back.
  const Array a = matrix<std::int64_t>(1, 7, {kMin, kMin, kMin, kMin, kMin, kMin, 1}, DType::int64);
  const Array b = matrix<std::int64_t>(7, 1, {kMin, kMin, kMax, kMax, 1, 1, 42}, DType::int64);
  EXPECT_EQ(at<std::int64_t>(matmul(a, b, DType::int64), 0), 42);
  const Array c = matrix<std::int64_t>(7, 1, {kMin, kMin, kMax, kMax, 1, 0, 0}, DType::int64);
  EXPECT_THROW(matmul(a, c, DType::int64), OverflowError);  // exactly 2^63
}

TEST(IntExact, NarrowResultDtypesAreChecked) {
  // int8 operands give an int8 result: 16 * 16 = 256 wraps to 0 in NumPy
  const Array x = matrix<std::int8_t>(1, 1, {16}, DType::int8);
  EXPECT_THROW(matmul(x, x, DType::int8), OverflowError);
  const Array y = matrix<std::int8_t>(1, 2, {127, -128}, DType::int8);
  const Array ones = matrix<std::int8_t>(2, 1, {1, 1}, DType::int8);
  EXPECT_EQ(at<std::int8_t>(matmul(y, ones, DType::int8), 0), -1);
}

TEST(IntExact, SumsInto64BitDtypesAreExact) {
  const Array big = matrix<std::int64_t>(1, 2, {kMin, kMin}, DType::int64);
  EXPECT_THROW(total(big, DType::int64), OverflowError);  // -2^64 wraps to 0
  const std::uint64_t h = std::uint64_t(1) << 63;
  EXPECT_THROW(total(matrix<std::uint64_t>(1, 2, {h, h}, DType::uint64), DType::uint64), OverflowError);
  // partial sums leave 64 bits and come back
  const Array back = matrix<std::int64_t>(2, 2, {kMax, kMax, kMin, kMin}, DType::int64);
  EXPECT_EQ(at<std::int64_t>(total(back, DType::int64), 0), -2);
  EXPECT_EQ(at<std::int64_t>(total(back, DType::int64, 1, 0), 1), -1);  // column sums kMax + kMin
  EXPECT_THROW(total(back, DType::int64, 1, 1), OverflowError);           // row sum 2 kMax
  // a negative total into an unsigned dtype raises, a positive one fits
  EXPECT_THROW(total(matrix<std::int8_t>(1, 2, {-1, 0}, DType::int8), DType::uint64), OverflowError);
  EXPECT_EQ(at<std::uint64_t>(total(matrix<std::int8_t>(1, 2, {-1, 2}, DType::int8), DType::uint64), 0), 1u);
}

TEST(IntExact, DivisorGivesExactTruncatedMeans) {
  const Array m = matrix<std::int64_t>(1, 3, {kMax, kMax, kMax}, DType::int64);
  EXPECT_EQ(at<std::int64_t>(total(m, DType::int64, 3), 0), kMax);  // the sum does not fit; the mean does
  EXPECT_THROW(total(m, DType::int64), OverflowError);
  const Array n = matrix<std::int64_t>(1, 2, {-7, 0}, DType::int64);
  EXPECT_EQ(at<std::int64_t>(total(n, DType::int64, 2), 0), -3);  // toward zero, as NumPy's cast
  EXPECT_DOUBLE_EQ(at<double>(total(n, DType::float64, 2), 0), -3.5);
  EXPECT_THROW(total(n, DType::int64, 0), ValueError);
}

TEST(IntExact, FloatsSummedIntoIntegersAreCheckedNotUndefined) {
  EXPECT_EQ(at<std::int64_t>(total(matrix<double>(1, 2, {2.7, -1.9}, DType::float64), DType::int64), 0), 1);
  EXPECT_THROW(total(matrix<double>(1, 1, {std::nan("")}, DType::float64), DType::int64), ValueError);
  EXPECT_THROW(total(matrix<double>(1, 1, {1e300}, DType::float64), DType::int64), OverflowError);
  EXPECT_THROW(total(matrix<double>(1, 1, {-1.0}, DType::float64), DType::uint8), OverflowError);
}
