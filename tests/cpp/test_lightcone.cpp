// The causal-set word kernels, each instruction-set copy this CPU can run
// called directly: the light-cone kernel (kernels/lightcone.hpp) against a
// scalar oracle written from the relation's definition, on random points,
// exactly light-like pairs, equal times and periodic axes (minimum image), in
// every dimension path; the thermometer counters (kernels/intervals.hpp)
// against plain integer counters.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "pycauset/kernels/intervals.hpp"
#include "pycauset/kernels/lightcone.hpp"

namespace pycauset {
#define PYCAUSET_TEST_DECLARE_LC(ns)                                                                           \
  namespace ns {                                                                                               \
  void light_cone_words(const LightConePoints&, std::int64_t, std::int64_t, std::int64_t, std::uint64_t*);     \
  const char* light_cone_kernel_isa();                                                                         \
  void thermometer_add(std::uint64_t*, std::int64_t, int, const std::uint64_t*, std::int64_t, std::int64_t);  \
  }
PYCAUSET_TEST_DECLARE_LC(isa_baseline)
#if defined(__x86_64__)
PYCAUSET_TEST_DECLARE_LC(isa_avx2)
PYCAUSET_TEST_DECLARE_LC(isa_avx512)
#endif
}  // namespace pycauset

using namespace pycauset;
using u64 = std::uint64_t;
using Kernel = void (*)(const LightConePoints&, std::int64_t, std::int64_t, std::int64_t, std::uint64_t*);

namespace {

std::vector<std::pair<std::string, Kernel>> runnable() {
  std::vector<std::pair<std::string, Kernel>> k{{"baseline", isa_baseline::light_cone_words}};
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) k.push_back({"avx2", isa_avx2::light_cone_words});
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"))
    k.push_back({"avx512", isa_avx512::light_cone_words});
#endif
  return k;
}

// x precedes y: t_y > t_x and (t_y - t_x)^2 >= sum of squared (minimum-image) separations.
bool precedes(const std::vector<std::vector<double>>& x, const std::vector<double>& per, int i, int j) {
  const int d = int(x.size());
  double s = 0.0;
  for (int k = 1; k < d; ++k) {
    double a = x[k][j] - x[k][i];
    if (per[k - 1] > 0) {
      a = std::fabs(a);
      if (per[k - 1] - a < a) a = per[k - 1] - a;
    }
    s = s + a * a;
  }
  const double dt = x[0][j] - x[0][i];
  return dt > 0 && dt * dt >= s;
}

void check(int d, int n, bool periodic, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<std::vector<double>> x(static_cast<std::size_t>(d), std::vector<double>(static_cast<std::size_t>(n)));
  std::vector<double> per(std::size_t(d - 1), 0.0);
  if (periodic)
    for (int k = 0; k < d - 1; ++k) per[std::size_t(k)] = (k % 2 == 0) ? 0.75 : 0.0;  // mixed axes
  for (int j = 0; j < n; ++j) {
    x[0][std::size_t(j)] = std::floor(u(rng) * 64) / 64;  // many equal times
    for (int k = 1; k < d; ++k) {
      const double L = per[std::size_t(k - 1)] > 0 ? per[std::size_t(k - 1)] : 1.0;
      x[std::size_t(k)][std::size_t(j)] = std::floor(u(rng) * 32) / 32 * L;  // dyadic: exact light-like pairs
    }
  }
  // A few exactly light-like pairs in 2-d style: same spatial offsets as time offsets.
  for (int j = 1; j < n; j += 7) {
    x[0][std::size_t(j)] = x[0][std::size_t(j - 1)] + 0.25;
    for (int k = 1; k < d; ++k) x[std::size_t(k)][std::size_t(j)] = x[std::size_t(k)][std::size_t(j - 1)];
    if (per[0] == 0) x[1][std::size_t(j)] = x[1][std::size_t(j - 1)] + 0.25;
  }
  const std::int64_t words = (n + 63) / 64, padded = words * 64;
  std::vector<double> axes(std::size_t(d * padded), 0.0);
  for (int k = 0; k < d; ++k)
    for (int j = 0; j < n; ++j) axes[std::size_t(k * padded + j)] = x[std::size_t(k)][std::size_t(j)];
  const LightConePoints pts{axes.data(), padded, d, per.data(), periodic};
  for (auto& [name, kernel] : runnable()) {
    std::vector<u64> row(static_cast<std::size_t>(words));
    for (int i = 0; i < n; ++i) {
      const std::int64_t w0 = (i * 7) % words;  // also partial word ranges
      kernel(pts, i, w0, words, row.data());
      for (std::int64_t w = w0; w < words; ++w)
        for (int b = 0; b < 64 && w * 64 + b < n; ++b) {
          const int j = int(w * 64 + b);
          ASSERT_EQ(bool((row[std::size_t(w - w0)] >> b) & 1), precedes(x, per, i, j))
              << name << " d=" << d << " periodic=" << periodic << " i=" << i << " j=" << j;
        }
    }
  }
}

}  // namespace

TEST(LightCone, EveryIsaMatchesTheOracle) {
  for (int d : {2, 3, 4, 5, 7})
    for (bool periodic : {false, true}) check(d, 200, periodic, std::uint32_t(d * 10 + periodic));
}

TEST(LightCone, DispatchedIsaIsOneOfTheCopies) {
  const std::string isa = light_cone_kernel_isa();
  EXPECT_TRUE(isa == "baseline" || isa == "avx2" || isa == "avx512") << isa;
  EXPECT_STREQ(isa_baseline::light_cone_kernel_isa(), "baseline");
}

namespace {
using Therm = void (*)(std::uint64_t*, std::int64_t, int, const std::uint64_t*, std::int64_t, std::int64_t);
std::vector<std::pair<std::string, Therm>> thermometers() {
  std::vector<std::pair<std::string, Therm>> k{{"baseline", isa_baseline::thermometer_add}};
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) k.push_back({"avx2", isa_avx2::thermometer_add});
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"))
    k.push_back({"avx512", isa_avx512::thermometer_add});
#endif
  return k;
}
}  // namespace

TEST(Thermometer, SaturatingCountsMatchIntegers) {
  std::mt19937_64 rng(7);
  const std::int64_t words = 37;
  for (auto& [name, add] : thermometers())
    for (int levels : {1, 2, 3, 4, 5, 8, 9, 13}) {
      std::vector<u64> planes(std::size_t(levels * words), 0);
      std::vector<int> count(std::size_t(words * 64), 0);
      for (int step = 0; step < 20; ++step) {
        std::vector<u64> x(static_cast<std::size_t>(words));
        for (auto& v : x) v = rng() & rng();
        const std::int64_t v0 = std::int64_t(rng() % std::uint64_t(words)), v1 = words - std::int64_t(rng() % 3);
        add(planes.data(), words, levels, x.data(), v0, v1);
        for (std::int64_t v = v0; v < v1; ++v)
          for (int b = 0; b < 64; ++b) count[std::size_t(v * 64 + b)] += int((x[std::size_t(v)] >> b) & 1);
        for (std::int64_t v = 0; v < words; ++v)
          for (int b = 0; b < 64; ++b)
            for (int m = 0; m < levels; ++m)
              ASSERT_EQ(bool((planes[std::size_t(m * words + v)] >> b) & 1), count[std::size_t(v * 64 + b)] >= m + 1)
                  << name << " levels=" << levels << " word " << v << " bit " << b << " plane " << m;
      }
    }
}
