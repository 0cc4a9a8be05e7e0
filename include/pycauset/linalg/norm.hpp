#pragma once
// Norms of Arrays that need no decomposition, read straight from storage.
// (The 2-, -2- and nuclear matrix norms come from linalg::svdvals.)
#include "pycauset/array/array.hpp"

namespace pycauset::linalg {

/// Vector p-norm of all elements of `a` (rank 1 or 2, any dtype and strides),
/// as numpy.linalg.norm of the flattened array: ord = 2 sqrt(sum |x|^2),
/// 1 sum |x|, +inf max |x|, -inf min |x|, 0 the number of non-zeros, otherwise
/// (sum |x|^ord)^(1/ord). The Frobenius norm is vector_norm(a, 2).
/// Computed in double precision in blocks converted on the fly (no copy of
/// the whole array), on the thread pool. NaN propagates.
/// ValueError for +-inf on an empty array (max/min have no identity).
double vector_norm(const Array& a, double ord);

/// Matrix norms from absolute column or row sums: maximum (one) / minimum
/// (neg_one) column sum, maximum (inf) / minimum (neg_inf) row sum.
/// `a` must be rank 2 (ValueError otherwise, and for an empty matrix).
enum class MatrixNorm { one, neg_one, inf, neg_inf };
double matrix_norm(const Array& a, MatrixNorm ord);

}  // namespace pycauset::linalg
