// Disk space: reservation of spill and saved files, the disk reserve, and
// OS errors that keep their errno.
#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "pycauset/array/file_io.hpp"
#include "pycauset/core/error.hpp"
#include "pycauset/storage/atomic_file.hpp"
#include "pycauset/storage/disk.hpp"
#include "pycauset/storage/governor.hpp"

using namespace pycauset;
namespace fs = std::filesystem;
using index_t = Array::index_t;

namespace {

constexpr std::uint64_t MiB = 1 << 20, GiB = std::uint64_t(1) << 30;

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() / ("pycauset-disk-test-" + std::to_string(getpid()) + "-" +
                                        std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::uint64_t fs_total(const fs::path& p) {
  struct statvfs st;
  EXPECT_EQ(statvfs(p.c_str(), &st), 0);
  return std::uint64_t(st.f_blocks) * st.f_frsize;
}

int spill_files_in(const std::string& dir) {
  int n = 0;
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind("spill-", 0) == 0) ++n;
  return n;
}

// Restores the governor's settings at the end of a test.
struct GovernorSettings {
  std::size_t limit = memory_limit();
  std::string backing = backing_dir();
  std::int64_t reserve = disk_reserve_setting();
  ~GovernorSettings() {
    set_memory_limit(limit);
    set_backing_dir(backing);
    set_disk_reserve(reserve);
  }
};

}  // namespace

TEST(DiskReserve, DefaultRuleIsTheLargerOf1GiBAnd5PercentAtMostHalf) {
  EXPECT_EQ(default_disk_reserve(50 * MiB), 25 * MiB);
  EXPECT_EQ(default_disk_reserve(2 * GiB), 1 * GiB);
  EXPECT_EQ(default_disk_reserve(10 * GiB), 1 * GiB);
  EXPECT_EQ(default_disk_reserve(100 * GiB), 5 * GiB);
  EXPECT_EQ(default_disk_reserve(0), 0u);
}

TEST(DiskReserve, SettingOverridesTheRule) {
  GovernorSettings keep;
  set_disk_reserve(123);
  EXPECT_EQ(disk_reserve(100 * GiB), 123u);
  EXPECT_EQ(disk_reserve_setting(), 123);
  set_disk_reserve(0);
  EXPECT_EQ(disk_reserve(100 * GiB), 0u);
  set_disk_reserve(-1);
  EXPECT_EQ(disk_reserve(100 * GiB), 5 * GiB);
  EXPECT_EQ(disk_reserve_setting(), -1);
}

TEST(DiskSpace, FormatsSizes) {
  EXPECT_EQ(format_bytes(0), "0 bytes");
  EXPECT_EQ(format_bytes(1023), "1023 bytes");
  EXPECT_EQ(format_bytes(3 * MiB / 2), "1.5 MiB");
  EXPECT_EQ(format_bytes(50 * MiB), "50.0 MiB");
  EXPECT_EQ(format_bytes(3 * GiB), "3.0 GiB");
}

TEST(Governor, SpillFilesHaveTheirBlocksReserved) {
  GovernorSettings keep;
  TempDir dir;
  set_backing_dir(dir.path.string());
  set_memory_limit(1 << 20);
  Array a = Array::empty(std::array<index_t, 2>{1024, 1024}, DType::float64, true);  // 8 MiB
  ASSERT_EQ(a.buffer()->kind(), StorageKind::spill);
  struct stat st;
  ASSERT_EQ(::stat(a.buffer()->path().c_str(), &st), 0);
  EXPECT_GE(std::uint64_t(st.st_blocks) * 512, 8 * MiB);  // allocated, not a hole
  EXPECT_EQ(a.get(1023, 1023).c.real(), 0.0);
}

TEST(Governor, SpillPastTheReserveIsAMemoryErrorAndLeavesNoFile) {
  GovernorSettings keep;
  TempDir dir;
  set_backing_dir(dir.path.string());
  set_memory_limit(1 << 20);
  set_disk_reserve(std::int64_t(fs_total(dir.path)));  // keep the whole disk free
  try {
    Array::empty(std::array<index_t, 2>{1024, 1024}, DType::float64, true);
    FAIL() << "a spill file must not eat into the reserve";
  } catch (const MemoryError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("cannot spill 8.0 MiB"), std::string::npos) << msg;
    EXPECT_NE(msg.find(dir.path.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("free"), std::string::npos) << msg;
  }
  EXPECT_EQ(spill_files_in(memory_info().spill_dir), 0);
  set_disk_reserve(0);
  Array ok = Array::empty(std::array<index_t, 2>{1024, 1024}, DType::float64, true);
  EXPECT_EQ(ok.buffer()->kind(), StorageKind::spill);
}

TEST(AtomicFile, ReserveAllocatesAndRefusesWhatTheDiskCannotHold) {
  TempDir dir;
  auto path = (dir.path / "r.bin").string();
  {
    AtomicFile f(path);
    f.reserve(4 * MiB);
    struct stat st;
    ASSERT_EQ(::stat(f.temp_path().c_str(), &st), 0);
    EXPECT_GE(std::uint64_t(st.st_blocks) * 512, 4 * MiB);
  }
  AtomicFile f(path);
  try {
    f.reserve(fs_total(dir.path) + GiB);
    FAIL() << "more than the disk holds";
  } catch (const OsError& e) {
    EXPECT_EQ(e.code, ENOSPC);
    EXPECT_EQ(e.filename, path);
    EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos) << e.what();
  }
  struct stat st;
  ASSERT_EQ(::stat(f.temp_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_blocks, 0);  // nothing was written
}

TEST(FileIO, MissingFilesAndDirectoriesKeepTheirErrno) {
  TempDir dir;
  auto missing = (dir.path / "missing.pycauset").string();
  auto expect_errno = [](auto&& call, int code, const std::string& name) {
    try {
      call();
      FAIL() << "expected an OsError";
    } catch (const OsError& e) {
      EXPECT_EQ(e.code, code) << e.what();
      EXPECT_EQ(e.filename, name);
    }
  };
  expect_errno([&] { load_file(missing, MapMode::read_only); }, ENOENT, missing);
  expect_errno([&] { read_file_info(missing); }, ENOENT, missing);
  auto nodir = (dir.path / "nodir" / "a.pycauset").string();
  Array a = Array::empty(std::array<index_t, 2>{2, 2}, DType::float64, true);
  expect_errno([&] { save_array(a, nodir, "{}"); }, ENOENT, nodir);
  expect_errno([&] { save_array(a, dir.path.string(), "{}"); }, EISDIR, dir.path.string());
  expect_errno([&] { load_file(dir.path.string(), MapMode::read_only); }, EISDIR, dir.path.string());
}
