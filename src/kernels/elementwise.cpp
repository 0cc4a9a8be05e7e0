// Fused elementwise evaluation (compiled once per instruction set, like
// convert.cpp). Each thread walks its rows in segments of kBlock elements; for
// every segment the expression nodes are evaluated in order into small blocks
// that stay in L1, so operands are read once and the output written once.
#include "pycauset/kernels/elementwise.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "pycauset/core/detail/scalar_impl.hpp"
#include "pycauset/core/threads.hpp"

#ifndef PYCAUSET_ISA
#define PYCAUSET_ISA isa_baseline
#endif

namespace pycauset::PYCAUSET_ISA {

void convert(const StridedRef& src, const StridedRef& dst);  // this ISA's copy

namespace {

constexpr std::int64_t kBlock = 2048;
constexpr std::size_t kSlot = 16 * kBlock;  // bytes per node block: room for complex128

// Dtype a block of a node's values is stored as (bits as 0/1 bytes).
DType block_dtype(DType d) { return d == DType::bit ? DType::uint8 : d; }

StridedRef block_ref(std::byte* p, DType d, std::int64_t n) {
  auto item = std::int64_t(dtype_info(block_dtype(d)).itemsize());
  return {p, block_dtype(d), 1, n, n * item, item, 0};
}

template <class T> constexpr bool is_bool_v = std::is_same_v<T, std::uint8_t>;

template <class T> void binary(ExprOp op, const T* a, const T* b, T* out, std::int64_t n, bool boolean) {
  if constexpr (std::is_same_v<T, std::uint8_t>) {
    if (boolean) {  // NumPy's bool loops: + is or, * is and
      if (op == ExprOp::add)
        for (std::int64_t i = 0; i < n; ++i) out[i] = T(a[i] | b[i]);
      else if (op == ExprOp::multiply)
        for (std::int64_t i = 0; i < n; ++i) out[i] = T(a[i] & b[i]);
      else
        throw TypeError("this arithmetic operation is not defined for bit operands");
      return;
    }
  }
  switch (op) {
    case ExprOp::add: for (std::int64_t i = 0; i < n; ++i) out[i] = T(a[i] + b[i]); break;
    case ExprOp::subtract: for (std::int64_t i = 0; i < n; ++i) out[i] = T(a[i] - b[i]); break;
    case ExprOp::multiply: for (std::int64_t i = 0; i < n; ++i) out[i] = T(a[i] * b[i]); break;
    case ExprOp::divide:
      if constexpr (std::is_integral_v<T>) throw TypeError("division is computed in a floating dtype");
      else for (std::int64_t i = 0; i < n; ++i) out[i] = T(a[i] / b[i]);
      break;
    default: throw ValueError("not a binary arithmetic op");
  }
}

template <class T> bool less_than(const T& x, const T& y) {
  if constexpr (is_complex_v<T>) {  // lexicographic, as NumPy; any NaN part compares false
    if (x != x || y != y) return false;
    return x.real() < y.real() || (x.real() == y.real() && x.imag() < y.imag());
  } else {
    return x < y;
  }
}

template <class T> void compare(ExprOp op, const T* a, const T* b, std::uint8_t* out, std::int64_t n) {
  switch (op) {
    case ExprOp::equal: for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] == b[i]; break;
    case ExprOp::not_equal: for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] != b[i]; break;
    case ExprOp::less: for (std::int64_t i = 0; i < n; ++i) out[i] = less_than(a[i], b[i]); break;
    case ExprOp::less_equal: for (std::int64_t i = 0; i < n; ++i) out[i] = !less_than(b[i], a[i]) && (a[i] == a[i]) && (b[i] == b[i]); break;
    case ExprOp::greater: for (std::int64_t i = 0; i < n; ++i) out[i] = less_than(b[i], a[i]); break;
    case ExprOp::greater_equal: for (std::int64_t i = 0; i < n; ++i) out[i] = !less_than(a[i], b[i]) && (a[i] == a[i]) && (b[i] == b[i]); break;
    default: throw ValueError("not a comparison");
  }
}

inline float float_of(float16_t v) { return float(v); }
inline float float_of(float v) { return v; }
inline double float_of(double v) { return v; }
template <class T> T float_of(T v) { return v; }

template <class T, class R> void unary(ExprOp op, const T* a, R* out, std::int64_t n) {
  switch (op) {
    case ExprOp::negative:
      if constexpr (std::is_same_v<T, R>) for (std::int64_t i = 0; i < n; ++i) out[i] = R(-a[i]);
      break;
    case ExprOp::positive:
    case ExprOp::cast:
      if constexpr (std::is_same_v<T, R>) std::memcpy(out, a, std::size_t(n) * sizeof(T));
      break;
    case ExprOp::absolute:
      if constexpr (is_complex_v<T>) for (std::int64_t i = 0; i < n; ++i) out[i] = R(std::abs(a[i]));
      else if constexpr (std::is_unsigned_v<T>) for (std::int64_t i = 0; i < n; ++i) out[i] = R(a[i]);
      else if constexpr (std::is_integral_v<T>) for (std::int64_t i = 0; i < n; ++i) out[i] = R(a[i] < T(0) ? T(-a[i]) : a[i]);
      else for (std::int64_t i = 0; i < n; ++i) out[i] = R(std::fabs(float_of(a[i])));  // clears the sign of -0.0 and NaN
      break;
    case ExprOp::conjugate:
      if constexpr (is_complex_v<T> && std::is_same_v<T, R>) for (std::int64_t i = 0; i < n; ++i) out[i] = std::conj(a[i]);
      else if constexpr (std::is_same_v<T, R>) std::memcpy(out, a, std::size_t(n) * sizeof(T));
      break;
    case ExprOp::real:
      if constexpr (is_complex_v<T>) for (std::int64_t i = 0; i < n; ++i) out[i] = R(a[i].real());
      else if constexpr (std::is_same_v<T, R>) std::memcpy(out, a, std::size_t(n) * sizeof(T));
      break;
    case ExprOp::imag:
      if constexpr (is_complex_v<T>) for (std::int64_t i = 0; i < n; ++i) out[i] = R(a[i].imag());
      else for (std::int64_t i = 0; i < n; ++i) out[i] = R(0);
      break;
    default: throw ValueError("not a unary op");
  }
}

bool is_binary(ExprOp op) { return op >= ExprOp::add && op <= ExprOp::divide; }
bool is_comparison(ExprOp op) { return op >= ExprOp::equal && op <= ExprOp::greater_equal; }
bool is_logical(ExprOp op) { return op >= ExprOp::logical_and && op <= ExprOp::logical_xor; }
bool takes_two(ExprOp op) { return is_binary(op) || is_comparison(op) || is_logical(op); }

void validate(std::span<const ExprNode> nodes, std::span<const StridedRef> operands, const StridedRef& out) {
  if (nodes.empty()) throw ValueError("empty expression");
  for (std::size_t k = 0; k < nodes.size(); ++k) {
    const ExprNode& n = nodes[k];
    auto child_ok = [&](std::int32_t c) { return c >= 0 && std::size_t(c) < k; };
    if (n.op == ExprOp::operand) {
      if (n.operand < 0 || std::size_t(n.operand) >= operands.size()) throw ValueError("bad operand index");
      const StridedRef& o = operands[std::size_t(n.operand)];
      if (o.rows != out.rows || o.cols != out.cols) throw ValueError("operand shape differs from the output");
      if (o.dtype != n.result) throw ValueError("operand dtype differs from its node");
    } else if (n.op != ExprOp::scalar) {
      if (!child_ok(n.lhs) || (takes_two(n.op) && !child_ok(n.rhs))) throw ValueError("bad child index");
    }
  }
  if (nodes.back().result != out.dtype) throw ValueError("output dtype differs from the expression's");
}

// Exact comparison of int64 with uint64 values (either side).
void mixed_compare(const ExprNode& node, const std::byte* a, const std::byte* b, std::uint8_t* out, std::int64_t n) {
  // Maps both to a common order: signed values below 0 sort before all unsigned.
  auto key = [](DType d, const std::byte* p, std::int64_t i) -> std::pair<bool, std::uint64_t> {
    if (d == DType::int64) {
      std::int64_t v;
      std::memcpy(&v, p + i * 8, 8);
      return {v >= 0, std::uint64_t(v)};
    }
    std::uint64_t v;
    std::memcpy(&v, p + i * 8, 8);
    return {true, v};
  };
  if ((node.compute != DType::int64 && node.compute != DType::uint64) ||
      (node.compute_rhs != DType::int64 && node.compute_rhs != DType::uint64))
    throw ValueError("mixed comparisons are only int64 against uint64");
  for (std::int64_t i = 0; i < n; ++i) {
    auto x = key(node.compute, a, i), y = key(node.compute_rhs, b, i);
    bool lt = x < y, eq = x == y;
    switch (node.op) {
      case ExprOp::equal: out[i] = eq; break;
      case ExprOp::not_equal: out[i] = !eq; break;
      case ExprOp::less: out[i] = lt; break;
      case ExprOp::less_equal: out[i] = lt || eq; break;
      case ExprOp::greater: out[i] = !lt && !eq; break;
      default: out[i] = !lt; break;
    }
  }
}

// Per-thread working memory: one block per node plus two cast buffers, and
// where each node's values for the current segment are (its block, or the
// operand's own memory when that is contiguous and needs no conversion).
struct Scratch {
  std::vector<std::byte> mem;
  std::vector<const std::byte*> values;
  std::byte* slot(std::size_t k) { return mem.data() + k * kSlot; }
};

// Values of child c, as dtype `want`, for a segment of n elements.
const std::byte* input(std::span<const ExprNode> nodes, Scratch& s, std::int32_t c, DType want,
                       std::int64_t n, std::size_t tmp_slot) {
  DType have = nodes[std::size_t(c)].result;
  const std::byte* v = s.values[std::size_t(c)];
  if (block_dtype(have) == block_dtype(want)) return v;
  PYCAUSET_ISA::convert(block_ref(const_cast<std::byte*>(v), have, n), block_ref(s.slot(tmp_slot), want, n));
  return s.slot(tmp_slot);
}

// Computes node k for one segment into `out` (a block, or the output itself).
void run_node(std::span<const ExprNode> nodes, std::size_t k, std::span<const StridedRef> operands,
              Scratch& s, std::int64_t row, std::int64_t col, std::int64_t n, std::byte* out) {
  const ExprNode& node = nodes[k];
  s.values[k] = out;
  const std::size_t tmp_a = nodes.size(), tmp_b = nodes.size() + 1;
  switch (node.op) {
    case ExprOp::operand: {
      StridedRef seg = operands[std::size_t(node.operand)];
      seg.rows = 1;
      seg.cols = n;
      if (seg.dtype == DType::bit) {
        seg.bit_offset += row * seg.s0 + col * seg.s1;
      } else {
        seg.data += row * seg.s0 + col * seg.s1;
        if (seg.s1 == std::int64_t(dtype_info(seg.dtype).itemsize())) {  // read in place
          s.values[k] = seg.data;
          return;
        }
      }
      PYCAUSET_ISA::convert(seg, block_ref(out, node.result, n));
      return;
    }
    case ExprOp::scalar: s.values[k] = s.slot(k); return;  // filled once per thread
    default: break;
  }
  if (is_comparison(node.op) && node.compute_rhs != node.compute) {
    mixed_compare(node, input(nodes, s, node.lhs, node.compute, n, tmp_a),
                  input(nodes, s, node.rhs, node.compute_rhs, n, tmp_b), reinterpret_cast<std::uint8_t*>(out), n);
    return;
  }
  const std::byte* a = input(nodes, s, node.lhs, node.compute, n, tmp_a);
  const std::byte* b = takes_two(node.op) ? input(nodes, s, node.rhs, node.compute, n, tmp_b) : nullptr;
  visit_dtype(block_dtype(node.compute), [&]<class T>(std::type_identity<T>) {
    if constexpr (std::is_same_v<T, bit_tag>) {
      throw ValueError("unexpected bit block");
    } else {
      const T* x = reinterpret_cast<const T*>(a);
      const T* y = reinterpret_cast<const T*>(b);
      if (is_binary(node.op)) {
        binary<T>(node.op, x, y, reinterpret_cast<T*>(out), n, node.compute == DType::bit);
      } else if (is_comparison(node.op)) {
        compare<T>(node.op, x, y, reinterpret_cast<std::uint8_t*>(out), n);
      } else if (is_logical(node.op) || node.op == ExprOp::invert) {
        if constexpr (std::is_same_v<T, std::uint8_t>) {
          auto* o = reinterpret_cast<std::uint8_t*>(out);
          for (std::int64_t i = 0; i < n; ++i) {
            switch (node.op) {
              case ExprOp::logical_and: o[i] = x[i] & y[i]; break;
              case ExprOp::logical_or: o[i] = x[i] | y[i]; break;
              case ExprOp::logical_xor: o[i] = x[i] ^ y[i]; break;
              default: o[i] = x[i] ^ 1u; break;
            }
          }
        } else {
          throw TypeError("logical operations need bit operands");
        }
      } else if (node.result == node.compute || node.op == ExprOp::cast) {
        if (node.op == ExprOp::cast) {
          PYCAUSET_ISA::convert(block_ref(const_cast<std::byte*>(a), node.compute, n), block_ref(out, node.result, n));
        } else {
          unary<T, T>(node.op, x, reinterpret_cast<T*>(out), n);
        }
      } else if constexpr (is_complex_v<T>) {  // absolute, real, imag of complex
        unary<T, typename T::value_type>(node.op, x, reinterpret_cast<typename T::value_type*>(out), n);
      } else {
        throw ValueError("unsupported node dtypes");
      }
    }
  });
}

}  // namespace

void evaluate(std::span<const ExprNode> nodes, std::span<const StridedRef> operands, const StridedRef& out) {
  validate(nodes, operands, out);
  if (out.rows == 0 || out.cols == 0) return;
  const std::size_t slots = nodes.size() + 2;
  // Elements per task: whole rows when rows are long, else several rows.
  const std::int64_t rows = out.rows, cols = out.cols;
  const std::int64_t bytes_per_row = cols * 16;
  const std::int64_t grain = std::max<std::int64_t>(1, (std::int64_t(1) << 18) / std::max<std::int64_t>(bytes_per_row, 1));
  // A single long row (a vector) is split into column ranges instead.
  const bool by_columns = rows == 1;
  const std::int64_t units = by_columns ? (cols + kBlock - 1) / kBlock : rows;
  parallel_for(units, by_columns ? 64 : grain, [&](std::int64_t ub, std::int64_t ue) {
    Scratch s;
    s.mem.resize(slots * kSlot);
    s.values.assign(nodes.size(), nullptr);
    for (std::size_t k = 0; k < nodes.size(); ++k) {
      if (nodes[k].op != ExprOp::scalar) continue;
      visit_dtype(block_dtype(nodes[k].result), [&]<class T>(std::type_identity<T>) {
        if constexpr (!std::is_same_v<T, bit_tag>) {
          T v = std::is_same_v<T, std::uint8_t> && nodes[k].result == DType::bit ? T(nodes[k].value.nonzero())
                                                                                   : scalar_to<T>(nodes[k].value);
          std::fill_n(reinterpret_cast<T*>(s.slot(k)), kBlock, v);
        }
      });
    }
    const DType root = nodes.back().result;
    const std::size_t last = nodes.size() - 1;
    // The root writes straight into a contiguous, byte-typed output.
    const bool direct = root != DType::bit && out.s1 == std::int64_t(dtype_info(root).itemsize()) &&
                        nodes.back().op != ExprOp::operand && nodes.back().op != ExprOp::scalar;
    auto segment = [&](std::int64_t row, std::int64_t col, std::int64_t n) {
      StridedRef dst = out;
      dst.rows = 1;
      dst.cols = n;
      if (dst.dtype == DType::bit) dst.bit_offset += row * dst.s0 + col * dst.s1;
      else dst.data += row * dst.s0 + col * dst.s1;
      for (std::size_t k = 0; k < last; ++k) run_node(nodes, k, operands, s, row, col, n, s.slot(k));
      run_node(nodes, last, operands, s, row, col, n, direct ? dst.data : s.slot(last));
      if (!direct)
        PYCAUSET_ISA::convert(block_ref(const_cast<std::byte*>(s.values[last]), root, n), dst);
    };
    if (by_columns) {
      for (std::int64_t u = ub; u < ue; ++u) {
        std::int64_t c0 = u * kBlock;
        segment(0, c0, std::min(kBlock, cols - c0));
      }
    } else {
      for (std::int64_t r = ub; r < ue; ++r)
        for (std::int64_t c0 = 0; c0 < cols; c0 += kBlock) segment(r, c0, std::min(kBlock, cols - c0));
    }
  });
}

}  // namespace pycauset::PYCAUSET_ISA
