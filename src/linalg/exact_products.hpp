#pragma once
// Rules shared by the in-RAM (matmul.cpp) and out-of-core (ooc_products.cpp)
// exact products: the integer fast-path bound, the overflow check of an exact
// 128-bit sum, and the one OverflowError message.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "pycauset/core/dtype.hpp"
#include "pycauset/core/error.hpp"
#include "pycauset/core/threads.hpp"
#include "pycauset/kernels/products.hpp"

namespace pycauset::linalg::detail {

__extension__ typedef __int128 i128;
using u128 = pc_u128;

/// The magnitude of a W value as an unsigned number (|INT64_MIN| = 2^63).
template <class W> std::uint64_t magnitude(W v) {
  if constexpr (std::is_signed_v<W>) return v < 0 ? std::uint64_t(0) - std::uint64_t(v) : std::uint64_t(v);
  else return v;
}

/// The largest |value| of n contiguous W values.
template <class W> std::uint64_t max_magnitude(const W* p, std::int64_t n) {
  std::uint64_t m = 0;
  for (std::int64_t i = 0; i < n; ++i) m = std::max(m, magnitude(p[i]));
  return m;
}

/// True when k * amax * bmax <= limit (computed without overflow): then no
/// partial sum of a k-term product leaves 64-bit range and W arithmetic is exact.
inline bool bound_fits(std::uint64_t amax, std::uint64_t bmax, std::int64_t k, std::uint64_t limit) {
  const u128 prod = u128(amax) * u128(bmax);  // < 2^128: cannot wrap
  if (prod == 0 || k <= 0) return true;
  return prod <= u128(limit) / u128(std::uint64_t(k));
}

/// The range [lo, hi] of an integer dtype.
inline void int_range(DType d, i128& lo, i128& hi) {
  lo = hi = 0;
  visit_dtype(d, [&]<class T>(std::type_identity<T>) {
    if constexpr (std::is_integral_v<T>) lo = i128(std::numeric_limits<T>::min()), hi = i128(std::numeric_limits<T>::max());
  });
}

[[noreturn]] inline void throw_product_overflow(DType result) {
  throw OverflowError("the exact integer matmul result does not fit " + std::string(dtype_name(result)) +
                      "; convert the operands to a wider dtype first, e.g. A.astype('int64') @ B or "
                      "A.astype('float64') @ B");
}

/// Checks the exact sum acc + wraps * 2^128 of a product computed in W
/// against [lo, hi] and returns it as a W value; OverflowError when it does not fit.
template <class W> W exact_value(u128 acc, std::int64_t wraps, i128 lo, i128 hi, DType result) {
  bool fits = wraps == 0;
  if constexpr (std::is_signed_v<W>) fits = fits && i128(acc) >= lo && i128(acc) <= hi;
  else fits = fits && acc <= u128(hi);
  if (!fits) throw_product_overflow(result);
  return W(acc);
}

/// Checks n W values computed on the fast path against [lo, hi].
template <class W> void check_range(const W* p, std::int64_t n, i128 lo, i128 hi, DType result) {
  if (lo == i128(std::numeric_limits<W>::min()) && hi == i128(std::numeric_limits<W>::max())) return;
  for (std::int64_t i = 0; i < n; ++i)
    if (i128(p[i]) < lo || i128(p[i]) > hi) throw_product_overflow(result);
}

/// Counts of every row of `a` against every row of `b` over words [0, words)
/// into out (ld; int32 or int64 per out64) on the pool: dynamic chunks of 8
/// groups of 4 rows of a (the cost per row varies a lot with triangular
/// operands), each chunk sweeping b in blocks of 256 rows that stay in L2
/// while its row groups pass over them. With `accumulate` the counts are
/// added to out (pass a zeroed out to leave skipped blocks untouched: their
/// pages are then never written). `check()` runs before each group (Ctrl-C).
template <class Check>
void bit_counts(const BitRows& a, const BitRows& b, std::int64_t words, void* out, std::int64_t ld, bool out64,
                bool accumulate, Check&& check) {
  constexpr std::int64_t kTileRows = 256;
  const std::size_t item = out64 ? 8 : 4;
  parallel_for_dynamic((a.rows + 3) / 4, 8, [&](std::int64_t qb, std::int64_t qe) {
    const std::int64_t i0 = qb * 4, i1 = std::min(a.rows, qe * 4);
    for (std::int64_t j0 = 0; j0 < b.rows; j0 += kTileRows) {
      const std::int64_t j1 = std::min(b.rows, j0 + kTileRows);
      const BitRows br{b.data + j0 * b.stride, j1 - j0, b.stride, b.lo ? b.lo + j0 : nullptr, b.hi ? b.hi + j0 : nullptr};
      for (std::int64_t i = i0; i < i1; i += 4) {
        check();
        const BitRows ar{a.data + i * a.stride, std::min(i1, i + 4) - i, a.stride, a.lo ? a.lo + i : nullptr,
                         a.hi ? a.hi + i : nullptr};
        bit_count_tile(ar, br, 0, words, static_cast<std::byte*>(out) + std::size_t(i * ld + j0) * item, ld, out64,
                       accumulate);
      }
    }
  });
}

}  // namespace pycauset::linalg::detail
