// Order and truth reductions (min, max, any, all) and elementwise power.
#include "pycauset/kernels/minmax.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "pycauset/core/error.hpp"
#include "pycauset/core/threads.hpp"

namespace pycauset {
namespace {

template <class S> S load(const std::byte* p) {
  S v;
  std::memcpy(&v, p, sizeof(S));
  return v;
}

template <class S> void store(std::byte* p, S v) { std::memcpy(p, &v, sizeof(S)); }

template <class S> bool is_nan(S v) {
  if constexpr (is_complex_v<S>) return std::isnan(double(v.real())) || std::isnan(double(v.imag()));
  else if constexpr (std::is_integral_v<S>) return false;
  else return std::isnan(double(v));
}

// a < b in NumPy's order (complex: lexicographic).
template <class S> bool less(S a, S b) {
  if constexpr (is_complex_v<S>) return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
  else return a < b;
}

// NaN-propagating pick of the better of two values (branch-free for real types,
// so loops over it vectorise).
template <bool Max, class S> S pick(S best, S v) {
  if constexpr (is_complex_v<S>) {
    if (is_nan(best)) return best;
    if (is_nan(v)) return v;
    return (Max ? less(best, v) : less(v, best)) ? v : best;
  } else if constexpr (std::is_integral_v<S>) {
    return (Max ? best < v : v < best) ? v : best;
  } else {
    S better = (Max ? best < v : v < best) ? v : best;
    better = v != v ? v : better;
    return best != best ? best : better;
  }
}

// Best of n >= 1 contiguous values, in 8 independent lanes.
template <bool Max, class S> S best_contiguous(const S* q, std::int64_t n) {
  if (n < 16) {
    S best = q[0];
    for (std::int64_t i = 1; i < n; ++i) best = pick<Max>(best, q[i]);
    return best;
  }
  S lane[8];
  for (int k = 0; k < 8; ++k) lane[k] = q[k];
  std::int64_t i = 8;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) lane[k] = pick<Max>(lane[k], q[i + k]);
  for (; i < n; ++i) lane[0] = pick<Max>(lane[0], q[i]);
  S best = lane[0];
  for (int k = 1; k < 8; ++k) best = pick<Max>(best, lane[k]);
  return best;
}

template <class S> bool nonzero(S v) {
  if constexpr (is_complex_v<S>) return v.real() != decltype(v.real())(0) || v.imag() != decltype(v.imag())(0);
  else return v != S(0);
}

bool bit_at(const StridedRef& a, std::int64_t r, std::int64_t c) {
  std::int64_t b = a.bit_offset + r * a.s0 + c * a.s1;
  return (std::to_integer<unsigned>(a.data[b >> 3]) >> (b & 7)) & 1u;
}

// Runs of a reduction: `count` runs of `length` elements; element k of run r is
// a[r, k] for axis 1 and a[k, r] for axis 0. A full reduction is handled as
// rows runs combined afterwards.
struct Runs {
  std::int64_t count, length;
  bool by_row;
};

Runs runs_of(const StridedRef& a, int axis) {
  if (axis == 0) return {a.cols, a.rows, false};
  return {a.rows, a.cols, true};  // axis 1 and the per-row stage of axis -1
}

void check_out(const StridedRef& a, int axis, const StridedRef& out) {
  if (axis < -1 || axis > 1) throw ValueError("axis must be -1, 0 or 1");
  const std::int64_t want = axis == -1 ? 1 : axis == 0 ? a.cols : a.rows;
  if (out.cols != want || out.rows != 1) throw ValueError("reduction output has the wrong length");
}

template <bool Max, class S> void minmax_impl(const StridedRef& a, int axis, const StridedRef& out) {
  auto elem = [&](std::int64_t i, std::int64_t j) { return load<S>(a.data + i * a.s0 + j * a.s1); };
  // Best of row r over columns [c0, c1).
  auto run = [&](std::int64_t r, std::int64_t c0, std::int64_t c1) {
    if (a.s1 == std::int64_t(sizeof(S)))
      return best_contiguous<Max>(reinterpret_cast<const S*>(a.data + r * a.s0 + c0 * a.s1), c1 - c0);
    S best = elem(r, c0);
    for (std::int64_t j = c0 + 1; j < c1; ++j) best = pick<Max>(best, elem(r, j));
    return best;
  };
  if (axis == 0) {
    // Row by row over blocks of columns, so a row-major matrix is read in order.
    constexpr std::int64_t kBlock = 512;
    parallel_for((a.cols + kBlock - 1) / kBlock, 1, [&](std::int64_t b, std::int64_t e) {
      std::vector<S> best(static_cast<std::size_t>(kBlock));
      for (std::int64_t blk = b; blk < e; ++blk) {
        const std::int64_t c0 = blk * kBlock, n = std::min(kBlock, a.cols - c0);
        for (std::int64_t j = 0; j < n; ++j) best[std::size_t(j)] = elem(0, c0 + j);
        for (std::int64_t i = 1; i < a.rows; ++i)
          for (std::int64_t j = 0; j < n; ++j) best[std::size_t(j)] = pick<Max>(best[std::size_t(j)], elem(i, c0 + j));
        for (std::int64_t j = 0; j < n; ++j) store(out.data + (c0 + j) * out.s1, best[std::size_t(j)]);
      }
    });
    return;
  }
  if (axis == 1) {
    parallel_for(a.rows, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(a.cols, 1)),
                 [&](std::int64_t b, std::int64_t e) {
                   for (std::int64_t r = b; r < e; ++r) store(out.data + r * out.s1, run(r, 0, a.cols));
                 });
    return;
  }
  // Everything: a fixed split into pieces (rows, or column chunks of a single row).
  const bool one_row = a.rows == 1;
  const std::int64_t span = one_row ? a.cols : a.rows;
  const std::int64_t per = std::max<std::int64_t>(1, (span + 63) / 64);
  const std::int64_t pieces = (span + per - 1) / per;
  std::vector<S> part(static_cast<std::size_t>(pieces));
  parallel_for(pieces, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      const std::int64_t lo = p * per, hi = std::min(span, lo + per);
      S best = one_row ? run(0, lo, hi) : run(lo, 0, a.cols);
      if (!one_row)
        for (std::int64_t r = lo + 1; r < hi; ++r) best = pick<Max>(best, run(r, 0, a.cols));
      part[std::size_t(p)] = best;
    }
  });
  S best = part[0];
  for (std::size_t p = 1; p < part.size(); ++p) best = pick<Max>(best, part[p]);
  store(out.data, best);
}

template <class S> void any_all_impl(const StridedRef& a, int axis, bool is_all, const StridedRef& out) {
  // Axis -1 is one run over every element; otherwise one run per output element.
  auto element = [&](std::int64_t i, std::int64_t j) {
    if constexpr (std::is_same_v<S, bit_tag>) return bit_at(a, i, j);
    else return nonzero(load<S>(a.data + i * a.s0 + j * a.s1));
  };
  auto run = [&](std::int64_t r, bool by_row, std::int64_t length) {
    for (std::int64_t k = 0; k < length; ++k) {
      bool v = by_row ? element(r, k) : element(k, r);
      if (v != is_all) return !is_all;  // any: found a true; all: found a false
    }
    return is_all;
  };
  auto put = [&](std::int64_t k, bool v) { out.data[k * out.s1] = std::byte(v ? 1 : 0); };
  if (axis == -1) {
    bool result = is_all;
    for (std::int64_t r = 0; r < a.rows && result == is_all; ++r) result = run(r, true, a.cols);
    put(0, result);
    return;
  }
  if (axis == 0) {
    // Row by row over blocks of columns, so a row-major matrix is read in order.
    constexpr std::int64_t kBlock = 512;
    parallel_for((a.cols + kBlock - 1) / kBlock, 1, [&](std::int64_t b, std::int64_t e) {
      std::vector<unsigned char> acc(static_cast<std::size_t>(kBlock));
      for (std::int64_t blk = b; blk < e; ++blk) {
        const std::int64_t c0 = blk * kBlock, n = std::min(kBlock, a.cols - c0);
        std::fill(acc.begin(), acc.end(), static_cast<unsigned char>(is_all));
        for (std::int64_t i = 0; i < a.rows; ++i)
          for (std::int64_t j = 0; j < n; ++j) {
            bool v = element(i, c0 + j);
            acc[std::size_t(j)] = static_cast<unsigned char>(is_all ? (acc[std::size_t(j)] & unsigned(v)) : (acc[std::size_t(j)] | unsigned(v)));
          }
        for (std::int64_t j = 0; j < n; ++j) put(c0 + j, acc[std::size_t(j)] != 0);
      }
    });
    return;
  }
  const Runs runs = runs_of(a, axis);
  parallel_for(runs.count, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(runs.length, 1)),
               [&](std::int64_t b, std::int64_t e) {
                 for (std::int64_t r = b; r < e; ++r) put(r, run(r, runs.by_row, runs.length));
               });
}

template <class S> S int_power(S base, S exponent) {
  using U = std::make_unsigned_t<S>;
  U result = 1, b = U(base);
  auto e = static_cast<std::make_unsigned_t<S>>(exponent);
  while (e) {
    if (e & 1u) result = U(result * b);
    b = U(b * b);
    e >>= 1;
  }
  return S(result);
}

}  // namespace

void reduce_minmax(const StridedRef& a, int axis, bool is_max, const StridedRef& out) {
  check_out(a, axis, out);
  if (out.dtype != a.dtype) throw TypeError("min/max output must have the input's dtype");
  if (a.dtype == DType::bit) throw TypeError("min/max of bit arrays: use reduce_any_all");
  const std::int64_t length = axis == 0 ? a.rows : axis == 1 ? a.cols : a.rows * a.cols;
  if (length == 0)
    throw ValueError(std::string("zero-size array to reduction operation ") + (is_max ? "maximum" : "minimum") +
                     " which has no identity");
  visit_dtype(a.dtype, [&]<class S>(std::type_identity<S>) {
    if constexpr (!std::is_same_v<S, bit_tag>) {
      if (is_max) minmax_impl<true, S>(a, axis, out);
      else minmax_impl<false, S>(a, axis, out);
    }
  });
}

void reduce_any_all(const StridedRef& a, int axis, bool is_all, const StridedRef& out) {
  check_out(a, axis, out);
  if (out.dtype != DType::uint8) throw TypeError("any/all output must be uint8");
  visit_dtype(a.dtype, [&]<class S>(std::type_identity<S>) { any_all_impl<S>(a, axis, is_all, out); });
}

void power(const StridedRef& base, const StridedRef& exponent, const StridedRef& out) {
  if (base.dtype != out.dtype || exponent.dtype != out.dtype)
    throw TypeError("power: base, exponent and output must share one dtype");
  if (base.rows != out.rows || base.cols != out.cols || exponent.rows != out.rows || exponent.cols != out.cols)
    throw ValueError("power: operand shapes differ");
  if (out.dtype == DType::bit) throw TypeError("power is not defined for bit arrays");
  visit_dtype(out.dtype, [&]<class S>(std::type_identity<S>) {
    if constexpr (!std::is_same_v<S, bit_tag>) {
      if constexpr (std::is_integral_v<S> && std::is_signed_v<S>) {
        // Check first, so a bad exponent leaves out untouched.
        for (std::int64_t i = 0; i < out.rows; ++i)
          for (std::int64_t j = 0; j < out.cols; ++j)
            if (load<S>(exponent.data + i * exponent.s0 + j * exponent.s1) < 0)
              throw ValueError("Integers to negative integer powers are not allowed.");
      }
      parallel_for(out.rows, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(out.cols, 1)),
                   [&](std::int64_t b, std::int64_t e) {
                     for (std::int64_t i = b; i < e; ++i)
                       for (std::int64_t j = 0; j < out.cols; ++j) {
                         S x = load<S>(base.data + i * base.s0 + j * base.s1);
                         S y = load<S>(exponent.data + i * exponent.s0 + j * exponent.s1);
                         S r;
                         if constexpr (std::is_integral_v<S>) r = int_power(x, y);
                         else if constexpr (std::is_same_v<S, float16_t>) r = S(std::pow(float(x), float(y)));
                         else r = std::pow(x, y);
                         store(out.data + i * out.s0 + j * out.s1, r);
                       }
                   });
    }
  });
}

}  // namespace pycauset
