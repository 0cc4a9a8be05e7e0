#pragma once
// Explicit file I/O for out-of-core algorithms. They move tiles between files
// and RAM buffers the governor accounts for, with pread/pwrite rather than a
// memory map (whose page-cache growth no budget controls), drop the pages
// they are done with, and run the I/O on one background thread so that it
// overlaps with BLAS.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>

namespace pycauset {

/// An open file for positioned reads and writes. Not copyable.
/// Thread safety: distinct ranges may be read and written concurrently.
class FileRegion {
 public:
  /// Opens `path` read-only or read-write; ValueError naming the file on failure.
  FileRegion(std::string path, bool writable);
  ~FileRegion();
  FileRegion(const FileRegion&) = delete;
  FileRegion& operator=(const FileRegion&) = delete;

  const std::string& path() const { return path_; }

  /// Reads exactly n bytes at `offset` into dst (retrying short reads and
  /// EINTR). ValueError naming the file when it fails or the file is short.
  void read(std::uint64_t offset, std::size_t n, std::byte* dst) const;
  /// Reads the n bytes at `offset` into buf, bypassing the page cache (direct
  /// I/O) where the file system allows: whole 4 KiB blocks are read, so the
  /// bytes land at buf + (offset % 4096), which is returned. buf must hold
  /// n + 8192 bytes. Without direct I/O (or for an unaligned buf) it is an
  /// ordinary read to the same place. Direct reads cost no CPU copying and
  /// leave no pages cached, which matters when BLAS needs every core.
  std::byte* read_direct(std::uint64_t offset, std::size_t n, std::byte* buf) const;
  /// Writes exactly n bytes at `offset`. ValueError naming the file on failure.
  void write(std::uint64_t offset, std::size_t n, const std::byte* src) const;
  /// Writes the range back to disk, waits for it, then drops its pages from
  /// the page cache: finished output leaves no dirty or cached pages behind.
  void sync_and_drop(std::uint64_t offset, std::size_t n) const;
  /// Drops the range's clean cached pages (input the caller is done with).
  void drop(std::uint64_t offset, std::size_t n) const;

 private:
  std::string path_;
  int fd_ = -1;
  int direct_fd_ = -1;  // the same file opened with O_DIRECT, or -1
};

/// One background thread that runs submitted jobs in order. Exceptions travel
/// through the returned futures. The destructor waits for the job that is
/// running and discards the ones not yet started (their futures report a
/// broken promise), so declare an IoThread after the buffers its jobs touch.
class IoThread {
 public:
  IoThread();
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  std::future<void> submit(std::function<void()> job);

 private:
  void run();
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<void()>> jobs_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace pycauset
