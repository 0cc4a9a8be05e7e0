// Spectra of real antisymmetric matrices in real arithmetic (see
// include/pycauset/linalg/antisymmetric.hpp for the method).
#include "pycauset/linalg/antisymmetric.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <string>
#include <type_traits>
#include <vector>

#include "lapack_api.hpp"
#include "lapack_checks.hpp"
#include "pycauset/array/blocks.hpp"
#include "pycauset/core/error.hpp"
#include "pycauset/core/progress.hpp"
#include "pycauset/core/threads.hpp"
#include "pycauset/kernels/skew.hpp"
#include "pycauset/linalg/blas.hpp"
#include "pycauset/storage/governor.hpp"
#include <cstdlib>


namespace pycauset::linalg {
namespace {

using detail::Blas;
using detail::Lapack;
using detail::check_arguments;
using detail::lp_int;
using detail::require_square;
using index_t = Array::index_t;

template <class T> T* data_of(const Array& a) { return reinterpret_cast<T*>(a.data()); }

Array array_of(index_t rows, index_t cols, DType dtype, bool zero = false) {
  const index_t shape[2] = {rows, cols};
  return Array::empty(shape, dtype, zero);
}
Array vector_of(index_t n, DType dtype) {
  const index_t shape[1] = {n};
  return Array::empty(shape, dtype);
}

/// y = A v for the antisymmetric m x m matrix A whose strictly lower triangle
/// is stored column-major at p (leading dimension ld), by the per-ISA kernel
/// (kernels/skew.hpp). Columns are split between the pool's threads in slices
/// of equal triangle area, each accumulating into its own copy of y.
template <class T> void skew_matvec(const T* p, index_t ld, index_t m, const T* v, T* y, std::vector<T>& scratch) {
  const int threads = (m >= 512 && !in_parallel_region()) ? std::max(1, num_threads()) : 1;
  if (threads == 1) {
    std::fill(y, y + m, T(0));
    skew_column_block(p, ld, m, 0, m, v, y);
    return;
  }
  // Column bounds with equal shares of the m (m - 1) / 2 elements.
  std::vector<index_t> bound(std::size_t(threads) + 1, m);
  bound[0] = 0;
  const double total = double(m) * double(m - 1) / 2;
  index_t j = 0;
  double done = 0;
  for (int t = 1; t < threads; ++t) {
    while (j < m && done < total * t / threads) done += double(m - 1 - j++);
    bound[std::size_t(t)] = j;
  }
  scratch.assign(std::size_t(threads) * std::size_t(m), T(0));
  blas::SingleThreadScope single;
  parallel_for(threads, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t t = b; t < e; ++t)
      skew_column_block(p, ld, m, bound[std::size_t(t)], bound[std::size_t(t) + 1], v,
                           scratch.data() + std::size_t(t) * std::size_t(m));
  });
  for (index_t i = 0; i < m; ++i) {
    T sum = 0;
    for (int t = 0; t < threads; ++t) sum += scratch[std::size_t(t) * std::size_t(m) + std::size_t(i)];
    y[i] = sum;
  }
}

/// Which matrix-vector product the reduction uses (PYCAUSET_SKEW_GEMV=1 picks BLAS gemv, for A/B timing).
inline const bool kSkewKernel = [] {
  const char* e = std::getenv("PYCAUSET_SKEW_GEMV");
  return !(e && e[0] == '1');
}();

/// Panel width of the blocked reduction.
constexpr index_t kPanel = 32;

/// MemoryError unless `elements` of `dtype` (plus what `a` holds in files) fit the budget.
void require_fits(double elements, DType dtype, std::size_t outside_ram) {
  const double bytes = elements * double(dtype_info(dtype).itemsize()) + double(outside_ram);
  if (bytes < 1e18 && fits_in_budget(std::size_t(bytes))) return;
  const double mib = 1024.0 * 1024.0;
  std::string m = "pycauset.linalg.eigh_antisymmetric needs about ";
  m.append(std::to_string(std::llround(bytes / mib)));
  m.append(" MiB of RAM for its copy, workspace and results, more than the memory budget leaves (");
  m.append(std::to_string(std::llround(double(available_ram()) / mib)));
  m.append(" MiB free); it runs in RAM only: raise the budget with pycauset.set_memory_limit or use a "
           "smaller problem");
  throw MemoryError(m);
}

/// Reduces the column-major antisymmetric n x n matrix at p (full storage) to
/// antisymmetric tridiagonal form T = Q^T A Q. On return e[k] = T[k+1, k]
/// (k < n - 1) and the reflectors are stored below the subdiagonal of p with
/// their scalars in tau, in LAPACK sytrd's lower layout (what ormtr reads).
///
/// One reflection H = I - tau v v^T (v supported on rows > k) maps A to
/// H A H = A + v y^T - y v^T with y = tau A v, because v^T A v = 0. A panel
/// of columns accumulates V and Y, so the trailing matrix is
/// A0 + V Y^T - Y V^T without being touched; it is brought up to date by two
/// GEMMs per panel.
template <class T> void tridiagonalise(T* p, index_t n, T* e, T* tau, DType dtype) {
  using B = Blas<T>;
  if (n < 2) return;
  const index_t nb = std::min<index_t>(kPanel, std::max<index_t>(n - 2, 1));
  Array vw = array_of(nb, n, dtype, true), yw = array_of(nb, n, dtype, true);
  Array tw = vector_of(nb, dtype);
  T* V = data_of<T>(vw);  // column-major n x nb (column j at V + j n)
  T* Y = data_of<T>(yw);
  T* t = data_of<T>(tw);
  std::vector<T> scratch;
  double total = 0;
  for (index_t k0 = 0; k0 < n - 2; k0 += nb) total += double(n - k0) * double(n - k0) * double(nb);
  Progress progress("eigh_antisymmetric", total + 1);
  for (index_t k0 = 0; k0 < n - 2; k0 += nb) {
    const index_t jb = std::min(nb, n - 2 - k0);
    for (index_t j = 0; j < jb; ++j) {
      const index_t k = k0 + j, m = n - k - 1;
      T* col = p + (k + 1) + k * n;  // A[k+1:, k]
      if (j > 0) {                    // the column as the panel's reflections left it
        B::gemv(CblasColMajor, CblasNoTrans, m, j, T(1), V + k + 1, n, Y + k, n, T(1), col, 1);
        B::gemv(CblasColMajor, CblasNoTrans, m, j, T(-1), Y + k + 1, n, V + k, n, T(1), col, 1);
      }
      T alpha = col[0], tk = 0;
      check_arguments(Lapack<T>::larfg(m, &alpha, col + 1, 1, &tk), "larfg");
      e[k] = alpha;
      tau[k] = tk;
      T* v = V + j * n;
      T* y = Y + j * n;
      std::fill(v, v + k + 1, T(0));
      std::fill(y, y + k + 1, T(0));
      v[k + 1] = T(1);
      std::copy(col + 1, col + m, v + k + 2);
      // y = tau (A0 + V Y^T - Y V^T) v on rows and columns > k.
      if (kSkewKernel)
        skew_matvec<T>(p + (k + 1) + (k + 1) * n, n, m, v + k + 1, y + k + 1, scratch);
      else
        B::gemv(CblasColMajor, CblasNoTrans, m, m, T(1), p + (k + 1) + (k + 1) * n, n, v + k + 1, 1, T(0),
                y + k + 1, 1);
      if (j > 0) {
        B::gemv(CblasColMajor, CblasTrans, m, j, T(1), Y + k + 1, n, v + k + 1, 1, T(0), t, 1);
        B::gemv(CblasColMajor, CblasNoTrans, m, j, T(1), V + k + 1, n, t, 1, T(1), y + k + 1, 1);
        B::gemv(CblasColMajor, CblasTrans, m, j, T(1), V + k + 1, n, v + k + 1, 1, T(0), t, 1);
        B::gemv(CblasColMajor, CblasNoTrans, m, j, T(-1), Y + k + 1, n, t, 1, T(1), y + k + 1, 1);
      }
      for (index_t i = k + 1; i < n; ++i) y[i] *= tk;
    }
    const index_t k1 = k0 + jb, r = n - k1;
    T* c = p + k1 + k1 * n;
    B::gemm(CblasColMajor, CblasNoTrans, CblasTrans, r, r, jb, T(1), V + k1, n, Y + k1, n, T(1), c, n);
    B::gemm(CblasColMajor, CblasNoTrans, CblasTrans, r, r, jb, T(-1), Y + k1, n, V + k1, n, T(1), c, n);
    progress.advance(double(n - k0) * double(n - k0) * double(nb));  // may throw on Ctrl-C
  }
  e[n - 2] = p[(n - 1) + (n - 2) * n];
  tau[n - 2] = T(0);
  progress.finish();
}

// ------------------------------------------------ two stages, for eigenvalues only
//
// The one-stage reduction above does half its flops in matrix-vector products
// over the whole trailing matrix: it moves n^3/6 elements through memory and
// runs at memory speed. For eigenvalues alone (no Q to keep) the reduction is
// split as LAPACK's sytrd_2stage splits it: blocked QR steps reduce A to an
// antisymmetric band of width kBand with matrix-matrix products only, then
// Householder bulge chasing reduces the band to tridiagonal form in O(n^2 b)
// flops on windows that stay in cache.

/// Bandwidth of the two-stage reduction's band.
constexpr index_t kBand = 32;
/// Below this order the one-stage reduction is used (the band would not pay).
constexpr index_t kTwoStageMin = 4 * kBand;

/// Reduces the antisymmetric A, given by the strictly lower triangle of the
/// column-major n x n array at p, to an antisymmetric band: on return
/// A[i, j] = 0 for i > j + b (the lower band holds the result; the upper
/// triangle is not used). Each step takes the panel of b columns below the
/// band, P = Q R with Q = I - V T V^T (geqrf, T from V and tau), leaves R in
/// the band, and updates the trailing A2 to Q^T A2 Q = A2 - W V^T + V W^T,
/// where X = A2 V T, S = T^T V^T X (antisymmetric) and W = X - V S / 2.
template <class T> void reduce_to_band(T* p, index_t n, index_t b, DType dtype, Progress& progress) {
  using L = Lapack<T>;
  const index_t cap = std::max<index_t>(n - b, 1);
  Array vw = array_of(2 * b, cap, dtype), xw = array_of(2 * b, cap, dtype), tw = array_of(b, b, dtype);
  T* V = data_of<T>(vw);      // column-major m x b (ld m), then [V, W] as m x 2b
  T* X = data_of<T>(xw);      // column-major m x b (ld m), then [W, -V] as m x 2b
  T* Tm = data_of<T>(tw);     // b x b upper triangular (ld b)
  const auto bb = static_cast<std::size_t>(b);
  std::vector<T> tau(bb), vtv(bb * bb), s(bb * bb);
  std::vector<T> work;
  constexpr index_t kUpdateBlock = 256;  // column blocks of the lower-triangle update
  for (index_t j0 = 0; j0 + b < n - 1; j0 += b) {
    const index_t r0 = j0 + b, m = n - r0, k = std::min(b, m);
    T* panel = p + r0 + j0 * n;  // m x b, ld n
    T size{};
    check_arguments(L::geqrf(m, b, panel, n, tau.data(), &size, -1), "geqrf");
    work.resize(std::size_t(std::max<T>(size, T(1))) + 1);
    check_arguments(L::geqrf(m, b, panel, n, tau.data(), work.data(), lp_int(work.size())), "geqrf");
    // V (unit lower trapezoidal, m x k) out of the panel, which keeps R only.
    for (index_t c = 0; c < k; ++c) {
      T* vc = V + c * m;
      T* col = panel + c * n;
      std::fill(vc, vc + c, T(0));
      vc[c] = T(1);
      for (index_t i = c + 1; i < m; ++i) {
        vc[i] = col[i];
        col[i] = T(0);
      }
    }
    for (index_t c = k; c < b; ++c) std::fill(panel + c * n + k, panel + c * n + m, T(0));
    // T: T[i, i] = tau_i, T[0:i, i] = -tau_i T[0:i, 0:i] (V[:, 0:i]^T v_i).
    L::gemm(CblasColMajor, CblasTrans, CblasNoTrans, k, k, m, T(1), V, m, V, m, T(0), vtv.data(), k);
    std::fill(Tm, Tm + b * b, T(0));
    for (index_t i = 0; i < k; ++i) {
      for (index_t r = 0; r < i; ++r) {
        T acc = 0;
        for (index_t c = r; c < i; ++c) acc += Tm[r + c * b] * vtv[std::size_t(c + i * k)];
        Tm[r + i * b] = -tau[std::size_t(i)] * acc;
      }
      Tm[i + i * b] = tau[std::size_t(i)];
    }
    // X = A2 V with A2 = Lo - Lo^T (Lo its strictly lower triangle; its diagonal is kept at 0).
    T* a2 = p + r0 + r0 * n;
    T* X2 = X + k * m;  // second m x k half of X's buffer, scratch for Lo^T V
    std::copy(V, V + k * m, X);
    std::copy(V, V + k * m, X2);
    L::trmm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, m, k, T(1), a2, n, X, m);
    L::trmm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, m, k, T(1), a2, n, X2, m);
    for (index_t i = 0; i < k * m; ++i) X[i] -= X2[i];
    L::trmm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, m, k, T(1), Tm, b, X, m);
    // S = T^T (V^T X); W = X - V S / 2, written next to V as [V, W], with [W, -V] in X's buffer.
    L::gemm(CblasColMajor, CblasTrans, CblasNoTrans, k, k, m, T(1), V, m, X, m, T(0), s.data(), k);
    L::trmm(CblasColMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, k, k, T(1), Tm, b, s.data(), k);
    T* W = V + k * m;
    std::copy(X, X + k * m, W);
    L::gemm(CblasColMajor, CblasNoTrans, CblasNoTrans, m, k, k, T(-0.5), V, m, s.data(), k, T(1), W, m);
    std::copy(W, W + k * m, X);
    for (index_t i = 0; i < k * m; ++i) X2[i] = -V[i];
    // Lower triangle of A2 += [V, W] [W, -V]^T, by column blocks (the diagonal
    // blocks are computed whole; their upper halves are never read).
    for (index_t c0 = 0; c0 < m; c0 += kUpdateBlock) {
      const index_t c1 = std::min(m, c0 + kUpdateBlock);
      L::gemm(CblasColMajor, CblasNoTrans, CblasTrans, m - c0, c1 - c0, 2 * k, T(1), V + c0, m, X + c0, m, T(1),
              a2 + c0 + c0 * n, n);
    }
    for (index_t i = 0; i < m; ++i) a2[i + i * n] = T(0);
    progress.advance(4.0 * double(m) * double(m) * double(k));  // may throw on Ctrl-C
  }
}

/// Reduces the antisymmetric band of width b (the lower band of the
/// column-major n x n array at p, as reduce_to_band leaves it) to tridiagonal
/// form and returns its subdiagonal in e (e[j] = T[j + 1, j]). Column j is
/// reduced by a reflection of rows j + 1 .. j + b, which fills a b x b block
/// below the band; its first column is reduced in turn, and so on down the
/// matrix (the bulge is chased out). One reflection H = I - tau v v^T on rows
/// [r, q] is applied to three pieces of the lower triangle: the columns left of
/// r (from the left), the antisymmetric diagonal block S (H S H = S + tau (v w^T
/// - w v^T), w = S v) and the rows below q (from the right).
template <class T> void band_to_tridiagonal(T* p, index_t n, index_t b, T* e, Progress& progress) {
  const auto bb = static_cast<std::size_t>(b);
  std::vector<T> v(bb), w(bb), t(2 * bb + 1);
  auto at = [&](index_t i, index_t j) -> T& { return p[i + j * n]; };
  double units = 0;
  for (index_t j = 0; j < n - 2; ++j) {
    index_t c = j, r = j + 1, q = std::min(j + b, n - 1);
    while (q - r >= 1) {
      const index_t len = q - r + 1;
      // The reflection that zeroes A[r+1..q, c].
      T alpha = at(r, c), tk = 0;
      check_arguments(Lapack<T>::larfg(len, &alpha, &at(r + 1, c), 1, &tk), "larfg");
      v[0] = T(1);
      for (index_t i = 1; i < len; ++i) {
        v[std::size_t(i)] = at(r + i, c);
        at(r + i, c) = T(0);
      }
      at(r, c) = alpha;
      if (tk != T(0)) {
        // From the left, on the columns between c and r.
        for (index_t col = c + 1; col < r; ++col) {
          T* x = &at(r, col);
          T dot = 0;
          for (index_t i = 0; i < len; ++i) dot += v[std::size_t(i)] * x[i];
          dot *= tk;
          for (index_t i = 0; i < len; ++i) x[i] -= dot * v[std::size_t(i)];
        }
        // Two-sided, on the diagonal block: w = S v from its lower triangle.
        std::fill(w.begin(), w.begin() + len, T(0));
        for (index_t jj = 0; jj < len; ++jj) {
          const T* col = &at(r, r + jj);
          T acc = 0;
          for (index_t i = jj + 1; i < len; ++i) {
            w[std::size_t(i)] += col[i] * v[std::size_t(jj)];
            acc += col[i] * v[std::size_t(i)];
          }
          w[std::size_t(jj)] -= acc;
        }
        for (index_t jj = 0; jj < len; ++jj) {
          T* col = &at(r, r + jj);
          const T vj = tk * v[std::size_t(jj)], wj = tk * w[std::size_t(jj)];
          for (index_t i = jj + 1; i < len; ++i) col[i] += v[std::size_t(i)] * wj - w[std::size_t(i)] * vj;
        }
        // From the right, on the rows below q that the band reaches.
        const index_t below = std::min(q + b, n - 1) - q;
        if (below > 0) {
          std::fill(t.begin(), t.begin() + below, T(0));
          for (index_t jj = 0; jj < len; ++jj) {
            const T* col = &at(q + 1, r + jj);
            const T vj = v[std::size_t(jj)];
            for (index_t i = 0; i < below; ++i) t[std::size_t(i)] += col[i] * vj;
          }
          for (index_t jj = 0; jj < len; ++jj) {
            T* col = &at(q + 1, r + jj);
            const T vj = tk * v[std::size_t(jj)];
            for (index_t i = 0; i < below; ++i) col[i] -= t[std::size_t(i)] * vj;
          }
        }
      }
      c = r;
      r = q + 1;
      q = std::min(q + b, n - 1);
    }
    units += double(n - j);
    if (j % 256 == 255) {
      progress.advance(units * double(b) * double(b));  // may throw on Ctrl-C
      units = 0;
    }
  }
  progress.advance(units * double(b) * double(b));
  for (index_t j = 0; j + 1 < n; ++j) e[j] = at(j + 1, j);
}

/// The subdiagonal e of an antisymmetric tridiagonal matrix similar to A
/// (stored as for tridiagonalise; only its strictly lower triangle is read),
/// by the two stages above.
template <class T> void tridiagonal_in_two_stages(T* p, index_t n, T* e, DType dtype) {
  const index_t b = kBand;
  double total = 0;
  for (index_t j0 = 0; j0 + b < n - 1; j0 += b) total += 4.0 * double(n - j0 - b) * double(n - j0 - b) * double(b);
  for (index_t j = 0; j < n - 2; ++j) total += double(n - j) * double(b) * double(b);
  Progress progress("eigh_antisymmetric", total + 1);
  for (index_t j = 0; j < n; ++j) p[j + j * n] = T(0);
  reduce_to_band<T>(p, n, b, dtype, progress);
  band_to_tridiagonal<T>(p, n, b, e, progress);
  progress.finish();
}

template <class T> AntisymmetricEigResult eigh_antisymmetric_impl(const Array& a, DType dtype, bool vectors) {
  const index_t n = require_square(a);
  const DType cdtype = dtype == DType::float32 ? DType::complex64 : DType::complex128;
  const index_t half = n / 2, q = (n + 1) / 2;  // pairs; size of the bidiagonal
  {
    const double nn = double(n) * double(n);
    const double extra = vectors ? nn + 2 * nn + 5.0 * double(q) * double(q) : 0.0;  // Z, result, U, VT, bdsdc work
    // Workspace: the one-stage panels (2 x kPanel columns) or the band reduction's (4 x kBand).
    const double panels = double(std::max(2 * kPanel, 4 * kBand)) * double(n);
    require_fits(nn + panels + 8.0 * double(n) + extra, dtype, bytes_outside_ram(a));
  }
  Array w = vector_of(n, dtype);
  if (n == 0) return {w, vectors ? std::optional<Array>(array_of(0, 0, cdtype)) : std::nullopt};
  // Column-major A (a row-major copy of A^T), made exactly antisymmetric from
  // its strictly lower triangle.
  Array x = a.transpose().astype(dtype);
  T* p = data_of<T>(x);
  for (index_t j = 0; j < n; ++j) {
    p[j + j * n] = T(0);
    for (index_t i = j + 1; i < n; ++i) p[j + i * n] = -p[i + j * n];
  }
  std::vector<T> e(std::size_t(std::max<index_t>(n - 1, 1)), T(0));
  std::vector<T> tau(std::size_t(std::max<index_t>(n - 1, 1)), T(0));
  if (!vectors && n >= kTwoStageMin)
    tridiagonal_in_two_stages<T>(p, n, e.data(), dtype);
  else
    tridiagonalise<T>(p, n, e.data(), tau.data(), dtype);

  // iT is similar (diag(i^k)) to the symmetric tridiagonal S with zero
  // diagonal and subdiagonal e; S = [[0, L], [L^T, 0]] on (even, odd)
  // positions, L lower bidiagonal, L^T = upper bidiagonal (d, f), padded with
  // a zero row when n is odd.
  std::vector<T> d(std::size_t(q), T(0)), f(std::size_t(std::max<index_t>(q - 1, 1)), T(0));
  for (index_t m = 0; m < q; ++m) {
    if (2 * m <= n - 2) d[std::size_t(m)] = e[std::size_t(2 * m)];
    if (m < q - 1) f[std::size_t(m)] = e[std::size_t(2 * m + 1)];
  }
  Array vt_w = array_of(vectors ? q : 1, vectors ? q : 1, dtype);
  Array u_w = array_of(vectors ? q : 1, vectors ? q : 1, dtype);
  T* vt = data_of<T>(vt_w);
  T* u = data_of<T>(u_w);
  if (!vectors) {  // dqds: singular values to high relative accuracy
    std::vector<T> work(std::size_t(4 * q + 4));
    const lp_int info = Lapack<T>::bdsqr('U', q, 0, 0, d.data(), f.data(), vt, 1, u, 1, work.data());
    check_arguments(info, "bdsqr");
    if (info > 0) throw LinAlgError("SVD did not converge");
  } else {  // divide and conquer, with the singular vectors: B^T = U S VT
    Array work = vector_of(3 * q * q + 4 * q + 1, dtype);
    Array iwork = vector_of(8 * q + 1, DType::int64);
    const lp_int info = Lapack<T>::bdsdc('U', q, d.data(), f.data(), u, q, vt, q, data_of<T>(work), data_of<lp_int>(iwork));
    check_arguments(info, "bdsdc");
    if (info > 0) throw LinAlgError("SVD did not converge");
  }
  // Ascending: -s_0 <= ... <= -s_{half-1} (<= 0 for odd n) <= s_{half-1} <= ... <= s_0.
  T* wp = data_of<T>(w);
  for (index_t j = 0; j < half; ++j) {
    wp[j] = T(0) - d[std::size_t(j)];  // +0.0, not -0.0, for a zero singular value
    wp[n - 1 - j] = d[std::size_t(j)];
  }
  if (n % 2 == 1) wp[half] = T(0);  // exact: an odd antisymmetric matrix is singular
  if (!vectors) return {w, std::nullopt};

  // Real and imaginary parts a_j, b_j of the eigenvector of +s_j, before Q:
  // D z with z = (VT[j, :] on even positions, U[:, j] on odd ones) / sqrt(2).
  Array zw = array_of(n, n, dtype, true);  // column-major n x n
  T* z = data_of<T>(zw);
  const T r2 = T(1) / std::sqrt(T(2));
  for (index_t j = 0; j < half; ++j) {
    T* aj = z + (2 * j) * n;
    T* bj = z + (2 * j + 1) * n;
    for (index_t m = 0; m < q; ++m) {
      const T sign = (m % 2 == 0) ? T(1) : T(-1);
      if (2 * m < n) aj[2 * m] = sign * vt[j + m * q] * r2;
      if (2 * m + 1 < n) bj[2 * m + 1] = sign * u[m + j * q] * r2;
    }
  }
  if (n % 2 == 1) {  // the null vector: L^T z = 0 on the even positions
    T* z0 = z + (n - 1) * n;
    for (index_t m = 0; m < q; ++m) z0[2 * m] = ((m % 2 == 0) ? T(1) : T(-1)) * vt[half + m * q];
  }
  vt_w = vector_of(0, dtype);
  u_w = vector_of(0, dtype);
  if (n > 1) {
    T size{};
    check_arguments(Lapack<T>::ormtr('L', 'L', 'N', n, n, p, n, tau.data(), z, n, &size, -1), "ormtr");
    const lp_int lwork = std::max<lp_int>(lp_int(std::ceil(double(size) * (1 + 1e-6))), 1);
    Array work = vector_of(lwork, dtype);
    check_arguments(Lapack<T>::ormtr('L', 'L', 'N', n, n, p, n, tau.data(), z, n, data_of<T>(work), lwork), "ormtr");
  }
  x = vector_of(0, dtype);  // the reduced matrix: no longer needed
  Array out = array_of(n, n, cdtype);
  auto* o = data_of<std::complex<T>>(out);  // row-major: o[r * n + c] is component r of vector c
  for (index_t j = 0; j < half; ++j) {
    const T* aj = z + (2 * j) * n;
    const T* bj = z + (2 * j + 1) * n;
    const index_t neg = j, pos = n - 1 - j;
    for (index_t r = 0; r < n; ++r) {
      o[r * n + pos] = std::complex<T>(aj[r], bj[r]);
      o[r * n + neg] = std::complex<T>(aj[r], -bj[r]);
    }
  }
  if (n % 2 == 1) {
    const T* z0 = z + (n - 1) * n;
    for (index_t r = 0; r < n; ++r) o[r * n + half] = std::complex<T>(z0[r], T(0));
  }
  return {w, out};
}

}  // namespace

AntisymmetricEigResult eigh_antisymmetric(const Array& a, DType dtype, bool vectors) {
  if (dtype == DType::float32) return eigh_antisymmetric_impl<float>(a, dtype, vectors);
  if (dtype == DType::float64) return eigh_antisymmetric_impl<double>(a, dtype, vectors);
  throw TypeError("eigh_antisymmetric computes in float32 or float64 (a real antisymmetric matrix), not " +
                  std::string(dtype_name(dtype)));
}

}  // namespace pycauset::linalg
