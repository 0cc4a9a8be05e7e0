#include "pycauset/causet/counting.hpp"

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "pycauset/core/error.hpp"
#include "pycauset/core/progress.hpp"
#include "pycauset/core/threads.hpp"

namespace pycauset::causet {
namespace {

__extension__ typedef unsigned __int128 u128;
using index_t = Array::index_t;

const std::uint64_t* row_words(const Array& a, index_t r) {
  return reinterpret_cast<const std::uint64_t*>(a.data()) + r * (a.stride(0) / 64);
}

}  // namespace

Count128 chain_count(const Array& c_in, std::int64_t k) {
  if (k < 0) throw ValueError("k must be >= 0 (the number of elements of a chain), got " + std::to_string(k));
  if (c_in.ndim() != 2 || c_in.shape(0) != c_in.shape(1)) throw ValueError("the causal matrix must be square");
  if (c_in.dtype() != DType::bit) throw TypeError("the causal matrix must be a bit matrix");
  const index_t n = c_in.shape(0);
  if (k == 0) return {0, 1};
  if (k > n) return {0, 0};
  const Array c = c_in.is_contiguous() ? c_in : c_in.copy();
  const index_t words = (n + 63) / 64;
  std::vector<u128> v(std::size_t(n), 1), next(std::size_t(n), 0);
  Progress progress("chains", double(k - 1) * double(n));
  std::atomic<bool> overflow{false};
  const index_t round = std::max<index_t>(256, n / 64);
  for (std::int64_t step = 1; step < k; ++step) {
    std::atomic<bool> any{false};
    for (index_t r0 = 0; r0 < n; r0 += round) {
      const index_t r1 = std::min(n, r0 + round);
      parallel_for_dynamic(r1 - r0, 16, [&](index_t q0, index_t q1) {
        bool local_any = false, local_overflow = false;
        for (index_t i = r0 + q0; i < r0 + q1; ++i) {
          const std::uint64_t* ci = row_words(c, i);
          u128 acc = 0;
          for (index_t w = (i + 1) / 64; w < words; ++w)
            for (std::uint64_t js = ci[w]; js; js &= js - 1)
              local_overflow |= __builtin_add_overflow(acc, v[std::size_t(w * 64 + __builtin_ctzll(js))], &acc);
          next[std::size_t(i)] = acc;
          local_any |= acc != 0;
        }
        if (local_any) any.store(true, std::memory_order_relaxed);
        if (local_overflow) overflow.store(true, std::memory_order_relaxed);
      });
      progress.advance(double(r1 - r0));
    }
    if (overflow.load())
      throw OverflowError("the number of " + std::to_string(k) + "-element chains exceeds 2^128 - 1 (at step " +
                          std::to_string(step) + "); use a smaller k or a smaller set");
    v.swap(next);
    if (!any.load()) {  // no chain of step + 1 elements: none longer either
      progress.finish();
      return {0, 0};
    }
  }
  u128 total = 0;
  for (const u128 x : v)
    if (__builtin_add_overflow(total, x, &total))
      throw OverflowError("the number of " + std::to_string(k) +
                          "-element chains exceeds 2^128 - 1; use a smaller k or a smaller set");
  progress.finish();
  return {std::uint64_t(total >> 64), std::uint64_t(total)};
}

}  // namespace pycauset::causet
