#pragma once
// The light-cone test of the causal-matrix builder (causet/causal.cpp), one
// row of bits at a time. Compiled once per instruction set (baseline SSE2 or
// portable, AVX2, AVX-512) and picked at run time like the other kernels
// (dispatch.cpp; PYCAUSET_KERNELS caps it). Every copy makes the same float64
// operations in the same order (no fused multiply-add: its file is built with
// -ffp-contract=off), so the bits never depend on the instruction set.
#include <cstdint>

namespace pycauset {

/// Points as one array of float64 per axis: axis k (0 is time) at
/// axes + k * padded, each padded with readable values to a whole number of
/// 64-point words. periods: d - 1 spatial periods (0: not periodic), read
/// only when `periodic`.
struct LightConePoints {
  const double* axes = nullptr;
  std::int64_t padded = 0;
  int d = 0;
  const double* periods = nullptr;
  bool periodic = false;
};

/// Words [w0, w1) of row i: bit b of out[w - w0] is whether point i precedes
/// point j = 64 w + b, i.e. t_j - t_i > 0 and (t_j - t_i)^2 >= s, with s the
/// sum over spatial axes k = 1..d-1 in order of a_k * a_k, a_k = x_k(j) - x_k(i)
/// (on a periodic axis of period L, a_k = min(|a_k|, L - |a_k|)), s starting
/// from 0.0. Nothing is masked: the caller clears the diagonal and padding.
void light_cone_words(const LightConePoints& p, std::int64_t i, std::int64_t w0, std::int64_t w1,
                      std::uint64_t* out);

/// The instruction set the light-cone kernel was picked for ("avx512",
/// "avx2" or "baseline").
const char* light_cone_kernel_isa();

}  // namespace pycauset
