// The antisymmetric matrix-vector kernel (kernels/skew.hpp). Compiled once per
// instruction set (see CMakeLists.txt); PYCAUSET_ISA names the namespace of
// this copy and dispatch.cpp picks one. Eight independent lanes per column so
// the compiler vectorises both the update of y and the dot product.
#include "pycauset/kernels/skew.hpp"

#include <cstdint>

#ifndef PYCAUSET_ISA
#define PYCAUSET_ISA isa_baseline
#endif

namespace pycauset::PYCAUSET_ISA {
namespace {

using i64 = std::int64_t;

template <class T>
void column_block(const T* __restrict__ p, i64 ld, i64 m, i64 j0, i64 j1, const T* __restrict__ v,
                  T* __restrict__ y) {
  constexpr i64 kLanes = 8;
  for (i64 j = j0; j < j1; ++j) {
    const T* __restrict__ c = p + j * ld;
    const T vj = v[j];
    T acc[kLanes] = {};
    i64 i = j + 1;
    for (; i + kLanes <= m; i += kLanes)
      for (i64 k = 0; k < kLanes; ++k) {
        y[i + k] += c[i + k] * vj;
        acc[k] += c[i + k] * v[i + k];
      }
    T dot = 0;
    for (; i < m; ++i) {
      y[i] += c[i] * vj;
      dot += c[i] * v[i];
    }
    for (i64 k = 0; k < kLanes; ++k) dot += acc[k];
    y[j] -= dot;
  }
}

}  // namespace

void skew_column_block_f64(const double* p, i64 ld, i64 m, i64 j0, i64 j1, const double* v, double* y) {
  column_block(p, ld, m, j0, j1, v, y);
}
void skew_column_block_f32(const float* p, i64 ld, i64 m, i64 j0, i64 j1, const float* v, float* y) {
  column_block(p, ld, m, j0, j1, v, y);
}

}  // namespace pycauset::PYCAUSET_ISA
