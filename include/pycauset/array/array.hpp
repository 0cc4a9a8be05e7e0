#pragma once
// Array: the handle behind every Matrix (rank 2) and Vector (rank 1). It is a
// strided view of a Buffer, so transposes and basic slices share storage.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "pycauset/core/dtype.hpp"
#include "pycauset/core/scalar.hpp"
#include "pycauset/core/structure.hpp"
#include "pycauset/kernels/convert.hpp"
#include "pycauset/storage/buffer.hpp"

namespace pycauset {

namespace detail {
/// A value const readers may update concurrently (a relaxed atomic), copied by value.
template <class T> class RelaxedAtomic {
 public:
  RelaxedAtomic(T v = T{}) : v_(v) {}
  RelaxedAtomic(const RelaxedAtomic& o) : v_(o.load()) {}
  RelaxedAtomic& operator=(const RelaxedAtomic& o) {
    v_.store(o.load(), std::memory_order_relaxed);
    return *this;
  }
  RelaxedAtomic& operator=(T v) {
    v_.store(v, std::memory_order_relaxed);
    return *this;
  }
  operator T() const { return load(); }
  T load() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<T> v_;
};
}  // namespace detail

/// A rank-1 or rank-2 strided view of a buffer. Copying an Array copies the
/// view, not the data. Strides and offset count elements (bits for `bit`).
/// Contiguous bit matrices pad each row to a whole number of 64-bit words.
/// Thread safety: const methods may run concurrently (structure() updates the
/// mark through relaxed atomics); writes to overlapping elements need
/// external synchronisation.
class Array {
 public:
  using index_t = std::int64_t;

  /// A new contiguous array of the given shape (1 or 2 extents, each >= 0).
  /// Values are unspecified unless zero=true.
  static Array empty(std::span<const index_t> shape, DType dtype, bool zero = false);
  /// A new contiguous array holding a converted copy of `src` (1 x n is a
  /// vector when rank == 1).
  static Array from_strided(const StridedRef& src, DType dtype, int rank);

  /// A contiguous array over an existing buffer (e.g. a mapped file payload)
  /// whose rows lie `row_stride` elements apart. The buffer must be large enough.
  static Array over_buffer(std::shared_ptr<Buffer> buffer, DType dtype, int ndim, index_t rows,
                           index_t cols, index_t row_stride);

  int ndim() const { return ndim_; }
  DType dtype() const { return dtype_; }
  index_t shape(int axis) const { return shape_[check_axis(axis)]; }
  index_t stride(int axis) const { return strides_[check_axis(axis)]; }
  index_t offset() const { return offset_; }
  index_t rows() const { return ndim_ == 2 ? shape_[0] : 1; }
  index_t cols() const { return ndim_ == 2 ? shape_[1] : shape_[0]; }
  index_t size() const { return ndim_ == 2 ? shape_[0] * shape_[1] : shape_[0]; }
  /// Bytes the elements occupy packed: size * itemsize, or ceil(size / 8) for bit.
  std::size_t nbytes() const;
  const std::shared_ptr<Buffer>& buffer() const { return buffer_; }
  bool writable() const { return buffer_->writable(); }

  /// True when the elements are laid out as empty() lays them out (row-major,
  /// bit rows padded to words), i.e. a copy would produce the same bytes.
  bool is_contiguous() const;
  /// Address of element (0, 0); for bit the byte holding bit offset().
  std::byte* data() const;
  /// The kernel descriptor of this view.
  StridedRef ref() const;

  /// Rank 2: the transposed view. Rank 1: the same view.
  Array transpose() const;
  /// View of `count` elements along `axis` starting at `start` with `step`
  /// (any non-zero step). IndexError if the range leaves the axis.
  Array slice(int axis, index_t start, index_t step, index_t count) const;
  /// View with `axis` fixed at index i (negative counts from the end): rank 2
  /// gives a rank-1 row or column, rank 1 is not allowed (use get).
  Array select(int axis, index_t i) const;

  /// Read-only-use view of this array repeated to rows x cols with NumPy's
  /// broadcasting (stride 0 on repeated axes): a rank-1 array of length cols
  /// repeats as rows; a rank-2 array may repeat along extents of size 1.
  /// ValueError when the shapes are not compatible.
  Array broadcast_to(index_t rows, index_t cols) const;
  /// The same to `shape` (1 or 2 extents): a rank-1 target takes a rank-1 array of
  /// that length or of length 1; a rank-2 target is broadcast_to(rows, cols).
  Array broadcast_to(std::span<const index_t> shape) const;

  /// Rank 2: view of the main diagonal as a rank-1 array (min(rows, cols) elements).
  Array diagonal() const;

  /// View of the same buffer with an explicit geometry (NumPy's as_strided):
  /// `ndim` extents of `shape`, `strides` and `offset` in elements (bits for
  /// `bit`). Rebuilds a view recorded from offset()/stride() (e.g. of a
  /// reloaded file). IndexError when any element would lie outside the
  /// buffer; ValueError for a bad rank or a negative extent.
  Array as_strided(int ndim, std::array<index_t, 2> shape, std::array<index_t, 2> strides,
                   index_t offset) const;
  /// A new contiguous array of the entries at `indices` along `axis`, in that
  /// order (NumPy's take / integer-array indexing): rank 2 axis 0 picks rows,
  /// axis 1 columns; rank 1 picks elements. Negative indices count from the
  /// end; IndexError when one is out of range (checked before allocating).
  Array take(int axis, std::span<const index_t> indices) const;
  /// Writes `src` (shaped as take's result, same dtype) into the entries take
  /// would read; for repeated indices the last write wins.
  void put(int axis, std::span<const index_t> indices, const Array& src);
  /// The elements in row-major order with a new shape (1 or 2 extents whose
  /// product is size()): a view when the array is contiguous and not bit, else
  /// a new contiguous copy. ValueError when the sizes differ.
  Array reshape(std::span<const index_t> shape) const;
  /// Rank 2: a new vector of the elements (rows[k], cols[k]).
  Array take_pairs(std::span<const index_t> rows, std::span<const index_t> cols) const;
  /// Rank 2: element (rows[k], cols[k]) = src[k] (src a vector of this dtype).
  void put_pairs(std::span<const index_t> rows, std::span<const index_t> cols, const Array& src);

  /// Contiguous copy with the same dtype.
  Array copy() const { return astype(dtype_); }
  /// Contiguous copy converted to `dtype` (C++ casts; complex to real keeps
  /// the real part; anything to bit is "nonzero").
  Array astype(DType dtype) const;

  /// Element access; negative indices count from the end; IndexError when out
  /// of range. Rank-1 arrays ignore j.
  Scalar get(index_t i, index_t j = 0) const;
  void set(index_t i, index_t j, const Scalar& v);
  /// Sets every element; raises like scalar_to for values the dtype cannot hold.
  void fill(const Scalar& v);
  /// Copies (and converts) src into this view. Shapes must match.
  void assign(const StridedRef& src);
  /// The kernel descriptor of this view for a kernel about to write into it
  /// (counts as a write: the buffer's generation moves). ValueError when read-only.
  StridedRef write_ref();

  // ---- structure (core/structure.hpp) -----------------------------------------
  // A mark is checked against the values when set and stays true through
  // writes: every write path moves the buffer's generation, and a mark read
  // after its buffer was written is checked again (and becomes dense when it
  // no longer holds). An element write through the marked array itself is
  // checked at once, in O(1). Views: the transpose carries the transposed
  // mark; a slice keeps it when it is a square principal sub-block (the same
  // start and positive step on both axes of the marked array); every other
  // view (row, column, diagonal, broadcast, strided, reshaped) is dense.
  // Copies carry the mark.

  /// The structure, true of the values now (re-checked if the buffer was
  /// written since the last check). Vectors are always dense.
  Structure structure() const;
  /// Marks this array after checking the values: ValueError naming the first
  /// violating element (or the shape) when they do not have the structure.
  void set_structure(Structure s);
  /// Marks this array without a check, for results whose structure the
  /// computation guarantees.
  void assume_structure(Structure s);
  /// Marks this array, to be checked when first read (a mark that comes with
  /// data: a file header, a pickle). Ignored for vectors.
  void claim_structure(Structure s);
  /// True when the mark needs no check to be read (dense, or checked since
  /// the buffer's last write).
  bool structure_current() const;
  /// Why the values do not have structure `s`, or an empty string when they do.
  std::string structure_violation(Structure s) const;

 private:
  Array() = default;
  int check_axis(int axis) const;
  index_t element_pos(index_t i, index_t j) const;
  void require_writable() const;
  Structure effective_mark() const;
  void drop_mark() const;
  void carry_mark(Array& to, bool exact) const;
  bool element_keeps_mark(index_t i, index_t j) const;

  std::shared_ptr<Buffer> buffer_;
  DType dtype_ = DType::float64;
  int ndim_ = 2;
  std::array<index_t, 2> shape_{0, 0};
  std::array<index_t, 2> strides_{0, 0};
  index_t offset_ = 0;

  // The structure mark: `mark_` is the structure of the array that was marked
  // (in this view's orientation), `mark_shape_` its shape, and this view's row
  // i / column j are its row mark_start_[0] + i * mark_step_[0] / column
  // mark_start_[1] + j * mark_step_[1]. `mark_checked_` is the buffer
  // generation at the last check (kUnchecked: never checked).
  static constexpr std::uint64_t kUnchecked = ~std::uint64_t(0);
  mutable detail::RelaxedAtomic<Structure> mark_ = Structure::dense;
  std::array<index_t, 2> mark_shape_{0, 0};
  std::array<index_t, 2> mark_start_{0, 0};
  std::array<index_t, 2> mark_step_{1, 1};
  mutable detail::RelaxedAtomic<std::uint64_t> mark_checked_ = kUnchecked;
};

/// Marks `out` = a @ b (a fresh result) with the structure the product is
/// certain to have (product_structure of the factors' marks): trusted for
/// integer and bit results, which are exact; for floating results checked when
/// first read (0 * inf is NaN, so a zero triangle is not guaranteed).
void mark_product(Array& out, const Array& a, const Array& b);

/// Elements per row of a contiguous array of this dtype (bit rows round up to 64).
Array::index_t padded_row_length(DType dtype, Array::index_t cols);

}  // namespace pycauset
