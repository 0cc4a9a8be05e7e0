#include "pycauset/linalg/matmul.hpp"

#include <cblas.h>
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "pycauset/core/threads.hpp"
#include "pycauset/linalg/lapack.hpp"
#include "pycauset/array/blocks.hpp"
#include "pycauset/linalg/out_of_core.hpp"
#include "pycauset/storage/governor.hpp"
#include "pycauset/storage/buffer.hpp"
#include "background.hpp"

namespace pycauset {
namespace {

using index_t = Array::index_t;
using linalg::detail::CancelFlag;
using linalg::detail::throw_if_cancelled;

// The result of an (n x k) @ (k x m) product: a matrix, or a vector when an
// operand was a vector (then n or m is 1 and the other extent is its length).
Array new_result(index_t n, index_t m, bool vector, DType d, bool zero = false) {
  std::array<index_t, 2> shape{n, m};
  if (!vector) return Array::empty(shape, d, zero);
  index_t len = n * m;
  return Array::empty(std::span(&len, 1), d, zero);
}

// ---- BLAS -----------------------------------------------------------------------

// A 2-D operand as BLAS wants it: data, transposed or not, leading dimension.
struct BlasMatrix {
  Array keep;  // holds a copy alive when one was needed
  const void* data;
  CBLAS_TRANSPOSE trans;
  std::int64_t ld;
};

BlasMatrix blas_matrix(const Array& a) {
  index_t r = a.shape(0), c = a.shape(1);
  if (a.stride(1) == 1 && a.stride(0) >= std::max<index_t>(c, 1)) return {a, a.data(), CblasNoTrans, a.stride(0)};
  if (a.stride(0) == 1 && a.stride(1) >= std::max<index_t>(r, 1)) return {a, a.data(), CblasTrans, a.stride(1)};
  Array c2 = a.copy();
  return {c2, c2.data(), CblasNoTrans, std::max<index_t>(c, 1)};
}

struct BlasVector {
  Array keep;
  const void* data;
  std::int64_t inc;
};

BlasVector blas_vector(const Array& v) {
  if (v.stride(0) >= 1) return {v, v.data(), v.stride(0)};
  Array c = v.copy();
  return {c, c.data(), 1};
}

template <class T> void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, std::int64_t m, std::int64_t n, std::int64_t k,
                             const void* a, std::int64_t lda, const void* b, std::int64_t ldb, void* c, std::int64_t ldc) {
  if constexpr (std::is_same_v<T, float>)
    scipy_cblas_sgemm64_(CblasRowMajor, ta, tb, m, n, k, 1.0f, (const float*)a, lda, (const float*)b, ldb, 0.0f, (float*)c, ldc);
  else if constexpr (std::is_same_v<T, double>)
    scipy_cblas_dgemm64_(CblasRowMajor, ta, tb, m, n, k, 1.0, (const double*)a, lda, (const double*)b, ldb, 0.0, (double*)c, ldc);
  else {
    const T one(1), zero(0);
    if constexpr (std::is_same_v<T, std::complex<float>>)
      scipy_cblas_cgemm64_(CblasRowMajor, ta, tb, m, n, k, &one, a, lda, b, ldb, &zero, c, ldc);
    else
      scipy_cblas_zgemm64_(CblasRowMajor, ta, tb, m, n, k, &one, a, lda, b, ldb, &zero, c, ldc);
  }
}

template <class T> void gemv(CBLAS_TRANSPOSE t, std::int64_t m, std::int64_t n, const void* a, std::int64_t lda,
                             const void* x, std::int64_t incx, void* y) {
  if constexpr (std::is_same_v<T, float>)
    scipy_cblas_sgemv64_(CblasRowMajor, t, m, n, 1.0f, (const float*)a, lda, (const float*)x, incx, 0.0f, (float*)y, 1);
  else if constexpr (std::is_same_v<T, double>)
    scipy_cblas_dgemv64_(CblasRowMajor, t, m, n, 1.0, (const double*)a, lda, (const double*)x, incx, 0.0, (double*)y, 1);
  else {
    const T one(1), zero(0);
    if constexpr (std::is_same_v<T, std::complex<float>>)
      scipy_cblas_cgemv64_(CblasRowMajor, t, m, n, &one, a, lda, x, incx, &zero, y, 1);
    else
      scipy_cblas_zgemv64_(CblasRowMajor, t, m, n, &one, a, lda, x, incx, &zero, y, 1);
  }
}

template <class T> T dot(std::int64_t n, const void* x, std::int64_t incx, const void* y, std::int64_t incy) {
  if constexpr (std::is_same_v<T, float>) return scipy_cblas_sdot64_(n, (const float*)x, incx, (const float*)y, incy);
  else if constexpr (std::is_same_v<T, double>) return scipy_cblas_ddot64_(n, (const double*)x, incx, (const double*)y, incy);
  else {
    T r;
    if constexpr (std::is_same_v<T, std::complex<float>>) scipy_cblas_cdotu_sub64_(n, x, incx, y, incy, &r);
    else scipy_cblas_zdotu_sub64_(n, x, incx, y, incy, &r);
    return r;
  }
}

template <class T> Array blas_matmul(const Array& a, const Array& b, DType d) {
  const bool av = a.ndim() == 1, bv = b.ndim() == 1;
  const index_t n = av ? 1 : a.shape(0), k = av ? a.shape(0) : a.shape(1), m = bv ? 1 : b.shape(1);
  if (av && bv) {
    Array out = new_result(1, 1, true, d);
    BlasVector x = blas_vector(a), y = blas_vector(b);
    T r = k ? dot<T>(k, x.data, x.inc, y.data, y.inc) : T(0);
    std::memcpy(out.data(), &r, sizeof(T));
    return out;
  }
  Array out = new_result(n, m, av || bv, d, true);
  if (n == 0 || m == 0 || k == 0) return out;
  if (bv) {  // (n x k) @ (k,)
    BlasMatrix A = blas_matrix(a);
    BlasVector x = blas_vector(b);
    // gemv needs the stored matrix's shape: rows x cols as laid out.
    if (A.trans == CblasNoTrans) gemv<T>(CblasNoTrans, n, k, A.data, A.ld, x.data, x.inc, out.data());
    else gemv<T>(CblasTrans, k, n, A.data, A.ld, x.data, x.inc, out.data());
    return out;
  }
  if (av) {  // (k,) @ (k x m) = B^T x
    BlasMatrix B = blas_matrix(b);
    BlasVector x = blas_vector(a);
    if (B.trans == CblasNoTrans) gemv<T>(CblasTrans, k, m, B.data, B.ld, x.data, x.inc, out.data());
    else gemv<T>(CblasNoTrans, m, k, B.data, B.ld, x.data, x.inc, out.data());
    return out;
  }
  BlasMatrix A = blas_matrix(a), B = blas_matrix(b);
  gemm<T>(A.trans, B.trans, n, m, k, A.data, A.ld, B.data, B.ld, out.data(), m);
  return out;
}

// ---- integers ----------------------------------------------------------------------
//
// Products are computed on 64-bit copies W (int64, or uint64 when the result is
// unsigned) and must be exact: the result equals the exact integer value, or
// OverflowError is raised exactly when that value does not fit the result dtype.
//  - fast path: when k * max|a| * max|b| fits W (computed exactly in 128 bits),
//    no partial sum can leave W's range, so plain W arithmetic is exact;
//  - otherwise every product is formed in 128 bits (|a * b| <= 2^126 signed,
//    < 2^128 unsigned) and added to a 128-bit accumulator; the rare additions
//    that wrap it are counted, so the accumulator and count together hold the
//    exact sum however large the partial sums become and whether they cancel.

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

// The largest |value| of a contiguous W array, as an unsigned number (|INT64_MIN| = 2^63).
template <class W> std::uint64_t max_magnitude(const Array& a) {
  const W* p = reinterpret_cast<const W*>(a.data());
  std::uint64_t m = 0;
  for (index_t i = 0, n = a.size(); i < n; ++i) {
    const W v = p[i];
    std::uint64_t mag;
    if constexpr (std::is_signed_v<W>) mag = v < 0 ? std::uint64_t(0) - std::uint64_t(v) : std::uint64_t(v);
    else mag = v;
    m = std::max(m, mag);
  }
  return m;
}

// True when k * amax * bmax <= limit, computed without overflow.
bool bound_fits(std::uint64_t amax, std::uint64_t bmax, index_t k, std::uint64_t limit) {
  const u128 prod = u128(amax) * u128(bmax);  // < 2^128: cannot wrap
  if (prod == 0 || k <= 0) return true;
  return prod <= u128(limit) / u128(std::uint64_t(k));
}

// C (n x m, W) = A (n x k) @ B (k x m), all contiguous row-major, in W
// arithmetic. Only called when bound_fits proved that nothing wraps.
template <class W> void int_gemm_fast(const W* A, const W* B, W* C, index_t n, index_t k, index_t m,
                                      const CancelFlag& cancel) {
  constexpr index_t kColBlock = 512, kDepthBlock = 128;
  parallel_for(n, std::max<index_t>(1, 16384 / std::max<index_t>(k * m / 64 + 1, 1)), [&](index_t rb, index_t re) {
    for (index_t j0 = 0; j0 < m; j0 += kColBlock) {
      index_t j1 = std::min(m, j0 + kColBlock);
      for (index_t p0 = 0; p0 < k; p0 += kDepthBlock) {
        index_t p1 = std::min(k, p0 + kDepthBlock);
        for (index_t i = rb; i < re; ++i) {
          throw_if_cancelled(cancel);
          W* c = C + i * m;
          for (index_t p = p0; p < p1; ++p) {
            W a = A[i * k + p];
            if (a == 0) continue;
            const W* b = B + p * m;
            for (index_t j = j0; j < j1; ++j) c[j] += a * b[j];
          }
        }
      }
    }
  });
}

// As int_gemm_fast, exactly for any values: 128-bit products and accumulators
// plus a count of the accumulator's wrap-arounds. Each exact element is
// checked against [lo, hi] (the result dtype's range, within W's) and stored.
template <class W> void int_gemm_exact(const W* A, const W* B, W* C, index_t n, index_t k, index_t m, i128 lo,
                                       i128 hi, DType result, const CancelFlag& cancel) {
  using Wide = std::conditional_t<std::is_signed_v<W>, i128, u128>;
  constexpr index_t kRows = 4, kCols = 256;
  parallel_for(n, std::max<index_t>(1, 4096 / std::max<index_t>(k * m / 64 + 1, 1)), [&](index_t rb, index_t re) {
    Wide acc[kRows][kCols];
    std::int64_t wraps[kRows][kCols];  // exact sum = acc + wraps * 2^128
    for (index_t i0 = rb; i0 < re; i0 += kRows) {
      const index_t i1 = std::min(re, i0 + kRows);
      for (index_t j0 = 0; j0 < m; j0 += kCols) {
        throw_if_cancelled(cancel);
        const index_t j1 = std::min(m, j0 + kCols), w = j1 - j0;
        for (index_t r = 0; r < i1 - i0; ++r)
          for (index_t j = 0; j < w; ++j) acc[r][j] = 0, wraps[r][j] = 0;
        for (index_t p = 0; p < k; ++p) {
          const W* b = B + p * m + j0;
          for (index_t r = 0; r < i1 - i0; ++r) {
            const Wide a = Wide(A[(i0 + r) * k + p]);
            if (a == 0) continue;
            for (index_t j = 0; j < w; ++j) {
              const Wide prod = a * Wide(b[j]);  // exact: |a|, |b| <= 2^64 - 1
              if (__builtin_add_overflow(acc[r][j], prod, &acc[r][j])) [[unlikely]]
                wraps[r][j] += (std::is_signed_v<W> && prod < 0) ? -1 : 1;
            }
          }
        }
        for (index_t r = 0; r < i1 - i0; ++r) {
          W* c = C + (i0 + r) * m + j0;
          for (index_t j = 0; j < w; ++j) {
            bool fits = wraps[r][j] == 0;
            if constexpr (std::is_signed_v<W>) fits = fits && acc[r][j] >= lo && acc[r][j] <= hi;
            else fits = fits && acc[r][j] <= u128(hi);
            if (!fits)
              throw OverflowError("the exact integer matmul result does not fit " + std::string(dtype_name(result)) +
                                  "; convert the operands to a wider dtype first (e.g. A.astype('float64') @ B)");
            c[j] = W(acc[r][j]);
          }
        }
      }
    }
  });
}

template <class W> Array int_matmul(const Array& a, const Array& b, DType result, const CancelFlag& cancel) {
  constexpr DType wide = std::is_signed_v<W> ? DType::int64 : DType::uint64;
  const bool av = a.ndim() == 1, bv = b.ndim() == 1;
  const index_t n = av ? 1 : a.shape(0), k = av ? a.shape(0) : a.shape(1), m = bv ? 1 : b.shape(1);
  Array A = a.astype(wide), B = b.astype(wide);  // contiguous 64-bit copies
  Array C = new_result(n, m, false, wide, true);
  // The result dtype's range (within W's: a signed result is computed in int64, an unsigned one in uint64).
  i128 lo = 0, hi = 0;
  visit_dtype(result, [&]<class T>(std::type_identity<T>) {
    if constexpr (std::is_integral_v<T>) lo = i128(std::numeric_limits<T>::min()), hi = i128(std::numeric_limits<T>::max());
  });
  const W* pa = reinterpret_cast<const W*>(A.data());
  const W* pb = reinterpret_cast<const W*>(B.data());
  W* pc = reinterpret_cast<W*>(C.data());
  // Overflow is impossible when k * max|a| * max|b| fits W: then plain W arithmetic is exact.
  if (bound_fits(max_magnitude<W>(A), max_magnitude<W>(B), k, std::uint64_t(std::numeric_limits<W>::max()))) {
    int_gemm_fast<W>(pa, pb, pc, n, k, m, cancel);
    if (lo != i128(std::numeric_limits<W>::min()) || hi != i128(std::numeric_limits<W>::max())) {
      for (index_t i = 0, s = C.size(); i < s; ++i)
        if (i128(pc[i]) < lo || i128(pc[i]) > hi)
          throw OverflowError("the exact integer matmul result does not fit " + std::string(dtype_name(result)) +
                              "; convert the operands to a wider dtype first, e.g. A.astype('int64') @ B");
    }
  } else {
    int_gemm_exact<W>(pa, pb, pc, n, k, m, lo, hi, result, cancel);
  }
  Array out = new_result(n, m, av || bv, result);
  StridedRef src = C.ref();
  StridedRef dst = out.ref();
  if (out.ndim() == 1) {  // same elements, viewed as the 1 x len (or len x 1) result
    src.rows = 1;
    src.cols = n * m;
    src.s1 = std::int64_t(sizeof(W));
    dst.rows = 1;
    dst.cols = n * m;
  }
  convert(src, dst);
  return out;
}

// ---- bits --------------------------------------------------------------------------

// Transposes a 64x64 bit block in place; element (i, j) is bit j (least
// significant first) of word i, as in pycauset's bit layout.
void transpose64(std::uint64_t x[64]) {
  std::uint64_t m = 0x00000000FFFFFFFFULL;
  for (int j = 32; j != 0; j >>= 1, m ^= m << j) {
    for (int k = 0; k < 64; k = (k + j + 1) & ~j) {
      std::uint64_t t = ((x[k] >> j) ^ x[k + j]) & m;
      x[k] ^= t << j;
      x[k + j] ^= t;
    }
  }
}

bool has_vpopcnt() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
  return yes;
}

// Counts for a 4 x 4 block over words [w0, w1).
__attribute__((target("avx512f,avx512vpopcntdq"))) void block4x4_avx512(const std::uint64_t* const a[4],
                                                                         const std::uint64_t* const b[4],
                                                                         index_t w0, index_t w1,
                                                                         std::int64_t out[4][4]) {
  __m512i acc[4][4];
  for (auto& r : acc)
    for (auto& c : r) c = _mm512_setzero_si512();
  index_t w = w0;
  for (; w + 8 <= w1; w += 8) {
    __m512i va[4], vb[4];
    for (int r = 0; r < 4; ++r) va[r] = _mm512_loadu_si512(a[r] + w);
    for (int c = 0; c < 4; ++c) vb[c] = _mm512_loadu_si512(b[c] + w);
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) acc[r][c] = _mm512_add_epi64(acc[r][c], _mm512_maskz_popcnt_epi64(0xff, _mm512_and_si512(va[r], vb[c])));
  }
  if (w < w1) {
    __mmask8 live = __mmask8((1u << (w1 - w)) - 1);
    __m512i va[4], vb[4];
    for (int r = 0; r < 4; ++r) va[r] = _mm512_maskz_loadu_epi64(live, a[r] + w);
    for (int c = 0; c < 4; ++c) vb[c] = _mm512_maskz_loadu_epi64(live, b[c] + w);
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) acc[r][c] = _mm512_add_epi64(acc[r][c], _mm512_maskz_popcnt_epi64(0xff, _mm512_and_si512(va[r], vb[c])));
  }
  // (Stored and summed: GCC 12's _mm512_reduce_add_epi64 trips -Wuninitialized.)
  alignas(64) std::int64_t lanes[8];
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      _mm512_store_si512(lanes, acc[r][c]);
      out[r][c] = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    }
}

void block4x4_portable(const std::uint64_t* const a[4], const std::uint64_t* const b[4], index_t w0, index_t w1,
                       std::int64_t out[4][4]) {
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      std::int64_t s = 0;
      for (index_t w = w0; w < w1; ++w) s += __builtin_popcountll(a[r][w] & b[c][w]);
      out[r][c] = s;
    }
}

std::int64_t pair_count(const std::uint64_t* a, const std::uint64_t* b, index_t w0, index_t w1) {
  std::int64_t s = 0;
  for (index_t w = w0; w < w1; ++w) s += __builtin_popcountll(a[w] & b[w]);
  return s;
}

// First and one-past-last non-zero word of each row.
void word_ranges(const Array& m, std::vector<index_t>& lo, std::vector<index_t>& hi) {
  const index_t rows = m.shape(0), words = (m.shape(1) + 63) / 64;
  lo.assign(std::size_t(rows), words);
  hi.assign(std::size_t(rows), 0);
  const auto* base = reinterpret_cast<const std::uint64_t*>(m.data());
  const index_t stride = m.stride(0) / 64;
  parallel_for(rows, 256, [&](index_t b, index_t e) {
    for (index_t r = b; r < e; ++r) {
      const std::uint64_t* w = base + r * stride;
      index_t first = 0, last = words;
      while (first < words && w[first] == 0) ++first;
      while (last > first && w[last - 1] == 0) --last;
      lo[std::size_t(r)] = first;
      hi[std::size_t(r)] = last;
    }
  });
}

// A bit vector as a one-row (row = true) or one-column contiguous bit matrix.
Array vector_as_matrix(const Array& v, bool row) {
  const index_t n = v.shape(0);
  std::array<index_t, 2> shape{row ? 1 : n, row ? n : 1};
  Array m = Array::empty(shape, DType::bit);
  StridedRef src = v.ref();  // 1 x n
  if (!row) {
    src.rows = n;
    src.cols = 1;
    src.s0 = src.s1;
  }
  m.assign(src);
  return m;
}

template <class Count> Array bit_matmul(const Array& a_in, const Array& b_in, DType result, const CancelFlag& cancel) {
  const bool av = a_in.ndim() == 1, bv = b_in.ndim() == 1;
  // Work on 2-D, contiguous, word-aligned bit matrices: A (n x k) and BT (m x k).
  Array A = av ? vector_as_matrix(a_in, true) : (a_in.is_contiguous() ? a_in : a_in.copy());
  Array Bm = bv ? vector_as_matrix(b_in, false) : b_in;
  Array BT = transpose_bits(Bm);
  const index_t n = A.shape(0), k = A.shape(1), m = BT.shape(0);
  Array out = new_result(n, m, av || bv, result, true);
  if (n == 0 || m == 0 || k == 0) return out;
  std::vector<index_t> alo, ahi, blo, bhi;
  word_ranges(A, alo, ahi);
  word_ranges(BT, blo, bhi);
  const auto* abase = reinterpret_cast<const std::uint64_t*>(A.data());
  const auto* bbase = reinterpret_cast<const std::uint64_t*>(BT.data());
  const index_t astride = A.stride(0) / 64, bstride = BT.stride(0) / 64;
  auto* c = reinterpret_cast<Count*>(out.data());
  const bool simd = has_vpopcnt();
  constexpr index_t kTileRows = 256;  // rows of BT kept hot in L2
  // Dynamic chunks: with triangular operands the cost per row varies a lot.
  parallel_for_dynamic((n + 3) / 4, 8, [&](index_t qb, index_t qe) {
    for (index_t j0 = 0; j0 < m; j0 += kTileRows) {
      index_t j1 = std::min(m, j0 + kTileRows);
      for (index_t i = qb * 4; i < std::min(n, qe * 4); i += 4) {
        throw_if_cancelled(cancel);
        index_t ilast = std::min(n, i + 4);
        index_t a_lo = k, a_hi = 0;
        for (index_t r = i; r < ilast; ++r)
          if (ahi[std::size_t(r)] > alo[std::size_t(r)]) a_lo = std::min(a_lo, alo[std::size_t(r)]), a_hi = std::max(a_hi, ahi[std::size_t(r)]);
        if (a_hi <= a_lo) continue;  // zero rows: counts stay 0
        for (index_t j = j0; j < j1; j += 4) {
          index_t jlast = std::min(j1, j + 4);
          index_t b_lo = k, b_hi = 0;
          for (index_t s = j; s < jlast; ++s)
            if (bhi[std::size_t(s)] > blo[std::size_t(s)]) b_lo = std::min(b_lo, blo[std::size_t(s)]), b_hi = std::max(b_hi, bhi[std::size_t(s)]);
          index_t w0 = std::max(a_lo, b_lo), w1 = std::min(a_hi, b_hi);
          if (w1 <= w0) continue;
          if (ilast - i == 4 && jlast - j == 4) {
            const std::uint64_t* ar[4] = {abase + i * astride, abase + (i + 1) * astride, abase + (i + 2) * astride,
                                          abase + (i + 3) * astride};
            const std::uint64_t* br[4] = {bbase + j * bstride, bbase + (j + 1) * bstride, bbase + (j + 2) * bstride,
                                          bbase + (j + 3) * bstride};
            std::int64_t block[4][4];
            if (simd) block4x4_avx512(ar, br, w0, w1, block);
            else block4x4_portable(ar, br, w0, w1, block);
            for (int r = 0; r < 4; ++r)
              for (int s = 0; s < 4; ++s) c[(i + r) * m + j + s] = Count(block[r][s]);
          } else {
            for (index_t r = i; r < ilast; ++r)
              for (index_t s = j; s < jlast; ++s)
                c[r * m + s] = Count(pair_count(abase + r * astride, bbase + s * bstride, w0, w1));
          }
        }
      }
    }
  });
  return out;
}

// ---- running a product ---------------------------------------------------------------
//
// A long product runs on a worker that the caller abandons on Ctrl-C
// (background.hpp). The closure owns everything the worker touches: the
// operand views, which hold their buffers alive, with a pin on each buffer (so
// that, say, saving a spilled operand copies it instead of turning its file
// into the saved one under the worker), and the result, which the worker
// allocates and which is dropped unseen when the caller has gone. The operands
// are not copied (products are often as large as memory allows): after an
// interrupt the caller may change them while an abandoned BLAS call still
// reads them, which can only alter that unseen result. Our own kernels (integer,
// bit) poll the cancel flag per block of rows and stop within milliseconds;
// a BLAS call runs to its end.

using Product = std::function<Array(const Array&, const Array&, const CancelFlag&)>;

Array run_product(double flops, const Array& a, const Array& b, Product product) {
  if (flops < linalg::detail::kBackgroundFlops) {  // runs inline: nothing can outlive the caller
    const CancelFlag never{false};
    return product(a, b, never);
  }
  auto pin_a = std::make_shared<BufferPin>(a.buffer());
  auto pin_b = std::make_shared<BufferPin>(b.buffer());
  return linalg::detail::run_cancellable<Array>(
      flops, [a, b, pin_a, pin_b, product = std::move(product)](const CancelFlag& cancel) {
        return product(a, b, cancel);
      });
}

}  // namespace

Array transpose_bits(const Array& a_in) {
  Array a = a_in.is_contiguous() ? a_in : a_in.copy();
  const index_t rows = a.shape(0), cols = a.shape(1);
  std::array<index_t, 2> shape{cols, rows};
  Array t = Array::empty(shape, DType::bit, true);
  const auto* src = reinterpret_cast<const std::uint64_t*>(a.data());
  auto* dst = reinterpret_cast<std::uint64_t*>(t.data());
  const index_t sstride = a.stride(0) / 64, dstride = t.stride(0) / 64;
  const index_t rb = (rows + 63) / 64, cb = (cols + 63) / 64;
  parallel_for(cb, 1, [&](index_t b, index_t e) {
    std::uint64_t block[64];
    for (index_t cw = b; cw < e; ++cw) {      // a column word of a = a row block of t
      for (index_t rw = 0; rw < rb; ++rw) {   // a row block of a = a column word of t
        for (int i = 0; i < 64; ++i) {
          index_t r = rw * 64 + i;
          block[i] = r < rows ? src[r * sstride + cw] : 0;
        }
        transpose64(block);
        for (int i = 0; i < 64; ++i) {
          index_t r = cw * 64 + i;
          if (r < cols) dst[r * dstride + rw] = block[i];
        }
      }
    }
  });
  // Bits past `rows` in each row of t come from rows of a that do not exist: zero.
  return t;
}

Array matmul(const Array& a, const Array& b, DType result) {
  const index_t ka = a.ndim() == 1 ? a.shape(0) : a.shape(1);
  const index_t kb = b.shape(0);
  if (ka != kb)
    throw ValueError("matmul: the inner dimensions differ (" + std::to_string(ka) + " vs " + std::to_string(kb) + ")");
  // Flops of the product (n x k @ k x m), for deciding whether it runs on a worker.
  const double pairs = double(a.ndim() == 2 ? a.shape(0) : 1) * double(b.ndim() == 2 ? b.shape(1) : 1);
  const double flops = 2 * pairs * double(ka);
  if (a.dtype() == DType::bit && b.dtype() == DType::bit) {
    const double words = pairs * double((ka + 63) / 64 + 1);  // ANDed and counted 64-bit words
    if (result == DType::int32 && ka <= std::numeric_limits<std::int32_t>::max())
      return run_product(words, a, b, [result](const Array& x, const Array& y, const CancelFlag& cancel) {
        return bit_matmul<std::int32_t>(x, y, result, cancel);
      });
    if (result == DType::int64)
      return run_product(words, a, b, [result](const Array& x, const Array& y, const CancelFlag& cancel) {
        return bit_matmul<std::int64_t>(x, y, result, cancel);
      });
    throw TypeError("bit @ bit gives int32 counts (int64 when the inner dimension exceeds 2**31 - 1)");
  }
  if (linalg::is_lapack_dtype(result) && (a.ndim() == 2 || b.ndim() == 2) && a.dtype() != DType::bit &&
      b.dtype() != DType::bit) {
    const index_t rows = a.ndim() == 2 ? a.shape(0) : 1, cols = b.ndim() == 2 ? b.shape(1) : 1;
    const std::size_t out = std::size_t(rows) * std::size_t(cols) * dtype_info(result).itemsize();
    if (!fits_in_budget(bytes_outside_ram(a) + bytes_outside_ram(b) + out))
      return linalg::ooc::matmul(a, b, result);
  }
  // Floating operands are converted on the calling thread (a linear cost),
  // then the product runs in the closure.
  auto conv = [&](const Array& x, DType d) { return x.dtype() == d ? x : x.astype(d); };
  auto blas = [&]<class T>(std::type_identity<T>, DType d, double f) {
    return run_product(f, conv(a, d), conv(b, d), [d](const Array& x, const Array& y, const CancelFlag&) {
      return blas_matmul<T>(x, y, d);
    });
  };
  switch (result) {
    case DType::float32: return blas(std::type_identity<float>{}, result, flops);
    case DType::float64: return blas(std::type_identity<double>{}, result, flops);
    case DType::complex64: return blas(std::type_identity<std::complex<float>>{}, result, 4 * flops);
    case DType::complex128: return blas(std::type_identity<std::complex<double>>{}, result, 4 * flops);
    case DType::float16: return blas(std::type_identity<float>{}, DType::float32, flops).astype(DType::float16);
    case DType::int8: case DType::int16: case DType::int32: case DType::int64:
      return run_product(flops, a, b, [result](const Array& x, const Array& y, const CancelFlag& cancel) {
        return int_matmul<std::int64_t>(x, y, result, cancel);
      });
    case DType::uint8: case DType::uint16: case DType::uint32: case DType::uint64:
      return run_product(flops, a, b, [result](const Array& x, const Array& y, const CancelFlag& cancel) {
        return int_matmul<std::uint64_t>(x, y, result, cancel);
      });
    case DType::bit: break;
  }
  throw TypeError("matmul into a bit result is not supported; bit @ bit gives int64 counts");
}

}  // namespace pycauset
