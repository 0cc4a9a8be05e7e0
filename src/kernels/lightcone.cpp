// The light-cone kernel (kernels/lightcone.hpp). Compiled once per
// instruction set (see CMakeLists.txt, always with -ffp-contract=off);
// PYCAUSET_ISA names the namespace of this copy and dispatch.cpp picks one.
// Each lane computes, for its point j, exactly the scalar sequence
//   s = 0.0; for k = 1..d-1: a = x_k[j] - x_k[i]; (periodic: a = |a|; a = min(a, L - a)); s = s + a * a
//   dt = t[j] - t[i]; bit = dt > 0 && dt * dt >= s
// so every width (1, 2, 4 or 8 lanes) gives the same bits. (The first term is
// taken as a*a itself: 0.0 + a*a == a*a exactly, as a*a >= 0.)
#include "pycauset/kernels/lightcone.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#ifndef PYCAUSET_ISA
#define PYCAUSET_ISA isa_baseline
#endif

namespace pycauset::PYCAUSET_ISA {
namespace {

using i64 = std::int64_t;
using u64 = std::uint64_t;
constexpr int kMaxDim = 16;

template <int D, bool Periodic>
void row_words(const LightConePoints& p, i64 i, i64 wa, i64 wb, u64* out) {
  const int dims = D ? D : p.d;
  const double* t = p.axes;
  const i64 padded = p.padded;
  double xi[kMaxDim] = {}, per[kMaxDim] = {};
  for (int k = 1; k < dims; ++k) xi[k] = t[k * padded + i], per[k] = Periodic ? p.periods[k - 1] : 0.0;
  const double ti = t[i];
#if defined(__AVX512F__)
  __m512d vx[kMaxDim] = {}, vp[kMaxDim] = {};
  for (int k = 1; k < dims; ++k) vx[k] = _mm512_set1_pd(xi[k]), vp[k] = _mm512_set1_pd(per[k]);
  const __m512d vti = _mm512_set1_pd(ti), zero = _mm512_setzero_pd();
  for (i64 w = wa; w < wb; ++w) {
    const i64 j0 = w * 64;
    u64 bits = 0;
    for (int q = 0; q < 64; q += 8) {
      __m512d s = zero;
      for (int k = 1; k < dims; ++k) {
        __m512d a = _mm512_sub_pd(_mm512_loadu_pd(t + k * padded + j0 + q), vx[k]);
        if constexpr (Periodic) {
          a = _mm512_abs_pd(a);
          a = _mm512_mask_min_pd(a, __mmask8(0xFF), a, _mm512_sub_pd(vp[k], a));  // all lanes (GCC 12 warns on the unmasked form)
        }
        s = k == 1 ? _mm512_mul_pd(a, a) : _mm512_add_pd(s, _mm512_mul_pd(a, a));  // 0 + a*a is a*a: skipped
      }
      const __m512d dt = _mm512_sub_pd(_mm512_loadu_pd(t + j0 + q), vti);
      const __mmask8 rel = _mm512_mask_cmp_pd_mask(_mm512_cmp_pd_mask(dt, zero, _CMP_GT_OQ), _mm512_mul_pd(dt, dt), s,
                                                   _CMP_GE_OQ);
      bits |= u64(rel) << q;
    }
    out[w - wa] = bits;
  }
#elif defined(__AVX2__)
  __m256d vx[kMaxDim] = {}, vp[kMaxDim] = {};
  for (int k = 1; k < dims; ++k) vx[k] = _mm256_set1_pd(xi[k]), vp[k] = _mm256_set1_pd(per[k]);
  const __m256d vti = _mm256_set1_pd(ti), zero = _mm256_setzero_pd(), sign = _mm256_set1_pd(-0.0);
  for (i64 w = wa; w < wb; ++w) {
    const i64 j0 = w * 64;
    u64 bits = 0;
    for (int q = 0; q < 64; q += 4) {
      __m256d s = zero;
      for (int k = 1; k < dims; ++k) {
        __m256d a = _mm256_sub_pd(_mm256_loadu_pd(t + k * padded + j0 + q), vx[k]);
        if constexpr (Periodic) {
          a = _mm256_andnot_pd(sign, a);
          a = _mm256_min_pd(a, _mm256_sub_pd(vp[k], a));
        }
        s = k == 1 ? _mm256_mul_pd(a, a) : _mm256_add_pd(s, _mm256_mul_pd(a, a));  // 0 + a*a is a*a: skipped
      }
      const __m256d dt = _mm256_sub_pd(_mm256_loadu_pd(t + j0 + q), vti);
      const __m256d rel =
          _mm256_and_pd(_mm256_cmp_pd(dt, zero, _CMP_GT_OQ), _mm256_cmp_pd(_mm256_mul_pd(dt, dt), s, _CMP_GE_OQ));
      bits |= u64(_mm256_movemask_pd(rel)) << q;
    }
    out[w - wa] = bits;
  }
#elif defined(__SSE2__)
  __m128d vx[kMaxDim] = {}, vp[kMaxDim] = {};
  for (int k = 1; k < dims; ++k) vx[k] = _mm_set1_pd(xi[k]), vp[k] = _mm_set1_pd(per[k]);
  const __m128d vti = _mm_set1_pd(ti), zero = _mm_setzero_pd(), sign = _mm_set1_pd(-0.0);
  for (i64 w = wa; w < wb; ++w) {
    const i64 j0 = w * 64;
    u64 bits = 0;
    for (int q = 0; q < 64; q += 2) {
      __m128d s = zero;
      for (int k = 1; k < dims; ++k) {
        __m128d a = _mm_sub_pd(_mm_loadu_pd(t + k * padded + j0 + q), vx[k]);
        if constexpr (Periodic) {
          a = _mm_andnot_pd(sign, a);
          a = _mm_min_pd(a, _mm_sub_pd(vp[k], a));
        }
        s = k == 1 ? _mm_mul_pd(a, a) : _mm_add_pd(s, _mm_mul_pd(a, a));  // 0 + a*a is a*a: skipped
      }
      const __m128d dt = _mm_sub_pd(_mm_loadu_pd(t + j0 + q), vti);
      const __m128d rel = _mm_and_pd(_mm_cmpgt_pd(dt, zero), _mm_cmpge_pd(_mm_mul_pd(dt, dt), s));
      bits |= u64(_mm_movemask_pd(rel)) << q;
    }
    out[w - wa] = bits;
  }
#else
  for (i64 w = wa; w < wb; ++w) {
    const i64 j0 = w * 64;
    u64 bits = 0;
    for (int b = 0; b < 64; ++b) {
      double s = 0.0;
      for (int k = 1; k < dims; ++k) {
        double a = t[k * padded + j0 + b] - xi[k];
        if constexpr (Periodic) {
          a = std::fabs(a);
          const double other = per[k] - a;
          a = a < other ? a : other;
        }
        s = k == 1 ? a * a : s + a * a;  // 0 + a*a is a*a: skipped
      }
      const double dt = t[j0 + b] - ti;
      bits |= u64((dt > 0) & (dt * dt >= s)) << b;
    }
    out[w - wa] = bits;
  }
#endif
}

using RowWords = void (*)(const LightConePoints&, i64, i64, i64, u64*);

template <bool Periodic>
RowWords pick(int d) {
  switch (d) {
    case 2: return row_words<2, Periodic>;
    case 3: return row_words<3, Periodic>;
    case 4: return row_words<4, Periodic>;
    case 5: return row_words<5, Periodic>;
    default: return row_words<0, Periodic>;
  }
}

}  // namespace

void light_cone_words(const LightConePoints& p, std::int64_t i, std::int64_t w0, std::int64_t w1, std::uint64_t* out) {
  if (w1 <= w0) return;
  (p.periodic ? pick<true>(p.d) : pick<false>(p.d))(p, i, w0, w1, out);
}

const char* light_cone_kernel_isa() {
#if defined(__AVX512F__)
  return "avx512";
#elif defined(__AVX2__)
  return "avx2";
#else
  return "baseline";
#endif
}

}  // namespace pycauset::PYCAUSET_ISA
