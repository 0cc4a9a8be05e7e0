#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <random>
#include <span>
#include <type_traits>
#include <vector>

#include "pycauset/array/array.hpp"
#include "pycauset/linalg/blas.hpp"
#include "pycauset/linalg/matmul.hpp"

using namespace pycauset;

TEST(Blas, DotMatchesAnalyticSum) {
  // sum_{k=1}^{n} k * k = n (n + 1) (2n + 1) / 6
  const std::int64_t n = 1000;
  std::vector<double> x(n);
  for (std::int64_t k = 0; k < n; ++k) x[k] = double(k + 1);
  EXPECT_DOUBLE_EQ(blas::dot(n, x.data(), 1, x.data(), 1), double(n * (n + 1) * (2 * n + 1) / 6));
}

TEST(Blas, SingleThreadScopeRestores) {
  blas::set_num_threads(2);
  {
    blas::SingleThreadScope scope;
    EXPECT_EQ(blas::num_threads(), 1);
  }
  EXPECT_EQ(blas::num_threads(), 2);
  EXPECT_NE(blas::config().find("OpenBLAS"), std::string::npos);
}

// ---- typed dispatch (blas_api.hpp) through the in-RAM product ----------------------------
// matmul reaches BLAS's gemm (matrix @ matrix), gemv (matrix @ vector, vector @ matrix,
// stored either way round) and dot (vector @ vector) for each BLAS element type; each
// result is checked against a plain triple loop in long double / complex<long double>.

namespace {

template <class T> T make_value(std::mt19937_64& gen) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  if constexpr (std::is_floating_point_v<T>) return T(u(gen));
  else return T(typename T::value_type(u(gen)), typename T::value_type(u(gen)));
}

template <class T> Array filled(std::span<const Array::index_t> shape, DType dtype, unsigned seed) {
  Array a = Array::empty(shape, dtype);
  std::mt19937_64 gen(seed);
  auto* p = reinterpret_cast<T*>(a.data());
  for (Array::index_t i = 0; i < a.size(); ++i) p[i] = make_value<T>(gen);
  return a;
}

template <class T> std::complex<long double> wide(T x) {
  if constexpr (std::is_floating_point_v<T>) return {static_cast<long double>(x), 0.0L};
  else return {static_cast<long double>(x.real()), static_cast<long double>(x.imag())};
}

/// max |got - want| / max |want| with want = a @ b by loops (a, b 1-D or 2-D, C order).
template <class T> double product_error(const Array& a, const Array& b, const Array& got) {
  const Array::index_t m = a.ndim() == 1 ? 1 : a.shape(0), k = a.ndim() == 1 ? a.shape(0) : a.shape(1);
  const Array::index_t n = b.ndim() == 1 ? 1 : b.shape(1);
  const auto* pa = reinterpret_cast<const T*>(a.data());
  const auto* pb = reinterpret_cast<const T*>(b.data());
  const auto* pc = reinterpret_cast<const T*>(got.data());
  EXPECT_EQ(got.size(), m * n);
  long double err = 0, scale = 0;
  for (Array::index_t i = 0; i < m; ++i)
    for (Array::index_t j = 0; j < n; ++j) {
      std::complex<long double> s = 0;
      for (Array::index_t l = 0; l < k; ++l) s += wide(pa[i * k + l]) * wide(pb[l * n + j]);
      err = std::max(err, std::abs(wide(pc[i * n + j]) - s));
      scale = std::max(scale, std::abs(s));
    }
  return double(err / scale);
}

template <class T> void check_every_product_form(DType dtype, double tol) {
  using index_t = Array::index_t;
  const std::array<index_t, 2> sa{37, 53}, sb{53, 29};
  const std::array<index_t, 1> sv{53}, sw{37};
  const Array a = filled<T>(sa, dtype, 1), b = filled<T>(sb, dtype, 2);
  const Array v = filled<T>(sv, dtype, 3), w = filled<T>(sw, dtype, 4);
  EXPECT_LT(product_error<T>(a, b, matmul(a, b, dtype)), tol) << "gemm";
  EXPECT_LT(product_error<T>(a, v, matmul(a, v, dtype)), tol) << "gemv";
  EXPECT_LT(product_error<T>(w, a, matmul(w, a, dtype)), tol) << "gemv, transposed";
  EXPECT_LT(product_error<T>(v, v, matmul(v, v, dtype)), tol) << "dot";
  // A transposed view is passed to BLAS as stored (op = T), not copied.
  const Array at = a.transpose().copy(), at_view = at.transpose();
  EXPECT_LT(product_error<T>(a, b, matmul(at_view, b, dtype)), tol) << "gemm, A stored transposed";
  EXPECT_LT(product_error<T>(a, v, matmul(at_view, v, dtype)), tol) << "gemv, A stored transposed";
}

}  // namespace

TEST(BlasDispatch, EveryTypeAndProductFormMatchesLoops) {
  check_every_product_form<float>(DType::float32, 1e-5);
  check_every_product_form<double>(DType::float64, 1e-13);
  check_every_product_form<std::complex<float>>(DType::complex64, 1e-5);
  check_every_product_form<std::complex<double>>(DType::complex128, 1e-13);
}
