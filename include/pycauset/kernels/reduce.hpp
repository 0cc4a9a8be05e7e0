#pragma once
// Reductions: sums over all elements or along an axis.
#include "pycauset/kernels/convert.hpp"

namespace pycauset {

/// Sums `a` into `out`: axis -1 sums everything (out has one element), axis 0
/// sums each column (out has a.cols elements), axis 1 each row (a.rows).
/// `out` is a 1 x len region whose dtype sets the accumulator: into an integer
/// dtype the sum is exact (a 128-bit total, so partial sums may leave 64 bits
/// and come back) and OverflowError is raised exactly when the total does not
/// fit out's dtype (a negative total into an unsigned dtype included); float
/// inputs are truncated toward zero first (NaN: ValueError, beyond 2^64:
/// OverflowError). Floats accumulate in double with 8 partial sums; complex in
/// complex<double>. Complex input into a real out is a TypeError. Bits count
/// ones. Each total is divided by `divisor` (>= 1) before it is stored:
/// truncating toward zero for integer outputs, which gives exact integer
/// means. Deterministic: the split into partial sums does not depend on the
/// number of threads.
void reduce_sum(const StridedRef& a, int axis, const StridedRef& out, std::int64_t divisor = 1);

}  // namespace pycauset
