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

TEST(ExportBlock, IsOutsideTheBudgetAndGoesBackToTheCache) {
  release_cached_ram();
  const std::size_t size = std::size_t(8) << 20;
  const std::size_t used = ram_bytes_in_use();
  {
    auto b = ExportBlock::allocate(size);
    EXPECT_FALSE(b->reused());  // the cache was empty: a fresh mapping
    EXPECT_EQ(b->size(), size);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b->data()) % (2 << 20), 0u);
    EXPECT_EQ(ram_bytes_in_use(), used);  // the user's memory, not pycauset's
    b->data()[0] = std::byte{1};
    b->data()[size - 1] = std::byte{2};
  }
  EXPECT_GE(ram_bytes_cached(), size);  // freed: kept for reuse
  {
    auto b = ExportBlock::allocate(size);
    EXPECT_TRUE(b->reused());
    EXPECT_EQ(ram_bytes_cached(), 0u);
  }
  release_cached_ram();
  EXPECT_EQ(ram_bytes_cached(), 0u);
}

TEST(ExportBlock, ReusesFreedRamBuffersAndViceVersa) {
  release_cached_ram();
  const std::size_t size = (std::size_t(6) << 20) - 100;  // both round to a 6 MiB mapping
  RamBuffer::allocate(size, false);  // freed at once: its mapping goes to the cache
  ASSERT_GE(ram_bytes_cached(), size);
  { EXPECT_TRUE(ExportBlock::allocate(size)->reused()); }
  auto r = RamBuffer::allocate(size, false);  // takes the export's mapping back
  EXPECT_EQ(ram_bytes_cached(), 0u);
  EXPECT_EQ(r->data()[size], std::byte{0});  // slack zeroed on reuse
  r.reset();
  release_cached_ram();
}

TEST(ExportBlock, SmallBlocksUseTheHeap) {
  release_cached_ram();
  auto b = ExportBlock::allocate(1000);
  EXPECT_FALSE(b->reused());
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b->data()) % 64, 0u);
  b.reset();
  EXPECT_EQ(ram_bytes_cached(), 0u);
}
