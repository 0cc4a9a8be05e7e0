// Picks the copy of the conversion kernels built for the best instruction set
// this CPU supports (decided once).
#include <atomic>
#include <cstdlib>
#include <string>

#include "pycauset/kernels/convert.hpp"
#include "pycauset/kernels/elementwise.hpp"
#include "pycauset/kernels/reduce.hpp"

namespace pycauset {

#define PYCAUSET_DECLARE_ISA(ns)                                \
  namespace ns {                                                \
  void convert(const StridedRef& src, const StridedRef& dst);   \
  void fill(const StridedRef& dst, const Scalar& v);            \
  void evaluate(std::span<const ExprNode>, std::span<const StridedRef>, const StridedRef&); \
  void reduce_sum(const StridedRef& a, int axis, const StridedRef& out, std::int64_t divisor); \
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
};

Kernels pick() {
  // PYCAUSET_KERNELS=baseline|avx2 caps the instruction set (for testing and
  // for comparing kernels on one machine).
  const char* cap = std::getenv("PYCAUSET_KERNELS");
  const std::string want = cap ? cap : "";
  if (want == "baseline") return {isa_baseline::convert, isa_baseline::fill, isa_baseline::evaluate, isa_baseline::reduce_sum};
#ifdef PYCAUSET_HAVE_X86_ISAS
  __builtin_cpu_init();
  if (want == "avx2" && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
    return {isa_avx2::convert, isa_avx2::fill, isa_avx2::evaluate, isa_avx2::reduce_sum};
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma"))
    return {isa_avx512::convert, isa_avx512::fill, isa_avx512::evaluate, isa_avx512::reduce_sum};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
    return {isa_avx2::convert, isa_avx2::fill, isa_avx2::evaluate, isa_avx2::reduce_sum};
#endif
  return {isa_baseline::convert, isa_baseline::fill, isa_baseline::evaluate, isa_baseline::reduce_sum};
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
