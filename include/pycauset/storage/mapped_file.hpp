#pragma once
// Buffers over memory-mapped file regions: loaded .pycauset files and spill files.
#include <cstdint>
#include <memory>
#include <string>

#include "pycauset/storage/buffer.hpp"
#include "pycauset/storage/disk.hpp"

namespace pycauset {

/// How a file is mapped. read_only: writes through pycauset raise;
/// read_write: writes go to the file; copy_on_write: writes stay private to
/// this process and the file never changes.
enum class MapMode { read_only, read_write, copy_on_write };

/// A mapped region [offset, offset + size) of a file, plus 8 readable bytes
/// after it (bit kernels read whole words). The file must be that long.
class MappedFileBuffer final : public Buffer {
 public:
  /// Maps a region of an existing file. Raises ValueError naming the file
  /// when it cannot be opened or mapped.
  static std::shared_ptr<MappedFileBuffer> open(const std::string& path, std::uint64_t offset,
                                                std::size_t size, MapMode mode,
                                                StorageKind kind = StorageKind::file);
  /// As open, on an already open file descriptor (not taken over: the caller
  /// closes it; the mapping stays valid after that).
  static std::shared_ptr<MappedFileBuffer> from_fd(int fd, const std::string& path, std::uint64_t offset,
                                                   std::size_t size, MapMode mode,
                                                   StorageKind kind = StorageKind::file);
  /// Creates a new zero-filled file at path, maps it read-write, and removes
  /// the file when the buffer dies. Its blocks are reserved first
  /// (reserve_file_space, keeping the governor's disk reserve free), so writes
  /// through the mapping never fault for lack of space; a full disk is a
  /// MemoryError naming the size, the directory and the free space, and leaves
  /// no file behind. The data starts at byte
  /// kSpillDataOffset, leaving room for a .pycauset header, so that saving a
  /// spilled object can turn its file into the saved one (no copy).
  /// With `written`, only those parts of the data get disk blocks up front
  /// (offsets relative to the data); the rest stays holes that read as zero.
  static std::shared_ptr<MappedFileBuffer> create_spill(const std::string& path, std::size_t size,
                                                        const Staircase* written = nullptr);
  static constexpr std::uint64_t kSpillDataOffset = 4096;

  /// Keeps the current contents but makes later writes private to this
  /// process (copy-on-write), so the file never changes again. The addresses
  /// stay the same (pinned views remain valid). For a read-write mapping.
  /// The private mapping is not charged against the commit limit, so it works
  /// for files larger than RAM; pages written afterwards are anonymous memory.
  /// Raises MemoryError, with the mapping unchanged, where the system refuses.
  void make_copy_on_write();
  ~MappedFileBuffer() override;

  StorageKind kind() const override { return kind_; }
  std::string path() const override { return path_; }
  bool writable() const override { return mode_ != MapMode::read_only; }
  MapMode mode() const { return mode_; }
  /// Byte offset of data() within the file (for explicit pread/pwrite).
  std::uint64_t file_offset() const { return offset_; }

 private:
  MappedFileBuffer(std::byte* data, std::size_t size, void* base, std::size_t length,
                   std::uint64_t offset, std::string path, MapMode mode, StorageKind kind, bool remove)
      : Buffer(data, size), base_(base), length_(length), offset_(offset), path_(std::move(path)),
        mode_(mode), kind_(kind), remove_(remove) {}
  void* base_;
  std::size_t length_;
  std::uint64_t offset_;
  std::string path_;
  MapMode mode_;
  StorageKind kind_;
  bool remove_;
};

}  // namespace pycauset
