#pragma once
// Template definitions of scalar_to / scalar_from, included where instantiated
// (core, array and the conversion kernels). Private to the core library.
#include <cmath>
#include <limits>
#include <string>

#include "pycauset/core/scalar.hpp"

namespace pycauset {

template <class T> T scalar_to(const Scalar& s) {
  using K = Scalar::Kind;
  if constexpr (std::is_same_v<T, bool>) {
    return s.nonzero();
  } else if constexpr (is_complex_v<T>) {
    using R = typename T::value_type;
    if (s.kind == K::signed_int) return T(R(s.i), R(0));
    if (s.kind == K::unsigned_int) return T(R(s.u), R(0));
    return T(R(s.c.real()), R(s.c.imag()));
  } else {
    if (s.kind == K::complex)
      throw TypeError("cannot assign a complex value to a real dtype; take .real or abs() first");
    if constexpr (std::is_integral_v<T>) {
      using L = std::numeric_limits<T>;
      auto out_of_range = [](const std::string& v) {
        return OverflowError("value " + v + " is out of bounds for the integer dtype (range " +
                             std::to_string(+L::min()) + " to " + std::to_string(+L::max()) + ")");
      };
      if (s.kind == K::signed_int || s.kind == K::boolean) {
        if constexpr (std::is_signed_v<T>) {
          if (s.i < std::int64_t(L::min()) || s.i > std::int64_t(L::max()))
            throw out_of_range(std::to_string(s.i));
        } else {
          if (s.i < 0 || std::uint64_t(s.i) > std::uint64_t(L::max()))
            throw out_of_range(std::to_string(s.i));
        }
        return T(s.i);
      }
      if (s.kind == K::unsigned_int) {
        if (s.u > std::uint64_t(L::max())) throw out_of_range(std::to_string(s.u));
        return T(s.u);
      }
      double v = s.c.real();
      if (std::isnan(v)) throw ValueError("cannot convert float NaN to an integer");
      if (std::isinf(v)) throw OverflowError("cannot convert float infinity to an integer");
      double t = std::trunc(v);
      // 2^63 and 2^64 are exact doubles; compare in double to avoid UB in the cast.
      if (t < double(L::min()) || t >= double(L::max()) + 1.0) throw out_of_range(std::to_string(v));
      return T(t);
    } else {  // floating
      if (s.kind == K::signed_int) return T(s.i);
      if (s.kind == K::unsigned_int) return T(s.u);
      return T(s.c.real());
    }
  }
}

template <class T> Scalar scalar_from(T v) {
  if constexpr (std::is_same_v<T, bool>) return Scalar::of_bool(v);
  else if constexpr (is_complex_v<T>) return Scalar::of_complex({double(v.real()), double(v.imag())});
  else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) return Scalar::of_int(v);
  else if constexpr (std::is_integral_v<T>) return Scalar::of_uint(v);
  else return Scalar::of_float(double(v));
}

}  // namespace pycauset
