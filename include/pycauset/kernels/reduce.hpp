#pragma once
// Reductions: sums over all elements or along an axis.
#include "pycauset/kernels/convert.hpp"

namespace pycauset {

/// Sums `a` into `out`: axis -1 sums everything (out has one element), axis 0
/// sums each column (out has a.cols elements), axis 1 each row (a.rows).
/// `out` is a 1 x len region whose dtype sets the accumulator: signed integers
/// accumulate exactly (128-bit for 64-bit inputs) and raise OverflowError if the
/// total does not fit out's dtype; unsigned likewise; floats accumulate in
/// double with 8 partial sums; complex in complex<double>. Complex input into
/// a real out is a TypeError. Bits count ones. Deterministic: the split into
/// partial sums does not depend on the number of threads.
void reduce_sum(const StridedRef& a, int axis, const StridedRef& out);

}  // namespace pycauset
