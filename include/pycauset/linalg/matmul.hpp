#pragma once
// Matrix products of Arrays: BLAS for floating dtypes, exact integer kernels,
// and AND + popcount for bit matrices.
#include <string>

#include "pycauset/array/array.hpp"

namespace pycauset {

/// a @ b with NumPy's matmul shape rules for rank 1 and 2 (1-D @ 1-D gives a
/// one-element vector; the caller turns it into a scalar). Operands are
/// converted to `result` first, except that bit @ bit counts common ones into
/// `result` int32 (exact while the inner dimension is below 2^31) or int64.
///  - float32/64, complex: BLAS gemm/gemv/dot on the operands as they lie when
///    they are row- or column-contiguous (transposed views cost nothing);
///  - float16: computed in float32, rounded once at the end;
///  - integers: exact. Plain 64-bit arithmetic when k * max|a| * max|b| fits
///    64 bits, else 128-bit products and accumulators that count their own
///    wrap-arounds; OverflowError exactly when the exact value does not fit
///    `result` (never silent wrap-around, however partial sums behave);
///  - bit @ bit: 64-bit words ANDed and popcounted (kernels/products.hpp:
///    AVX-512 VPOPCNTDQ, AVX2 vpshufb or scalar popcnt), skipping words that
///    are zero across a block (triangular causal matrices need about a third
///    of the work); `result` must be bit_product_dtype(k) or int64 (TypeError
///    saying bit_product_rule() otherwise).
/// Past the memory budget the product is tiled (linalg/ooc_products.hpp,
/// linalg/out_of_core.hpp) for every dtype. ValueError when the inner
/// dimensions differ. Multithreaded.
Array matmul(const Array& a, const Array& b, DType result);

/// The dtype of bit @ bit counts for inner dimension k: int32, or int64 when
/// k exceeds 2^31 - 1 (the one place this rule lives; Python asks it).
DType bit_product_dtype(Array::index_t k);

/// The rule above in words, for error messages.
std::string bit_product_rule();

/// A bit matrix's transpose as a new contiguous bit matrix (64x64 block transposes).
Array transpose_bits(const Array& a);

}  // namespace pycauset
