// causet::chain_count against a brute-force enumeration of chains on random
// small posets, binomials on total orders (counts past 2^64), and its errors.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "pycauset/causet/counting.hpp"
#include "pycauset/core/error.hpp"

using namespace pycauset;
using i64 = std::int64_t;
__extension__ typedef unsigned __int128 u128;

namespace {

// A random transitively closed, strictly upper-triangular relation.
std::vector<std::vector<bool>> random_poset(i64 n, double p, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution on(p);
  std::vector<std::vector<bool>> r(std::size_t(n), std::vector<bool>(std::size_t(n), false));
  for (i64 i = 0; i < n; ++i)
    for (i64 j = i + 1; j < n; ++j) r[std::size_t(i)][std::size_t(j)] = on(rng);
  for (i64 k = 0; k < n; ++k)  // Warshall
    for (i64 i = 0; i < n; ++i)
      if (r[std::size_t(i)][std::size_t(k)])
        for (i64 j = 0; j < n; ++j)
          if (r[std::size_t(k)][std::size_t(j)]) r[std::size_t(i)][std::size_t(j)] = true;
  return r;
}

Array to_bits(const std::vector<std::vector<bool>>& r) {
  const i64 n = i64(r.size());
  const std::array<Array::index_t, 2> shape{n, n};
  Array a = Array::empty(shape, DType::bit, true);
  for (i64 i = 0; i < n; ++i)
    for (i64 j = 0; j < n; ++j)
      if (r[std::size_t(i)][std::size_t(j)]) a.set(i, j, Scalar::of_bool(true));
  return a;
}

// Chains of k elements, enumerated as increasing index tuples that are pairwise related.
u128 brute_chains(const std::vector<std::vector<bool>>& r, i64 k) {
  const i64 n = i64(r.size());
  if (k == 0) return 1;
  u128 total = 0;
  std::vector<i64> stack;
  auto extend = [&](auto&& self, i64 last) -> void {
    if (i64(stack.size()) == k) {
      ++total;
      return;
    }
    for (i64 j = last + 1; j < n; ++j) {
      bool ok = true;
      for (i64 s : stack) ok = ok && r[std::size_t(s)][std::size_t(j)];
      if (ok) {
        stack.push_back(j);
        self(self, j);
        stack.pop_back();
      }
    }
  };
  extend(extend, -1);
  return total;
}

u128 value(causet::Count128 c) { return (u128(c.hi) << 64) | c.lo; }

u128 binomial(i64 n, i64 k) {  // Pascal's triangle: no intermediate exceeds the result's row
  std::vector<u128> row(std::size_t(k + 1), 0);
  row[0] = 1;
  for (i64 m = 1; m <= n; ++m)
    for (i64 j = std::min(m, k); j >= 1; --j) row[std::size_t(j)] += row[std::size_t(j - 1)];
  return row[std::size_t(k)];
}

}  // namespace

TEST(Chains, MatchBruteForceOnRandomPosets) {
  const std::array<i64, 5> sizes{1, 7, 20, 63, 70};
  const std::array<double, 5> ps{0.5, 0.4, 0.15, 0.05, 0.03};
  for (std::size_t t = 0; t < sizes.size(); ++t) {
    const auto r = random_poset(sizes[t], ps[t], unsigned(11 + t));
    const Array c = to_bits(r);
    for (i64 k = 0; k <= std::min<i64>(sizes[t] + 1, 7); ++k)
      EXPECT_TRUE(value(causet::chain_count(c, k)) == brute_chains(r, k)) << "n=" << sizes[t] << " k=" << k;
  }
}

TEST(Chains, TotalOrderGivesBinomialsPast64Bits) {
  const i64 n = 130;
  std::vector<std::vector<bool>> r(std::size_t(n), std::vector<bool>(std::size_t(n), false));
  for (i64 i = 0; i < n; ++i)
    for (i64 j = i + 1; j < n; ++j) r[std::size_t(i)][std::size_t(j)] = true;
  const Array c = to_bits(r);
  for (i64 k : {0, 1, 2, 3, 30, 65, 129, 130, 131, 500}) {
    const u128 want = k > n ? 0 : binomial(n, k);
    EXPECT_TRUE(value(causet::chain_count(c, k)) == want) << "k=" << k;
  }
  EXPECT_GT(causet::chain_count(c, 30).hi, 0u);  // C(130, 30) > 2^64
}

TEST(Chains, AntichainAndEmpty) {
  const std::array<Array::index_t, 2> s5{5, 5}, s0{0, 0};
  const Array a = Array::empty(s5, DType::bit, true), e = Array::empty(s0, DType::bit, true);
  EXPECT_TRUE(value(causet::chain_count(a, 1)) == 5);
  EXPECT_TRUE(value(causet::chain_count(a, 2)) == 0);
  EXPECT_TRUE(value(causet::chain_count(e, 0)) == 1);
  EXPECT_TRUE(value(causet::chain_count(e, 1)) == 0);
}

TEST(Chains, OverflowAndBadInput) {
  const i64 n = 200;  // C(200, 100) ~ 9e58 > 2^128
  const std::array<Array::index_t, 2> shape{n, n};
  Array c = Array::empty(shape, DType::bit, true);
  for (i64 i = 0; i < n; ++i)
    for (i64 j = i + 1; j < n; ++j) c.set(i, j, Scalar::of_bool(true));
  EXPECT_THROW(causet::chain_count(c, 100), OverflowError);
  EXPECT_THROW(causet::chain_count(c, -1), ValueError);
  const std::array<Array::index_t, 2> rect{3, 4};
  EXPECT_THROW(causet::chain_count(Array::empty(rect, DType::bit, true), 2), ValueError);
  const std::array<Array::index_t, 2> sq{3, 3};
  EXPECT_THROW(causet::chain_count(Array::empty(sq, DType::float64, true), 2), TypeError);
}
