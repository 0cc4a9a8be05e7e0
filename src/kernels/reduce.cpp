// Sum reductions (compiled once per instruction set, like convert.cpp).
#include "pycauset/kernels/reduce.hpp"

#include <algorithm>
#include <cmath>
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

__extension__ typedef __int128 i128;  // exact sums of integers

constexpr std::int64_t kChunks = 64;  // fixed split of a full reduction: deterministic results

template <class T> constexpr bool is_float_v = std::is_floating_point_v<T> || std::is_same_v<T, float16_t>;

// Accumulators for input element type S summed into an output of kind K
// ('i' any integer, 'f' real floating, 'c' complex). `type` carries the total;
// `inner` is a cheaper type in which runs of at most `block` elements are summed
// before they are added to the total.
//
// Integer outputs are exact: the total is a signed 128-bit integer, which holds
// the sum of fewer than 2^63 values of any integer dtype (|v| < 2^64) without
// wrapping, so the final range check against the output dtype is exact: also
// for unsigned outputs of signed data (a negative total does not fit) and for
// sums whose partial values leave 64 bits and come back. Inputs of 32 bits or
// fewer (and bits) are summed in 64 bits in runs of 2^31, which cannot wrap
// (2^31 * 2^32 = 2^63).
template <class S, char K> struct Acc;
template <class S> struct Acc<S, 'f'> {
  using type = double;
  using inner = double;
  static constexpr std::int64_t block = std::numeric_limits<std::int64_t>::max();
};
template <class S> struct Acc<S, 'c'> {
  using type = std::complex<double>;
  using inner = std::complex<double>;
  static constexpr std::int64_t block = std::numeric_limits<std::int64_t>::max();
};
template <class S> struct Acc<S, 'i'> {
  static constexpr bool narrow = std::is_integral_v<S> && sizeof(S) <= 4;
  using type = i128;
  using inner = std::conditional_t<narrow, std::conditional_t<std::is_signed_v<S>, std::int64_t, std::uint64_t>, i128>;
  static constexpr std::int64_t block = narrow ? std::int64_t(1) << 31 : std::numeric_limits<std::int64_t>::max();
};

// A float element summed into an integer result: truncated toward zero, as
// NumPy's cast does, but never undefined: NaN is a ValueError and values whose
// truncation lies outside (-2^64, 2^64) are an OverflowError (no integer
// dtype holds them, and the 128-bit total stays exact below that bound).
template <class F> i128 float_to_int(F x) {
  const double d = double(x);
  if (std::isnan(d)) throw ValueError("cannot sum NaN into an integer dtype; pass a float dtype= or drop the NaNs");
  if (!(std::fabs(d) < 18446744073709551616.0))
    throw OverflowError("a float element is too large to sum into an integer dtype; pass a float dtype=");
  return i128(d);
}

template <class I, class S> I to_inner(S v) {
  if constexpr (is_complex_v<I>) {
    if constexpr (is_complex_v<S>) return I(double(v.real()), double(v.imag()));
    else return I(double(v), 0.0);
  } else if constexpr (std::is_floating_point_v<I>) {
    if constexpr (is_complex_v<S>) return I(v.real());
    else return I(v);
  } else if constexpr (is_complex_v<S>) {
    throw TypeError("the sum of complex values needs a complex dtype");  // checked before; never reached
  } else if constexpr (is_float_v<S>) {
    return I(float_to_int(v));
  } else {
    return I(v);
  }
}

// Sum of n elements of type S at p, `stride` bytes apart (floats: 8 partial sums).
template <class S, class Ac> typename Ac::type sum_run(const std::byte* p, std::int64_t stride, std::int64_t n) {
  using A = typename Ac::type;
  using I = typename Ac::inner;
  if constexpr (std::is_floating_point_v<A>) {
    A part[8] = {};  // independent partial sums: vectorisable and more accurate
    std::int64_t i = 0;
    if (stride == std::int64_t(sizeof(S))) {
      const S* q = reinterpret_cast<const S*>(p);
      for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k) part[k] += to_inner<A>(q[i + k]);
      for (; i < n; ++i) part[0] += to_inner<A>(q[i]);
    } else {
      for (; i < n; ++i) {
        S v;
        std::memcpy(&v, p + i * stride, sizeof(S));
        part[i & 7] += to_inner<A>(v);
      }
    }
    return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
  } else if constexpr (std::is_same_v<A, i128> && std::is_integral_v<S> && sizeof(S) == 8) {
    // 64-bit integers, exactly: v = hi * 2^32 + lo with lo < 2^32, and runs of
    // 2^31 his and los each fit 64 bits (vectorisable, unlike 128-bit adds).
    i128 total = 0;
    using H = std::conditional_t<std::is_signed_v<S>, std::int64_t, std::uint64_t>;
    for (std::int64_t b = 0; b < n; b += std::int64_t(1) << 31) {
      const std::int64_t e = std::min(n, b + (std::int64_t(1) << 31));
      H hi = 0;
      std::uint64_t lo = 0;
      if (stride == 8) {
        const S* q = reinterpret_cast<const S*>(p);
        for (std::int64_t i = b; i < e; ++i) {
          hi += H(q[i]) >> 32;
          lo += std::uint64_t(q[i]) & 0xffffffffu;
        }
      } else {
        for (std::int64_t i = b; i < e; ++i) {
          S v;
          std::memcpy(&v, p + i * stride, sizeof(S));
          hi += H(v) >> 32;
          lo += std::uint64_t(v) & 0xffffffffu;
        }
      }
      total += i128(hi) * (i128(1) << 32) + i128(lo);
    }
    return total;
  } else {
    A total{};
    for (std::int64_t b = 0; b < n; b += Ac::block) {
      const std::int64_t e = n - b <= Ac::block ? n : b + Ac::block;
      I part{};
      if (stride == std::int64_t(sizeof(S))) {
        const S* q = reinterpret_cast<const S*>(p);
        for (std::int64_t i = b; i < e; ++i) part += to_inner<I>(q[i]);
      } else {
        for (std::int64_t i = b; i < e; ++i) {
          S v;
          std::memcpy(&v, p + i * stride, sizeof(S));
          part += to_inner<I>(v);
        }
      }
      total += A(part);
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
template <class S, class Ac> typename Ac::type run_of(const StridedRef& a, std::int64_t r, std::int64_t c0, std::int64_t n) {
  if constexpr (std::is_same_v<S, bit_tag>) {
    return typename Ac::type(count_bits(a.data, a.bit_offset + r * a.s0 + c0 * a.s1, a.s1, n));
  } else {
    return sum_run<S, Ac>(a.data + r * a.s0 + c0 * a.s1, a.s1, n);
  }
}

// The total (divided by `divisor`, truncating toward zero for integers) as T.
template <class T, class A> T from_acc(A v, std::int64_t divisor, DType out) {
  if constexpr (std::is_integral_v<T>) {
    if (divisor != 1) v /= A(divisor);
    using L = std::numeric_limits<T>;
    if (v < A(L::min()) || v > A(L::max()))
      throw OverflowError(std::string("the exact integer ") + (divisor == 1 ? "sum" : "mean") + " does not fit " +
                          std::string(dtype_name(out)) +
                          "; pass a wider dtype= (e.g. 'int64', or 'float64' for an approximate result)");
    return T(v);
  } else {
    if (divisor != 1) v /= double(divisor);
    if constexpr (is_complex_v<T>) {
      using R = typename T::value_type;
      if constexpr (is_complex_v<A>) return T(R(v.real()), R(v.imag()));
      else return T(R(v), R(0));
    } else {
      if constexpr (is_complex_v<A>) return T(v.real());
      else return T(v);
    }
  }
}

template <class S, class T, class Ac>
void sum_impl(const StridedRef& a, int axis, const StridedRef& out, std::int64_t divisor) {
  using A = typename Ac::type;
  using I = typename Ac::inner;
  const std::int64_t rows = a.rows, cols = a.cols;
  auto put = [&](std::int64_t k, A v) {
    T x = from_acc<T>(v, divisor, out.dtype);
    std::memcpy(out.data + k * out.s1, &x, sizeof(T));
  };
  if (axis == 1) {
    parallel_for(rows, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(cols, 1)),
                 [&](std::int64_t b, std::int64_t e) {
                   for (std::int64_t r = b; r < e; ++r) put(r, run_of<S, Ac>(a, r, 0, cols));
                 });
    return;
  }
  if (axis == 0) {
    const std::int64_t chunks = std::clamp<std::int64_t>(rows / 64, 1, 8);
    const std::int64_t per = (rows + chunks - 1) / chunks;
    std::vector<A> partial(std::size_t(chunks * cols), A{});
    // Columns in blocks so each block's partial sums stay in cache.
    parallel_for(chunks, 1, [&](std::int64_t cb, std::int64_t ce) {
      std::vector<I> run(static_cast<std::size_t>(cols));
      for (std::int64_t c = cb; c < ce; ++c) {
        A* acc = partial.data() + c * cols;
        const std::int64_t r_end = std::min(rows, (c + 1) * per);
        // Rows in runs of at most Ac::block, summed in the inner type.
        for (std::int64_t r0 = c * per; r0 < r_end; r0 = r_end - r0 <= Ac::block ? r_end : r0 + Ac::block) {
          const std::int64_t r1 = r_end - r0 <= Ac::block ? r_end : r0 + Ac::block;
          std::fill(run.begin(), run.end(), I{});
          for (std::int64_t r = r0; r < r1; ++r) {
            if constexpr (std::is_same_v<S, bit_tag>) {
              for (std::int64_t j = 0; j < cols; ++j) {
                std::int64_t bit = a.bit_offset + r * a.s0 + j * a.s1;
                run[std::size_t(j)] += I((std::to_integer<unsigned>(a.data[bit >> 3]) >> (bit & 7)) & 1u);
              }
            } else if (a.s1 == std::int64_t(sizeof(S))) {  // contiguous rows: vectorisable
              const S* q = reinterpret_cast<const S*>(a.data + r * a.s0);
              for (std::int64_t j = 0; j < cols; ++j) run[std::size_t(j)] += to_inner<I>(q[j]);
            } else {
              const std::byte* p = a.data + r * a.s0;
              for (std::int64_t j = 0; j < cols; ++j) {
                S v;
                std::memcpy(&v, p + j * a.s1, sizeof(S));
                run[std::size_t(j)] += to_inner<I>(v);
              }
            }
          }
          for (std::int64_t j = 0; j < cols; ++j) acc[j] += A(run[std::size_t(j)]);
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
      if (one_row) total = run_of<S, Ac>(a, 0, b, e - b);
      else for (std::int64_t r = b; r < e; ++r) total += run_of<S, Ac>(a, r, 0, cols);
      partial[std::size_t(c)] = total;
    }
  });
  A total{};
  for (std::int64_t c = 0; c < chunks; ++c) total += partial[std::size_t(c)];
  put(0, total);
}

}  // namespace

void reduce_sum(const StridedRef& a, int axis, const StridedRef& out, std::int64_t divisor) {
  if (axis < -1 || axis > 1) throw ValueError("axis must be -1, 0 or 1");
  if (divisor < 1) throw ValueError("the divisor of a reduction must be positive");
  const std::int64_t want = axis == -1 ? 1 : axis == 0 ? a.cols : a.rows;
  if (out.cols != want || out.rows != 1) throw ValueError("reduction output has the wrong length");
  if (out.dtype == DType::bit) throw TypeError("a sum cannot be stored as bit");
  if (dtype_info(a.dtype).kind == DTypeKind::complex && dtype_info(out.dtype).kind != DTypeKind::complex)
    throw TypeError("the sum of complex values needs a complex dtype");
  visit_dtype(a.dtype, [&]<class S>(std::type_identity<S>) {
    visit_dtype(out.dtype, [&]<class T>(std::type_identity<T>) {
      if constexpr (!std::is_same_v<T, bit_tag>) {
        constexpr char K = is_complex_v<T> ? 'c' : is_float_v<T> ? 'f' : 'i';
        using Elem = std::conditional_t<std::is_same_v<S, bit_tag>, std::uint8_t, S>;
        sum_impl<S, T, Acc<Elem, K>>(a, axis, out, divisor);
      }
    });
  });
}

}  // namespace pycauset::PYCAUSET_ISA
