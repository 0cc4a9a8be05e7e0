#include "pycauset/storage/tile_io.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "pycauset/core/error.hpp"

namespace pycauset {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  std::string m = what;
  m.append(" '").append(path).append("': ").append(std::strerror(errno));
  throw ValueError(m);
}

}  // namespace

FileRegion::FileRegion(std::string path, bool writable) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd_ < 0) fail("cannot open", path_);
#ifdef O_DIRECT
  direct_fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT);  // -1 where unsupported (tmpfs)
#endif
}

FileRegion::~FileRegion() {
  if (fd_ >= 0) ::close(fd_);
  if (direct_fd_ >= 0) ::close(direct_fd_);
}

std::byte* FileRegion::read_direct(std::uint64_t offset, std::size_t n, std::byte* buf) const {
  constexpr std::uint64_t kBlock = 4096;
  const std::uint64_t start = offset / kBlock * kBlock;
  std::byte* data = buf + (offset - start);
  if (direct_fd_ < 0 || reinterpret_cast<std::uintptr_t>(buf) % kBlock != 0 || n == 0) {
    read(offset, n, data);
    return data;
  }
  const std::uint64_t end = (offset + n + kBlock - 1) / kBlock * kBlock;
  std::uint64_t at = start;
  std::byte* dst = buf;
  while (at < offset + n) {
    ssize_t got = ::pread(direct_fd_, dst, std::size_t(end - at), off_t(at));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {  // the file system refused direct I/O after all: read normally
      read(offset, n, data);
      return data;
    }
    if (got == 0) {
      errno = 0;
      throw ValueError("cannot read '" + path_ + "': the file is shorter than expected");
    }
    at += std::uint64_t(got);
    dst += got;
    if (std::uint64_t(got) % kBlock != 0) break;  // end of file: a short last block
  }
  if (at < offset + n) {
    errno = 0;
    throw ValueError("cannot read '" + path_ + "': the file is shorter than expected");
  }
  return data;
}

void FileRegion::read(std::uint64_t offset, std::size_t n, std::byte* dst) const {
  while (n > 0) {
    ssize_t got = ::pread(fd_, dst, n, off_t(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("cannot read", path_);
    if (got == 0) {
      errno = 0;
      throw ValueError("cannot read '" + path_ + "': the file is shorter than expected");
    }
    dst += got;
    offset += std::uint64_t(got);
    n -= std::size_t(got);
  }
}

void FileRegion::write(std::uint64_t offset, std::size_t n, const std::byte* src) const {
  while (n > 0) {
    ssize_t put = ::pwrite(fd_, src, n, off_t(offset));
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) fail("cannot write", path_);
    src += put;
    offset += std::uint64_t(put);
    n -= std::size_t(put);
  }
}

void FileRegion::sync_and_drop(std::uint64_t offset, std::size_t n) const {
#ifdef SYNC_FILE_RANGE_WRITE
  ::sync_file_range(fd_, off_t(offset), off_t(n),
                    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
#endif
  drop(offset, n);
}

void FileRegion::drop(std::uint64_t offset, std::size_t n) const {
  ::posix_fadvise(fd_, off_t(offset), off_t(n), POSIX_FADV_DONTNEED);
}

IoThread::IoThread()
    : thread_([this] {
        pthread_setname_np(pthread_self(), "pycauset-io");
        run();
      }) {}

IoThread::~IoThread() {
  {
    std::lock_guard lock(m_);
    stop_ = true;
    jobs_.clear();
  }
  cv_.notify_one();
  thread_.join();
}

std::future<void> IoThread::submit(std::function<void()> job) {
  std::packaged_task<void()> task(std::move(job));
  std::future<void> done = task.get_future();
  {
    std::lock_guard lock(m_);
    jobs_.push_back(std::move(task));
  }
  cv_.notify_one();
  return done;
}

void IoThread::run() {
  for (;;) {
    std::packaged_task<void()> task;
    {
      std::unique_lock lock(m_);
      cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (stop_) return;
      task = std::move(jobs_.front());
      jobs_.pop_front();
    }
    task();
  }
}

}  // namespace pycauset
