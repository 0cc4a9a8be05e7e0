// pycauset._core causal-set kernels: Array handles in, Array handles out; the
// GIL is released around the work.
#include <nanobind/nanobind.h>
#include <nanobind/stl/vector.h>

#include <vector>

#include "pycauset/causet/causal.hpp"
#include "pycauset/kernels/lightcone.hpp"

namespace nb = nanobind;
using namespace pycauset;

void bind_causet(nb::module_& m) {
  m.def("light_cone_kernel_isa", &light_cone_kernel_isa, "Instruction set of the causal-matrix kernel in use.");
  m.def(
      "causal_matrix",
      [](const Array& coords, const std::vector<double>& periods) {
        nb::gil_scoped_release release;
        return causet::causal_matrix(causet::PointSet(coords, periods));
      },
      nb::arg("coords"), nb::arg("periods"),
      "Strictly upper-triangular bit causal matrix of time-sorted points (rows t, x...).");
  m.def(
      "link_matrix",
      [](const Array& c, bool check) {
        nb::gil_scoped_release release;
        return causet::link_matrix(c, check);
      },
      nb::arg("c"), nb::arg("check_transitive") = false,
      "Link matrix of a causal matrix (optionally checking transitivity).");
  m.def(
      "check_causal_matrix",
      [](Array& c, bool transitive) {
        nb::gil_scoped_release release;
        causet::check_causal_matrix(c, transitive);
      },
      nb::arg("c"), nb::arg("transitive"), "Validate a strictly upper-triangular (transitive) relation.");
  m.def(
      "interval_abundances",
      [](const Array& c, std::int64_t kmax) {
        nb::gil_scoped_release release;
        return causet::interval_abundances(c, kmax);
      },
      nb::arg("c"), nb::arg("kmax"), "Counts of related pairs by interval size 0..kmax.");
  m.def(
      "longest_chain",
      [](const Array& links) {
        nb::gil_scoped_release release;
        return causet::longest_chain(links);
      },
      nb::arg("links"), "Number of elements of a longest chain.");
}
