// Thermometer counters of the causal-set counts (kernels/intervals.hpp).
// Compiled once per instruction set (see CMakeLists.txt); PYCAUSET_ISA names
// the namespace of this copy and dispatch.cpp picks one. Plain loops over
// words with the plane count fixed at compile time, which the compiler
// vectorises for each instruction set.
#include "pycauset/kernels/intervals.hpp"

#include <cstdint>

#ifndef PYCAUSET_ISA
#define PYCAUSET_ISA isa_baseline
#endif

namespace pycauset::PYCAUSET_ISA {
namespace {

using i64 = std::int64_t;
using u64 = std::uint64_t;

template <int L>
void add_fixed(u64* __restrict planes, i64 ld, const u64* __restrict x, i64 v0, i64 v1) {
  for (i64 v = v0; v < v1; ++v) {
    const u64 a = x[v];
    for (int m = L - 1; m >= 1; --m) planes[m * ld + v] |= planes[(m - 1) * ld + v] & a;
    planes[v] |= a;
  }
}

void add_any(u64* planes, i64 ld, int levels, const u64* x, i64 v0, i64 v1) {
  for (int m = levels - 1; m >= 1; --m) {
    u64* __restrict hi = planes + m * ld;
    const u64* __restrict lo = planes + (m - 1) * ld;
    for (i64 v = v0; v < v1; ++v) hi[v] |= lo[v] & x[v];
  }
  for (i64 v = v0; v < v1; ++v) planes[v] |= x[v];
}

}  // namespace

void thermometer_add(std::uint64_t* planes, std::int64_t ld, int levels, const std::uint64_t* x, std::int64_t v0,
                     std::int64_t v1) {
  switch (levels) {
    case 1: return add_fixed<1>(planes, ld, x, v0, v1);
    case 2: return add_fixed<2>(planes, ld, x, v0, v1);
    case 3: return add_fixed<3>(planes, ld, x, v0, v1);
    case 4: return add_fixed<4>(planes, ld, x, v0, v1);
    case 5: return add_fixed<5>(planes, ld, x, v0, v1);
    case 6: return add_fixed<6>(planes, ld, x, v0, v1);
    case 7: return add_fixed<7>(planes, ld, x, v0, v1);
    case 8: return add_fixed<8>(planes, ld, x, v0, v1);
    default: return add_any(planes, ld, levels, x, v0, v1);
  }
}

}  // namespace pycauset::PYCAUSET_ISA
