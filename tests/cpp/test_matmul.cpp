// matmul() through its public entry point against brute-force oracles written
// here: bit @ bit counts (odd sizes, views, triangular operands, vectors),
// exact integer products with OverflowError at the exact edge of every
// integer dtype, mixed shapes and vectors, and floating products of views.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "pycauset/core/error.hpp"
#include "pycauset/linalg/matmul.hpp"

using namespace pycauset;
using index_t = Array::index_t;

namespace {

__extension__ typedef __int128 i128;

Array matrix(index_t rows, index_t cols, DType d) {
  std::array<index_t, 2> shape{rows, cols};
  return Array::empty(shape, d, true);
}
Array vector(index_t n, DType d) { return Array::empty(std::span(&n, 1), d, true); }

Scalar scalar_of(i128 v, DType d) {
  if (dtype_info(d).kind == DTypeKind::unsigned_int) return Scalar::of_uint(std::uint64_t(v));
  return Scalar::of_int(std::int64_t(v));
}

i128 int_of(const Scalar& s) {
  switch (s.kind) {
    case Scalar::Kind::unsigned_int: return i128(s.u);
    case Scalar::Kind::floating: return i128(s.c.real());
    default: return i128(s.i);
  }
}

// Element (i, j) of a rank-2 result, or of a vector result seen as one row
// (i == 0) or one column (j == 0).
Scalar elem(const Array& a, index_t i, index_t j) { return a.ndim() == 1 ? a.get(i + j) : a.get(i, j); }

// A rows x cols integer matrix with the given values, row-major.
Array int_matrix(index_t rows, index_t cols, DType d, const std::vector<i128>& v) {
  Array a = matrix(rows, cols, d);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) a.set(i, j, scalar_of(v[std::size_t(i * cols + j)], d));
  return a;
}

Array random_bits(index_t rows, index_t cols, double density, unsigned seed, bool strictly_upper = false) {
  Array a = matrix(rows, cols, DType::bit);
  std::mt19937_64 gen(seed);
  std::bernoulli_distribution coin(density);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) {
      const bool v = coin(gen) && (!strictly_upper || j > i);
      a.set(i, j, Scalar::of_bool(v));
    }
  return a;
}

// Logical shape of an operand as (rows, cols) of the product: a vector on the
// left is one row, on the right one column.
index_t rows_of(const Array& a) { return a.ndim() == 1 ? 1 : a.shape(0); }
index_t inner_of(const Array& a) { return a.ndim() == 1 ? a.shape(0) : a.shape(1); }
index_t cols_of(const Array& b) { return b.ndim() == 1 ? 1 : b.shape(1); }
i128 left(const Array& a, index_t i, index_t p) { return int_of(a.ndim() == 1 ? a.get(p) : a.get(i, p)); }
i128 right(const Array& b, index_t p, index_t j) { return int_of(b.ndim() == 1 ? b.get(p) : b.get(p, j)); }

// The exact product, element by element, from element reads alone.
std::vector<i128> exact_product(const Array& a, const Array& b) {
  const index_t n = rows_of(a), k = inner_of(a), m = cols_of(b);
  std::vector<i128> c(std::size_t(n * m), 0);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < m; ++j) {
      i128 s = 0;
      for (index_t p = 0; p < k; ++p) s += left(a, i, p) * right(b, p, j);
      c[std::size_t(i * m + j)] = s;
    }
  return c;
}

bool fits(i128 v, DType d) {
  i128 lo = 0, hi = 0;
  visit_dtype(d, [&]<class T>(std::type_identity<T>) {
    if constexpr (std::is_integral_v<T>) lo = i128(std::numeric_limits<T>::min()), hi = i128(std::numeric_limits<T>::max());
  });
  return v >= lo && v <= hi;
}

// Checks shape, dtype and every element of c against the oracle.
void expect_product(const Array& c, const std::vector<i128>& want, index_t n, index_t m, DType d,
                    const std::string& what) {
  ASSERT_EQ(c.dtype(), d) << what;
  ASSERT_EQ(c.size(), n * m) << what;
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < m; ++j)
      ASSERT_TRUE(int_of(elem(c, i, j)) == want[std::size_t(i * m + j)])
          << what << " at (" << i << ", " << j << "): got " << double(int_of(elem(c, i, j))) << ", want "
          << double(want[std::size_t(i * m + j)]);
}

void expect_matches_oracle(const Array& a, const Array& b, DType d, const std::string& what) {
  const Array c = matmul(a, b, d);
  expect_product(c, exact_product(a, b), rows_of(a), cols_of(b), d, what);
}

constexpr DType kIntegers[] = {DType::int8,  DType::int16,  DType::int32,  DType::int64,
                               DType::uint8, DType::uint16, DType::uint32, DType::uint64};

i128 max_of(DType d) {
  i128 hi = 0;
  visit_dtype(d, [&]<class T>(std::type_identity<T>) {
    if constexpr (std::is_integral_v<T>) hi = i128(std::numeric_limits<T>::max());
  });
  return hi;
}

}  // namespace

// ---- bit @ bit ----------------------------------------------------------------------

TEST(Matmul, BitProductsCountCommonOnes) {
  struct Case {
    index_t n, k, m;
    double density;
  };
  unsigned seed = 1;
  for (Case c : {Case{1, 1, 1, 0.5}, Case{5, 64, 3, 0.5}, Case{4, 65, 4, 0.3}, Case{70, 130, 65, 0.5},
                 Case{9, 200, 263, 0.05}, Case{133, 127, 70, 0.9}}) {
    const Array a = random_bits(c.n, c.k, c.density, seed++), b = random_bits(c.k, c.m, c.density, seed++);
    const std::string what = std::to_string(c.n) + "x" + std::to_string(c.k) + "x" + std::to_string(c.m);
    expect_matches_oracle(a, b, DType::int32, what + " int32");
    expect_matches_oracle(a, b, DType::int64, what + " int64");
  }
}

TEST(Matmul, BitProductsOfTriangularAndZeroOperands) {
  // Causal matrices: strictly upper triangular, so whole word ranges are zero.
  const Array c = random_bits(150, 150, 0.3, 11, true);
  expect_matches_oracle(c, c, DType::int32, "C @ C");
  expect_matches_oracle(c.transpose(), c, DType::int32, "C.T @ C");
  // All-zero operands and operands with zero rows and columns.
  const Array z = matrix(70, 90, DType::bit);
  const Array ones = random_bits(90, 30, 1.0, 12);
  expect_matches_oracle(z, ones, DType::int32, "zeros @ ones");
  Array sparse = matrix(66, 90, DType::bit);
  sparse.set(65, 89, Scalar::of_bool(true));
  sparse.set(0, 0, Scalar::of_bool(true));
  expect_matches_oracle(sparse, ones, DType::int64, "two bits @ ones");
}

TEST(Matmul, BitProductsOfViews) {
  const Array big = random_bits(97, 160, 0.5, 21);
  const Array other = random_bits(160, 75, 0.5, 22);
  // A transposed operand, column slices starting inside a word, and steps.
  const Array at = random_bits(160, 97, 0.5, 23).transpose();  // 97 x 160, column-major bits
  expect_matches_oracle(at, other, DType::int32, "transposed left");
  expect_matches_oracle(big, other.transpose().transpose(), DType::int32, "double transpose");
  const Array cols = big.slice(1, 3, 1, 130);      // 97 x 130, starting at bit 3
  const Array rows = other.slice(0, 5, 1, 130);    // 130 x 75
  expect_matches_oracle(cols, rows, DType::int32, "sliced");
  const Array stepped = big.slice(1, 1, 2, 80);    // every other column
  const Array rstep = other.slice(0, 0, 2, 80).slice(1, 2, 3, 24);
  expect_matches_oracle(stepped, rstep, DType::int64, "stepped");
  const Array neg = big.slice(0, 96, -1, 97);      // rows reversed
  expect_matches_oracle(neg, other, DType::int32, "reversed rows");
}

TEST(Matmul, BitVectorsAndMixedBitOperands) {
  const Array m = random_bits(70, 130, 0.5, 31);
  Array v = vector(130, DType::bit), w = vector(70, DType::bit);
  std::mt19937_64 gen(32);
  for (index_t i = 0; i < 130; ++i) v.set(i, 0, Scalar::of_bool(gen() & 1));
  for (index_t i = 0; i < 70; ++i) w.set(i, 0, Scalar::of_bool(gen() & 1));
  const Array mv = matmul(m, v, DType::int32);
  EXPECT_EQ(mv.ndim(), 1);
  EXPECT_EQ(mv.shape(0), 70);
  expect_product(mv, exact_product(m, v), 70, 1, DType::int32, "matrix @ vector");
  const Array wm = matmul(w, m, DType::int64);
  EXPECT_EQ(wm.ndim(), 1);
  EXPECT_EQ(wm.shape(0), 130);
  expect_product(wm, exact_product(w, m), 1, 130, DType::int64, "vector @ matrix");
  const Array vv = matmul(v, v, DType::int32);  // one element: the caller makes it a scalar
  EXPECT_EQ(vv.ndim(), 1);
  EXPECT_EQ(vv.shape(0), 1);
  expect_product(vv, exact_product(v, v), 1, 1, DType::int32, "vector @ vector");
  // A bit operand with an integer one: the bits count as 0 and 1.
  const Array ints = int_matrix(130, 3, DType::int32, [] {
    std::vector<i128> x(390);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = i128(int(i % 7) - 3);
    return x;
  }());
  expect_matches_oracle(m, ints, DType::int32, "bit @ int32");
}

TEST(Matmul, BitProductsRefuseResultDtypesThatAreNotCounts) {
  const Array a = random_bits(4, 4, 0.5, 41);
  EXPECT_THROW(matmul(a, a, DType::bit), TypeError);
  EXPECT_THROW(matmul(a, a, DType::int16), TypeError);
  const Array f = matrix(2, 2, DType::float64);
  EXPECT_THROW(matmul(f, f, DType::bit), TypeError);
}

// ---- integers ------------------------------------------------------------------------

TEST(Matmul, IntegerProductsMatchTheExactOracleForEveryDtype) {
  std::mt19937_64 gen(51);
  for (DType d : kIntegers) {
    const bool is_signed = dtype_info(d).kind == DTypeKind::signed_int;
    const index_t n = 37, k = 53, m = 29;
    // Values with k * max^2 within the dtype, so every result fits.
    const i128 lim = i128(std::sqrt(double(max_of(d)) / double(k)));
    std::uniform_int_distribution<std::int64_t> value(is_signed ? -std::int64_t(lim) : 0, std::int64_t(lim));
    std::vector<i128> va(std::size_t(n * k)), vb(std::size_t(k * m));
    for (auto& x : va) x = value(gen);
    for (auto& x : vb) x = value(gen);
    const Array a = int_matrix(n, k, d, va), b = int_matrix(k, m, d, vb);
    expect_matches_oracle(a, b, d, std::string(dtype_name(d)));
    // Transposed and strided views go through the same exact kernels.
    expect_matches_oracle(b.transpose(), a.transpose(), d, std::string(dtype_name(d)) + " transposed");
    expect_matches_oracle(a.slice(1, 1, 2, 26), b.slice(0, 1, 2, 26), d, std::string(dtype_name(d)) + " stepped");
  }
}

TEST(Matmul, IntegerOverflowIsRaisedExactlyAtTheEdgeOfEachDtype) {
  for (DType d : kIntegers) {
    const std::string name(dtype_name(d));
    const i128 hi = max_of(d), h = hi / 2;
    const Array ones = int_matrix(2, 1, d, {1, 1});
    // h + (hi - h) = hi fits; h + (hi - h + 1) = hi + 1 does not.
    expect_matches_oracle(int_matrix(1, 2, d, {h, hi - h}), ones, d, name + " max");
    EXPECT_THROW(matmul(int_matrix(1, 2, d, {h, hi - h + 1}), ones, d), OverflowError) << name;
    if (dtype_info(d).kind == DTypeKind::signed_int) {
      const i128 lo = -hi - 1, l = lo / 2;
      expect_matches_oracle(int_matrix(1, 2, d, {l, lo - l}), ones, d, name + " min");
      EXPECT_THROW(matmul(int_matrix(1, 2, d, {l, lo - l - 1}), ones, d), OverflowError) << name;
    }
    // The same edge reached by one product instead of a sum.
    const i128 r = i128(std::sqrt(double(hi)));
    i128 s = r;
    while (s * s > hi) --s;
    while ((s + 1) * (s + 1) <= hi) ++s;
    expect_matches_oracle(int_matrix(1, 1, d, {s}), int_matrix(1, 1, d, {s}), d, name + " square");
    EXPECT_THROW(matmul(int_matrix(1, 1, d, {s + 1}), int_matrix(1, 1, d, {s + 1}), d), OverflowError) << name;
  }
}

TEST(Matmul, IntegerProductsPastTheFastBoundAreExactOrRaiseAsTheOracleSays) {
  // Operands this large take the 128-bit path; whether the result fits is up
  // to the values, and the oracle decides what must happen.
  std::mt19937_64 gen(61);
  int exact = 0, raised = 0;
  for (int round = 0; round < 40; ++round) {
    const bool is_signed = round % 2 == 0;
    const DType d = is_signed ? DType::int64 : DType::uint64;
    const index_t n = 3, k = 1 + round % 4, m = 3;
    std::vector<i128> va(std::size_t(n * k)), vb(std::size_t(k * m));
    for (auto& x : va) x = is_signed ? i128(std::int64_t(gen())) : i128(gen());
    for (auto& x : vb) x = is_signed ? i128(std::int64_t(gen() % 3) - 1) : i128(gen() % 2);
    const Array a = int_matrix(n, k, d, va), b = int_matrix(k, m, d, vb);
    const std::vector<i128> want = exact_product(a, b);
    bool all_fit = true;
    for (i128 v : want) all_fit = all_fit && fits(v, d);
    if (all_fit) {
      expect_product(matmul(a, b, d), want, n, m, d, "round " + std::to_string(round));
      ++exact;
    } else {
      EXPECT_THROW(matmul(a, b, d), OverflowError) << "round " << round;
      ++raised;
    }
  }
  EXPECT_GT(exact, 5);  // both outcomes were exercised
  EXPECT_GT(raised, 5);
}

TEST(Matmul, IntegerOperandsIntoAWiderResult) {
  // The caller passes the promoted dtype: int8 @ uint8 -> int16, and int32 @ int32 -> int64.
  const Array a = int_matrix(2, 3, DType::int8, {-128, 127, 5, 127, 127, 127});
  const Array b = int_matrix(3, 2, DType::uint8, {255, 0, 255, 1, 2, 255});
  expect_matches_oracle(a, b, DType::int32, "int8 @ uint8 -> int32");
  expect_matches_oracle(a.slice(0, 0, 1, 1), b, DType::int16, "int8 @ uint8 -> int16");  // row 0: -245, 1402
  EXPECT_THROW(matmul(a, b, DType::int16), OverflowError);  // row 1: 127 * 512 = 65024
  const Array big = int_matrix(1, 2, DType::int32, {2147483647, 2147483647});
  expect_matches_oracle(big, int_matrix(2, 1, DType::int32, {2147483647, 2147483647}), DType::int64, "int32 -> int64");
}

// ---- shapes --------------------------------------------------------------------------

TEST(Matmul, ShapesOfMatrixAndVectorProducts) {
  const Array a = int_matrix(3, 4, DType::int64, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  const Array b = int_matrix(4, 2, DType::int64, {1, -1, 2, -2, 3, -3, 4, -4});
  Array v = vector(4, DType::int64), u = vector(3, DType::int64);
  for (index_t i = 0; i < 4; ++i) v.set(i, 0, Scalar::of_int(i + 1));
  for (index_t i = 0; i < 3; ++i) u.set(i, 0, Scalar::of_int(10 * (i + 1)));

  const Array ab = matmul(a, b, DType::int64);
  EXPECT_EQ(ab.ndim(), 2);
  EXPECT_EQ(ab.shape(0), 3);
  EXPECT_EQ(ab.shape(1), 2);
  expect_product(ab, exact_product(a, b), 3, 2, DType::int64, "matrix @ matrix");
  const Array av = matmul(a, v, DType::int64);  // (3, 4) @ (4,) -> (3,)
  EXPECT_EQ(av.ndim(), 1);
  EXPECT_EQ(av.shape(0), 3);
  expect_product(av, {30, 70, 110}, 1, 3, DType::int64, "matrix @ vector");
  const Array ua = matmul(u, a, DType::int64);  // (3,) @ (3, 4) -> (4,)
  EXPECT_EQ(ua.ndim(), 1);
  EXPECT_EQ(ua.shape(0), 4);
  expect_product(ua, {380, 440, 500, 560}, 1, 4, DType::int64, "vector @ matrix");
  const Array vv = matmul(v, v, DType::int64);  // (4,) @ (4,) -> one element
  EXPECT_EQ(vv.ndim(), 1);
  EXPECT_EQ(vv.shape(0), 1);
  EXPECT_EQ(vv.get(0).i, 30);
  const Array row = a.slice(0, 1, 1, 1), col = b.slice(1, 0, 1, 1);  // (1, 4) @ (4, 1) -> (1, 1)
  const Array rc = matmul(row, col, DType::int64);
  EXPECT_EQ(rc.ndim(), 2);
  EXPECT_EQ(rc.get(0, 0).i, 5 * 1 + 6 * 2 + 7 * 3 + 8 * 4);

  try {
    matmul(a, a, DType::int64);
    FAIL() << "(3, 4) @ (3, 4) has no inner dimension";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("4 vs 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(matmul(v, u, DType::int64), ValueError);
  EXPECT_THROW(matmul(a, u, DType::float64), ValueError);
}

TEST(Matmul, EmptyExtentsGiveEmptyOrZeroResults) {
  for (DType d : {DType::int32, DType::float64, DType::bit}) {
    const DType r = d == DType::bit ? DType::int32 : d;
    const std::string name(dtype_name(d));
    const Array c = matmul(matrix(3, 0, d), matrix(0, 5, d), r);  // inner dimension 0: zeros
    ASSERT_EQ(c.shape(0), 3) << name;
    ASSERT_EQ(c.shape(1), 5) << name;
    for (index_t i = 0; i < 3; ++i)
      for (index_t j = 0; j < 5; ++j) EXPECT_TRUE(int_of(c.get(i, j)) == 0) << name;
    const Array e = matmul(matrix(0, 4, d), matrix(4, 2, d), r);
    EXPECT_EQ(e.shape(0), 0) << name;
    EXPECT_EQ(e.shape(1), 2) << name;
  }
}

// ---- floating --------------------------------------------------------------------------

TEST(Matmul, FloatingProductsOfViewsMatchAPlainLoop) {
  std::mt19937_64 gen(71);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const index_t n = 33, k = 47, m = 21;
  Array at = matrix(k, n, DType::float64), b = matrix(k, 2 * m, DType::float64);
  for (index_t i = 0; i < k; ++i) {
    for (index_t j = 0; j < n; ++j) at.set(i, j, Scalar::of_float(u(gen)));
    for (index_t j = 0; j < 2 * m; ++j) b.set(i, j, Scalar::of_float(u(gen)));
  }
  const Array a = at.transpose();           // column-major: BLAS takes it transposed
  const Array bs = b.slice(1, 1, 2, m);     // every other column: not BLAS-ready, copied
  auto want = [&](index_t i, index_t j) {
    double s = 0;
    for (index_t p = 0; p < k; ++p) s += a.get(i, p).c.real() * bs.get(p, j).c.real();
    return s;
  };
  for (DType d : {DType::float64, DType::float32, DType::float16, DType::complex128}) {
    const Array c = matmul(d == DType::float64 ? a : a.astype(d), d == DType::float64 ? bs : bs.astype(d), d);
    ASSERT_EQ(c.dtype(), d);
    const double tol = d == DType::float16 ? 5e-2 : d == DType::float32 ? 1e-5 : 1e-12;
    for (index_t i = 0; i < n; ++i)
      for (index_t j = 0; j < m; ++j) {
        const Scalar got = c.get(i, j);
        ASSERT_NEAR(got.c.real(), want(i, j), tol * std::max(1.0, std::abs(want(i, j)))) << dtype_name(d);
        ASSERT_EQ(got.c.imag(), 0.0);
      }
  }
  // Matrix @ vector and vector @ vector through BLAS, with a strided vector.
  const Array col = bs.select(1, 0);  // column 0 of the slice: stride 2 * m
  const Array mv = matmul(a, col, DType::float64);
  for (index_t i = 0; i < n; ++i) EXPECT_NEAR(mv.get(i).c.real(), want(i, 0), 1e-12);
  const Array dot = matmul(a.select(0, 0), col, DType::float64);
  EXPECT_NEAR(dot.get(0).c.real(), want(0, 0), 1e-12);
}
