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

template <class T> AntisymmetricEigResult eigh_antisymmetric_impl(const Array& a, DType dtype, bool vectors) {
  const index_t n = require_square(a);
  const DType cdtype = dtype == DType::float32 ? DType::complex64 : DType::complex128;
  const index_t half = n / 2, q = (n + 1) / 2;  // pairs; size of the bidiagonal
  {
    const double nn = double(n) * double(n);
    const double extra = vectors ? nn + 2 * nn + 5.0 * double(q) * double(q) : 0.0;  // Z, result, U, VT, bdsdc work
    require_fits(nn + 2.0 * double(kPanel) * double(n) + 8.0 * double(n) + extra, dtype, bytes_outside_ram(a));
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
