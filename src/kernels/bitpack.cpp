// SIMD bit packing: the hot loops of bool <-> bit conversion. AVX-512BW turns
// 64 bytes into a 64-bit mask (and back) in one instruction; the portable loops
// are the fallback. Dispatch happens once, on first use.
#include <immintrin.h>

#include <cstring>

#include "pycauset/kernels/convert.hpp"

namespace pycauset::detail {
namespace {

void pack_portable(const std::uint8_t* src, std::int64_t n, std::uint64_t* words) {
  std::int64_t full = n / 64;
  for (std::int64_t w = 0; w < full; ++w) {
    std::uint64_t bits = 0;
    const std::uint8_t* p = src + w * 64;
    for (int k = 0; k < 64; ++k) bits |= std::uint64_t(p[k] != 0) << k;
    words[w] = bits;
  }
  if (std::int64_t rest = n - full * 64) {
    std::uint64_t bits = 0;
    for (std::int64_t k = 0; k < rest; ++k) bits |= std::uint64_t(src[full * 64 + k] != 0) << k;
    words[full] = bits;
  }
}

void unpack_portable(const std::uint64_t* words, std::int64_t n, std::uint8_t* dst) {
  for (std::int64_t k = 0; k < n; ++k) dst[k] = std::uint8_t((words[k >> 6] >> (k & 63)) & 1u);
}

__attribute__((target("avx512f,avx512bw"))) void pack_avx512(const std::uint8_t* src,
                                                             std::int64_t n,
                                                             std::uint64_t* words) {
  std::int64_t full = n / 64;
  for (std::int64_t w = 0; w < full; ++w) {
    __m512i v = _mm512_loadu_si512(src + w * 64);
    words[w] = _mm512_test_epi8_mask(v, v);
  }
  if (std::int64_t rest = n - full * 64) {
    __mmask64 live = _cvtu64_mask64((~0ULL) >> (64 - rest));
    __m512i v = _mm512_maskz_loadu_epi8(live, src + full * 64);
    words[full] = _mm512_test_epi8_mask(v, v);
  }
}

__attribute__((target("avx512f,avx512bw"))) void unpack_avx512(const std::uint64_t* words,
                                                               std::int64_t n,
                                                               std::uint8_t* dst) {
  const __m512i one = _mm512_set1_epi8(1);
  std::int64_t full = n / 64;
  for (std::int64_t w = 0; w < full; ++w)
    _mm512_storeu_si512(dst + w * 64, _mm512_maskz_mov_epi8(words[w], one));
  if (std::int64_t rest = n - full * 64) {
    __mmask64 live = _cvtu64_mask64((~0ULL) >> (64 - rest));
    _mm512_mask_storeu_epi8(dst + full * 64, live, _mm512_maskz_mov_epi8(words[full], one));
  }
}

bool has_avx512bw() {
  static const bool yes = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512f");
  return yes;
}

}  // namespace

void pack_bytes(const std::uint8_t* src, std::int64_t n, std::uint64_t* words) {
  if (n <= 0) return;
  if (has_avx512bw()) pack_avx512(src, n, words);
  else pack_portable(src, n, words);
}

void unpack_bytes(const std::uint64_t* words, std::int64_t n, std::uint8_t* dst) {
  if (n <= 0) return;
  if (has_avx512bw()) unpack_avx512(words, n, dst);
  else unpack_portable(words, n, dst);
}

}  // namespace pycauset::detail
