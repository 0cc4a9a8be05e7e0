#pragma once
// Out-of-core matrix products for the dtypes that BLAS does not cover: bit @
// bit (AND + popcount counts), exact integer products, float16 (through the
// float32 tiled product), and the matrix-vector forms of each. `matmul`
// (matmul.hpp) routes here by itself when the RAM the in-RAM product would
// need beyond what is already in RAM does not fit what the budget leaves.
//
// How they work: A is read in panels of whole rows, B as B^T for bits (made
// out of core first, into a governor-allocated array that spills past the
// budget, unless B is already a transposed view of a row-major bit matrix)
// or in blocks of whole rows for integers, into governor-accounted RAM tiles,
// on an I/O thread that reads the next tiles while the current ones are
// counted or multiplied; result tiles are written with pwrite into a result
// the governor creates (a spill file past the budget) while the next ones
// are computed. Bit tiles whose rows have no common non-zero word (the lower
// half of a product of strictly upper-triangular matrices) are skipped
// without being computed or written. Integer products are exact: the 64-bit
// fast path is taken when k * max|a| * max|b| fits (maxima found in a first
// streaming pass), else 128-bit accumulators that count their wrap-arounds;
// OverflowError exactly as in RAM. Progress is reported through
// core/progress.hpp; Ctrl-C unwinds, freeing tiles, the spilled B^T and the
// half-written result.
#include "pycauset/array/array.hpp"

namespace pycauset::linalg::ooc {

/// True when a @ b into `result` (not 1-D @ 1-D) needs more RAM than the
/// budget leaves and one of the tiled products below (or ooc::matmul) takes it.
bool product_needs_tiles(const Array& a, const Array& b, DType result);

/// a @ b into `result`, tiled: bit @ bit into int32/int64 counts, integer
/// operands into an integer result (exact), float16 through float32, and the
/// BLAS dtypes through ooc::matmul. Inner dimensions must agree (checked by
/// the caller).
Array product(const Array& a, const Array& b, DType result);

}  // namespace pycauset::linalg::ooc
