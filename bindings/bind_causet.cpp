// pycauset._core causal-set kernels: Array handles in, Array handles out; the
// GIL is released around the work.
#include <nanobind/nanobind.h>
#include <nanobind/stl/pair.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/vector.h>

#include <string>
#include <vector>

#include "pycauset/causet/causal.hpp"
#include "pycauset/causet/counting.hpp"
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
  m.def(
      "chain_count",
      [](const Array& c, std::int64_t k) {
        nb::gil_scoped_release release;
        const causet::Count128 r = causet::chain_count(c, k);
        return std::make_pair(r.hi, r.lo);
      },
      nb::arg("c"), nb::arg("k"), "Number of k-element chains as (high, low) 64-bit halves of a 128-bit count.");

  // Row blocks of a causal matrix for builders outside the core (pycauset._dask).
  using Words = nb::ndarray<std::uint64_t, nb::ndim<2>, nb::c_contig, nb::device::cpu>;
  nb::class_<causet::PointSet>(m, "PointSet")
      .def("__init__", [](causet::PointSet* self, const Array& coords, const std::vector<double>& periods) {
        nb::gil_scoped_release release;
        new (self) causet::PointSet(coords, periods);
      }, nb::arg("coords"), nb::arg("periods"))
      .def_prop_ro("size", &causet::PointSet::size)
      .def("relation_words", [](const causet::PointSet& p, std::int64_t r0, std::int64_t r1, std::int64_t w0,
                                std::int64_t w1, Words out) {
        p.check_block(r0, r1, w0, w1);
        if (std::int64_t(out.shape(0)) != r1 - r0 || std::int64_t(out.shape(1)) < w1 - w0)
          throw ValueError("out must have r1 - r0 rows and at least w1 - w0 columns");
        nb::gil_scoped_release release;
        p.relation_words(r0, r1, w0, w1, out.data(), std::int64_t(out.shape(1)));
      }, nb::arg("r0"), nb::arg("r1"), nb::arg("w0"), nb::arg("w1"), nb::arg("out").noconvert(),
      "Words [w0, w1) of rows [r0, r1) of the causal matrix into out (uint64, C order).");
}
