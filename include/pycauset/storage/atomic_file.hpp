#pragma once
// Crash-safe file replacement: write a temporary file beside the target, then
// fsync it, rename it over the target and fsync the directory. A crash at any
// point leaves either the old file or the new one, never a mix.
#include <cstddef>
#include <cstdint>
#include <string>

namespace pycauset {

/// A file being written for atomic replacement of `path`.
/// The temporary lives in the target's directory (so rename is atomic) and is
/// named ".<name>.tmp-<pid>-<n>"; temporaries left by dead processes for the
/// same target are removed on construction. Destroying an AtomicFile that was
/// not committed removes its temporary. Not thread-safe.
///
/// Large writes whose memory and file offset share their place within a 4 KiB
/// page go to the disk directly (O_DIRECT) where the file system allows it:
/// the data must reach the disk before commit() anyway, and skipping the page
/// cache saves a copy and leaves the cache to data that will be read again.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Writes n bytes at offset (OsError with the OS reason on failure).
  void write(const std::byte* data, std::size_t n, std::uint64_t offset);
  /// Bytes written so far with direct I/O (for tests and benchmarks).
  std::uint64_t direct_bytes() const { return direct_bytes_; }

  /// Direct I/O needs memory and file offset at the same place within a page of this size.
  static constexpr std::size_t kDirectAlignment = 4096;
  /// How far past `address` (less than kDirectAlignment) a chunk bound for
  /// `file_offset` must start so that write() can take it by direct I/O; a
  /// staging buffer with kDirectAlignment bytes of slack always has room.
  static std::size_t direct_placement(std::uintptr_t address, std::uint64_t file_offset) {
    return std::size_t((file_offset - address) % kDirectAlignment);
  }
  /// Sets the file's length (a hole reads as zeros).
  void resize(std::uint64_t length);
  /// Allocates the first `length` bytes of the file before they are written
  /// (see reserve_file_space): a disk that cannot hold them raises
  /// OsError(ENOSPC) naming the target, the size and the free space, and
  /// nothing has been written. Call it before the first write.
  void reserve(std::uint64_t length);
  /// fsync, rename over the target, fsync the directory.
  void commit();
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return tmp_; }

 private:
  std::string path_, tmp_;
  void write_buffered(const std::byte* data, std::size_t n, std::uint64_t offset);
  std::size_t write_direct(const std::byte* data, std::size_t n, std::uint64_t offset);

  int fd_ = -1;
  int direct_fd_ = -2;  // -2: not opened yet; -1: the file system refused O_DIRECT
  bool committed_ = false;
  std::uint64_t early_written_ = 0;  // bytes handed to writeback as they were written
  std::uint64_t direct_bytes_ = 0;
};

}  // namespace pycauset
