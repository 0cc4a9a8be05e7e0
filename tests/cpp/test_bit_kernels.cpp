// The product tile kernels (kernels/products.hpp), each instruction-set copy
// called directly (those this CPU can run), against brute-force oracles: bit
// counts bit by bit, transposes bit by bit, integer products in 128 bits;
// and bit @ bit through matmul in RAM and past a tiny budget.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "pycauset/kernels/products.hpp"
#include "pycauset/linalg/matmul.hpp"
#include "pycauset/storage/governor.hpp"

namespace pycauset {
#define PYCAUSET_TEST_DECLARE(ns)                                                                                \
  namespace ns {                                                                                                 \
  void bit_count_tile(const BitRows&, const BitRows&, std::int64_t, std::int64_t, void*, std::int64_t, bool, bool); \
  void bit_word_ranges(const std::uint64_t*, std::int64_t, std::int64_t, std::int64_t, std::int64_t*, std::int64_t*); \
  void bit_transpose_block(const std::uint64_t*, std::int64_t, std::int64_t, std::int64_t, std::int64_t,          \
                           std::int64_t, std::uint64_t*, std::int64_t);                                          \
  void int_gemm_tile(const std::uint64_t*, std::int64_t, const std::uint64_t*, std::int64_t, std::uint64_t*,       \
                     std::int64_t, std::int64_t, std::int64_t, std::int64_t);                                    \
  void int_gemm_exact_tile(bool, const std::uint64_t*, std::int64_t, const std::uint64_t*, std::int64_t, pc_u128*, \
                           std::int64_t*, std::int64_t, std::int64_t, std::int64_t, std::int64_t);              \
  const char* product_kernel_isa();                                                                              \
  }
PYCAUSET_TEST_DECLARE(isa_baseline)
#if defined(__x86_64__)
PYCAUSET_TEST_DECLARE(isa_avx2)
PYCAUSET_TEST_DECLARE(isa_avx512)
#endif
}  // namespace pycauset

using namespace pycauset;
using i64 = std::int64_t;
using u64 = std::uint64_t;

namespace {

struct Set {
  std::string name;
  decltype(&isa_baseline::bit_count_tile) count;
  decltype(&isa_baseline::bit_word_ranges) ranges;
  decltype(&isa_baseline::bit_transpose_block) transpose;
  decltype(&isa_baseline::int_gemm_tile) gemm;
  decltype(&isa_baseline::int_gemm_exact_tile) exact;
};

std::vector<Set> kernel_sets() {
  std::vector<Set> sets{{"baseline", isa_baseline::bit_count_tile, isa_baseline::bit_word_ranges,
                         isa_baseline::bit_transpose_block, isa_baseline::int_gemm_tile, isa_baseline::int_gemm_exact_tile}};
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
    sets.push_back({"avx2", isa_avx2::bit_count_tile, isa_avx2::bit_word_ranges, isa_avx2::bit_transpose_block,
                    isa_avx2::int_gemm_tile, isa_avx2::int_gemm_exact_tile});
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma"))
    sets.push_back({"avx512", isa_avx512::bit_count_tile, isa_avx512::bit_word_ranges, isa_avx512::bit_transpose_block,
                    isa_avx512::int_gemm_tile, isa_avx512::int_gemm_exact_tile});
#endif
  return sets;
}

bool bit(const std::vector<u64>& m, i64 stride, i64 r, i64 c) { return (m[std::size_t(r * stride + c / 64)] >> (c % 64)) & 1; }

// Rows of `cols` bits with density d; the words past `cols` in a row stay zero.
std::vector<u64> random_bits(std::mt19937_64& rng, i64 rows, i64 cols, i64 stride, double d) {
  std::vector<u64> m(std::size_t(rows * stride), 0);
  std::bernoulli_distribution on(d);
  for (i64 r = 0; r < rows; ++r)
    for (i64 c = 0; c < cols; ++c)
      if (on(rng)) m[std::size_t(r * stride + c / 64)] |= u64(1) << (c % 64);
  return m;
}

}  // namespace

TEST(BitKernels, CountTilesMatchABitByBitOracle) {
  std::mt19937_64 rng(7);
  const std::array<std::array<i64, 3>, 7> shapes{{{4, 4, 8}, {5, 7, 1}, {9, 13, 64}, {16, 16, 65}, {3, 21, 130},
                                                  {17, 9, 1000}, {33, 34, 519}}};
  for (const Set& s : kernel_sets()) {
    for (auto [n, m, k] : shapes) {
      const i64 words = (k + 63) / 64, stride = words + 1;  // a spare word per row: strides need not be tight
      auto a = random_bits(rng, n, k, stride, 0.4), b = random_bits(rng, m, k, stride, 0.6);
      std::vector<i64> alo(static_cast<std::size_t>(n)), ahi(static_cast<std::size_t>(n)), blo(static_cast<std::size_t>(m)),
          bhi(static_cast<std::size_t>(m));
      s.ranges(a.data(), n, words, stride, alo.data(), ahi.data());
      s.ranges(b.data(), m, words, stride, blo.data(), bhi.data());
      for (bool use_ranges : {false, true}) {
        for (bool out64 : {false, true}) {
          BitRows ar{a.data(), n, stride, use_ranges ? alo.data() : nullptr, use_ranges ? ahi.data() : nullptr};
          BitRows br{b.data(), m, stride, use_ranges ? blo.data() : nullptr, use_ranges ? bhi.data() : nullptr};
          const i64 ld = m + 3;
          std::vector<i64> out64v(std::size_t(n * ld), -1);
          std::vector<std::int32_t> out32v(std::size_t(n * ld), -1);
          void* out = out64 ? static_cast<void*>(out64v.data()) : static_cast<void*>(out32v.data());
          s.count(ar, br, 0, words, out, ld, out64, false);
          // and accumulated once more over a split of the words: twice the counts
          const i64 mid = words / 2;
          s.count(ar, br, 0, mid, out, ld, out64, true);
          s.count(ar, br, mid, words, out, ld, out64, true);
          for (i64 i = 0; i < n; ++i)
            for (i64 j = 0; j < m; ++j) {
              i64 want = 0;
              for (i64 c = 0; c < k; ++c) want += bit(a, stride, i, c) && bit(b, stride, j, c);
              const i64 got = out64 ? out64v[std::size_t(i * ld + j)] : out32v[std::size_t(i * ld + j)];
              ASSERT_EQ(got, 2 * want) << s.name << " " << n << "x" << m << "x" << k << " at " << i << "," << j;
            }
        }
      }
    }
  }
}

TEST(BitKernels, WordRangesAndZeroRows) {
  for (const Set& s : kernel_sets()) {
    // 4 rows of 3 words: zero; one word in the middle; the last word; the first and last
    std::vector<u64> m{0, 0, 0, 0, 5, 0, 0, 0, 1, 2, 0, 2};
    std::vector<i64> lo(4), hi(4);
    s.ranges(m.data(), 4, 3, 3, lo.data(), hi.data());
    EXPECT_EQ(lo[0], 3) << s.name;  // a zero row: empty range
    EXPECT_EQ(hi[0], 0) << s.name;
    EXPECT_EQ(lo[1], 1) << s.name;
    EXPECT_EQ(hi[1], 2) << s.name;
    EXPECT_EQ(lo[2], 2) << s.name;
    EXPECT_EQ(hi[2], 3) << s.name;
    EXPECT_EQ(lo[3], 0) << s.name;
    EXPECT_EQ(hi[3], 3) << s.name;
  }
}

TEST(BitKernels, TransposeBlocksMatchBitByBit) {
  std::mt19937_64 rng(11);
  for (const Set& s : kernel_sets()) {
    for (auto [rows, cols] : std::array<std::array<i64, 2>, 4>{{{1, 1}, {70, 130}, {129, 64}, {200, 65}}}) {
      const i64 sstride = (cols + 63) / 64, dstride = (rows + 63) / 64 + 1;
      auto src = random_bits(rng, rows, cols, sstride, 0.5);
      std::vector<u64> dst(std::size_t(cols * dstride), 0);
      // two calls over halves of the column words
      const i64 cw = (cols + 63) / 64, half = cw / 2;
      s.transpose(src.data(), rows, cols, sstride, 0, half, dst.data(), dstride);
      s.transpose(src.data(), rows, cols, sstride, half, cw, dst.data(), dstride);
      for (i64 r = 0; r < rows; ++r)
        for (i64 c = 0; c < cols; ++c) ASSERT_EQ(bit(dst, dstride, c, r), bit(src, sstride, r, c)) << s.name;
      for (i64 c = 0; c < cols; ++c)
        for (i64 r = rows; r < dstride * 64; ++r) ASSERT_FALSE(bit(dst, dstride, c, r)) << s.name;  // padding zero
    }
  }
}

TEST(IntKernels, WrappingAndExactTilesMatchA128BitOracle) {
  __extension__ typedef __int128 i128;
  std::mt19937_64 rng(3);
  const i64 n = 7, k = 37, m = 11;
  for (const Set& s : kernel_sets()) {
    for (bool big : {false, true}) {
      std::vector<u64> A(std::size_t(n * k)), B(std::size_t(k * m));
      std::uniform_int_distribution<std::int64_t> small(-1000, 1000);
      const std::int64_t picks[] = {std::int64_t(1) << 62, -(std::int64_t(1) << 62), std::numeric_limits<std::int64_t>::min(),
                                    std::numeric_limits<std::int64_t>::max(), -1, 0, 5};
      std::uniform_int_distribution<int> pick(0, 6);
      for (auto& x : A) x = u64(big ? picks[pick(rng)] : small(rng));
      for (auto& x : B) x = u64(big ? picks[pick(rng)] : small(rng));
      std::vector<u64> C(std::size_t(n * m), 0);
      std::vector<pc_u128> acc(std::size_t(n * m), 0);
      std::vector<i64> wraps(std::size_t(n * m), 0);
      s.gemm(A.data(), k, B.data(), m, C.data(), m, n, k, m);
      s.exact(true, A.data(), k, B.data(), m, acc.data(), wraps.data(), m, n, k, m);
      for (i64 i = 0; i < n; ++i)
        for (i64 j = 0; j < m; ++j) {
          // the exact sum as (high, low) = wraps * 2^128 + acc, from a two-limb oracle
          i128 lo = 0;
          i64 hi = 0;
          for (i64 p = 0; p < k; ++p) {
            const i128 prod = i128(std::int64_t(A[std::size_t(i * k + p)])) * i128(std::int64_t(B[std::size_t(p * m + j)]));
            i128 next;
            if (__builtin_add_overflow(lo, prod, &next)) hi += prod < 0 ? -1 : 1;
            lo = next;
          }
          ASSERT_EQ(wraps[std::size_t(i * m + j)], hi) << s.name;
          ASSERT_TRUE(i128(acc[std::size_t(i * m + j)]) == lo) << s.name;
          // the wrapping product agrees with the exact one modulo 2^64
          ASSERT_EQ(C[std::size_t(i * m + j)], u64(lo)) << s.name;
        }
    }
  }
}

TEST(BitMatmul, PastATinyBudgetMatchesInRam) {
  std::mt19937_64 rng(5);
  const i64 n = 300, k = 517, m = 263;
  const std::array<Array::index_t, 2> sa{n, k}, sb{k, m};
  Array a = Array::empty(sa, DType::bit, true), b = Array::empty(sb, DType::bit, true);
  std::bernoulli_distribution on(0.3);
  for (i64 i = 0; i < n; ++i)
    for (i64 j = 0; j < k; ++j)
      if (on(rng)) a.set(i, j, Scalar::of_bool(true));
  for (i64 i = 0; i < k; ++i)
    for (i64 j = 0; j < m; ++j)
      if (on(rng)) b.set(i, j, Scalar::of_bool(true));
  const Array in_ram = matmul(a, b, bit_product_dtype(k));
  const std::size_t old = memory_limit();
  set_memory_limit(64 << 10);
  const Array tiled = matmul(a, b, bit_product_dtype(k));
  set_memory_limit(old);
  EXPECT_NE(tiled.buffer()->kind(), StorageKind::ram);
  for (i64 i = 0; i < n; ++i)
    for (i64 j = 0; j < m; ++j) {
      std::int64_t want = 0;
      for (i64 p = 0; p < k; ++p) want += a.get(i, p).nonzero() && b.get(p, j).nonzero();
      ASSERT_EQ(in_ram.get(i, j).i, want);
      ASSERT_EQ(tiled.get(i, j).i, want);
    }
  EXPECT_EQ(bit_product_dtype(std::int64_t(1) << 31), DType::int64);
  EXPECT_EQ(bit_product_dtype((std::int64_t(1) << 31) - 1), DType::int32);
}
