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
#include "pycauset/kernels/products.hpp"
#include "pycauset/linalg/ooc_products.hpp"
#include "pycauset/linalg/out_of_core.hpp"
#include "pycauset/storage/buffer.hpp"
#include "background.hpp"
#include "blas_api.hpp"
#include "exact_products.hpp"

namespace pycauset {
namespace {

using index_t = Array::index_t;
using linalg::detail::Blas;
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

// Typed BLAS calls go through linalg::detail::Blas<T> (blas_api.hpp), the one
// place that maps element types to BLAS symbols; these adapt untyped Array data.
template <class T> const T* typed(const void* p) { return static_cast<const T*>(p); }

template <class T> void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, std::int64_t m, std::int64_t n, std::int64_t k,
                             const void* a, std::int64_t lda, const void* b, std::int64_t ldb, void* c, std::int64_t ldc) {
  Blas<T>::gemm(CblasRowMajor, ta, tb, m, n, k, T(1), typed<T>(a), lda, typed<T>(b), ldb, T(0), static_cast<T*>(c),
                ldc);
}

template <class T> void gemv(CBLAS_TRANSPOSE t, std::int64_t m, std::int64_t n, const void* a, std::int64_t lda,
                             const void* x, std::int64_t incx, void* y) {
  Blas<T>::gemv(CblasRowMajor, t, m, n, T(1), typed<T>(a), lda, typed<T>(x), incx, T(0), static_cast<T*>(y), 1);
}

template <class T> T dot(std::int64_t n, const void* x, std::int64_t incx, const void* y, std::int64_t incy) {
  return Blas<T>::dot(n, typed<T>(x), incx, typed<T>(y), incy);
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
// The tile kernels are kernels/products.hpp; exact_products.hpp has the rules
// shared with the out-of-core products.

using linalg::detail::i128;
using linalg::detail::u128;

template <class W> std::uint64_t max_magnitude(const Array& a) {
  return linalg::detail::max_magnitude(reinterpret_cast<const W*>(a.data()), a.size());
}

template <class W> Array int_matmul(const Array& a, const Array& b, DType result, const CancelFlag& cancel) {
  constexpr DType wide = std::is_signed_v<W> ? DType::int64 : DType::uint64;
  const bool av = a.ndim() == 1, bv = b.ndim() == 1;
  const index_t n = av ? 1 : a.shape(0), k = av ? a.shape(0) : a.shape(1), m = bv ? 1 : b.shape(1);
  Array A = a.astype(wide), B = b.astype(wide);  // contiguous 64-bit copies
  Array C = new_result(n, m, false, wide, true);
  // The result dtype's range (within W's: a signed result is computed in int64, an unsigned one in uint64).
  i128 lo, hi;
  linalg::detail::int_range(result, lo, hi);
  const auto* pa = reinterpret_cast<const std::uint64_t*>(A.data());
  const auto* pb = reinterpret_cast<const std::uint64_t*>(B.data());
  auto* pc = reinterpret_cast<std::uint64_t*>(C.data());
  // Overflow is impossible when k * max|a| * max|b| fits W: then plain W arithmetic is exact.
  if (linalg::detail::bound_fits(max_magnitude<W>(A), max_magnitude<W>(B), k,
                                 std::uint64_t(std::numeric_limits<W>::max()))) {
    parallel_for(n, std::max<index_t>(1, 16384 / std::max<index_t>(k * m / 64 + 1, 1)), [&](index_t rb, index_t re) {
      constexpr index_t kRows = 64;  // rows per tile: B's cache blocks are reused across them; cancel checked per tile
      for (index_t i0 = rb; i0 < re; i0 += kRows) {
        throw_if_cancelled(cancel);
        const index_t rows = std::min(re, i0 + kRows) - i0;
        int_gemm_tile(pa + i0 * k, k, pb, m, pc + i0 * m, m, rows, k, m);
      }
    });
    linalg::detail::check_range(reinterpret_cast<const W*>(pc), C.size(), lo, hi, result);
  } else {
    constexpr index_t kRows = 4, kCols = 256;
    parallel_for(n, std::max<index_t>(1, 4096 / std::max<index_t>(k * m / 64 + 1, 1)), [&](index_t rb, index_t re) {
      u128 acc[kRows * kCols];
      std::int64_t wraps[kRows * kCols];  // exact sum = acc + wraps * 2^128
      for (index_t i0 = rb; i0 < re; i0 += kRows) {
        const index_t rows = std::min(re, i0 + kRows) - i0;
        for (index_t j0 = 0; j0 < m; j0 += kCols) {
          throw_if_cancelled(cancel);
          const index_t w = std::min(m, j0 + kCols) - j0;
          std::fill(acc, acc + kRows * kCols, u128(0));
          std::fill(wraps, wraps + kRows * kCols, std::int64_t(0));
          int_gemm_exact_tile(std::is_signed_v<W>, pa + i0 * k, k, pb + j0, m, acc, wraps, kCols, rows, k, w);
          for (index_t r = 0; r < rows; ++r) {
            W* c = reinterpret_cast<W*>(pc) + (i0 + r) * m + j0;
            for (index_t j = 0; j < w; ++j) c[j] = linalg::detail::exact_value<W>(acc[r * kCols + j], wraps[r * kCols + j], lo, hi, result);
          }
        }
      }
    });
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

// First and one-past-last non-zero word of each row of a contiguous bit matrix.
void word_ranges(const Array& m, std::vector<std::int64_t>& lo, std::vector<std::int64_t>& hi) {
  const index_t rows = m.shape(0), words = (m.shape(1) + 63) / 64;
  lo.assign(std::size_t(rows), 0);
  hi.assign(std::size_t(rows), 0);
  const auto* base = reinterpret_cast<const std::uint64_t*>(m.data());
  const index_t stride = m.stride(0) / 64;
  parallel_for(rows, 256, [&](index_t b, index_t e) {
    bit_word_ranges(base + b * stride, e - b, words, stride, lo.data() + b, hi.data() + b);
  });
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
  std::vector<std::int64_t> alo, ahi, blo, bhi;
  word_ranges(A, alo, ahi);
  word_ranges(BT, blo, bhi);
  const auto* abase = reinterpret_cast<const std::uint64_t*>(A.data());
  const auto* bbase = reinterpret_cast<const std::uint64_t*>(BT.data());
  const index_t astride = A.stride(0) / 64, bstride = BT.stride(0) / 64, words = (k + 63) / 64;
  // The result is zeroed: blocks whose rows share no non-zero word are skipped
  // without a write, so their pages are never touched.
  linalg::detail::bit_counts(BitRows{abase, n, astride, alo.data(), ahi.data()},
                             BitRows{bbase, m, bstride, blo.data(), bhi.data()}, words, out.data(), m,
                             std::is_same_v<Count, std::int64_t>, true, [&] { throw_if_cancelled(cancel); });
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
  // Bits past `rows` in each row of t come from rows of a that do not exist: zero.
  parallel_for((cols + 63) / 64, 1, [&](index_t b, index_t e) {
    bit_transpose_block(src, rows, cols, sstride, b, e, dst, dstride);
  });
  return t;
}

std::string bit_product_rule() {
  return "bit @ bit gives int32 counts (int64 when the inner dimension exceeds 2**31 - 1, or when int64 is asked for)";
}

DType bit_product_dtype(Array::index_t k) {
  return k <= std::numeric_limits<std::int32_t>::max() ? DType::int32 : DType::int64;
}

namespace {
Array matmul_values(const Array& a, const Array& b, DType result);
}  // namespace

Array matmul(const Array& a, const Array& b, DType result) {
  Array out = matmul_values(a, b, result);
  mark_product(out, a, b);
  return out;
}

namespace {
Array matmul_values(const Array& a, const Array& b, DType result) {
  const index_t ka = a.ndim() == 1 ? a.shape(0) : a.shape(1);
  const index_t kb = b.shape(0);
  if (ka != kb)
    throw ValueError("matmul: the inner dimensions differ (" + std::to_string(ka) + " vs " + std::to_string(kb) + ")");
  const bool bits = a.dtype() == DType::bit && b.dtype() == DType::bit;
  if ((bits && result != bit_product_dtype(ka) && result != DType::int64) || result == DType::bit)
    throw TypeError(std::string(result == DType::bit ? "matmul into a bit result is not supported; " : "") +
                    bit_product_rule());
  if (linalg::ooc::product_needs_tiles(a, b, result)) return linalg::ooc::product(a, b, result);
  // Flops of the product (n x k @ k x m), for deciding whether it runs on a worker.
  const double pairs = double(a.ndim() == 2 ? a.shape(0) : 1) * double(b.ndim() == 2 ? b.shape(1) : 1);
  const double flops = 2 * pairs * double(ka);
  if (bits) {
    const double words = pairs * double((ka + 63) / 64 + 1);  // ANDed and counted 64-bit words
    if (result == DType::int32)
      return run_product(words, a, b, [result](const Array& x, const Array& y, const CancelFlag& cancel) {
        return bit_matmul<std::int32_t>(x, y, result, cancel);
      });
    return run_product(words, a, b, [result](const Array& x, const Array& y, const CancelFlag& cancel) {
      return bit_matmul<std::int64_t>(x, y, result, cancel);
    });
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
  throw TypeError("matmul into a bit result is not supported; " + bit_product_rule());
}
}  // namespace

}  // namespace pycauset
