// The out-of-core routines against their in-RAM counterparts (which the
// lapack and blas tests check against analytic results), plus the file
// region and I/O thread they are built on.
#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <random>
#include <stdexcept>
#include <string>

#include "pycauset/core/error.hpp"
#include "pycauset/core/progress.hpp"
#include "pycauset/core/threads.hpp"
#include "pycauset/linalg/lapack.hpp"
#include "pycauset/linalg/matmul.hpp"
#include "pycauset/linalg/out_of_core.hpp"
#include "pycauset/storage/governor.hpp"
#include "pycauset/storage/tile_io.hpp"

using namespace pycauset;
using index_t = Array::index_t;

namespace {

Array random_matrix(index_t rows, index_t cols, unsigned seed, double diagonal = 0) {
  std::array<index_t, 2> shape{rows, cols};
  Array a = Array::empty(shape, DType::float64);
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal(0.0, 1.0 / std::sqrt(double(cols)));
  auto* p = reinterpret_cast<double*>(a.data());
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) p[i * cols + j] = normal(gen) + (i == j ? diagonal : 0.0);
  return a;
}

double max_diff(const Array& x, const Array& y) {
  EXPECT_EQ(x.size(), y.size());
  const auto* a = reinterpret_cast<const double*>(x.data());
  const auto* b = reinterpret_cast<const double*>(y.data());
  double d = 0;
  for (index_t i = 0; i < x.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

/// A tiny budget for the test's duration, and a count of progress reports.
class OutOfCore : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = memory_limit();
    set_progress_callback([this](const std::string&, double) { ++reports_; });
  }
  void TearDown() override {
    set_memory_limit(saved_);
    set_progress_callback({});
  }
  std::size_t saved_ = 0;
  int reports_ = 0;
};

}  // namespace

TEST_F(OutOfCore, MatmulMatchesInRam) {
  const Array a = random_matrix(301, 517, 1), b = random_matrix(517, 263, 2);
  const Array want = matmul(a, b, DType::float64);
  set_memory_limit(64 << 10);  // 64 KiB: far below the operands
  const Array got = linalg::ooc::matmul(a, b, DType::float64);
  EXPECT_GT(reports_, 2);
  EXPECT_LT(max_diff(got, want), 1e-12);
}

TEST_F(OutOfCore, MatmulStepsOnTwoThreadsMatchInRam) {
  // Steps large enough to be split into column blocks on two threads, many
  // panels and k-blocks: the (step, block) tasks run without barriers.
  const int threads = num_threads();
  set_num_threads(2);
  const Array a = random_matrix(700, 900, 11), b = random_matrix(900, 650, 12);
  const Array want = matmul(a, b, DType::float64);
  // 6 MiB beyond what is in use (the operands): the 3.5 MiB result and small tiles.
  set_memory_limit(memory_info().ram_in_use + memory_info().ram_cached + (6 << 20));
  const Array got = linalg::ooc::matmul(a, b, DType::float64);
  set_num_threads(threads);
  EXPECT_GT(reports_, 2);
  EXPECT_LT(max_diff(got, want), 1e-11);
}

TEST_F(OutOfCore, InverseAndSolveMatchInRam) {
  const Array a = random_matrix(257, 257, 3, 2.0), b = random_matrix(257, 9, 4);
  const Array inv = linalg::inv(a, DType::float64), x = linalg::solve(a, b, DType::float64);
  set_memory_limit(64 << 10);
  EXPECT_LT(max_diff(linalg::ooc::inv(a, DType::float64), inv), 1e-12);
  EXPECT_LT(max_diff(linalg::ooc::solve(a, b, DType::float64), x), 1e-12);
  EXPECT_GT(reports_, 2);
}

TEST_F(OutOfCore, TriangularMatchInRam) {
  const Array a = random_matrix(200, 200, 5, 3.0), b = random_matrix(200, 3, 6);
  for (bool lower : {false, true})
    for (bool unit : {false, true}) {
      const Array inv = linalg::inv_triangular(a, DType::float64, lower, unit);
      const Array x = linalg::solve_triangular(a, b, DType::float64, lower, unit);
      set_memory_limit(32 << 10);
      EXPECT_LT(max_diff(linalg::ooc::inv_triangular(a, DType::float64, lower, unit, false), inv), 1e-12);
      // In place: the result is written into the input's own storage.
      const Array work = a.astype(DType::float64);
      const Array in_place = linalg::ooc::inv_triangular(work, DType::float64, lower, unit, true);
      EXPECT_EQ(in_place.buffer(), work.buffer());
      EXPECT_LT(max_diff(in_place, inv), 1e-12);
      EXPECT_LT(max_diff(linalg::ooc::solve_triangular(a, b, DType::float64, lower, unit), x), 1e-12);
      set_memory_limit(saved_);
    }
}

TEST_F(OutOfCore, SingularRaises) {
  Array a = random_matrix(150, 150, 7);
  auto* p = reinterpret_cast<double*>(a.data());
  for (index_t i = 0; i < 150; ++i) p[i * 150 + 40] = 0.0;  // a zero column
  set_memory_limit(32 << 10);
  EXPECT_THROW(linalg::ooc::inv(a, DType::float64), LinAlgError);
}

TEST_F(OutOfCore, ExceptionFromProgressAbandonsTheRun) {
  const Array a = random_matrix(300, 300, 8, 2.0), big = random_matrix(700, 700, 9);
  set_progress_callback([](const std::string&, double fraction) {
    if (fraction > 0.2) throw std::runtime_error("stop");
  });
  set_memory_limit(64 << 10);
  const MemoryInfo before = memory_info();
  EXPECT_THROW(linalg::ooc::inv(a, DType::float64), std::runtime_error);
  EXPECT_THROW(linalg::ooc::matmul(a, a, DType::float64), std::runtime_error);
  // The same with steps split between two threads: the waiting one stops too.
  const int threads = num_threads();
  set_num_threads(2);
  set_memory_limit(memory_info().ram_in_use + memory_info().ram_cached + (2 << 20));
  EXPECT_THROW(linalg::ooc::matmul(big, big, DType::float64), std::runtime_error);
  set_num_threads(threads);
  EXPECT_EQ(memory_info().spill_files, before.spill_files);
}

TEST(FileRegion, ReadsWritesAndNamesTheFileOnError) {
  char path[] = "/tmp/pycauset-test-region-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    FileRegion f(path, true);
    const std::string text = "out of core";
    f.write(100, text.size(), reinterpret_cast<const std::byte*>(text.data()));
    std::string back(text.size(), ' ');
    f.read(100, back.size(), reinterpret_cast<std::byte*>(back.data()));
    EXPECT_EQ(back, text);
    f.sync_and_drop(0, 200);
    std::array<std::byte, 8> tail{};
    try {
      f.read(200, tail.size(), tail.data());  // past the end
      FAIL() << "reading past the end did not raise";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    }
  }
  std::remove(path);
  EXPECT_THROW(FileRegion("/nonexistent/dir/file", false), ValueError);
}

TEST(FileRegion, DirectReadsLandAtTheOffsetWithinTheBlock) {
  char path[] = "/tmp/pycauset-test-direct-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::vector<unsigned char> bytes(3 * 4096 + 123);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i * 7 + 3);
  {
    FileRegion f(path, true);
    f.write(0, bytes.size(), reinterpret_cast<const std::byte*>(bytes.data()));
    f.sync_and_drop(0, bytes.size());
    auto* buf = static_cast<std::byte*>(std::aligned_alloc(4096, 4 * 4096 + 8192));
    // An unaligned range running to the end of the file (a short last block).
    const std::uint64_t offset = 4096 + 1000;
    const std::size_t n = bytes.size() - offset;
    std::byte* got = f.read_direct(offset, n, buf);
    EXPECT_EQ(got, buf + 1000);
    EXPECT_EQ(std::memcmp(got, bytes.data() + offset, n), 0);
    // From an unaligned buffer: an ordinary read, to the same place.
    got = f.read_direct(offset, 100, buf + 8);
    EXPECT_EQ(got, buf + 8 + 1000);
    EXPECT_EQ(std::memcmp(got, bytes.data() + offset, 100), 0);
    EXPECT_THROW(f.read_direct(bytes.size() - 10, 100, buf), ValueError);
    std::free(buf);
  }
  std::remove(path);
}

TEST(IoThread, RunsInOrderAndCarriesExceptions) {
  IoThread io;
  std::vector<int> order;
  auto a = io.submit([&] { order.push_back(1); });
  auto b = io.submit([&] { throw ValueError("disk on fire"); });
  auto c = io.submit([&] { order.push_back(3); });
  a.get();
  EXPECT_THROW(b.get(), ValueError);
  c.get();
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
}
