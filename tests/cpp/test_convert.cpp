#include <gtest/gtest.h>

#include <complex>
#include <cstring>
#include <random>
#include <vector>

#include "pycauset/core/threads.hpp"
#include "pycauset/kernels/convert.hpp"

using namespace pycauset;

namespace {

template <class T> StridedRef matrix_ref(std::vector<T>& v, DType d, std::int64_t rows, std::int64_t cols) {
  return {reinterpret_cast<std::byte*>(v.data()), d, rows, cols, cols * std::int64_t(sizeof(T)),
          std::int64_t(sizeof(T)), 0};
}

}  // namespace

class ConvertThreads : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { set_num_threads(GetParam()); }
};

TEST_P(ConvertThreads, ContiguousCastIsElementwise) {
  const std::int64_t rows = 700, cols = 900;  // > 1 MiB so the parallel path runs
  std::vector<double> src(rows * cols);
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(-1e3, 1e3);
  for (auto& x : src) x = u(rng);
  std::vector<float> dst(src.size());
  convert(matrix_ref(src, DType::float64, rows, cols), matrix_ref(dst, DType::float32, rows, cols));
  for (std::size_t i = 0; i < src.size(); ++i) ASSERT_EQ(dst[i], float(src[i]));
}

TEST_P(ConvertThreads, ColumnMajorSourceIsTransposed) {
  const std::int64_t rows = 301, cols = 517;
  std::vector<std::int32_t> src(rows * cols);  // column-major storage
  for (std::int64_t j = 0; j < cols; ++j)
    for (std::int64_t i = 0; i < rows; ++i) src[j * rows + i] = std::int32_t(i * 1000 + j);
  StridedRef s{reinterpret_cast<std::byte*>(src.data()), DType::int32, rows, cols, 4, rows * 4, 0};
  std::vector<std::int64_t> dst(rows * cols);
  convert(s, matrix_ref(dst, DType::int64, rows, cols));
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) ASSERT_EQ(dst[i * cols + j], i * 1000 + j);
}

TEST_P(ConvertThreads, NegativeStrides) {
  std::vector<double> src{1, 2, 3, 4, 5, 6};
  // Reversed 2x3 view: element (i, j) = src[5 - (3i + j)].
  StridedRef s{reinterpret_cast<std::byte*>(&src[5]), DType::float64, 2, 3, -24, -8, 0};
  std::vector<double> dst(6);
  convert(s, matrix_ref(dst, DType::float64, 2, 3));
  EXPECT_EQ(dst, (std::vector<double>{6, 5, 4, 3, 2, 1}));
}

TEST_P(ConvertThreads, PackAndUnpackBitsRoundTrip) {
  const std::int64_t n = (1 << 22) + 37;  // parallel, with a partial last word
  std::vector<std::uint8_t> bools(n);
  std::mt19937 rng(7);
  for (auto& b : bools) b = rng() & 1;
  std::vector<std::uint64_t> words((n + 63) / 64 + 1, ~0ULL);
  StridedRef b{reinterpret_cast<std::byte*>(bools.data()), DType::uint8, 1, n, n, 1, 0};
  StridedRef w{reinterpret_cast<std::byte*>(words.data()), DType::bit, 1, n, n, 1, 0};
  convert(b, w);
  for (std::int64_t k = 0; k < n; ++k) ASSERT_EQ((words[k / 64] >> (k % 64)) & 1, bools[k]) << k;
  // Bits past n in the last word belong to someone else: they are preserved.
  EXPECT_EQ(words[n / 64] >> (n % 64), (~0ULL) >> (n % 64));
  std::vector<std::uint8_t> back(n, 9);
  convert(w, {reinterpret_cast<std::byte*>(back.data()), DType::uint8, 1, n, n, 1, 0});
  EXPECT_EQ(back, bools);
}

TEST_P(ConvertThreads, FloatToBitIsNonzero) {
  std::vector<double> src{0.0, -0.0, 1.5, 0.0, -2.0, 1e-300};
  std::uint64_t word = 0;
  convert({reinterpret_cast<std::byte*>(src.data()), DType::float64, 1, 6, 48, 8, 0},
          {reinterpret_cast<std::byte*>(&word), DType::bit, 1, 6, 64, 1, 0});
  EXPECT_EQ(word, 0b110100u);
}

TEST_P(ConvertThreads, UnalignedBitViews) {
  // A 3x5 window starting at bit 3 of a 3x70 bit matrix (rows padded to 128 bits).
  std::vector<std::uint64_t> m(6, 0);
  std::vector<std::uint8_t> ones(15, 1);
  StridedRef window{reinterpret_cast<std::byte*>(m.data()), DType::bit, 3, 5, 128, 1, 3};
  convert({reinterpret_cast<std::byte*>(ones.data()), DType::uint8, 3, 5, 5, 1, 0}, window);
  for (int r = 0; r < 3; ++r) EXPECT_EQ(m[2 * r], 0b11111000u) << r;
  std::vector<double> out(15);
  convert(window, {reinterpret_cast<std::byte*>(out.data()), DType::float64, 3, 5, 40, 8, 0});
  for (double x : out) EXPECT_EQ(x, 1.0);
}

TEST_P(ConvertThreads, ComplexToRealKeepsRealPart) {
  std::vector<std::complex<double>> src{{1.5, 2}, {-3, 4}};
  std::vector<std::int16_t> dst(2);
  convert(matrix_ref(src, DType::complex128, 1, 2), matrix_ref(dst, DType::int16, 1, 2));
  EXPECT_EQ(dst, (std::vector<std::int16_t>{1, -3}));
}

TEST_P(ConvertThreads, Float16) {
  std::vector<float> src{0.5f, -2.0f, 65504.0f};
  std::vector<float16_t> half(3);
  convert(matrix_ref(src, DType::float32, 1, 3), matrix_ref(half, DType::float16, 1, 3));
  std::vector<double> back(3);
  convert(matrix_ref(half, DType::float16, 1, 3), matrix_ref(back, DType::float64, 1, 3));
  EXPECT_EQ(back, (std::vector<double>{0.5, -2.0, 65504.0}));
}

TEST_P(ConvertThreads, FillChecksValue) {
  std::vector<std::int8_t> v(10);
  fill(matrix_ref(v, DType::int8, 2, 5), Scalar::of_int(-7));
  for (auto x : v) EXPECT_EQ(x, -7);
  EXPECT_THROW(fill(matrix_ref(v, DType::int8, 2, 5), Scalar::of_int(300)), OverflowError);
  EXPECT_THROW(fill(matrix_ref(v, DType::int8, 2, 5), Scalar::of_complex({1, 1})), TypeError);
  EXPECT_THROW(fill(matrix_ref(v, DType::int8, 2, 5), Scalar::of_float(NAN)), ValueError);
}

TEST(Convert, ShapeMismatchThrows) {
  std::vector<double> a(6), b(6);
  EXPECT_THROW(convert(matrix_ref(a, DType::float64, 2, 3), matrix_ref(b, DType::float64, 3, 2)), ValueError);
}

INSTANTIATE_TEST_SUITE_P(OneAndTwoThreads, ConvertThreads, ::testing::Values(1, 2));
