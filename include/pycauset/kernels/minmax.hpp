#pragma once
// Order and truth reductions (min, max, any, all) and elementwise power.
#include "pycauset/kernels/convert.hpp"

namespace pycauset {

/// Smallest (is_max = false) or largest element of `a` into `out`, which has
/// a's dtype: axis -1 over everything (out has one element), axis 0 per column
/// (a.cols elements), axis 1 per row (a.rows). As NumPy's minimum/maximum: a
/// NaN anywhere in a run makes that result NaN; complex values compare by real
/// part, then imaginary part. Bit input is not accepted (use reduce_any_all).
/// ValueError when a reduced run is empty (no identity, as NumPy).
void reduce_minmax(const StridedRef& a, int axis, bool is_max, const StridedRef& out);

/// Whether any (is_all = false) or all elements are nonzero (NaN counts as
/// nonzero), with axes as reduce_minmax, into a uint8 `out` (0 or 1). Empty
/// runs give 0 for any and 1 for all.
void reduce_any_all(const StridedRef& a, int axis, bool is_all, const StridedRef& out);

/// out = base ** exponent elementwise; all three have the same dtype and shape
/// (zero strides broadcast). Integers raise by repeated squaring and wrap on
/// overflow (as NumPy); a negative integer exponent is a ValueError. Floats use
/// std::pow (float16 computes in float), complex std::pow. Bit is a TypeError.
void power(const StridedRef& base, const StridedRef& exponent, const StridedRef& out);

}  // namespace pycauset
