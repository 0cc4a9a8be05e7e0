#pragma once
// The element types pycauset stores, their facts, and compile-time dispatch.
#include <complex>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "pycauset/core/error.hpp"

namespace pycauset {

/// Element type of a Matrix or Vector. `bit` is packed 8 per byte.
/// The numeric values are stable: the file format stores them.
enum class DType : std::uint8_t {
  bit = 0,
  int8 = 1,
  int16 = 2,
  int32 = 3,
  int64 = 4,
  uint8 = 5,
  uint16 = 6,
  uint32 = 7,
  uint64 = 8,
  float16 = 9,
  float32 = 10,
  float64 = 11,
  complex64 = 12,
  complex128 = 13,
};
inline constexpr int kNumDTypes = 14;

enum class DTypeKind : char {
  boolean = 'b',
  signed_int = 'i',
  unsigned_int = 'u',
  floating = 'f',
  complex = 'c',
};

/// Static facts about a dtype.
struct DTypeInfo {
  DType id;
  std::string_view name;  ///< pycauset token, e.g. "complex_float64"
  DTypeKind kind;
  std::size_t bits;  ///< bits per element: 1 for bit, 8 * itemsize otherwise
  constexpr std::size_t itemsize() const { return bits / 8; }  ///< 0 for bit
};

const DTypeInfo& dtype_info(DType dtype);
std::span<const DTypeInfo> all_dtypes();
/// Looks up a pycauset token ("float64", "complex_float32", "bit", ...).
std::optional<DType> dtype_from_name(std::string_view name);
inline std::string_view dtype_name(DType d) { return dtype_info(d).name; }

/// The real dtype of a complex one (complex64 -> float32, complex128 -> float64);
/// every other dtype is its own real dtype. What `.real`, `abs` and the real
/// results of LAPACK routines (eigenvalues of Hermitian matrices, singular
/// values, norms) have.
constexpr DType real_dtype(DType d) {
  switch (d) {
    case DType::complex64: return DType::float32;
    case DType::complex128: return DType::float64;
    default: return d;
  }
}

using float16_t = _Float16;

/// Tag passed to visitors for the packed bit dtype (it has no C++ element type).
struct bit_tag {};

/// C++ element type of each byte-addressable dtype.
template <DType D> struct dtype_type;
template <> struct dtype_type<DType::bit> { using type = bit_tag; };
template <> struct dtype_type<DType::int8> { using type = std::int8_t; };
template <> struct dtype_type<DType::int16> { using type = std::int16_t; };
template <> struct dtype_type<DType::int32> { using type = std::int32_t; };
template <> struct dtype_type<DType::int64> { using type = std::int64_t; };
template <> struct dtype_type<DType::uint8> { using type = std::uint8_t; };
template <> struct dtype_type<DType::uint16> { using type = std::uint16_t; };
template <> struct dtype_type<DType::uint32> { using type = std::uint32_t; };
template <> struct dtype_type<DType::uint64> { using type = std::uint64_t; };
template <> struct dtype_type<DType::float16> { using type = float16_t; };
template <> struct dtype_type<DType::float32> { using type = float; };
template <> struct dtype_type<DType::float64> { using type = double; };
template <> struct dtype_type<DType::complex64> { using type = std::complex<float>; };
template <> struct dtype_type<DType::complex128> { using type = std::complex<double>; };

template <class T> inline constexpr bool is_complex_v = false;
template <class T> inline constexpr bool is_complex_v<std::complex<T>> = true;

/// Calls `f(std::type_identity<T>{})` with the element type of `dtype`
/// (`bit_tag` for bit). All branches must return the same type.
template <class F> decltype(auto) visit_dtype(DType dtype, F&& f) {
  switch (dtype) {
#define PYCAUSET_CASE(D) \
  case DType::D:         \
    return f(std::type_identity<typename dtype_type<DType::D>::type>{});
    PYCAUSET_CASE(bit)
    PYCAUSET_CASE(int8)
    PYCAUSET_CASE(int16)
    PYCAUSET_CASE(int32)
    PYCAUSET_CASE(int64)
    PYCAUSET_CASE(uint8)
    PYCAUSET_CASE(uint16)
    PYCAUSET_CASE(uint32)
    PYCAUSET_CASE(uint64)
    PYCAUSET_CASE(float16)
    PYCAUSET_CASE(float32)
    PYCAUSET_CASE(float64)
    PYCAUSET_CASE(complex64)
    PYCAUSET_CASE(complex128)
#undef PYCAUSET_CASE
  }
  throw TypeError("invalid dtype code");
}

}  // namespace pycauset
