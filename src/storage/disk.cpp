#include "pycauset/storage/disk.hpp"

#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "pycauset/core/error.hpp"
#include "pycauset/storage/governor.hpp"

namespace pycauset {

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

namespace {

[[noreturn]] void no_space(const std::string& target, std::uint64_t length, SpaceUse use, bool known,
                           const DiskSpace& space, std::uint64_t keep) {
  const std::string dir = dir_of(target);
  std::string free = known ? format_bytes(space.free) + " free" : "too little free space";
  if (use == SpaceUse::spill) {
    std::string msg = "cannot spill " + format_bytes(length) + " to '" + dir + "': its file system has " + free;
    if (known && keep > 0) msg += " and pycauset keeps " + format_bytes(keep) + " of it free (pc.set_disk_reserve)";
    msg += "; free disk space, spill elsewhere with pc.set_backing_dir, or give pycauset more RAM with "
           "pc.set_memory_limit";
    throw MemoryError(msg);
  }
  throw OsError(ENOSPC,
                std::string(std::strerror(ENOSPC)) + ": writing it needs " + format_bytes(length) +
                    " and the file system of '" + dir + "' has " + free,
                target);
}

}  // namespace

bool disk_space(const std::string& path, DiskSpace& out) {
  struct statvfs st;
  if (::statvfs(path.c_str(), &st) != 0) return false;
  const std::uint64_t unit = st.f_frsize ? st.f_frsize : st.f_bsize;
  out.total = std::uint64_t(st.f_blocks) * unit;
  out.free = std::uint64_t(st.f_bavail) * unit;
  return true;
}

std::string format_bytes(std::uint64_t bytes) {
  static const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1024 && u < 6) v /= 1024, ++u;
  char buf[48];
  if (u == 0) std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

void reserve_file_space(int fd, const std::string& file, const std::string& target, std::uint64_t length,
                        SpaceUse use) {
  DiskSpace space;
  const bool known = disk_space(dir_of(file), space);
  const std::uint64_t keep = use == SpaceUse::spill && known ? disk_reserve(space.total) : 0;
  // The check also covers file systems where fallocate is not available.
  if (known && (space.free < keep || space.free - keep < length)) no_space(target, length, use, known, space, keep);
  if (length == 0) return;
  int rc;
  do rc = ::fallocate(fd, 0, 0, off_t(length));
  while (rc != 0 && errno == EINTR);
  if (rc == 0) return;
  const int err = errno;
  if (err == ENOSPC || err == EDQUOT) {
    DiskSpace now = space;
    const bool again = disk_space(dir_of(file), now);
    // fallocate may have allocated part of the range: give it back.
    if (::ftruncate(fd, 0) != 0) {}
    no_space(target, length, use, again, now, keep);
  }
  if (err != EOPNOTSUPP && err != ENOSYS && err != EINVAL)
    throw OsError(err, std::string("cannot reserve ") + format_bytes(length) + " for '" + file +
                       "': " + std::strerror(err), target);
  // No fallocate here: the free-space check above is all that can be done.
  if (use == SpaceUse::spill && ::ftruncate(fd, off_t(length)) != 0)
    throw OsError(errno, std::string("cannot size '") + file + "': " + std::strerror(errno), target);
}

std::uint64_t Staircase::skip(std::uint64_t r) const {
  const std::uint64_t k = rows_per_step ? (r / rows_per_step) * step_bytes : 0;
  return k < row_bytes ? k : row_bytes;
}

void reserve_file_space(int fd, const std::string& file, const std::string& target, std::uint64_t length,
                        const Staircase& stairs, SpaceUse use) {
  // On tmpfs and ramfs a read fault on a hole of a shared mapping allocates a
  // page (on disk file systems it maps zeros and allocates nothing): holes
  // there would turn reads into SIGBUS once the file system is full, so the
  // whole file is reserved.
  constexpr long kTmpfsMagic = 0x01021994, kRamfsMagic = 0x858458f6;
  struct statfs fs;
  if (::fstatfs(fd, &fs) == 0 && (long(fs.f_type) == kTmpfsMagic || long(fs.f_type) == kRamfsMagic))
    return reserve_file_space(fd, file, target, length, use);
  // Byte ranges to allocate: everything but the skipped start of each row,
  // neighbours merged when the gap between them is under one block (it would
  // not make a hole anyway).
  constexpr std::uint64_t kBlock = 4096;
  std::uint64_t needed = length;
  for (std::uint64_t r = 0; r < stairs.rows; ++r) needed -= stairs.skip(r);
  DiskSpace space;
  const bool known = disk_space(dir_of(file), space);
  const std::uint64_t keep = use == SpaceUse::spill && known ? disk_reserve(space.total) : 0;
  if (known && (space.free < keep || space.free - keep < needed)) no_space(target, needed, use, known, space, keep);
  if (length == 0) return;
  if (::ftruncate(fd, off_t(length)) != 0)
    throw OsError(errno, std::string("cannot size '") + file + "': " + std::strerror(errno), target);
  auto allocate = [&](std::uint64_t a, std::uint64_t b) {
    if (b <= a) return true;
    int rc;
    do rc = ::fallocate(fd, 0, off_t(a), off_t(b - a));
    while (rc != 0 && errno == EINTR);
    if (rc == 0) return true;
    const int err = errno;
    if (err == ENOSPC || err == EDQUOT) {
      DiskSpace now = space;
      const bool again = disk_space(dir_of(file), now);
      if (::ftruncate(fd, 0) != 0) {}
      no_space(target, needed, use, again, now, keep);
    }
    if (err != EOPNOTSUPP && err != ENOSYS && err != EINVAL)
      throw OsError(err, std::string("cannot reserve ") + format_bytes(needed) + " for '" + file +
                         "': " + std::strerror(err), target);
    return false;  // no fallocate here: the free-space check is all that can be done
  };
  std::uint64_t start = 0, end = stairs.offset;  // the bytes before the rows
  for (std::uint64_t r = 0; r < stairs.rows; ++r) {
    const std::uint64_t row = stairs.offset + r * stairs.row_bytes;
    const std::uint64_t a = row + stairs.skip(r), b = row + stairs.row_bytes;
    if (a >= b) continue;
    if (a - end < kBlock) {
      end = b;
      continue;
    }
    if (!allocate(start, end)) return;
    start = a, end = b;
  }
  const std::uint64_t tail = stairs.offset + stairs.rows * stairs.row_bytes;  // the bytes after the rows
  if (tail - end < kBlock) end = length;
  else if (!allocate(start, end)) return;
  else start = tail, end = length;
  allocate(start, end);
}

}  // namespace pycauset
