// pycauset._core causal-set kernels: Array handles in, Array handles out; the
// GIL is released around the work.
#include <nanobind/nanobind.h>
#include <nanobind/stl/vector.h>

#include <vector>

#include "pycauset/causet/causal.hpp"

namespace nb = nanobind;
using namespace pycauset;

void bind_causet(nb::module_& m) {
  m.def(
      "causal_matrix",
      [](const Array& coords, const std::vector<double>& periods) {
        nb::gil_scoped_release release;
        return causet::causal_matrix(causet::PointSet(coords, periods));
      },
      nb::arg("coords"), nb::arg("periods"),
      "Strictly upper-triangular bit causal matrix of time-sorted points (rows t, x...).");
}
