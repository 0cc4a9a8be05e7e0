#pragma once
// Word kernels of the causal-set counts (causet/causal.cpp): saturating
// per-bit counters kept as "thermometer" bit planes. Compiled once per
// instruction set and picked at run time like the other kernels
// (dispatch.cpp; PYCAUSET_KERNELS caps it).
#include <cstdint>

namespace pycauset {

/// Counters for the bits of a row of words, saturating at `levels`: plane m
/// (planes + m * ld, m = 0..levels-1) has bit j set iff counter j >= m + 1.
/// Adds x (one per set bit) to the counters of words [v0, v1):
/// plane m |= plane m-1 & x, from the top plane down, plane 0 |= x.
/// levels >= 1 (levels 1 is a plain OR).
void thermometer_add(std::uint64_t* planes, std::int64_t ld, int levels, const std::uint64_t* x, std::int64_t v0,
                     std::int64_t v1);

}  // namespace pycauset
