#pragma once
// The matrix-vector kernel of the antisymmetric reduction (linalg/antisymmetric.cpp).
// Compiled once per instruction set and picked at run time like the other
// kernels (dispatch.cpp; PYCAUSET_KERNELS caps it).
#include <cstdint>

namespace pycauset {

/// For the antisymmetric m x m matrix A whose strictly lower triangle is stored
/// column-major at p (leading dimension ld), adds columns [j0, j1) of A v to y:
/// one pass over those columns' part of the triangle, each element used twice
/// (A[i, j] v_j into y_i and -A[i, j] v_i into y_j), half the memory traffic of
/// a general matrix-vector product.
void skew_column_block(const double* p, std::int64_t ld, std::int64_t m, std::int64_t j0, std::int64_t j1,
                       const double* v, double* y);
void skew_column_block(const float* p, std::int64_t ld, std::int64_t m, std::int64_t j0, std::int64_t j1,
                       const float* v, float* y);

}  // namespace pycauset
