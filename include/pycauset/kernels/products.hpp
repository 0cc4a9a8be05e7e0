#pragma once
// Tile kernels of the exact matrix products: bit AND + popcount counts and
// integer multiply-add in 64 or 128 bits. Each call works on one tile on the
// calling thread; the caller (linalg/matmul.cpp in RAM, linalg/ooc_products.cpp
// out of core) splits a product into tiles, runs them on the pool and checks
// for Ctrl-C between them. Compiled once per instruction set and picked at run
// time like the other kernels (dispatch.cpp; PYCAUSET_KERNELS caps it): bit
// counts use AVX-512 VPOPCNTDQ where the CPU has it, a vpshufb nibble popcount
// with AVX2 (or AVX-512BW without VPOPCNTDQ), and popcnt or a portable count
// in the baseline build.
#include <cstdint>

namespace pycauset {

/// Rows of a bit matrix as 64-bit words (element c of a row is bit c % 64 of
/// word c / 64), `stride` words from one row to the next, and optionally the
/// first (`lo`) and one-past-last (`hi`) non-zero word of each row (words
/// outside [lo, hi) are known to be zero and never read); null for "all".
struct BitRows {
  const std::uint64_t* data = nullptr;
  std::int64_t rows = 0;
  std::int64_t stride = 0;
  const std::int64_t* lo = nullptr;
  const std::int64_t* hi = nullptr;
};

/// out[i * ld + j] (= or +=, per `accumulate`) the number of bits in words
/// [w0, w1) set in both row i of `a` and row j of `b`: the (i, j) entry
/// of a @ b^T for bit matrices. `out` is int32 (out64 false) or int64.
void bit_count_tile(const BitRows& a, const BitRows& b, std::int64_t w0, std::int64_t w1, void* out,
                    std::int64_t ld, bool out64, bool accumulate);

/// The first and one-past-last non-zero word of each of the `rows` rows of
/// `words` words (stride `stride`) into lo and hi; a zero row gets lo = words,
/// hi = 0.
void bit_word_ranges(const std::uint64_t* data, std::int64_t rows, std::int64_t words, std::int64_t stride,
                     std::int64_t* lo, std::int64_t* hi);

/// Transposes the bit block of `rows` rows (stride `src_stride` words) and
/// column words [cw0, cw1) of src into dst: column c of src becomes row c of
/// dst (stride `dst_stride` words), whose first ceil(rows / 64) words it
/// fills. Only rows [cw0 * 64, min(cols, cw1 * 64)) of dst are written.
void bit_transpose_block(const std::uint64_t* src, std::int64_t rows, std::int64_t cols, std::int64_t src_stride,
                         std::int64_t cw0, std::int64_t cw1, std::uint64_t* dst, std::int64_t dst_stride);

/// C (n x m, ld ldc) += A (n x k, ld lda) @ B (k x m, ld ldb) in wrapping
/// 64-bit arithmetic (uint64 words; two's complement makes it the signed
/// product as well). Exact only when the caller proved that no partial sum
/// leaves the 64-bit range (k * max|a| * max|b| fits).
void int_gemm_tile(const std::uint64_t* A, std::int64_t lda, const std::uint64_t* B, std::int64_t ldb,
                   std::uint64_t* C, std::int64_t ldc, std::int64_t n, std::int64_t k, std::int64_t m);

__extension__ typedef unsigned __int128 pc_u128;

/// Exact accumulation for any values: acc[i * lda_ + j] (a 128-bit two's
/// complement accumulator) += A[i, p] * B[p, j] over p, each product formed
/// exactly in 128 bits (signed operands when `is_signed`), and each wrap-around
/// of an accumulator counted in wraps[i * ldacc + j] (+1 up, -1 down), so that
/// acc + wraps * 2^128 is the exact sum. n x m accumulators with leading
/// dimension ldacc.
void int_gemm_exact_tile(bool is_signed, const std::uint64_t* A, std::int64_t lda, const std::uint64_t* B,
                         std::int64_t ldb, pc_u128* acc, std::int64_t* wraps, std::int64_t ldacc, std::int64_t n,
                         std::int64_t k, std::int64_t m);

/// The instruction set the product kernels were picked for ("avx512-vpopcntdq",
/// "avx512", "avx2" or "baseline").
const char* product_kernel_isa();

}  // namespace pycauset
