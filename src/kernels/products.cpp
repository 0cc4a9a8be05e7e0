// Tile kernels of the exact products (kernels/products.hpp). Compiled once per
// instruction set (see CMakeLists.txt); PYCAUSET_ISA names the namespace of
// this copy and dispatch.cpp picks one at run time.
#include "pycauset/kernels/products.hpp"

#include <algorithm>
#include <cstdint>
#include <type_traits>

#if defined(__x86_64__)
#include <immintrin.h>
#define PC_POPCNT __attribute__((target("popcnt")))
#else
#define PC_POPCNT
#endif

#ifndef PYCAUSET_ISA
#define PYCAUSET_ISA isa_baseline
#endif

namespace pycauset::PYCAUSET_ISA {
namespace {

using i64 = std::int64_t;
using u64 = std::uint64_t;
__extension__ typedef __int128 i128;
using u128 = pc_u128;

// A 4 x 4 block of counts over words [w0, w1): out[r][c] = popcount of
// a[r][w] & b[c][w] summed over w.
using Block4x4 = void (*)(const u64* const a[4], const u64* const b[4], i64 w0, i64 w1, i64 out[4][4]);
using PairCount = i64 (*)(const u64* a, const u64* b, i64 w0, i64 w1);

// Scalar counts; `popcnt` selects the popcnt instruction (x86) or the
// compiler's portable bit count.
#define PC_SCALAR_KERNELS(suffix, attr)                                                            \
  [[maybe_unused]] attr void block4x4_##suffix(const u64* const a[4], const u64* const b[4], i64 w0, i64 w1,       \
                              i64 out[4][4]) {                                                     \
    i64 s[4][4] = {};                                                                              \
    for (i64 w = w0; w < w1; ++w) {                                                                \
      const u64 x[4] = {a[0][w], a[1][w], a[2][w], a[3][w]};                                       \
      const u64 y[4] = {b[0][w], b[1][w], b[2][w], b[3][w]};                                       \
      for (int r = 0; r < 4; ++r)                                                                  \
        for (int c = 0; c < 4; ++c) s[r][c] += __builtin_popcountll(x[r] & y[c]);                  \
    }                                                                                              \
    for (int r = 0; r < 4; ++r)                                                                    \
      for (int c = 0; c < 4; ++c) out[r][c] = s[r][c];                                             \
  }                                                                                                \
  [[maybe_unused]] attr i64 pair_##suffix(const u64* a, const u64* b, i64 w0, i64 w1) {                             \
    i64 s = 0;                                                                                     \
    for (i64 w = w0; w < w1; ++w) s += __builtin_popcountll(a[w] & b[w]);                          \
    return s;                                                                                      \
  }

PC_SCALAR_KERNELS(portable, )
#if defined(__x86_64__)
PC_SCALAR_KERNELS(popcnt, PC_POPCNT)
#endif

#if defined(__AVX2__)
// Byte-wise popcount of 256 bits: a 16-entry table lookup per nibble (vpshufb).
inline __m256i popcount_bytes(__m256i v) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2,
                                       2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f);
  const __m256i lo = _mm256_and_si256(v, low), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
  return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

[[maybe_unused]] PC_POPCNT void block4x4_avx2(const u64* const a[4], const u64* const b[4], i64 w0, i64 w1, i64 out[4][4]) {
  __m256i acc[4][4];
  for (auto& r : acc)
    for (auto& c : r) c = _mm256_setzero_si256();
  i64 w = w0;
  // Byte counters take at most 8 per step, so 31 steps of 4 words fit before
  // they are summed into 64-bit lanes (vpsadbw).
  while (w + 4 <= w1) {
    const i64 steps = std::min<i64>((w1 - w) / 4, 31);
    __m256i bytes[4][4];
    for (auto& r : bytes)
      for (auto& c : r) c = _mm256_setzero_si256();
    for (i64 s = 0; s < steps; ++s, w += 4) {
      __m256i va[4], vb[4];
      for (int r = 0; r < 4; ++r) va[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[r] + w));
      for (int c = 0; c < 4; ++c) vb[c] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[c] + w));
      for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 4; ++c)
          bytes[r][c] = _mm256_add_epi8(bytes[r][c], popcount_bytes(_mm256_and_si256(va[r], vb[c])));
    }
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) acc[r][c] = _mm256_add_epi64(acc[r][c], _mm256_sad_epu8(bytes[r][c], _mm256_setzero_si256()));
  }
  alignas(32) i64 lanes[4];
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc[r][c]);
      i64 s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
      for (i64 t = w; t < w1; ++t) s += __builtin_popcountll(a[r][t] & b[c][t]);
      out[r][c] = s;
    }
}
#endif

#if defined(__AVX512F__)
__attribute__((target("avx512f,avx512vpopcntdq"))) void block4x4_vpopcnt(const u64* const a[4],
                                                                          const u64* const b[4], i64 w0, i64 w1,
                                                                          i64 out[4][4]) {
  __m512i acc[4][4];
  for (auto& r : acc)
    for (auto& c : r) c = _mm512_setzero_si512();
  i64 w = w0;
  for (; w + 8 <= w1; w += 8) {
    __m512i va[4], vb[4];
    for (int r = 0; r < 4; ++r) va[r] = _mm512_loadu_si512(a[r] + w);
    for (int c = 0; c < 4; ++c) vb[c] = _mm512_loadu_si512(b[c] + w);
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) acc[r][c] = _mm512_add_epi64(acc[r][c], _mm512_popcnt_epi64(_mm512_and_si512(va[r], vb[c])));
  }
  if (w < w1) {
    const __mmask8 live = __mmask8((1u << (w1 - w)) - 1);
    __m512i va[4], vb[4];
    for (int r = 0; r < 4; ++r) va[r] = _mm512_maskz_loadu_epi64(live, a[r] + w);
    for (int c = 0; c < 4; ++c) vb[c] = _mm512_maskz_loadu_epi64(live, b[c] + w);
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) acc[r][c] = _mm512_add_epi64(acc[r][c], _mm512_popcnt_epi64(_mm512_and_si512(va[r], vb[c])));
  }
  // (Stored and summed: GCC 12's _mm512_reduce_add_epi64 trips -Wuninitialized.)
  alignas(64) i64 lanes[8];
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      _mm512_store_si512(lanes, acc[r][c]);
      out[r][c] = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    }
}
#endif

struct BitKernels {
  Block4x4 block;
  PairCount pair;
  const char* name;
};

BitKernels pick_bit_kernels() {
#if defined(__AVX512F__)
  if (__builtin_cpu_supports("avx512vpopcntdq")) return {block4x4_vpopcnt, pair_popcnt, "avx512-vpopcntdq"};
  return {block4x4_avx2, pair_popcnt, "avx512"};
#elif defined(__AVX2__)
  return {block4x4_avx2, pair_popcnt, "avx2"};
#elif defined(__x86_64__)
  if (__builtin_cpu_supports("popcnt")) return {block4x4_popcnt, pair_popcnt, "baseline"};
  return {block4x4_portable, pair_portable, "baseline"};
#else
  return {block4x4_portable, pair_portable, "baseline"};
#endif
}

const BitKernels& bit_kernels() {
  static const BitKernels k = pick_bit_kernels();
  return k;
}

template <class Count> void store(void* out, i64 ld, i64 r, i64 c, i64 v, bool accumulate) {
  Count* p = static_cast<Count*>(out) + r * ld + c;
  *p = accumulate ? Count(*p + Count(v)) : Count(v);
}

template <class Count> void count_tile(const BitRows& a, const BitRows& b, i64 w0, i64 w1, void* out, i64 ld,
                                       bool accumulate) {
  const BitKernels& k = bit_kernels();
  auto range = [w0, w1](const BitRows& m, i64 r, i64& lo, i64& hi) {
    lo = m.lo ? std::max(w0, m.lo[r]) : w0;
    hi = m.hi ? std::min(w1, m.hi[r]) : w1;
  };
  for (i64 i = 0; i < a.rows; i += 4) {
    const i64 ilast = std::min(a.rows, i + 4);
    i64 a_lo = w1, a_hi = w0;
    for (i64 r = i; r < ilast; ++r) {
      i64 lo, hi;
      range(a, r, lo, hi);
      if (hi > lo) a_lo = std::min(a_lo, lo), a_hi = std::max(a_hi, hi);
    }
    for (i64 j = 0; j < b.rows; j += 4) {
      const i64 jlast = std::min(b.rows, j + 4);
      i64 b_lo = w1, b_hi = w0;
      for (i64 s = j; s < jlast; ++s) {
        i64 lo, hi;
        range(b, s, lo, hi);
        if (hi > lo) b_lo = std::min(b_lo, lo), b_hi = std::max(b_hi, hi);
      }
      const i64 lo = std::max(a_lo, b_lo), hi = std::min(a_hi, b_hi);
      if (hi <= lo) {  // no word is non-zero on both sides: the counts are 0
        if (!accumulate)
          for (i64 r = i; r < ilast; ++r)
            for (i64 s = j; s < jlast; ++s) store<Count>(out, ld, r, s, 0, false);
        continue;
      }
      if (ilast - i == 4 && jlast - j == 4) {
        const u64* ar[4] = {a.data + i * a.stride, a.data + (i + 1) * a.stride, a.data + (i + 2) * a.stride,
                            a.data + (i + 3) * a.stride};
        const u64* br[4] = {b.data + j * b.stride, b.data + (j + 1) * b.stride, b.data + (j + 2) * b.stride,
                            b.data + (j + 3) * b.stride};
        i64 block[4][4];
        k.block(ar, br, lo, hi, block);
        for (int r = 0; r < 4; ++r)
          for (int s = 0; s < 4; ++s) store<Count>(out, ld, i + r, j + s, block[r][s], accumulate);
      } else {
        for (i64 r = i; r < ilast; ++r)
          for (i64 s = j; s < jlast; ++s)
            store<Count>(out, ld, r, s, k.pair(a.data + r * a.stride, b.data + s * b.stride, lo, hi), accumulate);
      }
    }
  }
}

// Transposes a 64x64 bit block in place; element (i, j) is bit j (least
// significant first) of word i, as in pycauset's bit layout.
void transpose64(u64 x[64]) {
  u64 m = 0x00000000FFFFFFFFULL;
  for (int j = 32; j != 0; j >>= 1, m ^= m << j) {
    for (int k = 0; k < 64; k = (k + j + 1) & ~j) {
      const u64 t = ((x[k] >> j) ^ x[k + j]) & m;
      x[k] ^= t << j;
      x[k + j] ^= t;
    }
  }
}

// (Signed is explicit: std::is_signed<__int128> is false outside GNU modes.)
template <bool Signed> void exact_tile(const u64* A, i64 lda, const u64* B, i64 ldb, u128* acc_raw, i64* wraps,
                                       i64 ldacc, i64 n, i64 k, i64 m) {
  using Wide = std::conditional_t<Signed, i128, u128>;
  using W = std::conditional_t<Signed, std::int64_t, std::uint64_t>;
  Wide* acc = reinterpret_cast<Wide*>(acc_raw);
  for (i64 p = 0; p < k; ++p) {
    const u64* b = B + p * ldb;
    for (i64 r = 0; r < n; ++r) {
      const Wide a = Wide(W(A[r * lda + p]));
      if (a == 0) continue;
      Wide* ar = acc + r * ldacc;
      i64* wr = wraps + r * ldacc;
      for (i64 j = 0; j < m; ++j) {
        const Wide prod = a * Wide(W(b[j]));  // exact: |a|, |b| <= 2^64 - 1
        if (__builtin_add_overflow(ar[j], prod, &ar[j])) [[unlikely]] {
          if constexpr (Signed) wr[j] += prod < 0 ? -1 : 1;
          else wr[j] += 1;
        }
      }
    }
  }
}

}  // namespace

void bit_count_tile(const BitRows& a, const BitRows& b, i64 w0, i64 w1, void* out, i64 ld, bool out64,
                    bool accumulate) {
  if (out64) count_tile<std::int64_t>(a, b, w0, w1, out, ld, accumulate);
  else count_tile<std::int32_t>(a, b, w0, w1, out, ld, accumulate);
}

void bit_word_ranges(const u64* data, i64 rows, i64 words, i64 stride, i64* lo, i64* hi) {
  for (i64 r = 0; r < rows; ++r) {
    const u64* w = data + r * stride;
    i64 first = 0, last = words;
    while (first < words && w[first] == 0) ++first;
    while (last > first && w[last - 1] == 0) --last;
    lo[r] = first == words ? words : first;
    hi[r] = first == words ? 0 : last;
  }
}

void bit_transpose_block(const u64* src, i64 rows, i64 cols, i64 src_stride, i64 cw0, i64 cw1, u64* dst,
                         i64 dst_stride) {
  const i64 rb = (rows + 63) / 64;
  u64 block[64];
  for (i64 cw = cw0; cw < cw1; ++cw) {    // a column word of src = a row block of dst
    for (i64 rw = 0; rw < rb; ++rw) {     // a row block of src = a column word of dst
      for (int i = 0; i < 64; ++i) {
        const i64 r = rw * 64 + i;
        block[i] = r < rows ? src[r * src_stride + cw] : 0;
      }
      transpose64(block);
      for (int i = 0; i < 64; ++i) {
        const i64 r = cw * 64 + i;
        if (r < cols) dst[r * dst_stride + rw] = block[i];
      }
    }
  }
}

void int_gemm_tile(const u64* A, i64 lda, const u64* B, i64 ldb, u64* C, i64 ldc, i64 n, i64 k, i64 m) {
  constexpr i64 kColBlock = 512, kDepthBlock = 128;
  for (i64 j0 = 0; j0 < m; j0 += kColBlock) {
    const i64 j1 = std::min(m, j0 + kColBlock);
    for (i64 p0 = 0; p0 < k; p0 += kDepthBlock) {
      const i64 p1 = std::min(k, p0 + kDepthBlock);
      for (i64 i = 0; i < n; ++i) {
        u64* c = C + i * ldc;
        for (i64 p = p0; p < p1; ++p) {
          const u64 a = A[i * lda + p];
          if (a == 0) continue;
          const u64* b = B + p * ldb;
          for (i64 j = j0; j < j1; ++j) c[j] += a * b[j];
        }
      }
    }
  }
}

void int_gemm_exact_tile(bool is_signed, const u64* A, i64 lda, const u64* B, i64 ldb, u128* acc, i64* wraps,
                         i64 ldacc, i64 n, i64 k, i64 m) {
  if (is_signed) exact_tile<true>(A, lda, B, ldb, acc, wraps, ldacc, n, k, m);
  else exact_tile<false>(A, lda, B, ldb, acc, wraps, ldacc, n, k, m);
}

const char* product_kernel_isa() { return bit_kernels().name; }

}  // namespace pycauset::PYCAUSET_ISA
