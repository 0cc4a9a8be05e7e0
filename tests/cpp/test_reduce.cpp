// reduce_sum against sums worked out here: every axis of every input kind,
// strided and bit-offset inputs, exact integer totals with OverflowError at the
// exact edge of the output dtype (partial sums that leave 64 bits included),
// the divisor (exact truncated integer means), and the refused arguments.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "pycauset/array/array.hpp"
#include "pycauset/core/error.hpp"
#include "pycauset/core/threads.hpp"
#include "pycauset/kernels/reduce.hpp"

using namespace pycauset;
using index_t = Array::index_t;

namespace {

__extension__ typedef __int128 i128;

Array matrix(index_t rows, index_t cols, DType d) {
  std::array<index_t, 2> shape{rows, cols};
  return Array::empty(shape, d, true);
}

i128 int_of(const Scalar& s) { return s.kind == Scalar::Kind::unsigned_int ? i128(s.u) : i128(s.i); }

// reduce_sum of `a` along `axis` into a new vector of dtype d.
Array sum(const Array& a, int axis, DType d, std::int64_t divisor = 1) {
  const index_t rows = a.ndim() == 1 ? 1 : a.shape(0), cols = a.ndim() == 1 ? a.shape(0) : a.shape(1);
  const index_t len = axis == -1 ? 1 : axis == 0 ? cols : rows;
  Array out = Array::empty(std::span(&len, 1), d, true);
  reduce_sum(a.ref(), axis, out.ref(), divisor);
  return out;
}

// Exact sums of an integer (or bit) array along an axis, from element reads.
std::vector<i128> exact_sums(const Array& a, int axis) {
  const index_t rows = a.shape(0), cols = a.shape(1);
  std::vector<i128> out(std::size_t(axis == -1 ? 1 : axis == 0 ? cols : rows), 0);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) {
      const Scalar s = a.get(i, j);
      const i128 v = s.kind == Scalar::Kind::boolean ? i128(s.nonzero()) : int_of(s);
      out[std::size_t(axis == -1 ? 0 : axis == 0 ? j : i)] += v;
    }
  return out;
}

// Sums in long double with compensation: an independent, more accurate reference.
std::vector<std::complex<long double>> float_sums(const Array& a, int axis) {
  const index_t rows = a.shape(0), cols = a.shape(1);
  std::vector<std::complex<long double>> out(std::size_t(axis == -1 ? 1 : axis == 0 ? cols : rows));
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) {
      const Scalar s = a.get(i, j);
      out[std::size_t(axis == -1 ? 0 : axis == 0 ? j : i)] +=
          std::complex<long double>(s.c.real(), s.c.imag());
    }
  return out;
}

Array random_ints(index_t rows, index_t cols, DType d, unsigned seed) {
  Array a = matrix(rows, cols, d);
  std::mt19937_64 gen(seed);
  const bool is_signed = dtype_info(d).kind == DTypeKind::signed_int;
  const std::size_t bits = dtype_info(d).bits;
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) {
      std::uint64_t r = gen();
      if (bits < 64) r &= (std::uint64_t(1) << bits) - 1;
      if (is_signed) {
        std::int64_t v = bits < 64 ? std::int64_t(r) - (std::int64_t(1) << (bits - 1)) : std::int64_t(r);
        a.set(i, j, Scalar::of_int(v));
      } else {
        a.set(i, j, Scalar::of_uint(r));
      }
    }
  return a;
}

constexpr DType kIntegers[] = {DType::int8,  DType::int16,  DType::int32,  DType::int64,
                               DType::uint8, DType::uint16, DType::uint32, DType::uint64};

}  // namespace

TEST(Reduce, IntegerSumsAlongEveryAxisAreExact) {
  // Full-range values summed into int64 (narrow inputs) or checked against
  // the exact total (64-bit inputs, where the total may not fit).
  unsigned seed = 1;
  for (DType d : kIntegers)
    for (auto [rows, cols] : {std::pair<index_t, index_t>{1, 1000}, {700, 3}, {33, 65}}) {
      const Array a = random_ints(rows, cols, d, seed++);
      for (const Array& view : {a, a.transpose(), a.slice(0, rows - 1, -1, rows)}) {
        for (int axis : {-1, 0, 1}) {
          const std::vector<i128> want = exact_sums(view, axis);
          for (DType out : {DType::int64, DType::uint64}) {
            bool fits = true;
            for (i128 v : want)
              fits = fits && (out == DType::int64 ? v >= i128(INT64_MIN) && v <= i128(INT64_MAX)
                                                  : v >= 0 && v <= i128(UINT64_MAX));
            const std::string what = std::string(dtype_name(d)) + " " + std::to_string(rows) + "x" +
                                     std::to_string(cols) + " axis " + std::to_string(axis) + " into " +
                                     std::string(dtype_name(out));
            if (!fits) {
              EXPECT_THROW(sum(view, axis, out), OverflowError) << what;
              continue;
            }
            const Array got = sum(view, axis, out);
            for (std::size_t k = 0; k < want.size(); ++k)
              ASSERT_TRUE(int_of(got.get(index_t(k))) == want[k]) << what << " element " << k;
          }
        }
      }
    }
}

TEST(Reduce, IntegerOverflowIsRaisedExactlyAtTheEdgeOfTheOutputDtype) {
  const std::int64_t smax = std::numeric_limits<std::int64_t>::max(), smin = std::numeric_limits<std::int64_t>::min();
  auto row = [](DType d, std::vector<i128> values) {
    Array a = matrix(1, index_t(values.size()), d);
    for (std::size_t j = 0; j < values.size(); ++j)
      a.set(0, index_t(j), dtype_info(d).kind == DTypeKind::unsigned_int ? Scalar::of_uint(std::uint64_t(values[j]))
                                                                        : Scalar::of_int(std::int64_t(values[j])));
    return a;
  };
  // Into int8: 127 fits, 128 does not; -128 fits, -129 does not.
  EXPECT_EQ(sum(row(DType::int8, {100, 27}), -1, DType::int8).get(0).i, 127);
  EXPECT_THROW(sum(row(DType::int8, {100, 28}), -1, DType::int8), OverflowError);
  EXPECT_EQ(sum(row(DType::int8, {-100, -28}), -1, DType::int8).get(0).i, -128);
  EXPECT_THROW(sum(row(DType::int8, {-100, -29}), -1, DType::int8), OverflowError);
  // Into uint8 from int8: a negative total does not fit.
  EXPECT_EQ(sum(row(DType::int8, {-1, 1}), -1, DType::uint8).get(0).u, 0u);
  EXPECT_THROW(sum(row(DType::int8, {-1, 0}), -1, DType::uint8), OverflowError);
  // int64: partial sums far past 64 bits that come back are exact.
  EXPECT_EQ(sum(row(DType::int64, {smax, smax, smax, -smax, -smax, -smax, 5}), -1, DType::int64).get(0).i, 5);
  EXPECT_EQ(sum(row(DType::int64, {smax, 1, -1}), -1, DType::int64).get(0).i, smax);
  EXPECT_THROW(sum(row(DType::int64, {smax, 1}), -1, DType::int64), OverflowError);
  EXPECT_EQ(sum(row(DType::int64, {smin, -1, 1}), -1, DType::int64).get(0).i, smin);
  EXPECT_THROW(sum(row(DType::int64, {smin, -1}), -1, DType::int64), OverflowError);
  // uint64 at 2^64 - 1 and 2^64.
  const std::uint64_t umax = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(sum(row(DType::uint64, {i128(umax - 5), 5}), -1, DType::uint64).get(0).u, umax);
  EXPECT_THROW(sum(row(DType::uint64, {i128(umax - 5), 6}), -1, DType::uint64), OverflowError);
  // The same along axes: only the column that overflows matters, and it raises.
  Array m = matrix(2, 3, DType::int16);
  const std::int64_t v[2][3] = {{32767, 1, -32768}, {0, 2, -1}};
  for (index_t i = 0; i < 2; ++i)
    for (index_t j = 0; j < 3; ++j) m.set(i, j, Scalar::of_int(v[i][j]));
  EXPECT_THROW(sum(m, 0, DType::int16), OverflowError);                 // -32769 in column 2
  EXPECT_EQ(sum(m.slice(1, 0, 1, 2), 0, DType::int16).get(0).i, 32767);  // columns 0 and 1 fit
  EXPECT_EQ(sum(m, 1, DType::int16).get(1).i, 1);
}

TEST(Reduce, DivisorGivesMeansThatTruncateTowardZero) {
  Array a = matrix(2, 2, DType::int8);
  const std::int64_t v[] = {-4, -3, 100, 100};
  for (index_t k = 0; k < 4; ++k) a.set(k / 2, k % 2, Scalar::of_int(v[k]));
  // Row sums -7 and 200; halves -3 (not -4) and 100: the total of 200 alone would not fit int8.
  const Array means = sum(a, 1, DType::int8, 2);
  EXPECT_EQ(means.get(0).i, -3);
  EXPECT_EQ(means.get(1).i, 100);
  EXPECT_THROW(sum(a, 1, DType::int8, 1), OverflowError);
  EXPECT_EQ(sum(a, -1, DType::int64, 3).get(0).i, (-7 + 200) / 3);  // 64
  EXPECT_EQ(sum(a, -1, DType::float64, 3).get(0).c.real(), 193.0 / 3.0);
  const std::int64_t smax = std::numeric_limits<std::int64_t>::max();
  Array big = matrix(1, 2, DType::int64);
  big.set(0, 0, Scalar::of_int(smax));
  big.set(0, 1, Scalar::of_int(smax));
  EXPECT_EQ(sum(big, -1, DType::int64, 2).get(0).i, smax);  // the mean of a total past 2^63
  EXPECT_THROW(sum(a, -1, DType::int64, 0), ValueError);
  EXPECT_THROW(sum(a, -1, DType::int64, -2), ValueError);
}

TEST(Reduce, FloatAndComplexSumsMatchACompensatedReference) {
  std::mt19937_64 gen(5);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (DType d : {DType::float64, DType::float32, DType::float16, DType::complex128, DType::complex64}) {
    const index_t rows = 129, cols = 77;
    Array a = matrix(rows, cols, d);
    for (index_t i = 0; i < rows; ++i)
      for (index_t j = 0; j < cols; ++j)
        a.set(i, j, dtype_info(d).kind == DTypeKind::complex ? Scalar::of_complex({u(gen), u(gen)})
                                                             : Scalar::of_float(u(gen)));
    const DType out = dtype_info(d).kind == DTypeKind::complex ? DType::complex128 : DType::float64;
    for (const Array& view : {a, a.transpose(), a.slice(1, 1, 3, 25)})
      for (int axis : {-1, 0, 1}) {
        const auto want = float_sums(view, axis);
        const Array got = sum(view, axis, out);
        for (std::size_t k = 0; k < want.size(); ++k) {
          const Scalar s = got.get(index_t(k));
          ASSERT_NEAR(s.c.real(), double(want[k].real()), 1e-12) << dtype_name(d) << " axis " << axis << " " << k;
          ASSERT_NEAR(s.c.imag(), double(want[k].imag()), 1e-12) << dtype_name(d) << " axis " << axis << " " << k;
        }
      }
  }
}

TEST(Reduce, FloatSumsDoNotDependOnTheNumberOfThreads) {
  const index_t rows = 300, cols = 501;
  Array a = matrix(rows, cols, DType::float64);
  std::mt19937_64 gen(6);
  std::uniform_real_distribution<double> u(-1e6, 1e6);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) a.set(i, j, Scalar::of_float(u(gen)));
  const int saved = num_threads();
  std::vector<std::vector<double>> results;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    std::vector<double> r;
    for (int axis : {-1, 0, 1}) {
      const Array s = sum(a, axis, DType::float64);
      for (index_t k = 0; k < s.shape(0); ++k) r.push_back(s.get(k).c.real());
    }
    results.push_back(r);
  }
  set_num_threads(saved);
  EXPECT_EQ(results[0], results[1]);  // bit for bit
  EXPECT_EQ(results[0], results[2]);
}

TEST(Reduce, FloatsIntoIntegersAreTruncatedPerElementAndChecked) {
  Array a = matrix(1, 4, DType::float64);
  const double v[] = {2.7, 2.7, -1.9, 0.5};
  for (index_t j = 0; j < 4; ++j) a.set(0, j, Scalar::of_float(v[j]));
  EXPECT_EQ(sum(a, -1, DType::int64).get(0).i, 2 + 2 - 1 + 0);  // each truncated, then added
  a.set(0, 3, Scalar::of_float(std::nan("")));
  EXPECT_THROW(sum(a, -1, DType::int64), ValueError);
  a.set(0, 3, Scalar::of_float(1.9e19));  // beyond 2^64
  EXPECT_THROW(sum(a, -1, DType::uint64), OverflowError);
  a.set(0, 3, Scalar::of_float(1.8e19));  // below 2^64: fits uint64 exactly with the rest
  EXPECT_EQ(sum(a, -1, DType::uint64).get(0).u, std::uint64_t(1.8e19) + 3u);
}

TEST(Reduce, BitsCountOnesAtAnyOffsetAndStride) {
  const index_t rows = 67, cols = 200;
  Array b = matrix(rows, cols, DType::bit);
  std::mt19937_64 gen(7);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) b.set(i, j, Scalar::of_bool(gen() % 3 == 0));
  for (const Array& view : {b, b.transpose(), b.slice(1, 5, 1, 130), b.slice(1, 3, 7, 28), b.slice(0, 66, -2, 34)})
    for (int axis : {-1, 0, 1}) {
      const std::vector<i128> want = exact_sums(view, axis);
      for (DType out : {DType::int64, DType::int32, DType::float64}) {
        const Array got = sum(view, axis, out);
        for (std::size_t k = 0; k < want.size(); ++k)
          ASSERT_EQ(double(got.get(index_t(k)).c.real()), double(want[k])) << "axis " << axis << " " << k;
      }
    }
  // Into a too-narrow dtype the count overflows like any integer total.
  Array ones = matrix(1, 300, DType::bit);
  ones.fill(Scalar::of_bool(true));
  EXPECT_EQ(sum(ones.slice(1, 0, 1, 127), -1, DType::int8).get(0).i, 127);
  EXPECT_THROW(sum(ones.slice(1, 0, 1, 128), -1, DType::int8), OverflowError);
}

TEST(Reduce, RefusedArguments) {
  const Array a = matrix(2, 3, DType::float64);
  const Array z = matrix(2, 3, DType::complex128);
  EXPECT_THROW(sum(a, 2, DType::float64), ValueError);
  EXPECT_THROW(sum(a, -2, DType::float64), ValueError);
  index_t wrong = 2;
  Array out = Array::empty(std::span(&wrong, 1), DType::float64, true);
  EXPECT_THROW(reduce_sum(a.ref(), 0, out.ref()), ValueError);  // axis 0 needs 3 elements
  EXPECT_THROW(sum(a, -1, DType::bit), TypeError);
  EXPECT_THROW(sum(z, -1, DType::float64), TypeError);
  EXPECT_THROW(sum(z, -1, DType::int64), TypeError);
  // Empty inputs sum to zero.
  EXPECT_EQ(sum(matrix(0, 4, DType::int32), -1, DType::int64).get(0).i, 0);
  const Array cols = sum(matrix(0, 4, DType::float64), 0, DType::float64);
  for (index_t k = 0; k < 4; ++k) EXPECT_EQ(cols.get(k).c.real(), 0.0);
}
