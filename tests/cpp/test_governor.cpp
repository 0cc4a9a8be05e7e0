// The memory governor through its public API: the limit, the accounting of
// RAM, cached RAM and spill, the RAM-or-spill decision at its exact boundary,
// the disk reserve rule on a small tmpfs, and the life of spill directories
// (creation, locking, removal at exit, removal of dead processes' directories).
#include <gtest/gtest.h>

#include "temp_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
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
#include "pycauset/storage/buffer.hpp"
#include "pycauset/storage/governor.hpp"
#include "pycauset/storage/mapped_file.hpp"

using namespace pycauset;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t KiB = 1 << 10, MiB = 1 << 20;
constexpr std::uint64_t GiB = std::uint64_t(1) << 30;
constexpr std::uint64_t kSpillHeader = 4096, kSlack = 8;  // a spill file: header room + data + slack

using test_support::TempDir;
using test_support::Tmpfs;


struct StatFs {
  std::uint64_t total, free;
};
StatFs statfs_of(const std::string& path) {
  struct statvfs st;
  EXPECT_EQ(::statvfs(path.c_str(), &st), 0) << path;
  const std::uint64_t unit = st.f_frsize ? st.f_frsize : st.f_bsize;
  return {std::uint64_t(st.f_blocks) * unit, std::uint64_t(st.f_bavail) * unit};
}

// The documented default reserve, written out here from the rule in governor.hpp.
std::uint64_t documented_reserve(std::uint64_t total) {
  std::uint64_t r = total / 20 > GiB ? total / 20 : GiB;
  return r < total / 2 ? r : total / 2;
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  return out;
}

int count_prefixed(const std::string& dir, const std::string& prefix) {
  int n = 0;
  for (auto& name : names_in(dir)) n += name.rfind(prefix, 0) == 0;
  return n;
}

bool lock_is_held(const std::string& dir) {
  int fd = ::open((dir + "/lock").c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

void touch(const fs::path& p) { std::ofstream(p).put('x'); }

// Saves and restores every governor setting a test changes; starts each test
// with no cached RAM, so the RAM-or-spill arithmetic below is exact.
class GovernorApi : public ::testing::Test {
 protected:
  void SetUp() override {
    limit_ = memory_limit();
    backing_ = backing_dir();
    reserve_ = disk_reserve_setting();
    release_cached_ram();
    keep_ = RamBuffer::allocate(64, false);  // RAM in use is never 0, so a limit can sit at it
  }
  void TearDown() override {
    set_memory_limit(limit_);
    set_backing_dir(backing_);
    set_disk_reserve(reserve_);
    release_cached_ram();
  }
  // A budget that leaves exactly `room` bytes for new RAM buffers.
  static void leave_room(std::size_t room) { set_memory_limit(ram_bytes_in_use() + room); }

  std::size_t limit_ = 0;
  std::string backing_;
  std::int64_t reserve_ = -1;
  std::shared_ptr<RamBuffer> keep_;
};

}  // namespace

TEST_F(GovernorApi, LimitIsSetReadAndValidated) {
  set_memory_limit(12345);
  EXPECT_EQ(memory_limit(), 12345u);
  EXPECT_EQ(memory_info().limit, 12345u);
  EXPECT_THROW(set_memory_limit(0), ValueError);
  EXPECT_EQ(memory_limit(), 12345u);  // a refused setting changes nothing
}

TEST_F(GovernorApi, DefaultLimitIsHalfOfPhysicalMemoryOrOfTheCgroupLimit) {
  std::uint64_t total = std::uint64_t(sysconf(_SC_PHYS_PAGES)) * std::uint64_t(sysconf(_SC_PAGESIZE));
  for (const char* p : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    std::ifstream f(p);
    std::string word;
    if (f >> word && word != "max") {
      const std::uint64_t cg = std::stoull(word);
      if (cg > 0 && cg < total) total = cg;
    }
  }
  EXPECT_EQ(default_memory_limit(), total / 2);
}

TEST_F(GovernorApi, BuffersStayInRamUpToTheLimitExactlyAndSpillPastIt) {
  TempDir dir;
  set_backing_dir(dir.str());
  const MemoryInfo before = memory_info();
  const std::size_t ram0 = ram_bytes_in_use();
  leave_room(3 * MiB);
  auto a = allocate_buffer(2 * MiB, false);
  EXPECT_EQ(a->kind(), StorageKind::ram);
  auto b = allocate_buffer(1 * MiB, true);  // RAM use reaches the limit exactly: still RAM
  EXPECT_EQ(b->kind(), StorageKind::ram);
  EXPECT_EQ(ram_bytes_in_use(), ram0 + 3 * MiB);
  auto c = allocate_buffer(1, false);  // one byte past the limit: a spill file
  ASSERT_EQ(c->kind(), StorageKind::spill);
  EXPECT_EQ(c->size(), 1u);
  EXPECT_EQ(c->data()[0], std::byte{0});  // spill files are zero-filled even when not asked
  EXPECT_EQ(ram_bytes_in_use(), ram0 + 3 * MiB);  // a spill costs no RAM budget

  MemoryInfo now = memory_info();
  EXPECT_EQ(now.ram_in_use, ram0 + 3 * MiB);
  EXPECT_EQ(now.spill_in_use, before.spill_in_use + 1);
  EXPECT_EQ(now.spill_files, before.spill_files + 1);
  EXPECT_EQ(now.backing_dir, dir.str());

  b.reset();  // room again: the next buffer goes to RAM
  auto d = allocate_buffer(1 * MiB, false);
  EXPECT_EQ(d->kind(), StorageKind::ram);
  d.reset();
  a.reset();
  c.reset();
  now = memory_info();
  EXPECT_EQ(now.spill_in_use, before.spill_in_use);
  EXPECT_EQ(now.spill_files, before.spill_files);
  EXPECT_EQ(ram_bytes_in_use(), ram0);
}

TEST_F(GovernorApi, SpillFilesHoldTheDataAfterAHeaderPage) {
  TempDir dir;
  set_backing_dir(dir.str());
  leave_room(0);
  const std::size_t size = 3 * MiB + 5;
  auto buf = allocate_buffer(size, false);
  ASSERT_EQ(buf->kind(), StorageKind::spill);
  const std::string path = buf->path();
  EXPECT_EQ(fs::path(path).parent_path().string(), memory_info().spill_dir);
  EXPECT_EQ(fs::path(path).filename().string().rfind("spill-", 0), 0u) << path;
  EXPECT_EQ(fs::file_size(path), kSpillHeader + size + kSlack);
  for (std::size_t i = 0; i < size; i += 4099) ASSERT_EQ(buf->data()[i], std::byte{0}) << i;
  buf->data()[0] = std::byte{0xAB};
  buf->data()[size - 1] = std::byte{0xCD};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  unsigned char first = 0, last = 0;
  EXPECT_EQ(::pread(fd, &first, 1, off_t(kSpillHeader)), 1);
  EXPECT_EQ(::pread(fd, &last, 1, off_t(kSpillHeader + size - 1)), 1);
  ::close(fd);
  EXPECT_EQ(first, 0xAB);
  EXPECT_EQ(last, 0xCD);
  buf.reset();
  EXPECT_FALSE(fs::exists(path));  // removed with its buffer
}

TEST_F(GovernorApi, AccountingFollowsEveryBuffer) {
  TempDir dir;
  set_backing_dir(dir.str());
  const MemoryInfo before = memory_info();
  leave_room(0);
  std::vector<std::shared_ptr<Buffer>> spills;
  const std::size_t sizes[] = {1, 4096, 100 * KiB + 3};
  std::size_t total = 0;
  for (std::size_t s : sizes) {
    spills.push_back(allocate_buffer(s, true));
    total += s;
    const MemoryInfo now = memory_info();
    EXPECT_EQ(now.spill_in_use, before.spill_in_use + total);
    EXPECT_EQ(now.spill_files, before.spill_files + spills.size());
  }
  EXPECT_EQ(count_prefixed(memory_info().spill_dir, "spill-"), 3);
  while (!spills.empty()) {
    total -= spills.back()->size();
    spills.pop_back();
    EXPECT_EQ(memory_info().spill_in_use, before.spill_in_use + total);
  }
  EXPECT_EQ(memory_info().spill_files, before.spill_files);
  EXPECT_EQ(count_prefixed(memory_info().spill_dir, "spill-"), 0);

  set_memory_limit(limit_);
  const std::size_t ram0 = ram_bytes_in_use();
  {
    auto r = allocate_buffer(12345, false);
    EXPECT_EQ(memory_info().ram_in_use, ram0 + 12345);
  }
  EXPECT_EQ(memory_info().ram_in_use, ram0);
  EXPECT_EQ(memory_info().ram_cached, ram_bytes_cached());
}

TEST_F(GovernorApi, CachedRamIsReleasedFirstWhenItWouldPushABufferPastTheLimit) {
  TempDir dir;
  set_backing_dir(dir.str());
  allocate_buffer(8 * MiB, false);  // freed at once: its mapping is cached
  const std::size_t cached = ram_bytes_cached();
  ASSERT_GE(cached, 8 * MiB);
  EXPECT_EQ(memory_info().ram_cached, cached);

  // Cache + new buffer within the limit: the cache is kept.
  leave_room(cached + 64 * KiB);
  auto small = allocate_buffer(16 * KiB, false);
  EXPECT_EQ(small->kind(), StorageKind::ram);
  EXPECT_EQ(ram_bytes_cached(), cached);
  small.reset();

  // Cache + new buffer past the limit, new buffer alone within it: the cache
  // goes and the buffer stays in RAM.
  leave_room(6 * MiB);
  auto b = allocate_buffer(4 * MiB, false);
  EXPECT_EQ(b->kind(), StorageKind::ram);
  EXPECT_EQ(ram_bytes_cached(), 0u);
  b.reset();

  // Even without the cache it does not fit: the cache goes and it spills.
  release_cached_ram();
  set_memory_limit(limit_);
  allocate_buffer(8 * MiB, false);
  ASSERT_GE(ram_bytes_cached(), 8 * MiB);
  leave_room(2 * MiB);
  auto c = allocate_buffer(3 * MiB, false);
  EXPECT_EQ(c->kind(), StorageKind::spill);
  EXPECT_EQ(ram_bytes_cached(), 0u);
}

TEST_F(GovernorApi, BackingDirMustBeAnExistingWritableDirectory) {
  TempDir dir;
  set_backing_dir(dir.str());
  EXPECT_EQ(backing_dir(), dir.str());
  auto expect_refused = [&](const std::string& path) {
    try {
      set_backing_dir(path);
      FAIL() << "accepted " << path;
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
    EXPECT_EQ(backing_dir(), dir.str());  // unchanged
  };
  expect_refused((dir.path / "missing").string());
  touch(dir.path / "file");
  expect_refused((dir.path / "file").string());
  EXPECT_THROW(set_backing_dir(""), ValueError);
  if (::geteuid() != 0) {  // root may write anywhere
    fs::create_directories(dir.path / "ro");
    fs::permissions(dir.path / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    expect_refused((dir.path / "ro").string());
    fs::permissions(dir.path / "ro", fs::perms::owner_all);
  }
}

TEST_F(GovernorApi, DiskFieldsFollowTheBackingFileSystemAndTheReserveRule) {
  TempDir dir;
  set_backing_dir(dir.str());
  set_disk_reserve(-1);
  const StatFs fs0 = statfs_of(dir.str());
  MemoryInfo info = memory_info();
  EXPECT_EQ(info.disk_reserve, documented_reserve(fs0.total));
  EXPECT_EQ(disk_reserve_at(dir.str()), documented_reserve(fs0.total));
  // Free space moves with whatever else writes to this disk: compare loosely.
  const double diff = double(info.disk_free) - double(fs0.free);
  EXPECT_LT(std::abs(diff), double(256 * MiB)) << info.disk_free << " vs " << fs0.free;
  set_disk_reserve(777);
  EXPECT_EQ(memory_info().disk_reserve, 777u);
  EXPECT_EQ(disk_reserve_at(dir.str()), 777u);
  // An unreadable file system: the setting when there is one, else nothing.
  EXPECT_EQ(disk_reserve_at((dir.path / "missing" / "x").string()), 777u);
  set_disk_reserve(-5);  // any negative value restores the rule
  EXPECT_EQ(disk_reserve_setting(), -1);
  EXPECT_EQ(disk_reserve_at((dir.path / "missing" / "x").string()), 0u);
}

TEST_F(GovernorApi, SpillsKeepTheReserveFreeToTheByte) {
  Tmpfs fs8(8 * MiB);
  if (!fs8.ok) GTEST_SKIP() << "cannot mount a tmpfs here (" << fs8.why << ")";
  set_backing_dir(fs8.str());
  leave_room(0);
  allocate_buffer(1, true);  // creates the spill directory (and drops the file again)
  const std::string spill_dir = memory_info().spill_dir;
  ASSERT_EQ(fs::path(spill_dir).parent_path().string(), fs8.str());

  // The default rule on an 8 MiB file system keeps half of it free.
  set_disk_reserve(-1);
  EXPECT_EQ(memory_info().disk_reserve, 4 * MiB);
  { auto ok = allocate_buffer(3 * MiB, true); EXPECT_EQ(ok->kind(), StorageKind::spill); }
  EXPECT_THROW(allocate_buffer(4 * MiB + 512 * KiB, true), MemoryError);
  set_disk_reserve(0);
  { auto ok = allocate_buffer(4 * MiB + 512 * KiB, true); EXPECT_EQ(ok->kind(), StorageKind::spill); }

  // A spill file of `size` data bytes needs header + size + slack: with a
  // reserve that leaves exactly that much it fits; one byte more and it does not.
  const std::size_t size = 1 * MiB;
  const std::uint64_t length = kSpillHeader + size + kSlack;
  std::uint64_t free = statfs_of(fs8.str()).free;
  set_disk_reserve(std::int64_t(free - length + 1));
  try {
    allocate_buffer(size, true);
    FAIL() << "a spill file ate into the reserve";
  } catch (const MemoryError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("cannot spill"), std::string::npos) << msg;
    EXPECT_NE(msg.find(spill_dir), std::string::npos) << msg;
    EXPECT_NE(msg.find("set_disk_reserve"), std::string::npos) << msg;
  }
  EXPECT_EQ(count_prefixed(spill_dir, "spill-"), 0);  // nothing left behind
  EXPECT_EQ(statfs_of(fs8.str()).free, free);
  set_disk_reserve(std::int64_t(free - length));
  auto fits = allocate_buffer(size, true);
  EXPECT_EQ(fits->kind(), StorageKind::spill);
  EXPECT_EQ(count_prefixed(spill_dir, "spill-"), 1);
}

TEST_F(GovernorApi, SpillDirectoryIsCreatedLockedReusedAndRemoved) {
  TempDir one, two;
  set_backing_dir(one.str());
  EXPECT_EQ(memory_info().spill_dir, "");  // nothing spilled under this directory yet
  EXPECT_TRUE(names_in(one.str()).empty());
  leave_room(0);

  auto a = allocate_buffer(4096, true);
  const std::string dir_a = memory_info().spill_dir;
  ASSERT_FALSE(dir_a.empty());
  EXPECT_EQ(fs::path(dir_a).parent_path().string(), one.str());
  const std::string name = fs::path(dir_a).filename().string();
  EXPECT_EQ(name.rfind("pycauset-" + std::to_string(getpid()) + "-", 0), 0u) << name;
  EXPECT_EQ(names_in(one.str()).size(), 1u);  // no half-made directory is left beside it
  EXPECT_TRUE(fs::exists(dir_a + "/lock"));
  EXPECT_TRUE(lock_is_held(dir_a));
  EXPECT_EQ(fs::path(a->path()).parent_path().string(), dir_a);
  EXPECT_EQ(remove_stale_spill_dirs(one.str()), 0);  // its owner is alive
  EXPECT_TRUE(fs::exists(dir_a));

  auto b = allocate_buffer(4096, true);  // the same directory
  EXPECT_EQ(fs::path(b->path()).parent_path().string(), dir_a);
  EXPECT_NE(a->path(), b->path());
  b.reset();
  EXPECT_TRUE(fs::exists(dir_a));  // stays while the process lives

  // A new backing directory gets a directory of its own; the old one stays.
  set_backing_dir(two.str());
  auto c = allocate_buffer(4096, true);
  const std::string dir_c = memory_info().spill_dir;
  EXPECT_EQ(fs::path(dir_c).parent_path().string(), two.str());
  EXPECT_TRUE(fs::exists(dir_a));

  // At exit every directory this process made goes; live buffers keep working.
  const MemoryInfo before = memory_info();
  a->data()[7] = std::byte{42};
  remove_spill_dir();
  EXPECT_FALSE(fs::exists(dir_a));
  EXPECT_FALSE(fs::exists(dir_c));
  EXPECT_EQ(memory_info().spill_dir, "");
  EXPECT_EQ(a->data()[7], std::byte{42});
  a.reset();
  c.reset();
  EXPECT_EQ(memory_info().spill_files, before.spill_files - 2);

  // Spilling again makes a fresh directory.
  auto d = allocate_buffer(4096, true);
  const std::string dir_d = memory_info().spill_dir;
  EXPECT_TRUE(fs::exists(dir_d));
  EXPECT_NE(dir_d, dir_c);
  EXPECT_TRUE(lock_is_held(dir_d));
}

TEST_F(GovernorApi, ADeadProcessDirectoryIsRemovedByTheNextSpillAndAChildNeverRemovesItsParents) {
  TempDir dir;
  set_backing_dir(dir.str());
  leave_room(0);
  auto mine = allocate_buffer(4096, true);
  const std::string parent_dir = memory_info().spill_dir;

  int pipe_fd[2];
  ASSERT_EQ(::pipe(pipe_fd), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child removes "its" directories (it owns none yet), spills into a
    // directory of its own, reports it and dies without cleaning up.
    int rc = 0;
    try {
      remove_spill_dir();
      new std::shared_ptr<Buffer>(allocate_buffer(4096, true));  // alive until the child dies
      const std::string d = memory_info().spill_dir;
      if (::write(pipe_fd[1], d.data(), d.size()) != ssize_t(d.size())) rc = 2;
    } catch (...) {
      rc = 3;
    }
    ::_exit(rc);
  }
  ::close(pipe_fd[1]);
  char buf[4096];
  ssize_t n = ::read(pipe_fd[0], buf, sizeof buf);
  ::close(pipe_fd[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  ASSERT_GT(n, 0);
  const std::string child_dir(buf, std::size_t(n));

  EXPECT_TRUE(fs::exists(parent_dir));  // the child's remove_spill_dir left it alone
  EXPECT_NE(child_dir, parent_dir);
  EXPECT_EQ(fs::path(child_dir).parent_path().string(), dir.str());
  ASSERT_TRUE(fs::exists(child_dir));  // left behind by the dead child
  EXPECT_EQ(count_prefixed(child_dir, "spill-"), 1);
  EXPECT_FALSE(lock_is_held(child_dir));

  // The next process to set up a spill directory here removes it: this one,
  // after its own directory went away.
  mine.reset();
  remove_spill_dir();
  auto again = allocate_buffer(4096, true);
  EXPECT_FALSE(fs::exists(child_dir));
  EXPECT_TRUE(fs::exists(memory_info().spill_dir));
}

TEST_F(GovernorApi, StaleCleanupTouchesOnlyWhatPycausetMade) {
  TempDir dir;
  const fs::path p = dir.path;
  // A dead owner's directory: lock and spill files go, and the directory.
  fs::create_directories(p / "pycauset-1-dead");
  touch(p / "pycauset-1-dead" / "lock");
  touch(p / "pycauset-1-dead" / "spill-1.bin");
  touch(p / "pycauset-1-dead" / "spill-2.bin");
  // A dead owner's directory holding a file pycauset did not make: that file stays.
  fs::create_directories(p / "pycauset-2-dead");
  touch(p / "pycauset-2-dead" / "lock");
  touch(p / "pycauset-2-dead" / "spill-1.bin");
  touch(p / "pycauset-2-dead" / "notes.txt");
  // A live owner's directory (its lock is held).
  fs::create_directories(p / "pycauset-3-live");
  touch(p / "pycauset-3-live" / "lock");
  touch(p / "pycauset-3-live" / "spill-1.bin");
  int held = ::open((p / "pycauset-3-live" / "lock").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);
  // A directory being set up, one without a lock file, a file, and a symbolic link.
  fs::create_directories(p / ".pycauset-new-4");
  touch(p / ".pycauset-new-4" / "lock");
  fs::create_directories(p / "pycauset-5-nolock");
  touch(p / "pycauset-5-nolock" / "spill-1.bin");
  touch(p / "pycauset-6-file");
  fs::create_directories(p / "elsewhere");
  touch(p / "elsewhere" / "lock");
  touch(p / "elsewhere" / "spill-1.bin");
  fs::create_directory_symlink(p / "elsewhere", p / "pycauset-7-link");

  remove_stale_spill_dirs(dir.str());
  ::close(held);

  EXPECT_FALSE(fs::exists(p / "pycauset-1-dead"));
  EXPECT_TRUE(fs::exists(p / "pycauset-2-dead" / "notes.txt"));
  EXPECT_FALSE(fs::exists(p / "pycauset-2-dead" / "spill-1.bin"));
  EXPECT_TRUE(fs::exists(p / "pycauset-3-live" / "spill-1.bin"));
  EXPECT_TRUE(fs::exists(p / ".pycauset-new-4" / "lock"));
  EXPECT_TRUE(fs::exists(p / "pycauset-5-nolock" / "spill-1.bin"));
  EXPECT_TRUE(fs::exists(p / "pycauset-6-file"));
  EXPECT_TRUE(fs::exists(p / "elsewhere" / "spill-1.bin"));
  EXPECT_TRUE(fs::is_symlink(p / "pycauset-7-link"));
  EXPECT_EQ(remove_stale_spill_dirs((p / "missing").string()), 0);
}

TEST_F(GovernorApi, SpillFilesMadeOutsideTheGovernorKeepTheCountsBalanced) {
  TempDir dir;
  const MemoryInfo before = memory_info();
  { auto s = MappedFileBuffer::create_spill(dir.str() + "/spill-direct.bin", 10); }
  const MemoryInfo after = memory_info();
  EXPECT_EQ(after.spill_files, before.spill_files);
  EXPECT_EQ(after.spill_in_use, before.spill_in_use);
}

TEST_F(GovernorApi, StaleDirectoriesAreCountedOnlyWhenRemoved) {
  TempDir dir;
  const std::string stale = dir.str() + "/pycauset-1-dead";
  std::filesystem::create_directory(stale);
  std::ofstream(stale + "/lock").put('x');
  std::ofstream(stale + "/notes.txt") << "not pycauset's";
  EXPECT_EQ(remove_stale_spill_dirs(dir.str()), 0);  // notes.txt keeps the directory
  EXPECT_TRUE(std::filesystem::exists(stale + "/notes.txt"));
  std::filesystem::remove(stale + "/notes.txt");
  std::ofstream(stale + "/lock").put('x');
  EXPECT_EQ(remove_stale_spill_dirs(dir.str()), 1);
  EXPECT_FALSE(std::filesystem::exists(stale));
}
