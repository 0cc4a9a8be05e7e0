// The governor's budget API (storage/governor.hpp): what the budget leaves,
// tiles it accounts for, the tile-size helper, the reuse cache, and the one
// probe of the system's memory (checked against /proc and /sys read here).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "pycauset/storage/buffer.hpp"
#include "pycauset/storage/governor.hpp"

using namespace pycauset;

namespace {

constexpr std::size_t MiB = std::size_t(1) << 20;

class Budget : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = memory_limit();
    release_cached_ram();
  }
  void TearDown() override {
    set_memory_limit(saved_);
    release_cached_ram();
  }
  /// Sets the limit so that exactly `free` bytes are left (nothing cached).
  void leave_free(std::size_t free) {
    release_cached_ram();
    set_memory_limit(ram_bytes_in_use() + free);
  }
  std::size_t saved_ = 0;
};

/// Puts a freed mapping of `bytes` (rounded up to its page size) into the
/// reuse cache; returns how much the cache holds then.
std::size_t fill_cache(std::size_t bytes) {
  {
    auto b = RamBuffer::allocate(bytes, false);
    b->data()[0] = std::byte{1};  // touch it
  }
  return ram_bytes_cached();
}

std::string read_word(const char* path) {
  std::ifstream f(path);
  std::string w;
  f >> w;
  return w;
}

}  // namespace

TEST_F(Budget, AvailableRamIsWhatTheLimitLeaves) {
  leave_free(10 * MiB);
  EXPECT_EQ(available_ram(), 10 * MiB);
  EXPECT_TRUE(fits_in_budget(10 * MiB));
  EXPECT_FALSE(fits_in_budget(10 * MiB + 1));
  {
    auto held = RamBuffer::allocate(3 * MiB, false);
    EXPECT_EQ(available_ram(), 7 * MiB);
  }
  // The freed mapping (3 MiB rounded up to pages) waits in the reuse cache, which still counts.
  const std::size_t cached = ram_bytes_cached();
  EXPECT_GE(cached, 3 * MiB);
  EXPECT_EQ(available_ram(), 10 * MiB - cached);
  release_cached_ram();
  EXPECT_EQ(available_ram(), 10 * MiB);
}

TEST_F(Budget, AvailableRamNeverNegative) {
  auto held = RamBuffer::allocate(2 * MiB, false);
  set_memory_limit(MiB);  // below what is held
  EXPECT_EQ(available_ram(), 0u);
  EXPECT_TRUE(fits_in_budget(0));
  EXPECT_FALSE(fits_in_budget(1));
}

TEST_F(Budget, AllocateTileIsAccounted) {
  leave_free(64 * MiB);
  const std::size_t before = ram_bytes_in_use();
  {
    auto tile = allocate_tile(5 * MiB);
    ASSERT_NE(tile, nullptr);
    EXPECT_EQ(tile->kind(), StorageKind::ram);
    EXPECT_GE(tile->size(), 5 * MiB);
    EXPECT_EQ(ram_bytes_in_use(), before + tile->size());
    EXPECT_EQ(available_ram(), 64 * MiB - tile->size());
    tile->data()[5 * MiB - 1] = std::byte{7};  // writable to its end
  }
  EXPECT_EQ(ram_bytes_in_use(), before);
  auto zeroed = allocate_tile(2 * MiB, true);
  for (std::size_t i = 0; i < 2 * MiB; i += 4093) {
    ASSERT_EQ(zeroed->data()[i], std::byte{0});
  }
  EXPECT_GE(allocate_tile(0)->size(), 1u);  // at least one byte
}

TEST_F(Budget, AllocateTileReleasesTheCacheFirst) {
  leave_free(16 * MiB);
  const std::size_t cached = fill_cache(8 * MiB);  // 10 MiB: huge-page rounding
  ASSERT_GE(cached, 8 * MiB);
  ASSERT_LE(cached, 10 * MiB);
  {
    auto fits_beside = allocate_tile(2 * MiB);  // 10 + 2 <= 16: the cache stays
    EXPECT_EQ(ram_bytes_cached(), cached);
  }
  release_cached_ram();
  fill_cache(8 * MiB);
  auto needs_room = allocate_tile(12 * MiB);  // 10 + 12 > 16: the cache goes
  EXPECT_EQ(ram_bytes_cached(), 0u);
  EXPECT_EQ(available_ram(), 16 * MiB - needs_room->size());
}

TEST_F(Budget, AllocateTilePastTheBudgetStillAllocatesInRam) {
  leave_free(MiB);
  auto tile = allocate_tile(4 * MiB);
  EXPECT_EQ(tile->kind(), StorageKind::ram);
  EXPECT_EQ(available_ram(), 0u);
}

TEST_F(Budget, RamForTilesReleasesTheCache) {
  leave_free(40 * MiB);
  const std::size_t cached = fill_cache(8 * MiB);
  ASSERT_GT(cached, 0u);
  EXPECT_EQ(available_ram(), 40 * MiB - cached);
  EXPECT_EQ(ram_for_tiles(0.5), 20 * MiB);  // half of all 40 MiB: the cache was let go
  EXPECT_EQ(ram_bytes_cached(), 0u);
  EXPECT_EQ(ram_for_tiles(1.0), 40 * MiB);
}

TEST_F(Budget, LargestFittingAgainstALinearScan) {
  leave_free(1000000);
  for (double share : {1.0, 0.92, 0.5, 0.01}) {
    for (auto per : {std::size_t(1), std::size_t(8), std::size_t(4096), std::size_t(333333)}) {
      auto bytes = [&](std::int64_t w) { return 300.0 + double(per) * double(w) * double(w); };  // quadratic
      const std::int64_t lo = 3, hi = 5000;
      std::int64_t want = lo;
      for (std::int64_t w = lo; w <= hi; ++w)
        if (bytes(w) <= share * 1000000.0) want = w;
      EXPECT_EQ(largest_fitting(lo, hi, bytes, share), want) << "share " << share << ", per " << per;
    }
  }
  auto linear = [](std::int64_t w) { return std::size_t(w) * 1000; };
  EXPECT_EQ(largest_fitting(1, 10, linear, 1.0), 10);    // everything fits: hi
  EXPECT_EQ(largest_fitting(1, 5000, linear, 1.0), 1000);
  EXPECT_EQ(largest_fitting(1, 5000, linear, 0.5), 500);
  EXPECT_EQ(largest_fitting(2000, 5000, linear, 1.0), 2000);  // none fits: lo
  EXPECT_EQ(largest_fitting(7, 3, linear, 1.0), 7);           // empty range: lo
  leave_free(1);  // (a limit must be positive)
  EXPECT_EQ(largest_fitting(32, 100, linear, 0.92), 32);
}

TEST_F(Budget, CgroupLimitMatchesTheFileSystem) {
  // v2 first, then v1 (whose "no limit" is a number near 2**63).
  std::size_t want = 0;
  const std::string v2 = read_word("/sys/fs/cgroup/memory.max");
  if (!v2.empty() && v2 != "max") {
    want = std::stoull(v2);
  } else if (v2.empty()) {
    const std::string v1 = read_word("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    if (!v1.empty() && std::stoull(v1) < (std::uint64_t(1) << 62)) want = std::stoull(v1);
  }
  EXPECT_EQ(cgroup_memory_limit(), want);
  const std::size_t phys = std::size_t(sysconf(_SC_PHYS_PAGES)) * std::size_t(sysconf(_SC_PAGESIZE));
  const std::size_t expect_default = (want > 0 && want < phys ? want : phys) / 2;
  EXPECT_EQ(default_memory_limit(), expect_default);
}

TEST_F(Budget, SystemAvailableMemoryMatchesProcMeminfo) {
  std::ifstream f("/proc/meminfo");
  std::string line;
  std::size_t kib = 0;
  while (std::getline(f, line))
    if (line.rfind("MemAvailable:", 0) == 0) std::istringstream(line.substr(13)) >> kib;
  const auto got = system_available_memory();
  if (kib == 0) {
    EXPECT_FALSE(got.has_value());
    return;
  }
  ASSERT_TRUE(got.has_value());
  EXPECT_GT(*got, 0u);
  std::size_t bound = kib * 1024;
  if (std::size_t limit = cgroup_memory_limit(); limit > 0) {
    std::string used = read_word("/sys/fs/cgroup/memory.current");
    if (used.empty()) used = read_word("/sys/fs/cgroup/memory/memory.usage_in_bytes");
    if (!used.empty()) {
      const std::size_t u = std::size_t(std::stoull(used));
      bound = std::min(bound, limit > u ? limit - u : std::size_t(0));
    }
  }
  // Both are readings of a moving quantity: equal within a tenth.
  EXPECT_GT(double(*got), 0.9 * double(bound));
  EXPECT_LT(double(*got), 1.1 * double(bound));
}
