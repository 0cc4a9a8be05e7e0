#include "pycauset/linalg/out_of_core.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <numeric>
#include <thread>
#include <type_traits>
#include <vector>

#include "lapack_api.hpp"
#include "lapack_checks.hpp"
#include "triangular.hpp"
#include "pycauset/array/blocks.hpp"
#include "pycauset/core/error.hpp"
#include "pycauset/core/progress.hpp"
#include "pycauset/core/threads.hpp"
#include "pycauset/linalg/blas.hpp"
#include "pycauset/linalg/lapack.hpp"
#include "pycauset/storage/buffer.hpp"
#include "pycauset/storage/governor.hpp"
#include "pycauset/storage/tile_io.hpp"
#include "tiles.hpp"

namespace pycauset::linalg::ooc {
namespace {

using detail::Lapack;
using detail::check_arguments;
using detail::require_square;
using detail::singular;
using detail::visit_lapack;
using detail::triangular_inverse;
using detail::lp_int;
using detail::Tile;
using detail::ceil_div;
using detail::wait;
using detail::wait_shared;
using index_t = Array::index_t;

// Share of the free RAM the tiles take; the rest covers conversion staging,
// pivots and the BLAS library's own buffers.
constexpr double kTileShare = 0.92;
// Panels never get narrower than this (BLAS needs some width to run at
// speed), so a budget below a few dozen rows' worth is exceeded rather than
// crawled through.
constexpr Array::index_t kMinPanel = 32;


template <class T> std::byte* bytes(T* p) { return reinterpret_cast<std::byte*>(p); }
template <class T> const std::byte* bytes(const T* p) { return reinterpret_cast<const std::byte*>(p); }


/// Elements of T the tiles may hold in all, from the RAM the budget leaves.
template <class T> double tile_elements() { return double(ram_for_tiles(kTileShare)) / double(sizeof(T)); }

/// Width of a panel of `rows`-element columns when `count` of them must fit.
template <class T> index_t panel_width(index_t rows, index_t cols, int count) {
  const double column = double(count) * double(std::max<index_t>(rows, 1)) * double(sizeof(T));
  return largest_fitting(std::min(kMinPanel, cols), std::max<index_t>(cols, 1),
                         [&](index_t w) { return column * double(w); }, kTileShare);
}


// Threads in the out-of-core routines. BLAS runs single-threaded for the whole
// routine (a blas::SingleThreadScope at each entry) and the large updates are
// split into row blocks on pycauset's pool instead. OpenBLAS's own threads
// hand out static shares of a call and busy-wait on each other: when another
// process takes a core, the thread left waiting spins through the other's
// time slices, and a run that took 0.45 s alone took 5-90 s beside a busy
// process. Row blocks handed out one at a time from the pool, whose idle
// threads sleep on a condition variable, let whichever thread runs take the
// next block, so a preempted thread delays at most its current block.
constexpr double kParallelFlops = 4e6;  // below this a BLAS call runs in the caller alone
constexpr index_t kMinRowBlock = 64;

/// fn(r0, r1) over row blocks covering [0, m) of an update costing
/// `flops_per_row` per row: in parallel on the pool when it is worth it.
template <class F> void over_rows(index_t m, double flops_per_row, F&& fn) {
  const int threads = num_threads();
  if (threads == 1 || m < 2 * kMinRowBlock || double(m) * flops_per_row < kParallelFlops) {
    if (m > 0) fn(index_t(0), m);
    return;
  }
  // About four blocks per thread, each a multiple of 16 rows (whole cache lines of a column).
  index_t block = std::max<index_t>(kMinRowBlock, ceil_div(m, 4 * index_t(threads)));
  block = ceil_div(block, 16) * 16;
  parallel_for_dynamic(m, block, [&](std::int64_t r0, std::int64_t r1) { fn(index_t(r0), index_t(r1)); });
}

Array new_matrix(index_t rows, index_t cols, DType dtype, bool zero = false) {
  const index_t shape[2] = {rows, cols};
  return Array::empty(shape, dtype, zero);
}
Array new_vector(index_t n, DType dtype, bool zero = false) {
  const index_t shape[1] = {n};
  return Array::empty(shape, dtype, zero);
}

/// Column panels [j*b, min(n, (j+1)*b)) of an n-column matrix.
struct Panels {
  index_t n, b;
  index_t count() const { return n == 0 ? 0 : ceil_div(n, b); }
  index_t start(index_t j) const { return j * b; }
  index_t width(index_t j) const { return std::min(b, n - j * b); }
  index_t end(index_t j) const { return start(j) + width(j); }
};

/// Reads columns [c0, c1) of the column-major view of `store` (its rows) into dst.
template <class T>
std::future<void> read_panel(IoThread& io, const BlockStore& store, index_t c0, index_t c1, DType dtype, T* dst,
                             bool release) {
  return io.submit([&store, c0, c1, dtype, dst, release] {
    store.read_rows(c0, c1, dtype, bytes(dst));
    if (release) store.release_rows(c0, c1);
  });
}

/// Applies the row interchanges ipiv[k1..k2) (0-based rows, 1-based
/// targets, in order, as getrf records them) to `cols` columns of the
/// column-major f (ld n). The same as laswp, but the swaps are first composed
/// into one permutation of the rows they touch, and each column is then
/// gathered once: laswp walks every swap across blocks of columns megabytes
/// apart, which costs a TLB miss per swap and column.
template <class T>
void interchange_rows(T* f, index_t n, index_t cols, index_t k1, index_t k2, const std::vector<lp_int>& ipiv) {
  if (k2 <= k1 || cols <= 0) return;
  // src[r - k1]: the row whose value ends up in row r (rows below k1 never move).
  std::vector<index_t> src(static_cast<std::size_t>(n - k1));
  std::iota(src.begin(), src.end(), k1);
  for (index_t i = k1; i < k2; ++i) std::swap(src[std::size_t(i - k1)], src[std::size_t(ipiv[std::size_t(i)] - 1 - k1)]);
  std::vector<index_t> moved;
  for (index_t r = k1; r < n; ++r)
    if (src[std::size_t(r - k1)] != r) moved.push_back(r);
  if (moved.empty()) return;
  parallel_for(cols, std::max<index_t>(1, index_t(8192 / moved.size()) + 1), [&](std::int64_t c0, std::int64_t c1) {
    std::vector<T> tmp(moved.size());
    for (index_t c = c0; c < c1; ++c) {
      T* col = f + c * n;
      for (std::size_t t = 0; t < moved.size(); ++t) tmp[t] = col[src[std::size_t(moved[t] - k1)]];
      for (std::size_t t = 0; t < moved.size(); ++t) col[moved[t]] = tmp[t];
    }
  });
}

// ---------------------------------------------------------------- matmul

// C = A B past the budget. C is computed in panels of tc rows (one tc x n
// buffer); each panel is the sum over k-blocks of A[panel, kb] B[kb, :], with
// A read in tc x tk blocks and B in tk-row blocks of whole rows (direct I/O,
// no page cache, no CPU copy), or held whole when it fits beside the rest.
// One I/O thread reads step t + 1's blocks while BLAS multiplies step t's;
// another writes and syncs C, so a read never queues behind a write.
//
// Where the time goes, and the choices that follow (measured on 2 cores):
// * BLAS is single-threaded (see over_rows) and a step's product is split
//   into column blocks of C handed out on the pool. Every BLAS call packs
//   both operands; a column block packs the A block (tc x tk) and its own
//   slice of B, where a row block would pack the whole B block (tk x n) once
//   per block: for the panels used here that is 3-8x less copying.
// * No barrier between steps: the (step, column block) products run as a
//   dataflow (each waits only for the same column block's previous step and
//   for its step's operands), so a thread done with its share of a step goes
//   on with the next instead of idling until the other thread's last block
//   is done. That idle time was most of what separated this product from
//   the wall-clock time of its own arithmetic.
// * Tall panels: B is read once per panel, so the panel takes what the
//   budget leaves after the k-blocks, and k-blocks stay near kMatmulK rows,
//   enough for BLAS to run at full speed.
// * The first step of the run is a short k-block, so BLAS starts after a
//   read of a few MiB rather than a whole block; the last panel's last step
//   runs in row blocks, each written and synced while the next is computed,
//   so only a sliver of the output is left to write when the product is done.
// * Other panels are written by column block during their last step and
//   synced while the next panel is computed; the next panel overwrites a
//   column block of the buffer once that block's write is out.
constexpr index_t kMatmulK = 1024;     // k-block rows aimed at when B is streamed
constexpr index_t kMatmulMaxK = 2048;  // the most a k-block grows to
constexpr index_t kMatmulHeadK = 256;  // the run's first k-block

struct MatmulShape {
  index_t tc, tk;  // panel rows, k-block rows
  bool resident;   // B held whole in RAM
};

/// Panel and k-block sizes for an (m x k) (k x n) product in `avail` elements:
/// resident B:  k n + tc n + 2 tc tk <= avail;
/// streamed B:  tc n + 2 tk (tc + n) <= avail (C panel, two A and B blocks).
MatmulShape matmul_shape(index_t m, index_t k, index_t n, double avail) {
  const double nn = double(n);
  auto even = [](index_t len, index_t block) { return ceil_div(len, ceil_div(len, block)); };
  if (double(k) * nn <= avail / 2) {
    const index_t tk = std::min(k, kMatmulMaxK);
    const index_t tc = std::clamp<index_t>(index_t((avail - double(k) * nn) / (2.0 * double(tk) + nn)),
                                           std::min(kMinPanel, m), m);
    return {even(m, tc), tk, true};
  }
  // k-blocks of kMatmulK rows, or when the budget is too small for that beside
  // a panel as tall, square A blocks (tc = tk, the largest that fit).
  const double square = (-3.0 * nn + std::sqrt(9.0 * nn * nn + 8.0 * avail)) / 4.0;
  index_t tk = std::clamp<index_t>(std::min<index_t>(index_t(square), kMatmulK), std::min(kMinPanel, k), k);
  index_t tc = std::clamp<index_t>(index_t((avail - 2.0 * double(tk) * nn) / (nn + 2.0 * double(tk))),
                                   std::min(kMinPanel, m), m);
  tc = even(m, tc);
  // Evening the panels out may have freed room: give it to the k-blocks.
  tk = std::clamp<index_t>(index_t((avail - double(tc) * nn) / (2.0 * (double(tc) + nn))),
                           std::min(kMinPanel, k), std::min(k, kMatmulMaxK));
  return {tc, even(k, tk), false};
}

/// fn(c0, c1) over [0, len) in blocks of `block`: on the pool when `parallel`,
/// else in order on this thread.
template <class F> void over_blocks(index_t len, index_t block, bool parallel, F&& fn) {
  if (parallel) {
    parallel_for_dynamic(len, block, [&](std::int64_t c0, std::int64_t c1) { fn(index_t(c0), index_t(c1)); });
    return;
  }
  for (index_t c0 = 0; c0 < len; c0 += block) fn(c0, std::min(len, c0 + block));
}

template <class T> Array matmul_impl(const Array& a, const Array& b, DType dtype) {
  using L = Lapack<T>;
  const BlockStore A(a), B(b, /*vector_as_column=*/true);
  const index_t m = A.rows(), k = A.cols(), n = B.cols();
  auto result = [&](bool zero) {
    return a.ndim() == 1 ? new_vector(n, dtype, zero) : b.ndim() == 1 ? new_vector(m, dtype, zero)
                                                                       : new_matrix(m, n, dtype, zero);
  };
  if (m == 0 || n == 0 || k == 0) return result(true);
  Array c = result(false);
  const BlockStore C(c, /*vector_as_column=*/a.ndim() == 2);

  const MatmulShape shape = matmul_shape(m, k, n, tile_elements<T>());
  const index_t tc = shape.tc, tk = shape.tk, panels = ceil_div(m, tc);
  const bool resident = shape.resident;

  // The steps in order: (panel, k-range). The run's first k-block is short.
  struct Step {
    index_t panel, k0, k1;
  };
  std::vector<Step> steps;
  for (index_t i = 0; i < panels; ++i) {
    index_t k0 = 0;
    if (i == 0 && !resident && k > 2 * kMatmulHeadK && tk > kMatmulHeadK) {
      steps.push_back({0, 0, kMatmulHeadK});
      k0 = kMatmulHeadK;
    }
    for (; k0 < k; k0 += tk) steps.push_back({i, k0, std::min(k, k0 + tk)});
  }

  Tile<T> abuf[2] = {Tile<T>(tc * tk), steps.size() > 1 ? Tile<T>(tc * tk) : Tile<T>()};
  Tile<T> cbuf(tc * n);
  // B comes in by direct I/O and lands up to 4 KiB into its buffer.
  const index_t slack = index_t(BlockStore::kDirectSlack / sizeof(T)) + 1;
  Tile<T> bbuf[2] = {Tile<T>((resident ? k * n : tk * n) + slack),
                     resident || steps.size() == 1 ? Tile<T>() : Tile<T>(tk * n + slack)};
  T* bdata[2] = {bbuf[0].p, bbuf[1].p};
  IoThread io;  // after the tiles: it must stop before they are freed

  // Reading step t's operands into slot t % 2 overlaps with step t - 1's product.
  auto read_step = [&](std::size_t t) {
    const int slot = int(t % 2);
    const Step s = steps[t];
    const index_t r0 = s.panel * tc, r1 = std::min(m, r0 + tc);
    T* adst = abuf[slot].p;
    T* bdst = resident ? nullptr : bbuf[slot].p;
    const bool last_a = s.k1 == k, last_b = s.panel + 1 == panels;
    return io.submit([&A, &B, &bdata, slot, r0, r1, s, adst, bdst, last_a, last_b, dtype] {
      A.read_block(r0, r1, s.k0, s.k1, dtype, bytes(adst));
      if (last_a) A.release_rows(r0, r1);
      if (bdst) {
        bdata[slot] = reinterpret_cast<T*>(B.read_rows_direct(s.k0, s.k1, dtype, bytes(bdst)));
        if (last_b) B.release_rows(s.k0, s.k1);
      }
    });
  };
  IoThread wio;  // C's writes and syncs, so that reads never queue behind them
  std::future<void> fb;
  if (resident)
    fb = io.submit([&B, &bdata, k, dtype, dst = bbuf[0].p] {
      bdata[0] = reinterpret_cast<T*>(B.read_rows_direct(0, k, dtype, bytes(dst)));
      B.release_rows(0, k);
    });

  // Column blocks of C, the same in every step: about four per thread, so that
  // a thread another process preempts holds up a quarter of its share at most.
  const int threads = num_threads();
  const bool parallel = threads > 1 && 2.0 * double(tc) * double(n) * double(tk) >= kParallelFlops;
  auto block_of = [&](index_t len, index_t align) {
    const index_t blk = ceil_div(len, 4 * index_t(threads));
    return std::min(len, std::max(align, ceil_div(blk, align) * align));
  };
  const index_t cb = parallel ? block_of(n, 64) : n, nb = ceil_div(n, cb);
  auto step_rows = [&](const Step& s) { return std::min(m, s.panel * tc + tc) - s.panel * tc; };
  auto step_flops = [&](const Step& s) { return 2.0 * double(step_rows(s)) * double(n) * double(s.k1 - s.k0); };
  // The run's last step runs in row blocks, each written out and synced as
  // soon as it is done (below); every other step is a task per column block.
  const std::size_t nsteps = steps.size();
  const bool row_tail = step_rows(steps.back()) > 1;
  const std::size_t flow_steps = nsteps - (row_tail ? 1 : 0);

  // The steps as a dataflow, with no barrier between them: task (t, c) multiplies
  // step t's blocks into C's column block c once (t - 1, c) is done and step t's
  // operands are in; a thread with nothing left in step t starts on step t + 1.
  // Slot t % 2 is read into again (for step t + 2) when every task of step t is
  // done. A panel's first step overwrites a column block only after the previous
  // panel's write of that block, not of the whole panel, is out.
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_future<void>> ready(nsteps);  // step t's operands read
  std::vector<char> issued(nsteps, 0);
  std::vector<index_t> finished(std::size_t(nb), -1);   // last step done, per column block
  std::vector<index_t> left(nsteps, nb);                 // tasks of step t not done
  std::vector<std::shared_future<void>> written(static_cast<std::size_t>(nb));  // C's block writes
  std::vector<std::future<void>> synced;                           // C's panel syncs
  bool failed = false;
  double flops_done = 0;
  auto issue = [&](std::size_t t) {  // with mu held
    ready[t] = read_step(t).share();
    issued[t] = 1;
  };
  {
    const std::lock_guard lock(mu);
    issue(0);
    if (nsteps > 1) issue(1);
  }
  wait(fb);

  Progress progress("matmul", 2.0 * double(m) * double(n) * double(k));
  double reported = 0;
  const auto caller = std::this_thread::get_id();  // progress is reported from this thread only
  T* ci = cbuf.p;
  auto task = [&](std::size_t t, index_t c) {
    const Step s = steps[t];
    const index_t r0 = s.panel * tc, rows = step_rows(s), kk = s.k1 - s.k0;
    const index_t c0 = c * cb, c1 = std::min(n, c0 + cb);
    std::shared_future<void> operands, previous;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return failed || (finished[std::size_t(c)] >= index_t(t) - 1 && issued[t]); });
      if (failed) return;
      operands = ready[t];
      if (s.k0 == 0) previous = written[std::size_t(c)];
    }
    operands.get();
    if (previous.valid()) previous.get();  // the last panel's block is out before it is overwritten
    const int slot = int(t % 2);
    const T* bk = resident ? bdata[0] + s.k0 * n : bdata[slot];
    L::gemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, c1 - c0, kk, T(1), abuf[slot].p, kk, bk + c0, n,
            s.k0 == 0 ? T(0) : T(1), ci + c0, n);
    const bool last = s.k1 == k;
    std::shared_future<void> write;
    if (last) write = wio.submit([&C, r0, rows, c0, c1, ci, n] {
                           C.write_block(r0, r0 + rows, c0, c1, bytes(ci + c0), n);
                         }).share();
    {
      const std::lock_guard lock(mu);
      if (last) written[std::size_t(c)] = write;
      finished[std::size_t(c)] = index_t(t);
      flops_done += 2.0 * double(rows) * double(c1 - c0) * double(kk);
      if (--left[t] == 0) {
        // Synced and dropped while the next panel is computed (waited for at the end).
        if (last) synced.push_back(wio.submit([&C, r0, rows] { C.finish_rows(r0, r0 + rows); }));
        if (t + 2 < nsteps) issue(t + 2);
      }
    }
    cv.notify_all();
  };
  const std::int64_t tasks = std::int64_t(flow_steps) * nb;
  parallel_for_dynamic(tasks, 1, [&](std::int64_t i0, std::int64_t i1) {
    for (std::int64_t i = i0; i < i1; ++i) {
      try {
        task(std::size_t(i / nb), index_t(i % nb));
        if (std::this_thread::get_id() == caller) {
          double done;
          {
            const std::lock_guard lock(mu);
            done = flops_done;
          }
          progress.advance(done - reported);
          reported = done;
        }
      } catch (...) {
        {
          const std::lock_guard lock(mu);
          failed = true;
        }
        cv.notify_all();
        throw;
      }
    }
  });

  progress.advance(flops_done - reported);  // what the other threads did last

  if (row_tail) {
    // The last step: row blocks, each written out and synced as soon as it is done.
    const std::size_t t = nsteps - 1;
    const Step s = steps[t];
    const index_t r0 = s.panel * tc, rows = step_rows(s), kk = s.k1 - s.k0;
    wait_shared(ready[t]);
    if (s.k0 == 0)
      for (auto& w : written) wait_shared(w);
    const int slot = int(t % 2);
    const T* ak = abuf[slot].p;
    const T* bk = resident ? bdata[0] + s.k0 * n : bdata[slot];
    std::mutex tail_mutex;
    std::vector<std::future<void>> tail;
    over_blocks(rows, block_of(rows, 16), threads > 1, [&](index_t i0, index_t i1) {
      L::gemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, i1 - i0, n, kk, T(1), ak + i0 * kk, kk, bk, n,
              s.k0 == 0 ? T(0) : T(1), ci + i0 * n, n);
      std::future<void> f = wio.submit([&C, r0, i0, i1, ci, n] {
        C.write_rows(r0 + i0, r0 + i1, bytes(ci + i0 * n));
        C.finish_rows(r0 + i0, r0 + i1);
      });
      const std::lock_guard lock(tail_mutex);
      tail.push_back(std::move(f));
    });
    progress.advance(step_flops(s));
    for (auto& f : tail) f.get();
  }
  for (auto& w : written) wait_shared(w);
  for (auto& f : synced) f.get();
  progress.finish();
  return c;
}

// ---------------------------------------------------------------- LU

// Panels at most this wide are factored by getrf itself (on one thread).
constexpr index_t kLuLeaf = 128;

/// getrf of the m x w column-major panel a (ld lda), the same result (ipiv
/// 1-based, relative to a; info as getrf), computed recursively as LAPACK's
/// getrf2 does: factor the left half of the columns, update the right half,
/// factor it. The update, a matrix product and most of the work, runs on the
/// pool by row blocks (see over_rows); getrf itself only sees panels of at most
/// kLuLeaf columns.
template <class T> lp_int panel_lu(index_t m, index_t w, T* a, index_t lda, lp_int* ipiv) {
  using L = Lapack<T>;
  const index_t k = std::min(m, w);
  if (w <= kLuLeaf || k <= kLuLeaf) return L::getrf(m, w, a, lda, ipiv);
  const index_t n1 = k / 2, n2 = w - n1;
  lp_int info = panel_lu<T>(m, n1, a, lda, ipiv);
  if (info < 0) return info;
  T* a12 = a + n1 * lda;
  L::laswp(n2, a12, lda, 1, n1, ipiv);
  over_rows(n2, double(n1) * double(n1), [&](index_t c0, index_t c1) {  // A12 := L11^-1 A12, by columns
    L::trsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasUnit, n1, c1 - c0, a, lda, a12 + c0 * lda,
            lda);
  });
  over_rows(m - n1, 2.0 * double(n1) * double(n2), [&](index_t i0, index_t i1) {  // A22 -= A21 A12
    L::gemm(CblasColMajor, CblasNoTrans, CblasNoTrans, i1 - i0, n2, n1, T(-1), a + n1 + i0, lda, a12, lda, T(1),
            a12 + n1 + i0, lda);
  });
  const lp_int info2 = panel_lu<T>(m - n1, n2, a12 + n1, lda, ipiv + n1);
  if (info2 < 0) return info2;
  if (info == 0 && info2 > 0) info = info2 + lp_int(n1);
  for (index_t i = n1; i < k; ++i) ipiv[i] += lp_int(n1);
  L::laswp(n1, a, lda, lp_int(n1 + 1), lp_int(k), ipiv);
  return info;
}

/// Flop-like work units of the panel updates, for progress.
double pair_work(index_t n, index_t w1, index_t w2) { return 2.0 * double(n) * double(w1) * double(w2); }

/// Left-looking blocked LU with partial pivoting of the n x n column-major G
/// (the rows of `input`), written panel by panel to `lu`: G = P L U with
/// getrf's conventions (ipiv 1-based, global). With invert_u, U is replaced by
/// U^-1 in the same pass (each panel of U^-1 needs the previous panels, which
/// the LU update reads anyway). Previous panels are stored with the row
/// interchanges known when they were factored; later interchanges are applied
/// to the copy in RAM as they are read.
template <class T>
void factor(const BlockStore& input, const BlockStore& lu, index_t n, DType dtype, bool invert_u,
            std::vector<lp_int>& ipiv, Progress& progress, const Panels& pn) {
  using L = Lapack<T>;
  ipiv.assign(std::size_t(n), 0);
  // Input panels come in by direct I/O and land up to 4 KiB into their buffer.
  const index_t slack = index_t(BlockStore::kDirectSlack / sizeof(T)) + 1;
  Tile<T> P[2] = {Tile<T>(n * pn.b + slack), Tile<T>(n * pn.b + slack)};
  T* pdata[2] = {P[0].p, P[1].p};
  Tile<T> Q[2] = {Tile<T>(n * pn.b), Tile<T>(n * pn.b)};
  // Reads and writes on separate threads, so that a read never queues behind
  // the write of a whole panel; a read that needs a write waits for it.
  IoThread reader, writer;
  std::future<void> fp[2], fq[2];
  std::shared_future<void> written[2];  // the write of the panel held in P[slot]
  const index_t panels = pn.count();
  auto read_after = [&](const BlockStore& store, index_t c0, index_t c1, T* dst, bool release,
                        std::shared_future<void> after) {
    return reader.submit([&store, c0, c1, dst, release, after, dtype] {
      if (after.valid()) after.wait();
      store.read_rows(c0, c1, dtype, bytes(dst));
      if (release) store.release_rows(c0, c1);
    });
  };
  auto read_input = [&](index_t j, int slot, std::shared_future<void> after) {
    const index_t c0 = pn.start(j), c1 = pn.end(j);
    return reader.submit([&input, &pdata, &P, slot, c0, c1, after, dtype] {
      if (after.valid()) after.wait();
      pdata[slot] = reinterpret_cast<T*>(input.read_rows_direct(c0, c1, dtype, bytes(P[slot].p)));
      input.release_rows(c0, c1);
    });
  };
  fp[0] = read_input(0, 0, {});
  for (index_t j = 0; j < panels; ++j) {
    const int s = int(j % 2);
    const index_t j0 = pn.start(j), w = pn.width(j);
    wait(fp[s]);
    T* pj = pdata[s];
    interchange_rows(pj, n, w, 0, j0, ipiv);
    // Panel j - 1 is still being written from P[1 - s]: reading it back, and
    // reading the next input panel into that buffer, wait for the write.
    auto factor_panel = [&](index_t p, int slot) {
      return read_after(lu, pn.start(p), pn.end(p), Q[slot].p, false,
                        p == j - 1 ? written[1 - s] : std::shared_future<void>());
    };
    if (j > 0) fq[0] = factor_panel(0, 0);
    if (j + 1 < panels) fp[1 - s] = read_input(j + 1, 1 - s, written[1 - s]);
    for (index_t p = 0; p < j; ++p) {
      const int qs = int(p % 2);
      wait(fq[qs]);
      if (p + 1 < j) fq[1 - qs] = factor_panel(p + 1, 1 - qs);
      T* q = Q[qs].p;
      const index_t p0 = pn.start(p), wp = pn.width(p), p1 = p0 + wp;
      interchange_rows(q, n, wp, p1, j0, ipiv);
      // U[p, j] = L_pp^-1 G[p, j]; the rows below lose L[:, p] U[p, j].
      over_rows(w, double(wp) * double(wp), [&](index_t c0, index_t c1) {  // columns of U[p, j]
        L::trsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasUnit, wp, c1 - c0, q + p0, n,
                pj + c0 * n + p0, n);
      });
      over_rows(n - p1, 2.0 * double(w) * double(wp), [&](index_t i0, index_t i1) {
        L::gemm(CblasColMajor, CblasNoTrans, CblasNoTrans, i1 - i0, w, wp, T(-1), q + p1 + i0, n, pj + p0, n, T(1),
                pj + p1 + i0, n);
      });
      if (invert_u) {  // accumulate U^-1[0:j0, 0:j0] U[0:j0, j] in place, block row by block row
        over_rows(p0, 2.0 * double(w) * double(wp), [&](index_t i0, index_t i1) {
          L::gemm(CblasColMajor, CblasNoTrans, CblasNoTrans, i1 - i0, w, wp, T(1), q + i0, n, pj + p0, n, T(1),
                  pj + i0, n);
        });
        over_rows(w, double(wp) * double(wp), [&](index_t c0, index_t c1) {  // columns
          L::trmm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, wp, c1 - c0, T(1), q + p0, n,
                  pj + c0 * n + p0, n);
        });
      }
      progress.advance(pair_work(n, wp, w));
    }
    lp_int info = panel_lu<T>(n - j0, w, pj + j0, n, ipiv.data() + j0);
    check_arguments(info, "getrf");
    if (info > 0) singular();
    for (index_t i = 0; i < w; ++i) ipiv[std::size_t(j0 + i)] += j0;
    if (invert_u) {
      info = triangular_inverse<T>('U', 'N', w, pj + j0, n);
      check_arguments(info, "trtri");
      if (info > 0) singular();
      // U^-1[0:j0, j] = -(U^-1 U)[0:j0, j] U_jj^-1
      over_rows(j0, double(w) * double(w), [&](index_t i0, index_t i1) {
        L::trmm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, i1 - i0, w, T(-1), pj + j0, n,
                pj + i0, n);
      });
    }
    progress.advance(pair_work(n, w, w));
    written[s] = writer.submit([&lu, j0, w, pj] { lu.write_rows(j0, j0 + w, bytes(pj)); }).share();
  }
  for (auto& f : written)
    if (f.valid()) f.get();
}

/// Where each column of X lands when getri's column interchanges (X P^T:
/// columns j and ipiv[j] swapped, j = n-1 down to 0) are applied: result
/// column k is X's column idx[k]. Returns idx.
std::vector<index_t> interchange_order(const std::vector<lp_int>& ipiv) {
  std::vector<index_t> idx(ipiv.size());
  std::iota(idx.begin(), idx.end(), 0);
  for (index_t j = index_t(ipiv.size()) - 1; j >= 0; --j) std::swap(idx[std::size_t(j)], idx[std::size_t(ipiv[std::size_t(j)] - 1)]);
  return idx;
}

/// Brings the L rows of factor columns [c0, c0 + w), held column-major in f,
/// into their final order: each column has the interchanges of its own factor
/// panel and the ones before it; those made by later panels are applied here.
template <class T>
void apply_later_interchanges(T* f, index_t c0, index_t w, index_t n, const Panels& pf,
                              const std::vector<lp_int>& ipiv) {
  for (index_t c = c0; c < c0 + w;) {
    const index_t done = pf.end(c / pf.b), stop = std::min(done, c0 + w);
    interchange_rows(f + (c - c0) * n, n, stop - c, done, n, ipiv);
    c = stop;
  }
}

/// From the factors of `factor(..., invert_u=true)`: X = U^-1 L^-1 solved as
/// X L = U^-1 panel by panel from the right, each finished panel written to
/// the result at its interchanged position.
template <class T>
void invert_from_factors(const BlockStore& lu, const BlockStore& out, index_t n, DType dtype,
                         const std::vector<lp_int>& ipiv, Progress& progress, const Panels& pf,
                         const Panels& pn) {
  using L = Lapack<T>;
  const std::vector<index_t> idx = interchange_order(ipiv);
  std::vector<index_t> pos(static_cast<std::size_t>(n));
  for (index_t k = 0; k < n; ++k) pos[std::size_t(idx[std::size_t(k)])] = k;

  Tile<T> F[2] = {Tile<T>(n * pn.b), Tile<T>(n * pn.b)};  // factor panels
  Tile<T> W[2] = {Tile<T>(n * pn.b), Tile<T>(n * pn.b)};  // result panels (one being written)
  Tile<T> R[2] = {Tile<T>(n * pn.b), Tile<T>(n * pn.b)};  // later result panels, read back
  IoThread io;
  const std::vector<index_t>* where = &pos;
  auto read_result = [&](index_t q, int slot) {
    const index_t q0 = pn.start(q), q1 = pn.end(q);
    T* dst = R[slot].p;
    return io.submit([&out, where, q0, q1, n, dtype, dst] {
      for (index_t c = q0; c < q1; ++c) {
        const index_t at = (*where)[std::size_t(c)];
        out.read_rows(at, at + 1, dtype, bytes(dst + (c - q0) * n));
      }
    });
  };
  std::future<void> ff[2], fw[2], fr[2];
  const index_t panels = pn.count();
  ff[(panels - 1) % 2] = read_panel(io, lu, pn.start(panels - 1), n, dtype, F[(panels - 1) % 2].p, false);
  for (index_t j = panels - 1; j >= 0; --j) {
    const int s = int(j % 2);
    const index_t j0 = pn.start(j), w = pn.width(j);
    wait(ff[s]);
    if (j > 0) ff[1 - s] = read_panel(io, lu, pn.start(j - 1), j0, dtype, F[1 - s].p, false);
    T* f = F[s].p;
    apply_later_interchanges(f, j0, w, n, pf, ipiv);
    wait(fw[s]);
    T* x = W[s].p;
    // X[:, j] starts as U^-1[:, j]: the rows down to the diagonal, zeros below.
    for (index_t c = 0; c < w; ++c) {
      const index_t top = j0 + c + 1;
      std::copy(f + c * n, f + c * n + top, x + c * n);
      std::fill(x + c * n + top, x + (c + 1) * n, T(0));
    }
    // Panel j + 1 of X is still in W[1 - s] (its write may be under way);
    // the ones after it are read back from the result.
    if (j + 2 < panels) fr[0] = read_result(j + 2, 0);
    for (index_t q = j + 1; q < panels; ++q) {
      const int rs = int((q - j - 2) % 2);
      const T* xq = W[1 - s].p;
      if (q > j + 1) {
        wait(fr[rs]);
        if (q + 1 < panels) fr[1 - rs] = read_result(q + 1, 1 - rs);
        xq = R[rs].p;
      }
      const index_t q0 = pn.start(q), wq = pn.width(q);
      over_rows(n, 2.0 * double(w) * double(wq), [&](index_t i0, index_t i1) {
        L::gemm(CblasColMajor, CblasNoTrans, CblasNoTrans, i1 - i0, w, wq, T(-1), xq + i0, n, f + q0, n, T(1),
                x + i0, n);
      });
      progress.advance(pair_work(n, wq, w));
    }
    over_rows(n, double(w) * double(w), [&](index_t i0, index_t i1) {
      L::trsm(CblasColMajor, CblasRight, CblasLower, CblasNoTrans, CblasUnit, i1 - i0, w, f + j0, n, x + i0, n);
    });
    progress.advance(pair_work(n, w, w));
    fw[s] = io.submit([&out, where, j0, w, n, x] {
      for (index_t c = 0; c < w; ++c) {
        const index_t at = (*where)[std::size_t(j0 + c)];
        out.write_rows(at, at + 1, bytes(x + c * n));
      }
    });
  }
  wait(fw[0]);
  wait(fw[1]);
  io.submit([&out, n] { out.finish_rows(0, n); }).get();
}

/// Work units of factor() over panels f, for progress.
double factor_work(index_t n, const Panels& f) {
  double total = 0;
  for (index_t j = 0; j < f.count(); ++j)
    for (index_t p = 0; p <= j; ++p) total += pair_work(n, f.width(p), f.width(j));
  return total;
}

/// Work units of inv: factor() over f, then invert_from_factors() over x.
double inverse_work(index_t n, const Panels& f, const Panels& x) {
  double total = factor_work(n, f);
  for (index_t j = 0; j < x.count(); ++j)
    for (index_t q = j; q < x.count(); ++q) total += pair_work(n, x.width(q), x.width(j));
  return total;
}

template <class T> Array inv_impl(const Array& a, DType dtype) {
  const index_t n = require_square(a);
  if (n == 0) return new_matrix(0, 0, dtype);
  Array x = new_matrix(n, n, dtype);
  Array lu = new_matrix(n, n, dtype);  // scratch: the factors, then U^-1 and L
  const BlockStore in(a), LU(lu), out(x);
  const Panels pf{n, panel_width<T>(n, n, 4)}, px{n, panel_width<T>(n, n, 6)};
  Progress progress("inv", inverse_work(n, pf, px));
  std::vector<lp_int> ipiv;
  factor<T>(in, LU, n, dtype, true, ipiv, progress, pf);
  invert_from_factors<T>(LU, out, n, dtype, ipiv, progress, pf, px);
  progress.finish();
  return x;
}

// ---------------------------------------------------------------- sweeps

/// Z := Z op^-1 for the k x n column-major Z (ld k) and a triangular n x n
/// column-major factor read in panels: Z U^-1 for uplo upper (panels left to
/// right), Z L^-1 for lower (right to left; with `ipiv`, the factor's L rows
/// are first brought into their final order, see apply_later_interchanges,
/// for a factor panelled as `pf`).
template <class T>
void sweep(const BlockStore& factor_store, index_t n, DType dtype, bool upper, CBLAS_DIAG diag,
           const std::vector<lp_int>* ipiv, const Panels* pf, T* z, index_t k, Progress& progress,
           const Panels& pn) {
  using L = Lapack<T>;
  Tile<T> F[2] = {Tile<T>(n * pn.b), Tile<T>(n * pn.b)};
  IoThread io;
  std::future<void> ff[2];
  const index_t panels = pn.count();
  auto panel_at = [&](index_t t) { return upper ? t : panels - 1 - t; };
  auto read = [&](index_t t, int slot) {
    const index_t j = panel_at(t);
    return read_panel(io, factor_store, pn.start(j), pn.end(j), dtype, F[slot].p, false);
  };
  ff[0] = read(0, 0);
  for (index_t t = 0; t < panels; ++t) {
    const int s = int(t % 2);
    wait(ff[s]);
    if (t + 1 < panels) ff[1 - s] = read(t + 1, 1 - s);
    const index_t j = panel_at(t), j0 = pn.start(j), w = pn.width(j), j1 = j0 + w;
    T* f = F[s].p;
    T* zj = z + j0 * k;
    if (upper) {  // Z[:, j] = (Z[:, j] - Z[:, 0:j0] U[0:j0, j]) U_jj^-1
      over_rows(k, 2.0 * double(w) * double(j0) + double(w) * double(w), [&](index_t i0, index_t i1) {
        if (j0 > 0)
          L::gemm(CblasColMajor, CblasNoTrans, CblasNoTrans, i1 - i0, w, j0, T(-1), z + i0, k, f, n, T(1), zj + i0,
                  k);
        L::trsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, diag, i1 - i0, w, f + j0, n, zj + i0, k);
      });
    } else {  // Z[:, j] = (Z[:, j] - Z[:, j1:n] L[j1:n, j]) L_jj^-1
      if (ipiv) apply_later_interchanges(f, j0, w, n, *pf, *ipiv);
      over_rows(k, 2.0 * double(w) * double(n - j1) + double(w) * double(w), [&](index_t i0, index_t i1) {
        if (n > j1)
          L::gemm(CblasColMajor, CblasNoTrans, CblasNoTrans, i1 - i0, w, n - j1, T(-1), z + j1 * k + i0, k, f + j1,
                  n, T(1), zj + i0, k);
        L::trsm(CblasColMajor, CblasRight, CblasLower, CblasNoTrans, diag, i1 - i0, w, f + j0, n, zj + i0, k);
      });
    }
    progress.advance(pair_work(k, n, w));
  }
}

/// Column k of the column-major z (`rows` per column) becomes the old column idx[k]: in place, by cycles.
template <class T> void permute_columns(T* z, index_t rows, const std::vector<index_t>& idx) {
  const index_t n = index_t(idx.size());
  std::vector<char> done(static_cast<std::size_t>(n), 0);
  std::vector<T> tmp(static_cast<std::size_t>(rows));
  for (index_t start = 0; start < n; ++start) {
    if (done[std::size_t(start)] || idx[std::size_t(start)] == start) continue;
    std::copy(z + start * rows, z + (start + 1) * rows, tmp.begin());
    index_t k = start;
    for (;;) {
      done[std::size_t(k)] = 1;
      const index_t from = idx[std::size_t(k)];
      if (from == start) {
        std::copy(tmp.begin(), tmp.end(), z + k * rows);
        break;
      }
      std::copy(z + from * rows, z + (from + 1) * rows, z + k * rows);
      k = from;
    }
  }
}

/// Solves Y G = B^T for every chunk of right-hand sides that fits: B is n x k
/// (rank 1: n), read and written through its rows (each row of B is a column
/// of B^T). `solve_chunk(z, kk)` transforms one chunk in place.
template <class T, class F>
Array solve_rhs(const Array& b, index_t n, DType dtype, const Panels& pn, F&& solve_chunk) {
  Array x = b.ndim() == 1 ? new_vector(n, dtype) : new_matrix(n, b.shape(1), dtype);
  const index_t k = b.ndim() == 1 ? 1 : b.shape(1);
  if (n == 0 || k == 0) return x;
  // Two factor panels are held while a chunk is solved; the chunk gets the rest.
  const double avail = tile_elements<T>() - 2.0 * double(n) * double(pn.b);
  const index_t kc = std::clamp<index_t>(index_t(avail / double(n)), 1, k);
  for (index_t c0 = 0; c0 < k; c0 += kc) {
    const index_t kk = std::min(kc, k - c0);
    const Array bc = kk == k ? b : b.slice(1, c0, 1, kk);
    const Array xc = kk == k ? x : x.slice(1, c0, 1, kk);
    const BlockStore in(bc, true), out(xc, true);
    Tile<T> z(n * kk);
    in.read_rows(0, n, dtype, bytes(z.p));
    solve_chunk(z.p, kk);
    out.write_rows(0, n, bytes(z.p));
    out.finish_rows(0, n);
  }
  return x;
}

template <class T> Array solve_impl(const Array& a, const Array& b, DType dtype) {
  const index_t n = require_square(a);
  if (b.shape(0) != n) return linalg::solve(a, b, dtype);  // the in-RAM routine words the error
  const index_t k = b.ndim() == 1 ? 1 : b.shape(1);
  Array lu = new_matrix(n, n, dtype);
  const BlockStore in(a), LU(lu);
  const Panels pf{n, panel_width<T>(n, n, 4)};  // the factorization's panels, and the sweeps'
  Progress progress("solve", factor_work(n, pf) + 2.0 * pair_work(k, n, n));
  std::vector<lp_int> ipiv;
  if (n > 0) factor<T>(in, LU, n, dtype, false, ipiv, progress, pf);
  // A x = b is Y G = B^T with Y = x^T and G = A^T = P L U: Y = B^T U^-1 L^-1 P^T.
  Array x = solve_rhs<T>(b, n, dtype, pf, [&](T* z, index_t kk) {
    sweep<T>(LU, n, dtype, true, CblasNonUnit, nullptr, nullptr, z, kk, progress, pf);
    sweep<T>(LU, n, dtype, false, CblasUnit, &ipiv, &pf, z, kk, progress, pf);
    permute_columns(z, kk, interchange_order(ipiv));
  });
  progress.finish();
  return x;
}

template <class T>
Array solve_triangular_impl(const Array& a, const Array& b, DType dtype, bool lower, bool unit) {
  const index_t n = require_square(a);
  if (b.shape(0) != n) return linalg::solve_triangular(a, b, dtype, lower, unit);
  const index_t k = b.ndim() == 1 ? 1 : b.shape(1);
  const BlockStore in(a);
  const Panels ps{n, panel_width<T>(n, n, 4)};
  Progress progress("solve_triangular", pair_work(k, n, n));
  // A upper (row-major) is G = A^T lower: Y G = B^T sweeps from the right.
  Array x = solve_rhs<T>(b, n, dtype, ps, [&](T* z, index_t kk) {
    sweep<T>(in, n, dtype, lower, unit ? CblasUnit : CblasNonUnit, nullptr, nullptr, z, kk, progress, ps);
  });
  progress.finish();
  return x;
}

// ---------------------------------------------------------------- triangular inverse

/// inv(G) for triangular column-major G (the rows of `input`): upper G by
/// panels from the left, each needing the finished panels before it; lower G
/// from the right. Only G's triangle is read, of the input and of the finished
/// panels; the other triangle is zero in the result and a unit diagonal is
/// written as ones. With `overwrite` the result replaces `a` (panel j of the
/// result is written after panel j of the input is read, and never read again
/// as input), so no second n x n file is made.
template <class T>
Array inv_triangular_impl(const Array& a, DType dtype, bool lower_a, bool unit, bool overwrite) {
  using L = Lapack<T>;
  const index_t n = require_square(a);
  Array x = overwrite ? a : new_matrix(n, n, dtype);
  if (n == 0) return x;
  const bool upper = lower_a;  // row-major lower A is column-major upper G
  const CBLAS_DIAG diag = unit ? CblasUnit : CblasNonUnit;
  const CBLAS_UPLO uplo = upper ? CblasUpper : CblasLower;
  const BlockStore in(a), out(x);
  const Panels pn{n, panel_width<T>(n, n, 4)};
  const index_t panels = pn.count();
  double total = 0;
  for (index_t j = 0; j < panels; ++j) total += pair_work(n, pn.width(j), pn.width(j)) * double(j + 1) / 2;
  Progress progress("inv_triangular", total);
  Tile<T> P[2] = {Tile<T>(n * pn.b), Tile<T>(n * pn.b)};
  Tile<T> Q[2] = {Tile<T>(n * pn.b), Tile<T>(n * pn.b)};
  IoThread io;
  std::future<void> fp[2], fq[2], fw[2];
  auto panel_at = [&](index_t t) { return upper ? t : panels - 1 - t; };
  // Finished panels this one needs, in the order the in-place update takes them.
  auto needed = [&](index_t u) { return upper ? u : panels - 1 - u; };
  // Rows [r0, r1) of panel j's columns that lie in G's triangle.
  auto first_row = [&](index_t j) { return upper ? index_t(0) : pn.start(j); };
  auto last_row = [&](index_t j) { return upper ? pn.end(j) : n; };
  // Panel j of the input into p (ld n, its G-triangle rows only; the rest is cleared below).
  auto read_input = [&](index_t j, T* p) {
    return io.submit([&in, &pn, j, r0 = first_row(j), r1 = last_row(j), dtype, p] {
      in.read_block(pn.start(j), pn.end(j), r0, r1, dtype, bytes(p + r0), in.cols());
      in.release_rows(pn.start(j), pn.end(j));
    });
  };
  // Finished panel j into q, its G-triangle rows only, ld = their count.
  auto read_finished = [&](index_t j, T* q) {
    return io.submit([&out, &pn, j, r0 = first_row(j), r1 = last_row(j), dtype, q] {
      out.read_block(pn.start(j), pn.end(j), r0, r1, dtype, bytes(q));
    });
  };
  fp[0] = read_input(panel_at(0), P[0].p);
  for (index_t t = 0; t < panels; ++t) {
    const int s = int(t % 2);
    const index_t j = panel_at(t), j0 = pn.start(j), w = pn.width(j), j1 = j0 + w;
    T* pj = P[s].p;
    wait(fp[s]);
    if (t + 1 < panels) fp[1 - s] = read_input(panel_at(t + 1), P[1 - s].p);
    // T := X_prev G[:, j], where X_prev is the finished part of inv(G).
    if (t > 0) fq[0] = read_finished(needed(0), Q[0].p);
    for (index_t u = 0; u < t; ++u) {
      const int qs = int(u % 2);
      wait(fq[qs]);
      if (u + 1 < t) fq[1 - qs] = read_finished(needed(u + 1), Q[1 - qs].p);
      const index_t p = needed(u), p0 = pn.start(p), wp = pn.width(p), p1 = p0 + wp;
      // Row i of the finished panel (column-major, ld = its rows read).
      const index_t r0 = first_row(p), ldq = last_row(p) - r0;
      const T* q = Q[qs].p;
      auto row = [&](index_t i) { return q + (i - r0); };
      if (upper) {
        over_rows(p0, 2.0 * double(w) * double(wp), [&](index_t i0, index_t i1) {
          L::gemm(CblasColMajor, CblasNoTrans, CblasNoTrans, i1 - i0, w, wp, T(1), row(i0), ldq, pj + p0, n, T(1),
                  pj + i0, n);
        });
      } else {
        over_rows(n - p1, 2.0 * double(w) * double(wp), [&](index_t i0, index_t i1) {
          L::gemm(CblasColMajor, CblasNoTrans, CblasNoTrans, i1 - i0, w, wp, T(1), row(p1 + i0), ldq, pj + p0, n,
                  T(1), pj + p1 + i0, n);
        });
      }
      over_rows(w, double(wp) * double(wp), [&](index_t c0, index_t c1) {  // columns
        L::trmm(CblasColMajor, CblasLeft, uplo, CblasNoTrans, diag, wp, c1 - c0, T(1), row(p0), ldq,
                pj + c0 * n + p0, n);
      });
      progress.advance(pair_work(n, wp, w) / 2);
    }
    const lp_int info = triangular_inverse<T>(upper ? 'U' : 'L', unit ? 'U' : 'N', w, pj + j0, n);
    check_arguments(info, "trtri");
    if (info > 0) singular();
    if (upper)
      over_rows(j0, double(w) * double(w), [&](index_t i0, index_t i1) {
        L::trmm(CblasColMajor, CblasRight, uplo, CblasNoTrans, diag, i1 - i0, w, T(-1), pj + j0, n, pj + i0, n);
      });
    else
      over_rows(n - j1, double(w) * double(w), [&](index_t i0, index_t i1) {
        L::trmm(CblasColMajor, CblasRight, uplo, CblasNoTrans, diag, i1 - i0, w, T(-1), pj + j0, n, pj + j1 + i0,
                n);
      });
    // Clear the other triangle (never read, or the input's), write a unit diagonal.
    for (index_t c = 0; c < w; ++c) {
      T* col = pj + c * n;
      const index_t d = j0 + c;
      if (upper)
        std::fill(col + d + 1, col + n, T(0));
      else
        std::fill(col, col + d, T(0));
      if (unit) col[d] = T(1);
    }
    progress.advance(pair_work(n, w, w) / 2);
    wait(fw[s]);  // panel t - 2's write, done long ago: its error, if any, is not lost
    fw[s] = io.submit([&out, j0, j1, pj] { out.write_rows(j0, j1, bytes(pj)); });
  }
  wait(fw[0]);
  wait(fw[1]);
  io.submit([&out, n] { out.finish_rows(0, n); }).get();
  progress.finish();
  return x;
}

}  // namespace

Array matmul(const Array& a, const Array& b, DType dtype) {
  const blas::SingleThreadScope single;  // see over_rows
  return visit_lapack(dtype, [&]<class T>(std::type_identity<T>) { return matmul_impl<T>(a, b, dtype); });
}

Array inv(const Array& a, DType dtype) {
  const blas::SingleThreadScope single;  // see over_rows
  return visit_lapack(dtype, [&]<class T>(std::type_identity<T>) { return inv_impl<T>(a, dtype); });
}

Array solve(const Array& a, const Array& b, DType dtype) {
  const blas::SingleThreadScope single;  // see over_rows
  return visit_lapack(dtype, [&]<class T>(std::type_identity<T>) { return solve_impl<T>(a, b, dtype); });
}

Array inv_triangular(const Array& a, DType dtype, bool lower, bool unit_diagonal, bool overwrite) {
  const blas::SingleThreadScope single;  // see over_rows
  return visit_lapack(dtype, [&]<class T>(std::type_identity<T>) {
    return inv_triangular_impl<T>(a, dtype, lower, unit_diagonal, overwrite);
  });
}

Array solve_triangular(const Array& a, const Array& b, DType dtype, bool lower, bool unit_diagonal) {
  const blas::SingleThreadScope single;  // see over_rows
  return visit_lapack(dtype, [&]<class T>(std::type_identity<T>) {
    return solve_triangular_impl<T>(a, b, dtype, lower, unit_diagonal);
  });
}

}  // namespace pycauset::linalg::ooc
