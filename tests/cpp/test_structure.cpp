// Structure marks of Array: the enum's algebra, validation against the values
// (a brute-force oracle over every element), transposes and slices, and the
// write generation that keeps a mark true.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>
#include <string>

#include "pycauset/array/array.hpp"
#include "pycauset/core/structure.hpp"
#include "pycauset/linalg/lapack.hpp"
#include "pycauset/linalg/matmul.hpp"

using namespace pycauset;
using index_t = Array::index_t;

namespace {

Array matrix(index_t r, index_t c, DType d) {
  std::array<index_t, 2> s{r, c};
  return Array::empty(s, d, true);
}

double at(const Array& a, index_t i, index_t j) { return a.get(i, j).c.real(); }

// The oracle: does every element satisfy s? (Real values only.)
bool holds(const Array& a, Structure s) {
  const index_t n = a.shape(0), m = a.shape(1);
  if ((s == Structure::symmetric || s == Structure::antisymmetric) && n != m) return false;
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < m; ++j) {
      const double v = at(a, i, j);
      switch (s) {
        case Structure::dense: break;
        case Structure::upper_triangular: if (i > j && v != 0) return false; break;
        case Structure::lower_triangular: if (i < j && v != 0) return false; break;
        case Structure::strictly_upper_triangular: if (i >= j && v != 0) return false; break;
        case Structure::strictly_lower_triangular: if (i <= j && v != 0) return false; break;
        case Structure::diagonal: if (i != j && v != 0) return false; break;
        case Structure::symmetric: if (!(v == at(a, j, i))) return false; break;
        case Structure::antisymmetric: if (!(v == -at(a, j, i))) return false; break;
      }
    }
  return true;
}

// A random matrix of the given shape with the given structure (values 1..4, signed for
// antisymmetric), so every check has something to find.
Array with_structure(index_t n, index_t m, DType d, Structure s, std::mt19937& rng) {
  Array a = matrix(n, m, d);
  std::uniform_int_distribution<int> v(1, 4);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < m; ++j) {
      const int x = d == DType::bit ? 1 : v(rng);
      bool keep = true;
      switch (s) {
        case Structure::upper_triangular: keep = i <= j; break;
        case Structure::lower_triangular: keep = i >= j; break;
        case Structure::strictly_upper_triangular: keep = i < j; break;
        case Structure::strictly_lower_triangular: keep = i > j; break;
        case Structure::diagonal: keep = i == j; break;
        case Structure::symmetric: keep = i <= j; break;
        case Structure::antisymmetric: keep = i < j; break;
        default: break;
      }
      if (!keep) continue;
      a.set(i, j, Scalar::of_int(x));
      if (j >= n || i >= m) continue;  // no mirror element in a non-square matrix
      if (s == Structure::symmetric) a.set(j, i, Scalar::of_int(x));
      if (s == Structure::antisymmetric && d != DType::bit && d != DType::uint16) a.set(j, i, Scalar::of_int(-x));
    }
  return a;
}

}  // namespace

TEST(Structure, NamesCodesAndAlgebra) {
  for (Structure s : kStructures) {
    EXPECT_EQ(structure_from_name(structure_name(s)), s);
    EXPECT_EQ(structure_from_code(std::uint8_t(s)), s);
    EXPECT_EQ(transposed(transposed(s)), s);
  }
  // The header codes of the first format version keep their meaning.
  EXPECT_EQ(std::uint8_t(Structure::dense), 0);
  EXPECT_EQ(std::uint8_t(Structure::upper_triangular), 1);
  EXPECT_EQ(std::uint8_t(Structure::lower_triangular), 2);
  EXPECT_EQ(std::uint8_t(Structure::symmetric), 3);
  EXPECT_EQ(std::uint8_t(Structure::diagonal), 4);
  EXPECT_FALSE(structure_from_code(8));
  EXPECT_FALSE(structure_from_name("Upper"));
  EXPECT_EQ(transposed(Structure::strictly_upper_triangular), Structure::strictly_lower_triangular);
  EXPECT_EQ(product_structure(Structure::upper_triangular, Structure::upper_triangular), Structure::upper_triangular);
  EXPECT_EQ(product_structure(Structure::strictly_upper_triangular, Structure::upper_triangular),
            Structure::strictly_upper_triangular);
  EXPECT_EQ(product_structure(Structure::diagonal, Structure::strictly_lower_triangular),
            Structure::strictly_lower_triangular);
  EXPECT_EQ(product_structure(Structure::diagonal, Structure::diagonal), Structure::diagonal);
  EXPECT_EQ(product_structure(Structure::upper_triangular, Structure::lower_triangular), Structure::dense);
  EXPECT_EQ(product_structure(Structure::symmetric, Structure::symmetric), Structure::dense);
}

TEST(Structure, ProductRuleAgreesWithBruteForce) {
  std::mt19937 rng(3);
  for (Structure a : kStructures)
    for (Structure b : kStructures) {
      const Structure p = product_structure(a, b);
      if (p == Structure::dense) continue;
      Array x = with_structure(7, 7, DType::int64, a, rng), y = with_structure(7, 7, DType::int64, b, rng);
      Array z = matrix(7, 7, DType::int64);
      for (index_t i = 0; i < 7; ++i)
        for (index_t j = 0; j < 7; ++j) {
          double s = 0;
          for (index_t k = 0; k < 7; ++k) s += at(x, i, k) * at(y, k, j);
          z.set(i, j, Scalar::of_float(s));
        }
      EXPECT_TRUE(holds(z, p)) << structure_name(a) << " @ " << structure_name(b);
    }
}

TEST(Structure, ValidationMatchesTheOracleForEveryDtypeAndMark) {
  std::mt19937 rng(1);
  for (DType d : {DType::float64, DType::int8, DType::uint16, DType::bit, DType::float16, DType::complex64})
    for (Structure made : kStructures)
      for (auto [n, m] : {std::pair<index_t, index_t>{9, 9}, {70, 70}, {5, 130}, {130, 5}}) {
        Array a = with_structure(n, m, d, made, rng);
        for (Structure s : kStructures) {
          const bool ok = holds(a, s);
          EXPECT_EQ(a.structure_violation(s).empty(), ok)
              << dtype_name(d) << " made " << structure_name(made) << " checked " << structure_name(s);
          if (ok) {
            a.set_structure(s);
            EXPECT_EQ(a.structure(), s);
          } else {
            EXPECT_THROW(a.set_structure(s), ValueError);
          }
          a.set_structure(Structure::dense);
        }
      }
}

TEST(Structure, MessagesNameTheFirstViolatingElement) {
  Array a = matrix(4, 4, DType::float64);
  a.set(2, 1, Scalar::of_float(1.0));
  a.set(3, 0, Scalar::of_float(1.0));
  try {
    a.set_structure(Structure::upper_triangular);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("element [2, 1] below the diagonal"), std::string::npos) << e.what();
  }
  Array b = matrix(3, 3, DType::float64);
  b.set(1, 1, Scalar::of_float(2.0));
  EXPECT_NE(b.structure_violation(Structure::strictly_upper_triangular).find("element [1, 1] on the diagonal"),
            std::string::npos);
  b.set(1, 1, Scalar::of_float(std::nan("")));
  EXPECT_NE(b.structure_violation(Structure::symmetric).find("NaN"), std::string::npos);
  EXPECT_NE(matrix(2, 3, DType::float64).structure_violation(Structure::symmetric).find("2x3"), std::string::npos);
  std::array<index_t, 1> n{3};
  EXPECT_THROW(Array::empty(n, DType::float64, true).set_structure(Structure::diagonal), ValueError);
}

TEST(Structure, AntisymmetricIsExact) {
  Array a = matrix(2, 2, DType::int64);
  a.set(0, 1, Scalar::of_int(INT64_MIN));
  a.set(1, 0, Scalar::of_int(INT64_MIN));  // -INT64_MIN wraps to itself: not the negative
  EXPECT_FALSE(a.structure_violation(Structure::antisymmetric).empty());
  Array u = matrix(2, 2, DType::uint8);
  u.set(0, 1, Scalar::of_int(1));
  u.set(1, 0, Scalar::of_int(255));  // 255 == -1 only modulo 256
  EXPECT_FALSE(u.structure_violation(Structure::antisymmetric).empty());
}

TEST(Structure, TransposeAndSliceRules) {
  std::mt19937 rng(2);
  Array a = with_structure(8, 8, DType::float64, Structure::strictly_upper_triangular, rng);
  a.set_structure(Structure::strictly_upper_triangular);
  EXPECT_EQ(a.transpose().structure(), Structure::strictly_lower_triangular);
  EXPECT_EQ(a.transpose().transpose().structure(), Structure::strictly_upper_triangular);
  // Square principal sub-blocks with the same start and step keep it, in either slicing order.
  Array p = a.slice(0, 2, 2, 3).slice(1, 2, 2, 3);
  EXPECT_EQ(p.structure(), Structure::strictly_upper_triangular);
  EXPECT_TRUE(holds(p, Structure::strictly_upper_triangular));
  EXPECT_EQ(a.slice(1, 1, 1, 5).slice(0, 1, 1, 5).structure(), Structure::strictly_upper_triangular);
  EXPECT_EQ(a.transpose().slice(0, 1, 3, 2).slice(1, 1, 3, 2).structure(), Structure::strictly_lower_triangular);
  // Anything else is dense.
  EXPECT_EQ(a.slice(0, 0, 1, 4).structure(), Structure::dense);            // a band of rows
  EXPECT_EQ(a.slice(0, 0, 1, 4).slice(1, 1, 1, 4).structure(), Structure::dense);  // off the diagonal
  EXPECT_EQ(a.slice(0, 0, 1, 4).slice(1, 0, 2, 4).structure(), Structure::dense);  // different steps
  EXPECT_EQ(a.slice(0, 7, -1, 8).slice(1, 7, -1, 8).structure(), Structure::dense);  // reversed
  EXPECT_EQ(a.select(0, 1).structure(), Structure::dense);
  EXPECT_EQ(a.diagonal().structure(), Structure::dense);
  // Copies carry it.
  EXPECT_EQ(a.copy().structure(), Structure::strictly_upper_triangular);
  EXPECT_EQ(a.astype(DType::bit).structure(), Structure::strictly_upper_triangular);
}

TEST(Structure, WritesMoveTheGenerationAndMarksStayTrue) {
  std::mt19937 rng(4);
  Array a = with_structure(6, 6, DType::float64, Structure::upper_triangular, rng);
  a.set_structure(Structure::upper_triangular);
  const auto g0 = a.buffer()->generation();
  a.set(0, 5, Scalar::of_float(9.0));  // inside the triangle: kept without a scan
  EXPECT_GT(a.buffer()->generation(), g0);
  EXPECT_TRUE(a.structure_current());
  EXPECT_EQ(a.structure(), Structure::upper_triangular);
  a.set(4, 1, Scalar::of_float(1.0));  // below: dropped at once
  EXPECT_EQ(a.structure(), Structure::dense);
  a.set(4, 1, Scalar::of_float(0.0));
  a.set_structure(Structure::upper_triangular);

  // A write through another view is seen when the mark is next read.
  Array row = a.select(0, 5);
  row.set(0, 0, Scalar::of_float(3.0));
  EXPECT_FALSE(a.structure_current());
  EXPECT_EQ(a.structure(), Structure::dense);

  // Every write path moves the generation.
  Array b = matrix(4, 4, DType::float64);
  auto g = b.buffer()->generation();
  auto moved = [&] {
    auto now = b.buffer()->generation();
    bool m = now != g;
    g = now;
    return m;
  };
  b.fill(Scalar::of_float(0.0));
  EXPECT_TRUE(moved());
  b.assign(matrix(4, 4, DType::int8).ref());
  EXPECT_TRUE(moved());
  std::array<index_t, 1> idx{1};
  b.put(0, idx, matrix(1, 4, DType::float64));
  EXPECT_TRUE(moved());
  std::array<index_t, 1> one{1};
  b.put_pairs(idx, idx, Array::empty(one, DType::float64, true));
  EXPECT_TRUE(moved());
  (void)b.write_ref();
  EXPECT_TRUE(moved());

  // fill: zeros keep every mark, a constant keeps symmetric only.
  Array s = matrix(3, 3, DType::float64);
  s.set_structure(Structure::antisymmetric);
  s.fill(Scalar::of_float(0.0));
  EXPECT_EQ(s.structure(), Structure::antisymmetric);
  s.set_structure(Structure::symmetric);
  s.fill(Scalar::of_float(2.0));
  EXPECT_EQ(s.structure(), Structure::symmetric);
  s.fill(Scalar::of_float(std::nan("")));
  EXPECT_EQ(s.structure(), Structure::dense);
}

TEST(Structure, ClaimedMarksAreCheckedWhenRead) {
  Array a = matrix(3, 3, DType::int32);
  a.set(2, 0, Scalar::of_int(1));
  a.claim_structure(Structure::upper_triangular);
  EXPECT_FALSE(a.structure_current());
  EXPECT_EQ(a.structure(), Structure::dense);
  Array b = matrix(3, 3, DType::int32);
  b.claim_structure(Structure::strictly_lower_triangular);
  EXPECT_EQ(b.structure(), Structure::strictly_lower_triangular);
  EXPECT_TRUE(b.structure_current());
}

TEST(Structure, LargeBitScanFindsTheOneBadBit) {
  // Word-level scans: rows longer than one word, odd lengths, one set bit below the diagonal.
  Array a = matrix(300, 300, DType::bit);
  for (index_t i = 0; i < 300; ++i)
    for (index_t j = i + 1; j < 300; j += 7) a.set(i, j, Scalar::of_bool(true));
  EXPECT_TRUE(a.structure_violation(Structure::strictly_upper_triangular).empty());
  a.set(250, 199, Scalar::of_bool(true));
  EXPECT_NE(a.structure_violation(Structure::strictly_upper_triangular).find("element [250, 199]"),
            std::string::npos);
  EXPECT_NE(a.transpose().structure_violation(Structure::strictly_lower_triangular).find("element [199, 250]"),
            std::string::npos);
}

TEST(Structure, LinalgRoutesOnTheMark) {
  // An upper-triangular mark routes inv and solve to the triangular routines,
  // which read only that triangle and mark the result.
  Array a = matrix(4, 4, DType::float64);
  for (index_t i = 0; i < 4; ++i)
    for (index_t j = i; j < 4; ++j) a.set(i, j, Scalar::of_float(i == j ? 2.0 : 1.0));
  a.set_structure(Structure::upper_triangular);
  Array x = linalg::inv(a, DType::float64);
  EXPECT_EQ(x.structure(), Structure::upper_triangular);
  for (index_t i = 0; i < 4; ++i)  // A X = I
    for (index_t j = 0; j < 4; ++j) {
      double s = 0;
      for (index_t k = 0; k < 4; ++k) s += at(a, i, k) * at(x, k, j);
      EXPECT_NEAR(s, i == j ? 1.0 : 0.0, 1e-14);
    }
  // Strictly triangular: singular, as NumPy says.
  Array s = matrix(3, 3, DType::float64);
  s.set(0, 2, Scalar::of_float(1.0));
  s.set_structure(Structure::strictly_upper_triangular);
  EXPECT_THROW(linalg::inv(s, DType::float64), LinAlgError);
  std::array<index_t, 1> n3{3};
  EXPECT_THROW(linalg::solve(s, Array::empty(n3, DType::float64, true), DType::float64), LinAlgError);
  // Without the mark the same values are inverted by LU (a dense result).
  Array d = a.copy();
  d.set_structure(Structure::dense);
  EXPECT_EQ(linalg::inv(d, DType::float64).structure(), Structure::dense);
}

TEST(Structure, ProductsAreMarked) {
  Array c = matrix(70, 70, DType::bit);
  for (index_t i = 0; i < 70; ++i)
    for (index_t j = i + 1; j < 70; j += 3) c.set(i, j, Scalar::of_bool(true));
  c.set_structure(Structure::strictly_upper_triangular);
  Array p = matmul(c, c, DType::int32);
  EXPECT_EQ(p.structure(), Structure::strictly_upper_triangular);
  EXPECT_TRUE(p.structure_current());  // exact: trusted without a check
  EXPECT_TRUE(holds(p, Structure::strictly_upper_triangular));
  Array f = c.astype(DType::float64);
  Array q = matmul(f, f, DType::float64);
  EXPECT_FALSE(q.structure_current());  // floating: checked when first read
  EXPECT_EQ(q.structure(), Structure::strictly_upper_triangular);
  EXPECT_EQ(matmul(c, c.transpose(), DType::int32).structure(), Structure::dense);
}
