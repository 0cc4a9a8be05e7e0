#pragma once
// Buffers own the bytes behind every Matrix and Vector. The rest of the system
// sees only this interface; RAM buffers live here, file-mapped ones join later.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace pycauset {

enum class StorageKind { ram, file, spill };

/// A contiguous, owned byte region. Not copyable; shared through shared_ptr.
/// Thread safety: the bytes are not synchronised; pin counting is atomic.
class Buffer {
 public:
  virtual ~Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  virtual StorageKind kind() const = 0;
  /// Path of the backing file; empty for RAM.
  virtual std::string path() const { return {}; }
  virtual bool writable() const { return true; }

  /// A pinned buffer is referenced by raw pointers outside pycauset (an exported
  /// NumPy view) and must not move, spill or be freed while pinned.
  void pin() { pins_.fetch_add(1); }
  void unpin() { pins_.fetch_sub(1); }
  int pins() const { return pins_.load(); }

  /// Write generation: counts the writes made to these bytes through pycauset
  /// (every Array write path calls note_write), so a structure mark checked at
  /// one generation is known to be still true while the generation is the same.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  void note_write() { generation_.fetch_add(1, std::memory_order_acq_rel); }

 protected:
  Buffer(std::byte* data, std::size_t size) : data_(data), size_(size) {}
  std::byte* data_;
  std::size_t size_;

 private:
  std::atomic<int> pins_{0};
  std::atomic<std::uint64_t> generation_{0};
};

/// Anonymous memory, 64-byte aligned; large buffers are 2 MiB aligned and ask
/// for transparent huge pages, which makes first touch ~2.5x faster.
class RamBuffer final : public Buffer {
 public:
  /// Allocates `size` bytes (plus 8 bytes of zeroed slack for word-wise bit
  /// reads). zero=true gives zeroed memory (free for large buffers: fresh pages
  /// are zero). Raises MemoryError when the allocation fails.
  static std::shared_ptr<RamBuffer> allocate(std::size_t size, bool zero);
  ~RamBuffer() override;
  StorageKind kind() const override { return StorageKind::ram; }

 private:
  RamBuffer(std::byte* data, std::size_t size, std::size_t mapped, bool mmapped)
      : Buffer(data, size), mapped_(mapped), mmapped_(mmapped) {}
  std::size_t mapped_;
  bool mmapped_;
};

/// Holds a buffer pinned for as long as it lives (RAII for pin/unpin).
class BufferPin {
 public:
  explicit BufferPin(std::shared_ptr<Buffer> buffer) : buffer_(std::move(buffer)) { buffer_->pin(); }
  ~BufferPin() { buffer_->unpin(); }
  BufferPin(const BufferPin&) = delete;
  BufferPin& operator=(const BufferPin&) = delete;

 private:
  std::shared_ptr<Buffer> buffer_;
};

/// Memory for a copy handed over to NumPy: the exported ndarray owns it through
/// a small owner object that destroys this block. Comes from the reuse cache
/// of freed large mappings when one of fitting size is there (already-touched
/// pages: no page faults), else from a fresh mapping. Not counted in
/// ram_bytes_in_use() while alive (it is the user's memory, outside the
/// budget); on destruction the mapping goes back to the cache, where it counts
/// in ram_bytes_cached() and is the first thing the governor releases.
/// Meant for sizes >= 1 MiB (smaller exports use NumPy's own allocator).
class ExportBlock {
 public:
  /// Raises MemoryError when the allocation fails. Contents are unspecified.
  static std::unique_ptr<ExportBlock> allocate(std::size_t size);
  ~ExportBlock();
  ExportBlock(const ExportBlock&) = delete;
  ExportBlock& operator=(const ExportBlock&) = delete;

  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  /// True when the memory was taken from the reuse cache.
  bool reused() const { return reused_; }

 private:
  ExportBlock(std::byte* data, std::size_t size, std::size_t mapped, bool mmapped, bool reused)
      : data_(data), size_(size), mapped_(mapped), mmapped_(mmapped), reused_(reused) {}
  std::byte* data_;
  std::size_t size_;
  std::size_t mapped_;
  bool mmapped_;
  bool reused_;
};

/// Bytes currently held by RAM buffers in this process (for the governor).
std::size_t ram_bytes_in_use();

/// Bytes of freed large buffers kept for reuse (at most 256 MiB).
std::size_t ram_bytes_cached();
/// Returns every cached buffer to the operating system.
void release_cached_ram();

}  // namespace pycauset
