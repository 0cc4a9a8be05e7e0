#pragma once
// Fused elementwise evaluation: a small expression tree is evaluated over the
// output in one pass, block by block, without materialising any intermediate.
#include <cstdint>
#include <span>

#include "pycauset/core/dtype.hpp"
#include "pycauset/core/scalar.hpp"
#include "pycauset/kernels/convert.hpp"

namespace pycauset {

enum class ExprOp : std::uint8_t {
  operand,  ///< values of operands[operand]
  scalar,   ///< the constant `value`
  add, subtract, multiply, divide,
  negative, positive, absolute, conjugate, real, imag,
  equal, not_equal, less, less_equal, greater, greater_equal,
  logical_and, logical_or, logical_xor, invert,
  cast,     ///< the child's values converted to `result`
};

/// One node of an expression. Children come before their parent (post-order);
/// the last node is the root. The inputs of a node are converted to `compute`,
/// the operation runs in `compute`, and the node's values have dtype `result`
/// (bit for comparisons and logical ops; the real type for absolute/real/imag
/// of complex). Bit values are handled as bytes holding 0/1 inside a block.
struct ExprNode {
  ExprOp op = ExprOp::operand;
  DType compute = DType::float64;
  /// Comparisons only: the rhs's compute dtype when it differs from lhs's
  /// (NumPy compares int64 with uint64 exactly, without a common type).
  DType compute_rhs = DType::float64;
  DType result = DType::float64;
  std::int32_t lhs = -1, rhs = -1;  ///< child nodes (rhs only for binary ops)
  std::int32_t operand = -1;        ///< for ExprOp::operand
  Scalar value{};                   ///< for ExprOp::scalar
};

/// Evaluates the expression into `out` (whose dtype is the root's result) in
/// one parallel pass over row blocks. Every operand must already have out's
/// shape (broadcast with zero strides). Operands may alias each other, but not
/// out. Throws ValueError for malformed trees or shape mismatches.
void evaluate(std::span<const ExprNode> nodes, std::span<const StridedRef> operands, const StridedRef& out);

/// Number of evaluate() calls so far in this process (lets tests check that
/// an expression is computed in a single pass).
std::uint64_t evaluate_calls();

}  // namespace pycauset
