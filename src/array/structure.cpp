// Array's structure mark: checking values against a structure, and the mark's
// state (array/array.hpp documents the rules).
#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <type_traits>

#include "pycauset/array/array.hpp"
#include "pycauset/core/threads.hpp"

namespace pycauset {
namespace {

using index_t = Array::index_t;

/// Element reader of one view, for every dtype (T = bit_tag reads bits).
template <class T> struct Reader {
  const std::byte* base;  // element (0, 0)
  index_t s0, s1;         // byte strides
  T at(index_t i, index_t j) const {
    T v;
    std::memcpy(&v, base + i * s0 + j * s1, sizeof(T));
    return v;
  }
};

template <> struct Reader<bit_tag> {
  const std::byte* buf;  // buffer start
  index_t off, s0, s1;   // bit offset of (0, 0) and bit strides
  bool at(index_t i, index_t j) const {
    const index_t p = off + i * s0 + j * s1;
    return (std::to_integer<unsigned>(buf[p >> 3]) >> (p & 7)) & 1u;
  }
};

template <class T> Reader<T> reader_of(const Array& a) {
  const StridedRef r = a.ref();
  if constexpr (std::is_same_v<T, bit_tag>) {
    return {r.data, r.bit_offset, r.s0, r.s1};
  } else {
    return {r.data, r.s0, r.s1};
  }
}

template <class T> bool is_zero(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return !v;
  } else {
    return v == T(0);  // NaN is non-zero
  }
}

/// x == -y exactly (no wrap-around: unsigned values and bits only as zeros).
template <class T> bool negates(const T& x, const T& y) {
  if constexpr (std::is_same_v<T, bool> || std::is_unsigned_v<T>) {
    return is_zero(x) && is_zero(y);
  } else if constexpr (std::is_integral_v<T>) {
    if constexpr (sizeof(T) < 8) {
      return std::int64_t(x) == -std::int64_t(y);
    } else {
      return y != std::numeric_limits<T>::min() && x == -y;
    }
  } else {
    return x == -y;
  }
}

/// Index of the first set bit among `count` bits from bit position `pos`, or -1.
index_t first_set_bit(const std::byte* buf, index_t pos, index_t count) {
  index_t k = 0;
  while (k < count && ((pos + k) & 7) != 0) {
    if ((std::to_integer<unsigned>(buf[(pos + k) >> 3]) >> ((pos + k) & 7)) & 1u) return k;
    ++k;
  }
  for (; k + 64 <= count; k += 64) {
    std::uint64_t w;
    std::memcpy(&w, buf + ((pos + k) >> 3), 8);
    if (w != 0) return k + __builtin_ctzll(w);
  }
  for (; k < count; ++k)
    if ((std::to_integer<unsigned>(buf[(pos + k) >> 3]) >> ((pos + k) & 7)) & 1u) return k;
  return -1;
}

/// Column of the first non-zero element of row i in [j0, j1), or -1.
template <class T> index_t first_nonzero(const Reader<T>& r, index_t i, index_t j0, index_t j1) {
  if constexpr (std::is_same_v<T, bit_tag>) {
    if (r.s1 == 1 && j1 > j0) {
      index_t k = first_set_bit(r.buf, r.off + i * r.s0 + j0, j1 - j0);
      return k < 0 ? -1 : j0 + k;
    }
  }
  for (index_t j = j0; j < j1; ++j)
    if (!is_zero(r.at(i, j))) return j;
  return -1;
}

/// The first (row-major) element for which bad(i, j) holds, scanning each row
/// i over the columns [lo(i), hi(i)) in parallel row chunks; {-1, -1} if none.
template <class Scan>
std::pair<index_t, index_t> first_violation(index_t rows, const Scan& scan_row) {
  std::atomic<index_t> best_row{std::numeric_limits<index_t>::max()};
  std::mutex m;
  std::pair<index_t, index_t> best{-1, -1};
  parallel_for_dynamic(rows, 64, [&](std::int64_t r0, std::int64_t r1) {
    for (index_t i = r0; i < r1 && i < best_row.load(std::memory_order_relaxed); ++i) {
      index_t j = scan_row(i);
      if (j < 0) continue;
      std::lock_guard<std::mutex> lock(m);
      if (i < best_row.load()) {
        best_row.store(i);
        best = {i, j};
      }
      return;
    }
  });
  return best;
}

std::string at(index_t i, index_t j) { return "element [" + std::to_string(i) + ", " + std::to_string(j) + "]"; }

template <class T> std::string violation(const Array& a, Structure s) {
  const Reader<T> r = reader_of<T>(a);
  const index_t rows = a.shape(0), cols = a.shape(1);
  if (s == Structure::symmetric || s == Structure::antisymmetric) {
    const bool sym = s == Structure::symmetric;
    if (rows != cols)
      return "a " + std::to_string(rows) + "x" + std::to_string(cols) + " matrix cannot be " +
             std::string(structure_name(s));
    // Row i against column i, from the diagonal on, in 64-wide column blocks
    // so the column reads stay in cache.
    auto bad = [&](index_t i, index_t j) {
      if constexpr (std::is_same_v<T, bit_tag>) {
        const bool x = r.at(i, j), y = r.at(j, i);
        return sym ? x != y : !negates(x, y);
      } else {
        const T x = r.at(i, j), y = r.at(j, i);
        return sym ? !(x == y) : !negates(x, y);
      }
    };
    const auto found = first_violation(rows, [&](index_t row) -> index_t {
      for (index_t col = row; col < cols; ++col)
        if (bad(row, col)) return col;
      return -1;
    });
    const auto [i, j] = found;
    if (i < 0) return {};
    if (i == j) return at(i, i) + (sym ? " is not equal to itself (NaN)" : " on the diagonal is non-zero");
    return at(i, j) + (sym ? " differs from " : " is not the negative of ") + at(j, i);
  }
  // Triangular and diagonal: zeros below and/or above (and on) the diagonal.
  const bool zero_below = is_upper(s), zero_above = is_lower(s), zero_diagonal = is_strict(s);
  const auto found = first_violation(rows, [&](index_t row) -> index_t {
    if (zero_below) {
      index_t col = first_nonzero(r, row, 0, std::min(zero_diagonal ? row + 1 : row, cols));
      if (col >= 0) return col;
    }
    if (zero_above) {
      index_t col = first_nonzero(r, row, std::min(zero_diagonal ? row : row + 1, cols), cols);
      if (col >= 0) return col;
    }
    return -1;
  });
  const auto [i, j] = found;
  if (i < 0) return {};
  return at(i, j) + (i > j ? " below" : i < j ? " above" : " on") + " the diagonal is non-zero";
}

/// Whether element (i, j) (in range) is consistent with s, given the others are.
template <class T> bool element_ok(const Array& a, Structure s, index_t i, index_t j) {
  const Reader<T> r = reader_of<T>(a);
  auto zero = [&] {
    if constexpr (std::is_same_v<T, bit_tag>) {
      return !r.at(i, j);
    } else {
      return is_zero(r.at(i, j));
    }
  };
  switch (s) {
    case Structure::dense: return true;
    case Structure::symmetric:
    case Structure::antisymmetric: {
      if constexpr (std::is_same_v<T, bit_tag>) {
        const bool x = r.at(i, j), y = r.at(j, i);
        return s == Structure::symmetric ? x == y : negates(x, y);
      } else {
        const T x = r.at(i, j), y = r.at(j, i);
        return s == Structure::symmetric ? x == y : negates(x, y);
      }
    }
    default: break;
  }
  const bool must_be_zero = (is_upper(s) && (i > j || (is_strict(s) && i == j))) ||
                            (is_lower(s) && (i < j || (is_strict(s) && i == j)));
  return !must_be_zero || zero();
}

}  // namespace

std::string Array::structure_violation(Structure s) const {
  if (s == Structure::dense) return {};
  if (ndim_ != 2) return "a Vector's structure is always 'dense'";
  return visit_dtype(dtype_, [&]<class T>(std::type_identity<T>) { return violation<T>(*this, s); });
}

Structure Array::effective_mark() const {
  const Structure mark = mark_.load();
  if (mark == Structure::dense || ndim_ != 2) return Structure::dense;
  const bool whole = mark_start_[0] == 0 && mark_start_[1] == 0 && mark_step_[0] == 1 && mark_step_[1] == 1 &&
                     shape_ == mark_shape_;
  const bool principal = mark_start_[0] == mark_start_[1] && mark_step_[0] == mark_step_[1] &&
                         mark_step_[0] > 0 && shape_[0] == shape_[1];
  return whole || principal ? mark : Structure::dense;
}

void Array::drop_mark() const {
  mark_ = Structure::dense;
  mark_checked_ = kUnchecked;
}

Structure Array::structure() const {
  const Structure s = effective_mark();
  if (s == Structure::dense) return s;
  const std::uint64_t gen = buffer_->generation();
  if (mark_checked_ == gen) return s;
  if (!structure_violation(s).empty()) {
    drop_mark();
    return Structure::dense;
  }
  mark_checked_ = gen;
  return s;
}

bool Array::structure_current() const {
  return effective_mark() == Structure::dense || mark_checked_ == buffer_->generation();
}

void Array::set_structure(Structure s) {
  const std::uint64_t gen = buffer_->generation();
  if (s != Structure::dense) {
    std::string why = structure_violation(s);
    if (!why.empty()) throw ValueError("cannot mark this object '" + std::string(structure_name(s)) + "': " + why);
  }
  assume_structure(s);
  mark_checked_ = gen;
}

void Array::assume_structure(Structure s) {
  if (ndim_ != 2) s = Structure::dense;
  mark_ = s;
  mark_shape_ = shape_;
  mark_start_ = {0, 0};
  mark_step_ = {1, 1};
  mark_checked_ = s == Structure::dense ? kUnchecked : buffer_->generation();
}

void Array::claim_structure(Structure s) {
  assume_structure(s);
  mark_checked_ = kUnchecked;
}

void Array::carry_mark(Array& to, bool exact) const {
  const Structure s = effective_mark();
  if (s == Structure::dense || to.ndim_ != 2) return;
  // Casts keep zeros and equal values; only "a == -b" may not survive one.
  if (structure_current() && (exact || s != Structure::antisymmetric))
    to.assume_structure(s);
  else
    to.claim_structure(s);
}

bool Array::element_keeps_mark(index_t i, index_t j) const {
  const Structure s = effective_mark();
  if (s == Structure::dense) return true;
  return visit_dtype(dtype_, [&]<class T>(std::type_identity<T>) { return element_ok<T>(*this, s, i, j); });
}

void mark_product(Array& out, const Array& a, const Array& b) {
  if (out.ndim() != 2 || a.ndim() != 2 || b.ndim() != 2) return;
  const Structure s = product_structure(a.structure(), b.structure());
  if (s == Structure::dense) return;
  const DTypeKind kind = dtype_info(out.dtype()).kind;
  if (kind == DTypeKind::signed_int || kind == DTypeKind::unsigned_int || kind == DTypeKind::boolean)
    out.assume_structure(s);
  else
    out.claim_structure(s);
}

}  // namespace pycauset
