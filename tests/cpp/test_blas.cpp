#include <gtest/gtest.h>

#include <vector>

#include "pycauset/linalg/blas.hpp"

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
