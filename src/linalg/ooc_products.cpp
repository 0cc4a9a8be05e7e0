#include "pycauset/linalg/ooc_products.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <future>
#include <limits>
#include <type_traits>
#include <vector>

#include "exact_products.hpp"
#include "pycauset/array/blocks.hpp"
#include "pycauset/core/error.hpp"
#include "pycauset/core/progress.hpp"
#include "pycauset/core/threads.hpp"
#include "pycauset/kernels/products.hpp"
#include "pycauset/linalg/lapack.hpp"
#include "pycauset/linalg/out_of_core.hpp"
#include "pycauset/storage/buffer.hpp"
#include "pycauset/storage/governor.hpp"
#include "pycauset/storage/mapped_file.hpp"
#include "pycauset/storage/tile_io.hpp"
#include "tiles.hpp"

namespace pycauset::linalg::ooc {
namespace {

using Store = pycauset::BlockStore;  // row blocks of an Array (array/blocks.hpp)
using detail::Tile;
using detail::ceil_div;
using detail::wait;
using index_t = Array::index_t;
using u64 = std::uint64_t;

// Share of the free RAM the tiles take (the rest: word ranges, staging, the pool's stacks).
constexpr double kTileShare = 0.9;

// Panels never get smaller than this: a budget below a few panels' worth is
// exceeded rather than crawled through (each panel costs a round trip to the
// I/O thread, a parallel region and a write-back).
constexpr index_t kMinBitPanel = 128, kMinIntPanel = 32;


/// Bytes the tiles of one product may take now (the governor's share of the free RAM).
double tile_bytes() { return double(ram_for_tiles(kTileShare)); }



Array new_result(const Array& a, const Array& b, index_t n, index_t m, DType d) {
  if (a.ndim() == 1 || b.ndim() == 1) {
    const index_t len = a.ndim() == 1 ? m : n;
    return Array::empty(std::span(&len, 1), d, true);
  }
  const std::array<index_t, 2> shape{n, m};
  return Array::empty(shape, d, true);
}

// ---------------------------------------------------------------- bits

/// True when a 2-D bit array's rows are whole-word runs of one buffer.
bool word_rows(const Array& a) {
  return a.ndim() == 2 && (a.shape(1) <= 1 || a.stride(1) == 1) && a.stride(0) % 64 == 0 && a.offset() % 64 == 0 &&
         a.stride(0) >= 64 * ceil_div(a.shape(1), 64);
}

/// The words of a 2-D bit array whose rows are whole-word runs in RAM (null
/// otherwise: it is then read in tiles), with its row stride in words.
const u64* resident_words(const Array& a, index_t& stride) {
  if (a.ndim() != 2 || a.buffer()->kind() != StorageKind::ram || !word_rows(a)) return nullptr;
  stride = a.stride(0) / 64;
  return reinterpret_cast<const u64*>(a.data());
}

std::byte* bytes(u64* p) { return reinterpret_cast<std::byte*>(p); }

/// B^T (m x k) of a k x m bit matrix, out of core: B is read in strips of
/// whole words of rows (64 rows per word), each strip transposed into the
/// matching column words of B^T, an array the governor places (a spill file
/// past the budget). A transposed view of a row-major matrix is its parent.
Array transpose_out_of_core(const Array& b, Progress& progress) {
  const Array t = b.transpose();
  if (word_rows(t)) return t;
  const index_t k = b.shape(0), m = b.shape(1);
  const std::array<index_t, 2> shape{m, k};
  Array bt = Array::empty(shape, DType::bit, true);
  const Store src(b);
  auto* dst = reinterpret_cast<u64*>(bt.data());
  const index_t dstride = bt.stride(0) / 64, mwords = ceil_div(m, 64);
  // Strips of 64 * s rows, double-buffered, in a quarter of the tile RAM.
  const index_t s = std::clamp<index_t>(index_t(tile_bytes() / 4 / (2.0 * 64.0 * 8.0 * double(std::max<index_t>(mwords, 1)))),
                                        1, std::max<index_t>(ceil_div(k, 64), 1));
  const index_t strip = 64 * s, strips = ceil_div(k, strip);
  Tile<u64> buf[2] = {Tile<u64>(strip * mwords), strips > 1 ? Tile<u64>(strip * mwords) : Tile<u64>()};
  IoThread io;  // after the tiles: it must stop before they are freed
  auto read = [&](index_t i) {
    const index_t r0 = i * strip, r1 = std::min(k, r0 + strip);
    u64* d = buf[i % 2].p;
    return io.submit([&src, r0, r1, d] {
      src.read_rows(r0, r1, DType::bit, bytes(d));
      src.release_rows(r0, r1);
    });
  };
  std::future<void> f[2];
  f[0] = read(0);
  for (index_t i = 0; i < strips; ++i) {
    wait(f[i % 2]);
    if (i + 1 < strips) f[(i + 1) % 2] = read(i + 1);
    const index_t r0 = i * strip, rows = std::min(k, r0 + strip) - r0;
    const u64* strip_words = buf[i % 2].p;
    u64* out = dst + r0 / 64;  // this strip's rows are B^T's column words [r0 / 64, ...)
    parallel_for(mwords, 1, [&](index_t b0, index_t b1) {
      bit_transpose_block(strip_words, rows, m, mwords, b0, b1, out, dstride);
    });
    progress.advance(double(rows) * double(mwords));
  }
  return bt;
}

/// First and one-past-last non-zero word of each of `rows` rows (in parallel).
void ranges(const u64* p, index_t rows, index_t words, index_t stride, std::int64_t* lo, std::int64_t* hi) {
  parallel_for(rows, 1024, [&](index_t b, index_t e) { bit_word_ranges(p + b * stride, e - b, words, stride, lo + b, hi + b); });
}

/// The words [lo, hi) that may be non-zero in some of `rows` rows.
std::pair<std::int64_t, std::int64_t> span_of(const std::int64_t* lo, const std::int64_t* hi, index_t rows) {
  std::int64_t l = std::numeric_limits<std::int64_t>::max(), h = 0;
  for (index_t r = 0; r < rows; ++r)
    if (hi[r] > lo[r]) l = std::min(l, lo[r]), h = std::max(h, hi[r]);
  return {l, h};
}

template <class Count> Array bit_product(const Array& a, const Array& b, DType result) {
  const bool av = a.ndim() == 1, bv = b.ndim() == 1;
  const index_t n = av ? 1 : a.shape(0), k = av ? a.shape(0) : a.shape(1), m = bv ? 1 : b.shape(1);
  const index_t words = ceil_div(k, 64);
  if (n == 0 || m == 0 || k == 0) return new_result(a, b, n, m, result);
  // Work: the transpose of B (words of B) and the counting (pairs of rows times words).
  Progress progress("matmul", double(k) * double(ceil_div(m, 64)) + double(n) * double(m) * double(words));
  // B^T: a vector b is its own one-row B^T; a vector a is one row of A.
  const Array bt_array = bv ? b : transpose_out_of_core(b, progress);
  const Store A(a), BT(bt_array);
  // Structure marks of the operands (core/structure.hpp), when both are matrices.
  const Structure sa = av || bv ? Structure::dense : a.structure();
  const Structure sb = av || bv ? Structure::dense : b.structure();
  const bool upper = is_upper(sa) && is_upper(sb), lower = is_lower(sa) && is_lower(sb);
  const index_t shift = index_t(is_strict(sa)) + index_t(is_strict(sb));
  Array c = new_result(a, b, n, m, result);
  const Store C(c, /*vector_as_column=*/!av);
  constexpr bool out64 = std::is_same_v<Count, std::int64_t>;
  constexpr double cs = sizeof(Count);

  // Tile sizes. B^T stays where it is when the governor put it in RAM, or is
  // read whole once when it fits in half the free RAM; else it comes in
  // panels of tb rows (double-buffered, a third of the free RAM). A comes in
  // panels of ta rows (double-buffered) and each (A panel, B^T panel) pair
  // gives a ta x tb tile of counts, double-buffered so that one is written
  // while the next is counted.
  const double avail = tile_bytes(), row_bytes = 8.0 * double(words);
  index_t bt_ram_stride = words;
  const u64* bt_ram = resident_words(bt_array, bt_ram_stride);
  bool bt_whole = bt_ram || double(m) * row_bytes <= avail / 2;
  index_t tb = m;
  if (!bt_whole) {
    tb = std::clamp<index_t>(index_t(avail / 6 / row_bytes), std::min(m, kMinBitPanel), m);
    bt_whole = tb == m;
  }
  const double left = avail - (bt_ram ? 0.0 : bt_whole ? double(m) * row_bytes : 2.0 * double(tb) * row_bytes);
  const index_t ta = std::clamp<index_t>(index_t(left / (2.0 * (row_bytes + double(tb) * cs))), std::min(n, kMinBitPanel), n);
  const index_t apanels = ceil_div(n, ta), bpanels = ceil_div(m, tb), steps = apanels * bpanels;

  Tile<u64> abuf[2] = {Tile<u64>(ta * words), apanels > 1 ? Tile<u64>(ta * words) : Tile<u64>()};
  Tile<u64> bbuf[2] = {Tile<u64>(bt_ram ? 0 : tb * words), !bt_whole && steps > 1 ? Tile<u64>(tb * words) : Tile<u64>()};
  Tile<Count> cbuf[2] = {Tile<Count>(ta * tb), steps > 1 ? Tile<Count>(ta * tb) : Tile<Count>()};
  std::vector<std::int64_t> alo[2], ahi[2], blo[2], bhi[2];
  for (int s = 0; s < 2; ++s) alo[s].resize(std::size_t(ta)), ahi[s].resize(std::size_t(ta));
  for (int s = 0; s < (bt_whole ? 1 : 2); ++s) blo[s].resize(std::size_t(tb)), bhi[s].resize(std::size_t(tb));
  IoThread io;  // after the tiles: it must stop before they are freed

  // Step t counts A panel t / bpanels against B^T panel t % bpanels; a panel
  // is read when its step comes first, into slot (panel index) % 2.
  auto read_a = [&](index_t i) {
    const index_t r0 = i * ta, r1 = std::min(n, r0 + ta);
    u64* d = abuf[i % 2].p;
    return io.submit([&A, r0, r1, d] {
      A.read_rows(r0, r1, DType::bit, bytes(d));
      A.release_rows(r0, r1);
    });
  };
  auto read_b = [&](index_t j, int slot, bool last_use) {
    const index_t r0 = j * tb, r1 = std::min(m, r0 + tb);
    u64* d = bbuf[slot].p;
    return io.submit([&BT, r0, r1, d, last_use] {
      BT.read_rows(r0, r1, DType::bit, bytes(d));
      if (last_use) BT.release_rows(r0, r1);
    });
  };
  std::future<void> fa[2], fb[2], fw[2];
  const u64* bt_words = bt_ram;
  index_t bt_stride = bt_ram ? bt_ram_stride : words;
  if (!bt_ram && bt_whole) {
    fb[0] = read_b(0, 0, true);
    bt_words = bbuf[0].p;
  } else if (!bt_ram) {
    fb[0] = read_b(0, 0, apanels == 1);
  }
  fa[0] = read_a(0);
  if (bt_whole) {  // B^T's word ranges once
    wait(fb[0]);
    ranges(bt_words, m, words, bt_stride, blo[0].data(), bhi[0].data());
  }

  for (index_t t = 0; t < steps; ++t) {
    const index_t i = t / bpanels, j = t % bpanels;
    const index_t r0 = i * ta, rows = std::min(n, r0 + ta) - r0, c0 = j * tb, cols = std::min(m, c0 + tb) - c0;
    const int as = int(i % 2), bs = bt_whole ? 0 : int(t % 2), cslot = int(t % 2);
    if (j == 0) {
      wait(fa[as]);
      ranges(abuf[as].p, rows, words, words, alo[as].data(), ahi[as].data());
      if (i + 1 < apanels) fa[1 - as] = read_a(i + 1);
    }
    const u64* bw = bt_whole ? bt_words + c0 * bt_stride : bbuf[bs].p;
    const index_t bstride = bt_whole ? bt_stride : words;
    const std::int64_t* bl = bt_whole ? blo[0].data() + c0 : blo[bs].data();
    const std::int64_t* bh = bt_whole ? bhi[0].data() + c0 : bhi[bs].data();
    if (!bt_whole) {
      wait(fb[bs]);
      ranges(bw, cols, words, words, blo[bs].data(), bhi[bs].data());
      if (t + 1 < steps) {
        const index_t jn = (t + 1) % bpanels;
        fb[1 - bs] = read_b(jn, 1 - bs, (t + 1) / bpanels + 1 == apanels);
      }
    }
    // Only the columns [cf, cl) of the tile whose B^T rows share a word range
    // with some row of the A panel can have non-zero counts (for strictly
    // upper-triangular operands, none left of the diagonal block): the rest is
    // neither counted nor written, the result having been created zeroed.
    const auto [al, ah] = span_of(alo[as].data(), ahi[as].data(), rows);
    index_t cf = cols, cl = 0;
    // Known structure bounds the columns first: upper @ upper is zero left of
    // the diagonal (and of the next ones when strict), lower @ lower right of it.
    const index_t s_begin = upper ? std::clamp<index_t>(r0 + shift - c0, 0, cols) : 0;
    const index_t s_end = lower ? std::clamp<index_t>(r0 + rows - shift - c0, 0, cols) : cols;
    for (index_t s = s_begin; s < s_end; ++s)
      if (bh[s] > bl[s] && std::max(al, bl[s]) < std::min(ah, bh[s])) cf = std::min(cf, s), cl = s + 1;
    if (cf < cl) {
      wait(fw[cslot]);  // the tile written two steps ago is out
      Count* ct = cbuf[cslot].p;
      const index_t w = cl - cf;
      detail::bit_counts(BitRows{abuf[as].p, rows, words, alo[as].data(), ahi[as].data()},
                         BitRows{bw + cf * bstride, w, bstride, bl + cf, bh + cf}, words, ct, w, out64, false, [] {});
      fw[cslot] = io.submit([&C, r0, rows, c0, cf, cl, ct, w] {
        C.write_block(r0, r0 + rows, c0 + cf, c0 + cl, reinterpret_cast<const std::byte*>(ct), w);
      });
    }
    if (j + 1 == bpanels) io.submit([&C, r0, rows] { C.finish_rows(r0, r0 + rows); });
    progress.advance(double(rows) * double(cols) * double(words));
  }
  for (auto& f : fw) wait(f);
  io.submit([] {}).get();  // the last write-back too
  progress.finish();
  return c;
}

// ---------------------------------------------------------------- integers

/// The largest |value| of a (converted to W), read in row chunks.
template <class W> std::uint64_t streamed_max(const Store& s, DType wide) {
  const index_t cols = std::max<index_t>(s.cols(), 1);
  const index_t step = std::clamp<index_t>(index_t(tile_bytes() / 4 / (8.0 * double(cols))), 1, std::max<index_t>(s.rows(), 1));
  Tile<W> buf(step * cols);
  std::uint64_t m = 0;
  for (index_t r = 0; r < s.rows(); r += step) {
    const index_t r1 = std::min(s.rows(), r + step);
    s.read_rows(r, r1, wide, reinterpret_cast<std::byte*>(buf.p));
    m = std::max(m, detail::max_magnitude(buf.p, (r1 - r) * s.cols()));
  }
  return m;
}

template <class W> Array int_product(const Array& a, const Array& b, DType result) {
  constexpr DType wide = std::is_signed_v<W> ? DType::int64 : DType::uint64;
  const Store A(a), B(b, /*vector_as_column=*/true);
  const index_t n = A.rows(), k = A.cols(), m = B.cols();
  if (n == 0 || m == 0 || k == 0) return new_result(a, b, n, m, result);
  detail::i128 lo, hi;
  detail::int_range(result, lo, hi);
  const bool fast = detail::bound_fits(streamed_max<W>(A, wide), streamed_max<W>(B, wide), k,
                                       std::uint64_t(std::numeric_limits<W>::max()));
  Array c = new_result(a, b, n, m, result);
  const Store C(c, /*vector_as_column=*/a.ndim() == 2);

  // C in row panels of tc rows, each the sum over k-blocks of A[i, kb] B[kb, :]
  // (A in tc x tk blocks, B in tk-row blocks, or whole when it fits in half the
  // free RAM). The panel accumulates in W (fast path) or in 128-bit sums with
  // wrap counts (exact path), is checked and converted into a staging tile of
  // the result dtype, and written while the next panel is computed.
  const double avail = tile_bytes(), nn = double(m), item = double(dtype_info(result).itemsize());
  const double acc_bytes = fast ? 8.0 : 24.0;
  const bool resident = 8.0 * double(k) * nn <= avail / 2;
  index_t tk, tc;
  if (resident) {
    tk = std::min<index_t>(k, 1024);
    tc = index_t((avail - 8.0 * double(k) * nn) / (16.0 * double(tk) + nn * (acc_bytes + item)));
  } else {
    tk = index_t(avail / 4 / (16.0 * nn));
    tk = std::clamp<index_t>(tk, std::min(k, kMinIntPanel), k);
    if (tk > 128) tk = tk / 128 * 128;  // whole depth blocks of the tile kernel: one pass over C per 128
    tc = index_t((avail - 16.0 * double(tk) * nn) / (16.0 * double(tk) + nn * (acc_bytes + item)));
  }
  tc = std::clamp<index_t>(tc, std::min(n, kMinIntPanel), n);
  const index_t panels = ceil_div(n, tc), blocks = ceil_div(k, tk), steps = panels * blocks;
  Tile<u64> abuf[2] = {Tile<u64>(tc * tk), steps > 1 ? Tile<u64>(tc * tk) : Tile<u64>()};
  Tile<u64> bbuf[2] = {Tile<u64>(resident ? k * m : tk * m), resident || steps == 1 ? Tile<u64>() : Tile<u64>(tk * m)};
  Tile<u64> cw(fast ? tc * m : 0);
  Tile<detail::u128> acc(fast ? 0 : tc * m);
  Tile<std::int64_t> wraps(fast ? 0 : tc * m);
  Tile<std::byte> staging(tc * m * index_t(item));
  IoThread io;  // after the tiles: it must stop before they are freed

  auto read_step = [&](index_t t) {
    const int slot = int(t % 2);
    const index_t i = t / blocks, blk = t % blocks;
    const index_t r0 = i * tc, r1 = std::min(n, r0 + tc), k0 = blk * tk, k1 = std::min(k, k0 + tk);
    u64* adst = abuf[slot].p;
    u64* bdst = resident ? nullptr : bbuf[slot].p;
    const bool last_a = blk + 1 == blocks, last_b = i + 1 == panels;
    return io.submit([&A, &B, r0, r1, k0, k1, adst, bdst, last_a, last_b] {
      A.read_block(r0, r1, k0, k1, wide, reinterpret_cast<std::byte*>(adst));
      if (last_a) A.release_rows(r0, r1);
      if (bdst) {
        B.read_rows(k0, k1, wide, reinterpret_cast<std::byte*>(bdst));
        if (last_b) B.release_rows(k0, k1);
      }
    });
  };
  std::future<void> fs[2], fb, fw;
  if (resident)
    fb = io.submit([&B, k, p = bbuf[0].p] {
      B.read_rows(0, k, wide, reinterpret_cast<std::byte*>(p));
      B.release_rows(0, k);
    });
  fs[0] = read_step(0);
  Progress progress("matmul", 2.0 * double(n) * nn * double(k));
  for (index_t t = 0; t < steps; ++t) {
    const int slot = int(t % 2);
    const index_t i = t / blocks, blk = t % blocks;
    const index_t r0 = i * tc, rows = std::min(n, r0 + tc) - r0, k0 = blk * tk, kk = std::min(k, k0 + tk) - k0;
    wait(fb);
    wait(fs[slot]);
    if (t + 1 < steps) fs[1 - slot] = read_step(t + 1);
    const u64* ak = abuf[slot].p;
    const u64* bk = resident ? bbuf[0].p + k0 * m : bbuf[slot].p;
    if (fast) {
      if (blk == 0) std::fill(cw.p, cw.p + rows * m, u64(0));
      // Tiles of 64 rows handed out one at a time, as in RAM: a thread that
      // loses its core to the I/O thread delays one tile, not half the step.
      constexpr index_t kRows = 64;
      parallel_for_dynamic(ceil_div(rows, kRows), 1, [&](index_t qb, index_t qe) {
        for (index_t q = qb; q < qe; ++q) {
          const index_t rb = q * kRows, re = std::min(rows, rb + kRows);
          int_gemm_tile(ak + rb * kk, kk, bk, m, cw.p + rb * m, m, re - rb, kk, m);
        }
      });
    } else {
      if (blk == 0) {
        std::fill(acc.p, acc.p + rows * m, detail::u128(0));
        std::fill(wraps.p, wraps.p + rows * m, std::int64_t(0));
      }
      constexpr index_t kRows = 4, kCols = 256;
      const index_t col_tiles = ceil_div(m, kCols);
      parallel_for_dynamic(ceil_div(rows, kRows) * col_tiles, 1, [&](index_t qb, index_t qe) {
        for (index_t q = qb; q < qe; ++q) {
          const index_t i0 = (q / col_tiles) * kRows, j0 = (q % col_tiles) * kCols;
          const index_t nr = std::min(rows, i0 + kRows) - i0, nc = std::min(m, j0 + kCols) - j0;
          int_gemm_exact_tile(std::is_signed_v<W>, ak + i0 * kk, kk, bk + j0, m, acc.p + i0 * m + j0,
                              wraps.p + i0 * m + j0, m, nr, kk, nc);
        }
      });
    }
    progress.advance(2.0 * double(rows) * nn * double(kk));
    if (blk + 1 == blocks) {  // the panel is complete: check, convert, write
      wait(fw);               // the staging tile's last panel is out
      if (fast) {
        detail::check_range(reinterpret_cast<const W*>(cw.p), rows * m, lo, hi, result);
        StridedRef src{reinterpret_cast<std::byte*>(cw.p), wide, rows, m, 8 * m, 8, 0};
        StridedRef dst{staging.p, result, rows, m, std::int64_t(item) * m, std::int64_t(item), 0};
        convert(src, dst);
      } else {
        visit_dtype(result, [&]<class T>(std::type_identity<T>) {
          if constexpr (std::is_integral_v<T>) {
            T* out = reinterpret_cast<T*>(staging.p);
            for (index_t e = 0; e < rows * m; ++e)
              out[e] = T(detail::exact_value<W>(acc.p[e], wraps.p[e], lo, hi, result));
          }
        });
      }
      fw = io.submit([&C, r0, rows, p = staging.p] {
        C.write_rows(r0, r0 + rows, p);
        C.finish_rows(r0, r0 + rows);
      });
    }
  }
  wait(fw);
  io.submit([] {}).get();
  progress.finish();
  return c;
}

bool is_int(DType d) {
  switch (d) {
    case DType::int8: case DType::int16: case DType::int32: case DType::int64:
    case DType::uint8: case DType::uint16: case DType::uint32: case DType::uint64: return true;
    default: return false;
  }
}
bool is_signed_int(DType d) { return d == DType::int8 || d == DType::int16 || d == DType::int32 || d == DType::int64; }

/// RAM the in-RAM product would take beyond what is in RAM already.
double in_ram_need(const Array& a, const Array& b, DType result) {
  const double outside = double(bytes_outside_ram(a)) + double(bytes_outside_ram(b));
  const double n = a.ndim() == 2 ? double(a.shape(0)) : 1.0, m = b.ndim() == 2 ? double(b.shape(1)) : 1.0;
  const double out = n * m * double(dtype_info(result).itemsize());
  if (a.dtype() == DType::bit && b.dtype() == DType::bit) return outside + double(b.nbytes()) + out;  // + B^T
  if (is_int(result)) return outside + 8.0 * (double(a.size()) + double(b.size()) + n * m) + out;  // 64-bit copies
  if (result == DType::float16) return outside + 4.0 * (double(a.size()) + double(b.size()) + n * m) + out;
  return outside + out;
}

}  // namespace

bool product_needs_tiles(const Array& a, const Array& b, DType result) {
  if (a.ndim() == 1 && b.ndim() == 1) return false;
  const bool bits = a.dtype() == DType::bit && b.dtype() == DType::bit;
  const bool any_bit = a.dtype() == DType::bit || b.dtype() == DType::bit;
  const bool handled = bits || (!any_bit && (is_int(result) || result == DType::float16 || is_lapack_dtype(result)));
  if (!handled) return false;
  const double need = in_ram_need(a, b, result);
  return need >= double(std::numeric_limits<std::size_t>::max()) || !fits_in_budget(std::size_t(need));
}

Array product(const Array& a, const Array& b, DType result) {
  if (a.dtype() == DType::bit && b.dtype() == DType::bit) {
    if (result == DType::int64) return bit_product<std::int64_t>(a, b, result);
    return bit_product<std::int32_t>(a, b, result);
  }
  if (is_int(result)) {
    if (is_signed_int(result)) return int_product<std::int64_t>(a, b, result);
    return int_product<std::uint64_t>(a, b, result);
  }
  if (result == DType::float16) return matmul(a, b, DType::float32).astype(DType::float16);
  return matmul(a, b, result);
}

}  // namespace pycauset::linalg::ooc
