// pycauset._core.linalg: the LAPACK-backed routines and norms. Arguments are
// Array handles and compute dtypes (the DType enum) chosen by
// python/pycauset/linalg.py; every call releases the GIL around the work.
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>

#include <complex>
#include <string>

#include "pycauset/array/array.hpp"
#include "pycauset/kernels/products.hpp"
#include "pycauset/core/error.hpp"
#include "pycauset/linalg/antisymmetric.hpp"
#include "pycauset/linalg/lapack.hpp"
#include "pycauset/linalg/matmul.hpp"
#include "pycauset/linalg/norm.hpp"
#include "numpy_args.hpp"

namespace nb = nanobind;
using namespace pycauset;

namespace {

using bindings::scalar_to_python;

linalg::MatrixNorm parse_matrix_norm(const std::string& ord) {
  if (ord == "1") return linalg::MatrixNorm::one;
  if (ord == "-1") return linalg::MatrixNorm::neg_one;
  if (ord == "inf") return linalg::MatrixNorm::inf;
  if (ord == "-inf") return linalg::MatrixNorm::neg_inf;
  throw ValueError("unknown matrix norm '" + ord + "'");
}

}  // namespace

void bind_linalg(nb::module_& m) {
  nb::module_ la = m.def_submodule("linalg", "LAPACK-backed routines (private: use pycauset.linalg)");
  using nb::arg;

  la.def("inv", [](const Array& a, DType d) {
    nb::gil_scoped_release release;
    return linalg::inv(a, d);
  }, arg("a"), arg("dtype"));

  la.def("inv_triangular", [](const Array& a, DType d, bool lower, bool unit, bool overwrite_a) {
    nb::gil_scoped_release release;
    return linalg::inv_triangular(a, d, lower, unit, overwrite_a);
  }, arg("a"), arg("dtype"), arg("lower"), arg("unit_diagonal"), arg("overwrite_a") = false);

  la.def("solve", [](const Array& a, const Array& b, DType d) {
    nb::gil_scoped_release release;
    return linalg::solve(a, b, d);
  }, arg("a"), arg("b"), arg("dtype"));

  la.def("solve_triangular", [](const Array& a, const Array& b, DType d, bool lower,
                                bool unit) {
    nb::gil_scoped_release release;
    return linalg::solve_triangular(a, b, d, lower, unit);
  }, arg("a"), arg("b"), arg("dtype"), arg("lower"), arg("unit_diagonal"));

  la.def("det", [](const Array& a, DType d) {
    Scalar s;
    {
      nb::gil_scoped_release release;
      s = linalg::det(a, d);
    }
    return scalar_to_python(s);
  }, arg("a"), arg("dtype"));

  la.def("slogdet", [](const Array& a, DType d) {
    linalg::SlogdetResult r;
    {
      nb::gil_scoped_release release;
      r = linalg::slogdet(a, d);
    }
    return nb::make_tuple(scalar_to_python(r.sign), r.logabsdet);
  }, arg("a"), arg("dtype"));

  la.def("eigh", [](const Array& a, DType d, bool lower, bool vectors) {
    nb::gil_scoped_release release;
    linalg::EighResult r = linalg::eigh(a, d, lower, vectors);
    return std::make_tuple(r.eigenvalues, r.eigenvectors);
  }, arg("a"), arg("dtype"), arg("lower"), arg("vectors"));

  la.def("eig", [](const Array& a, DType d, bool vectors) {
    nb::gil_scoped_release release;
    linalg::EigResult r = linalg::eig(a, d, vectors);
    return std::make_tuple(r.eigenvalues, r.eigenvectors);
  }, arg("a"), arg("dtype"), arg("vectors"));

  la.def("svdvals", [](const Array& a, DType d) {
    nb::gil_scoped_release release;
    return linalg::svdvals(a, d);
  }, arg("a"), arg("dtype"));

  la.def("svd", [](const Array& a, DType d, bool full_matrices) {
    nb::gil_scoped_release release;
    linalg::SvdResult r = linalg::svd(a, d, full_matrices);
    return std::make_tuple(r.u, r.s, r.vh);
  }, arg("a"), arg("dtype"), arg("full_matrices"));

  la.def("qr", [](const Array& a, DType d, const std::string& mode) {
    linalg::QrMode m = mode == "reduced"    ? linalg::QrMode::reduced
                       : mode == "complete" ? linalg::QrMode::complete
                       : mode == "r"        ? linalg::QrMode::r
                                            : throw ValueError("unknown qr mode '" + mode + "'");
    nb::gil_scoped_release release;
    linalg::QrResult r = linalg::qr(a, d, m);
    return std::make_tuple(r.q, r.r);
  }, arg("a"), arg("dtype"), arg("mode"));

  la.def("cholesky", [](const Array& a, DType d, bool upper) {
    nb::gil_scoped_release release;
    return linalg::cholesky(a, d, upper);
  }, arg("a"), arg("dtype"), arg("upper"));

  la.def("lstsq", [](const Array& a, const Array& b, DType d, double rcond) {
    nb::gil_scoped_release release;
    linalg::LstsqResult r = linalg::lstsq(a, b, d, rcond);
    return std::make_tuple(r.x, r.residuals, r.rank, r.s);
  }, arg("a"), arg("b"), arg("dtype"), arg("rcond"));

  la.def("pinv", [](const Array& a, DType d, double rcond) {
    nb::gil_scoped_release release;
    return linalg::pinv(a, d, rcond);
  }, arg("a"), arg("dtype"), arg("rcond"));

  la.def("wait_background", &linalg::wait_for_background, nb::call_guard<nb::gil_scoped_release>(),
         "Block until interrupted LAPACK calls still running in the background have finished.");

  la.def("vector_norm", &linalg::vector_norm, arg("a"), arg("ord"),
         nb::call_guard<nb::gil_scoped_release>());

  la.def("matrix_norm", [](const Array& a, const std::string& ord) {
    linalg::MatrixNorm o = parse_matrix_norm(ord);
    nb::gil_scoped_release release;
    return linalg::matrix_norm(a, o);
  }, arg("a"), arg("ord"));

  la.def("bit_product_dtype", [](std::int64_t k) { return bit_product_dtype(k); }, arg("k"),
         "The dtype of bit @ bit counts for inner dimension k (int32, or int64 past 2**31 - 1).");
  la.def("product_kernel_isa", &product_kernel_isa, "Instruction set of the product tile kernels in use.");

  la.def("eigh_antisymmetric", [](const Array& a, DType d, bool vectors) {
    nb::gil_scoped_release release;
    linalg::AntisymmetricEigResult r = linalg::eigh_antisymmetric(a, d, vectors);
    return std::make_tuple(r.eigenvalues, r.eigenvectors);
  }, arg("a"), arg("dtype"), arg("vectors"));
}
