#include <gtest/gtest.h>

#include <array>

#include "pycauset/array/array.hpp"

using namespace pycauset;
using index_t = Array::index_t;

namespace {
Array matrix(index_t r, index_t c, DType d, bool zero = true) {
  std::array<index_t, 2> s{r, c};
  return Array::empty(s, d, zero);
}
}  // namespace

TEST(Array, ShapeAndNbytes) {
  Array a = matrix(3, 70, DType::bit);
  EXPECT_EQ(a.ndim(), 2);
  EXPECT_EQ(a.size(), 210);
  EXPECT_EQ(a.nbytes(), 27u);            // ceil(210 / 8)
  EXPECT_EQ(a.stride(0), 128);           // rows padded to whole words
  EXPECT_EQ(a.buffer()->size(), 48u);
  EXPECT_TRUE(a.is_contiguous());
  Array f = matrix(4, 5, DType::complex128);
  EXPECT_EQ(f.nbytes(), 320u);
}

TEST(Array, ElementsAndNegativeIndices) {
  Array a = matrix(2, 3, DType::float64);
  a.set(-1, -1, Scalar::of_float(2.5));
  EXPECT_EQ(a.get(1, 2).c.real(), 2.5);
  EXPECT_THROW(a.get(2, 0), IndexError);
  EXPECT_THROW(a.get(0, -4), IndexError);
}

TEST(Array, TransposeAndSliceAreViews) {
  Array a = matrix(4, 6, DType::int32);
  Array t = a.transpose();
  EXPECT_EQ(t.shape(0), 6);
  t.set(5, 3, Scalar::of_int(42));
  EXPECT_EQ(a.get(3, 5).i, 42);
  EXPECT_FALSE(t.is_contiguous());

  Array s = a.slice(1, 5, -2, 3);  // columns 5, 3, 1
  s.fill(Scalar::of_int(7));
  EXPECT_EQ(a.get(0, 5).i, 7);
  EXPECT_EQ(a.get(0, 1).i, 7);
  EXPECT_EQ(a.get(0, 0).i, 0);
  EXPECT_THROW(a.slice(1, 5, 2, 2), IndexError);

  Array col = a.select(1, -1);
  EXPECT_EQ(col.ndim(), 1);
  EXPECT_EQ(col.shape(0), 4);
  EXPECT_EQ(col.get(3).i, 7);  // column 5 was overwritten by the slice fill
  EXPECT_EQ(a.select(0, 3).get(5).i, 7);
}

TEST(Array, CopyIsIndependentAndContiguous) {
  Array a = matrix(5, 3, DType::float32);
  a.fill(Scalar::of_float(1.0));
  Array c = a.transpose().copy();
  EXPECT_TRUE(c.is_contiguous());
  a.set(0, 0, Scalar::of_float(9.0));
  EXPECT_EQ(c.get(0, 0).c.real(), 1.0);
}

TEST(Array, BitViewsAndAstype) {
  Array a = matrix(3, 70, DType::bit);
  a.slice(1, 3, 1, 64).fill(Scalar::of_bool(true));   // crosses a word boundary
  EXPECT_FALSE(a.get(0, 2).nonzero());
  EXPECT_TRUE(a.get(2, 3).nonzero());
  EXPECT_TRUE(a.get(2, 66).nonzero());
  EXPECT_FALSE(a.get(2, 67).nonzero());
  Array counts = a.transpose().astype(DType::uint8);
  EXPECT_EQ(counts.get(66, 1).u, 1u);
  EXPECT_EQ(counts.get(67, 1).u, 0u);
}

TEST(Array, DiagonalIsAView) {
  for (DType d : {DType::float64, DType::bit}) {
    Array a = matrix(3, 70, d);
    Array diag = a.diagonal();
    EXPECT_EQ(diag.shape(0), 3);
    diag.fill(Scalar::of_int(1));
    for (index_t i = 0; i < 3; ++i)
      for (index_t j = 0; j < 70; ++j) EXPECT_EQ(a.get(i, j).nonzero(), i == j);
  }
}

TEST(Array, RejectsBadShapes) {
  std::array<index_t, 3> three{1, 2, 3};
  EXPECT_THROW(Array::empty(three, DType::float64), ValueError);
  std::array<index_t, 2> neg{-1, 2};
  EXPECT_THROW(Array::empty(neg, DType::float64), ValueError);
}

TEST(Array, BroadcastToAShapeOfEitherRank) {
  // NumPy: np.broadcast_to(v, (2, 3)) repeats a length-3 vector as rows,
  // np.broadcast_to([7.], (4,)) repeats one element; other shapes do not broadcast.
  std::array<index_t, 1> three{3}, one{1}, four{4};
  Array v = Array::empty(three, DType::float64, true);
  for (index_t j = 0; j < 3; ++j) v.set(j, 0, Scalar::of_float(double(j) + 1.0));
  std::array<index_t, 2> rows{2, 3};
  Array m = v.broadcast_to(rows);
  ASSERT_EQ(m.ndim(), 2);
  EXPECT_EQ(m.shape(0), 2);
  EXPECT_EQ(m.stride(0), 0);
  EXPECT_EQ(m.get(1, 2).c.real(), 3.0);
  Array s = Array::empty(one, DType::int32, true);
  s.set(0, 0, Scalar::of_int(7));
  Array r = s.broadcast_to(four);
  ASSERT_EQ(r.ndim(), 1);
  EXPECT_EQ(r.shape(0), 4);
  EXPECT_EQ(r.get(3).i, 7);
  EXPECT_THROW(v.broadcast_to(four), ValueError);                 // (3,) into (4,)
  EXPECT_THROW(matrix(1, 4, DType::float64).broadcast_to(four), ValueError);  // 2-D into 1-D
  std::array<index_t, 3> three_d{1, 2, 3};
  EXPECT_THROW(v.broadcast_to(three_d), ValueError);
}
