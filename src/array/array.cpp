#include "pycauset/array/array.hpp"

#include <cmath>
#include <cstring>
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "pycauset/core/detail/scalar_impl.hpp"
#include "pycauset/storage/governor.hpp"

namespace pycauset {
namespace {

using index_t = Array::index_t;

std::string shape_str(int ndim, const std::array<index_t, 2>& s) {
  return ndim == 1 ? "(" + std::to_string(s[0]) + ",)"
                   : "(" + std::to_string(s[0]) + ", " + std::to_string(s[1]) + ")";
}

index_t normalize_index(index_t i, index_t n, int axis) {
  index_t k = i < 0 ? i + n : i;
  if (k < 0 || k >= n)
    throw IndexError("index " + std::to_string(i) + " is out of bounds for axis " +
                     std::to_string(axis) + " with size " + std::to_string(n));
  return k;
}

}  // namespace

index_t padded_row_length(DType dtype, index_t cols) {
  return dtype == DType::bit ? (cols + 63) / 64 * 64 : cols;
}

Array Array::empty(std::span<const index_t> shape, DType dtype, bool zero) {
  if (shape.size() != 1 && shape.size() != 2)
    throw ValueError("pycauset arrays have 1 or 2 dimensions, got " + std::to_string(shape.size()));
  for (index_t n : shape)
    if (n < 0) throw ValueError("negative dimensions are not allowed");
  Array a;
  a.dtype_ = dtype;
  a.ndim_ = int(shape.size());
  index_t rows = a.ndim_ == 2 ? shape[0] : 1;
  index_t cols = shape[a.ndim_ - 1];
  index_t row_len = a.ndim_ == 2 ? padded_row_length(dtype, cols) : cols;
  const auto bits = index_t(dtype_info(dtype).bits);
  if (row_len != 0 && rows > std::numeric_limits<index_t>::max() / 8 / bits / row_len)
    throw MemoryError("array of shape " + shape_str(a.ndim_, {shape[0], cols}) + " is too large");
  std::size_t bytes = std::size_t((rows * row_len * bits + 63) / 64 * 8);
  a.buffer_ = allocate_buffer(bytes, zero);
  if (dtype == DType::bit && !zero && cols % 64 != 0) {
    // Padding bits past the last column must read as zero (kernels and the
    // file format rely on it); clear each row's last word.
    auto* words = reinterpret_cast<std::uint64_t*>(a.buffer_->data());
    const index_t words_per_row = (row_len + 63) / 64;
    for (index_t r = 0; r < rows; ++r) words[(r + 1) * words_per_row - 1] = 0;
  }
  if (a.ndim_ == 2) {
    a.shape_ = {shape[0], shape[1]};
    a.strides_ = {row_len, 1};
  } else {
    a.shape_ = {shape[0], 0};
    a.strides_ = {1, 0};
  }
  return a;
}

Array Array::over_buffer(std::shared_ptr<Buffer> buffer, DType dtype, int ndim, index_t rows, index_t cols,
                         index_t row_stride) {
  if (ndim != 1 && ndim != 2) throw ValueError("arrays have 1 or 2 dimensions");
  const auto bits = index_t(dtype_info(dtype).bits);
  if (std::size_t((rows * row_stride * bits + 7) / 8) > buffer->size() && rows > 0 && cols > 0)
    throw ValueError("buffer is too small for the array");
  Array a;
  a.buffer_ = std::move(buffer);
  a.dtype_ = dtype;
  a.ndim_ = ndim;
  if (ndim == 2) {
    a.shape_ = {rows, cols};
    a.strides_ = {row_stride, 1};
  } else {
    a.shape_ = {cols, 0};
    a.strides_ = {1, 0};
  }
  return a;
}

Array Array::from_strided(const StridedRef& src, DType dtype, int rank) {
  if (rank == 1 && src.rows != 1) throw ValueError("a vector source must have one row");
  std::array<index_t, 2> shape{src.rows, src.cols};
  Array a = rank == 2 ? empty(shape, dtype) : empty(std::span(&shape[1], 1), dtype);
  convert(src, a.ref());
  return a;
}

int Array::check_axis(int axis) const {
  if (axis < 0 || axis >= ndim_)
    throw IndexError("axis " + std::to_string(axis) + " is out of bounds for a rank-" +
                     std::to_string(ndim_) + " array");
  return axis;
}

std::size_t Array::nbytes() const {
  const auto bits = std::size_t(dtype_info(dtype_).bits);
  return (std::size_t(size()) * bits + 7) / 8;
}

bool Array::is_contiguous() const {
  bool aligned = dtype_ != DType::bit || offset_ % 64 == 0;
  if (ndim_ == 1) return (strides_[0] == 1 || shape_[0] <= 1) && aligned;
  if (shape_[0] == 0 || shape_[1] == 0) return true;
  bool inner = strides_[1] == 1 || shape_[1] == 1;
  bool outer = strides_[0] == padded_row_length(dtype_, shape_[1]) || shape_[0] == 1;
  return inner && outer && aligned;
}

std::byte* Array::data() const {
  if (dtype_ == DType::bit) return buffer_->data() + (offset_ >> 3);
  return buffer_->data() + offset_ * index_t(dtype_info(dtype_).itemsize());
}

StridedRef Array::ref() const {
  StridedRef r;
  r.dtype = dtype_;
  r.rows = rows();
  r.cols = cols();
  index_t s0 = ndim_ == 2 ? strides_[0] : strides_[0] * shape_[0];
  index_t s1 = ndim_ == 2 ? strides_[1] : strides_[0];
  if (dtype_ == DType::bit) {
    r.data = buffer_->data();
    r.bit_offset = offset_;
    r.s0 = s0;
    r.s1 = s1;
  } else {
    auto item = index_t(dtype_info(dtype_).itemsize());
    r.data = data();
    r.s0 = s0 * item;
    r.s1 = s1 * item;
  }
  return r;
}

Array Array::transpose() const {
  Array t = *this;
  if (ndim_ == 2) {
    std::swap(t.shape_[0], t.shape_[1]);
    std::swap(t.strides_[0], t.strides_[1]);
    t.mark_ = transposed(mark_);
    std::swap(t.mark_shape_[0], t.mark_shape_[1]);
    std::swap(t.mark_start_[0], t.mark_start_[1]);
    std::swap(t.mark_step_[0], t.mark_step_[1]);
  }
  return t;
}

Array Array::slice(int axis, index_t start, index_t step, index_t count) const {
  check_axis(axis);
  if (step == 0) throw ValueError("slice step cannot be zero");
  if (count < 0) throw ValueError("slice length cannot be negative");
  index_t n = shape_[axis];
  if (count > 0) {
    index_t last = start + (count - 1) * step;
    if (start < 0 || start >= n || last < 0 || last >= n)
      throw IndexError("slice leaves axis " + std::to_string(axis) + " of size " + std::to_string(n));
  } else {
    start = 0;
  }
  Array v = *this;
  v.offset_ += start * strides_[axis];
  v.strides_[axis] *= step;
  v.shape_[axis] = count;
  v.mark_start_[axis] += start * mark_step_[axis];
  v.mark_step_[axis] *= step;
  return v;
}

Array Array::select(int axis, index_t i) const {
  if (ndim_ != 2) throw IndexError("select needs a rank-2 array; use get for a vector element");
  check_axis(axis);
  index_t k = normalize_index(i, shape_[axis], axis);
  int other = 1 - axis;
  Array v = *this;
  v.drop_mark();
  v.ndim_ = 1;
  v.offset_ += k * strides_[axis];
  v.shape_ = {shape_[other], 0};
  v.strides_ = {strides_[other], 0};
  return v;
}

Array Array::broadcast_to(std::span<const index_t> shape) const {
  if (shape.size() == 2) return broadcast_to(shape[0], shape[1]);
  if (shape.size() != 1) throw ValueError("broadcast_to: need 1 or 2 extents");
  if (ndim_ != 1 || (shape_[0] != shape[0] && shape_[0] != 1))
    throw ValueError("could not broadcast input of shape " + shape_str(ndim_, shape_) + " into shape (" +
                     std::to_string(shape[0]) + ",)");
  Array v = *this;
  if (shape_[0] != shape[0]) {
    v.shape_[0] = shape[0];
    v.strides_[0] = 0;
  }
  return v;
}

Array Array::broadcast_to(index_t rows, index_t cols) const {
  Array v = *this;
  v.drop_mark();
  auto fail = [&] {
    return ValueError("could not broadcast input of shape " + shape_str(ndim_, shape_) + " into shape (" +
                      std::to_string(rows) + ", " + std::to_string(cols) + ")");
  };
  if (ndim_ == 1) {
    if (shape_[0] != cols && shape_[0] != 1) throw fail();
    v.ndim_ = 2;
    v.shape_ = {rows, cols};
    v.strides_ = {0, shape_[0] == 1 ? 0 : strides_[0]};
    return v;
  }
  for (int k = 0; k < 2; ++k) {
    index_t want = k == 0 ? rows : cols;
    if (shape_[k] == want) continue;
    if (shape_[k] != 1) throw fail();
    v.shape_[k] = want;
    v.strides_[k] = 0;
  }
  return v;
}

Array Array::diagonal() const {
  if (ndim_ != 2) throw ValueError("diagonal needs a rank-2 array");
  Array v = *this;
  v.drop_mark();
  v.ndim_ = 1;
  v.shape_ = {std::min(shape_[0], shape_[1]), 0};
  v.strides_ = {strides_[0] + strides_[1], 0};
  return v;
}

Array Array::as_strided(int ndim, std::array<index_t, 2> shape, std::array<index_t, 2> strides,
                        index_t offset) const {
  if (ndim != 1 && ndim != 2) throw ValueError("arrays have 1 or 2 dimensions, got " + std::to_string(ndim));
  if (ndim == 1) shape[1] = 0, strides[1] = 0;
  for (int k = 0; k < ndim; ++k)
    if (shape[k] < 0) throw ValueError("negative dimensions are not allowed");
  Array v = *this;
  v.drop_mark();
  v.ndim_ = ndim;
  v.shape_ = shape;
  v.strides_ = strides;
  if (v.size() == 0) {
    v.offset_ = 0;  // no element is ever addressed
    return v;
  }
  const auto bits = std::uint64_t(dtype_info(dtype_).bits);
  const auto capacity = index_t(std::uint64_t(buffer_->size()) * 8 / bits);
  index_t lo = offset, hi = offset;
  bool overflow = false;
  for (int k = 0; k < ndim; ++k) {
    index_t reach = 0;
    overflow |= __builtin_mul_overflow(shape[k] - 1, strides[k], &reach);
    overflow |= __builtin_add_overflow(reach < 0 ? lo : hi, reach, reach < 0 ? &lo : &hi);
  }
  if (overflow || lo < 0 || hi >= capacity)
    throw IndexError("a strided view of shape " + shape_str(ndim, shape) + " at offset " +
                     std::to_string(offset) + " leaves its buffer of " + std::to_string(capacity) +
                     " elements");
  v.offset_ = offset;
  return v;
}

Array Array::astype(DType dtype) const {
  std::array<index_t, 2> shape = shape_;
  Array out = empty(std::span(shape.data(), std::size_t(ndim_)), dtype);
  convert(ref(), out.ref());
  carry_mark(out, dtype == dtype_);
  return out;
}

index_t Array::element_pos(index_t i, index_t j) const {
  if (ndim_ == 1) return offset_ + normalize_index(i, shape_[0], 0) * strides_[0];
  return offset_ + normalize_index(i, shape_[0], 0) * strides_[0] +
         normalize_index(j, shape_[1], 1) * strides_[1];
}

Scalar Array::get(index_t i, index_t j) const {
  index_t pos = element_pos(i, j);
  return visit_dtype(dtype_, [&]<class T>(std::type_identity<T>) -> Scalar {
    if constexpr (std::is_same_v<T, bit_tag>) {
      return Scalar::of_bool((std::to_integer<unsigned>(buffer_->data()[pos >> 3]) >> (pos & 7)) & 1u);
    } else {
      T v;
      std::memcpy(&v, buffer_->data() + pos * index_t(sizeof(T)), sizeof(T));
      return scalar_from(v);
    }
  });
}

void Array::require_writable() const {
  if (!writable()) throw ValueError("assignment destination is read-only");
}

void Array::set(index_t i, index_t j, const Scalar& v) {
  require_writable();
  index_t pos = element_pos(i, j);
  visit_dtype(dtype_, [&]<class T>(std::type_identity<T>) {
    if constexpr (std::is_same_v<T, bit_tag>) {
      auto& b = buffer_->data()[pos >> 3];
      auto mask = std::byte(1u << (pos & 7));
      b = v.nonzero() ? (b | mask) : (b & ~mask);
    } else {
      T x = scalar_to<T>(v);
      std::memcpy(buffer_->data() + pos * index_t(sizeof(T)), &x, sizeof(T));
    }
  });
  // A mark checked before this write stays checked if the element agrees with it.
  const bool current = structure_current();
  buffer_->note_write();
  if (current && effective_mark() != Structure::dense) {
    if (element_keeps_mark(i < 0 ? i + shape_[0] : i, j < 0 ? j + shape_[1] : j))
      mark_checked_ = buffer_->generation();
    else
      drop_mark();
  }
}

void Array::fill(const Scalar& v) {
  require_writable();
  pycauset::fill(ref(), v);
  // All zeros have every structure; a constant (not NaN) matrix is symmetric.
  const bool current = structure_current();
  buffer_->note_write();
  const Structure s = effective_mark();
  if (!current || s == Structure::dense) return;
  const bool nan = std::isnan(v.c.real()) || std::isnan(v.c.imag());
  const bool keeps = !v.nonzero() || (s == Structure::symmetric && !nan);
  if (keeps && size() > 0)
    mark_checked_ = buffer_->generation();
  else if (!keeps)
    drop_mark();
}

void Array::assign(const StridedRef& src) {
  require_writable();
  convert(src, ref());
  buffer_->note_write();
}

StridedRef Array::write_ref() {
  require_writable();
  buffer_->note_write();
  return ref();
}

}  // namespace pycauset

// ---- integer-array indexing (gather / scatter) -----------------------------------

namespace pycauset {
namespace {

// Copies one element between two arrays of the same dtype, at element
// positions (bits for bit) from each buffer's start.
void copy_element(DType dtype, const std::byte* src, index_t from, std::byte* dst, index_t to) {
  if (dtype == DType::bit) {
    unsigned bit = (std::to_integer<unsigned>(src[from >> 3]) >> (from & 7)) & 1u;
    auto mask = std::byte(1u << (to & 7));
    dst[to >> 3] = bit ? (dst[to >> 3] | mask) : (dst[to >> 3] & ~mask);
    return;
  }
  auto item = index_t(dtype_info(dtype).itemsize());
  std::memcpy(dst + to * item, src + from * item, std::size_t(item));
}

std::vector<index_t> checked(std::span<const index_t> indices, index_t n, int axis) {
  std::vector<index_t> out(indices.size());
  for (std::size_t k = 0; k < indices.size(); ++k) out[k] = normalize_index(indices[k], n, axis);
  return out;
}

}  // namespace

Array Array::take(int axis, std::span<const index_t> indices) const {
  check_axis(axis);
  std::vector<index_t> idx = checked(indices, shape_[axis], axis);
  const auto k = index_t(idx.size());
  std::array<index_t, 2> shape = shape_;
  shape[axis] = k;
  Array out = empty(std::span(shape.data(), std::size_t(ndim_)), dtype_);
  if (ndim_ == 1) {
    for (index_t e = 0; e < k; ++e)
      copy_element(dtype_, buffer_->data(), offset_ + idx[std::size_t(e)] * strides_[0], out.buffer_->data(),
                   out.offset_ + e * out.strides_[0]);
    return out;
  }
  const int other = 1 - axis;
  for (index_t e = 0; e < k; ++e) {
    index_t src0 = offset_ + idx[std::size_t(e)] * strides_[axis];
    index_t dst0 = out.offset_ + e * out.strides_[axis];
    for (index_t m = 0; m < shape_[other]; ++m)
      copy_element(dtype_, buffer_->data(), src0 + m * strides_[other], out.buffer_->data(),
                   dst0 + m * out.strides_[other]);
  }
  return out;
}

void Array::put(int axis, std::span<const index_t> indices, const Array& src) {
  require_writable();
  check_axis(axis);
  std::vector<index_t> idx = checked(indices, shape_[axis], axis);
  std::array<index_t, 2> want = shape_;
  want[axis] = index_t(idx.size());
  if (src.dtype_ != dtype_ || src.ndim_ != ndim_ || src.shape_[0] != want[0] ||
      (ndim_ == 2 && src.shape_[1] != want[1]))
    throw ValueError("put: source must have the dtype and shape of the selection " + shape_str(ndim_, want));
  const auto k = index_t(idx.size());
  const int other = ndim_ == 2 ? 1 - axis : 0;
  const index_t extent = ndim_ == 2 ? shape_[other] : 1;
  for (index_t e = 0; e < k; ++e) {
    index_t dst0 = offset_ + idx[std::size_t(e)] * strides_[axis];
    index_t src0 = src.offset_ + e * src.strides_[axis];
    for (index_t m = 0; m < extent; ++m)
      copy_element(dtype_, src.buffer_->data(), src0 + m * (ndim_ == 2 ? src.strides_[other] : 0),
                   buffer_->data(), dst0 + m * (ndim_ == 2 ? strides_[other] : 0));
  }
  buffer_->note_write();
}

Array Array::reshape(std::span<const index_t> shape) const {
  if (shape.empty() || shape.size() > 2) throw ValueError("reshape needs 1 or 2 extents");
  index_t n = 1;
  for (index_t e : shape) {
    if (e < 0) throw ValueError("reshape: negative extent");
    n *= e;
  }
  const int nd = int(shape.size());
  std::array<index_t, 2> want{shape[0], nd == 2 ? shape[1] : 0};
  if (n != size())
    throw ValueError("cannot reshape array of size " + std::to_string(size()) + " into shape " +
                     shape_str(nd, want));
  if (is_contiguous() && dtype_ != DType::bit) {
    Array v = *this;
    v.drop_mark();
    v.ndim_ = nd;
    v.shape_ = want;
    v.strides_ = nd == 2 ? std::array<index_t, 2>{want[1], 1} : std::array<index_t, 2>{1, 0};
    return v;
  }
  if (dtype_ != DType::bit) return copy().reshape(shape);  // the copy is contiguous: a view of it
  // Bits: rows are padded to whole words, so even a contiguous matrix is not one run.
  Array out = empty(shape, dtype_);
  auto pos = [](const Array& a, index_t i, index_t j) {
    return a.ndim_ == 2 ? a.offset_ + i * a.strides_[0] + j * a.strides_[1] : a.offset_ + j * a.strides_[0];
  };
  const index_t scols = cols(), dcols = out.cols();
  index_t si = 0, sj = 0, di = 0, dj = 0;
  for (index_t k = 0; k < n; ++k) {
    copy_element(dtype_, buffer_->data(), pos(*this, si, sj), out.buffer_->data(), pos(out, di, dj));
    if (++sj == scols) sj = 0, ++si;
    if (++dj == dcols) dj = 0, ++di;
  }
  return out;
}

Array Array::take_pairs(std::span<const index_t> rows, std::span<const index_t> cols) const {
  if (ndim_ != 2) throw IndexError("take_pairs needs a rank-2 array");
  if (rows.size() != cols.size()) throw IndexError("take_pairs: row and column index lists differ in length");
  std::vector<index_t> r = checked(rows, shape_[0], 0), c = checked(cols, shape_[1], 1);
  const index_t n = index_t(r.size());
  Array out = empty(std::span(&n, 1), dtype_);
  for (index_t e = 0; e < n; ++e)
    copy_element(dtype_, buffer_->data(), offset_ + r[std::size_t(e)] * strides_[0] + c[std::size_t(e)] * strides_[1],
                 out.buffer_->data(), out.offset_ + e * out.strides_[0]);
  return out;
}

void Array::put_pairs(std::span<const index_t> rows, std::span<const index_t> cols, const Array& src) {
  require_writable();
  if (ndim_ != 2) throw IndexError("put_pairs needs a rank-2 array");
  if (rows.size() != cols.size()) throw IndexError("put_pairs: row and column index lists differ in length");
  std::vector<index_t> r = checked(rows, shape_[0], 0), c = checked(cols, shape_[1], 1);
  if (src.dtype_ != dtype_ || src.ndim_ != 1 || src.shape_[0] != index_t(r.size()))
    throw ValueError("put_pairs: source must be a vector of this dtype with one value per index");
  for (std::size_t e = 0; e < r.size(); ++e)
    copy_element(dtype_, src.buffer_->data(), src.offset_ + index_t(e) * src.strides_[0], buffer_->data(),
                 offset_ + r[e] * strides_[0] + c[e] * strides_[1]);
  buffer_->note_write();
}

}  // namespace pycauset
