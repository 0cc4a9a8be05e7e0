// pycauset._core: the private extension module. Each component registers its
// bindings from this one list; the Python package re-exports what users see.
#include <nanobind/nanobind.h>

#include <cstdlib>

namespace nb = nanobind;

void bind_core(nb::module_& m);
void bind_array(nb::module_& m);
void bind_storage(nb::module_& m);
void bind_linalg(nb::module_& m);
void bind_ops(nb::module_& m);
void bind_causet(nb::module_& m);

NB_MODULE(_core, m) {
  m.doc() = "pycauset's C++ engine (private: import pycauset instead)";
  // NumPy 2.4 leaks a reference when a reduce/accumulate override declines
  // (e.g. np.add.accumulate(A)), which makes nanobind report "leaked instances"
  // at exit. Reports stay available for debugging with PYCAUSET_DEBUG_LEAKS=1.
  nb::set_leak_warnings(std::getenv("PYCAUSET_DEBUG_LEAKS") != nullptr);
  bind_core(m);
  bind_array(m);
  bind_storage(m);
  bind_ops(m);
  bind_linalg(m);
  bind_causet(m);
}
