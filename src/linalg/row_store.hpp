#pragma once
// Row ranges of an Array moved to and from RAM tiles, for the out-of-core
// algorithms. A contiguous array in a mapped file (a loaded .pycauset file or
// a spill file) is read and written with pread/pwrite on the file itself and
// its pages dropped after use; anything else (RAM, copy-on-write maps, strided
// views) is copied through memory.
#include <memory>
#include <optional>

#include "pycauset/array/array.hpp"
#include "pycauset/storage/tile_io.hpp"

namespace pycauset::linalg::detail {

class RowStore {
 public:
  using index_t = Array::index_t;

  /// A rank-1 array is one row, or one column when `vector_as_column`.
  explicit RowStore(const Array& a, bool vector_as_column = false);

  index_t rows() const { return rows_; }
  index_t cols() const { return cols_; }
  DType dtype() const { return a_.dtype(); }
  bool in_file() const { return file_ != nullptr; }

  /// Rows [r0, r1) converted to `dtype` into dst, row-major with `cols()`
  /// elements per row. Any thread.
  void read_rows(index_t r0, index_t r1, DType dtype, std::byte* dst) const;
  /// As read_rows, into a buffer with kDirectSlack spare bytes, bypassing the
  /// page cache where it can (FileRegion::read_direct); returns where the
  /// rows begin (buf, or up to 4 KiB past it).
  static constexpr std::size_t kDirectSlack = 8192;
  std::byte* read_rows_direct(index_t r0, index_t r1, DType dtype, std::byte* buf) const;
  /// Elements [r0, r1) x [c0, c1) converted to `dtype` into dst, row-major
  /// with c1 - c0 per row (one read per row when the columns are a part).
  void read_block(index_t r0, index_t r1, index_t c0, index_t c1, DType dtype, std::byte* dst) const;
  /// Rows [r0, r1) from src (this array's dtype, row-major, cols() per row).
  void write_rows(index_t r0, index_t r1, const std::byte* src) const;
  /// Elements [r0, r1) x [c0, c1) from src (this array's dtype, row-major
  /// with `ld` elements from one row to the next).
  void write_block(index_t r0, index_t r1, index_t c0, index_t c1, const std::byte* src, index_t ld) const;
  /// Input rows no longer needed: their cached pages are dropped.
  void release_rows(index_t r0, index_t r1) const;
  /// Written rows are final: flushed to disk and their pages dropped.
  void finish_rows(index_t r0, index_t r1) const;

 private:
  StridedRef rows_ref(index_t r0, index_t r1) const;
  Array a_;
  index_t rows_, cols_;
  std::int64_t s0_, s1_;  // byte strides of (row, column) in memory
  std::size_t item_;
  std::shared_ptr<FileRegion> file_;
  std::uint64_t file_base_ = 0;  // file offset of element (0, 0)
};

}  // namespace pycauset::linalg::detail
