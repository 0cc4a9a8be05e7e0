// The fused elementwise evaluator (kernels/elementwise.hpp) against scalar
// loops written here: arithmetic trees, broadcast operands (zero strides),
// dtype casts between nodes, comparisons and logic into bit outputs, exact
// int64/uint64 comparisons, complex unary ops, strided outputs, and the
// validation of malformed trees.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "pycauset/array/array.hpp"
#include "pycauset/core/error.hpp"
#include "pycauset/kernels/elementwise.hpp"

using namespace pycauset;
using index_t = Array::index_t;

namespace {

Array matrix(index_t rows, index_t cols, DType d) {
  std::array<index_t, 2> shape{rows, cols};
  return Array::empty(shape, d, true);
}

// A tree built in post-order; each call returns the new node's index.
struct Tree {
  std::vector<ExprNode> nodes;
  std::int32_t push(ExprNode n) {
    nodes.push_back(n);
    return std::int32_t(nodes.size() - 1);
  }
  std::int32_t operand(std::int32_t index, DType d) {
    ExprNode n;
    n.op = ExprOp::operand;
    n.operand = index;
    n.compute = n.result = d;
    return push(n);
  }
  std::int32_t scalar(Scalar v, DType d) {
    ExprNode n;
    n.op = ExprOp::scalar;
    n.value = v;
    n.compute = n.result = d;
    return push(n);
  }
  std::int32_t op(ExprOp o, std::int32_t lhs, std::int32_t rhs, DType compute, DType result) {
    ExprNode n;
    n.op = o;
    n.lhs = lhs;
    n.rhs = rhs;
    n.compute = n.compute_rhs = compute;
    n.result = result;
    return push(n);
  }
  std::int32_t unary(ExprOp o, std::int32_t child, DType compute, DType result) {
    return op(o, child, -1, compute, result);
  }
};

void run(const Tree& t, std::vector<Array> operands, const Array& out) {
  std::vector<StridedRef> refs;
  for (auto& a : operands) refs.push_back(a.ref());
  evaluate(t.nodes, refs, out.ref());
}

double real_at(const Array& a, index_t i, index_t j) { return a.get(i, j).c.real(); }

Array random_floats(index_t rows, index_t cols, unsigned seed, DType d = DType::float64) {
  Array a = matrix(rows, cols, d);
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(-4.0, 4.0);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) a.set(i, j, Scalar::of_float(std::round(u(gen) * 8) / 8));  // exact in float32
  return a;
}

Array random_ints(index_t rows, index_t cols, DType d, std::int64_t lo, std::int64_t hi, unsigned seed) {
  Array a = matrix(rows, cols, d);
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<std::int64_t> u(lo, hi);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) a.set(i, j, Scalar::of_int(u(gen)));
  return a;
}

}  // namespace

TEST(Elementwise, ArithmeticTreeMatchesAScalarLoop) {
  // (a + b) * c - a / 2.5 over several 2048-element segments per row.
  const index_t rows = 37, cols = 5000;
  const Array a = random_floats(rows, cols, 1), b = random_floats(rows, cols, 2), c = random_floats(rows, cols, 3);
  Tree t;
  const DType f = DType::float64;
  auto na = t.operand(0, f), nb = t.operand(1, f), nc = t.operand(2, f);
  auto sum = t.op(ExprOp::add, na, nb, f, f);
  auto prod = t.op(ExprOp::multiply, sum, nc, f, f);
  auto k = t.scalar(Scalar::of_float(2.5), f);
  auto quot = t.op(ExprOp::divide, na, k, f, f);
  t.op(ExprOp::subtract, prod, quot, f, f);
  Array out = matrix(rows, cols, f);
  const std::uint64_t calls = evaluate_calls();
  run(t, {a, b, c}, out);
  EXPECT_EQ(evaluate_calls(), calls + 1);  // one pass
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) {
      const double x = real_at(a, i, j), y = real_at(b, i, j), z = real_at(c, i, j);
      const double want = (x + y) * z - x / 2.5;
      ASSERT_NEAR(real_at(out, i, j), want, 1e-13 * std::max(1.0, std::abs(want))) << i << ", " << j;
    }
}

TEST(Elementwise, BroadcastOperandsAndAStridedOutput) {
  // row (cols,) + column (rows, 1) * scalar, written into every other column of a wider matrix.
  const index_t rows = 9, cols = 2100;
  Array row = Array::empty(std::span(&cols, 1), DType::float64, true);
  for (index_t j = 0; j < cols; ++j) row.set(j, 0, Scalar::of_float(double(j) * 0.5));
  const Array col = random_floats(rows, 1, 4);
  const Array row_b = row.broadcast_to(rows, cols), col_b = col.broadcast_to(rows, cols);
  ASSERT_EQ(row_b.stride(0), 0);
  ASSERT_EQ(col_b.stride(1), 0);
  Tree t;
  const DType f = DType::float64;
  auto nr = t.operand(0, f), nc = t.operand(1, f);
  auto k = t.scalar(Scalar::of_int(-3), f);
  t.op(ExprOp::add, nr, t.op(ExprOp::multiply, nc, k, f, f), f, f);
  Array wide = matrix(rows, 2 * cols, f);
  wide.fill(Scalar::of_float(7.0));
  const Array out = wide.slice(1, 1, 2, cols);
  run(t, {row_b, col_b}, out);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) {
      ASSERT_EQ(real_at(wide, i, 2 * j + 1), double(j) * 0.5 + real_at(col, i, 0) * -3.0) << i << ", " << j;
      ASSERT_EQ(real_at(wide, i, 2 * j), 7.0);  // the columns between are untouched
    }
}

TEST(Elementwise, CastsBetweenNodesFollowTheNodeDtypes) {
  // float32((int64(a_int32) + int64(b_uint8)) * float64(c_float32))
  const index_t rows = 5, cols = 301;
  const Array a = random_ints(rows, cols, DType::int32, -2000000000, 2000000000, 5);
  const Array b = random_ints(rows, cols, DType::uint8, 0, 255, 6);
  const Array c = random_floats(rows, cols, 7, DType::float32);
  Tree t;
  auto na = t.operand(0, DType::int32), nb = t.operand(1, DType::uint8), nc = t.operand(2, DType::float32);
  auto sum = t.op(ExprOp::add, na, nb, DType::int64, DType::int64);
  auto prod = t.op(ExprOp::multiply, sum, nc, DType::float64, DType::float64);
  t.unary(ExprOp::cast, prod, DType::float64, DType::float32);
  Array out = matrix(rows, cols, DType::float32);
  run(t, {a, b, c}, out);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) {
      const std::int64_t s = a.get(i, j).i + std::int64_t(b.get(i, j).u);
      const float want = float(double(s) * double(float(real_at(c, i, j))));
      ASSERT_EQ(float(real_at(out, i, j)), want) << i << ", " << j;
    }
  // Floats cast to an integer dtype truncate toward zero.
  Tree tr;
  tr.unary(ExprOp::cast, tr.operand(0, DType::float64), DType::float64, DType::int32);
  Array x = matrix(1, 6, DType::float64);
  const double vals[] = {-2.7, -0.5, 0.0, 0.9, 2.5, 1e9};
  for (index_t j = 0; j < 6; ++j) x.set(0, j, Scalar::of_float(vals[j]));
  Array xi = matrix(1, 6, DType::int32);
  run(tr, {x}, xi);
  for (index_t j = 0; j < 6; ++j) EXPECT_EQ(xi.get(0, j).i, std::int64_t(std::trunc(vals[j])));
}

TEST(Elementwise, IntegerArithmeticWrapsInTheComputeDtype) {
  // int8: 127 + 1 = -128, -128 * -1 = -128, as NumPy's int8 loops give.
  Array a = matrix(1, 4, DType::int8);
  const std::int64_t vals[] = {127, -128, 5, -7};
  for (index_t j = 0; j < 4; ++j) a.set(0, j, Scalar::of_int(vals[j]));
  Tree t;
  const DType d = DType::int8;
  auto na = t.operand(0, d);
  auto plus = t.op(ExprOp::add, na, t.scalar(Scalar::of_int(1), d), d, d);
  t.op(ExprOp::multiply, plus, t.scalar(Scalar::of_int(-1), d), d, d);
  Array out = matrix(1, 4, d);
  run(t, {a}, out);
  for (index_t j = 0; j < 4; ++j) {
    const std::int8_t want = std::int8_t(std::uint8_t(-std::uint8_t(std::uint8_t(vals[j]) + 1u)));
    EXPECT_EQ(out.get(0, j).i, want) << vals[j];
  }
}

TEST(Elementwise, ComparisonsAndLogicIntoABitOutputAtABitOffset) {
  // (a < b) & ~(a == 0.5) | (a >= b) ^ (b != b), with NaNs: every comparison with NaN is false except !=.
  const index_t rows = 13, cols = 131;
  Array a = random_floats(rows, cols, 8), b = random_floats(rows, cols, 9);
  for (index_t i = 0; i < rows; ++i) {
    a.set(i, (i * 7) % cols, Scalar::of_float(0.5));
    b.set(i, (i * 11) % cols, Scalar::of_float(std::nan("")));
    a.set(i, (i * 13 + 1) % cols, Scalar::of_float(std::nan("")));
  }
  Tree t;
  const DType f = DType::float64, bit = DType::bit;
  auto na = t.operand(0, f), nb = t.operand(1, f);
  auto lt = t.op(ExprOp::less, na, nb, f, bit);
  auto eq = t.op(ExprOp::equal, na, t.scalar(Scalar::of_float(0.5), f), f, bit);
  auto left = t.op(ExprOp::logical_and, lt, t.unary(ExprOp::invert, eq, bit, bit), bit, bit);
  auto ge = t.op(ExprOp::greater_equal, na, nb, f, bit);
  auto nan_b = t.op(ExprOp::not_equal, nb, nb, f, bit);
  auto right = t.op(ExprOp::logical_xor, ge, nan_b, bit, bit);
  t.op(ExprOp::logical_or, left, right, bit, bit);
  Array wide = matrix(rows, cols + 10, bit);  // the output starts at bit 3 of each row
  wide.fill(Scalar::of_bool(true));
  const Array out = wide.slice(1, 3, 1, cols);
  run(t, {a, b}, out);
  for (index_t i = 0; i < rows; ++i) {
    for (index_t j = 0; j < cols; ++j) {
      const double x = real_at(a, i, j), y = real_at(b, i, j);
      const bool want = ((x < y) && !(x == 0.5)) || ((x >= y) != (y != y));
      ASSERT_EQ(out.get(i, j).nonzero(), want) << i << ", " << j << ": " << x << " " << y;
    }
    for (index_t j : {0, 1, 2, int(cols + 3), int(cols + 9)}) ASSERT_TRUE(wide.get(i, j).nonzero());  // untouched
  }
}

TEST(Elementwise, EveryComparisonOfSignedWithUnsigned64BitIsExact) {
  const std::int64_t smin = std::numeric_limits<std::int64_t>::min(), smax = std::numeric_limits<std::int64_t>::max();
  const std::uint64_t umax = std::numeric_limits<std::uint64_t>::max();
  const std::int64_t sv[] = {-1, 0, smax, smin, smax, 7, -7};
  const std::uint64_t uv[] = {umax, 0, std::uint64_t(smax), 0, std::uint64_t(smax) + 1, 7, 7};
  const index_t n = 7;
  Array s = matrix(1, n, DType::int64), u = matrix(1, n, DType::uint64);
  for (index_t j = 0; j < n; ++j) s.set(0, j, Scalar::of_int(sv[j])), u.set(0, j, Scalar::of_uint(uv[j]));
  __extension__ typedef __int128 i128;
  for (ExprOp op : {ExprOp::equal, ExprOp::not_equal, ExprOp::less, ExprOp::less_equal, ExprOp::greater,
                    ExprOp::greater_equal}) {
    for (bool signed_left : {true, false}) {
      Tree t;
      auto ns = t.operand(0, DType::int64), nu = t.operand(1, DType::uint64);
      ExprNode node;
      node.op = op;
      node.lhs = signed_left ? ns : nu;
      node.rhs = signed_left ? nu : ns;
      node.compute = signed_left ? DType::int64 : DType::uint64;
      node.compute_rhs = signed_left ? DType::uint64 : DType::int64;
      node.result = DType::bit;
      t.push(node);
      Array out = matrix(1, n, DType::bit);
      run(t, {s, u}, out);
      for (index_t j = 0; j < n; ++j) {
        const i128 x = signed_left ? i128(sv[j]) : i128(uv[j]), y = signed_left ? i128(uv[j]) : i128(sv[j]);
        bool want = false;
        switch (op) {
          case ExprOp::equal: want = x == y; break;
          case ExprOp::not_equal: want = x != y; break;
          case ExprOp::less: want = x < y; break;
          case ExprOp::less_equal: want = x <= y; break;
          case ExprOp::greater: want = x > y; break;
          default: want = x >= y; break;
        }
        EXPECT_EQ(out.get(0, j).nonzero(), want) << int(op) << " " << signed_left << " element " << j;
      }
    }
  }
}

TEST(Elementwise, ComplexUnaryOpsAndRealResults) {
  const index_t n = 9;
  Array z = matrix(1, n, DType::complex128);
  const std::complex<double> vals[] = {{3, 4}, {-1, 0}, {0, -2}, {1e200, 1e200}, {0, 0}, {-0.5, 0.25},
                                       {2, -3}, {-6, -8}, {1, 1}};
  for (index_t j = 0; j < n; ++j) z.set(0, j, Scalar::of_complex(vals[j]));
  const DType c = DType::complex128, f = DType::float64;
  struct Case {
    ExprOp op;
    DType result;
  };
  for (Case k : {Case{ExprOp::absolute, f}, Case{ExprOp::real, f}, Case{ExprOp::imag, f}, Case{ExprOp::conjugate, c},
                 Case{ExprOp::negative, c}}) {
    Tree t;
    t.unary(k.op, t.operand(0, c), c, k.result);
    Array out = matrix(1, n, k.result);
    run(t, {z}, out);
    for (index_t j = 0; j < n; ++j) {
      std::complex<double> want;
      switch (k.op) {
        case ExprOp::absolute: want = std::hypot(vals[j].real(), vals[j].imag()); break;
        case ExprOp::real: want = vals[j].real(); break;
        case ExprOp::imag: want = vals[j].imag(); break;
        case ExprOp::conjugate: want = {vals[j].real(), -vals[j].imag()}; break;
        default: want = -vals[j]; break;
      }
      const Scalar got = out.get(0, j);
      EXPECT_NEAR(got.c.real(), want.real(), 1e-15 * std::abs(want.real())) << int(k.op) << " " << j;
      EXPECT_EQ(got.c.imag(), want.imag()) << int(k.op) << " " << j;
    }
  }
  // Absolute of reals: -0.0 loses its sign; int8 -128 stays -128 (NumPy wraps too).
  Array r = matrix(1, 3, f);
  r.set(0, 0, Scalar::of_float(-0.0));
  r.set(0, 1, Scalar::of_float(-2.5));
  r.set(0, 2, Scalar::of_float(-std::numeric_limits<double>::infinity()));
  Tree ta;
  ta.unary(ExprOp::absolute, ta.operand(0, f), f, f);
  Array ra = matrix(1, 3, f);
  run(ta, {r}, ra);
  EXPECT_FALSE(std::signbit(real_at(ra, 0, 0)));
  EXPECT_EQ(real_at(ra, 0, 1), 2.5);
  EXPECT_EQ(real_at(ra, 0, 2), std::numeric_limits<double>::infinity());
  Array i8 = matrix(1, 2, DType::int8);
  i8.set(0, 0, Scalar::of_int(-128));
  i8.set(0, 1, Scalar::of_int(-5));
  Tree ti;
  ti.unary(ExprOp::absolute, ti.operand(0, DType::int8), DType::int8, DType::int8);
  Array ia = matrix(1, 2, DType::int8);
  run(ti, {i8}, ia);
  EXPECT_EQ(ia.get(0, 0).i, -128);
  EXPECT_EQ(ia.get(0, 1).i, 5);
}

TEST(Elementwise, BitArithmeticIsOrAndAnd) {
  Array p = matrix(1, 4, DType::bit), q = matrix(1, 4, DType::bit);
  const bool pv[] = {false, false, true, true}, qv[] = {false, true, false, true};
  for (index_t j = 0; j < 4; ++j) p.set(0, j, Scalar::of_bool(pv[j])), q.set(0, j, Scalar::of_bool(qv[j]));
  const DType bit = DType::bit;
  for (ExprOp op : {ExprOp::add, ExprOp::multiply}) {
    Tree t;
    t.op(op, t.operand(0, bit), t.operand(1, bit), bit, bit);
    Array out = matrix(1, 4, bit);
    run(t, {p, q}, out);
    for (index_t j = 0; j < 4; ++j)
      EXPECT_EQ(out.get(0, j).nonzero(), op == ExprOp::add ? (pv[j] || qv[j]) : (pv[j] && qv[j]));
  }
  Tree t;
  t.op(ExprOp::subtract, t.operand(0, bit), t.operand(1, bit), bit, bit);
  Array out = matrix(1, 4, bit);
  EXPECT_THROW(run(t, {p, q}, out), TypeError);
  // A scalar into a bit node is "nonzero".
  Tree s;
  s.op(ExprOp::logical_or, s.operand(0, bit), s.scalar(Scalar::of_int(5), bit), bit, bit);
  run(s, {p}, out);
  for (index_t j = 0; j < 4; ++j) EXPECT_TRUE(out.get(0, j).nonzero());
}

TEST(Elementwise, LongVectorsManyShortRowsAndAliasedOperands) {
  // rows == 1 is split by columns; many short rows are grouped; one operand used twice.
  for (auto [rows, cols] : {std::pair<index_t, index_t>{1, 10007}, {1000, 3}, {3, 1}}) {
    const Array a = random_floats(rows, cols, unsigned(rows + cols));
    Tree t;
    const DType f = DType::float64;
    auto x = t.operand(0, f), y = t.operand(1, f);
    t.op(ExprOp::add, t.op(ExprOp::multiply, x, y, f, f), x, f, f);
    Array out = matrix(rows, cols, f);
    run(t, {a, a}, out);
    for (index_t i = 0; i < rows; ++i)
      for (index_t j = 0; j < cols; ++j) {
        const double v = real_at(a, i, j);
        ASSERT_EQ(real_at(out, i, j), v * v + v) << rows << "x" << cols << " at " << i << ", " << j;
      }
  }
  // An operand alone copies (and converts) into the output, bits included.
  const Array bits = matrix(3, 70, DType::bit);
  Array src = bits;
  for (index_t j = 0; j < 70; j += 3) src.set(1, j, Scalar::of_bool(true));
  Tree t;
  t.operand(0, DType::bit);
  Array out = matrix(3, 70, DType::bit);
  run(t, {src.transpose().transpose()}, out);
  for (index_t i = 0; i < 3; ++i)
    for (index_t j = 0; j < 70; ++j) ASSERT_EQ(out.get(i, j).nonzero(), i == 1 && j % 3 == 0);
  // Empty outputs are fine.
  Array none = matrix(0, 4, DType::float64);
  Tree e;
  e.operand(0, DType::float64);
  EXPECT_NO_THROW(run(e, {none}, none.copy()));
}

TEST(Elementwise, MalformedTreesAreRefusedBeforeAnythingIsWritten) {
  const DType f = DType::float64;
  const Array a = random_floats(2, 3, 10);
  Array out = matrix(2, 3, f);
  out.fill(Scalar::of_float(42.0));
  auto expect_refused = [&](const Tree& t, std::vector<Array> ops, const Array& o) {
    EXPECT_THROW(run(t, std::move(ops), o), ValueError);
    for (index_t i = 0; i < 2; ++i)
      for (index_t j = 0; j < 3; ++j) ASSERT_EQ(real_at(out, i, j), 42.0);
  };
  expect_refused(Tree{}, {a}, out);  // empty
  {
    Tree t;
    t.operand(1, f);  // operand index past the list
    expect_refused(t, {a}, out);
  }
  {
    Tree t;
    t.operand(0, DType::float32);  // node dtype differs from the operand's
    expect_refused(t, {a}, out);
  }
  {
    Tree t;
    t.operand(0, f);
    expect_refused(t, {random_floats(3, 2, 11)}, out);  // operand shape differs from the output
  }
  {
    Tree t;
    auto x = t.operand(0, f);
    t.op(ExprOp::add, x, 5, f, f);  // a child that is not before its parent
    expect_refused(t, {a}, out);
  }
  {
    Tree t;
    t.op(ExprOp::negative, 0, -1, f, f);  // refers to itself
    expect_refused(t, {a}, out);
  }
  {
    Tree t;
    t.operand(0, f);
    Array wrong = matrix(2, 3, DType::float32);
    EXPECT_THROW(run(t, {a}, wrong), ValueError);  // output dtype differs from the root's
  }
  {
    Tree t;
    const DType i = DType::int32;
    Array ia = matrix(2, 3, i);
    t.op(ExprOp::divide, t.operand(0, i), t.operand(0, i), i, i);  // division needs a float compute dtype
    Array io = matrix(2, 3, i);
    EXPECT_THROW(run(t, {ia}, io), TypeError);
  }
  {
    Tree t;
    t.op(ExprOp::logical_and, t.operand(0, f), t.operand(0, f), f, DType::bit);  // logic needs bits
    Array bo = matrix(2, 3, DType::bit);
    EXPECT_THROW(run(t, {a}, bo), TypeError);
  }
}
