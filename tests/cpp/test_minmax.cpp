// min/max/any/all reductions, elementwise power, and integer-array indexing
// (take/put/take_pairs/put_pairs/reshape), checked against brute-force loops.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "pycauset/array/array.hpp"
#include "pycauset/kernels/minmax.hpp"

using namespace pycauset;
using index_t = Array::index_t;

namespace {
Array matrix(index_t r, index_t c, DType d) {
  std::array<index_t, 2> s{r, c};
  return Array::empty(s, d, true);
}
Array vector(index_t n, DType d) {
  std::array<index_t, 1> s{n};
  return Array::empty(s, d, true);
}
double at(const Array& a, index_t i, index_t j = 0) { return a.get(i, j).c.real(); }
}  // namespace

TEST(MinMax, AxesAgainstBruteForce) {
  Array a = matrix(5, 7, DType::int16);
  for (index_t i = 0; i < 5; ++i)
    for (index_t j = 0; j < 7; ++j) a.set(i, j, Scalar::of_int((i * 37 + j * 11) % 23 - 11));
  Array all = vector(1, DType::int16), cols = vector(7, DType::int16), rows = vector(5, DType::int16);
  for (bool is_max : {false, true}) {
    reduce_minmax(a.ref(), -1, is_max, all.ref());
    reduce_minmax(a.ref(), 0, is_max, cols.ref());
    reduce_minmax(a.ref(), 1, is_max, rows.ref());
    double best_all = at(a, 0, 0);
    for (index_t i = 0; i < 5; ++i)
      for (index_t j = 0; j < 7; ++j) best_all = is_max ? std::max(best_all, at(a, i, j)) : std::min(best_all, at(a, i, j));
    EXPECT_EQ(at(all, 0), best_all);
    for (index_t j = 0; j < 7; ++j) {
      double b = at(a, 0, j);
      for (index_t i = 1; i < 5; ++i) b = is_max ? std::max(b, at(a, i, j)) : std::min(b, at(a, i, j));
      EXPECT_EQ(at(cols, j), b);
    }
    for (index_t i = 0; i < 5; ++i) {
      double b = at(a, i, 0);
      for (index_t j = 1; j < 7; ++j) b = is_max ? std::max(b, at(a, i, j)) : std::min(b, at(a, i, j));
      EXPECT_EQ(at(rows, i), b);
    }
  }
}

TEST(MinMax, NanPropagatesAndEmptyRaises) {
  Array a = matrix(2, 3, DType::float64);
  a.set(1, 1, Scalar::of_float(std::nan("")));
  a.set(0, 2, Scalar::of_float(-4.0));
  Array all = vector(1, DType::float64), cols = vector(3, DType::float64);
  reduce_minmax(a.ref(), -1, false, all.ref());
  EXPECT_TRUE(std::isnan(at(all, 0)));
  reduce_minmax(a.ref(), 0, false, cols.ref());
  EXPECT_EQ(at(cols, 0), 0.0);
  EXPECT_TRUE(std::isnan(at(cols, 1)));
  EXPECT_EQ(at(cols, 2), -4.0);
  Array empty = matrix(0, 3, DType::float64);
  EXPECT_THROW(reduce_minmax(empty.ref(), -1, true, all.ref()), ValueError);
  EXPECT_THROW(reduce_minmax(empty.ref(), 0, true, cols.ref()), ValueError);
  Array bits = matrix(2, 2, DType::bit);
  EXPECT_THROW(reduce_minmax(bits.ref(), -1, true, vector(1, DType::bit).ref()), TypeError);
}

TEST(AnyAll, BitsAndFloats) {
  Array b = matrix(3, 70, DType::bit);
  b.set(2, 69, Scalar::of_bool(true));
  Array one = vector(1, DType::uint8), cols = vector(70, DType::uint8);
  reduce_any_all(b.ref(), -1, false, one.ref());
  EXPECT_EQ(at(one, 0), 1.0);
  reduce_any_all(b.ref(), -1, true, one.ref());
  EXPECT_EQ(at(one, 0), 0.0);
  reduce_any_all(b.ref(), 0, false, cols.ref());
  for (index_t j = 0; j < 70; ++j) EXPECT_EQ(at(cols, j), j == 69 ? 1.0 : 0.0);
  Array f = vector(2, DType::float32);
  f.set(0, 0, Scalar::of_float(std::nan("")));
  reduce_any_all(f.ref(), -1, false, one.ref());
  EXPECT_EQ(at(one, 0), 1.0);  // NaN is nonzero
  Array none = matrix(0, 0, DType::float64);
  reduce_any_all(none.ref(), -1, true, one.ref());
  EXPECT_EQ(at(one, 0), 1.0);
}

TEST(Power, IntegersWrapAndNegativeExponentsRaise) {
  Array base = vector(4, DType::int8), expo = vector(4, DType::int8), out = vector(4, DType::int8);
  const int bases[] = {2, -3, 7, 0}, expos[] = {7, 3, 2, 0};
  for (index_t k = 0; k < 4; ++k) {
    base.set(k, 0, Scalar::of_int(bases[k]));
    expo.set(k, 0, Scalar::of_int(expos[k]));
  }
  power(base.ref(), expo.ref(), out.ref());
  EXPECT_EQ(at(out, 0), -128.0);  // 2**7 wraps in int8
  EXPECT_EQ(at(out, 1), -27.0);
  EXPECT_EQ(at(out, 2), 49.0);
  EXPECT_EQ(at(out, 3), 1.0);
  expo.set(2, 0, Scalar::of_int(-1));
  EXPECT_THROW(power(base.ref(), expo.ref(), out.ref()), ValueError);
  EXPECT_EQ(at(out, 0), -128.0);  // untouched
  Array fb = vector(1, DType::float64), fe = vector(1, DType::float64), fo = vector(1, DType::float64);
  fb.set(0, 0, Scalar::of_float(2.0));
  fe.set(0, 0, Scalar::of_float(0.5));
  power(fb.ref(), fe.ref(), fo.ref());
  EXPECT_EQ(at(fo, 0), std::sqrt(2.0));
}

TEST(Take, RowsColumnsElementsAndBits) {
  Array a = matrix(3, 70, DType::bit);
  for (index_t i = 0; i < 3; ++i)
    for (index_t j = 0; j < 70; ++j) a.set(i, j, Scalar::of_bool((i + j) % 3 == 0));
  const std::vector<index_t> rows{2, -3, 2};
  Array r = a.take(0, rows);
  ASSERT_EQ(r.shape(0), 3);
  ASSERT_EQ(r.shape(1), 70);
  for (index_t j = 0; j < 70; ++j) {
    EXPECT_EQ(at(r, 0, j), at(a, 2, j));
    EXPECT_EQ(at(r, 1, j), at(a, 0, j));
  }
  const std::vector<index_t> cols{69, 0};
  Array c = a.take(1, cols);
  for (index_t i = 0; i < 3; ++i) EXPECT_EQ(at(c, i, 0), at(a, i, 69));
  const std::vector<index_t> bad{3};
  EXPECT_THROW(a.take(0, bad), IndexError);
  Array p = a.take_pairs(std::vector<index_t>{0, 2}, std::vector<index_t>{3, -1});
  EXPECT_EQ(at(p, 0), at(a, 0, 3));
  EXPECT_EQ(at(p, 1), at(a, 2, 69));
}

TEST(Put, WritesSelectionAndChecksShapes) {
  Array a = matrix(3, 4, DType::float64);
  Array src = matrix(2, 4, DType::float64);
  src.fill(Scalar::of_float(7.0));
  a.put(0, std::vector<index_t>{0, -1}, src);
  for (index_t j = 0; j < 4; ++j) {
    EXPECT_EQ(at(a, 0, j), 7.0);
    EXPECT_EQ(at(a, 1, j), 0.0);
    EXPECT_EQ(at(a, 2, j), 7.0);
  }
  EXPECT_THROW(a.put(1, std::vector<index_t>{0}, src), ValueError);
  Array v = vector(2, DType::float64);
  v.fill(Scalar::of_float(3.0));
  a.put_pairs(std::vector<index_t>{1, 1}, std::vector<index_t>{0, 3}, v);
  EXPECT_EQ(at(a, 1, 0), 3.0);
  EXPECT_EQ(at(a, 1, 3), 3.0);
}

TEST(Reshape, ViewWhenContiguousCopyOtherwise) {
  Array a = matrix(2, 3, DType::int32);
  for (index_t i = 0; i < 2; ++i)
    for (index_t j = 0; j < 3; ++j) a.set(i, j, Scalar::of_int(i * 3 + j));
  Array v = a.reshape(std::vector<index_t>{6});
  EXPECT_EQ(v.buffer(), a.buffer());
  for (index_t k = 0; k < 6; ++k) EXPECT_EQ(at(v, k), double(k));
  Array t = a.transpose().reshape(std::vector<index_t>{3, 2});  // (0 3)(1 4)(2 5)
  EXPECT_NE(t.buffer(), a.buffer());
  EXPECT_EQ(at(t, 0, 1), 3.0);
  EXPECT_EQ(at(t, 2, 0), 2.0);
  EXPECT_THROW(a.reshape(std::vector<index_t>{4}), ValueError);
}
