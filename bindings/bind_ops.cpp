// Fused elementwise expressions, reductions and matrix products.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <vector>

#include "pycauset/array/array.hpp"
#include "pycauset/kernels/elementwise.hpp"
#include "pycauset/kernels/minmax.hpp"
#include "pycauset/kernels/reduce.hpp"
#include "pycauset/linalg/matmul.hpp"
#include "numpy_args.hpp"

namespace nb = nanobind;
using namespace pycauset;

namespace {

using bindings::scalar_from_python;
using NodeTuple = std::tuple<ExprOp, DType, DType, DType, int, int, int, nb::object>;

}  // namespace

void bind_ops(nb::module_& m) {
  nb::enum_<ExprOp>(m, "ExprOp")
      .value("operand", ExprOp::operand).value("scalar", ExprOp::scalar)
      .value("add", ExprOp::add).value("subtract", ExprOp::subtract)
      .value("multiply", ExprOp::multiply).value("divide", ExprOp::divide)
      .value("negative", ExprOp::negative).value("positive", ExprOp::positive)
      .value("absolute", ExprOp::absolute).value("conjugate", ExprOp::conjugate)
      .value("real", ExprOp::real).value("imag", ExprOp::imag)
      .value("equal", ExprOp::equal).value("not_equal", ExprOp::not_equal)
      .value("less", ExprOp::less).value("less_equal", ExprOp::less_equal)
      .value("greater", ExprOp::greater).value("greater_equal", ExprOp::greater_equal)
      .value("logical_and", ExprOp::logical_and).value("logical_or", ExprOp::logical_or)
      .value("logical_xor", ExprOp::logical_xor).value("invert", ExprOp::invert)
      .value("cast", ExprOp::cast);

  m.def("evaluate", [](const std::vector<NodeTuple>& tuples, const std::vector<const Array*>& operands, Array& out) {
    std::vector<ExprNode> nodes;
    nodes.reserve(tuples.size());
    for (const auto& [op, compute, compute_rhs, result, lhs, rhs, operand, value] : tuples) {
      ExprNode n;
      n.op = op;
      n.compute = compute;
      n.compute_rhs = compute_rhs;
      n.result = result;
      n.lhs = lhs;
      n.rhs = rhs;
      n.operand = operand;
      if (op == ExprOp::scalar) n.value = scalar_from_python(value);
      nodes.push_back(n);
    }
    std::vector<StridedRef> refs;
    for (const Array* a : operands) refs.push_back(a->ref());
    nb::gil_scoped_release release;
    evaluate(nodes, refs, out.write_ref());
  }, nb::arg("nodes"), nb::arg("operands"), nb::arg("out"),
     "Evaluates post-order (op, compute, compute_rhs, result, lhs, rhs, operand, value) nodes into out.");
  m.def("evaluate_calls", &evaluate_calls);

  m.def("reduce_sum", [](const Array& a, int axis, Array& out, std::int64_t divisor) {
    StridedRef o = out.write_ref();
    nb::gil_scoped_release release;
    reduce_sum(a.ref(), axis, o, divisor);
  }, nb::arg("a"), nb::arg("axis"), nb::arg("out"), nb::arg("divisor") = 1);

  m.def("reduce_minmax", [](const Array& a, int axis, bool is_max, Array& out) {
    StridedRef o = out.write_ref();
    nb::gil_scoped_release release;
    reduce_minmax(a.ref(), axis, is_max, o);
  }, nb::arg("a"), nb::arg("axis"), nb::arg("is_max"), nb::arg("out"));

  m.def("reduce_any_all", [](const Array& a, int axis, bool is_all, Array& out) {
    StridedRef o = out.write_ref();
    nb::gil_scoped_release release;
    reduce_any_all(a.ref(), axis, is_all, o);
  }, nb::arg("a"), nb::arg("axis"), nb::arg("is_all"), nb::arg("out"));

  m.def("power", [](const Array& base, const Array& exponent, Array& out) {
    StridedRef o = out.write_ref();
    nb::gil_scoped_release release;
    power(base.ref(), exponent.ref(), o);
  }, nb::arg("base"), nb::arg("exponent"), nb::arg("out"));

  m.def("matmul", &matmul, nb::arg("a"), nb::arg("b"), nb::arg("result"),
        nb::call_guard<nb::gil_scoped_release>());
}
