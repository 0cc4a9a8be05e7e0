#pragma once
// Conversion kernels: copy-with-cast between any two strided 2-D regions,
// packing and unpacking bits on the way, and filling with a scalar.
#include <cstddef>
#include <cstdint>

#include "pycauset/core/dtype.hpp"
#include "pycauset/core/scalar.hpp"

namespace pycauset {

/// A strided 2-D view of elements in memory the caller owns (a vector is one row).
/// Byte dtypes: element (i, j) lives at data + i*s0 + j*s1, strides in bytes.
/// Bit dtype:   element (i, j) is bit (bit_offset + i*s0 + j*s1) of the byte
///              array at data, bits numbered little-endian within each byte.
/// A NumPy bool array is described as uint8 (values 0/1).
struct StridedRef {
  std::byte* data = nullptr;
  DType dtype = DType::float64;
  std::int64_t rows = 0, cols = 0;
  std::int64_t s0 = 0, s1 = 0;
  std::int64_t bit_offset = 0;
};

/// dst[i, j] = cast(src[i, j]) for every element. Shapes must match
/// (ValueError). Casts follow C++ conversion for numbers, take the real part
/// for complex to real, and "nonzero" into bit; callers enforce casting rules.
/// Regions must not overlap. Runs on the thread pool above ~1 MiB.
void convert(const StridedRef& src, const StridedRef& dst);

/// Sets every element of dst to v (after scalar_to<T> checks).
void fill(const StridedRef& dst, const Scalar& v);

/// Instruction set of the kernels in use: "avx512", "avx2" or "baseline".
const char* kernel_isa();

namespace detail {
/// Packs n bytes (nonzero -> 1) into bits starting at bit 0 of `words`.
/// Trailing bits of the last word beyond n are cleared.
void pack_bytes(const std::uint8_t* src, std::int64_t n, std::uint64_t* words);
/// Unpacks n bits starting at bit 0 of `words` into bytes of value 0/1.
void unpack_bytes(const std::uint64_t* words, std::int64_t n, std::uint8_t* dst);
}  // namespace detail

}  // namespace pycauset
