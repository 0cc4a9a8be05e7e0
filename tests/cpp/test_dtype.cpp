#include <gtest/gtest.h>

#include "pycauset/core/dtype.hpp"

using namespace pycauset;

TEST(DType, TableIsIndexedByCode) {
  ASSERT_EQ(all_dtypes().size(), std::size_t(kNumDTypes));
  for (std::size_t i = 0; i < all_dtypes().size(); ++i)
    EXPECT_EQ(std::size_t(all_dtypes()[i].id), i);
}

TEST(DType, ItemsizesMatchCppTypes) {
  for (const auto& info : all_dtypes()) {
    visit_dtype(info.id, [&]<class T>(std::type_identity<T>) {
      if constexpr (std::is_same_v<T, bit_tag>) EXPECT_EQ(info.bits, 1u);
      else EXPECT_EQ(info.itemsize(), sizeof(T)) << info.name;
    });
  }
}

TEST(DType, NamesRoundTrip) {
  for (const auto& info : all_dtypes()) EXPECT_EQ(dtype_from_name(info.name), info.id);
  EXPECT_EQ(dtype_from_name("complex_float64"), DType::complex128);
  EXPECT_FALSE(dtype_from_name("object").has_value());
}

TEST(DType, InvalidCodeThrows) { EXPECT_THROW(dtype_info(DType(200)), TypeError); }

TEST(DType, RealDtypeOfComplexIsItsComponent) {
  // NumPy: np.complex64().real is float32, np.complex128().real is float64.
  EXPECT_EQ(real_dtype(DType::complex64), DType::float32);
  EXPECT_EQ(real_dtype(DType::complex128), DType::float64);
  for (const auto& info : all_dtypes()) {
    if (info.kind != DTypeKind::complex) {
      EXPECT_EQ(real_dtype(info.id), info.id) << info.name;
    }
  }
  static_assert(real_dtype(DType::complex64) == DType::float32);  // usable at compile time
}
