#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "pycauset/core/error.hpp"
#include "pycauset/core/threads.hpp"

using namespace pycauset;

TEST(Threads, CoversRangeExactlyOnce) {
  set_num_threads(4);
  std::vector<std::atomic<int>> hits(100000);
  parallel_for(std::int64_t(hits.size()), 1000, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) hits[i]++;
  });
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST(Threads, DynamicChunksCoverRangeOnce) {
  set_num_threads(3);
  std::vector<std::atomic<int>> hits(10007);
  parallel_for_dynamic(std::int64_t(hits.size()), 64, [&](std::int64_t b, std::int64_t e) {
    EXPECT_LE(e - b, 64);
    for (std::int64_t i = b; i < e; ++i) hits[i]++;
  });
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST(Threads, ChunkStartsAreAligned) {
  set_num_threads(3);
  std::atomic<int> misaligned{0};
  parallel_for(1000003, 10, [&](std::int64_t b, std::int64_t) { misaligned += (b % 64) != 0; }, 64);
  EXPECT_EQ(misaligned.load(), 0);
}

TEST(Threads, NestedCallsRunSerially) {
  set_num_threads(2);
  std::atomic<int> inner_parallel{0};
  parallel_for(4, 1, [&](std::int64_t, std::int64_t) {
    EXPECT_TRUE(in_parallel_region());
    parallel_for(1000, 1, [&](std::int64_t b, std::int64_t e) { inner_parallel += (b != 0 || e != 1000); });
  });
  EXPECT_EQ(inner_parallel.load(), 0);
  EXPECT_FALSE(in_parallel_region());
}

TEST(Threads, ExceptionsPropagate) {
  set_num_threads(2);
  EXPECT_THROW(parallel_for(1000, 1, [](std::int64_t b, std::int64_t) {
                 if (b > 0) throw std::runtime_error("boom");
               }),
               std::runtime_error);
  // The pool still works afterwards.
  std::atomic<std::int64_t> sum{0};
  parallel_for(1000, 1, [&](std::int64_t b, std::int64_t e) { sum += e - b; });
  EXPECT_EQ(sum.load(), 1000);
}

TEST(Threads, SetNumThreads) {
  set_num_threads(1);
  EXPECT_EQ(num_threads(), 1);
  set_num_threads(2);
  EXPECT_EQ(num_threads(), 2);
  EXPECT_THROW(set_num_threads(0), ValueError);
}
