#include "pycauset/linalg/norm.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <mutex>
#include <type_traits>
#include <vector>

#include "pycauset/core/error.hpp"
#include "pycauset/core/threads.hpp"
#include "pycauset/kernels/convert.hpp"

namespace pycauset::linalg {
namespace {

using index_t = Array::index_t;

constexpr index_t kBlock = 4096;          // elements converted at a time
constexpr index_t kGrainElements = 1 << 16;  // elements per parallel chunk, at least

/// Maximum / minimum that propagate NaN, as NumPy's max/min do.
double nan_max(double m, double v) { return (std::isnan(m) || v <= m) ? m : v; }
double nan_min(double m, double v) { return (std::isnan(m) || v >= m) ? m : v; }

/// Visits every element of `a` as V (double, or complex<double> for complex
/// dtypes) in row blocks of at most kBlock: visit(state, row, col0, values,
/// count). Blocks are split over the thread pool; each chunk starts from
/// State{init} and is merged into the caller's result with merge(state),
/// under a lock. With whole_rows, a chunk never splits a row.
template <class V, class State, class Visit, class Merge>
void scan(const Array& a, bool whole_rows, const State& init, Visit visit, Merge merge) {
  const StridedRef r = a.ref();
  const index_t rows = r.rows, cols = r.cols;
  if (rows == 0 || cols == 0) return;
  const index_t blocks_per_row = (cols + kBlock - 1) / kBlock;
  const index_t total = rows * blocks_per_row;
  const DType vdtype = std::is_same_v<V, double> ? DType::float64 : DType::complex128;
  const bool direct = r.dtype == vdtype && r.s1 == index_t(sizeof(V));
  const bool bits = r.dtype == DType::bit;
  const index_t grain = std::max<index_t>(1, kGrainElements / std::min(cols, kBlock));
  std::mutex mu;
  parallel_for(total, grain, [&](std::int64_t s0, std::int64_t s1) {
    State state = init;
    std::vector<V> buffer(direct ? 0 : std::size_t(kBlock));
    for (index_t s = s0; s < s1; ++s) {
      const index_t i = s / blocks_per_row, j0 = (s % blocks_per_row) * kBlock;
      const index_t len = std::min(kBlock, cols - j0);
      const V* values;
      if (direct) {
        values = reinterpret_cast<const V*>(r.data + i * r.s0 + j0 * r.s1);
      } else {
        StridedRef src = r;
        src.rows = 1;
        src.cols = len;
        if (bits)
          src.bit_offset = r.bit_offset + i * r.s0 + j0 * r.s1;
        else
          src.data = r.data + i * r.s0 + j0 * r.s1;
        StridedRef dst;
        dst.data = reinterpret_cast<std::byte*>(buffer.data());
        dst.dtype = vdtype;
        dst.rows = 1;
        dst.cols = len;
        dst.s0 = len * index_t(sizeof(V));
        dst.s1 = index_t(sizeof(V));
        convert(src, dst);
        values = buffer.data();
      }
      visit(state, i, j0, values, len);
    }
    std::lock_guard lock(mu);
    merge(state);
  }, whole_rows ? blocks_per_row : 1);
}

template <class V> double magnitude_squared(V v) {
  if constexpr (std::is_same_v<V, double>)
    return v * v;
  else
    return std::norm(v);
}

template <class V> double vector_norm_impl(const Array& a, double ord) {
  const bool empty = a.size() == 0;
  if (std::isinf(ord)) {
    if (empty)
      throw ValueError(std::string("zero-size array to reduction operation ") +
                       (ord > 0 ? "maximum" : "minimum") + " which has no identity");
    const bool want_max = ord > 0;
    double result = want_max ? 0.0 : std::numeric_limits<double>::infinity();
    scan<V>(a, false, result,
            [&](double& m, index_t, index_t, const V* x, index_t n) {
              for (index_t k = 0; k < n; ++k)
                m = want_max ? nan_max(m, std::abs(x[k])) : nan_min(m, std::abs(x[k]));
            },
            [&](double m) { result = want_max ? nan_max(result, m) : nan_min(result, m); });
    return result;
  }
  // Sums: several accumulators per block so the loop vectorises and rounding
  // error grows slowly.
  double total = 0;
  auto merge = [&](double s) { total += s; };
  if (ord == 2) {
    scan<V>(a, false, 0.0, [](double& s, index_t, index_t, const V* x, index_t n) {
      double acc[4] = {0, 0, 0, 0};
      index_t k = 0;
      for (; k + 4 <= n; k += 4)
        for (int u = 0; u < 4; ++u) acc[u] += magnitude_squared(x[k + u]);
      for (; k < n; ++k) acc[0] += magnitude_squared(x[k]);
      s += (acc[0] + acc[1]) + (acc[2] + acc[3]);
    }, merge);
    return std::sqrt(total);
  }
  if (ord == 0) {
    scan<V>(a, false, 0.0, [](double& s, index_t, index_t, const V* x, index_t n) {
      index_t count = 0;
      for (index_t k = 0; k < n; ++k) count += x[k] != V(0);
      s += double(count);
    }, merge);
    return total;
  }
  if (ord == 1) {
    scan<V>(a, false, 0.0, [](double& s, index_t, index_t, const V* x, index_t n) {
      double acc = 0;
      for (index_t k = 0; k < n; ++k) acc += std::abs(x[k]);
      s += acc;
    }, merge);
    return total;
  }
  scan<V>(a, false, 0.0, [ord](double& s, index_t, index_t, const V* x, index_t n) {
    double acc = 0;
    for (index_t k = 0; k < n; ++k) acc += std::pow(std::abs(x[k]), ord);
    s += acc;
  }, merge);
  return std::pow(total, 1.0 / ord);
}

template <class V> double matrix_norm_impl(const Array& a, MatrixNorm ord) {
  if (a.ndim() != 2) throw ValueError("matrix norms need a 2-D array");
  const bool want_max = ord == MatrixNorm::one || ord == MatrixNorm::inf;
  if (a.size() == 0)
    throw ValueError(std::string("zero-size array to reduction operation ") +
                     (want_max ? "maximum" : "minimum") + " which has no identity");
  const index_t cols = a.shape(1);
  auto pick = [want_max](double m, double v) { return want_max ? nan_max(m, v) : nan_min(m, v); };
  if (ord == MatrixNorm::one || ord == MatrixNorm::neg_one) {  // column sums
    std::vector<double> sums(std::size_t(cols), 0.0);
    scan<V>(a, false, std::vector<double>(),
            [cols](std::vector<double>& s, index_t, index_t j0, const V* x, index_t n) {
              if (s.empty()) s.assign(std::size_t(cols), 0.0);
              for (index_t k = 0; k < n; ++k) s[std::size_t(j0 + k)] += std::abs(x[k]);
            },
            [&](const std::vector<double>& s) {
              for (std::size_t j = 0; j < s.size(); ++j) sums[j] += s[j];
            });
    double result = sums[0];
    for (double v : sums) result = pick(result, v);
    return result;
  }
  // Row sums: chunks hold whole rows, blocks of a row arrive in order.
  struct RowState {
    index_t row = -1;
    double sum = 0;
    bool any = false;
    double best = 0;
  };
  double result = 0;
  bool have = false;
  auto finish_row = [&](RowState& s) {
    if (s.row < 0) return;
    s.best = s.any ? pick(s.best, s.sum) : s.sum;
    s.any = true;
  };
  scan<V>(a, true, RowState{},
          [&](RowState& s, index_t i, index_t, const V* x, index_t n) {
            if (i != s.row) {
              finish_row(s);
              s.row = i;
              s.sum = 0;
            }
            double acc = 0;
            for (index_t k = 0; k < n; ++k) acc += std::abs(x[k]);
            s.sum += acc;
          },
          [&](RowState s) {
            finish_row(s);
            if (!s.any) return;
            result = have ? pick(result, s.best) : s.best;
            have = true;
          });
  return result;
}

bool is_complex_dtype(DType d) { return dtype_info(d).kind == DTypeKind::complex; }

}  // namespace

double vector_norm(const Array& a, double ord) {
  if (std::isnan(ord)) throw ValueError("Invalid norm order for vectors: nan");
  return is_complex_dtype(a.dtype()) ? vector_norm_impl<std::complex<double>>(a, ord)
                                     : vector_norm_impl<double>(a, ord);
}

double matrix_norm(const Array& a, MatrixNorm ord) {
  return is_complex_dtype(a.dtype()) ? matrix_norm_impl<std::complex<double>>(a, ord)
                                     : matrix_norm_impl<double>(a, ord);
}

}  // namespace pycauset::linalg
