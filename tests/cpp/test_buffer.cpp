#include <gtest/gtest.h>

#include <cstdint>

#include "pycauset/core/error.hpp"
#include "pycauset/storage/buffer.hpp"

using namespace pycauset;

TEST(RamBuffer, SmallAndLargeAreAlignedAndZeroed) {
  for (std::size_t size : {std::size_t(1), std::size_t(1000), std::size_t(3) << 20, std::size_t(9) << 20}) {
    auto b = RamBuffer::allocate(size, true);
    EXPECT_EQ(b->size(), size);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b->data()) % 64, 0u);
    if (size >= (std::size_t(4) << 20)) {
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b->data()) % (2 << 20), 0u);
    }
    for (std::size_t i = 0; i < size + 8; i += 4093) EXPECT_EQ(b->data()[i], std::byte{0});
    EXPECT_EQ(b->data()[size + 7], std::byte{0});  // slack is zeroed too
    EXPECT_EQ(b->kind(), StorageKind::ram);
  }
}

TEST(RamBuffer, AccountsBytes) {
  std::size_t before = ram_bytes_in_use();
  {
    auto b = RamBuffer::allocate(12345, false);
    EXPECT_EQ(ram_bytes_in_use(), before + 12345);
  }
  EXPECT_EQ(ram_bytes_in_use(), before);
}

TEST(RamBuffer, PinsAreCounted) {
  auto b = RamBuffer::allocate(64, false);
  {
    BufferPin p1(b), p2(b);
    EXPECT_EQ(b->pins(), 2);
  }
  EXPECT_EQ(b->pins(), 0);
}

TEST(RamBuffer, ImpossibleAllocationThrows) {
  EXPECT_THROW(RamBuffer::allocate(std::size_t(1) << 62, false), MemoryError);
}
