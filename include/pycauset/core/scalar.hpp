#pragma once
// A dtype-tagged single value, used to get and set elements and to fill.
#include <complex>
#include <cstdint>

#include "pycauset/core/dtype.hpp"

namespace pycauset {

/// One element value in the widest type of its kind.
struct Scalar {
  enum class Kind { boolean, signed_int, unsigned_int, floating, complex };
  Kind kind = Kind::signed_int;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  std::complex<double> c{};  // floating values use c.real()

  static Scalar of_bool(bool v) { return {Kind::boolean, v, v, {v ? 1.0 : 0.0, 0.0}}; }
  static Scalar of_int(std::int64_t v) { return {Kind::signed_int, v, 0, {double(v), 0.0}}; }
  static Scalar of_uint(std::uint64_t v) { return {Kind::unsigned_int, 0, v, {double(v), 0.0}}; }
  static Scalar of_float(double v) { return {Kind::floating, 0, 0, {v, 0.0}}; }
  static Scalar of_complex(std::complex<double> v) { return {Kind::complex, 0, 0, v}; }

  bool nonzero() const {
    switch (kind) {
      case Kind::boolean:
      case Kind::signed_int: return i != 0;
      case Kind::unsigned_int: return u != 0;
      default: return c != std::complex<double>(0.0, 0.0);
    }
  }
};

/// Converts a scalar to element type T with NumPy's rules for assignment:
/// integers must fit (OverflowError), NaN/inf into integers is a ValueError,
/// floats truncate toward zero into integers, complex into a non-complex type
/// is a TypeError, anything into bool is "nonzero".
template <class T> T scalar_to(const Scalar& s);

/// Reads element type T back into a Scalar of the matching kind.
template <class T> Scalar scalar_from(T v);

}  // namespace pycauset
