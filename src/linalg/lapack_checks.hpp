#pragma once
// Shared by the in-RAM and out-of-core LAPACK routines: dispatch on the
// compute dtype, and the checks and errors that follow numpy.linalg's wording.
#include <complex>
#include <string>
#include <type_traits>

#include "lapack_api.hpp"
#include "pycauset/array/array.hpp"
#include "pycauset/core/error.hpp"

namespace pycauset::linalg::detail {

/// Calls f(std::type_identity<T>{}) with the C++ type of a LAPACK dtype.
template <class F> decltype(auto) visit_lapack(DType dtype, F&& f) {
  switch (dtype) {
    case DType::float32: return f(std::type_identity<float>{});
    case DType::float64: return f(std::type_identity<double>{});
    case DType::complex64: return f(std::type_identity<std::complex<float>>{});
    case DType::complex128: return f(std::type_identity<std::complex<double>>{});
    default: break;
  }
  throw TypeError("linear algebra computes in float32, float64, complex64 or complex128, not " +
                  std::string(dtype_name(dtype)));
}

/// n of an n x n matrix, or LinAlgError with NumPy's messages.
inline Array::index_t require_square(const Array& a) {
  if (a.ndim() != 2)
    throw LinAlgError(std::to_string(a.ndim()) +
                      "-dimensional array given. Array must be at least two-dimensional");
  if (a.shape(0) != a.shape(1)) throw LinAlgError("Last 2 dimensions of the array must be square");
  return a.shape(0);
}

/// INFO < 0 is a bug in the call (an illegal argument), never the user's input.
inline void check_arguments(lp_int info, const char* routine) {
  if (info < 0)
    throw Error(std::string("internal error: LAPACK ") + routine + " rejected argument " +
                std::to_string(-info));
}

[[noreturn]] inline void singular() { throw LinAlgError("Singular matrix"); }

}  // namespace pycauset::linalg::detail
