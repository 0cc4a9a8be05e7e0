#pragma once
// Block I/O: row blocks and rectangles of an Array (or of rows stored in a
// file) moved to and from RAM tiles. Out-of-core algorithms, writers that
// stream rows into a new file and readers of foreign row-major files use it.
//
// Where the rows live in a file that may be written through explicit I/O (a
// .pycauset file loaded in mode r or r+, a spill file, or a FileRegion the
// caller opened) and each row is a contiguous byte run, blocks move with
// pread/pwrite on the file itself (direct reads where the file system allows)
// and pages are dropped after use; anything else (RAM, copy-on-write maps,
// transposed and strided views) is copied through memory with convert().
//
// Tiles are row-major, laid out as a contiguous Array of the tile's dtype
// lays out its rows: `w` elements per row, or for bit, w bits padded to whole
// 64-bit words (tile_row_bytes), with the padding bits zero after every read.
// Bit blocks are word-aligned: on a bit array a column range must start at a
// multiple of 64 (ValueError otherwise), and bit tiles handed to a write use a
// row pitch `ld` (in bits) that is a multiple of 64.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "pycauset/array/array.hpp"
#include "pycauset/storage/tile_io.hpp"

namespace pycauset {

/// Bytes of `a` that are not in RAM: its packed size (Array::nbytes) when it
/// lives in a file (loaded or spill), 0 for RAM. Routers add it to the RAM an
/// in-RAM computation would need.
std::size_t bytes_outside_ram(const Array& a);

/// Row and column blocks of one 2-D region. Cheap to construct; holds the
/// Array (or file) alive. Thread safety: const methods on distinct row ranges
/// (or distinct 64-aligned column ranges for bit) may run concurrently.
class BlockStore {
 public:
  using index_t = Array::index_t;

  /// Bytes one tile row of `cols` elements of `dtype` takes: cols * itemsize,
  /// or for bit ceil(cols / 64) * 8 (whole words).
  static std::size_t tile_row_bytes(DType dtype, index_t cols);

  /// The rows of `a`. A rank-1 array is one row, or one column (n rows of
  /// one element) when `vector_as_column`.
  explicit BlockStore(const Array& a, bool vector_as_column = false);

  /// Rows kept in a file with no Array over them: `rows` x `cols` elements
  /// of `dtype`, row r starting at byte offset + r * row_stride (row_stride 0:
  /// tile_row_bytes(dtype, cols), the .pycauset payload layout). Every
  /// operation goes through `file` (writes need it opened writable). For
  /// writers streaming rows into a new file and readers of raw row-major
  /// files such as a .npy payload. Bit rows are packed as in memory (element
  /// k of a row is bit k % 8 of byte k / 8) and row_stride must be a multiple
  /// of 8 bytes. ValueError for a stride shorter than a row.
  BlockStore(std::shared_ptr<FileRegion> file, std::uint64_t offset, DType dtype, index_t rows, index_t cols,
             std::uint64_t row_stride = 0);

  index_t rows() const { return rows_; }
  index_t cols() const { return cols_; }
  DType dtype() const { return dtype_; }
  /// True when blocks move by explicit file I/O (pread/pwrite), not memory.
  bool in_file() const { return file_ != nullptr; }

  /// Rows [r0, r1) converted to `dtype` into dst, row-major with
  /// tile_row_bytes(dtype, cols()) bytes per row. Any thread.
  void read_rows(index_t r0, index_t r1, DType dtype, std::byte* dst) const;
  /// As read_rows, into a buffer with kDirectSlack spare bytes, bypassing the
  /// page cache where it can (FileRegion::read_direct); returns where the
  /// rows begin (buf, or up to 4 KiB past it).
  static constexpr std::size_t kDirectSlack = 8192;
  std::byte* read_rows_direct(index_t r0, index_t r1, DType dtype, std::byte* buf) const;
  /// Elements [r0, r1) x [c0, c1) converted to `dtype` into dst, row-major
  /// with tile_row_bytes(dtype, c1 - c0) bytes per row, or `ld` elements
  /// (bits for bit, a multiple of 64) from one row to the next when ld > 0
  /// (one read per row when the columns are a part). Bit arrays: c0 % 64 == 0.
  void read_block(index_t r0, index_t r1, index_t c0, index_t c1, DType dtype, std::byte* dst,
                  index_t ld = 0) const;

  /// Rows [r0, r1) from src (this store's dtype, row-major, tile_row_bytes
  /// per row). Bit: padding bits of src are ignored (written as zero).
  void write_rows(index_t r0, index_t r1, const std::byte* src) const;
  /// As write_rows, from src of another dtype (tile_row_bytes(src_dtype,
  /// cols()) per row), converted on the way (casts as convert()).
  void write_rows(index_t r0, index_t r1, const std::byte* src, DType src_dtype) const;
  /// Elements [r0, r1) x [c0, c1) from src (this store's dtype, row-major
  /// with `ld` elements, bits for bit, from one row to the next; 0: packed
  /// rows as read_block writes them). Bit:
  /// c0 % 64 == 0 and ld % 64 == 0; columns of the array past c1 in the last
  /// word are kept, bits of src past c1 - c0 are ignored.
  void write_block(index_t r0, index_t r1, index_t c0, index_t c1, const std::byte* src, index_t ld) const;
  /// As write_block, from src of another dtype (converted on the way, casts
  /// as convert(); `ld` in elements of src_dtype, a multiple of 64 for bit).
  void write_block(index_t r0, index_t r1, index_t c0, index_t c1, const std::byte* src, index_t ld,
                   DType src_dtype) const;

  /// Input rows no longer needed: their cached pages are dropped.
  void release_rows(index_t r0, index_t r1) const;
  /// Written rows are final: flushed to disk and their pages dropped.
  void finish_rows(index_t r0, index_t r1) const;

 private:
  void check_block(index_t r0, index_t r1, index_t c0, index_t c1) const;
  StridedRef memory_ref(index_t r0, index_t r1, index_t c0, index_t c1) const;
  std::uint64_t file_at(index_t r, index_t c) const;
  void file_read(index_t r0, index_t r1, index_t c0, index_t c1, std::byte* dst, std::size_t pitch) const;
  void file_write(index_t r0, index_t r1, index_t c0, index_t c1, const std::byte* src, std::size_t pitch) const;

  std::shared_ptr<Buffer> buffer_;  // the Array's storage, kept alive; null for a file-only store
  DType dtype_ = DType::float64;
  index_t rows_ = 0, cols_ = 0;
  StridedRef base_;    // element (0, 0) in memory; strides in bytes (bits for bit)
  std::size_t item_ = 0;  // bytes per element (0 for bit)
  std::shared_ptr<FileRegion> file_;
  std::uint64_t file_base_ = 0;    // file offset of element (0, 0)
  std::uint64_t file_stride_ = 0;  // bytes from one row to the next in the file
};

}  // namespace pycauset
