#pragma once
// The BLAS/LAPACK we link: the scipy-openblas64 build (ILP64) that NumPy ships.
#include <cstdint>
#include <string>

namespace pycauset::blas {

/// x . y over n elements with strides incx, incy (BLAS ddot).
double dot(std::int64_t n, const double* x, std::int64_t incx, const double* y, std::int64_t incy);

/// OpenBLAS's own thread count, and its setter (n >= 1).
int num_threads();
void set_num_threads(int n);

/// OpenBLAS build description, e.g. "OpenBLAS 0.3.31 USE64BITINT DYNAMIC_ARCH ...".
std::string config();

/// Makes BLAS single-threaded for the lifetime of the guard, so BLAS calls
/// issued from inside a parallel_for region do not oversubscribe the cores.
/// The setting is process-wide: use it around a whole parallel region.
class SingleThreadScope {
 public:
  SingleThreadScope();
  ~SingleThreadScope();
  SingleThreadScope(const SingleThreadScope&) = delete;
  SingleThreadScope& operator=(const SingleThreadScope&) = delete;

 private:
  int saved_;
};

}  // namespace pycauset::blas
