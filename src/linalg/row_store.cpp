#include "row_store.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "pycauset/core/error.hpp"
#include "pycauset/storage/mapped_file.hpp"

namespace pycauset::linalg::detail {

RowStore::RowStore(const Array& a, bool vector_as_column) : a_(a) {
  if (a.dtype() == DType::bit) throw TypeError("out-of-core tiles do not support bit arrays");
  item_ = dtype_info(a.dtype()).itemsize();
  StridedRef r = a.ref();
  rows_ = r.rows;
  cols_ = r.cols;
  s0_ = r.s0;
  s1_ = r.s1;
  if (a.ndim() == 1 && vector_as_column) {
    rows_ = r.cols;
    cols_ = 1;
    s0_ = r.s1;
    s1_ = std::int64_t(item_);
  }
  // Only a row-major dense layout maps row ranges to byte ranges of the file.
  bool dense = (rows_ <= 1 || s0_ == cols_ * std::int64_t(item_)) && (cols_ <= 1 || s1_ == std::int64_t(item_));
  auto* mapped = dynamic_cast<const MappedFileBuffer*>(a.buffer().get());
  if (mapped && dense && mapped->mode() != MapMode::copy_on_write) {
    file_ = std::make_shared<FileRegion>(mapped->path(), mapped->writable());
    file_base_ = mapped->file_offset() + std::uint64_t(a.data() - mapped->data());
  }
}

StridedRef RowStore::rows_ref(index_t r0, index_t r1) const {
  StridedRef r;
  r.data = a_.data() + r0 * s0_;
  r.dtype = a_.dtype();
  r.rows = r1 - r0;
  r.cols = cols_;
  r.s0 = s0_;
  r.s1 = s1_;
  return r;
}

void RowStore::read_rows(index_t r0, index_t r1, DType dtype, std::byte* dst) const {
  if (r1 <= r0 || cols_ == 0) return;
  const std::size_t out_item = dtype_info(dtype).itemsize();
  auto dst_ref = [&](std::byte* p, index_t n) {
    StridedRef d;
    d.data = p;
    d.dtype = dtype;
    d.rows = n;
    d.cols = cols_;
    d.s0 = cols_ * std::int64_t(out_item);
    d.s1 = std::int64_t(out_item);
    return d;
  };
  if (!file_) {
    convert(rows_ref(r0, r1), dst_ref(dst, r1 - r0));
    return;
  }
  const std::size_t row_bytes = std::size_t(cols_) * item_;
  if (dtype == a_.dtype()) {
    file_->read(file_base_ + std::uint64_t(r0) * row_bytes, std::size_t(r1 - r0) * row_bytes, dst);
    return;
  }
  // Converting: read raw rows in pieces of about 8 MiB and convert each.
  const index_t step = std::max<index_t>(1, index_t((std::size_t(8) << 20) / std::max<std::size_t>(row_bytes, 1)));
  std::vector<std::byte> raw(std::size_t(std::min(step, r1 - r0)) * row_bytes);
  for (index_t r = r0; r < r1; r += step) {
    const index_t n = std::min(step, r1 - r);
    file_->read(file_base_ + std::uint64_t(r) * row_bytes, std::size_t(n) * row_bytes, raw.data());
    StridedRef s;
    s.data = raw.data();
    s.dtype = a_.dtype();
    s.rows = n;
    s.cols = cols_;
    s.s0 = std::int64_t(row_bytes);
    s.s1 = std::int64_t(item_);
    convert(s, dst_ref(dst + std::size_t(r - r0) * std::size_t(cols_) * out_item, n));
  }
}

std::byte* RowStore::read_rows_direct(index_t r0, index_t r1, DType dtype, std::byte* buf) const {
  if (!file_ || dtype != a_.dtype() || r1 <= r0 || cols_ == 0) {
    read_rows(r0, r1, dtype, buf);
    return buf;
  }
  const std::size_t row_bytes = std::size_t(cols_) * item_;
  return file_->read_direct(file_base_ + std::uint64_t(r0) * row_bytes, std::size_t(r1 - r0) * row_bytes, buf);
}

void RowStore::read_block(index_t r0, index_t r1, index_t c0, index_t c1, DType dtype, std::byte* dst) const {
  if (c0 == 0 && c1 == cols_) return read_rows(r0, r1, dtype, dst);
  if (r1 <= r0 || c1 <= c0) return;
  const index_t w = c1 - c0;
  const std::size_t out_item = dtype_info(dtype).itemsize();
  if (file_ && dtype == a_.dtype()) {
    const std::size_t row_bytes = std::size_t(cols_) * item_;
    for (index_t r = r0; r < r1; ++r)
      file_->read(file_base_ + std::uint64_t(r) * row_bytes + std::uint64_t(c0) * item_, std::size_t(w) * item_,
                  dst + std::size_t(r - r0) * std::size_t(w) * out_item);
    return;
  }
  // Through memory (or a converting read): the sub-block as a strided view.
  StridedRef s = rows_ref(r0, r1);
  s.data += c0 * s1_;
  s.cols = w;
  StridedRef d;
  d.data = dst;
  d.dtype = dtype;
  d.rows = r1 - r0;
  d.cols = w;
  d.s0 = w * std::int64_t(out_item);
  d.s1 = std::int64_t(out_item);
  convert(s, d);
}

void RowStore::write_rows(index_t r0, index_t r1, const std::byte* src) const {
  if (r1 <= r0 || cols_ == 0) return;
  const std::size_t row_bytes = std::size_t(cols_) * item_;
  if (file_) {
    file_->write(file_base_ + std::uint64_t(r0) * row_bytes, std::size_t(r1 - r0) * row_bytes, src);
    return;
  }
  StridedRef s;
  s.data = const_cast<std::byte*>(src);
  s.dtype = a_.dtype();
  s.rows = r1 - r0;
  s.cols = cols_;
  s.s0 = std::int64_t(row_bytes);
  s.s1 = std::int64_t(item_);
  convert(s, rows_ref(r0, r1));
}

void RowStore::write_block(index_t r0, index_t r1, index_t c0, index_t c1, const std::byte* src,
                           index_t ld) const {
  if (r1 <= r0 || c1 <= c0) return;
  const std::size_t w = std::size_t(c1 - c0) * item_, src_row = std::size_t(ld) * item_;
  if (file_) {
    const std::size_t row_bytes = std::size_t(cols_) * item_;
    if (c0 == 0 && c1 == cols_ && ld == cols_)
      return file_->write(file_base_ + std::uint64_t(r0) * row_bytes, std::size_t(r1 - r0) * row_bytes, src);
    for (index_t r = r0; r < r1; ++r)
      file_->write(file_base_ + std::uint64_t(r) * row_bytes + std::uint64_t(c0) * item_, w,
                   src + std::size_t(r - r0) * src_row);
    return;
  }
  StridedRef s;
  s.data = const_cast<std::byte*>(src);
  s.dtype = a_.dtype();
  s.rows = r1 - r0;
  s.cols = c1 - c0;
  s.s0 = std::int64_t(src_row);
  s.s1 = std::int64_t(item_);
  StridedRef d = rows_ref(r0, r1);
  d.data += c0 * s1_;
  d.cols = c1 - c0;
  convert(s, d);
}

void RowStore::release_rows(index_t r0, index_t r1) const {
  if (!file_ || r1 <= r0) return;
  const std::size_t row_bytes = std::size_t(cols_) * item_;
  file_->drop(file_base_ + std::uint64_t(r0) * row_bytes, std::size_t(r1 - r0) * row_bytes);
}

void RowStore::finish_rows(index_t r0, index_t r1) const {
  if (!file_ || r1 <= r0) return;
  const std::size_t row_bytes = std::size_t(cols_) * item_;
  file_->sync_and_drop(file_base_ + std::uint64_t(r0) * row_bytes, std::size_t(r1 - r0) * row_bytes);
}

}  // namespace pycauset::linalg::detail
