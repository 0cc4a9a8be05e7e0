#include "pycauset/linalg/blas.hpp"

#include <cblas.h>

#include "blas_api.hpp"
#include "pycauset/core/error.hpp"


namespace pycauset::blas {

double dot(std::int64_t n, const double* x, std::int64_t incx, const double* y, std::int64_t incy) {
  return linalg::detail::Blas<double>::dot(n, x, incx, y, incy);
}

int num_threads() { return scipy_openblas_get_num_threads64_(); }

void set_num_threads(int n) {
  if (n < 1) throw ValueError("number of BLAS threads must be >= 1");
  scipy_openblas_set_num_threads64_(n);
}

std::string config() { return scipy_openblas_get_config64_(); }

SingleThreadScope::SingleThreadScope() : saved_(num_threads()) {
  if (saved_ != 1) scipy_openblas_set_num_threads64_(1);
}
SingleThreadScope::~SingleThreadScope() {
  if (saved_ != 1) scipy_openblas_set_num_threads64_(saved_);
}

}  // namespace pycauset::blas
