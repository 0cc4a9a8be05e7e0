// AtomicFile: a temporary beside the target, renamed over it on commit;
// abandoning it keeps the old file; stale temporaries of dead writers are
// removed; space is reserved up front (ENOSPC checked on a small tmpfs this
// test mounts); large chunks placed by direct_placement go to the disk directly.
#include <gtest/gtest.h>

#include "temp_dir.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pycauset/core/error.hpp"
#include "pycauset/storage/atomic_file.hpp"
#include "pycauset/storage/buffer.hpp"

using namespace pycauset;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t MiB = 1 << 20;

using test_support::TempDir;
using test_support::Tmpfs;


std::uint64_t free_bytes(const fs::path& p) {
  struct statvfs st;
  EXPECT_EQ(::statvfs(p.c_str(), &st), 0);
  return std::uint64_t(st.f_bavail) * (st.f_frsize ? st.f_frsize : st.f_bsize);
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

const std::byte* bytes_of(const std::string& s) { return reinterpret_cast<const std::byte*>(s.data()); }

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// The pid of a process that has exited and been reaped.
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

bool supports_direct_io(const fs::path& dir) {
  const auto probe = (dir / "direct-probe").string();
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  fs::remove(probe);
  return fd >= 0;
}

void expect_enospc(AtomicFile& f, std::uint64_t length, const std::string& target, const std::string& dir) {
  try {
    f.reserve(length);
    FAIL() << "reserved " << length << " bytes";
  } catch (const OsError& e) {
    EXPECT_EQ(e.code, ENOSPC);
    EXPECT_EQ(e.filename, target);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("No space left on device"), std::string::npos) << msg;
    EXPECT_NE(msg.find(dir), std::string::npos) << msg;
  }
}

}  // namespace

TEST(AtomicFileUnit, CommitReplacesTheTargetOnlyAtCommit) {
  TempDir dir;
  const fs::path target = dir.path / "t.bin";
  write_text(target, "the old contents");
  {
    AtomicFile f(target.string());
    EXPECT_EQ(f.path(), target.string());
    const fs::path tmp = f.temp_path();
    EXPECT_EQ(tmp.parent_path(), dir.path);  // same directory: the rename is atomic
    EXPECT_EQ(tmp.filename().string().rfind(".t.bin.tmp-" + std::to_string(getpid()) + "-", 0), 0u) << tmp;
    EXPECT_TRUE(fs::exists(tmp));
    // Out of order, with a hole and a length set past the data.
    f.write(bytes_of("world"), 5, 6);
    f.write(bytes_of("hello"), 5, 0);
    f.resize(20);
    EXPECT_EQ(read_all(target), "the old contents");  // untouched until commit
    f.commit();
    EXPECT_FALSE(fs::exists(tmp));
    EXPECT_EQ(read_all(target), std::string("hello\0world", 11) + std::string(9, '\0'));
    try {
      f.commit();
      FAIL() << "committed twice";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(names_in(dir.path), std::vector<std::string>{"t.bin"});
  // A new target is created by commit alone.
  const fs::path fresh = dir.path / "new.bin";
  {
    AtomicFile f(fresh.string());
    f.write(bytes_of("abc"), 3, 0);
    EXPECT_FALSE(fs::exists(fresh));
    f.commit();
  }
  EXPECT_EQ(read_all(fresh), "abc");
}

TEST(AtomicFileUnit, AbandonedWritesKeepTheOldFileAndLeaveNoTemporary) {
  TempDir dir;
  const fs::path target = dir.path / "keep.bin";
  write_text(target, "precious");
  std::string tmp;
  {
    AtomicFile f(target.string());
    tmp = f.temp_path();
    f.write(bytes_of("garbage!"), 8, 0);
    f.resize(4096);
  }
  EXPECT_FALSE(fs::exists(tmp));
  EXPECT_EQ(read_all(target), "precious");
  {
    AtomicFile f((dir.path / "never.bin").string());
    f.write(bytes_of("x"), 1, 0);
  }
  EXPECT_EQ(names_in(dir.path), std::vector<std::string>{"keep.bin"});
}

TEST(AtomicFileUnit, TwoWritersOfOneTargetUseSeparateTemporariesAndTheLastCommitWins) {
  TempDir dir;
  const fs::path target = dir.path / "race.bin";
  AtomicFile a(target.string()), b(target.string());
  EXPECT_NE(a.temp_path(), b.temp_path());
  a.write(bytes_of("from a"), 6, 0);
  b.write(bytes_of("from b"), 6, 0);
  b.commit();
  EXPECT_EQ(read_all(target), "from b");
  a.commit();
  EXPECT_EQ(read_all(target), "from a");
}

TEST(AtomicFileUnit, StaleTemporariesOfDeadWritersOfTheSameTargetAreRemoved) {
  TempDir dir;
  const std::string dead = std::to_string(dead_pid()), live = std::to_string(getpid());
  const fs::path p = dir.path;
  write_text(p / (".t.bin.tmp-" + dead + "-0"), "x");      // dead writer of t.bin: removed
  write_text(p / (".t.bin.tmp-" + live + "-999"), "x");    // a live writer: kept
  write_text(p / (".u.bin.tmp-" + dead + "-0"), "x");      // another target: kept
  write_text(p / ".t.bin.tmp-notapid", "x");               // not ours: kept
  write_text(p / ("t.bin.tmp-" + dead + "-0"), "x");       // not hidden: kept
  AtomicFile f((p / "t.bin").string());
  EXPECT_FALSE(fs::exists(p / (".t.bin.tmp-" + dead + "-0")));
  EXPECT_TRUE(fs::exists(p / (".t.bin.tmp-" + live + "-999")));
  EXPECT_TRUE(fs::exists(p / (".u.bin.tmp-" + dead + "-0")));
  EXPECT_TRUE(fs::exists(p / ".t.bin.tmp-notapid"));
  EXPECT_TRUE(fs::exists(p / ("t.bin.tmp-" + dead + "-0")));
}

TEST(AtomicFileUnit, BadTargetsAreRefusedWithTheirNames) {
  TempDir dir;
  EXPECT_THROW(AtomicFile(""), ValueError);
  try {
    AtomicFile f(dir.path.string());
    FAIL() << "opened a directory as a target";
  } catch (const OsError& e) {
    EXPECT_EQ(e.code, EISDIR);
    EXPECT_EQ(e.filename, dir.path.string());
  }
  const std::string nodir = (dir.path / "no" / "such.bin").string();
  try {
    AtomicFile f(nodir);
    FAIL() << "created a file in a missing directory";
  } catch (const OsError& e) {
    EXPECT_EQ(e.code, ENOENT);
    EXPECT_EQ(e.filename, nodir);
    EXPECT_NE(std::string(e.what()).find((dir.path / "no").string()), std::string::npos) << e.what();
  }
  EXPECT_TRUE(names_in(dir.path).empty());
}

TEST(AtomicFileUnit, ReserveRefusesWhatTheFileSystemCannotHoldToTheByte) {
  Tmpfs small(4 * MiB);
  if (!small.ok) GTEST_SKIP() << "cannot mount a tmpfs here (" << small.why << ")";
  const fs::path dir = small.dir.path;
  const fs::path target = dir / "out.bin";
  write_text(target, "old file");
  const std::uint64_t free0 = free_bytes(dir);
  ASSERT_GT(free0, 3 * MiB);
  {
    AtomicFile f(target.string());
    expect_enospc(f, free0 + 1, target.string(), dir.string());
    EXPECT_EQ(free_bytes(dir), free0);  // refused before anything was allocated
    f.reserve(free0);                   // exactly what is free: fits
    struct stat st;
    ASSERT_EQ(::stat(f.temp_path().c_str(), &st), 0);
    EXPECT_GE(std::uint64_t(st.st_size), free0);
    EXPECT_GE(std::uint64_t(st.st_blocks) * 512, free0);
    EXPECT_EQ(free_bytes(dir), 0u);
    // The reserved range can be written in full on the now full file system.
    std::vector<std::byte> chunk(MiB, std::byte{0x5A});
    f.write(chunk.data(), chunk.size(), free0 - MiB);
    // A second file cannot get a byte.
    AtomicFile g((dir / "other.bin").string());
    expect_enospc(g, 1, (dir / "other.bin").string(), dir.string());
  }  // abandoned: the space comes back and the old file is intact
  EXPECT_EQ(free_bytes(dir), free0);
  EXPECT_EQ(read_all(target), "old file");
  EXPECT_EQ(names_in(dir), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFileUnit, WritesPastTheFreeSpaceRaiseEnospcNamingTheTarget) {
  Tmpfs small(2 * MiB);
  if (!small.ok) GTEST_SKIP() << "cannot mount a tmpfs here (" << small.why << ")";
  const fs::path dir = small.dir.path;
  const fs::path target = dir / "big.bin";
  write_text(target, "old");
  const std::uint64_t free0 = free_bytes(dir);
  {
    AtomicFile f(target.string());
    std::vector<std::byte> data(4 * MiB, std::byte{1});
    try {
      f.write(data.data(), data.size(), 0);  // not reserved: the write itself fails
      FAIL() << "wrote 4 MiB to a 2 MiB file system";
    } catch (const OsError& e) {
      EXPECT_EQ(e.code, ENOSPC);
      EXPECT_EQ(e.filename, target.string());
    }
  }
  EXPECT_EQ(free_bytes(dir), free0);
  EXPECT_EQ(read_all(target), "old");
}

TEST(AtomicFileUnit, DirectPlacementMatchesTheFileOffsetWithinAPage) {
  constexpr std::size_t A = AtomicFile::kDirectAlignment;
  for (std::uintptr_t address : {std::uintptr_t(0), std::uintptr_t(1), std::uintptr_t(4095), std::uintptr_t(4096),
                                 std::uintptr_t(0x7f0012345678)})
    for (std::uint64_t offset : {std::uint64_t(0), std::uint64_t(1), std::uint64_t(100), std::uint64_t(4095),
                                 std::uint64_t(4096 * 3 + 17), std::uint64_t(1) << 40}) {
      const std::size_t p = AtomicFile::direct_placement(address, offset);
      EXPECT_LT(p, A);
      EXPECT_EQ((address + p) % A, offset % A) << address << " " << offset;
    }
}

TEST(AtomicFileUnit, ChunksPlacedWithDirectPlacementGoDirect) {
  TempDir dir;
  const std::size_t n = 5 * MiB + 77;
  const std::uint64_t offset = 12345;  // not a multiple of the page size
  auto staging = RamBuffer::allocate(n + AtomicFile::kDirectAlignment, false);
  std::byte* placed = staging->data() + AtomicFile::direct_placement(
                                            reinterpret_cast<std::uintptr_t>(staging->data()), offset);
  for (std::size_t i = 0; i < n; ++i) placed[i] = std::byte(static_cast<unsigned char>(i * 7 + (i >> 13)));
  const fs::path target = dir.path / "d.bin";
  std::uint64_t direct = 0;
  {
    AtomicFile f(target.string());
    f.reserve(offset + n);
    f.write(placed, n, offset);
    direct = f.direct_bytes();
    f.commit();
  }
  const std::string got = read_all(target);
  ASSERT_EQ(got.size(), offset + n);
  EXPECT_EQ(got.substr(0, offset), std::string(offset, '\0'));
  EXPECT_EQ(std::memcmp(got.data() + offset, placed, n), 0);
  if (supports_direct_io(dir.path)) {
    // All but the head up to the next page boundary and the tail past the last one.
    const std::uint64_t head = (4096 - offset % 4096) % 4096;
    EXPECT_EQ(direct, (n - head) / 4096 * 4096);
  } else {
    EXPECT_EQ(direct, 0u);
  }
  // Misplaced by one byte: everything goes through the page cache.
  {
    AtomicFile f((dir.path / "e.bin").string());
    f.write(placed + 1, n - 1, offset);
    EXPECT_EQ(f.direct_bytes(), 0u);
    f.commit();
  }
  const std::string e = read_all(dir.path / "e.bin");
  ASSERT_EQ(e.size(), offset + n - 1);
  EXPECT_EQ(std::memcmp(e.data() + offset, placed + 1, n - 1), 0);
}
