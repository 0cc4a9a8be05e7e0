#include "pycauset/core/dtype.hpp"

#include <array>

namespace pycauset {
namespace {

constexpr std::array<DTypeInfo, kNumDTypes> kTable{{
    {DType::bit, "bit", DTypeKind::boolean, 1},
    {DType::int8, "int8", DTypeKind::signed_int, 8},
    {DType::int16, "int16", DTypeKind::signed_int, 16},
    {DType::int32, "int32", DTypeKind::signed_int, 32},
    {DType::int64, "int64", DTypeKind::signed_int, 64},
    {DType::uint8, "uint8", DTypeKind::unsigned_int, 8},
    {DType::uint16, "uint16", DTypeKind::unsigned_int, 16},
    {DType::uint32, "uint32", DTypeKind::unsigned_int, 32},
    {DType::uint64, "uint64", DTypeKind::unsigned_int, 64},
    {DType::float16, "float16", DTypeKind::floating, 16},
    {DType::float32, "float32", DTypeKind::floating, 32},
    {DType::float64, "float64", DTypeKind::floating, 64},
    {DType::complex64, "complex_float32", DTypeKind::complex, 64},
    {DType::complex128, "complex_float64", DTypeKind::complex, 128},
}};

}  // namespace

const DTypeInfo& dtype_info(DType dtype) {
  auto i = static_cast<std::size_t>(dtype);
  if (i >= kTable.size()) throw TypeError("invalid dtype code " + std::to_string(i));
  return kTable[i];
}

std::span<const DTypeInfo> all_dtypes() { return kTable; }

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const auto& info : kTable)
    if (info.name == name) return info.id;
  return std::nullopt;
}

}  // namespace pycauset
