// pycauset.linalg: LAPACK-backed routines.
#include <nanobind/nanobind.h>

namespace nb = nanobind;

void bind_linalg(nb::module_&) {}
