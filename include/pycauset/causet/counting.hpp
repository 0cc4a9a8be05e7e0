#pragma once
// Counting sub-structures of a causal set: chains of a given length.
#include <cstdint>

#include "pycauset/array/array.hpp"

namespace pycauset::causet {

/// An exact non-negative count of up to 128 bits, as two 64-bit halves.
struct Count128 {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
};

/// c_k, the number of k-element chains of a causal matrix C (square bit,
/// strictly upper-triangular, transitively closed): c_0 = 1, c_1 = n,
/// c_2 = R, and in general c_k = 1^T C^(k-1) 1, because a k-element chain
/// of a transitive relation is a path of k - 1 steps through C. Computed by
/// k - 1 products of C with an exact integer vector (v[i] = number of
/// chains of the current length starting at i), each O(R + n^2 / 64) word
/// operations, rows in parallel; stops early once v is 0 (k past the
/// longest chain) and returns 0 for k > n. Exact in 128-bit integers:
/// OverflowError when a count reaches 2^128. ValueError for k < 0, TypeError
/// for a non-bit matrix. Reports progress ("chains") and honours interrupts.
Count128 chain_count(const Array& c, std::int64_t k);

}  // namespace pycauset::causet
