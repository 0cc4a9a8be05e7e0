#include "pycauset/causet/causal.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <mutex>
#include <string>


#include "pycauset/array/blocks.hpp"
#include "pycauset/core/error.hpp"
#include "pycauset/core/progress.hpp"
#include "pycauset/core/threads.hpp"
#include "pycauset/kernels/intervals.hpp"
#include "pycauset/kernels/lightcone.hpp"
#include "pycauset/linalg/matmul.hpp"
#include "pycauset/storage/governor.hpp"

namespace pycauset::causet {
namespace {

using index_t = Array::index_t;
constexpr index_t kWord = 64;

index_t words_of(index_t n) { return (n + kWord - 1) / kWord; }

// A zero n x n bit matrix of which only the upper triangle's words (from word
// r / 64 on in row r) will be written: a spill file gets disk blocks for those
// alone, in RAM the pages left of the diagonal are never touched.
Array upper_bits(index_t n) {
  if (n == 0) {
    std::array<index_t, 2> shape{0, 0};
    return Array::empty(shape, DType::bit, true);
  }
  const index_t words = words_of(n);
  const Staircase upper{0, std::uint64_t(n), std::uint64_t(words) * 8, 64, 8};
  return Array::over_buffer(allocate_buffer(std::size_t(n) * std::size_t(words) * 8, upper), DType::bit, 2, n, n,
                            words * kWord);
}

}  // namespace

PointSet::PointSet(const Array& coords, std::span<const double> periods) {
  if (coords.ndim() != 2) throw ValueError("coordinates must be an n x d matrix (one row per point)");
  n_ = coords.shape(0);
  const index_t d = coords.shape(1);
  if (d < 2) throw ValueError("coordinates need a time and at least one space column (d >= 2), got d = " + std::to_string(d));
  if (d > 16) throw ValueError("coordinates of at most 16 dimensions are supported, got d = " + std::to_string(d));
  if (dtype_info(coords.dtype()).kind == DTypeKind::complex || coords.dtype() == DType::bit)
    throw TypeError("coordinates must be real numbers");
  d_ = int(d);
  if (!periods.empty() && index_t(periods.size()) != d - 1)
    throw ValueError("periods must give one value per spatial axis (" + std::to_string(d - 1) + "), got " +
                     std::to_string(periods.size()));
  periods_.assign(std::size_t(d - 1), 0.0);
  for (std::size_t k = 0; k < periods.size(); ++k) {
    if (!(periods[k] >= 0) || !std::isfinite(periods[k]))
      throw ValueError("a period must be a finite number >= 0 (0: not periodic)");
    periods_[k] = periods[k];
    periodic_ = periodic_ || periods[k] > 0;
  }
  // One column per axis, padded to whole words so the kernel reads 64 at a time.
  const index_t padded = words_of(n_) * kWord;
  axes_.assign(std::size_t(d * padded), 0.0);
  Array c = coords.dtype() == DType::float64 ? coords : coords.astype(DType::float64);
  for (index_t k = 0; k < d; ++k) {
    StridedRef src = c.select(1, k).ref();
    StridedRef dst{reinterpret_cast<std::byte*>(axes_.data() + k * padded), DType::float64, 1, n_, 0, 8};
    convert(src, dst);
  }
  for (index_t k = 0; k < d; ++k) {
    const double* a = axes_.data() + k * padded;
    for (index_t i = 0; i < n_; ++i) {
      if (!std::isfinite(a[i])) throw ValueError("coordinate (" + std::to_string(i) + ", " + std::to_string(k) + ") is not finite");
      if (k > 0 && periods_[std::size_t(k - 1)] > 0 && !(a[i] >= 0 && a[i] < periods_[std::size_t(k - 1)]))
        throw ValueError("coordinate (" + std::to_string(i) + ", " + std::to_string(k) +
                         ") lies outside [0, period) on a periodic axis");
    }
  }
  for (index_t i = 1; i < n_; ++i)
    if (axes_[std::size_t(i)] < axes_[std::size_t(i - 1)])
      throw ValueError("points must be sorted by time (row " + std::to_string(i) + " is earlier than row " +
                       std::to_string(i - 1) + "); sort them first, e.g. coords[np.argsort(coords[:, 0], kind='stable')]");
}

void PointSet::check_block(index_t r0, index_t r1, index_t w0, index_t w1) const {
  const index_t words = words_of(n_);
  if (r0 < 0 || r0 > r1 || r1 > n_ || w0 < 0 || w0 > w1 || w1 > words)
    throw IndexError("rows [" + std::to_string(r0) + ", " + std::to_string(r1) + ") or words [" + std::to_string(w0) +
                     ", " + std::to_string(w1) + ") outside a causal matrix of " + std::to_string(n_) + " rows and " +
                     std::to_string(words) + " words per row");
}

void PointSet::relation_words(index_t r0, index_t r1, index_t w0, index_t w1, std::uint64_t* dst, index_t ld) const {
  check_block(r0, r1, w0, w1);
  if (ld < w1 - w0) throw ValueError("the output needs at least w1 - w0 words per row");
  const LightConePoints pts{axes_.data(), words_of(n_) * kWord, d_, periods_.data(), periodic_};
  for (index_t i = r0; i < r1; ++i) {
    std::uint64_t* row = dst + (i - r0) * ld;
    const index_t first = std::min(w1, std::max(w0, (i + 1) / kWord));  // words before it are on/below the diagonal
    for (index_t w = w0; w < first; ++w) row[w - w0] = 0;
    if (first >= w1) continue;
    light_cone_words(pts, i, first, w1, row + (first - w0));
    const index_t jd = first * kWord;
    if (jd <= i) row[first - w0] &= ~std::uint64_t(0) << (i - jd + 1);  // columns <= i
    const index_t last = w1 - 1;
    if ((last + 1) * kWord > n_ && last * kWord < n_)
      row[last - w0] &= (std::uint64_t(1) << (n_ - last * kWord)) - 1;  // padding past column n - 1
  }
}

Array causal_matrix(const PointSet& points) {
  const index_t n = points.size(), words = words_of(n);
  Array out = upper_bits(n);  // only the upper triangle gets storage
  if (n == 0) return out;
  BlockStore store(out);
  const bool direct = !store.in_file() && out.is_contiguous();
  const index_t ld_out = out.stride(0) / kWord;
  // Row blocks of 64 rows (one word of the diagonal): rows [64b, 64b + 64)
  // have data only in words b.. of each row.
  const index_t blocks = words;
  // Work of block b ~ (words - b) words per row; cumulated for progress.
  const double total = double(words) * double(words + 1) / 2;
  Progress progress("causal matrix", total);
  // Rounds of blocks run in parallel between progress reports (the report,
  // which may throw on Ctrl-C, runs on this thread).
  const index_t per_round = std::max<index_t>(1, std::min<index_t>(blocks, 4 * num_threads()));
  for (index_t b0 = 0; b0 < blocks; b0 += per_round) {
    const index_t b1 = std::min(blocks, b0 + per_round);
    parallel_for_dynamic(b1 - b0, 1, [&](index_t q0, index_t q1) {
      std::vector<std::uint64_t> tile;
      for (index_t b = b0 + q0; b < b0 + q1; ++b) {
        const index_t r0 = b * kWord, r1 = std::min(n, r0 + kWord), w0 = b;
        if (direct) {
          auto* base = reinterpret_cast<std::uint64_t*>(out.data()) + r0 * ld_out + w0;
          points.relation_words(r0, r1, w0, words, base, ld_out);
        } else {
          const index_t width = words - w0;
          tile.resize(std::size_t((r1 - r0) * width));
          points.relation_words(r0, r1, w0, words, tile.data(), width);
          store.write_block(r0, r1, w0 * kWord, n, reinterpret_cast<const std::byte*>(tile.data()), width * kWord);
          store.finish_rows(r0, r1);
        }
      }
    });
    double done = 0;
    for (index_t b = b0; b < b1; ++b) done += double(words - b);
    progress.advance(done);
  }
  progress.finish();
  out.assume_structure(Structure::strictly_upper_triangular);  // bits only for j > i, by construction
  return out;
}

}  // namespace pycauset::causet

namespace pycauset::causet {
namespace {

// Row r of a contiguous bit matrix as words.
inline const std::uint64_t* row_of(const Array& a, Array::index_t r) {
  return reinterpret_cast<const std::uint64_t*>(a.data()) + r * (a.stride(0) / 64);
}

// One past the last non-zero word of a row in [from, words) (from if none).
inline index_t row_end(const std::uint64_t* row, index_t from, index_t words) {
  index_t hi = words;
  while (hi > from && row[hi - 1] == 0) --hi;
  return hi;
}

Array contiguous_bits(const Array& c, const char* what) {
  if (c.ndim() != 2 || c.shape(0) != c.shape(1))
    throw ValueError(std::string(what) + " must be a square matrix");
  if (c.dtype() != DType::bit) throw TypeError(std::string(what) + " must be a bit matrix");
  return c.is_contiguous() ? c : c.copy();
}

// Links of every row, and if asked the transitivity check. Rows read only C,
// so they are independent and run in parallel (dynamic chunks: early rows
// cost more). Reports progress between rounds of rows on this thread.
Array links_impl(const Array& c_in, bool check) {
  const Array c = contiguous_bits(c_in, "the causal matrix");
  const index_t n = c.shape(0), words = words_of(n);
  Array out = upper_bits(n);
  auto* lbase = reinterpret_cast<std::uint64_t*>(out.data());
  const index_t lstride = out.stride(0) / 64;
  Progress progress(check ? "links and transitivity" : "links", double(n));
  std::mutex m;
  index_t bad_i = -1, bad_k = -1;
  const index_t round = std::max<index_t>(256, n / 64);
  for (index_t r0 = 0; r0 < n; r0 += round) {
    const index_t r1 = std::min(n, r0 + round);
    parallel_for_dynamic(r1 - r0, 16, [&](index_t q0, index_t q1) {
      std::vector<std::uint64_t> acc(static_cast<std::size_t>(words));
      for (index_t i = r0 + q0; i < r0 + q1; ++i) {
        const std::uint64_t* ci = row_of(c, i);
        std::uint64_t* li = lbase + i * lstride;
        const index_t w_first = (i + 1) / 64;
        // Past the last word of C[i] nothing is a link; with the check, the
        // futures are kept to the end to compare them with C[i].
        const index_t hi = check ? words : row_end(ci, w_first, words);
        std::fill(acc.begin() + w_first, acc.begin() + hi, 0);
        for (index_t w = w_first; w < hi; ++w) {
          // Elements of C[i] in this word not yet in a link's future are links.
          std::uint64_t cand = ci[w] & ~acc[std::size_t(w)];
          while (cand) {
            const int b = __builtin_ctzll(cand);
            li[w] |= std::uint64_t(1) << b;
            thermometer_add(acc.data(), words, 1, row_of(c, w * 64 + b), w, hi);  // acc |= C[j]
            cand &= ~acc[std::size_t(w)] & ~(std::uint64_t(1) << b);
          }
        }
        if (!check) continue;
        // Transitive later rows make C[i] contain its links' futures (and
        // every non-link is in such a future): a miss is a violation.
        for (index_t w = w_first; w < words; ++w) {
          const std::uint64_t miss = acc[std::size_t(w)] & ~ci[w];
          if (miss) {
            std::lock_guard lock(m);
            if (bad_i < 0 || i < bad_i) bad_i = i, bad_k = w * 64 + __builtin_ctzll(miss);
            break;
          }
        }
      }
    });
    if (bad_i >= 0)
      throw ValueError("the relation is not transitive: element " + std::to_string(bad_i) +
                       " precedes an element that precedes " + std::to_string(bad_k) + ", but not " +
                       std::to_string(bad_k) + " itself; close it transitively first or pass check=False");
    progress.advance(double(r1 - r0));
  }
  progress.finish();
  out.assume_structure(Structure::strictly_upper_triangular);  // links are relations
  return out;
}

}  // namespace

Array link_matrix(const Array& c, bool check_transitive) { return links_impl(c, check_transitive); }

void check_causal_matrix(Array& c_in, bool transitive) {
  const Array c = contiguous_bits(c_in, "the relation");
  const index_t n = c.shape(0);
  for (index_t i = 0; i < n; ++i) {
    const std::uint64_t* ci = row_of(c, i);
    for (index_t w = 0; w <= i / 64; ++w) {
      std::uint64_t low = ci[w];
      if (w == i / 64) low &= (i % 64 == 63) ? ~std::uint64_t(0) : ((std::uint64_t(1) << (i % 64 + 1)) - 1);
      if (low) {
        const index_t j = w * 64 + __builtin_ctzll(low);
        throw ValueError("the relation is not strictly upper-triangular: entry (" + std::to_string(i) + ", " +
                         std::to_string(j) + ") is set; label the elements in an order compatible with the "
                         "relation (a topological order) first");
      }
    }
  }
  if (transitive) (void)links_impl(c, true);
  c_in.assume_structure(Structure::strictly_upper_triangular);  // just checked
}

}  // namespace pycauset::causet

namespace pycauset::causet {

namespace {

// Largest kmax counted by thermometer planes (push); larger ones pull.
constexpr std::int64_t kMaxPushLevels = 16;

// Push: for row i, walk its future j = i+1.. in order keeping, for every
// later element, how many of the elements S already met precede it
// (thermometer planes saturating at kmax + 1), where S holds the j whose
// interval with i has at most kmax elements. The interval I(i, j) is counted
// exactly whenever |I(i, j)| <= kmax: its elements k all have |I(i, k)| <
// |I(i, j)| <= kmax, so they are in S. When |I(i, j)| > kmax, its first kmax + 1
// elements in time order k_1.. each have |I(i, k_m)| <= m - 1 <= kmax, so they
// are in S and the count saturates. Cost: |S| rows of C per row i.
void push_rows(const Array& c, std::int64_t kmax, index_t r0, index_t r1, std::vector<std::uint64_t>& planes,
               std::vector<std::int64_t>& local) {
  const index_t n = c.shape(0), words = words_of(n);
  const int levels = int(kmax) + 1;
  planes.resize(std::size_t(levels) * std::size_t(words));
  std::uint64_t* top = planes.data() + std::size_t(levels - 1) * std::size_t(words);  // counter > kmax
  for (index_t i = r0; i < r1; ++i) {
    const std::uint64_t* ci = row_of(c, i);
    const index_t w_first = (i + 1) / 64, hi = row_end(ci, w_first, words);
    if (hi <= w_first) continue;
    for (int m = 0; m < levels; ++m)
      std::fill(planes.begin() + std::ptrdiff_t(std::size_t(m) * std::size_t(words) + std::size_t(w_first)),
                planes.begin() + std::ptrdiff_t(std::size_t(m) * std::size_t(words) + std::size_t(hi)), 0);
    index_t live = hi;  // words past `live` hold no element of C[i] whose counter is below the top
    for (index_t w = w_first; w < live; ++w) {
      std::uint64_t cand = ci[w] & ~top[w];
      while (cand) {
        const int b = __builtin_ctzll(cand);
        int count = 0;  // <= kmax: the top plane is clear here
        for (int m = 0; m + 1 < levels; ++m) count += int((planes[std::size_t(m) * std::size_t(words) + std::size_t(w)] >> b) & 1);
        ++local[std::size_t(count)];
        thermometer_add(planes.data(), words, levels, row_of(c, w * 64 + b), w, live);
        // Counters that reached the top are never read again: stop adding past the last live word.
        while (live > w + 1 && (ci[live - 1] & ~top[live - 1]) == 0) --live;
        const std::uint64_t above = b == 63 ? 0 : ~std::uint64_t(0) << (b + 1);
        cand = ci[w] & ~top[w] & above;
      }
    }
  }
}

// Pull: each related pair's interval size by AND + popcount of C[i] and the
// past of j (a row of C^T), stopping once past kmax.
void pull_rows(const Array& c, const Array& ct, std::int64_t kmax, index_t r0, index_t r1,
               std::vector<std::int64_t>& local) {
  const index_t n = c.shape(0), words = words_of(n);
  for (index_t i = r0; i < r1; ++i) {
    const std::uint64_t* ci = row_of(c, i);
    for (index_t w = (i + 1) / 64; w < words; ++w) {
      std::uint64_t js = ci[w];
      while (js) {
        const int b = __builtin_ctzll(js);
        js &= js - 1;
        const index_t j = w * 64 + b;
        // Elements between i and j: future of i and past of j (columns i < m < j only,
        // which the strictly triangular rows guarantee).
        const std::uint64_t* pj = row_of(ct, j);
        std::int64_t count = 0;
        for (index_t v = (i + 1) / 64; v <= j / 64 && count <= kmax; ++v)
          count += __builtin_popcountll(ci[v] & pj[v]);
        if (count <= kmax) ++local[std::size_t(count)];
      }
    }
  }
}

}  // namespace

std::vector<std::int64_t> interval_abundances(const Array& c_in, std::int64_t kmax) {
  if (kmax < 0) throw ValueError("kmax must be >= 0, got " + std::to_string(kmax));
  const Array c = contiguous_bits(c_in, "the causal matrix");
  const index_t n = c.shape(0);
  const bool push = kmax < kMaxPushLevels;
  const Array ct = push ? c : transpose_bits(c);  // pull: row j of ct = the past of j
  const std::size_t bins = std::size_t(kmax) + 1;
  std::vector<std::int64_t> total(bins, 0);
  std::mutex m;
  Progress progress("interval abundances", double(n));
  const index_t round = std::max<index_t>(256, n / 64);
  for (index_t r0 = 0; r0 < n; r0 += round) {
    const index_t r1 = std::min(n, r0 + round);
    parallel_for_dynamic(r1 - r0, 8, [&](index_t q0, index_t q1) {
      std::vector<std::int64_t> local(bins, 0);
      std::vector<std::uint64_t> planes;
      if (push) push_rows(c, kmax, r0 + q0, r0 + q1, planes, local);
      else pull_rows(c, ct, kmax, r0 + q0, r0 + q1, local);
      std::lock_guard lock(m);
      for (std::size_t k = 0; k < bins; ++k) total[k] += local[k];
    });
    progress.advance(double(r1 - r0));
  }
  progress.finish();
  return total;
}

std::int64_t longest_chain(const Array& l_in) {
  const Array l = contiguous_bits(l_in, "the link matrix");
  const index_t n = l.shape(0), words = words_of(n);
  if (n == 0) return 0;
  std::vector<std::int64_t> height(std::size_t(n), 1);
  std::int64_t best = 1;
  for (index_t i = n - 1; i >= 0; --i) {
    if ((i & 4095) == 0) check_interrupt();
    const std::uint64_t* li = row_of(l, i);
    std::int64_t h = 1;
    for (index_t w = (i + 1) / 64; w < words; ++w)
      for (std::uint64_t js = li[w]; js; js &= js - 1)
        h = std::max(h, 1 + height[std::size_t(w * 64 + __builtin_ctzll(js))]);
    height[std::size_t(i)] = h;
    best = std::max(best, h);
  }
  return best;
}

}  // namespace pycauset::causet
