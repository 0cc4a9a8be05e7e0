// Compiled once per instruction set (see CMakeLists.txt); PYCAUSET_ISA names
// the namespace of this copy and dispatch.cpp picks one at run time, so the
// compiler can vectorise the cast loops for the CPU at hand.
#include "pycauset/kernels/convert.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "pycauset/core/detail/scalar_impl.hpp"
#include "pycauset/core/threads.hpp"

#ifndef PYCAUSET_ISA
#define PYCAUSET_ISA isa_baseline
#endif

namespace pycauset::PYCAUSET_ISA {
namespace {

constexpr std::int64_t kParallelBytes = 1 << 20;  // below this a thread hand-off costs more than it saves
constexpr std::int64_t kTile = 64;                // transpose tile edge (64x64 doubles = 32 KiB)

// ---- element casts --------------------------------------------------------

template <class D, class S> inline D cast_elem(S v) {
  if constexpr (std::is_same_v<D, S>) {
    return v;
  } else if constexpr (is_complex_v<D>) {
    using R = typename D::value_type;
    if constexpr (is_complex_v<S>) return D(R(v.real()), R(v.imag()));
    else return D(static_cast<R>(v), R(0));
  } else if constexpr (is_complex_v<S>) {
    return cast_elem<D>(v.real());
  } else {
    return static_cast<D>(v);
  }
}

template <class S> inline bool is_nonzero(S v) {
  if constexpr (is_complex_v<S>) return v.real() != 0 || v.imag() != 0;
  else return v != S(0);
}

template <class T> inline T load(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <class T> inline void store(std::byte* p, T v) { std::memcpy(p, &v, sizeof(T)); }

// ---- bit addressing ---------------------------------------------------------

inline bool get_bit(const std::byte* base, std::int64_t pos) {
  return (std::to_integer<unsigned>(base[pos >> 3]) >> (pos & 7)) & 1u;
}
inline void set_bit(std::byte* base, std::int64_t pos, bool v) {
  auto& b = base[pos >> 3];
  auto mask = std::byte(1u << (pos & 7));
  b = v ? (b | mask) : (b & ~mask);
}
inline bool word_aligned(std::int64_t pos) { return (pos & 63) == 0; }

inline std::uint64_t* words_at(std::byte* base, std::int64_t pos) {
  return reinterpret_cast<std::uint64_t*>(base + (pos >> 3));
}
inline const std::uint64_t* words_at(const std::byte* base, std::int64_t pos) {
  return reinterpret_cast<const std::uint64_t*>(base + (pos >> 3));
}

// Bits [0, n) of `words` from n contiguous-or-strided elements; the bits of the
// last word beyond n are preserved (they may belong to other columns).
template <class S>
void pack_segment(const std::byte* src, std::int64_t sstride, std::uint64_t* words, std::int64_t n) {
  std::int64_t full = n / 64, rest = n % 64;
  if constexpr (std::is_same_v<S, std::uint8_t>) {
    if (sstride == 1) {
      detail::pack_bytes(reinterpret_cast<const std::uint8_t*>(src), full * 64, words);
      if (rest) {
        std::uint64_t tmp;
        detail::pack_bytes(reinterpret_cast<const std::uint8_t*>(src) + full * 64, rest, &tmp);
        std::uint64_t mask = (~0ULL) >> (64 - rest);
        words[full] = (words[full] & ~mask) | (tmp & mask);
      }
      return;
    }
  }
  auto pack_word = [&](std::int64_t w, std::int64_t count) {
    std::uint64_t bits = 0;
    const std::byte* p = src + w * 64 * sstride;
    for (std::int64_t k = 0; k < count; ++k) bits |= std::uint64_t(is_nonzero(load<S>(p + k * sstride))) << k;
    return bits;
  };
  for (std::int64_t w = 0; w < full; ++w) words[w] = pack_word(w, 64);
  if (rest) {
    std::uint64_t mask = (~0ULL) >> (64 - rest);
    words[full] = (words[full] & ~mask) | (pack_word(full, rest) & mask);
  }
}

// n elements from bits [0, n) of `words`.
template <class D>
void unpack_segment(const std::uint64_t* words, std::byte* dst, std::int64_t dstride, std::int64_t n) {
  if constexpr (std::is_same_v<D, std::uint8_t>) {
    if (dstride == 1) {
      detail::unpack_bytes(words, n, reinterpret_cast<std::uint8_t*>(dst));
      return;
    }
  }
  for (std::int64_t k = 0; k < n; ++k)
    store<D>(dst + k * dstride, cast_elem<D>(std::uint8_t((words[k >> 6] >> (k & 63)) & 1u)));
}

// ---- the copy kernels -----------------------------------------------------

std::int64_t grain_for(std::int64_t bytes_per_unit) {
  return std::max<std::int64_t>(1, kParallelBytes / std::max<std::int64_t>(bytes_per_unit, 1));
}

template <class S, class D> void copy_bytes(const StridedRef& s, const StridedRef& d) {
  constexpr std::int64_t ss = sizeof(S), ds = sizeof(D);
  const std::int64_t rows = s.rows, cols = s.cols;
  const bool s_inner = s.s1 == ss, d_inner = d.s1 == ds;
  const std::int64_t esize = std::max(ss, ds);

  if (s_inner && d_inner && (rows == 1 || (s.s0 == cols * ss && d.s0 == cols * ds))) {
    // Both sides are one contiguous run: a flat (parallel) copy.
    const S* sp = reinterpret_cast<const S*>(s.data);
    D* dp = reinterpret_cast<D*>(d.data);
    parallel_for(rows * cols, grain_for(esize), [&](std::int64_t b, std::int64_t e) {
      if constexpr (std::is_same_v<S, D>) std::memcpy(dp + b, sp + b, std::size_t(e - b) * ss);
      else for (std::int64_t k = b; k < e; ++k) dp[k] = cast_elem<D>(sp[k]);
    }, 16);
    return;
  }
  if (s.s0 == ss && d_inner && rows > 1 && cols > 1) {
    // Column-major source into row-major destination: transpose tile by tile
    // so both sides stay in cache.
    std::int64_t row_tiles = (rows + kTile - 1) / kTile;
    parallel_for(row_tiles, grain_for(kTile * cols * esize), [&](std::int64_t tb, std::int64_t te) {
      for (std::int64_t i0 = tb * kTile; i0 < std::min(rows, te * kTile); i0 += kTile) {
        std::int64_t i1 = std::min(rows, i0 + kTile);
        for (std::int64_t j0 = 0; j0 < cols; j0 += kTile) {
          std::int64_t j1 = std::min(cols, j0 + kTile);
          for (std::int64_t i = i0; i < i1; ++i) {
            D* drow = reinterpret_cast<D*>(d.data + i * d.s0);
            const std::byte* scol = s.data + i * ss;
            for (std::int64_t j = j0; j < j1; ++j) drow[j] = cast_elem<D>(load<S>(scol + j * s.s1));
          }
        }
      }
    });
    return;
  }
  parallel_for(rows, grain_for(cols * esize), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      const std::byte* sp = s.data + i * s.s0;
      std::byte* dp = d.data + i * d.s0;
      if (s_inner && d_inner) {
        if constexpr (std::is_same_v<S, D>) {
          std::memcpy(dp, sp, std::size_t(cols) * ss);
        } else {
          const S* sr = reinterpret_cast<const S*>(sp);
          D* dr = reinterpret_cast<D*>(dp);
          for (std::int64_t j = 0; j < cols; ++j) dr[j] = cast_elem<D>(sr[j]);
        }
      } else {
        for (std::int64_t j = 0; j < cols; ++j) store<D>(dp + j * d.s1, cast_elem<D>(load<S>(sp + j * s.s1)));
      }
    }
  });
}

// Bit destination. Fast when every row starts on a word and bits are
// consecutive: rows (or 64-aligned chunks of one row) own whole words, so
// they can be packed in parallel. Otherwise bit by bit, serially.
template <class S> void pack_into_bits(const StridedRef& s, const StridedRef& d) {
  const std::int64_t rows = s.rows, cols = s.cols;
  bool fast = d.s1 == 1 && word_aligned(d.bit_offset) && (rows == 1 || word_aligned(d.s0));
  if (!fast) {
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t j = 0; j < cols; ++j)
        set_bit(d.data, d.bit_offset + i * d.s0 + j * d.s1,
                is_nonzero(load<S>(s.data + i * s.s0 + j * s.s1)));
    return;
  }
  // s.s1 is in bytes; pack_segment wants it in bytes too except for the uint8 fast path check.
  const std::int64_t sstride = s.s1;
  if (rows == 1) {
    parallel_for(cols, grain_for(sizeof(S)), [&](std::int64_t b, std::int64_t e) {
      pack_segment<S>(s.data + b * sstride, sstride, words_at(d.data, d.bit_offset + b), e - b);
    }, 64);
    return;
  }
  parallel_for(rows, grain_for(cols * std::int64_t(sizeof(S))), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i)
      pack_segment<S>(s.data + i * s.s0, sstride, words_at(d.data, d.bit_offset + i * d.s0), cols);
  });
}

// Bit source.
template <class D> void unpack_from_bits(const StridedRef& s, const StridedRef& d) {
  const std::int64_t rows = s.rows, cols = s.cols;
  bool fast = s.s1 == 1 && word_aligned(s.bit_offset) && (rows == 1 || word_aligned(s.s0));
  if (!fast) {
    parallel_for(rows, grain_for(cols * 8), [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i)
        for (std::int64_t j = 0; j < cols; ++j)
          store<D>(d.data + i * d.s0 + j * d.s1,
                   cast_elem<D>(std::uint8_t(get_bit(s.data, s.bit_offset + i * s.s0 + j * s.s1))));
    });
    return;
  }
  // d.s1 is in bytes; unpack_segment's uint8 fast path needs it to be 1.
  if (rows == 1) {
    parallel_for(cols, grain_for(sizeof(D)), [&](std::int64_t b, std::int64_t e) {
      unpack_segment<D>(words_at(s.data, s.bit_offset + b), d.data + b * d.s1, d.s1, e - b);
    }, 64);
    return;
  }
  parallel_for(rows, grain_for(cols * std::int64_t(sizeof(D))), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i)
      unpack_segment<D>(words_at(s.data, s.bit_offset + i * s.s0), d.data + i * d.s0, d.s1, cols);
  });
}

void copy_bits(const StridedRef& s, const StridedRef& d) {
  bool rows_of_words = s.s1 == 1 && d.s1 == 1 && word_aligned(s.bit_offset) &&
                       word_aligned(d.bit_offset) && word_aligned(s.s0) && word_aligned(d.s0);
  if (rows_of_words) {
    const std::int64_t full = s.cols / 64, rest = s.cols % 64;
    parallel_for(s.rows, grain_for(s.cols / 8), [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) {
        const std::uint64_t* sw = words_at(s.data, s.bit_offset + i * s.s0);
        std::uint64_t* dw = words_at(d.data, d.bit_offset + i * d.s0);
        std::memcpy(dw, sw, std::size_t(full) * 8);
        if (rest) {
          std::uint64_t mask = (~0ULL) >> (64 - rest);
          dw[full] = (dw[full] & ~mask) | (sw[full] & mask);
        }
      }
    });
    return;
  }
  for (std::int64_t i = 0; i < s.rows; ++i)
    for (std::int64_t j = 0; j < s.cols; ++j)
      set_bit(d.data, d.bit_offset + i * d.s0 + j * d.s1,
              get_bit(s.data, s.bit_offset + i * s.s0 + j * s.s1));
}

}  // namespace

void convert(const StridedRef& src, const StridedRef& dst) {
  if (src.rows != dst.rows || src.cols != dst.cols)
    throw ValueError("convert: shape mismatch (" + std::to_string(src.rows) + ", " +
                     std::to_string(src.cols) + ") vs (" + std::to_string(dst.rows) + ", " +
                     std::to_string(dst.cols) + ")");
  if (src.rows == 0 || src.cols == 0) return;
  visit_dtype(src.dtype, [&]<class S>(std::type_identity<S>) {
    visit_dtype(dst.dtype, [&]<class D>(std::type_identity<D>) {
      if constexpr (std::is_same_v<S, bit_tag> && std::is_same_v<D, bit_tag>) copy_bits(src, dst);
      else if constexpr (std::is_same_v<S, bit_tag>) unpack_from_bits<D>(src, dst);
      else if constexpr (std::is_same_v<D, bit_tag>) pack_into_bits<S>(src, dst);
      else copy_bytes<S, D>(src, dst);
    });
  });
}

void fill(const StridedRef& d, const Scalar& v) {
  if (d.rows == 0 || d.cols == 0) return;
  visit_dtype(d.dtype, [&]<class T>(std::type_identity<T>) {
    if constexpr (std::is_same_v<T, bit_tag>) {
      const bool on = v.nonzero();
      bool fast = d.s1 == 1 && word_aligned(d.bit_offset) && (d.rows == 1 || word_aligned(d.s0));
      if (!fast) {
        for (std::int64_t i = 0; i < d.rows; ++i)
          for (std::int64_t j = 0; j < d.cols; ++j) set_bit(d.data, d.bit_offset + i * d.s0 + j * d.s1, on);
        return;
      }
      const std::int64_t full = d.cols / 64, rest = d.cols % 64;
      for (std::int64_t i = 0; i < d.rows; ++i) {
        std::uint64_t* w = words_at(d.data, d.bit_offset + i * d.s0);
        std::memset(w, on ? 0xff : 0, std::size_t(full) * 8);
        if (rest) {
          std::uint64_t mask = (~0ULL) >> (64 - rest);
          w[full] = on ? (w[full] | mask) : (w[full] & ~mask);
        }
      }
    } else {
      const T value = scalar_to<T>(v);
      const std::int64_t es = sizeof(T);
      if (d.s1 == es && (d.rows == 1 || d.s0 == d.cols * es)) {
        T* p = reinterpret_cast<T*>(d.data);
        parallel_for(d.rows * d.cols, grain_for(es), [&](std::int64_t b, std::int64_t e) {
          std::fill(p + b, p + e, value);
        }, 16);
        return;
      }
      parallel_for(d.rows, grain_for(d.cols * es), [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t i = b; i < e; ++i)
          for (std::int64_t j = 0; j < d.cols; ++j) store<T>(d.data + i * d.s0 + j * d.s1, value);
      });
    }
  });
}

}  // namespace pycauset::PYCAUSET_ISA
