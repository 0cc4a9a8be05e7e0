// Sum reductions (compiled once per instruction set, like convert.cpp).
#include "pycauset/kernels/reduce.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "pycauset/core/threads.hpp"

#ifndef PYCAUSET_ISA
#define PYCAUSET_ISA isa_baseline
#endif

namespace pycauset::PYCAUSET_ISA {
namespace {

__extension__ typedef __int128 i128;  // exact sums of 64-bit integers
__extension__ typedef unsigned __int128 u128;

constexpr std::int64_t kChunks = 64;  // fixed split of a full reduction: deterministic results

// Accumulator for input element type S summed into an output of kind K.
template <class S, char K> struct Acc;
template <class S> struct Acc<S, 'i'> { using type = std::conditional_t<sizeof(S) == 8, i128, std::int64_t>; };
template <class S> struct Acc<S, 'u'> { using type = std::conditional_t<sizeof(S) == 8, u128, std::uint64_t>; };
template <class S> struct Acc<S, 'f'> { using type = double; };
template <class S> struct Acc<S, 'c'> { using type = std::complex<double>; };

template <class A, class S> A to_acc(S v) {
  if constexpr (is_complex_v<A>) {
    if constexpr (is_complex_v<S>) return A(double(v.real()), double(v.imag()));
    else return A(double(v), 0.0);
  } else if constexpr (is_complex_v<S>) {
    return A(v.real());
  } else {
    return A(v);
  }
}

template <class S, class A> A sum_run(const std::byte* p, std::int64_t stride, std::int64_t n) {
  if constexpr (std::is_floating_point_v<A>) {
    A part[8] = {};  // independent partial sums: vectorisable and more accurate
    std::int64_t i = 0;
    if (stride == std::int64_t(sizeof(S))) {
      const S* q = reinterpret_cast<const S*>(p);
      for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k) part[k] += to_acc<A>(q[i + k]);
      for (; i < n; ++i) part[0] += to_acc<A>(q[i]);
    } else {
      for (; i < n; ++i) {
        S v;
        std::memcpy(&v, p + i * stride, sizeof(S));
        part[i & 7] += to_acc<A>(v);
      }
    }
    return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
  } else {
    A total{};
    for (std::int64_t i = 0; i < n; ++i) {
      S v;
      std::memcpy(&v, p + i * stride, sizeof(S));
      total += to_acc<A>(v);
    }
    return total;
  }
}

// Ones among n bits starting at bit `pos` of base, stepping `stride` bits.
std::int64_t count_bits(const std::byte* base, std::int64_t pos, std::int64_t stride, std::int64_t n) {
  std::int64_t total = 0;
  if (stride == 1 && pos % 64 == 0) {
    const auto* w = reinterpret_cast<const std::uint64_t*>(base + pos / 8);
    std::int64_t full = n / 64;
    for (std::int64_t k = 0; k < full; ++k) total += __builtin_popcountll(w[k]);
    if (n % 64) total += __builtin_popcountll(w[full] & ((~0ULL) >> (64 - n % 64)));
    return total;
  }
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t b = pos + i * stride;
    total += (std::to_integer<unsigned>(base[b >> 3]) >> (b & 7)) & 1u;
  }
  return total;
}

// Sum of row r over columns [c0, c0 + n).
template <class S, class A> A run_of(const StridedRef& a, std::int64_t r, std::int64_t c0, std::int64_t n) {
  if constexpr (std::is_same_v<S, bit_tag>) {
    return A(count_bits(a.data, a.bit_offset + r * a.s0 + c0 * a.s1, a.s1, n));
  } else {
    return sum_run<S, A>(a.data + r * a.s0 + c0 * a.s1, a.s1, n);
  }
}

template <class T, class A> T from_acc(A v) {
  if constexpr (std::is_integral_v<T>) {
    using L = std::numeric_limits<T>;
    if constexpr (std::is_signed_v<A> || std::is_same_v<A, i128>) {
      if (v < A(L::min()) || v > A(L::max())) throw OverflowError(
          "integer sum overflows the result dtype; pass a wider dtype= (e.g. 'float64')");
    } else {
      if (v > A(L::max())) throw OverflowError(
          "integer sum overflows the result dtype; pass a wider dtype= (e.g. 'float64')");
    }
    return T(v);
  } else if constexpr (is_complex_v<T>) {
    using R = typename T::value_type;
    if constexpr (is_complex_v<A>) return T(R(v.real()), R(v.imag()));
    else return T(R(v), R(0));
  } else {
    if constexpr (is_complex_v<A>) return T(v.real());
    else return T(v);
  }
}

template <class S, class T, class A> void sum_impl(const StridedRef& a, int axis, const StridedRef& out) {
  const std::int64_t rows = a.rows, cols = a.cols;
  auto put = [&](std::int64_t k, A v) {
    T x = from_acc<T>(v);
    std::memcpy(out.data + k * out.s1, &x, sizeof(T));
  };
  if (axis == 1) {
    parallel_for(rows, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(cols, 1)),
                 [&](std::int64_t b, std::int64_t e) {
                   for (std::int64_t r = b; r < e; ++r) put(r, run_of<S, A>(a, r, 0, cols));
                 });
    return;
  }
  if (axis == 0) {
    const std::int64_t chunks = std::clamp<std::int64_t>(rows / 64, 1, 8);
    const std::int64_t per = (rows + chunks - 1) / chunks;
    std::vector<A> partial(std::size_t(chunks * cols), A{});
    // Columns in blocks so each block's partial sums stay in cache.
    parallel_for(chunks, 1, [&](std::int64_t cb, std::int64_t ce) {
      for (std::int64_t c = cb; c < ce; ++c) {
        A* acc = partial.data() + c * cols;
        for (std::int64_t r = c * per; r < std::min(rows, (c + 1) * per); ++r) {
          if constexpr (std::is_same_v<S, bit_tag>) {
            for (std::int64_t j = 0; j < cols; ++j) {
              std::int64_t bit = a.bit_offset + r * a.s0 + j * a.s1;
              acc[j] += A((std::to_integer<unsigned>(a.data[bit >> 3]) >> (bit & 7)) & 1u);
            }
          } else {
            const std::byte* p = a.data + r * a.s0;
            for (std::int64_t j = 0; j < cols; ++j) {
              S v;
              std::memcpy(&v, p + j * a.s1, sizeof(S));
              acc[j] += to_acc<A>(v);
            }
          }
        }
      }
    });
    for (std::int64_t j = 0; j < cols; ++j) {
      A total{};
      for (std::int64_t c = 0; c < chunks; ++c) total += partial[std::size_t(c * cols + j)];
      put(j, total);
    }
    return;
  }
  // Everything: a fixed split into chunks of rows (or of the single row).
  std::vector<A> partial(kChunks, A{});
  const bool one_row = rows == 1;
  const std::int64_t span = one_row ? cols : rows;
  const std::int64_t per = std::max<std::int64_t>(1, (span + kChunks - 1) / kChunks);
  const std::int64_t chunks = (span + per - 1) / per;
  parallel_for(chunks, 1, [&](std::int64_t cb, std::int64_t ce) {
    for (std::int64_t c = cb; c < ce; ++c) {
      std::int64_t b = c * per, e = std::min(span, b + per);
      A total{};
      if (one_row) total = run_of<S, A>(a, 0, b, e - b);
      else for (std::int64_t r = b; r < e; ++r) total += run_of<S, A>(a, r, 0, cols);
      partial[std::size_t(c)] = total;
    }
  });
  A total{};
  for (std::int64_t c = 0; c < chunks; ++c) total += partial[std::size_t(c)];
  put(0, total);
}

}  // namespace

void reduce_sum(const StridedRef& a, int axis, const StridedRef& out) {
  if (axis < -1 || axis > 1) throw ValueError("axis must be -1, 0 or 1");
  const std::int64_t want = axis == -1 ? 1 : axis == 0 ? a.cols : a.rows;
  if (out.cols != want || out.rows != 1) throw ValueError("reduction output has the wrong length");
  if (out.dtype == DType::bit) throw TypeError("a sum cannot be stored as bit");
  if (dtype_info(a.dtype).kind == DTypeKind::complex && dtype_info(out.dtype).kind != DTypeKind::complex)
    throw TypeError("the sum of complex values needs a complex dtype");
  visit_dtype(a.dtype, [&]<class S>(std::type_identity<S>) {
    visit_dtype(out.dtype, [&]<class T>(std::type_identity<T>) {
      if constexpr (!std::is_same_v<T, bit_tag>) {
        constexpr char K = is_complex_v<T> ? 'c' : std::is_floating_point_v<T> || std::is_same_v<T, float16_t> ? 'f'
                           : std::is_signed_v<T> ? 'i' : 'u';
        using Elem = std::conditional_t<std::is_same_v<S, bit_tag>, std::uint8_t, S>;
        using A = typename Acc<Elem, K>::type;
        sum_impl<S, T, A>(a, axis, out);
      }
    });
  });
}

}  // namespace pycauset::PYCAUSET_ISA
