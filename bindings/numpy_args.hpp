#pragma once
// The NumPy side of the binding boundary, in one place: NumPy arrays and
// Python scalars as core types.
//
// A binding that reads or writes NumPy memory takes the array itself as a
// `NumpyIn` (read) or `NumpyOut` (write) argument. nanobind's ndarray caster
// accepts any dtype and any element strides; the nb::ndarray holds a reference
// to the NumPy array, so the memory stays alive for the whole C++ call, GIL
// released or not, whatever the Python caller does with its own reference.
// `strided_ref` maps the array's dtype to the core `DType` (NumPy's one-byte
// bools read and write as uint8 0/1) and its element strides to byte strides.
//
// Dtypes cross as the `DType` enum (bound in bind_core.cpp); no binding parses
// dtype names. Arrays the caster cannot describe (non-native byte order, byte
// strides that are not a multiple of the item size) are made native and
// aligned by the Python package before the call (_array._prepare_numpy).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstdint>
#include <string>

#include "pycauset/core/dtype.hpp"
#include "pycauset/core/error.hpp"
#include "pycauset/core/scalar.hpp"
#include "pycauset/kernels/convert.hpp"

namespace pycauset::bindings {

namespace nb = nanobind;

/// A NumPy array (or any DLPack / buffer-protocol CPU array) to read from:
/// any dtype, any strides, read-only arrays accepted.
using NumpyIn = nb::ndarray<nb::ro, nb::device::cpu>;
/// A writeable NumPy array to write into: any dtype, any strides.
using NumpyOut = nb::ndarray<nb::device::cpu>;
/// A read-only, C-contiguous 1-D array of int64 indices (other integer dtypes are
/// converted by nanobind before the call).
using IndexArray = nb::ndarray<nb::ro, const std::int64_t, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

/// The core dtype that reads or writes elements of a NumPy array of dtype `d`.
/// NumPy's bool (one byte holding 0 or 1) is read and written as uint8.
inline DType kernel_dtype(nb::dlpack::dtype d) {
  using code = nb::dlpack::dtype_code;
  if (d.lanes == 1) {
    switch (code(d.code)) {
      case code::Bool:
        if (d.bits == 8) return DType::uint8;
        break;
      case code::Int:
        switch (d.bits) {
          case 8: return DType::int8;
          case 16: return DType::int16;
          case 32: return DType::int32;
          case 64: return DType::int64;
        }
        break;
      case code::UInt:
        switch (d.bits) {
          case 8: return DType::uint8;
          case 16: return DType::uint16;
          case 32: return DType::uint32;
          case 64: return DType::uint64;
        }
        break;
      case code::Float:
        switch (d.bits) {
          case 16: return DType::float16;
          case 32: return DType::float32;
          case 64: return DType::float64;
        }
        break;
      case code::Complex:
        switch (d.bits) {
          case 64: return DType::complex64;
          case 128: return DType::complex128;
        }
        break;
      default: break;
    }
  }
  throw TypeError("NumPy arrays of this dtype (DLPack code " + std::to_string(int(d.code)) + ", " +
                  std::to_string(int(d.bits)) + " bits) are not supported; pycauset reads and writes "
                  "bool, int8-64, uint8-64, float16/32/64, complex64 and complex128");
}

/// The StridedRef of a 1-D or 2-D array (a vector is one row), byte strides.
template <class... Args>
StridedRef strided_ref(const nb::ndarray<Args...>& a) {
  const std::size_t nd = a.ndim();
  if (nd < 1 || nd > 2)
    throw ValueError("expected a 1-D or 2-D NumPy array, got " + std::to_string(nd) + " dimensions");
  StridedRef r;
  r.dtype = kernel_dtype(a.dtype());
  r.data = reinterpret_cast<std::byte*>(const_cast<void*>(static_cast<const void*>(a.data())));
  const auto item = std::int64_t(a.itemsize());
  if (nd == 2) {
    r.rows = std::int64_t(a.shape(0));
    r.cols = std::int64_t(a.shape(1));
    r.s0 = std::int64_t(a.stride(0)) * item;
    r.s1 = std::int64_t(a.stride(1)) * item;
  } else {
    r.rows = 1;
    r.cols = std::int64_t(a.shape(0));
    r.s0 = 0;
    r.s1 = std::int64_t(a.stride(0)) * item;
  }
  return r;
}

/// A Python bool/int/float/complex as a core Scalar (NumPy scalars arrive as
/// Python values: the package calls `.item()` first).
inline Scalar scalar_from_python(nb::handle v) {
  PyObject* o = v.ptr();
  if (PyBool_Check(o)) return Scalar::of_bool(o == Py_True);
  if (PyLong_Check(o)) {
    int overflow = 0;
    long long i = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (!overflow) return Scalar::of_int(i);
    if (overflow > 0) {
      unsigned long long u = PyLong_AsUnsignedLongLong(o);
      if (!PyErr_Occurred()) return Scalar::of_uint(u);
      PyErr_Clear();
    }
    throw OverflowError("Python integer " + nb::cast<std::string>(nb::str(v)) +
                        " is out of bounds for every pycauset integer dtype");
  }
  if (PyFloat_Check(o)) return Scalar::of_float(PyFloat_AsDouble(o));
  if (PyComplex_Check(o)) return Scalar::of_complex({PyComplex_RealAsDouble(o), PyComplex_ImagAsDouble(o)});
  throw TypeError("expected a bool, int, float or complex value, got " +
                  nb::cast<std::string>(nb::str(v.type())));
}

/// A core Scalar as the Python value of its kind.
inline nb::object scalar_to_python(const Scalar& s) {
  switch (s.kind) {
    case Scalar::Kind::boolean: return nb::bool_(s.i != 0);
    case Scalar::Kind::signed_int: return nb::int_(s.i);
    case Scalar::Kind::unsigned_int: return nb::steal(PyLong_FromUnsignedLongLong(s.u));
    case Scalar::Kind::floating: return nb::float_(s.c.real());
    case Scalar::Kind::complex: return nb::steal(PyComplex_FromDoubles(s.c.real(), s.c.imag()));
  }
  return nb::none();
}

}  // namespace pycauset::bindings
