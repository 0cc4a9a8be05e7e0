#pragma once
// The one thread pool of pycauset. Kernels split work with parallel_for; BLAS
// runs single-threaded inside such regions so the cores are never oversubscribed.
#include <cstdint>
#include <functional>

namespace pycauset {

/// Number of threads parallel_for uses (>= 1). Initially OMP_NUM_THREADS when
/// set to a positive integer, otherwise the CPUs this process may run on.
int num_threads();

/// Resizes the pool. n < 1 raises ValueError. Thread-safe; waits for running work.
void set_num_threads(int n);

/// True while the calling thread executes inside a parallel_for body.
bool in_parallel_region();

/// Runs body(begin, end) over disjoint chunks covering [0, n), in parallel
/// when n >= 2 * grain and more than one thread is configured. Chunk bounds
/// are multiples of `align` (except the last end). Nested calls, and calls
/// made while another thread holds the pool, run serially in the caller.
/// The first exception thrown by any chunk is rethrown after all finish.
void parallel_for(std::int64_t n, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t)>& body,
                  std::int64_t align = 1);

/// As parallel_for, but with ceil(n / chunk) chunks handed out dynamically:
/// for work whose cost varies along the range (e.g. triangular matrices).
void parallel_for_dynamic(std::int64_t n, std::int64_t chunk,
                          const std::function<void(std::int64_t, std::int64_t)>& body);

}  // namespace pycauset
