#include "pycauset/storage/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pycauset/core/error.hpp"
#include "pycauset/storage/disk.hpp"
#include "pycauset/storage/governor.hpp"

namespace pycauset {
namespace {

constexpr std::size_t kSlack = 8;

std::string os_error(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

char read_first_char(const char* path) {
  char c = 0;
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (::read(fd, &c, 1) != 1) c = 0;
    ::close(fd);
  }
  return c;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::shared_ptr<MappedFileBuffer> MappedFileBuffer::open(const std::string& path, std::uint64_t offset,
                                                         std::size_t size, MapMode mode, StorageKind kind) {
  Fd f;
  f.fd = ::open(path.c_str(), (mode == MapMode::read_write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (f.fd < 0) throw OsError(errno, os_error("cannot open", path), path);
  return from_fd(f.fd, path, offset, size, mode, kind);
}

std::shared_ptr<MappedFileBuffer> MappedFileBuffer::from_fd(int fd, const std::string& path, std::uint64_t offset,
                                                            std::size_t size, MapMode mode, StorageKind kind) {
  struct stat st;
  if (fstat(fd, &st) != 0) throw ValueError(os_error("cannot stat", path));
  if (std::uint64_t(st.st_size) < offset + size + kSlack)
    throw ValueError("file '" + path + "' is shorter than the region it should hold");
  const auto page = std::uint64_t(sysconf(_SC_PAGESIZE));
  std::uint64_t start = offset / page * page;
  std::size_t length = std::size_t(offset - start) + size + kSlack;
  int prot = mode == MapMode::read_only ? PROT_READ : PROT_READ | PROT_WRITE;
  // A private mapping is not charged against the commit limit (NORESERVE): the
  // pages a process changes are its own memory, and asking for all of them up
  // front refuses files larger than RAM.
  int flags = mode == MapMode::copy_on_write ? MAP_PRIVATE | MAP_NORESERVE : MAP_SHARED;
  void* base = mmap(nullptr, length, prot, flags, fd, off_t(start));
  if (base == MAP_FAILED) throw ValueError(os_error("cannot map", path));
  auto* data = static_cast<std::byte*>(base) + (offset - start);
  return std::shared_ptr<MappedFileBuffer>(
      new MappedFileBuffer(data, size, base, length, offset, path, mode, kind, false));
}

std::shared_ptr<MappedFileBuffer> MappedFileBuffer::create_spill(const std::string& path, std::size_t size,
                                                                 const Staircase* written) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (f.fd < 0) throw MemoryError(os_error("cannot create spill file", path));
  std::size_t length = std::size_t(kSpillDataOffset) + size + kSlack;
  try {
    // Every block the mapping can touch is allocated now: a full disk is a
    // MemoryError here, never a SIGBUS on a later write.
    if (written) {
      Staircase in_file = *written;
      in_file.offset += kSpillDataOffset;
      reserve_file_space(f.fd, path, path, length, in_file, SpaceUse::spill);
    } else {
      reserve_file_space(f.fd, path, path, length, SpaceUse::spill);
    }
  } catch (...) {
    ::unlink(path.c_str());
    throw;
  }
  void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd, 0);
  if (base == MAP_FAILED) {
    int err = errno;
    ::unlink(path.c_str());
    errno = err;
    throw MemoryError(os_error("cannot map spill file", path));
  }
  auto buf = std::shared_ptr<MappedFileBuffer>(new MappedFileBuffer(static_cast<std::byte*>(base) + kSpillDataOffset,
                                                                    size, base, length, kSpillDataOffset, path,
                                                                    MapMode::read_write, StorageKind::spill, true));
  detail::spill_created(size);  // counted here, released in the destructor: the pair always matches
  return buf;
}

void MappedFileBuffer::make_copy_on_write() {
  if (mode_ != MapMode::read_write) return;
  // Under strict overcommit (mode 2) NORESERVE is ignored and moving the new
  // mapping into place could fail after the old one is gone: refuse up front.
  if (read_first_char("/proc/sys/vm/overcommit_memory") == '2')
    throw MemoryError("cannot make '" + path_ + "' copy-on-write: strict overcommit (vm.overcommit_memory = 2)");
  Fd f;
  f.fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) throw OsError(errno, os_error("cannot open", path_), path_);
  // The mapping's offset in the file: data() sits offset_ - start bytes into it.
  const std::uint64_t start = offset_ - std::uint64_t(data_ - static_cast<std::byte*>(base_));
  // Map privately at a new address first, so that a refusal leaves the object
  // as it was, then move that mapping over the old one in one step (the
  // addresses stay the same, so views and pointers remain valid).
  void* p = mmap(nullptr, length_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, f.fd, off_t(start));
  if (p == MAP_FAILED) throw MemoryError(os_error("cannot map copy-on-write", path_));
  if (mremap(p, length_, length_, MREMAP_MAYMOVE | MREMAP_FIXED, base_) == MAP_FAILED) {
    int err = errno;
    munmap(p, length_);
    errno = err;
    throw MemoryError(os_error("cannot remap", path_));
  }
  mode_ = MapMode::copy_on_write;
}

MappedFileBuffer::~MappedFileBuffer() {
  munmap(base_, length_);
  if (remove_) {
    ::unlink(path_.c_str());
    detail::spill_released(size_);
  }
}

}  // namespace pycauset
