#include "pycauset/array/blocks.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "pycauset/core/error.hpp"
#include "pycauset/storage/mapped_file.hpp"

namespace pycauset {
namespace {

using index_t = Array::index_t;

// Converting file I/O goes through a staging buffer of about this size.
constexpr std::size_t kStagingBytes = std::size_t(8) << 20;
// A view whose rows are not packed end to end still moves by explicit file
// I/O when each row is at least this long (one pread per row); shorter rows
// go through the mapping.
constexpr std::size_t kMinRowRun = 4096;

/// A tile as a kernel descriptor: rows x cols elements, `pitch` bytes apart.
StridedRef tile_ref(const std::byte* p, DType dtype, index_t rows, index_t cols, std::size_t pitch) {
  StridedRef r;
  r.data = const_cast<std::byte*>(p);
  r.dtype = dtype;
  r.rows = rows;
  r.cols = cols;
  if (dtype == DType::bit) {
    r.s0 = std::int64_t(pitch) * 8;
    r.s1 = 1;
  } else {
    r.s0 = std::int64_t(pitch);
    r.s1 = std::int64_t(dtype_info(dtype).itemsize());
  }
  return r;
}

/// Bytes from one tile row to the next for a tile row pitch of `ld` elements
/// (bits for bit) holding `w` columns; ld == 0 means packed rows.
std::size_t tile_pitch(DType dtype, index_t w, index_t ld, const char* what) {
  if (ld == 0) return BlockStore::tile_row_bytes(dtype, w);
  if (ld < w)
    throw ValueError(std::string(what) + ": a row pitch of " + std::to_string(ld) + " elements is shorter than the " +
                     std::to_string(w) + " columns moved");
  if (dtype == DType::bit && ld % 64 != 0)
    throw ValueError(std::string(what) + ": bit tiles are word-aligned: the row pitch must be a multiple of 64 bits, got " +
                     std::to_string(ld));
  return dtype == DType::bit ? std::size_t(ld / 8) : std::size_t(ld) * dtype_info(dtype).itemsize();
}

std::uint64_t low_bits(index_t n) { return (std::uint64_t(1) << (n % 64)) - 1; }

/// Clears the bits past column w of each bit tile row (the last word's tail).
void clear_padding(std::byte* p, index_t rows, index_t w, std::size_t pitch) {
  if (w % 64 == 0) return;
  const std::uint64_t mask = low_bits(w);
  const std::size_t at = std::size_t(w / 64) * 8;
  for (index_t i = 0; i < rows; ++i) {
    std::uint64_t word;
    std::memcpy(&word, p + std::size_t(i) * pitch + at, 8);
    word &= mask;
    std::memcpy(p + std::size_t(i) * pitch + at, &word, 8);
  }
}

/// True when no row of the bit tile has a set bit past column w.
bool padding_clear(const std::byte* p, index_t rows, index_t w, std::size_t pitch) {
  if (w % 64 == 0) return true;
  const std::uint64_t mask = low_bits(w);
  const std::size_t at = std::size_t(w / 64) * 8;
  for (index_t i = 0; i < rows; ++i) {
    std::uint64_t word;
    std::memcpy(&word, p + std::size_t(i) * pitch + at, 8);
    if (word & ~mask) return false;
  }
  return true;
}

/// Rows per staging chunk for rows of `pitch` bytes.
index_t staging_rows(std::size_t pitch) {
  return std::max<index_t>(1, index_t(kStagingBytes / std::max<std::size_t>(pitch, 1)));
}

}  // namespace

std::size_t bytes_outside_ram(const Array& a) {
  return a.buffer()->kind() == StorageKind::ram ? 0 : a.nbytes();
}

std::size_t BlockStore::tile_row_bytes(DType dtype, index_t cols) {
  if (dtype == DType::bit) return std::size_t((cols + 63) / 64) * 8;
  return std::size_t(cols) * dtype_info(dtype).itemsize();
}

BlockStore::BlockStore(const Array& a, bool vector_as_column)
    : buffer_(a.buffer()), dtype_(a.dtype()), base_(a.ref()) {
  const bool bit = dtype_ == DType::bit;
  item_ = bit ? 0 : dtype_info(dtype_).itemsize();
  rows_ = base_.rows;
  cols_ = base_.cols;
  if (a.ndim() == 1 && vector_as_column) {
    rows_ = base_.cols;
    cols_ = 1;
    base_.rows = rows_;
    base_.cols = 1;
    base_.s0 = base_.s1;
    base_.s1 = bit ? 1 : std::int64_t(item_);
  }
  // Explicit file I/O needs each row to be one byte run of the file (for
  // bit: starting on a word) and a mapping whose writes reach the file.
  auto* mapped = dynamic_cast<const MappedFileBuffer*>(buffer_.get());
  if (!mapped || mapped->mode() == MapMode::copy_on_write || rows_ == 0 || cols_ == 0) return;
  const std::size_t row_bytes = tile_row_bytes(dtype_, cols_);
  std::uint64_t stride = row_bytes, start;
  if (bit) {
    if (base_.bit_offset % 64 != 0 || (cols_ > 1 && base_.s1 != 1)) return;
    if (rows_ > 1) {
      if (base_.s0 % 64 != 0 || base_.s0 < std::int64_t(row_bytes) * 8) return;
      stride = std::uint64_t(base_.s0 / 8);
    }
    start = std::uint64_t(base_.bit_offset / 8);
  } else {
    if (cols_ > 1 && base_.s1 != std::int64_t(item_)) return;
    if (rows_ > 1) {
      if (base_.s0 < std::int64_t(row_bytes)) return;
      stride = std::uint64_t(base_.s0);
    }
    start = std::uint64_t(base_.data - mapped->data());
  }
  if (stride != row_bytes && row_bytes < kMinRowRun) return;  // short scattered rows: through memory
  file_ = std::make_shared<FileRegion>(mapped->path(), mapped->writable());
  file_base_ = mapped->file_offset() + start;
  file_stride_ = stride;
}

BlockStore::BlockStore(std::shared_ptr<FileRegion> file, std::uint64_t offset, DType dtype, index_t rows,
                       index_t cols, std::uint64_t row_stride)
    : dtype_(dtype), rows_(rows), cols_(cols), file_(std::move(file)), file_base_(offset) {
  if (!file_) throw ValueError("BlockStore needs an open file");
  if (rows < 0 || cols < 0) throw ValueError("BlockStore: negative dimensions are not allowed");
  item_ = dtype == DType::bit ? 0 : dtype_info(dtype).itemsize();
  file_stride_ = row_stride == 0 ? tile_row_bytes(dtype, cols) : row_stride;
  if (file_stride_ < tile_row_bytes(dtype, cols))
    throw ValueError("BlockStore: a row stride of " + std::to_string(file_stride_) + " bytes is shorter than a row (" +
                     std::to_string(tile_row_bytes(dtype, cols)) + " bytes)");
  if (dtype == DType::bit && file_stride_ % 8 != 0)
    throw ValueError("BlockStore: rows of a bit file must lie a whole number of 64-bit words apart");
}

void BlockStore::check_block(index_t r0, index_t r1, index_t c0, index_t c1) const {
  if (r0 < 0 || r1 < r0 || r1 > rows_ || c0 < 0 || c1 < c0 || c1 > cols_)
    throw IndexError("block [" + std::to_string(r0) + ", " + std::to_string(r1) + ") x [" + std::to_string(c0) +
                     ", " + std::to_string(c1) + ") is outside the " + std::to_string(rows_) + " x " +
                     std::to_string(cols_) + " array");
  if (dtype_ == DType::bit && c0 % 64 != 0)
    throw ValueError("blocks of a bit array are word-aligned: a column range must start at a multiple of 64, got " +
                     std::to_string(c0));
}

StridedRef BlockStore::memory_ref(index_t r0, index_t r1, index_t c0, index_t c1) const {
  StridedRef s = base_;
  s.rows = r1 - r0;
  s.cols = c1 - c0;
  if (dtype_ == DType::bit)
    s.bit_offset += r0 * s.s0 + c0 * s.s1;
  else
    s.data += r0 * s.s0 + c0 * s.s1;
  return s;
}

std::uint64_t BlockStore::file_at(index_t r, index_t c) const {
  const std::uint64_t col = dtype_ == DType::bit ? std::uint64_t(c / 8) : std::uint64_t(c) * item_;
  return file_base_ + std::uint64_t(r) * file_stride_ + col;
}

// Raw rows (this store's dtype) from the file into dst, `pitch` bytes per row.
// Bit rows are read as whole words (the row's padding keeps them inside it).
void BlockStore::file_read(index_t r0, index_t r1, index_t c0, index_t c1, std::byte* dst, std::size_t pitch) const {
  const std::size_t run = tile_row_bytes(dtype_, c1 - c0);
  if (pitch == run && file_stride_ == run) return file_->read(file_at(r0, c0), std::size_t(r1 - r0) * run, dst);
  for (index_t r = r0; r < r1; ++r) file_->read(file_at(r, c0), run, dst + std::size_t(r - r0) * pitch);
}

void BlockStore::file_write(index_t r0, index_t r1, index_t c0, index_t c1, const std::byte* src,
                            std::size_t pitch) const {
  const index_t w = c1 - c0;
  const std::size_t run = tile_row_bytes(dtype_, w);
  if (dtype_ != DType::bit || w % 64 == 0 || (c1 == cols_ && padding_clear(src, r1 - r0, w, pitch))) {
    // Whole words, or a last word whose tail is the array's (zero) padding.
    if (pitch == run && file_stride_ == run) return file_->write(file_at(r0, c0), std::size_t(r1 - r0) * run, src);
    for (index_t r = r0; r < r1; ++r) file_->write(file_at(r, c0), run, src + std::size_t(r - r0) * pitch);
    return;
  }
  // Bit rows ending inside a word: whole words as they are, then the last word
  // masked (and merged with the columns past c1 when the block ends before
  // the row does).
  const std::uint64_t mask = low_bits(w);
  const std::size_t whole = std::size_t(w / 64) * 8;
  for (index_t r = r0; r < r1; ++r) {
    const std::byte* row = src + std::size_t(r - r0) * pitch;
    const std::uint64_t at = file_at(r, c0);
    if (whole > 0) file_->write(at, whole, row);
    std::uint64_t word;
    std::memcpy(&word, row + whole, 8);
    word &= mask;
    if (c1 < cols_) {
      std::uint64_t old;
      file_->read(at + whole, 8, reinterpret_cast<std::byte*>(&old));
      word |= old & ~mask;
    }
    file_->write(at + whole, 8, reinterpret_cast<const std::byte*>(&word));
  }
}

void BlockStore::read_rows(index_t r0, index_t r1, DType dtype, std::byte* dst) const {
  read_block(r0, r1, 0, cols_, dtype, dst);
}

std::byte* BlockStore::read_rows_direct(index_t r0, index_t r1, DType dtype, std::byte* buf) const {
  const std::size_t row_bytes = tile_row_bytes(dtype_, cols_);
  if (!file_ || dtype != dtype_ || r1 <= r0 || cols_ == 0 || file_stride_ != row_bytes) {
    read_rows(r0, r1, dtype, buf);
    return buf;
  }
  check_block(r0, r1, 0, cols_);
  std::byte* p = file_->read_direct(file_at(r0, 0), std::size_t(r1 - r0) * row_bytes, buf);
  if (dtype_ == DType::bit) clear_padding(p, r1 - r0, cols_, row_bytes);
  return p;
}

void BlockStore::read_block(index_t r0, index_t r1, index_t c0, index_t c1, DType dtype, std::byte* dst,
                            index_t ld) const {
  check_block(r0, r1, c0, c1);
  if (r1 == r0 || c1 == c0) return;
  const index_t w = c1 - c0;
  const std::size_t out_pitch = tile_pitch(dtype, w, ld, "read_block");
  if (!file_) {
    convert(memory_ref(r0, r1, c0, c1), tile_ref(dst, dtype, r1 - r0, w, out_pitch));
  } else if (dtype == dtype_) {
    file_read(r0, r1, c0, c1, dst, out_pitch);
  } else {
    // Converting: raw rows in staging chunks, each converted into place.
    const std::size_t in_pitch = tile_row_bytes(dtype_, w);
    const index_t step = staging_rows(in_pitch);
    std::vector<std::uint64_t> raw((std::size_t(std::min(step, r1 - r0)) * in_pitch + 7) / 8);
    auto* stage = reinterpret_cast<std::byte*>(raw.data());
    for (index_t r = r0; r < r1; r += step) {
      const index_t n = std::min(step, r1 - r);
      file_read(r, r + n, c0, c1, stage, in_pitch);
      convert(tile_ref(stage, dtype_, n, w, in_pitch),
              tile_ref(dst + std::size_t(r - r0) * out_pitch, dtype, n, w, out_pitch));
    }
  }
  if (dtype == DType::bit) clear_padding(dst, r1 - r0, w, out_pitch);
}

void BlockStore::write_rows(index_t r0, index_t r1, const std::byte* src) const {
  write_block(r0, r1, 0, cols_, src, dtype_ == DType::bit ? padded_row_length(DType::bit, cols_) : cols_);
}

void BlockStore::write_rows(index_t r0, index_t r1, const std::byte* src, DType src_dtype) const {
  write_block(r0, r1, 0, cols_, src, padded_row_length(src_dtype, cols_), src_dtype);
}

void BlockStore::write_block(index_t r0, index_t r1, index_t c0, index_t c1, const std::byte* src,
                             index_t ld) const {
  write_block(r0, r1, c0, c1, src, ld, dtype_);
}

void BlockStore::write_block(index_t r0, index_t r1, index_t c0, index_t c1, const std::byte* src, index_t ld,
                             DType src_dtype) const {
  check_block(r0, r1, c0, c1);
  if (buffer_ && !buffer_->writable())
    throw ValueError("cannot write blocks into a read-only array (a file loaded with mode 'r')");
  const index_t w = c1 - c0;
  const std::size_t src_pitch = tile_pitch(src_dtype, w, ld, "write_block");
  if (r1 == r0 || w == 0) return;
  if (!file_) {
    convert(tile_ref(src, src_dtype, r1 - r0, w, src_pitch), memory_ref(r0, r1, c0, c1));
    return;
  }
  if (src_dtype == dtype_) return file_write(r0, r1, c0, c1, src, src_pitch);
  // Converting: each staging chunk converted to this dtype, then written.
  const std::size_t pitch = tile_row_bytes(dtype_, w);
  const index_t step = staging_rows(pitch);
  std::vector<std::uint64_t> raw((std::size_t(std::min(step, r1 - r0)) * pitch + 7) / 8);
  auto* stage = reinterpret_cast<std::byte*>(raw.data());
  for (index_t r = r0; r < r1; r += step) {
    const index_t n = std::min(step, r1 - r);
    convert(tile_ref(src + std::size_t(r - r0) * src_pitch, src_dtype, n, w, src_pitch),
            tile_ref(stage, dtype_, n, w, pitch));
    file_write(r, r + n, c0, c1, stage, pitch);
  }
}

void BlockStore::release_rows(index_t r0, index_t r1) const {
  if (!file_ || r1 <= r0) return;
  check_block(r0, r1, 0, cols_);
  file_->drop(file_at(r0, 0), std::size_t(r1 - r0) * file_stride_);
}

void BlockStore::finish_rows(index_t r0, index_t r1) const {
  if (!file_ || r1 <= r0) return;
  check_block(r0, r1, 0, cols_);
  file_->sync_and_drop(file_at(r0, 0), std::size_t(r1 - r0) * file_stride_);
}

}  // namespace pycauset
