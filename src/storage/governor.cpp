#include "pycauset/storage/governor.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <utility>
#include <vector>

#include "pycauset/core/error.hpp"
#include "pycauset/storage/disk.hpp"
#include "pycauset/storage/mapped_file.hpp"

namespace pycauset {
namespace {

constexpr const char* kDirPrefix = "pycauset-";     // live spill directories
constexpr const char* kTmpPrefix = ".pycauset-new-";  // being set up: ignored by cleaners
constexpr const char* kLockName = "lock";
constexpr const char* kSpillPrefix = "spill-";

std::size_t read_number(const char* path) {
  std::ifstream f(path);
  std::string word;
  if (!(f >> word) || word == "max") return 0;
  return std::strtoull(word.c_str(), nullptr, 10);
}

std::size_t physical_memory() {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? std::size_t(pages) * std::size_t(page) : std::size_t(8) << 30;
}

std::string random_token() {
  static std::mt19937_64 rng(std::random_device{}() ^ std::uint64_t(getpid()));
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (std::uint64_t v = rng(), i = 0; i < 12; ++i, v >>= 4) s += hex[v & 15];
  return s;
}

struct State {
  std::mutex m;
  std::size_t limit = 0;
  std::int64_t disk_reserve = -1;  // -1: the default rule
  std::string backing;
  std::string dir;     // this process's current spill directory
  int lock_fd = -1;    // held (flock) for the life of the process
  pid_t owner = 0;     // the process that created dir
  // Every directory this process made (one per backing dir it used), with its
  // lock, so all of them are removed at exit.
  std::vector<std::pair<std::string, int>> made;
  std::uint64_t counter = 0;
  std::atomic<std::size_t> spill_bytes{0};
  std::atomic<std::size_t> spill_files{0};
};

State& state() {
  static State* s = new State;  // never destroyed: buffers may die during exit
  return *s;
}

std::string default_backing() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

bool starts_with(const char* s, const char* prefix) { return std::strncmp(s, prefix, std::strlen(prefix)) == 0; }

// Removes the pycauset files in dir (lock and spill-*) and then dir itself;
// anything else found there is left alone (rmdir then fails harmlessly).
// True when dir is gone.
bool remove_dir_contents(const std::string& dir) {
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (starts_with(e->d_name, kSpillPrefix) || std::strcmp(e->d_name, kLockName) == 0)
        ::unlink((dir + "/" + e->d_name).c_str());
    closedir(d);
  }
  return ::rmdir(dir.c_str()) == 0;
}

// Creates this process's spill directory: set up under a temporary name, lock
// taken, then renamed, so a cleaner never sees it unlocked.
void ensure_spill_dir(State& s) {
  if (!s.dir.empty() && s.owner == getpid()) return;
  if (s.backing.empty()) s.backing = default_backing();
  remove_stale_spill_dirs(s.backing);
  std::string token = std::to_string(getpid()) + "-" + random_token();
  std::string tmp = s.backing + "/" + kTmpPrefix + token;
  std::string final_dir = s.backing + "/" + kDirPrefix + token;
  if (::mkdir(tmp.c_str(), 0700) != 0)
    throw MemoryError("cannot create spill directory in '" + s.backing + "': " + std::strerror(errno));
  int fd = ::open((tmp + "/" + kLockName).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0 || ::rename(tmp.c_str(), final_dir.c_str()) != 0) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    remove_dir_contents(tmp);
    throw MemoryError("cannot set up spill directory '" + final_dir + "': " + std::strerror(err));
  }
  if (s.owner != getpid()) s.made.clear();  // a forked child owns none of its parent's
  s.dir = final_dir;
  s.lock_fd = fd;
  s.owner = getpid();
  s.made.emplace_back(final_dir, fd);
}

}  // namespace

std::size_t cgroup_memory_limit() {
  for (const char* p : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    // v1 reports "no limit" as a huge number (about 2**63): no real limit is that large.
    std::size_t cg = read_number(p);
    if (cg > 0 && cg < (std::size_t(1) << 62)) return cg;
  }
  return 0;
}

std::optional<std::size_t> system_available_memory() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  std::optional<std::size_t> avail;
  std::size_t kib = 0;
  std::string unit;
  while (f >> key >> kib) {
    std::getline(f, unit);
    if (key == "MemAvailable:") {
      avail = kib * std::size_t(1024);
      break;
    }
  }
  if (!avail) return std::nullopt;
  if (std::size_t limit = cgroup_memory_limit(); limit > 0) {
    std::size_t used = read_number("/sys/fs/cgroup/memory.current");
    if (used == 0) used = read_number("/sys/fs/cgroup/memory/memory.usage_in_bytes");
    const std::size_t room = used >= limit ? 0 : limit - used;
    avail = std::min(*avail, room);
  }
  return avail;
}

std::size_t default_memory_limit() {
  std::size_t total = physical_memory();
  if (std::size_t cg = cgroup_memory_limit(); cg > 0 && cg < total) total = cg;
  return total / 2;
}

std::size_t available_ram() {
  const std::size_t limit = memory_limit(), used = ram_bytes_in_use() + ram_bytes_cached();
  return used >= limit ? 0 : limit - used;
}

bool fits_in_budget(std::size_t bytes) { return bytes <= available_ram(); }

std::size_t ram_for_tiles(double share) {
  release_cached_ram();
  return std::size_t(double(available_ram()) * std::clamp(share, 0.0, 1.0));
}

std::shared_ptr<RamBuffer> allocate_tile(std::size_t bytes, bool zero) {
  bytes = std::max<std::size_t>(bytes, 1);
  if (ram_bytes_cached() > 0 && ram_bytes_in_use() + ram_bytes_cached() + bytes > memory_limit())
    release_cached_ram();  // reusable memory is the first thing to give back
  return RamBuffer::allocate(bytes, zero);
}

std::size_t memory_limit() {
  State& s = state();
  std::lock_guard lock(s.m);
  if (s.limit == 0) s.limit = default_memory_limit();
  return s.limit;
}

void set_memory_limit(std::size_t bytes) {
  if (bytes == 0) throw ValueError("the memory limit must be positive");
  State& s = state();
  std::lock_guard lock(s.m);
  s.limit = bytes;
}

std::string backing_dir() {
  State& s = state();
  std::lock_guard lock(s.m);
  return s.backing.empty() ? default_backing() : s.backing;
}

void set_backing_dir(const std::string& path) {
  struct stat st;
  if (path.empty() || ::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw ValueError("backing directory '" + path + "' does not exist or is not a directory");
  if (::access(path.c_str(), W_OK | X_OK) != 0)
    throw ValueError("backing directory '" + path + "' is not writable");
  State& s = state();
  std::lock_guard lock(s.m);
  if (path != s.backing) {
    // New spill files go to a directory under the new location; the old
    // directory stays until its files die, and is removed at exit or by a
    // later process once this one is gone.
    s.backing = path;
    s.dir.clear();
  }
}

std::uint64_t default_disk_reserve(std::uint64_t total) {
  return std::min(std::max<std::uint64_t>(std::uint64_t(1) << 30, total / 20), total / 2);
}

std::uint64_t disk_reserve(std::uint64_t total) {
  std::int64_t setting = disk_reserve_setting();
  return setting < 0 ? default_disk_reserve(total) : std::uint64_t(setting);
}

std::uint64_t disk_reserve_at(const std::string& path) {
  DiskSpace space;
  return disk_space(path, space) ? disk_reserve(space.total) : std::uint64_t(std::max<std::int64_t>(0, disk_reserve_setting()));
}

void set_disk_reserve(std::int64_t bytes) {
  State& s = state();
  std::lock_guard lock(s.m);
  s.disk_reserve = bytes < 0 ? -1 : bytes;
}

std::int64_t disk_reserve_setting() {
  State& s = state();
  std::lock_guard lock(s.m);
  return s.disk_reserve;
}

MemoryInfo memory_info() {
  State& s = state();
  std::size_t limit = memory_limit();
  std::string backing = backing_dir();
  DiskSpace space;
  const bool known = disk_space(backing, space);
  const std::uint64_t reserve = known ? disk_reserve(space.total) : disk_reserve_at(backing);
  std::lock_guard lock(s.m);
  return {limit, ram_bytes_in_use(), ram_bytes_cached(), s.spill_bytes.load(), s.spill_files.load(),
          backing, s.dir, std::size_t(known ? space.free : 0), std::size_t(reserve)};
}

namespace {
std::shared_ptr<Buffer> allocate_buffer_impl(std::size_t size, bool zero, const Staircase* written) {
  if (!fits_in_budget(size) && ram_bytes_cached() > 0)
    release_cached_ram();  // reusable memory is the first thing to give back
  if (fits_in_budget(size)) {
    auto buf = RamBuffer::allocate(size, zero);
#ifdef MADV_NOHUGEPAGE
    // Fresh zero pages, touched only where written: 4 KiB pages, so that a
    // huge page does not make a whole unwritten region (the lower triangle)
    // resident.
    if (written && size >= (std::size_t(8) << 20)) {
      const std::uintptr_t page = 4096, a = (reinterpret_cast<std::uintptr_t>(buf->data()) + page - 1) & ~(page - 1);
      const std::uintptr_t b = (reinterpret_cast<std::uintptr_t>(buf->data()) + size) & ~(page - 1);
      if (b > a) madvise(reinterpret_cast<void*>(a), b - a, MADV_NOHUGEPAGE);
    }
#endif
    return buf;
  }
  State& s = state();
  std::string path;
  {
    std::lock_guard lock(s.m);
    ensure_spill_dir(s);
    path = s.dir + "/" + kSpillPrefix + std::to_string(++s.counter) + ".bin";
  }
  return MappedFileBuffer::create_spill(path, size, written);
}
}  // namespace

std::shared_ptr<Buffer> allocate_buffer(std::size_t size, bool zero) { return allocate_buffer_impl(size, zero, nullptr); }

std::shared_ptr<Buffer> allocate_buffer(std::size_t size, const Staircase& written) {
  return allocate_buffer_impl(size, true, &written);
}

void detail::spill_created(std::size_t bytes) {
  State& s = state();
  s.spill_bytes += bytes;
  s.spill_files += 1;
}

void detail::spill_released(std::size_t bytes) {
  State& s = state();
  s.spill_bytes -= bytes;
  s.spill_files -= 1;
}

void remove_spill_dir() {
  State& s = state();
  std::lock_guard lock(s.m);
  if (s.owner != getpid()) return;
  for (auto& [dir, fd] : s.made) {
    remove_dir_contents(dir);  // mapped spill files stay valid until unmapped
    ::close(fd);
  }
  s.made.clear();
  s.lock_fd = -1;
  s.dir.clear();
}

int remove_stale_spill_dirs(const std::string& dir) {
  int removed = 0;
  DIR* d = opendir(dir.c_str());
  if (!d) return 0;
  while (dirent* e = readdir(d)) {
    if (!starts_with(e->d_name, kDirPrefix)) continue;
    std::string path = dir + "/" + e->d_name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid()) continue;
    int fd = ::open((path + "/" + kLockName).c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;  // no lock file: not ours to judge
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {  // the owner is gone
      if (remove_dir_contents(path)) ++removed;
    }
    ::close(fd);
  }
  closedir(d);
  return removed;
}

}  // namespace pycauset
