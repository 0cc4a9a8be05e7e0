// Array::as_strided: views rebuilt from a recorded geometry (used to unpickle
// views of loaded files), with the bounds of the buffer enforced.
#include <gtest/gtest.h>

#include <array>
#include <limits>

#include "pycauset/array/array.hpp"

using namespace pycauset;
using index_t = Array::index_t;

namespace {
Array matrix(index_t r, index_t c, DType d) {
  std::array<index_t, 2> s{r, c};
  return Array::empty(s, d, true);
}
}  // namespace

TEST(ArrayStrided, RebuildsTheViewsOfSliceTransposeAndSelect) {
  Array a = matrix(5, 7, DType::int32);
  for (index_t i = 0; i < 5; ++i)
    for (index_t j = 0; j < 7; ++j) a.set(i, j, Scalar::of_int(10 * i + j));
  const Array views[] = {a.transpose().slice(0, 6, -2, 3).slice(1, 1, 3, 2), a.select(1, 4),
                         a.slice(0, 4, -1, 5), a.diagonal()};
  for (const Array& v : views) {
    std::array<index_t, 2> shape{v.shape(0), v.ndim() == 2 ? v.shape(1) : 0};
    std::array<index_t, 2> strides{v.stride(0), v.ndim() == 2 ? v.stride(1) : 0};
    Array w = a.as_strided(v.ndim(), shape, strides, v.offset());
    ASSERT_EQ(w.ndim(), v.ndim());
    ASSERT_EQ(w.size(), v.size());
    EXPECT_EQ(w.buffer(), a.buffer());  // a view, not a copy
    for (index_t i = 0; i < v.rows(); ++i)
      for (index_t j = 0; j < v.cols(); ++j) {
        index_t r = v.ndim() == 2 ? i : j, c = v.ndim() == 2 ? j : 0;
        EXPECT_EQ(w.get(r, c).i, v.get(r, c).i);
      }
  }
}

TEST(ArrayStrided, BitViewsCountBits) {
  Array a = matrix(3, 70, DType::bit);  // rows of 128 bits
  a.set(2, 69, Scalar::of_bool(true));
  Array col = a.as_strided(1, {3, 0}, {128, 0}, 69);
  EXPECT_TRUE(col.get(2).i != 0);
  EXPECT_THROW(a.as_strided(1, {3, 0}, {128, 0}, 128 * 1 + 69), IndexError);  // past the 48 bytes
}

TEST(ArrayStrided, RefusesGeometriesOutsideTheBuffer) {
  Array a = matrix(4, 6, DType::float64);
  EXPECT_THROW(a.as_strided(2, {4, 6}, {6, 1}, 1), IndexError);
  EXPECT_THROW(a.as_strided(2, {2, 2}, {-6, 1}, 0), IndexError);
  EXPECT_THROW(a.as_strided(1, {25, 0}, {1, 0}, 0), IndexError);
  const index_t big = std::numeric_limits<index_t>::max() / 2;
  EXPECT_THROW(a.as_strided(2, {3, 3}, {big, big}, 0), IndexError);  // overflow, not a wrap
  EXPECT_THROW(a.as_strided(3, {1, 1}, {1, 1}, 0), ValueError);
  EXPECT_THROW(a.as_strided(2, {-1, 1}, {1, 1}, 0), ValueError);
  Array e = a.as_strided(2, {0, 5}, {6, 1}, 1000);  // no element: any offset
  EXPECT_EQ(e.size(), 0);
  Array last = a.as_strided(2, {2, 2}, {-6, -1}, 23);  // reversed corner
  EXPECT_EQ(last.shape(0), 2);
}
