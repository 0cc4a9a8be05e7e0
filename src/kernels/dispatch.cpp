// Picks the copy of the conversion kernels built for the best instruction set
// this CPU supports (decided once).
#include <atomic>
#include <cstdlib>
#include <string>

#include "pycauset/kernels/convert.hpp"
#include "pycauset/kernels/elementwise.hpp"
#include "pycauset/kernels/intervals.hpp"
#include "pycauset/kernels/lightcone.hpp"
#include "pycauset/kernels/products.hpp"
#include "pycauset/kernels/reduce.hpp"
#include "pycauset/kernels/skew.hpp"

namespace pycauset {

#define PYCAUSET_DECLARE_ISA(ns)                                \
  namespace ns {                                                \
  void convert(const StridedRef& src, const StridedRef& dst);   \
  void fill(const StridedRef& dst, const Scalar& v);            \
  void evaluate(std::span<const ExprNode>, std::span<const StridedRef>, const StridedRef&); \
  void reduce_sum(const StridedRef& a, int axis, const StridedRef& out, std::int64_t divisor); \
  void bit_count_tile(const BitRows&, const BitRows&, std::int64_t, std::int64_t, void*, std::int64_t, bool, bool); \
  void bit_word_ranges(const std::uint64_t*, std::int64_t, std::int64_t, std::int64_t, std::int64_t*, std::int64_t*); \
  void bit_transpose_block(const std::uint64_t*, std::int64_t, std::int64_t, std::int64_t, std::int64_t, \
                           std::int64_t, std::uint64_t*, std::int64_t); \
  void int_gemm_tile(const std::uint64_t*, std::int64_t, const std::uint64_t*, std::int64_t, std::uint64_t*, \
                     std::int64_t, std::int64_t, std::int64_t, std::int64_t); \
  void int_gemm_exact_tile(bool, const std::uint64_t*, std::int64_t, const std::uint64_t*, std::int64_t, pc_u128*, \
                           std::int64_t*, std::int64_t, std::int64_t, std::int64_t, std::int64_t); \
  const char* product_kernel_isa(); \
  void light_cone_words(const LightConePoints&, std::int64_t, std::int64_t, std::int64_t, std::uint64_t*); \
  const char* light_cone_kernel_isa(); \
  void thermometer_add(std::uint64_t*, std::int64_t, int, const std::uint64_t*, std::int64_t, std::int64_t); \
  void skew_column_block_f64(const double*, std::int64_t, std::int64_t, std::int64_t, std::int64_t, const double*, \
                             double*); \
  void skew_column_block_f32(const float*, std::int64_t, std::int64_t, std::int64_t, std::int64_t, const float*, \
                             float*); \
  }
PYCAUSET_DECLARE_ISA(isa_baseline)
#ifdef PYCAUSET_HAVE_X86_ISAS
PYCAUSET_DECLARE_ISA(isa_avx2)
PYCAUSET_DECLARE_ISA(isa_avx512)
#endif

namespace {

struct Kernels {
  void (*convert)(const StridedRef&, const StridedRef&);
  void (*fill)(const StridedRef&, const Scalar&);
  void (*evaluate)(std::span<const ExprNode>, std::span<const StridedRef>, const StridedRef&);
  void (*reduce_sum)(const StridedRef&, int, const StridedRef&, std::int64_t);
  decltype(&isa_baseline::bit_count_tile) bit_count_tile;
  decltype(&isa_baseline::bit_word_ranges) bit_word_ranges;
  decltype(&isa_baseline::bit_transpose_block) bit_transpose_block;
  decltype(&isa_baseline::int_gemm_tile) int_gemm_tile;
  decltype(&isa_baseline::int_gemm_exact_tile) int_gemm_exact_tile;
  decltype(&isa_baseline::product_kernel_isa) product_kernel_isa;
  decltype(&isa_baseline::light_cone_words) light_cone_words;
  decltype(&isa_baseline::light_cone_kernel_isa) light_cone_kernel_isa;
  decltype(&isa_baseline::thermometer_add) thermometer_add;
  decltype(&isa_baseline::skew_column_block_f64) skew_column_block_f64;
  decltype(&isa_baseline::skew_column_block_f32) skew_column_block_f32;
};

#define PYCAUSET_KERNELS_OF(ns)                                                                              \
  Kernels {                                                                                                  \
    ns::convert, ns::fill, ns::evaluate, ns::reduce_sum, ns::bit_count_tile, ns::bit_word_ranges,           \
        ns::bit_transpose_block, ns::int_gemm_tile, ns::int_gemm_exact_tile, ns::product_kernel_isa, ns::light_cone_words, ns::light_cone_kernel_isa, ns::thermometer_add, \
        ns::skew_column_block_f64, ns::skew_column_block_f32 \
  }

Kernels pick() {
  // PYCAUSET_KERNELS=baseline|avx2 caps the instruction set (for testing and
  // for comparing kernels on one machine).
  const char* cap = std::getenv("PYCAUSET_KERNELS");
  const std::string want = cap ? cap : "";
  if (want == "baseline") return PYCAUSET_KERNELS_OF(isa_baseline);
#ifdef PYCAUSET_HAVE_X86_ISAS
  __builtin_cpu_init();
  if (want == "avx2" && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
    return PYCAUSET_KERNELS_OF(isa_avx2);
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma"))
    return PYCAUSET_KERNELS_OF(isa_avx512);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
    return PYCAUSET_KERNELS_OF(isa_avx2);
#endif
  return PYCAUSET_KERNELS_OF(isa_baseline);
}

const Kernels& kernels() {
  static const Kernels k = pick();
  return k;
}

}  // namespace

void convert(const StridedRef& src, const StridedRef& dst) { kernels().convert(src, dst); }
void fill(const StridedRef& dst, const Scalar& v) { kernels().fill(dst, v); }

namespace {
std::atomic<std::uint64_t> g_evaluate_calls{0};
}

void evaluate(std::span<const ExprNode> nodes, std::span<const StridedRef> operands, const StridedRef& out) {
  g_evaluate_calls.fetch_add(1);
  kernels().evaluate(nodes, operands, out);
}

std::uint64_t evaluate_calls() { return g_evaluate_calls.load(); }

void reduce_sum(const StridedRef& a, int axis, const StridedRef& out, std::int64_t divisor) {
  kernels().reduce_sum(a, axis, out, divisor);
}

void bit_count_tile(const BitRows& a, const BitRows& b, std::int64_t w0, std::int64_t w1, void* out, std::int64_t ld,
                    bool out64, bool accumulate) {
  kernels().bit_count_tile(a, b, w0, w1, out, ld, out64, accumulate);
}
void bit_word_ranges(const std::uint64_t* data, std::int64_t rows, std::int64_t words, std::int64_t stride,
                     std::int64_t* lo, std::int64_t* hi) {
  kernels().bit_word_ranges(data, rows, words, stride, lo, hi);
}
void bit_transpose_block(const std::uint64_t* src, std::int64_t rows, std::int64_t cols, std::int64_t src_stride,
                         std::int64_t cw0, std::int64_t cw1, std::uint64_t* dst, std::int64_t dst_stride) {
  kernels().bit_transpose_block(src, rows, cols, src_stride, cw0, cw1, dst, dst_stride);
}
void int_gemm_tile(const std::uint64_t* A, std::int64_t lda, const std::uint64_t* B, std::int64_t ldb,
                   std::uint64_t* C, std::int64_t ldc, std::int64_t n, std::int64_t k, std::int64_t m) {
  kernels().int_gemm_tile(A, lda, B, ldb, C, ldc, n, k, m);
}
void int_gemm_exact_tile(bool is_signed, const std::uint64_t* A, std::int64_t lda, const std::uint64_t* B,
                         std::int64_t ldb, pc_u128* acc, std::int64_t* wraps, std::int64_t ldacc, std::int64_t n,
                         std::int64_t k, std::int64_t m) {
  kernels().int_gemm_exact_tile(is_signed, A, lda, B, ldb, acc, wraps, ldacc, n, k, m);
}
const char* product_kernel_isa() { return kernels().product_kernel_isa(); }
void light_cone_words(const LightConePoints& p, std::int64_t i, std::int64_t w0, std::int64_t w1, std::uint64_t* out) {
  kernels().light_cone_words(p, i, w0, w1, out);
}
const char* light_cone_kernel_isa() { return kernels().light_cone_kernel_isa(); }
void thermometer_add(std::uint64_t* planes, std::int64_t ld, int levels, const std::uint64_t* x, std::int64_t v0,
                     std::int64_t v1) {
  kernels().thermometer_add(planes, ld, levels, x, v0, v1);
}
void skew_column_block(const double* p, std::int64_t ld, std::int64_t m, std::int64_t j0, std::int64_t j1,
                       const double* v, double* y) {
  kernels().skew_column_block_f64(p, ld, m, j0, j1, v, y);
}
void skew_column_block(const float* p, std::int64_t ld, std::int64_t m, std::int64_t j0, std::int64_t j1,
                       const float* v, float* y) {
  kernels().skew_column_block_f32(p, ld, m, j0, j1, v, y);
}

const char* kernel_isa() {
  auto c = kernels().convert;
#ifdef PYCAUSET_HAVE_X86_ISAS
  if (c == isa_avx512::convert) return "avx512";
  if (c == isa_avx2::convert) return "avx2";
#endif
  (void)c;
  return "baseline";
}

}  // namespace pycauset
